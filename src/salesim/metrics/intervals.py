"""Time-weighted counting of intervals: how many things were in a state, on average.

Times are floats in days (see :meth:`Horizon.to_days`); an interval is
``[start, end)`` and ``end`` may be ``inf`` (still in the state). All functions
are vectorised: sorting and cumulative sums, no loop over intervals.

>>> import numpy as np
>>> starts, ends = np.array([0.0, 1.0]), np.array([2.0, np.inf])
>>> window_integral(starts, ends, np.array([0.0]), np.array([4.0])).tolist()
[5.0]
>>> count_before(starts, ends, np.array([1.5, 3.0])).tolist()
[2.0, 1.0]
"""

from __future__ import annotations

import numpy as np


def _clean(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray | None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    starts = np.asarray(starts, dtype=float)
    ends = np.asarray(ends, dtype=float)
    w = np.ones_like(starts) if weights is None else np.asarray(weights, dtype=float)
    keep = ~np.isnan(starts) & ~np.isnan(w)
    starts, ends, w = starts[keep], ends[keep], w[keep]
    ends = np.where(np.isnan(ends), np.inf, np.maximum(ends, starts))
    return starts, ends, w


def _ramp_sum(points: np.ndarray, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    """sum_i w_i * max(at - p_i, 0) for each value of ``at`` (finite points only)."""
    finite = np.isfinite(points)
    points, weights = points[finite], weights[finite]
    order = np.argsort(points, kind="stable")
    points, weights = points[order], weights[order]
    cum_w = np.concatenate(([0.0], np.cumsum(weights)))
    cum_wp = np.concatenate(([0.0], np.cumsum(weights * points)))
    idx = np.searchsorted(points, at, side="right")
    return np.asarray(at * cum_w[idx] - cum_wp[idx], dtype=float)


def _sorted_ramp_sum(points: np.ndarray, at: np.ndarray) -> np.ndarray:
    """:func:`_ramp_sum` with unit weights of points already sorted (any may be
    infinite). Equal points are equal numbers, so their order does not matter."""
    points = points[np.isfinite(points)]
    cum_w = np.arange(len(points) + 1, dtype=float)
    cum_wp = np.concatenate(([0.0], np.cumsum(points)))
    idx = np.searchsorted(points, at, side="right")
    return np.asarray(at * cum_w[idx] - cum_wp[idx], dtype=float)


def window_integral(starts: np.ndarray, ends: np.ndarray, window_starts: np.ndarray,
                    window_ends: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Interval-days (weighted) falling inside each window ``[window_start, window_end)``.

    Divided by the window's length it is the time-average number of open intervals.
    """
    if weights is None:
        return queue_profile(starts, ends, window_starts, window_ends)[0]
    s, e, w = _clean(starts, ends, weights)
    lo = np.asarray(window_starts, dtype=float)
    hi = np.asarray(window_ends, dtype=float)
    upper = _ramp_sum(s, w, hi) - _ramp_sum(e, w, hi)
    lower = _ramp_sum(s, w, lo) - _ramp_sum(e, w, lo)
    return np.asarray(upper - lower, dtype=float)


def count_before(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Intervals open just before each instant: ``start < at <= end``."""
    s, e, _ = _clean(starts, ends, None)
    at = np.asarray(at, dtype=float)
    opened = np.searchsorted(np.sort(s), at, side="left")
    closed = np.searchsorted(np.sort(e), at, side="left")
    return (opened - closed).astype(float)


def queue_profile(starts: np.ndarray, ends: np.ndarray, window_starts: np.ndarray,
                  window_ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`window_integral` (unweighted) over each window and :func:`count_before`
    each window's end, sorting the starts and ends once for both."""
    s, e, _ = _clean(starts, ends, None)
    s, e = np.sort(s), np.sort(e)
    lo = np.asarray(window_starts, dtype=float)
    hi = np.asarray(window_ends, dtype=float)
    at = np.concatenate((hi, lo))
    ramps = _sorted_ramp_sum(s, at) - _sorted_ramp_sum(e, at)
    integral = np.asarray(ramps[:len(hi)] - ramps[len(hi):], dtype=float)
    opened = np.searchsorted(s, hi, side="left")
    closed = np.searchsorted(e, hi, side="left")
    return integral, (opened - closed).astype(float)


def overlap_matrix(starts: np.ndarray, ends: np.ndarray, window_starts: np.ndarray,
                   window_ends: np.ndarray) -> np.ndarray:
    """Days of each interval (rows) inside each window (columns); for small tables
    such as reps by months. ``NaN`` starts give zero rows."""
    s = np.asarray(starts, dtype=float)[:, None]
    e = np.asarray(ends, dtype=float)
    e = np.where(np.isnan(e), np.inf, e)[:, None]
    lo = np.asarray(window_starts, dtype=float)[None, :]
    hi = np.asarray(window_ends, dtype=float)[None, :]
    days = np.minimum(e, hi) - np.maximum(s, lo)
    return np.where(np.isnan(days), 0.0, np.clip(days, 0.0, None))
