"""``salesim run``: run a scenario's replications, write the files, print the summary.

The command-line layer only parses arguments and calls :func:`run_command`.
A :class:`~salesim.scenario.ScenarioError` propagates so that the command line
prints it the way ``salesim validate`` does. An output folder that could not be
written, or that holds another run's results, is reported before any
replication runs. Ctrl-C is handled here: the workers stop, no result file is
written, the finished replications stay in ``<out>/.partial/`` for
``--resume``, and the exit status is 130; ``kill`` (SIGTERM) and a closed
terminal (SIGHUP) are handled the same way, with exit status 143 and 129.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import math
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from salesim.experiments.checkpoint import CheckpointMismatchError, CheckpointStore
from salesim.experiments.ensemble import Ensemble
from salesim.experiments.executors import Executor, resolve_executor
from salesim.experiments.montecarlo import DEFAULT_REPS, DEFAULT_SEED, ProgressMode, run
from salesim.experiments.provenance import (
    OutputConflictError,
    RunIdentity,
    check_not_another_run,
    default_out_folder,
    scenario_hash,
    slug,
)
from salesim.experiments.quota import quota_guide
from salesim.experiments.spreadsheet import plan_beside_simulation, spreadsheet_plan
from salesim.experiments.stats import Probability
from salesim.experiments.targets import Target
from salesim.io import check_output_folder
from salesim.metrics import Plan
from salesim.metrics.kpis import TEAM_HEADLINES, headline_names
from salesim.metrics.quota_periods import QUOTA_GUIDE
from salesim.report.files import write_reports
from salesim.report.formatting import format_metric as format_value
from salesim.report.formatting import format_percent, metric_kind
from salesim.roles import KINDS
from salesim.scenario import Scenario, load_scenario
from salesim.scenario.loader import shown_path

EXIT_OK = 0
EXIT_CONFLICT = 1
EXIT_INTERRUPTED = 130
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                      if hasattr(signal, name))



def default_out(scenario_name: str) -> Path:
    """``out/<scenario name>``, the name made safe as a folder name.

    >>> default_out("Reference SaaS / FY27").as_posix()
    'out/reference-saas-fy27'
    """
    return Path("out") / slug(scenario_name)


PARTIAL = ".partial"
"""The checkpoint folder inside an output folder (finished replications of a run)."""


def run_command(scenario_path: str | Path, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED,
                workers: int | None = None, overrides: Sequence[str] = (),
                out: str | Path | None = None, records: bool = False, *,
                progress: ProgressMode = None, console: Console | None = None,
                targets: Sequence[str] = (), force: bool = False, resume: bool = False,
                executor: Executor | None = None, precision: float | None = None,
                report: bool = False, inner: int = 1) -> int:
    """Run the scenario at ``scenario_path``, write its files to ``out`` and print a summary.

    ``out`` defaults to ``out/<name>`` without overrides and ``out/<name>-<hash>``
    with them. A folder holding another run (another scenario hash or seed) is
    refused unless ``force``. Finished replications are kept in
    ``<out>/.partial/`` until the run completes; ``resume`` continues from them.
    ``targets`` are ``metric=value`` conditions (see
    :mod:`salesim.experiments.targets`) whose probability is printed and written.
    ``precision``: run until P10/P50/P90 are that precise, ``reps`` at most
    (see :func:`~salesim.experiments.montecarlo.run`). ``report``: also write
    ``report.html`` and ``report.xlsx`` (their bookings target: the first
    ``bookings`` target, else the AE quota capacity). ``inner``: chance seeds per
    draw of the uncertain assumptions.

    Returns the exit status: 0; 1 when the output folder holds something else;
    or 128 + the signal's number when interrupted (130 for Ctrl-C; the finished
    replications are kept for ``resume``, no result file is written).
    """
    with _stop_signals_as_interrupts() as stopped_by:
        return _run_command(scenario_path, reps, seed, workers, overrides, out, records,
                            progress, console, stopped_by, targets, force, resume, executor,
                            precision, report, inner)


def _run_command(scenario_path: str | Path, reps: int, seed: int, workers: int | None,
                 overrides: Sequence[str], out: str | Path | None, records: bool,
                 progress: ProgressMode, console: Console | None,
                 stopped_by: Callable[[], int], target_texts: Sequence[str], force: bool,
                 resume: bool, executor: Executor | None, precision: float | None,
                 report: bool = False, inner: int = 1) -> int:
    console = console or Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    target: Path | None = Path(out) if out is not None else None
    created: list[Path] = []
    store: CheckpointStore | None = None
    try:
        scenario = load_scenario(scenario_path, overrides=list(overrides))
        identity = RunIdentity(shown_path(Path(scenario_path)), tuple(overrides),
                               scenario_hash(scenario), seed)
        targets = parse_targets(target_texts, scenario)
        target = target or default_out_folder(scenario.meta.name, identity.scenario_hash,
                                              overrides)
        check_output_folder(target)
        store = CheckpointStore(target / PARTIAL, scenario, seed)
        problem = _folder_problem(target, identity, store, force, resume)
        if problem:
            errors.print(f"error: {problem}", markup=False, soft_wrap=True)
            return EXIT_CONFLICT
        chosen = executor or resolve_executor(workers)
        created = [p for p in (target, *target.parents) if not p.exists()]
        if progress is None and not (errors.is_terminal or errors.is_jupyter):
            progress = "lines"
        started = time.perf_counter()
        ensemble = run(scenario, reps=reps, seed=seed, executor=chosen, progress=progress,
                       records_dir=store.folder / "records" if records else None,
                       checkpoint=store.folder, precision=precision, inner=inner)
        elapsed = time.perf_counter() - started
        spreadsheet = plan_beside_simulation(spreadsheet_plan(scenario), ensemble.kpis)
        info = {**identity.to_dict(), **ensemble.info,
                "targets": [t.result(ensemble) for t in targets],
                "quota_guide": quota_guide(ensemble.replications, scenario),
                "spreadsheet": spreadsheet_totals(spreadsheet)}
        ensemble = dataclasses.replace(ensemble, info=info,
                                       tables={"spreadsheet": spreadsheet})
        with _interrupts_deferred() as interrupted:
            ensemble.write(target, records=records)
            store.clear()
    except KeyboardInterrupt:
        kept = store.count() if store is not None else 0
        code = 128 + stopped_by() if stopped_by() else EXIT_INTERRUPTED
        if kept and store is not None:
            errors.print(f"interrupted: {kept} finished replications kept in {store.folder}; "
                         "run again with --resume to complete the run", markup=False,
                         soft_wrap=True)
            return code
        _remove(store.folder if store is not None else None, created)
        where = f"; {target} left unchanged" if target is not None else ""
        errors.print(f"interrupted: no results written{where}", markup=False, soft_wrap=True)
        return code
    except BaseException:
        if store is not None and not store.count():
            _remove(store.folder, created)
        raise
    workers_note = "in this process" if chosen.workers == 1 else f"on {chosen.workers} workers"
    teams = {name: team.kind for name, team in scenario.organisation.items()}
    console.print(summary_table(ensemble, scenario.meta.currency, teams))
    console.print(team_table(ensemble, teams))
    if info["quota_guide"]:
        console.print(guide_table(info["quota_guide"]))
    spread = variance_view(ensemble, scenario.meta.currency)
    if spread is not None:
        console.print(spread)
    for target_, result in zip(targets, info["targets"], strict=True):
        chance = Probability(result["probability"], result["ci_low"], result["ci_high"],
                             result["hits"], result["n"])
        console.print(f"P({target_.label}) = {chance}", markup=False, soft_wrap=True)
    if "precision" in info:
        console.print(precision_note(info["precision"]), markup=False, soft_wrap=True)
    console.print(spreadsheet_note(info["spreadsheet"], scenario.meta.currency), markup=False,
                  soft_wrap=True)
    console.print(f"{ensemble.reps} replications in {elapsed:.1f} s {workers_note}; "
                  f"wrote {target}", markup=False, soft_wrap=True)
    if report and not interrupted():
        goal = next((t.value for t in targets if t.metric == "bookings" and ">" in t.op), None)
        for path in write_reports(ensemble, target=goal, folder=target):
            console.print(f"report: {path}", markup=False, soft_wrap=True)
    if interrupted():
        errors.print("interrupted while writing: the results were written in full",
                     markup=False, soft_wrap=True)
        return 128 + (interrupted() or signal.SIGINT)
    return EXIT_OK


def spreadsheet_totals(table: pd.DataFrame) -> dict[str, float | None]:
    """The spreadsheet plan's and the simulation's bookings over the horizon."""
    plan = float(table["plan_bookings"].sum(min_count=1))
    simulated = float(table["sim_mean"].sum(min_count=1))
    return {"plan_bookings": None if math.isnan(plan) else plan,
            "simulated_mean_bookings": None if math.isnan(simulated) else simulated}


def spreadsheet_note(totals: dict[str, float | None], currency: str = "") -> str:
    """The spreadsheet plan against the simulation, in one line.

    >>> note = spreadsheet_note({"plan_bookings": 28.4e6, "simulated_mean_bookings": 30e6})
    >>> for part in note.split("; "):
    ...     print(part)
    spreadsheet plan (ramped AEs x quota): 28.4M of bookings
    simulated mean 30M (106% of the plan)
    month by month in spreadsheet.parquet
    """
    plan, simulated = totals["plan_bookings"], totals["simulated_mean_bookings"]
    if plan is None or simulated is None:
        return "spreadsheet plan: the AE team has no quota (spreadsheet.parquet has the heads)"
    share = f" ({simulated / plan:.0%} of the plan)" if plan else ""
    return (f"spreadsheet plan (ramped AEs x quota): {format_value('bookings', plan, currency)} "
            f"of bookings; simulated mean {format_value('bookings', simulated, currency)}"
            f"{share}; month by month in spreadsheet.parquet")


def precision_note(reached: dict[str, Any]) -> str:
    """What a run to a precision reached, in one line.

    >>> note = precision_note({"wanted": 0.01, "reached": 0.0091, "worst": "bookings P10",
    ...                        "metrics": ["bookings"], "reps": 1200, "max_reps": 10000,
    ...                        "met": True})
    >>> for part in note.split(" at 95% "):
    ...     print(part)
    precision: P10, P50 and P90 of bookings within ±0.91%
    (wanted ±1.0%) after 1200 replications
    """
    metrics = ", ".join(reached["metrics"])
    if reached["met"]:
        return (f"precision: P10, P50 and P90 of {metrics} within ±{reached['reached']:.2%} "
                f"at 95% (wanted ±{reached['wanted']:.1%}) after {reached['reps']} replications")
    return (f"precision not reached: ±{reached['reached']:.2%} ({reached['worst']}) at 95% "
            f"after {reached['reps']} replications, the most allowed (--reps); wanted "
            f"±{reached['wanted']:.1%}")


def parse_targets(texts: Sequence[str], scenario: Scenario) -> list[Target]:
    """Read ``--target`` values and check their metrics exist, before anything runs."""
    names = headline_names(Plan.from_scenario(scenario))
    targets = []
    for text in texts:
        target = Target.parse(text, scenario.meta.currency)
        if target.metric not in names:
            close = difflib.get_close_matches(target.metric, names, n=1)
            hint = f" (hint: did you mean {close[0]}?)" if close else ""
            raise ValueError(f"--target {text}: no headline metric {target.metric!r}{hint}")
        targets.append(target)
    return targets


def _folder_problem(target: Path, identity: RunIdentity, store: CheckpointStore,
                    force: bool, resume: bool) -> str:
    """Why the run must not go into ``target`` ('' when it may); clears what ``force``
    allows to replace."""
    try:
        check_not_another_run(target, identity, force)
    except OutputConflictError as conflict:
        return str(conflict)
    if not store.folder.exists():
        return ""
    if force and not resume:
        store.clear()
        return ""
    if resume:
        try:
            store.load([])
        except CheckpointMismatchError as mismatch:
            return f"{mismatch} (hint: --force without --resume starts over)"
        return ""
    if store.count():
        return (f"{store.folder} holds {store.count()} finished replications of an "
                "interrupted run: pass --resume to complete it or --force to start over")
    store.clear()
    return ""


def _remove(staging: Path | None, created: list[Path]) -> None:
    """Delete the checkpoint folder and any folders this run created (if empty)."""
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    for folder in created:  # deepest first
        with contextlib.suppress(OSError):
            folder.rmdir()


def _stop_signals_as_interrupts() -> contextlib.AbstractContextManager[Callable[[], int]]:
    """Turn SIGTERM and SIGHUP into the same clean stop as Ctrl-C."""
    return _signals_caught(_STOP_SIGNALS, interrupt=True)


def _interrupts_deferred() -> contextlib.AbstractContextManager[Callable[[], int]]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back while files are renamed into place, so a
    set of outputs is never left half replaced."""
    return _signals_caught((signal.SIGINT, *_STOP_SIGNALS), interrupt=False)


