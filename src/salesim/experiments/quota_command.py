"""``salesim quota``: read the arguments, run :func:`~salesim.experiments.quota.find_quota`,
print the answer beside the current quota and target, write ``quota.json`` and
``quota.parquet`` (:meth:`QuotaAnswer.table`) to ``--out`` if given."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

from rich import box
from rich.console import Console
from rich.table import Table

from salesim.experiments.executors import Executor
from salesim.experiments.montecarlo import DEFAULT_SEED
from salesim.experiments.provenance import scenario_hash
from salesim.experiments.quota import (
    DEFAULT_QUOTA_REPS,
    QuotaAnswer,
    QuotaArgumentError,
    QuotaPeriod,
    check_quota_arguments,
    find_quota,
)
from salesim.io import atomic_write_json, atomic_write_parquet, check_output_folder
from salesim.metrics.quota_periods import guide_verdict
from salesim.report.formatting import format_count, format_money, format_percent
from salesim.scenario import load_scenario
from salesim.scenario.loader import shown_path
from salesim.scenario.units import UnitError, parse_money, parse_rate


def read_share(text: str, argument: str) -> float:
    """``75%`` or ``0.75`` as a share strictly between 0 and 1."""
    try:
        value = parse_rate(text)
    except UnitError as error:
        raise QuotaArgumentError(argument, str(error)) from None
    if not 0 < value < 1:
        raise QuotaArgumentError(argument, f"expected a share between 0 and 1 (exclusive), "
                                           f"e.g. 75% or 0.75, not {text}")
    return value


def quota_command(file: Path, team: str, share: str = "75%", confidence: str = "80%",
                  overrides: Sequence[str] = (), reps: int = DEFAULT_QUOTA_REPS,
                  seed: int = DEFAULT_SEED, workers: int | None = None,
                  executor: Executor | None = None, period: str | None = None,
                  company_target: str | None = None, precision: float | None = None,
                  out: Path | None = None, console: Console | None = None) -> QuotaAnswer:
    """Run :func:`find_quota` from command-line text and print its answer.

    Raises :class:`QuotaArgumentError` for an argument that cannot work (before any
    replication runs); a scenario problem raises its ``ScenarioError``.
    """
    console = console or Console(highlight=False)
    wanted_share = read_share(share, "share")
    wanted_confidence = read_share(confidence, "confidence")
    scenario = load_scenario(file, overrides=list(overrides))
    check_quota_arguments(scenario, team, wanted_share, wanted_confidence, period)
    target = None
    if company_target is not None:
        try:
            target = parse_money(company_target, scenario.meta.currency)
        except (UnitError, ValueError) as error:
            raise QuotaArgumentError("company-target", str(error)) from None
    if out is not None:
        check_output_folder(out)
    answer = find_quota(scenario, team, wanted_share, wanted_confidence, reps=reps,
                        seed=seed, workers=None if executor else workers, executor=executor,
                        period=cast(QuotaPeriod | None, period), company_target=target,
                        precision=precision)
    console.print(answer_table(answer))
    for line in answer_notes(answer):
        console.print(line, markup=False, soft_wrap=True)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_parquet(answer.table(), out / "quota.parquet")
        atomic_write_json(out / "quota.json", {
            "scenario_file": shown_path(file), "overrides": list(overrides),
            "scenario_hash": scenario_hash(scenario), **answer.to_dict()})
        console.print(f"wrote {out}", markup=False)
    return answer


def _amount(answer: QuotaAnswer, value: float | None) -> str:
    if value is None:
        return "-"
    if answer.unit == "count":
        return format_count(value)
    return format_money(value, answer.unit)


def answer_table(answer: QuotaAnswer) -> Table:
    """The found quota and supported target beside the current ones."""
    measure = answer.measure.replace("_", " ")
    table = Table(title=f"{answer.scenario_name}: quota of team {answer.team} ({measure} per "
                        f"{answer.period}), {answer.reps} replications, seed {answer.seed}",
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    table.add_column("")
    table.add_column("value", justify="right")
    table.add_column("range", justify="right")
    table.add_column("note")
    level = f"{round(answer.interval * 100)}% CI"
    spread = answer.share_spread
    table.add_row(f"quota {answer.share:.0%} of reps reach", _amount(answer, answer.quota),
                  f"{_amount(answer, answer.quota_low)}-{_amount(answer, answer.quota_high)}",
                  f"{level}, bootstrap")
    table.add_row("  share at that quota", format_percent(answer.share_reached),
                  f"{format_percent(spread[0])}-{format_percent(spread[2])}",
                  "P10-P90 of replications")
    table.add_row("current quota", _amount(answer, answer.current_quota), "", "")
    if answer.current_share is not None and answer.current_share_spread is not None:
        now = answer.current_share_spread
        table.add_row("  share at current quota", format_percent(answer.current_share),
                      f"{format_percent(now[0])}-{format_percent(now[2])}",
                      guide_verdict(answer.current_share))
    table.add_section()
    table.add_row(f"company target met in {answer.confidence:.0%}",
                  _amount(answer, answer.company_target),
                  f"{_amount(answer, answer.company_target_low)}-"
                  f"{_amount(answer, answer.company_target_high)}",
                  f"{level}; {measure}, whole horizon")
    table.add_row("current company target", _amount(answer, answer.current_target), "",
                  answer.current_target_source)
    chance = answer.current_probability
    if chance is not None:
        table.add_row("  P(current target met)", format_percent(chance.estimate),
                      f"{format_percent(chance.low)}-{format_percent(chance.high)}",
                      f"{level}, {chance.hits} of {chance.n}")
    return table


def answer_notes(answer: QuotaAnswer) -> list[str]:
    """Which reps were counted, and how far a run to a precision got."""
    notes = [f"counted: {answer.rep_periods:,} rep-{answer.period}s of reps fully ramped "
             f"through a whole {answer.period} (new hires after their ramp; nobody in a "
             f"{answer.period} they joined or left)"]
    reached = answer.precision
    if reached:
        state = "reached" if reached["met"] else "not reached (the most replications ran)"
        notes.append(f"precision {state}: ±{reached['reached']:.1%} at "
                     f"{round(answer.interval * 100)}% (wanted ±{reached['wanted']:.1%}) "
                     f"after {reached['reps']} replications")
    return notes
