"""The variance decomposition: estimators against known splits, and a run whose one
uncertain assumption has a known effect."""

from __future__ import annotations

import math

import numpy as np
import pytest

from salesim.experiments import run
from salesim.experiments.montecarlo import assumption_seeds
from salesim.experiments.variance import Z90, decompose
from salesim.scenario import loads_scenario

# Leads in one month from one channel are Poisson(leads_per_month): with the volume
# uncertain, Var(E[leads | volume]) = Var(volume) and E[Var(leads | volume)] = E[volume].
KNOWN = """
meta: {name: Known, start: 2027-01-01, horizon: 1 month}
segments: {smb: {share: 100%, deal_size: 12k}}
channels: {inbound: {leads_per_month: 100}}
sdr: {headcount: 1}
ae: {headcount: 1, stages: {discovery: {conversion: 50%, duration: 2 weeks}}}
cs: {headcount: 1}
"""
UNCERTAIN = "uncertain:\n  channels.inbound.leads_per_month: {normal: {mean: 100, sd: 25}}\n"
VOLUME = "channels.inbound.leads_per_month"


def test_nested_estimator_recovers_a_known_split() -> None:
    rng = np.random.default_rng(5)
    groups, inner = 3000, 3
    effect = rng.normal(0, 2, groups)           # assumptions: variance 4
    values = np.repeat(effect, inner) + rng.normal(0, 1, groups * inner)  # chance: 1
    labels = np.repeat(np.arange(groups), inner)
    split = decompose(values, np.repeat(effect, inner)[:, None], labels)
    assert split.method == "nested"
    # standard errors: about 0.11 for the assumptions' variance, 0.02 for chance
    assert split.assumptions == pytest.approx(4, abs=0.35)
    assert split.chance == pytest.approx(1, abs=0.06)
    assert split.share_assumptions == pytest.approx(0.8, abs=0.03)


def test_nested_estimator_takes_unequal_groups() -> None:
    values = np.array([1.0, 3.0, 10.0, 12.0, 14.0])
    split = decompose(values, np.zeros((5, 1)), np.array([0, 0, 1, 1, 1]))
    # by hand: group means 2 and 12; MSW = (1+1+4+0+4)/3 = 10/3;
    # MSB = (2*(2-8)^2 + 3*(12-8)^2)/1 = 120; n0 = (5 - 13/5)/1 = 2.4
    assert split.chance == pytest.approx(10 / 3)
    assert split.assumptions == pytest.approx((120 - 10 / 3) / 2.4)


def test_regression_estimator_recovers_a_quadratic_effect() -> None:
    rng = np.random.default_rng(9)
    theta = rng.uniform(-1, 1, (20_000, 2))
    values = 3 * theta[:, 0] + 2 * theta[:, 1] ** 2 + rng.normal(0, 1, 20_000)
    split = decompose(values, theta)
    # Var(3U) = 3, Var(2U^2) = 4 (E[U^4] - E[U^2]^2) = 4 (1/5 - 1/9) = 16/45
    assert split.method == "regression"
    assert split.assumptions == pytest.approx(3 + 16 / 45, rel=0.03)
    assert split.chance == pytest.approx(1, rel=0.03)


def test_bands_follow_the_normal_spread() -> None:
    split = decompose(np.array([0.0, 1.0, 0.0, 1.0]), np.zeros((4, 1)), np.array([0, 0, 1, 1]))
    assert split.assumptions == 0
    assert split.chance == pytest.approx(0.5)
    assert split.band_chance == pytest.approx(2 * Z90 * math.sqrt(0.5))
    assert split.band_widening == pytest.approx(0.0)


def test_assumption_seeds_group_replications() -> None:
    assert assumption_seeds([5, 6, 7], 1) == [None, None, None]
    assert assumption_seeds([5, 6, 7, 8, 9], 3) == [5, 5, 5, 8, 8]
    with pytest.raises(ValueError, match="inner"):
        assumption_seeds([5], 0)


