"""The nurture (recycle) pool: leads not ready now come back later, some of them.

A lead sent to nurture re-engages with probability ``reengage_rate`` after a
delay drawn from ``reengage_after``, at most ``max_cycles`` times. A re-engaged
lead is a new engagement of the same lead (same ``lead_id``, ``cycle`` one
higher) and is counted as recycled, not as new. It costs nothing more to
acquire and goes straight to the SDR queue.

Whether and when engagement ``cycle`` of a lead comes back is keyed by the lead
(:class:`salesim.engine.random_streams.KeyedDraws`, streams ``recycle/lead/...``),
so it is the same in two plans that send the lead to nurture at different times.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from salesim.engine.random_streams import KeyedDraws, RandomStreams
from salesim.model.sdr import NOT_READY, NURTURE, LeadBook
from salesim.scenario.schema import Scenario


class _Desk(Protocol):
    def one_attempts_needed(self, lead_id: int, cycle: int) -> int: ...

    def attempts_needed(self, lead_id: np.ndarray, cycle: np.ndarray) -> np.ndarray: ...

    def arrive_many(self, rows: np.ndarray, created_at: np.ndarray) -> None: ...

    def arrive_at(self, row: int, created_at: float) -> None: ...


class NurturePool:
    """Decides, for each nurtured lead row, whether and when it comes back.

    A lead that comes back goes to the desk of the SDR team that worked it
    (``desks``, indexed by the book's ``team`` column).
    """

    def __init__(self, scenario: Scenario, streams: RandomStreams, book: LeadBook, *,
                 lead_count: int) -> None:
        """The pool of a replication whose new leads have ids ``1 .. lead_count``."""
        recycle = scenario.recycle
        self.book = book
        self.horizon = scenario.meta.horizon_days
        self.rate = recycle.reengage_rate
        self.max_cycles = recycle.max_cycles
        self.comes_back = KeyedDraws(streams, "recycle/lead/reengage", lead_count, 1)
        self.delays = KeyedDraws(streams, "recycle/lead/delay", lead_count, 1,
                                 recycle.reengage_after.sampler().sample)
        self.desks: list[_Desk] = []
        self.reengaged = 0

    def nurture_new(self, rows: np.ndarray, at: np.ndarray, channel: np.ndarray,
                    segment: np.ndarray, score: np.ndarray) -> None:
        """New leads not ready now: all enter the pool at their creation, decided in bulk."""
        book = self.book
        book.status[rows] = NURTURE
        book.reason[rows] = NOT_READY
        book.ended_at[rows] = at
        if self.max_cycles < 1 or not self.desks:
            return
        lead_id = book.lead_id[rows]
        back = self.comes_back.column(0, 0)[lead_id] < self.rate
        comes_back = at[back] + self.delays.column(0, 0)[lead_id[back]]
        inside = comes_back < self.horizon
        returning = rows[back][inside]
        times = comes_back[inside]
        order = np.argsort(times, kind="stable")
        returning, times = returning[order], times[order]
        teams = book.team[returning]
        for team, desk in enumerate(self.desks):
            mine = teams == team
            if not mine.any():
                continue
            back_rows, back_times = returning[mine], times[mine]
            new_rows = book.add_many(
                channel[back_rows], segment[back_rows], score[back_rows],
                np.zeros(len(back_rows)), back_times,
                desk.attempts_needed(back_rows + 1, np.ones(len(back_rows), dtype=np.int64)),
                lead_id=back_rows + 1, cycle=np.ones(len(back_rows), dtype=np.int64),
                team=np.full(len(back_rows), team, dtype=np.int64))
            self.reengaged += len(new_rows)
            desk.arrive_many(new_rows, back_times)

    def nurture(self, row: int, at: float) -> None:
        """Row ``row`` entered the pool at calendar time ``at``."""
        book = self.book
        cycle, lead_id = int(book.cycle[row]), int(book.lead_id[row])
        if cycle >= self.max_cycles or self.comes_back.values(cycle, 0)[lead_id] >= self.rate:
            return
        comes_back = at + self.delays.values(cycle, 0)[lead_id]
        if comes_back >= self.horizon or not self.desks:
            return
        team = int(book.team[row])
        desk = self.desks[team]
        needed = desk.one_attempts_needed(lead_id, cycle + 1)
        new_row = book.add(lead_id, cycle + 1, int(book.channel[row]), int(book.segment[row]),
                           float(book.score[row]), 0.0, comes_back, needed, team)
        self.reengaged += 1
        desk.arrive_at(new_row, comes_back)
