"""Compensation plans in the scenario: the payout curve and impossible plans at file:line."""

from __future__ import annotations

import numpy as np
import pytest

from salesim.scenario import ScenarioError
from salesim.scenario.compensation import CompensationPlan, PayoutCurve, deal_margin
from salesim.scenario.loader import loads_scenario

HEAD = """\
meta: {name: Pay, start: 2027-01-01, horizon: 12 months}
segments: {smb: {share: 100%, deal_size: 12k}}
channels: {inbound: {leads_per_month: 100}}
ae:
  headcount: 2
  stages: {discovery: {conversion: 50%, duration: 2 weeks}}
  quota: {amount: 300k, period: year}
cs: {headcount: 1}
sdr:
  headcount: 2
  quota: {amount: 15, period: month}
  compensation:
    on_target_earnings: 80k
    measures:
"""


def problems(measures: str, extra: str = "") -> list[tuple[int, str, str]]:
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(HEAD + measures + extra, source="t.yaml")
    return [(issue.location.line, issue.message, issue.hint)
            for issue in caught.value.issues]


def curve(**settings: object) -> PayoutCurve:
    return PayoutCurve.model_validate(settings)


def test_the_curve_pays_nothing_below_the_threshold_then_a_straight_line_to_target() -> None:
    plain = curve(threshold="50%")
    assert plain.payout(0.49) == 0.0
    assert plain.payout(0.5) == pytest.approx(0.5)
    assert plain.payout(0.75) == pytest.approx(0.75)
    # paid from 20% at the threshold of 60%: (0.8 - 0.6) x (1 - 0.2) / (1 - 0.6) + 0.2
    steep = curve(threshold="60%", at_threshold="20%")
    assert steep.payout(0.8) == pytest.approx(0.6)
    assert steep.payout(1.0) == pytest.approx(1.0)


def test_accelerator_tiers_decelerator_and_cap_by_hand() -> None:
    tiers = curve(tiers=[{"above": "100%", "rate": 2}, {"above": "150%", "rate": 3}],
                  cap="200%")
    # 1 + 0.3 x 2
    assert tiers.payout(1.3) == pytest.approx(1.6)
    # 1 + 0.5 x 2 + 0.2 x 3
    assert tiers.payout(1.7) == pytest.approx(2.6)
    # capped at 200%: 1 + 0.5 x 2 + 0.5 x 3
    assert tiers.payout(2.0) == pytest.approx(3.5)
    assert tiers.payout(5.0) == pytest.approx(3.5)
    decelerated = curve(tiers=[{"above": "120%", "rate": 0.5}])
    # 1 + 0.2 at rate 1, then 0.3 at rate 0.5
    assert decelerated.payout(1.5) == pytest.approx(1.35)


def test_a_valid_plan_loads_with_its_split() -> None:
    scenario = loads_scenario(HEAD + "      meetings_held: {weight: 60%}\n"
                              "      valid_meeting_rate: {weight: 30%, target: 70%}\n"
                              "      sourced_revenue: {weight: 10%, target: 40k}\n",
                              source="t.yaml")
    plan = scenario.sdr.compensation  # type: ignore[union-attr]
    assert isinstance(plan, CompensationPlan)
    assert (plan.base_per_year, plan.variable_per_year) == (40_000, 40_000)
    assert plan.measures["valid_meeting_rate"].target == pytest.approx(0.7)


def test_weights_not_adding_up_are_reported_at_the_measures() -> None:
    found = problems("      meetings_held: {weight: 60%}\n"
                     "      valid_meeting_rate: {weight: 30%, target: 70%}\n")
    assert found == [(14, "measure weights sum to 90%, 10 points short of 100%",
                      "adjust the shares so they add up to 100%")]


def test_a_measure_the_kind_does_not_produce_is_reported_with_the_ones_it_does() -> None:
    [(line, message, hint)] = problems("      bookings: {weight: 100%, target: 100k}\n")
    assert line == 15
    assert message == "inside sales, inbound (SDR) teams do not produce 'bookings'"
    assert hint.endswith("meetings_held, valid_meeting_rate, sourced_revenue")


def test_tiers_out_of_order_and_a_cap_below_the_threshold() -> None:
    found = problems("      meetings_held:\n"
                     "        weight: 100%\n"
                     "        curve:\n"
                     "          threshold: 50%\n"
                     "          tiers: [{above: 150%, rate: 2}, {above: 120%, rate: 3}]\n"
                     "          cap: 40%\n")
    assert [(line, message) for line, message, _ in found] == [
        (19, "tier from 120% is out of order"),
        (20, "the cap of 40% is below the threshold of 50%"),
    ]


