"""Behaviour levers of comp plans: each choice against hand arithmetic, and the hooks in
the SDR desk and the AE team (lever off: nothing moves; lever on: the effect it names)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import salesim
from salesim.model.behaviour import (
    ae_response,
    blend,
    choose_discount,
    choose_strictness,
    deal_gain,
    effort,
    expected_ae_pay,
    expected_sdr_pay,
    period_edges,
    sdr_response,
    shift_close_times,
    strictness_multipliers,
)
from salesim.scenario.compensation import Behaviour, CompensationPlan, Strictness

from .builders import EVERY_LEAD_AN_OPPORTUNITY, build, days

# a straight trade-off: from loosest (2x meetings, half as often valid) to strictest
# (half the meetings, 1.5x as often valid), the default in the middle at 1x, 1x
LINE = [{"strictness": 0, "meetings": 2.0, "valid": 0.5},
        {"strictness": 1, "meetings": 0.5, "valid": 1.5}]


def plan(measures: dict[str, Any], **behaviour: Any) -> CompensationPlan:
    return CompensationPlan.model_validate(
        {"on_target_earnings": 100_000, "measures": measures, "behaviour": behaviour})


def test_multipliers_are_relative_to_the_default_strictness() -> None:
    settings = Strictness.model_validate({"curve": LINE, "default": 0.5})
    # at the default the curve gives 1.25 and 1.0: every multiplier is divided by them
    assert strictness_multipliers(settings, 0.5) == pytest.approx((1.0, 1.0))
    assert strictness_multipliers(settings, 0.0) == pytest.approx((2.0 / 1.25, 0.5 / 1.0))
    assert strictness_multipliers(settings, 0.25) == pytest.approx((1.625 / 1.25, 0.75))


def test_expected_sdr_pay_weighs_the_three_measures_by_hand() -> None:
    paid = plan({"meetings_held": {"weight": 0.6},
                 "valid_meeting_rate": {"weight": 0.3, "target": 0.5},
                 "sourced_revenue": {"weight": 0.1, "target": 1000}},
                strictness={"curve": LINE, "default": 0.5}, expected_attainment=0.9)
    # at strictness 0: meetings 0.9 x 1.6 = 1.44; valid rate 0.5 x 0.5 = 0.25 against
    # 0.5 = 0.5; revenue 0.9 x 1.6 x 0.5 = 0.72
    assert expected_sdr_pay(paid, 0.0, 0.5) == pytest.approx(
        0.6 * 1.44 + 0.3 * 0.5 + 0.1 * 0.72)


@pytest.mark.parametrize(("measures", "best"), [
    ({"meetings_held": {"weight": 1.0}}, 0.0),                              # loosest
    ({"valid_meeting_rate": {"weight": 1.0, "target": 0.8}}, 1.0),          # strictest
    # meetings capped at 120%: looser than where the cap is reached pays no more
    ({"meetings_held": {"weight": 0.5, "curve": {"cap": 1.2}},
      "valid_meeting_rate": {"weight": 0.5, "target": 0.8}}, 0.3),
])
def test_sdrs_best_response_on_the_grid(measures: dict[str, Any], best: float) -> None:
    # relative to the default of 1x, 1x at 0.5, on a grid of 0, 0.1 ... 1: meetings
    # attain 1.5 - s, the valid rate is 0.5 x (0.5 + s)
    curve = [{"strictness": 0, "meetings": 1.5, "valid": 0.5},
             {"strictness": 0.5, "meetings": 1.0, "valid": 1.0},
             {"strictness": 1, "meetings": 0.5, "valid": 1.5}]
    paid = plan(measures, strictness={"curve": curve}, grid=11)
    # third case, 0.5 x min(1.5 - s, 1.2) + 0.5 x 0.5 x (0.5 + s) / 0.8: 0.75625 at 0,
    # 0.81875 at 0.2, 0.85 at 0.3, 0.83125 at 0.4
    assert choose_strictness(paid, 0.5) == pytest.approx(best)
    if best == 0.3:
        assert expected_sdr_pay(paid, 0.3, 0.5) == pytest.approx(0.85)


def test_rationality_blends_the_default_with_the_best_response() -> None:
    measures = {"meetings_held": {"weight": 1.0}}
    for rationality, strictness in ((0.0, 0.5), (0.4, 0.3), (1.0, 0.0)):
        chosen = choose_strictness(plan(measures, strictness={"curve": LINE},
                                        rationality=rationality), 0.5)
        assert chosen == pytest.approx(strictness)
    assert blend(0.5, 0.0, 0.4) == pytest.approx(0.3)
    ignoring = sdr_response(plan(measures, strictness={"curve": LINE}, rationality=0.0), 0.5)
    assert ignoring is not None
    assert (ignoring.meetings, ignoring.valid) == (1.0, 1.0)


def test_no_lever_on_means_no_response() -> None:
    measures = {"meetings_held": {"weight": 1.0}}
    assert sdr_response(None, 0.5) is None
    assert sdr_response(plan(measures), 0.5) is None
    assert sdr_response(plan(measures, strictness={"enabled": False}), 0.5) is None
    assert ae_response(plan({"bookings": {"weight": 1.0}}, discounting={"enabled": False})) \
        is None


def test_paid_on_bookings_ae_discount_more_than_paid_on_margin() -> None:
    curve = [{"discount": 0, "win": 1.0, "cycle": 1.0},
             {"discount": 0.2, "win": 1.4, "cycle": 0.8}]
    on_bookings = plan({"bookings": {"weight": 1.0}}, discounting={"curve": curve}, grid=5)
    on_margin = plan({"margin": {"weight": 1.0, "gross_margin": 0.5}},
                     discounting={"curve": curve}, grid=5)
    # bookings: (1 + 2d)(1 - d) at d = 0, 0.05, 0.1, 0.15, 0.2 is 1, 1.045, 1.08, 1.105, 1.12
    assert expected_ae_pay(on_bookings, 0.1) == pytest.approx(1.2 * 0.9)
    assert choose_discount(on_bookings) == pytest.approx(0.2)
    # margin: (1 + 2d)(0.5 - d) / 0.5 is 1, 0.99, 0.96, ...: no discount
    assert expected_ae_pay(on_margin, 0.1) == pytest.approx(1.2 * 0.4 / 0.5)
    assert choose_discount(on_margin) == 0.0
    response = ae_response(on_bookings)
    assert response is not None
    assert (response.win, response.cycle, response.value) == pytest.approx((1.4, 0.8, 0.8))


def test_effort_follows_the_goal_difficulty_curve() -> None:
    curve = {"curve": [{"attainment": 0.5, "effort": 0.6}, {"attainment": 1.0, "effort": 1.0},
                       {"attainment": 2.0, "effort": 0.8}]}
    assert effort(Behaviour.model_validate({"expected_attainment": 0.75, "effort": curve})) \
        == pytest.approx(0.8)
    assert effort(Behaviour.model_validate({"expected_attainment": 1.5, "effort": curve})) \
        == pytest.approx(0.9)
    assert effort(Behaviour.model_validate({"expected_attainment": 0.2, "effort": curve})) \
        == pytest.approx(0.6)  # flat beyond the ends
    assert effort(Behaviour()) is None
    unreachable = plan({"bookings": {"weight": 1.0}}, effort=curve, expected_attainment=0.75)
    response = ae_response(unreachable)
    assert response is not None
    assert (response.win, response.discount, response.value) == pytest.approx((0.8, 0.0, 1.0))


def test_a_deal_gains_by_the_curve_at_the_attainment_reached() -> None:
    accelerated = plan({"bookings": {"weight": 1.0, "curve": {
        "threshold": 0.5, "tiers": [{"above": 1.0, "rate": 3}], "cap": 1.5}}}, timing={})
    targets = {"bookings": 100.0}
    assert deal_gain(accelerated, targets, 40.0, 5.0) == 0.0  # still under the threshold
    assert deal_gain(accelerated, targets, 45.0, 10.0) == pytest.approx(0.55)  # crosses it
    assert deal_gain(accelerated, targets, 95.0, 10.0) == pytest.approx(0.05 + 0.05 * 3)
    assert deal_gain(accelerated, targets, 150.0, 10.0) == 0.0  # at the cap


def test_timing_pulls_before_an_accelerator_and_pushes_past_a_cap_by_hand() -> None:
    edges = np.array([0.0, 90.0, 180.0])
    curve = {"tiers": [{"above": 1.0, "rate": 2}], "cap": 2.0}
    paid = plan({"bookings": {"weight": 1.0, "curve": curve}}, expected_attainment=0.5,
                timing={"pull_window": "10 days", "pull_probability": 1,
                        "push_window": "20 days", "push_probability": 1})
    targets = {"bookings": 100.0}
    # rep 0 books 120 by day 50 (in the accelerator); its deal due on day 95 pays 2x now
    # against 1x next quarter at the expected 50%: pulled to the quarter's end. Rep 1
    # books 210 by day 40 (past the 200 cap): its deal due on day 80 is pushed to day 90.
    # Rep 1's deal due on day 60 is 30 days before the end: outside the push window.
    close = np.array([50.0, 95.0, 40.0, 80.0, 60.0, 120.0])
    amount = np.array([120.0, 10.0, 210.0, 10.0, 10.0, 10.0])
    owner = np.array([0, 0, 1, 1, 1, 0])
    won = np.ones(6, dtype=bool)
    earliest = close - 20
    shifted = shift_close_times(close, amount, owner, won, earliest, np.zeros(6), edges,
                                paid, targets)
    assert shifted == pytest.approx([50.0, 90.0 - 1e-6, 40.0, 90.0, 60.0, 120.0])
    # a chance of 0 moves nothing; nor does a deal whose last stage began after the edge
    never = shift_close_times(close, amount, owner, won, earliest, np.ones(6), edges, paid,
                              targets)
    assert never == pytest.approx(close)
    late = shift_close_times(close, amount, owner, won, close - 1, np.zeros(6), edges,
                             paid, targets)
    assert late[1] == pytest.approx(95.0)


def test_pay_periods_are_calendar_periods() -> None:
    import datetime as dt

    assert period_edges(dt.date(2027, 1, 1), 60, "month").tolist() == [0.0, 31.0, 59.0, 90.0]
    assert period_edges(dt.date(2027, 1, 1), 30, "year").tolist() == [0.0, 365.0]


# ----------------------------------------------------------------------------- the hooks


def sdr_scenario(behaviour: dict[str, Any] | None) -> salesim.Scenario:
    comp: dict[str, Any] = {"on_target_earnings": 50_000,
                            "measures": {"meetings_held": {"weight": 1.0}}}
    if behaviour is not None:
        comp["behaviour"] = behaviour
    return build({"channels": {"web": {"leads_per_month": 300}},
                  "sdr": {"headcount": 3, "quota": {"amount": 30}, "compensation": comp,
                          "meeting_rate": 0.4}})


def test_the_desk_books_more_and_qualifies_less_under_a_meetings_plan() -> None:
    curve = {"curve": [{"strictness": 0, "meetings": 2.0, "valid": 0.5},
                       {"strictness": 1, "meetings": 1.0, "valid": 1.0}], "default": 1.0}
    plain = salesim.simulate(sdr_scenario(None), seed=3).leads
    loose = salesim.simulate(sdr_scenario({"strictness": curve}), seed=3).leads
    reached = plain["contacted_at"].notna()
    # twice the chance to book (0.4 -> 0.8) and half the chance of a valid meeting
    assert loose["meeting_set_at"].notna().sum() > 1.6 * plain["meeting_set_at"].notna().sum()
    rate = loose["valid"].dropna().astype(bool).mean()
    assert rate < 0.6 * plain["valid"].dropna().astype(bool).mean()
    assert reached.sum() > 100


def test_the_ae_team_discounts_wins_more_and_closes_sooner() -> None:
    stages = {"deal": {"conversion": 0.4, "duration": "10 days"}}
    comp = {"on_target_earnings": 100_000, "measures": {"bookings": {"weight": 1.0}}}
    curve = [{"discount": 0, "win": 1.0, "cycle": 1.0},
             {"discount": 0.2, "win": 1.5, "cycle": 0.5}]

    def run(behaviour: dict[str, Any] | None) -> pd.DataFrame:
        plan_ = {**comp, "behaviour": behaviour} if behaviour else comp
        scenario = build(EVERY_LEAD_AN_OPPORTUNITY,
                         {"ae": {"headcount": 5, "stages": stages, "compensation": plan_,
                                 "quota": {"amount": 100_000}}})
        return salesim.simulate(scenario, seed=4).opportunities

    plain, discounting = run(None), run({"discounting": {"curve": curve}})
    # paid on bookings: (1 + 2.5d)(1 - d) peaks at the deepest discount of 20%
    won_plain = plain.loc[plain["status"] == "won"]
    won = discounting.loc[discounting["status"] == "won"]
    assert set(won_plain["lead_id"]) < set(won["lead_id"])  # keyed draws: a superset
    assert len(won) / len(won_plain) == pytest.approx(1.5, rel=0.15)
    assert set(won["amount"].round(6)) == {8_000.0}
    cycle = days(discounting["closed_at"]) - days(discounting["assigned_at"])
    assert np.nanmax(cycle) == pytest.approx(5.0)


def test_an_unreachable_quota_lowers_the_desks_meetings_by_the_effort_curve() -> None:
    effort_curve = {"curve": [{"attainment": 0.2, "effort": 0.5},
                              {"attainment": 1.0, "effort": 1.0}]}
    plain = salesim.simulate(sdr_scenario(None), seed=6).leads
    tired = salesim.simulate(sdr_scenario({"expected_attainment": 0.2,
                                           "effort": effort_curve}), seed=6).leads
    # half the effort: the chance to book a reached lead falls from 40% to 20%
    booked = tired["meeting_set_at"].notna().sum() / tired["contacted_at"].notna().sum()
    before = plain["meeting_set_at"].notna().sum() / plain["contacted_at"].notna().sum()
    assert booked == pytest.approx(0.2, abs=0.04)
    assert before == pytest.approx(0.4, abs=0.04)


def test_team_responses_name_what_each_team_does() -> None:
    from salesim.model.behaviour import team_responses

    assert team_responses(sdr_scenario(None)) == {}
    chosen = team_responses(sdr_scenario({"strictness": {}}))
    assert list(chosen) == ["sdr"]
    assert chosen["sdr"].strictness == 0.0  # paid on meetings alone: the loosest


def test_a_margin_plan_discounts_less_and_pays_the_margin_the_choice_counted_on() -> None:
    stages = {"deal": {"conversion": 0.4, "duration": "10 days"}}
    curve = [{"discount": 0, "win": 1.0, "cycle": 1.0},
             {"discount": 0.2, "win": 1.5, "cycle": 0.5}]
    measures = {"bookings": {"bookings": {"weight": 1.0}},
                "margin": {"margin": {"weight": 1.0, "target": 20_000, "gross_margin": 0.5}}}

    def run(paid_on: str, behaviour: dict[str, Any] | None) -> salesim.Records:
        comp = {"on_target_earnings": 100_000, "pay_period": "quarter",
                "measures": measures[paid_on],
                **({"behaviour": behaviour} if behaviour else {})}
        scenario = build(EVERY_LEAD_AN_OPPORTUNITY,
                         {"meta": {"horizon": "3 months"},
                          "ae": {"headcount": 5, "stages": stages, "compensation": comp,
                                 "quota": {"amount": 100_000}}})
        return salesim.simulate(scenario, seed=4)

    levers = {"discounting": {"curve": curve}, "grid": 5}
    # bookings: (1 + 2.5d)(1 - d) rises to the deepest 20%; margin at 50% gross margin:
    # (1 + 2.5d)(0.5 - d) / 0.5 = 1, 1.0125, 1, 0.9625, 0.9 at d = 0, 5%, ... 20%
    on_bookings, on_margin = run("bookings", levers), run("margin", levers)
    assert set(on_bookings.opportunities["discount"]) == {0.2}
    assert set(on_margin.opportunities["discount"]) == {0.05}
    assert set(run("margin", None).opportunities["discount"]) == {0.0}
    # each won deal lists at 10k, is booked at 9.5k and brings 10k x (50% - 5%) of margin
    won = on_margin.opportunities.loc[on_margin.opportunities["status"] == "won"]
    assert set(won["amount"].round(6)) == {9_500.0}
    measures_paid = on_margin.payout_measures
    assert measures_paid["actual"].sum() == pytest.approx(4_500 * len(won))


def test_deal_timing_counts_margin_as_pay_does() -> None:
    on_margin = plan({"margin": {"weight": 1.0, "gross_margin": 0.5}}, timing={})
    targets = {"margin": 100.0}
    # 80 booked at 20% off lists at 100: 100 x (50% - 20%) = 30 of margin, 30% of target
    assert deal_gain(on_margin, targets, 0.0, 80.0, discount=0.2) == pytest.approx(0.3)
    assert deal_gain(on_margin, targets, 0.0, 80.0) == pytest.approx(0.4)  # at list
