"""Rosters: starting teams, hiring plans (counts and targets), time to fill, attrition,
backfill and ramp.

Statistical checks use exact binomial intervals or z-tests at 99.9%, so a correct
roster fails them about once in a thousand seeds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from salesim.model.workforce import Roster, build_roster
from salesim.scenario.schema import Scenario
from salesim.scenario.units import DAYS_PER_MONTH, DAYS_PER_YEAR

from .builders import build

Z = float(stats.norm.ppf(0.9995))


def roster(team: dict[str, Any], seed: int = 0, role: str = "sdr",
           **meta: Any) -> tuple[Roster, Scenario]:
    scenario = build({"meta": meta, role: team} if meta else {role: team})
    rng = np.random.default_rng(seed)
    return build_roster(role, scenario.organisation[role], scenario, rng, 1), scenario


def test_initial_team_is_seated_and_fully_ramped_on_day_one() -> None:
    people, _ = roster({"headcount": 4, "ramp": [0.2, 0.4, 0.6, 0.8, 0.9]})
    assert len(people) == 4
    assert (people.origin == "initial").all()
    assert (people.hired_at < 0).all()
    assert all(people.productivity(i, 0.0) == 1.0 for i in range(4))
    assert np.isinf(people.left_at).all()  # no attrition configured
    np.testing.assert_array_equal(people.rep_ids, [1, 2, 3, 4])
    np.testing.assert_array_equal(people.active_at(0.0), [0, 1, 2, 3])


def test_hiring_counts_open_on_their_month_and_fill_after_time_to_fill() -> None:
    people, _ = roster({"headcount": 2, "time_to_fill": "30 days",
                        "hiring": [{"month": "2027-03", "count": 3},
                                   {"month": "2027-07", "count": 1}]})
    plan = people.origin == "plan"
    assert plan.sum() == 4
    march, july = 31 + 28, 31 + 28 + 31 + 30 + 31 + 30  # days from 2027-01-01
    np.testing.assert_allclose(np.sort(people.requisition_at[plan]), [march] * 3 + [july])
    np.testing.assert_allclose(people.hired_at[plan] - people.requisition_at[plan], 30.0)


def test_hiring_target_counts_the_team_and_open_requisitions() -> None:
    # Feb 1: five on the team, two requisitions still open -> 10 - 5 - 2 = 3 more
    people, _ = roster({"headcount": 5, "time_to_fill": "60 days",
                        "hiring": [{"month": "2027-01", "count": 2},
                                   {"month": "2027-02", "target": 10}]})
    assert (people.origin == "plan").sum() == 5
    # a target already met opens nothing
    met, _ = roster({"headcount": 6, "hiring": [{"month": "2027-02", "target": 5}]})
    assert (met.origin == "plan").sum() == 0


def test_requisitions_filled_after_the_horizon_never_start() -> None:
    people, _ = roster({"headcount": 1, "time_to_fill": "90 days",
                        "hiring": [{"month": "2027-11", "count": 2}]})
    assert len(people) == 1


def test_a_plan_line_in_the_starting_month_opens_at_the_start() -> None:
    """A scenario starting mid-month with a hire planned for that month: the requisition
    opens on the first simulated day, not in the days before the start."""
    people, _ = roster({"headcount": 0, "hiring": [{"month": "2027-03", "count": 2}]},
                       start="2027-03-15", horizon="6 months")
    np.testing.assert_array_equal(people.requisition_at, [0.0, 0.0])
    np.testing.assert_array_equal(people.hired_at, [0.0, 0.0])
    assert people.productivity(0, 0.0) == 1.0  # no ramp configured


def test_time_to_fill_follows_its_distribution() -> None:
    people, _ = roster({"headcount": 0, "hiring": [{"month": "2027-01", "count": 3000}],
                        "time_to_fill": {"gamma": {"mean": "45 days", "cv": 0.4}}})
    waits = people.hired_at - people.requisition_at
    assert len(waits) > 2900  # the few longest land after the horizon
    # compare the well-inside part with the truncated gamma it should follow
    gamma = stats.gamma(1 / 0.4**2, scale=45 * 0.4**2)
    result = stats.kstest(waits, gamma.cdf)
    assert result.pvalue > 0.001
    assert waits.mean() == pytest.approx(45, abs=Z * 45 * 0.4 / math.sqrt(len(waits)))


def test_attrition_matches_the_annual_rate() -> None:
    """Everyone leaves after an exponential time: P(leave within t) = 1 - (1 - a)^(t/yr)."""
    heads, rate = 4000, 0.3
    people, scenario = roster({"headcount": heads, "attrition": rate})
    horizon = scenario.meta.horizon_days
    left = int(np.isfinite(people.left_at).sum())
    expected = 1 - (1 - rate) ** (horizon / DAYS_PER_YEAR)
    result = stats.binomtest(left, heads, expected)
    print(f"left {left / heads:.4f}, expected {expected:.4f}, p = {result.pvalue:.3f}")
    assert result.pvalue > 0.001
    # and the leaving times are exponential: uniform in CDF space
    hazard = -math.log(1 - rate) / DAYS_PER_YEAR
    times = people.left_at[np.isfinite(people.left_at)]
    cdf = (1 - np.exp(-hazard * times)) / (1 - math.exp(-hazard * horizon))
    assert stats.kstest(cdf, "uniform").pvalue > 0.001


def test_backfill_opens_a_requisition_after_each_leaver() -> None:
    people, scenario = roster({"headcount": 300, "attrition": 0.5, "time_to_fill": "30 days",
                               "backfill": {"enabled": True, "delay": "14 days"}})
    horizon = scenario.meta.horizon_days
    left = people.left_at[np.isfinite(people.left_at)]
    backfill = people.origin == "backfill"
    # every leaver whose replacement can start inside the horizon has one, 14 days later
    expected = np.sort(left[left + 14 + 30 < horizon] + 14)
    np.testing.assert_allclose(np.sort(people.requisition_at[backfill]), expected)
    np.testing.assert_allclose(people.hired_at[backfill] - people.requisition_at[backfill], 30)
    # replacements can leave too, and get replaced in turn
    assert np.isfinite(people.left_at[backfill]).any()
    # without backfill nobody is replaced
    none, _ = roster({"headcount": 300, "attrition": 0.5})
    assert (none.origin == "initial").all()


def test_team_size_stays_near_headcount_with_backfill() -> None:
    people, _ = roster({"headcount": 200, "attrition": 0.4,
                        "backfill": {"enabled": True, "delay": "0 days"}})
    for t in (30.0, 180.0, 360.0):
        assert len(people.active_at(t)) == 200  # instant backfill, instant fill


def test_ramp_by_tenure_month() -> None:
    people, _ = roster({"headcount": 0, "ramp": [0.25, 0.5, 0.75],
                        "hiring": [{"month": "2027-02", "count": 1}]})
    hired = people.hired_at[0]
    assert hired == 31.0
    months = np.array([-1.0, 0.0, 0.99, 1.0, 2.5, 3.0, 10.0]) * DAYS_PER_MONTH + hired
    expected = [0.0, 0.25, 0.25, 0.5, 0.75, 1.0, 1.0]
    assert [people.productivity(0, float(t)) for t in months] == pytest.approx(expected)
    np.testing.assert_allclose(people.productivity_at(np.zeros(len(months), dtype=int),
                                                      months), expected)
    np.testing.assert_allclose(people.ramp_edges(0),
                               hired + DAYS_PER_MONTH * np.arange(1, 4))


def test_skill_is_drawn_per_ae_and_never_negative() -> None:
    scenario = build({"ae": {"headcount": 2000,
                             "skill": {"normal": {"mean": 1.0, "sd": 0.5}}}})
    sampler = scenario.ae.skill.sampler()
    people = build_roster("ae", scenario.ae, scenario, np.random.default_rng(1), 1, sampler)
    assert (people.skill >= 0).all()
    assert people.skill.std() > 0.3
    assert people.skill.mean() == pytest.approx(sampler.mean,
                                                abs=Z * math.sqrt(sampler.variance / 2000))


def test_same_rng_same_roster() -> None:
    team = {"headcount": 20, "attrition": 0.5, "backfill": True,
            "time_to_fill": {"exponential": {"mean": "20 days"}}}
    first, _ = roster(team, seed=3)
    again, _ = roster(team, seed=3)
    np.testing.assert_array_equal(first.left_at, again.left_at)
    np.testing.assert_array_equal(first.hired_at, again.hired_at)
