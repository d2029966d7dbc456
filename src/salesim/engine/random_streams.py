"""Random numbers by named stream.

One root seed per replication; each component draws from its own generator,
spawned from the root by the component's name. Changing how much one component
draws (more SDRs, another channel) leaves every other component's numbers
untouched: common random numbers, so two plans differ by their design rather
than by noise.

>>> streams = RandomStreams(42)
>>> a = streams.generator("marketing/webinar").random(3)
>>> b = RandomStreams(42).generator("marketing/webinar").random(3)
>>> bool((a == b).all())
True
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator

import numpy as np

from salesim.scenario.distributions import Sampler


def _name_key(name: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class RandomStreams:
    """Independent numpy generators keyed by component name, all from one seed."""

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError("seed must be a non-negative integer")
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}

    def generator(self, name: str) -> np.random.Generator:
        """The generator for ``name``; the same object on every call in a replication."""
        found = self._generators.get(name)
        if found is None:
            sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=_name_key(name))
            found = np.random.Generator(np.random.PCG64(sequence))
            self._generators[name] = found
        return found


class DrawBlock:
    """Random numbers handed out one at a time from blocks drawn in bulk.

    For loops that must decide event by event (a lead's outcome when its last
    call ends) without paying for one numpy call per decision. ``draw(n)``
    returns ``n`` fresh values; ``next()`` hands them out in order.
    """

    def __init__(self, draw: Callable[[int], np.ndarray], block: int = 4096) -> None:
        self._values = self._blocks(draw, block)
        self.next: Callable[[], float] = functools.partial(next, self._values)

    @staticmethod
    def _blocks(draw: Callable[[int], np.ndarray], block: int) -> Iterator[float]:
        while True:
            yield from draw(block).tolist()


def per_lead_uniforms(rng: np.random.Generator, lead_id: np.ndarray, lead_count: int,
                      columns: int) -> np.ndarray:
    """Uniform(0, 1) numbers keyed by lead: row ``i`` holds ``columns`` numbers of lead
    ``lead_id[i]``, the same whichever other leads are asked for.

    Each column is drawn from ``rng`` for every possible lead id (``0 .. lead_count``,
    the new leads known once marketing has run) and the rows asked for are kept, so a
    lead's numbers depend only on the stream, its id and the column, and memory stays
    at one column of all leads.
    """
    keys = np.asarray(lead_id, dtype=np.int64)
    if len(keys) and not 0 <= int(keys.min()) <= int(keys.max()) <= lead_count:
        raise ValueError(f"lead ids must lie in 0..{lead_count}")
    out = np.empty((len(keys), columns))
    for column in range(columns):
        out[:, column] = rng.random(lead_count + 1)[keys]
    return out


def uniform_block(rng: np.random.Generator) -> DrawBlock:
    """Uniform(0, 1) numbers from ``rng``, one at a time."""
    return DrawBlock(rng.random)


def sample_block(sampler: Sampler, rng: np.random.Generator) -> DrawBlock:
    """Samples of a scenario distribution from ``rng``, one at a time."""
    return DrawBlock(lambda size: sampler.sample(rng, size))
