"""``salesim compare``: plans from files and ``--variant`` overrides, compared on paired
replications, printed and optionally written.

Plans are the scenario files in order, then the variants; the first plan is the
baseline. ``--variant NAME=KEY=VALUE`` makes a plan named NAME from the first
file with one override; repeating the same NAME adds overrides to that plan.
``--set`` applies to every plan.

>>> parse_variants(["early=ae.hiring.0.month=2027-01", "early=ae.hiring.0.count=3",
...                 "big=ae.headcount=30"])
{'early': ['ae.hiring.0.month=2027-01', 'ae.hiring.0.count=3'], 'big': ['ae.headcount=30']}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from salesim.experiments.compare import Comparison, compare, unique_name
from salesim.experiments.executors import Executor
from salesim.experiments.montecarlo import ProgressMode
from salesim.experiments.provenance import scenario_hash
from salesim.io import atomic_write_json, atomic_write_parquet, check_output_folder
from salesim.report.formatting import format_metric as format_value
from salesim.scenario import Scenario, load_scenario
from salesim.scenario.loader import shown_path

HEADLINE_FOR_RATIO = "bookings"
"""The metric whose variance reduction the command states in words."""


def parse_variants(texts: Sequence[str]) -> dict[str, list[str]]:
    """``NAME=KEY=VALUE`` options grouped by plan name (in order of first mention)."""
    variants: dict[str, list[str]] = {}
    for text in texts:
        name, sep, override = text.partition("=")
        if not sep or not name.strip() or "=" not in override:
            raise ValueError(f"--variant {text}: expected NAME=KEY=VALUE, "
                             "e.g. --variant early=ae.hiring.0.month=2027-01")
        variants.setdefault(name.strip(), []).append(override)
    return variants


def build_plans(files: Sequence[Path], variants: Sequence[str], overrides: Sequence[str]
                ) -> tuple[dict[str, Scenario], dict[str, dict[str, object]]]:
    """The plans to compare (name -> scenario) and how each was made (for the record)."""
    if not files:
        raise ValueError("name at least one scenario file")
    plans: dict[str, Scenario] = {}
    origins: dict[str, dict[str, object]] = {}
    for file in files:
        scenario = load_scenario(file, overrides=list(overrides))
        name = unique_name(scenario.meta.name, plans)
        plans[name] = scenario
        origins[name] = {"scenario_file": shown_path(file), "overrides": list(overrides)}
    for name, extra in parse_variants(variants).items():
        if name in plans:
            raise ValueError(f"--variant {name}: a plan is already named {name!r}")
        every = [*overrides, *extra]
        plans[name] = load_scenario(files[0], overrides=every)
        origins[name] = {"scenario_file": shown_path(files[0]), "overrides": every}
    if len(plans) < 2:
        raise ValueError("compare needs two plans: two files, or a file and a --variant")
    for name, scenario in plans.items():
        origins[name]["scenario_hash"] = scenario_hash(scenario)
    return plans, origins


def compare_command(files: Sequence[Path], variants: Sequence[str] = (),
                    overrides: Sequence[str] = (), reps: int = 200, seed: int = 0,
                    workers: int | None = None, executor: Executor | None = None,
                    out: Path | None = None, progress: ProgressMode = None,
                    console: Console | None = None) -> Comparison:
    """Build the plans, run them on the same seeds, print the comparison, write it to ``out``
    (``comparison.parquet``, ``plans.parquet`` and ``comparison.json``) if given."""
    console = console or Console(highlight=False)
    plans, origins = build_plans(files, variants, overrides)
    if out is not None:
        check_output_folder(out)
    if progress is None and not (Console(stderr=True).is_terminal
                                 or Console(stderr=True).is_jupyter):
        progress = "lines"
    result = compare(plans, reps=reps, seed=seed, workers=None if executor else workers,
                     executor=executor, progress=progress)
    currency = next(iter(plans.values())).meta.currency
    table = result.table()
    for name in list(plans)[1:]:
        console.print(comparison_table(result, name, currency))
        console.print(variance_note(result, name), markup=False, soft_wrap=True)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_parquet(table, out / "comparison.parquet")
        atomic_write_parquet(result.summaries(), out / "plans.parquet")
        atomic_write_json(out / "comparison.json", {
            "baseline": result.baseline, "seed": seed, "reps": result.reps,
            "plans": origins})
        console.print(f"wrote {out}", markup=False)
    return result


def comparison_table(result: Comparison, plan: str, currency: str = "") -> Table:
    """One plan against the baseline: metrics that differ in some replication (money
    in ``currency``, named in the title)."""
    rows = result.table().query("plan == @plan")
    unit = f", amounts in {currency}" if currency else ""
    title = f"{plan} vs {result.baseline}: {result.reps} paired replications, 95% intervals"
    table = Table(title=title + unit,
                  title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    for column in ("metric", result.baseline, plan, "change", "CI low", "CI high",
                   "P(better)", "narrower"):
        table.add_column(column, justify="left" if column == "metric" else "right",
                         no_wrap=True)
    same = 0
    for row in rows.to_dict("records"):
        metric = str(row["metric"])
        value = {key: float(row[key]) for key in ("baseline_mean", "plan_mean", "difference",
                                                  "ci_low", "ci_high", "p_better",
                                                  "paired_half_width", "width_ratio")}
        if int(row["n"]) == 0:
            continue
        if value["paired_half_width"] == 0 and value["difference"] == 0:
            same += 1
            continue
        ratio = value["width_ratio"]
        table.add_row(
            metric, format_value(metric, value["baseline_mean"]),
            format_value(metric, value["plan_mean"]),
            _signed(format_value(metric, value["difference"]), value["difference"]),
            format_value(metric, value["ci_low"]), format_value(metric, value["ci_high"]),
            f"{value['p_better']:.0%}", "-" if math.isnan(ratio) else f"{ratio:.1f}x")
    if same:
        table.caption = f"{same} metrics are the same in every replication"
    return table


def variance_note(result: Comparison, plan: str, metric: str = HEADLINE_FOR_RATIO) -> str:
    """The variance reduction from pairing, in words, for one metric."""
    rows = result.table().query("plan == @plan and metric == @metric")
    if rows.empty:
        return ""
    row = rows.iloc[0]
    ratio = float(row["width_ratio"])
    paired = f"{metric}: paired on the same {int(row['n'])} replication seeds"
    if ratio != ratio:
        return f"{metric}: no spread in either plan, nothing to pair"
    if ratio == float("inf"):
        return (f"{paired}, the difference is the same in every replication "
                "(independent runs would leave it uncertain)")
    return (f"{paired}, the interval of the difference is {ratio:.1f}x narrower than "
            f"independent runs would give (they would need about {ratio * ratio:.0f}x as "
            "many replications for the same precision)")


def _signed(text: str, value: float) -> str:
    return text if text.startswith("-") or value == 0 else f"+{text}"
