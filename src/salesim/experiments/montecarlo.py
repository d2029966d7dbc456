"""Monte Carlo: many independent replications of one scenario, summarised.

>>> from salesim.experiments import run
>>> ensemble = run("scenarios/minimal.yaml", reps=8, seed=1, workers=1)
>>> ensemble
Ensemble('Minimal', reps=8, seed=1, metrics=21, kpi_rows=...)
>>> list(ensemble.summary().columns)
['mean', 'p10', 'p50', 'p90']
>>> 0 <= ensemble.probability("bookings", 150_000) <= 1
True
>>> ensemble.kpis.query("metric == 'bookings' and period_type == 'total' "
...                     "and channel == '' and segment == '' and role == ''").shape[0]
1

Replication ``k`` runs ``simulate(scenario, seed=seeds[k])`` with
``seeds = replication_seeds(seed, reps)``; each replication is one task for an
executor (:mod:`salesim.experiments.executors`), and the results are put back in
replication order, so an ensemble is the same whatever executor or number of
workers produced it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

import salesim
from salesim.engine.garbage import paused_collection
from salesim.experiments.checkpoint import CheckpointStore
from salesim.experiments.ensemble import Ensemble, records_folder_name
from salesim.experiments.executors import Executor, resolve_executor
from salesim.experiments.precision import (
    FIRST_BATCH,
    PRECISION_METRICS,
    next_size,
    relative_precision,
)
from salesim.experiments.seeds import replication_seeds
from salesim.experiments.stats import QuantileAccumulator
from salesim.experiments.tables import ATTAINMENT_COLUMNS, funnel_reach, rep_attainment
from salesim.metrics import Plan, headline_metrics, kpi_table
from salesim.metrics.periods import PeriodType
from salesim.records import Records
from salesim.scenario import Scenario, dump_scenario, load_scenario
from salesim.scenario.uncertain import info_values, realise
from salesim.world import simulate

DEFAULT_REPS = 400
"""Replications per run when not told otherwise: enough for stable P10/P50/P90.

Measured on the reference scenario (``benchmarks/RESULTS.md``, Monte Carlo):
its 3-year bookings vary by about 9% (coefficient of variation) from one
replication to the next. The standard error of a sample median is about
``1.25 * sd / sqrt(n)`` and of a P10 or P90 about ``1.71 * sd / sqrt(n)``, so

=======  ===============  ============  ==================================
reps     P50 std. error   P10/P90 s.e.  two root seeds' P50 within 2%
=======  ===============  ============  ==================================
100      1.1%             1.5%          about 80% of the time
200      0.8%             1.1%          about 93%
400      0.55%            0.75%         about 99%
=======  ===============  ============  ==================================

