"""Goal seeking: the smallest setting that meets a goal with a wanted probability.

A goal reads "``metric`` at least (or at most) ``target`` with probability at
least ``probability``", for example bookings of 30M or more in 80% of the
simulated futures. :func:`seek_goal` finds the smallest value of one setting
(a :class:`~salesim.experiments.ranges.ValueRange`) that meets it, assuming that
a larger setting never makes the goal less likely (more AEs, more leads, a
higher conversion...).

The search is a bisection in which every candidate is judged by a sequential
test: it runs a first batch of replications, and more (doubling) only while
the Wilson interval of P(goal met) still straddles the wanted probability, up to
``max_reps``. Candidates far from the answer are settled by the first batch;
replications are spent where the answer is uncertain. Every candidate uses the
same replication seeds (the first ``n`` of the root seed), so candidates are
compared on the same simulated futures. A candidate still undecided at
``max_reps`` is judged by its estimate and the result is marked not
``confident``.

Evaluations table (:attr:`Goal.evaluations`), one row per candidate in the
order tried: ``value``, ``reps``, ``hits`` (replications meeting the target),
``probability`` (``hits / reps``), ``ci_low``, ``ci_high`` (Wilson interval at
``confidence``), ``meets`` (bool) and ``decided`` (``False`` when judged by the
estimate at ``max_reps``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from salesim.experiments.executors import Executor, resolve_executor
from salesim.experiments.montecarlo import (
    DEFAULT_SEED,
    PortableScenario,
    ReplicationTask,
    replication_task,
)
from salesim.experiments.ranges import ValueRange
from salesim.experiments.seeds import replication_seeds
from salesim.experiments.stats import Probability, wilson_interval
from salesim.experiments.sweep import ScenarioSource, scenario_with
from salesim.metrics import Plan
from salesim.metrics.kpis import headline_names
from salesim.scenario import Scenario

DEFAULT_FIRST_REPS = 20
DEFAULT_MAX_REPS = 400
EVALUATION_COLUMNS = ("value", "reps", "hits", "probability", "ci_low", "ci_high", "meets",
                      "decided")

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {">=": operator.ge, "<=": operator.le}


@dataclass(frozen=True, eq=False)
class Goal:
    """The answer of :func:`seek_goal`.

    ``value`` is the smallest setting found to meet the goal (``None`` if even
    the range's high end does not); ``at_value`` its P(goal met) with interval;
    ``below`` and ``at_below`` the largest setting tried that does not meet it
    (``None`` when the low end already does).
    """

    key: str
    metric: str
    op: str
    target: float
    probability: float
    value: Any
    at_value: Probability | None
    below: Any
    at_below: Probability | None
    evaluations: pd.DataFrame = field(repr=False)

    @property
    def reps_total(self) -> int:
        """Replications run in all."""
        return int(self.evaluations["reps"].sum())

    @property
    def confident(self) -> bool:
        """Whether every judgement the answer rests on was decided by its interval."""
        return bool(self.evaluations["decided"].all())

    @property
    def found(self) -> bool:
        return self.value is not None


def seek_goal(scenario: ScenarioSource, vary: ValueRange | str, metric: str,
              target: float, probability: float = 0.8, *, op: str = ">=",
              confidence: float = 0.95, first_reps: int = DEFAULT_FIRST_REPS,
              max_reps: int = DEFAULT_MAX_REPS, tolerance: float | None = None,
              seed: int = DEFAULT_SEED, workers: int | None = None,
              executor: Executor | None = None) -> Goal:
    """The smallest value of ``vary`` for which P(``metric op target``) >= ``probability``.

    ``op``: ``">="`` (at least ``target``) or ``"<="`` (at most). ``tolerance``:
    for ranges that are not whole numbers, how close the answer must be
    (default 1% of the range). Other arguments: see the module doc and
    :func:`salesim.run`.

    >>> goal = seek_goal("scenarios/minimal.yaml", "ae.headcount=1..9",
    ...                  "headcount_end_ae", 5, probability=0.9, workers=1)
    >>> goal.value, goal.below, goal.confident
    (5, 4, True)
    """
    value_range = vary if isinstance(vary, ValueRange) else ValueRange.parse(vary)
    if op not in _COMPARE:
        raise ValueError(f"op must be '>=' or '<=', not {op!r}")
    if not 0 < probability < 1:
        raise ValueError(f"probability must be between 0 and 1 (exclusive), not {probability}")
    if not 1 <= first_reps <= max_reps:
        raise ValueError("need 1 <= first_reps <= max_reps")
    base = scenario if isinstance(scenario, Scenario) else scenario_with(scenario, {})
    names = headline_names(Plan.from_scenario(base))
    if metric not in names:
        raise ValueError(f"no headline metric {metric!r}")
    chosen = resolve_executor(workers, executor)
    seeds = replication_seeds(seed, max_reps)
    rows: list[dict[str, Any]] = []
    judged: dict[Any, tuple[bool, Probability]] = {}

    def judge(value: Any) -> tuple[bool, Probability]:
        if value in judged:
            return judged[value]
        candidate = scenario_with(base, {value_range.key: value})
        portable = PortableScenario(candidate)
        values: list[float] = []
        size = first_reps
        while True:
            tasks = [ReplicationTask(portable, seeds[index], index, with_kpis=False)
                     for index in range(len(values), size)]
            values += [r.headline[metric] for r in chosen.map(replication_task, tasks)]
            array = np.asarray(values, dtype=np.float64)
            hits = int(np.count_nonzero(_COMPARE[op](array, target)))
            low, high = wilson_interval(hits, len(values), confidence)
            decided = low >= probability or high < probability
            if decided or size >= max_reps:
                break
            size = min(max_reps, 2 * size)
        estimate = hits / len(values)
        meets = low >= probability if decided else estimate >= probability
        chance = Probability(estimate, low, high, hits, len(values), confidence)
        rows.append({"value": value, "reps": len(values), "hits": hits,
                     "probability": estimate, "ci_low": low, "ci_high": high,
                     "meets": meets, "decided": decided})
        judged[value] = (meets, chance)
        return judged[value]

    def result(value: Any, below: Any) -> Goal:
        table = pd.DataFrame(rows, columns=list(EVALUATION_COLUMNS))
        return Goal(value_range.key, metric, op, float(target), probability, value,
                    None if value is None else judged[value][1], below,
                    None if below is None else judged[below][1], table)

    low_value, high_value = value_range.at(0.0), value_range.at(1.0)
    if not judge(high_value)[0]:
        return result(None, high_value)
    if judge(low_value)[0]:
        return result(low_value, None)
    # invariant: the setting at `lo` fails, the one at `hi` meets
    lo, hi = value_range.low, value_range.high
    step = 1.0 if value_range.whole else (
        tolerance if tolerance is not None else (hi - lo) / 100)
    fails_at, meets_at = low_value, high_value
    while hi - lo > step:
        middle = (lo + hi) / 2
        if value_range.whole:
            middle = math.floor(middle)
            value: Any = int(middle)
        else:
            value = value_range.at((middle - value_range.low)
                                   / (value_range.high - value_range.low))
        if judge(value)[0]:
            hi, meets_at = middle, value
        else:
            lo, fails_at = middle, value
    return result(meets_at, fails_at)


def describe(goal: Goal) -> str:
    """The answer in one sentence.

    >>> import pandas as pd
    >>> text = describe(Goal("ae.headcount", "bookings", ">=", 3e7, 0.8, 34,
    ...                      Probability(0.84, 0.81, 0.87, 336, 400), 33,
    ...                      Probability(0.775, 0.73, 0.81, 310, 400),
    ...                      pd.DataFrame({"decided": [True]})))
    >>> head, _, rest = text.partition(": ")
    >>> head
    'smallest ae.headcount with P(bookings >= 30M) >= 80%'
    >>> for part in rest.split("; "):
    ...     print(part)
    34 at 84.0% (95% CI 81.0%-87.0%, 336 of 400)
    at 33: 77.5% (95% CI 73.0%-81.0%, 310 of 400)
    """
    from salesim.report.formatting import format_metric as format_value

    amount = format_value(goal.metric, goal.target)
    goal_text = f"P({goal.metric} {goal.op} {amount}) >= {goal.probability:.0%}"
    if goal.value is None:
        return (f"no {goal.key} up to {goal.below} gives {goal_text}: at {goal.below}, "
                f"{goal.at_below}")
    text = f"smallest {goal.key} with {goal_text}: {goal.value} at {goal.at_value}"
    if goal.below is not None:
        text += f"; at {goal.below}: {goal.at_below}"
    if not goal.confident:
        text += (" (some candidates stayed undecided at the replication limit and were "
                 "judged by their estimate: raise --max-reps for a firmer answer)")
    return text
