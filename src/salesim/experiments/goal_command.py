"""``salesim goal``: parse the goal, seek it, print the candidates and the answer, write
``goal.json`` and ``evaluations.parquet`` to ``--out`` if given."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from salesim.experiments.executors import Executor
from salesim.experiments.goal import DEFAULT_FIRST_REPS, DEFAULT_MAX_REPS, Goal, describe, seek_goal
from salesim.experiments.montecarlo import DEFAULT_SEED
from salesim.experiments.provenance import scenario_hash
from salesim.experiments.ranges import ValueRange
from salesim.experiments.targets import Target
from salesim.io import atomic_write_json, atomic_write_parquet, check_output_folder
from salesim.scenario import load_scenario
from salesim.scenario.loader import shown_path
from salesim.scenario.units import UnitError, parse_rate


def goal_command(file: Path, metric: str, vary: str, at_least: str | None = None,
                 at_most: str | None = None, probability: str = "80%",
                 overrides: Sequence[str] = (), confidence: float = 0.95,
                 first_reps: int = DEFAULT_FIRST_REPS, max_reps: int = DEFAULT_MAX_REPS,
                 seed: int = DEFAULT_SEED, workers: int | None = None,
                 executor: Executor | None = None, out: Path | None = None,
                 console: Console | None = None) -> Goal:
    """Run :func:`~salesim.experiments.goal.seek_goal` from command-line text."""
    console = console or Console(highlight=False)
    if (at_least is None) == (at_most is None):
        raise ValueError("give the goal with either --at-least or --at-most")
    base = load_scenario(file, overrides=list(overrides))
    op, amount = (">=", at_least) if at_least is not None else ("<=", at_most)
    target = Target.parse(f"{metric}{op}{amount}", base.meta.currency)
    try:
        wanted = parse_rate(probability)
    except UnitError as error:
        raise ValueError(f"--probability {probability}: {error}") from None
    value_range = ValueRange.parse(vary)
    if out is not None:
        check_output_folder(out)
    goal = seek_goal(base, value_range, metric, target.value, wanted, op=op,
                     confidence=confidence, first_reps=first_reps, max_reps=max_reps,
                     seed=seed, workers=None if executor else workers, executor=executor)
    console.print(evaluations_table(goal))
    console.print(describe(goal), markup=False, soft_wrap=True)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_parquet(goal.evaluations.astype({"value": "str"}),
                             out / "evaluations.parquet")
        atomic_write_json(out / "goal.json", {
            "scenario_file": shown_path(file), "overrides": list(overrides),
            "scenario_hash": scenario_hash(base), "seed": seed, "metric": metric,
            "op": op, "target": target.value, "probability": wanted, "vary": vary,
            "value": None if goal.value is None else str(goal.value),
            "below": None if goal.below is None else str(goal.below),
            "confident": goal.confident, "reps_total": goal.reps_total,
            "answer": describe(goal)})
        console.print(f"wrote {out}", markup=False)
    return goal


def evaluations_table(goal: Goal) -> Table:
    """The candidates in the order tried, with P(goal met) and the decision."""
    table = Table(title=f"{goal.key}: candidates ({goal.reps_total} replications in all)",
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    for column in (goal.key, "reps", "P(goal met)", "interval", "decision"):
        table.add_column(column, justify="right" if column != "decision" else "left")
    for row in goal.evaluations.to_dict("records"):
        decision = "meets" if row["meets"] else "falls short"
        if not row["decided"]:
            decision += " (by estimate)"
        table.add_row(str(row["value"]), str(row["reps"]), f"{row['probability']:.1%}",
                      f"{row['ci_low']:.1%}-{row['ci_high']:.1%}", decision)
    return table
