"""Whole quota periods: which reps count, what they achieved, the share at quota."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from salesim.metrics import Plan, TeamPlan, headline_metrics, kpi_table
from salesim.metrics.quota_periods import (
    PERFORMANCE_COLUMNS,
    QUOTA_GUIDE,
    guide_verdict,
    period_performance,
)

from .builders import kpi, records

QUOTA_PER_MONTH = 10_000  # 120k a year
PLAN = Plan(teams={"ae": TeamPlan(kind="ae", quota_per_month=QUOTA_PER_MONTH,
                                  ramp=(0.5, 0.5, 0.5), quota_period="year")})
REPS = [
    # fully ramped from the start, all two years: counts in 2027 and 2028
    {"rep_id": 1, "role": "ae", "team": "ae", "hired_at": "2027-01-01"},
    # a planned hire ramping January to March 2027: counts in 2028 only
    {"rep_id": 2, "role": "ae", "team": "ae", "hired_at": "2027-01-01", "origin": "plan"},
    # leaves in June 2027: counts nowhere
    {"rep_id": 3, "role": "ae", "team": "ae", "hired_at": "2027-01-01",
     "left_at": "2027-06-15"},
    # a backfill ramping October to December 2027: fully ramped all of 2028
    {"rep_id": 4, "role": "ae", "team": "ae", "hired_at": "2027-10-01", "origin": "backfill"},
    # leaves on the last day of 2028: counts in 2027 only
    {"rep_id": 5, "role": "ae", "team": "ae", "hired_at": "2027-01-01",
     "left_at": "2028-12-31"},
]
WINS = [(1, "2027-05-01", 150_000), (1, "2028-05-01", 100_000), (2, "2027-06-01", 80_000),
        (2, "2028-06-01", 130_000), (3, "2027-03-01", 500_000), (4, "2028-07-01", 120_000),
        (5, "2027-08-01", 50_000), (5, "2028-08-01", 400_000)]
BOOK = records(
    start="2027-01-01", end="2029-01-01", reps=REPS,
    opportunities=[{"ae_id": rep, "team": "ae", "status": "won", "amount": amount,
                    "created_at": "2027-01-02", "closed_at": at} for rep, at, amount in WINS])


def test_counts_reps_fully_ramped_through_whole_periods() -> None:
    table = period_performance(BOOK, PLAN)
    assert tuple(table.columns) == PERFORMANCE_COLUMNS
    got = {(int(r.rep_id), r.period): r.achieved for r in table.itertuples()}
    assert got == {(1, "2027"): 150_000, (5, "2027"): 50_000, (1, "2028"): 100_000,
                   (2, "2028"): 130_000, (4, "2028"): 120_000}
    assert (table["quota"] == 12 * QUOTA_PER_MONTH).all()
    assert set(table["team"]) == {"ae"}
    assert set(table["role"]) == {"ae"}


def test_share_at_quota_in_the_kpis_and_the_headline() -> None:
    kpis = kpi_table(BOOK, PLAN)
    # 2027: reps 1 (150k) and 5 (50k); 2028: reps 1 (100k), 2 (130k), 4 (exactly 120k)
    for period, reps, share in (("2027", 2, 0.5), ("2028", 3, 2 / 3), ("total", 5, 0.6)):
        assert kpi(kpis, "ramped_rep_periods", period, role="ae", team="ae") == reps
        assert kpi(kpis, "ramped_share_at_quota", period, role="ae",
                   team="ae") == pytest.approx(share)
    # only in the quota's own periods (and the total)
    rows = kpis[kpis["metric"] == "ramped_share_at_quota"]
    assert set(rows["period_type"]) == {"year", "total"}
    assert headline_metrics(BOOK, PLAN)["ramped_share_at_quota_ae"] == pytest.approx(0.6)


def test_a_quarterly_quota_measures_quarters() -> None:
    quarterly = Plan(teams={"ae": dataclasses.replace(PLAN.teams["ae"],
                                                      quota_period="quarter")})
    table = period_performance(BOOK, quarterly)
    # rep 2 ramps through 2027Q1 and counts from 2027Q2; rep 3 counts in 2027Q1 only
    assert "2027Q1" not in set(table.loc[table["rep_id"] == 2, "period"])
    assert set(table.loc[table["rep_id"] == 2, "period"]) >= {"2027Q2", "2028Q4"}
    assert set(table.loc[table["rep_id"] == 3, "period"]) == {"2027Q1"}
    assert set(table.loc[table["rep_id"] == 4, "period"]) == {f"2028Q{q}" for q in range(1, 5)}
    assert (table["quota"] == 3 * QUOTA_PER_MONTH).all()
    one = table.set_index(["rep_id", "period"])["achieved"]
    assert one[(3, "2027Q1")] == 500_000
    assert one[(1, "2027Q2")] == 150_000


def test_a_team_without_quota_is_measured_in_its_kind_measure() -> None:
    plain = Plan(teams={"ae": TeamPlan(kind="ae", ramp=(0.5, 0.5, 0.5))})
    assert period_performance(BOOK, plain).empty  # by default only teams with a quota
    table = period_performance(BOOK, plain, ["ae"])
    assert sorted(table["achieved"]) == [50_000, 100_000, 120_000, 130_000, 150_000]
    assert table["quota"].isna().all()
    assert "ramped_share_at_quota_ae" not in headline_metrics(BOOK, plain)


def test_no_whole_period_inside_the_horizon() -> None:
    short = records(start="2027-03-01", end="2028-03-01", reps=REPS[:1])
    assert period_performance(short, PLAN).empty
    kpis = kpi_table(short, PLAN)
    assert kpi(kpis, "ramped_rep_periods", "total", role="ae", team="ae") == 0
    assert np.isnan(headline_metrics(short, PLAN)["ramped_share_at_quota_ae"])


def test_unknown_team() -> None:
    with pytest.raises(ValueError, match="no team 'enterprise'"):
        period_performance(BOOK, PLAN, ["enterprise"])


def test_guide_verdict_at_the_edges() -> None:
    low, high = QUOTA_GUIDE
    assert guide_verdict(low) == guide_verdict(high) == "within the 70-80% guide"
    assert guide_verdict(low - 0.01).startswith("below")
    assert guide_verdict(high + 0.01).startswith("above")
    assert guide_verdict(float("nan")) == "-"
