"""A run started from a state: renewals, closes and ramp continue from day one."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

import salesim
from salesim.engine.random_streams import RandomStreams
from salesim.model.start_state import build_start
from salesim.scenario.errors import ScenarioError
from salesim.world import simulate

MINIMAL = Path(__file__).parents[2] / "scenarios" / "minimal.yaml"
STATE = {
    "customers.health_noise": 0,
    "customers.renewal.onboarded": 0.8,
    "start_state.customers.count": 1000,
    "start_state.open_opportunities.count": 300,
    "ae.headcount": 6,
    "ae.ramp": [0.25, 0.5, 0.75],
    "start_state.reps.ae": {"tenure": {"uniform": {"low": "0 month", "high": "6 month"}}},
}


def _binomial_ok(count: int, n: int, p: float) -> bool:
    return abs(count - n * p) <= 4 * math.sqrt(n * p * (1 - p)) + 1


def test_existing_customers_renew_at_their_dates_as_the_renewal_rate_predicts() -> None:
    scenario = salesim.load_scenario(MINIMAL, STATE)
    records = simulate(scenario, seed=3)
    subs = records.subscriptions
    existing = subs[subs["opportunity_id"] == -1]
    assert len(existing) == 1000
    assert (existing["start_at"] < np.datetime64(scenario.meta.start)).all()
    ids = set(existing["subscription_id"])
    events = records.subscription_events
    first = events[events["subscription_id"].isin(ids) & events["kind"].isin(["renewal", "churn"])]
    first = first.groupby("subscription_id")["at"].min()
    book = build_start(scenario, RandomStreams(3)).customers["cs"]
    due = np.sort(book.renewal_at[book.renewal_at < scenario.meta.horizon_days])
    seen = (np.sort(first.to_numpy()) - np.datetime64(scenario.meta.start, "ns")
            ) / np.timedelta64(1, "D")
    assert len(due) > 990
    np.testing.assert_allclose(seen, due, atol=1e-6)  # every one renews or churns on its date
    churned = int((existing["status"] == "churned").sum())
    assert _binomial_ok(churned, len(due), 0.2)
    # opening ARR is not counted as bookings: bookings come from opportunities only
    assert existing["initial_arr"].sum() == pytest.approx(book.arr.sum())


def test_open_deals_close_at_the_rate_the_remaining_stages_predict() -> None:
    scenario = salesim.load_scenario(MINIMAL, {**STATE, "ae.skill": 1})
    records = simulate(scenario, seed=5)
    opps = records.opportunities
    opening = opps[opps["lead_id"] == -1]
    assert len(opening) == 300
    start = np.datetime64(scenario.meta.start, "ns")
    assert (opening["created_at"] <= start).all()
    book = build_start(scenario, RandomStreams(5)).pipeline["ae"]
    reps = records.reps[records.reps["team"] == "ae"].set_index("rep_id")
    months = ((start - reps.loc[opening["ae_id"], "hired_at"].to_numpy())
              / np.timedelta64(1, "D") / (365.25 / 12)).astype(int)
    ramp = np.append([0.25, 0.5, 0.75], 1.0)[np.minimum(months, 3)]
    stages = np.array([0.5, 0.4])
    order = np.argsort(opening["opportunity_id"].to_numpy())
    first = book.stage
    chance = np.array([np.prod(stages[k:]) * ramp[i] ** ((2 - k) / 2)
                       for i, k in enumerate(first)])
    won = (opening["status"].to_numpy()[order] == "won").sum()
    expected, spread = chance.sum(), math.sqrt((chance * (1 - chance)).sum())
    assert abs(won - expected) <= 4 * spread + 1
    # every one closes within its remaining stage time (fixed durations: 2 and 3 weeks)
    closes = (opening["closed_at"] - start) / np.timedelta64(1, "D")
    assert (closes.to_numpy() <= 35 + 1e-6).all()


def test_reps_productivity_on_day_one_follows_their_tenure() -> None:
    scenario = salesim.load_scenario(MINIMAL, {
        "ae.ramp": [0.25, 0.5, 0.75],
        "start_state.reps.ae": {"rows": [{"hired": "2026-11-01"}, {"hired": "2026-06-01"}]}})
    records = simulate(scenario, seed=1)
    reps = records.reps[records.reps["team"] == "ae"]
    initial = reps[reps["origin"] == "initial"]
    assert list(initial["hired_at"].dt.date) == [dt.date(2026, 11, 1), dt.date(2026, 6, 1)]
    from salesim.model.workforce import build_roster
    roster = build_roster("ae", scenario.organisation["ae"], scenario,
                          np.random.default_rng(0), 1, None,
                          np.array([-61.0, -214.0]))
    assert roster.productivity(0, 0.0) == 0.75  # two months before: month 3 of ramp
    assert roster.productivity(1, 0.0) == 1.0


def test_inline_and_file_forms_give_the_same_result(tmp_path: Path) -> None:
    rows = [("1200", "2026-03-01", "smb"), ("5000", "2026-09-15", "smb")]
    (tmp_path / "customers.csv").write_text(
        "arr,start,segment\n" + "".join(f"{a},{s},{g}\n" for a, s, g in rows))
    base = MINIMAL.read_text()
    (tmp_path / "file.yaml").write_text(base + "start_state:\n  customers: {file: "
                                        "customers.csv}\n")
    inline = ", ".join(f"{{arr: {a}, start: {s}, segment: {g}}}" for a, s, g in rows)
    (tmp_path / "inline.yaml").write_text(base + f"start_state:\n  customers: {{rows: "
                                          f"[{inline}]}}\n")
    a = simulate(salesim.load_scenario(tmp_path / "file.yaml"), seed=2)
    b = simulate(salesim.load_scenario(tmp_path / "inline.yaml"), seed=2)
    assert a.subscriptions.equals(b.subscriptions)
    assert a.subscription_events.equals(b.subscription_events)


def test_bad_start_state_rows_are_reported_by_file_and_row(tmp_path: Path) -> None:
    (tmp_path / "opps.csv").write_text("stage,age,amount\ndiscovery,1 week,1000\n"
                                       "nowhere,1 week,1000\nproposal,1 week,lots\n")
    (tmp_path / "s.yaml").write_text(MINIMAL.read_text() + "start_state:\n  "
                                     "open_opportunities: {file: opps.csv}\n")
    with pytest.raises(ScenarioError) as caught:
        salesim.load_scenario(tmp_path / "s.yaml")
    text = str(caught.value)
    assert "opps.csv:4" in text
    assert "amount" in text


def test_waiting_leads_queue_at_time_zero_with_their_age_counting() -> None:
    scenario = salesim.load_scenario(MINIMAL, {"start_state.leads": {
        "count": 50, "age": {"uniform": {"low": "1 day", "high": "3 days"}}}})
    records = simulate(scenario, seed=4)
    start = np.datetime64(scenario.meta.start, "ns")
    leads = records.leads[records.leads["cycle"] == 0]
    waiting = leads[leads["created_at"] < start]
    assert len(waiting) == 50
    assert (waiting["cost"] == 0).all()
    waited = (start - waiting["created_at"]) / np.timedelta64(1, "D")
    assert waited.between(1, 3).all()
    # worked from the first day on, and the time before the start counts
    assert (waiting["first_attempt_at"] >= start).all()
    speed = (waiting["first_attempt_at"] - waiting["created_at"]) / np.timedelta64(1, "D")
    assert (speed >= waited).all()
    # the same new leads come in as without the start state
    cold = simulate(salesim.load_scenario(MINIMAL), seed=4).leads
    assert int((leads["created_at"] >= start).sum()) == int((cold["cycle"] == 0).sum())


def test_open_deals_take_ae_slots_from_day_one() -> None:
    rows = [{"stage": "proposal", "age": "0 days", "amount": 1000, "owner": k % 2 + 1}
            for k in range(4)]
    scenario = salesim.load_scenario(MINIMAL, {
        "ae.max_open_opportunities": 2, "ae.over_capacity": "wait",
        "ae.stages.proposal.duration": "60 days",
        "start_state.open_opportunities": {"rows": rows}})
    records = simulate(scenario, seed=1)
    opps = records.opportunities
    start = np.datetime64(scenario.meta.start, "ns")
    opening = opps[opps["lead_id"] == -1]
    new = opps[opps["lead_id"] > 0]
    # both AEs are full (2 each) until the open deals close sixty days in
    first_free = opening["closed_at"].min()
    assert first_free == start + np.timedelta64(60, "D")
    assert (new["assigned_at"].dropna() >= first_free).all()
    assert (new["created_at"] < first_free).any()  # some new ones had to wait


def test_open_deals_take_ae_hours_from_day_one() -> None:
    """Under the AE time model an open deal books its owner's hours on day one: three
    open proposals per AE, 30 h each over their 60 days, are 3 x 30 / 60 x 7 = 10.5 h a
    week of a 10 h week, so no new deal fits before they close on day 60; without the
    time model the same AEs take new deals at once."""
    rows = [{"stage": "proposal", "age": "0 days", "amount": 1000, "owner": k % 2 + 1}
            for k in range(6)]
    common = {"ae.over_capacity": "wait", "ae.stages.proposal.duration": "60 days",
              "start_state.open_opportunities": {"rows": rows}}
    time = {"selling_hours_per_week": 10, "first_meeting": "1 h",
            "per_stage": {"proposal": "30 h"}, "per_deal": "0 h"}
    scenario = salesim.load_scenario(MINIMAL, {**common, "ae.time": time})
    start = np.datetime64(scenario.meta.start, "ns")
    day_60 = start + np.timedelta64(60, "D")
    opps = simulate(scenario, seed=1).opportunities
    opening, new = opps[opps["lead_id"] == -1], opps[opps["lead_id"] > 0]
    assert (opening["closed_at"] == day_60).all()
    assert (new["assigned_at"].dropna() >= day_60).all()
    assert (new["created_at"] < day_60).any()  # some new ones had to wait for hours
    untimed = simulate(salesim.load_scenario(MINIMAL, common), seed=1).opportunities
    untimed_new = untimed[untimed["lead_id"] > 0]
    assert (untimed_new["assigned_at"] < day_60).any()
