"""Executors: replications per second in this process, on a local process pool and on a
Dask LocalCluster, and Dask's overhead per replication.

    .venv/bin/python benchmarks/executors.py            # measure and print
    .venv/bin/python benchmarks/executors.py --write    # also update benchmarks/RESULTS.md

Each executor runs the same replications of a small scenario (short
replications make the per-task overhead visible). The pool and the cluster
get the same number of workers; their start-up is timed separately
(``salesim.run`` starts a pool for every call, a Dask cluster is started once
and reused). Overhead per replication: wall-clock time x workers / replications,
minus the in-process time of one replication. On a machine shared with other work
that figure includes waiting for the CPU, so CPU time is counted too: every process
of the run (this one with the Dask scheduler and nannies, the pool's or the cluster's
workers), per replication, against the in-process CPU time of one replication. The
executors are measured in turn, ``--rounds`` times, and the best round of each is kept.
Dask's own cost per task is measured apart, on 1,000 trivial tasks (``abs``), and so
is the pool's fixed cost per run (a run of one replication per worker, less one
replication's time: starting the workers, importing salesim, warming up), to give the
pool's overhead per replication without it.

Only the ``## Executors`` section of RESULTS.md is rewritten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
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


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed_run(scenario: salesim.Scenario, reps: int, executor: object
              ) -> tuple[float, float, object]:
    """Wall-clock seconds, CPU seconds of this process and its finished children, and
    the ensemble."""
    started, cpu = time.perf_counter(), cpu_seconds() + cpu_seconds(resource.RUSAGE_CHILDREN)
    ensemble = salesim.run(scenario, reps=reps, seed=1, executor=executor,  # type: ignore[arg-type]
                           progress=False)
    cpu = cpu_seconds() + cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    return time.perf_counter() - started, cpu, ensemble


def dask_run(scenario: salesim.Scenario, reps: int, dask: DaskExecutor
             ) -> tuple[float, float, object]:
    """:func:`timed_run` on the cluster, adding the CPU time of its worker processes."""
    before = dask.client.run(cpu_seconds)
    seconds, cpu, ensemble = timed_run(scenario, reps, dask)
    after = dask.client.run(cpu_seconds)
    return seconds, cpu + sum(after[w] - before[w] for w in after if w in before), ensemble


def tiny_tasks(dask: DaskExecutor, count: int = 1000) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds per trivial task on the cluster."""
    dask.map(abs, range(-50, 0))
    cpu, started = cpu_seconds(), time.perf_counter()
    assert dask.map(abs, range(-count, 0)) == list(range(count, 0, -1))
    return (time.perf_counter() - started) / count, (cpu_seconds() - cpu) / count


