"""ARR roll-forward, retention, costs and CAC on small hand-built books."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from salesim.metrics import (
    ChannelPlan,
    Plan,
    TeamPlan,
    arr_rollforward,
    costs,
    retention,
    unit_economics,
)

from .builders import CUSTOMER_SUCCESS, INSIDE_SALES, one, records, team_book, team_plan

# Four customers over two years:
#   1 (web, smb): 100 from Feb 2027, expands by 20 in Feb 2028
#   2 (web, mid): 200 from Mar 2027, contracts by 50 in Mar 2028
#   3 (ads, smb): 100 from Apr 2027, churns in Apr 2028
#   4 (ads, mid): 300 from May 2028 (joins during 2028)
SUBSCRIPTIONS = [
    {"subscription_id": 1, "channel": "web", "segment": "smb", "start_at": "2027-02-01",
     "initial_arr": 100, "arr": 120},
    {"subscription_id": 2, "channel": "web", "segment": "mid", "start_at": "2027-03-01",
     "initial_arr": 200, "arr": 150},
    {"subscription_id": 3, "channel": "ads", "segment": "smb", "start_at": "2027-04-01",
     "initial_arr": 100, "arr": 0, "status": "churned", "churned_at": "2028-04-01"},
    {"subscription_id": 4, "channel": "ads", "segment": "mid", "start_at": "2028-05-01",
     "initial_arr": 300, "arr": 300},
]
EVENTS = [
    {"subscription_id": 1, "at": "2027-02-01", "kind": "new", "arr_change": 100},
    {"subscription_id": 2, "at": "2027-03-01", "kind": "new", "arr_change": 200},
    {"subscription_id": 3, "at": "2027-04-01", "kind": "new", "arr_change": 100},
    {"subscription_id": 1, "at": "2028-02-01", "kind": "renewal", "arr_change": 0},
    {"subscription_id": 1, "at": "2028-02-01", "kind": "expansion", "arr_change": 20},
    {"subscription_id": 2, "at": "2028-03-01", "kind": "contraction", "arr_change": -50},
    {"subscription_id": 3, "at": "2028-04-01", "kind": "churn", "arr_change": -100},
    {"subscription_id": 4, "at": "2028-05-01", "kind": "new", "arr_change": 300},
]


@pytest.fixture
def book():
    return records(start="2027-01-01", end="2029-01-01", subscriptions=SUBSCRIPTIONS,
                   subscription_events=EVENTS)


def test_nrr_grr_and_logo_churn_over_a_year(book):
    table = retention(book)
    year = table.set_index("period").loc["2028"]
    # cohort: customers 1-3 (400 at 1 January 2028); customer 4 joined during the year
    assert year["cohort_customers"] == 3
    assert year["cohort_start_arr"] == 400
    assert year["nrr"] == pytest.approx((120 + 150 + 0) / 400)
    assert year["grr"] == pytest.approx((100 + 150 + 0) / 400)
    assert year["logo_churn_rate"] == pytest.approx(1 / 3)
    assert np.isnan(table.set_index("period").loc["2027", "nrr"])  # no customer on 1 Jan 2027


def test_monthly_retention_uses_customers_at_the_month_start(book):
    table = retention(book, period_types=("month",)).set_index("period")
    assert table.loc["2028-02", "nrr"] == pytest.approx(420 / 400)
    assert table.loc["2028-02", "grr"] == pytest.approx(1.0)
    assert table.loc["2028-04", "nrr"] == pytest.approx(270 / 370)
    assert table.loc["2028-04", "logo_churn_rate"] == pytest.approx(1 / 3)
    assert table.loc["2027-03", "cohort_customers"] == 1  # customer 2 starts on 1 March


def test_horizon_retention_is_the_trailing_twelve_months_to_the_horizon_end(book):
    total = retention(book, period_types=("total",)).iloc[0]
    # window 2028: customers 1-3 (400) at its start; customer 4 joins inside it
    assert total["cohort_start_arr"] == 400
    assert total["nrr"] == pytest.approx((100 + 20 + 200 - 50 + 100 - 100) / 400)
    assert total["grr"] == pytest.approx((100 + 150 + 0) / 400)
    assert total["logo_churn_rate"] == pytest.approx(1 / 3)
    assert total["cohort_renewed"] == 3


def test_retention_is_undefined_where_no_renewal_happened(book):
    table = retention(book, period_types=("month", "year")).set_index("period")
    # June 2027: customers 1-3 hold ARR but none reaches a renewal: not 100%, unknown
    assert table.loc["2027-06", "cohort_customers"] == 3
    assert table.loc["2027-06", "cohort_renewed"] == 0
    for column in ("nrr", "grr", "logo_churn_rate"):
        assert np.isnan(table.loc["2027-06", column])
        assert np.isnan(table.loc["2028-05", column])  # only customer 4 (new) moves
    assert np.isnan(table.loc["2027", "nrr"])  # nobody at the start of 2027


def test_grr_never_exceeds_100_percent(book):
    table = retention(book, period_types=("month",)).set_index("period")
    assert table.loc["2028-02", "nrr"] == pytest.approx(420 / 400)
    assert table.loc["2028-02", "grr"] == 1.0


def test_trailing_twelve_months_by_month(book):
    table = retention(book, period_types=("month", "quarter"), trailing=True)
    table = table.set_index("period")
    # 2028-02: window March 2027 - February 2028; customer 2 starts on 1 March, the
    # window's first instant, so only customer 1 (100) is in the cohort: +20 expansion
    assert table.loc["2028-02", "cohort_start_arr"] == 100
    assert table.loc["2028-02", "nrr"] == pytest.approx(120 / 100)
    assert table.loc["2028-02", "grr"] == pytest.approx(1.0)
    assert table.loc["2028-02", "logo_churn_rate"] == 0
    # 2028-03: April 2027 - March 2028: customers 1 and 2 (300): +20, -50
    assert table.loc["2028-03", "nrr"] == pytest.approx((120 + 150) / 300)
    assert table.loc["2028-03", "grr"] == pytest.approx((100 + 150) / 300)
    # 2028-06 and 2028Q2: July 2027 - June 2028: customers 1-3, customer 3 churns
    for period in ("2028-06", "2028Q2"):
        assert table.loc[period, "nrr"] == pytest.approx(270 / 400)
        assert table.loc[period, "logo_churn_rate"] == pytest.approx(1 / 3)
    # 2027-12: nobody had ARR a year before; 2028-01: customer 1 starts on the first instant
    assert np.isnan(table.loc["2027-12", "nrr"])
    assert np.isnan(table.loc["2028-01", "nrr"])


def test_retention_by_segment(book):
    table = retention(book, by=("segment",), period_types=("year",))
    assert one(table, "nrr", period="2028", segment="smb") == pytest.approx(120 / 200)
    assert one(table, "nrr", period="2028", segment="mid") == pytest.approx(150 / 200)
    assert one(table, "logo_churn_rate", period="2028", segment="mid") == 0


def test_arr_rollforward_identity(book):
    bridge = arr_rollforward(book)
    flows = (bridge["starting_arr"] + bridge["new_arr"] + bridge["expansion_arr"]
             - bridge["contraction_arr"] - bridge["churned_arr"])
    assert np.allclose(flows, bridge["ending_arr"])
    months = bridge.loc[bridge["period_type"] == "month"]
    assert np.allclose(months["starting_arr"].to_numpy()[1:], months["ending_arr"].to_numpy()[:-1])
    total = bridge.loc[bridge["period_type"] == "total"].iloc[0]
    assert total["ending_arr"] == pytest.approx(book.subscriptions["arr"].sum()) == 570
    assert total["new_arr"] == 700
    assert total["contraction_arr"] == 50
    assert total["churned_arr"] == 100
    assert total["expansion_arr"] == 20
    assert total["ending_customers"] == 3
    year = bridge.set_index("period").loc["2028"]
    assert (year["starting_arr"], year["ending_arr"]) == (400, 570)
    assert (year["starting_customers"], year["ending_customers"]) == (3, 3)


def test_arr_rollforward_by_channel_adds_up(book):
    bridge = arr_rollforward(book, by=("channel",), period_types=("month",))
    end = bridge.loc[bridge["period"] == "2028-12"].set_index("channel")["ending_arr"]
    assert end.to_dict() == {"web": 270, "ads": 300}


def test_arr_before_the_horizon_is_the_opening_balance(book):
    late = records(start="2028-01-01", end="2029-01-01", subscriptions=SUBSCRIPTIONS,
                   subscription_events=EVENTS)
    bridge = arr_rollforward(late, period_types=("total",)).iloc[0]
    assert bridge["starting_arr"] == 400
    assert bridge["new_arr"] == 300
    assert bridge["ending_arr"] == 570


# ----------------------------------------------------------------------------- costs

COST_PLAN = Plan(
    teams={"sdr": TeamPlan(annual_cost=120_000), "ae": TeamPlan(annual_cost=120_000),
           "cs": TeamPlan(annual_cost=60_000)},
    channels={"web": ChannelPlan(fixed_cost_per_month=1_000),
              "events": ChannelPlan(fixed_cost_per_month=3_000, start=dt.date(2027, 3, 1),
                                    end=dt.date(2027, 4, 1))},
    gross_margin=1.0,
)
COST_REPS = [
    {"rep_id": 1, "role": "sdr", "hired_at": "2027-01-01"},
    {"rep_id": 2, "role": "ae", "hired_at": "2027-01-01"},
    {"rep_id": 3, "role": "ae", "hired_at": "2027-01-16", "origin": "plan",
     "annual_cost": 240_000},  # its own cost overrides the plan's
    {"rep_id": 4, "role": "cs", "hired_at": "2027-01-01"},
]
COST_LEADS = [{"lead_id": i, "channel": "web", "cost": 50.0, "created_at": "2027-01-05"}
              for i in (1, 2)]
COST_OPPS = [{"opportunity_id": i, "ae_id": 2, "status": "won", "created_at": "2027-01-02",
              "closed_at": "2027-01-20", "amount": 12_000.0} for i in (1, 2)]


@pytest.fixture
def spend():
    return records(reps=COST_REPS, leads=COST_LEADS, opportunities=COST_OPPS)


def test_cost_by_role_and_channel(spend):
    every = costs(spend, COST_PLAN, period_types=("month", "total"))
    teams = every.loc[every["kind"] == "team"]
    table = every.loc[every["kind"] != "team"]
    # teams named after their kinds cost what their kinds do
    assert (teams.set_index(["period", "name"])["cost"]
            == table.loc[table["kind"] == "role"].set_index(["period", "name"])["cost"]).all()
    jan = table.loc[table["period"] == "2027-01"].set_index("name")["cost"]
    assert jan["sdr"] == pytest.approx(10_000)
    assert jan["ae"] == pytest.approx(10_000 + 20_000 * 16 / 31)
    assert jan["cs"] == pytest.approx(5_000)
    assert jan["web"] == pytest.approx(1_000 + 100)
    assert jan["events"] == 0  # not running yet
    mar = table.loc[table["period"] == "2027-03"].set_index("name")["cost"]
    assert mar["events"] == pytest.approx(3_000)
    may = table.loc[table["period"] == "2027-05"].set_index("name")["cost"]
    assert may["events"] == 0  # ended with April
    total = table.loc[table["period"] == "total"].set_index("name")["cost"]
    assert total["events"] == pytest.approx(6_000)
    assert total["sdr"] == pytest.approx(120_000)


def test_cac_and_payback(spend):
    economics = unit_economics(spend, COST_PLAN, period_types=("month",)).set_index("period")
    jan = economics.loc["2027-01"]
    marketing = 1_000 + 2 * 50
    sales = 10_000 + 10_000 + 20_000 * 16 / 31  # SDR and AEs, not CS
    assert jan["marketing_cost"] == pytest.approx(marketing)
    assert jan["sales_cost"] == pytest.approx(sales)
    assert jan["total_cost"] == pytest.approx(marketing + sales + 5_000)
    assert jan["cac"] == pytest.approx((marketing + sales) / 2)
    assert jan["cac_payback_months"] == pytest.approx((marketing + sales) / 2 / 1_000)
    assert np.isnan(economics.loc["2027-02", "cac"])  # no deals won


def test_gross_margin_lengthens_payback(spend):
    half = Plan(teams=COST_PLAN.teams, channels=COST_PLAN.channels, gross_margin=0.5)
    full = unit_economics(spend, COST_PLAN, period_types=("total",)).iloc[0]
    halved = unit_economics(spend, half, period_types=("total",)).iloc[0]
    assert halved["cac_payback_months"] == pytest.approx(2 * full["cac_payback_months"])


def test_fixed_cost_is_prorated_when_the_horizon_cuts_a_month():
    recs = records(start="2027-01-16", end="2027-02-01")
    table = costs(recs, COST_PLAN, period_types=("month",))
    assert one(table, "cost", name="web", period="2027-01") == pytest.approx(1_000 * 16 / 31)


def test_empty_records_cost_nothing_and_have_no_cac():
    economics = unit_economics(records(), Plan(), period_types=("total",)).iloc[0]
    assert economics["total_cost"] == 0
    assert np.isnan(economics["cac"])
    table = retention(records(), period_types=("total",))
    assert np.isnan(table["nrr"].iloc[0])
    assert pd.api.types.is_float_dtype(table["nrr"])


def test_acquisition_cost_counts_sdr_and_ae_teams_not_cs():
    economics = unit_economics(team_book(), team_plan(), period_types=("month",))
    jan = economics.set_index("period").loc["2027-01"]
    sdr, enterprise, commercial, cs = 2 * 5_000, 15_000, 2 * 10_000, 7_500
    assert jan["sales_cost"] == pytest.approx(sdr + enterprise + commercial)
    assert jan["total_cost"] == pytest.approx(sdr + enterprise + commercial + cs)
    assert jan["cac"] == pytest.approx((sdr + enterprise + commercial) / 2)
    table = costs(team_book(), team_plan(), period_types=("month",))
    teams = table.loc[(table["kind"] == "team") & (table["period"] == "2027-01")]
    assert teams.set_index("name")["cost"].to_dict() == pytest.approx({
        INSIDE_SALES: sdr, "enterprise": enterprise, "commercial": commercial,
        CUSTOMER_SUCCESS: cs})
