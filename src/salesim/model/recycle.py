"""The nurture (recycle) pool: leads not ready now come back later, some of them.

A lead sent to nurture re-engages with probability ``reengage_rate`` after a
delay drawn from ``reengage_after``, at most ``max_cycles`` times. A re-engaged
lead is a new engagement of the same lead (same ``lead_id``, ``cycle`` one
higher) and is counted as recycled, not as new. It costs nothing more to
acquire and goes straight to the SDR queue.
"""

from __future__ import annotations

from typing import Protocol

from salesim.engine.random_streams import RandomStreams, sample_block, uniform_block
from salesim.scenario.schema import Scenario


class _Book(Protocol):
    lead_id: list[int]
    cycle: list[int]
    channel: list[int]
    segment: list[int]
    score: list[float]

    def add(self, lead_id: int, cycle: int, channel: int, segment: int, score: float,
            cost: float, created_at: float, attempts_needed: int) -> int: ...


class _Desk(Protocol):
    def one_attempts_needed(self) -> int: ...

    def arrive_at(self, row: int, created_at: float) -> None: ...


class NurturePool:
    """Decides, for each nurtured lead row, whether and when it comes back."""

    def __init__(self, scenario: Scenario, streams: RandomStreams, book: _Book) -> None:
        recycle = scenario.recycle
        self.book = book
        self.horizon = scenario.meta.horizon.days
        self.rate = recycle.reengage_rate
        self.max_cycles = recycle.max_cycles
        self.uniform = uniform_block(streams.generator("recycle"))
        self.delays = sample_block(recycle.reengage_after.sampler(),
                                   streams.generator("recycle/delay"))
        self.desk: _Desk | None = None
        self.reengaged = 0

    def nurture(self, row: int, at: float) -> None:
        """Row ``row`` entered the pool at calendar time ``at``."""
        book = self.book
        if book.cycle[row] >= self.max_cycles or self.uniform.next() >= self.rate:
            return
        comes_back = at + self.delays.next()
        if comes_back >= self.horizon or self.desk is None:
            return
        needed = self.desk.one_attempts_needed()
        new_row = book.add(book.lead_id[row], book.cycle[row] + 1, book.channel[row],
                           book.segment[row], book.score[row], 0.0, comes_back, needed)
        self.reengaged += 1
        self.desk.arrive_at(new_row, comes_back)
