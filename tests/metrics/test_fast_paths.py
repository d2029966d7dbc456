"""The numpy fast paths behind the KPI table give exactly what the plain pandas and
numpy ways of computing the same thing give (not just approximately)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesim.metrics import Horizon, period_table
from salesim.metrics._groups import group_quantile, sorted_group_quantiles, value_order
from salesim.metrics._tidy import first_seen_levels, rep_roles, text, text_array, text_codes
from salesim.metrics.intervals import count_before, queue_profile, window_integral
from salesim.metrics.kpis import _id_levels
from salesim.metrics.periods import PERIOD_TYPES, PeriodGrid
from salesim.metrics.workforce import add_months

labels = st.sampled_from(["web", "events", "", "outbound", None])


def _frames(values: list[str | None]) -> list[pd.Series]:
    return [pd.Series(values, dtype="category"), pd.Series(values, dtype=object),
            pd.Series(values, dtype="str"),
            pd.Series(pd.Categorical(values, categories=["", "web", "zz", "events",
                                                         "outbound"]))]


@settings(max_examples=60, deadline=None)
@given(st.lists(labels, max_size=30))
def test_text_codes_give_the_text(values):
    for series in _frames(values):
        codes, names = text_codes(series)
        assert names[codes].tolist() == text(series).tolist()
        assert len(set(names.tolist())) == len(names)
        assert text_array(series).tolist() == text(series).tolist()


def test_text_codes_of_categories_that_are_not_strings():
    series = pd.Series(pd.Categorical([1.5, None, 2, 1.5]))
    codes, names = text_codes(series)
    assert names[codes].tolist() == text(series).tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(labels, max_size=40), st.booleans())
def test_first_seen_levels_follow_factorize(values, many):
    text_values = text(pd.Series(values, dtype=object)).to_numpy(dtype=object)
    if many:  # more labels than the short path handles
        text_values = np.array([f"{v}{i % 40}" if v else v for i, v in enumerate(text_values)],
                               dtype=object)
    codes, names = pd.factorize(text_values)
    level, levels = first_seen_levels(codes, np.asarray(names, dtype=object))
    expected = [v for v in pd.unique(text_values) if v != ""]
    assert levels.tolist() == expected
    assert [levels[i] if i >= 0 else "" for i in level] == text_values.tolist()


def test_rep_roles_first_row_of_an_id_wins_and_unknown_is_empty():
    reps = pd.DataFrame({"rep_id": [3, 1, 3, 7],
                         "role": pd.Categorical(["ae", "sdr", "cs", None])})
    got = rep_roles(reps, pd.Series([1, 3, 5, 7, -1]))
    assert got.tolist() == ["sdr", "ae", "", "", ""]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 60), max_size=50), st.booleans())
def test_id_levels_are_unique_and_searchsorted(ids, large):
    array = np.array(ids, dtype=np.int64) * (10**9 if large else 1)
    levels, codes = _id_levels(array)
    expected = np.unique(array[array >= 0])
    assert levels.tolist() == expected.tolist()
    assert codes.tolist() == np.where(array >= 0, np.searchsorted(expected, array), -1).tolist()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6),
                          st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, -0.0, 1.0]))),
                max_size=60),
       st.sampled_from([0.1, 0.5, 0.9]))
def test_group_quantile_is_the_lexsort_one(pairs, q):
    keys = np.array([k for k, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=float)
    order = np.lexsort((values, keys))
    sorted_values = values[order]
    counts = np.bincount(keys, minlength=7)
    starts = np.cumsum(counts) - counts
    expected = np.full(7, np.nan)
    for key in np.flatnonzero(counts):
        position = q * (counts[key] - 1)
        below = int(np.floor(position))
        above = min(below + 1, counts[key] - 1)
        low = sorted_values[starts[key] + below]
        high = sorted_values[starts[key] + above]
        expected[key] = low + (position - below) * (high - low)
    got = group_quantile(keys, values, 7, q)
    assert got.tobytes() == expected.tobytes()
    at = value_order(values)
    assert sorted_group_quantiles(keys[at], values[at], 7, (q,))[0].tobytes() == got.tobytes()


def test_group_quantile_with_many_keys_and_nan():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 70_000, 5_000)
    values = rng.normal(size=5_000)
    values[::17] = np.nan
    got = group_quantile(keys, values, 70_000, 0.9)
    for key in np.unique(keys)[:200]:
        mine = np.sort(values[keys == key])
        expected = np.nan if np.isnan(mine).any() else np.quantile(mine, 0.9)
        assert got[key] == pytest.approx(expected, nan_ok=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 50), st.one_of(st.floats(0, 30), st.just(np.nan))),
                max_size=30),
       st.lists(st.tuples(st.floats(0, 60), st.floats(0, 30)), min_size=1, max_size=5))
def test_queue_profile_is_window_integral_and_count_before(pairs, windows):
    starts = np.array([s for s, _ in pairs])
    ends = np.array([s + d for s, d in pairs])
    lo = np.array([w for w, _ in windows])
    hi = lo + np.array([d for _, d in windows])
    integral, at_end = queue_profile(starts, ends, lo, hi)
    assert at_end.tobytes() == count_before(starts, ends, hi).tobytes()
    weighted = window_integral(starts, ends, lo, hi, weights=np.ones(len(starts)))
    assert integral.tobytes() == weighted.tobytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-20 * 365 * 24, 60 * 365 * 24), min_size=1, max_size=20),
       st.integers(-14, 30))
def test_add_months_is_the_date_offset(hours, months):
    times = pd.Series(pd.Timestamp("1985-01-31 13:45:07") + pd.to_timedelta(hours, unit="h"))
    expected = (times + pd.DateOffset(months=months)).to_numpy(dtype="datetime64[ns]")
    got = add_months(times.to_numpy(dtype="datetime64[ns]"), months)
    assert got.tolist() == expected.tolist()


HORIZONS = [("2027-01-01", "2030-01-01"), ("2027-01-15", "2027-04-10"),
            ("2027-01-15 13:30", "2027-04-10 07:00"), ("2026-12-31 23:59", "2027-01-01 00:01"),
            ("2025-02-10", "2031-11-30")]


@pytest.mark.parametrize(("start", "end"), HORIZONS)
def test_grid_arrays_are_the_period_tables(start, end):
    horizon = Horizon(pd.Timestamp(start), pd.Timestamp(end))
    for types in (PERIOD_TYPES, ("quarter", "total"), ("year",)):
        grid = PeriodGrid(horizon, types)
        table = pd.concat([period_table(horizon, p) for p in grid.types], ignore_index=True)
        assert grid.size == len(table)
        assert grid.period_type.tolist() == table["period_type"].tolist()
        assert grid.period.tolist() == table["period"].tolist()
        assert grid.days.tobytes() == table["days"].to_numpy(dtype=float).tobytes()
        assert grid.lo.tobytes() == horizon.to_days(table["start"]).tobytes()
        assert grid.hi.tobytes() == horizon.to_days(table["end"]).tobytes()
        assert grid.end_times.tolist() == table["end"].to_numpy(dtype="datetime64[ns]").tolist()
        pd.testing.assert_frame_equal(grid.table, table)
        months = period_table(horizon, "month")
        assert grid.month_period.tolist() == months["period"].tolist()
        assert grid.month_days.tobytes() == months["days"].to_numpy(dtype=float).tobytes()
        assert (grid.month_full_days.tobytes()
                == months["full_days"].to_numpy(dtype=float).tobytes())


@pytest.mark.parametrize(("start", "end"), HORIZONS)
def test_whole_number_rollup_is_the_rollup(start, end):
    grid = PeriodGrid(Horizon(pd.Timestamp(start), pd.Timestamp(end)))
    counts = np.random.default_rng(0).integers(0, 10**6, (len(grid.month_numbers), 3))
    assert grid.rollup_whole(counts).tobytes() == grid.rollup(counts).tobytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(-400 * 24, 1500 * 24), st.none()), max_size=40))
def test_month_index_agrees_with_the_calendar(hours):
    horizon = Horizon(pd.Timestamp("2027-01-15 06:00"), pd.Timestamp("2028-03-01"))
    grid = PeriodGrid(horizon)
    times = pd.Series([horizon.start + pd.Timedelta(hours=h) if h is not None else pd.NaT
                       for h in hours], dtype="datetime64[ns]")
    rows, months = grid.month_index(times.to_numpy())
    inside = horizon.contains(times).to_numpy(dtype=bool)
    assert rows.tolist() == np.flatnonzero(inside).tolist()
    expected = times[inside].dt.strftime("%Y-%m").tolist()
    assert grid.month_period[months].tolist() == expected
