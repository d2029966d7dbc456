"""KeyOrder: the first person who qualifies, walking in key order, is the one ``min``
over the qualifying people by ``(key, person)`` picks, ties going to the lowest."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from salesim.model.key_order import KeyOrder

# few distinct keys, so ties are common; None takes the person out
KEYS = st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0, 2.5, float("inf")]),
                 st.integers(0, 3).map(float))
MOVES = st.lists(st.tuples(st.integers(0, 9), KEYS), max_size=60)


def first_who_qualifies(order: KeyOrder, qualifies: set[int]) -> int | None:
    return next((person for person in order if person in qualifies), None)


@given(MOVES, st.sets(st.integers(0, 9)))
def test_walk_picks_what_a_plain_scan_picks(moves: list[tuple[int, float | None]],
                                             qualifies: set[int]) -> None:
    order, keys = KeyOrder(), {}
    for person, key in moves:
        order.place(person, key)
        if key is None:
            keys.pop(person, None)
        else:
            keys[person] = key
    scan = min((p for p in sorted(keys) if p in qualifies), key=lambda p: (keys[p], p),
               default=None)
    assert first_who_qualifies(order, qualifies) == scan
    assert list(order.items()) == sorted((key, person) for person, key in keys.items())
    assert len(order) == len(keys)


def test_ties_go_to_the_lowest_person() -> None:
    order = KeyOrder()
    for person in (5, 2, 7):
        order.place(person, 1.0)
    order.place(0, 3.0)
    assert list(order) == [2, 5, 7, 0]
    order.place(2, 4.0)
    assert first_who_qualifies(order, {7, 5}) == 5
