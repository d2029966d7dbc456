"""Headcount and ramped headcount per role, from the ``reps`` table.

A rep counts in a month in proportion to the days employed in it
(``[hired_at, left_at)``, clipped to the horizon). Ramped headcount weights
each day by the rep's productivity in that month of tenure, from the plan's
ramp for the rep's role (tenure month 1 runs from ``hired_at`` to the same day
a month later); reps with ``origin == 'initial'`` are fully ramped from day one.

>>> from salesim.metrics import headcount              # doctest: +SKIP
>>> headcount(records, plan, period_types=("month",))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesim.metrics._tidy import text_array, text_codes
from salesim.metrics.intervals import overlap_matrix
from salesim.metrics.periods import PERIOD_TYPES, Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan
from salesim.records import Records

REP_MONTH_COLUMNS = ("rep_id", "role", "segment", "period", "person_days", "ramped_days",
                     "month_days", "headcount_months", "ramped_months", "annual_cost")
HEADCOUNT_COLUMNS = ("period_type", "period", "role", "headcount", "ramped_headcount",
                     "headcount_end", "headcount_months", "hires", "leavers")


def roles_of(records: Records, plan: Plan) -> list[str]:
    """The plan's roles, then any other role found in the ``reps`` table."""
    codes, labels = text_codes(records.reps["role"])
    seen = [r for r in labels[np.unique(codes)] if r]
    return [*plan.roles, *sorted(r for r in seen if r not in plan.roles)]


@dataclass(frozen=True)
class Workforce:
    """Reps (rows) by month and per role by grid period, as arrays.

    Per rep: ``rep_id``, ``role``, ``segment``, ``annual_cost``, ``role_code``
    (index into ``roles``); ``days`` and ``ramped`` (reps x months: days
    employed, productivity-weighted days). Per period (rows) and role
    (columns): ``person_days``, ``ramped_days``, ``headcount_months``,
    ``headcount_end``, ``hires``, ``leavers``.
    """

    grid: PeriodGrid
    roles: list[str]
    rep_id: np.ndarray
    role: np.ndarray
    segment: np.ndarray
    annual_cost: np.ndarray
    role_code: np.ndarray
    days: np.ndarray
    ramped: np.ndarray
    person_days: np.ndarray
    ramped_days: np.ndarray
    headcount_months: np.ndarray
    headcount_end: np.ndarray
    hires: np.ndarray
    leavers: np.ndarray

    @property
    def employed_months(self) -> np.ndarray:
        """Reps x months: share of each calendar month employed."""
        return np.asarray(self.days / self.grid.month_full_days[None, :], dtype=float)

    @property
    def ramped_months(self) -> np.ndarray:
        """Reps x months: productivity-weighted share of each calendar month."""
        return np.asarray(self.ramped / self.grid.month_full_days[None, :], dtype=float)


def add_months(times: np.ndarray, months: int) -> np.ndarray:
    """``times + pandas.DateOffset(months=months)`` with numpy: the same day of the
    month (the month's last day where it is shorter) and time of day."""
    times = np.asarray(times, dtype="datetime64[ns]")
    month = times.astype("datetime64[M]")
    day = times.astype("datetime64[D]")
    day_of_month = day - month.astype("datetime64[D]")
    time_of_day = times - day.astype("datetime64[ns]")
    target = month + months
    first = target.astype("datetime64[D]")
    length = (target + 1).astype("datetime64[D]") - first
    return np.asarray((first + np.minimum(day_of_month, length - np.timedelta64(1, "D")))
                      .astype("datetime64[ns]") + time_of_day)


def _ramped_days(hired: np.ndarray, origin: np.ndarray, role: np.ndarray, plan: Plan,
                 horizon: Horizon, start: np.ndarray, end: np.ndarray, lo: np.ndarray,
                 hi: np.ndarray) -> np.ndarray:
    """Productivity-weighted days of each rep (rows) in each window (columns)."""
    ramped = overlap_matrix(start, end, lo, hi)
    ramping = origin != "initial"
    open_end = np.where(np.isnan(end), np.inf, end)
    for name in np.unique(role):
        fractions = plan.role(str(name)).ramp
        rows = np.flatnonzero(ramping & (role == name))
        if rows.size == 0:
            continue
        # The whole employment counts fully already; take away the shortfall (1 - f)
        # of each tenure month still ramping (loops over tenure months, not reps).
        for k, fraction in enumerate(fractions):
            if fraction >= 1:
                continue
            seg_lo = horizon.to_days(add_months(hired[rows], k))
            seg_hi = horizon.to_days(add_months(hired[rows], k + 1))
            seg_lo = np.maximum(seg_lo, start[rows])
            seg_hi = np.minimum(seg_hi, open_end[rows])
            ramped[rows] -= (1 - fraction) * overlap_matrix(seg_lo, seg_hi, lo, hi)
    return np.asarray(np.clip(ramped, 0.0, None), dtype=float)


