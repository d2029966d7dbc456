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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesim.metrics._groups import (
    divide,
    group_mean,
    group_sum,
    sorted_group_quantiles,
    value_order,
)
from salesim.metrics._tidy import rep_roles
from salesim.metrics.intervals import queue_profile, window_integral
from salesim.metrics.periods import PERIOD_TYPES, Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan
from salesim.metrics.workforce import Workforce, workforce
from salesim.records import Records

STAGES = ("sdr", "ae", "cs")
BOTTLENECK_COLUMNS = ("period_type", "period", "stage", "basis", "headcount", "work",
                      "capacity", "utilisation", "mean_queue", "queue_at_end",
                      "mean_wait_hours", "p90_wait_hours", "waits", "is_bottleneck")


def _first_valid(first: pd.Series, second: pd.Series) -> np.ndarray:
    one = first.to_numpy(dtype="datetime64[ns]")
    return np.asarray(np.where(np.isnat(one), second.to_numpy(dtype="datetime64[ns]"), one))


def _queue_and_waits(grid: PeriodGrid, arrived: pd.Series, served: pd.Series,
                     left: np.ndarray) -> dict[str, np.ndarray]:
    """Time-average queue, queue just before each period end and the waits of work
    that arrived in the period and was served (hours)."""
    horizon = grid.horizon
    arrived_at = arrived.to_numpy(dtype="datetime64[ns]")
    served_at = served.to_numpy(dtype="datetime64[ns]")
    integral, at_end = queue_profile(horizon.to_days(arrived_at), horizon.to_days(left),
                                     grid.lo, grid.hi)
    done = ~np.isnat(arrived_at) & ~np.isnat(served_at)
    hours = (served_at[done] - arrived_at[done]) / np.timedelta64(1, "h")
    rows, months = grid.month_index(arrived_at[done])
    waits = hours[rows]
    types = grid.month_parents.shape[1]
    periods = grid.month_parents[months].T.reshape(-1)
    order = value_order(waits)
    p90 = sorted_group_quantiles(grid.period_keys()[:, months[order]].reshape(-1),
                                 waits[order], grid.size, (0.9,))[0]
    return {
        "mean_queue": integral / (grid.hi - grid.lo),
        "queue_at_end": at_end,
        "mean_wait_hours": group_mean(periods, np.tile(waits, types), grid.size),
        "p90_wait_hours": p90,
        "waits": group_sum(periods, grid.size),
    }


@dataclass(frozen=True)
class Stages:
    """The bottleneck view as arrays: per period (rows) and stage (columns,
    :data:`STAGES`) each of ``columns`` (``headcount`` to ``waits``), the stages'
    ``bases`` and ``is_bottleneck``."""

    bases: list[str]
    columns: dict[str, np.ndarray]
    is_bottleneck: np.ndarray


def bottleneck_arrays(records: Records, plan: Plan, work: Workforce) -> Stages:
    """The columns of :func:`bottlenecks` as (periods x stages) arrays."""
    grid = work.grid
    horizon = grid.horizon
    acts = records.activities
    stage_codes, stage_names = pd.factorize(rep_roles(records.reps, acts["rep_id"]))
    stage_index = {str(name): i for i, name in enumerate(stage_names)}
    act_rows, act_periods = grid.locate(acts["date"].to_numpy(dtype="datetime64[ns]"))
    row_stage = stage_codes[act_rows]
    busy_hours = acts["busy_hours"].to_numpy(dtype=float)
    nan = np.full(grid.size, np.nan)

    columns: dict[str, list[np.ndarray]] = {c: [] for c in BOTTLENECK_COLUMNS[4:-1]}
    bases = []
    for stage in STAGES:
        role = work.roles.index(stage) if stage in work.roles else -1
        person_days = work.person_days[:, role] if role >= 0 else np.zeros(grid.size)
        months = work.headcount_months[:, role] if role >= 0 else np.zeros(grid.size)
        mine = row_stage == stage_index.get(stage, -1)
        busy = group_sum(act_periods[mine], grid.size, busy_hours[act_rows][mine])
        per_head = plan.role(stage).capacity
        basis, work_done, capacity = "", nan, nan
        if stage != "sdr" and per_head is not None:
            if stage == "ae":
                table, start, end, basis = (records.opportunities, "assigned_at", "closed_at",
                                            "open_opportunities")
            else:
                table, start, end, basis = (records.subscriptions, "start_at", "churned_at",
                                            "accounts")
            work_done = window_integral(horizon.to_days(table[start]),
                                        horizon.to_days(table[end]), grid.lo, grid.hi)
            capacity = person_days * per_head
        elif stage == "sdr" or stage in stage_index:
            basis, work_done, capacity = "busy_hours", busy, months * plan.hours_per_month
        if stage == "sdr":
            leads = records.leads
            queue = _queue_and_waits(grid, leads["created_at"], leads["first_attempt_at"],
                                     _first_valid(leads["first_attempt_at"], leads["ended_at"]))
        elif stage == "ae":
            opps = records.opportunities
            queue = _queue_and_waits(grid, opps["created_at"], opps["assigned_at"],
                                     _first_valid(opps["assigned_at"], opps["closed_at"]))
        else:
            queue = dict.fromkeys(("mean_queue", "queue_at_end", "mean_wait_hours",
                                   "p90_wait_hours", "waits"), nan)
        bases.append(basis)
        values = {"headcount": person_days / grid.days, "work": work_done,
                  "capacity": capacity, "utilisation": divide(work_done, capacity), **queue}
        for name, array in values.items():
            columns[name].append(np.asarray(array, dtype=float))

    stacked = {name: np.stack(arrays, axis=1) for name, arrays in columns.items()}  # P x S
    utilisation = stacked["utilisation"]
    peak = np.where(np.isnan(utilisation), -np.inf, utilisation).argmax(axis=1)
    is_bottleneck = np.zeros_like(utilisation, dtype=bool)
    has_any = ~np.isnan(utilisation).all(axis=1)
    is_bottleneck[np.arange(grid.size)[has_any], peak[has_any]] = True
    return Stages(bases, stacked, is_bottleneck)


def bottleneck_frame(records: Records, plan: Plan, work: Workforce) -> pd.DataFrame:
    """:func:`bottlenecks` from already computed :class:`Workforce` arrays."""
    grid = work.grid
    stages = bottleneck_arrays(records, plan, work)
    n = len(STAGES)
    return pd.DataFrame({
        "period_type": pd.array(np.repeat(grid.period_type, n), dtype="str"),
        "period": pd.array(np.repeat(grid.period, n), dtype="str"),
        "stage": pd.array(np.tile(np.asarray(STAGES, dtype=object), grid.size), dtype="str"),
        "basis": pd.array(np.tile(np.asarray(stages.bases, dtype=object), grid.size),
                          dtype="str"),
        **{name: array.ravel() for name, array in stages.columns.items()},
        "is_bottleneck": stages.is_bottleneck.ravel(),
    })


def bottlenecks(records: Records, plan: Plan,
                period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Utilisation, queue and wait per stage per period; see the module docstring.

    Columns: ``period_type``, ``period``, ``stage``, ``basis``, ``headcount``
    (average heads), ``work`` and ``capacity`` (in the basis' unit: hours, or
    item-days), ``utilisation`` (work / capacity), ``mean_queue``,
    ``queue_at_end``, ``mean_wait_hours``, ``p90_wait_hours``, ``waits`` (how
    many waits those are) and ``is_bottleneck``.
    """
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    return bottleneck_frame(records, plan, workforce(records, plan, grid))
