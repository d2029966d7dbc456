"""Enough replications, not a fixed count: how precise the P10, P50 and P90 are.

The interval of a quantile is distribution-free: with ``n`` values sorted, the
quantile ``q`` lies between the order statistics ``x(l)`` and ``x(u)`` with
``l`` and ``u`` taken from the Binomial(n, q) distribution, with at least the
stated confidence. A run has reached precision ``p`` when, for every chosen
metric and each of P10, P50 and P90, both ends of that interval are within
``p`` (relative) of the estimate.

>>> import numpy as np
>>> values = np.random.default_rng(0).normal(100, 10, 2000)
>>> estimate, low, high = quantile_interval(values, 0.5)
>>> bool(low < estimate < high), bool(high - low < 2)
(True, True)
>>> worst, where = relative_precision({"x": values})  # theory: 1.96 * 0.38 / 87.2
>>> round(worst, 3), where
(0.009, 'x P10')
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

PRECISION_METRICS = ("bookings", "ending_arr")
"""The headline metrics whose quantiles must reach the wanted precision."""

PRECISION_QUANTILES = (0.1, 0.5, 0.9)
FIRST_BATCH = 100
"""Replications before the first precision check (fewer give no useful P10 interval)."""


def quantile_interval(values: npt.ArrayLike, q: float, confidence: float = 0.95
                      ) -> tuple[float, float, float]:
    """The ``q`` quantile (numpy's default) with a distribution-free interval.

    NaN values are left out; with too few values for the interval, its ends
    are the smallest and largest values.
    """
    array = np.sort(np.asarray(values, dtype=np.float64))
    array = array[~np.isnan(array)]
    n = len(array)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    estimate = float(np.quantile(array, q))
    alpha = 1 - confidence
    from scipy import stats as scipy_stats

    low_rank = int(scipy_stats.binom.ppf(alpha / 2, n, q))        # 1-based order statistic
    high_rank = int(scipy_stats.binom.ppf(1 - alpha / 2, n, q)) + 1
    low = float(array[max(low_rank, 1) - 1])
    high = float(array[min(high_rank, n) - 1])
    return (estimate, min(low, estimate), max(high, estimate))


def relative_precision(values: Mapping[str, npt.ArrayLike], confidence: float = 0.95
                       ) -> tuple[float, str]:
    """The worst relative half-width over the metrics' P10, P50 and P90, and where it is
    (``"bookings P90"``). A quantile estimated at 0 counts as precise only if its
    interval is exactly 0."""
    worst, where = 0.0, ""
    for metric, column in values.items():
        for q in PRECISION_QUANTILES:
            estimate, low, high = quantile_interval(column, q, confidence)
            if math.isnan(estimate):
                continue
            spread = max(estimate - low, high - estimate)
            relative = spread / abs(estimate) if estimate else (0.0 if spread == 0 else math.inf)
            if relative > worst or not where:
                worst, where = relative, f"{metric} P{round(q * 100)}"
    return worst, where


def next_size(done: int, worst: float, wanted: float, cap: int) -> int:
    """How many replications to have after the next batch.

    The half-width shrinks as ``1 / sqrt(n)``, so ``n * (worst / wanted)**2``
    should reach the precision; 10% more for good measure, at least 10% more
    than now and at most four times as many, never above ``cap``.

    >>> next_size(100, 0.02, 0.01, 10_000)
    400
    >>> next_size(400, 0.0105, 0.01, 10_000)
    486
    """
    if math.isinf(worst):
        return min(cap, 4 * done)
    wanted_size = math.ceil(done * (worst / wanted) ** 2 * 1.1)
    return min(cap, 4 * done, max(wanted_size, math.ceil(done * 1.1)))
