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
            qs = _row_quantiles(values, present, n, list(QUANTILES.values()))
            for name, row in zip(QUANTILES, qs, strict=True):
                out[name] = row
        std = (np.nanstd(values, axis=1, ddof=1) if values.shape[1] > 1
               else np.full(values.shape[0], np.nan))
    half = np.full(values.shape[0], np.nan)
    several = n >= 2
    if several.any():
        from scipy import stats as _scipy_stats

        tcrit = _scipy_stats.t.ppf(0.975, n[several] - 1)
        half[several] = tcrit * std[several] / np.sqrt(n[several])
    out["ci95_low"] = out["mean"] - half
    out["ci95_high"] = out["mean"] + half
    out["n"] = n.astype(np.float64)
    return out


def _row_quantiles(values: FloatArray, present: npt.NDArray[np.bool_],
                   counts: npt.NDArray[np.int64], quantiles: list[float]) -> FloatArray:
    """``np.nanquantile(values, quantiles, axis=1)``, bit for bit, without a Python call
    per row: rows with the same number of values are one block, and each row is made
    into the array ``nanquantile`` makes of it (of ``k`` NaN, those among the first
    ``len - k`` places take, in order, the values found in the last ``k`` places, which
    are then cut off), for numpy's vectorised quantile; a row without values gives NaN.
    """
    if present.all():
        return np.asarray(np.quantile(values, quantiles, axis=1), dtype=np.float64)
    out = np.full((len(quantiles), values.shape[0]), np.nan)
    for count in np.unique(counts[counts > 0]).tolist():
        rows = counts == count
        head = values[rows, :count]  # a copy
        tail = values[rows, count:]
        head[np.isnan(head)] = tail[~np.isnan(tail)]  # as many of each, row by row
        out[:, rows] = np.quantile(head, quantiles, axis=1)
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
        self._key_codes: list[_KeyCodes] = []  # per key column
        self._rows = _KeyRows()  # the key codes of each row id
        self._origin: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
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
            self._key_codes = [_KeyCodes() for _ in self._keys]
        elif [c for c in table.columns if c != self.value] != self._keys:
            raise ValueError("the tables of different replications have different columns")
        codes = np.column_stack(
            [column.codes(table[c]) for column, c in zip(self._key_codes, self._keys,
                                                         strict=True)]
        ).reshape(len(table), len(self._keys))
        ids = self._rows.ids(codes, [column.width() for column in self._key_codes])
        if len(ids) and int(np.bincount(ids).max()) > 1:
            raise ValueError(f"a key occurs more than once in replication {replication}")
        here = replication * self._SHIFT + np.arange(len(ids), dtype=np.int64)
        if len(self._rows) > len(self._origin):
            origin = np.full(len(self._rows), np.iinfo(np.int64).max, dtype=np.int64)
            origin[:len(self._origin)] = self._origin
            self._origin = origin
        self._origin[ids] = np.minimum(self._origin[ids], here)
        values = pd.to_numeric(table[self.value]).to_numpy(dtype=np.float64, na_value=np.nan)
        self._make_room(len(self._rows), replication)
        self._matrix[ids, replication] = values
        self._added.add(replication)

    def __len__(self) -> int:
        return len(self._added)

    def table(self) -> pd.DataFrame:
        """Keys in first-appearance order followed by :data:`STAT_COLUMNS`."""
        keys = self._keys or []
        order = np.argsort(self._origin, kind="stable")
        columns = sorted(self._added)
        if columns == list(range(len(columns))):
            matrix = self._matrix[order, : len(columns)]
        else:
            matrix = self._matrix[np.ix_(order, np.asarray(columns, dtype=np.int64))]
        if len(order):
            codes = self._rows.codes()[order]
            table = pd.DataFrame({c: column.values()[codes[:, k]] for k, (c, column) in
                                  enumerate(zip(keys, self._key_codes, strict=True))})
        else:
            table = pd.DataFrame({c: pd.Series(dtype=self._dtypes.get(c, "object"))
                                  for c in keys})
        table = table.astype(self._dtypes) if self._dtypes else table
        for name, values in describe_matrix(matrix).items():
            table[name] = values
        table["n"] = table["n"].astype("int64")
        return table


