"""``salesim sweep``: run a scenario over a grid or a Latin hypercube, print and write
one tidy table (``sweep.parquet``, columns in :mod:`salesim.experiments.sweep`) and
``sweep.json`` (scenario file, overrides, hash, seed, replications, points)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from salesim.experiments.executors import Executor
from salesim.experiments.montecarlo import DEFAULT_SEED, ProgressMode
from salesim.experiments.provenance import SHORT_HASH, scenario_hash, slug
from salesim.experiments.ranges import ValueRange, parse_grid
from salesim.experiments.sweep import DEFAULT_SWEEP_REPS, Sweep, sweep
from salesim.io import atomic_write_json, atomic_write_parquet, check_output_folder
from salesim.report.formatting import format_metric as format_value
from salesim.scenario import load_scenario
from salesim.scenario.loader import shown_path


def sweep_command(file: Path, grid: Sequence[str] = (), ranges: Sequence[str] = (),
                  lhs: int | None = None, overrides: Sequence[str] = (),
                  metrics: Sequence[str] = ("bookings",), reps: int = DEFAULT_SWEEP_REPS,
                  seed: int = DEFAULT_SEED, workers: int | None = None,
                  executor: Executor | None = None, out: Path | None = None,
                  progress: ProgressMode = None, console: Console | None = None) -> Sweep:
    """Parse the options, run the sweep, print P10/P50/P90 of ``metrics`` per point and
    write the files to ``out`` (default ``out/<name>-sweep-<hash>``)."""
    console = console or Console(highlight=False)
    if bool(grid) == (lhs is not None):
        raise ValueError("give --grid, or --lhs N with --range, not both and not neither")
    if lhs is not None and not ranges:
        raise ValueError("--lhs needs at least one --range key=low..high")
    if ranges and lhs is None:
        raise ValueError("--range needs --lhs N (the number of points)")
    base = load_scenario(file, overrides=list(overrides))
    parsed_grid = dict(parse_grid(text) for text in grid)
    parsed_ranges = [ValueRange.parse(text, "--range") for text in ranges]
    identity = {"scenario_file": shown_path(file), "overrides": list(overrides),
                "scenario_hash": scenario_hash(base), "seed": seed, "reps": reps,
                "grid": parsed_grid, "ranges": [r.written for r in parsed_ranges], "lhs": lhs}
    spec_hash = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str)
                               .encode("utf-8")).hexdigest()
    out = out or Path("out") / f"{slug(base.meta.name)}-sweep-{spec_hash[:SHORT_HASH]}"
    check_output_folder(out)
    if progress is None and not (Console(stderr=True).is_terminal
                                 or Console(stderr=True).is_jupyter):
        progress = "lines"
    result = sweep(base, grid=parsed_grid if grid else None, ranges=parsed_ranges, lhs=lhs,
                   reps=reps, seed=seed, workers=None if executor else workers,
                   executor=executor, progress=progress)
    table = result.table()
    unknown = sorted(set(metrics) - set(table["metric"]))
    if unknown:
        raise ValueError(f"--metric: no headline metric {', '.join(unknown)}")
    console.print(sweep_table(result, metrics, base.meta.currency))
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_parquet(table, out / "sweep.parquet")
    atomic_write_json(out / "sweep.json", {**_plain(identity),
                                           "points": _plain(list(result.points))})
    console.print(f"{len(result.points)} points x {reps} replications; wrote {out}",
                  markup=False, soft_wrap=True)
    return result


def sweep_table(result: Sweep, metrics: Sequence[str], currency: str = "") -> Table:
    """Each point's settings with P10, P50 and P90 of the chosen metrics (money in
    ``currency``, named in the title)."""
    unit = f", amounts in {currency}" if currency else ""
    table = Table(title=f"sweep: {len(result.points)} points, "
                        f"{result.ensembles[0].reps} replications each{unit}",
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    table.add_column("point", justify="right")
    for key in result.keys:
        table.add_column(key, justify="right", overflow="fold")
    for metric in metrics:
        for stat in ("P10", "P50", "P90"):
            table.add_column(f"{metric} {stat}" if stat == "P10" else stat, justify="right")
    summary = {(int(row["point"]), str(row["metric"])): row
               for row in result.table().to_dict("records")}
    for index, point in enumerate(result.points):
        cells = [str(index), *(_setting(point.get(key)) for key in result.keys)]
        for metric in metrics:
            row = summary[(index, metric)]
            cells += [format_value(metric, float(row[stat]))
                      for stat in ("p10", "p50", "p90")]
        table.add_row(*cells)
    return table


def _setting(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))
