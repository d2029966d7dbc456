"""Headcount and ramped headcount per role (team kind) and per team, from the ``reps``
table.

A rep counts in a month in proportion to the days employed in it
(``[hired_at, left_at)``, clipped to the horizon). Ramped headcount weights
each day by the rep's productivity in that month of tenure, from the plan's
ramp for the rep's team (tenure month 1 runs from ``hired_at`` to the same day
a month later); reps with ``origin == 'initial'`` are fully ramped from day one.
A rep's kind is the ``role`` column and their team the ``team`` column; the plan
for a rep is :meth:`Plan.team` of both (the team's, else the kind's).

>>> import salesim
>>> from salesim.metrics import Plan, headcount
>>> scenario = salesim.load_scenario("scenarios/minimal.yaml")
>>> table = headcount(salesim.simulate(scenario, seed=1), Plan.from_scenario(scenario),
...                   period_types=("total",))
>>> for row in table.query("team == ''").itertuples():
...     print(row.role, row.headcount, row.headcount_months)
sdr 2.0 24.0
ae 2.0 24.0
cs 1.0 12.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesim.metrics._tidy import text_array, text_codes
from salesim.metrics.intervals import overlap_matrix
from salesim.metrics.periods import PERIOD_TYPES, Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan, TeamPlan
from salesim.records import Records

REP_MONTH_COLUMNS = ("rep_id", "role", "team", "segment", "period", "person_days",
                     "ramped_days", "month_days", "headcount_months", "ramped_months",
                     "annual_cost")
HEADCOUNT_COLUMNS = ("period_type", "period", "role", "team", "headcount", "ramped_headcount",
                     "headcount_end", "headcount_months", "hires", "leavers")


def roles_of(records: Records, plan: Plan) -> list[str]:
    """The kinds of the plan's teams, then any other role found in the ``reps`` table."""
    codes, labels = text_codes(records.reps["role"])
    seen = [r for r in labels[np.unique(codes)] if r]
    kinds = plan.kinds()
    return [*kinds, *sorted(r for r in seen if r not in kinds)]


def teams_of(records: Records, plan: Plan) -> list[str]:
    """The plan's teams, then any other team found in the ``reps`` table."""
    codes, labels = text_codes(records.reps["team"])
    seen = [t for t in labels[np.unique(codes)] if t]
    return [*plan.teams, *sorted(t for t in seen if t not in plan.teams)]


@dataclass(frozen=True)
class Heads:
    """The reps grouped one way (by role or by team): each group's ``names`` and
    ``kinds`` (a role is its own kind), each rep's group (``code``), and per period
    (rows) and group (columns): ``person_days``, ``ramped_days``,
    ``headcount_months``, ``headcount_end``, ``hires``, ``leavers``."""

    names: list[str]
    kinds: list[str]
    code: np.ndarray
    person_days: np.ndarray
    ramped_days: np.ndarray
    headcount_months: np.ndarray
    headcount_end: np.ndarray
    hires: np.ndarray
    leavers: np.ndarray


@dataclass(frozen=True)
class Workforce:
    """Reps (rows) by month, and per role and per team by grid period, as arrays.

    Per rep: ``rep_id``, ``role``, ``team``, ``segment``, ``annual_cost``,
    ``plans`` (the :class:`TeamPlan` of each rep, :meth:`Plan.team`); ``days`` and
    ``ramped`` (reps x months: days employed, productivity-weighted days).
    ``by_role`` and ``by_team`` group them (:class:`Heads`); ``roles``,
    ``role_code``, ``person_days``... are ``by_role``'s.
    """

    grid: PeriodGrid
    rep_id: np.ndarray
    role: np.ndarray
    team: np.ndarray
    segment: np.ndarray
    annual_cost: np.ndarray
    plans: list[TeamPlan]
    days: np.ndarray
    ramped: np.ndarray
    by_role: Heads
    by_team: Heads

    @property
    def roles(self) -> list[str]:
        return self.by_role.names

    @property
    def role_code(self) -> np.ndarray:
        return self.by_role.code

    @property
    def person_days(self) -> np.ndarray:
        return self.by_role.person_days

    @property
    def ramped_days(self) -> np.ndarray:
        return self.by_role.ramped_days

    @property
    def headcount_months(self) -> np.ndarray:
        return self.by_role.headcount_months

    @property
    def headcount_end(self) -> np.ndarray:
        return self.by_role.headcount_end

    @property
    def hires(self) -> np.ndarray:
        return self.by_role.hires

    @property
    def leavers(self) -> np.ndarray:
        return self.by_role.leavers

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


