"""People kept in ascending order of a changing key, for "the first who qualifies" picks.

A least-loaded choice is ``min`` over the people who qualify, by ``(key, person)``;
scanning everyone for each choice costs the team size per event. :class:`KeyOrder`
keeps the people in ``(key, person)`` order as their keys change, so a choice walks
from the lowest key and stops at the first who qualifies: the same person ``min``
picks, ties going to the lowest number.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator


class KeyOrder:
    """People (ints) in ascending ``(key, person)`` order; each person at most once.

    >>> order = KeyOrder()
    >>> order.place(3, 0.5); order.place(1, 0.5); order.place(2, 0.25)
    >>> list(order)
    [2, 1, 3]
    >>> order.place(2, 1.0); order.place(1, None)
    >>> list(order)
    [3, 2]
    """

    def __init__(self) -> None:
        self._entries: list[tuple[float, int]] = []
        self._key_of: dict[int, float] = {}

    def place(self, person: int, key: float | None) -> None:
        """Put ``person`` at ``key``, or take them out with None."""
        old = self._key_of.pop(person, None)
        if old is not None:
            del self._entries[bisect.bisect_left(self._entries, (old, person))]
        if key is not None:
            self._key_of[person] = key
            bisect.insort(self._entries, (key, person))

    def __iter__(self) -> Iterator[int]:
        """The people, lowest ``(key, person)`` first (do not ``place`` while iterating)."""
        return (person for _, person in self._entries)

    def items(self) -> Iterator[tuple[float, int]]:
        """``(key, person)`` pairs, lowest first (do not ``place`` while iterating)."""
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
