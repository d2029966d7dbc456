"""Whole quota periods: what each fully productive rep achieved in them, and the share of
those reps at or above quota.

A team's quota is set for a quota period (``month``, ``quarter`` or ``year``: the
scenario's ``quota.period``, :attr:`TeamPlan.quota_period`). This module looks at whole
quota periods of the reps a full quota is set for. A rep-period **counts** when

* the quota period lies wholly inside the horizon (calendar periods: a horizon that
  starts in March has no whole calendar year in its first year),
* the rep was employed on every day of it, and
* the rep was fully ramped (productivity 1 in the team's ramp) all through it.

So a new hire counts from the first whole quota period after the ramp ends (during the
ramp :mod:`salesim.metrics.attainment` measures them against their ramped quota), and a
rep hired or leaving during a period does not count in that period. What a rep achieved
is counted as :mod:`salesim.metrics.attainment` counts it: the team's quota measure
(:data:`salesim.roles.KINDS`), in the period it happened, credited to the owning rep.

``ramped_share_at_quota`` is the share of counted rep-periods at or above the period's
quota; the domain guide (:data:`QUOTA_GUIDE`) is that 70-80% of reps reach quota.

>>> import salesim
>>> from salesim.metrics import Plan
>>> scenario = salesim.load_scenario("scenarios/minimal.yaml",
...                                  overrides=["ae.quota={amount: 60k, period: year}"])
>>> table = period_performance(salesim.simulate(scenario, seed=1),
...                            Plan.from_scenario(scenario))
>>> table[["team", "period", "quota"]].drop_duplicates().to_dict("records")
[{'team': 'ae', 'period': '2027', 'quota': 60000.0}]
>>> len(table)                                  # the two AEs, employed all year
2
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesim.metrics.attainment import AT_QUOTA, attainment_arrays
from salesim.metrics.periods import Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan, TeamPlan
from salesim.metrics.workforce import workforce
from salesim.records import Records
from salesim.roles import KINDS

QUOTA_GUIDE = (0.70, 0.80)
"""The domain guide: quotas that 70-80% of reps reach get the best performance."""

PERIOD_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
PERFORMANCE_COLUMNS = ("team", "role", "rep_id", "period", "achieved", "quota")
"""Columns of :func:`period_performance`."""

_FULL = 1 - 1e-9


def _measured(name: str, team: TeamPlan) -> TeamPlan:
    """``team`` with a quota measure and a quota (1 per month where it has none), so
    that attainment counts what its reps achieve; its ramped months are then
    ``expected / quota_per_month``."""
    kind = KINDS.get(team.kind or name)
    measure = team.quota_measure or (kind.quota_measure if kind is not None else None)
    if measure is None:
        raise ValueError(f"team {name!r} is of no known kind, so it has no quota measure")
    return dataclasses.replace(team, quota_per_month=team.quota_per_month or 1.0,
                               quota_measure=measure)


def period_performance(records: Records, plan: Plan,
                       teams: Sequence[str] | None = None) -> pd.DataFrame:
    """What each counted rep achieved in each whole quota period (see the module docs).

    ``teams``: the teams to look at (default: every team of the plan with a quota; a
    team without a quota is measured in its kind's quota measure and per year unless
    its plan says otherwise). Columns :data:`PERFORMANCE_COLUMNS`: ``team``,
    ``role`` (its kind), ``rep_id``, ``period`` (label of the quota period),
    ``achieved`` (in the quota measure) and ``quota`` (the full quota for the period;
    ``NaN`` for a team without a quota).
    """
    names = ([name for name, team in plan.teams.items() if team.has_quota]
             if teams is None else list(teams))
    for name in names:
        if name not in plan.teams:
            raise ValueError(f"no team {name!r} in the plan (teams: {', '.join(plan.teams)})")
    measured = {name: _measured(name, plan.teams[name]) for name in names}
    if not measured:
        return _empty()
    unit = dataclasses.replace(plan, teams={**plan.teams, **measured})
    types: tuple[PeriodType, ...] = tuple(
        t for t in ("month", "quarter", "year")
        if any(team.quota_period == t for team in measured.values()))
    grid = PeriodGrid(Horizon.of(records, unit), types)
    work = workforce(records, unit, grid)
    keep, achieved, expected = attainment_arrays(records, unit, work)
    frames = []
    for name, team in measured.items():
        part = grid.slices[team.quota_period]
        months = PERIOD_MONTHS[team.quota_period]
        reps = np.flatnonzero(work.team[keep] == name)
        assert team.quota_per_month is not None
        ramped = expected[part][:, reps] / team.quota_per_month
        periods, columns = np.nonzero(ramped >= months * _FULL)
        own = plan.teams[name].quota_per_month
        rows = keep[reps[columns]]
        frames.append(pd.DataFrame({
            "team": pd.array(np.full(len(rows), name, dtype=object), dtype="str"),
            "role": pd.array(work.role[rows], dtype="str"),
            "rep_id": work.rep_id[rows],
            "period": pd.array(grid.period[part][periods], dtype="str"),
            "achieved": achieved[part][periods, reps[columns]],
            "quota": np.full(len(rows), own * months if own else np.nan),
        }))
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["team", "period", "rep_id"], kind="stable",
                             ignore_index=True)[list(PERFORMANCE_COLUMNS)]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({
        "team": pd.array([], dtype="str"), "role": pd.array([], dtype="str"),
        "rep_id": np.array([], dtype=np.int64), "period": pd.array([], dtype="str"),
        "achieved": np.array([], dtype=float), "quota": np.array([], dtype=float)})


def guide_verdict(share: float | None) -> str:
    """Where a share of reps at quota stands against the guide (:data:`QUOTA_GUIDE`).

    >>> guide_verdict(0.43), guide_verdict(0.75), guide_verdict(0.9)
    ('below the 70-80% guide', 'within the 70-80% guide', 'above the 70-80% guide')
    """
    low, high = QUOTA_GUIDE
    band = f"{low * 100:.0f}-{high:.0%} guide"
    if share is None or np.isnan(share):
        return "-"
    if share < low:
        return f"below the {band}"
    if share > high:
        return f"above the {band}"
    return f"within the {band}"


def at_quota(achieved: np.ndarray, quota: np.ndarray | float) -> np.ndarray:
    """Whether each amount reaches its quota (with the tolerance attainment uses)."""
    return np.asarray(np.asarray(achieved, dtype=float)
                      >= np.asarray(quota, dtype=float) * AT_QUOTA, dtype=bool)


def ramped_share_arrays(records: Records, plan: Plan, grid: PeriodGrid
                        ) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Per team with a quota: the teams, their kinds, and per grid period (rows) and team
    (columns) the counted rep-periods (``ramped_rep_periods``) and the share of them at
    or above quota (``ramped_share_at_quota``, ``NaN`` with none counted).

    Only the grid's periods of the team's quota period type have values, and the
    ``total`` period (all the counted rep-periods of the horizon pooled); the counts
    are ``NaN`` in the other periods.
    """
    table = period_performance(records, plan)
    names = [name for name, team in plan.teams.items() if team.has_quota]
    kinds = [plan.kind_of(name) for name in names]
    counts = np.full((grid.size, len(names)), np.nan)
    hits = np.zeros((grid.size, len(names)))
    reached = at_quota(table["achieved"].to_numpy(), table["quota"].to_numpy())
    team_of = table["team"].to_numpy(dtype=object)
    period_of = table["period"].to_numpy(dtype=object)
    for column, name in enumerate(names):
        mine = team_of == name
        for period_type in (plan.teams[name].quota_period, "total"):
            part = grid.slices.get(period_type)
            if part is None:
                continue
            labels = pd.Index(grid.period[part].astype(str))
            where = (np.zeros(int(mine.sum()), dtype=np.int64) if period_type == "total"
                     else labels.get_indexer(period_of[mine]))
            ok = where >= 0
            counts[part, column] = 0.0
            rows = part.start + where[ok]
            np.add.at(counts[:, column], rows, 1.0)
            np.add.at(hits[:, column], rows, reached[mine][ok].astype(float))
    share = np.where(counts > 0, hits / np.maximum(np.nan_to_num(counts), 1), np.nan)
    return names, kinds, counts, share
