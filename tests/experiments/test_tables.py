"""Per-replication tables an ensemble keeps: rep attainment and the cohort funnel,
checked against the metrics package's own functions on the same records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import salesim
from salesim.experiments.seeds import replication_seeds
from salesim.experiments.tables import ATTAINMENT_COLUMNS, funnel_reach, rep_attainment
from salesim.metrics import Plan, attainment, cohort_funnel, kpi_table

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "scenarios" / "minimal.yaml"
WITH_QUOTAS = {
    "ae.quota": {"amount": "60k", "period": "year"},
    "sdr.quota": {"amount": 4, "period": "month"},
    "channels.events": {"leads_per_month": 60},
    "sdr.attrition": "40%",
    "sdr.hiring": [{"month": "2027-04", "count": 1}],
}


@pytest.fixture(scope="module")
def simulated() -> tuple[salesim.Scenario, salesim.Records, Plan]:
    scenario = salesim.load_scenario(MINIMAL, overrides=WITH_QUOTAS)
    return scenario, salesim.simulate(scenario, seed=3), Plan.from_scenario(scenario)


def test_funnel_reach_counts_what_cohort_funnel_counts(
        simulated: tuple[salesim.Scenario, salesim.Records, Plan]) -> None:
    _, records, plan = simulated
    mine = funnel_reach(records, plan)
    overall = cohort_funnel(records, period_type="total", plan=plan)
    by_channel = cohort_funnel(records, by=("channel",), period_type="total", plan=plan)
    assert mine.loc[mine["channel"] == "", "count"].tolist() == overall["count"].tolist()
    split = mine.loc[mine["channel"] != ""].set_index(["channel", "stage"])["count"]
    expected = by_channel.set_index(["channel", "stage"])["count"].astype(float)
    pd.testing.assert_series_equal(split.sort_index(), expected.sort_index(),
                                   check_names=False)
    assert set(split.index.get_level_values(0)) == {"inbound", "events"}
    # never more leads further down the funnel
    counts = mine.loc[mine["channel"] == "", "count"].to_numpy()
    assert (np.diff(counts) <= 0).all()
    assert counts[0] > counts[-1] > 0


def test_rep_attainment_is_each_reps_total_attainment(
        simulated: tuple[salesim.Scenario, salesim.Records, Plan]) -> None:
    _, records, plan = simulated
    kpis = kpi_table(records, plan, period_types=("month", "total"))
    mine = rep_attainment(kpis, records.reps, replication=7)
    assert tuple(mine.columns) == ATTAINMENT_COLUMNS
    expected = attainment(records, plan, period_types=("total",))
    assert len(mine) == len(expected) > 4  # every rep with a quota, leavers included
    merged = mine.merge(expected, on=["role", "rep_id"])
    np.testing.assert_allclose(merged["attainment_x"], merged["attainment_y"])
    assert (mine["replication"] == 7).all()
    assert (mine["team"] == mine["role"]).all()  # the shorthand teams are named by kind


def test_rep_attainment_takes_teams_from_the_reps_table_without_a_team_column(
        simulated: tuple[salesim.Scenario, salesim.Records, Plan]) -> None:
    _, records, plan = simulated
    kpis = kpi_table(records, plan, period_types=("total",)).drop(columns="team")
    reps = records.reps.assign(team=np.where(records.reps["role"] == "ae", "東京", "大阪"))
    mine = rep_attainment(kpis, reps)
    by_role = mine.groupby("role")["team"].unique().to_dict()
    assert list(by_role["ae"]) == ["東京"]
    assert list(by_role["sdr"]) == ["大阪"]


def test_run_keeps_attainment_per_replication_and_the_funnel() -> None:
    scenario = salesim.load_scenario(MINIMAL, overrides=WITH_QUOTAS)
    ensemble = salesim.run(scenario, reps=3, seed=9, workers=1, progress=False)
    assert ensemble.attainment is not None
    assert ensemble.funnel is not None
    seed = replication_seeds(9, 3)[2]
    records = salesim.simulate(scenario, seed=seed)
    alone = attainment(records, Plan.from_scenario(scenario), period_types=("total",))
    third = ensemble.attainment.loc[ensemble.attainment["replication"] == 2]
    np.testing.assert_allclose(np.sort(third["attainment"]), np.sort(alone["attainment"]))
    assert sorted(ensemble.attainment["replication"].unique()) == [0, 1, 2]
    leads = ensemble.funnel.loc[(ensemble.funnel["channel"] == "")
                                & (ensemble.funnel["stage"] == "leads")]
    assert int(leads["n"].iloc[0]) == 3
    assert ensemble.scenario_text is not None
    assert salesim.scenario.loads_scenario(ensemble.scenario_text) == scenario
