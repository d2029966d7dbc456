"""Numbers written for people: money as its users write it, no e-notation anywhere."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from salesim.report.formatting import (
    axis_formatter,
    format_count,
    format_metric,
    format_money,
    format_table,
    metric_kind,
    short_number,
)


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (1_234_567, "USD", "$1.23M"),
    (1_200_000, "USD", "$1.2M"),
    (350_000, "USD", "$350k"),
    (999_999, "USD", "$1M"),            # rounds up into the next unit, never "$1,000k"
    (999.6, "USD", "$1k"),
    (950, "USD", "$950"),
    (0, "USD", "$0"),
    (-2_500_000, "USD", "-$2.5M"),
    (4.2e9, "EUR", "€4.2B"),
    (12_500, "CHF", "12.5k CHF"),
    (120_000_000, "JPY", "1.2億円"),
    (35_000_000, "JPY", "3,500万円"),
    (3_500_000, "JPY", "350万円"),
    (35_500, "JPY", "3.55万円"),
    (9_800, "JPY", "9,800円"),
    (1_234_567_890, "JPY", "12.3億円"),
    (99_995_000, "JPY", "1億円"),      # 9,999.5万 rounds to 1億, not 10,000万
    (1.5e12, "JPY", "1.5兆円"),
    (-35_000_000, "JPY", "-3,500万円"),
    (math.nan, "USD", "-"),
])
def test_money(amount: float, currency: str, shown: str) -> None:
    assert format_money(amount, currency) == shown


def test_short_numbers_never_use_e_notation() -> None:
    for value in (0.000123, 0.5, 7.0, 99.95, 12_345.0, 3.019051e7, 8.8e11, 4.4e13):
        text = short_number(value)
        assert not re.search(r"\de[+-]?\d", text), text
    assert format_count(3.019051e7) == "30,190,510"
    assert format_count(0.01234) == "0.0123"


def test_metric_kinds_from_units_and_names() -> None:
    assert metric_kind("anything", "JPY") == "money"
    assert metric_kind("anything", "ratio") == "share"
    assert metric_kind("cac_payback_months") == "months"
    assert metric_kind("headcount_end_ae") == "people"
    assert metric_kind("ae_attainment_mean") == "share"
    assert format_metric("bookings", 30_190_510, "JPY") == "3,019万円"
    assert format_metric("wait_hours_p90", 12.25) == "12.2 h"
    assert format_metric("x", 3.0, unit="days") == "3.0 days"


def test_format_table_by_row_metric_column_and_label() -> None:
    tidy = pd.DataFrame({"metric": ["bookings", "win_rate"], "unit": ["USD", "share"],
                         "p50": [3.019051e7, 0.2], "n": [400, 400]})
    shown = format_table(tidy)
    assert shown["p50"].tolist() == ["$30.2M", "20.0%"]
    assert shown["n"].tolist() == ["400", "400"]
    by_label = pd.DataFrame({"P(bookings >= target)": [0.4], "bookings P50": [3.1e7]},
                            index=["base"])
    shown = format_table(by_label, "USD", metric="bookings")
    assert shown.iloc[0].tolist() == ["40.0%", "$31M"]
    assert "e+" not in shown.to_string()


def test_axis_labels() -> None:
    assert axis_formatter("money", "USD")(2_500_000) == "$2.5M"
    assert axis_formatter("share")(0.25) == "25%"
    assert axis_formatter("count")(40_000) == "40k"
