"""Monte Carlo: many independent replications of one scenario, summarised.

>>> import salesim.experiments as ex
>>> ensemble = ex.run("scenarios/minimal.yaml", reps=4, seed=1, workers=1)  # doctest: +SKIP
>>> ensemble.summary().loc["bookings", "p50"]  # doctest: +SKIP
>>> ensemble.probability("bookings", 250_000)  # doctest: +SKIP

Replication ``k`` runs ``simulate(scenario, seed=seeds[k])`` with
``seeds = replication_seeds(seed, reps)``; each replication is one task for an
executor (:mod:`salesim.experiments.executors`), and the results are put back in
replication order, so an ensemble is the same whatever executor or number of
workers produced it.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import salesim
from salesim.engine.records import Records
from salesim.experiments.ensemble import Ensemble
from salesim.experiments.executors import Executor, resolve_executor
from salesim.experiments.seeds import replication_seeds
from salesim.experiments.stats import quantile_table
from salesim.metrics.periods import PeriodType
from salesim.scenario import Scenario, load_scenario

DEFAULT_REPS = 200
"""Replications per run when not told otherwise. See ``benchmarks/RESULTS.md``
(Monte Carlo): at 200 replications the P50 of bookings of the reference
scenario moves well under 2% between root seeds and P10/P90 settle to within a
few per cent, while a run takes well under a minute on two cores."""

DEFAULT_SEED = 0
"""Root seed when not told otherwise: runs are reproducible by default."""

KPI_PERIOD_TYPES: tuple[PeriodType, ...] = ("month", "quarter", "year", "total")
"""The KPI rows kept per replication and summarised across replications."""


# ----------------------------------------------------------------------------- one replication


@dataclass(frozen=True, eq=False)
class ReplicationResult:
    """What one replication sends back: small, picklable."""

    index: int
    seed: int
    headline: dict[str, float]
    kpis: pd.DataFrame
    records: Records | None = None


def run_replication(scenario: Scenario, seed: int, index: int = 0,
                    keep_records: bool = False) -> ReplicationResult:
    """Simulate one replication and compute its headline metrics and KPI table.

    A module-level function, so process and cluster executors can run it.
    """
    from salesim.engine import simulate
    from salesim.metrics import headline_metrics, kpi_table

    records = simulate(scenario, seed=seed)
    plan = _plan(scenario)
    headline = {name: float(value) for name, value in headline_metrics(records, plan).items()}
    kpis = kpi_table(records, plan, period_types=KPI_PERIOD_TYPES)
    return ReplicationResult(index, int(seed), headline, kpis, records if keep_records else None)


def _plan(scenario: Scenario) -> Any:
    from salesim.metrics import Plan

    return Plan.from_scenario(scenario)


class PortableScenario:
    """A scenario that travels to worker processes as its JSON form.

    Scenario models need not pickle (parametrised generic models do not), and
    JSON is small and rebuilt once per worker process (cached), so each task
    only carries a short string. In this process the original object is used.
    """

    __slots__ = ("scenario",)

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def __reduce__(self) -> tuple[Callable[[str], PortableScenario], tuple[str]]:
        return (_rebuild_scenario, (self.scenario.model_dump_json(),))


@functools.lru_cache(maxsize=8)
def _rebuild_scenario(text: str) -> PortableScenario:
    return PortableScenario(Scenario.model_validate_json(text))


@dataclass(frozen=True)
class ReplicationTask:
    scenario: PortableScenario
    seed: int
    index: int
    keep_records: bool = False


def replication_task(task: ReplicationTask) -> ReplicationResult:
    """Executor entry point: run one :class:`ReplicationTask`."""
    return run_replication(task.scenario.scenario, task.seed, task.index, task.keep_records)


# ----------------------------------------------------------------------------- the ensemble


def assemble(scenario_name: str, seed: int, results: Sequence[ReplicationResult],
             version: str | None = None) -> Ensemble:
    """Build an :class:`Ensemble` from replication results (in replication order)."""
    results = sorted(results, key=lambda result: result.index)
    names: dict[str, None] = {}
    for result in results:
        names.update(dict.fromkeys(result.headline))
    replications = pd.DataFrame({
        "replication": pd.Series([r.index for r in results], dtype="int64"),
        "seed": pd.Series(np.array([r.seed for r in results], dtype=np.uint64), dtype="uint64"),
        **{name: pd.Series([r.headline.get(name, np.nan) for r in results], dtype="float64")
           for name in names},
    })
    kpis = summarise_kpis([(r.index, r.kpis) for r in results])
    kept = [r.records for r in results if r.records is not None]
    records = tuple(kept) if results and len(kept) == len(results) else None
    return Ensemble(
        scenario_name=scenario_name,
        seed=int(seed),
        replications=replications,
        kpis=kpis,
        version=salesim.__version__ if version is None else version,
        records=records,
    )


def summarise_kpis(tables: Sequence[tuple[int, pd.DataFrame]]) -> pd.DataFrame:
    """Quantiles across replications of the per-replication KPI tables."""
    frames = [table.assign(replication=index) for index, table in tables if len(table)]
    if not frames:
        columns = [c for c in (tables[0][1].columns if tables else []) if c != "value"]
        return quantile_table(pd.DataFrame(columns=[*columns, "value", "replication"]), columns)
    stacked = pd.concat(frames, ignore_index=True)
    keys = [c for c in stacked.columns if c not in ("value", "replication")]
    return quantile_table(stacked, keys)


# ----------------------------------------------------------------------------- run


def run(scenario: Scenario | str | Path, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED,
        workers: int | None = None, executor: Executor | None = None,
        progress: bool | None = None, keep_records: bool = False) -> Ensemble:
    """Run ``reps`` replications of ``scenario`` and summarise them.

    ``scenario``
        A :class:`~salesim.scenario.Scenario` or the path of a scenario file.
    ``reps``, ``seed``
        Number of replications and the root seed their seeds derive from.
    ``workers``, ``executor``
        Where to run: ``workers=None`` uses a local process pool on every core,
        ``workers=1`` runs in this process, ``workers=N`` a pool of N
        processes; or pass any :class:`~salesim.experiments.executors.Executor`.
        The result is the same in every case.
    ``progress``
        Show a progress bar with ETA (on standard error). ``None``: only on a
        terminal or in a notebook.
    ``keep_records``
        Keep each replication's record tables in ``Ensemble.records`` (memory
        grows with replications and scenario size).
    """
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 1:
        raise ValueError(f"reps must be a whole number of at least 1, not {reps!r}")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    chosen = resolve_executor(workers, executor)
    portable = PortableScenario(scenario)
    tasks = [ReplicationTask(portable, replication_seed, index, keep_records)
             for index, replication_seed in enumerate(replication_seeds(seed, int(reps)))]
    where = "in this process" if chosen.workers == 1 else f"on {chosen.workers} workers"
    with progress_bar(len(tasks), f"{scenario.meta.name}: {len(tasks)} replications {where}",
                      show=progress) as advance:
        results = chosen.map(replication_task, tasks, on_done=advance)
    return assemble(scenario.meta.name, seed, results)


@contextlib.contextmanager
def progress_bar(total: int, description: str, show: bool | None = None
                 ) -> Iterator[Callable[[int, Any], None]]:
    """Yield an ``on_done`` callback that advances a rich progress bar with ETA.

    ``show=None`` shows it only when standard error is a terminal or a notebook;
    the bar is removed when done.
    """
    from rich.console import Console

    console = Console(stderr=True)
    if show is None:
        show = console.is_terminal or console.is_jupyter
    if not show:
        yield lambda index, result: None
        return

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda index, result: bar.advance(task)
