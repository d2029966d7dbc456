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

import hashlib
from collections.abc import Callable

import numpy as np


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


class KeyedDraws:
    """Draws keyed by lead and cycle: ``rows(lead_id, cycle)`` gives the ``columns``
    values of each lead's engagement ``cycle``, the same however many other leads are
    asked for and in whatever order things happen.

    Column ``j`` of cycle ``c`` is one vector of ``lead_count + 1`` values (entry 0
    unused: lead ids count from 1) drawn in one call from the stream ``<name>/<c>/<j>``
    the first time it is asked for, so a column nobody needs (a third reschedule, a
    cycle no lead reaches) costs nothing. ``draw(rng, size)`` gives ``size`` values
    (default: Uniform(0, 1)).

    >>> streams = RandomStreams(3)
    >>> a = KeyedDraws(streams, "sdr/lead", 100, 2).rows(np.array([7, 9]), np.array([0, 1]))
    >>> b = KeyedDraws(RandomStreams(3), "sdr/lead", 100, 2).rows(np.array([9]), np.array([1]))
    >>> bool((a[1] == b[0]).all())
    True
    """

    def __init__(self, streams: RandomStreams, name: str, lead_count: int, columns: int,
                 draw: Callable[[np.random.Generator, int], np.ndarray] | None = None) -> None:
        if lead_count < 0 or columns < 1:
            raise ValueError("lead_count must be >= 0 and columns >= 1")
        self.streams = streams
        self.name = name
        self.lead_count = lead_count
        self.columns = columns
        self._draw = draw if draw is not None else _uniforms
        self._vectors: dict[tuple[int, int], np.ndarray] = {}
        self._lists: dict[tuple[int, int], list[float]] = {}
        self._matrices: dict[int, np.ndarray] = {}
        self._spent: set[tuple[int, int]] = set()  # drawn by take() and not kept

    def column(self, cycle: int, column: int) -> np.ndarray:
        """Value ``column`` of engagement ``cycle`` of every lead, indexed by lead id."""
        key = (int(cycle), int(column))
        found = self._vectors.get(key)
        if found is None:
            found = self._vectors[key] = self._drawn(key)
        return found

    def _drawn(self, key: tuple[int, int]) -> np.ndarray:
        if not 0 <= key[1] < self.columns:
            raise ValueError(f"column must lie in 0..{self.columns - 1}")
        if key in self._spent:
            raise RuntimeError(f"{self.name}: column {key[1]} of cycle {key[0]} was taken "
                               "without being kept; it cannot be drawn again")
        rng = self.streams.generator(f"{self.name}/{key[0]}/{key[1]}")
        return np.asarray(self._draw(rng, self.lead_count + 1), dtype=float)

    def take(self, lead_id: np.ndarray, cycle: int) -> np.ndarray:
        """:meth:`rows` of leads ``lead_id`` in engagement ``cycle``, without keeping
        the columns drawn for them: memory holds one column of all leads at a time. A
        column taken so cannot be asked for again (that raises).

        >>> draws = KeyedDraws(RandomStreams(3), "sdr/lead", 100, 2)
        >>> taken = draws.take(np.array([7, 9]), 1)
        >>> kept = KeyedDraws(RandomStreams(3), "sdr/lead", 100, 2).rows(
        ...     np.array([7, 9]), np.array([1, 1]))
        >>> bool((taken == kept).all())
        True
        """
        keys = np.asarray(lead_id, dtype=np.int64)
        if len(keys) and not 0 <= int(keys.min()) <= int(keys.max()) <= self.lead_count:
            raise ValueError(f"lead ids must lie in 0..{self.lead_count}")
        out = np.empty((len(keys), self.columns))
        for j in range(self.columns):
            key = (int(cycle), j)
            found = self._vectors.get(key)
            if found is None:
                found = self._drawn(key)
                self._spent.add(key)
            out[:, j] = found[keys]
        return out

    def value(self, lead_id: int, cycle: int, column: int) -> float:
        """One value: ``column`` of engagement ``cycle`` of lead ``lead_id``."""
        found = self._vectors.get((cycle, column))
        return float((self.column(cycle, column) if found is None else found)[lead_id])

    def values(self, cycle: int, column: int) -> list[float]:
        """:meth:`column` as a Python list, for loops that read one value at a time."""
        found = self._lists.get((cycle, column))
        if found is None:
            found = self._lists[cycle, column] = self.column(cycle, column).tolist()
        return found

    def row(self, lead_id: int, cycle: int) -> list[float]:
        """All the values of engagement ``cycle`` of lead ``lead_id`` (as :meth:`rows`
        gives them, quicker for one lead)."""
        if not 0 <= lead_id <= self.lead_count:
            raise ValueError(f"lead ids must lie in 0..{self.lead_count}")
        matrix = self._matrices.get(cycle)
        if matrix is None:
            matrix = self._matrices[cycle] = np.column_stack(
                [self.column(cycle, j) for j in range(self.columns)])
        values: list[float] = matrix[lead_id].tolist()
        return values

    def rows(self, lead_id: np.ndarray, cycle: np.ndarray,
             columns: int | None = None) -> np.ndarray:
        """The first ``columns`` (default: all) values of each (lead id, cycle) pair: one
        row per pair."""
        keys = np.asarray(lead_id, dtype=np.int64)
        cycles = np.asarray(cycle, dtype=np.int64)
        if len(keys) and not 0 <= int(keys.min()) <= int(keys.max()) <= self.lead_count:
            raise ValueError(f"lead ids must lie in 0..{self.lead_count}")
        width = self.columns if columns is None else columns
        out = np.empty((len(keys), width))
        for value in np.unique(cycles).tolist():
            mine = cycles == value
            for j in range(width):
                out[mine, j] = self.column(value, j)[keys[mine]]
        return out


def _uniforms(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.random(size)
