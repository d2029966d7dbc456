"""Every conversion in the funnel, with capacity to spare, against the configured rate.

Each rate is estimated from the records of one replication with thousands of
trials and compared with the scenario's own number:

* one-chance rates (contact per attempt, meeting, reschedule, no-show, AE stage
  conversion, renewal, expansion) with an exact binomial interval;
* rates that differ from trial to trial (valid meetings, linear in the lead score
  and scaled by the segment; meetings under the speed-to-lead curve) by summing
  each trial's own probability: the count of successes must be within ``z``
  standard deviations of that sum (normal approximation to the Poisson binomial).

Every test states its family-wise confidence: 99%, Bonferroni-split over the
comparisons it makes, so a correct engine fails a test less than once in a
hundred seeds, while an error of a few points in any rate fails it.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import salesim

from .builders import build, days
from .theory import binomial_interval, bonferroni, poisson_binomial_z, z_value

CONFIDENCE = 0.99


def horizon_end(records: salesim.Records) -> float:
    """The horizon end in days from the start."""
    return float((records.end - records.start).days)


def assert_rate(successes: int, trials: int, expected: float, comparisons: int,
                what: str) -> None:
    low, high = binomial_interval(successes, trials, bonferroni(CONFIDENCE, comparisons))
    print(f"{what}: {successes}/{trials} = {successes / trials:.4f} "
          f"[{low:.4f}, {high:.4f}], configured {expected:.4f}")
    assert trials >= 500, f"{what}: too few trials ({trials}) for a meaningful check"
    assert low <= expected <= high, what


def assert_expected(outcomes: np.ndarray, probabilities: np.ndarray, comparisons: int,
                    what: str) -> None:
    z = poisson_binomial_z(outcomes, probabilities)
    bound = z_value(bonferroni(CONFIDENCE, comparisons))
    print(f"{what}: {int(np.sum(outcomes))} vs expected {float(np.sum(probabilities)):.1f} "
          f"(z = {z:.2f}, bound {bound:.2f})")
    assert len(outcomes) >= 300, f"{what}: too few trials ({len(outcomes)})"
    assert abs(z) <= bound, what


# ----------------------------------------------------------------------------- SDR funnel

CONTACT_RATE = 0.3
MAX_ATTEMPTS = 4
MEETING_RATE = 0.45
RESCHEDULE_RATE = 0.2
NO_SHOW_RATE = 0.15
VALID_AT_0, VALID_AT_100 = 0.3, 0.9
VALID_MULTIPLIER = {"smb": 1.0, "enterprise": 0.8}
SDR_HORIZON_DAYS = 120


@functools.cache
def sdr_records() -> salesim.Records:
    """Ample SDR capacity on a 24x7 desk: every lead is called within seconds."""
    scenario = build({
        "meta": {"horizon": f"{SDR_HORIZON_DAYS} days"},
        "segments": {
            "smb": {"share": 0.6, "deal_size": 10_000,
                    "valid_rate_multiplier": VALID_MULTIPLIER["smb"]},
            "enterprise": {"share": 0.4, "deal_size": 100_000,
                           "valid_rate_multiplier": VALID_MULTIPLIER["enterprise"]},
        },
        "channels": {"web": {"leads_per_month": 3000}},
        "sdr": {
            "headcount": 10, "handle_time": "1 min",
            "attempts": {"max": MAX_ATTEMPTS, "cadence": ["1 day"]},
            "contact_rate": CONTACT_RATE, "meeting_rate": MEETING_RATE,
            "reschedule_rate": RESCHEDULE_RATE, "no_show_rate": NO_SHOW_RATE,
            "meeting_lead_time": {"gamma": {"mean": "3 days", "cv": 0.5}},
            "valid_rate": {"at_score_0": VALID_AT_0, "at_score_100": VALID_AT_100},
        },
        "ae": {"headcount": 50},
    })
    return salesim.simulate(scenario, seed=11)


def test_first_calls_are_fast_enough_for_the_best_meeting_rate() -> None:
    leads = sdr_records().leads
    speed = (days(leads["first_attempt_at"]) - days(leads["created_at"])) * 1440
    called = speed[~np.isnan(speed)]
    assert len(called) > 10_000
    assert called.max() <= 5.0  # within the first speed-to-lead band: multiplier 1


def test_contact_rate_per_attempt() -> None:
    activity = sdr_records().activities
    assert_rate(int(activity["contacts"].sum()), int(activity["attempts"].sum()),
                CONTACT_RATE, 1, "contacts per attempt")


def test_attempt_on_which_a_lead_is_reached_is_geometric() -> None:
    leads = sdr_records().leads
    settled = leads[leads["status"] != "open"]
    reached = settled["contacted_at"].notna()
    # a settled lead was reached within the allowed attempts with 1 - (1 - p)^max
    expected = 1 - (1 - CONTACT_RATE) ** MAX_ATTEMPTS
    assert_rate(int(reached.sum()), len(settled), expected, 2, "reached within max attempts")
    # unreached leads used every attempt; reached ones stopped at the reaching one,
    # distributed as a geometric truncated at the maximum
    assert (settled.loc[~reached, "attempts"] == MAX_ATTEMPTS).all()
    counts = settled.loc[reached, "attempts"].value_counts().reindex(
        range(1, MAX_ATTEMPTS + 1), fill_value=0).to_numpy()
    k = np.arange(1, MAX_ATTEMPTS + 1)
    shape = CONTACT_RATE * (1 - CONTACT_RATE) ** (k - 1)
    chi2 = stats.chisquare(counts, counts.sum() * shape / shape.sum())
    print(f"attempts to reach: {counts}, chi-square p = {chi2.pvalue:.3f}")
    assert chi2.pvalue >= (1 - bonferroni(CONFIDENCE, 2))


def test_meeting_rate_at_full_speed() -> None:
    leads = sdr_records().leads
    reached = leads[leads["contacted_at"].notna()]
    assert_rate(int(reached["meeting_set_at"].notna().sum()), len(reached), MEETING_RATE, 1,
                "meetings per reached lead")


def test_reschedules_and_no_shows() -> None:
    leads = sdr_records().leads
    booked = leads[leads["meeting_set_at"].notna()]
    moves = booked["reschedules"].to_numpy()
    assert moves.max() <= 3
    # each booked meeting gets up to three chances to move; a chance is taken with r
    chances = np.where(moves == 3, 3, moves + 1)
    assert_rate(int(moves.sum()), int(chances.sum()), RESCHEDULE_RATE, 2,
                "reschedules per chance")
    end = pd.Timestamp(sdr_records().end)
    due = booked[booked["meeting_scheduled_for"] < end]
    no_show = due["reason"] == "no_show"
    held = due["meeting_held_at"].notna()
    assert (no_show ^ held).all()  # a due meeting is held or missed, never both
    assert_rate(int(no_show.sum()), len(due), NO_SHOW_RATE, 2, "no-shows per due meeting")


def test_valid_rate_is_linear_in_score_and_scaled_by_segment() -> None:
    leads = sdr_records().leads
    held = leads[leads["meeting_held_at"].notna()]
    valid = held["valid"].astype(bool).to_numpy()
    multiplier = held["segment"].astype(str).map(VALID_MULTIPLIER).to_numpy(dtype=float)
    chance = (VALID_AT_0 + (VALID_AT_100 - VALID_AT_0) * held["score"].to_numpy() / 100) \
        * multiplier
    # overall, by segment, by score quartile, and the slope: 1 + 2 + 4 + 1 comparisons
    comparisons = 8
    quartile = pd.qcut(held["score"], 4, labels=False).to_numpy()
    groups = {"all": np.ones(len(held), dtype=bool)}
    for segment in VALID_MULTIPLIER:
        groups[segment] = (held["segment"] == segment).to_numpy()
    for q in range(4):
        groups[f"score quartile {q + 1}"] = quartile == q
    for name, mask in groups.items():
        assert_expected(valid[mask], chance[mask], comparisons, f"valid meetings, {name}")
    # and the line itself: the valid share rises with score at the configured slope
    # (least squares on valid / multiplier, with a heteroscedasticity-robust error)
    score = held["score"].to_numpy()
    outcome = valid / multiplier
    fitted = stats.linregress(score, outcome)
    centred = score - score.mean()
    residual = outcome - fitted.intercept - fitted.slope * score
    stderr = float(np.sqrt(np.sum(centred**2 * residual**2)) / np.sum(centred**2))
    slope = (VALID_AT_100 - VALID_AT_0) / 100
    print(f"valid-rate slope {fitted.slope:.5f} +- {stderr:.5f}, configured {slope}")
    assert abs(fitted.slope - slope) <= z_value(bonferroni(CONFIDENCE, comparisons)) * stderr
    converted = leads["status"] == "converted"
    assert (converted == leads["valid"].fillna(False).astype(bool)).all()


# ----------------------------------------------------------------------------- speed to lead

SPEED_CURVE = [(5, 1.0), (10, 0.5), (30, 0.35), (60, 0.3), (1440, 0.2), (4320, 0.15)]


def test_meeting_rate_follows_the_speed_to_lead_curve() -> None:
    """Office hours and a busy desk spread first-call delays from minutes to days; the
    meetings booked must match meeting_rate times each lead's own multiplier."""
    scenario = build({
        "meta": {"horizon": "4 months"},
        "calendar": {"always_open": False, "working_hours": "09:00-17:00"},
        "channels": {"web": {"leads_per_month": 1500}},
        "sdr": {
            "headcount": 2, "handle_time": {"exponential": {"mean": "6 min"}},
            "attempts": {"max": 2, "cadence": ["1 business day"]},
            "contact_rate": 0.5, "meeting_rate": 0.6,
            "speed_to_lead": [{"within": f"{m} min", "multiplier": x} for m, x in SPEED_CURVE],
        },
        "ae": {"headcount": 20},
    })
    leads = salesim.simulate(scenario, seed=5).leads
    reached = leads[leads["contacted_at"].notna()]
    speed = (days(reached["first_attempt_at"]) - days(reached["created_at"])) * 1440
    bands = np.searchsorted([m for m, _ in SPEED_CURVE], speed, side="left")
    multiplier = np.asarray([x for _, x in SPEED_CURVE])[np.minimum(bands, len(SPEED_CURVE) - 1)]
    booked = reached["meeting_set_at"].notna().to_numpy()
    # delays really spread over the curve: fast calls, same-day calls and next-day calls
    assert (speed <= 5).sum() > 200
    assert (speed > 1440).sum() > 200
    fast, slow = speed <= 5, speed > 60
    assert_expected(booked, 0.6 * multiplier, 3, "meetings under the speed curve")
    assert_expected(booked[fast], 0.6 * multiplier[fast], 3, "meetings, called within 5 min")
    assert_expected(booked[slow], 0.6 * multiplier[slow], 3, "meetings, called after 1 h")


