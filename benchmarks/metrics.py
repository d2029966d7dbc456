"""Metrics speed: the KPI table and headline metrics of one replication of the reference
scenario, as a Monte Carlo run computes them for every replication.

    .venv/bin/python benchmarks/metrics.py            # measure and print
    .venv/bin/python benchmarks/metrics.py --write    # also update benchmarks/RESULTS.md

The replication is simulated once; then ``kpi_table`` (months, quarters, years
and the total) followed by ``headline_metrics`` read off that table is timed
``--repeat`` times and the median reported, in seconds and in lead rows per
second. ``headline_metrics`` on its own (computing its ``'total'`` rows itself)
is timed too. Only the ``## Metrics`` section of RESULTS.md is rewritten; other
sections are left as they are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import salesim
from machine_info import describe_machine
from salesim.metrics import Plan, headline_metrics, kpi_table
from salesim.metrics.periods import PeriodType

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "scenarios" / "reference.yaml"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
TITLE = "Metrics"
PERIOD_TYPES: tuple[PeriodType, ...] = ("month", "quarter", "year", "total")
TARGET_SECONDS = 0.3
INTRO = (f"KPI table ({', '.join(PERIOD_TYPES)}) plus headline metrics of one replication "
         "of the reference scenario, as a Monte Carlo run computes them per replication "
         "(`benchmarks/metrics.py`). Before the vectorised rewrite of `salesim.metrics` "
         "the same work took 0.70 s on this machine when idle (about 1.3 s under load).")


def machine() -> str:
    return describe_machine("numpy", "pandas")


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="record results in RESULTS.md")
    args = parser.parse_args()

    scenario = salesim.load_scenario(REFERENCE)
    records = salesim.simulate(scenario, seed=args.seed)
    plan = Plan.from_scenario(scenario)
    lead_rows = len(records.leads)

    def per_replication() -> None:
        table = kpi_table(records, plan, period_types=PERIOD_TYPES)
        headline_metrics(records, plan, kpis=table)

    per_replication()  # warm imports and caches
    seconds, cpu = timed(per_replication, args.repeat)
    alone, _ = timed(lambda: headline_metrics(records, plan), args.repeat)
    kpi_rows = len(kpi_table(records, plan, period_types=PERIOD_TYPES))
    lines = [
        f"- date: {dt.date.today().isoformat()}",
        f"- machine: {machine()}",
        f"- replication (seed {args.seed}): {lead_rows:,} lead rows, "
        f"{len(records.opportunities):,} opportunities, "
        f"{len(records.subscriptions):,} subscriptions, {len(records.reps):,} reps, "
        f"{len(records.activities):,} activity rows; {kpi_rows:,} KPI rows",
        f"- kpi_table + headline_metrics(kpis=table): {seconds:.3f} s per replication "
        f"(median of {args.repeat}; {cpu:.3f} CPU s), {lead_rows / seconds:,.0f} lead rows/s "
        f"(target under {TARGET_SECONDS} s)",
        f"- headline_metrics alone: {alone:.3f} s",
    ]
    print("\n".join(lines))
    if args.write:
        write_section(TITLE, "\n".join(lines), INTRO)
    return 0


def write_section(title: str, body: str, intro: str = "") -> None:
    """Replace the ``## <title>`` section's figures in RESULTS.md, keeping other sections."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    marker = "<!-- figures -->"
    pattern = re.compile(rf"(## {re.escape(title)}\n.*?{re.escape(marker)}\n)(.*?)(?=\n## |\Z)",
                         re.S)
    if pattern.search(text):
        text = pattern.sub(lambda m: m.group(1) + body + "\n", text)
    else:
        lead = f"{intro}\n\n" if intro else ""
        text = text.rstrip() + f"\n\n## {title}\n\n{lead}{marker}\n{body}\n"
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
