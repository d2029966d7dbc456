"""Comp plans that move behaviour: the three SDR plans side by side, deal timing around
period ends, and a plan with its behaviour off changing cost only.

Cost: 15 replications of the comp-sdr scenarios (about 0.4 s each) and six short runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import salesim
from salesim.experiments.compare import paired_difference
from salesim.records import Records

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
PLANS = ("meetings-only", "valid-only", "631")
REPLICATIONS = 5
CONFIDENCE = 0.99


def test_the_three_sdr_scenarios_differ_only_in_the_sdr_plan() -> None:
    texts = {name: yaml.safe_load((SCENARIOS / f"comp-sdr-{name}.yaml").read_text())
             for name in PLANS}
    for data in texts.values():
        assert set(data) == {"extends", "meta", "sdr"}
        assert data["extends"] == "comp-sdr-base.yaml"
        assert set(data["sdr"]) == {"compensation"}
    dumps = []
    for name in PLANS:
        scenario = salesim.load_scenario(SCENARIOS / f"comp-sdr-{name}.yaml")
        data = scenario.model_dump(mode="json")
        data["meta"].pop("name")
        data["sdr"].pop("compensation")
        dumps.append(data)
    assert dumps[0] == dumps[1] == dumps[2]


def _sdr_outcomes(records: Records, ae_heads: int) -> dict[str, float]:
    leads = records.leads
    held = leads["meeting_held_at"].notna()
    won = records.opportunities.loc[records.opportunities["status"] == "won"]
    hours = records.selling_time  # the AEs work under the time model
    used = hours[["deal_hours", "prospecting_hours", "meeting_hours"]].to_numpy().sum()
    return {
        "meetings_held": float(held.sum()),
        "valid_rate": float(leads.loc[held, "valid"].astype(bool).mean()),
        # the AE load hopeless meetings bring: AE hours on meetings that proved invalid,
        # per AE and as a share of the hours AEs worked
        "ae_invalid_meeting_hours_per_head": float(hours["meeting_hours"].sum()) / ae_heads,
        "ae_hours_share_on_invalid_meetings": float(hours["meeting_hours"].sum()) / used,
        # AE utilisation in hours: deals, prospecting and invalid meetings over available
        "ae_utilisation": used / float(hours["available_hours"].sum()),
        "bookings_per_comp": float(won["amount"].sum()) / float(records.payouts["total"].sum()),
    }


def test_meetings_only_floods_the_aes_and_6_3_1_buys_the_most_bookings_per_pay() -> None:
    values: dict[str, dict[str, list[float]]] = {}
    for name in PLANS:
        scenario = salesim.load_scenario(SCENARIOS / f"comp-sdr-{name}.yaml")
        heads = scenario.organisation["ae"].headcount
        runs = [_sdr_outcomes(salesim.simulate(scenario, seed=seed), heads)
                for seed in range(1, REPLICATIONS + 1)]
        values[name] = {metric: [run[metric] for run in runs] for metric in runs[0]}

    def surely_higher(metric: str, high: str, low: str) -> None:
        difference = paired_difference(values[low][metric], values[high][metric], CONFIDENCE)
        assert difference.ci_low > 0, (metric, high, low, difference)

    for other in ("valid-only", "631"):
        surely_higher("meetings_held", "meetings-only", other)
        surely_higher("ae_invalid_meeting_hours_per_head", "meetings-only", other)
        surely_higher("ae_hours_share_on_invalid_meetings", "meetings-only", other)
        surely_higher("valid_rate", other, "meetings-only")
    # in all, AEs are busier than under valid-only; 6:3:1's extra valid meetings take
    # about as many AE hours as deals as meetings-only's hopeless ones take
    surely_higher("ae_utilisation", "meetings-only", "valid-only")
    for other in ("meetings-only", "valid-only"):
        surely_higher("bookings_per_comp", "631", other)


# ----------------------------------------------------------------------------- timing

ACCELERATED = {"threshold": "40%", "tiers": [{"above": "100%", "rate": 1.5},
                                             {"above": "150%", "rate": 2}], "cap": "250%"}


def _timed(curve: dict[str, Any] | None, seed: int, quota: str = "300k") -> Records:
    # AEs without the time model: routing by open deals spreads a quarter's bookings
    # over the AEs about twice as widely (coefficient of variation ~0.35 against ~0.2
    # with routing by hours), so more AEs end a quarter near a tier or the cap
    overrides: dict[str, Any] = {"sdr.compensation": None, "meta.horizon": "6 months",
                                 "ae.quota.amount": quota, "ae.time": None}
    if curve is None:
        overrides["ae.compensation"] = None
    else:
        overrides["ae.compensation.measures"] = {"bookings": {"weight": 1.0, "curve": curve}}
        overrides["ae.compensation.behaviour"] = {"timing": {}}
    return salesim.simulate(salesim.load_scenario(SCENARIOS / "comp-sdr-base.yaml",
                                                  overrides), seed=seed)


def _won(records: Records) -> pd.DataFrame:
    opps = records.opportunities
    return opps.loc[opps["status"] == "won"].set_index("lead_id")


def _late_share(won: pd.DataFrame) -> float:
    """Share of bookings closed in the last two weeks of their quarter."""
    closed = won["closed_at"]
    quarter_end = closed.dt.to_period("Q").dt.end_time
    late = (quarter_end - closed) < pd.Timedelta(days=14)
    return float(won.loc[late, "amount"].sum() / won["amount"].sum())


@pytest.mark.parametrize("seed", [1, 2])
def test_accelerators_pull_bookings_into_the_last_weeks_of_the_quarter(seed: int) -> None:
    plain, timed = _won(_timed(None, seed)), _won(_timed(ACCELERATED, seed))
    # the same deals are won (but for those moved across the horizon)...
    common = timed.index.intersection(plain.index)
    assert len(common) > 0.95 * len(plain)
    moved = timed.loc[common, "closed_at"] < plain.loc[common, "closed_at"]
    assert moved.sum() > 0  # ...some of them earlier: into the quarter before
    assert (timed.loc[common[moved], "closed_at"].dt.to_period("Q")
            < plain.loc[common[moved], "closed_at"].dt.to_period("Q")).all()
    assert _late_share(timed) > _late_share(plain)


def test_a_cap_pushes_deals_into_the_next_quarter() -> None:
    # a quota most AEs pass by half again before the quarter ends
    plain = _won(_timed(None, 3, quota="150k"))
    capped = _won(_timed({"cap": "110%"}, 3, quota="150k"))
    common = capped.index.intersection(plain.index)
    later = capped.loc[common, "closed_at"] > plain.loc[common, "closed_at"]
    assert later.sum() > 0
    moved_to = capped.loc[common[later], "closed_at"]
    # each moved deal closes on the first day of the next quarter, at midnight
    assert (moved_to == moved_to.dt.to_period("Q").dt.start_time).all()
    # ...out of the quarter they were due in (a capped AE may also pull a deal due next
    # quarter into this one, when the cap looks likely next quarter too, so the count
    # in a quarter can go either way)
    due = plain.loc[common[later], "closed_at"]
    assert (due.dt.to_period("Q") < moved_to.dt.to_period("Q")).all()
    # every pushed deal was due within the push window (30 days) of its quarter's end
    assert ((moved_to - due) <= pd.Timedelta(days=30)).all()


# ----------------------------------------------------------------------------- cost only


@pytest.mark.parametrize("behaviour", [None, {"strictness": {"enabled": False},
                                              "effort": {"enabled": False}}])
def test_with_behaviour_off_a_plan_changes_cost_only(behaviour: dict[str, Any] | None) -> None:
    with_plan = salesim.load_scenario(
        SCENARIOS / "comp-sdr-631.yaml",
        {"sdr.compensation.behaviour": behaviour, "meta.horizon": "6 months"})
    without = salesim.load_scenario(
        SCENARIOS / "comp-sdr-631.yaml",
        {"sdr.compensation": None, "ae.compensation": None, "meta.horizon": "6 months"})
    paid, plain = salesim.simulate(with_plan, seed=5), salesim.simulate(without, seed=5)
    assert len(paid.payouts) > 0
    assert plain.payouts.empty
    for name, table in plain.tables().items():
        if name in ("payouts", "payout_measures"):
            continue
        pd.testing.assert_frame_equal(paid.tables()[name], table, obj=name)
    assert np.isfinite(paid.payouts["total"]).all()
