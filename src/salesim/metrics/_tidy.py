"""Shared helpers: the KPI table's columns and text columns from the records."""

from __future__ import annotations

import numpy as np
import pandas as pd

KPI_COLUMNS = ("period_type", "period", "metric", "channel", "segment", "role", "rep_id",
               "value", "unit")


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
