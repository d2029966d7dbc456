"""Inside sales, inbound (SDR): where a lead is turned into a meeting.

The SDR desk is a multi-server queue on the business clock (working time only,
see :mod:`salesim.engine.calendar`). Every SDR seat takes the next call from a
shared queue (FIFO by due time, newest first, or highest lead score first), spends the handle
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

With ``stale_after`` set, a lead still waiting for its first call that long after
it reached the queue leaves it (reason ``stale``), at that moment: nurtured with
the share of leads never reached (``recycle.unreached_to_nurture``), else closed.
A stale time in business days counts working time from when the lead could first
be called; any other unit counts calendar time from its creation.

Whether an attempt reaches the person does not depend on timing, so the attempt
on which a lead is first reached is drawn when the lead arrives (geometric);
only the timing is simulated event by event.

Random numbers are keyed by lead (:class:`salesim.engine.random_streams.KeyedDraws`):
engagement ``cycle`` of lead ``lead_id`` has its own row of uniforms (attempt on
which it is reached, meeting, reschedules, no-show, valid, nurture), of handle
times (one per attempt) and of meeting lead times, whatever the desk's size, queue
or order of events. Two plans run with the same seed then differ by their design:
with one more SDR a lead is called sooner, but its calls take as long and end the
same way (save where the speed-to-lead effect or the horizon decides otherwise).
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
from salesim.engine.random_streams import KeyedDraws, RandomStreams
from salesim.model.behaviour import sdr_response
from salesim.model.workforce import Roster
from salesim.scenario.schema import SDR, Scenario
from salesim.scenario.units import Duration

# lead statuses and reasons, as written to the records
OPEN, CONVERTED, NURTURE, CLOSED = "open", "converted", "nurture", "closed"
STALE = "stale"
MAX_RESCHEDULES = 3
NAN = math.nan
# columns of a lead's row of outcome uniforms (per engagement)
U_ATTEMPTS, U_MEETING, U_RESCHEDULE, U_NO_SHOW, U_VALID, U_NURTURE = 0, 1, 2, 5, 6, 7
OUTCOME_COLUMNS = 8  # U_RESCHEDULE .. U_RESCHEDULE + MAX_RESCHEDULES - 1 are reschedules


@dataclass
class LeadBook:
    """The lead rows of one replication, as growing column lists (one row per engagement)."""

    lead_id: list[int] = field(default_factory=list)
    cycle: list[int] = field(default_factory=list)
    channel: list[int] = field(default_factory=list)
    segment: list[int] = field(default_factory=list)
    team: list[int] = field(default_factory=list)  # index of the SDR team working the row
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
            cost: float, created_at: float, attempts_needed: int, team: int = 0) -> int:
        self.lead_id.append(lead_id)
        self.cycle.append(cycle)
        self.channel.append(channel)
        self.segment.append(segment)
        self.team.append(team)
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
                 cost: np.ndarray, created_at: np.ndarray, attempts_needed: np.ndarray,
                 lead_id: np.ndarray | None = None, cycle: np.ndarray | None = None,
                 team: np.ndarray | None = None) -> np.ndarray:
        """Append rows in bulk and return their row numbers.

        Without ``lead_id`` and ``cycle`` they are new leads (cycle 0) whose ids
        follow the row numbers; without ``team`` they go to the first SDR team.
        """
        count = len(created_at)
        first = len(self.lead_id)
        if lead_id is None:
            self.lead_id.extend(range(first + 1, first + count + 1))
        else:
            self.lead_id.extend(lead_id.tolist())
        self.cycle.extend([0] * count if cycle is None else cycle.tolist())
        self.channel.extend(channel.tolist())
        self.segment.extend(segment.tolist())
        self.team.extend([0] * count if team is None else team.tolist())
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
        return np.arange(first, first + count)

    def __len__(self) -> int:
        return len(self.lead_id)


class SdrDesk:
    """The SDR team and its queue over one replication."""

    def __init__(self, scenario: Scenario, sdr: SDR, name: str, calendar: WorkCalendar,
                 roster: Roster, streams: RandomStreams, book: LeadBook,
                 on_nurture: Callable[[int, float], None], *, lead_count: int) -> None:
        """The desk of SDR team ``name`` with settings ``sdr``; its random streams are
        named after the team (``<name>/lead/outcomes``...) and keyed by lead id
        (``1 .. lead_count``) and cycle."""
        self.scenario = scenario
        self.name = name
        self.calendar = calendar
        self.roster = roster
        self.book = book
        self.on_nurture = on_nurture
        self.horizon = scenario.meta.horizon_days
        self.horizon_b = calendar.business_at(self.horizon)
        self.priority = sdr.queue == "score_priority"
        self.newest_first = sdr.queue == "newest_first"
        self.stale_after = sdr.stale_after
        self.future: list[tuple[float, int, int]] = []  # (due, sequence, row)
        self.arrival_rows: list[int] = []
        self.arrival_due: list[float] = []
        self.sequence = 0
        self.log: list[tuple[int, float, bool, float]] = []
        """One entry per call attempt: rep id, start (business clock), reached, busy time."""

        handle, lead_time = sdr.handle_time.sampler(), sdr.meeting_lead_time.sampler()
        self.outcomes = KeyedDraws(streams, f"{name}/lead/outcomes", lead_count,
                                   OUTCOME_COLUMNS)
        self.handle_times = KeyedDraws(streams, f"{name}/lead/handle_times", lead_count,
                                       sdr.attempts.max, handle.sample)
        self.lead_times = KeyedDraws(streams, f"{name}/lead/meeting_lead_times", lead_count,
                                     1 + MAX_RESCHEDULES, lead_time.sample)
        self.slot_of: dict[int, int] = {}
        """Per lead row queued at this desk, its slot in the two lists below."""
        self.slot_handles: list[float] = []  # slot x max_attempts + attempt - 1
        self.slot_outcomes: list[float] = []  # slot x OUTCOME_COLUMNS + column
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
        response = sdr_response(sdr.compensation, sdr.valid_rate.at(50))
        if response is not None:  # SDRs respond to their pay plan: salesim.model.behaviour
            self.meeting_rate = min(self.meeting_rate * response.meetings, 1.0)
            self.valid_multiplier = [m * response.valid for m in self.valid_multiplier]
        self.disqualified_to_nurture = scenario.recycle.disqualified_to_nurture
        self.unreached_to_nurture = scenario.recycle.unreached_to_nurture

    # ------------------------------------------------------------------ inputs

    def attempts_needed(self, lead_id: np.ndarray, cycle: np.ndarray) -> np.ndarray:
        """Attempt on which engagement ``cycle`` of each lead ``lead_id`` is first reached
        (``max + 1``: never): geometric, by inversion of the lead's own uniform."""
        count = len(lead_id)
        if self.contact_rate <= 0:
            return np.full(count, self.max_attempts + 1, dtype=np.int64)
        if self.contact_rate >= 1:
            return np.ones(count, dtype=np.int64)
        u = self.outcomes.rows(lead_id, cycle)[:, U_ATTEMPTS]
        needed = np.floor(np.log1p(-u) / math.log1p(-self.contact_rate)) + 1
        result: np.ndarray = np.minimum(needed, self.max_attempts + 1).astype(np.int64)
        return result

    def one_attempts_needed(self, lead_id: int, cycle: int) -> int:
        """:meth:`attempts_needed` of one lead's engagement."""
        if self.contact_rate <= 0:
            return self.max_attempts + 1
        if self.contact_rate >= 1:
            return 1
        u = self.outcomes.value(lead_id, cycle, U_ATTEMPTS)
        needed = math.floor(math.log1p(-u) / math.log1p(-self.contact_rate)) + 1
        return min(needed, self.max_attempts + 1)

    def _outcome_row(self, row: int) -> list[float]:
        first = self.slot_of[row] * OUTCOME_COLUMNS
        return self.slot_outcomes[first:first + OUTCOME_COLUMNS]

    def _take(self, rows: list[int]) -> None:
        """Give lead rows ``rows`` coming to this desk their slots: the handle time of
        each attempt and the outcome uniforms of their lead and cycle, gathered once as
        Python lists for the event loop."""
        if not rows:
            return
        book = self.book
        first = len(self.slot_of)
        self.slot_of.update(zip(rows, range(first, first + len(rows)), strict=True))
        if len(rows) == 1:  # a lead back from nurture
            lead_id, cycle = book.lead_id[rows[0]], book.cycle[rows[0]]
            self.slot_handles.extend(self.handle_times.row(lead_id, cycle))
            self.slot_outcomes.extend(self.outcomes.row(lead_id, cycle))
            return
        lead = np.asarray(book.lead_id, dtype=np.int64)[rows]
        cycles = np.asarray(book.cycle, dtype=np.int64)[rows]
        self.slot_handles.extend(self.handle_times.rows(lead, cycles).ravel().tolist())
        self.slot_outcomes.extend(self.outcomes.rows(lead, cycles).ravel().tolist())

    def _gap(self, gap: Duration) -> tuple[bool, float]:
        if gap.unit == "business_day":
            return True, gap.amount * self.calendar.business_day
        return False, gap.days

    def schedule_arrivals(self, rows: np.ndarray, created_at: np.ndarray) -> None:
        """Queue new lead rows (sorted by creation time) at their arrival."""
        self.arrival_rows = rows.tolist()
        self.arrival_due = self.calendar.to_business(created_at).tolist()
        self._take(self.arrival_rows)

    def arrive_many(self, rows: np.ndarray, created_at: np.ndarray) -> None:
        """Queue many rows that (re)appear at later calendar times."""
        due = self.calendar.to_business(created_at).tolist()
        self._take(rows.tolist())
        for row, at in zip(rows.tolist(), due, strict=True):
            self.sequence += 1
            self.future.append((at, self.sequence, row))
        heapq.heapify(self.future)

    def arrive_at(self, row: int, created_at: float) -> None:
        """Queue ``row`` when it (re)appears at calendar time ``created_at``."""
        self.sequence += 1
        self._take([row])
        heapq.heappush(self.future, (self.calendar.business_at(created_at), self.sequence, row))

    # ------------------------------------------------------------------ the event loop

    def run(self) -> None:
        """Run the desk to the horizon.

        Two kinds of event drive it: a seat becomes free (a call ends, a rep is
        hired) and a call falls due (a lead arrives, a follow-up is due). Events
        are taken in time order from two heaps; idle seats wait in a line and
        take due calls at once. Every queue, cadence and ramp rule is applied
        exactly; the loop is written flat, with local names, because it runs
        once per call attempt. During the run ``book.first_attempt_at`` holds
        business-clock times; :meth:`finalise` turns them into calendar times.
        """
        calendar = self.calendar
        roster = self.roster
        book = self.book
        hired_b = calendar.to_business(np.maximum(roster.hired_at, 0.0)).tolist()
        left_b = calendar.to_business(np.minimum(roster.left_at, 1e12)).tolist()
        edges_b = [calendar.to_business(np.asarray(roster.ramp_edges(seat))).tolist()
                   for seat in range(len(roster))]
        ramped_b = [edges[-1] for edges in edges_b]  # fully productive from here on
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
        newest_first = self.newest_first
        stale_after = self.stale_after
        stale_heap: list[tuple[float, int]] = []  # (deadline on the business clock, row)
        stale_rows: set[int] = set()
        created_of = book.created_at
        scores = book.score
        attempts = book.attempts
        needed_of = book.attempts_needed
        first_b = book.first_attempt_at  # business clock during the run, see run()
        sdr_id = book.sdr_id
        log = self.log.append
        ready_fifo: deque[int] = deque()
        ready_heap: list[tuple[float, int, int]] = []
        slot_of, slot_handles = self.slot_of, self.slot_handles
        max_attempts = self.max_attempts
        gaps = self.gaps
        last_gap = len(gaps) - 1
        finish = self.finish
        calendar_at = calendar.calendar_at
        business_at = calendar.business_at
        heappush, heappop = heapq.heappush, heapq.heappop
        infinity = math.inf
        sequence = 0

        while True:
            due = arrival_due[next_arrival] if next_arrival < arrivals else infinity
            if future and future[0][0] < due:
                due = future[0][0]
            now = free[0][0] if free else infinity
            if stale_heap and stale_heap[0][0] <= due and stale_heap[0][0] < now:
                deadline, row = heappop(stale_heap)
                if deadline >= horizon:
                    stale_heap.clear()
                elif attempts[row] == 0:
                    stale_rows.add(row)  # left in the ready queue; skipped when reached
                    self._disqualify(row, calendar_at(deadline), STALE,
                                     self.unreached_to_nurture)
                continue
            if now <= due:
                if now >= horizon:
                    break
                now, seat = heappop(free)
                if now >= left_b[seat]:
                    continue  # the rep has left
                if not (ready_fifo or ready_heap):
                    idle.append(seat)
                    continue
            else:
                if due >= horizon:
                    break
                # release every call due now into the ready queue
                while next_arrival < arrivals and arrival_due[next_arrival] <= due:
                    row = arrival_rows[next_arrival]
                    next_arrival += 1
                    if priority:
                        sequence += 1
                        heappush(ready_heap, (-scores[row], sequence, row))
                    else:
                        ready_fifo.append(row)
                    if stale_after is not None:
                        heappush(stale_heap, (self._stale_deadline(due, created_of[row]), row))
                while future and future[0][0] <= due:
                    row = heappop(future)[2]
                    if priority:
                        sequence += 1
                        heappush(ready_heap, (-scores[row], sequence, row))
                    else:
                        ready_fifo.append(row)
                    if stale_after is not None and attempts[row] == 0:
                        heappush(stale_heap, (self._stale_deadline(due, created_of[row]), row))
                while idle and left_b[idle[0]] <= due:
                    idle.popleft()
                if not idle:
                    continue
                seat = idle.popleft()
                now = due

            # seat takes the next call at time now
            if now < ramped_b[seat]:
                month = bisect_right(edges_b[seat], now)
                productivity = ramp[month]
                if productivity <= 0:  # not productive yet: back when the next month starts
                    heappush(free, (edges_b[seat][month], seat))
                    continue
            else:
                productivity = 1.0
            if priority:
                row = heappop(ready_heap)[2]
            else:
                row = ready_fifo.pop() if newest_first else ready_fifo.popleft()
            if stale_rows and row in stale_rows:
                stale_rows.discard(row)
                # the lead has gone stale: the seat takes the next call, or waits
                heappush(free, (now, seat))
                continue
            if idle and (ready_fifo or ready_heap):
                # more calls waiting: the next idle seat takes one at the same moment
                heappush(free, (now, idle.popleft()))
            attempt = attempts[row] + 1
            busy = slot_handles[slot_of[row] * max_attempts + attempt - 1] / productivity
            ended = now + busy
            heappush(free, (ended, seat))
            attempts[row] = attempt
            if attempt == 1:
                first_b[row] = now
                sdr_id[row] = rep_ids[seat]
            needed = needed_of[row]
            log((rep_ids[seat], now, attempt == needed, busy))
            if ended >= horizon:
                continue  # the call is still going on at the horizon: the lead stays open
            if attempt < needed and attempt < max_attempts:
                business, gap = gaps[attempt - 1 if attempt <= last_gap else last_gap]
                next_due = ended + gap if business else business_at(calendar_at(ended) + gap)
                self.sequence += 1
                heappush(future, (next_due, self.sequence, row))
            else:
                finish(row, calendar_at(ended), attempt == needed)

    def _stale_deadline(self, due_b: float, created_at: float) -> float:
        """When a lead that could first be called at business time ``due_b`` goes stale."""
        assert self.stale_after is not None
        if self.stale_after.unit == "business_day":
            return due_b + self.stale_after.amount * self.calendar.business_day
        return self.calendar.business_at(created_at + self.stale_after.days)

    def finalise(self) -> None:
        """Convert what the run kept on the business clock to calendar times."""
        first = np.asarray(self.book.first_attempt_at, dtype=float)
        done = ~np.isnan(first)
        first[done] = self.calendar.to_calendar(first[done])
        self.book.first_attempt_at = first.tolist()

    def speed_multiplier(self, minutes: float) -> float:
        index = bisect_left(self.speed_minutes, minutes)
        if index >= len(self.speed_multipliers):
            index = len(self.speed_multipliers) - 1
        return self.speed_multipliers[index]

    def finish(self, row: int, now: float, reached: bool) -> None:
        """Settle the fate of a lead whose last needed call ended at calendar time ``now``."""
        book = self.book
        if not reached:
            self._disqualify(row, now, "unreached", self.unreached_to_nurture)
            return
        u = self._outcome_row(row)
        book.contacted_at[row] = now
        first = self.calendar.calendar_at(book.first_attempt_at[row])
        speed = (first - book.created_at[row]) * 1440
        if u[U_MEETING] >= self.meeting_rate * self.speed_multiplier(speed):
            self._disqualify(row, now, "declined", self.disqualified_to_nurture)
            return
        book.meeting_set_at[row] = now
        lead_id, cycle = book.lead_id[row], book.cycle[row]
        waits = self.lead_times.values
        scheduled = self.calendar.next_working(now + waits(cycle, 0)[lead_id])
        reschedules = 0
        while reschedules < MAX_RESCHEDULES and \
                u[U_RESCHEDULE + reschedules] < self.reschedule_rate:
            reschedules += 1
            scheduled = self.calendar.next_working(
                scheduled + waits(cycle, reschedules)[lead_id])
        book.meeting_scheduled_for[row] = scheduled
        book.reschedules[row] = reschedules
        if scheduled >= self.horizon:
            return  # the meeting is still ahead at the horizon: the lead stays open
        if u[U_NO_SHOW] < self.no_show_rate:
            self._disqualify(row, scheduled, "no_show", self.disqualified_to_nurture)
            return
        book.meeting_held_at[row] = scheduled
        score = book.score[row]
        chance = (self.valid_low + (self.valid_high - self.valid_low) * score / 100) * \
            self.valid_multiplier[book.segment[row]]
        if u[U_VALID] < chance:
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
        if self.slot_outcomes[self.slot_of[row] * OUTCOME_COLUMNS + U_NURTURE] < nurture_share:
            book.status[row] = NURTURE
            self.on_nurture(row, at)
        else:
            book.status[row] = CLOSED
