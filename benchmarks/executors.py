"""Executors: replications per second in this process, on a local process pool and on a
Dask LocalCluster, and Dask's overhead per replication.

    .venv/bin/python benchmarks/executors.py            # measure and print
    .venv/bin/python benchmarks/executors.py --write    # also update benchmarks/RESULTS.md

Each executor runs the same replications of a small scenario (short
replications make the per-task overhead visible). The pool and the cluster
get the same number of workers; their start-up is timed separately
(``salesim.run`` starts a pool for every call, a Dask cluster is started once
and reused). Overhead per replication: wall-clock time x workers / replications,
minus the in-process time of one replication.

Only the ``## Executors`` section of RESULTS.md is rewritten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path

import pandas as pd

import salesim
from salesim.experiments import DaskExecutor, LocalExecutor, SerialExecutor
from salesim.io import atomic_write_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
HEADING = "## Executors"


def timed_run(scenario: salesim.Scenario, reps: int, executor: object) -> tuple[float, object]:
    started = time.perf_counter()
    ensemble = salesim.run(scenario, reps=reps, seed=1, executor=executor,  # type: ignore[arg-type]
                           progress=False)
    return time.perf_counter() - started, ensemble


def measure(scenario_path: Path, reps: int, workers: int) -> dict[str, object]:
    scenario = salesim.load_scenario(scenario_path)
    salesim.run(scenario, reps=2, seed=99, workers=1, progress=False)  # warm imports and caches
    serial_seconds, serial = timed_run(scenario, reps, SerialExecutor())
    pool_seconds, pooled = timed_run(scenario, reps, LocalExecutor(workers))
    started = time.perf_counter()
    with DaskExecutor("local", workers=workers) as dask:
        dask.client.wait_for_workers(workers)
        cluster_start = time.perf_counter() - started
        timed_run(scenario, 2 * workers, dask)  # workers import salesim once
        dask_seconds, distributed = timed_run(scenario, reps, dask)
    identical = all(
        ensemble.replications.equals(serial.replications)  # type: ignore[attr-defined]
        for ensemble in (pooled, distributed))
    per_replication = serial_seconds / reps
    return {
        "scenario": scenario_path.relative_to(ROOT).as_posix(), "reps": reps,
        "workers": workers, "per_replication": per_replication,
        "rows": [("in this process", 1, serial_seconds),
                 ("process pool", workers, pool_seconds),
                 ("Dask LocalCluster", workers, dask_seconds)],
        "cluster_start": cluster_start, "identical": identical,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def markdown_section(result: dict[str, object]) -> str:
    per_replication = float(result["per_replication"])  # type: ignore[arg-type]
    reps = int(result["reps"])  # type: ignore[call-overload]
    lines = [HEADING, "",
             f"Measured {dt.date.today()} with `python benchmarks/executors.py --write` on "
             f"`{result['scenario']}`, {reps} replications (one replication in this "
             f"process: {per_replication:.3f} s; load average before the run: "
             f"{result['load']}).", "",
             "| executor | workers | seconds | replications/s | overhead per replication |",
             "|---|---:|---:|---:|---:|"]
    rates = {}
    for name, workers, seconds in result["rows"]:  # type: ignore[attr-defined]
        overhead = seconds * workers / reps - per_replication
        rates[name] = reps / seconds
        lines.append(f"| {name} | {workers} | {seconds:.2f} | {reps / seconds:.2f} | "
                     f"{overhead * 1000:+.0f} ms |")
    ratio = rates["Dask LocalCluster"] / rates["process pool"]
    lines += ["",
              f"Dask's rate is {ratio:.0%} of the process pool's at "
              f"{result['workers']} workers (the pool's time includes starting its "
              "processes, as every `salesim.run` call does; the cluster started once, in "
              f"{float(result['cluster_start']):.1f} s, and is reused). Overhead per "  # type: ignore[arg-type]
              "replication is wall-clock time x workers / replications minus the "
              "in-process time of one replication; on a shared machine it includes "
              "waiting for the CPU. Results were "
              + ("identical" if result["identical"] else "NOT identical")
              + " on all three executors.", ""]
    return "\n".join(lines)


def replace_section(document: str, section: str) -> str:
    pattern = re.compile(rf"^{re.escape(HEADING)}\s*$.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(document):
        return pattern.sub(lambda _: section + "\n", document, count=1)
    return document.rstrip("\n") + "\n\n" + section + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "minimal.yaml")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    pd.set_option("display.width", 120)
    section = markdown_section(measure(args.scenario.resolve(), args.reps, args.workers))
    print(section)
    if args.write:
        existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
        atomic_write_text(RESULTS, replace_section(existing, section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
