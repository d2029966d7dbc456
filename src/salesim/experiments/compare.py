"""Compare plans fairly: the same replication seeds for every plan, paired differences.

Every plan runs replication ``k`` with the same seed, so the plans meet the
same simulated futures (common random numbers: the engine draws each
component's random numbers from its own named streams, and a lead's sales
outcomes from streams keyed by that lead). The difference between two plans
is then measured replication by replication, and its spread is the spread of
the *effect* of the change, not of the market's noise.

>>> import salesim
>>> result = compare({"base": "scenarios/minimal.yaml",
...                   "better proposals": salesim.load_scenario(
...                       "scenarios/minimal.yaml",
...                       overrides={"ae.stages.proposal.conversion": "45%"})},
...                  reps=6, seed=1, workers=1, progress=False)
>>> row = result.table().set_index("metric").loc["deals_won"]
>>> row["plan"], row["baseline"], bool(row["difference"] >= 0)
('better proposals', 'base', True)

Table columns (:meth:`Comparison.table`, one row per plan other than the
baseline and headline metric):

``plan``, ``baseline``, ``metric``
    Which plan is compared with which, on which headline metric.
``baseline_mean``, ``plan_mean``
    The metric's mean across replications in each plan.
``difference``, ``ci_low``, ``ci_high``
    Mean of (plan - baseline) over paired replications and its confidence
    interval (Student t on the paired differences).
``p_better``
    Share of replications in which the plan does better than the baseline
    (higher, or lower for costs, CAC, churn and speed to lead; see
    ``better``); ties count as not better.
``better``
    ``"higher"`` or ``"lower"``: which direction is better for the metric.
``paired_half_width``, ``independent_half_width``, ``width_ratio``
    Half-width of the paired interval, of the interval two independent runs
    with as many replications would give (from the two plans' variances),
    and their ratio: how many times narrower pairing made the interval.
``n``
    Replications where both plans have a value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from salesim.experiments.ensemble import Ensemble
from salesim.experiments.executors import Executor
from salesim.experiments.montecarlo import DEFAULT_REPS, DEFAULT_SEED, ProgressMode, run_many
from salesim.scenario import Scenario, load_scenario

LOWER_IS_BETTER = frozenset({"cac", "total_cost", "logo_churn_rate",
                             "speed_to_lead_median_minutes"})
"""Headline metrics where a smaller value is the better plan."""

COMPARISON_COLUMNS = ("plan", "baseline", "metric", "baseline_mean", "plan_mean", "difference",
                      "ci_low", "ci_high", "p_better", "better", "paired_half_width",
                      "independent_half_width", "width_ratio", "n")


@dataclass(frozen=True)
class PairedDifference:
    """The paired comparison of one metric between a plan and the baseline."""

    baseline_mean: float
    plan_mean: float
    difference: float
    ci_low: float
    ci_high: float
    p_better: float
    paired_half_width: float
    independent_half_width: float
    n: int

    @property
    def width_ratio(self) -> float:
        """How many times narrower the paired interval is than independent runs' one."""
        if self.paired_half_width > 0:
            return self.independent_half_width / self.paired_half_width
        return math.inf if self.independent_half_width > 0 else math.nan


