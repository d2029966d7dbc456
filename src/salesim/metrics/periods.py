"""Reporting periods: calendar months, quarters and years, clipped to the horizon.

Labels are ``'2027-03'`` (month), ``'2027Q1'`` (quarter), ``'2027'`` (year) and
``'total'`` (the whole horizon). The horizon is ``[start, end)``; a period
that the horizon cuts (a horizon starting on 15 January) keeps its label but
only covers the days inside the horizon.

>>> import pandas as pd
>>> horizon = Horizon(pd.Timestamp("2027-01-15"), pd.Timestamp("2027-04-01"))
>>> period_table(horizon, "quarter")[["period", "days", "full_days"]].to_dict("records")
[{'period': '2027Q1', 'days': 76.0, 'full_days': 90.0}]
>>> period_labels(pd.Series(pd.to_datetime(["2027-03-31 23:59"])), "month").tolist()
['2027-03']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from salesim.engine.records import Records
    from salesim.metrics.plan import Plan

PeriodType = Literal["month", "quarter", "year", "total"]
PERIOD_TYPES: tuple[PeriodType, ...] = ("month", "quarter", "year", "total")
TOTAL = "total"
_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Horizon:
    """The time window metrics look at: ``[start, end)``."""

    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise ValueError(f"the horizon ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def of(cls, records: Records, plan: Plan | None = None) -> Horizon:
        """The plan's horizon where it gives one, else the records' ``start``/``end``."""
        start = plan.start if plan is not None and plan.start is not None else records.start
        end = plan.end if plan is not None and plan.end is not None else records.end
        return cls(pd.Timestamp(start), pd.Timestamp(end))

    @property
    def days(self) -> float:
        return float((self.end - self.start) / DAY)

    def contains(self, times: pd.Series) -> pd.Series:
        """True where a timestamp falls inside the horizon (``NaT`` is outside)."""
        return (times >= self.start) & (times < self.end)

    def to_days(self, times: pd.Series) -> np.ndarray:
        """Days since the horizon start as floats; ``NaT`` becomes ``NaN``."""
        return np.asarray(((times - self.start) / DAY).to_numpy(dtype=float, na_value=np.nan))


def check_period_types(period_types: Sequence[str]) -> tuple[PeriodType, ...]:
    """Validate a list of period types, keeping their order."""
    bad = [p for p in period_types if p not in PERIOD_TYPES]
    if bad:
        raise ValueError(f"unknown period types {bad}; use {PERIOD_TYPES}")
    return tuple(p for p in PERIOD_TYPES if p in period_types)


def period_labels(times: pd.Series, period_type: PeriodType) -> pd.Series:
    """The label of the period each timestamp falls in (``NaT`` gives ``NaN``)."""
    if period_type == TOTAL:
        return pd.Series(TOTAL, index=times.index, dtype="str").where(times.notna())
    periods = pd.Series(times.to_numpy(dtype="datetime64[ns]"), index=times.index).dt.to_period(
        _FREQ[period_type])
    codes, uniques = pd.factorize(periods)
    names = np.asarray(uniques.astype(str), dtype=object)
    labels = np.full(len(codes), None, dtype=object)
    known = codes >= 0
    labels[known] = names[codes[known]]
    return pd.Series(labels, index=times.index, dtype="str")


def period_table(horizon: Horizon, period_type: PeriodType) -> pd.DataFrame:
    """Periods of one type covering the horizon, in order.

    Columns: ``period_type``, ``period`` (label), ``start`` and ``end`` (clipped
    to the horizon, ``end`` exclusive), ``days`` (length inside the horizon) and
    ``full_days`` (length of the whole calendar period).
    """
    if period_type == TOTAL:
        return pd.DataFrame({
            "period_type": [TOTAL], "period": [TOTAL],
            "start": [horizon.start], "end": [horizon.end],
            "days": [horizon.days], "full_days": [horizon.days],
        })
    freq = _FREQ[period_type]
    index = pd.period_range(horizon.start.to_period(freq), (horizon.end - pd.Timedelta(1, "ns"))
                            .to_period(freq), freq=freq)
    full_start = pd.Series(index.start_time.as_unit("ns"))
    full_end = pd.Series((index + 1).start_time.as_unit("ns"))
    start = full_start.where(full_start > horizon.start, horizon.start)
    end = full_end.where(full_end < horizon.end, horizon.end)
    return pd.DataFrame({
        "period_type": period_type,
        "period": index.astype(str),
        "start": start,
        "end": end,
        "days": (end - start) / DAY,
        "full_days": (full_end - full_start) / DAY,
    })


def all_periods(horizon: Horizon, period_types: Sequence[PeriodType]) -> pd.DataFrame:
    """:func:`period_table` for several period types, stacked."""
    return pd.concat([period_table(horizon, p) for p in period_types], ignore_index=True)


def month_to(labels: pd.Series, period_type: PeriodType) -> pd.Series:
    """Map month labels (``'2027-03'``) to the label of the containing period."""
    if period_type == "month":
        return labels.astype("str")
    if period_type == TOTAL:
        return pd.Series(TOTAL, index=labels.index, dtype="str")
    codes, uniques = pd.factorize(labels)
    parents = pd.PeriodIndex(uniques, freq="M").asfreq(_FREQ[period_type]).astype(str)
    return pd.Series(np.asarray(parents, dtype=object)[codes], index=labels.index, dtype="str")


def rollup(monthly: pd.DataFrame, keys: Sequence[str], values: Sequence[str],
           period_types: Sequence[PeriodType]) -> pd.DataFrame:
    """Sum additive monthly quantities into every requested period type.

    ``monthly`` has a ``period`` column of month labels; the result has
    ``period_type``, ``period``, the ``keys`` and the summed ``values``.
    """
    parts = []
    for period_type in period_types:
        frame = monthly[[*keys, *values]].copy()
        frame.insert(0, "period", month_to(monthly["period"], period_type))
        frame.insert(0, "period_type", period_type)
        parts.append(frame.groupby(["period_type", "period", *keys], sort=False,
                                   observed=True, dropna=False)[list(values)].sum()
                     .reset_index())
    if not parts:
        return pd.DataFrame(columns=["period_type", "period", *keys, *values])
    return pd.concat(parts, ignore_index=True)


def label_events(events: pd.DataFrame, at: str, horizon: Horizon,
                 period_types: Sequence[PeriodType]) -> pd.DataFrame:
    """Events inside the horizon, one copy per period type, with ``period_type``
    and ``period`` columns for the period the timestamp ``at`` falls in."""
    inside = events.loc[horizon.contains(events[at])]
    parts = []
    for period_type in period_types:
        frame = inside.copy()
        frame.insert(0, "period", period_labels(inside[at], period_type))
        frame.insert(0, "period_type", period_type)
        parts.append(frame)
    if not parts:
        return inside.assign(period_type=pd.Series(dtype="str"), period=pd.Series(dtype="str"))
    return pd.concat(parts, ignore_index=True)
