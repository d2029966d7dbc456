"""Shared helpers: the KPI table's columns and text columns from the records."""

from __future__ import annotations

import numpy as np
import pandas as pd

KPI_COLUMNS = ("period_type", "period", "metric", "channel", "segment", "role", "team",
               "rep_id", "value", "unit")


def text(values: pd.Series) -> pd.Series:
    """A categorical or object column as plain strings, missing as ``''``."""
    return values.astype("object").where(values.notna(), "").astype(str)


def text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column as integer codes into distinct labels: ``labels[codes]`` is
    :func:`text` of the column.

    A categorical column (as the records have) gives its codes and the text of
    its few categories without making a string per row.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = np.asarray(values.dtype.categories, dtype=object)
        if not all(type(c) is str for c in categories):
            categories = text(pd.Series(categories, dtype=object)).to_numpy(dtype=object)
        labels = np.append(categories, "")
        codes = np.asarray(values.array.codes, dtype=np.int64)
        codes = np.where(codes < 0, len(categories), codes)
    else:
        labels = text(values).to_numpy(dtype=object)
        codes = np.arange(len(labels), dtype=np.int64)
    unique_codes, uniques = pd.factorize(labels)
    return (np.asarray(unique_codes, dtype=np.int64)[codes],
            np.asarray(uniques, dtype=object))


def text_array(values: pd.Series) -> np.ndarray:
    """:func:`text` of a column as an object array, via :func:`text_codes`."""
    codes, labels = text_codes(values)
    return np.asarray(labels[codes], dtype=object)


def first_seen_levels(codes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels in order of first appearance, leaving out ``''``, and each row's
    level (``-1`` for ``''``): what ``pandas.factorize`` of the text gives, less
    the empty label."""
    codes = np.asarray(codes, dtype=np.int64)
    n = len(codes)
    first = np.full(len(labels), n, dtype=np.int64)
    if n and len(labels) <= 32:
        for label in np.flatnonzero(np.bincount(codes, minlength=len(labels))):
            first[label] = int(np.argmax(codes == label))
    elif n:
        np.minimum.at(first, codes, np.arange(n, dtype=np.int64))
    seen = np.flatnonzero((first < n) & (np.asarray(labels, dtype=object) != ""))
    seen = seen[np.argsort(first[seen], kind="stable")]
    remap = np.full(len(labels), -1, dtype=np.int64)
    remap[seen] = np.arange(len(seen))
    return remap[codes], np.asarray(labels, dtype=object)[seen]


def rep_roles(reps: pd.DataFrame, rep_ids: pd.Series | np.ndarray) -> np.ndarray:
    """The role of each rep id (``''`` for an id the ``reps`` table does not know)."""
    return rep_labels(reps, "role", rep_ids)


def rep_teams(reps: pd.DataFrame, rep_ids: pd.Series | np.ndarray) -> np.ndarray:
    """The team of each rep id (``''`` for an id the ``reps`` table does not know)."""
    return rep_labels(reps, "team", rep_ids)


def rep_labels(reps: pd.DataFrame, column: str, rep_ids: pd.Series | np.ndarray
               ) -> np.ndarray:
    """A text column of ``reps`` for each rep id (``''`` for an unknown id)."""
    codes, labels = rep_label_codes(reps, column, rep_ids)
    out = np.full(len(codes), "", dtype=object)
    found = codes >= 0
    out[found] = labels[codes[found]]
    return out


def rep_label_codes(reps: pd.DataFrame, column: str, rep_ids: pd.Series | np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rep_labels` as codes into distinct labels (``-1`` for an unknown id), for
    comparisons of integers rather than of texts."""
    codes, labels = text_codes(reps[column])
    known = np.asarray(reps["rep_id"].to_numpy(dtype="int64"))
    # the first row of a duplicated rep id wins
    known, first = np.unique(known, return_index=True)
    ids = np.asarray(rep_ids, dtype=np.int64)
    at = np.searchsorted(known, ids)
    found = at < len(known)
    found[found] = known[at[found]] == ids[found]
    out = np.full(len(ids), -1, dtype=np.int64)
    out[found] = codes[first[at[found]]]
    return out, labels
