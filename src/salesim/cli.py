"""The ``salesim`` command line: a thin layer that wires library calls to the terminal.

Commands live on :data:`app`. Every command runs inside :class:`_Commands`, which
turns problems into messages a person can act on:

- a :class:`~salesim.scenario.ScenarioError` prints each issue on its own line
  (``file:line:col: path: message (hint: ...)``) to stderr and exits with status 2;
- any other exception prints one line to stderr and exits with status 1, unless
  ``SALESIM_DEBUG=1`` is set, in which case the traceback is shown.

To add a command, decorate a function with ``@app.command()`` below; it gets the
same error handling without further work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from salesim import __version__
from salesim.experiments.executors import Executor
from salesim.experiments.montecarlo import DEFAULT_REPS, DEFAULT_SEED
from salesim.io import atomic_write_text
from salesim.model.behaviour import describe_response, team_responses
from salesim.report.formatting import format_money
from salesim.roles import KINDS
from salesim.scenario import Distribution, Scenario, ScenarioError, load_scenario
from salesim.scenario.compensation import CompensationPlan
from salesim.scenario.editor_schema import scenario_json_schema_text
from salesim.scenario.routing import Route
from salesim.scenario.schema import AE, Channel, RampCurve, Team
from salesim.scenario.units import DAYS_PER_MONTH, Duration

EXIT_UNEXPECTED = 1
EXIT_INVALID_SCENARIO = 2
DEBUG_VARIABLE = "SALESIM_DEBUG"


def _debugging() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0")


def _error_line(text: str) -> None:
    typer.echo(text, err=True)


class _Commands(TyperGroup):
    """Runs a command and reports failures without a traceback (see the module docs)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ScenarioError as error:
            for issue in error.issues:
                _error_line(str(issue))
            count = len(error.issues)
            _error_line(f"{count} problem{'s' if count != 1 else ''} found")
            raise typer.Exit(EXIT_INVALID_SCENARIO) from None
        except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt, EOFError):
            raise
        except Exception as error:
            if _debugging():
                raise
            _report_unexpected(error)
            raise typer.Exit(EXIT_UNEXPECTED) from None


def _report_unexpected(error: Exception) -> None:
    message = str(error).strip().splitlines()
    detail = f": {message[0]}" if message else ""
    _error_line(f"error: {type(error).__name__}{detail} "
                f"(set {DEBUG_VARIABLE}=1 to see the traceback)")


app = typer.Typer(
    name="salesim",
    cls=_Commands,
    help="Simulate and plan B2B sales organisations from YAML scenarios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"salesim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True, help="Show the version and exit.",
    )] = False,
) -> None:
    """Simulate and plan B2B sales organisations from YAML scenarios."""


# ----------------------------------------------------------------------------- scenarios

ScenarioFile = Annotated[Path, typer.Argument(
    metavar="FILE", help="Scenario YAML file.", show_default=False,
)]
Overrides = Annotated[list[str] | None, typer.Option(
    "--set", "-s", metavar="KEY=VALUE",
    help="Override one value by its dotted path, e.g. --set ae.headcount=24 "
         "or --set ae.hiring.0.count=3. Repeat for several.",
    show_default=False,
)]


@app.command()
def validate(file: ScenarioFile, overrides: Overrides = None) -> None:
    """Check a scenario and print a one-screen summary of it.

    Problems are printed one per line as file:line:col: path: message, and the
    command exits with status 2.
    """
    scenario = load_scenario(file, overrides=overrides or [])
    console = Console(highlight=False)
    console.print(f"ok: {scenario.meta.name}", markup=False)
    print_summary(scenario, console)


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="FILE", help="Write the schema to FILE instead of printing it.",
        show_default=False,
    )] = None,
) -> None:
    """Print the JSON Schema of scenario files, for editor completion and checking.

    Point an editor at it from a scenario with a first line such as
    '# yaml-language-server: $schema=../salesim.schema.json'.
    """
    text = scenario_json_schema_text()
    if out is None:
        typer.echo(text, nl=False)
        return
    atomic_write_text(out, text)
    _error_line(f"wrote {out}")


