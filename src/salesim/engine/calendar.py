"""Working time: when people can work, and the conversion between two clocks.

The simulation clock counts calendar days from the scenario start. Human work
happens only in working hours, so teams run on a *business clock* that counts
working time only (in days of working time). A lead arriving on Saturday sits at
the same business time as Monday's opening, which is exactly when an SDR can
first call it. Conversions are vectorised (``numpy.searchsorted`` over the
working intervals) so whole arrays of timestamps map at once.

>>> import datetime as dt
>>> from salesim.scenario.schema import Calendar
>>> cal = WorkCalendar(Calendar(), dt.date(2027, 1, 4), horizon_days=14)  # a Monday
>>> float(cal.to_business(0.5))          # Monday 12:00 -> 3 working hours in
0.125
>>> float(cal.to_calendar(0.375))        # 9 working hours in -> Tuesday 09:00
1.375
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right

import numpy as np

from salesim.scenario.schema import WEEKDAYS, Calendar

_SLACK_DAYS = 3 * 366  # working intervals built past the horizon for late follow-ups


class WorkCalendar:
    """Working intervals over the horizon (plus slack) and the two-clock conversion."""

    def __init__(self, calendar: Calendar, start: dt.date, horizon_days: float) -> None:
        self.always_open = calendar.always_open
        self.start = start
        total_days = int(np.ceil(horizon_days)) + _SLACK_DAYS
        if self.always_open:
            self.hours_per_day = 24.0
            self.opens = np.array([0.0])
            self.closes = np.array([float(total_days)])
        else:
            hours = calendar.working_hours
            workdays = {WEEKDAYS.index(day) for day in calendar.working_days}
            holidays = set(calendar.holidays)
            days = [
                offset for offset in range(total_days)
                if (start + dt.timedelta(days=offset)).weekday() in workdays
                and (start + dt.timedelta(days=offset)) not in holidays
            ]
            offsets = np.asarray(days, dtype=float)
            self.hours_per_day = hours.hours
            self.opens = offsets + hours.start_hour / 24
            self.closes = offsets + hours.end_hour / 24
        lengths = self.closes - self.opens
        self._work_before = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
        self.business_day = self.hours_per_day / 24
        """Length of one working day on the business clock (in days of working time)."""
        # Plain lists for the scalar conversions used inside event loops.
        self._opens: list[float] = self.opens.tolist()
        self._closes: list[float] = self.closes.tolist()
        self._before: list[float] = self._work_before.tolist()

    @property
    def work_before(self) -> np.ndarray:
        """Working time elapsed before each working interval opens (business clock)."""
        return self._work_before

    def to_business(self, t: np.ndarray | float) -> np.ndarray:
        """Working time elapsed from the start up to calendar time ``t``."""
        times = np.asarray(t, dtype=float)
        index = np.searchsorted(self.opens, times, side="right") - 1
        safe = np.clip(index, 0, None)
        inside = np.clip(times - self.opens[safe], 0.0, self.closes[safe] - self.opens[safe])
        result: np.ndarray = np.where(index < 0, 0.0, self._work_before[safe] + inside)
        return result

    def to_calendar(self, b: np.ndarray | float) -> np.ndarray:
        """The calendar time at which ``b`` of working time has elapsed.

        A business time that falls on a closing boundary maps to the next
        opening, when work can actually happen.
        """
        business = np.asarray(b, dtype=float)
        index = np.clip(np.searchsorted(self._work_before, business, side="right") - 1, 0, None)
        result: np.ndarray = self.opens[index] + (business - self._work_before[index])
        return result

    def business_at(self, t: float) -> float:
        """Scalar :meth:`to_business`, for event loops."""
        index = bisect_right(self._opens, t) - 1
        if index < 0:
            return 0.0
        opened = self._opens[index]
        return self._before[index] + min(max(t - opened, 0.0), self._closes[index] - opened)

    def calendar_at(self, b: float) -> float:
        """Scalar :meth:`to_calendar`, for event loops."""
        index = max(bisect_right(self._before, b) - 1, 0)
        return self._opens[index] + (b - self._before[index])

    def next_working(self, t: float) -> float:
        """Scalar :meth:`next_open`: ``t`` in working time, else the next opening."""
        return self.calendar_at(self.business_at(t))

    def next_open(self, t: np.ndarray | float) -> np.ndarray:
        """``t`` itself when it is working time, else the next opening."""
        return self.to_calendar(self.to_business(t))

    def day_index(self, t: np.ndarray) -> np.ndarray:
        """Whole calendar days since the start."""
        days: np.ndarray = np.floor(np.asarray(t, dtype=float)).astype(np.int64)
        return days