# ----------------------------------------------------------------------------- AE stages

STAGES = {"discovery": 0.6, "proposal": 0.5, "negotiation": 0.75}
ENTERPRISE_STAGES = {"discovery": 0.4, "negotiation": 0.5}  # proposal as the default


@functools.cache
def ae_records() -> salesim.Records:
    """Every lead becomes an opportunity; AEs without limits, fully ramped, skill 1."""
    scenario = build({
        "meta": {"horizon": "12 months"},
        "segments": {
            "smb": {"share": 0.5, "deal_size": 10_000},
            "enterprise": {"share": 0.5, "deal_size": 100_000, "stages": {
                name: {"conversion": rate} for name, rate in ENTERPRISE_STAGES.items()}},
        },
        "channels": {"web": {"leads_per_month": 800}},
        "sdr": {
            "headcount": 5, "handle_time": "1 min", "attempts": {"max": 1},
            "contact_rate": 1.0, "meeting_rate": 1.0, "no_show_rate": 0.0,
            "reschedule_rate": 0.0, "meeting_lead_time": "1 day",
            "speed_to_lead": [{"within": "5 min", "multiplier": 1.0}],
            "valid_rate": {"at_score_0": 1.0, "at_score_100": 1.0},
        },
        "ae": {
            "headcount": 100,
            "stages": {name: {"conversion": rate,
                              "duration": {"uniform": {"low": "3 days", "high": "15 days"}}}
                       for name, rate in STAGES.items()},
        },
    })
    return salesim.simulate(scenario, seed=3)


