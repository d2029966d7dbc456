"""The bottleneck view: utilisation, queues and waits per stage."""

from __future__ import annotations

import numpy as np
import pytest

from salesim.metrics import Plan, TeamPlan, bottlenecks
from salesim.records import Records

from .builders import records

PLAN = Plan(
    teams={"sdr": TeamPlan(), "ae": TeamPlan(capacity=2), "cs": TeamPlan(capacity=2)},
    hours_per_month=160,
)
REPS = [
    {"rep_id": 1, "role": "sdr", "hired_at": "2027-01-01"},
    {"rep_id": 2, "role": "sdr", "hired_at": "2027-01-01"},
    {"rep_id": 3, "role": "ae", "hired_at": "2027-01-01"},
    {"rep_id": 4, "role": "cs", "hired_at": "2027-01-01"},
]
ACTIVITIES = [
    {"rep_id": 1, "date": "2027-01-04", "busy_hours": 80.0},
    {"rep_id": 2, "date": "2027-01-05", "busy_hours": 100.0},
    {"rep_id": 2, "date": "2027-01-06", "busy_hours": 60.0},
    {"rep_id": 1, "date": "2027-02-01", "busy_hours": 32.0},
]
OPPORTUNITIES = [
    # assigned at once, open all January
    {"opportunity_id": 1, "ae_id": 3, "created_at": "2027-01-01", "assigned_at": "2027-01-01",
     "status": "won", "closed_at": "2027-02-01", "amount": 1.0},
    # waits ten days for the AE, then open until March
    {"opportunity_id": 2, "ae_id": 3, "created_at": "2027-01-01", "assigned_at": "2027-01-11",
     "status": "lost", "closed_at": "2027-03-01"},
]
LEADS = [
    {"lead_id": 1, "created_at": "2027-01-10 09:00", "first_attempt_at": "2027-01-10 09:30"},
    {"lead_id": 2, "created_at": "2027-01-10 09:00", "first_attempt_at": "2027-01-10 11:00"},
    # never called: waits from 30 January to the horizon end
    {"lead_id": 3, "created_at": "2027-01-30 00:00"},
]
SUBSCRIPTIONS = [{"subscription_id": 1, "start_at": "2027-01-01", "initial_arr": 1.0,
                  "arr": 1.0}]


@pytest.fixture
def view():
    recs = records(reps=REPS, activities=ACTIVITIES, opportunities=OPPORTUNITIES, leads=LEADS,
                   subscriptions=SUBSCRIPTIONS)
    view = bottlenecks(recs, PLAN)
    return view.loc[view["team"] == ""].set_index(["period", "stage"])


def test_sdr_utilisation_is_busy_over_available_hours(view):
    jan = view.loc[("2027-01", "sdr")]
    assert jan["basis"] == "busy_hours"
    assert jan["work"] == 240
    assert jan["capacity"] == pytest.approx(2 * 160)
    assert jan["utilisation"] == pytest.approx(0.75)
    assert view.loc[("2027-02", "sdr"), "utilisation"] == pytest.approx(0.1)


def test_ae_utilisation_is_open_opportunities_over_capacity(view):
    jan = view.loc[("2027-01", "ae")]
    assert jan["basis"] == "open_opportunities"
    assert jan["utilisation"] == pytest.approx((31 + 21) / (31 * 2))
    assert view.loc[("2027-02", "ae"), "utilisation"] == pytest.approx(0.5)
    assert jan["is_bottleneck"]
    assert not view.loc[("2027-01", "sdr"), "is_bottleneck"]


def test_ae_queue_and_wait(view):
    jan = view.loc[("2027-01", "ae")]
    assert jan["mean_queue"] == pytest.approx(10 / 31)
    assert jan["mean_wait_hours"] == pytest.approx((0 + 240) / 2)
    assert jan["p90_wait_hours"] == pytest.approx(216)
    assert jan["waits"] == 2
    assert jan["queue_at_end"] == 0


def test_sdr_queue_and_wait_include_leads_never_called(view):
    jan = view.loc[("2027-01", "sdr")]
    assert jan["mean_wait_hours"] == pytest.approx((0.5 + 2) / 2)
    assert jan["queue_at_end"] == 1
    assert jan["mean_queue"] == pytest.approx((0.5 / 24 + 2 / 24 + 2) / 31)
    assert view.loc[("2027-02", "sdr"), "mean_queue"] == pytest.approx(1)


