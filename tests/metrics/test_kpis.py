"""The tidy KPI table and the headline metrics on a small hand-built book."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesim.metrics import (
    HEADLINE_METRICS,
    KPI_COLUMNS,
    ChannelPlan,
    Plan,
    TeamPlan,
    headline_metrics,
    headline_names,
    kpi_table,
    period_funnel,
)

from .builders import (
    CUSTOMER_SUCCESS,
    INSIDE_SALES,
    kpi,
    records,
    rows,
    team_book,
    team_plan,
)

PLAN = Plan(
    teams={"sdr": TeamPlan(quota_per_month=2, quota_measure="meetings_held",
                           annual_cost=60_000),
           "ae": TeamPlan(quota_per_month=10_000, quota_measure="bookings",
                          annual_cost=120_000),
           "cs": TeamPlan(annual_cost=60_000)},
    channels={"web": ChannelPlan(fixed_cost_per_month=1_000)},
    hours_per_month=160,
    currency="EUR",
)


def lead(lead_id, created, attempt_minutes=None, channel="web", **more):
    row = {"lead_id": lead_id, "created_at": created, "channel": channel, "sdr_id": 10,
           "cost": 10.0, **more}
    if attempt_minutes is not None:
        row["first_attempt_at"] = str(pd.Timestamp(created)
                                      + pd.Timedelta(minutes=attempt_minutes))
    return row


LEADS = [
    # four new leads in March called after 2, 5, 30 and 120 minutes
    lead(1, "2027-03-01 09:00", 2, meeting_set_at="2027-03-20 10:00",
         meeting_held_at="2027-04-02 10:00", valid=True),
    lead(2, "2027-03-02 09:00", 5, channel="ads", segment="mid",
         meeting_set_at="2027-03-03 10:00", meeting_held_at="2027-04-05 10:00", valid=False),
    lead(3, "2027-03-03 09:00", 30),
    lead(4, "2027-03-04 09:00", 120),
    # a recycled engagement called after one minute: not part of speed to lead
    lead(3, "2027-06-01 09:00", 1, cycle=1, cost=0.0),
    # booked on 31 August for 1 September
    lead(5, "2027-08-30 09:00", 3, meeting_set_at="2027-08-31 16:00",
         meeting_held_at="2027-09-01 10:00", valid=True),
]
OPPORTUNITIES = [
    {"opportunity_id": 1, "lead_id": 1, "ae_id": 20, "created_at": "2027-04-02 10:00",
     "status": "won", "closed_at": "2027-05-12 10:00", "amount": 12_000.0},
    {"opportunity_id": 2, "lead_id": 9, "ae_id": 20, "created_at": "2027-04-10 10:00",
     "status": "lost", "closed_at": "2027-05-20 10:00", "amount": 30_000.0},
    {"opportunity_id": 3, "lead_id": 8, "ae_id": 20, "channel": "ads",
     "created_at": "2027-05-01 10:00", "status": "won", "closed_at": "2027-06-10 10:00",
     "amount": 24_000.0},
    {"opportunity_id": 4, "lead_id": 5, "ae_id": 20, "created_at": "2027-09-01 10:00",
     "status": "open", "amount": 10_000.0},
]
REPS = [
    {"rep_id": 10, "role": "sdr", "hired_at": "2027-01-01"},
    {"rep_id": 11, "role": "sdr", "hired_at": "2027-01-01", "left_at": "2027-07-01"},
    {"rep_id": 20, "role": "ae", "hired_at": "2027-01-01"},
    {"rep_id": 30, "role": "cs", "hired_at": "2027-01-01"},
]
ACTIVITIES = [
    {"rep_id": 10, "date": "2027-03-01", "attempts": 30, "contacts": 9, "busy_hours": 6.0},
    {"rep_id": 11, "date": "2027-03-02", "attempts": 10, "contacts": 1, "busy_hours": 2.0},
]
SUBSCRIPTIONS = [
    {"subscription_id": 1, "opportunity_id": 1, "start_at": "2027-05-12 10:00",
     "initial_arr": 12_000, "arr": 12_000},
    {"subscription_id": 2, "opportunity_id": 3, "channel": "ads",
     "start_at": "2027-06-10 10:00", "initial_arr": 24_000, "arr": 0, "status": "churned",
     "churned_at": "2027-12-01"},
]
EVENTS = [
    {"subscription_id": 1, "at": "2027-05-12 10:00", "kind": "new", "arr_change": 12_000},
    {"subscription_id": 2, "at": "2027-06-10 10:00", "kind": "new", "arr_change": 24_000},
    {"subscription_id": 2, "at": "2027-12-01", "kind": "churn", "arr_change": -24_000},
]


@pytest.fixture(scope="module")
def book():
    return records(leads=LEADS, opportunities=OPPORTUNITIES, reps=REPS, activities=ACTIVITIES,
                   subscriptions=SUBSCRIPTIONS, subscription_events=EVENTS)


@pytest.fixture(scope="module")
def table(book):
    return kpi_table(book, PLAN)


def test_columns_and_types(table):
    assert tuple(table.columns) == KPI_COLUMNS
    assert set(table["period_type"]) == {"month", "quarter", "year", "total"}
    assert table["rep_id"].dtype == np.int64
    assert table["value"].dtype == np.float64
    assert (table["unit"] != "").all()
    keys = ["period_type", "period", "metric", "channel", "segment", "role", "team",
            "rep_id"]
    assert not table.duplicated(keys).any()
    assert set(rows(table, metric="bookings")["unit"]) == {"EUR"}


def test_meetings_count_in_the_month_held(table):
    assert kpi(table, "meetings_set", "2027-03") == 2
    assert kpi(table, "meetings_held", "2027-03") == 0
    assert kpi(table, "meetings_held", "2027-04") == 2
    assert kpi(table, "meetings_set", "2027-08") == 1
    assert kpi(table, "meetings_held", "2027-08") == 0
    assert kpi(table, "meetings_held", "2027-09") == 1
    assert kpi(table, "valid_meeting_rate", "2027-04") == pytest.approx(0.5)
    assert kpi(table, "valid_meeting_rate", "total") == pytest.approx(2 / 3)
    assert kpi(table, "meetings_held", "2027-09", role="sdr", rep_id=10) == 1
    assert kpi(table, "meetings_held", "2027-04", channel="ads") == 1
    assert kpi(table, "meetings_held", "2027-04", segment="mid") == 1


def test_counts_are_filled_with_zero_for_quiet_months(table):
    assert kpi(table, "leads", "2027-01") == 0
    assert kpi(table, "leads", "2027-01", channel="ads") == 0
    assert len(rows(table, metric="leads", period_type="month", channel="", segment="")) == 12


def test_leads_and_recycled_leads(table):
    assert kpi(table, "leads", "2027-03") == 4
    assert kpi(table, "leads", "2027-06") == 0
    assert kpi(table, "recycled_leads", "2027-06") == 1
    assert kpi(table, "leads", "2027Q1") == 4
    assert kpi(table, "leads", "total") == 5
    assert kpi(table, "leads", "2027-03", channel="web") == 3


def test_speed_to_lead(table):
    # cycle-0 leads of March: 2, 5, 30 and 120 minutes
    assert kpi(table, "speed_to_lead_median_minutes", "2027-03") == pytest.approx(17.5)
    assert kpi(table, "speed_to_lead_p90_minutes", "2027-03") == pytest.approx(30 + 0.7 * 90)
    assert kpi(table, "speed_to_lead_within_5min_share", "2027-03") == pytest.approx(0.5)
    assert kpi(table, "speed_to_lead_within_1h_share", "2027-03") == pytest.approx(0.75)
    assert rows(table, metric="speed_to_lead_median_minutes", period="2027-06").empty
    assert kpi(table, "speed_to_lead_median_minutes", "2027-03", channel="ads") == 5
    assert kpi(table, "speed_to_lead_median_minutes", "2027-03", role="sdr", rep_id=10) == 17.5


def test_win_rate_and_deals(table):
    assert kpi(table, "deals_won", "2027-05") == 1
    assert kpi(table, "deals_lost", "2027-05") == 1
    assert kpi(table, "win_rate", "2027-05") == pytest.approx(0.5)
    assert kpi(table, "win_rate", "2027-06") == pytest.approx(1.0)
    assert kpi(table, "win_rate", "2027Q2") == pytest.approx(2 / 3)
    assert math.isnan(kpi(table, "win_rate", "2027-07"))
    assert kpi(table, "bookings", "2027Q2") == 36_000
    assert kpi(table, "average_deal_size", "2027Q2") == 18_000
    assert kpi(table, "opportunities", "2027-04") == 2
    assert kpi(table, "sales_cycle_days_mean", "2027-05") == pytest.approx(40)
    assert kpi(table, "sales_cycle_days_median", "total") == pytest.approx(40)
    assert kpi(table, "bookings", "2027-06", role="ae", rep_id=20) == 24_000
    assert kpi(table, "win_rate", "total", channel="web") == pytest.approx(0.5)


def test_activity_counts(table):
    assert kpi(table, "attempts", "2027-03") == 40
    assert kpi(table, "contacts", "2027-03", role="sdr") == 10
    assert kpi(table, "attempts", "2027-03", role="sdr", rep_id=11) == 10


def test_arr_and_retention(table):
    assert kpi(table, "ending_arr", "2027-06") == 36_000
    assert kpi(table, "ending_arr", "total") == 12_000
    assert kpi(table, "churned_arr", "2027Q4") == 24_000
    assert kpi(table, "nrr", "2027-12") == pytest.approx(12_000 / 36_000)
    assert kpi(table, "logo_churn_rate", "2027-12") == pytest.approx(0.5)
    # the horizon is one year from a cold start: no customer a year before its end
    assert math.isnan(kpi(table, "nrr", "total"))
    assert math.isnan(kpi(table, "nrr_ttm", "2027-12"))
    assert kpi(table, "ending_arr", "total", channel="ads") == 0


def test_people_cost_and_productivity(table):
    assert kpi(table, "headcount_end", "total", role="sdr") == 1
    assert kpi(table, "headcount", "2027-03", role="sdr") == 2
    assert kpi(table, "meetings_per_sdr", "2027-04", role="sdr") == pytest.approx(1.0)
    assert kpi(table, "bookings_per_ae", "2027Q2", role="ae") == 36_000
    assert kpi(table, "utilisation", "2027-03", role="sdr") == pytest.approx(8 / 320)
    assert kpi(table, "total_cost", "2027-03", role="sdr") == pytest.approx(10_000)
    assert kpi(table, "total_cost", "2027-03", channel="web") == pytest.approx(1_000 + 30)
    assert kpi(table, "total_cost", "2027-03") == pytest.approx(10_000 + 10_000 + 5_000
                                                               + 1_030 + 10)
    assert kpi(table, "cost_per_lead", "2027-03", channel="web") == pytest.approx(1_030 / 3)
    assert kpi(table, "cost_per_lead", "2027-03") == pytest.approx(1_040 / 4)
    assert rows(table, metric="cost_per_lead", segment="mid").empty
    # May: marketing 1,000 web fixed; sales 2 SDRs + 1 AE = 20,000; one deal won
    assert kpi(table, "cac", "2027-05") == pytest.approx(21_000)
    assert kpi(table, "cac_payback_months", "2027-05") == pytest.approx(21_000 / 1_000)


def test_attainment_rows(table):
    # AE quota 10,000 a month: 12,000 in May
    assert kpi(table, "attainment", "2027-05", role="ae", rep_id=20) == pytest.approx(1.2)
    assert kpi(table, "attainment_mean", "2027Q2", role="ae") == pytest.approx(36_000 / 30_000)
    assert kpi(table, "share_at_quota", "2027-04", role="ae") == 0
    # SDRs (quota 2 meetings): rep 10 held both April meetings, rep 11 none
    assert kpi(table, "attainment_mean", "2027-04", role="sdr") == pytest.approx(0.5)
    assert kpi(table, "share_at_quota", "2027-04", role="sdr") == pytest.approx(0.5)


def test_headline_names_are_stable():
    # teams named after their kinds: their end headcount is the kind's, named once
    assert headline_names(PLAN) == (*HEADLINE_METRICS, "headcount_end_sdr",
                                    "headcount_end_ae", "headcount_end_cs",
                                    "attainment_mean_sdr", "share_at_quota_sdr",
                                    "ramped_share_at_quota_sdr", "attainment_mean_ae",
                                    "share_at_quota_ae", "ramped_share_at_quota_ae")
    smaller = Plan(teams={"ae": TeamPlan()})
    assert headline_names(smaller)[-1] == "headcount_end_ae"
    assert len(headline_names(smaller)) == len(HEADLINE_METRICS) + 1


def test_headline_metrics_match_the_totals(book, table):
    numbers = headline_metrics(book, PLAN)
    assert tuple(numbers) == headline_names(PLAN)
    assert all(isinstance(v, float) for v in numbers.values())
    assert numbers["leads"] == 5
    assert numbers["meetings_held"] == 3
    assert numbers["valid_meetings"] == 2
    assert numbers["opportunities"] == 4
    assert numbers["deals_won"] == 2
    assert numbers["win_rate"] == pytest.approx(2 / 3)
    assert numbers["bookings"] == 36_000
    assert numbers["ending_arr"] == 12_000
    assert numbers["speed_to_lead_median_minutes"] == pytest.approx(5)  # 2, 3, 5, 30, 120
    assert numbers["headcount_end_sdr"] == 1
    assert numbers["headcount_end_cs"] == 1
    assert numbers["ae_attainment_mean"] == pytest.approx(36_000 / 120_000)
    assert numbers["ae_share_at_quota"] == 0
    for name in ("total_cost", "cac", "nrr", "grr", "logo_churn_rate", "sdr_attainment_mean"):
        metric = {"sdr_attainment_mean": "attainment_mean"}.get(name, name)
        role = "sdr" if name.startswith("sdr_") else ""
        assert numbers[name] == pytest.approx(kpi(table, metric, "total", role=role),
                                              nan_ok=True)


def test_headline_metrics_are_nan_where_undefined():
    numbers = headline_metrics(records(), Plan(teams={"sdr": TeamPlan(), "ae": TeamPlan()}))
    assert tuple(numbers) == headline_names(Plan(teams={"sdr": TeamPlan(), "ae": TeamPlan()}))
    for name in ("win_rate", "nrr", "grr", "logo_churn_rate", "cac",
                 "speed_to_lead_median_minutes", "ae_attainment_mean", "sdr_share_at_quota"):
        assert math.isnan(numbers[name]), name
    assert numbers["leads"] == 0
    assert numbers["total_cost"] == 0
    assert numbers["headcount_end_ae"] == 0


def test_period_types_can_be_limited(book):
    table = kpi_table(book, PLAN, period_types=("quarter",))
    assert set(table["period_type"]) == {"quarter"}
    with pytest.raises(ValueError, match="unknown period types"):
        kpi_table(book, PLAN, period_types=("week",))


def test_headline_metrics_can_read_a_computed_table(book, table):
    fresh = headline_metrics(book, PLAN)
    reused = headline_metrics(book, PLAN, kpis=table)
    assert tuple(reused) == tuple(fresh)
    for name, value in fresh.items():
        assert reused[name] == pytest.approx(value, nan_ok=True), name


def test_kpi_counts_agree_with_the_period_funnel(book, table):
    funnel = period_funnel(book)
    for stage in ("leads", "meetings_set", "meetings_held", "valid_meetings", "opportunities",
                  "deals_won"):
        from_funnel = funnel.loc[funnel["stage"] == stage].set_index("period")["count"]
        months = rows(table, metric=stage, period_type="month", channel="", segment="",
                      role="", rep_id=-1).set_index("period")["value"]
        assert from_funnel.to_dict() == months.to_dict(), stage


def test_rows_without_a_known_rep_stay_out_of_rep_splits():
    recs = records(leads=[{"lead_id": 1, "created_at": "2027-02-01", "sdr_id": -1,
                           "meeting_held_at": "2027-02-03"},
                          {"lead_id": 2, "created_at": "2027-02-01", "sdr_id": 99,
                           "channel": "", "meeting_held_at": "2027-02-04"}],
                   reps=[{"rep_id": 5, "role": "", "hired_at": "2027-01-01"}])
    table = kpi_table(recs, PLAN, period_types=("total",))
    held = rows(table, metric="meetings_held")
    assert kpi(held, "meetings_held", "total") == 2
    assert set(held["rep_id"]) == {-1, 99}  # the unassigned lead has no rep row
    assert kpi(held, "meetings_held", "total", channel="web") == 1  # no row for channel ''
    assert set(rows(table, metric="headcount")["role"]) == {"sdr", "ae", "cs"}


lead_times = st.lists(st.tuples(st.integers(-30 * 24, 400 * 24), st.integers(0, 60 * 24),
                                st.booleans(), st.sampled_from(["web", "ads"])), max_size=20)


@settings(max_examples=20, deadline=None)
@given(lead_times)
def test_monthly_counts_add_up_to_the_year_and_total(items):
    start = pd.Timestamp("2027-01-01")
    leads = []
    for i, (created, delay, valid, channel) in enumerate(items, start=1):
        at = start + pd.Timedelta(hours=created)
        leads.append({"lead_id": i, "channel": channel, "created_at": str(at),
                      "sdr_id": 10, "meeting_held_at": str(at + pd.Timedelta(hours=delay)),
                      "valid": valid})
    table = kpi_table(records(leads=leads, reps=REPS), PLAN, period_types=("month", "year",
                                                                            "total"))
    for metric in ("leads", "meetings_held", "valid_meetings"):
        overall = rows(table, metric=metric, channel="", segment="", role="", rep_id=-1)
        by_type = overall.groupby("period_type")["value"].sum()
        assert by_type["month"] == by_type["year"] == by_type["total"], metric
        per_channel = rows(table, metric=metric, period_type="total", segment="", role="",
                           rep_id=-1)
        assert per_channel["value"].sum() == 2 * by_type["total"]  # overall + both channels


@pytest.fixture(scope="module")
def teams_table():
    return kpi_table(team_book(), team_plan(), period_types=("month", "total"))


def test_people_rows_per_team(teams_table):
    def team(metric, period, role, name):
        return kpi(teams_table, metric, period, role=role, team=name)

    assert team("headcount_end", "total", "sdr", INSIDE_SALES) == 2
    assert team("headcount_end", "total", "ae", "enterprise") == 1
    assert team("headcount_end", "total", "ae", "commercial") == 2
    assert kpi(teams_table, "headcount_end", "total", role="ae") == 3
    # attainment in January: enterprise 30,000 of 20,000; commercial 6,000 and 0 of 5,000
    assert team("attainment_mean", "2027-01", "ae", "enterprise") == pytest.approx(1.5)
    assert team("attainment_mean", "2027-01", "ae", "commercial") == pytest.approx(0.6)
    assert team("share_at_quota", "2027-01", "ae", "commercial") == pytest.approx(0.5)
    assert team("reps_with_quota", "2027-01", "ae", "commercial") == 2
    assert kpi(teams_table, "attainment_mean", "2027-01", role="ae") == pytest.approx(0.9)
    assert team("attainment_mean", "2027-01", "sdr", INSIDE_SALES) == pytest.approx(1.0)
    # per-rep rows carry the rep's team
    assert kpi(teams_table, "attainment", "2027-01", role="ae", team="commercial",
               rep_id=20) == pytest.approx(1.2)
    assert kpi(teams_table, "meetings_held", "2027-01", role="sdr", team=INSIDE_SALES,
               rep_id=1) == 3
    # cost per team: a month of each head's annual cost
    assert team("total_cost", "2027-01", "ae", "commercial") == pytest.approx(20_000)
    assert team("total_cost", "2027-01", "cs", CUSTOMER_SUCCESS) == pytest.approx(7_500)
    assert kpi(teams_table, "total_cost", "2027-01", role="ae") == pytest.approx(35_000)
    # per head, over the team's own deals and meetings
    assert team("bookings_per_ae", "2027-01", "ae", "commercial") == pytest.approx(3_000)
    assert team("bookings_per_ae", "2027-01", "ae", "enterprise") == pytest.approx(30_000)
    assert team("meetings_per_sdr", "2027-01", "sdr", INSIDE_SALES) == pytest.approx(2)


def test_utilisation_per_team_and_for_the_kind(teams_table):
    # open opportunity-days in January over AE-days x open opportunities per AE
    enterprise = kpi(teams_table, "utilisation", "2027-01", role="ae", team="enterprise")
    assert enterprise == pytest.approx(19 / (31 * 2))
    commercial = kpi(teams_table, "utilisation", "2027-01", role="ae", team="commercial")
    assert commercial == pytest.approx((10 + 20) / (2 * 31 * 4))
    # the kind carries the work of both teams against the capacity of both
    assert kpi(teams_table, "utilisation", "2027-01", role="ae") == pytest.approx(
        (19 + 30) / (31 * 2 + 2 * 31 * 4))


def test_headline_entries_per_team():
    plan = team_plan()
    numbers = headline_metrics(team_book(), plan)
    assert tuple(numbers) == headline_names(plan)
    assert numbers[f"headcount_end_{INSIDE_SALES}"] == 2
    assert numbers["headcount_end_sdr"] == 2
    assert numbers["headcount_end_ae"] == 3
    assert numbers["headcount_end_enterprise"] == 1
    # the year: 30,000 of 240,000; 6,000 and 0 of 60,000 each; 3 and 1 of 24 meetings
    assert numbers["attainment_mean_enterprise"] == pytest.approx(0.125)
    assert numbers["attainment_mean_commercial"] == pytest.approx(0.05)
    assert numbers["share_at_quota_commercial"] == 0
    assert numbers[f"attainment_mean_{INSIDE_SALES}"] == pytest.approx((3 + 1) / 24 / 2)
    assert numbers["ae_attainment_mean"] == pytest.approx((0.125 + 0.1 + 0) / 3)
    assert numbers[f"attainment_mean_{CUSTOMER_SUCCESS}"] == pytest.approx(25_000 / 60_000)


def test_teams_add_up_to_their_kind_on_a_simulated_organisation():
    from pathlib import Path

    from salesim.scenario import load_scenario
    from salesim.world import simulate

    path = Path(__file__).parents[2] / "scenarios" / "enterprise-and-commercial.yaml"
    scenario = load_scenario(path, overrides=["meta.horizon=24 months"])
    plan = Plan.from_scenario(scenario)
    table = kpi_table(simulate(scenario, seed=3), plan, period_types=("quarter", "total"))
    people = table.loc[(table["channel"] == "") & (table["segment"] == "")
                       & (table["rep_id"] < 0) & (table["role"] != "")]
    teams = people.loc[people["team"] != ""]
    assert set(teams["team"]) == set(scenario.organisation)
    assert {(t, k) for t, k in zip(teams["team"], teams["role"], strict=True)} == {
        (name, team.kind) for name, team in scenario.organisation.items()}
    keys = ["period", "metric", "role"]
    for metric in ("headcount", "headcount_end", "hires", "leavers", "total_cost",
                   "reps_with_quota"):
        summed = teams.loc[teams["metric"] == metric].groupby(keys)["value"].sum()
        kinds = people.loc[(people["metric"] == metric) & (people["team"] == "")]
        assert len(kinds) > 0
        assert kinds.set_index(keys)["value"].sort_index().to_numpy() == pytest.approx(
            summed.sort_index().to_numpy()), metric
    # the kind's mean attainment is the teams' means weighted by their reps
    weights = teams.loc[teams["metric"] == "reps_with_quota"].set_index(["period", "team"])
    means = teams.loc[teams["metric"] == "attainment_mean"].set_index(["period", "team"])
    ae = means.loc[means["role"] == "ae"]
    weighted = (ae["value"] * weights.loc[ae.index, "value"]).groupby(level="period").sum() \
        / weights.loc[ae.index, "value"].groupby(level="period").sum()
    kind = people.loc[(people["metric"] == "attainment_mean") & (people["role"] == "ae")
                      & (people["team"] == "")].set_index("period")["value"]
    assert kind.loc[weighted.index].to_numpy() == pytest.approx(weighted.to_numpy())


def test_retention_per_year_and_trailing_twelve_months_rows():
    # one customer: 1,000 from March 2027, renews up 10% in March 2028 and churns in
    # March 2029; the horizon is 2027-2029
    book = records(
        start="2027-01-01", end="2030-01-01",
        subscriptions=[{"subscription_id": 1, "start_at": "2027-03-01", "initial_arr": 1000,
                        "arr": 0, "status": "churned", "churned_at": "2029-03-01"}],
        subscription_events=[
            {"subscription_id": 1, "at": "2027-03-01", "kind": "new", "arr_change": 1000},
            {"subscription_id": 1, "at": "2028-03-01", "kind": "renewal", "arr_change": 0},
            {"subscription_id": 1, "at": "2028-03-01", "kind": "expansion",
             "arr_change": 100},
            {"subscription_id": 1, "at": "2029-03-01", "kind": "churn", "arr_change": -1100},
        ])
    table = kpi_table(book, PLAN)
    assert math.isnan(kpi(table, "nrr", "2027"))          # no customer on 1 January 2027
    assert kpi(table, "nrr", "2028") == pytest.approx(1.1)
    assert kpi(table, "grr", "2028") == pytest.approx(1.0)
    assert kpi(table, "logo_churn_rate", "2028") == 0
    assert kpi(table, "nrr", "2029") == 0
    assert kpi(table, "logo_churn_rate", "2029") == 1
    # trailing twelve months by month: to February 2028 the customer has not renewed yet
    assert math.isnan(kpi(table, "nrr_ttm", "2028-02"))
    assert kpi(table, "nrr_ttm", "2028-03") == pytest.approx(1.1)
    assert kpi(table, "grr_ttm", "2028-03") == pytest.approx(1.0)
    assert kpi(table, "logo_churn_rate_ttm", "2029-03") == 1
    # the headline window is the last twelve months: 2029
    numbers = headline_metrics(book, PLAN)
    assert numbers["nrr"] == 0
    assert numbers["logo_churn_rate"] == 1
    assert kpi(table, "nrr_ttm", "total") == kpi(table, "nrr", "total") == 0


def test_self_sourced_deals_are_a_channel_of_their_own():
    """Opportunities an AE sourced (no lead, channel ``self_sourced``) count in the
    AE's bookings and in a ``self_sourced`` channel row; lead metrics do not move."""
    sourced = {"opportunity_id": 5, "lead_id": -1, "ae_id": 20, "channel": "self_sourced",
               "created_at": "2027-04-20 10:00", "status": "won",
               "closed_at": "2027-05-25 10:00", "amount": 50_000.0}
    book = records(leads=LEADS, opportunities=[*OPPORTUNITIES, sourced], reps=REPS,
                   activities=ACTIVITIES, subscriptions=SUBSCRIPTIONS,
                   subscription_events=EVENTS)
    table = kpi_table(book, PLAN)
    assert kpi(table, "opportunities", "2027-04") == 3
    assert kpi(table, "opportunities", "2027-04", channel="self_sourced") == 1
    assert kpi(table, "bookings", "2027-05", channel="self_sourced") == 50_000
    assert kpi(table, "bookings", "2027-05", role="ae", rep_id=20) == 62_000
    assert kpi(table, "win_rate", "total", channel="web") == pytest.approx(0.5)
    assert kpi(table, "leads", "2027-03") == 4
    assert rows(table, metric="leads", channel="self_sourced").empty


def test_ae_utilisation_and_prospecting_in_selling_hours():
    """With AE selling time in the records, the AE utilisation KPI is hours on deals
    plus prospecting over hours available, and ``prospecting_share`` shows the
    prospecting part; without it there are no prospecting rows."""
    hours = [{"rep_id": 20, "date": f"2027-03-{day:02d}", "available_hours": 4.0,
              "deal_hours": 2.0, "prospecting_hours": 1.0} for day in range(1, 32)]
    book = records(leads=LEADS, opportunities=OPPORTUNITIES, reps=REPS,
                   activities=ACTIVITIES, selling_time=hours)
    table = kpi_table(book, PLAN)
    assert kpi(table, "utilisation", "2027-03", role="ae") == pytest.approx(0.75)
    assert kpi(table, "prospecting_share", "2027-03", role="ae") == pytest.approx(0.25)
    assert kpi(table, "prospecting_share", "2027-03", role="ae", team="ae") == \
        pytest.approx(0.25)
    assert rows(table, metric="prospecting_share", role="sdr").empty
    assert rows(kpi_table(records(leads=LEADS, opportunities=OPPORTUNITIES, reps=REPS),
                          PLAN), metric="prospecting_share").empty
