"""Period labels, clipped period tables and the numpy period grid."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesim.metrics import Horizon, Plan, period_labels, period_table
from salesim.metrics.periods import PeriodGrid

from .builders import records

YEAR = Horizon(pd.Timestamp("2027-01-01"), pd.Timestamp("2028-01-01"))


def test_labels_per_period_type():
    times = pd.Series(pd.to_datetime(["2027-03-31 23:59", "2027-04-01 00:00", None]))
    assert period_labels(times, "month").tolist()[:2] == ["2027-03", "2027-04"]
    assert period_labels(times, "quarter").tolist()[:2] == ["2027Q1", "2027Q2"]
    assert period_labels(times, "year").tolist()[:2] == ["2027", "2027"]
    assert period_labels(times, "total").tolist()[:2] == ["total", "total"]
    for kind in ("month", "quarter", "year", "total"):
        assert pd.isna(period_labels(times, kind).iloc[2])


def test_period_table_clips_to_the_horizon():
    horizon = Horizon(pd.Timestamp("2027-01-15"), pd.Timestamp("2027-04-10"))
    months = period_table(horizon, "month")
    assert months["period"].tolist() == ["2027-01", "2027-02", "2027-03", "2027-04"]
    assert months["days"].tolist() == [17, 28, 31, 9]
    assert months["full_days"].tolist() == [31, 28, 31, 30]
    assert months["start"].iloc[0] == horizon.start
    assert months["end"].iloc[-1] == horizon.end
    quarters = period_table(horizon, "quarter")
    assert quarters["days"].tolist() == [76, 9]
    total = period_table(horizon, "total").iloc[0]
    assert total["days"] == (horizon.end - horizon.start).days


def test_horizon_comes_from_the_plan_when_given():
    recs = records(start="2027-01-01", end="2028-01-01")
    assert Horizon.of(recs) == YEAR
    plan = Plan(start=dt.date(2027, 7, 1))
    assert Horizon.of(recs, plan) == Horizon(pd.Timestamp("2027-07-01"), YEAR.end)
    with pytest.raises(ValueError, match="before it starts"):
        Horizon(YEAR.end, YEAR.start)


def test_grid_locates_each_timestamp_in_every_period_type():
    grid = PeriodGrid(YEAR)
    assert grid.size == 12 + 4 + 1 + 1
    times = np.array(["2027-05-20", "2026-12-31", "2028-01-01", "NaT"], dtype="datetime64[ns]")
    rows, periods = grid.locate(times)
    assert rows.tolist() == [0, 0, 0, 0]  # only the first is inside the horizon
    assert grid.period[periods].tolist() == ["2027-05", "2027Q2", "2027", "total"]


def test_grid_rollup_and_running_total():
    grid = PeriodGrid(YEAR, ("month", "quarter", "total"))
    monthly = np.arange(1.0, 13.0)
    rolled = grid.rollup(monthly)
    assert rolled[grid.slices["quarter"]].tolist() == [6, 15, 24, 33]
    assert rolled[grid.slices["total"]].tolist() == [78]
    running = grid.running_total(np.ones(grid.size))
    assert running[grid.slices["month"]].tolist() == list(range(1, 13))
    assert running[grid.slices["quarter"]].tolist() == [1, 2, 3, 4]


def test_unknown_period_type_is_an_error():
    with pytest.raises(ValueError, match="unknown period types"):
        PeriodGrid(YEAR, ("week",))  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=-40 * 24, max_value=420 * 24), max_size=30))
def test_grid_agrees_with_the_labels(hours):
    times = pd.Series(YEAR.start + pd.to_timedelta(hours, unit="h"), dtype="datetime64[ns]")
    grid = PeriodGrid(YEAR)
    rows, periods = grid.locate(times.to_numpy())
    inside = YEAR.contains(times)
    assert len(rows) == 4 * int(inside.sum())
    for kind in ("month", "quarter", "year"):
        mine = periods[grid.period_type[periods] == kind]
        expected = period_labels(times[inside], kind).tolist()
        assert grid.period[mine].tolist() == expected
