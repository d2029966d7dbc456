"""The bottleneck view: per stage (SDR, AE, CS) how loaded the team is, how long
the queue in front of it is, and how long work waits there.

Utilisation is ``work / capacity`` over the period, with the basis named in
``basis``:

* SDR, ``busy_hours``: hours worked (``activities.busy_hours``) / available
  hours (employed months x the plan's working hours per month).
* AE, ``open_opportunities`` when the plan gives a capacity (open
  opportunities per AE): opportunity-days assigned and open / (AE-days x
  capacity); otherwise ``busy_hours`` if AEs log activities.
* CS, ``accounts``: customer-days with ARR / (CSM-days x accounts per CSM).

Queues are time averages over the period: SDR, leads waiting for their first
call (``created_at`` until ``first_attempt_at``, or until the lead ended
unworked); AE, opportunities waiting for an AE (``created_at`` until
``assigned_at``, or until closed unassigned). Waits are for work that arrived
in the period (by ``created_at``) and has left the queue, in hours. CS has no
queue in the records. ``is_bottleneck`` marks, in each period, the stage with
the highest utilisation.

>>> from salesim.metrics import bottlenecks              # doctest: +SKIP
>>> bottlenecks(records, plan, period_types=("total",))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesim.engine.records import Records
from salesim.metrics._tidy import rep_roles
from salesim.metrics.intervals import count_before, window_integral
from salesim.metrics.periods import (
    PERIOD_TYPES,
    Horizon,
    PeriodType,
    all_periods,
    check_period_types,
    label_events,
    rollup,
)
from salesim.metrics.plan import Plan
from salesim.metrics.workforce import rep_months

STAGES = ("sdr", "ae", "cs")
BOTTLENECK_COLUMNS = ("period_type", "period", "stage", "basis", "headcount", "work",
                      "capacity", "utilisation", "mean_queue", "queue_at_end",
                      "mean_wait_hours", "p90_wait_hours", "waits", "is_bottleneck")


def _first_valid(*columns: pd.Series) -> pd.Series:
    out = columns[0]
    for column in columns[1:]:
        out = out.fillna(column)
    return out


def _queue(horizon: Horizon, periods: pd.DataFrame, arrived: pd.Series, left: pd.Series
           ) -> tuple[np.ndarray, np.ndarray]:
    """Time-average queue length and queue just before each period's end."""
    starts = horizon.to_days(arrived)
    ends = horizon.to_days(left)
    lo = horizon.to_days(periods["start"])
    hi = horizon.to_days(periods["end"])
    mean = window_integral(starts, ends, lo, hi) / (hi - lo)
    return mean, count_before(starts, ends, hi)


def _waits(horizon: Horizon, period_types: Sequence[PeriodType], arrived: pd.Series,
           served: pd.Series) -> pd.DataFrame:
    done = served.notna() & arrived.notna()
    waits = pd.DataFrame({"at": arrived[done].to_numpy(dtype="datetime64[ns]"),
                          "hours": (served[done] - arrived[done]).dt.total_seconds().to_numpy(float)
                          / 3600})
    waits = label_events(waits, "at", horizon, period_types)
    group = waits.groupby(["period_type", "period"], sort=False)["hours"]
    return pd.DataFrame({"mean_wait_hours": group.mean(), "p90_wait_hours": group.quantile(0.9),
                         "waits": group.size().astype(float)}).reset_index()


def _busy_hours(records: Records, horizon: Horizon, period_types: Sequence[PeriodType]
                ) -> pd.DataFrame:
    acts = records.activities
    frame = pd.DataFrame({"date": acts["date"].to_numpy(dtype="datetime64[ns]"),
                          "stage": rep_roles(records.reps, acts["rep_id"]),
                          "busy_hours": acts["busy_hours"].to_numpy(dtype=float)})
    frame = label_events(frame, "date", horizon, period_types)
    return (frame.groupby(["period_type", "period", "stage"], sort=False)["busy_hours"].sum()
            .reset_index())


