"""Inside sales, inbound (SDR): where a lead is turned into a meeting.

The SDR desk is a multi-server queue on the business clock (working time only,
see :mod:`salesim.engine.calendar`). Every SDR seat takes the next call from a
shared queue (FIFO by due time, newest first, or highest lead score first), spends the handle
time on it (longer while the rep ramps), and schedules the lead's next attempt
on the cadence. A rep works from hire to leaving; a leaver's leads simply go
back to the shared queue. The desk is the hot loop of the engine (one pass per
call attempt), so it runs its own two-heap event loop rather than one simpy
process per seat, which profiling showed spending 80% of a replication in event
bookkeeping. The loop below is the readable reference; replications run the same
loop compiled (:mod:`salesim.model.sdr_kernel`, identical records), and
``simulate(..., engine="python")`` runs this one.

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
from dataclasses import dataclass

import numpy as np

from salesim.engine.calendar import WorkCalendar
from salesim.engine.random_streams import KeyedDraws, RandomStreams
from salesim.model.behaviour import sdr_response
from salesim.model.workforce import Roster
from salesim.records import LEAD_REASONS, LEAD_STATUSES
from salesim.scenario.schema import SDR, Scenario
from salesim.scenario.units import Duration

# lead statuses and reasons, as codes into the records' categories
OPEN, CONVERTED, NURTURE, CLOSED = (LEAD_STATUSES.index(name)
                                    for name in ("open", "converted", "nurture", "closed"))
NO_REASON, NOT_READY, UNREACHED, DECLINED, NO_SHOW, INVALID, STALE = (
    LEAD_REASONS.index(name)
    for name in ("", "not_ready", "unreached", "declined", "no_show", "invalid", "stale"))
MAX_RESCHEDULES = 3
NAN = math.nan
# columns of a lead's row of outcome uniforms (per engagement)
U_ATTEMPTS, U_MEETING, U_RESCHEDULE, U_NO_SHOW, U_VALID, U_NURTURE = 0, 1, 2, 5, 6, 7
OUTCOME_COLUMNS = 8  # U_RESCHEDULE .. U_RESCHEDULE + MAX_RESCHEDULES - 1 are reschedules

# the book's columns: name, type, value of a row not yet worked
_BOOK_COLUMNS: tuple[tuple[str, type, float], ...] = (
    ("lead_id", np.int64, 0), ("cycle", np.int64, 0), ("channel", np.int64, 0),
    ("segment", np.int64, 0), ("team", np.int64, 0), ("score", np.float64, NAN),
    ("cost", np.float64, NAN), ("created_at", np.float64, NAN), ("sdr_id", np.int64, -1),
    ("first_attempt_at", np.float64, NAN), ("attempts", np.int64, 0),
    ("attempts_needed", np.int64, 0), ("contacted_at", np.float64, NAN),
    ("meeting_set_at", np.float64, NAN), ("meeting_scheduled_for", np.float64, NAN),
    ("reschedules", np.int64, 0), ("meeting_held_at", np.float64, NAN),
    ("valid", np.float64, NAN), ("status", np.int8, OPEN), ("reason", np.int8, NO_REASON),
    ("ended_at", np.float64, NAN),
)
BOOK_COLUMNS = tuple(name for name, _, _ in _BOOK_COLUMNS)


class LeadBook:
    """The lead rows of one replication (one row per engagement of a lead), as numpy
    columns that grow as rows are added.

    Each column is an array with room for more rows than ``len(book)`` while the desks
    run (rows ``len(book)`` and on hold the values of a row not yet worked); :meth:`trim`
    cuts them to ``len(book)`` once no row is added any more. ``status`` and ``reason``
    hold codes into :data:`salesim.records.LEAD_STATUSES` and ``LEAD_REASONS``; ``valid``
    is NaN while unknown, 1.0 valid, 0.0 not.

    >>> book = LeadBook()
    >>> rows = book.add_many(np.array([0, 1]), np.zeros(2, dtype=np.int64),
    ...                      np.array([50.0, 70.0]), np.zeros(2), np.array([1.0, 2.0]),
    ...                      np.array([1, 2]))
    >>> book.add(2, 1, 1, 0, 70.0, 0.0, 90.0, 3)
    2
    >>> book.trim()
    >>> book.lead_id.tolist(), book.cycle.tolist(), LEAD_STATUSES[book.status[2]]
    ([1, 2, 2], [0, 0, 1], 'open')
    """

    lead_id: np.ndarray
    cycle: np.ndarray
    channel: np.ndarray
    segment: np.ndarray
    team: np.ndarray  # index of the SDR team working the row
    score: np.ndarray
    cost: np.ndarray
    created_at: np.ndarray
    sdr_id: np.ndarray
    first_attempt_at: np.ndarray
    attempts: np.ndarray
    attempts_needed: np.ndarray
    contacted_at: np.ndarray
    meeting_set_at: np.ndarray
    meeting_scheduled_for: np.ndarray
    reschedules: np.ndarray
    meeting_held_at: np.ndarray
    valid: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    ended_at: np.ndarray

    def __init__(self) -> None:
        self.length = 0
        """Rows in the book: the first ``length`` entries of each column."""
        for name, dtype, _ in _BOOK_COLUMNS:
            setattr(self, name, np.empty(0, dtype=dtype))

    def __len__(self) -> int:
        return self.length

    @property
    def capacity(self) -> int:
        """Rows the columns have room for."""
        return len(self.lead_id)

    def reserve(self, rows: int) -> None:
        """Make room for ``rows`` more rows than the book holds now."""
        needed = self.length + rows
        if needed <= self.capacity:
            return
        for name, dtype, fill in _BOOK_COLUMNS:
            grown: np.ndarray = np.full(needed, fill, dtype=dtype)
            grown[:self.length] = getattr(self, name)[:self.length]
            setattr(self, name, grown)

    def trim(self) -> None:
        """Cut every column to the rows the book holds."""
        for name in BOOK_COLUMNS:
            setattr(self, name, getattr(self, name)[:self.length])

    def add(self, lead_id: int, cycle: int, channel: int, segment: int, score: float,
            cost: float, created_at: float, attempts_needed: int, team: int = 0) -> int:
        """Append one row and return its row number."""
        if self.length == self.capacity:
            self.reserve(max(self.capacity, 16))
        row = self.length
        self.length += 1
        self.lead_id[row] = lead_id
        self.cycle[row] = cycle
        self.channel[row] = channel
        self.segment[row] = segment
        self.team[row] = team
        self.score[row] = score
        self.cost[row] = cost
        self.created_at[row] = created_at
        self.attempts_needed[row] = attempts_needed
        return row

    def add_many(self, channel: np.ndarray, segment: np.ndarray, score: np.ndarray,
                 cost: np.ndarray, created_at: np.ndarray, attempts_needed: np.ndarray,
                 lead_id: np.ndarray | None = None, cycle: np.ndarray | None = None,
                 team: np.ndarray | None = None) -> np.ndarray:
        """Append rows in bulk and return their row numbers.

        Without ``lead_id`` and ``cycle`` they are new leads (cycle 0) whose ids
        follow the row numbers; without ``team`` they go to the first SDR team.
        """
        count = len(created_at)
        first = self.length
        self.reserve(count)
        rows = slice(first, first + count)
        self.length += count
        self.lead_id[rows] = np.arange(first + 1, first + count + 1) if lead_id is None \
            else lead_id
        self.cycle[rows] = 0 if cycle is None else cycle
        self.channel[rows] = channel
        self.segment[rows] = segment
        self.team[rows] = 0 if team is None else team
        self.score[rows] = score
        self.cost[rows] = cost
        self.created_at[rows] = created_at
        self.attempts_needed[rows] = attempts_needed
        return np.arange(first, first + count)


@dataclass(frozen=True)
class _Later:
    """Rows queued to arrive later: when (business clock), in which order, which rows."""

    due: np.ndarray
    sequence: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class CallLog:
    """The call attempts of one desk's run, in the order they started: the rep, when the
    call started (business clock), whether it reached the lead, how long it took."""

    rep_id: np.ndarray
    start: np.ndarray
    reached: np.ndarray
    busy: np.ndarray

    @classmethod
    def of(cls, calls: list[tuple[int, float, bool, float]]) -> CallLog:
        """The log of ``calls``, one (rep id, start, reached, busy) tuple per attempt."""
        table = np.array(calls, dtype=float).reshape(-1, 4)
        return cls(table[:, 0].astype(np.int64), table[:, 1], table[:, 2] == 1.0, table[:, 3])

    def __len__(self) -> int:
        return len(self.rep_id)


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
        self.later = _Later(np.empty(0), np.empty(0, dtype=np.int64),
                            np.empty(0, dtype=np.int64))
        """Rows queued before the run to arrive later (due on the business clock)."""
        self.future: list[tuple[float, int, int]] = []  # during the run: (due, sequence, row)
        self.arrival_rows = np.empty(0, dtype=np.int64)
        self.arrival_due = np.empty(0)
        self.sequence = 0
        self.calls = CallLog.of([])
        """Every call attempt of the run."""

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
        u = self.outcomes.rows(lead_id, cycle, columns=U_ATTEMPTS + 1)[:, U_ATTEMPTS]
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
            lead_id, cycle = int(book.lead_id[rows[0]]), int(book.cycle[rows[0]])
            self.slot_handles.extend(self.handle_times.row(lead_id, cycle))
            self.slot_outcomes.extend(self.outcomes.row(lead_id, cycle))
            return
        lead, cycles = book.lead_id[rows], book.cycle[rows]
        self.slot_handles.extend(self.handle_times.rows(lead, cycles).ravel().tolist())
        self.slot_outcomes.extend(self.outcomes.rows(lead, cycles).ravel().tolist())

    def _gap(self, gap: Duration) -> tuple[bool, float]:
        if gap.unit == "business_day":
            return True, gap.amount * self.calendar.business_day
        return False, gap.days

    def schedule_arrivals(self, rows: np.ndarray, created_at: np.ndarray) -> None:
        """Queue new lead rows (sorted by creation time) at their arrival."""
        self.arrival_rows = np.asarray(rows, dtype=np.int64)
        self.arrival_due = self.calendar.to_business(created_at)

    def arrive_many(self, rows: np.ndarray, created_at: np.ndarray) -> None:
        """Queue many rows that (re)appear at later calendar times (before the run)."""
        sequence = self.sequence + np.arange(1, len(rows) + 1, dtype=np.int64)
        self.sequence += len(rows)
        self.later = _Later(np.concatenate([self.later.due, self.calendar.to_business(created_at)]),
                            np.concatenate([self.later.sequence, sequence]),
                            np.concatenate([self.later.rows, np.asarray(rows, dtype=np.int64)]))

    def arrive_at(self, row: int, created_at: float) -> None:
        """Queue ``row`` when it (re)appears at calendar time ``created_at`` (during the
        run)."""
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

        This is the reference version of the desk; :mod:`salesim.model.sdr_kernel` runs
        the same loop compiled, with identical results.
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
        future = self.future = list(zip(self.later.due.tolist(), self.later.sequence.tolist(),
                                        self.later.rows.tolist(), strict=True))
        heapq.heapify(future)
        arrival_rows, arrival_due = self.arrival_rows.tolist(), self.arrival_due.tolist()
        self._take(arrival_rows + self.later.rows.tolist())
        next_arrival = 0
        arrivals = len(arrival_rows)
        priority = self.priority
        newest_first = self.newest_first
        stale_after = self.stale_after
        stale_heap: list[tuple[float, int]] = []  # (deadline on the business clock, row)
        stale_rows: set[int] = set()
        calls: list[tuple[int, float, bool, float]] = []
        log = calls.append
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
                elif book.attempts[row] == 0:
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
                        heappush(ready_heap, (-book.score[row], sequence, row))
                    else:
                        ready_fifo.append(row)
                    if stale_after is not None:
                        heappush(stale_heap, (self._stale_deadline(due, book.created_at[row]), row))
                while future and future[0][0] <= due:
                    row = heappop(future)[2]
                    if priority:
                        sequence += 1
                        heappush(ready_heap, (-book.score[row], sequence, row))
                    else:
                        ready_fifo.append(row)
                    if stale_after is not None and book.attempts[row] == 0:
                        heappush(stale_heap, (self._stale_deadline(due, book.created_at[row]), row))
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
            attempt = int(book.attempts[row]) + 1
            busy = slot_handles[slot_of[row] * max_attempts + attempt - 1] / productivity
            ended = now + busy
            heappush(free, (ended, seat))
            book.attempts[row] = attempt
            if attempt == 1:
                book.first_attempt_at[row] = now  # business clock during the run
                book.sdr_id[row] = rep_ids[seat]
            needed = int(book.attempts_needed[row])
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
        self.calls = CallLog.of(calls)

    def _stale_deadline(self, due_b: float, created_at: float) -> float:
        """When a lead that could first be called at business time ``due_b`` goes stale."""
        assert self.stale_after is not None
        if self.stale_after.unit == "business_day":
            return due_b + self.stale_after.amount * self.calendar.business_day
        return self.calendar.business_at(created_at + self.stale_after.days)

    def finalise(self) -> None:
        """Convert what the run kept on the business clock to calendar times."""
        first = self.book.first_attempt_at[:len(self.book)]
        done = ~np.isnan(first)
        first[done] = self.calendar.to_calendar(first[done])

    def speed_multiplier(self, minutes: float) -> float:
        index = bisect_left(self.speed_minutes, minutes)
        if index >= len(self.speed_multipliers):
            index = len(self.speed_multipliers) - 1
        return self.speed_multipliers[index]

    def finish(self, row: int, now: float, reached: bool) -> None:
        """Settle the fate of a lead whose last needed call ended at calendar time ``now``."""
        book = self.book
        if not reached:
            self._disqualify(row, now, UNREACHED, self.unreached_to_nurture)
            return
        u = self._outcome_row(row)
        book.contacted_at[row] = now
        first = self.calendar.calendar_at(book.first_attempt_at[row])
        speed = (first - book.created_at[row]) * 1440
        if u[U_MEETING] >= self.meeting_rate * self.speed_multiplier(speed):
            self._disqualify(row, now, DECLINED, self.disqualified_to_nurture)
            return
        book.meeting_set_at[row] = now
        lead_id, cycle = int(book.lead_id[row]), int(book.cycle[row])
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
            self._disqualify(row, scheduled, NO_SHOW, self.disqualified_to_nurture)
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
            self._disqualify(row, scheduled, INVALID, self.disqualified_to_nurture)

    def _disqualify(self, row: int, at: float, reason: int, nurture_share: float) -> None:
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
