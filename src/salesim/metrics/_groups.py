"""Grouped statistics with numpy: counts, sums, means and quantiles by integer key."""

from __future__ import annotations

import numpy as np


def group_sum(keys: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``weights`` (or count) per key ``0..size-1``."""
    keys = np.asarray(keys, dtype=np.int64)
    if weights is None:
        return np.bincount(keys, minlength=size).astype(float)[:size]
    return np.bincount(keys, weights=np.asarray(weights, dtype=float), minlength=size)[:size]


def group_mean(keys: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Mean per key; ``NaN`` for a key without values."""
    counts = group_sum(keys, size)
    sums = group_sum(keys, size, values)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)


def group_quantile(keys: np.ndarray, values: np.ndarray, size: int, q: float) -> np.ndarray:
    """Quantile ``q`` per key with linear interpolation (as ``numpy.quantile`` and
    pandas' default); ``NaN`` for a key without values."""
    keys = np.asarray(keys, dtype=np.int64)
    values = np.asarray(values, dtype=float)
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    counts = np.bincount(keys, minlength=size)[:size]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    out = np.full(size, np.nan)
    has = counts > 0
    position = q * (counts[has] - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, counts[has] - 1)
    low = values[starts[has] + below]
    high = values[starts[has] + above]
    out[has] = low + (position - below) * (high - low)
    return out


def divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with ``NaN`` where the denominator is not positive."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