def stage_rates(segment: str) -> dict[str, float]:
    return {name: ENTERPRISE_STAGES.get(name, rate) if segment == "enterprise" else rate
            for name, rate in STAGES.items()}


@pytest.mark.parametrize("segment", ["smb", "enterprise"])
def test_stage_conversion_per_segment(segment: str) -> None:
    records = ae_records()
    opportunities = records.opportunities
    stages = records.opportunity_stages.merge(
        opportunities[["opportunity_id", "segment"]], on="opportunity_id")
    stages = stages[stages["segment"] == segment]
    comparisons = len(STAGES) + 1
    for name, rate in stage_rates(segment).items():
        decided = stages[(stages["stage"] == name) & (stages["outcome"] != "open")]
        passed = decided["outcome"].isin(["advanced", "won"])
        assert_rate(int(passed.sum()), len(decided), rate, comparisons,
                    f"{segment} {name} conversion")
    closed = opportunities[(opportunities["segment"] == segment)
                           & opportunities["status"].isin(["won", "lost"])]
    win_rate = float(np.prod(list(stage_rates(segment).values())))
    assert_rate(int((closed["status"] == "won").sum()), len(closed), win_rate, comparisons,
                f"{segment} win rate")


def test_stage_durations_and_deal_sizes() -> None:
    records = ae_records()
    stages = records.opportunity_stages
    entered = days(stages["entered_at"])
    exited = days(stages["exited_at"])
    # uncensored: stages entered at least the longest duration before the horizon
    early = entered < horizon_end(records) - 15
    spent = (exited - entered)[early]
    assert not np.isnan(spent).any()
    assert spent.min() >= 3 - 1e-6
    assert spent.max() <= 15 + 1e-6
    sd = 12 / np.sqrt(12)  # uniform(3, 15) days
    z = (spent.mean() - 9) / (sd / np.sqrt(len(spent)))
    assert abs(z) <= z_value(CONFIDENCE)
    won = records.opportunities[records.opportunities["status"] == "won"]
    sizes = won.groupby("segment", observed=True)["amount"].unique()
    assert sizes["smb"].tolist() == [10_000]
    assert sizes["enterprise"].tolist() == [100_000]


