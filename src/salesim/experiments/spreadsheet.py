"""The spreadsheet plan: ramped rep equivalents x quota x expected attainment, by month.

This is how capacity plans are usually computed by hand, and it sits beside the
simulated distribution in every run's output so planners see where queues,
recycling and capacity make the spreadsheet wrong. The arithmetic follows the
scenario's AE teams in expectations (each team on its own, then added up), one
month at a time:

* the starting team is fully ramped; hires of a plan line start after the
  mean time to fill and ramp by the team's monthly fractions (a ``target``
  line hires the difference between the target and the expected heads then);
* each month a share ``1 - (1 - attrition) ** (1/12)`` of every cohort leaves;
  with backfill, as many start again after the mean time to fill plus the mean
  backfill delay, ramping from zero;
* ``plan_bookings`` = ramped rep equivalents x monthly quota x
  ``expected_attainment``.

Columns of :func:`spreadsheet_plan`: ``month`` (``YYYY-MM``), ``heads``
(expected AEs on the team, middle of the month), ``ramped_rep_equivalents``,
``quota_per_rep`` (fully ramped monthly quota), ``expected_attainment``,
``plan_bookings``. :func:`plan_beside_simulation` adds the simulated monthly
bookings ``sim_mean``, ``sim_p10``, ``sim_p50``, ``sim_p90`` and
``sim_over_plan`` (``sim_mean / plan_bookings``).

>>> import salesim
>>> plan = spreadsheet_plan(salesim.load_scenario("scenarios/reference.yaml"))
>>> list(plan.columns) == list(SPREADSHEET_COLUMNS)
True
>>> len(plan), plan["month"].iloc[0]
(36, '2027-01')
"""

from __future__ import annotations

import math

import pandas as pd

from salesim.scenario import Scenario
from salesim.scenario.schema import Team
from salesim.scenario.units import DAYS_PER_MONTH

SPREADSHEET_COLUMNS = ("month", "heads", "ramped_rep_equivalents", "quota_per_rep",
                       "expected_attainment", "plan_bookings")


def spreadsheet_plan(scenario: Scenario, expected_attainment: float = 1.0) -> pd.DataFrame:
    """The AE capacity plan month by month (columns: module doc), over every AE team;
    ``plan_bookings`` is NaN when an AE team has no quota, and ``quota_per_rep`` is
    the teams' quotas weighted by their ramped rep equivalents."""
    parts = [_team_plan(team, scenario, expected_attainment)
             for team in scenario.teams_of("ae").values()]
    table = parts[0]
    for part in parts[1:]:
        for column in ("heads", "ramped_rep_equivalents", "plan_bookings"):
            table[column] = table[column] + part[column]
    if len(parts) > 1:
        table["quota_per_rep"] = table["plan_bookings"] / (
            table["ramped_rep_equivalents"] * expected_attainment)
    return table


def _team_plan(team: Team, scenario: Scenario, expected_attainment: float) -> pd.DataFrame:
    months = scenario.months
    ramp = [float(f) for f in team.ramp.monthly_fractions()]
    stay = (1 - team.attrition) ** (1 / 12) if team.attrition < 1 else 0.0
    fill_months = team.time_to_fill.sampler().mean / DAYS_PER_MONTH
    backfill_months = fill_months + team.backfill.delay.sampler().mean / DAYS_PER_MONTH
    quota = team.quota.per_month if team.quota is not None else math.nan
    # cohorts: [start month (fractional, from the scenario start), heads, fully ramped?]
    cohorts: list[list[float]] = [[-1e9, float(team.headcount), 1.0]]
    plan_lines = {(line.month.year, line.month.month): line for line in team.hiring}
    rows = []
    for index, month in enumerate(months):
        line = plan_lines.get((month.year, month.month))
        if line is not None:
            if line.count is not None:
                wanted = float(line.count)
            else:
                assert line.target is not None
                wanted = max(0.0, line.target - sum(c[1] for c in cohorts))
            cohorts.append([index + fill_months, wanted, 0.0])
        middle = index + 0.5
        heads = sum(size for start, size, _ in cohorts if start <= middle)
        equivalents = sum(
            size * (1.0 if ramped else _ramp_at(ramp, middle - start))
            for start, size, ramped in cohorts if start <= middle)
        rows.append({"month": f"{month:%Y-%m}", "heads": heads,
                     "ramped_rep_equivalents": equivalents, "quota_per_rep": quota,
                     "expected_attainment": expected_attainment,
                     "plan_bookings": equivalents * quota * expected_attainment})
        leaving = 0.0
        for cohort in cohorts:
            if cohort[0] <= middle:
                gone = cohort[1] * (1 - stay)
                cohort[1] -= gone
                leaving += gone
        if team.backfill.enabled and leaving > 0:
            cohorts.append([index + 1 + backfill_months, leaving, 0.0])
    return pd.DataFrame(rows, columns=list(SPREADSHEET_COLUMNS))


def _ramp_at(ramp: list[float], tenure_months: float) -> float:
    if tenure_months < 0:
        return 0.0
    whole = int(tenure_months)
    return ramp[whole] if whole < len(ramp) else 1.0


def plan_beside_simulation(plan: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    """The spreadsheet plan with the simulated monthly bookings across replications
    (from an ensemble's KPI table) beside it."""
    monthly = kpis[(kpis["period_type"] == "month") & (kpis["metric"] == "bookings")
                   & (kpis["channel"] == "") & (kpis["segment"] == "")
                   & (kpis["role"] == "")]
    if "rep_id" in monthly.columns:
        monthly = monthly[monthly["rep_id"] < 0]
    simulated = pd.DataFrame({
        "month": monthly["period"].astype(str).to_numpy(),
        "sim_mean": monthly["mean"].to_numpy(), "sim_p10": monthly["p10"].to_numpy(),
        "sim_p50": monthly["p50"].to_numpy(), "sim_p90": monthly["p90"].to_numpy(),
    })
    table = plan.merge(simulated, on="month", how="left")
    table["sim_over_plan"] = table["sim_mean"] / table["plan_bookings"]
    return table
