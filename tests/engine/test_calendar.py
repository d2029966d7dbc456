"""Working time and the two clocks: weekends, holidays, hours, and their round trips."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesim.engine.calendar import WorkCalendar
from salesim.scenario.schema import WEEKDAYS, Calendar

MONDAY = dt.date(2027, 1, 4)
HOUR = 1 / 24


def office(**settings_: object) -> WorkCalendar:
    """Mon-Fri 09:00-18:00 from Monday 2027-01-04, unless told otherwise."""
    return WorkCalendar(Calendar.model_validate(settings_), MONDAY, horizon_days=60)


def is_working_time(calendar: Calendar, start: dt.date, t: float) -> bool:
    """Whether calendar time ``t`` (days from ``start``) is inside working hours, from the
    calendar's definition rather than from :class:`WorkCalendar`."""
    if calendar.always_open:
        return True
    day = start + dt.timedelta(days=int(np.floor(t)))
    hour = (t - np.floor(t)) * 24
    hours = calendar.working_hours
    return (WEEKDAYS[day.weekday()] in calendar.working_days
            and day not in calendar.holidays
            and hours.start_hour - 1e-6 <= hour < hours.end_hour + 1e-6)


def test_business_day_is_the_working_hours() -> None:
    assert office().business_day == pytest.approx(9 / 24)
    assert office(working_hours="08:30-12:00").business_day == pytest.approx(3.5 / 24)
    assert office(always_open=True).business_day == 1.0


def test_working_time_counts_only_office_hours() -> None:
    cal = office()
    assert float(cal.to_business(0.0)) == 0.0  # Monday 00:00: before opening
    assert float(cal.to_business(9 * HOUR)) == 0.0  # Monday 09:00: opening
    assert float(cal.to_business(12 * HOUR)) == pytest.approx(3 * HOUR)
    assert float(cal.to_business(20 * HOUR)) == pytest.approx(9 * HOUR)  # after closing
    assert float(cal.to_business(1 + 10 * HOUR)) == pytest.approx(10 * HOUR)  # Tue 10:00


def test_weekend_adds_no_working_time() -> None:
    cal = office()
    friday_close = 4 + 18 * HOUR
    monday_open = 7 + 9 * HOUR
    week = float(cal.to_business(friday_close))
    assert week == pytest.approx(45 * HOUR)
    for t in (4 + 20 * HOUR, 5.0, 5.5, 6.9, monday_open):
        assert float(cal.to_business(t)) == pytest.approx(week)
    # Friday 17:00 plus two working hours is Monday 10:00
    later = float(cal.to_calendar(cal.to_business(4 + 17 * HOUR) + 2 * HOUR))
    assert later == pytest.approx(7 + 10 * HOUR)
    # a lead arriving on Saturday is first workable at Monday's opening
    assert float(cal.next_open(5.4)) == pytest.approx(monday_open)


def test_holidays_are_skipped() -> None:
    cal = office(holidays=[MONDAY + dt.timedelta(days=1)])  # Tuesday off
    assert float(cal.to_business(1 + 12 * HOUR)) == pytest.approx(9 * HOUR)
    assert float(cal.to_business(2 + 9 * HOUR)) == pytest.approx(9 * HOUR)
    # Monday 17:00 + 2 working hours is Wednesday 10:00
    assert float(cal.to_calendar(cal.to_business(17 * HOUR) + 2 * HOUR)) \
        == pytest.approx(2 + 10 * HOUR)
    assert float(cal.next_open(1.5)) == pytest.approx(2 + 9 * HOUR)


def test_custom_working_days_and_hours() -> None:
    cal = office(working_days=["sat", "sun"], working_hours="10:00-14:00")
    assert float(cal.next_open(0.0)) == pytest.approx(5 + 10 * HOUR)  # Saturday 10:00
    assert float(cal.to_business(7.0)) == pytest.approx(8 * HOUR)  # one weekend worked


def test_closing_time_maps_to_the_next_opening() -> None:
    cal = office()
    assert float(cal.to_calendar(9 * HOUR)) == pytest.approx(1 + 9 * HOUR)
    assert float(cal.calendar_at(9 * HOUR)) == pytest.approx(1 + 9 * HOUR)


def test_always_open_is_the_identity() -> None:
    cal = office(always_open=True)
    t = np.array([0.0, 0.25, 3.7, 5.5, 59.9])
    np.testing.assert_allclose(cal.to_business(t), t)
    np.testing.assert_allclose(cal.to_calendar(t), t)
    assert cal.next_working(5.5) == 5.5


def test_docstring_example_values() -> None:
    cal = WorkCalendar(Calendar(), MONDAY, horizon_days=14)
    assert float(cal.to_business(0.5)) == 0.125
    assert float(cal.to_calendar(0.375)) == 1.375


def test_working_time_extends_past_the_horizon() -> None:
    """Follow-ups due after the horizon still land on working days, not on one open end."""
    cal = office()
    late = float(cal.to_calendar(cal.to_business(60.0) + 30 * 9 * HOUR))
    assert late > 60 + 30
    assert is_working_time(Calendar(), MONDAY, late)


def test_monotone_and_counts_the_configured_week() -> None:
    cal = office(holidays=[dt.date(2027, 1, 18)])
    t = np.linspace(0, 60, 5001)
    business = cal.to_business(t)
    assert (np.diff(business) >= 0).all()
    # four full weeks of 45 hours, less the Monday holiday
    weeks = float(cal.to_business(28.0))
    assert weeks == pytest.approx((4 * 45 - 9) * HOUR)


calendars = st.builds(
    lambda days, hours, holidays, always: Calendar.model_validate({
        "working_days": days, "working_hours": hours, "always_open": always,
        "holidays": [MONDAY + dt.timedelta(days=k) for k in holidays]}),
    st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True),
    st.sampled_from(["09:00-18:00", "08:30-12:15", "00:00-24:00", "22:00-23:00"]),
    st.lists(st.integers(0, 40), max_size=6),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(calendar=calendars, t=st.floats(0.0, 50.0, allow_nan=False))
def test_round_trip_lands_on_working_time_no_earlier(calendar: Calendar, t: float) -> None:
    cal = WorkCalendar(calendar, MONDAY, horizon_days=50)
    business = float(cal.to_business(t))
    back = float(cal.to_calendar(business))
    assert back >= t - 1e-9
    assert is_working_time(calendar, MONDAY, back)
    # and it is the first working moment at or after t: no working time in between
    assert float(cal.to_business(back)) == pytest.approx(business, abs=1e-9)
    if is_working_time(calendar, MONDAY, t) and back - t > 1e-6:
        # t itself was working time only if it sat on a closing edge
        hours = calendar.working_hours
        assert (t - np.floor(t)) * 24 == pytest.approx(hours.end_hour, abs=1e-6)
    # scalar forms agree with the vectorised ones
    assert cal.business_at(t) == pytest.approx(business, abs=1e-12)
    assert cal.calendar_at(business) == pytest.approx(back, abs=1e-12)
    assert cal.next_working(t) == pytest.approx(float(cal.next_open(t)), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(calendar=calendars, b=st.floats(0.0, 2.0, allow_nan=False))
def test_business_to_calendar_and_back_is_exact(calendar: Calendar, b: float) -> None:
    cal = WorkCalendar(calendar, MONDAY, horizon_days=50)
    assert float(cal.to_business(cal.to_calendar(b))) == pytest.approx(b, abs=1e-9)
