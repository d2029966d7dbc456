"""Marketing: volume per day, seasonality, growth, channel ramp and window, segment mix,
scores, not-ready share, spend / cost per lead, day and hour profiles and explicit
monthly volumes.

A monthly volume is a rate per day (volume x 12 / 365.25), so a month expects the
volume times its length over the average month (:func:`month_length`).

Counts are Poisson (or binomial / multinomial) around the configured numbers; each
test allows the sampling error at 99.9%, Bonferroni-split over its comparisons.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesim.engine.random_streams import RandomStreams
from salesim.model.marketing import NewLeads, daily_rate, generate_leads, monthly_rate
from salesim.scenario.schema import Scenario

from .builders import build, days

CONFIDENCE = 0.999


def z_bound(comparisons: int = 1) -> float:
    return float(stats.norm.ppf(1 - (1 - CONFIDENCE) / (2 * comparisons)))


def leads(channels: dict[str, Any], seed: int = 1, **extra: Any) -> tuple[NewLeads, Scenario]:
    scenario = build({"channels": channels, **extra})
    return generate_leads(scenario, RandomStreams(seed)), scenario


def monthly_counts(new: NewLeads, months: int = 12) -> np.ndarray:
    starts = [(dt.date(2027 + m // 12, m % 12 + 1, 1) - dt.date(2027, 1, 1)).days
              for m in range(months + 1)]
    return np.histogram(new.created_at, bins=starts)[0]


def month_length(months: int = 12) -> np.ndarray:
    """Each month's days over the average month's (365.25 / 12), from January 2027."""
    starts = [dt.date(2027 + m // 12, m % 12 + 1, 1) for m in range(months + 1)]
    return np.diff([(d - starts[0]).days for d in starts]) / (365.25 / 12)


def assert_poisson(counts: np.ndarray, expected: np.ndarray, what: str) -> None:
    z = (counts - expected) / np.sqrt(expected)
    print(f"{what}: z from {z.min():.2f} to {z.max():.2f}")
    assert np.abs(z).max() <= z_bound(len(counts)), what


def test_volume_per_day_is_the_configured_rate() -> None:
    new, _ = leads({"web": {"leads_per_month": 2000}})
    assert_poisson(monthly_counts(new), 2000.0 * month_length(), "monthly volume")
    assert (np.diff(new.created_at) >= 0).all()  # sorted by creation
    assert new.created_at.min() >= 0
    assert new.created_at.max() < 365


def test_arrivals_are_uniform_within_each_month() -> None:
    new, _ = leads({"web": {"leads_per_month": 3000}})
    january = new.created_at[new.created_at < 31]
    assert stats.kstest(january / 31, "uniform").pvalue > 1 - CONFIDENCE
    # any hour of the day and any day of the week
    hours = (new.created_at % 1) * 24
    assert stats.kstest(hours / 24, "uniform").pvalue > 1 - CONFIDENCE


def test_seasonality_scales_each_calendar_month() -> None:
    season = [0.5, 1.0, 1.5, 2.0, 1.0, 0.2, 0.0, 1.0, 1.2, 0.8, 1.3, 0.5]
    new, _ = leads({"web": {"leads_per_month": 1500, "seasonality": season}})
    counts = monthly_counts(new)
    assert counts[6] == 0  # July switched off
    on = np.asarray(season) > 0
    assert_poisson(counts[on], 1500 * (np.asarray(season) * month_length())[on],
                   "seasonal volume")


def test_growth_compounds_from_the_first_month() -> None:
    new, scenario = leads({"web": {"leads_per_month": 1000, "annual_growth": 0.5}},
                          meta={"horizon": "24 months"})
    channel = scenario.channels["web"]
    first = dt.date(2027, 1, 1)
    months = [dt.date(2027 + m // 12, m % 12 + 1, 1) for m in range(24)]
    rates = np.array([monthly_rate(channel, scenario, month) for month in months])
    years = np.array([(month - first).days / 365.25 for month in months])
    np.testing.assert_allclose(rates, 1000 * 1.5**years * month_length(24))
    assert monthly_rate(channel, scenario, dt.date(2028, 1, 1)) == pytest.approx(
        1500 * 31 / (365.25 / 12), rel=1e-3)
    assert_poisson(monthly_counts(new, 24), rates, "growing volume")


def test_channel_ramp_and_window() -> None:
    ramp = [0.2, 0.4, 0.6, 0.8]
    new, _ = leads({"partners": {"leads_per_month": 2000, "start": "2027-03", "end": "2027-10",
                                 "ramp": ramp}})
    counts = monthly_counts(new)
    assert counts[:2].sum() == 0  # before the launch
    assert counts[10:].sum() == 0  # after the last month
    expected = 2000 * np.array([*ramp, 1.0, 1.0, 1.0, 1.0]) * month_length()[2:10]
    assert_poisson(counts[2:10], expected, "ramped volume")


def test_spend_over_cost_per_lead_and_lead_cost() -> None:
    new, scenario = leads({
        "paid": {"spend_per_month": "150k", "cost_per_lead": 150},
        "events": {"leads_per_month": 300, "cost_per_lead": 250},
        "organic": {"leads_per_month": 500},
    })
    assert scenario.channels["paid"].base_leads_per_month == 1000
    names = list(new.channel_names)
    counts = np.bincount(new.channel, minlength=3)
    year = 365 / 365.25  # 2027 is a day short of the average year
    assert_poisson(counts, np.array([12_000, 3_600, 6_000.0]) * year, "leads per channel")
    cost = {name: np.unique(new.cost[new.channel == k]) for k, name in enumerate(names)}
    assert cost["paid"].tolist() == [150.0]
    assert cost["events"].tolist() == [250.0]
    assert cost["organic"].tolist() == [0.0]


def test_segment_mix_default_and_per_channel() -> None:
    segments = {"smb": {"share": 0.6, "deal_size": 10_000},
                "mid": {"share": 0.3, "deal_size": 40_000},
                "ent": {"share": 0.1, "deal_size": 150_000}}
    new, _ = leads({"web": {"leads_per_month": 1000},
                    "partners": {"leads_per_month": 1000,
                                 "segment_mix": {"smb": 0.2, "ent": 0.8}}},
                   segments=segments)
    for code, mix in ((0, [0.6, 0.3, 0.1]), (1, [0.2, 0.0, 0.8])):
        counts = np.bincount(new.segment[new.channel == code], minlength=3)
        expected = np.asarray(mix) * counts.sum()
        if code == 1:
            assert counts[1] == 0
            counts, expected = counts[[0, 2]], expected[[0, 2]]
        assert stats.chisquare(counts, expected).pvalue > (1 - CONFIDENCE) / 2


def test_scores_add_two_parts_each_clipped_to_50() -> None:
    new, _ = leads({"web": {"leads_per_month": 2000, "score": {
        "attribute": 70,  # clipped to 50
        "behaviour": {"uniform": {"low": 0, "high": 100}}}}})  # half of it clipped to 50
    assert (new.attribute_score == 50).all()
    np.testing.assert_array_equal(new.score, new.attribute_score + new.behaviour_score)
    behaviour = new.behaviour_score
    assert behaviour.min() >= 0
    assert behaviour.max() <= 50
    capped = behaviour == 50
    assert stats.binomtest(int(capped.sum()), len(behaviour), 0.5).pvalue > 1 - CONFIDENCE
    assert stats.kstest(behaviour[~capped] / 50, "uniform").pvalue > 1 - CONFIDENCE


def test_not_ready_share_per_channel_and_default() -> None:
    new, _ = leads({"web": {"leads_per_month": 2000},
                    "referral": {"leads_per_month": 2000, "not_ready_share": 0.4}},
                   recycle={"not_ready_share": 0.65})
    for code, share in ((0, 0.65), (1, 0.4)):
        mine = new.not_ready[new.channel == code]
        result = stats.binomtest(int(mine.sum()), len(mine), share)
        assert result.pvalue > (1 - CONFIDENCE) / 2


def test_new_leads_reach_the_records_unchanged() -> None:
    """What marketing draws is what the leads table shows (cycle-0 rows)."""
    import salesim

    scenario = build({"channels": {"web": {"leads_per_month": 300, "cost_per_lead": 20}}})
    drawn = generate_leads(scenario, RandomStreams(5))
    table = salesim.simulate(scenario, seed=5).leads
    table = table[table["cycle"] == 0]
    np.testing.assert_allclose(days(table["created_at"]), drawn.created_at, atol=1e-9)
    np.testing.assert_allclose(table["score"], drawn.score)
    assert (table["cost"] == 20).all()


def test_score_parts_reach_the_records_and_follow_recycled_leads() -> None:
    """Each lead row shows its attribute and behaviour parts; a recycled row (same
    lead, later cycle) keeps the parts of the lead it came from."""
    import salesim

    scenario = build({
        "channels": {"web": {"leads_per_month": 300, "score": {
            "attribute": {"uniform": {"low": 0, "high": 50}},
            "behaviour": {"uniform": {"low": 0, "high": 50}}}}},
        "recycle": {"not_ready_share": 0.5, "reengage_rate": 1.0, "max_cycles": 1,
                    "reengage_after": "30 days"},
    })
    drawn = generate_leads(scenario, RandomStreams(5))
    table = salesim.simulate(scenario, seed=5).leads
    np.testing.assert_allclose(table["attribute_score"] + table["behaviour_score"],
                               table["score"])
    first = table[table["cycle"] == 0]
    np.testing.assert_allclose(first["attribute_score"], drawn.attribute_score)
    np.testing.assert_allclose(first["behaviour_score"], drawn.behaviour_score)
    recycled = table[table["cycle"] == 1]
    assert len(recycled) > 100
    parts = first.set_index("lead_id")[["attribute_score", "behaviour_score"]]
    np.testing.assert_allclose(
        recycled[["attribute_score", "behaviour_score"]].to_numpy(),
        parts.loc[recycled["lead_id"]].to_numpy())



def working_hour_share(scenario: Scenario, name: str, days_of_year: int = 365) -> float:
    """Share of a channel's expected arrivals on weekdays 09:00-18:00, from its
    configured weights over the days of 2027 (flat volume: no growth or seasonality)."""
    arrivals = scenario.channels[name].arrivals
    weekday = [(dt.date(2027, 1, 1) + dt.timedelta(days=k)).weekday()
               for k in range(days_of_year)]
    day_weight = np.array([arrivals.days[d] for d in weekday])
    hours = np.asarray(arrivals.hours)
    in_hours = hours[9:18].sum() / hours.sum()
    return float(day_weight[np.array(weekday) < 5].sum() / day_weight.sum() * in_hours)


def test_default_profile_puts_most_arrivals_in_working_hours() -> None:
    new, scenario = leads({"web": {"leads_per_month": 3000, "arrivals": {}}})
    expected = working_hour_share(scenario, "web")
    assert expected > 0.7  # the default: mostly weekday business hours
    when = pd.to_datetime("2027-01-01") + pd.to_timedelta(new.created_at, unit="D")
    inside = (when.day_of_week < 5) & (when.hour >= 9) & (when.hour < 18)
    result = stats.binomtest(int(inside.sum()), len(inside), expected)
    print(f"in working hours: {inside.mean():.4f}, configured {expected:.4f}")
    assert result.pvalue > 1 - CONFIDENCE


def test_hour_and_day_profiles_shape_arrivals() -> None:
    hours = [0.0] * 8 + [3.0, 1.0] + [0.5] * 8 + [0.0] * 6
    new, scenario = leads({"web": {"leads_per_month": 4000, "arrivals": {
        "days": {"mon": 2, "tue": 1, "wed": 1, "thu": 1, "fri": 1}, "hours": hours}}})
    when = pd.to_datetime("2027-01-01") + pd.to_timedelta(new.created_at, unit="D")
    by_hour = np.bincount(when.hour, minlength=24)
    assert by_hour[np.asarray(hours) == 0].sum() == 0
    on = np.asarray(hours) > 0
    expected = np.asarray(hours)[on] / sum(hours) * len(new)
    assert stats.chisquare(by_hour[on], expected).pvalue > (1 - CONFIDENCE) / 2
    by_day = np.bincount(when.day_of_week, minlength=7)
    assert by_day[5:].sum() == 0  # no weekend leads: days not named weigh 0
    # a Monday brings twice the leads of another weekday: weights times the number of
    # each weekday in 2027
    weekday = [(dt.date(2027, 1, 1) + dt.timedelta(days=k)).weekday() for k in range(365)]
    weight = np.array([2, 1, 1, 1, 1]) * np.bincount(weekday, minlength=7)[:5]
    expected_days = weight / weight.sum() * by_day[:5].sum()
    assert stats.chisquare(by_day[:5], expected_days).pvalue > (1 - CONFIDENCE) / 2
    # a week still brings seven days' volume: the profile moves leads, not the total
    volume = scenario.channels["web"].leads_per_month
    assert volume is not None
    expected_total = volume * 12 / 365.25 * weight.sum() / (6 / 7)  # mean weight 6/7
    assert abs(len(new) - expected_total) < z_bound() * np.sqrt(expected_total)


def test_february_gets_the_same_per_day_volume_as_a_30_day_month() -> None:
    new, scenario = leads({"web": {"leads_per_month": 30_000, "arrivals": "flat"}})
    channel = scenario.channels["web"]
    february, april = dt.date(2027, 2, 1), dt.date(2027, 4, 1)
    assert daily_rate(channel, scenario, february) == daily_rate(channel, scenario, april)
    assert daily_rate(channel, scenario, april) == pytest.approx(30_000 * 12 / 365.25)
    counts = monthly_counts(new)
    feb, apr = counts[1], counts[3]
    # per-day rates equal: Poisson counts compared by their difference per day
    difference = feb / 28 - apr / 30
    sd = np.sqrt(feb / 28**2 + apr / 30**2)
    print(f"February {feb / 28:.1f} leads a day, April {apr / 30:.1f}")
    assert abs(difference) <= z_bound(3) * sd
    for count, length in ((feb, 28), (apr, 30)):
        expected = 30_000 * 12 / 365.25 * length
        assert abs(count - expected) <= z_bound(3) * np.sqrt(expected)


def test_explicit_monthly_volumes_replace_the_plan_for_their_months() -> None:
    new, scenario = leads({"web": {"leads_per_month": 1000, "annual_growth": 0.5,
                                   "arrivals": {"days": "flat", "hours": "flat",
                                                "monthly": {"2027-02": 5000,
                                                            "2027-03": 0}}}})
    counts = monthly_counts(new)
    assert counts[2] == 0
    channel = scenario.channels["web"]
    assert monthly_rate(channel, scenario, dt.date(2027, 2, 1)) == 5000
    years = np.array([(dt.date(2027, m + 1, 1) - dt.date(2027, 1, 1)).days / 365.25
                      for m in range(12)])
    expected = 1000 * 1.5**years * month_length()
    expected[1] = 5000
    on = np.arange(12) != 2
    assert_poisson(counts[on], expected[on], "explicit and planned months")
    # a list starts at the first month
    listed, _ = leads({"web": {"leads_per_month": 1000,
                               "arrivals": {"monthly": [3000, 100]}}})
    assert_poisson(monthly_counts(listed)[:3],
                   np.array([3000, 100, 1000 * month_length()[2]]), "listed months")


def test_a_profile_changes_when_leads_arrive_and_nothing_else() -> None:
    """Two hour profiles with the same day weights: the same leads, at other hours."""
    flat, _ = leads({"web": {"leads_per_month": 500, "arrivals": "flat"}}, seed=3)
    evening, _ = leads({"web": {"leads_per_month": 500, "arrivals": {
        "days": "flat", "hours": [0.0] * 18 + [1.0] * 6}}}, seed=3)
    assert len(flat) == len(evening)
    np.testing.assert_array_equal(flat.score, evening.score)
    np.testing.assert_array_equal(flat.segment, evening.segment)
    np.testing.assert_array_equal(flat.not_ready, evening.not_ready)
    assert ((evening.created_at % 1) * 24 >= 18).all()
    np.testing.assert_array_equal(np.floor(flat.created_at), np.floor(evening.created_at))
