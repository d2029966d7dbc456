"""Engine speed: one replication of the reference scenario against a bare simpy model.

The bare model is the textbook way to write the same three-queue skeleton in
simpy: one process per lead, which queues for an SDR (``simpy.Resource``) once
per call attempt, then, if it became an opportunity, for an AE slot, then, if
won, for a CSM slot. To compare like with like it does the *same amount of
work* as the engine's replication: each lead arrives when the engine's lead was
created and makes as many attempts as it did; as many leads reach the AE and CS
queues; services are exponential with the scenario's means. It has none of the
engine's rules (calendars, cadences, ramp, outcomes, records), so it is a floor
for "plain simpy" cost per lead.

Run:  .venv/bin/python benchmarks/engine.py [--repeat 3] [--write]

Prints, from one run on the same machine, leads per second for the bare skeleton,
for ``simulate`` alone and for ``simulate`` plus the KPI table and headline metrics
as a Monte Carlo replication computes them (months, quarters, years and the total,
with the plan of the replication's drawn assumptions), each with its ratio to the
skeleton (how many times as many leads per second); then the peak traced memory
(tracemalloc) of one replication and, from a sampling profile (pyinstrument), the
share of a replication each phase of ``simulate`` takes. The last line is
``ratio: N``, the ratio of ``simulate`` plus KPIs. One full replication runs before
anything is timed, so compiled (numba) code is compiled, or loaded from its cache,
outside the timings. ``--write`` records the figures in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import tracemalloc
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy

import salesim
from machine_info import describe_machine
from metrics import write_section

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "scenarios" / "reference.yaml"
TARGET_RATIO = 10.0


def bare_simpy(records: salesim.Records, scenario: salesim.Scenario, seed: int) -> float:
    """Run the bare three-queue skeleton on the engine's workload; return seconds taken."""
    rng = np.random.default_rng(seed)
    leads = records.leads
    start = np.datetime64(records.start, "ns")
    arrivals = ((leads["created_at"] - start).dt.total_seconds() / 86_400).to_numpy()
    attempts = leads["attempts"].to_numpy().tolist()
    opportunity = (leads["status"] == "converted").to_numpy().tolist()
    won_leads = set(records.opportunities.loc[records.opportunities["status"] == "won",
                                              "lead_id"].tolist())
    won = [lead_id in won_leads for lead_id in leads["lead_id"].tolist()]
    handle = scenario.sdr.handle_time.sampler().mean
    cycle = sum(stage.duration.sampler().mean for stage in scenario.ae.stages.values())
    onboarding = scenario.cs.onboarding_duration.sampler().mean
    ae_slots = scenario.ae.headcount * (scenario.ae.max_open_opportunities or 1000)
    cs_slots = scenario.cs.headcount * scenario.cs.accounts_per_csm
    order = np.argsort(arrivals, kind="stable").tolist()
    # random numbers drawn up front, in blocks, as the engine does
    calls = iter(rng.exponential(handle, int(sum(attempts))).tolist())
    cycles = iter(rng.exponential(cycle, int(sum(opportunity))).tolist())
    onboardings = iter(rng.exponential(onboarding, int(sum(won))).tolist())

    began = time.perf_counter()
    env = simpy.Environment()
    sdr = simpy.Resource(env, capacity=max(scenario.sdr.headcount, 1))
    ae = simpy.Resource(env, capacity=max(ae_slots, 1))
    cs = simpy.Resource(env, capacity=max(cs_slots, 1))

    def lead(index: int) -> Generator[simpy.Event, Any, None]:
        for _ in range(attempts[index]):
            with sdr.request() as request:
                yield request
                yield env.timeout(next(calls))
        if opportunity[index]:
            with ae.request() as request:
                yield request
                yield env.timeout(next(cycles))
            if won[index]:
                with cs.request() as request:
                    yield request
                    yield env.timeout(next(onboardings))

    def source() -> Generator[simpy.Event, Any, None]:
        for index in order:
            yield env.timeout(max(arrivals[index] - env.now, 0.0))
            env.process(lead(index))

    env.process(source())
    env.run()
    return time.perf_counter() - began


PHASES = {
    "_inside_sales@salesim/world.py": "inside sales: SDR desks (compiled loop, its random "
                                      "draws) and the nurture pool",
    "_field_sales@salesim/world.py": "field sales (event queue, AE time model)",
    "_customer_success@salesim/world.py": "customer success",
    "generate_leads@salesim/model/marketing.py": "marketing (lead generation)",
    "_account_world@salesim/world.py": "accounts and territories",
}