def measure(scenario_path: Path, reps: int, workers: int, rounds: int) -> dict[str, object]:
    scenario = salesim.load_scenario(scenario_path)
    salesim.run(scenario, reps=2, seed=99, workers=1, progress=False)  # warm imports and caches
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    best: dict[str, tuple[float, float]] = {}
    ensembles: list[object] = []

    def keep(name: str, seconds: float, cpu: float, ensemble: object) -> None:
        if name not in best or seconds < best[name][0]:
            best[name] = (seconds, cpu)
        ensembles.append(ensemble)

    started = time.perf_counter()
    with DaskExecutor("local", workers=workers) as dask:
        dask.client.wait_for_workers(workers)
        cluster_start = time.perf_counter() - started
        timed_run(scenario, 2 * workers, dask)  # workers import salesim once
        tiny = tiny_tasks(dask)
        for _ in range(rounds):
            fixed = timed_run(scenario, workers, LocalExecutor(workers))[0]
            best["pool fixed cost"] = min(best.get("pool fixed cost", (fixed, 0.0)),
                                          (fixed, 0.0))
            keep("in this process", *timed_run(scenario, reps, SerialExecutor()))
            keep("process pool", *timed_run(scenario, reps, LocalExecutor(workers)))
            keep("Dask LocalCluster", *dask_run(scenario, reps, dask))
    first = ensembles[0]
    identical = all(
        ensemble.replications.equals(first.replications)  # type: ignore[attr-defined]
        for ensemble in ensembles)
    return {
        "scenario": scenario_path.relative_to(ROOT).as_posix(), "reps": reps,
        "workers": workers, "rounds": rounds,
        "per_replication": best["in this process"][0] / reps,
        "cpu_per_replication": best["in this process"][1] / reps,
        "rows": [(name, 1 if name == "in this process" else workers, *best[name])
                 for name in ("in this process", "process pool", "Dask LocalCluster")],
        "cluster_start": cluster_start, "identical": identical, "tiny": tiny,
        "pool_start": best["pool fixed cost"][0] - best["in this process"][0] / reps,
        "load": load_before,
        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def markdown_section(result: dict[str, object]) -> str:
    per_replication = float(result["per_replication"])  # type: ignore[arg-type]
    cpu_per_replication = float(result["cpu_per_replication"])  # type: ignore[arg-type]
    reps = int(result["reps"])  # type: ignore[call-overload]
    lines = [HEADING, "",
             f"Measured {dt.date.today()} with `python benchmarks/executors.py --write` on "
             f"`{result['scenario']}`, {reps} replications, best of {result['rounds']} "
             f"rounds (one replication in this process: {per_replication:.3f} s, "
             f"{cpu_per_replication:.3f} CPU s; load average before the run: "
             f"{result['load']}, after: {result['load_after']}).", "",
             "| executor | workers | seconds | replications/s | overhead per replication "
             "| CPU s per replication | CPU overhead per replication |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    rates = {}
    for name, workers, seconds, cpu in result["rows"]:  # type: ignore[attr-defined]
        overhead = seconds * workers / reps - per_replication
        rates[name] = reps / seconds
        lines.append(f"| {name} | {workers} | {seconds:.2f} | {reps / seconds:.2f} | "
                     f"{overhead * 1000:+.0f} ms | {cpu / reps:.3f} | "
                     f"{(cpu / reps - cpu_per_replication) * 1000:+.0f} ms |")
    ratio = rates["Dask LocalCluster"] / rates["process pool"]
    pool_start = float(result["pool_start"])  # type: ignore[arg-type]
    pool_seconds = next(row[2] for row in result["rows"]  # type: ignore[attr-defined]
                        if row[0] == "process pool")
    workers = int(result["workers"])  # type: ignore[call-overload]
    warm = (pool_seconds - pool_start) * workers / reps - per_replication
    warm_rate = reps / (pool_seconds - pool_start)
    lines += ["",
              f"Dask's rate is {ratio:.0%} of the process pool's at "
              f"{result['workers']} workers (the pool's time includes starting its "
              "processes, as every `salesim.run` call does; the cluster started once, in "
              f"{float(result['cluster_start']):.1f} s, and is reused). Overhead per "  # type: ignore[arg-type]
              "replication is wall-clock time x workers / replications minus the "
              "in-process time of one replication; on a shared machine it includes "
              "waiting for the CPU, which the CPU columns do not (they count every "
              "process of the run: this one, with Dask's scheduler and nannies, and the "
              "workers). Results were "
              + ("identical" if result["identical"] else "NOT identical")
              + " on all three executors in every round.", "",
              "Dask's own cost per task, on 1,000 trivial tasks on the same cluster: "
              f"{result['tiny'][0] * 1000:.2f} ms wall clock, "  # type: ignore[index]
              f"{result['tiny'][1] * 1000:.2f} ms CPU in this process "  # type: ignore[index]
              "(scheduler, nannies and client).", "",
              f"The pool's fixed cost per run (starting {workers} workers, importing "
              f"salesim, the first replication's warm-up) was {pool_start:.2f} s; without "
              f"it the pool would run at {warm_rate:.2f} "
              f"replications/s ({warm * 1000:+.0f} ms per replication), and Dask's rate is "
              f"{rates['Dask LocalCluster'] / warm_rate:.0%} of that.", ""]
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
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    pd.set_option("display.width", 120)
    section = markdown_section(measure(args.scenario.resolve(), args.reps, args.workers,
                                       args.rounds))
    print(section)
    if args.write:
        existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
        atomic_write_text(RESULTS, replace_section(existing, section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
