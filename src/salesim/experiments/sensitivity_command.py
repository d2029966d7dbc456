"""``salesim sensitivity``: print the tornado and the Sobol indices of one metric and
write ``tornado.parquet``, ``sobol.parquet`` and ``sensitivity.json``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from salesim.experiments.executors import Executor
from salesim.experiments.montecarlo import DEFAULT_SEED, ProgressMode
from salesim.experiments.provenance import scenario_hash
from salesim.experiments.ranges import ValueRange
from salesim.experiments.sensitivity import (
    DEFAULT_SAMPLES,
    DEFAULT_SENSITIVITY_REPS,
    Sensitivity,
    sensitivity,
)
from salesim.io import atomic_write_json, atomic_write_parquet, check_output_folder
from salesim.report.formatting import format_metric as format_value
from salesim.scenario import load_scenario
from salesim.scenario.loader import shown_path


def sensitivity_command(file: Path, vary: Sequence[str], metric: str = "bookings",
                        overrides: Sequence[str] = (), samples: int = DEFAULT_SAMPLES,
                        reps: int = DEFAULT_SENSITIVITY_REPS, seed: int = DEFAULT_SEED,
                        workers: int | None = None, executor: Executor | None = None,
                        out: Path | None = None, progress: ProgressMode = None,
                        console: Console | None = None) -> Sensitivity:
    """Parse the options, run both designs, print the tables, write them to ``out`` if given."""
    console = console or Console(highlight=False)
    if not vary:
        raise ValueError("name at least one --vary key=low..high")
    ranges = [ValueRange.parse(text) for text in vary]
    base = load_scenario(file, overrides=list(overrides))
    if out is not None:
        check_output_folder(out)
    if progress is None and not (Console(stderr=True).is_terminal
                                 or Console(stderr=True).is_jupyter):
        progress = "lines"
    result = sensitivity(base, ranges, metric, samples=samples, reps=reps, seed=seed,
                         workers=None if executor else workers, executor=executor,
                         progress=progress)
    console.print(tornado_table(result, base.meta.currency))
    console.print(sobol_table(result))
    console.print(f"{result.points} points x {reps} replications", markup=False)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_parquet(result.tornado(), out / "tornado.parquet")
        atomic_write_parquet(result.sobol(), out / "sobol.parquet")
        atomic_write_json(out / "sensitivity.json", {
            "scenario_file": shown_path(file), "overrides": list(overrides),
            "scenario_hash": scenario_hash(base), "metric": metric, "vary": list(vary),
            "samples": samples, "reps": reps, "seed": seed, "points": result.points})
        console.print(f"wrote {out}", markup=False)
    return result


def tornado_table(result: Sensitivity, currency: str = "") -> Table:
    """The metric at each end of each setting's range, largest swing first."""
    metric = result.metric
    unit = f", amounts in {currency}" if currency else ""
    base = format_value(metric, float(result.tornado_table["base"].iloc[0]))
    table = Table(title=f"{metric}: one setting at a time (as written: {base}{unit})",
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    for column in ("setting", "low", "high", f"{metric} at low", "at high", "swing"):
        table.add_column(column, justify="left" if column == "setting" else "right",
                         overflow="fold")
    for row in result.tornado_table.to_dict("records"):
        table.add_row(str(row["key"]), str(row["low"]), str(row["high"]),
                      format_value(metric, float(row["at_low"])),
                      format_value(metric, float(row["at_high"])),
                      format_value(metric, float(row["swing"])))
    return table


def sobol_table(result: Sensitivity) -> Table:
    """First-order and total Sobol indices with their intervals, largest total first."""
    table = Table(title=f"{result.metric}: share of its variance (Sobol, 95% intervals)",
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    for column in ("setting", "alone (S1)", "interval", "in total (ST)", "interval"):
        table.add_column(column, justify="left" if column == "setting" else "right",
                         overflow="fold")
    for row in result.sobol_table.sort_values("ST", ascending=False).to_dict("records"):
        table.add_row(str(row["key"]), f"{row['S1']:.2f}",
                      f"{row['S1_low']:.2f} .. {row['S1_high']:.2f}", f"{row['ST']:.2f}",
                      f"{row['ST_low']:.2f} .. {row['ST_high']:.2f}")
    return table
