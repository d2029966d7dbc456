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
    sdr, ae, cs = plan.roles["sdr"], plan.roles["ae"], plan.roles["cs"]
    assert (sdr.quota_per_month, sdr.quota_measure) == (15, "meetings_held")
    assert (ae.quota_per_month, ae.quota_measure) == (50_000, "bookings")
    assert sdr.ramp == (0.5, 1.0)
    assert len(ae.ramp) == 2
    assert ae.ramp[0] < ae.ramp[1] <= 1
    assert sdr.annual_cost == 60_000
    assert ae.capacity == 25
    assert cs.capacity == 30
    assert sdr.capacity is None
    assert cs.quota_per_month is None
    assert not cs.has_quota
    assert plan.channels["web"] == ChannelPlan(fixed_cost_per_month=2000)
    assert plan.channels["events"].start == dt.date(2027, 4, 1)
    assert plan.channels["events"].end == dt.date(2027, 9, 1)


def test_unknown_role_has_no_quota_ramp_or_cost():
    plan = Plan(teams={"ae": TeamPlan(quota_per_month=1, quota_measure="bookings")})
    assert plan.role("ae").has_quota
    assert plan.role("bdr") == TeamPlan()
    assert not plan.role("bdr").has_quota


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
