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

import numpy as np
import pandas as pd

from salesim.engine.records import Records
from salesim.metrics._tidy import text
from salesim.metrics.intervals import overlap_matrix
from salesim.metrics.periods import (
    PERIOD_TYPES,
    Horizon,
    PeriodType,
    all_periods,
    check_period_types,
    period_table,
    rollup,
)
from salesim.metrics.plan import Plan

REP_MONTH_COLUMNS = ("rep_id", "role", "segment", "period", "person_days", "ramped_days",
                     "month_days", "headcount_months", "ramped_months", "annual_cost")


def _reps(records: Records, plan: Plan) -> pd.DataFrame:
    reps = records.reps
    reps = reps.loc[reps["hired_at"].notna()]
    role = text(reps["role"])
    plan_cost = role.map(lambda r: plan.role(r).annual_cost).astype(float)
    return pd.DataFrame({
        "rep_id": reps["rep_id"].to_numpy(dtype="int64"),
        "role": role.to_numpy(),
        "segment": text(reps["segment"]).to_numpy(),
        "origin": text(reps["origin"]).to_numpy(),
        "hired_at": reps["hired_at"].to_numpy(),
        "left_at": reps["left_at"].to_numpy(),
        "annual_cost": reps["annual_cost"].fillna(plan_cost).to_numpy(dtype=float),
    })


def _ramped_overlap(reps: pd.DataFrame, plan: Plan, horizon: Horizon, start: np.ndarray,
                    end: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Productivity-weighted days of each rep (rows) in each window (columns)."""
    ramped = overlap_matrix(start, end, lo, hi)
    hired = pd.Series(reps["hired_at"].to_numpy(), dtype="datetime64[ns]")
    ramping = (reps["origin"] != "initial").to_numpy()
    for role in reps["role"].unique():
        fractions = plan.role(role).ramp
        rows = np.flatnonzero(ramping & (reps["role"] == role).to_numpy())
        if rows.size == 0 or all(f >= 1 for f in fractions):
            continue
        # The fully productive part is already in ``ramped``; take away the shortfall
        # (1 - f) of each tenure month still ramping.
        for k, fraction in enumerate(fractions):
            if fraction >= 1:
                continue
            seg_lo = horizon.to_days(hired.iloc[rows] + pd.DateOffset(months=k))
            seg_hi = horizon.to_days(hired.iloc[rows] + pd.DateOffset(months=k + 1))
            seg_lo = np.maximum(seg_lo, start[rows])
            seg_hi = np.minimum(seg_hi, np.where(np.isnan(end[rows]), np.inf, end[rows]))
            ramped[rows] -= (1 - fraction) * overlap_matrix(seg_lo, seg_hi, lo, hi)
    return np.asarray(np.clip(ramped, 0.0, None), dtype=float)


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
    horizon = Horizon.of(records, plan)
    reps = _reps(records, plan)
    months = period_table(horizon, "month")
    lo = horizon.to_days(months["start"])
    hi = horizon.to_days(months["end"])
    start = horizon.to_days(reps["hired_at"])
    end = horizon.to_days(reps["left_at"])
    days = overlap_matrix(start, end, lo, hi)
    ramped = _ramped_overlap(reps, plan, horizon, start, end, lo, hi)
    rows, cols = np.nonzero(days > 0)
    month_days = months["full_days"].to_numpy(dtype=float)[cols]
    out = pd.DataFrame({
        "rep_id": reps["rep_id"].to_numpy()[rows],
        "role": reps["role"].to_numpy()[rows],
        "segment": reps["segment"].to_numpy()[rows],
        "period": months["period"].to_numpy()[cols],
        "person_days": days[rows, cols],
        "ramped_days": ramped[rows, cols],
        "month_days": month_days,
    })
    out["headcount_months"] = out["person_days"] / month_days
    out["ramped_months"] = out["ramped_days"] / month_days
    out["annual_cost"] = reps["annual_cost"].to_numpy()[rows]
    return out[list(REP_MONTH_COLUMNS)].astype({"rep_id": "int64", "role": "str",
                                                "segment": "str", "period": "str"})


def roles_of(records: Records, plan: Plan) -> list[str]:
    """The plan's roles, then any other role found in the ``reps`` table."""
    seen = [r for r in text(records.reps["role"]).unique() if r]
    return [*plan.roles, *sorted(r for r in seen if r not in plan.roles)]


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
    period_types = check_period_types(period_types)
    horizon = Horizon.of(records, plan)
    roles = roles_of(records, plan)
    periods = all_periods(horizon, period_types)
    frame = periods[["period_type", "period", "start", "end", "days"]].merge(
        pd.DataFrame({"role": roles}, dtype="str"), how="cross")
    monthly = rep_months(records, plan)
    sums = rollup(monthly, ["role"], ["person_days", "ramped_days", "headcount_months"],
                  period_types)
    frame = frame.merge(sums, on=["period_type", "period", "role"], how="left")
    for column in ("person_days", "ramped_days", "headcount_months"):
        frame[column] = frame[column].astype(float).fillna(0.0)
    frame["headcount"] = frame["person_days"] / frame["days"]
    frame["ramped_headcount"] = frame["ramped_days"] / frame["days"]

    reps = _reps(records, plan)
    role_index = pd.Index(roles)
    codes = role_index.get_indexer(pd.Index(reps["role"]))
    hired = reps["hired_at"].to_numpy(dtype="datetime64[ns]")
    left = reps["left_at"].to_numpy(dtype="datetime64[ns]")
    ends = frame["end"].to_numpy(dtype="datetime64[ns]")
    employed = (hired[:, None] < ends[None, :]) & (np.isnat(left)[:, None]
                                                  | (left[:, None] >= ends[None, :]))
    frame_roles = role_index.get_indexer(pd.Index(frame["role"]))
    same_role = codes[:, None] == frame_roles[None, :]
    frame["headcount_end"] = (employed & same_role).sum(axis=0).astype(float)
    starts = frame["start"].to_numpy(dtype="datetime64[ns]")

    def _count(times: np.ndarray) -> np.ndarray:
        inside = (times[:, None] >= starts[None, :]) & (times[:, None] < ends[None, :])
        return np.asarray((inside & same_role).sum(axis=0), dtype=float)

    frame["hires"] = _count(hired)
    frame["leavers"] = _count(left)
    return frame[["period_type", "period", "role", "headcount", "ramped_headcount",
                  "headcount_end", "headcount_months", "hires", "leavers"]]