400 makes the P50 of bookings reproducible to 2% from one root seed to the
next (measured: 0.5% apart for root seeds 0 and 1) and P10/P90 good to under
1%. A replication of the reference scenario takes about 2 CPU-seconds, so a
default run takes about 7 minutes on 2 cores and 2 on 8; pass ``reps`` for
quicker, rougher answers."""

DEFAULT_SEED = 0
"""Root seed when not told otherwise: runs are reproducible by default."""

KPI_PERIOD_TYPES: tuple[PeriodType, ...] = ("month", "quarter", "year", "total")
"""The KPI rows kept per replication and summarised across replications."""


# ----------------------------------------------------------------------------- one replication


@dataclass(eq=False)
class ReplicationResult:
    """What one replication sends back: small and picklable.

    ``kpis`` is the replication's KPI table (text columns as categories, which
    makes it several times smaller to send); :func:`run` folds it into the
    ensemble's quantile table as soon as it arrives and then drops it
    (``kpis=None``) so that memory does not grow with every replication. The
    same goes for ``funnel`` (:func:`~salesim.experiments.tables.funnel_reach`);
    ``attainment`` (:func:`~salesim.experiments.tables.rep_attainment`, a few
    rows per rep) is kept as it is. ``assumptions``: the values drawn for the
    uncertain assumptions, from ``assumption_seed``.
    """

    index: int
    seed: int
    headline: dict[str, float]
    kpis: pd.DataFrame | None
    records: Records | None = None
    attainment: pd.DataFrame | None = None
    funnel: pd.DataFrame | None = None
    assumption_seed: int | None = None
    assumptions: dict[str, float] = field(default_factory=dict)


@paused_collection
def run_replication(scenario: Scenario, seed: int, index: int = 0,
                    keep_records: bool = False,
                    records_dir: str | Path | None = None,
                    with_kpis: bool = True,
                    assumption_seed: int | None = None) -> ReplicationResult:
    """Simulate one replication and compute its headline metrics and KPI table.

    ``keep_records`` sends the record tables back with the result;
    ``records_dir`` writes them into that folder here and now instead (in a
    worker process: in parallel, and nothing big to send back).
    ``with_kpis=False`` computes the headline metrics only (quicker; the
    result's ``kpis`` is ``None``), for experiments that need no more.
    ``assumption_seed`` draws the uncertain assumptions (default: ``seed``).
    A module-level function, so process and cluster executors can run it.
    """
    records = simulate(scenario, seed=seed, assumption_seed=assumption_seed)
    # quotas, costs and capacities as this replication drew them
    plan = Plan.from_scenario(realise(scenario, seed if assumption_seed is None
                                      else assumption_seed))
    kpis = kpi_table(records, plan, period_types=KPI_PERIOD_TYPES) if with_kpis else None
    headline = headline_metrics(records, plan, kpis=kpis)
    if records_dir is not None:
        records.write_parquet(Path(records_dir))
    drawn = info_values(records.info)
    return ReplicationResult(
        index, int(seed), headline, None if kpis is None else _compact(kpis),
        records if keep_records else None,
        attainment=None if kpis is None else rep_attainment(kpis, records.reps, index),
        funnel=funnel_reach(records, plan) if with_kpis else None,
        assumption_seed=(int(seed if assumption_seed is None else assumption_seed)
                         if drawn else None),
        assumptions=drawn)


def _compact(table: pd.DataFrame) -> pd.DataFrame:
    text = [c for c in table.columns
            if pd.api.types.is_string_dtype(table[c]) or pd.api.types.is_object_dtype(table[c])]
    return table.astype(dict.fromkeys(text, "category"))


class PortableScenario:
    """A scenario that travels to worker processes as its JSON form.

    Scenario models need not pickle (parametrised generic models do not), and
    JSON is small: it is written once per run and rebuilt (validated) once per
    worker process and scenario (cached by its text), so each task only carries a
    short string and every replication in a worker reuses the same scenario object.
    In this process the original object is used.
    """

    __slots__ = ("_text", "scenario")

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._text: str | None = None

    def __reduce__(self) -> tuple[Callable[[str], PortableScenario], tuple[str]]:
        if self._text is None:  # once, not once per task
            self._text = self.scenario.model_dump_json()
        return (_rebuild_scenario, (self._text,))


@functools.lru_cache(maxsize=8)
def _rebuild_scenario(text: str) -> PortableScenario:
    return PortableScenario(Scenario.model_validate_json(text))


@dataclass(frozen=True)
class ReplicationTask:
    scenario: PortableScenario
    seed: int
    index: int
    keep_records: bool = False
    records_dir: str | None = None
    with_kpis: bool = True
    assumption_seed: int | None = None


def replication_task(task: ReplicationTask) -> ReplicationResult:
    """Executor entry point: run one :class:`ReplicationTask`."""
    # only the arguments that differ from their defaults: an ordinary run calls
    # run_replication exactly as before
    extra: dict[str, Any] = {}
    if not task.with_kpis:
        extra["with_kpis"] = False
    if task.assumption_seed is not None:
        extra["assumption_seed"] = task.assumption_seed
    return run_replication(task.scenario.scenario, task.seed, task.index, task.keep_records,
                           task.records_dir, **extra)


# ----------------------------------------------------------------------------- the ensemble


def assemble(scenario_name: str, seed: int, results: Sequence[ReplicationResult],
             version: str | None = None, kpis: pd.DataFrame | None = None,
             records_dir: Path | None = None, funnel: pd.DataFrame | None = None,
             scenario_text: str | None = None) -> Ensemble:
    """Build an :class:`Ensemble` from replication results (any order).

    ``kpis``, ``funnel``: the quantile tables when already folded (see
    :func:`run`); else they are built from the results' tables.
    ``scenario_text``: the resolved scenario as YAML, kept with the ensemble.
    """
    results = sorted(results, key=lambda result: result.index)
    names: dict[str, None] = {}
    for result in results:
        names.update(dict.fromkeys(result.headline))
    replications = pd.DataFrame({
        "replication": pd.Series([r.index for r in results], dtype="int64"),
        "seed": pd.Series([r.seed for r in results], dtype="int64"),
        **{name: pd.Series([r.headline.get(name, np.nan) for r in results], dtype="float64")
           for name in names},
    })
    if kpis is None:
        accumulator = QuantileAccumulator()
        for result in results:
            if result.kpis is not None:
                accumulator.add(result.index, result.kpis)
        kpis = accumulator.table()
    if funnel is None:
        folded = QuantileAccumulator(value="count")
        for result in results:
            if result.funnel is not None:
                folded.add(result.index, result.funnel)
        funnel = folded.table() if len(folded) else None
    attainment = _attainment_table([r.attainment for r in results])
    kept = [r.records for r in results if r.records is not None]
    drawn = assumption_table(results)
    return Ensemble(
        scenario_name=scenario_name,
        seed=int(seed),
        replications=replications,
        kpis=kpis,
        version=salesim.__version__ if version is None else version,
        records=tuple(kept) if results and len(kept) == len(results) else None,
        records_dir=records_dir,
        attainment=attainment,
        funnel=funnel,
        scenario_text=scenario_text,
        assumptions=drawn,
    )


def _attainment_table(parts: Sequence[pd.DataFrame | None]) -> pd.DataFrame | None:
    found = [part for part in parts if part is not None]
    if not found:
        return None
    table = pd.concat(found, ignore_index=True) if len(found) > 1 else found[0]
    return table.sort_values(["replication", "role", "team", "rep_id"], kind="stable",
                             ignore_index=True)[list(ATTAINMENT_COLUMNS)]


# ----------------------------------------------------------------------------- run


def run(scenario: Scenario | str | Path, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED,
        workers: int | None = None, executor: Executor | None = None,
        progress: ProgressMode = None, keep_records: bool = False,
        records_dir: str | Path | None = None,
        checkpoint: str | Path | None = None, precision: float | None = None,
        precision_metrics: Sequence[str] = PRECISION_METRICS, inner: int = 1) -> Ensemble:
    """Run ``reps`` replications of ``scenario`` and summarise them.

    ``scenario``
        A :class:`~salesim.scenario.Scenario` or the path of a scenario file.
    ``reps``, ``seed``
        Number of replications and the root seed their seeds derive from.
    ``workers``, ``executor``
        Where to run: ``workers=None`` uses a local process pool on every core,
        ``workers=1`` runs in this process, ``workers=N`` a pool of N
        processes; or pass any :class:`~salesim.experiments.executors.Executor`
        (such as a :class:`~salesim.experiments.dask_executor.DaskExecutor`).
        The result is the same in every case. Worker processes are started
        fresh ("spawn"), so a script that runs this with more than one worker
        needs the usual ``if __name__ == "__main__":`` guard.
    ``progress``
        ``True``: a progress bar with ETA (on standard error); ``"lines"``:
        a line now and then with count, rate and time left (for log files);
        ``False``: nothing; ``None``: the bar on a terminal or in a notebook,
        else nothing.
    ``keep_records``
        Keep each replication's record tables in ``Ensemble.records`` (memory
        grows with replications and scenario size: several MB each).
    ``records_dir``
        Instead, write each replication's record tables to
        ``records_dir/replication-NNNN/`` as it finishes (``Ensemble.write``
        then copies them into its ``records/``).
    ``checkpoint``
        A folder that keeps every finished replication (one file each, see
        :mod:`salesim.experiments.checkpoint`). Replications already there
        from an interrupted run of the same scenario and seed are not run
        again, so the result is the same as an uninterrupted run's.
    ``precision``
        Instead of exactly ``reps``, run until the P10, P50 and P90 of the
        ``precision_metrics`` are known to within this relative precision
        (``0.01``: within 1% at 95% confidence; see
        :mod:`salesim.experiments.precision`), in batches, with ``reps`` as
        the most. The replications run are the first ``n`` of the root seed,
        and ``n`` depends only on their values, so the result is the same on
        every executor. ``Ensemble.info["precision"]`` says what was reached.
    ``inner``
        Chance seeds per draw of the uncertain assumptions: replications
        ``k*inner .. k*inner + inner - 1`` share the draws of replication
        ``k*inner`` (see :func:`assumption_seeds`), so the variance decomposition
        (:meth:`Ensemble.variance`) can use the nested estimator.
    """
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 1:
        raise ValueError(f"reps must be a whole number of at least 1, not {reps!r}")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if checkpoint is not None and keep_records:
        raise ValueError("keep_records keeps records in memory, which a checkpoint cannot "
                         "keep: use records_dir with a checkpoint")
    chosen = resolve_executor(workers, executor)
    portable = PortableScenario(scenario)
    folder = None if records_dir is None else Path(records_dir).resolve()
    seeds = replication_seeds(seed, int(reps))
    tasks = [
        ReplicationTask(portable, replication_seed, index, keep_records,
                        None if folder is None else str(folder / records_folder_name(index, reps)),
                        assumption_seed=outer)
        for index, (replication_seed, outer) in enumerate(
            zip(seeds, assumption_seeds(seeds, inner), strict=True))
    ]
    if precision is not None and not 0 < precision < 1:
        raise ValueError(f"precision must be a fraction between 0 and 1, not {precision}")
    store = None if checkpoint is None else CheckpointStore(Path(checkpoint), scenario, seed)
    accumulator = QuantileAccumulator(len(tasks))
    funnel = QuantileAccumulator(len(tasks), value="count")
    kept: dict[int, ReplicationResult] = {}
    if store is not None:
        for result in store.load(seeds):
            task = tasks[result.index]
            if task.records_dir is None or Path(task.records_dir).is_dir():
                kept[result.index] = result
    results: dict[int, ReplicationResult] = {}
    size = len(tasks) if precision is None else min(len(tasks), FIRST_BATCH)
    reached: dict[str, object] = {}
    with progress_bar(size, scenario.meta.name, show=progress,
                      completed=sum(1 for index in kept if index < size)) as display:

        def done(index: int, result: ReplicationResult) -> None:
            if store is not None:
                store.save(result)
            _fold(accumulator, result, funnel)
            results[result.index] = result
            display()

        while True:
            for index in [index for index in kept if index < size]:
                result = kept.pop(index)
                _fold(accumulator, result, funnel)
                results[index] = result
            remaining = [task for task in tasks[:size] if task.index not in results]
            chosen.map(replication_task, remaining, on_done=done)
            if precision is None:
                break
            ordered = [results[index] for index in range(size)]
            worst, where = relative_precision({
                metric: [r.headline.get(metric, np.nan) for r in ordered]
                for metric in precision_metrics})
            reached = {"wanted": precision, "reached": worst, "worst": where,
                       "metrics": list(precision_metrics), "reps": size, "max_reps": len(tasks),
                       "met": worst <= precision}
            if worst <= precision or size >= len(tasks):
                break
            size = next_size(size, worst, precision, len(tasks))
            display.update(size, f"±{worst:.1%} ({where}), want ±{precision:.1%}",
                           completed=len(results) + sum(1 for i in kept if i < size))
    ensemble = assemble(scenario.meta.name, seed, list(results.values()),
                        kpis=accumulator.table(), records_dir=folder,
                        funnel=funnel.table() if len(funnel) else None,
                        scenario_text=dump_scenario(scenario))
    if reached:
        ensemble = dataclasses.replace(ensemble, info={"precision": reached})
    return ensemble


def assumption_seeds(seeds: Sequence[int], inner: int = 1) -> list[int | None]:
    """The seed each replication draws its uncertain assumptions from: its own
    (``None``) when ``inner`` is 1, else the seed of the first replication of its
    group of ``inner``.

    >>> assumption_seeds([11, 12, 13, 14, 15], inner=2)
    [11, 11, 13, 13, 15]
    """
    if isinstance(inner, bool) or not isinstance(inner, int | np.integer) or inner < 1:
        raise ValueError(f"inner must be a whole number of at least 1, not {inner!r}")
    if inner == 1:
        return [None] * len(seeds)
    return [int(seeds[index - index % inner]) for index in range(len(seeds))]


def assumption_table(results: Sequence[ReplicationResult]) -> pd.DataFrame | None:
    """One row per replication: ``replication``, ``assumption_seed`` and the value
    drawn for each uncertain path; ``None`` when nothing was uncertain."""
    results = sorted(results, key=lambda result: result.index)
    paths = list(dict.fromkeys(path for r in results for path in r.assumptions))
    if not paths:
        return None
    return pd.DataFrame({
        "replication": pd.Series([r.index for r in results], dtype="int64"),
        "assumption_seed": pd.Series([r.assumption_seed for r in results], dtype="int64"),
        **{path: pd.Series([r.assumptions.get(path, np.nan) for r in results],
                           dtype="float64") for path in paths},
    })


def run_many(scenarios: Sequence[Scenario], reps: int = DEFAULT_REPS,
             seed: int = DEFAULT_SEED, workers: int | None = None,
             executor: Executor | None = None, progress: ProgressMode = None,
             description: str = "", kpis: bool = True) -> list[Ensemble]:
    """Run several scenarios on the same replication seeds, as one batch of tasks.

    Returns one :class:`Ensemble` per scenario, each equal to ``run(scenario,
    reps=reps, seed=seed)``. All tasks go to the executor at once, so a pool
    starts once and stays busy across scenarios (experiments such as compare,
    sweep and sensitivity run many small scenarios). ``kpis=False`` computes
    the headline metrics only (the ensembles' KPI tables are then empty).
    """
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 1:
        raise ValueError(f"reps must be a whole number of at least 1, not {reps!r}")
    chosen = resolve_executor(workers, executor)
    seeds = replication_seeds(seed, int(reps))
    tasks = [ReplicationTask(portable, replication_seed, index, with_kpis=kpis)
             for portable in map(PortableScenario, scenarios)  # one JSON per scenario
             for index, replication_seed in enumerate(seeds)]
    accumulators = [QuantileAccumulator(int(reps)) for _ in scenarios]
    label = description or f"{len(scenarios)} scenarios"
    with progress_bar(len(tasks), label, show=progress) as display:

        def done(position: int, result: ReplicationResult) -> None:
            _fold(accumulators[position // int(reps)], result)
            display()

        results = chosen.map(replication_task, tasks, on_done=done)
    return [assemble(scenario.meta.name, seed, results[k * int(reps):(k + 1) * int(reps)],
                     kpis=accumulators[k].table())
            for k, scenario in enumerate(scenarios)]


def _fold(accumulator: QuantileAccumulator, result: ReplicationResult,
          funnel: QuantileAccumulator | None = None) -> None:
    """Fold a result's KPI table (and cohort funnel) into the running quantiles, then
    drop them from the result so memory does not grow with replications."""
    if result.kpis is not None:
        accumulator.add(result.index, result.kpis)
        result.kpis = None
    if result.funnel is not None:
        if funnel is not None:
            funnel.add(result.index, result.funnel)
        result.funnel = None


ProgressMode = bool | Literal["lines"] | None
"""How :func:`run` shows progress: see its ``progress`` argument."""


class ProgressDisplay:
    """What :func:`progress_bar` yields: call it to advance by one; :meth:`update` when
    the total changes (runs to a precision) with a note on how far along it is."""

    def __call__(self) -> None:
        """One more replication done."""

    def update(self, total: int, note: str = "", completed: int | None = None) -> None:
        """A new total, and a short note (e.g. the precision reached so far)."""


class _RichDisplay(ProgressDisplay):
    def __init__(self, bar: Any, task: Any, description: str) -> None:
        self.bar, self.task, self.description = bar, task, description

    def __call__(self) -> None:
        self.bar.advance(self.task)

    def update(self, total: int, note: str = "", completed: int | None = None) -> None:
        self.bar.update(self.task, total=total, completed=completed,
                        description=f"{self.description} {note}".strip())


@contextlib.contextmanager
def progress_bar(total: int, description: str, show: ProgressMode = None,
                 completed: int = 0) -> Iterator[ProgressDisplay]:
    """Yield a :class:`ProgressDisplay`: call it to advance the progress by one.

    ``show``: ``True`` a rich bar with ETA (removed when done), ``"lines"``
    progress lines (:class:`ProgressLines`), ``False`` nothing, ``None`` the bar
    only when standard error is a terminal or a notebook. ``completed``: work
    already done before this call (a resumed run).
    """
    from rich.console import Console

    console = Console(stderr=True)
    if show is None:
        show = console.is_terminal or console.is_jupyter
    if show == "lines":
        yield ProgressLines(total, description, completed=completed)
        return
    if not show:
        yield ProgressDisplay()
        return

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Column

    # Fits an 80-column terminal: a long scenario name is cut short, never the ETA.
    columns = (
        TextColumn("[progress.description]{task.description}",
                   table_column=Column(max_width=24, no_wrap=True, overflow="ellipsis")),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total, completed=completed)
        yield _RichDisplay(bar, task, description)


class ProgressLines(ProgressDisplay):
    """Progress as plain lines on standard error, for logs and captured output.

    A line is printed at most every ``interval`` seconds, and for the last
    replication: ``Reference: 120/400 replications (30%), 3.9/s, 72 s left``,
    followed by the note of the last :meth:`update` if any. The rate counts
    only the replications run here (not those resumed).
    """

    def __init__(self, total: int, description: str, completed: int = 0,
                 interval: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 write: Callable[[str], None] | None = None) -> None:
        self.total, self.description, self.interval = total, description, interval
        self.done = self.resumed = completed
        self.clock = clock
        self.started = self.last = clock()
        self.write = write or (lambda text: print(text, file=sys.stderr, flush=True))
        self.note = ""

    def __call__(self) -> None:
        self.advance()

    def update(self, total: int, note: str = "", completed: int | None = None) -> None:
        self.total, self.note = total, note
        if completed is not None:
            self.done = completed
        self.write(self.line(self.clock()))

    def advance(self) -> None:
        self.done += 1
        now = self.clock()
        if now - self.last < self.interval and self.done < self.total:
            return
        self.last = now
        self.write(self.line(now))

    def line(self, now: float) -> str:
        ran = self.done - self.resumed
        elapsed = now - self.started
        rate = ran / elapsed if elapsed > 0 else math.inf
        left = (self.total - self.done) / rate if rate > 0 else math.inf
        rate_text = f"{rate:.1f}/s" if math.isfinite(rate) else "-/s"
        left_text = "done" if self.done >= self.total else (
            f"{left:.0f} s left" if math.isfinite(left) else "time left unknown")
        note = f"; {self.note}" if self.note else ""
        return (f"{self.description}: {self.done}/{self.total} replications "
                f"({self.done / self.total:.0%}), {rate_text}, {left_text}{note}")