# ----------------------------------------------------------------------------- simulations
#
# Commands that run the simulation (``salesim run`` and friends) belong here. They
# take a scenario the same way ``validate`` does (FILE plus ``--set``), so reuse
# ScenarioFile and Overrides for their arguments.


Reps = Annotated[int, typer.Option(
    "--reps", "-n", min=1, help="Number of replications.")]
Seed = Annotated[int, typer.Option(
    "--seed", min=0, help="Root seed; replication seeds derive from it.")]
Workers = Annotated[int | None, typer.Option(
    "--workers", "-w", min=1, show_default=False,
    help="Worker processes (default: all cores; 1 runs in this process; with --dask local, "
         "the cluster's workers).")]
Dask = Annotated[str | None, typer.Option(
    "--dask", metavar="ADDRESS", show_default=False,
    help="Run on a Dask cluster: its scheduler's address (tcp://host:8786), or 'local' "
         "to start one on this machine.")]
ReportTarget = Annotated[str | None, typer.Option(
    "--target", metavar="AMOUNT", show_default=False,
    help="Bookings target for the report, e.g. 30M or 30億円 (default: the AE quota "
         "capacity, ramped heads x quota).")]


@app.command()
def run(
    file: ScenarioFile,
    reps: Annotated[int | None, typer.Option(
        "--reps", "-n", min=1, show_default=False,
        help=f"Number of replications (default {DEFAULT_REPS}); with --precision, the most "
             f"(default {PRECISION_MAX_REPS}).")] = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    overrides: Overrides = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR", show_default=False,
        help="Output folder (default: out/<scenario name>, or out/<scenario name>-<hash> "
             "with --set).")] = None,
    records: Annotated[bool, typer.Option(
        "--records", help="Also write each replication's record tables under records/.")] = False,
    targets: Annotated[list[str] | None, typer.Option(
        "--target", "-t", metavar="METRIC=VALUE", show_default=False,
        help="Print and write the chance of reaching a target, e.g. --target bookings=30M "
             "(at least; or write >=, >, <=, <). Repeat for several.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an output folder that holds another run's results.")] = False,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Complete an interrupted run from its finished replications.")] = False,
    dask: Dask = None,
    precision: Annotated[str | None, typer.Option(
        "--precision", metavar="PERCENT", show_default=False,
        help="Run until P10, P50 and P90 of bookings and ending ARR are known within this, "
             "at 95% (e.g. 1%), instead of a fixed number of replications.")] = None,
    report: Annotated[bool, typer.Option(
        "--report", help="Also write report.html and report.xlsx into the output folder "
        "(their bookings target: the first --target bookings=..., else the AE quota "
        "capacity).")] = False,
    inner: Annotated[int, typer.Option(
        "--inner", min=1, help="Chance seeds per draw of the uncertain assumptions; 2 or more "
        "splits their spread from chance without a model.")] = 1,
) -> None:
    """Run many replications of a scenario: print P10/P50/P90 of the headline metrics and
    write summary.json, replications.parquet, kpis.parquet, attainment.parquet,
    funnel.parquet and scenario.yaml to the output folder.

    Ctrl-C stops the workers, keeps the finished replications for --resume and writes no
    result file (exit status 130).
    """
    from salesim.experiments.command import run_command

    wanted = None if precision is None else _precision(precision)
    if reps is None:
        reps = DEFAULT_REPS if wanted is None else PRECISION_MAX_REPS
    with _executor(workers, dask) as executor:
        code = run_command(file, reps=reps, seed=seed, workers=workers,
                           overrides=overrides or [], out=out, records=records,
                           targets=targets or [], force=force, resume=resume,
                           executor=executor, precision=wanted,
                           report=report, inner=inner)
    if code:
        raise typer.Exit(code)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(
        metavar="RUN_DIR", help="A folder salesim run wrote (it holds summary.json).",
        show_default=False)],
    html: Annotated[Path | None, typer.Option(
        "--html", metavar="FILE", show_default=False,
        help="Write the HTML report to FILE.")] = None,
    xlsx: Annotated[Path | None, typer.Option(
        "--xlsx", metavar="FILE", show_default=False,
        help="Write the Excel workbook to FILE.")] = None,
    target: ReportTarget = None,
) -> None:
    """Write a run's reports: a self-contained HTML page (headline table, chance of
    reaching the bookings target, charts, scenario) and an Excel workbook (monthly
    plan, KPI tables). Without --html or --xlsx, both go into RUN_DIR as
    report.html and report.xlsx.
    """
    from salesim.experiments.ensemble import Ensemble
    from salesim.report.files import parse_target, write_reports

    ensemble = Ensemble.read(run_dir)
    try:
        goal = parse_target(target, ensemble.currency)
    except ValueError as error:
        raise typer.BadParameter(str(error).removeprefix("--target: "),
                                 param_hint="--target") from None
    for path in write_reports(ensemble, html=html, xlsx=xlsx, target=goal, folder=run_dir):
        typer.echo(f"wrote {path}")


