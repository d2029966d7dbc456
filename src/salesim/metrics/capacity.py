"""The bottleneck view: per stage (a team kind: SDR, AE, CS) and per team how loaded
it is, how long the queue in front of it is, and how long work waits there.

Utilisation is ``work / capacity`` over the period, with the basis named in
``basis``. A kind that declares a ``capacity_setting`` (:data:`salesim.roles.KINDS`)
is limited by the work it carries when the plan gives a capacity per head for it
(:attr:`TeamPlan.capacity`, for every team of the kind at the stage level):

* AE, ``open_opportunities``: opportunity-days assigned and open / (AE-days x
  open opportunities per AE);
* CS, ``accounts``: customer-days with ARR / (CSM-days x accounts per CSM).

A unit whose reps log selling hours (``selling_time``: AEs under the time model) is
measured in hours instead, basis ``selling_hours``: hours committed to deals plus
hours spent prospecting and on meetings that proved invalid / selling hours available
(ramp-scaled), per day employed.

Otherwise (SDR always) the basis is ``busy_hours``: hours worked
(``activities.busy_hours``) / available hours (employed months x the plan's
working hours per month), where the team logs activities.

Queues are time averages over the period: SDR, leads waiting for their first
call (``created_at`` until ``first_attempt_at``, or until the lead ended
unworked); AE, opportunities waiting for an AE (``created_at`` until
``assigned_at``, or until closed unassigned). Waits are for work that arrived
in the period (by ``created_at``) and has left the queue, in hours. CS has no
queue in the records. A team's rows count the work of its own rows of the table
(the table's ``team`` column) and the activities of its reps. ``is_bottleneck``
marks, in each period, the stage with the highest utilisation, and separately the
team with the highest utilisation.

>>> import salesim
>>> from salesim.metrics import Plan, bottlenecks
>>> scenario = salesim.load_scenario("scenarios/minimal.yaml")
>>> table = bottlenecks(salesim.simulate(scenario, seed=1), Plan.from_scenario(scenario),
...                     period_types=("total",))
>>> for row in table.query("team == ''").itertuples():
...     print(row.stage, row.basis or "-", row.capacity)
sdr busy_hours 4680.0
ae - nan
cs accounts 14600.0
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
from salesim.metrics._tidy import rep_label_codes
from salesim.metrics.intervals import queue_profile, window_integral
from salesim.metrics.periods import PERIOD_TYPES, Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan
from salesim.metrics.workforce import Heads, Workforce, workforce
from salesim.records import Records
from salesim.roles import KINDS

STAGES = tuple(KINDS)
BOTTLENECK_COLUMNS = ("period_type", "period", "stage", "team", "basis", "headcount", "work",
                      "capacity", "utilisation", "mean_queue", "queue_at_end",
                      "mean_wait_hours", "p90_wait_hours", "waits", "is_bottleneck")
WORK_INTERVALS = {
    "opportunities": ("assigned_at", "closed_at", "open_opportunities"),
    "subscriptions": ("start_at", "churned_at", "accounts"),
}
"""Per owner table, the columns bounding the time a row is carried and the basis name."""
QUEUES = {
    "leads": ("created_at", "first_attempt_at", "ended_at"),
    "opportunities": ("created_at", "assigned_at", "closed_at"),
}
"""Per owner table, when a row arrives, is served, and leaves unserved."""


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
    """The bottleneck view as arrays: per period (rows) and unit (columns: the
    stages, :data:`STAGES`, or the teams, ``names``, of kinds ``kinds``) each of
    ``columns`` (``headcount`` to ``waits``), the units' ``bases`` and
    ``is_bottleneck``."""

    names: list[str]
    kinds: list[str]
    bases: list[str]
    columns: dict[str, np.ndarray]
    is_bottleneck: np.ndarray
    prospecting_share: np.ndarray | None = None
    """Hours spent prospecting / selling hours available, per period and unit (NaN for
    units that log no selling time)."""


Memo = dict[tuple[str, str, str], dict[str, np.ndarray]]
"""Queue and work columns already computed, by (owner table, team or ``''`` for all
rows, what)."""


def bottleneck_arrays(records: Records, plan: Plan, work: Workforce,
                      by_team: bool = False, memo: Memo | None = None) -> Stages:
    """The columns of :func:`bottlenecks` as (periods x stages) arrays, or with
    ``by_team`` as (periods x teams) arrays. Pass the same ``memo`` to the call per
    stage and per team to compute the queues of a kind's only team once."""
    memo = {} if memo is None else memo
    grid = work.grid
    acts = records.activities
    act_rows, act_periods = grid.locate(acts["date"].to_numpy(dtype="datetime64[ns]"))
    busy_hours = acts["busy_hours"].to_numpy(dtype=float)[act_rows]
    heads = work.by_team
    hours = records.selling_time
    hour_rows, hour_periods = grid.locate(hours["date"].to_numpy(dtype="datetime64[ns]"))
    selling = {column: hours[column].to_numpy(dtype=float)[hour_rows]
               if column in hours.columns else np.zeros(len(hour_rows))
               for column in ("available_hours", "deal_hours", "prospecting_hours",
                              "meeting_hours")}
    # each row's team (or role) as a code into the reps' labels: integers to compare
    label = "team" if by_team else "role"
    member, labels = rep_label_codes(records.reps, label, acts["rep_id"])
    member = member[act_rows]
    hour_member = rep_label_codes(records.reps, label, hours["rep_id"])[0][hour_rows]
    code_of = {text: code for code, text in enumerate(labels.tolist())}
    units = (list(zip(heads.names, heads.kinds, strict=True)) if by_team
             else [(stage, stage) for stage in STAGES])
    timed = set(hour_member.tolist())
    logged = set(member.tolist())
    columns: dict[str, list[np.ndarray]] = {c: [] for c in BOTTLENECK_COLUMNS[5:-1]}
    prospecting: list[np.ndarray] = []
    bases = []
    for name, kind in units:
        code = code_of.get(name, -2)  # -2: no rep has it (unknown reps are -1)
        busy = group_sum(act_periods[member == code], grid.size, busy_hours[member == code])
        mine = hour_member == code
        timed_hours = None
        if code in timed:
            timed_hours = {column: group_sum(hour_periods[mine], grid.size, values[mine])
                           for column, values in selling.items()}
        basis, values = _unit(records, plan, work, heads, name, kind, by_team, busy,
                              code in logged, memo, timed_hours)
        prospecting.append(np.full(grid.size, np.nan) if timed_hours is None else divide(
            timed_hours["prospecting_hours"], timed_hours["available_hours"]))
        bases.append(basis)
        for column, array in values.items():
            columns[column].append(np.asarray(array, dtype=float))
    stacked = {name: (np.stack(arrays, axis=1) if arrays else np.zeros((grid.size, 0)))
               for name, arrays in columns.items()}  # P x units
    utilisation = stacked["utilisation"]
    is_bottleneck = np.zeros_like(utilisation, dtype=bool)
    if utilisation.shape[1]:
        peak = np.where(np.isnan(utilisation), -np.inf, utilisation).argmax(axis=1)
        has_any = ~np.isnan(utilisation).all(axis=1)
        is_bottleneck[np.arange(grid.size)[has_any], peak[has_any]] = True
    return Stages([name for name, _ in units], [kind for _, kind in units], bases, stacked,
                  is_bottleneck, np.stack(prospecting, axis=1) if prospecting
                  else np.zeros((grid.size, 0)))


