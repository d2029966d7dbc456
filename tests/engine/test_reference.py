"""The reference scenario end to end: headline figures against the scenario's own intent.

``scenarios/reference.yaml`` is what users copy, so its run must say what its numbers
mean. Each check derives its expectation from the scenario's configured numbers
(channel volumes with growth, seasonality, ramps and launch dates; not-ready
shares; the meeting rate under the speed-to-lead curve; the valid-meeting line;
stage conversions) and allows the sampling error of one replication, at 99%
confidence Bonferroni-split within each test. The headline figures are printed
(``pytest -s``) for whoever reads the run.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import salesim
from salesim.metrics import headline_metrics
from salesim.metrics.plan import Plan
from salesim.scenario.schema import Channel, Scenario

REFERENCE = Path(__file__).resolve().parents[2] / "scenarios" / "reference.yaml"
SEED = 2027
CONFIDENCE = 0.99


@functools.cache
def scenario() -> Scenario:
    return salesim.load_scenario(REFERENCE)


@functools.cache
def records() -> salesim.Records:
    return salesim.simulate(scenario(), seed=SEED)


def z_bound(comparisons: int) -> float:
    return float(stats.norm.ppf(1 - (1 - CONFIDENCE) / (2 * comparisons)))


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month < end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def expected_leads(channel: Channel, start: dt.date, end: dt.date) -> float:
    """Expected new leads of a channel over [start, end), from its configured numbers.

    A monthly volume (leads, or spend / cost per lead) is a rate per day of volume x 12
    / 365.25, compounding at the annual growth from the first month, times the month's
    seasonality, times the channel's ramp by month since it started, inside its
    start/end window; each day inside [start, end) expects that rate times its
    day-of-week weight over the mean weight (``arrivals.days``).
    """
    volume = channel.leads_per_month
    if volume is None:
        assert channel.spend_per_month is not None
        assert channel.cost_per_lead
        volume = channel.spend_per_month / channel.cost_per_lead
    per_day = volume * 12 / 365.25
    weights = channel.arrivals.days
    relative = [w / (sum(weights) / 7) for w in weights]
    first = start.replace(day=1)
    opened = channel.start or first
    ramp = channel.ramp.monthly_fractions() if channel.ramp is not None else ()
    total = 0.0
    for month in month_starts(start, end):
        if month < opened or (channel.end is not None and month > channel.end):
            continue
        following = (month + dt.timedelta(days=32)).replace(day=1)
        first_day, last_day = max(month, start), min(following, end)
        inside = sum(relative[(first_day + dt.timedelta(days=k)).weekday()]
                     for k in range((last_day - first_day).days))
        years = (month - first).days / 365.25
        rate = per_day * (1 + channel.annual_growth) ** years
        if channel.seasonality is not None:
            rate *= channel.seasonality[month.month - 1]
        tenure = (month.year - opened.year) * 12 + month.month - opened.month
        if tenure < len(ramp):
            rate *= ramp[tenure]
        total += rate * inside
    return total


def _new_leads(leads: pd.DataFrame) -> pd.Series:
    """Leads created in the horizon: not recycled, not waiting on the first day."""
    start = pd.Timestamp(scenario().meta.start)
    return (leads["cycle"] == 0) & (leads["created_at"] >= start)


def test_headline_figures() -> None:
    plan = Plan.from_scenario(scenario())
    headline = headline_metrics(records(), plan)
    for name, value in headline.items():
        print(f"{name:>32}: {value:,.3f}")
    leads = records().leads
    # new leads in the horizon (the start state's waiting leads came in before it)
    assert headline["leads"] == _new_leads(leads).sum()
    assert headline["meetings_held"] == leads["meeting_held_at"].notna().sum()
    opportunities = records().opportunities
    created = opportunities["created_at"] >= pd.Timestamp(scenario().meta.start)
    assert headline["opportunities"] == created.sum()  # the open ones on day one are older
    assert headline["deals_won"] == (records().opportunities["status"] == "won").sum()
    assert headline["ending_arr"] == pytest.approx(records().subscriptions["arr"].sum())
    for name in ("meetings_held", "opportunities", "deals_won", "bookings", "ending_arr"):
        assert headline[name] > 0, name
    assert 0 < headline["grr"] <= 1
    assert headline["nrr"] >= headline["grr"]
    # the plan's last line tops the AE team up to its target; attrition and the time to
    # backfill keep it a little under
    target = scenario().ae.hiring[-1].target
    assert target is not None
    assert 0.7 * target <= headline["headcount_end_ae"] <= target


def test_lead_volume_matches_channel_plans() -> None:
    """New leads per channel and in total: Poisson around the configured volume."""
    sc = scenario()
    new = records().leads[_new_leads(records().leads)]
    counts = new["channel"].value_counts()
    bound = z_bound(len(sc.channels) + 1)
    expected_total = 0.0
    for name, channel in sc.channels.items():
        expected = expected_leads(channel, sc.meta.start, sc.meta.end)
        expected_total += expected
        z = (counts[name] - expected) / math.sqrt(expected)
        print(f"{name}: {counts[name]} leads, configured {expected:,.0f} (z = {z:.2f})")
        assert abs(z) <= bound, name
    z = (len(new) - expected_total) / math.sqrt(expected_total)
    print(f"all channels: {len(new)} leads, configured {expected_total:,.0f} (z = {z:.2f})")
    assert abs(z) <= bound


def test_partner_channel_starts_on_its_launch_month() -> None:
    new = records().leads[_new_leads(records().leads)]
    partner = new[new["channel"] == "partner_referrals"]
    launch = scenario().channels["partner_referrals"].start
    assert launch is not None
    assert partner["created_at"].min() >= pd.Timestamp(launch)


def test_not_ready_shares_per_channel() -> None:
    sc = scenario()
    new = records().leads[_new_leads(records().leads)]
    bound = z_bound(len(sc.channels))
    for name, channel in sc.channels.items():
        share = (channel.not_ready_share if channel.not_ready_share is not None
                 else sc.recycle.not_ready_share)
        mine = new[new["channel"] == name]
        held_back = int((mine["reason"] == "not_ready").sum())
        z = (held_back - len(mine) * share) / math.sqrt(len(mine) * share * (1 - share))
        print(f"{name}: not ready {held_back / len(mine):.3f}, configured {share}")
        assert abs(z) <= bound, name


def test_meeting_rate_under_the_speed_curve() -> None:
    """Booked meetings per reached lead: between the slowest and fastest multipliers of the
    configured curve, and equal to meeting_rate x each lead's own multiplier in sum."""
    sdr = scenario().sdr
    leads = records().leads
    reached = leads[leads["contacted_at"].notna()]
    booked = reached["meeting_set_at"].notna().to_numpy()
    speed = ((reached["first_attempt_at"] - reached["created_at"]).dt.total_seconds()
             / 60).to_numpy()
    multiplier = np.array([sdr.speed_multiplier(float(m)) for m in speed])
    rate = booked.mean()
    low = sdr.meeting_rate * min(p.multiplier for p in sdr.speed_to_lead)
    print(f"meeting rate {rate:.4f}, curve allows [{low}, {sdr.meeting_rate}]")
    assert low <= rate <= sdr.meeting_rate
    chance = sdr.meeting_rate * multiplier
    z = (booked.sum() - chance.sum()) / math.sqrt(float(np.sum(chance * (1 - chance))))
    print(f"meetings booked {booked.sum()}, expected {chance.sum():,.1f} (z = {z:.2f})")
    assert abs(z) <= z_bound(1)