PRECISION_MAX_REPS = 10_000
"""Most replications of ``run --precision`` unless --reps says otherwise."""


def _precision(text: str) -> float:
    from salesim.scenario.units import UnitError, parse_rate

    try:
        value = parse_rate(text)
    except UnitError as error:
        raise typer.BadParameter(str(error), param_hint="--precision") from None
    if not 0 < value < 1:
        raise typer.BadParameter("expected a share such as 1% or 0.5%",
                                 param_hint="--precision")
    return value


@contextlib.contextmanager
def _executor(workers: int | None, dask: str | None) -> Iterator[Executor | None]:
    """The executor for --workers and --dask (None: run_command's default)."""
    if dask is None:
        yield None
        return
    from salesim.experiments.dask_executor import DaskExecutor

    if workers is not None and dask != "local":
        raise typer.BadParameter("--workers only sizes a local cluster (--dask local)")
    with DaskExecutor(dask, workers=workers) as executor:
        yield executor


@app.command()
def compare(
    files: Annotated[list[Path], typer.Argument(
        metavar="FILE...", help="Scenario files; the first is the baseline.",
        show_default=False)],
    variants: Annotated[list[str] | None, typer.Option(
        "--variant", "-v", metavar="NAME=KEY=VALUE", show_default=False,
        help="A plan made from the first file with one override, e.g. --variant "
             "early=ae.hiring.0.month=2027-01. Repeat a NAME to give it more overrides.")
    ] = None,
    overrides: Overrides = None,
    reps: Reps = 200,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    dask: Dask = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR", show_default=False,
        help="Also write comparison.parquet, plans.parquet and comparison.json here.")
    ] = None,
) -> None:
    """Compare plans on the same replication seeds: per headline metric the paired
    difference with its 95% interval, the chance the plan beats the baseline, and how
    much narrower pairing makes the interval than independent runs.
    """
    from salesim.experiments.compare_command import compare_command

    with _executor(workers, dask) as executor:
        compare_command(files, variants or [], overrides or [], reps=reps, seed=seed,
                        workers=workers, executor=executor, out=out)