def test_the_band_widens_by_the_amount_the_decomposition_reports() -> None:
    reps = 120
    fixed = run(loads_scenario(KNOWN), reps=reps, seed=2, workers=1, progress=False)
    unsure = run(loads_scenario(KNOWN + UNCERTAIN), reps=reps, seed=2, workers=1,
                 progress=False, inner=2)
    assert fixed.variance() is None
    assert fixed.assumptions is None
    drawn = unsure.assumptions
    assert drawn is not None
    assert list(drawn.columns) == ["replication", "assumption_seed",
                                                         VOLUME]
    # pairs of replications share a draw, and its value is what the run used
    volume = drawn[VOLUME].to_numpy()
    assert (volume[0::2] == volume[1::2]).all()
    assert len(np.unique(volume)) == reps // 2
    table = unsure.variance()
    assert table is not None
    leads = table.set_index("metric").loc["leads"]
    assert leads["method"] == "nested"
    assert leads["n"] == reps

    # the known answer: Var(E[leads | volume]) is the variance of the drawn volumes
    # and E[Var(leads | volume)] their mean (Poisson). Relative standard errors with
    # 60 draws of two replications: about 7% (chance in the pair means) and 18%.
    per_draw = volume[0::2]
    assert leads["assumptions"] == pytest.approx(per_draw.var(ddof=1), rel=0.2)
    assert leads["chance"] == pytest.approx(per_draw.mean(), rel=0.45)
    # ... and against the prior: Var = 25^2 (relative standard error of 60 draws: 18%)
    assert leads["assumptions"] == pytest.approx(625, rel=0.45)

    # The run without uncertain values shows chance alone; with them the P10-P90 band
    # widens by what the decomposition reports.
    def band(values: np.ndarray) -> float:
        return float(np.quantile(values, 0.9) - np.quantile(values, 0.1))

    without = band(fixed.replications["leads"].to_numpy())
    with_assumptions = band(unsure.replications["leads"].to_numpy())
    assert without == pytest.approx(2 * Z90 * math.sqrt(100), rel=0.2)
    assert with_assumptions - without == pytest.approx(leads["band_widening"], rel=0.2)
    assert leads["band_chance"] == pytest.approx(without, rel=0.3)


def test_summary_json_carries_the_decomposition() -> None:
    ensemble = run(loads_scenario(KNOWN + UNCERTAIN), reps=6, seed=1, workers=1,
                   progress=False)
    content = ensemble.to_dict()
    assert content["assumptions"] == [VOLUME]
    leads = content["variance"]["leads"]
    assert leads["method"] == "regression"
    assert leads["n"] == 6
    assert leads["variance"] == pytest.approx(
        float(np.var(ensemble.replications["leads"], ddof=1)))
    assert leads["assumptions"] + leads["chance"] == pytest.approx(leads["variance"])


def test_metrics_use_the_values_each_replication_drew() -> None:
    # an uncertain quota: attainment divides by the quota the replication drew
    scenario = loads_scenario(KNOWN.replace("horizon: 1 month", "horizon: 3 months").replace(
        "ae: {headcount: 1,", "ae: {headcount: 1, quota: {amount: 100k, period: year},")
        + "uncertain:\n  ae.quota.amount: {range: [50k, 150k]}\n")
    ensemble = run(scenario, reps=4, seed=3, workers=1, progress=False)
    assert ensemble.assumptions is not None
    quota = ensemble.assumptions["ae.quota.amount"].to_numpy()
    bookings = ensemble.replications["bookings"].to_numpy()
    attainment = ensemble.replications["ae_attainment_mean"].to_numpy()
    # one fully ramped AE over January to March 2027 (90 days) of a yearly quota
    expected = bookings / (quota * 90 / 365.25)
    assert len(np.unique(quota)) == 4
    assert (bookings > 0).all()
    assert attainment == pytest.approx(expected, rel=0.02)
