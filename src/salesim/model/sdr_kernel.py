"""The SDR desk's event loop, compiled with numba.

:meth:`salesim.model.sdr.SdrDesk.run` (with :meth:`~salesim.model.sdr.SdrDesk.finish`
and :meth:`salesim.model.recycle.NurturePool.nurture`) is the readable reference of the
desk; :func:`run_compiled` runs the same loop as machine code, with identical records
(tests/model/test_sdr_kernel.py runs both on small scenarios). Every rule, every
tie-break and every floating-point operation is the reference's, in the same order
(no fast-math), so the two agree bit for bit. Only the way data is held differs:

* the lead book's numpy columns are written in place; a row that nurture adds during
  the run goes into room reserved before it;
* the random draws a row may need are gathered before the run into *slots*, one per
  engagement (lead and cycle) that can happen at this desk. A lead comes back for
  cycle ``c + 1`` only if its come-back uniform of cycle ``c`` is below the reengage
  rate and its return falls before the horizon (it returns no earlier than its first
  creation plus its delays), so every engagement the run may create is known, as an
  upper bound, before it starts, and only the cycles some lead can reach are drawn;
* the heaps are binary heaps on arrays ordered as the reference's :mod:`heapq` tuples
  (a key, then a tie-break that is unique within the heap, so the order is total and
  the entries come out in the same order), the ready line and the idle seats are ring
  buffers, the stale set a flag per row.

Compiled code is cached next to this module (``cache=True``): the first call in a fresh
checkout compiles (seconds), every later process loads it. numba checks this file's
stamp only, not the modules it takes constants from (``salesim.model.sdr``); the
equivalence test catches a stale cache after such a change (delete ``__pycache__``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from salesim.model.recycle import NurturePool
from salesim.model.sdr import (
    CLOSED,
    CONVERTED,
    DECLINED,
    INVALID,
    MAX_RESCHEDULES,
    NO_SHOW,
    NURTURE,
    STALE,
    U_ATTEMPTS,
    U_MEETING,
    U_NO_SHOW,
    U_NURTURE,
    U_RESCHEDULE,
    U_VALID,
    UNREACHED,
    CallLog,
    SdrDesk,
)

# entries of the run's counters (one int64 array shared by the kernel's functions)
LENGTH, SEQUENCE, REENGAGED, OVERFLOW = 0, 1, 2, 3
# how stale deadlines count: not at all, in business days, in calendar time
NEVER_STALE, STALE_BUSINESS, STALE_CALENDAR = 0, 1, 2
# a return this close after the horizon still gets a slot: room for rounding in the bound
_RETURN_SLACK_DAYS = 1e-6


class Book(NamedTuple):
    """The lead book's columns (:class:`salesim.model.sdr.LeadBook`), with room to grow."""

    lead_id: np.ndarray
    cycle: np.ndarray
    channel: np.ndarray
    segment: np.ndarray
    team: np.ndarray
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


class Clock(NamedTuple):
    """The working calendar's intervals (:class:`salesim.engine.calendar.WorkCalendar`)."""

    opens: np.ndarray
    closes: np.ndarray
    work_before: np.ndarray


class Seats(NamedTuple):
    """The desk's roster on the business clock: one entry (row) per seat."""

    hired: np.ndarray
    left: np.ndarray
    ramp_edges: np.ndarray  # seats x ramp months: when each next ramp month starts
    ramp: np.ndarray  # productivity in each ramp month
    rep_id: np.ndarray


class Rules(NamedTuple):
    """The desk's and the nurture pool's settings."""

    horizon: float  # calendar clock
    horizon_b: float  # business clock
    priority: bool
    newest_first: bool
    stale: int  # NEVER_STALE, STALE_BUSINESS or STALE_CALENDAR
    stale_business: float  # the stale time on the business clock (STALE_BUSINESS)
    stale_days: float  # the stale time in calendar days (STALE_CALENDAR)
    gap_business: np.ndarray  # per cadence gap: counted on the business clock?
    gap: np.ndarray  # per cadence gap: its length on that clock
    speed_minutes: np.ndarray
    speed_multipliers: np.ndarray
    meeting_rate: float
    reschedule_rate: float
    no_show_rate: float
    valid_low: float
    valid_high: float
    valid_multiplier: np.ndarray  # per segment
    disqualified_to_nurture: float
    unreached_to_nurture: float
    max_attempts: int
    contact_rate: float
    log_miss: float  # log1p(-contact_rate), for the attempts needed
    reengage_rate: float
    max_cycles: int