def test_cs_utilisation_is_accounts_over_capacity(view):
    jan = view.loc[("2027-01", "cs")]
    assert jan["basis"] == "accounts"
    assert jan["utilisation"] == pytest.approx(0.5)
    assert np.isnan(jan["mean_queue"])


def test_no_capacity_and_no_activities_leave_utilisation_undefined():
    recs = records(reps=REPS, opportunities=OPPORTUNITIES)
    view = bottlenecks(recs, Plan(hours_per_month=160), period_types=("total",))
    view = view.loc[view["team"] == ""]
    ae = view.set_index("stage").loc["ae"]
    assert ae["basis"] == ""
    assert np.isnan(ae["utilisation"])
    assert view.set_index("stage").loc["sdr", "utilisation"] == 0
    assert view["is_bottleneck"].sum() == 1


def test_one_bottleneck_per_period(view):
    assert (view.groupby(level="period")["is_bottleneck"].sum() == 1).all()


SELLING_TIME = [
    # AE 3 in January: 4 selling hours a day, 3 on deals, half an hour prospecting
    *({"rep_id": 3, "date": f"2027-01-{day:02d}", "available_hours": 4.0, "deal_hours": 3.0,
       "prospecting_hours": 0.5} for day in range(1, 32)),
    # and on 1 February overloaded: 6 hours of deals on 4 available, no prospecting
    {"rep_id": 3, "date": "2027-02-01", "available_hours": 4.0, "deal_hours": 6.0,
     "prospecting_hours": 0.0},
]


def test_ae_utilisation_is_in_hours_when_aes_log_selling_time():
    """With the time model the records hold AE selling hours: utilisation is hours on
    deals plus prospecting over hours available, whatever the plan's capacity per head."""
    recs = records(reps=REPS, activities=ACTIVITIES, opportunities=OPPORTUNITIES, leads=LEADS,
                   subscriptions=SUBSCRIPTIONS, selling_time=SELLING_TIME)
    view = bottlenecks(recs, PLAN).set_index(["period", "stage", "team"])
    jan = view.loc[("2027-01", "ae", "")]
    assert jan["basis"] == "selling_hours"
    assert jan["work"] == pytest.approx(31 * 3.5)
    assert jan["capacity"] == pytest.approx(31 * 4)
    assert jan["utilisation"] == pytest.approx(3.5 / 4)
    assert view.loc[("2027-02", "ae", ""), "utilisation"] == pytest.approx(6 / 4)
    assert view.loc[("2027-01", "ae", "ae"), "utilisation"] == pytest.approx(3.5 / 4)
    # the other stages keep their bases
    assert view.loc[("2027-01", "sdr", ""), "basis"] == "busy_hours"
    assert view.loc[("2027-01", "cs", ""), "basis"] == "accounts"


def test_ae_hours_on_invalid_meetings_count_in_utilisation():
    """Hours holding meetings that proved invalid are AE work like deal hours; a table
    without the column (a CRM export) counts none."""
    logged = [{**row, "meeting_hours": 0.25} for row in SELLING_TIME]
    recs = records(reps=REPS, activities=ACTIVITIES, opportunities=OPPORTUNITIES, leads=LEADS,
                   subscriptions=SUBSCRIPTIONS, selling_time=logged)
    view = bottlenecks(recs, PLAN).set_index(["period", "stage", "team"])
    assert view.loc[("2027-01", "ae", ""), "work"] == pytest.approx(31 * 3.75)
    assert view.loc[("2027-01", "ae", ""), "utilisation"] == pytest.approx(3.75 / 4)
    plain = records(reps=REPS, activities=ACTIVITIES, opportunities=OPPORTUNITIES, leads=LEADS,
                    subscriptions=SUBSCRIPTIONS, selling_time=SELLING_TIME)
    export = Records(**{**plain.tables(),
                        "selling_time": plain.selling_time.drop(columns=["meeting_hours"])},
                     start=plain.start, end=plain.end)
    view = bottlenecks(export, PLAN).set_index(["period", "stage", "team"])
    assert view.loc[("2027-01", "ae", ""), "utilisation"] == pytest.approx(3.5 / 4)
