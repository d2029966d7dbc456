"""Quota attainment with ramp, proration and the distribution per role and per team."""

from __future__ import annotations

import pandas as pd
import pytest

from salesim.metrics import Plan, TeamPlan, attainment, attainment_distribution

from .builders import CUSTOMER_SUCCESS, INSIDE_SALES, one, records, team_book, team_plan

PLAN = Plan(teams={
    "sdr": TeamPlan(quota_per_month=10, quota_measure="meetings_held"),
    "ae": TeamPlan(quota_per_month=10_000, quota_measure="bookings", ramp=(0.5, 1.0)),
    "cs": TeamPlan(),
})
REPS = [
    {"rep_id": 1, "role": "ae", "origin": "initial", "hired_at": "2027-01-01"},
    {"rep_id": 2, "role": "ae", "origin": "plan", "hired_at": "2027-02-01"},
    {"rep_id": 3, "role": "ae", "origin": "plan", "hired_at": "2027-03-16"},
    {"rep_id": 7, "role": "sdr", "origin": "initial", "hired_at": "2027-01-01"},
]


def won(opportunity_id: int, ae_id: int, closed_at: str, amount: float) -> dict[str, object]:
    return {"opportunity_id": opportunity_id, "ae_id": ae_id, "status": "won",
            "created_at": "2027-01-02", "closed_at": closed_at, "amount": amount}


OPPORTUNITIES = [
    won(1, 1, "2027-02-10", 12_000),
    won(2, 2, "2027-02-20", 5_000),   # the new hire's first month: half quota
    won(3, 2, "2027-03-05", 4_000),
    {"opportunity_id": 4, "ae_id": 1, "status": "lost", "created_at": "2027-01-02",
     "closed_at": "2027-03-01", "amount": 50_000},
]
# SDR 7: ten meetings held in January, one set on 31 January but held 1 February
LEADS = [
    {"lead_id": i, "sdr_id": 7, "created_at": "2027-01-03",
     "meeting_held_at": f"2027-01-{10 + i:02d} 10:00"} for i in range(1, 11)
] + [{"lead_id": 11, "sdr_id": 7, "created_at": "2027-01-20",
      "meeting_set_at": "2027-01-31 16:00", "meeting_held_at": "2027-02-01 10:00"}]


@pytest.fixture
def table():
    return attainment(records(reps=REPS, opportunities=OPPORTUNITIES, leads=LEADS), PLAN)


def rep(table, rep_id, period, column="attainment"):
    return one(table, column, rep_id=rep_id, period=period)


def test_new_hire_in_ramp_month_one_has_half_quota(table):
    assert rep(table, 2, "2027-02", "expected") == pytest.approx(5_000)
    assert rep(table, 2, "2027-02") == pytest.approx(1.0)
    assert rep(table, 2, "2027-03", "expected") == pytest.approx(10_000)
    assert rep(table, 2, "2027-03") == pytest.approx(0.4)
    assert rep(table, 2, "2027Q1", "expected") == pytest.approx(15_000)
    assert rep(table, 2, "2027Q1") == pytest.approx(9_000 / 15_000)


def test_mid_month_hire_has_a_prorated_ramped_quota(table):
    assert rep(table, 3, "2027-03", "expected") == pytest.approx(10_000 * 0.5 * 16 / 31)
    assert rep(table, 3, "2027-03") == 0.0


def test_reps_without_expected_quota_are_left_out(table):
    january = table.loc[table["period"] == "2027-01"]
    assert set(january["rep_id"]) == {1, 7}  # reps 2 and 3 not hired yet
    assert "cs" not in set(table["role"])


def test_ae_on_bookings_ignores_lost_deals(table):
    assert rep(table, 1, "2027-02") == pytest.approx(1.2)
    assert rep(table, 1, "2027-03") == 0.0
    assert rep(table, 1, "total", "achieved") == pytest.approx(12_000)
    assert rep(table, 1, "total", "expected") == pytest.approx(120_000)


def test_sdr_meetings_count_when_held(table):
    assert rep(table, 7, "2027-01", "achieved") == 10
    assert rep(table, 7, "2027-01") == pytest.approx(1.0)
    assert rep(table, 7, "2027-02") == pytest.approx(0.1)


def test_distribution_per_role(table):
    dist = attainment_distribution(table)
    feb = dist.loc[(dist["period"] == "2027-02") & (dist["role"] == "ae")
                    & (dist["team"] == "")].iloc[0]
    assert feb["reps"] == 2
    assert feb["mean"] == pytest.approx((1.2 + 1.0) / 2)
    assert feb["share_at_quota"] == 1.0  # exactly 100% counts as at quota
    assert feb["p50"] == pytest.approx(1.1)
    march = dist.loc[(dist["period"] == "2027-03") & (dist["role"] == "ae")
                    & (dist["team"] == "")].iloc[0]
    assert march["reps"] == 3
    assert march["mean"] == pytest.approx(0.4 / 3)
    assert march["share_at_quota"] == 0.0
    assert march["p90"] == pytest.approx(0.32)  # 0, 0, 0.4: linear interpolation
    sdr = dist.loc[(dist["period"] == "2027-01") & (dist["role"] == "sdr")
                   & (dist["team"] == "")].iloc[0]
    assert sdr["share_at_quota"] == 1.0