@app.command()
def sweep(
    file: ScenarioFile,
    grid: Annotated[list[str] | None, typer.Option(
        "--grid", "-g", metavar="KEY=V1,V2,...", show_default=False,
        help="Values of one setting, e.g. --grid ae.headcount=20,24,28 (or a YAML list "
             "'key=[12k, 15k]'). Repeat: every combination runs.")] = None,
    lhs: Annotated[int | None, typer.Option(
        "--lhs", min=1, metavar="N", show_default=False,
        help="Instead of a grid: N points of a Latin hypercube over the --range settings.")
    ] = None,
    ranges: Annotated[list[str] | None, typer.Option(
        "--range", "-r", metavar="KEY=LOW..HIGH", show_default=False,
        help="A range for --lhs, e.g. --range ae.headcount=10..60 or "
             "--range sdr.attrition=10%..40%. Repeat for several.")] = None,
    overrides: Overrides = None,
    metrics: Annotated[list[str] | None, typer.Option(
        "--metric", "-m", metavar="METRIC", show_default=False,
        help="Headline metric to print (default bookings; the table written has all).")
    ] = None,
    reps: Annotated[int, typer.Option(
        "--reps", "-n", min=1, help="Replications per point.")] = 50,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    dask: Dask = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR", show_default=False,
        help="Output folder (default: out/<scenario name>-sweep-<hash>).")] = None,
) -> None:
    """Run a scenario at many settings (a grid or a Latin hypercube), each point on the same
    replication seeds: print P10/P50/P90 per point, write sweep.parquet (one tidy row per
    point and headline metric) and sweep.json.
    """
    from salesim.experiments.sweep_command import sweep_command

    with _executor(workers, dask) as executor:
        sweep_command(file, grid or [], ranges or [], lhs, overrides or [],
                      metrics or ["bookings"], reps=reps, seed=seed, workers=workers,
                      executor=executor, out=out)


@app.command()
def sensitivity(
    file: ScenarioFile,
    vary: Annotated[list[str], typer.Option(
        "--vary", metavar="KEY=LOW..HIGH", show_default=False,
        help="A setting and its range, e.g. --vary ae.headcount=10..60 or "
             "--vary sdr.attrition=10%..40%. Repeat for several.")],
    metric: Annotated[str, typer.Option(
        "--metric", "-m", help="The headline metric to explain.")] = "bookings",
    overrides: Overrides = None,
    samples: Annotated[int, typer.Option(
        "--samples", min=2, help="Base samples of the Sobol design (a power of two); it runs "
                                 "samples x (settings + 2) points.")] = 64,
    reps: Annotated[int, typer.Option(
        "--reps", "-n", min=1, help="Replications per point.")] = 5,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    dask: Dask = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR", show_default=False,
        help="Also write tornado.parquet, sobol.parquet and sensitivity.json here.")] = None,
) -> None:
    """Which setting moves a metric most: a one-at-a-time tornado and Sobol indices (the
    share of the metric's variance each setting explains, alone and with interactions).
    """
    from salesim.experiments.sensitivity_command import sensitivity_command

    with _executor(workers, dask) as executor:
        sensitivity_command(file, vary, metric, overrides or [], samples=samples, reps=reps,
                            seed=seed, workers=workers, executor=executor, out=out)


@app.command()
def goal(
    file: ScenarioFile,
    metric: Annotated[str, typer.Option(
        "--metric", "-m", help="The headline metric of the goal.")],
    vary: Annotated[str, typer.Option(
        "--vary", metavar="KEY=LOW..HIGH",
        help="The setting to choose and where to look, e.g. --vary ae.headcount=10..60.")],
    at_least: Annotated[str | None, typer.Option(
        "--at-least", metavar="AMOUNT", show_default=False,
        help="The goal: the metric at least this much, e.g. 30M.")] = None,
    at_most: Annotated[str | None, typer.Option(
        "--at-most", metavar="AMOUNT", show_default=False,
        help="Or at most this much (costs, speed to lead).")] = None,
    probability: Annotated[str, typer.Option(
        "--probability", "-p", help="The chance wanted of meeting the goal.")] = "80%",
    overrides: Overrides = None,
    confidence: Annotated[float, typer.Option(
        "--confidence", min=0.5, max=0.999,
        help="Confidence of each candidate's judgement.")] = 0.95,
    first_reps: Annotated[int, typer.Option(
        "--first-reps", min=1, help="Replications of a candidate's first batch.")] = 20,
    max_reps: Annotated[int, typer.Option(
        "--max-reps", min=1, help="Most replications spent on one candidate.")] = 400,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    dask: Dask = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR", show_default=False,
        help="Also write goal.json and evaluations.parquet here.")] = None,
) -> None:
    """Find the smallest setting that meets a goal with the wanted chance, e.g. the fewest
    AEs that give bookings of 30M or more in 80% of futures. Bisection; each candidate
    gets more replications only while its answer is uncertain.
    """
    from salesim.experiments.goal_command import goal_command

    with _executor(workers, dask) as executor:
        goal_command(file, metric, vary, at_least, at_most, probability, overrides or [],
                     confidence=confidence, first_reps=first_reps, max_reps=max_reps,
                     seed=seed, workers=workers, executor=executor, out=out)