@contextlib.contextmanager
def _signals_caught(numbers: Sequence[int], interrupt: bool) -> Iterator[Callable[[], int]]:
    """Catch ``numbers`` while the block runs, raising KeyboardInterrupt if ``interrupt``
    else only noting them; yields a function giving the first signal caught (0: none).
    Signals can be caught only in the main thread; elsewhere nothing changes."""
    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: 0
        return

    def catch(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)
        if interrupt:
            raise KeyboardInterrupt

    previous = {number: signal.signal(number, catch) for number in numbers}
    try:
        yield lambda: seen[0] if seen else 0
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def summary_table(ensemble: Ensemble, currency: str = "",
                  teams: Mapping[str, str] | None = None) -> Table:
    """The headline metrics with mean, P10, P50 and P90, formatted by kind.

    The per-team entries of ``teams`` (team name -> kind) are left to
    :func:`team_table`; ``headcount_end_<kind>`` stays here."""
    summary = ensemble.summary()
    per_team = {f"{metric}_{team}" for team in teams or {} for metric in TEAM_HEADLINES}
    per_team -= {f"headcount_end_{kind}" for kind in KINDS}
    table = Table(title=f"{ensemble.scenario_name}: {ensemble.reps} replications, "
                        f"seed {ensemble.seed}",
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    table.add_column("metric")
    for column in ("mean", "P10", "P50", "P90"):
        table.add_column(column, justify="right")
    for metric, row in summary.iterrows():
        name = str(metric)
        if name in per_team:
            continue
        table.add_row(name, *(format_value(name, row[column], currency)
                              for column in ("mean", "p10", "p50", "p90")))
    return table


def team_table(ensemble: Ensemble, teams: Mapping[str, str]) -> Table:
    """Per team (``teams``: team name -> kind): its kind, heads at the horizon end, the
    mean attainment of its reps (P10, P50 and P90 across replications) and their
    share at quota; ``-`` for a team without a quota.

    Heads and share at quota are P50s across replications, as is the middle
    attainment column.
    """
    stats: dict[Any, dict[Any, Any]] = ensemble.summary().to_dict("index")
    table = Table(title="Teams: heads at the end, attainment (mean over reps) and share "
                        "at quota; P50 across replications, attainment also P10 and P90",
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    table.add_column("team", no_wrap=True)
    table.add_column("kind")
    for column in ("heads", "attainment P10", "P50", "P90", "at quota"):
        table.add_column(column, justify="right")
    wanted = (("headcount_end", "p50"), ("attainment_mean", "p10"),
              ("attainment_mean", "p50"), ("attainment_mean", "p90"),
              ("share_at_quota", "p50"))
    for team, kind in teams.items():
        cells = []
        for metric, stat in wanted:
            found = stats.get(f"{metric}_{team}")
            cells.append("-" if found is None else format_value(metric, float(found[stat])))
        table.add_row(team, kind, *cells)
    return table


def guide_table(guide: Sequence[Mapping[str, Any]]) -> Table:
    """Per team with a quota, the share of its fully ramped reps at quota over whole
    quota periods (:func:`~salesim.experiments.quota.quota_guide`) against the guide."""
    low, high = QUOTA_GUIDE
    table = Table(title=f"Quota guide: share of fully ramped reps at quota over whole quota "
                        f"periods, against {low * 100:.0f}-{high:.0%}; across replications",
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    table.add_column("team", no_wrap=True)
    table.add_column("per")
    for column in ("P10", "P50", "P90", "P(in guide)"):
        table.add_column(column, justify="right")
    table.add_column("P50 is")
    for entry in guide:
        table.add_row(str(entry["team"]), str(entry["period"]),
                      *(format_percent(entry[key]) for key in ("p10", "p50", "p90",
                                                               "p_in_guide")),
                      str(entry["verdict"]))
    return table


def variance_view(ensemble: Ensemble, currency: str = "") -> Table | None:
    """Per headline metric, the share of its spread due to the uncertain assumptions
    and the P10-P90 band from chance alone against chance and assumptions together
    (normal approximation); ``None`` when nothing was uncertain."""
    split = ensemble.variance()
    if split is None:
        return None
    method = str(split["method"].iloc[0]) if len(split) else ""
    table = Table(title=f"Spread from uncertain assumptions and from chance ({method} "
                        "estimate; P10-P90 bands of a normal spread)",
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    table.add_column("metric")
    for column in ("from assumptions", "band: chance", "chance + assumptions", "widening"):
        table.add_column(column, justify="right")
    for row in split.to_dict("records"):
        if not row["variance"] > 0:  # no spread, or undefined: nothing to split
            continue
        name = str(row["metric"])
        share = row["share_assumptions"]
        table.add_row(name, "-" if pd.isna(share) else f"{share:.0%}",
                      *(_band(name, row[column], currency)
                        for column in ("band_chance", "band_total", "band_widening")))
    return table


def _band(metric: str, value: float, currency: str) -> str:
    """A band width in the metric's unit (a share's width in points)."""
    if value is None or pd.isna(value):
        return "-"
    if metric_kind(metric) == "share":
        return f"{value * 100:.1f} pts"
    return format_value(metric, value, currency)
