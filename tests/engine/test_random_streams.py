"""Random numbers by named stream: reproducible, independent by name, common across plans."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import salesim
from salesim.engine.random_streams import (
    KeyedDraws,
    RandomStreams,
)
from salesim.scenario.distributions import Distribution

MINIMAL = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.yaml"
N = 100_000
PAIRS = 16  # the pairs of streams compared below
# |correlation| of two independent samples of N: below this for all pairs at 99.9%
CORRELATION_BOUND = float(stats.norm.ppf(1 - 0.001 / (2 * PAIRS))) / np.sqrt(N)


def test_same_name_same_generator_and_same_numbers() -> None:
    streams = RandomStreams(7)
    assert streams.generator("marketing/web") is streams.generator("marketing/web")
    a = RandomStreams(7).generator("marketing/web").random(50)
    b = RandomStreams(7).generator("marketing/web").random(50)
    np.testing.assert_array_equal(a, b)


def test_names_and_seeds_give_different_streams() -> None:
    base = RandomStreams(7).generator("sdr").random(50)
    assert not np.array_equal(base, RandomStreams(7).generator("sdr/outcomes").random(50))
    assert not np.array_equal(base, RandomStreams(8).generator("sdr").random(50))
    with pytest.raises(ValueError, match="non-negative"):
        RandomStreams(-1)


def test_streams_by_name_are_uncorrelated_and_uniform() -> None:
    streams = RandomStreams(123)
    names = ["marketing/web", "marketing/events", "sdr", "ae", "cs", "workforce/ae"]
    draws = {name: streams.generator(name).random(N) for name in names}
    assert len(names) * (len(names) - 1) // 2 + 1 == PAIRS
    for i, first in enumerate(names):
        assert stats.kstest(draws[first], "uniform").pvalue > 0.001 / len(names)
        for second in names[i + 1:]:
            r = np.corrcoef(draws[first], draws[second])[0, 1]
            assert abs(r) < CORRELATION_BOUND, (first, second)
    # and neighbouring seeds of the same name too
    other = RandomStreams(124).generator("sdr").random(N)
    assert abs(np.corrcoef(draws["sdr"], other)[0, 1]) < CORRELATION_BOUND


def test_drawing_more_from_one_stream_leaves_the_others_alone() -> None:
    quiet = RandomStreams(5)
    busy = RandomStreams(5)
    busy.generator("sdr").random(10_000)
    np.testing.assert_array_equal(quiet.generator("ae").random(20),
                                  busy.generator("ae").random(20))


def test_keyed_draws_depend_on_lead_cycle_and_column_only() -> None:
    leads = 5_000
    draws = KeyedDraws(RandomStreams(11), "sdr/lead/outcomes", leads, 3)
    ids = np.array([17, 4_999, 1, 17, 250])
    cycles = np.array([0, 0, 2, 1, 0])
    together = draws.rows(ids, cycles)
    # asked one at a time, in another order, from a fresh replication with the same seed
    alone = KeyedDraws(RandomStreams(11), "sdr/lead/outcomes", leads, 3)
    for i in (4, 2, 0, 3, 1):
        np.testing.assert_array_equal(alone.row(int(ids[i]), int(cycles[i])), together[i])
        assert alone.value(int(ids[i]), int(cycles[i]), 2) == together[i, 2]
    np.testing.assert_array_equal(draws.rows(ids, cycles, columns=1), together[:, :1])
    # another cycle, column, seed or name gives other numbers
    assert together[0, 0] != together[3, 0]
    assert together[0, 0] != together[0, 1]
    assert KeyedDraws(RandomStreams(12), "sdr/lead/outcomes", leads, 3).row(17, 0) \
        != alone.row(17, 0)
    assert KeyedDraws(RandomStreams(11), "sdr/lead/other", leads, 3).row(17, 0) \
        != alone.row(17, 0)
    with pytest.raises(ValueError, match="lead ids"):
        draws.rows(np.array([leads + 1]), np.array([0]))
    with pytest.raises(ValueError, match="column"):
        draws.column(0, 3)


def test_taken_draws_equal_kept_ones_and_cannot_be_drawn_twice() -> None:
    """take() gives what rows() gives, keeps nothing it drew itself (asking for such a
    column again raises rather than drawing different numbers), and reads a column
    already kept."""
    leads, cycles = np.array([3, 50, 7]), np.array([1, 1, 1])
    kept = KeyedDraws(RandomStreams(11), "desk/lead", 60, 3).rows(leads, cycles)
    draws = KeyedDraws(RandomStreams(11), "desk/lead", 60, 3)
    first = draws.column(1, 0).copy()
    np.testing.assert_array_equal(draws.take(leads, 1), kept)
    np.testing.assert_array_equal(draws.column(1, 0), first)  # kept before: still there
    with pytest.raises(RuntimeError, match="cannot be drawn again"):
        draws.column(1, 2)


def test_keyed_draws_follow_their_distribution() -> None:
    uniforms = KeyedDraws(RandomStreams(5), "u", N, 2)
    assert stats.kstest(uniforms.column(0, 0)[1:], "uniform").pvalue > 0.001
    assert abs(np.corrcoef(uniforms.column(0, 0), uniforms.column(0, 1))[0, 1]) \
        < CORRELATION_BOUND
    sampler = Distribution[float].model_validate({"gamma": {"mean": 10, "cv": 0.5}}).sampler()
    gamma = KeyedDraws(RandomStreams(5), "g", N, 1, sampler.sample).column(1, 0)
    assert abs(gamma.mean() - 10) < 4 * np.sqrt(sampler.variance / len(gamma))


# ------------------------------------------------------------------------ common random numbers


def new_leads(records: salesim.Records) -> pd.DataFrame:
    leads = records.leads
    return leads.loc[leads["cycle"] == 0,
                     ["lead_id", "channel", "segment", "score", "cost", "created_at"]]


def test_ae_headcount_leaves_marketing_and_the_sdr_desk_identical() -> None:
    small = salesim.simulate(salesim.load_scenario(MINIMAL, overrides={"ae.headcount": 2}), 4)
    large = salesim.simulate(salesim.load_scenario(MINIMAL, overrides={"ae.headcount": 6}), 4)
    # the whole lead flow is upstream of the AEs: identical, row for row
    pd.testing.assert_frame_equal(small.leads, large.leads)
    pd.testing.assert_frame_equal(small.activities, large.activities)
    # while the AE side did change
    assert not small.opportunities["ae_id"].equals(large.opportunities["ae_id"])


def test_sdr_headcount_changes_outcomes_but_not_the_leads() -> None:
    few = salesim.simulate(salesim.load_scenario(MINIMAL, overrides={"sdr.headcount": 1}), 4)
    many = salesim.simulate(salesim.load_scenario(MINIMAL, overrides={"sdr.headcount": 6}), 4)
    pd.testing.assert_frame_equal(new_leads(few), new_leads(many))
    assert not few.leads["first_attempt_at"].equals(many.leads["first_attempt_at"])


def test_adding_a_channel_leaves_the_other_channels_leads_alone() -> None:
    one = salesim.simulate(salesim.load_scenario(MINIMAL), 4)
    two = salesim.simulate(salesim.load_scenario(MINIMAL, overrides={
        "channels.events": {"leads_per_month": 80, "cost_per_lead": 100}}), 4)
    inbound_one = new_leads(one).drop(columns="lead_id")
    inbound_two = new_leads(two)
    inbound_two = inbound_two[inbound_two["channel"] == "inbound"].drop(columns="lead_id")
    inbound_two["channel"] = inbound_two["channel"].cat.remove_unused_categories()
    pd.testing.assert_frame_equal(inbound_one.reset_index(drop=True),
                                  inbound_two.reset_index(drop=True))
    assert (two.leads["channel"] == "events").sum() > 0


REFERENCE = MINIMAL.parent / "reference.yaml"
# times are float days (about 10 ns apart at day 500), then rounded to the nanosecond
ROUNDING = np.timedelta64(1, "us")


@functools.cache
def reference_pair() -> tuple[salesim.Records, salesim.Records]:
    """The reference scenario run with the same seed, as written and with one more SDR.

    Stages stretch with the load of the AE who takes the deal, which one more SDR
    legitimately changes; the pair keeps stage durations as drawn to see the draws alone.
    """
    steady = {"ae.time.cycle_elasticity": 0}
    scenario = salesim.load_scenario(REFERENCE, overrides=steady)
    assert scenario.sdr is not None  # its starting SDRs (start_state) number its headcount
    more = salesim.load_scenario(REFERENCE, overrides={
        **steady, "sdr.headcount": scenario.sdr.headcount + 1})
    return salesim.simulate(scenario, seed=3), salesim.simulate(more, seed=3)


def by_lead(records: salesim.Records) -> pd.DataFrame:
    """Opportunities by lead, with their first stage's duration (NaT while in it); those
    open on the first day have no lead and are left out."""
    stages = records.opportunity_stages
    first = stages[stages["stage_index"] == 0].set_index("opportunity_id")
    opportunities = records.opportunities[records.opportunities["lead_id"] > 0]
    opportunities = opportunities.set_index("opportunity_id")
    opportunities["first_stage"] = first["exited_at"] - first["entered_at"]
    return opportunities.reset_index().set_index("lead_id")


def customers_by_lead(records: salesim.Records) -> pd.DataFrame:
    """Subscriptions by lead, with how long onboarding took and how the first term ended:
    churn, or renewal with its ARR change as a share of the initial ARR."""
    lead = records.opportunities.set_index("opportunity_id")["lead_id"]
    subscriptions = records.subscriptions.set_index("subscription_id")
    from_leads = subscriptions["opportunity_id"].map(lead).fillna(-1) > 0
    subscriptions = subscriptions[from_leads.to_numpy()]  # not the start state's
    subscriptions["lead_id"] = lead.loc[subscriptions["opportunity_id"]].to_numpy()
    subscriptions["onboarding"] = subscriptions["onboarded_at"] - subscriptions["start_at"]
    events = records.subscription_events
    later = events[events["kind"] != "new"]
    first_at = later.groupby("subscription_id")["at"].min()
    first = later[later["at"].to_numpy() == first_at.loc[later["subscription_id"]].to_numpy()]
    ended = first[first["kind"].isin(["churn", "renewal"])].set_index("subscription_id")
    changed = first[first["kind"].isin(["expansion", "contraction"])].set_index(
        "subscription_id")
    subscriptions["first_term"] = ended["kind"].astype(str)
    subscriptions["first_change"] = (changed["arr_change"]
                                     / subscriptions["initial_arr"]).reindex(
        subscriptions.index).fillna(0.0)
    return subscriptions.set_index("lead_id")


def test_one_more_sdr_leaves_each_leads_deal_and_customer_draws_alone() -> None:
    """Adding an SDR changes which leads become opportunities and when, but not the
    numbers drawn for a lead: the same lead's opportunity has the same deal size and
    first-stage duration, and its customer the same onboarding time and first renewal
    outcome (given the same onboarding result)."""
    base, more = (by_lead(records) for records in reference_pair())
    common = base.index.intersection(more.index)
    # the SDR desk's draws are keyed by lead too: nearly the same leads convert in both
    assert len(common) > 0.9 * max(len(base), len(more))
    first, second = base.loc[common], more.loc[common]
    assert not (first["created_at"] == second["created_at"]).all()  # the flow did change
    np.testing.assert_array_equal(first["amount"], second["amount"])
    both = first["first_stage"].notna() & second["first_stage"].notna()
    assert both.sum() > 1000  # enough deals through their first stage in both runs to compare
    gap = (first.loc[both, "first_stage"] - second.loc[both, "first_stage"]).abs()
    assert (gap <= ROUNDING).all()

    base_c, more_c = (customers_by_lead(records) for records in reference_pair())
    common = base_c.index.intersection(more_c.index)
    assert len(common) > 0.08 * len(base_c)
    first, second = base_c.loc[common], more_c.loc[common]
    onboarded = first["onboarded"].fillna(False).to_numpy(dtype=bool) \
        & second["onboarded"].fillna(False).to_numpy(dtype=bool)
    assert onboarded.sum() > 0.5 * len(common)
    gap = (first["onboarding"] - second["onboarding"]).abs()[onboarded]
    assert (gap <= ROUNDING).all()
    same = ((first["onboarded"] == second["onboarded"]).to_numpy(dtype=bool)
            & first["first_term"].notna().to_numpy() & second["first_term"].notna().to_numpy())
    assert same.sum() > 25
    np.testing.assert_array_equal(first["first_term"][same], second["first_term"][same])
    np.testing.assert_allclose(first["first_change"][same], second["first_change"][same],
                               rtol=1e-12)
