"""Field types for scenario models: units parsed on the way in, written back on the way out.

Every type serialises to a form its parser reads back, so a validated scenario
dumped to YAML loads to an equal scenario.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
)

from salesim.scenario.distributions import Distribution
from salesim.scenario.units import (
    Duration,
    format_month,
    parse_money,
    parse_month,
    parse_number,
    parse_rate,
)

DURATION_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0, "description": "days"},
        {"type": "string", "pattern": r"^\s*[0-9.,_]+\s*\S.*$",
         "examples": ["5 min", "2h", "3 business days", "6 months"]},
    ]
}


def _non_negative_duration(value: Duration) -> Duration:
    if not math.isfinite(value.amount):
        raise ValueError(f"a duration must be a finite number of {value.unit}s")
    if value.amount < 0:
        raise ValueError(f"a duration cannot be negative (got {value})")
    return value


def _positive_duration(value: Duration) -> Duration:
    if value.amount <= 0:
        raise ValueError(f"must be longer than zero (got {value})")
    return value


DurationValue = Annotated[
    Duration,
    BeforeValidator(Duration.parse),
    AfterValidator(_non_negative_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(DURATION_JSON_SCHEMA),
]
"""A non-negative duration: ``"5 min"``, ``"2h"``, ``"3 business days"``, or days as a number."""

PositiveDuration = Annotated[DurationValue, AfterValidator(_positive_duration)]


def _rate(value: Any) -> float:
    rate = parse_rate(value)
    if not 0 <= rate <= 1:
        raise ValueError(f"{rate:.0%} is outside 0%..100%")
    return rate


Rate = Annotated[
    float,
    BeforeValidator(_rate),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                              {"type": "string", "pattern": r"^\s*[0-9.]+\s*%\s*$"}]}),
]
"""A probability or share from 0 to 1, written ``0.35`` or ``"35%"``."""


def _growth(value: Any) -> float:
    problem = "expected a growth rate such as 20% or 0.2 (negative for decline)"
    if isinstance(value, str):
        text = value.strip()
        try:
            return parse_number(text[:-1]) / 100 if text.endswith("%") else parse_number(text)
        except ValueError:
            raise ValueError(f"{problem}, got '{value}'") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(problem)
    return float(value)


GrowthRate = Annotated[
    float,
    BeforeValidator(_growth),
    Field(ge=-1),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}]}),
]
"""A growth rate that may exceed 100% or be negative: ``20%``, ``-5%``, ``1.5``."""


def _money(value: Any, info: ValidationInfo) -> float:
    currency = (info.context or {}).get("currency") if info is not None else None
    return parse_money(value, currency)


def _non_negative(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("an amount of money must be a finite number")
    if value < 0:
        raise ValueError(f"cannot be negative (got {value:g})")
    return value


Money = Annotated[
    float,
    BeforeValidator(_money),
    AfterValidator(_non_negative),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "examples": ["12000", "12k USD", "$1.2M"]}]}),
]
"""A non-negative amount in the scenario currency: ``12000``, ``"12k USD"``, ``"$1.2M"``."""

Month = Annotated[
    dt.date,
    BeforeValidator(parse_month),
    PlainSerializer(format_month, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\s*\d{4}-\d{1,2}(-\d{1,2})?\s*$",
                    "examples": ["2027-03"]}),
]
"""A calendar month written ``YYYY-MM``."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=80, strip_whitespace=True)]
"""A name of a team, channel, segment or stage; any language."""


DurationDist = Distribution[DurationValue]
MoneyDist = Distribution[Money]
NumberDist = Distribution[float]
