"""``salesim run``: run a scenario's replications, write the files, print the summary.

The command-line layer only parses arguments and calls :func:`run_command`.
A :class:`~salesim.scenario.ScenarioError` propagates so that the command line
prints it the way ``salesim validate`` does. An output folder that could not be
written is reported before any replication runs. Ctrl-C is handled here: the
workers stop, nothing is written (the output folder is left as it was) and the
exit status is 130; ``kill`` (SIGTERM) and a closed terminal (SIGHUP) are
handled the same way, with exit status 143 and 129.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import tempfile
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

from salesim.experiments.ensemble import Ensemble
from salesim.experiments.executors import resolve_executor
from salesim.experiments.montecarlo import DEFAULT_REPS, DEFAULT_SEED, run
from salesim.io import check_output_folder
from salesim.metrics.kpis import TEAM_HEADLINES
from salesim.report.files import parse_target, write_reports
from salesim.report.formatting import format_metric as format_value
from salesim.report.formatting import metric_kind
from salesim.roles import KINDS
from salesim.scenario import load_scenario

EXIT_OK = 0
EXIT_INTERRUPTED = 130
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                      if hasattr(signal, name))


def default_out(scenario_name: str) -> Path:
    """``out/<scenario name>``, the name made safe as a folder name.

    >>> default_out("Reference SaaS / FY27").as_posix()
    'out/reference-saas-fy27'
    """
    slug = re.sub(r"[^\w.-]+", "-", scenario_name.strip().lower()).strip("-.")
    return Path("out") / (slug or "scenario")


def run_command(scenario_path: str | Path, reps: int = DEFAULT_REPS, seed: int = DEFAULT_SEED,
                workers: int | None = None, overrides: Sequence[str] = (),
                out: str | Path | None = None, records: bool = False, *,
                progress: bool | None = None, console: Console | None = None,
                report: bool = False, target: str | None = None,
                inner: int = 1) -> int:
    """Run the scenario at ``scenario_path``, write its files to ``out`` and print a summary.

    ``report``: also write ``report.html`` and ``report.xlsx`` into ``out``
    (``target``: the bookings target for the report, as money text).
    Returns the exit status: 0, or 128 + the signal's number when interrupted (130
    for Ctrl-C; nothing written then). ``inner``: chance seeds per draw of the
    uncertain assumptions (see :func:`salesim.experiments.run`).
    """
    with _stop_signals_as_interrupts() as stopped_by:
        return _run_command(scenario_path, reps, seed, workers, overrides, out, records,
                            progress, console, stopped_by, report, target,
                            inner)


def _run_command(scenario_path: str | Path, reps: int, seed: int, workers: int | None,
                 overrides: Sequence[str], out: str | Path | None, records: bool,
                 progress: bool | None, console: Console | None,
                 stopped_by: Callable[[], int], report: bool = False,
                 bookings_target: str | None = None, inner: int = 1) -> int:
    console = console or Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    target: Path | None = Path(out) if out is not None else None
    created: list[Path] = []
    staging: Path | None = None
    try:
        scenario = load_scenario(scenario_path, overrides=list(overrides))
        goal = parse_target(bookings_target, scenario.meta.currency) if report else None
        target = target or default_out(scenario.meta.name)
        check_output_folder(target)
        executor = resolve_executor(workers)
        if records:
            # Workers write record tables into a hidden folder inside the target
            # as they finish; it becomes records/ only once everything is done.
            created = [p for p in (target, *target.parents) if not p.exists()]
            target.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".salesim-records-", suffix=".tmp",
                                            dir=target))
        started = time.perf_counter()
        ensemble = run(scenario, reps=reps, seed=seed, executor=executor, progress=progress,
                       records_dir=staging, inner=inner)
        elapsed = time.perf_counter() - started
        with _interrupts_deferred() as interrupted:
            ensemble.write(target, records=records)
            _remove(staging, [])
    except KeyboardInterrupt:
        _remove(staging, created)
        where = f"; {target} left unchanged" if target is not None else ""
        errors.print(f"interrupted: no results written{where}", markup=False, soft_wrap=True)
        return 128 + stopped_by() if stopped_by() else EXIT_INTERRUPTED
    except BaseException:
        _remove(staging, created)
        raise
    workers_note = "in this process" if executor.workers == 1 else f"on {executor.workers} workers"
    teams = {name: team.kind for name, team in scenario.organisation.items()}
    console.print(summary_table(ensemble, scenario.meta.currency, teams))
    console.print(team_table(ensemble, teams))
    spread = variance_view(ensemble, scenario.meta.currency)
    if spread is not None:
        console.print(spread)
    console.print(f"{ensemble.reps} replications in {elapsed:.1f} s {workers_note}; "
                  f"wrote {target}", markup=False, soft_wrap=True)
    if report and not interrupted():
        for path in write_reports(ensemble, target=goal, folder=target):
            console.print(f"report: {path}", markup=False, soft_wrap=True)
    if interrupted():
        errors.print("interrupted while writing: the results were written in full",
                     markup=False, soft_wrap=True)
        return 128 + (interrupted() or signal.SIGINT)
    return EXIT_OK


def _remove(staging: Path | None, created: list[Path]) -> None:
    """Delete the records staging folder and any folders this run created (if empty)."""
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

