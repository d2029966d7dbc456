"""Headcount and ramped headcount with a mid-month hire and a leaver."""

from __future__ import annotations

import pytest

from salesim.metrics import Plan, TeamPlan, headcount, rep_months

from .builders import one, records

PLAN = Plan(teams={"sdr": TeamPlan(), "ae": TeamPlan(ramp=(0.5, 1.0)), "cs": TeamPlan()})

REPS = [
    # an AE there from the start: fully ramped
    {"rep_id": 1, "role": "ae", "origin": "initial", "hired_at": "2027-01-01"},
    # an AE hired on 16 March: half productive until 16 April
    {"rep_id": 2, "role": "ae", "origin": "plan", "hired_at": "2027-03-16", "ramp_months": 1},
    # an SDR who leaves on 15 February (last day worked: 14 February)
    {"rep_id": 3, "role": "sdr", "origin": "initial", "hired_at": "2027-01-01",
     "left_at": "2027-02-15"},
]


@pytest.fixture
def heads():
    return headcount(records(reps=REPS), PLAN)


def value(frame, period, role, column, team=""):
    return one(frame, column, period=period, role=role, team=team)


def test_mid_month_hire_counts_for_the_days_employed(heads):
    assert value(heads, "2027-03", "ae", "headcount") == pytest.approx(1 + 16 / 31)
    assert value(heads, "2027-03", "ae", "ramped_headcount") == pytest.approx(1 + 0.5 * 16 / 31)
    # April: 15 days at half productivity, then 15 days fully productive
    assert value(heads, "2027-04", "ae", "ramped_headcount") == pytest.approx(
        1 + (15 * 0.5 + 15) / 30)
    assert value(heads, "2027-05", "ae", "ramped_headcount") == pytest.approx(2)
    assert value(heads, "2027-03", "ae", "headcount_end") == 2
    assert value(heads, "2027-02", "ae", "headcount_end") == 1
    assert value(heads, "2027-03", "ae", "hires") == 1


def test_quarter_and_year_are_day_weighted_averages(heads):
    assert value(heads, "2027Q1", "ae", "headcount") == pytest.approx((90 + 16) / 90)
    assert value(heads, "2027Q1", "ae", "headcount_months") == pytest.approx(3 + 16 / 31)
    ramped_q2 = (15 * 0.5 + 15 + 31 + 30) / 91  # the new hire; the other AE counts 1
    assert value(heads, "2027Q2", "ae", "ramped_headcount") == pytest.approx(1 + ramped_q2)
    assert value(heads, "total", "ae", "headcount_end") == 2


def test_leaver_counts_until_the_day_before_leaving(heads):
    assert value(heads, "2027-01", "sdr", "headcount") == pytest.approx(1)
    assert value(heads, "2027-02", "sdr", "headcount") == pytest.approx(14 / 28)
    assert value(heads, "2027-02", "sdr", "headcount_end") == 0
    assert value(heads, "2027-01", "sdr", "headcount_end") == 1
    assert value(heads, "2027-02", "sdr", "leavers") == 1
    assert value(heads, "2027-03", "sdr", "headcount") == 0
    assert value(heads, "total", "sdr", "headcount") == pytest.approx((31 + 14) / 365)


def test_every_plan_role_appears_even_without_reps(heads):
    assert value(heads, "2027-06", "cs", "headcount") == 0
    assert set(heads["role"]) == {"sdr", "ae", "cs"}
    # each role, then each team (named after its kind here)
    assert len(heads) == (12 + 4 + 1 + 1) * 3 * 2
    team_rows = heads.loc[heads["team"] != ""]
    assert (team_rows["team"] == team_rows["role"]).all()


def test_rep_months_are_the_base_of_cost_and_quota():
    months = rep_months(records(reps=REPS), PLAN)
    march = one(months, "ramped_months", rep_id=2, period="2027-03")
    assert march == pytest.approx(0.5 * 16 / 31)
    assert set(months.loc[months["rep_id"] == 3, "period"]) == {"2027-01", "2027-02"}


def test_horizon_starting_mid_month_clips_the_first_month():
    recs = records(start="2027-01-16", end="2027-03-01",
                   reps=[{"rep_id": 1, "role": "ae", "hired_at": "2027-01-01"}])
    heads = headcount(recs, PLAN, period_types=("month",))
    assert value(heads, "2027-01", "ae", "headcount") == pytest.approx(1)
    assert value(heads, "2027-01", "ae", "headcount_months") == pytest.approx(16 / 31)
