"""Runs to a precision: order-statistic intervals by hand, and the stopping rule."""

import numpy as np
import pandas as pd
import pytest

import salesim
from salesim.experiments import montecarlo
from salesim.experiments.montecarlo import run
from salesim.experiments.precision import (
    FIRST_BATCH,
    next_size,
    quantile_interval,
    relative_precision,
)

from .test_montecarlo import MINIMAL, fake_replication


def test_median_interval_by_hand() -> None:
    values = np.arange(1.0, 101.0)  # 1..100
    estimate, low, high = quantile_interval(values, 0.5)
    # Binomial(100, 0.5): 2.5% and 97.5% points 40 and 60, so x(40) and x(61)
    assert (estimate, low, high) == (50.5, 40.0, 61.0)


def test_interval_covers_the_true_quantile() -> None:
    rng = np.random.default_rng(1)
    covered = 0
    for _ in range(400):
        _, low, high = quantile_interval(rng.exponential(1.0, 200), 0.9)
        covered += low <= np.log(10) <= high
    assert covered / 400 >= 0.92  # at least 95% in theory; room for chance


def test_relative_precision_names_the_worst_quantile() -> None:
    wide_tail = np.concatenate([np.full(500, 100.0), np.linspace(1.0, 100.0, 500)])
    worst, where = relative_precision({"flat": np.full(300, 5.0), "mixed": wide_tail})
    assert where == "mixed P10"
    assert worst > 0.05
    assert relative_precision({"zero": np.zeros(50)}) == (0.0, "zero P10")


def test_next_size_grows_within_bounds() -> None:
    assert next_size(100, 0.05, 0.01, 10_000) == 400      # at most four times
    assert next_size(1000, 0.0101, 0.01, 10_000) == 1123   # ceil(1000 * 1.0201 * 1.1)
    assert next_size(1000, 0.02, 0.01, 1500) == 1500      # never beyond the cap


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(montecarlo, "run_replication", fake_replication)


@pytest.mark.usefixtures("fake_engine")
def test_runs_until_precise_then_stops() -> None:
    scenario = salesim.load_scenario(MINIMAL)
    ensemble = run(scenario, reps=5000, seed=2, workers=1, progress=False, precision=0.15,
                   precision_metrics=["bookings"])
    reached = ensemble.info["precision"]
    n = ensemble.reps
    assert reached["met"]
    assert reached["reps"] == n
    assert FIRST_BATCH < n < 5000
    bookings = ensemble.replications["bookings"].to_numpy()
    assert relative_precision({"bookings": bookings})[0] == reached["reached"] <= 0.15
    # the schedule's previous size was not precise enough yet
    sizes = [FIRST_BATCH]
    while sizes[-1] < n:
        worst = relative_precision({"bookings": bookings[:sizes[-1]]})[0]
        assert worst > 0.15
        sizes.append(next_size(sizes[-1], worst, 0.15, 5000))
    assert sizes[-1] == n
    # the first n replications of a fixed-count run
    fixed = run(scenario, reps=n, seed=2, workers=1, progress=False)
    pd.testing.assert_frame_equal(ensemble.replications, fixed.replications)
    pd.testing.assert_frame_equal(ensemble.kpis, fixed.kpis)


@pytest.mark.usefixtures("fake_engine")
def test_the_cap_wins_and_says_so() -> None:
    ensemble = run(MINIMAL, reps=150, seed=2, workers=1, progress=False, precision=0.001,
                   precision_metrics=["bookings"])
    assert ensemble.reps == 150
    assert not ensemble.info["precision"]["met"]


def test_bad_precision() -> None:
    with pytest.raises(ValueError, match="precision"):
        run(MINIMAL, reps=10, workers=1, precision=1.5)
