"""Units a planner writes naturally: durations, rates, money and months.

Every parser accepts the plain machine form too (numbers), so a scenario that
was dumped back to YAML loads to the same values.

>>> round(Duration.parse("3 business days").days, 6)
4.2
>>> parse_rate("35%")
0.35
>>> parse_money("12k USD")
12000.0
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, ClassVar

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
# A business day stands for 7/5 calendar days on average (five working days a week).
CALENDAR_DAYS_PER_BUSINESS_DAY = 7 / 5


class UnitError(ValueError):
    """A value that does not read as the expected unit; the message says what would."""


# canonical unit -> (calendar days per unit, singular label, plural label)
_DURATION_UNITS: dict[str, tuple[float, str, str]] = {
    "second": (1 / 86_400, "second", "seconds"),
    "minute": (1 / 1_440, "min", "min"),
    "hour": (1 / 24, "h", "h"),
    "day": (1.0, "day", "days"),
    "business_day": (CALENDAR_DAYS_PER_BUSINESS_DAY, "business day", "business days"),
    "week": (7.0, "week", "weeks"),
    "month": (DAYS_PER_MONTH, "month", "months"),
    "year": (DAYS_PER_YEAR, "year", "years"),
}

_DURATION_ALIASES: dict[str, str] = {
    "s": "second", "sec": "second", "secs": "second", "second": "second", "seconds": "second",
    "秒": "second",
    "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
    "分": "minute",
    "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour", "時間": "hour",
    "d": "day", "day": "day", "days": "day", "日": "day",
    "bd": "business_day", "business day": "business_day", "business days": "business_day",
    "working day": "business_day", "working days": "business_day", "営業日": "business_day",
    "w": "week", "wk": "week", "wks": "week", "week": "week", "weeks": "week", "週": "week",
    "週間": "week",
    "mo": "month", "mon": "month", "month": "month", "months": "month", "ヶ月": "month",
    "か月": "month", "カ月": "month", "ケ月": "month",
    "y": "year", "yr": "year", "yrs": "year", "year": "year", "years": "year", "年": "year",
}

# Commas only as thousands separators (1,000 or 12,500.5): a decimal comma such as
# "1,5" must not be read as 15.
_NUMBER = r"[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE = re.compile(rf"\s*{_NUMBER}\s*")
_QUANTITY_RE = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")


def parse_number(text: str) -> float:
    """A number as people write it: ``1200``, ``1,200``, ``1_200``, ``1.5e3``."""
    if not _NUMBER_RE.fullmatch(text):
        raise ValueError(f"'{text}' is not a number")
    return float(text.replace(",", "").replace("_", ""))


_to_number = parse_number


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time as the planner wrote it: an amount and a unit.

    ``days`` converts to calendar days, the simulation's clock unit; a business
    day counts as 7/5 calendar days on average (the engine's calendar places
    business-day delays exactly).
    """

    amount: float
    unit: str = "day"

    UNITS: ClassVar[tuple[str, ...]] = tuple(_DURATION_UNITS)

    @property
    def days(self) -> float:
        return self.amount * _DURATION_UNITS[self.unit][0]

    @property
    def minutes(self) -> float:
        return self.days * 1_440

    @classmethod
    def parse(cls, value: Any) -> Duration:
        if isinstance(value, Duration):
            return value
        if isinstance(value, bool):
            raise UnitError("expected a duration such as '5 min', '2h', '3 business days'")
        if isinstance(value, int | float):
            # A bare number is a number of days: the simulation clock's unit.
            return cls(float(value), "day")
        if not isinstance(value, str):
            raise UnitError(
                f"expected a duration such as '5 min', '2h', '3 business days', "
                f"got {type(value).__name__}"
            )
        match = _QUANTITY_RE.match(value)
        if not match:
            raise UnitError(
                f"'{value}' is not a duration: write a number and a unit, "
                "e.g. '5 min', '2h', '3 business days', '6 months'"
            )
        amount = _to_number(match.group(1))
        label = re.sub(r"\s+", " ", match.group(2).strip().lower())
        if label == "":
            return cls(amount, "day")
        unit = _DURATION_ALIASES.get(label)
        if unit is None and label == "m":
            raise UnitError(f"'{value}' is ambiguous: 'm' could be minutes or months "
                            f"(write '{match.group(1)} min' or '{match.group(1)} months')")
        if unit is None and re.match(r",\d", label):
            raise UnitError(f"'{value}' has a decimal comma: write decimals with a point, "
                            "e.g. '1.5 days'")
        if unit is None:
            raise UnitError(
                f"unknown time unit '{match.group(2)}' in '{value}': use min, h, days, "
                "business days, weeks, months or years"
            )
        return cls(amount, unit)

    def __str__(self) -> str:
        _, singular, plural = _DURATION_UNITS[self.unit]
        label = singular if self.amount == 1 else plural
        return f"{_format_number(self.amount)} {label}"


