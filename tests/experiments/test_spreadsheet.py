"""The spreadsheet plan by hand arithmetic, and beside a real simulation."""

import pandas as pd
import pytest

import salesim
from salesim.experiments.spreadsheet import (
    SPREADSHEET_COLUMNS,
    plan_beside_simulation,
    spreadsheet_plan,
)
from salesim.scenario.loader import loads_scenario

PLAN = """\
meta: {{name: Plan, start: 2027-01-01, horizon: 6 months}}
segments:
  smb: {{share: 100%, deal_size: 10k}}
channels:
  inbound: {{leads_per_month: 50}}
sdr: {{headcount: 1}}
ae:
  headcount: 4
  attrition: {attrition}
  backfill: {{enabled: false}}
  time_to_fill: 0 days
  ramp: [0.5, 1.0]
  quota: {{amount: 120k, period: year}}
  hiring:
    - {{month: 2027-03, count: 2}}
  stages:
    discovery: {{conversion: 50%, duration: 1 week}}
cs: {{headcount: 1}}
"""


def test_ramped_hires_by_hand() -> None:
    plan = spreadsheet_plan(loads_scenario(PLAN.format(attrition="0%")), 0.8)
    assert list(plan.columns) == list(SPREADSHEET_COLUMNS)
    assert plan["month"].tolist() == ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05",
                                      "2027-06"]
    # two hires start in March at half productivity, full from April
    assert plan["heads"].tolist() == [4, 4, 6, 6, 6, 6]
    assert plan["ramped_rep_equivalents"].tolist() == [4, 4, 5, 6, 6, 6]
    assert plan["quota_per_rep"].tolist() == pytest.approx([10_000] * 6)
    assert plan["plan_bookings"].tolist() == pytest.approx(
        [4 * 10_000 * 0.8, 32_000, 40_000, 48_000, 48_000, 48_000])


def test_attrition_shrinks_each_cohort() -> None:
    plan = spreadsheet_plan(loads_scenario(PLAN.format(attrition="20%")))
    stay = 0.8 ** (1 / 12)
    assert plan["heads"].tolist()[:2] == pytest.approx([4, 4 * stay])
    # March: the starting team after two months, plus two new hires
    assert plan["heads"].iloc[2] == pytest.approx(4 * stay**2 + 2)
    assert plan["ramped_rep_equivalents"].iloc[3] == pytest.approx(4 * stay**3 + 2 * stay)


def test_beside_the_simulation() -> None:
    scenario = loads_scenario(PLAN.format(attrition="0%"))
    ensemble = salesim.run(scenario, reps=2, seed=1, workers=1, progress=False)
    table = plan_beside_simulation(spreadsheet_plan(scenario), ensemble.kpis)
    assert len(table) == 6
    monthly = ensemble.kpis.query("period_type == 'month' and metric == 'bookings' and "
                                  "channel == '' and segment == '' and role == ''")
    assert table["sim_mean"].tolist() == pytest.approx(monthly["mean"].tolist())
    assert table["sim_over_plan"].tolist() == pytest.approx(
        (table["sim_mean"] / table["plan_bookings"]).tolist())
    assert table["sim_mean"].sum() == pytest.approx(ensemble.replications["bookings"].mean())
    assert not pd.isna(table["sim_p50"]).any()
