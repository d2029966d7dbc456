"""Inside sales, inbound (SDR): where a lead is turned into a meeting.

The SDR desk is a multi-server queue on the business clock (working time only,
see :mod:`salesim.engine.calendar`). Every SDR seat takes the next call from a
shared queue (FIFO by due time, or highest lead score first), spends the handle
time on it (longer while the rep ramps), and schedules the lead's next attempt
on the cadence. A rep works from hire to leaving; a leaver's leads simply go
back to the shared queue. The desk is the hot loop of the engine (one pass per
call attempt), so it runs its own two-heap event loop rather than one simpy
process per seat, which profiling showed spending 80% of a replication in event
bookkeeping; field sales, with far fewer events and richer rules, stays in simpy.

When a lead's last needed attempt ends, its fate is settled in
:func:`SdrDesk.finish`:

* reached: a meeting is booked with probability ``meeting_rate`` times the
  speed-to-lead multiplier of its first call (the lead-response effect), held
  on a later working day (maybe rescheduled, maybe a no-show), and judged valid
  with a probability rising with the lead score; a valid held meeting becomes
  an opportunity;
* not reached after all attempts, declined, no-show or invalid: nurtured (the
  recycle pool, :mod:`salesim.model.recycle`) or closed.

Whether an attempt reaches the person does not depend on timing, so the attempt
on which a lead is first reached is drawn when the lead arrives (geometric);
only the timing is simulated event by event.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
import numpy as np

from salesim.engine.calendar import WorkCalendar
from salesim.engine.random_streams import (
    DrawBlock,
    RandomStreams,
    sample_block,
    uniform_block,
)
from salesim.model.workforce import Roster
from salesim.scenario.schema import Scenario
from salesim.scenario.units import Duration

# lead statuses and reasons, as written to the records
OPEN, CONVERTED, NURTURE, CLOSED = "open", "converted", "nurture", "closed"
MAX_RESCHEDULES = 3
NAN = math.nan


@dataclass
class LeadBook:
    """The lead rows of one replication, as growing column lists (one row per engagement)."""

    lead_id: list[int] = field(default_factory=list)
    cycle: list[int] = field(default_factory=list)
    channel: list[int] = field(default_factory=list)
    segment: list[int] = field(default_factory=list)
    score: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    created_at: list[float] = field(default_factory=list)
    sdr_id: list[int] = field(default_factory=list)
    first_attempt_at: list[float] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)
    attempts_needed: list[int] = field(default_factory=list)
    contacted_at: list[float] = field(default_factory=list)
    meeting_set_at: list[float] = field(default_factory=list)
    meeting_scheduled_for: list[float] = field(default_factory=list)
    reschedules: list[int] = field(default_factory=list)
    meeting_held_at: list[float] = field(default_factory=list)
    valid: list[float] = field(default_factory=list)  # NaN unknown, 1.0 valid, 0.0 not
    status: list[str] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)
    ended_at: list[float] = field(default_factory=list)

    def add(self, lead_id: int, cycle: int, channel: int, segment: int, score: float,
            cost: float, created_at: float, attempts_needed: int) -> int:
        self.lead_id.append(lead_id)
        self.cycle.append(cycle)
        self.channel.append(channel)
        self.segment.append(segment)
        self.score.append(score)
        self.cost.append(cost)
        self.created_at.append(created_at)
        self.sdr_id.append(-1)
        self.first_attempt_at.append(NAN)
        self.attempts.append(0)
        self.attempts_needed.append(attempts_needed)
        for column in (self.contacted_at, self.meeting_set_at, self.meeting_scheduled_for,
                       self.meeting_held_at, self.valid, self.ended_at):
            column.append(NAN)
        self.reschedules.append(0)
        self.status.append(OPEN)
        self.reason.append("")
        return len(self.lead_id) - 1

    def add_many(self, channel: np.ndarray, segment: np.ndarray, score: np.ndarray,
                 cost: np.ndarray, created_at: np.ndarray, attempts_needed: np.ndarray) -> None:
        """Append new leads (cycle 0) in bulk; their lead ids follow the row numbers."""
        count = len(created_at)
        first = len(self.lead_id)
        self.lead_id.extend(range(first + 1, first + count + 1))
        self.cycle.extend([0] * count)
        self.channel.extend(channel.tolist())
        self.segment.extend(segment.tolist())
        self.score.extend(score.tolist())
        self.cost.extend(cost.tolist())
        self.created_at.extend(created_at.tolist())
        self.sdr_id.extend([-1] * count)
        self.first_attempt_at.extend([NAN] * count)
        self.attempts.extend([0] * count)
        self.attempts_needed.extend(attempts_needed.tolist())
        for column in (self.contacted_at, self.meeting_set_at, self.meeting_scheduled_for,
                       self.meeting_held_at, self.valid, self.ended_at):
            column.extend([NAN] * count)
        self.reschedules.extend([0] * count)
        self.status.extend([OPEN] * count)
        self.reason.extend([""] * count)

    def __len__(self) -> int:
        return len(self.lead_id)


@dataclass
class Activity:
    """One row per call attempt: who, when (business clock), reached or not, time spent."""

    rep: list[int] = field(default_factory=list)
    at: list[float] = field(default_factory=list)
    contact: list[bool] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)


class SdrDesk:
    """The SDR team and its queue over one replication."""

    def __init__(self, scenario: Scenario, calendar: WorkCalendar, roster: Roster,
                 streams: RandomStreams, book: LeadBook,
                 on_nurture: Callable[[int, float], None]) -> None:
        sdr = scenario.sdr
        self.scenario = scenario
        self.calendar = calendar
        self.roster = roster
        self.book = book
        self.on_nurture = on_nurture
        self.horizon = scenario.meta.horizon.days
        self.horizon_b = calendar.business_at(self.horizon)
        self.priority = sdr.queue == "score_priority"
        self.future: list[tuple[float, int, int]] = []  # (due, sequence, row)
        self.arrival_rows: list[int] = []
        self.arrival_due: list[float] = []
        self.sequence = 0
        self.activity = Activity()

        rng = streams.generator("sdr")
        self.uniform = uniform_block(streams.generator("sdr/outcomes"))
        self.attempt_rng = streams.generator("sdr/attempts")
        self.handle_times = sample_block(sdr.handle_time.sampler(), rng)
        self.lead_times = sample_block(sdr.meeting_lead_time.sampler(),
                                       streams.generator("sdr/meetings"))
        self.attempt_block = DrawBlock(lambda size: self.attempts_needed(size))
        self.max_attempts = sdr.attempts.max
        self.contact_rate = sdr.contact_rate
        self.gaps = [self._gap(g) for g in sdr.attempts.cadence] or [(True, calendar.business_day)]
        self.speed_minutes = [p.within.minutes for p in sdr.speed_to_lead]
        self.speed_multipliers = [p.multiplier for p in sdr.speed_to_lead]
        self.meeting_rate = sdr.meeting_rate
        self.reschedule_rate = sdr.reschedule_rate
        self.no_show_rate = sdr.no_show_rate
        self.valid_low = sdr.valid_rate.at_score_0
        self.valid_high = sdr.valid_rate.at_score_100
        self.valid_multiplier = [s.valid_rate_multiplier for s in scenario.segments.values()]
        self.disqualified_to_nurture = scenario.recycle.disqualified_to_nurture
        self.unreached_to_nurture = scenario.recycle.unreached_to_nurture

    # ------------------------------------------------------------------ inputs

    def attempts_needed(self, count: int) -> np.ndarray:
        """Attempt on which each of ``count`` leads is first reached (``max + 1``: never)."""
        if self.contact_rate <= 0:
            return np.full(count, self.max_attempts + 1)
        return np.minimum(self.attempt_rng.geometric(self.contact_rate, count),
                          self.max_attempts + 1)

    def one_attempts_needed(self) -> int:
        return int(self.attempt_block.next())

    def _gap(self, gap: Duration) -> tuple[bool, float]:
        if gap.unit == "business_day":
            return True, gap.amount * self.calendar.business_day
        return False, gap.days

    def schedule_arrivals(self, rows: np.ndarray, created_at: np.ndarray) -> None:
        """Queue new lead rows (sorted by creation time) at their arrival."""
        self.arrival_rows = rows.tolist()
        self.arrival_due = self.calendar.to_business(created_at).tolist()

    def arrive_at(self, row: int, created_at: float) -> None:
        """Queue ``row`` when it (re)appears at calendar time ``created_at``."""
        self.sequence += 1
        heapq.heappush(self.future, (self.calendar.business_at(created_at), self.sequence, row))

    # ------------------------------------------------------------------ the event loop

    def run(self) -> None:
        """Run the desk to the horizon.

        Two kinds of event drive it: a seat becomes free (a call ends, a rep is
        hired) and a call falls due (a lead arrives, a follow-up is due). Events
        are taken in time order from two heaps; idle seats wait in a line and
        take due calls at once. Every queue, cadence and ramp rule is applied
        exactly; only the scheduling machinery is specialised, because this
        loop runs once per call attempt.
        """
        roster = self.roster
        hired_b = self.calendar.to_business(np.maximum(roster.hired_at, 0.0)).tolist()
        left_b = self.calendar.to_business(np.minimum(roster.left_at, 1e12)).tolist()
        edges_b = [self.calendar.to_business(np.asarray(roster.ramp_edges(seat))).tolist()
                   for seat in range(len(roster))]
        rep_ids = roster.rep_ids.tolist()
        ramp = roster.ramp
        horizon = self.horizon_b
        free = [(hired_b[seat], seat) for seat in range(len(roster))]
        heapq.heapify(free)
        idle: deque[int] = deque()
        future = self.future
        arrival_rows, arrival_due = self.arrival_rows, self.arrival_due
        next_arrival = 0
        arrivals = len(arrival_rows)
        priority = self.priority
        scores = self.book.score
        ready_fifo: deque[int] = deque()
        ready_heap: list[tuple[float, int, int]] = []
        handle = self.handle_times.next
        infinity = math.inf

        def serve(seat: int, now: float) -> None:
            month = bisect_right(edges_b[seat], now)
            productivity = ramp[month] if month < len(ramp) else 1.0
            if productivity <= 0:  # not productive yet: back when the next ramp month starts
                heapq.heappush(free, (edges_b[seat][month], seat))
                return
            row = heapq.heappop(ready_heap)[2] if priority else ready_fifo.popleft()
            busy = handle() / productivity
            heapq.heappush(free, (now + busy, seat))
            self._attempt_done(row, rep_ids[seat], now, now + busy, busy)

        while True:
            due = arrival_due[next_arrival] if next_arrival < arrivals else infinity
            if future and future[0][0] < due:
                due = future[0][0]
            seat_free = free[0][0] if free else infinity
            if seat_free <= due:
                if seat_free >= horizon:
                    break
                now, seat = heapq.heappop(free)
                if now >= left_b[seat]:
                    continue  # the rep has left
                if ready_fifo or ready_heap:
                    serve(seat, now)
                else:
                    idle.append(seat)
                continue
            if due >= horizon:
                break
            # release every call due now into the ready queue
            while next_arrival < arrivals and arrival_due[next_arrival] <= due:
                row = arrival_rows[next_arrival]
                next_arrival += 1
                self._ready(row, due, ready_fifo, ready_heap, priority, scores)
            while future and future[0][0] <= due:
                row = heapq.heappop(future)[2]
                self._ready(row, due, ready_fifo, ready_heap, priority, scores)
            while idle and (ready_fifo or ready_heap):
                seat = idle.popleft()
                if left_b[seat] > due:
                    serve(seat, due)

    def _ready(self, row: int, now: float, fifo: deque[int],
               by_score: list[tuple[float, int, int]], priority: bool, scores: list[float]
               ) -> None:
        if priority:
            self.sequence += 1
            heapq.heappush(by_score, (-scores[row], self.sequence, row))
        else:
            fifo.append(row)

    # ------------------------------------------------------------------ outcomes

    def _attempt_done(self, row: int, rep_id: int, started: float, ended: float,
                      busy: float) -> None:
        book = self.book
        attempt = book.attempts[row] + 1
        book.attempts[row] = attempt
        if attempt == 1:
            book.first_attempt_at[row] = self.calendar.calendar_at(started)
            book.sdr_id[row] = rep_id
        needed = book.attempts_needed[row]
        activity = self.activity
        activity.rep.append(rep_id)
        activity.at.append(started)
        activity.contact.append(attempt == needed)
        activity.busy.append(busy)
        if attempt < needed and attempt < self.max_attempts:
            business, gap = self.gaps[min(attempt, len(self.gaps)) - 1]
            if business:
                due = ended + gap
            else:
                due = self.calendar.business_at(self.calendar.calendar_at(ended) + gap)
            self.sequence += 1
            heapq.heappush(self.future, (due, self.sequence, row))
            return
        self.finish(row, self.calendar.calendar_at(ended), reached=attempt == needed)

    def speed_multiplier(self, minutes: float) -> float:
        index = bisect_left(self.speed_minutes, minutes)
        if index >= len(self.speed_multipliers):
            index = len(self.speed_multipliers) - 1
        return self.speed_multipliers[index]

    def finish(self, row: int, now: float, reached: bool) -> None:
        """Settle the fate of a lead whose last needed call ended at calendar time ``now``."""
        book = self.book
        uniform = self.uniform.next
        if not reached:
            self._disqualify(row, now, "unreached", self.unreached_to_nurture)
            return
        book.contacted_at[row] = now
        speed = (book.first_attempt_at[row] - book.created_at[row]) * 1440
        if uniform() >= self.meeting_rate * self.speed_multiplier(speed):
            self._disqualify(row, now, "declined", self.disqualified_to_nurture)
            return
        book.meeting_set_at[row] = now
        scheduled = self.calendar.next_working(now + self.lead_times.next())
        reschedules = 0
        while reschedules < MAX_RESCHEDULES and uniform() < self.reschedule_rate:
            reschedules += 1
            scheduled = self.calendar.next_working(scheduled + self.lead_times.next())
        book.meeting_scheduled_for[row] = scheduled
        book.reschedules[row] = reschedules
        if scheduled >= self.horizon:
            return  # the meeting is still ahead at the horizon: the lead stays open
        if uniform() < self.no_show_rate:
            self._disqualify(row, scheduled, "no_show", self.disqualified_to_nurture)
            return
        book.meeting_held_at[row] = scheduled
        score = book.score[row]
        chance = (self.valid_low + (self.valid_high - self.valid_low) * score / 100) * \
            self.valid_multiplier[book.segment[row]]
        if uniform() < chance:
            book.valid[row] = 1.0
            book.status[row] = CONVERTED
            book.ended_at[row] = scheduled
        else:
            book.valid[row] = 0.0
            self._disqualify(row, scheduled, "invalid", self.disqualified_to_nurture)

    def _disqualify(self, row: int, at: float, reason: str, nurture_share: float) -> None:
        if at >= self.horizon:
            return
        book = self.book
        book.reason[row] = reason
        book.ended_at[row] = at
        if self.uniform.next() < nurture_share:
            book.status[row] = NURTURE
            self.on_nurture(row, at)
        else:
            book.status[row] = CLOSED