class Draws(NamedTuple):
    """The random draws of each slot (an engagement that can happen at this desk)."""

    handle: np.ndarray  # slots x max attempts: the handle time of each attempt
    outcome: np.ndarray  # slots x OUTCOME_COLUMNS uniforms
    lead_time: np.ndarray  # slots x (1 + MAX_RESCHEDULES) meeting lead times
    comes_back: np.ndarray  # the nurture pool's come-back uniform
    delay: np.ndarray  # the nurture pool's delay before coming back
    next_slot: np.ndarray  # the same lead's slot one cycle later (-1: cannot happen)


class Queued(NamedTuple):
    """What is queued at the desk when the run starts, and each row's slot."""

    arrival_rows: np.ndarray  # new leads, in arrival order
    arrival_due: np.ndarray  # their arrival on the business clock
    future_due: np.ndarray  # rows due later (back from nurture): business clock
    future_sequence: np.ndarray
    future_rows: np.ndarray
    row_slot: np.ndarray  # per book row (with room to grow): its slot, -1 for none


# ----------------------------------------------------------------------------- scalar helpers


@njit(cache=True)
def _bisect_right(values: np.ndarray, x: float) -> int:
    low, high = 0, len(values)
    while low < high:
        middle = (low + high) // 2
        if x < values[middle]:
            high = middle
        else:
            low = middle + 1
    return low


@njit(cache=True)
def _bisect_left(values: np.ndarray, x: float) -> int:
    low, high = 0, len(values)
    while low < high:
        middle = (low + high) // 2
        if values[middle] < x:
            low = middle + 1
        else:
            high = middle
    return low


@njit(cache=True)
def business_at(clock: Clock, t: float) -> float:
    """:meth:`WorkCalendar.business_at`, compiled."""
    index = _bisect_right(clock.opens, t) - 1
    if index < 0:
        return 0.0
    opened = clock.opens[index]
    inside = t - opened
    if inside < 0.0:  # max(t - opened, 0.0)
        inside = 0.0
    length = clock.closes[index] - opened
    if length < inside:  # min(inside, length)
        inside = length
    result: float = clock.work_before[index] + inside
    return result


@njit(cache=True)
def calendar_at(clock: Clock, b: float) -> float:
    """:meth:`WorkCalendar.calendar_at`, compiled."""
    index = _bisect_right(clock.work_before, b) - 1
    if index < 0:
        index = 0
    result: float = clock.opens[index] + (b - clock.work_before[index])
    return result


@njit(cache=True)
def next_working(clock: Clock, t: float) -> float:
    """:meth:`WorkCalendar.next_working`, compiled."""
    result: float = calendar_at(clock, business_at(clock, t))
    return result


@njit(cache=True)
def attempts_needed(rules: Rules, u: float) -> int:
    """:meth:`SdrDesk.one_attempts_needed` from the engagement's uniform ``u``."""
    if rules.contact_rate <= 0:
        return int(rules.max_attempts + 1)
    if rules.contact_rate >= 1:
        return 1
    needed = math.floor(math.log1p(-u) / rules.log_miss) + 1
    return int(min(needed, rules.max_attempts + 1))


@njit(cache=True)
def _speed_multiplier(rules: Rules, minutes: float) -> float:
    index = _bisect_left(rules.speed_minutes, minutes)
    if index >= len(rules.speed_multipliers):
        index = len(rules.speed_multipliers) - 1
    result: float = rules.speed_multipliers[index]
    return result


@njit(cache=True)
def _stale_deadline(rules: Rules, clock: Clock, due_b: float, created_at: float) -> float:
    if rules.stale == STALE_BUSINESS:
        return due_b + rules.stale_business
    result: float = business_at(clock, created_at + rules.stale_days)
    return result


