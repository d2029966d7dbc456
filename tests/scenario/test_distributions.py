"""Distributions: business parameters mean what they say, samplers match their analytics.

Tolerances come from the sample size, not from magic numbers: a stated quantile is
checked with the binomial count of samples below it, a mean with the standard
error of the mean, and the whole shape with a Kolmogorov-Smirnov test, each at a
99.9% level with a fixed seed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy import stats

from salesim.scenario.distributions import Distribution, Sampler
from salesim.scenario.fields import DurationDist, MoneyDist, NumberDist

N = 200_000
Z = float(stats.norm.ppf(1 - 0.001 / 2))  # two-sided 99.9%
Z90 = float(stats.norm.ppf(0.9))
ALPHA = 0.001


def draw(sampler: Sampler, seed: int = 20270101, n: int = N) -> np.ndarray:
    return sampler.sample(np.random.default_rng(seed), n)


def assert_quantile(samples: np.ndarray, q: float, value: float) -> None:
    """The share of samples at or below ``value`` is ``q`` up to binomial noise."""
    n = len(samples)
    below = int(np.count_nonzero(samples <= value))
    assert abs(below - n * q) <= Z * math.sqrt(n * q * (1 - q)), (below / n, q)


def assert_mean(samples: np.ndarray, mean: float, variance: float) -> None:
    standard_error = math.sqrt(variance / len(samples))
    assert abs(samples.mean() - mean) <= Z * standard_error, (samples.mean(), mean)


def assert_variance(samples: np.ndarray, variance: float) -> None:
    """Sample variance against ``variance``, with the standard error (m4 - s^4) / n."""
    centred = samples - samples.mean()
    m4 = float(np.mean(centred**4))
    s2 = float(samples.var(ddof=1))
    standard_error = math.sqrt(max(m4 - s2**2, 0.0) / len(samples))
    assert abs(s2 - variance) <= Z * standard_error, (s2, variance)


def assert_follows(samples: np.ndarray, cdf: Any) -> None:
    result = stats.kstest(samples, cdf)
    assert result.pvalue > ALPHA, result


# ----------------------------------------------------------------------------- business terms

# (family spec as written, quantity type, scipy distribution it must equal, stated facts)
# The scipy reference is built independently from the business parameters.
LOGNORMAL_SIGMA = math.log(30 / 12) / Z90

CASES: list[tuple[str, Any, dict[str, Any], Any, dict[str, float]]] = [
    ("lognormal median+p90 money", MoneyDist,
     {"lognormal": {"median": "12k", "p90": "30k"}},
     stats.lognorm(LOGNORMAL_SIGMA, scale=12_000), {"median": 12_000, "p90": 30_000}),
    ("lognormal median+p90 duration", DurationDist,
     {"lognormal": {"median": "2 weeks", "p90": "5 weeks"}},
     stats.lognorm(math.log(35 / 14) / Z90, scale=14), {"median": 14, "p90": 35}),
    ("lognormal median+sigma", NumberDist, {"lognormal": {"median": 1.0, "sigma": 0.2}},
     stats.lognorm(0.2, scale=1.0), {"median": 1.0}),
    ("lognormal mean+cv", MoneyDist, {"lognormal": {"mean": "40k", "cv": 0.8}},
     stats.lognorm(math.sqrt(math.log1p(0.64)), scale=40_000 / math.sqrt(1.64)),
     {"mean": 40_000, "cv": 0.8}),
    ("lognormal mu+sigma", NumberDist, {"lognormal": {"mu": 0.5, "sigma": 0.4}},
     stats.lognorm(0.4, scale=math.exp(0.5)), {"median": math.exp(0.5)}),
    ("gamma mean+cv business days", DurationDist,
     {"gamma": {"mean": "5 business days", "cv": 0.5}},
     stats.gamma(4, scale=7 / 4), {"mean": 7.0, "cv": 0.5}),
    ("gamma mean+sd", MoneyDist, {"gamma": {"mean": "24k", "sd": "12k"}},
     stats.gamma(4, scale=6_000), {"mean": 24_000, "cv": 0.5}),
    ("gamma shape+scale", DurationDist, {"gamma": {"shape": 2, "scale": "3 days"}},
     stats.gamma(2, scale=3), {"mean": 6.0}),
    ("exponential", DurationDist, {"exponential": {"mean": "4 h"}},
     stats.expon(scale=4 / 24), {"mean": 4 / 24, "median": math.log(2) * 4 / 24}),
    ("triangular", DurationDist,
     {"triangular": {"low": "1 week", "mode": "2 weeks", "high": "6 weeks"}},
     stats.triang(7 / 35, loc=7, scale=35), {"mean": (7 + 14 + 42) / 3}),
    ("uniform", MoneyDist, {"uniform": {"low": "10k", "high": "20k"}},
     stats.uniform(loc=10_000, scale=10_000), {"mean": 15_000, "median": 15_000}),
    ("normal far from zero", DurationDist, {"normal": {"mean": "10 days", "sd": "2 days"}},
     stats.truncnorm(-5, np.inf, loc=10, scale=2), {}),
    ("normal cut at zero", NumberDist, {"normal": {"mean": 1.0, "sd": 2.0}},
     stats.truncnorm(-0.5, np.inf, loc=1, scale=2), {}),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "kind", "spec", "reference", "facts"), CASES, ids=IDS)
def test_samples_follow_the_business_parameters(name: str, kind: Any, spec: dict[str, Any],
                                                reference: Any, facts: dict[str, float]) -> None:
    sampler = kind.model_validate(spec).sampler()
    samples = draw(sampler)
    assert_follows(samples, reference.cdf)
    if "median" in facts:
        assert_quantile(samples, 0.5, facts["median"])
    if "p90" in facts:
        assert_quantile(samples, 0.9, facts["p90"])
    if "mean" in facts:
        assert_mean(samples, facts["mean"], float(reference.var()))
    if "cv" in facts:
        assert math.sqrt(sampler.variance) / sampler.mean == pytest.approx(facts["cv"])


@pytest.mark.parametrize(("name", "kind", "spec", "reference", "facts"), CASES, ids=IDS)
def test_analytic_moments_and_quantiles(name: str, kind: Any, spec: dict[str, Any],
                                        reference: Any, facts: dict[str, float]) -> None:
    sampler = kind.model_validate(spec).sampler()
    assert sampler.mean == pytest.approx(float(reference.mean()), rel=1e-9)
    assert sampler.variance == pytest.approx(float(reference.var()), rel=1e-9)
    for q in (0.1, 0.5, 0.9):
        assert sampler.quantile(q) == pytest.approx(float(reference.ppf(q)), rel=1e-9)
    if "median" in facts:
        assert sampler.quantile(0.5) == pytest.approx(facts["median"], rel=1e-9)
    if "p90" in facts:
        assert sampler.quantile(0.9) == pytest.approx(facts["p90"], rel=1e-9)
    if "mean" in facts:
        assert sampler.mean == pytest.approx(facts["mean"], rel=1e-9)


@pytest.mark.parametrize(("name", "kind", "spec", "reference", "facts"), CASES, ids=IDS)
def test_samples_match_the_samplers_own_mean_and_variance(
        name: str, kind: Any, spec: dict[str, Any], reference: Any, facts: dict[str, float]
) -> None:
    sampler = kind.model_validate(spec).sampler()
    samples = draw(sampler, seed=7)
    assert_mean(samples, sampler.mean, sampler.variance)
    assert_variance(samples, sampler.variance)


@pytest.mark.parametrize(("name", "kind", "spec", "reference", "facts"), CASES, ids=IDS)
def test_quantile_is_vectorised_and_inverts_the_cdf(
        name: str, kind: Any, spec: dict[str, Any], reference: Any, facts: dict[str, float]
) -> None:
    """``quantile`` takes an array of any shape and gives each element's quantile, so
    ``quantile(uniforms)`` samples the distribution by inversion."""
    sampler = kind.model_validate(spec).sampler()
    q = np.linspace(0.0, 0.999, 3000).reshape(100, 30)
    values = sampler.quantile(q)
    assert values.shape == q.shape
    np.testing.assert_allclose(values, reference.ppf(q), rtol=1e-9, atol=1e-12)
    assert [sampler.quantile(float(x)) for x in q[7]] == values[7].tolist()
    assert_follows(sampler.quantile(np.random.default_rng(5).random(N)), reference.cdf)


def test_quantile_of_fixed_and_empirical_arrays() -> None:
    fixed = DurationDist.model_validate("3 business days").sampler()
    values = fixed.quantile(np.array([[0.0, 0.5], [0.9, 0.99]]))
    assert values.shape == (2, 2)
    assert (values == fixed.mean).all()
    empirical = NumberDist.model_validate({"empirical": {
        "values": [0.5, 0.0, 0.1, 0.2, 9.0], "weights": [2, 0, 5, 3, 0]}}).sampler()
    q = np.array([0.0, 0.4, 0.5, 0.6, 0.8, 0.95, 0.999999])
    assert empirical.quantile(q).tolist() == [0.1, 0.1, 0.1, 0.2, 0.2, 0.5, 0.5]
    assert empirical.quantile(0.5) == 0.1
    # by inversion each value comes up with its weight; weight zero never does
    samples = empirical.quantile(np.random.default_rng(3).random(N))
    assert set(np.unique(samples)) == {0.1, 0.2, 0.5}
    counts = np.array([np.count_nonzero(samples == v) for v in (0.1, 0.2, 0.5)])
    assert stats.chisquare(counts, np.array([0.5, 0.3, 0.2]) * N).pvalue > ALPHA


def test_fixed_value() -> None:
    sampler = DurationDist.model_validate("3 business days").sampler()
    assert sampler.family == "fixed"
    assert sampler.mean == pytest.approx(4.2)
    assert sampler.variance == 0
    assert sampler.quantile(0.5) == pytest.approx(4.2)
    assert np.all(draw(sampler, n=100) == pytest.approx(4.2))


def test_empirical_with_weights() -> None:
    spec = NumberDist.model_validate({"empirical": {"values": [0.1, 0.2, 0.5],
                                                    "weights": [5, 3, 2]}})
    sampler = spec.sampler()
    probabilities = np.array([0.5, 0.3, 0.2])
    values = np.array([0.1, 0.2, 0.5])
    mean = float(values @ probabilities)
    assert sampler.mean == pytest.approx(mean)
    assert sampler.variance == pytest.approx(float(((values - mean) ** 2) @ probabilities))
    assert sampler.quantile(0.4) == 0.1
    assert sampler.quantile(0.5) == 0.1
    assert sampler.quantile(0.6) == 0.2
    assert sampler.quantile(0.95) == 0.5
    samples = draw(sampler)
    assert set(np.unique(samples)) == {0.1, 0.2, 0.5}
    counts = np.array([np.count_nonzero(samples == v) for v in values])
    chi = stats.chisquare(counts, probabilities * len(samples))
    assert chi.pvalue > ALPHA
    assert_mean(samples, sampler.mean, sampler.variance)


def test_empirical_without_weights_is_uniform_over_values() -> None:
    sampler = DurationDist.model_validate({"empirical": {"values": ["1 day", "1 week"]}}
                                          ).sampler()
    assert sampler.probabilities == (0.5, 0.5)
    assert sampler.values == (1.0, 7.0)
    assert sampler.mean == pytest.approx(4.0)


# ----------------------------------------------------------------------------- truncated normal


@pytest.mark.parametrize(("mean", "sd"), [(1.0, 5.0), (0.0, 1.0), (-10.0, 1.0), (-40.0, 1.0),
                                          (5.0, 0.0), (-5.0, 0.0)])
def test_truncated_normal_is_never_negative_nor_infinite(mean: float, sd: float) -> None:
    sampler = NumberDist.model_validate({"normal": {"mean": mean, "sd": sd}}).sampler()
    samples = draw(sampler, n=100_000)
    assert np.all(np.isfinite(samples))
    assert samples.min() >= 0
    assert sampler.mean >= 0
    assert np.isfinite(sampler.mean)


def test_normal_with_zero_spread_is_its_mean() -> None:
    sampler = NumberDist.model_validate({"normal": {"mean": 3.0, "sd": 0}}).sampler()
    assert sampler.mean == 3.0
    assert sampler.variance == 0.0
    assert sampler.quantile(0.9) == 3.0


@settings(max_examples=60, deadline=None)
@given(mean=st.floats(-50, 50), sd=st.floats(0, 50), seed=st.integers(0, 2**32 - 1))
def test_truncated_normal_never_negative_for_any_parameters(mean: float, sd: float,
                                                            seed: int) -> None:
    sampler = NumberDist.model_validate({"normal": {"mean": mean, "sd": sd}}).sampler()
    samples = sampler.sample(np.random.default_rng(seed), 2_000)
    assert np.all(np.isfinite(samples))
    assert samples.min() >= 0


# ----------------------------------------------------------------------------- written forms


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"lognormal": {"median": "30k", "p90": "12k"}}, "p90 must be greater than the median"),
        ({"lognormal": {"median": "12k"}}, "give exactly one parameter set"),
        ({"gamma": {"mean": "12k"}}, r"\{mean, cv\} or \{mean, sd\} or \{shape, scale\}"),
        ({"gamma": {"mean": "12k", "cv": 0.5, "sd": "6k"}}, "give exactly one parameter set"),
        ({"gamma": {"mean": 0, "cv": 0.5}}, "mean must be greater than zero"),
        ({"gamma": {"mean": "12k", "cv": 0}}, "greater than 0"),
        ({"exponential": {"mean": 0}}, "mean must be greater than zero"),
        ({"triangular": {"low": 5, "mode": 1, "high": 9}}, "low <= mode <= high"),
        ({"triangular": {"low": 5, "mode": 5, "high": 5}}, "low < high"),
        ({"uniform": {"low": 9, "high": 1}}, "needs low < high"),
        ({"empirical": {"values": [1, 2], "weights": [1]}}, "has 2 values but 1 weights"),
        ({"empirical": {"values": [1, 2], "weights": [0, 0]}}, "positive sum"),
        ({"empirical": {"values": []}}, "at least 1 item"),
        ({"gamma": {"mean": 3, "cv": 1}, "lognormal": {"median": 2, "p90": 3}},
         "name exactly one distribution family.*got gamma, lognormal"),
        ({}, "got none"),
        ({"gama": {"mean": 3, "cv": 1}}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_distributions(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MoneyDist.model_validate(spec)


def test_normal_sd_cannot_be_negative() -> None:
    with pytest.raises(ValidationError, match="sd cannot be negative"):
        NumberDist.model_validate({"normal": {"mean": 1.0, "sd": -1.0}})


def test_duration_parameters_in_different_units_compare_in_days() -> None:
    spec = DurationDist.model_validate({"lognormal": {"median": "1 week", "p90": "10 days"}})
    assert spec.sampler().quantile(0.9) == pytest.approx(10.0)
    with pytest.raises(ValidationError, match="p90 must be greater"):
        DurationDist.model_validate({"lognormal": {"median": "1 month", "p90": "3 weeks"}})


@pytest.mark.parametrize(
    ("kind", "spec", "written"),
    [
        (MoneyDist, "12k", 12_000.0),
        (DurationDist, {"fixed": "2 weeks"}, "2 weeks"),
        (MoneyDist, {"gamma": {"mean": "24k", "cv": 0.5}},
         {"gamma": {"mean": 24_000.0, "cv": 0.5}}),
        (DurationDist, {"lognormal": {"median": "3営業日", "p90": "2 weeks"}},
         {"lognormal": {"median": "3 business days", "p90": "2 weeks"}}),
    ],
)
def test_compact_written_form(kind: Any, spec: Any, written: Any) -> None:
    dumped = kind.model_validate(spec).model_dump(mode="json")
    assert dumped == written
    assert kind.model_validate(dumped) == kind.model_validate(spec)


def test_family_names_the_chosen_family() -> None:
    assert NumberDist.model_validate(1.0).family == "fixed"
    assert NumberDist.model_validate({"uniform": {"low": 0, "high": 1}}).family == "uniform"
    assert issubclass(NumberDist, Distribution)


# Mean and variance of a standard normal cut at alpha, above the cut, from the Laplace
# continued fraction for the Mills ratio in 60-digit decimal arithmetic.
DEEP_CUTS = [
    (29.99, 0.0332707088050005003584983897634, 0.00110450287364785642604449492918),
    (30.01, 0.0332486333723473858728557496748, 0.00110304087472617765416444552760),
    (38.0, 0.0262794665758689875221924592544, 0.000689659753466258868973695585879),
    (50.0, 0.0199840319056398094115935171034, 0.000399043186803899547909927226536),
]


@pytest.mark.parametrize(("alpha", "mean", "variance"), DEEP_CUTS)
def test_truncated_normal_moments_stay_exact_for_deep_cuts(alpha: float, mean: float,
                                                           variance: float) -> None:
    sampler = NumberDist.model_validate({"normal": {"mean": -alpha, "sd": 1}}).sampler()
    assert sampler.mean == pytest.approx(mean, rel=1e-9)
    assert sampler.variance == pytest.approx(variance, rel=1e-9)
    samples = draw(sampler)
    assert_mean(samples, sampler.mean, sampler.variance)
    assert_variance(samples, sampler.variance)
