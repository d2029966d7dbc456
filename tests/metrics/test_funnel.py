"""Cohort and period funnels on hand-built records with answers counted by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesim.metrics import FUNNEL_STAGES, cohort_funnel, period_funnel
from salesim.metrics.plan import Plan

from .builders import one, records

# Lead 1 (web): created in March, meeting set in March, held (valid) on 2 April,
#   opportunity on 2 April, won in May.
# Lead 2 (ads): created in March, never reached; comes back in June (cycle 1) and
#   has a valid meeting held on 10 June, no opportunity.
# Lead 3 (web): created in April, meeting held 10 April, invalid.
# Lead 4 (web): created 30 August, meeting booked on 31 August for 1 September.
LEADS = [
    {"lead_id": 1, "channel": "web", "created_at": "2027-03-10 09:00",
     "first_attempt_at": "2027-03-10 09:04", "contacted_at": "2027-03-11 10:00",
     "meeting_set_at": "2027-03-20 10:00", "meeting_scheduled_for": "2027-04-02 14:00",
     "meeting_held_at": "2027-04-02 14:00", "valid": True, "status": "converted"},
    {"lead_id": 2, "channel": "ads", "created_at": "2027-03-15 09:00",
     "first_attempt_at": "2027-03-16 09:00", "status": "nurture", "reason": "unreached",
     "ended_at": "2027-03-25 09:00"},
    {"lead_id": 2, "cycle": 1, "channel": "ads", "created_at": "2027-06-01 09:00",
     "first_attempt_at": "2027-06-01 09:30", "contacted_at": "2027-06-02 10:00",
     "meeting_set_at": "2027-06-03 10:00", "meeting_held_at": "2027-06-10 10:00",
     "valid": True, "status": "closed"},
    {"lead_id": 3, "channel": "web", "created_at": "2027-04-05 09:00",
     "first_attempt_at": "2027-04-05 09:10", "contacted_at": "2027-04-06 10:00",
     "meeting_set_at": "2027-04-06 10:00", "meeting_held_at": "2027-04-10 10:00",
     "valid": False, "status": "closed", "reason": "invalid"},
    {"lead_id": 4, "channel": "web", "created_at": "2027-08-30 09:00",
     "first_attempt_at": "2027-08-30 09:01", "contacted_at": "2027-08-31 09:00",
     "meeting_set_at": "2027-08-31 10:00", "meeting_scheduled_for": "2027-09-01 10:00",
     "meeting_held_at": "2027-09-01 10:00", "valid": True, "status": "converted"},
]
OPPORTUNITIES = [
    {"opportunity_id": 1, "lead_id": 1, "channel": "web", "created_at": "2027-04-02 14:00",
     "assigned_at": "2027-04-02 14:00", "status": "won", "closed_at": "2027-05-15 12:00",
     "amount": 12_000.0},
    {"opportunity_id": 2, "lead_id": 4, "channel": "web", "created_at": "2027-09-01 10:00",
     "status": "open"},
]


@pytest.fixture
def recs():
    return records(leads=LEADS, opportunities=OPPORTUNITIES)


def count(funnel: pd.DataFrame, period: str, stage: str, **dims: str) -> int:
    return int(one(funnel, "count", period=period, stage=stage, **dims))


def test_cohort_counts_a_march_lead_held_in_april_in_march(recs):
    cohort = cohort_funnel(recs)
    march = {stage: count(cohort, "2027-03", stage) for stage in FUNNEL_STAGES}
    # both March leads were attempted; lead 2 was reached only in its second cycle
    assert march == {"leads": 2, "attempted": 2, "contacted": 2, "meetings_set": 2,
                     "meetings_held": 2, "valid_meetings": 2, "opportunities": 1,
                     "deals_won": 1}
    assert count(cohort, "2027-04", "meetings_held") == 1
    assert count(cohort, "2027-04", "valid_meetings") == 0
    assert count(cohort, "2027-06", "leads") == 0  # a recycled lead is not a new cohort


def test_period_counts_the_same_meeting_in_april(recs):
    period = period_funnel(recs)
    assert count(period, "2027-03", "meetings_held") == 0
    assert count(period, "2027-04", "meetings_held") == 2  # lead 1 (set in March) and lead 3
    assert count(period, "2027-04", "valid_meetings") == 1
    assert count(period, "2027-03", "meetings_set") == 1
    assert count(period, "2027-06", "meetings_held") == 1  # the recycled engagement
    assert count(period, "2027-06", "leads") == 0
    assert count(period, "2027-05", "deals_won") == 1


def test_meeting_set_31_august_held_1_september_counts_in_september(recs):
    period = period_funnel(recs)
    assert count(period, "2027-08", "meetings_set") == 1
    assert count(period, "2027-08", "meetings_held") == 0
    assert count(period, "2027-09", "meetings_held") == 1
    assert count(period, "2027-09", "opportunities") == 1


def test_cohort_rates_share_one_denominator(recs):
    cohort = cohort_funnel(recs)
    row = cohort.set_index(["period", "stage"])
    assert row.loc[("2027-03", "opportunities"), "share_of_cohort"] == pytest.approx(0.5)
    assert row.loc[("2027-03", "opportunities"), "step_conversion"] == pytest.approx(0.5)
    assert row.loc[("2027-04", "valid_meetings"), "step_conversion"] == 0.0
    assert np.isnan(row.loc[("2027-04", "opportunities"), "step_conversion"])
    assert np.isnan(row.loc[("2027-01", "attempted"), "share_of_cohort"])  # empty cohort
    assert (cohort["basis"] == "cohort").all()


def test_split_by_channel(recs):
    cohort = cohort_funnel(recs, by=("channel",))
    assert count(cohort, "2027-03", "meetings_held", channel="web") == 1
    assert count(cohort, "2027-03", "meetings_held", channel="ads") == 1
    assert count(cohort, "2027-03", "deals_won", channel="ads") == 0
    period = period_funnel(recs, by="channel")
    assert count(period, "2027-06", "meetings_held", channel="ads") == 1
    assert count(period, "2027-06", "meetings_held", channel="web") == 0
    with pytest.raises(ValueError, match="split by"):
        period_funnel(recs, by=("rep_id",))


def test_quarter_and_total_views(recs):
    period = period_funnel(recs, period_type="quarter")
    assert count(period, "2027Q2", "meetings_held") == 3
    assert count(period, "2027Q3", "meetings_held") == 1
    assert sorted(period["period"].unique()) == ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]
    total = cohort_funnel(recs, period_type="total")
    assert count(total, "total", "leads") == 4
    assert count(total, "total", "valid_meetings") == 3


def test_a_later_stage_implies_the_earlier_ones_in_the_cohort_view():
    # a CRM export with a held meeting but no contact recorded
    recs = records(leads=[{"created_at": "2027-02-01 09:00",
                           "meeting_held_at": "2027-02-05 09:00", "valid": True}])
    cohort = cohort_funnel(recs)
    assert count(cohort, "2027-02", "contacted") == 1
    assert count(cohort, "2027-02", "attempted") == 1
    assert count(cohort, "2027-02", "opportunities") == 0


def test_events_outside_the_horizon_are_left_out():
    recs = records(leads=[{"created_at": "2026-12-20 09:00",
                           "meeting_held_at": "2027-01-05 09:00"},
                          {"created_at": "2027-12-30 09:00",
                           "meeting_held_at": "2028-01-03 09:00"}])
    period = period_funnel(recs, period_type="total")
    assert count(period, "total", "leads") == 1
    assert count(period, "total", "meetings_held") == 1
    cohort = cohort_funnel(recs, period_type="total")
    assert count(cohort, "total", "leads") == 1
    assert count(cohort, "total", "meetings_held") == 0  # held after the horizon


def test_plan_horizon_overrides_the_records():
    recs = records(leads=[{"created_at": "2027-03-10 09:00"}])
    plan = Plan(start=dt.date(2027, 3, 1), end=dt.date(2027, 5, 1))
    period = period_funnel(recs, plan=plan)
    assert sorted(period["period"].unique()) == ["2027-03", "2027-04"]


def test_empty_records_give_zero_counts():
    period = period_funnel(records())
    assert len(period) == 12 * len(FUNNEL_STAGES)
    assert (period["count"] == 0).all()
    assert (cohort_funnel(records())["count"] == 0).all()


# ----------------------------------------------------------------------------- properties

HORIZON_START = pd.Timestamp("2027-01-01")
STAGE_COLUMNS = ["first_attempt_at", "contacted_at", "meeting_set_at", "meeting_held_at"]


@st.composite
def lead_rows(draw: st.DrawFn) -> list[dict[str, object]]:
    n = draw(st.integers(min_value=0, max_value=25))
    rows = []
    for lead_id in range(1, n + 1):
        # some created before or after the horizon
        at = HORIZON_START + pd.Timedelta(hours=draw(st.integers(-24 * 40, 24 * 400)))
        row: dict[str, object] = {"lead_id": lead_id, "created_at": str(at),
                                  "channel": draw(st.sampled_from(["web", "ads"]))}
        for column in STAGE_COLUMNS[: draw(st.integers(0, len(STAGE_COLUMNS)))]:
            at = at + pd.Timedelta(hours=draw(st.integers(0, 24 * 60)))
            row[column] = str(at)
        if "meeting_held_at" in row:
            row["valid"] = draw(st.booleans())
        rows.append(row)
    return rows


@settings(max_examples=25, deadline=None)
@given(lead_rows())
def test_period_funnel_months_add_up_to_the_total(rows):
    recs = records(leads=rows)
    months = period_funnel(recs, by=("channel",)).groupby("stage")["count"].sum()
    total = period_funnel(recs, period_type="total").set_index("stage")["count"]
    assert months.reindex(list(FUNNEL_STAGES), fill_value=0).tolist() == total.reindex(
        list(FUNNEL_STAGES)).tolist()
    frame = recs.leads
    inside = frame["meeting_held_at"].between(HORIZON_START, pd.Timestamp("2028-01-01"),
                                              inclusive="left")
    assert total["meetings_held"] == int(inside.sum())


@settings(max_examples=25, deadline=None)
@given(lead_rows())
def test_cohort_counts_never_increase_down_the_funnel(rows):
    cohort = cohort_funnel(records(leads=rows), by=("channel",))
    wide = cohort.pivot_table(index=["period", "channel"], columns="stage_index",
                              values="count")
    assert (np.diff(wide.to_numpy(), axis=1) <= 0).all()


def test_self_sourced_opportunities_count_in_their_period_not_in_any_lead_cohort():
    """An opportunity an AE sourced has no lead (``lead_id`` -1): the period funnel
    counts it under its ``self_sourced`` channel, the lead cohorts leave it out."""
    sourced = {"opportunity_id": 3, "lead_id": -1, "channel": "self_sourced",
               "created_at": "2027-03-20 10:00", "assigned_at": "2027-03-20 10:00",
               "status": "won", "closed_at": "2027-05-02 10:00", "amount": 30_000.0}
    book = records(leads=LEADS, opportunities=[*OPPORTUNITIES, sourced])
    plain = cohort_funnel(records(leads=LEADS, opportunities=OPPORTUNITIES))
    pd.testing.assert_frame_equal(cohort_funnel(book), plain)
    period = period_funnel(book, by=("channel",))
    assert count(period, "2027-03", "opportunities", channel="self_sourced") == 1
    assert count(period, "2027-05", "deals_won", channel="self_sourced") == 1
    assert count(period, "2027-03", "leads", channel="self_sourced") == 0
    assert count(period, "2027-05", "deals_won", channel="web") == 1