def _ramped_days(hired: np.ndarray, origin: np.ndarray, plan_code: np.ndarray,
                 plans: Sequence[TeamPlan], horizon: Horizon, start: np.ndarray,
                 end: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Productivity-weighted days of each rep (rows) in each window (columns);
    ``plans[plan_code[i]]`` is rep ``i``'s plan."""
    ramped = overlap_matrix(start, end, lo, hi)
    ramping = origin != "initial"
    open_end = np.where(np.isnan(end), np.inf, end)
    for code, team_plan in enumerate(plans):
        fractions = team_plan.ramp
        rows = np.flatnonzero(ramping & (plan_code == code))
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
    role = all_roles[kept]
    team = text_array(reps["team"])
    team = np.where(team == "", role, team)
    # one plan per distinct (team, role) pair
    pair_code, pairs = pd.factorize(pd.MultiIndex.from_arrays([team, role]))
    plans = [plan.team(str(t), str(r)) for t, r in pairs]
    plan_code = np.asarray(pair_code, dtype=np.int64)
    plan_cost = np.array([p.annual_cost for p in plans], dtype=float)
    own_cost = reps["annual_cost"].to_numpy(dtype=float)
    hired_at = reps["hired_at"].to_numpy(dtype="datetime64[ns]")
    left = reps["left_at"].to_numpy(dtype="datetime64[ns]")
    start = horizon.to_days(hired_at)
    end = horizon.to_days(left)
    days = overlap_matrix(start, end, grid.month_lo, grid.month_hi)
    ramped = _ramped_days(hired_at, text_array(reps["origin"]), plan_code, plans,
                          horizon, start, end, grid.month_lo, grid.month_hi)
    month_days = grid.month_full_days[None, :]
    ends = grid.end_times
    employed = (hired_at[:, None] < ends[None, :]) & (
        np.isnat(left)[:, None] | (left[:, None] >= ends[None, :]))

    def grouped(names: list[str], kinds: list[str], member: np.ndarray) -> Heads:
        code = pd.Index(names).get_indexer(pd.Index(member))
        onehot = _onehot(code, len(names))

        def moves(times: np.ndarray) -> np.ndarray:
            rows, periods = grid.locate(times)
            out = np.zeros((grid.size, len(names)))
            np.add.at(out, (periods, code[rows]), 1.0)
            return out

        return Heads(
            names=names, kinds=kinds, code=code,
            person_days=grid.rollup(days.T @ onehot),
            ramped_days=grid.rollup(ramped.T @ onehot),
            headcount_months=grid.rollup((days / month_days).T @ onehot),
            headcount_end=employed.T.astype(float) @ onehot,
            hires=moves(hired_at), leavers=moves(left),
        )

    roles = roles_of(records, plan)
    teams = teams_of(records, plan)
    first_role = dict(zip(team[::-1], role[::-1], strict=True))
    team_kinds = [plan.kind_of(t) or first_role.get(t, "") for t in teams]
    return Workforce(
        grid=grid, rep_id=reps["rep_id"].to_numpy(dtype=np.int64), role=role, team=team,
        segment=text_array(reps["segment"]),
        annual_cost=np.where(np.isnan(own_cost), plan_cost[plan_code], own_cost),
        plans=[plans[c] for c in plan_code], days=days, ramped=ramped,
        by_role=grouped(roles, roles, role),
        by_team=grouped(teams, team_kinds, team),
    )


def _onehot(codes: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((len(codes), size))
    out[np.arange(len(codes)), codes] = 1.0
    return out


def rep_months(records: Records, plan: Plan) -> pd.DataFrame:
    """One row per rep per month of the horizon in which the rep was employed.

    Columns: ``rep_id``, ``role``, ``team``, ``segment``, ``period`` (month label),
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
        "team": pd.array(work.team[rows], dtype="str"),
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
    """Headcount per role and per team per period.

    Columns: ``period_type``, ``period``, ``role``, ``team`` (``''`` on the rows of
    a whole role; on a team's rows ``role`` is the team's kind), ``headcount``
    (average heads over the period's days in the horizon), ``ramped_headcount``
    (average productivity-weighted heads), ``headcount_end`` (heads employed just
    before the period ends), ``headcount_months`` (employed months, additive: cost
    and available hours scale with it), ``hires`` and ``leavers`` (people whose
    ``hired_at`` / ``left_at`` falls in the period). Every role and team of the plan
    and of the records appears in every period: first the roles, then the teams.
    """
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    return headcount_frame(workforce(records, plan, grid))


def headcount_frame(work: Workforce) -> pd.DataFrame:
    """:func:`headcount` from already computed :class:`Workforce` arrays."""
    grid = work.grid
    frames = []
    for heads, by_team in ((work.by_role, False), (work.by_team, True)):
        n = len(heads.names)
        days = np.repeat(grid.days, n)
        names = np.asarray(heads.names, dtype=object)
        frames.append(pd.DataFrame({
            "period_type": pd.array(np.repeat(grid.period_type, n), dtype="str"),
            "period": pd.array(np.repeat(grid.period, n), dtype="str"),
            "role": pd.array(np.tile(np.asarray(heads.kinds, dtype=object), grid.size),
                             dtype="str"),
            "team": pd.array(np.tile(names if by_team else np.full(n, "", dtype=object),
                                     grid.size), dtype="str"),
            "headcount": heads.person_days.ravel() / days,
            "ramped_headcount": heads.ramped_days.ravel() / days,
            "headcount_end": heads.headcount_end.ravel(),
            "headcount_months": heads.headcount_months.ravel(),
            "hires": heads.hires.ravel(),
            "leavers": heads.leavers.ravel(),
        }))
    return pd.concat(frames, ignore_index=True)