def parse_rate(value: Any) -> float:
    """A probability or share: ``0.35`` or ``"35%"``. Numbers above 1 are refused."""
    if isinstance(value, bool):
        raise UnitError("expected a rate such as 35% or 0.35, got a yes/no value")
    if isinstance(value, int | float):
        number = float(value)
        if number > 1:
            raise UnitError(
                f"{_format_number(number)} is not a rate: rates are fractions from 0 to 1 "
                f"or percentages (did you mean {_format_number(number)}%?)"
            )
        return number
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                return _to_number(text[:-1].strip()) / 100
            except ValueError:
                pass
        else:
            try:
                return parse_rate(_to_number(text))
            except ValueError as error:
                if isinstance(error, UnitError):
                    raise
        raise UnitError(f"'{value}' is not a rate: write 35% or 0.35")
    raise UnitError(f"expected a rate such as 35% or 0.35, got {type(value).__name__}")


_MONEY_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "万": 1e4, "億": 1e8}
_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "￥": "JPY", "円": "JPY"}
_MONEY_RE = re.compile(
    rf"^\s*(?P<pre>[$€£¥￥])?\s*(?P<num>{_NUMBER})\s*(?P<suffix>k|m|mm|b|bn|万|億)?"
    r"\s*(?P<post>[A-Za-z]{3}|円)?\s*$",
    re.IGNORECASE,
)


def parse_money(value: Any, currency: str | None = None) -> float:
    """An amount of money: ``12000``, ``"12,000 USD"``, ``"$12k"``, ``"1.2M"``, ``"120万円"``.

    When ``currency`` is given, an amount written in another currency is refused
    (salesim does not convert currencies).
    """
    if isinstance(value, bool):
        raise UnitError("expected an amount of money such as 12000 or '12k USD'")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise UnitError(
            f"expected an amount of money such as 12000 or '12k USD', got {type(value).__name__}"
        )
    match = _MONEY_RE.match(value)
    if not match:
        raise UnitError(
            f"'{value}' is not an amount of money: write e.g. 12000, '12,000 USD', '$12k' or '1.2M'"
        )
    amount = _to_number(match["num"]) * _MONEY_SUFFIX[(match["suffix"] or "").lower()]
    written = [c for c in (match["pre"], match["post"]) if c]
    codes = {_CURRENCY_SYMBOLS.get(c, c.upper()) for c in written}
    if len(codes) > 1:
        raise UnitError(f"'{value}' names two currencies")
    if currency and codes and codes != {currency.upper()}:
        raise UnitError(
            f"'{value}' is in {codes.pop()} but the scenario's currency is {currency.upper()} "
            "(meta.currency); amounts are not converted"
        )
    return amount


def parse_month(value: Any) -> dt.date:
    """A calendar month, ``2027-03`` (or any date in it), as the first day of the month."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*", value)
        if match:
            try:
                return dt.date(int(match.group(1)), int(match.group(2)), 1)
            except ValueError:
                pass
    raise UnitError(f"'{value}' is not a month: write it as YYYY-MM, e.g. 2027-03")


def format_month(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def add_months(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + (start.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, later: dt.date) -> int:
    """Whole calendar months from ``start``'s month to ``later``'s month."""
    return (later.year - start.year) * 12 + (later.month - start.month)