@njit(cache=True)
def _grown(values: np.ndarray) -> np.ndarray:
    return np.concatenate((values, np.empty_like(values)))


# A heap is three arrays (key, tie, item) and a size held by the caller: a binary
# min-heap of its first ``size`` entries ordered by key, then tie.


@njit(cache=True)
def _heap(capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    capacity = max(capacity, 16)
    return np.empty(capacity), np.empty(capacity, dtype=np.int64), \
        np.empty(capacity, dtype=np.int64)


@njit(cache=True)
def _before(key: float, tie: int, other_key: float, other_tie: int) -> bool:
    """(key, tie) < (other_key, other_tie), as tuples compare."""
    return key < other_key or (key == other_key and tie < other_tie)


@njit(cache=True)
def _push(keys: np.ndarray, ties: np.ndarray, items: np.ndarray, size: int, key: float,
          tie: int, item: int) -> int:
    """Add an entry to a heap with room for it; returns the new size."""
    position = size
    while position > 0:
        parent = (position - 1) >> 1
        if not _before(key, tie, keys[parent], ties[parent]):
            break
        keys[position], ties[position], items[position] = \
            keys[parent], ties[parent], items[parent]
        position = parent
    keys[position], ties[position], items[position] = key, tie, item
    return size + 1


@njit(cache=True)
def _pop(keys: np.ndarray, ties: np.ndarray, items: np.ndarray, size: int) -> int:
    """Remove the smallest entry (entry 0: read it first); returns the new size."""
    size -= 1
    key, tie, item = keys[size], ties[size], items[size]
    position = 0
    while True:
        child = 2 * position + 1
        if child >= size:
            break
        if child + 1 < size and _before(keys[child + 1], ties[child + 1], keys[child],
                                        ties[child]):
            child += 1
        if not _before(keys[child], ties[child], key, tie):
            break
        keys[position], ties[position], items[position] = keys[child], ties[child], items[child]
        position = child
    keys[position], ties[position], items[position] = key, tie, item
    return size


@njit(cache=True)
def _room(keys: np.ndarray, ties: np.ndarray, items: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The heap's arrays with room for twice as many entries."""
    return _grown(keys), _grown(ties), _grown(items)


@njit(cache=True)
def _pushed(keys: np.ndarray, ties: np.ndarray, items: np.ndarray, size: int, key: float,
            tie: int, item: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """:func:`_push`, first making room when the heap is full: the heap's arrays (new
    ones if it grew) and its new size."""
    if size == len(keys):
        keys, ties, items = _room(keys, ties, items)
    return keys, ties, items, _push(keys, ties, items, size, key, tie, item)


# ----------------------------------------------------------------------------- lead fates


@njit(cache=True, inline="always")  # inlined: its arguments are many arrays
def _nurture(row: int, at: float, book: Book, rules: Rules, draws: Draws, queued: Queued,
             state: np.ndarray) -> int:
    """:meth:`NurturePool.nurture`: row ``row`` entered the pool at calendar time ``at``.
    Returns the row added for the lead's next engagement (to be queued when it is
    created), -1 for none."""
    slot = queued.row_slot[row]
    cycle = book.cycle[row]
    if cycle >= rules.max_cycles or draws.comes_back[slot] >= rules.reengage_rate:
        return -1
    comes_back = at + draws.delay[slot]
    if comes_back >= rules.horizon:
        return -1
    later = draws.next_slot[slot]
    new_row: int = state[LENGTH]
    if later < 0 or new_row >= len(book.lead_id):
        state[OVERFLOW] = 1  # cannot happen: the bound before the run says otherwise
        return -1
    state[LENGTH] = new_row + 1
    book.lead_id[new_row] = book.lead_id[row]
    book.cycle[new_row] = cycle + 1
    book.channel[new_row] = book.channel[row]
    book.segment[new_row] = book.segment[row]
    book.team[new_row] = book.team[row]
    book.score[new_row] = book.score[row]
    book.cost[new_row] = 0.0
    book.created_at[new_row] = comes_back
    book.attempts_needed[new_row] = attempts_needed(rules, draws.outcome[later, U_ATTEMPTS])
    queued.row_slot[new_row] = later
    state[REENGAGED] += 1
    return new_row


@njit(cache=True, inline="always")  # reason: np.int8, one type for every code
def _disqualify(row: int, at: float, reason: np.int8, nurture_share: float, book: Book,
                rules: Rules, draws: Draws, queued: Queued, state: np.ndarray) -> int:
    """:meth:`SdrDesk._disqualify`; returns the row nurture added, -1 for none."""
    if at >= rules.horizon:
        return -1
    book.reason[row] = reason
    book.ended_at[row] = at
    if draws.outcome[queued.row_slot[row], U_NURTURE] < nurture_share:
        book.status[row] = NURTURE
        return _nurture(row, at, book, rules, draws, queued, state)
    book.status[row] = CLOSED
    return -1


@njit(cache=True, inline="always")
def _finish(row: int, now: float, reached: bool, book: Book, rules: Rules, clock: Clock,
            draws: Draws, queued: Queued, state: np.ndarray) -> int:
    """:meth:`SdrDesk.finish`: the last needed call of ``row`` ended at calendar ``now``.
    Returns the row nurture added, -1 for none."""
    if not reached:
        return _disqualify(row, now, np.int8(UNREACHED), rules.unreached_to_nurture, book,
                           rules, draws, queued, state)
    slot = queued.row_slot[row]
    u = draws.outcome[slot]
    book.contacted_at[row] = now
    first = calendar_at(clock, book.first_attempt_at[row])
    speed = (first - book.created_at[row]) * 1440
    if u[U_MEETING] >= rules.meeting_rate * _speed_multiplier(rules, speed):
        return _disqualify(row, now, np.int8(DECLINED), rules.disqualified_to_nurture, book,
                           rules, draws, queued, state)
    book.meeting_set_at[row] = now
    scheduled = next_working(clock, now + draws.lead_time[slot, 0])
    reschedules = 0
    while reschedules < MAX_RESCHEDULES and \
            u[U_RESCHEDULE + reschedules] < rules.reschedule_rate:
        reschedules += 1
        scheduled = next_working(clock, scheduled + draws.lead_time[slot, reschedules])
    book.meeting_scheduled_for[row] = scheduled
    book.reschedules[row] = reschedules
    if scheduled >= rules.horizon:
        return -1  # the meeting is still ahead at the horizon: the lead stays open
    if u[U_NO_SHOW] < rules.no_show_rate:
        return _disqualify(row, scheduled, np.int8(NO_SHOW), rules.disqualified_to_nurture,
                           book, rules, draws, queued, state)
    book.meeting_held_at[row] = scheduled
    score = book.score[row]
    chance = (rules.valid_low + (rules.valid_high - rules.valid_low) * score / 100) * \
        rules.valid_multiplier[book.segment[row]]
    if u[U_VALID] < chance:
        book.valid[row] = 1.0
        book.status[row] = CONVERTED
        book.ended_at[row] = scheduled
        return -1
    book.valid[row] = 0.0
    return _disqualify(row, scheduled, np.int8(INVALID), rules.disqualified_to_nurture, book,
                       rules, draws, queued, state)


# ----------------------------------------------------------------------------- the event loop


@njit(cache=True)
def run_desk(book: Book, rules: Rules, clock: Clock, seats: Seats, draws: Draws,
             queued: Queued, state: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """:meth:`SdrDesk.run`, compiled: run the desk to the horizon.

    ``state`` holds the book's length, the desk's sequence counter, the rows
    re-engaged and an overflow flag, updated in place. Returns the call log (rep id,
    start on the business clock, reached, busy time; the first ``count`` entries) and
    ``count``.
    """
    horizon = rules.horizon_b
    seat_count = len(seats.hired)
    capacity = len(book.lead_id)
    infinity = np.inf

    # the heaps, each three arrays and a size: free seats (time, seat, seat; a seat is in
    # it or idle or gone, so it never grows), calls due later (due, sequence, row), the
    # ready queue under score priority (-score, sequence, row), stale deadlines
    # (deadline, row, row)
    free_key, free_tie, free_item = _heap(seat_count)
    free_size = 0
    for seat in range(seat_count):
        free_size = _push(free_key, free_tie, free_item, free_size, seats.hired[seat], seat, seat)
    ramped = np.empty(seat_count)
    for seat in range(seat_count):
        ramped[seat] = seats.ramp_edges[seat, -1]  # fully productive from here on
    idle = np.empty(max(seat_count, 1), dtype=np.int64)  # ring buffer of waiting seats
    idle_head, idle_count = 0, 0

    future_key, future_tie, future_item = _heap(2 * len(queued.future_rows) + 1024)
    future_size = 0
    for index in range(len(queued.future_rows)):
        future_size = _push(future_key, future_tie, future_item, future_size,
                            queued.future_due[index], queued.future_sequence[index],
                            queued.future_rows[index])
    arrivals = len(queued.arrival_rows)
    next_arrival = 0

    ready = np.empty(max(capacity, 1), dtype=np.int64)  # ring buffer: fifo / newest first
    ready_head, ready_count = 0, 0
    ready_key, ready_tie, ready_item = _heap(1024 if rules.priority else 0)
    ready_size = 0
    sequence = 0
    stale_key, stale_tie, stale_item = _heap(1024 if rules.stale != NEVER_STALE else 0)
    stale_size = 0
    stale = np.zeros(capacity, dtype=np.bool_)  # left the queue stale, still in the line

    calls = 0
    size = max(2 * arrivals + 2 * len(queued.future_rows), 64)
    log_rep = np.empty(size, dtype=np.int64)
    log_start = np.empty(size)
    log_reached = np.empty(size, dtype=np.bool_)
    log_busy = np.empty(size)
    last_gap = len(rules.gap) - 1

    while True:
        due = queued.arrival_due[next_arrival] if next_arrival < arrivals else infinity
        if future_size > 0 and future_key[0] < due:
            due = future_key[0]
        now = free_key[0] if free_size > 0 else infinity
        if stale_size > 0 and stale_key[0] <= due and stale_key[0] < now:
            deadline, row = stale_key[0], stale_item[0]
            stale_size = _pop(stale_key, stale_tie, stale_item, stale_size)
            added = -1
            if deadline >= horizon:
                stale_size = 0
            elif book.attempts[row] == 0:
                stale[row] = True  # left in the ready queue; skipped when reached
                added = _disqualify(row, calendar_at(clock, deadline), np.int8(STALE),
                                    rules.unreached_to_nurture, book, rules, draws, queued,
                                    state)
            if added >= 0:  # back from nurture later: SdrDesk.arrive_at
                state[SEQUENCE] += 1
                future_key, future_tie, future_item, future_size = _pushed(
                    future_key, future_tie, future_item, future_size,
                    business_at(clock, book.created_at[added]), state[SEQUENCE], added)
            continue
        if now <= due:
            if now >= horizon:
                break
            now, seat = free_key[0], free_item[0]
            free_size = _pop(free_key, free_tie, free_item, free_size)
            if now >= seats.left[seat]:
                continue  # the rep has left
            if ready_count == 0 and ready_size == 0:
                idle[(idle_head + idle_count) % len(idle)] = seat
                idle_count += 1
                continue
        else:
            if due >= horizon:
                break
            # release every call due now into the ready queue
            while next_arrival < arrivals and queued.arrival_due[next_arrival] <= due:
                row = queued.arrival_rows[next_arrival]
                next_arrival += 1
                if rules.priority:
                    sequence += 1
                    ready_key, ready_tie, ready_item, ready_size = _pushed(
                        ready_key, ready_tie, ready_item, ready_size,
                        -book.score[row], sequence, row)
                else:
                    ready[(ready_head + ready_count) % len(ready)] = row
                    ready_count += 1
                if rules.stale != NEVER_STALE:
                    stale_key, stale_tie, stale_item, stale_size = _pushed(
                        stale_key, stale_tie, stale_item, stale_size,
                        _stale_deadline(rules, clock, due, book.created_at[row]), row, row)
            while future_size > 0 and future_key[0] <= due:
                row = future_item[0]
                future_size = _pop(future_key, future_tie, future_item, future_size)
                if rules.priority:
                    sequence += 1
                    ready_key, ready_tie, ready_item, ready_size = _pushed(
                        ready_key, ready_tie, ready_item, ready_size,
                        -book.score[row], sequence, row)
                else:
                    ready[(ready_head + ready_count) % len(ready)] = row
                    ready_count += 1
                if rules.stale != NEVER_STALE and book.attempts[row] == 0:
                    stale_key, stale_tie, stale_item, stale_size = _pushed(
                        stale_key, stale_tie, stale_item, stale_size,
                        _stale_deadline(rules, clock, due, book.created_at[row]), row, row)
            while idle_count > 0 and seats.left[idle[idle_head]] <= due:
                idle_head = (idle_head + 1) % len(idle)
                idle_count -= 1
            if idle_count == 0:
                continue
            seat = idle[idle_head]
            idle_head = (idle_head + 1) % len(idle)
            idle_count -= 1
            now = due

        # seat takes the next call at time now
        if now < ramped[seat]:
            month = _bisect_right(seats.ramp_edges[seat], now)
            productivity = seats.ramp[month]
            if productivity <= 0:  # not productive yet: back when the next month starts
                free_size = _push(free_key, free_tie, free_item, free_size,
                                  seats.ramp_edges[seat, month], seat, seat)
                continue
        else:
            productivity = 1.0
        if rules.priority:
            row = ready_item[0]
            ready_size = _pop(ready_key, ready_tie, ready_item, ready_size)
        elif rules.newest_first:
            ready_count -= 1
            row = ready[(ready_head + ready_count) % len(ready)]
        else:
            row = ready[ready_head]
            ready_head = (ready_head + 1) % len(ready)
            ready_count -= 1
        if stale[row]:
            stale[row] = False
            # the lead has gone stale: the seat takes the next call, or waits
            free_size = _push(free_key, free_tie, free_item, free_size, now, seat, seat)
            continue
        if idle_count > 0 and (ready_count > 0 or ready_size > 0):
            # more calls waiting: the next idle seat takes one at the same moment
            free_size = _push(free_key, free_tie, free_item, free_size, now, idle[idle_head],
                              idle[idle_head])
            idle_head = (idle_head + 1) % len(idle)
            idle_count -= 1
        attempt = book.attempts[row] + 1
        busy = draws.handle[queued.row_slot[row], attempt - 1] / productivity
        ended = now + busy
        free_size = _push(free_key, free_tie, free_item, free_size, ended, seat, seat)
        book.attempts[row] = attempt
        if attempt == 1:
            book.first_attempt_at[row] = now  # business clock during the run
            book.sdr_id[row] = seats.rep_id[seat]
        needed = book.attempts_needed[row]
        if calls == len(log_rep):
            log_rep, log_start = _grown(log_rep), _grown(log_start)
            log_reached, log_busy = _grown(log_reached), _grown(log_busy)
        log_rep[calls] = seats.rep_id[seat]
        log_start[calls] = now
        log_reached[calls] = attempt == needed
        log_busy[calls] = busy
        calls += 1
        if ended >= horizon:
            continue  # the call is still going on at the horizon: the lead stays open
        if attempt < needed and attempt < rules.max_attempts:
            gap = attempt - 1 if attempt <= last_gap else last_gap
            if rules.gap_business[gap]:
                next_due = ended + rules.gap[gap]
            else:
                next_due = business_at(clock, calendar_at(clock, ended) + rules.gap[gap])
            state[SEQUENCE] += 1
            future_key, future_tie, future_item, future_size = _pushed(
                future_key, future_tie, future_item, future_size,
                next_due, state[SEQUENCE], row)
        else:
            added = _finish(row, calendar_at(clock, ended), attempt == needed, book, rules,
                            clock, draws, queued, state)
            if added >= 0:  # back from nurture later: SdrDesk.arrive_at
                state[SEQUENCE] += 1
                future_key, future_tie, future_item, future_size = _pushed(
                    future_key, future_tie, future_item, future_size,
                    business_at(clock, book.created_at[added]), state[SEQUENCE], added)
    return log_rep, log_start, log_reached, log_busy, calls


# ----------------------------------------------------------------------------- the driver


def _engagements(desk: SdrDesk, pool: NurturePool) -> list[np.ndarray]:
    """Per cycle, the lead ids (sorted) whose engagement of that cycle can be worked at
    ``desk`` in this run: those queued now, and those nurture may bring back."""
    book = desk.book
    queued_rows = np.concatenate([desk.arrival_rows, desk.later.rows])
    lead, cycle = book.lead_id[queued_rows], book.cycle[queued_rows]
    created = book.created_at[queued_rows]
    found: list[np.ndarray] = []
    leads, earliest = np.empty(0, dtype=np.int64), np.empty(0)  # earliest: creation, bound
    while True:
        now = len(found)  # the cycle
        leads = np.concatenate([leads, lead[cycle == now]])
        earliest = np.concatenate([earliest, created[cycle == now]])
        if found and not len(leads) and not (cycle > now).any():
            return found  # (cycle 0 always, even with no lead)
        order = np.lexsort((earliest, leads))
        leads, earliest = leads[order], earliest[order]
        first = np.ones(len(leads), dtype=bool)  # the earliest of each lead
        first[1:] = leads[1:] != leads[:-1]
        leads, earliest = leads[first], earliest[first]
        found.append(leads)
        if now >= pool.max_cycles:
            leads, earliest = leads[:0], earliest[:0]
            continue
        back = pool.comes_back.column(now, 0)[leads] < pool.rate
        # a lead leaves the pool no earlier than it was created, so it returns no earlier
        # than its creation plus the delay (rounded the same way: the bound holds)
        earliest = earliest + pool.delays.column(now, 0)[leads]
        keep = back & (earliest < pool.horizon + _RETURN_SLACK_DAYS)
        leads, earliest = leads[keep], earliest[keep]


def _draws(desk: SdrDesk, pool: NurturePool, engagements: list[np.ndarray]
           ) -> tuple[Draws, np.ndarray]:
    """The draws of every slot, and the first slot of each cycle."""
    handle, outcome, lead_time, comes_back, delay, next_slot = [], [], [], [], [], []
    first_slot = np.cumsum([0] + [len(leads) for leads in engagements])
    for cycle, leads in enumerate(engagements):
        handle.append(desk.handle_times.take(leads, cycle))
        outcome.append(desk.outcomes.take(leads, cycle))
        lead_time.append(desk.lead_times.take(leads, cycle))
        if cycle < pool.max_cycles:
            comes_back.append(pool.comes_back.column(cycle, 0)[leads])
            delay.append(pool.delays.column(cycle, 0)[leads])
        else:
            comes_back.append(np.full(len(leads), np.nan))
            delay.append(np.full(len(leads), np.nan))
        later = engagements[cycle + 1] if cycle + 1 < len(engagements) else leads[:0]
        position = np.searchsorted(later, leads)
        found = position < len(later)
        found[found] = later[position[found]] == leads[found]
        next_slot.append(np.where(found, first_slot[cycle + 1] + position, -1))
    draws = Draws(
        handle=np.ascontiguousarray(np.concatenate(handle)),
        outcome=np.ascontiguousarray(np.concatenate(outcome)),
        lead_time=np.ascontiguousarray(np.concatenate(lead_time)),
        comes_back=np.concatenate(comes_back), delay=np.concatenate(delay),
        next_slot=np.concatenate(next_slot).astype(np.int64))
    return draws, first_slot


def _rules(desk: SdrDesk, pool: NurturePool) -> Rules:
    stale_after = desk.stale_after
    stale = NEVER_STALE if stale_after is None else \
        STALE_BUSINESS if stale_after.unit == "business_day" else STALE_CALENDAR
    business_day = desk.calendar.business_day
    contact_rate = float(desk.contact_rate)
    return Rules(
        horizon=float(desk.horizon), horizon_b=float(desk.horizon_b),
        priority=bool(desk.priority), newest_first=bool(desk.newest_first), stale=stale,
        stale_business=float(stale_after.amount * business_day)
        if stale_after is not None and stale == STALE_BUSINESS else 0.0,
        stale_days=float(stale_after.days)
        if stale_after is not None and stale == STALE_CALENDAR else 0.0,
        gap_business=np.array([business for business, _ in desk.gaps], dtype=np.bool_),
        gap=np.array([gap for _, gap in desk.gaps], dtype=float),
        speed_minutes=np.asarray(desk.speed_minutes, dtype=float),
        speed_multipliers=np.asarray(desk.speed_multipliers, dtype=float),
        meeting_rate=float(desk.meeting_rate), reschedule_rate=float(desk.reschedule_rate),
        no_show_rate=float(desk.no_show_rate), valid_low=float(desk.valid_low),
        valid_high=float(desk.valid_high),
        valid_multiplier=np.asarray(desk.valid_multiplier, dtype=float),
        disqualified_to_nurture=float(desk.disqualified_to_nurture),
        unreached_to_nurture=float(desk.unreached_to_nurture),
        max_attempts=int(desk.max_attempts), contact_rate=contact_rate,
        log_miss=math.log1p(-contact_rate) if 0 < contact_rate < 1 else 0.0,
        reengage_rate=float(pool.rate), max_cycles=int(pool.max_cycles))


def _seats(desk: SdrDesk) -> Seats:
    calendar, roster = desk.calendar, desk.roster
    edges = np.array([roster.ramp_edges(seat) for seat in range(len(roster))], dtype=float)
    return Seats(
        hired=calendar.to_business(np.maximum(roster.hired_at, 0.0)).astype(float),
        left=calendar.to_business(np.minimum(roster.left_at, 1e12)).astype(float),
        ramp_edges=np.ascontiguousarray(
            calendar.to_business(edges.reshape(len(roster), len(roster.ramp)))),
        ramp=np.asarray(roster.ramp, dtype=float),
        rep_id=np.asarray(roster.rep_ids, dtype=np.int64))


def run_compiled(desk: SdrDesk, pool: NurturePool) -> None:
    """Run ``desk`` to the horizon as :meth:`SdrDesk.run` does (same records), compiled.

    The rows nurture brings back during the run are added to the desk's book and
    counted in ``pool.reengaged``; the calls are kept in ``desk.calls``.
    """
    book = desk.book
    engagements = _engagements(desk, pool)
    draws, first_slot = _draws(desk, pool, engagements)
    book.reserve(int(first_slot[-1] - first_slot[1]) if len(first_slot) > 1 else 0)
    row_slot = np.full(book.capacity, -1, dtype=np.int64)
    for rows in (desk.arrival_rows, desk.later.rows):
        row_slot[rows] = _slots_of(engagements, first_slot, book.lead_id[rows], book.cycle[rows])
    queued = Queued(
        arrival_rows=np.asarray(desk.arrival_rows, dtype=np.int64),
        arrival_due=np.asarray(desk.arrival_due, dtype=float),
        future_due=desk.later.due.astype(float), future_sequence=desk.later.sequence,
        future_rows=desk.later.rows, row_slot=row_slot)
    columns = Book(*(getattr(book, name) for name in Book._fields))
    calendar = desk.calendar
    clock = Clock(np.asarray(calendar.opens, dtype=float),
                  np.asarray(calendar.closes, dtype=float),
                  np.asarray(calendar.work_before, dtype=float))
    state = np.array([len(book), desk.sequence, 0, 0], dtype=np.int64)
    rep, start, reached, busy, count = run_desk(columns, _rules(desk, pool), clock,
                                                _seats(desk), draws, queued, state)
    if state[OVERFLOW]:
        raise RuntimeError(f"SDR desk {desk.name}: a lead came back for an engagement "
                           "the bound before the run did not foresee")
    book.length = int(state[LENGTH])
    desk.sequence = int(state[SEQUENCE])
    pool.reengaged += int(state[REENGAGED])
    desk.calls = CallLog(rep[:count], start[:count], reached[:count], busy[:count])


def _slots_of(engagements: list[np.ndarray], first_slot: np.ndarray, lead: np.ndarray,
              cycle: np.ndarray) -> np.ndarray:
    """The slot of each (lead, cycle) engagement."""
    slots = np.empty(len(lead), dtype=np.int64)
    for value in np.unique(cycle).tolist():
        mine = cycle == value
        slots[mine] = first_slot[value] + np.searchsorted(engagements[value], lead[mine])
    return slots
