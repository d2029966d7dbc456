"""Record columns from arrays give what the slower text and Timestamp routes give."""

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from salesim.record_columns import categories_found, coded, codes_of, timestamps

START = dt.date(2026, 1, 1)


def test_timestamps_match_pandas_and_missing_is_nat() -> None:
    days = np.array([0.0, 0.5, 1 / 3, 1095.25, -2.0, np.nan, np.inf, -np.inf])
    got = timestamps(START, days)
    assert got.dtype == np.dtype("datetime64[ns]")
    expected = pd.Timestamp(START) + pd.to_timedelta(np.round(days[:5] * 86_400e9), unit="ns")
    assert (got[:5] == expected.to_numpy()).all()
    assert np.isnat(got[5:]).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-1, 4), max_size=40),
       st.permutations(["webinars", "events", "", "content", "ads"]))
def test_categories_found_is_what_astype_category_gives(codes: list[int],
                                                        names: list[str]) -> None:
    values = np.array([names[c] if c >= 0 else np.nan for c in codes], dtype=object)
    expected = pd.Series(values, dtype=object).astype("category")
    got = pd.Series(categories_found(np.array(codes, dtype=np.int64), names))
    pd.testing.assert_series_equal(got, expected)
    assert got.cat.categories.dtype == expected.cat.categories.dtype


def test_codes_of_and_coded_round_trip() -> None:
    statuses = ("open", "won", "lost")
    values = np.array(["won", "lost", "open", "won", "other"])
    codes = codes_of(values, statuses)
    assert codes.tolist() == [1, 2, 0, 1, -1]
    column = coded(codes, statuses)
    assert list(column.categories) == list(statuses)
    assert column.tolist()[:4] == ["won", "lost", "open", "won"]
    assert pd.isna(column[4])
