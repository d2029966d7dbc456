"""Customer success: onboarding under load, renewals, expansion, contraction, churn and the
ARR bookkeeping, driven through :func:`serve_customers` with hand-made won deals.

Chance-driven checks compare counts with the sum of each trial's own probability
(z-test at 99.9%).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from salesim.engine.random_streams import RandomStreams
from salesim.model import success
from salesim.model.success import Customers, serve_customers
from salesim.model.workforce import build_roster
from salesim.scenario.units import DAYS_PER_MONTH

from .builders import build

Z = float(stats.norm.ppf(0.9995))


def serve(cs: dict[str, Any], customers: dict[str, Any], start_at: np.ndarray,
          arr: np.ndarray | None = None, seed: int = 1, horizon: str = "12 months",
          roster_seed: int | None = None) -> Customers:
    scenario = build({"meta": {"horizon": horizon}, "cs": cs, "customers": customers})
    rng = np.random.default_rng(seed if roster_seed is None else roster_seed)
    roster = build_roster("cs", scenario.cs, scenario, rng, 100)
    value = np.full(len(start_at), 10_000.0) if arr is None else arr
    n = len(start_at)
    assert scenario.cs is not None
    return serve_customers(scenario, scenario.cs, "cs", roster, RandomStreams(seed),
                           np.arange(n),
                           np.asarray(start_at, dtype=float), value, np.arange(1, n + 1), n)


def events_of(customers: Customers, customer: int) -> list[tuple[str, float]]:
    return [(kind, change) for who, kind, change in zip(
        customers.event_customer, customers.event_kind, customers.event_change, strict=True)
        if who == customer]


# ----------------------------------------------------------------------------- onboarding


@pytest.mark.parametrize("sensitivity", [1.0, 2.0])
def test_onboarding_success_falls_with_load(sensitivity: float) -> None:
    """One CSM for 10 accounts; customer k arrives to a book of k: success is
    0.9 x min(1, (10 / (k + 1)) ^ sensitivity)."""
    n, replications = 60, 40
    k = np.arange(n)
    chance = 0.9 * np.minimum(1.0, (10 / (k + 1)) ** sensitivity)
    outcomes = []
    for seed in range(replications):
        served = serve({"headcount": 1, "accounts_per_csm": 10, "onboarding_success": 0.9,
                        "overload_sensitivity": sensitivity, "onboarding_duration": "10 days"},
                       {}, np.linspace(0.0, 1.0, n), seed=seed)
        outcomes.append(np.asarray(served.onboarded, dtype=float))
    observed = np.sum(outcomes, axis=0)
    expected = replications * chance
    z = (observed.sum() - expected.sum()) / math.sqrt(
        float(np.sum(replications * chance * (1 - chance))))
    assert abs(z) <= Z
    # the first ten see spare capacity, the last ten a book six times too big
    assert observed[:10].sum() / (10 * replications) == pytest.approx(0.9, abs=0.05)
    assert observed[-10:].sum() < observed[:10].sum() / 4


def ramp_at(scenario: Any, t: np.ndarray, hired_at: float = 0.0) -> np.ndarray:
    """The configured CS ramp at times ``t`` for someone hired at ``hired_at``."""
    fractions = scenario.cs.ramp.monthly_fractions()
    month = np.floor((t - hired_at) / DAYS_PER_MONTH).astype(int)
    return np.where(month < len(fractions), np.asarray(fractions)[np.minimum(
        month, len(fractions) - 1)], 1.0)


NEW_TEAM = {"headcount": 0, "hiring": [{"month": "2027-01", "count": 2}],
            "time_to_fill": "0 days", "ramp": [0.0, 0.25, 0.5, 0.75],
            "accounts_per_csm": 10, "onboarding_success": 0.9, "overload_sensitivity": 1.0,
            "onboarding_duration": "1 day"}


def test_new_csms_carry_a_ramped_book() -> None:
    """Two CSMs hired on day one with a ramp starting at 0: the team's capacity is
    accounts_per_csm x productivity summed over the CSMs, so customer k (finding k on
    the books, none churning) onboards with 0.9 x min(1, capacity(t) / (k + 1)), and
    not at all in the first month."""
    n, replications = 80, 40
    start_at = np.linspace(0.0, 200.0, n)
    scenario = build({"cs": NEW_TEAM})
    capacity = 2 * 10 * ramp_at(scenario, start_at)
    chance = 0.9 * np.minimum(1.0, capacity / (np.arange(n) + 1))
    outcomes = []
    for seed in range(replications):
        served = serve(NEW_TEAM, {}, start_at, seed=seed)
        assert sorted(set(served.csm_id)) == [100, 101]
        outcomes.append(np.asarray(served.onboarded, dtype=float))
    observed = np.sum(outcomes, axis=0)
    assert observed[capacity == 0].sum() == 0
    expected = replications * chance
    z = (observed.sum() - expected.sum()) / math.sqrt(
        float(np.sum(replications * chance * (1 - chance))))
    print(f"onboarded {observed.sum():.0f}, expected {expected.sum():.1f} (z = {z:.2f})")
    assert abs(z) <= Z
    # and the ramp matters: counting both at a full book of 20 would be far off
    unramped = replications * 0.9 * np.minimum(1.0, 20 / (np.arange(n) + 1))
    assert unramped.sum() - expected.sum() > 10 * math.sqrt(float(np.sum(
        replications * chance * (1 - chance))))


def test_customers_go_to_the_lowest_load_for_the_ramped_book() -> None:
    """A ramped CSM and a new hire at productivity 0: the new hire gets no customer in
    their first month; after that each customer goes to the CSM with the lowest load
    relative to accounts_per_csm x productivity."""
    cs = {"headcount": 1, "hiring": [{"month": "2027-01", "count": 1}],
          "time_to_fill": "0 days", "ramp": [0.0, 0.2, 0.6], "accounts_per_csm": 50}
    scenario = build({"cs": cs})
    start_at = np.linspace(0.0, 150.0, 120)
    served = serve(cs, {}, start_at)
    hired = {100: -1e6, 101: 0.0}  # the starting CSM is ramped already
    load = {100: 0, 101: 0}
    for t, csm in zip(start_at, served.csm_id, strict=True):
        book = {c: 50 * float(ramp_at(scenario, np.array([t]), h)[0]) for c, h in hired.items()}
        relative = {c: load[c] / book[c] if book[c] > 0 else math.inf for c in load}
        assert relative[csm] == min(relative.values()), (t, relative, csm)
        load[csm] += 1
    first_month = start_at < DAYS_PER_MONTH
    assert set(np.asarray(served.csm_id)[first_month]) == {100}
    assert load[101] > 10


def test_a_leavers_book_stays_with_the_team() -> None:
    """Two CSMs of 20 accounts share 20 customers; one leaves on day 7 (roster seed 92)
    and nobody replaces them. The customers do not leave with the CSM: from then on the
    remaining CSM carries all of them, so every new customer finds the team over
    capacity. With a steep overload sensitivity, success is (20 / (book + 1)) ^ 10."""
    scenario = build({"cs": {"headcount": 2, "attrition": 0.95}})
    roster = build_roster("cs", scenario.cs, scenario, np.random.default_rng(92), 100)
    assert np.sort(roster.left_at)[0] == pytest.approx(7.39, abs=0.01)
    assert np.isinf(np.sort(roster.left_at)[1])
    before, after = np.linspace(0.0, 5.0, 20), np.linspace(30.0, 300.0, 60)
    served = serve({"headcount": 2, "attrition": 0.95, "accounts_per_csm": 20,
                    "onboarding_success": 1.0, "overload_sensitivity": 10.0,
                    "onboarding_duration": "1 day"},
                   {}, np.concatenate([before, after]), roster_seed=92)
    onboarded = np.asarray(served.onboarded[20:], dtype=float)
    chance = (20 / (20 + np.arange(60) + 1)) ** 10
    z = (onboarded.sum() - chance.sum()) / math.sqrt(float(np.sum(chance * (1 - chance))))
    print(f"onboarded after the leaver: {onboarded.sum():.0f}, expected {chance.sum():.2f}")
    assert z <= Z


def test_no_csm_means_no_onboarding_and_no_owner() -> None:
    served = serve({"headcount": 0, "onboarding_success": 1.0}, {}, np.linspace(0, 100, 50))
    assert not any(served.onboarded)
    assert set(served.csm_id) == {-1}


def test_customers_go_to_the_least_loaded_csm() -> None:
    served = serve({"headcount": 3, "accounts_per_csm": 100}, {}, np.linspace(0, 10, 30))
    counts = np.bincount(np.asarray(served.csm_id) - 100)
    assert counts.tolist() == [10, 10, 10]


def test_customers_of_a_leaver_get_a_colleague_who_stays() -> None:
    served = serve({"headcount": 10, "attrition": 0.9}, {}, np.linspace(0, 30, 200), seed=4)
    scenario = build({"cs": {"headcount": 10, "attrition": 0.9}})
    roster = build_roster("cs", scenario.cs, scenario, np.random.default_rng(4), 100)
    staying = set(roster.rep_ids[np.isinf(roster.left_at)].tolist())
    assert 0 < len(staying) < 10
    assert set(served.csm_id) <= staying


# ----------------------------------------------------------------------------- renewals and ARR


def test_renewals_with_expansion_compound_arr() -> None:
    term = 2 * DAYS_PER_MONTH
    served = serve({"headcount": 2},
                   {"contract_term": "2 months", "renewal": {"onboarded": 1.0,
                                                             "not_onboarded": 1.0},
                    "expansion": {"probability": 1.0, "size": 0.2},
                    "contraction": {"probability": 0.0, "size": 0.1}},
                   np.array([0.0, 100.0]), arr=np.array([10_000.0, 5_000.0]))
    horizon = 365.0
    for customer, (start, value) in enumerate(((0.0, 10_000.0), (100.0, 5_000.0))):
        renewals = math.ceil((horizon - start) / term) - 1  # term ends before the horizon
        assert served.renewals[customer] == renewals
        assert served.arr[customer] == pytest.approx(value * 1.2**renewals)
        kinds = [kind for kind, _ in events_of(served, customer)]
        assert kinds == ["new"] + ["renewal", "expansion"] * renewals
        assert sum(change for _, change in events_of(served, customer)) \
            == pytest.approx(served.arr[customer])
    times = [at for who, at in zip(served.event_customer, served.event_at, strict=True)
             if who == 0]
    np.testing.assert_allclose(sorted(set(times)), term * np.arange(0, 6))


def test_contraction_shrinks_and_never_below_zero() -> None:
    served = serve({"headcount": 2},
                   {"contract_term": "3 months", "renewal": {"onboarded": 1.0,
                                                             "not_onboarded": 1.0},
                    "expansion": {"probability": 0.0, "size": 0.2},
                    "contraction": {"probability": 1.0, "size": 0.15}},
                   np.array([0.0]))
    assert served.renewals[0] == 3
    assert served.arr[0] == pytest.approx(10_000 * 0.85**3)
    whole = serve({"headcount": 2},
                  {"contract_term": "3 months", "renewal": {"onboarded": 1.0,
                                                            "not_onboarded": 1.0},
                   "expansion": {"probability": 0.0, "size": 0.2},
                   "contraction": {"probability": 1.0, "size": 1.5}},
                  np.array([0.0]))
    assert whole.arr[0] == 0.0  # cut to nothing, never negative
    assert np.isnan(whole.churned_at[0])  # but not a churn: the contract renewed


def test_churn_at_term_end_books_the_whole_arr_out() -> None:
    served = serve({"headcount": 2},
                   {"contract_term": "4 months", "renewal": {"onboarded": 0.0,
                                                             "not_onboarded": 0.0}},
                   np.array([0.0, 300.0]))
    assert served.churned_at[0] == pytest.approx(4 * DAYS_PER_MONTH)
    assert served.arr[0] == 0.0
    assert events_of(served, 0) == [("new", 10_000.0), ("churn", -10_000.0)]
    # a contract ending after the horizon has not churned yet
    assert np.isnan(served.churned_at[1])
    assert served.arr[1] == 10_000.0
    assert events_of(served, 1) == [("new", 10_000.0)]


def test_renewal_chance_with_health_noise() -> None:
    """Each customer's chance is base + N(0, noise), clipped to [0, 1]: the renewal
    share is the mean of the clipped normal."""
    base, noise, n = 0.9, 0.2, 4000
    served = serve({"headcount": 1, "accounts_per_csm": 100_000, "onboarding_success": 1.0,
                    "onboarding_duration": "1 day"},
                   {"contract_term": "6 months", "health_noise": noise,
                    "renewal": {"onboarded": base, "not_onboarded": base}},
                   np.linspace(0.0, 30.0, n))
    renewed = np.asarray(served.renewals) >= 1
    chance, _ = integrate.quad(
        lambda x: min(max(base + x, 0.0), 1.0) * stats.norm.pdf(x, 0, noise), -2, 2)
    result = stats.binomtest(int(renewed.sum()), n, chance)
    print(f"renewed {renewed.mean():.4f}, expected {chance:.4f}")
    assert result.pvalue > 0.001
    # the noise matters: without clipping the share would be the base itself
    assert chance < base - 0.02


# ------------------------------------------------------------- the team's books, kept up


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 10.0, 30.4375, 45.0, 91.3125]),
                          st.sampled_from([math.inf, 40.0, 60.875, 200.0])),
                min_size=1, max_size=6),
       st.sampled_from([(), (0.5,), (0.0, 0.25, 0.5), (0.2, 0.2)]),
       st.lists(st.tuples(st.floats(0, 20), st.integers(0, 5), st.integers(-1, 1)),
                min_size=1, max_size=40))
def test_kept_books_match_a_scan_at_every_customer(
        spans: list[tuple[float, float]], ramp: tuple[float, ...],
        steps: list[tuple[float, int, int]]) -> None:
    """The employed CSMs, their capacity and the CSM with the lowest load for their
    book (ties: the first) are at every customer what a scan of the team gives."""
    starts = [start for start, _ in spans]
    ends = [start + length for start, length in spans]
    load = [0] * len(spans)
    team = success._Books(starts, ends, ramp, 40.0, load)
    now = 0.0
    for gap, csm, change in steps:
        now += gap
        csm %= len(spans)
        load[csm] = max(0, load[csm] + change)  # a customer arrives or churns
        team.load_changed(csm)
        team.advance(now)
        active = [c for c in range(len(spans)) if starts[c] <= now < ends[c]]
        books = [40.0 * success._ramped(ramp, (now - starts[c]) // DAYS_PER_MONTH)
                 for c in active]
        assert team.active == active
        assert team.capacity == sum(books)
        if sum(books) > 0:
            lowest, chosen = math.inf, -1
            for candidate, book in zip(active, books, strict=True):
                if book > 0 and load[candidate] / book < lowest:
                    chosen, lowest = candidate, load[candidate] / book
            assert team.lowest_load_for_book() == chosen