def where_time_goes(scenario: salesim.Scenario, seed: int) -> list[tuple[str, float]]:
    """Share of one replication spent in each phase of ``simulate`` (sampling profile)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    salesim.simulate(scenario, seed=seed)
    profiler.stop()
    frame = profiler.last_session.root_frame() if profiler.last_session else None
    while frame is not None and frame.function != "simulate":
        frame = frame.children[0] if frame.children else None
    if frame is None:
        return []
    shares: dict[str, float] = {}
    for child in frame.children:
        key = f"{child.function}@{child.file_path_short}"
        label = PHASES.get(key, "record tables and the rest" if "_table" in child.function
                           or child.function in ("conform", "<dictcomp>", "_timestamps")
                           else "setup and the rest")
        shares[label] = shares.get(label, 0.0) + child.time / frame.time
    return sorted(shares.items(), key=lambda item: -item[1])


def machine() -> str:
    return describe_machine("numpy", "simpy")


def replication_metrics(records: salesim.Records, scenario: salesim.Scenario,
                        seed: int) -> None:
    """The KPI table and headline metrics of a replication, as a Monte Carlo replication
    computes them (:func:`salesim.experiments.montecarlo.run_replication`)."""
    from salesim.experiments.montecarlo import KPI_PERIOD_TYPES
    from salesim.metrics import Plan, headline_metrics, kpi_table
    from salesim.scenario.uncertain import realise

    plan = Plan.from_scenario(realise(scenario, seed))
    kpis = kpi_table(records, plan, period_types=KPI_PERIOD_TYPES)
    headline_metrics(records, plan, kpis=kpis)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="record results in RESULTS.md")
    args = parser.parse_args()

    scenario = salesim.load_scenario(REFERENCE)
    # warm-up: imports, caches and compiled (numba) code, compiled or loaded from the
    # cache by this first call, stay out of the timings
    replication_metrics(salesim.simulate(scenario, seed=0), scenario, 0)
    engine_times, metric_times, lead_counts, bare_times = [], [], [], []
    for seed in range(1, args.repeat + 1):
        began = time.perf_counter()
        records = salesim.simulate(scenario, seed=seed)
        simulated = time.perf_counter()
        replication_metrics(records, scenario, seed)
        engine_times.append(simulated - began)
        metric_times.append(time.perf_counter() - simulated)
        lead_counts.append(len(records.leads))
        bare_times.append(bare_simpy(records, scenario, seed))
    tracemalloc.start()
    salesim.simulate(scenario, seed=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    leads = int(statistics.mean(lead_counts))
    bare = statistics.median(bare_times)
    alone = statistics.median(engine_times)
    with_kpis = statistics.median([a + b for a, b in zip(engine_times, metric_times,
                                                          strict=True)])
    bare_rate, alone_rate, kpis_rate = leads / bare, leads / alone, leads / with_kpis
    ratio = kpis_rate / bare_rate
    lines = [
        f"- date: {dt.date.today().isoformat()}",
        f"- machine: {machine()}",
        f"- reference scenario: {leads:,} lead rows per replication; median over seeds "
        f"{', '.join(map(str, range(1, args.repeat + 1)))}, after one warm-up "
        "replication (compiled code compiled or loaded from its cache before timing)",
        f"- bare simpy three-queue skeleton: {bare:.2f} s per replication, "
        f"{bare_rate:,.0f} leads/s",
        f"- simulate alone: {alone:.2f} s, {alone_rate:,.0f} leads/s, "
        f"{alone_rate / bare_rate:.2f}x the skeleton",
        f"- simulate + KPI table + headline metrics: {with_kpis:.2f} s, "
        f"{kpis_rate:,.0f} leads/s, {ratio:.2f}x the skeleton "
        f"(target at least {TARGET_RATIO:.0f}x)",
        f"- peak traced memory of one replication (tracemalloc): {peak / 2**20:,.0f} MiB",
        "- where one replication's time goes (pyinstrument, 1 ms sampling):",
        *(f"  - {label}: {share:.0%}" for label, share in where_time_goes(scenario, 1)),
        f"ratio: {ratio:.2f}",
    ]
    print("\n".join(lines))
    if args.write:
        write_section("Engine", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
