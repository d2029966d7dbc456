"""Grouped statistics with numpy: counts, sums, means and quantiles by integer key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_SMALL_KEYS = 1 << 16
"""Keys below this sort as ``uint16`` (below 256 as ``uint8``), which numpy sorts
stably with a radix sort."""


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
    values = np.asarray(values, dtype=float)
    order = value_order(values)
    return sorted_group_quantiles(np.asarray(keys, dtype=np.int64)[order], values[order],
                                  size, (q,))[0]


def value_order(values: np.ndarray) -> np.ndarray:
    """An ascending order of ``values`` (``NaN`` last): sort once, then group the
    sorted values by as many keys as needed with :func:`sorted_group_quantiles`.

    Values that compare equal are the same number unless both ``0.0`` and
    ``-0.0`` occur, so the order among equal values changes no quantile and any
    sort will do; with signed zeros the sort is stable.
    """
    values = np.asarray(values, dtype=float)
    if bool((np.signbit(values) & (values == 0)).any()):
        return np.argsort(values, kind="stable")
    return np.argsort(values)


def key_order(keys: np.ndarray, size: int) -> np.ndarray:
    """The stable order of integer ``keys`` in ``0..size-1`` (a radix sort when small)."""
    keys = np.asarray(keys)
    if size <= 1 << 8:
        return np.argsort(keys.astype(np.uint8, copy=False), kind="stable")
    if size <= _SMALL_KEYS:
        return np.argsort(keys.astype(np.uint16, copy=False), kind="stable")
    return np.argsort(keys.astype(np.int64, copy=False), kind="stable")


def key_dtype(size: int) -> type[np.unsignedinteger[Any]] | type[np.int64]:
    """The smallest integer type :func:`key_order` sorts keys ``0..size-1`` in."""
    if size <= 1 << 8:
        return np.uint8
    if size <= _SMALL_KEYS:
        return np.uint16
    return np.int64


def sorted_group_quantiles(keys: np.ndarray, values: np.ndarray, size: int,
                           qs: Sequence[float]) -> list[np.ndarray]:
    """:func:`group_quantile` for several ``qs`` of ``values`` already in ascending
    order (:func:`value_order`), keys ``0..size-1``.

    ``keys`` has one key per value, or one per value for each of several copies
    of the values laid end to end (key ``i`` goes with value ``i % len(values)``),
    as when each value counts once per period type. A stable sort by key keeps
    each group's values ascending, which gives the same order as sorting by key
    and then value in one go, so the same result.
    """
    values = np.asarray(values, dtype=float)
    order = key_order(keys, size)
    counts = np.bincount(keys, minlength=size)[:size]
    starts = np.cumsum(counts) - counts
    has = counts > 0
    last = counts[has] - 1
    first = starts[has]
    copies = max(len(values), 1)
    out = []
    for q in qs:
        result = np.full(size, np.nan)
        position = q * last
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, last)
        low = values[order[first + below] % copies]
        high = values[order[first + above] % copies]
        result[has] = low + (position - below) * (high - low)
        out.append(result)
    return out


def divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with ``NaN`` where the denominator is not positive."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
