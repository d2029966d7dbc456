"""Setting quotas from simulated performance: the quota a chosen share of a team reaches,
and the company target the team's capacity supports with a chosen confidence.

:func:`find_quota` runs replications of a scenario and, for one team, collects what
each rep fully ramped through a whole quota period achieved in it, in the team's quota
measure (:mod:`salesim.metrics.quota_periods` says which rep-periods count: new hires
only after their ramp, nobody in a period they join or leave). Then:

``quota``
    The highest quota that ``share`` of those rep-periods reach: with their amounts
    sorted from the highest, the ``ceil(share x n)``-th, pooled over all
    replications (so that at least ``share`` of the reps are at or above it). Its
    interval (``quota_low``, ``quota_high``, at ``interval``) is a percentile
    bootstrap over replications: replications are drawn with replacement and the
    pooled quota recomputed, which keeps the reps of one simulated future together
    (they share its leads and market). The spread of the share that reaches the
    found quota within each replication (P10, P50, P90) says how far one year's team
    may stray from ``share``.
``company_target``
    The target that the simulated company total of the team's measure over the
    horizon (all bookings for an AE team, all meetings held for an SDR team) reaches
    in ``confidence`` of the replications: the ``ceil(confidence x n)``-th highest
    total, i.e. the ``1 - confidence`` quantile. Its interval is distribution-free
    (order statistics of the replications' totals,
    :func:`salesim.experiments.precision.quantile_interval`).

For comparison the answer carries the current quota (the team's, per quota period), the
share of the counted reps at or above it, the current company target (as given, else
the quota capacity: each rep's ramped and prorated quota summed over the horizon for
every team with a quota in the measure, averaged over replications; the same default as
the report's bookings target) and P(company target met), with its Wilson interval.

Replication ``k`` is the one ``salesim.run`` simulates with the same root seed, so the
numbers agree with a run's (``ramped_share_at_quota_<team>``, ``--target``). The quota
is read off performance under the current quota: where reps respond to quota
difficulty (a plan's ``effort`` lever), run the scenario again with the quota found to
see the share it really gives.

>>> import salesim
>>> answer = salesim.quota("scenarios/minimal.yaml", "ae", share=0.5, confidence=0.8,
...                        reps=4, seed=1, workers=1,
...                        overrides=["ae.quota={amount: 100k, period: year}"])
>>> answer.period, answer.measure, answer.rep_periods
('year', 'bookings', 8)
>>> bool(answer.quota_low <= answer.quota <= answer.quota_high)
True
>>> list(answer.table()["item"])[:3]
['quota', 'share_at_quota', 'current_quota']
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from salesim.engine.random_streams import RandomStreams
from salesim.experiments.executors import Executor, resolve_executor
from salesim.experiments.montecarlo import DEFAULT_SEED, PortableScenario
from salesim.experiments.precision import FIRST_BATCH, next_size, quantile_interval
from salesim.experiments.seeds import replication_seeds
from salesim.experiments.stats import Probability, wilson_interval
from salesim.metrics.attainment import attainment_arrays, measure_events
from salesim.metrics.periods import Horizon, PeriodGrid
from salesim.metrics.plan import Plan
from salesim.metrics.quota_periods import (
    PERIOD_MONTHS,
    QUOTA_GUIDE,
    at_quota,
    period_performance,
)
from salesim.metrics.workforce import workforce
from salesim.records import Records
from salesim.roles import KINDS
from salesim.scenario import Scenario, load_scenario
from salesim.scenario.uncertain import realise
from salesim.world import simulate

DEFAULT_QUOTA_REPS = 200
"""Replications of :func:`find_quota` when not told otherwise."""
BOOTSTRAP_DRAWS = 1000
"""Bootstrap resamples of the replications for the quota's interval."""
QuotaPeriod = Literal["month", "quarter", "year"]
ANSWER_COLUMNS = ("item", "value", "low", "high", "unit")
"""Columns of :meth:`QuotaAnswer.table`."""


class QuotaArgumentError(ValueError):
    """An argument of :func:`find_quota` that cannot work; ``argument`` names it."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument = argument


# ----------------------------------------------------------------------------- per replication


@dataclass(frozen=True)
class QuotaTask:
    """One replication for :func:`quota_sample` (picklable)."""

    scenario: PortableScenario
    team: str
    period: QuotaPeriod | None
    seed: int
    index: int


@dataclass(frozen=True)
class QuotaSample:
    """What one replication sends back: the counted rep-periods' amounts, the company
    total of the measure over the horizon and the quota capacity over the horizon
    (``NaN`` when no team has a quota in the measure)."""

    index: int
    achieved: np.ndarray
    total: float
    capacity: float


def team_plan_for(plan: Plan, team: str, period: QuotaPeriod | None) -> Plan:
    """``plan`` with ``team``'s quota period set to ``period`` (unchanged when None)."""
    if period is None:
        return plan
    changed = dataclasses.replace(plan.teams[team], quota_period=period)
    return dataclasses.replace(plan, teams={**plan.teams, team: changed})


