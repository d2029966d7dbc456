"""Validation of a run from a state against hand arithmetic: open deals close when
their remaining stage time says and win as often as their stages and their owner's
ramp on day one predict."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import salesim
from salesim.world import simulate

MINIMAL = Path(__file__).parents[2] / "scenarios" / "minimal.yaml"
RAMP = [0.25, 0.5, 0.75]
HIRED = {"new": "2026-12-15", "third_month": "2026-10-20", "ramped": "2025-01-01"}
TENURE_RAMP = {"new": 0.25, "third_month": 0.75, "ramped": 1.0}  # month 1, month 3, done


def _scenario() -> salesim.Scenario:
    rows = []
    for i in range(300):
        owner = list(HIRED)[i % 3]
        rows.append({"stage": "discovery" if i % 2 == 0 else "proposal",
                     "age": f"{i % 10} days", "amount": 10_000, "owner": owner})
    return salesim.load_scenario(MINIMAL, {
        "ae.ramp": RAMP, "ae.skill": 1,
        "start_state.reps.ae": {"rows": [{"hired": d, "name": n} for n, d in HIRED.items()]},
        "start_state.open_opportunities": {"rows": rows}})


def test_open_deals_close_at_their_remaining_stage_time_and_win_by_ramp() -> None:
    scenario = _scenario()
    records = simulate(scenario, seed=11)
    start = np.datetime64(scenario.meta.start, "ns")
    opps = records.opportunities
    opening = opps[opps["lead_id"] == -1].sort_values("opportunity_id").reset_index(drop=True)
    assert len(opening) == 300
    reps = records.reps[records.reps["origin"] == "initial"]
    ae_ids = reps[reps["team"] == "ae"]["rep_id"].to_numpy()
    # owners as given, in the order the reps were listed
    expected_owner = ae_ids[np.arange(300) % 3]
    np.testing.assert_array_equal(opening["ae_id"].to_numpy(), expected_owner)

    at_discovery = np.arange(300) % 2 == 0
    age = (np.arange(300) % 10).astype(float)
    closed = (opening["closed_at"] - start) / np.timedelta64(1, "D")
    won = (opening["status"] == "won").to_numpy()
    # fixed durations (discovery 2 weeks, proposal 3 weeks): a deal lost in its current
    # stage closes when that stage ends; one that goes on also spends the next stage
    discovery_left = 14 - age
    lost_in_discovery = at_discovery & (opening["stage"] == "discovery").to_numpy()
    np.testing.assert_allclose(closed[lost_in_discovery], discovery_left[lost_in_discovery])
    np.testing.assert_allclose(closed[at_discovery & ~lost_in_discovery],
                               discovery_left[at_discovery & ~lost_in_discovery] + 21)
    np.testing.assert_allclose(closed[~at_discovery], 21 - age[~at_discovery])

    # win chance: the remaining stages' conversions, times the owner's ramp on day one
    # spread evenly over the two stages (factor ** (stages left / stages))
    ramp = np.array([TENURE_RAMP[n] for n in HIRED])[np.arange(300) % 3]
    chance = np.where(at_discovery, 0.5 * 0.4 * ramp, 0.4 * np.sqrt(ramp))
    for owner in range(3):
        mine = np.arange(300) % 3 == owner
        expected = chance[mine].sum()
        spread = math.sqrt((chance[mine] * (1 - chance[mine])).sum())
        assert abs(won[mine].sum() - expected) <= 4 * spread + 1, list(HIRED)[owner]
    # the ramped rep wins clearly more than the one in its first month
    first, ramped = np.arange(300) % 3 == 0, np.arange(300) % 3 == 2
    assert won[ramped].sum() > won[first].sum()


def test_existing_customers_churn_at_the_configured_rate_across_seeds() -> None:
    scenario = salesim.load_scenario(MINIMAL, {
        "customers.health_noise": 0, "customers.renewal.onboarded": 0.85,
        "start_state.customers.count": 1000})
    churned = due = 0
    for seed in (1, 2):
        records = simulate(scenario, seed=seed)
        subs = records.subscriptions
        existing = subs[subs["opportunity_id"] == -1]
        events = records.subscription_events
        mine = events["subscription_id"].isin(existing["subscription_id"])
        due += int((mine & events["kind"].isin(["renewal", "churn"])).sum())
        churned += int((mine & (events["kind"] == "churn")).sum())
    assert due > 1900  # almost every one comes up for renewal within the year
    assert abs(churned - 0.15 * due) <= 4 * math.sqrt(due * 0.15 * 0.85)
