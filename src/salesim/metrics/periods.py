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

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from salesim.metrics._groups import key_dtype

if TYPE_CHECKING:
    from salesim.metrics.plan import Plan
    from salesim.records import Records

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

    def to_days(self, times: pd.Series | np.ndarray) -> np.ndarray:
        """Days since the horizon start as floats; ``NaT`` becomes ``NaN``."""
        values = (times.to_numpy(dtype="datetime64[ns]") if isinstance(times, pd.Series)
                  else np.asarray(times, dtype="datetime64[ns]"))
        start = self.start.to_datetime64().astype("datetime64[ns]")
        return np.asarray((values - start) / np.timedelta64(1, "D"), dtype=float)


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
    ``rollup`` sums monthly quantities into every period. The arrays are built
    with numpy date arithmetic; ``table`` and ``months`` (the same periods as
    :func:`all_periods` / :func:`period_table` frames) are built on first use.
    """

    def __init__(self, horizon: Horizon, period_types: Sequence[PeriodType] = PERIOD_TYPES):
        self.horizon = horizon
        self.types = check_period_types(period_types)
        start = horizon.start.to_datetime64().astype("datetime64[ns]")
        end = horizon.end.to_datetime64().astype("datetime64[ns]")
        self._start, self._end = start, end
        first_month = int(_month_number(np.array([start]))[0])
        last_month = int(_month_number(np.array([end - np.timedelta64(1, "ns")]))[0])
        self._first_month = first_month
        month_numbers = np.arange(first_month, last_month + 1, dtype=np.int64)
        self.month_numbers = month_numbers
        months = _periods(month_numbers, "month", start, end)
        self.month_period = months.label
        self.month_lo = months.lo
        self.month_hi = months.hi
        self.month_days = months.days
        self.month_full_days = months.full_days

        parts: list[_Periods] = []
        self.slices: dict[str, slice] = {}
        parents = []
        offset = 0
        for period_type in self.types:
            numbers = _coarsen(month_numbers, period_type)
            part = _periods(np.unique(numbers), period_type, start, end)
            parts.append(part)
            self.slices[period_type] = slice(offset, offset + len(part.label))
            parents.append(offset + numbers - numbers[0])
            offset += len(part.label)
        self.size = offset
        self.month_parents = (np.stack(parents, axis=1) if parents
                              else np.zeros((len(month_numbers), 0), dtype=np.int64))
        # periods x months: 1 where the month is in the period
        self._rollup_matrix = np.zeros((self.size, len(month_numbers)))
        for column in self.month_parents.T:
            self._rollup_matrix[column, np.arange(len(month_numbers))] = 1.0

        def joined(name: str, dtype: type | str) -> np.ndarray:
            arrays = [getattr(part, name) for part in parts]
            return np.concatenate(arrays) if arrays else np.array([], dtype=dtype)

        self.period_type = np.repeat(np.asarray(self.types, dtype=object),
                                     [len(part.label) for part in parts])
        self.period = joined("label", object)
        self.lo = joined("lo", float)
        self.hi = joined("hi", float)
        self.days = joined("days", float)
        self.end_times = joined("end", "datetime64[ns]")
        # the row of ``months`` of each day of the horizon, for ``month_index``
        first_day = _day_number(start)
        last_day = _day_number(end - np.timedelta64(1, "ns"))
        self._first_day = first_day
        self._month_of_day = _month_number(
            np.arange(first_day, last_day + 1).astype("datetime64[D]")) - first_month

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The grid's periods as :func:`all_periods` gives them."""
        return all_periods(self.horizon, self.types).reset_index(drop=True)

    @functools.cached_property
    def months(self) -> pd.DataFrame:
        """The horizon's months as :func:`period_table` gives them."""
        return period_table(self.horizon, "month").reset_index(drop=True)

    def month_index(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``times`` inside the horizon and the month (row of ``months``) of each."""
        times = np.asarray(times, dtype="datetime64[ns]")
        rows = np.flatnonzero((times >= self._start) & (times < self._end))
        days = times[rows].view(np.int64) // _DAY_NS - self._first_day
        return rows, self._month_of_day[days]

    def locate(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For timestamps inside the horizon, one ``(row, period)`` pair per period type:
        ``rows`` index into ``times``, ``periods`` into the grid."""
        rows, months = self.month_index(times)
        if not len(self.types):
            return rows[:0], rows[:0]
        parents = self.month_parents[months]
        return np.tile(rows, len(self.types)), parents.T.reshape(-1)

    def period_keys(self, levels: int = 1) -> np.ndarray:
        """Keys ``period * levels + level`` by period type (rows) for each key
        ``month * levels + level`` (columns), in the smallest type that holds them:
        ``period_keys(n)[:, month_keys]`` puts an event in its period of every type."""
        months = len(self.month_numbers)
        keys = (self.month_parents.T[:, :, None] * levels
                + np.arange(levels)[None, None, :]).reshape(len(self.types), months * levels)
        return keys.astype(key_dtype(self.size * levels))

    def rollup(self, monthly: np.ndarray) -> np.ndarray:
        """Sum an array with one row per month (any further axes) into grid periods."""
        monthly = np.asarray(monthly, dtype=float)
        out = np.zeros((self.size, *monthly.shape[1:]))
        for column in range(self.month_parents.shape[1]):
            np.add.at(out, self.month_parents[:, column], monthly)
        return out

    def rollup_whole(self, monthly: np.ndarray) -> np.ndarray:
        """:meth:`rollup` of whole numbers (counts) as one matrix product: their sums
        are exact in any order, so the result is the same."""
        return np.asarray(self._rollup_matrix @ np.asarray(monthly, dtype=float), dtype=float)

    def running_total(self, flows: np.ndarray) -> np.ndarray:
        """Cumulative sum of per-period flows within each period type, in time order."""
        out = np.zeros_like(np.asarray(flows, dtype=float))
        for part in self.slices.values():
            out[part] = np.cumsum(flows[part], axis=0)
        return out


@dataclass(frozen=True)
class _Periods:
    """Periods of one type as arrays: label, window in horizon days, end, lengths."""

    label: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    end: np.ndarray
    days: np.ndarray
    full_days: np.ndarray


def _periods(numbers: np.ndarray, period_type: PeriodType, start: np.datetime64,
             end: np.datetime64) -> _Periods:
    """Periods numbered as :func:`_coarsen` numbers them, clipped to ``[start, end)``."""
    if period_type == TOTAL:
        days = np.array([(end - start) / np.timedelta64(1, "D")])
        return _Periods(np.array([TOTAL], dtype=object), np.zeros(1), days,
                        np.array([end]), days, days)
    step = {"month": 1, "quarter": 3, "year": 12}[period_type]
    first = (numbers * step).astype("datetime64[M]")
    full_start = first.astype("datetime64[ns]")
    full_end = (first + step).astype("datetime64[ns]")
    clipped_start = np.maximum(full_start, start)
    clipped_end = np.minimum(full_end, end)
    if period_type == "month":
        label = np.datetime_as_string(first, unit="M").astype(object)
    else:
        years = np.datetime_as_string(first, unit="Y").astype(object)
        label = years if period_type == "year" else years + "Q" + (
            numbers % 4 + 1).astype(str).astype(object)
    day = np.timedelta64(1, "D")
    return _Periods(label=label, lo=(clipped_start - start) / day,
                    hi=(clipped_end - start) / day, end=clipped_end,
                    days=(clipped_end - clipped_start) / day,
                    full_days=(full_end - full_start) / day)


_DAY_NS = 86_400 * 10**9


def _day_number(time: np.datetime64) -> int:
    """Days since 1 January 1970 of an instant (floor)."""
    return int(np.asarray(time, dtype="datetime64[ns]").view(np.int64)) // _DAY_NS


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