def measure_total(records: Records, plan: Plan, team: str) -> tuple[float, float]:
    """The company total of ``team``'s quota measure over the horizon, and the quota
    capacity over the horizon of all teams with a quota in that measure."""
    measure = plan.teams[team].quota_measure or KINDS[plan.kind_of(team)].quota_measure
    _, times, values = measure_events(records, measure)
    horizon = Horizon.of(records, plan)
    start = horizon.start.to_datetime64().astype("datetime64[ns]")
    end = horizon.end.to_datetime64().astype("datetime64[ns]")
    inside = (times >= start) & (times < end)
    total = float(values[inside].sum())
    quota_teams = [name for name, t in plan.teams.items()
                   if t.has_quota and t.quota_measure == measure]
    if not quota_teams:
        return total, math.nan
    grid = PeriodGrid(horizon, ("total",))
    work = workforce(records, plan, grid)
    keep, _, expected = attainment_arrays(records, plan, work)
    mine = np.isin(work.team[keep], quota_teams)
    return total, float(expected[0, mine].sum())


def quota_sample(task: QuotaTask) -> QuotaSample:
    """Executor entry point: simulate one replication and measure the team in it."""
    scenario = task.scenario.scenario
    records = simulate(scenario, seed=task.seed)
    plan = team_plan_for(Plan.from_scenario(realise(scenario, task.seed)), task.team,
                         task.period)
    table = period_performance(records, plan, [task.team])
    total, capacity = measure_total(records, plan, task.team)
    return QuotaSample(task.index, table["achieved"].to_numpy(dtype=float), total, capacity)


# ----------------------------------------------------------------------------- statistics


def level_reached_by(values: np.ndarray, share: float,
                     weights: np.ndarray | None = None) -> float:
    """The highest level that at least ``share`` of ``values`` (weighted) reach.

    Sorted from the highest, the first value at which the running weight reaches
    ``share`` of the total: with unit weights the ``ceil(share x n)``-th highest.

    >>> level_reached_by(np.array([10.0, 40.0, 20.0, 30.0]), 0.75)
    20.0
    >>> level_reached_by(np.array([10.0, 40.0, 20.0, 30.0]), 0.5)
    30.0
    """
    order = np.argsort(-np.asarray(values, dtype=float), kind="stable")
    ordered = np.asarray(values, dtype=float)[order]
    if len(ordered) == 0:
        return math.nan
    mass = np.ones(len(ordered)) if weights is None else np.asarray(weights, float)[order]
    running = np.cumsum(mass)
    wanted = share * running[-1] * (1 - 1e-12)
    return float(ordered[min(int(np.searchsorted(running, wanted)), len(ordered) - 1)])


def bootstrap_levels(samples: Sequence[np.ndarray], share: float, draws: int,
                     rng: np.random.Generator) -> np.ndarray:
    """:func:`level_reached_by` of the pooled values for ``draws`` resamples of the
    replications (each replication's values weighted by how often it was drawn)."""
    values = np.concatenate(samples) if samples else np.array([])
    owner = np.repeat(np.arange(len(samples)), [len(s) for s in samples])
    order = np.argsort(-values, kind="stable")
    values, owner = values[order], owner[order]
    out = np.empty(draws)
    for draw in range(draws):
        counts = np.bincount(rng.integers(0, len(samples), len(samples)),
                             minlength=len(samples)).astype(float)
        running = np.cumsum(counts[owner])
        if len(running) == 0 or running[-1] == 0:
            out[draw] = math.nan
            continue
        wanted = share * running[-1] * (1 - 1e-12)
        out[draw] = values[min(int(np.searchsorted(running, wanted)), len(values) - 1)]
    return out


# ----------------------------------------------------------------------------- the answer