@app.command()
def quota(
    file: ScenarioFile,
    team: Annotated[str, typer.Option(
        "--team", help="The team whose quota to set, e.g. ae.")],
    share: Annotated[str, typer.Option(
        "--share", metavar="SHARE",
        help="Share of the team's fully ramped reps to reach the quota, e.g. 75% or 0.75 "
             "(the guide: 70-80%).")] = "75%",
    confidence: Annotated[str, typer.Option(
        "--confidence", metavar="SHARE",
        help="Chance wanted of reaching the company target it prints, e.g. 80%.")] = "80%",
    company_target: Annotated[str | None, typer.Option(
        "--company-target", metavar="AMOUNT", show_default=False,
        help="The current company target to compare with, in the team's measure over the "
             "horizon (default: the quota capacity, each rep's ramped quota summed).")] = None,
    period: Annotated[str | None, typer.Option(
        "--period", metavar="month|quarter|year", show_default=False,
        help="The quota period to measure reps over (default: the team's quota period, "
             "else a year).")] = None,
    overrides: Overrides = None,
    reps: Annotated[int | None, typer.Option(
        "--reps", "-n", min=1, show_default=False,
        help="Number of replications (default 200); with --precision, the most "
             f"(default {PRECISION_MAX_REPS}).")] = None,
    precision: Annotated[str | None, typer.Option(
        "--precision", metavar="PERCENT", show_default=False,
        help="Run until the quota and the company target are known within this, at 95% "
             "(e.g. 2%), instead of a fixed number of replications.")] = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    dask: Dask = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR", show_default=False,
        help="Also write quota.json and quota.parquet here.")] = None,
) -> None:
    """Find the quota that a chosen share of a team's fully ramped reps reach, and the
    company target the simulated capacity reaches with a chosen confidence; both beside
    the current quota, its share of reps at quota and P(current company target met).
    """
    from salesim.experiments.quota import DEFAULT_QUOTA_REPS, QuotaArgumentError
    from salesim.experiments.quota_command import quota_command

    wanted = None if precision is None else _precision(precision)
    if reps is None:
        reps = DEFAULT_QUOTA_REPS if wanted is None else PRECISION_MAX_REPS
    try:
        with _executor(workers, dask) as executor:
            quota_command(file, team, share, confidence, overrides or [], reps=reps,
                          seed=seed, workers=workers, executor=executor, period=period,
                          company_target=company_target, precision=wanted, out=out)
    except QuotaArgumentError as error:
        raise typer.BadParameter(str(error), param_hint=f"--{error.argument}") from None


# ----------------------------------------------------------------------------- summary


def print_summary(scenario: Scenario, console: Console) -> None:
    """The compact description of a scenario that ``validate`` prints."""
    for table in (_overview(scenario), _segments(scenario), _channels(scenario),
                  _teams(scenario)):
        console.print(table)


def _table(title: str, *columns: str, numeric: tuple[int, ...] = ()) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  title_style="bold", show_edge=False)
    for index, column in enumerate(columns):
        table.add_column(column, justify="right" if index in numeric else "left",
                         overflow="fold")
    return table