def workforce(records: Records, plan: Plan, grid: PeriodGrid) -> Workforce:
    """The arrays behind :func:`headcount`, :func:`rep_months` and costs."""
    horizon = grid.horizon
    reps = records.reps
    all_roles = text_array(reps["role"])
    kept = reps["hired_at"].notna().to_numpy(dtype=bool) & (all_roles != "")
    reps = reps.loc[kept]
    roles = roles_of(records, plan)
    role = all_roles[kept]
    role_code = pd.Index(roles).get_indexer(pd.Index(role))
    plan_cost = np.array([plan.role(r).annual_cost for r in roles], dtype=float)
    own_cost = reps["annual_cost"].to_numpy(dtype=float)
    hired_at = reps["hired_at"].to_numpy(dtype="datetime64[ns]")
    left = reps["left_at"].to_numpy(dtype="datetime64[ns]")
    start = horizon.to_days(hired_at)
    end = horizon.to_days(left)
    days = overlap_matrix(start, end, grid.month_lo, grid.month_hi)
    ramped = _ramped_days(hired_at, text_array(reps["origin"]), role, plan,
                          horizon, start, end, grid.month_lo, grid.month_hi)
    onehot = _onehot(role_code, len(roles))
    month_days = grid.month_full_days[None, :]
    ends = grid.end_times
    employed = (hired_at[:, None] < ends[None, :]) & (
        np.isnat(left)[:, None] | (left[:, None] >= ends[None, :]))

    def _moves(times: np.ndarray) -> np.ndarray:
        rows, periods = grid.locate(times)
        out = np.zeros((grid.size, len(roles)))
        np.add.at(out, (periods, role_code[rows]), 1.0)
        return out

    return Workforce(
        grid=grid, roles=roles, rep_id=reps["rep_id"].to_numpy(dtype=np.int64), role=role,
        segment=text_array(reps["segment"]),
        annual_cost=np.where(np.isnan(own_cost), plan_cost[role_code], own_cost),
        role_code=role_code, days=days, ramped=ramped,
        person_days=grid.rollup(days.T @ onehot),
        ramped_days=grid.rollup(ramped.T @ onehot),
        headcount_months=grid.rollup((days / month_days).T @ onehot),
        headcount_end=employed.T.astype(float) @ onehot,
        hires=_moves(hired_at),
        leavers=_moves(left),
    )


def _onehot(codes: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((len(codes), size))
    out[np.arange(len(codes)), codes] = 1.0
    return out


def rep_months(records: Records, plan: Plan) -> pd.DataFrame:
    """One row per rep per month of the horizon in which the rep was employed.

    Columns: ``rep_id``, ``role``, ``segment``, ``period`` (month label),
    ``person_days`` (days employed inside the month and the horizon),
    ``ramped_days`` (those days weighted by ramp productivity), ``month_days``
    (the calendar month's length), ``headcount_months`` and ``ramped_months``
    (the days as a share of the calendar month: additive over months, the basis
    of cost and of ramped quota) and ``annual_cost`` (the rep's own, else the
    plan's for the role).
    """
    grid = PeriodGrid(Horizon.of(records, plan), ("month",))
    work = workforce(records, plan, grid)
    rows, cols = np.nonzero(work.days > 0)
    month_days = grid.month_full_days[cols]
    return pd.DataFrame({
        "rep_id": work.rep_id[rows],
        "role": pd.array(work.role[rows], dtype="str"),
        "segment": pd.array(work.segment[rows], dtype="str"),
        "period": pd.array(grid.month_period[cols], dtype="str"),
        "person_days": work.days[rows, cols],
        "ramped_days": work.ramped[rows, cols],
        "month_days": month_days,
        "headcount_months": work.days[rows, cols] / month_days,
        "ramped_months": work.ramped[rows, cols] / month_days,
        "annual_cost": work.annual_cost[rows],
    })


def headcount(records: Records, plan: Plan,
              period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Headcount per role per period.

    Columns: ``period_type``, ``period``, ``role``, ``headcount`` (average heads
    over the period's days in the horizon), ``ramped_headcount`` (average
    productivity-weighted heads), ``headcount_end`` (heads employed just before
    the period ends), ``headcount_months`` (employed months, additive: cost and
    available hours scale with it), ``hires`` and ``leavers`` (people whose
    ``hired_at`` / ``left_at`` falls in the period). Every role of the plan and
    of the records appears in every period.
    """
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    return headcount_frame(workforce(records, plan, grid))


def headcount_frame(work: Workforce) -> pd.DataFrame:
    """:func:`headcount` from already computed :class:`Workforce` arrays."""
    grid = work.grid
    n_roles = len(work.roles)
    days = np.repeat(grid.days, n_roles)
    return pd.DataFrame({
        "period_type": pd.array(np.repeat(grid.period_type, n_roles), dtype="str"),
        "period": pd.array(np.repeat(grid.period, n_roles), dtype="str"),
        "role": pd.array(np.tile(np.asarray(work.roles, dtype=object), grid.size),
                         dtype="str"),
        "headcount": work.person_days.ravel() / days,
        "ramped_headcount": work.ramped_days.ravel() / days,
        "headcount_end": work.headcount_end.ravel(),
        "headcount_months": work.headcount_months.ravel(),
        "hires": work.hires.ravel(),
        "leavers": work.leavers.ravel(),
    })
