"""Monte Carlo throughput: replications per second at 1 and 2 workers, and how stable
the ensemble's quantiles are at the default number of replications.

    .venv/bin/python benchmarks/montecarlo.py            # measure and print
    .venv/bin/python benchmarks/montecarlo.py --write    # also update benchmarks/RESULTS.md
    .venv/bin/python benchmarks/montecarlo.py --stability-seeds 0   # skip the long part

Throughput is wall-clock time of a whole ``salesim.experiments.run`` call
(starting the worker processes included), so parallel efficiency is what a
user sees: ``rate(W workers) / (W * rate(1 worker))``. The run in this process
(1 worker) has ``--serial-reps`` replications, the others ``--reps`` (100 by
default: "100 replications at 2 workers" is the figure a planning session waits
for). CPU seconds per replication count every process, the workers included.

The parent's memory: ``--memory`` (on by default) runs 10 and then 40 replications
of the minimal scenario at 2 workers, writing every replication's records (as
``salesim run --records`` does), each in a fresh process, and reports the parent's
peak resident memory: with streaming reduction it does not grow with the
replications (only the per-replication outputs do: KPI values, attainment).

Stability runs the scenario from several root seeds at the default replication
count and reports, for bookings, each seed's P10/P50/P90 and the largest
relative difference of each quantile from the median across seeds.

Only the ``## Monte Carlo`` section of RESULTS.md is rewritten; other sections
are left as they are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import re
import resource
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

import salesim
from machine_info import cpu_model, peak_memory_bytes
from salesim.experiments import DEFAULT_REPS, run
from salesim.experiments.executors import available_cores
from salesim.experiments.montecarlo import run_replication
from salesim.experiments.seeds import replication_seeds
from salesim.io import atomic_write_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
HEADING = "## Monte Carlo"



def machine() -> dict[str, str]:
    return {
        "cpu": cpu_model(),
        "cores": f"{os.cpu_count()} logical, {available_cores()} available to this process",
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "simpy": version("simpy"),
        "salesim": salesim.__version__,
        "load average before the run": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its finished (joined) worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, workers.ru_utime + workers.ru_stime


def throughput(scenario: salesim.Scenario, reps: int, workers: int, seed: int
               ) -> tuple[float, float, float, pd.DataFrame]:
    """Wall-clock seconds, CPU seconds (all processes), CPU seconds of this process
    alone and the replications table."""
    own, children = cpu_seconds()
    started = time.perf_counter()
    ensemble = run(scenario, reps=reps, seed=seed, workers=workers, progress=False)
    seconds = time.perf_counter() - started
    own_after, children_after = cpu_seconds()
    parent = own_after - own
    return seconds, parent + children_after - children, parent, ensemble.replications


def worker_start_up() -> tuple[float, float]:
    """CPU and wall-clock seconds a fresh Python process takes to import what a worker
    imports to run a replication (the least of three tries)."""
    code = ("import resource, time; started = time.perf_counter(); "
            "import salesim.experiments.montecarlo; "
            "usage = resource.getrusage(resource.RUSAGE_SELF); "
            "print(usage.ru_utime + usage.ru_stime, time.perf_counter() - started)")
    tries = []
    for _ in range(3):
        output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True)
        cpu, wall = map(float, output.stdout.split())
        tries.append((cpu, wall))
    return min(tries)


MEMORY_REPS = (10, 40)


def parent_peak(reps: int, workers: int, keep: bool = False) -> int:
    """Peak resident bytes of a fresh parent process running ``reps`` replications of
    the minimal scenario at ``workers`` workers (workers excluded) with records written
    by the workers, or with ``keep`` sent back and kept in memory (for comparison)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-child", str(reps),
               "--workers", str(workers)] + (["--keep-records"] if keep else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True)
    return int(output.stdout.strip().splitlines()[-1])


def memory_child(reps: int, workers: int, keep: bool) -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        run(ROOT / "scenarios" / "minimal.yaml", reps=reps, seed=0, workers=workers,
            progress=False, keep_records=keep, records_dir=None if keep else folder)
    return peak_memory_bytes()