# ----------------------------------------------------------------------------- renewals

RENEW_ONBOARDED, RENEW_NOT_ONBOARDED = 0.9, 0.6
EXPANSION, CONTRACTION = (0.3, 0.2), (0.1, 0.15)  # probability, size


@functools.cache
def customer_records() -> salesim.Records:
    """Many deals won early, two-month contracts: thousands of renewal decisions."""
    scenario = build({
        "meta": {"horizon": "12 months"},
        "channels": {"web": {"leads_per_month": 600}},
        "sdr": {
            "headcount": 5, "handle_time": "1 min", "attempts": {"max": 1},
            "contact_rate": 1.0, "meeting_rate": 1.0, "no_show_rate": 0.0,
            "reschedule_rate": 0.0, "meeting_lead_time": "1 day",
            "speed_to_lead": [{"within": "5 min", "multiplier": 1.0}],
            "valid_rate": {"at_score_0": 1.0, "at_score_100": 1.0},
        },
        "ae": {"headcount": 50,
               "stages": {"deal": {"conversion": 1.0, "duration": "3 days"}}},
        "cs": {"headcount": 5, "accounts_per_csm": 100_000, "onboarding_success": 0.5,
               "onboarding_duration": "10 days"},
        "customers": {
            "contract_term": "2 months", "health_noise": 0.0,
            "renewal": {"onboarded": RENEW_ONBOARDED, "not_onboarded": RENEW_NOT_ONBOARDED},
            "expansion": {"probability": EXPANSION[0], "size": EXPANSION[1]},
            "contraction": {"probability": CONTRACTION[0], "size": CONTRACTION[1]},
        },
    })
    return salesim.simulate(scenario, seed=8)


def test_onboarding_success_with_capacity_to_spare() -> None:
    subscriptions = customer_records().subscriptions
    done = subscriptions[days(subscriptions["start_at"]) < horizon_end(customer_records()) - 10]
    assert_rate(int(done["onboarded"].sum()), len(done), 0.5, 1, "onboarded")


def test_renewal_rates_by_onboarding() -> None:
    records = customer_records()
    events = records.subscription_events.merge(
        records.subscriptions[["subscription_id", "onboarded"]], on="subscription_id")
    decisions = events[events["kind"].isin(["renewal", "churn"])]
    for onboarded, rate in ((True, RENEW_ONBOARDED), (False, RENEW_NOT_ONBOARDED)):
        mine = decisions[decisions["onboarded"] == onboarded]
        assert_rate(int((mine["kind"] == "renewal").sum()), len(mine), rate, 2,
                    f"renewals, onboarded={onboarded}")


def test_expansion_and_contraction_at_renewal() -> None:
    events = customer_records().subscription_events
    renewals = events[events["kind"] == "renewal"][["subscription_id", "at"]]
    changes = events[events["kind"].isin(["expansion", "contraction"])]
    joined = renewals.merge(changes, on=["subscription_id", "at"], how="left")
    assert len(joined) == len(renewals)  # at most one change per renewal
    assert len(changes) == joined["kind"].notna().sum()  # every change comes with a renewal
    assert_rate(int((joined["kind"] == "expansion").sum()), len(joined), EXPANSION[0], 2,
                "expansions per renewal")
    assert_rate(int((joined["kind"] == "contraction").sum()), len(joined), CONTRACTION[0], 2,
                "contractions per renewal")