def _unit(records: Records, plan: Plan, work: Workforce, heads: Heads, name: str, kind: str,
          by_team: bool, busy: np.ndarray, logs_activities: bool, memo: Memo,
          selling: dict[str, np.ndarray] | None = None) -> tuple[str, dict[str, np.ndarray]]:
    """The basis and the columns of one stage or team; ``selling``: its reps' selling
    hours per period (available, deals, prospecting, invalid meetings), when they
    log them."""
    grid = work.grid
    horizon = grid.horizon
    nan = np.full(grid.size, np.nan)
    if by_team:
        column = heads.names.index(name)
        person_days = heads.person_days[:, column]
        months = heads.headcount_months[:, column]
        capacity_days = person_days * (plan.team(name, kind).capacity or np.nan)
    else:
        role = work.roles.index(name) if name in work.roles else -1
        person_days = work.person_days[:, role] if role >= 0 else np.zeros(grid.size)
        months = work.headcount_months[:, role] if role >= 0 else np.zeros(grid.size)
        teams = [i for i, k in enumerate(heads.kinds) if k == name]
        per_head = [plan.team(heads.names[i], name).capacity for i in teams]
        if teams and all(c is not None for c in per_head):
            capacity_days = sum((heads.person_days[:, i] * float(c or 0)
                                 for i, c in zip(teams, per_head, strict=True)),
                                np.zeros(grid.size))
        else:
            capacity_days = nan
    declared = KINDS.get(kind)

    def mine(owner: str) -> tuple[pd.DataFrame, str]:
        """The rows of ``owner`` the unit works, and their memo key ('' for all)."""
        table = getattr(records, owner)
        if not by_team:
            return table, ""
        rows = (table["team"] == name).to_numpy(dtype=bool)
        return (table, "") if rows.all() else (table.loc[rows], name)

    basis, work_done, capacity = "", nan, nan
    owner = declared.owner_table if declared is not None else ""
    if selling is not None:
        basis = "selling_hours"
        work_done = (selling["deal_hours"] + selling["prospecting_hours"]
                     + selling["meeting_hours"])
        capacity = selling["available_hours"]
    elif (declared is not None and declared.capacity_setting is not None
            and owner in WORK_INTERVALS and not np.isnan(capacity_days).all()):
        start, end, basis = WORK_INTERVALS[owner]
        table, key = mine(owner)
        if (owner, key, "work") not in memo:
            memo[owner, key, "work"] = {"work": window_integral(
                horizon.to_days(table[start]), horizon.to_days(table[end]), grid.lo, grid.hi)}
        work_done = memo[owner, key, "work"]["work"]
        capacity = capacity_days
    elif (declared is not None and declared.capacity_setting is None) or logs_activities:
        basis, work_done, capacity = "busy_hours", busy, months * plan.hours_per_month
    if owner in QUEUES:
        table, key = mine(owner)
        if (owner, key, "queue") not in memo:
            arrived, served, ended = QUEUES[owner]
            memo[owner, key, "queue"] = _queue_and_waits(
                grid, table[arrived], table[served], _first_valid(table[served], table[ended]))
        queue = memo[owner, key, "queue"]
    else:
        queue = dict.fromkeys(("mean_queue", "queue_at_end", "mean_wait_hours",
                               "p90_wait_hours", "waits"), nan)
    return basis, {"headcount": person_days / grid.days, "work": work_done,
                   "capacity": capacity, "utilisation": divide(work_done, capacity), **queue}