def test_valid_meeting_rate_follows_the_score_line() -> None:
    sc = scenario()
    leads = records().leads
    held = leads[leads["meeting_held_at"].notna()]
    multiplier = held["segment"].astype(str).map(
        {name: s.valid_rate_multiplier for name, s in sc.segments.items()}).to_numpy(float)
    chance = np.array([sc.sdr.valid_rate.at(score) for score in held["score"]]) * multiplier
    valid = held["valid"].astype(bool).to_numpy()
    z = (valid.sum() - chance.sum()) / math.sqrt(float(np.sum(chance * (1 - chance))))
    print(f"valid meetings {valid.sum()} of {len(held)}, expected {chance.sum():,.1f}")
    assert abs(z) <= z_bound(1)


def test_win_rate_in_the_band_the_stages_imply() -> None:
    """Won / closed per segment: the product of the segment's stage conversions, scaled by
    AE skill (median 1) and ramp (at most 1); overall weighted by the closed mix."""
    sc = scenario()
    opportunities = records().opportunities
    closed = opportunities[opportunities["status"].isin(["won", "lost"])]
    product = {}
    for name, segment in sc.segments.items():
        override = {stage: s.conversion for stage, s in segment.stages.items()
                    if s.conversion is not None}
        product[name] = float(np.prod([
            override.get(stage, base.conversion)
            for stage, base in sc.ae.stages.items()]))
    skill_mean = sc.ae.skill.sampler().mean
    # with the AE time model, a deal taken past overload_from is won less often, at most
    # by the elasticity times the load it may reach (max_utilisation)
    time = sc.ae.time
    overload = 1.0 if time is None else \
        1 - time.win_rate_elasticity * (time.max_utilisation - time.overload_from)
    for name, expected in product.items():
        mine = closed[closed["segment"] == name]
        rate = float((mine["status"] == "won").mean())
        print(f"{name}: win rate {rate:.3f} of {len(mine)}, stages give {expected:.3f}")
        # ramp, overload and early losses closing first can only pull it down; skill
        # can lift it
        assert 0.7 * overload * expected <= rate <= skill_mean * expected * 1.15, name
    mix = closed["segment"].astype(str).map(product).to_numpy(float)
    overall = float((closed["status"] == "won").mean())
    assert 0.7 * overload * mix.mean() <= overall <= skill_mean * mix.mean() * 1.1


def arr_at(events: pd.DataFrame, when: dt.date) -> float:
    return float(events.loc[events["at"] < pd.Timestamp(when), "arr_change"].sum())


def test_arr_grows_and_rolls_forward() -> None:
    result = records()
    events = result.subscription_events
    year_ends = [dt.date(2028, 1, 1), dt.date(2029, 1, 1), dt.date(2030, 1, 1)]
    arr = [arr_at(events, when) for when in year_ends]
    print("ARR at year ends: " + ", ".join(f"{value:,.0f}" for value in arr))
    assert 0 < arr[0] < arr[1] < arr[2]
    assert arr[2] == pytest.approx(result.subscriptions["arr"].sum())
    # roll-forward: opening + new + expansion - contraction - churn = closing, per year
    kinds = events.assign(year=events["at"].dt.year).pivot_table(
        index="year", columns="kind", values="arr_change", aggfunc="sum", observed=False,
        fill_value=0.0)
    # the start state's customers are the opening ARR, not new business
    opening = arr_at(events, scenario().meta.start)
    existing = result.subscriptions[result.subscriptions["opportunity_id"] == -1]
    assert opening == pytest.approx(existing["initial_arr"].sum())
    for year, closing in zip((2027, 2028, 2029), arr, strict=True):
        assert opening + kinds.loc[year].sum() == pytest.approx(closing)
        opening = closing
    new = records().opportunities
    won = new[new["status"] == "won"]
    assert kinds.loc[[2027, 2028, 2029], "new"].sum() == pytest.approx(won["amount"].sum())
