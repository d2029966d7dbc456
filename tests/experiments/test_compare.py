"""compare(): paired differences on common seeds, checked by hand arithmetic and on the
real engine (a slight change in AE conversion)."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import salesim
from salesim.experiments.compare import (
    COMPARISON_COLUMNS,
    Comparison,
    compare,
    paired_difference,
)
from salesim.experiments.compare_command import build_plans, parse_variants

MINIMAL = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.yaml"


def test_paired_difference_by_hand() -> None:
    a = np.array([100.0, 120.0, 90.0, 110.0, 105.0])
    b = a + np.array([5.0, 7.0, 4.0, 6.0, -1.0])
    d = paired_difference(a, b)
    differences = b - a
    t = stats.t.ppf(0.975, 4)
    half = t * differences.std(ddof=1) / math.sqrt(5)
    assert d.difference == pytest.approx(4.2)
    assert (d.ci_low, d.ci_high) == (pytest.approx(4.2 - half), pytest.approx(4.2 + half))
    assert d.p_better == pytest.approx(0.8)
    independent = t * math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 5)
    assert d.width_ratio == pytest.approx(independent / half)
    lower = paired_difference(a, b, lower_is_better=True)
    assert lower.p_better == pytest.approx(0.2)


def test_paired_difference_leaves_out_missing_pairs() -> None:
    d = paired_difference([1.0, np.nan, 3.0], [2.0, 5.0, np.nan])
    assert (d.n, d.difference) == (1, 1.0)
    assert math.isnan(d.ci_low)
    assert paired_difference([np.nan], [np.nan]).n == 0
    assert paired_difference([1.0, 2.0], [1.0, 2.0]).width_ratio == math.inf


@pytest.fixture(scope="module")
def slight_change() -> Comparison:
    base = salesim.load_scenario(MINIMAL)
    better = salesim.load_scenario(MINIMAL, overrides={"ae.stages.proposal.conversion": "42%"})
    return compare({"base": base, "better": better}, reps=20, seed=0, workers=1,
                   progress=False)


def test_pairing_narrows_the_interval_at_least_three_times(slight_change: Comparison) -> None:
    table = slight_change.table()
    assert list(table.columns) == list(COMPARISON_COLUMNS)
    row = table.set_index("metric").loc["bookings"]
    assert row["difference"] > 0
    assert row["width_ratio"] >= 3
    # the independent-runs width really is what two independent runs would give
    base = slight_change.ensembles["base"].replications["bookings"]
    better = slight_change.ensembles["better"].replications["bookings"]
    assert row["independent_half_width"] == pytest.approx(
        stats.t.ppf(0.975, 19) * math.sqrt((base.var() + better.var()) / 20))
    # the same seeds: the plans share every replication seed
    pd.testing.assert_series_equal(slight_change.ensembles["base"].replications["seed"],
                                   slight_change.ensembles["better"].replications["seed"])
    # leads are not touched by the change: identical in every replication
    leads = table.set_index("metric").loc["leads"]
    assert (leads["difference"], leads["paired_half_width"]) == (0.0, 0.0)


def test_summaries_side_by_side(slight_change: Comparison) -> None:
    summaries = slight_change.summaries()
    assert set(summaries["plan"]) == {"base", "better"}
    assert list(summaries.columns) == ["plan", "metric", "mean", "p10", "p50", "p90"]


def test_plans_named_from_files_made_unique() -> None:
    plans, origins = build_plans([MINIMAL, MINIMAL], ["hc=ae.headcount=3"], ["sdr.headcount=3"])
    assert list(plans) == ["Minimal", "Minimal (2)", "hc"]
    assert plans["hc"].ae.headcount == 3
    assert all(plan.sdr.headcount == 3 for plan in plans.values())
    assert origins["hc"]["overrides"] == ["sdr.headcount=3", "ae.headcount=3"]


@pytest.mark.parametrize("text", ["early", "early=ae.headcount", "=ae.headcount=3"])
def test_bad_variants(text: str) -> None:
    with pytest.raises(ValueError, match="NAME=KEY=VALUE"):
        parse_variants([text])


def test_one_plan_is_not_a_comparison() -> None:
    with pytest.raises(ValueError, match="two plans"):
        build_plans([MINIMAL], [], [])
