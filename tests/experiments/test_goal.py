"""seek_goal() on a scenario whose answer is exact by construction: AEs leave after an
exponential time (no backfill, no hires), so the AEs left at the end of the year are
Binomial(headcount, survival), and the smallest headcount with P(at least 10 left) >=
75% follows from the binomial distribution."""

import math
from pathlib import Path

import pytest
from scipy import stats

from salesim.experiments.goal import EVALUATION_COLUMNS, describe, seek_goal

ATTRITION = 0.05
EXACT = f"""\
meta: {{name: Attrition, start: 2027-01-01, horizon: 12 months}}
segments:
  smb: {{share: 100%, deal_size: 10k}}
channels:
  inbound: {{leads_per_month: 1}}
sdr: {{headcount: 1}}
ae:
  headcount: 20
  attrition: {ATTRITION:.0%}
  backfill: {{enabled: false}}
  stages:
    discovery: {{conversion: 50%, duration: 1 week}}
cs: {{headcount: 1}}
"""


@pytest.fixture(scope="module")
def exact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("goal") / "attrition.yaml"
    path.write_text(EXACT)
    return path


def test_finds_the_binomial_threshold(exact: Path) -> None:
    survival = math.exp(math.log(1 - ATTRITION) / 365.25 * 365)  # 365 days in 2027
    chance = [stats.binom.sf(9, n, survival) for n in range(41)]
    answer = next(n for n in range(41) if chance[n] >= 0.75)
    assert answer == 11  # 0.60 at 10 and 0.90 at 11: well apart, so the test is decisive

    goal = seek_goal(exact, "ae.headcount=1..24", "headcount_end_ae", 10, probability=0.75,
                     workers=1)
    assert (goal.value, goal.below) == (answer, answer - 1)
    assert goal.confident
    assert goal.at_value is not None
    assert goal.at_below is not None
    assert goal.at_value.low >= 0.75 > goal.at_below.high
    assert goal.at_value.low <= chance[answer] <= goal.at_value.high
    table = goal.evaluations
    assert list(table.columns) == list(EVALUATION_COLUMNS)
    # far candidates are settled by the first batch; the replications go near the answer
    far = table[(table["value"] - answer).abs() > 3]
    assert set(far["reps"]) == {20}
    assert table.loc[table["value"].isin([answer - 1, answer]), "reps"].min() > 20
    assert goal.reps_total == table["reps"].sum() < 6 * 400
    assert describe(goal).startswith(
        "smallest ae.headcount with P(headcount_end_ae >= 10) >= 75%: 11")


def test_goal_out_of_reach(exact: Path) -> None:
    goal = seek_goal(exact, "ae.headcount=1..5", "headcount_end_ae", 10, probability=0.5,
                     workers=1)
    assert (goal.value, goal.below, goal.found) == (None, 5, False)
    assert "no ae.headcount up to 5 gives" in describe(goal)


def test_undecided_candidates_are_flagged(exact: Path) -> None:
    # 60% at 10 AEs against a wanted 60%: no interval can settle it in 20 replications
    goal = seek_goal(exact, "ae.headcount=10..11", "headcount_end_ae", 10, probability=0.6,
                     first_reps=20, max_reps=20, workers=1)
    assert not goal.confident
    assert "judged by their estimate" in describe(goal)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"probability": 1.0}, "probability"),
    ({"op": ">"}, "op"),
    ({"first_reps": 50, "max_reps": 10}, "first_reps"),
])
def test_bad_goals(exact: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        seek_goal(exact, "ae.headcount=1..5", "headcount_end_ae", 10, workers=1,
                  **kwargs)  # type: ignore[arg-type]


def test_unknown_metric(exact: Path) -> None:
    with pytest.raises(ValueError, match="no headline metric"):
        seek_goal(exact, "ae.headcount=1..5", "headcount", 10, workers=1)