class _KeyCodes:
    """One key column's values across replications, each given a code in order of
    first sight; every kind of missing value is one value, ``None`` (NaN never equals
    itself, so it could not be looked up)."""

    def __init__(self) -> None:
        self._code: dict[Any, int] = {}
        self._values: list[Any] = []

    def codes(self, column: pd.Series) -> npt.NDArray[np.int64]:
        """The code of each value of ``column`` (new values get new codes): only its
        distinct values are looked up one by one."""
        if isinstance(column.dtype, pd.CategoricalDtype):
            local = column.cat.codes.to_numpy(dtype=np.int64)
            distinct = column.cat.categories.tolist()
        else:
            local, uniques = pd.factorize(column)
            distinct = uniques.tolist()
        known = np.empty(len(distinct) + 1, dtype=np.int64)  # local code + 1 -> code
        for position, value in enumerate([None, *distinct]):
            code = self._code.get(value)
            if code is None:
                code = self._code[value] = len(self._values)
                self._values.append(value)
            known[position] = code
        return known[np.asarray(local, dtype=np.int64) + 1]

    def width(self) -> int:
        """Bits that hold every code so far."""
        return max(1, (len(self._values) - 1).bit_length())

    def values(self) -> npt.NDArray[np.object_]:
        """The value of each code."""
        values = np.empty(len(self._values), dtype=object)
        values[:] = self._values
        return values


class _KeyRows:
    """Row ids of key rows (one code per key column), in order of first sight, looked up
    as whole arrays: the codes of a row are packed into one integer while they fit in
    63 bits (into a tuple otherwise)."""

    def __init__(self) -> None:
        self._codes: list[npt.NDArray[np.int64]] = []
        self._count = 0
        self._widths: list[int] = []
        self._index: pd.Index | None = None  # packed keys of the rows so far
        self._tuples: dict[tuple[int, ...], int] = {}

    def __len__(self) -> int:
        return self._count

    def codes(self) -> npt.NDArray[np.int64]:
        """The key codes of every row id, one row each."""
        if not self._codes:
            return np.zeros((0, len(self._widths)), dtype=np.int64)
        return np.concatenate(self._codes)

    def ids(self, codes: npt.NDArray[np.int64], widths: list[int]
            ) -> npt.NDArray[np.int64]:
        """The id of each row of ``codes``; rows not seen before get new ids."""
        if sum(widths) > 63:
            return self._ids_by_tuple(codes)
        if widths != self._widths or self._index is None:
            self._widths = widths
            self._index = pd.Index(self._pack(self.codes().reshape(-1, len(widths))))
        packed = self._pack(codes)
        ids = self._index.get_indexer(pd.Index(packed)).astype(np.int64)
        new = np.flatnonzero(ids < 0)
        if len(new):
            fresh, first, which = np.unique(packed[new], return_index=True,
                                            return_inverse=True)
            seen = np.argsort(first, kind="stable")  # new keys in order of first sight
            rank = np.empty(len(seen), dtype=np.int64)
            rank[seen] = np.arange(len(seen), dtype=np.int64)
            ids[new] = self._count + rank[which.reshape(-1)]
            self._append(codes[new[first[seen]]])
            self._index = self._index.append(pd.Index(fresh[seen]))
        return ids

    def _ids_by_tuple(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        if len(self._tuples) < self._count:
            self._tuples = {key: row for row, key in enumerate(map(tuple, self.codes().tolist()))}
        ids = np.empty(len(codes), dtype=np.int64)
        for position, key in enumerate(map(tuple, codes.tolist())):
            found = self._tuples.get(key)
            if found is None:
                found = self._tuples[key] = self._count
                self._append(codes[position:position + 1])
            ids[position] = found
        return ids

    def _append(self, codes: npt.NDArray[np.int64]) -> None:
        self._codes.append(codes)
        self._count += len(codes)

    def _pack(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        packed = np.zeros(len(codes), dtype=np.int64)
        for column, width in enumerate(self._widths):
            packed = (packed << width) | codes[:, column]
        return packed


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
    from scipy import stats as _scipy_stats

    z = float(_scipy_stats.norm.ppf(0.5 + confidence / 2))
    share = hits / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if hits == 0 else max(0.0, centre - half)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return (low, high)