def bottleneck_frame(records: Records, plan: Plan, work: Workforce) -> pd.DataFrame:
    """:func:`bottlenecks` from already computed :class:`Workforce` arrays."""
    grid = work.grid
    frames = []
    memo: Memo = {}
    for by_team in (False, True):
        stages = bottleneck_arrays(records, plan, work, by_team, memo)
        n = len(stages.names)
        names = np.asarray(stages.names, dtype=object)
        frames.append(pd.DataFrame({
            "period_type": pd.array(np.repeat(grid.period_type, n), dtype="str"),
            "period": pd.array(np.repeat(grid.period, n), dtype="str"),
            "stage": pd.array(np.tile(np.asarray(stages.kinds, dtype=object), grid.size),
                              dtype="str"),
            "team": pd.array(np.tile(names if by_team else np.full(n, "", dtype=object),
                                     grid.size), dtype="str"),
            "basis": pd.array(np.tile(np.asarray(stages.bases, dtype=object), grid.size),
                              dtype="str"),
            **{name: array.ravel() for name, array in stages.columns.items()},
            "is_bottleneck": stages.is_bottleneck.ravel(),
        }))
    return pd.concat(frames, ignore_index=True)


def bottlenecks(records: Records, plan: Plan,
                period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Utilisation, queue and wait per stage and per team per period; see the module
    docstring.

    Columns: ``period_type``, ``period``, ``stage`` (a team kind), ``team`` (``''``
    on the rows of a whole stage, which come first), ``basis``, ``headcount``
    (average heads), ``work`` and ``capacity`` (in the basis' unit: hours, or
    item-days), ``utilisation`` (work / capacity), ``mean_queue``,
    ``queue_at_end``, ``mean_wait_hours``, ``p90_wait_hours``, ``waits`` (how
    many waits those are) and ``is_bottleneck``.
    """
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    return bottleneck_frame(records, plan, workforce(records, plan, grid))
