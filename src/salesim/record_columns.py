"""Record columns built straight from arrays: timestamps from calendar days, categories
from integer codes, without a Python object per row.

>>> import datetime as dt
>>> import numpy as np
>>> timestamps(dt.date(2025, 1, 1), np.array([0.5, np.nan]))
array(['2025-01-01T12:00:00.000000000',                           'NaT'],
      dtype='datetime64[ns]')
>>> list(categories_found(np.array([2, -1, 0, 2]), ("b", "x", "a")))
['a', nan, 'b', 'a']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

NS_PER_DAY = 86_400 * 10**9


def timestamps(start: dt.date, days: np.ndarray) -> np.ndarray:
    """Calendar days from ``start`` as ``datetime64[ns]``, rounded to the nanosecond;
    NaN and inf become NaT."""
    values = np.asarray(days, dtype=float)
    finite = np.isfinite(values)
    nanoseconds = np.where(finite, np.round(values * NS_PER_DAY), 0).astype(np.int64)
    stamps = np.datetime64(start, "ns") + nanoseconds.astype("timedelta64[ns]")
    return np.asarray(np.where(finite, stamps, np.datetime64("NaT", "ns")))


def coded(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    """A categorical from integer codes into ``categories`` (-1: missing)."""
    result: pd.Categorical = pd.Categorical.from_codes(  # type: ignore[call-overload]
        np.asarray(codes, dtype=np.int64), categories=list(categories))
    return result


def codes_of(values: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """The code of each of ``values`` (text) in ``categories``, -1 for any other value;
    one vectorised comparison per category."""
    values = np.asarray(values)
    codes = np.full(values.shape, -1, dtype=np.int64)
    for code, name in enumerate(categories):
        codes[values == name] = code
    return codes


def categories_found(codes: np.ndarray, names: Sequence[str]) -> pd.Categorical:
    """The ``names`` at ``codes`` (-1: missing) as the categorical that
    ``astype("category")`` gives for those names as text: its categories are the names
    found, sorted. pandas itself types and sorts the few distinct names."""
    codes = np.asarray(codes, dtype=np.int64)
    used = np.unique(codes)
    distinct = np.array([names[code] if code >= 0 else np.nan for code in used.tolist()],
                        dtype=object)
    found = pd.Series(distinct, dtype=object).astype("category")
    recode = np.full(len(names) + 1, -1, dtype=np.int64)  # code + 1 -> code among found
    recode[used + 1] = found.cat.codes.to_numpy(dtype=np.int64)
    result: pd.Categorical = pd.Categorical.from_codes(  # type: ignore[call-overload]
        recode[codes + 1], dtype=found.dtype)
    return result