def test_zero_first_month_ramp_excludes_the_month():
    plan = Plan(teams={"ae": TeamPlan(quota_per_month=100, quota_measure="deals_won",
                                      ramp=(0.0, 1.0))})
    recs = records(reps=[{"rep_id": 1, "role": "ae", "origin": "plan",
                          "hired_at": "2027-01-01"}],
                   opportunities=[won(1, 1, "2027-01-20", 1.0)])
    table = attainment(recs, plan, period_types=("month", "quarter"))
    assert "2027-01" not in set(table["period"])
    assert rep(table, 1, "2027Q1", "achieved") == 1  # the deal still counts in the quarter
    assert rep(table, 1, "2027Q1", "expected") == pytest.approx(200)


def test_no_quota_gives_an_empty_distribution():
    table = attainment(records(reps=REPS), Plan(teams={"ae": TeamPlan()}))
    assert table.empty
    dist = attainment_distribution(table)
    assert dist.empty
    assert list(dist.columns) == ["period_type", "period", "role", "team", "reps", "mean",
                                  "p10", "p50", "p90", "share_at_quota"]


def test_attainment_per_team_by_hand():
    table = attainment(team_book(), team_plan(), period_types=("month", "total"))
    jan = table.loc[table["period"] == "2027-01"].set_index("rep_id")
    assert jan.loc[1, "team"] == INSIDE_SALES
    assert jan.loc[1, "role"] == "sdr"
    # SDRs (2 meetings a month): 3 and 1 meetings held
    assert jan.loc[1, "attainment"] == pytest.approx(3 / 2)
    assert jan.loc[2, "attainment"] == pytest.approx(1 / 2)
    # enterprise (20,000 a month) books 30,000; commercial (5,000) books 6,000 and 0
    assert (jan.loc[10, "team"], jan.loc[10, "attainment"]) == ("enterprise",
                                                               pytest.approx(1.5))
    assert (jan.loc[20, "team"], jan.loc[20, "attainment"]) == ("commercial",
                                                               pytest.approx(1.2))
    assert jan.loc[21, "attainment"] == 0

    dist = attainment_distribution(table)

    def spread(team: str, role: str, period: str = "2027-01") -> pd.Series:
        found = dist.loc[(dist["period"] == period) & (dist["role"] == role)
                         & (dist["team"] == team)]
        assert len(found) == 1
        return found.iloc[0]

    assert spread("enterprise", "ae")[["reps", "mean", "share_at_quota"]].tolist() == [
        1, pytest.approx(1.5), 1.0]
    assert spread("commercial", "ae")[["reps", "mean", "share_at_quota"]].tolist() == [
        2, pytest.approx(0.6), 0.5]
    # the role takes in both AE teams
    assert spread("", "ae")[["reps", "mean", "share_at_quota"]].tolist() == [
        3, pytest.approx((1.5 + 1.2 + 0) / 3), pytest.approx(2 / 3)]
    assert spread(INSIDE_SALES, "sdr")[["mean", "share_at_quota"]].tolist() == [
        pytest.approx(1.0), 0.5]
    # over the year: 30,000 of 240,000; 6,000 and 0 of 60,000 each
    assert spread("enterprise", "ae", "total")["mean"] == pytest.approx(0.125)
    assert spread("commercial", "ae", "total")["mean"] == pytest.approx(0.05)


def test_retained_arr_is_credited_to_the_csm_at_each_renewal():
    table = attainment(team_book(), team_plan(), period_types=("month", "quarter", "total"))
    csm = table.loc[table["rep_id"] == 30].set_index("period")
    assert set(csm["team"]) == {CUSTOMER_SUCCESS}
    # customer 4: 8,000 + a mid-term expansion of 1,000, renewed in January
    assert csm.loc["2027-01", "achieved"] == pytest.approx(9_000)
    assert csm.loc["2027-01", "attainment"] == pytest.approx(9_000 / 5_000)
    assert csm.loc["2027-02", "achieved"] == 0
    # customer 1: 12,000 renewed in March with a contraction of 2,000
    assert csm.loc["2027-03", "achieved"] == pytest.approx(10_000)
    # customer 2: 6,000 renewed in June; the expansion at renewal is not retention
    assert csm.loc["2027-06", "achieved"] == pytest.approx(6_000)
    # customer 3 churns at its term end: nothing retained
    assert csm.loc["2027-09", "achieved"] == 0
    assert csm.loc["2027Q1", "attainment"] == pytest.approx(19_000 / 15_000)
    assert csm.loc["total", "achieved"] == pytest.approx(25_000)
    assert csm.loc["total", "expected"] == pytest.approx(60_000)