def _overview(scenario: Scenario) -> Table:
    meta, calendar = scenario.meta, scenario.calendar
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    last_day = meta.end - dt.timedelta(days=1)
    table.add_row("horizon", f"{meta.horizon}, {meta.start} to {last_day} (last day); "
                             f"amounts in {meta.currency}")
    if calendar.always_open:
        hours = "always open (24x7)"
    else:
        hours = (f"{_weekdays(calendar.working_days)} {calendar.working_hours} "
                 f"({calendar.hours_per_week:g} h/week)")
    holidays = len(calendar.holidays)
    table.add_row("calendar", f"{hours}, {holidays} holiday{'s' if holidays != 1 else ''}")
    for name, ae in scenario.teams_of("ae").items():
        assert isinstance(ae, AE)
        win_rate = 1.0
        for stage in ae.stages.values():
            win_rate *= stage.conversion
        stages = " > ".join(
            f"{stage_name} {stage.conversion:.0%} {_mean_span(stage.duration)}"
            for stage_name, stage in ae.stages.items()
        )
        table.add_row(f"{name} stages", f"{stages}; win rate {win_rate:.1%}")
        if ae.time is not None:
            table.add_row(f"{name} time", _selling_time(scenario, ae))
    for item in ("leads", "meetings", "customers"):
        rules = getattr(scenario.routing, item)
        if rules:
            table.add_row(f"{item} to", "; ".join(_rule(rule) for rule in rules))
    recycle = scenario.recycle
    table.add_row("recycle", f"{recycle.not_ready_share:.0%} of new leads not ready; "
                             f"{recycle.reengage_rate:.0%} come back after "
                             f"{_mean_span(recycle.reengage_after)}, at most "
                             f"{recycle.max_cycles} times")
    for name, team in scenario.organisation.items():
        if team.compensation is not None:
            table.add_row(f"{name} pay", _pay_plan(team.compensation, meta.currency))
    customers = scenario.customers
    table.add_row("customers", f"contracts of {customers.contract_term}; renewal "
                               f"{customers.renewal.onboarded:.0%} onboarded, "
                               f"{customers.renewal.not_onboarded:.0%} not; expansion "
                               f"{customers.expansion.probability:.0%}, contraction "
                               f"{customers.contraction.probability:.0%}")
    return table


def _segments(scenario: Scenario) -> Table:
    currency = scenario.meta.currency
    table = _table("segments", "segment", "share", "deal median", "p90", "mean",
                   "stage overrides", numeric=(1, 2, 3, 4))
    for name, segment in scenario.segments.items():
        deal = segment.deal_size.sampler()
        overrides = ", ".join(segment.stages) or "-"
        table.add_row(name, f"{segment.share:.0%}", _money(deal.quantile(0.5), currency),
                      _money(deal.quantile(0.9), currency), _money(deal.mean, currency),
                      overrides)
    return table


def _channels(scenario: Scenario) -> Table:
    currency = scenario.meta.currency
    table = _table("channels", "channel", "leads/month", "cost/month", "over time",
                   numeric=(1, 2))
    total_leads = total_cost = 0.0
    for name, channel in scenario.channels.items():
        leads = channel.base_leads_per_month
        cost = _monthly_cost(channel)
        total_leads += leads
        total_cost += cost
        table.add_row(name, f"{leads:,.0f}", _money(cost, currency), _channel_shape(channel))
    table.add_section()
    table.add_row("total", f"{total_leads:,.0f}", _money(total_cost, currency),
                  "before growth, seasonality and ramps")
    return table


def _teams(scenario: Scenario) -> Table:
    teams = scenario.organisation
    currency = scenario.meta.currency
    table = _table("teams", "", *teams)
    rows: list[tuple[str, Callable[[str, Team], str]]] = [
        ("headcount at start", lambda role, team: str(team.headcount)),
        ("planned hires", lambda role, team: _hires(team)),
        ("time to fill", lambda role, team: _mean_span(team.time_to_fill)),
        ("ramp", lambda role, team: _ramp(team.ramp)),
        ("attrition", lambda role, team: f"{team.attrition:.0%} a year"),
        ("backfill", lambda role, team: _backfill(team)),
        ("cost per head", lambda role, team: f"{_money(team.annual_cost, currency)} a year"),
        ("quota", lambda role, team: _quota(role, team, currency)),
    ]
    if any(name != team.kind for name, team in teams.items()):
        rows.insert(0, ("kind", lambda role, team: str(getattr(team, "kind", role))))
    for label, cell in rows:
        table.add_row(label, *(cell(role, team) for role, team in teams.items()))
    table.add_row("capacity", *(_capacity(scenario, team) for team in teams.values()))
    responses = team_responses(scenario)  # comp plans' behaviour levers
    if responses:
        table.add_row("response to pay", *(describe_response(responses.get(name))
                                           for name in teams))
    return table


