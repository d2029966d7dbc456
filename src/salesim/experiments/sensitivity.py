"""Which assumption matters most: a one-at-a-time tornado and Sobol indices (SALib).

Each input is a range of one scenario value (:class:`~salesim.experiments.ranges.ValueRange`).
Every point of both designs runs the same replication seeds, and a point's
output is the metric's mean over them, so differences between points come
from the inputs, not from noise.

Tornado (:meth:`Sensitivity.tornado`), one row per input, largest swing first:
``key``, ``low``, ``high`` (the input's ends), ``at_low``, ``at_high`` (the
metric's mean with that input at its end and every other input as in the
scenario), ``base`` (the metric's mean for the scenario as written) and
``swing`` (``|at_high - at_low|``).

Sobol indices (:meth:`Sensitivity.sobol`), one row per input, from SALib's
Saltelli design (``samples * (inputs + 2)`` points) with every input drawn
over its range: ``key``, ``S1`` (share of the metric's variance due to the
input alone) with ``S1_low`` and ``S1_high``, ``ST`` (its total share,
interactions included) with ``ST_low`` and ``ST_high``; the intervals are
SALib's bootstrap intervals at ``confidence``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salesim.experiments.executors import Executor
from salesim.experiments.montecarlo import DEFAULT_SEED, ProgressMode, run_many
from salesim.experiments.ranges import ValueRange
from salesim.experiments.sweep import ScenarioSource, scenario_with
from salesim.scenario import Scenario

DEFAULT_SAMPLES = 64
"""Base samples of the Sobol design (a power of two, as Sobol sequences need)."""

DEFAULT_SENSITIVITY_REPS = 5
"""Replications per design point (the same seeds at every point)."""

TORNADO_COLUMNS = ("key", "low", "high", "at_low", "at_high", "base", "swing")
SOBOL_COLUMNS = ("key", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high")


def _require_salib() -> Any:
    try:
        from SALib.analyze import sobol as sobol_analysis
        from SALib.sample import sobol as sobol_sampling
    except ImportError:  # pragma: no cover - the dev extra installs it
        raise ImportError("SALib is not installed: pip install 'salesim[sensitivity]'") from None
    return sobol_sampling, sobol_analysis


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """The result of :func:`sensitivity` for one metric."""

    metric: str
    inputs: tuple[ValueRange, ...]
    tornado_table: pd.DataFrame
    sobol_table: pd.DataFrame
    points: int
    reps: int

    def tornado(self) -> pd.DataFrame:
        """One-at-a-time swings, largest first (columns: module doc)."""
        return self.tornado_table.copy()

    def sobol(self) -> pd.DataFrame:
        """Sobol first-order and total indices with intervals (columns: module doc)."""
        return self.sobol_table.copy()

    def __repr__(self) -> str:
        keys = [r.key for r in self.inputs]
        return f"Sensitivity({self.metric!r}, inputs={keys}, points={self.points})"


def sensitivity(scenario: ScenarioSource, vary: Sequence[ValueRange | str],
                metric: str = "bookings", *, samples: int = DEFAULT_SAMPLES,
                reps: int = DEFAULT_SENSITIVITY_REPS, seed: int = DEFAULT_SEED,
                confidence: float = 0.95, workers: int | None = None,
                executor: Executor | None = None,
                progress: ProgressMode = None) -> Sensitivity:
    """Tornado and Sobol indices of ``metric`` over the ``vary`` ranges.

    ``vary``: ranges as :class:`~salesim.experiments.ranges.ValueRange` or
    ``"key=low..high"``. ``samples``: base samples of the Sobol design (a
    power of two). The design is drawn with ``seed``; every point runs
    ``reps`` replications with the seeds of ``seed``. Other arguments as for
    :func:`salesim.run`.

    >>> result = sensitivity("scenarios/minimal.yaml",
    ...                      ["segments.smb.deal_size=6k..18k", "cs.headcount=1..4"],
    ...                      samples=8, reps=1, workers=1, progress=False)  # doctest: +SKIP
    >>> result.sobol()[["key", "S1", "ST"]]                            # doctest: +SKIP
    """
    sampling, analysis = _require_salib()
    inputs = tuple(r if isinstance(r, ValueRange) else ValueRange.parse(r) for r in vary)
    if not inputs:
        raise ValueError("vary at least one setting (key=low..high)")
    keys = [r.key for r in inputs]
    if len(set(keys)) != len(keys):
        raise ValueError("each setting may be varied only once")
    if samples < 2 or samples & (samples - 1):
        raise ValueError(f"samples must be a power of two (2, 4, 8...), not {samples}")
    base = scenario if isinstance(scenario, Scenario) else scenario_with(scenario, {})
    problem = {"num_vars": len(inputs), "names": keys, "bounds": [[0.0, 1.0]] * len(inputs)}
    design = sampling.sample(problem, samples, calc_second_order=False, seed=seed)
    tornado_points: list[dict[str, Any]] = [{}]
    for value_range in inputs:
        tornado_points += [{value_range.key: value_range.at(0.0)},
                           {value_range.key: value_range.at(1.0)}]
    sobol_points = [{r.key: r.at(float(u)) for r, u in zip(inputs, row, strict=True)}
                    for row in design]
    scenarios = [scenario_with(base, point) for point in (*tornado_points, *sobol_points)]
    ensembles = run_many(scenarios, reps=reps, seed=seed, workers=workers, executor=executor,
                         progress=progress, kpis=False,
                         description=f"sensitivity, {len(scenarios)} points")
    if metric not in ensembles[0].metrics:
        raise KeyError(f"no headline metric {metric!r}")
    means = np.array([ensemble.replications[metric].mean() for ensemble in ensembles])
    tornado = _tornado(inputs, means[:len(tornado_points)])
    outputs = means[len(tornado_points):]
    if np.isnan(outputs).any():
        raise ValueError(f"{metric} is undefined at some points; choose another metric")
    sobol = _sobol(analysis, problem, outputs, inputs, confidence, seed)
    return Sensitivity(metric, inputs, tornado, sobol, len(scenarios), reps)


def _tornado(inputs: Sequence[ValueRange], means: np.ndarray) -> pd.DataFrame:
    rows = []
    for k, value_range in enumerate(inputs):
        at_low, at_high = float(means[1 + 2 * k]), float(means[2 + 2 * k])
        rows.append({"key": value_range.key, "low": str(value_range.at(0.0)),
                     "high": str(value_range.at(1.0)), "at_low": at_low, "at_high": at_high,
                     "base": float(means[0]), "swing": abs(at_high - at_low)})
    table = pd.DataFrame(rows, columns=list(TORNADO_COLUMNS))
    return table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def _sobol(analysis: Any, problem: Mapping[str, Any], outputs: np.ndarray,
           inputs: Sequence[ValueRange], confidence: float, seed: int) -> pd.DataFrame:
    if float(np.var(outputs)) == 0.0:
        # SALib divides by the output variance; nothing varies, so nothing matters
        zeros = dict.fromkeys(SOBOL_COLUMNS[1:], 0.0)
        return pd.DataFrame([{"key": r.key, **zeros} for r in inputs],
                            columns=list(SOBOL_COLUMNS))
    indices = analysis.analyze(dict(problem), outputs, calc_second_order=False,
                               conf_level=confidence, print_to_console=False, seed=seed)
    rows = []
    for k, value_range in enumerate(inputs):
        s1, s1_half = float(indices["S1"][k]), float(indices["S1_conf"][k])
        st, st_half = float(indices["ST"][k]), float(indices["ST_conf"][k])
        rows.append({"key": value_range.key, "S1": s1, "S1_low": s1 - s1_half,
                     "S1_high": s1 + s1_half, "ST": st, "ST_low": st - st_half,
                     "ST_high": st + st_half})
    return pd.DataFrame(rows, columns=list(SOBOL_COLUMNS))