def bottlenecks(records: Records, plan: Plan,
                period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Utilisation, queue and wait per stage per period; see the module docstring.

    Columns: ``period_type``, ``period``, ``stage``, ``basis``, ``headcount``
    (average heads), ``work`` and ``capacity`` (in the basis' unit: hours, or
    item-days), ``utilisation`` (work / capacity), ``mean_queue``,
    ``queue_at_end``, ``mean_wait_hours``, ``p90_wait_hours``, ``waits`` (how
    many waits those are) and ``is_bottleneck``.
    """
    period_types = check_period_types(period_types)
    horizon = Horizon.of(records, plan)
    periods = all_periods(horizon, period_types)
    keys = ["period_type", "period"]
    people = rollup(rep_months(records, plan).rename(columns={"role": "stage"}), ["stage"],
                    ["person_days", "headcount_months"], period_types)
    busy = _busy_hours(records, horizon, period_types)
    lo = horizon.to_days(periods["start"])
    hi = horizon.to_days(periods["end"])

    parts = []
    for stage in STAGES:
        frame = periods[[*keys, "days"]].assign(stage=stage)
        frame = frame.merge(people.loc[people["stage"] == stage], on=[*keys, "stage"],
                            how="left").merge(busy.loc[busy["stage"] == stage],
                                              on=[*keys, "stage"], how="left")
        frame = frame.fillna({"person_days": 0.0, "headcount_months": 0.0, "busy_hours": 0.0})
        frame["headcount"] = frame["person_days"] / frame["days"]
        capacity_per_head = plan.role(stage).capacity
        has_activities = bool((busy["stage"] == stage).any())
        work = np.full(len(frame), np.nan)
        capacity = np.full(len(frame), np.nan)
        basis = ""
        if stage != "sdr" and capacity_per_head is not None:
            if stage == "ae":
                opps = records.opportunities
                starts, ends = opps["assigned_at"], opps["closed_at"]
                basis = "open_opportunities"
            else:
                subs = records.subscriptions
                starts, ends = subs["start_at"], subs["churned_at"]
                basis = "accounts"
            work = window_integral(horizon.to_days(starts), horizon.to_days(ends), lo, hi)
            capacity = frame["person_days"].to_numpy(dtype=float) * capacity_per_head
        elif stage == "sdr" or has_activities:
            basis = "busy_hours"
            work = frame["busy_hours"].to_numpy(dtype=float)
            capacity = frame["headcount_months"].to_numpy(dtype=float) * plan.hours_per_month
        frame["basis"] = basis
        frame["work"] = work
        frame["capacity"] = capacity
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["utilisation"] = np.where(capacity > 0, work / np.where(capacity > 0,
                                                                          capacity, 1), np.nan)

        if stage == "sdr":
            leads = records.leads
            arrived = leads["created_at"]
            served = leads["first_attempt_at"]
            left = _first_valid(served, leads["ended_at"])
        elif stage == "ae":
            opps = records.opportunities
            arrived = opps["created_at"]
            served = opps["assigned_at"]
            left = _first_valid(served, opps["closed_at"])
        else:
            frame["mean_queue"] = np.nan
            frame["queue_at_end"] = np.nan
            frame = frame.assign(mean_wait_hours=np.nan, p90_wait_hours=np.nan, waits=np.nan)
            parts.append(frame)
            continue
        frame["mean_queue"], frame["queue_at_end"] = _queue(horizon, periods, arrived, left)
        frame = frame.merge(_waits(horizon, period_types, arrived, served), on=keys, how="left")
        frame["waits"] = frame["waits"].fillna(0.0)
        parts.append(frame)

    out = pd.concat(parts, ignore_index=True)
    peak = out.groupby(keys, sort=False)["utilisation"].transform("max")
    out["is_bottleneck"] = (out["utilisation"] == peak) & out["utilisation"].notna()
    first = out.loc[out["is_bottleneck"]].groupby(keys, sort=False).cumcount() == 0
    out["is_bottleneck"] = False
    out.loc[first[first].index, "is_bottleneck"] = True
    order = {p: i for i, p in enumerate(PERIOD_TYPES)}
    out = out.assign(_p=out["period_type"].map(order), _s=out["stage"].map(STAGES.index))
    out = out.sort_values(["_p", "period", "_s"], kind="stable")
    return out[list(BOTTLENECK_COLUMNS)].reset_index(drop=True)
