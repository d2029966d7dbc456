"""Statistics across replications: quantiles, means with confidence intervals, and
probabilities with Wilson intervals.

Conventions (shared by every experiment):

* Quantiles use numpy's default (linear interpolation, Hyndman and Fan type 7).
* ``ci95_low``/``ci95_high`` bound the **mean** across replications (Student t,
  ``n - 1`` degrees of freedom); they are NaN with fewer than two values.
* A missing or NaN value (a rate with a zero denominator, a KPI row one
  replication does not have) is left out; ``n`` says how many replications
  gave a value.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as _scipy_stats

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
STAT_COLUMNS = ("mean", "p10", "p50", "p90", "ci95_low", "ci95_high", "n")

FloatArray = npt.NDArray[np.float64]


def describe_matrix(values: FloatArray) -> dict[str, FloatArray]:
    """Row-wise statistics of a (groups x replications) matrix, ignoring NaN."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("expected a 2-D array of groups x replications")
    present = ~np.isnan(values)
    n = present.sum(axis=1)
    out: dict[str, FloatArray] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, quietly
        if values.shape[1] == 0:
            nan = np.full(values.shape[0], np.nan)
            out.update({"mean": nan, **dict.fromkeys(QUANTILES, nan)})
        else:
            out["mean"] = np.nanmean(values, axis=1)
            qs = np.nanquantile(values, list(QUANTILES.values()), axis=1)
            for name, row in zip(QUANTILES, qs, strict=True):
                out[name] = row
        std = (np.nanstd(values, axis=1, ddof=1) if values.shape[1] > 1
               else np.full(values.shape[0], np.nan))
    half = np.full(values.shape[0], np.nan)
    several = n >= 2
    if several.any():
        tcrit = _scipy_stats.t.ppf(0.975, n[several] - 1)
        half[several] = tcrit * std[several] / np.sqrt(n[several])
    out["ci95_low"] = out["mean"] - half
    out["ci95_high"] = out["mean"] + half
    out["n"] = n.astype(np.float64)
    return out