def paired_difference(baseline: npt.ArrayLike, plan: npt.ArrayLike,
                      confidence: float = 0.95, lower_is_better: bool = False
                      ) -> PairedDifference:
    """Compare per-replication values of two plans run on the same seeds.

    Pairs where either value is NaN are left out. The independent-runs
    half-width is ``t * sqrt((var_a + var_b) / n)``, what two runs with
    different seeds and ``n`` replications each would give.

    >>> d = paired_difference([10.0, 12.0, 14.0, 16.0], [11.0, 13.0, 15.5, 17.0])
    >>> d.difference, d.p_better, round(d.width_ratio, 1)
    (1.125, 1.0, 14.8)
    """
    a = np.asarray(baseline, dtype=np.float64)
    b = np.asarray(plan, dtype=np.float64)
    both = ~(np.isnan(a) | np.isnan(b))
    a, b = a[both], b[both]
    n = len(a)
    nan = math.nan
    if n == 0:
        return PairedDifference(nan, nan, nan, nan, nan, nan, nan, nan, 0)
    differences = b - a
    mean = float(differences.mean())
    better = differences < 0 if lower_is_better else differences > 0
    if n < 2:
        paired = independent = nan
    else:
        from scipy import stats as scipy_stats

        t = float(scipy_stats.t.ppf(0.5 + confidence / 2, n - 1))
        paired = t * float(differences.std(ddof=1)) / math.sqrt(n)
        independent = t * math.sqrt((float(a.var(ddof=1)) + float(b.var(ddof=1))) / n)
    return PairedDifference(float(a.mean()), float(b.mean()), mean, mean - paired,
                            mean + paired, float(better.mean()), paired, independent, n)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Plans run on the same replication seeds; the first is the baseline."""

    ensembles: Mapping[str, Ensemble]
    confidence: float = 0.95

    @property
    def baseline(self) -> str:
        return next(iter(self.ensembles))

    @property
    def reps(self) -> int:
        return self.ensembles[self.baseline].reps

    def table(self) -> pd.DataFrame:
        """The paired comparison of every plan with the baseline (columns: module doc)."""
        base = self.ensembles[self.baseline]
        rows = []
        for name, ensemble in self.ensembles.items():
            if name == self.baseline:
                continue
            for metric in base.metrics:
                if metric not in ensemble.metrics:
                    continue
                lower = metric in LOWER_IS_BETTER
                d = paired_difference(base.replications[metric], ensemble.replications[metric],
                                      self.confidence, lower_is_better=lower)
                rows.append({
                    "plan": name, "baseline": self.baseline, "metric": metric,
                    "baseline_mean": d.baseline_mean, "plan_mean": d.plan_mean,
                    "difference": d.difference, "ci_low": d.ci_low, "ci_high": d.ci_high,
                    "p_better": d.p_better, "better": "lower" if lower else "higher",
                    "paired_half_width": d.paired_half_width,
                    "independent_half_width": d.independent_half_width,
                    "width_ratio": d.width_ratio, "n": d.n,
                })
        table = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
        return table.astype({"n": "int64"})

    def summaries(self) -> pd.DataFrame:
        """Every plan's summary side by side: ``plan``, ``metric``, mean, p10, p50, p90."""
        frames = [ensemble.summary().reset_index().assign(plan=name)
                  for name, ensemble in self.ensembles.items()]
        table = pd.concat(frames, ignore_index=True)
        return table[["plan", "metric", "mean", "p10", "p50", "p90"]]

    def __repr__(self) -> str:
        return f"Comparison({list(self.ensembles)}, reps={self.reps})"


def compare(plans: Mapping[str, Scenario | str | Path] | Sequence[Scenario | str | Path],
            reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED, workers: int | None = None,
            executor: Executor | None = None, progress: ProgressMode = None,
            confidence: float = 0.95) -> Comparison:
    """Run every plan on the same replication seeds and compare them with the first.

    ``plans``: scenarios or scenario files, as a mapping from plan name to
    scenario or as a sequence (named by ``meta.name``, made unique). The other
    arguments are those of :func:`salesim.run`.
    """
    named = _named_plans(plans)
    if len(named) < 2:
        raise ValueError("compare needs at least two plans")
    ensembles = run_many(list(named.values()), reps=reps, seed=seed, workers=workers,
                         executor=executor, progress=progress,
                         description=f"{len(named)} plans")
    return Comparison(dict(zip(named, ensembles, strict=True)), confidence)


def _named_plans(plans: Mapping[str, Scenario | str | Path] | Sequence[Scenario | str | Path]
                 ) -> dict[str, Scenario]:
    items = list(plans.items()) if isinstance(plans, Mapping) else [(None, p) for p in plans]
    named: dict[str, Scenario] = {}
    for given, plan in items:
        scenario = plan if isinstance(plan, Scenario) else load_scenario(plan)
        name = given or unique_name(scenario.meta.name, named)
        if name in named:
            raise ValueError(f"two plans are named {name!r}")
        named[name] = scenario
    return named


def unique_name(name: str, taken: Mapping[str, object] | set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... if already taken."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} ({number})"
    return candidate
