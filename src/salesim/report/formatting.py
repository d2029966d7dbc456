"""Numbers as people read them: the one place that decides how money, shares,
durations and counts are written, in tables, charts and the terminal.

Money is written the way its users write it: dollars, euros and pounds with a
symbol and k / M / B (``$1.2M``, ``$350k``), yen in 万 and 億 (``3,500万円``,
``1.2億円``), any other currency as a short number and its code (``1.2M CHF``).
Three significant digits are enough for a plan.

>>> format_money(1_234_567, "USD"), format_money(350_000, "USD"), format_money(-950, "EUR")
('$1.23M', '$350k', '-€950')
>>> format_money(120_000_000, "JPY"), format_money(35_000_000, "JPY"), format_money(9_800, "JPY")
('1.2億円', '3,500万円', '9,800円')
>>> format_metric("win_rate", 0.2345), format_metric("leads", 2400.0)
('23.4%', '2,400')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

Kind = Literal["money", "share", "minutes", "hours", "days", "months", "people", "count"]

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "NZD": "NZ$",
           "SGD": "S$", "HKD": "HK$"}
"""Currencies written with a symbol in front (k / M / B after the number)."""

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
_YEN_SCALES = ((1e12, "兆"), (1e8, "億"), (1e4, "万"))
_UNIT_KINDS: dict[str, Kind] = {
    "share": "share", "ratio": "share", "minutes": "minutes", "hours": "hours",
    "days": "days", "months": "months", "people": "people", "count": "count",
}
_MONEY_WORDS = ("bookings", "arr", "cac", "cost", "revenue", "payout", "deal_size", "spend")
_SHARE_WORDS = ("rate", "nrr", "grr", "attainment", "share", "utilisation", "conversion")
_PAY_WORDS = ("comp_cost", "comp_variable", "variable_pay")
"""Pay metrics are money, whatever else their names mention (attainment)."""


def _significant(value: float, digits: int = 3) -> float:
    """``value`` rounded to ``digits`` significant digits."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _plain(value: float, digits: int = 3) -> str:
    """A number of at most ``digits`` significant digits, grouped, never in e-notation,
    trailing zeros dropped: ``1.2``, ``350``, ``1,234`` (whole part kept)."""
    rounded = _significant(value, digits)
    if abs(rounded) >= 10 ** (digits - 1):
        return f"{rounded:,.0f}"
    decimals = digits - 1 - math.floor(math.log10(abs(rounded))) if rounded else 0
    text = f"{rounded:,.{max(decimals, 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def short_number(value: float, scales: tuple[tuple[float, str], ...] = _SCALES) -> str:
    """A number with k / M / B / T and three significant digits: ``1.23M``, ``350k``.

    >>> short_number(999_999), short_number(12_345), short_number(950.4)
    ('1M', '12.3k', '950')
    """
    size = abs(_significant(value))
    for limit, suffix in scales:
        if size >= limit:
            return f"{_plain(value / limit)}{suffix}"
    return _plain(value) if size >= 1 or size == 0 else _plain(value, 2)


def _yen(amount: float) -> str:
    size = abs(amount)
    for index, (limit, suffix) in enumerate(_YEN_SCALES):
        scaled = size / limit
        if scaled < 1:
            continue
        # 3,500万円: up to four digits in front of 万 and 億 are written in full
        text = (f"{round(scaled):,}" if scaled >= 100 else _plain(scaled))
        if index > 0 and round(scaled) >= 10_000:
            limit, suffix = _YEN_SCALES[index - 1]
            text = _plain(size / limit)
        return f"{'-' if amount < 0 else ''}{text}{suffix}円"
    return f"{amount:,.0f}円"


def format_money(amount: float, currency: str = "USD") -> str:
    """An amount as its users write it (see the module docs); ``-`` when missing.

    >>> format_money(30_190_510, "USD"), format_money(999_600, "GBP"), format_money(12_500, "CHF")
    ('$30.2M', '£1M', '12.5k CHF')
    >>> format_money(1_234_567_890, "JPY"), format_money(999_999_999, "JPY")
    ('12.3億円', '10億円')
    """
    if amount is None or pd.isna(amount):
        return "-"
    amount = float(amount)
    if math.isinf(amount):
        return "∞" if amount > 0 else "-∞"
    currency = (currency or "").upper()
    if currency == "JPY":
        return _yen(_significant(amount, 4) if abs(amount) >= 1e4 else amount)
    sign = "-" if amount < 0 else ""
    number = short_number(abs(amount))
    if currency in SYMBOLS:
        return f"{sign}{SYMBOLS[currency]}{number}"
    return f"{sign}{number} {currency}".rstrip()


def format_percent(share: float, decimals: int = 1) -> str:
    """A share as a percentage: ``format_percent(0.2345) == '23.4%'``."""
    if share is None or pd.isna(share):
        return "-"
    return f"{float(share) * 100:,.{decimals}f}%"