def _capacity(scenario: Scenario, team: Team) -> str:
    kind = KINDS[str(getattr(team, "kind", ""))]
    if kind.capacity_setting is None:
        return "-"
    limit = getattr(team, kind.capacity_setting)
    if isinstance(team, AE) and team.time is not None:
        deals = _deals_per_month(scenario, team)
        cap = f"; <= {limit} open" if limit else ""
        return f"~{deals:.1f} deals/month each{cap}"
    return f"{limit} {kind.capacity} each" if limit else f"no limit on {kind.capacity}"


def _deal_hours(scenario: Scenario, ae: AE) -> float:
    """AE hours a deal takes on average over the segments, weighted by their shares
    (a fully skilled AE, not overloaded)."""
    assert ae.time is not None
    names = tuple(ae.stages)
    total = 0.0
    for segment in scenario.segments.values():
        conversions = []
        for name in names:
            override = segment.stages.get(name)
            conversions.append(override.conversion if override is not None
                               and override.conversion is not None
                               else ae.stages[name].conversion)
        total += segment.share * ae.time.deal_hours(names, tuple(conversions))
    return total


def _deals_per_month(scenario: Scenario, ae: AE) -> float:
    """New deals a fully ramped AE takes on in a month with its selling hours used up to
    ``max_utilisation``."""
    assert ae.time is not None
    weekly = ae.time.hours_per_week(scenario.calendar) * ae.time.max_utilisation
    return weekly * DAYS_PER_MONTH / 7 / _deal_hours(scenario, ae)


def _selling_time(scenario: Scenario, ae: AE) -> str:
    """``27 selling h a week (60% of 45 h); a deal takes 18.3 h on average ...``."""
    time = ae.time
    assert time is not None
    calendar = scenario.calendar
    share = (f" ({time.selling_share:.0%} of {calendar.hours_per_week:g} h)"
             if time.selling_hours_per_week is None else "")
    stage_hours = "/".join(f"{h:g}" for h in time.stage_hours(tuple(ae.stages)))
    used = f" at {time.max_utilisation:.0%} use" if time.max_utilisation != 1 else ""
    text = (f"{time.hours_per_week(calendar):.3g} selling h a week{share}; a deal takes "
            f"{_deal_hours(scenario, ae):.1f} h on average ({time.first_meeting.days * 24:g} h "
            f"first meeting, {stage_hours} h by stage reached, {time.per_deal.days * 24:g} h "
            f"per deal): ~{_deals_per_month(scenario, ae):.1f} new deals a month per ramped "
            f"AE{used}")
    prospecting = time.prospecting
    if prospecting is None:
        return text
    return (f"{text}; prospects with {prospecting.share:.0%} of spare hours, "
            f"{prospecting.opportunities_per_hour:g} opportunities an hour")


def _rule(rule: Route) -> str:
    conditions = [f"{name} {'/'.join(values)}" for name, values in rule.conditions.items()]
    if rule.score_at_least is not None:
        conditions.append(f"score >= {rule.score_at_least:g}")
    if rule.score_below is not None:
        conditions.append(f"score < {rule.score_below:g}")
    target = rule.to if rule.to is not None else f"by {rule.by}"
    return f"{' & '.join(conditions) or 'the rest'} -> {target}"


# ----------------------------------------------------------------------------- formatting


