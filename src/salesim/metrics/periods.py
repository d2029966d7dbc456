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


class PeriodGrid:
    """Every period of the requested types over a horizon, numbered ``0..size-1``
    (months first, then quarters, years, total), for fast numpy aggregation.

    ``locate`` maps timestamps to period numbers for all period types at once;
    ``rollup`` sums monthly quantities into every period.
    """

    def __init__(self, horizon: Horizon, period_types: Sequence[PeriodType] = PERIOD_TYPES):
        self.horizon = horizon
        self.types = check_period_types(period_types)
        self.table = all_periods(horizon, self.types).reset_index(drop=True)
        self.size = len(self.table)
        self.period_type = self.table["period_type"].to_numpy(dtype=object)
        self.period = self.table["period"].to_numpy(dtype=object)
        self.lo = horizon.to_days(self.table["start"])
        self.hi = horizon.to_days(self.table["end"])
        self.days = self.table["days"].to_numpy(dtype=float)
        self.end_times = self.table["end"].to_numpy(dtype="datetime64[ns]")
        self.months = period_table(horizon, "month").reset_index(drop=True)
        self.month_lo = horizon.to_days(self.months["start"])
        self.month_hi = horizon.to_days(self.months["end"])
        self.month_full_days = self.months["full_days"].to_numpy(dtype=float)
        first_month = _month_number(np.array([horizon.start.to_datetime64()]))[0]
        self._first_month = int(first_month)
        month_numbers = first_month + np.arange(len(self.months))
        self.slices: dict[str, slice] = {}
        parents = []
        offset = 0
        for period_type in self.types:
            count = int((self.period_type == period_type).sum())
            self.slices[period_type] = slice(offset, offset + count)
            numbers = _coarsen(month_numbers, period_type)
            parents.append(offset + numbers - numbers[0])
            offset += count
        self.month_parents = (np.stack(parents, axis=1) if parents
                              else np.zeros((len(self.months), 0), dtype=np.int64))

    def month_index(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``times`` inside the horizon and the month (row of ``months``) of each."""
        times = np.asarray(times, dtype="datetime64[ns]")
        start = self.horizon.start.to_datetime64()
        end = self.horizon.end.to_datetime64()
        rows = np.flatnonzero((times >= start) & (times < end))
        return rows, _month_number(times[rows]) - self._first_month

    def locate(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For timestamps inside the horizon, one ``(row, period)`` pair per period type:
        ``rows`` index into ``times``, ``periods`` into the grid."""
        rows, months = self.month_index(times)
        if not len(self.types):
            return rows[:0], rows[:0]
        parents = self.month_parents[months]
        return np.tile(rows, len(self.types)), parents.T.reshape(-1)

    def rollup(self, monthly: np.ndarray) -> np.ndarray:
        """Sum an array with one row per month (any further axes) into grid periods."""
        monthly = np.asarray(monthly, dtype=float)
        out = np.zeros((self.size, *monthly.shape[1:]))
        for column in range(self.month_parents.shape[1]):
            np.add.at(out, self.month_parents[:, column], monthly)
        return out

    def running_total(self, flows: np.ndarray) -> np.ndarray:
        """Cumulative sum of per-period flows within each period type, in time order."""
        out = np.zeros_like(np.asarray(flows, dtype=float))
        for part in self.slices.values():
            out[part] = np.cumsum(flows[part], axis=0)
        return out


def _month_number(times: np.ndarray) -> np.ndarray:
    """Calendar months since January 1970."""
    return np.asarray(times.astype("datetime64[M]").astype(np.int64), dtype=np.int64)


def _coarsen(months: np.ndarray, period_type: str) -> np.ndarray:
    if period_type == "month":
        return months
    if period_type == "quarter":
        return months // 3
    if period_type == "year":
        return months // 12
    return np.zeros_like(months)