def format_count(value: float) -> str:
    """A count or any plain number: grouped, whole when large, never in e-notation.

    >>> format_count(2400.0), format_count(12.345), format_count(0.01234), format_count(3.019051e7)
    ('2,400', '12.3', '0.0123', '30,190,510')
    """
    if value is None or pd.isna(value):
        return "-"
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value.is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.1f}"
    return _plain(value)


def metric_kind(metric: str, unit: str | None = None) -> Kind:
    """What a metric measures, from its KPI ``unit`` when known, else from its name.

    >>> metric_kind("bookings"), metric_kind("ae_share_at_quota"), metric_kind("x", "JPY")
    ('money', 'share', 'money')
    """
    if unit:
        if unit in _UNIT_KINDS:
            return _UNIT_KINDS[unit]
        if len(unit) == 3 and unit.isupper():
            return "money"
    name = metric.lower()
    for suffix, kind in (("minutes", "minutes"), ("hours", "hours"), ("days", "days"),
                         ("months", "months")):
        if suffix in name:
            return kind  # type: ignore[return-value]
    if name.startswith("headcount") or "reps_with_quota" in name:
        return "people"
    if any(word in name for word in _PAY_WORDS):
        return "money"
    if any(word in name for word in _SHARE_WORDS):
        return "share"
    if any(word in name for word in _MONEY_WORDS):
        return "money"
    return "count"


def format_metric(metric: str, value: float, currency: str = "", unit: str | None = None
                  ) -> str:
    """A metric's value for people: money, percentages, durations or counts.

    >>> format_metric("bookings", 2_500_000, "USD"), format_metric("leads_called_minutes", 4.25)
    ('$2.5M', '4.2 min')
    >>> format_metric("wait_hours_mean", 30.0), format_metric("cac_payback_months", 14.26)
    ('30 h', '14.3 months')
    """
    if value is None or pd.isna(value):
        return "-"
    kind = metric_kind(metric, unit)
    if kind == "money":
        return format_money(value, currency or (unit if unit and unit.isupper() else ""))
    if kind == "share":
        return format_percent(value)
    if kind == "minutes":
        return f"{float(value):,.1f} min"
    if kind == "hours":
        return f"{format_count(value)} h"
    if kind in ("days", "months"):
        return f"{float(value):,.1f} {kind}"
    return format_count(value)


def format_table(frame: pd.DataFrame, currency: str = "",
                 units: Mapping[str, str] | None = None, metric: str | None = None
                 ) -> pd.DataFrame:
    """The same table with every number written for people (a table of text).

    Each numeric cell is formatted by the metric of its row: the column named
    ``metric`` when there is one (and ``unit`` next to it), else the column's
    own name when it names a kind of metric (``bookings P50``), else ``metric``
    given here, else the row label (as in :meth:`Ensemble.summary`). ``units`` maps
    metric names to KPI units. Columns named ``n`` or ``replications`` and
    probabilities (``P(...)``) keep their own form. Text cells are left as they are.

    >>> table = pd.DataFrame({"p50": [3.019051e7, 0.25]}, index=["bookings", "win_rate"])
    >>> format_table(table, "USD")["p50"].tolist()
    ['$30.2M', '25.0%']
    """
    out = frame.copy().astype(object)
    units = dict(units or {})
    row_metric = frame["metric"].astype(str).tolist() if "metric" in frame.columns else None
    row_unit = frame["unit"].astype(str).tolist() if "unit" in frame.columns else None
    labels = [_label(label) for label in frame.index]
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        name = _label(column)
        named = metric_kind(name) != "count"  # a column such as "bookings P50"
        values = []
        for row, value in enumerate(series.tolist()):
            what = row_metric[row] if row_metric else (
                name if named else (metric or labels[row]))
            unit = row_unit[row] if row_unit else units.get(what)
            values.append(_cell(name, what, value, currency, unit))
        out.iloc[:, position] = values
    return out


def _label(label: Any) -> str:
    if isinstance(label, tuple):
        return " ".join(str(part) for part in label)
    return str(label)


def _cell(column: str, metric: str, value: Any, currency: str, unit: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    last = column.split(" ")[-1]
    if last in ("n", "reps", "replications", "rep_id", "replication", "seed", "hits"):
        return format_count(value)
    if column.startswith("P(") or last == "probability":
        return format_percent(value)
    return format_metric(metric, value, currency, unit)


def axis_formatter(kind: Kind, currency: str = "") -> Callable[[float, Any], str]:
    """A tick label function for a chart axis of this kind (for ``FuncFormatter``)."""

    def label(value: float, _position: Any = None) -> str:
        if kind == "money":
            return format_money(value, currency)
        if kind == "share":
            return f"{value * 100:.0f}%" if abs(value * 100 - round(value * 100)) < 1e-6 \
                else f"{value * 100:.1f}%"
        return short_number(value) if abs(value) >= 1e4 else format_count(
            float(np.round(value, 6)))

    return label