@dataclass(frozen=True, eq=False)
class QuotaAnswer:
    """What :func:`find_quota` found (see the module docs); amounts in ``unit`` (the
    scenario's currency, or ``count``), quotas per ``period``. ``share_reached``: the
    pooled share of counted rep-periods at or above ``quota`` (at least ``share``);
    ``share_spread``: P10, P50 and P90 over replications of that share. ``totals``: per
    replication the company ``total`` of the measure and the quota ``capacity``."""

    scenario_name: str
    team: str
    kind: str
    measure: str
    unit: str
    period: str
    share: float
    confidence: float
    interval: float
    reps: int
    seed: int
    rep_periods: int
    quota: float
    quota_low: float
    quota_high: float
    share_reached: float
    share_spread: tuple[float, float, float]
    current_quota: float | None
    current_share: float | None
    current_share_spread: tuple[float, float, float] | None
    company_target: float
    company_target_low: float
    company_target_high: float
    current_target: float | None
    current_target_source: str
    current_probability: Probability | None
    totals: pd.DataFrame = field(repr=False)
    precision: dict[str, Any] = field(default_factory=dict, repr=False)

    def table(self) -> pd.DataFrame:
        """The answer as tidy rows: ``item``, ``value``, ``low``, ``high``, ``unit``.

        Items: ``quota`` (with its interval), ``share_at_quota`` (the share reaching
        it: pooled, with the P10 and P90 over replications as low and high),
        ``current_quota``, ``current_share_at_quota``, ``company_target`` (supported at
        ``confidence``, with its interval), ``current_company_target`` and
        ``p_current_target_met`` (with its Wilson interval). Missing values are NaN.
        """
        nan = math.nan
        spread = self.current_share_spread or (nan, nan, nan)
        chance = self.current_probability
        rows = [
            ("quota", self.quota, self.quota_low, self.quota_high, self.unit),
            ("share_at_quota", self.share_reached, self.share_spread[0],
             self.share_spread[2], "share"),
            ("current_quota", _number(self.current_quota), nan, nan, self.unit),
            ("current_share_at_quota", _number(self.current_share), spread[0], spread[2],
             "share"),
            ("company_target", self.company_target, self.company_target_low,
             self.company_target_high, self.unit),
            ("current_company_target", _number(self.current_target), nan, nan, self.unit),
            ("p_current_target_met", chance.estimate if chance else nan,
             chance.low if chance else nan, chance.high if chance else nan, "share"),
        ]
        return pd.DataFrame(rows, columns=list(ANSWER_COLUMNS))

    def to_dict(self) -> dict[str, Any]:
        """The answer as plain data (for ``quota.json``; NaN becomes ``None``)."""
        chance = self.current_probability
        content: dict[str, Any] = _json_ready({
            "scenario": self.scenario_name, "team": self.team, "kind": self.kind,
            "measure": self.measure, "unit": self.unit, "period": self.period,
            "share": self.share, "confidence": self.confidence, "interval": self.interval,
            "reps": self.reps, "seed": self.seed, "rep_periods": self.rep_periods,
            "quota": self.quota, "quota_low": self.quota_low, "quota_high": self.quota_high,
            "share_at_quota": self.share_reached,
            "share_at_quota_p10_p50_p90": list(self.share_spread),
            "current_quota": self.current_quota, "current_share": self.current_share,
            "current_share_p10_p50_p90": (None if self.current_share_spread is None
                                          else list(self.current_share_spread)),
            "company_target": self.company_target,
            "company_target_low": self.company_target_low,
            "company_target_high": self.company_target_high,
            "current_target": self.current_target,
            "current_target_source": self.current_target_source,
            "p_current_target_met": None if chance is None else {
                "probability": chance.estimate, "ci_low": chance.low,
                "ci_high": chance.high, "hits": chance.hits, "n": chance.n},
            "precision": self.precision or None,
        })
        return content