def test_a_cap_below_target_and_a_missing_target_are_reported() -> None:
    found = problems("      meetings_held: {weight: 50%, curve: {cap: 90%}}\n"
                     "      sourced_revenue: {weight: 50%}\n")
    assert [(line, message) for line, message, _ in found] == [
        (15, "the cap of 90% is below target"),
        (16, "'sourced_revenue' needs a target per pay period"),
    ]


def test_a_spif_on_events_the_kind_does_not_have_and_credit_outside_cs() -> None:
    found = problems("      meetings_held: {weight: 100%}\n",
                     "    spifs: [{event: deal_won, amount: 100, start: 2027-03-01, "
                     "end: 2027-02-01}]\n"
                     "    expansion_credit: {share: 50%}\n")
    assert [message for _, message, _ in found] == [
        "inside sales, inbound (SDR) teams have no 'deal_won' events",
        "the SPIF ends before it starts",
        "only customer success teams share credit for expansion deals",
    ]


def test_a_plan_written_at_the_top_level_points_to_the_teams() -> None:
    text = HEAD + "      meetings_held: {weight: 100%}\ncompensation: {}\n"
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(text, source="t.yaml")
    [issue] = caught.value.issues
    assert (issue.location.line, issue.message) == (16, "compensation plans belong to teams")
    assert "under each team" in issue.hint


def test_a_convex_curve_costs_more_on_average_than_at_the_average_attainment() -> None:
    # attainment uniform on 0.5..1.5 (mean 1.0) under a 2x accelerator above target:
    # E[payout] = E[a] + E[max(a - 1, 0)] = 1.0 + 0.125 (exactly), payout(E[a]) = 1.0
    accelerated = curve(tiers=[{"above": "100%", "rate": 2}])
    attainment = np.linspace(0.5, 1.5, 100_001)
    average_cost = np.mean([accelerated.payout(a) for a in attainment])
    assert average_cost == pytest.approx(1.125, abs=1e-5)  # a fine grid, not an integral
    assert accelerated.payout(float(attainment.mean())) == pytest.approx(1.0)


def test_bad_behaviour_settings_are_reported_where_they_are_written() -> None:
    found = problems("      meetings_held: {weight: 100%}\n",
                     "    behaviour:\n"
                     "      strictness:\n"
                     "        default: 90%\n"
                     "        curve:\n"
                     "          - {strictness: 0%, meetings: 1.5, valid: 0.6}\n"
                     "          - {strictness: 80%, meetings: 1.0, valid: 1.0}\n"
                     "          - {strictness: 60%, meetings: 0.8, valid: 1.1}\n"
                     "      discounting: {}\n"
                     "      effort: {curve: [{attainment: 50%, effort: 0.8}]}\n")
    assert [(line, message) for line, message, _ in found] == [
        (23, "'discounting' does not apply to a team of kind sdr"),
        (22, "the point at 60% is out of order"),
        (18, "the default strictness of 90% is outside the curve"),
        (24, "the effort curve needs at least two points"),
    ]


def test_a_discount_deeper_than_the_margin_is_reported() -> None:
    ae = """\
meta: {name: Pay, start: 2027-01-01, horizon: 12 months}
segments: {smb: {share: 100%, deal_size: 12k}}
channels: {inbound: {leads_per_month: 100}}
sdr: {headcount: 1}
cs: {headcount: 1}
ae:
  headcount: 2
  stages: {discovery: {conversion: 50%, duration: 2 weeks}}
  compensation:
    on_target_earnings: 150k
    measures: {margin: {weight: 100%, target: 50k, gross_margin: 25%}}
    behaviour:
      discounting: {default: 40%}
      strictness: {}
"""
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(ae, source="t.yaml")
    assert [(issue.location.line, issue.message) for issue in caught.value.issues] == [
        (14, "'strictness' does not apply to a team of kind ae"),
        (13, "the default discount of 40% is outside the curve"),
        (13, "a discount of 30% gives away the whole gross margin of 25%"),
    ]


def test_deal_margin_is_list_value_times_margin_less_the_discount() -> None:
    # list 200k at 40% gross margin: 80k of margin at list; 25% off is 150k booked and
    # 200k x (40% - 25%) = 30k of margin (the cost, 120k, does not shrink)
    assert deal_margin(200_000.0, 0.4, 0.0) == pytest.approx(80_000)
    assert deal_margin(150_000.0, 0.4, 0.25) == pytest.approx(30_000)
    # past the gross margin the deal is sold below cost
    assert deal_margin(50_000.0, 0.4, 0.5) == pytest.approx(-10_000)
    # arrays deal by deal
    booked = np.array([200_000.0, 150_000.0])
    assert deal_margin(booked, 0.4, np.array([0.0, 0.25])) == pytest.approx([80_000, 30_000])
