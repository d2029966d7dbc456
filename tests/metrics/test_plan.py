"""The plan: built from a scenario, or written by hand for a CRM export."""

from __future__ import annotations

import datetime as dt

import pytest

from salesim.metrics import ChannelPlan, Plan, TeamPlan
from salesim.scenario import loads_scenario

SCENARIO = """
meta: {name: Plan test, start: 2027-01-01, horizon: 12 months, currency: eur}
calendar: {working_days: [mon, tue, wed, thu], working_hours: "09:00-17:00"}
segments:
  smb: {share: 100%, deal_size: 12k}
channels:
  web: {leads_per_month: 100, fixed_cost_per_month: 2000}
  events: {leads_per_month: 10, start: 2027-04, end: 2027-09}
sdr:
  headcount: 2
  quota: {amount: 45, period: quarter}
  annual_cost: 60000
  ramp: [0.5, 1.0]
ae:
  headcount: 2
  quota: {amount: 600000, period: year}
  max_open_opportunities: 25
  ramp: {linear: 2 months}
  stages:
    discovery: {conversion: 50%, duration: 2 weeks}
cs: {headcount: 1, accounts_per_csm: 30, quota: {amount: 5, period: month}}
"""


def test_from_scenario():
    plan = Plan.from_scenario(loads_scenario(SCENARIO))
    assert plan.currency == "EUR"
    assert plan.start == dt.date(2027, 1, 1)
    assert plan.end is not None
    assert plan.end > dt.date(2027, 12, 30)
    assert plan.hours_per_month == pytest.approx(4 * 8 * 52 / 12)
    sdr, ae, cs = plan.teams["sdr"], plan.teams["ae"], plan.teams["cs"]
    assert (sdr.kind, ae.kind, cs.kind) == ("sdr", "ae", "cs")
    assert (sdr.quota_per_month, sdr.quota_measure) == (15, "meetings_held")
    assert (ae.quota_per_month, ae.quota_measure) == (50_000, "bookings")
    assert sdr.ramp == (0.5, 1.0)
    assert len(ae.ramp) == 2
    assert ae.ramp[0] < ae.ramp[1] <= 1
    assert sdr.annual_cost == 60_000
    assert ae.capacity == 25
    assert cs.capacity == 30
    assert sdr.capacity is None
    # a CS quota counts retained ARR
    assert (cs.quota_per_month, cs.quota_measure) == (5, "retained_arr")
    assert cs.has_quota
    assert plan.channels["web"] == ChannelPlan(fixed_cost_per_month=2000)
    assert plan.channels["events"].start == dt.date(2027, 4, 1)
    assert plan.channels["events"].end == dt.date(2027, 9, 1)


def test_unknown_team_has_no_quota_ramp_or_cost():
    plan = Plan(teams={"ae": TeamPlan(quota_per_month=1, quota_measure="bookings")})
    assert plan.team("ae").has_quota
    assert plan.team("bdr") == TeamPlan(kind="bdr")
    assert not plan.team("bdr").has_quota
    # a team the plan does not know follows the plan of its kind when there is one
    assert plan.team("enterprise", "ae") is plan.teams["ae"]


def test_a_team_takes_its_kind_from_its_name_and_its_measure_from_its_kind():
    plan = Plan(teams={"sdr": TeamPlan(quota_per_month=10),
                       "エンタープライズ": TeamPlan(kind="ae", quota_per_month=1_000),
                       "cs": TeamPlan(quota_per_month=5_000),
                       "custom": TeamPlan(quota_per_month=3, quota_measure="deals_won",
                                          kind="ae")})
    assert [(t.kind, t.quota_measure) for t in plan.teams.values()] == [
        ("sdr", "meetings_held"), ("ae", "bookings"), ("cs", "retained_arr"),
        ("ae", "deals_won")]
    assert plan.kinds() == ["sdr", "ae", "cs"]
    assert plan.kind_of("エンタープライズ") == "ae"
    assert plan.kind_of("nobody") == ""


def test_a_team_named_like_a_kind_is_of_that_kind():
    with pytest.raises(ValueError, match="named like the kind"):
        Plan(teams={"ae": TeamPlan(kind="sdr")})


def test_plan_uses_the_one_quota_measure_declaration():
    import salesim.metrics.plan as plan_module
    from salesim import roles

    assert plan_module.QuotaMeasure is roles.QuotaMeasure
    assert plan_module.QUOTA_MEASURES is roles.QUOTA_MEASURES


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ramp": ()}, "ramp"),
    ({"ramp": (1.5,)}, "ramp"),
    ({"quota_per_month": -1}, "quota_per_month"),
    ({"quota_measure": "calls"}, "quota_measure"),
    ({"capacity": 0}, "capacity"),
])
def test_role_plan_rejects_nonsense(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TeamPlan(**kwargs)


def test_plan_rejects_nonsense():
    with pytest.raises(ValueError, match="hours_per_month"):
        Plan(hours_per_month=0)
    with pytest.raises(ValueError, match="gross_margin"):
        Plan(gross_margin=0)
    with pytest.raises(ValueError, match="end must be after"):
        Plan(start=dt.date(2027, 2, 1), end=dt.date(2027, 1, 1))