def _json_ready(value: Any) -> Any:
    """``value`` with every NaN (in lists and dicts too) replaced by ``None``."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _spread(values: Sequence[float]) -> tuple[float, float, float]:
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if len(array) == 0:
        return (math.nan, math.nan, math.nan)
    p10, p50, p90 = np.quantile(array, (0.1, 0.5, 0.9))
    return (float(p10), float(p50), float(p90))


def check_quota_arguments(scenario: Scenario, team: str, share: float, confidence: float,
                          period: str | None = None) -> None:
    """Raise :class:`QuotaArgumentError` for a team, share, confidence or period that
    cannot work, before anything runs."""
    teams = scenario.organisation
    if team not in teams:
        raise QuotaArgumentError(
            "team", f"no team {team!r} in the scenario (its teams: {', '.join(teams)})")
    for name, value in (("share", share), ("confidence", confidence)):
        if not (isinstance(value, float | int) and 0 < value < 1):
            raise QuotaArgumentError(
                name, f"{name} must be a share between 0 and 1 (exclusive), e.g. 75% or "
                      f"0.75, not {value!r}")
    if period is not None and period not in PERIOD_MONTHS:
        raise QuotaArgumentError("period", f"period must be month, quarter or year, not "
                                           f"{period!r}")


def find_quota(scenario: Scenario | str | Path, team: str, share: float = 0.75,
               confidence: float = 0.8, *, reps: int = DEFAULT_QUOTA_REPS,
               seed: int = DEFAULT_SEED, workers: int | None = None,
               executor: Executor | None = None, overrides: Sequence[str] = (),
               period: QuotaPeriod | None = None, company_target: float | None = None,
               interval: float = 0.95, precision: float | None = None) -> QuotaAnswer:
    """The quota that ``share`` of ``team``'s fully ramped reps reach, and the company
    target the simulated capacity reaches with ``confidence`` (see the module docs).

    ``scenario``: a scenario or a file (with ``overrides``, ``KEY=VALUE`` as on the
    command line). ``period``: the quota period to measure over (default: the team's
    quota period, a year without a quota). ``company_target``: the current target to
    compare with (default: the quota capacity). ``interval``: the confidence of the
    intervals. ``precision``: instead of exactly ``reps`` replications, run in batches
    (``reps`` at most) until the quota's and the company target's intervals are
    within this relative half-width (0.02: within 2%).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides=list(overrides))
    elif overrides:
        raise ValueError("overrides apply to a scenario file; change the scenario instead")
    check_quota_arguments(scenario, team, share, confidence, period)
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise QuotaArgumentError("reps", f"reps must be a whole number of at least 1, "
                                         f"not {reps!r}")
    if precision is not None and not 0 < precision < 1:
        raise QuotaArgumentError("precision", "precision must be a fraction between 0 and 1")
    plan = team_plan_for(Plan.from_scenario(scenario), team, period)
    team_plan = plan.teams[team]
    kind = KINDS[plan.kind_of(team)]
    chosen_period = team_plan.quota_period
    months = PERIOD_MONTHS[chosen_period]
    current = (team_plan.quota_per_month * months if team_plan.has_quota
               and team_plan.quota_per_month else None)
    chosen = resolve_executor(workers, executor)
    portable = PortableScenario(scenario)
    seeds = replication_seeds(seed, reps)
    samples: list[QuotaSample] = []
    size = reps if precision is None else min(reps, FIRST_BATCH)
    reached: dict[str, Any] = {}
    while True:
        tasks = [QuotaTask(portable, team, period, seeds[index], index)
                 for index in range(len(samples), size)]
        samples += sorted(chosen.map(quota_sample, tasks), key=lambda s: s.index)
        unit = scenario.meta.currency if kind.quota_unit == "money" else "count"
        found = _answer(scenario, team, kind.name, kind.quota_measure, unit,
                        chosen_period, share, confidence, interval, seed, samples,
                        current, company_target)
        if precision is None:
            return found
        worst = max(_relative(found.quota, found.quota_low, found.quota_high),
                    _relative(found.company_target, found.company_target_low,
                              found.company_target_high))
        reached = {"wanted": precision, "reached": worst, "reps": size, "max_reps": reps,
                   "met": worst <= precision}
        if worst <= precision or size >= reps:
            return dataclasses.replace(found, precision=reached)
        size = next_size(size, worst, precision, reps)


def _relative(estimate: float, low: float, high: float) -> float:
    spread = max(estimate - low, high - estimate)
    if math.isnan(spread):
        return math.inf
    return spread / abs(estimate) if estimate else (0.0 if spread == 0 else math.inf)


