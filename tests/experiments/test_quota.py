"""Setting quotas from simulated performance: the statistics, the answer, the guide."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import salesim
from salesim.experiments.quota import (
    ANSWER_COLUMNS,
    GUIDE_KEYS,
    QuotaAnswer,
    QuotaArgumentError,
    bootstrap_levels,
    find_quota,
    level_reached_by,
    quota_guide,
)

REPO = Path(__file__).resolve().parents[2]
MINIMAL = REPO / "scenarios" / "minimal.yaml"
# two AEs, no attrition, no ramp: each AE's quarterly quota is 50k and the quota
# capacity over the 6-month horizon is exactly 2 AEs x 2 quarters x 50k
WITH_QUOTA = ["meta.horizon=6 months", "ae.quota={amount: 50k, period: quarter}"]
CAPACITY = 200_000
REPS = 10


@pytest.fixture(scope="module")
def answers() -> dict[float, QuotaAnswer]:
    return {share: find_quota(MINIMAL, "ae", share, confidence=0.8, reps=REPS, seed=3,
                              workers=1, overrides=WITH_QUOTA)
            for share in (0.25, 0.75, 0.9)}


# ----------------------------------------------------------------------------- statistics


def test_level_reached_by_is_the_ceil_share_n_th_highest() -> None:
    values = np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    for share, expected in ((0.2, 5.0), (0.21, 4.0), (0.6, 3.0), (0.61, 2.0), (1.0, 1.0)):
        assert level_reached_by(values, share) == expected
        # at least `share` of the values reach it; a higher level is reached by fewer
        assert (values >= expected).mean() >= share
        assert (values > expected).mean() < share
    assert math.isnan(level_reached_by(np.array([]), 0.5))


def test_weights_count_as_repeated_values() -> None:
    rng = np.random.default_rng(5)
    values = rng.poisson(7, 40).astype(float)
    weights = rng.integers(0, 4, 40)
    repeated = np.repeat(values, weights)
    for share in (0.1, 0.5, 0.75, 0.93):
        assert level_reached_by(values, share, weights.astype(float)) == \
            level_reached_by(repeated, share)


def test_bootstrap_of_one_replication_is_its_level() -> None:
    values = np.arange(20, dtype=float)
    levels = bootstrap_levels([values], 0.75, 50, np.random.default_rng(0))
    assert (levels == level_reached_by(values, 0.75)).all()


def test_bootstrap_spread_shrinks_with_more_replications() -> None:
    rng = np.random.default_rng(1)
    few = [rng.poisson(10, 10).astype(float) for _ in range(10)]
    many = [rng.poisson(10, 10).astype(float) for _ in range(160)]
    draw = np.random.default_rng(2)
    spread_few = np.std(bootstrap_levels(few, 0.75, 400, draw))
    spread_many = np.std(bootstrap_levels(many, 0.75, 400, draw))
    assert spread_many < spread_few / 2  # about 1 / sqrt(16) of it


# ----------------------------------------------------------------------------- the answer


def test_higher_share_lower_quota(answers: dict[float, QuotaAnswer]) -> None:
    quotas = [answers[share].quota for share in sorted(answers)]
    assert quotas == sorted(quotas, reverse=True)
    assert quotas[0] > quotas[-1]
    for share, answer in answers.items():
        assert answer.share_reached >= share
        assert answer.quota_low <= answer.quota <= answer.quota_high


def test_answer_against_the_replications(answers: dict[float, QuotaAnswer]) -> None:
    answer = answers[0.75]
    assert (answer.team, answer.kind, answer.measure, answer.unit, answer.period) == (
        "ae", "ae", "bookings", "USD", "quarter")
    assert answer.reps == REPS
    assert answer.rep_periods == 4 * REPS
    assert answer.current_quota == pytest.approx(50_000)
    assert answer.current_target == pytest.approx(CAPACITY)
    assert answer.current_target_source.startswith("quota capacity")
    totals = answer.totals["total"].to_numpy()
    assert np.allclose(answer.totals["capacity"], CAPACITY)
    # the supported target: met in at least 80% of replications, a higher one in fewer
    assert (totals >= answer.company_target).mean() >= 0.8
    assert (totals > answer.company_target).mean() < 0.8
    assert answer.company_target_low <= answer.company_target <= answer.company_target_high
    chance = answer.current_probability
    assert chance is not None
    assert chance.hits == int((totals >= CAPACITY).sum())
    assert chance.n == REPS
    # the same replications as salesim.run: its bookings and its share at quota
    ensemble = salesim.run(salesim.load_scenario(MINIMAL, overrides=WITH_QUOTA), reps=REPS,
                           seed=3, workers=1, progress=False)
    assert np.allclose(np.sort(totals), np.sort(ensemble.replications["bookings"]))
    shares = ensemble.replications["ramped_share_at_quota_ae"].to_numpy()
    assert answer.current_share_spread == pytest.approx(
        tuple(np.quantile(shares, (0.1, 0.5, 0.9))))
    assert answer.current_share == pytest.approx(shares.mean())  # 4 rep-quarters in each


def test_company_target_given_and_tidy_table(answers: dict[float, QuotaAnswer]) -> None:
    given = find_quota(MINIMAL, "ae", 0.75, reps=3, seed=3, workers=1,
                       overrides=WITH_QUOTA, company_target=1.0)
    assert given.current_target == 1.0
    assert given.current_target_source == "as given"
    assert given.current_probability is not None
    assert given.current_probability.estimate == 1
    table = answers[0.75].table()
    assert tuple(table.columns) == ANSWER_COLUMNS
    assert list(table["item"]) == ["quota", "share_at_quota", "current_quota",
                                   "current_share_at_quota", "company_target",
                                   "current_company_target", "p_current_target_met"]
    assert table.set_index("item").loc["quota", "value"] == answers[0.75].quota


def test_without_a_quota_the_current_numbers_are_missing() -> None:
    answer = find_quota(MINIMAL, "ae", 0.5, reps=2, seed=1, workers=1)
    assert answer.current_quota is None
    assert answer.current_share is None
    assert answer.current_target is None
    assert answer.current_probability is None
    assert answer.quota > 0
    data = answer.to_dict()
    assert data["current_quota"] is None
    assert data["p_current_target_met"] is None
    assert math.isnan(answer.table().set_index("item").loc["current_quota", "value"])


def test_sdr_team_in_meetings_per_month() -> None:
    answer = find_quota(MINIMAL, "sdr", 0.75, reps=2, seed=1, workers=1)
    assert (answer.measure, answer.unit, answer.period) == ("meetings_held", "count", "year")
    monthly = find_quota(MINIMAL, "sdr", 0.75, reps=2, seed=1, workers=1, period="month")
    assert monthly.period == "month"
    assert monthly.rep_periods == 12 * answer.rep_periods
    assert monthly.quota < answer.quota
    assert float(monthly.quota).is_integer()


def test_precision_stops_at_the_most_replications() -> None:
    answer = find_quota(MINIMAL, "ae", 0.75, reps=3, seed=1, workers=1, precision=0.001,
                        overrides=WITH_QUOTA)
    assert answer.reps == 3
    assert answer.precision["met"] is False
    assert answer.precision["reps"] == 3


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"team": "nobody"}, "team"), ({"share": 1.0}, "share"), ({"share": 0}, "share"),
    ({"confidence": 1.5}, "confidence"), ({"period": "week"}, "period"),
    ({"reps": 0}, "reps"),
])
def test_bad_arguments(kwargs: dict[str, object], argument: str) -> None:
    arguments: dict[str, object] = {"team": "ae", "reps": 1, "workers": 1, **kwargs}
    with pytest.raises(QuotaArgumentError) as caught:
        find_quota(MINIMAL, **arguments)  # type: ignore[arg-type]
    assert caught.value.argument == argument


def test_no_whole_period_in_the_horizon() -> None:
    with pytest.raises(QuotaArgumentError, match="fully ramped through a whole year"):
        find_quota(MINIMAL, "ae", reps=1, workers=1, overrides=["meta.start=2027-03-01"],
                   period="year")


# ----------------------------------------------------------------------------- the guide


def test_quota_guide_per_team() -> None:
    scenario = salesim.load_scenario(MINIMAL, overrides=[
        *WITH_QUOTA, "sdr.quota={amount: 10, period: month}"])
    frame = pd.DataFrame({"ramped_share_at_quota_ae": [0.7, 0.8, 0.9, 0.6, 0.75],
                          "ramped_share_at_quota_sdr": [np.nan] * 5})
    sdr, ae = quota_guide(frame, scenario)
    assert tuple(ae) == GUIDE_KEYS
    assert (ae["team"], ae["period"], ae["p50"], ae["verdict"]) == ("ae", "quarter", 0.75,
                                                                   "within")
    assert ae["p_in_guide"] == pytest.approx(0.6)  # 0.7, 0.8 and 0.75: the ends count
    assert ae["mean"] == pytest.approx(0.75)
    assert (sdr["period"], sdr["p50"], sdr["p_in_guide"], sdr["verdict"]) == (
        "month", None, None, "-")
