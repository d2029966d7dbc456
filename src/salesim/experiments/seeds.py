"""Replication seeds derived from one root seed.

Replication ``k`` of a run with root seed ``S`` gets the top 53 bits of the
first 64-bit word of ``numpy.random.SeedSequence(S).spawn(...)[k]``. A child's
spawn key is just its index, so the seed of replication ``k`` does not depend on
how many replications the run has: the first 50 seeds of a 200-replication run
are the seeds of a 50-replication run with the same root. Each seed is a plain
``int``, so a single replication can be re-run on its own with
``simulate(scenario, seed=...)``.

Why 53 bits: a seed must survive every place it is written down. Integers up
to 2**53 are exact as float64, so a seed read from a pandas row (``iloc`` turns
a mixed row into floats), from JSON in a browser or from a spreadsheet is still
the right seed; a full 64-bit seed would silently become another one. 53 bits
leave collisions negligible (about one chance in 20,000 for a run of a million
replications),
and the simulation spreads each seed into its own streams with ``SeedSequence``.

>>> replication_seeds(7, 3) == replication_seeds(7, 5)[:3]
True
>>> len(set(replication_seeds(7, 1000)))
1000
"""

from __future__ import annotations

import numpy as np

MAX_ROOT_SEED = 2**128 - 1
SEED_BITS = 53


def check_root_seed(root: int) -> int:
    """Return ``root`` if it is a usable root seed (a non-negative integer), else raise."""
    if isinstance(root, bool) or not isinstance(root, int | np.integer):
        raise TypeError(f"the root seed must be an integer, not {type(root).__name__}")
    if not 0 <= int(root) <= MAX_ROOT_SEED:
        raise ValueError(f"the root seed must be between 0 and 2**128 - 1, not {root}")
    return int(root)


def replication_seeds(root: int, reps: int) -> list[int]:
    """The seeds of replications ``0 .. reps-1`` for root seed ``root``."""
    root = check_root_seed(root)
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 0:
        raise ValueError(f"the number of replications must be a whole number >= 0, not {reps!r}")
    children = np.random.SeedSequence(root).spawn(int(reps))
    shift = np.uint64(64 - SEED_BITS)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> shift) for child in children]