def _answer(scenario: Scenario, team: str, kind: str, measure: str, unit: str,
            period: str, share: float, confidence: float, interval: float, seed: int,
            samples: Sequence[QuotaSample], current: float | None,
            company_target: float | None) -> QuotaAnswer:
    achieved = [s.achieved for s in samples]
    pooled = np.concatenate(achieved) if achieved else np.array([])
    if len(pooled) == 0:
        raise QuotaArgumentError(
            "period", f"no rep of team {team!r} was fully ramped through a whole {period} "
                      "of the horizon: lengthen the horizon or measure a shorter period")
    quota = level_reached_by(pooled, share)
    rng = RandomStreams(seed).generator(f"quota/{team}/bootstrap")
    levels = bootstrap_levels(achieved, share, BOOTSTRAP_DRAWS, rng)
    tail = (1 - interval) / 2
    low, high = np.nanquantile(levels, (tail, 1 - tail))

    def share_reaching(level: float) -> list[float]:
        return [float(at_quota(a, level).mean()) if len(a) else math.nan for a in achieved]

    current_share = current_spread = None
    if current is not None:
        current_share = float(at_quota(pooled, current).mean())
        current_spread = _spread(share_reaching(current))
    totals = np.array([s.total for s in samples])
    capacities = np.array([s.capacity for s in samples])
    supported = level_reached_by(totals, confidence)
    _, target_low, target_high = quantile_interval(totals, 1 - confidence, interval)
    target, source = company_target, "as given"
    if target is None and not np.isnan(capacities).all():
        target, source = float(np.nanmean(capacities)), (
            "quota capacity (ramped quotas summed)")
    chance = None
    if target is not None:
        hits = int(np.count_nonzero(totals >= target))
        ci_low, ci_high = wilson_interval(hits, len(totals), interval)
        chance = Probability(hits / len(totals), ci_low, ci_high, hits, len(totals), interval)
    return QuotaAnswer(
        scenario_name=scenario.meta.name, team=team, kind=kind, measure=measure, unit=unit,
        period=period, share=float(share), confidence=float(confidence),
        interval=float(interval), reps=len(samples), seed=int(seed),
        rep_periods=len(pooled), quota=quota, quota_low=float(min(low, quota)),
        quota_high=float(max(high, quota)),
        share_reached=float(at_quota(pooled, quota).mean()),
        share_spread=_spread(share_reaching(quota)),
        current_quota=current, current_share=current_share,
        current_share_spread=current_spread, company_target=supported,
        company_target_low=float(min(target_low, supported)),
        company_target_high=float(max(target_high, supported)),
        current_target=target, current_target_source=source if target is not None else "",
        current_probability=chance,
        totals=pd.DataFrame({"replication": [s.index for s in samples],
                             "total": totals, "capacity": capacities}))


# ----------------------------------------------------------------------------- the guide in a run


GUIDE_KEYS = ("team", "kind", "metric", "period", "mean", "p10", "p50", "p90",
              "p_in_guide", "guide_low", "guide_high", "verdict")
"""Keys of each entry of :func:`quota_guide` (``summary.json``'s ``quota_guide``)."""


def quota_guide(replications: pd.DataFrame, scenario: Scenario) -> list[dict[str, Any]]:
    """Per team with a quota, the share of its fully ramped reps at quota over whole
    quota periods (the headline ``ramped_share_at_quota_<team>``, one value per
    replication) against the guide :data:`~salesim.metrics.quota_periods.QUOTA_GUIDE`.

    Each entry has :data:`GUIDE_KEYS`: the team, its kind, the headline ``metric``, the
    quota ``period``, the ``mean``, ``p10``, ``p50`` and ``p90`` of the share across
    replications, ``p_in_guide`` (share of replications in which it lies in the guide),
    the guide's ends and the ``verdict`` on the P50 (``below``, ``within`` or
    ``above``; ``-`` with no counted rep in any replication). Undefined numbers are
    ``None``.

    >>> import salesim
    >>> scenario = salesim.load_scenario("scenarios/minimal.yaml",
    ...                                  overrides=["ae.quota={amount: 100k}"])
    >>> frame = pd.DataFrame({"ramped_share_at_quota_ae": [0.5, 0.75, 1.0, 0.75]})
    >>> entry = quota_guide(frame, scenario)[0]
    >>> entry["p50"], entry["p_in_guide"], entry["verdict"]
    (0.75, 0.5, 'within')
    """
    low, high = QUOTA_GUIDE
    entries = []
    for name, team in scenario.organisation.items():
        if team.quota is None:
            continue
        metric = f"ramped_share_at_quota_{name}"
        values = (replications[metric].to_numpy(dtype=float) if metric in replications
                  else np.array([]))
        values = values[~np.isnan(values)]
        p10, p50, p90 = _spread(values)
        verdict = "-" if np.isnan(p50) else (
            "below" if p50 < low else "above" if p50 > high else "within")
        entries.append(_json_ready({
            "team": name, "kind": team.kind, "metric": metric, "period": team.quota.period,
            "mean": float(values.mean()) if len(values) else math.nan,
            "p10": p10, "p50": p50, "p90": p90,
            "p_in_guide": (float(((values >= low) & (values <= high)).mean())
                           if len(values) else math.nan),
            "guide_low": low, "guide_high": high, "verdict": verdict}))
    return entries