def _pay_plan(plan: CompensationPlan, currency: str) -> str:
    """``OTE 80k, 65% base, per quarter on meetings_held 60%, ...``."""
    measures = ", ".join(f"{measure} {spec.weight:.0%}"
                         for measure, spec in plan.measures.items())
    return (f"OTE {_money(plan.on_target_earnings, currency)}, {plan.base_share:.0%} base, "
            f"paid per {plan.pay_period} on {measures}")


def _money(amount: float, currency: str) -> str:
    return format_money(amount, currency)


def _monthly_cost(channel: Channel) -> float:
    variable = channel.spend_per_month if channel.spend_per_month is not None else (
        channel.base_leads_per_month * channel.variable_cost_per_lead)
    return variable + channel.fixed_cost_per_month


def _channel_shape(channel: Channel) -> str:
    notes = []
    if channel.annual_growth:
        notes.append(f"{channel.annual_growth:+.0%}/yr")
    if channel.seasonality:
        notes.append(f"seasonal {min(channel.seasonality):g}-{max(channel.seasonality):g}x")
    if channel.ramp is not None:
        notes.append(f"ramp {channel.ramp.months_to_full} months")
    if channel.start is not None:
        notes.append(f"from {channel.start:%Y-%m}")
    if channel.end is not None:
        notes.append(f"until {channel.end:%Y-%m}")
    if channel.segment_mix:
        notes.append("own segment mix")
    return "; ".join(notes) or "-"


def _hires(team: Team) -> str:
    if not team.hiring:
        return "-"
    return "\n".join(
        f"{hire.month:%Y-%m} +{hire.count}" if hire.count is not None
        else f"{hire.month:%Y-%m} to {hire.target}"
        for hire in team.hiring
    )


def _ramp(ramp: RampCurve) -> str:
    fractions = ramp.monthly_fractions()
    if ramp.linear is not None:
        return f"linear over {ramp.linear}"
    if len(fractions) == 1 and fractions[0] >= 1:
        return "none"
    return f"{len(fractions)} months"


def _backfill(team: Team) -> str:
    if not team.backfill.enabled:
        return "no"
    delay = team.backfill.delay
    return "at once" if delay.sampler().mean == 0 else f"after {_mean_span(delay)}"


def _quota(role: str, team: Team, currency: str) -> str:
    quota = team.quota
    if quota is None:
        return "-"
    kind = KINDS[str(getattr(team, "kind", role))]
    counted = {"meetings_held": " meetings", "retained_arr": " retained"}.get(
        kind.quota_measure, "")
    amount = f"{quota.amount:g}" if kind.quota_unit == "count" else _money(quota.amount, currency)
    return f"{amount}{counted}/{quota.period}"


_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekdays(days: tuple[str, ...]) -> str:
    indexes = [_WEEK.index(day) for day in days]
    if indexes == list(range(indexes[0], indexes[-1] + 1)) and len(indexes) > 2:
        return f"{days[0]}-{days[-1]}"
    return ",".join(days)


def _span(days: float) -> str:
    """A length of time in the unit a planner would use for it."""
    for limit, size, unit in ((1 / 24, 1 / 1440, "min"), (1, 1 / 24, "h"), (14, 1, "days"),
                              (61, 7, "weeks")):
        if days < limit:
            return f"{days / size:.2g} {unit}" if days / size < 10 else \
                f"{days / size:.0f} {unit}"
    return f"{days / (365.25 / 12):.2g} months"


def _mean_span(dist: Distribution[Any]) -> str:
    """A duration distribution as its mean, marked as an average when it varies."""
    if isinstance(dist.fixed, Duration):
        return str(dist.fixed)
    return "~" + _span(dist.sampler().mean)


def main() -> None:
    """Entry point of the ``salesim`` command.

    Commands report their own failures (see :class:`_Commands`); this catches what
    happens outside them, such as while reading the command line.
    """
    try:
        app(prog_name="salesim")
    except Exception as error:
        if _debugging():
            raise
        _report_unexpected(error)
        sys.exit(EXIT_UNEXPECTED)