def memory_lines(memory: dict[tuple[int, bool], int]) -> list[str]:
    """What the parent-memory measurement found, as lines of text."""
    low, high = MEMORY_REPS

    def grew(keep: bool) -> str:
        return (f"{memory[(low, keep)] / 2**20:.0f} MiB at {low} replications, "
                f"{memory[(high, keep)] / 2**20:.0f} MiB at {high} "
                f"({(memory[(high, keep)] - memory[(low, keep)]) / 2**20:+.1f} MiB)")

    return [f"Streaming reduction: the parent's peak resident memory running "
            f"`scenarios/minimal.yaml` at 2 workers, each run in a fresh process: with every "
            f"replication's records written by its worker (as `salesim run --records` does) "
            f"{grew(False)}; for comparison, with the records sent back and kept in memory "
            f"(`keep_records=True`) {grew(True)}. What still grows is the output itself "
            "(each replication's KPI values, headline metrics and attainment)."]


def stability(scenario: salesim.Scenario, reps: int, seeds: list[int], workers: int,
              metric: str) -> pd.DataFrame:
    rows = []
    for seed in seeds:
        ensemble = run(scenario, reps=reps, seed=seed, workers=workers, progress=False)
        row = ensemble.summary().loc[metric]
        values = ensemble.replications[metric]
        rows.append({"seed": seed, "p10": row["p10"], "p50": row["p50"], "p90": row["p90"],
                     "mean": row["mean"], "cv": float(values.std() / values.mean())})
        print(f"  seed {seed}: P10 {row['p10']:,.0f}  P50 {row['p50']:,.0f}  "
              f"P90 {row['p90']:,.0f}", flush=True)
    return pd.DataFrame(rows)


def spread(table: pd.DataFrame, column: str) -> float:
    """Largest relative distance of one seed's value from the median over seeds."""
    values = table[column].to_numpy(dtype=float)
    centre = float(np.median(values))
    return float(np.max(np.abs(values - centre)) / abs(centre)) if centre else float("nan")


