"""Ranges and lists of scenario values to explore, written as on the command line.

``key=low..high`` is a :class:`ValueRange`: whole numbers (``ae.headcount=10..60``)
stay whole, rates keep their ``%`` (``sdr.attrition=10%..40%``), money its
suffixes (``segments.smb.deal_size=8k..16k``), durations their unit
(``ae.time_to_fill=30 days..90 days``). A fraction ``u`` from 0 to 1 maps to a
value with :meth:`ValueRange.at`, which is what a Latin hypercube or a Sobol
design needs. ``key=a,b,c`` (or a YAML list ``key=[a, b]``) is a list of values
(:func:`parse_grid`), each read as YAML like ``--set`` values.

>>> r = ValueRange.parse("ae.headcount=10..60")
>>> r.key, r.at(0.0), r.at(0.5), r.at(1.0), r.whole
('ae.headcount', 10, 35, 60, True)
>>> ValueRange.parse("sdr.attrition=10%..40%").at(0.5)
0.25
>>> ValueRange.parse("ae.time_to_fill=30 days..90 days").at(0.5)
'60 days'
>>> parse_grid("sdr.queue=fifo,score_priority")
('sdr.queue', ['fifo', 'score_priority'])
>>> parse_grid("ae.headcount=[20, 24]")
('ae.headcount', [20, 24])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml

from salesim.scenario.units import Duration, UnitError, parse_money, parse_number, parse_rate


def _split_key(text: str, option: str, example: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise ValueError(f"{option} {text}: expected {example}")
    return key.strip(), value.strip()


@dataclass(frozen=True)
class ValueRange:
    """A numeric range of one scenario value: ``low`` to ``high`` in ``kind`` units.

    ``kind`` is ``"whole"``, ``"number"``, ``"rate"``, ``"money"`` or a
    duration unit (``"day"``, ``"week"``...).
    """

    key: str
    low: float
    high: float
    kind: str
    written: str

    @classmethod
    def parse(cls, text: str, option: str = "--vary") -> ValueRange:
        """Read ``key=low..high``; raise ValueError with the option named."""
        key, value = _split_key(text, option, "key=low..high, e.g. ae.headcount=10..60")
        low_text, sep, high_text = value.partition("..")
        if not sep or not low_text.strip() or not high_text.strip():
            raise ValueError(f"{option} {text}: expected key=low..high, e.g. "
                             "ae.headcount=10..60")
        try:
            (low, high), kind = _read_pair(low_text.strip(), high_text.strip())
        except (UnitError, ValueError) as error:
            raise ValueError(f"{option} {text}: {error}") from None
        if not low < high:
            raise ValueError(f"{option} {text}: the low end must be below the high end")
        return cls(key, low, high, kind, text)

    @property
    def whole(self) -> bool:
        return self.kind == "whole"

    def at(self, fraction: float) -> Any:
        """The value a fraction of the way from ``low`` to ``high``, as an override value."""
        if not 0 <= fraction <= 1:
            raise ValueError(f"fraction must be within 0..1, not {fraction}")
        if self.whole:  # each whole number gets an equal share of 0..1
            return int(min(self.high, self.low + math.floor(fraction * (self.high - self.low + 1))))
        value = self.low + fraction * (self.high - self.low)
        if self.kind in ("number", "rate", "money"):
            return float(value)
        return str(Duration(round(value, 6), self.kind))

    def number(self, value: Any) -> float:
        """An override value of this range back as a plain number (for tables)."""
        if isinstance(value, str):
            return Duration.parse(value).amount
        return float(value)


def _read_pair(low: str, high: str) -> tuple[tuple[float, float], str]:
    def whole(text: str) -> bool:
        try:
            return float(parse_number(text)).is_integer() and "." not in text
        except ValueError:
            return False

    if whole(low) and whole(high):
        return (parse_number(low), parse_number(high)), "whole"
    if low.endswith("%") and high.endswith("%"):
        return (parse_rate(low), parse_rate(high)), "rate"
    try:
        return (parse_number(low), parse_number(high)), "number"
    except ValueError:
        pass
    try:
        return (parse_money(low), parse_money(high)), "money"
    except UnitError:
        pass
    first, second = Duration.parse(low), Duration.parse(high)
    if first.unit != second.unit:
        raise ValueError(f"write both ends in the same unit ({first.unit} and {second.unit})")
    return (first.amount, second.amount), first.unit


def parse_grid(text: str, option: str = "--grid") -> tuple[str, list[Any]]:
    """Read ``key=a,b,c`` or ``key=[a, b, c]`` into the key and its values (read as YAML)."""
    key, value = _split_key(text, option, "key=value,value,..., e.g. ae.headcount=20,24,28")
    if value.startswith("["):
        try:
            values = yaml.safe_load(value)
        except yaml.YAMLError:
            values = None
        if not isinstance(values, list) or not values:
            raise ValueError(f"{option} {text}: not a list of values")
        return key, values
    values = [_yaml_value(part.strip()) for part in value.split(",")]
    if any(part == "" for part in values):
        raise ValueError(f"{option} {text}: an empty value (write money as 12k, not 12,000)")
    return key, values


def _yaml_value(text: str) -> Any:
    try:
        return yaml.safe_load(text) if text else ""
    except yaml.YAMLError:
        return text
