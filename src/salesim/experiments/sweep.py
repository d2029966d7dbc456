"""Sweeps: one scenario run at many settings, summarised in one tidy table.

The settings are a grid (every combination of listed values) or a Latin
hypercube over ranges. Every point runs the same replication seeds, so
neighbouring points differ by their settings, not by noise.

>>> result = sweep("scenarios/minimal.yaml", grid={"ae.stages.proposal.conversion":
...                ["40%", "50%"]}, reps=4, seed=1, workers=1, progress=False)
>>> table = result.table()
>>> list(table.columns[:3]), len(result.points)
(['point', 'ae.stages.proposal.conversion', 'metric'], 2)
>>> won = table.query("metric == 'deals_won'")["mean"].tolist()
>>> won[0] < won[1]
True

Table columns (:meth:`Sweep.table`): ``point`` (0, 1, ...), one column per
varied key holding its value at that point, ``metric`` (a headline metric),
then ``mean``, ``p10``, ``p50``, ``p90``, ``ci95_low``, ``ci95_high`` and ``n``
across replications (see :mod:`salesim.experiments.stats`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesim.experiments.ensemble import Ensemble
from salesim.experiments.executors import Executor
from salesim.experiments.montecarlo import DEFAULT_SEED, ProgressMode, run_many
from salesim.experiments.ranges import ValueRange
from salesim.experiments.stats import STAT_COLUMNS, describe_columns
from salesim.scenario import Scenario, dump_scenario, load_scenario
from salesim.scenario.loader import loads_scenario

DEFAULT_SWEEP_REPS = 50
"""Replications per point when not told otherwise (a sweep has many points)."""

ScenarioSource = Scenario | str | Path


def scenario_with(base: ScenarioSource, overrides: Mapping[str, Any]) -> Scenario:
    """``base`` (a file or a scenario) with ``overrides`` applied and validated."""
    if isinstance(base, Scenario):
        if not overrides:
            return base
        return loads_scenario(dump_scenario(base), source="<scenario>", overrides=overrides)
    return load_scenario(base, overrides=overrides)


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the last key varying fastest.

    >>> grid_points({"a": [1, 2], "b": ["x", "y"]})
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    keys = list(grid)
    return [dict(zip(keys, values, strict=True))
            for values in itertools.product(*(grid[key] for key in keys))]


def latin_hypercube_points(ranges: Sequence[ValueRange], count: int,
                           seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """``count`` points spread over ``ranges`` by a Latin hypercube (seeded: reproducible)."""
    if count < 1:
        raise ValueError(f"a Latin hypercube needs at least 1 point, not {count}")
    if not ranges:
        raise ValueError("a Latin hypercube needs at least one range")
    from scipy.stats import qmc

    design = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed)).random(count)
    return [{r.key: r.at(float(u)) for r, u in zip(ranges, row, strict=True)}
            for row in design]


@dataclass(frozen=True, eq=False)
class Sweep:
    """The points of a sweep (overrides) and the ensemble run at each."""

    points: tuple[dict[str, Any], ...]
    ensembles: tuple[Ensemble, ...]

    @property
    def keys(self) -> list[str]:
        names: dict[str, None] = {}
        for point in self.points:
            names.update(dict.fromkeys(point))
        return list(names)

    def table(self) -> pd.DataFrame:
        """One row per point and headline metric (columns: module doc)."""
        frames = []
        for index, (point, ensemble) in enumerate(zip(self.points, self.ensembles,
                                                      strict=True)):
            summary = describe_columns(ensemble.replications, ensemble.metrics).reset_index()
            summary["point"] = index
            for key in self.keys:
                summary[key] = point.get(key)
            frames.append(summary)
        table = pd.concat(frames, ignore_index=True)
        return table[["point", *self.keys, "metric", *STAT_COLUMNS]]

    def __repr__(self) -> str:
        return f"Sweep(points={len(self.points)}, keys={self.keys})"


def sweep(scenario: ScenarioSource, grid: Mapping[str, Sequence[Any]] | None = None, *,
          ranges: Sequence[ValueRange | str] = (), lhs: int | None = None,
          points: Sequence[Mapping[str, Any]] | None = None,
          reps: int = DEFAULT_SWEEP_REPS, seed: int = DEFAULT_SEED,
          workers: int | None = None, executor: Executor | None = None,
          progress: ProgressMode = None) -> Sweep:
    """Run ``scenario`` at every point of a grid, a Latin hypercube or a list of points.

    ``grid``
        ``{key: [values]}``: every combination (``{"ae.headcount": [20, 24]}``).
    ``ranges``, ``lhs``
        ``lhs`` points of a Latin hypercube over ``ranges``
        (:class:`~salesim.experiments.ranges.ValueRange` or ``"key=low..high"``),
        drawn with ``seed``.
    ``points``
        Or the points themselves, as override mappings.

    Every point runs ``reps`` replications with the same seeds. Other
    arguments as for :func:`salesim.run`. Settings are checked (all of them)
    before anything runs: a bad value raises :class:`~salesim.ScenarioError`.
    """
    chosen = _points(grid, ranges, lhs, points, seed)
    scenarios = [scenario_with(scenario, point) for point in chosen]
    ensembles = run_many(scenarios, reps=reps, seed=seed, workers=workers, executor=executor,
                         progress=progress, description=f"sweep of {len(chosen)} points")
    return Sweep(tuple(chosen), tuple(ensembles))


def _points(grid: Mapping[str, Sequence[Any]] | None, ranges: Sequence[ValueRange | str],
            lhs: int | None, points: Sequence[Mapping[str, Any]] | None,
            seed: int) -> list[dict[str, Any]]:
    given = [grid is not None, lhs is not None, points is not None]
    if sum(given) != 1:
        raise ValueError("give exactly one of grid, lhs (with ranges) or points")
    if grid is not None:
        if not grid or any(len(values) == 0 for values in grid.values()):
            raise ValueError("every grid key needs at least one value")
        return grid_points(grid)
    if lhs is not None:
        parsed = [r if isinstance(r, ValueRange) else ValueRange.parse(r, "--range")
                  for r in ranges]
        return latin_hypercube_points(parsed, lhs, seed)
    assert points is not None
    if not points:
        raise ValueError("points is empty")
    return [dict(point) for point in points]