def markdown_section(info: dict[str, str], scenario_path: str, reps: dict[int, int],
                     single: tuple[float, float], timings: dict[int, float],
                     cpu: dict[int, float], stable: pd.DataFrame | None,
                     stable_reps: int, memory: dict[tuple[int, bool], int] | None = None,
                     previous: str = "", parent: dict[int, float] | None = None,
                     start_up: tuple[float, float] | None = None) -> str:
    """The ``## Monte Carlo`` section. ``memory``: the parent's peak bytes per number of
    replications and whether records were kept (:func:`parent_peak`); ``previous``: the
    stability part written before, kept when this run skipped it; ``parent``: CPU
    seconds of this process per worker count; ``start_up``: CPU and wall seconds of a
    worker's imports (:func:`worker_start_up`)."""
    lines = [HEADING, "",
             f"Measured {dt.date.today().isoformat()} with `python benchmarks/montecarlo.py "
             f"--write` on `{scenario_path}`.", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += ["", f"One replication in this process (simulate, KPI table, headline metrics, "
                  f"attainment, funnel): {single[0]:.2f} s, {single[1]:.2f} CPU s.", "",
              "Whole runs (wall clock, starting the worker processes included):", "",
              "| workers | replications | seconds | CPU seconds | replications/s "
              "| parallel efficiency | CPU s per replication |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    base = reps[min(timings)] / timings[min(timings)]
    for workers, seconds in sorted(timings.items()):
        rate = reps[workers] / seconds
        lines.append(f"| {workers} | {reps[workers]} | {seconds:.1f} | {cpu[workers]:.1f} | "
                     f"{rate:.3f} | {rate / (workers * base):.0%} | "
                     f"{cpu[workers] / reps[workers]:.2f} |")
    single_cpu = cpu[min(timings)] / reps[min(timings)]
    most = max(timings)
    lines += ["", f"**{reps[most]} replications of the reference scenario at {most} workers: "
                  f"{timings[most]:.1f} s wall clock, {cpu[most]:.1f} s CPU time** (all "
                  f"processes; {cpu[most] / most:.0f} s of CPU per worker).", ""] + [
        f"CPU per replication at {workers} workers: {cpu[workers] / reps[workers]:.2f} s, "
        f"{cpu[workers] / reps[workers] / single_cpu - 1:+.0%} against 1 worker (the part "
        "of parallel efficiency that waiting for a core does not explain: replications "
        "side by side share the processor's cache and memory bandwidth)."
        for workers in sorted(timings) if workers != min(timings)]
    if parent:
        lines += [""] + [
            f"Of the CPU at {workers} workers, {parent[workers]:.1f} s "
            f"({parent[workers] / reps[workers] * 1000:.0f} ms per replication) was the "
            "parent's: sending tasks, receiving results and folding them into the "
            "quantile tables." for workers in sorted(parent) if workers != min(parent)]
    if start_up:
        lines += ["", f"Each worker process first imports what a replication needs: "
                      f"{start_up[0]:.2f} CPU s ({start_up[1]:.2f} s wall clock) in a fresh "
                      "process."]
    lines += ["",
              "Parallel efficiency is rate(W) / (W x rate(1)) (target at least 90% at 2 "
              "workers). CPU seconds per replication count every process (the workers "
              "included), so they depend less on what else the machine is doing than "
              "wall-clock rates do; above the in-process figure they are the cost of running "
              "in a pool (starting and importing in each worker, sending tasks and results, "
              "folding results in the parent). Results were identical at every worker count "
              "(the replications tables compared equal).", ""]
    if memory:
        lines += [*memory_lines(memory), ""]
    if stable is None and previous:
        lines += ["(The stability check below is from an earlier run; this one skipped it.)",
                  "", previous.strip(), ""]
    if stable is not None:
        lines += [f"Stability of bookings at the default {stable_reps} replications, "
                  f"{len(stable)} root seeds:", "",
                  "| root seed | P10 | P50 | P90 | mean |", "|---:|---:|---:|---:|---:|"]
        for row in stable.itertuples():
            lines.append(f"| {row.seed} | {row.p10:,.0f} | {row.p50:,.0f} | {row.p90:,.0f} | "
                         f"{row.mean:,.0f} |")
        p50 = stable["p50"].to_numpy(dtype=float)
        cv = float(stable["cv"].mean())
        lines += ["", "Largest relative distance from the median over seeds: "
                      + ", ".join(f"{c.upper()} {spread(stable, c):.2%}"
                                  for c in ("p10", "p50", "p90"))
                      + f"; P50 of the first two seeds differ by "
                      f"{abs(p50[0] - p50[1]) / p50[:2].mean():.2%}.", "",
                  f"Why {stable_reps} replications by default: bookings vary by {cv:.1%} "
                  "(coefficient of variation) between replications. A sample median's "
                  "standard error is about 1.25 sd / sqrt(n), a P10's or P90's about "
                  "1.71 sd / sqrt(n), so:", "",
                  "| replications | P50 s.e. | P10/P90 s.e. | two seeds' P50 within 2% |",
                  "|---:|---:|---:|---:|"]
        for n in (100, 200, 400, 800):
            se50 = 1.2533 * cv / math.sqrt(n)
            se10 = 1.7094 * cv / math.sqrt(n)
            agree = 2 * _normal_cdf(0.02 / (math.sqrt(2) * se50)) - 1
            lines.append(f"| {n} | {se50:.2%} | {se10:.2%} | {agree:.1%} |")
        lines += ["", "(standard errors as a share of the mean; the last column is the "
                      "normal-approximation chance that two root seeds give P50s within 2% "
                      "of each other.)", ""]
    return "\n".join(lines).rstrip() + "\n"


def previous_stability(document: str) -> str:
    """The stability part of the Monte Carlo section already written, if any (kept when
    a run skips it)."""
    match = re.search(rf"^{re.escape(HEADING)}\s*$.*?(?=^## |\Z)", document, re.M | re.S)
    if match is None or "Stability of bookings" not in match.group(0):
        return ""
    return match.group(0)[match.group(0).index("Stability of bookings"):].strip()


def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def replace_section(document: str, section: str) -> str:
    """Put ``section`` in place of the ``## Monte Carlo`` section (or append it)."""
    pattern = re.compile(rf"^{re.escape(HEADING)}\s*$.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(document):
        return pattern.sub(lambda _: section + "\n", document, count=1).rstrip() + "\n"
    if not document.strip():
        return "# Benchmarks\n\n" + section
    return document.rstrip() + "\n\n" + section


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="scenarios/reference.yaml")
    parser.add_argument("--reps", type=int, default=100,
                        help="replications per run with several workers (default: %(default)s)")
    parser.add_argument("--serial-reps", type=int, default=30,
                        help="replications of the run in this process (default: %(default)s)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-memory", dest="memory", action="store_false",
                        help="skip the parent-memory measurement")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--keep-records", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stability-seeds", type=int, default=2,
                        help="root seeds for the stability check; 0 skips it")
    parser.add_argument("--metric", default="bookings")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.memory_child is not None:
        print(memory_child(args.memory_child, max(args.workers), args.keep_records))
        return 0

    info = machine()
    for key, value in info.items():
        print(f"{key:>8}: {value}")
    scenario = salesim.load_scenario(ROOT / args.scenario if not Path(args.scenario).is_absolute()
                                     else args.scenario)

    seed = replication_seeds(0, 1)[0]
    run_replication(scenario, seed)  # warm up imports and caches
    started, started_cpu = time.perf_counter(), time.process_time()
    run_replication(scenario, seed)
    single = (time.perf_counter() - started, time.process_time() - started_cpu)
    print(f"one replication: {single[0]:.3f} s, {single[1]:.3f} CPU s")

    start_up = worker_start_up()
    print(f"worker start-up (imports): {start_up[0]:.2f} CPU s, {start_up[1]:.2f} s")
    timings: dict[int, float] = {}
    cpu: dict[int, float] = {}
    parent: dict[int, float] = {}
    tables: dict[int, pd.DataFrame] = {}
    reps = {workers: args.serial_reps if workers == 1 else args.reps
            for workers in args.workers}
    for workers in args.workers:
        seconds, cpu[workers], parent[workers], tables[workers] = throughput(
            scenario, reps[workers], workers, seed=0)
        timings[workers] = seconds
        print(f"{workers} worker(s): {reps[workers]} replications in {seconds:.1f} s "
              f"({cpu[workers]:.1f} CPU s, {parent[workers]:.1f} of them in this process) = "
              f"{reps[workers] / seconds:.3f}/s; "
              f"{cpu[workers] / reps[workers]:.2f} CPU s each", flush=True)
    shortest = min(len(table) for table in tables.values())
    first = tables[args.workers[0]].iloc[:shortest]
    for table in tables.values():
        pd.testing.assert_frame_equal(table.iloc[:shortest], first)
    if len(timings) > 1:
        base = reps[min(timings)] / timings[min(timings)]
        for workers, seconds in sorted(timings.items()):
            print(f"parallel efficiency at {workers}: "
                  f"{reps[workers] / seconds / (workers * base):.0%}")

    memory = None
    if args.memory:
        memory = {(count, keep): parent_peak(count, max(args.workers), keep)
                  for keep in (False, True) for count in MEMORY_REPS}
        print("\n".join(memory_lines(memory)))

    stable = None
    if args.stability_seeds > 0:
        print(f"stability of {args.metric} at {DEFAULT_REPS} replications:")
        stable = stability(scenario, DEFAULT_REPS, list(range(args.stability_seeds)),
                           max(args.workers), args.metric)
        print("  largest distance from the median over seeds: " + ", ".join(
            f"{c.upper()} {spread(stable, c):.2%}" for c in ("p10", "p50", "p90")))

    if args.write:
        existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
        section = markdown_section(info, args.scenario, reps, single, timings, cpu,
                                   stable, DEFAULT_REPS, memory, previous_stability(existing),
                                   parent, start_up)
        atomic_write_text(RESULTS, replace_section(existing, section))
        print(f"updated {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