def describe_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One row per column of ``frame`` (its values across rows) with :data:`STAT_COLUMNS`."""
    matrix = frame[list(columns)].to_numpy(dtype=np.float64, na_value=np.nan).T
    described = describe_matrix(matrix.reshape(len(columns), len(frame)))
    table = pd.DataFrame(described, index=pd.Index(list(columns), name="metric"))
    table["n"] = table["n"].astype("int64")
    return table[list(STAT_COLUMNS)]


def quantile_table(frame: pd.DataFrame, keys: Sequence[str], value: str = "value",
                   by: str = "replication") -> pd.DataFrame:
    """Collapse a long table of per-replication values into one row per key.

    ``frame`` has the ``keys`` columns, a ``value`` column and a ``by`` column
    (the replication). The result has the ``keys`` (in order of first
    appearance) followed by :data:`STAT_COLUMNS`. A key must occur at most once
    per replication.
    """
    keys = list(keys)
    if frame.empty:
        empty = frame[keys].iloc[0:0].reset_index(drop=True)
        for column in STAT_COLUMNS:
            empty[column] = pd.Series(dtype="int64" if column == "n" else "float64")
        return empty
    frame = frame.reset_index(drop=True)
    groups = frame.groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    replication_codes, replications = pd.factorize(frame[by], sort=True)
    cells = groups.astype(np.int64) * len(replications) + replication_codes
    if len(np.unique(cells)) != len(cells):
        doubled = frame.loc[pd.Series(cells).duplicated(keep=False).to_numpy(), [*keys, by]]
        raise ValueError(f"a key occurs more than once in one replication:\n{doubled.head()}")
    group_count = int(groups.max()) + 1
    matrix = np.full((group_count, len(replications)), np.nan)
    matrix[groups, replication_codes] = pd.to_numeric(frame[value]).to_numpy(
        dtype=np.float64, na_value=np.nan)
    _, first_rows = np.unique(groups, return_index=True)
    table = frame.loc[first_rows, keys].reset_index(drop=True)
    for column, values in describe_matrix(matrix).items():
        table[column] = values
    table["n"] = table["n"].astype("int64")
    return table


class QuantileAccumulator:
    """Fold per-replication long tables into :func:`quantile_table`'s result, one
    replication at a time and in any order, keeping only the values.

    Each table has key columns and a ``value`` column, each key at most once.
    The result is the same whatever order the replications are added in: rows
    come in order of first appearance in replication order (as if the tables
    had been stacked by replication), and each replication's values go in its
    own column.

    >>> import pandas as pd
    >>> acc = QuantileAccumulator()
    >>> acc.add(1, pd.DataFrame({"metric": ["b", "a"], "value": [3.0, 4.0]}))
    >>> acc.add(0, pd.DataFrame({"metric": ["a"], "value": [2.0]}))
    >>> acc.table()[["metric", "mean", "n"]].to_dict("records")
    [{'metric': 'a', 'mean': 3.0, 'n': 2}, {'metric': 'b', 'mean': 3.0, 'n': 1}]
    """

    _SHIFT = 1 << 32

    def __init__(self, replications: int = 0, value: str = "value") -> None:
        """``replications``: how many to expect (room is made for more as needed)."""
        self.value = value
        self._keys: list[str] | None = None
        self._dtypes: dict[str, Any] = {}
        self._ids: dict[tuple[Any, ...], int] = {}
        self._origin: list[int] = []
        self._added: set[int] = set()
        self._matrix: FloatArray = np.full((0, max(replications, 1)), np.nan)

    def _make_room(self, rows: int, replication: int) -> None:
        height, width = self._matrix.shape
        if rows <= height and replication < width:
            return
        grown = np.full((max(rows, 2 * height) if rows > height else height,
                         max(replication + 1, 2 * width) if replication >= width else width),
                        np.nan)
        grown[:height, :width] = self._matrix
        self._matrix = grown

    def add(self, replication: int, table: pd.DataFrame) -> None:
        """Fold in one replication's table (its rows must have distinct keys)."""
        if replication in self._added:
            raise ValueError(f"replication {replication} was added twice")
        if not 0 <= replication < self._SHIFT:
            raise ValueError(f"replication index out of range: {replication}")
        if self._keys is None:
            self._keys = [c for c in table.columns if c != self.value]
            self._dtypes = {c: _plain_dtype(table[c].dtype) for c in self._keys}
        elif [c for c in table.columns if c != self.value] != self._keys:
            raise ValueError("the tables of different replications have different columns")
        rows = list(zip(*(_key_values(table[c]) for c in self._keys), strict=True))
        ids = np.empty(len(rows), dtype=np.int64)
        known, origin = self._ids, self._origin
        for position, key in enumerate(rows):
            found = known.get(key)
            here = replication * self._SHIFT + position
            if found is None:
                found = known[key] = len(origin)
                origin.append(here)
            elif here < origin[found]:
                origin[found] = here
            ids[position] = found
        if len(np.unique(ids)) != len(ids):
            raise ValueError(f"a key occurs more than once in replication {replication}")
        values = pd.to_numeric(table[self.value]).to_numpy(dtype=np.float64, na_value=np.nan)
        self._make_room(len(origin), replication)
        self._matrix[ids, replication] = values
        self._added.add(replication)

    def __len__(self) -> int:
        return len(self._added)

    def table(self) -> pd.DataFrame:
        """Keys in first-appearance order followed by :data:`STAT_COLUMNS`."""
        keys = self._keys or []
        order = np.argsort(np.asarray(self._origin, dtype=np.int64), kind="stable")
        columns = sorted(self._added)
        if columns == list(range(len(columns))):
            matrix = self._matrix[order, : len(columns)]
        else:
            matrix = self._matrix[np.ix_(order, np.asarray(columns, dtype=np.int64))]
        by_id = list(self._ids)
        ordered = [by_id[i] for i in order.tolist()]
        table = pd.DataFrame(ordered, columns=keys) if ordered else pd.DataFrame(
            {c: pd.Series(dtype=self._dtypes.get(c, "object")) for c in keys})
        table = table.astype(self._dtypes) if self._dtypes else table
        for name, values in describe_matrix(matrix).items():
            table[name] = values
        table["n"] = table["n"].astype("int64")
        return table


def _key_values(column: pd.Series) -> list[Any]:
    """A key column as Python values, every kind of missing value as ``None`` (NaN
    never equals itself, so it cannot be a dictionary key)."""
    if not column.hasnans:
        return column.tolist()
    return column.astype(object).where(column.notna(), None).tolist()


def _plain_dtype(dtype: Any) -> Any:
    """Key columns come back as plain columns: categories as strings."""
    if isinstance(dtype, pd.CategoricalDtype):
        return _plain_dtype(dtype.categories.dtype)
    if pd.api.types.is_object_dtype(dtype):
        return "str"
    return dtype


@dataclass(frozen=True)
class Probability:
    """A share of replications meeting a condition, with its Wilson score interval."""

    estimate: float
    low: float
    high: float
    hits: int
    n: int
    confidence: float = 0.95

    def __float__(self) -> float:
        return self.estimate

    def __str__(self) -> str:
        percent = round(self.confidence * 100)
        return (f"{self.estimate:.1%} ({percent}% CI {self.low:.1%}-{self.high:.1%}, "
                f"{self.hits} of {self.n})")


def wilson_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``hits / n``.

    >>> low, high = wilson_interval(8, 10)
    >>> round(low, 3), round(high, 3)
    (0.49, 0.943)
    """
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= hits <= n:
        raise ValueError(f"hits must be between 0 and n={n}, not {hits}")
    z = float(_scipy_stats.norm.ppf(0.5 + confidence / 2))
    share = hits / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return (low, high)
