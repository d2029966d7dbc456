"""Inside sales, inbound (SDR): where a lead is turned into a meeting.

The SDR desk is a simpy model on the business clock (working time only, see
:mod:`salesim.engine.calendar`). Every SDR seat is a process that takes the next
call from a shared queue (FIFO by due time, or highest lead score first), spends
the handle time on it (longer while the rep ramps), and schedules the lead's
next attempt on the cadence. A rep works from hire to leaving; a leaver's leads
simply go back to the shared queue.

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
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from salesim.engine.calendar import WorkCalendar
from salesim.engine.random_streams import RandomStreams, sample_block, uniform_block
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
        self.env = simpy.Environment()
        self.priority = sdr.queue == "score_priority"
        self.ready: list[tuple[Any, ...]] = []
        self.idle: deque[tuple[int, simpy.Event]] = deque()
        self.sequence = 0
        self.activity = Activity()

        rng = streams.generator("sdr")
        self.uniform = uniform_block(streams.generator("sdr/outcomes"))
        self.attempt_rng = streams.generator("sdr/attempts")
        self.handle_times = sample_block(sdr.handle_time.sampler(), rng)
        self.lead_times = sample_block(sdr.meeting_lead_time.sampler(),
                                       streams.generator("sdr/meetings"))
        self.hired_b: list[float] = []
        self.left_b: list[float] = []
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

    def _gap(self, gap: Duration) -> tuple[bool, float]:
        if gap.unit == "business_day":
            return True, gap.amount * self.calendar.business_day
        return False, gap.days

    def arrive_at(self, row: int, created_at: float) -> None:
        """Queue ``row`` at calendar time ``created_at`` (now or later)."""
        due = self.calendar.business_at(created_at)
        delay = due - self.env.now
        if delay <= 0:
            self.push(row)
        else:
            self.env.timeout(delay).callbacks.append(lambda _event: self.push(row))

    def schedule_arrivals(self, rows: np.ndarray, created_at: np.ndarray) -> None:
        """Queue many rows at once (sorted by time) through one arrival process."""
        due = self.calendar.to_business(created_at).tolist()
        self.env.process(self._arrivals(rows.tolist(), due))

    def _arrivals(self, rows: list[int], due: list[float]) -> Generator[simpy.Event, Any, None]:
        env = self.env
        for row, at in zip(rows, due, strict=True):
            if at > env.now:
                yield env.timeout(at - env.now)
            self.push(row)

    # ------------------------------------------------------------------ queue

    def push(self, row: int) -> None:
        self.sequence += 1
        if self.priority:
            heapq.heappush(self.ready, (-self.book.score[row], self.env.now, self.sequence, row))
        else:
            heapq.heappush(self.ready, (self.env.now, self.sequence, row))
        while self.idle:
            seat, wake = self.idle.popleft()
            wake.succeed(seat)
            if self.left_b[seat] > self.env.now:
                break

    def start(self) -> None:
        roster = self.roster
        self.hired_b = self.calendar.to_business(np.maximum(roster.hired_at, 0.0)).tolist()
        self.left_b = self.calendar.to_business(np.minimum(roster.left_at, 1e12)).tolist()
        for seat in range(len(roster)):
            self.env.process(self._seat(seat))

    def run(self) -> None:
        self.env.run(until=self.horizon_b)

    def _seat(self, seat: int) -> Generator[simpy.Event, Any, None]:
        env = self.env
        roster = self.roster
        hired_b = self.hired_b[seat]
        left_b = self.left_b[seat]
        ramp = roster.ramp
        edges_b = self.calendar.to_business(np.asarray(roster.ramp_edges(seat))).tolist()
        rep_id = int(roster.rep_ids[seat])
        ready = self.ready
        if hired_b > env.now:
            yield env.timeout(hired_b - env.now)
        while env.now < left_b:
            if not ready:
                wake = env.event()
                self.idle.append((seat, wake))
                yield wake
                continue
            now = env.now
            month = bisect_right(edges_b, now)
            productivity = ramp[month] if month < len(ramp) else 1.0
            if productivity <= 0:
                yield env.timeout(edges_b[month] - now)
                continue
            row = heapq.heappop(ready)[-1]
            busy = self.handle_times.next() / productivity
            yield env.timeout(busy)
            self._attempt_done(row, rep_id, now, busy)

    # ------------------------------------------------------------------ outcomes

    def _attempt_done(self, row: int, rep_id: int, started: float, busy: float) -> None:
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
            now = self.env.now
            if business:
                due = now + gap
            else:
                due = self.calendar.business_at(self.calendar.calendar_at(now) + gap)
            self.env.timeout(due - now).callbacks.append(lambda _event: self.push(row))
            return
        self.finish(row, self.calendar.calendar_at(self.env.now), reached=attempt == needed)

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
