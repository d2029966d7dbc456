"""Time-weighted interval counting and grouped statistics against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesim.metrics._groups import divide, group_mean, group_quantile, group_sum
from salesim.metrics.intervals import count_before, overlap_matrix, window_integral


def test_window_integral_by_hand():
    starts = np.array([0.0, 1.0, 5.0, np.nan])
    ends = np.array([2.0, np.inf, 6.0, 3.0])  # the NaN start is ignored
    got = window_integral(starts, ends, np.array([0.0, 2.0, 0.0]), np.array([2.0, 6.0, 10.0]))
    assert got.tolist() == [3.0, 5.0, 2 + 9 + 1]


def test_count_before_each_instant():
    starts = np.array([0.0, 1.0, 5.0])
    ends = np.array([2.0, np.nan, 6.0])  # NaN end: still open
    assert count_before(starts, ends, np.array([0.0, 1.5, 2.0, 5.5, 9.0])).tolist() == [
        0, 2, 2, 2, 1]


def test_overlap_matrix():
    got = overlap_matrix(np.array([1.0, np.nan]), np.array([np.nan, 3.0]),
                         np.array([0.0, 2.0]), np.array([2.0, 4.0]))
    assert got.tolist() == [[1.0, 2.0], [0.0, 0.0]]


intervals = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 30)), max_size=20)


@settings(max_examples=60, deadline=None)
@given(intervals, st.integers(0, 60), st.integers(0, 30))
def test_window_integral_matches_a_daily_count(pairs, lo, width):
    starts = np.array([float(s) for s, _ in pairs])
    ends = np.array([float(s + d) for s, d in pairs])
    got = window_integral(starts, ends, np.array([float(lo)]), np.array([float(lo + width)]))
    # unit-length slices: intervals are integer-aligned, so counting at slice midpoints is exact
    expected = sum(((starts <= t + 0.5) & (t + 0.5 < ends)).sum()
                   for t in range(lo, lo + width))
    assert got[0] == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.floats(-1e6, 1e6)), max_size=40),
       st.sampled_from([0.1, 0.5, 0.9]))
def test_group_statistics_match_numpy(pairs, q):
    keys = np.array([k for k, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=float)
    quantiles = group_quantile(keys, values, 5, q)
    means = group_mean(keys, values, 5)
    counts = group_sum(keys, 5)
    for key in range(5):
        mine = values[keys == key]
        assert counts[key] == len(mine)
        if len(mine):
            assert quantiles[key] == pytest.approx(np.quantile(mine, q), rel=1e-9, abs=1e-6)
            assert means[key] == pytest.approx(mine.mean(), rel=1e-9, abs=1e-6)
        else:
            assert np.isnan(quantiles[key])
            assert np.isnan(means[key])


def test_divide_is_nan_for_empty_denominators():
    assert np.isnan(divide(np.array([1.0]), np.array([0.0]))[0])
    assert divide(np.array([3.0]), np.array([2.0]))[0] == 1.5
