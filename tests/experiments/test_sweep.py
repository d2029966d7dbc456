"""sweep(): grids, Latin hypercubes, the tidy table, common seeds across points."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import salesim
from salesim.experiments import montecarlo
from salesim.experiments.ranges import ValueRange, parse_grid
from salesim.experiments.stats import STAT_COLUMNS
from salesim.experiments.sweep import grid_points, latin_hypercube_points, sweep
from salesim.scenario import ScenarioError

MINIMAL = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.yaml"


def test_grid_sweep_table_matches_single_runs() -> None:
    result = sweep(MINIMAL, grid={"ae.stages.proposal.conversion": ["30%", "50%"],
                                  "sdr.headcount": [1, 3]},
                   reps=3, seed=4, workers=1, progress=False)
    table = result.table()
    assert list(table.columns) == ["point", "ae.stages.proposal.conversion", "sdr.headcount",
                                   "metric", *STAT_COLUMNS]
    assert table["point"].nunique() == 4
    bookings = table.query("metric == 'bookings'").reset_index(drop=True)
    assert bookings[["ae.stages.proposal.conversion", "sdr.headcount"]].values.tolist() == [
        ["30%", 1], ["30%", 3], ["50%", 1], ["50%", 3]]
    # point 3 is the same as a plain run with those settings and seed
    alone = salesim.run(salesim.load_scenario(MINIMAL, overrides={
        "ae.stages.proposal.conversion": "50%", "sdr.headcount": 3}),
        reps=3, seed=4, workers=1, progress=False)
    assert bookings.loc[3, "mean"] == pytest.approx(alone.replications["bookings"].mean())
    assert bookings.loc[3, "p50"] == pytest.approx(alone.summary().loc["bookings", "p50"])
    pd.testing.assert_series_equal(result.ensembles[0].replications["seed"],
                                   alone.replications["seed"])


def test_latin_hypercube_covers_each_stratum_once() -> None:
    ranges = [ValueRange.parse("a=0..99"), ValueRange.parse("b=10%..20%")]
    points = latin_hypercube_points(ranges, 10, seed=3)
    assert latin_hypercube_points(ranges, 10, seed=3) == points  # reproducible
    a = sorted(p["a"] for p in points)
    assert [value // 10 for value in a] == list(range(10))  # one point per tenth
    b = np.array([p["b"] for p in points])
    assert sorted(np.floor((b - 0.1) / 0.01).astype(int).tolist()) == list(range(10))


def test_sweep_runs_all_points_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = montecarlo.run_many

    def counting(scenarios, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(scenarios))
        return real(scenarios, **kwargs)

    monkeypatch.setattr("salesim.experiments.sweep.run_many", counting)
    result = sweep(MINIMAL, ranges=["sdr.headcount=1..3"], lhs=3, reps=2, workers=1,
                   progress=False)
    assert calls == [3]
    # three strata over three whole numbers: each exactly once
    assert sorted(p["sdr.headcount"] for p in result.points) == [1, 2, 3]


def test_bad_point_is_a_scenario_error_before_running() -> None:
    with pytest.raises(ScenarioError, match=r"ae\.headcount"):
        sweep(MINIMAL, grid={"ae.headcount": [2, -1]}, reps=2, workers=1)


def test_exactly_one_design() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        sweep(MINIMAL, reps=2, workers=1)
    with pytest.raises(ValueError, match="exactly one"):
        sweep(MINIMAL, grid={"ae.headcount": [2]}, lhs=3, reps=2, workers=1)


def test_grid_points_and_parsing() -> None:
    assert grid_points({"x": [1]}) == [{"x": 1}]
    assert parse_grid("segments.smb.deal_size=[12k, 15k]") == (
        "segments.smb.deal_size", ["12k", "15k"])
    with pytest.raises(ValueError, match="empty value"):
        parse_grid("ae.headcount=1,,2")
    with pytest.raises(ValueError, match="--grid"):
        parse_grid("ae.headcount")


@pytest.mark.parametrize(("text", "kind", "mid"), [
    ("ae.headcount=10..61", "whole", 36),
    ("x=0.5..1.5", "number", 1.0),
    ("segments.smb.deal_size=8k..16k", "money", 12_000.0),
    ("sdr.attrition=10%..30%", "rate", 0.2),
    ("ae.time_to_fill=2 weeks..4 weeks", "week", "3 weeks"),
])
def test_ranges(text: str, kind: str, mid: object) -> None:
    value_range = ValueRange.parse(text)
    assert value_range.kind == kind
    assert value_range.at(0.5) == (pytest.approx(mid) if isinstance(mid, float) else mid)


@pytest.mark.parametrize("text", ["a=5..1", "a=1", "a=1..", "a=1 day..2 weeks", "a=x..y"])
def test_bad_ranges(text: str) -> None:
    with pytest.raises(ValueError, match="--vary"):
        ValueRange.parse(text)
