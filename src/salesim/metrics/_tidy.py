"""Shared helpers: aggregating labelled events into tidy metric rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

KPI_COLUMNS = ("period_type", "period", "metric", "channel", "segment", "role", "rep_id",
               "value", "unit")
DIMENSIONS = ("channel", "segment", "role", "rep_id")
KEYS = ("period_type", "period", *DIMENSIONS)
DIM_DEFAULTS: dict[str, str | int] = {"channel": "", "segment": "", "role": "", "rep_id": -1}

How = Literal["count", "sum", "mean", "median", "p90"]
DimSet = tuple[str, ...]

OVERALL: DimSet = ()
BY_CHANNEL: DimSet = ("channel",)
BY_SEGMENT: DimSet = ("segment",)
BY_ROLE: DimSet = ("role",)
BY_REP: DimSet = ("role", "rep_id")


def text(values: pd.Series) -> pd.Series:
    """A categorical or object column as plain strings, missing as ``''``."""
    return values.astype("object").where(values.notna(), "").astype(str)


def rep_roles(reps: pd.DataFrame, rep_ids: pd.Series) -> np.ndarray:
    """The role of each rep id (``''`` for an id the ``reps`` table does not know)."""
    roles = pd.Series(text(reps["role"]).to_numpy(), index=reps["rep_id"].to_numpy(
        dtype="int64"))
    roles = roles[~roles.index.duplicated()]
    found = pd.Series(rep_ids.to_numpy(dtype="int64")).map(roles)
    return np.asarray(found.astype(object).where(found.notna(), "").astype(str), dtype=object)


def aggregate(labelled: pd.DataFrame, value: str | None, how: How,
              dim_sets: Sequence[DimSet], periods: pd.DataFrame | None = None) -> pd.DataFrame:
    """Aggregate labelled events (``period_type``, ``period`` and dimension columns)
    per period and per dimension set into rows keyed by :data:`KEYS` with a ``value``.

    With ``periods`` (``period_type``, ``period``), every period gets a row for
    every dimension value seen (0 where nothing happened): use it for counts
    and sums. Per-rep rows are never filled in.
    """
    parts = []
    for dims in dim_sets:
        keys = ["period_type", "period", *dims]
        if labelled.empty:
            if periods is not None and not dims:
                parts.append(with_dimensions(periods[["period_type", "period"]].assign(
                    value=0.0)))
            continue
        else:
            group = labelled.groupby(keys, sort=False, observed=True)
            if how == "count":
                series = group.size()
            else:
                assert value is not None, "aggregating by value needs a value column"
                column = group[value]
                series = column.quantile(0.9) if how == "p90" else column.agg(how)
            grouped = series.rename("value").reset_index()
        if periods is not None and "rep_id" not in dims:
            combos = (labelled[list(dims)].drop_duplicates() if dims
                      else pd.DataFrame(index=[0]))
            frame = periods[["period_type", "period"]].merge(combos, how="cross")
            grouped = frame.merge(grouped, on=keys, how="left")
            grouped["value"] = grouped["value"].astype(float).fillna(0.0)
        parts.append(with_dimensions(grouped))
    return concat_rows(parts)


def with_dimensions(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the dimension columns a frame lacks with their 'not applicable' value and
    order the key columns first."""
    frame = frame.copy()
    for dim, default in DIM_DEFAULTS.items():
        if dim not in frame.columns:
            frame[dim] = default
    frame["rep_id"] = frame["rep_id"].astype("int64")
    for dim in ("channel", "segment", "role"):
        frame[dim] = frame[dim].astype(str)
    rest = [c for c in frame.columns if c not in KEYS]
    return frame[[*KEYS, *rest]]


def concat_rows(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return with_dimensions(pd.DataFrame({"period_type": pd.Series(dtype=str),
                                             "period": pd.Series(dtype=str),
                                             "value": pd.Series(dtype=float)}))
    return pd.concat(parts, ignore_index=True)


def ratio(numerator: pd.DataFrame, denominator: pd.DataFrame, scale: float = 1.0
          ) -> pd.DataFrame:
    """``numerator / denominator`` row by row on :data:`KEYS`: one row per denominator
    row, a missing numerator counting as 0 and a zero denominator giving ``NaN``."""
    merged = denominator[[*KEYS, "value"]].merge(
        numerator[[*KEYS, "value"]], on=list(KEYS), how="left", suffixes=("_den", "_num"))
    num = merged["value_num"].astype(float).fillna(0.0).to_numpy()
    den = merged["value_den"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / np.where(den > 0, den, 1.0) * scale, np.nan)
    return merged[list(KEYS)].assign(value=value)


def combine(left: pd.DataFrame, right: pd.DataFrame, sign: float = 1.0) -> pd.DataFrame:
    """``left + sign * right`` on :data:`KEYS`, missing rows counting as 0."""
    merged = left[[*KEYS, "value"]].merge(right[[*KEYS, "value"]], on=list(KEYS), how="outer",
                                          suffixes=("_l", "_r"))
    value = merged["value_l"].astype(float).fillna(0.0) + sign * merged["value_r"].astype(
        float).fillna(0.0)
    return merged[list(KEYS)].assign(value=value.to_numpy())


def as_metric(frame: pd.DataFrame, metric: str, unit: str) -> pd.DataFrame:
    """Rows keyed by :data:`KEYS` with a ``value`` as KPI rows of one metric."""
    out = with_dimensions(frame)[[*KEYS, "value"]].copy()
    out["metric"] = metric
    out["unit"] = unit
    out["value"] = out["value"].astype(float)
    return out[list(KPI_COLUMNS)]
