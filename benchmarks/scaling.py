"""Scaling: one replication of the reference scenario at 1x, 4x and 16x its lead volume.

    .venv/bin/python benchmarks/scaling.py                  # measure and print
    .venv/bin/python benchmarks/scaling.py --write          # also update benchmarks/RESULTS.md
    .venv/bin/python benchmarks/scaling.py --factors 1 4    # fewer points (quicker)
    .venv/bin/python benchmarks/scaling.py --profile        # also where the time goes

At factor ``k`` every channel brings ``k`` times the leads (``spend_per_month`` or
``leads_per_month`` times ``k``; prices per lead unchanged) and every team is ``k``
times the size (headcount, hiring counts and targets), as is the starting state
(customers, open deals, waiting leads): the same company, ``k`` times bigger, set
with the scenario's ``--set`` overrides. Each factor runs in a fresh process, so its
peak memory is the real peak resident set size of one replication from scenario to
KPI table (``VmHWM`` on Linux, ``ru_maxrss`` elsewhere; not tracemalloc, which misses
memory numpy and Arrow allocate outside Python's allocator), imports included (the
process's peak before simulating is reported too). Before the timed replication each
process runs a warm-up replication at 1/16 of the reference's size, so compiled
(numba) code is compiled, or loaded from its cache, outside the timings; the warm-up's
own peak is far below the measured one's.

Reported per factor: seconds for ``simulate`` and for the KPI table, new leads a year,
microseconds per new lead (the target: within 20% of the 1x figure at every factor),
peak memory, and the size of the replication's record files (``--records``) against
plain Parquet (pandas defaults, as they were written before). The last line says
what a million new leads a year would take per replication: seconds and peak memory,
and whether it fits in 1 GB, extrapolated linearly from the largest factor measured
(``--million`` runs that size instead).
Only the ``## Scaling`` section of RESULTS.md is rewritten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from machine_info import describe_machine, peak_memory_bytes

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFERENCE = ROOT / "scenarios" / "reference.yaml"
RESULTS = HERE / "RESULTS.md"
TITLE = "Scaling"
GIB = 1024 ** 3
TARGET_SPREAD = 0.20
MILLION = 1_000_000
INTRO = ("One replication of the reference scenario with its lead volume and its teams "
         "scaled together (`benchmarks/scaling.py`; each size in a fresh process): time "
         "per new lead should stay constant (within 20% of the 1x figure) and a million "
         "new leads a year should fit in 1 GB per replication. Record files are the "
         "replication's tables as `salesim run --records` writes them, against the same "
         "tables as plain Parquet (pandas defaults: how they were written before).")


def scale_overrides(path: Path, factor: float) -> dict[str, Any]:
    """``--set`` overrides making the scenario at ``path`` ``factor`` times bigger.

    >>> overrides = scale_overrides(REFERENCE, 4)
    >>> overrides["channels.webinars.leads_per_month"], overrides["sdr.headcount"]
    (2400.0, 40)
    >>> overrides["ae.hiring.2.target"], overrides["start_state.customers.count"]
    (88, 4000)
    """
    import salesim

    def whole(value: float) -> int:
        return max(1, round(value * factor))

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    scenario = salesim.load_scenario(path)
    overrides: dict[str, Any] = {}
    for name, channel in scenario.channels.items():
        if channel.spend_per_month is not None:
            overrides[f"channels.{name}.spend_per_month"] = channel.spend_per_month * factor
        elif channel.leads_per_month is not None:
            overrides[f"channels.{name}.leads_per_month"] = channel.leads_per_month * factor
    for name, team in scenario.organisation.items():
        section = name if name in raw else f"teams.{name}"
        overrides[f"{section}.headcount"] = whole(team.headcount)
        for index, step in enumerate(team.hiring):
            if step.count is not None:
                overrides[f"{section}.hiring.{index}.count"] = whole(step.count)
            if step.target is not None:
                overrides[f"{section}.hiring.{index}.target"] = whole(step.target)
    start = raw.get("start_state") or {}
    for part in ("customers", "open_opportunities", "leads"):
        if isinstance(start.get(part), dict) and "count" in start[part]:
            overrides[f"start_state.{part}.count"] = whole(start[part]["count"])
    return overrides


def measure_one(factor: float, seed: int, profile: bool) -> dict[str, Any]:
    """One replication at ``factor`` in this (fresh) process."""
    import salesim
    from salesim.experiments.montecarlo import KPI_PERIOD_TYPES
    from salesim.metrics import Plan, kpi_table
    from salesim.record_files import write_records

    warm_up = salesim.load_scenario(REFERENCE, overrides=scale_overrides(REFERENCE, 1 / 16))
    kpi_table(salesim.simulate(warm_up, seed=seed), Plan.from_scenario(warm_up),
              period_types=KPI_PERIOD_TYPES)
    scenario = salesim.load_scenario(REFERENCE, overrides=scale_overrides(REFERENCE, factor))
    plan = Plan.from_scenario(scenario)
    before = peak_memory_bytes()
    started, started_cpu = time.perf_counter(), time.process_time()
    records = salesim.simulate(scenario, seed=seed)
    simulated = time.perf_counter() - started
    kpi_table(records, plan, period_types=KPI_PERIOD_TYPES)
    total, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    peak = peak_memory_bytes()
    with tempfile.TemporaryDirectory() as folder:
        write_records(records, Path(folder) / "compact")
        compact = sum(p.stat().st_size for p in (Path(folder) / "compact").iterdir())
        (Path(folder) / "plain").mkdir()
        for name, table in records.tables().items():
            table.to_parquet(Path(folder) / "plain" / f"{name}.parquet", index=False)
        plain = sum(p.stat().st_size for p in (Path(folder) / "plain").iterdir())
    years = (scenario.meta.end - scenario.meta.start).days / 365.25
    result = {
        "factor": factor, "new_leads": int((records.leads["cycle"] == 0).sum()),
        "lead_rows": len(records.leads), "opportunities": len(records.opportunities),
        "years": years, "simulate_s": simulated, "total_s": total, "cpu_s": cpu,
        "rss_before": before, "rss_peak": peak, "records_bytes": compact,
        "plain_bytes": plain, "phases": {},
    }
    if profile:
        from engine import where_time_goes

        result["phases"] = dict(where_time_goes(scenario, seed))
    return result


def run_child(factor: float, seed: int, profile: bool) -> dict[str, Any]:
    """Measure one factor in a fresh Python process (clean peak memory)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(factor),
               "--seed", str(seed)] + (["--profile"] if profile else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))})
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def report(rows: list[dict[str, Any]], seed: int) -> list[str]:
    base = rows[0]
    base_per_lead = base["cpu_s"] / base["new_leads"]
    lines = [f"- date: {dt.date.today().isoformat()}",
             f"- machine: {describe_machine('numpy', 'pandas', 'simpy')}",
             f"- load average before the first run: {rows[0]['load']}",
             f"- seed {seed}; seconds are wall clock of one replication (simulate, then "
             "the KPI table), after a warm-up replication at 1/16 size in the same fresh "
             "process; time per lead is CPU time (this process), which other work "
             "on the machine disturbs less than wall-clock time; peak memory is the "
             "process's peak resident set size (VmHWM), imports and warm-up included", "",
             "| factor | new leads / year | lead rows | simulate s | + KPIs s | CPU s "
             f"| CPU µs per new lead | vs {base['factor']:g}x | peak memory "
             "| before simulating "
             "| record files | plain Parquet |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        per_lead = row["cpu_s"] / row["new_leads"]
        lines.append(
            f"| {row['factor']:g}x | {row['new_leads'] / row['years']:,.0f} | "
            f"{row['lead_rows']:,} | {row['simulate_s']:.1f} | {row['total_s']:.1f} | "
            f"{row['cpu_s']:.1f} | {per_lead * 1e6:.1f} | {per_lead / base_per_lead:.2f} | "
            f"{row['rss_peak'] / GIB:.2f} GiB | {row['rss_before'] / GIB:.2f} GiB | "
            f"{row['records_bytes'] / 1e6:.1f} MB | {row['plain_bytes'] / 1e6:.1f} MB |")
    spread = max(abs(r["cpu_s"] / r["new_leads"] / base_per_lead - 1) for r in rows)
    lines += ["", f"- CPU time per new lead: at most {spread:.0%} from the "
                  f"{base['factor']:g}x figure "
                  f"(target within {TARGET_SPREAD:.0%}): "
                  f"{'met' if spread <= TARGET_SPREAD else 'not met'}"]
    lines.append(million_line(rows[-1]))
    for row in rows:
        if row["phases"]:
            shares = ", ".join(f"{name} {share:.0%}" for name, share in row["phases"].items())
            lines.append(f"- where the time goes at {row['factor']:g}x (pyinstrument): {shares}")
    return lines


def million_line(last: dict[str, Any]) -> str:
    """What a million new leads a year takes per replication: measured when ``last`` is
    that size, else extrapolated linearly from it (time per new lead and memory grown
    per new lead held constant).

    >>> line = million_line({"factor": 4, "new_leads": 500_000, "years": 3.0,
    ...                      "total_s": 12.0, "rss_before": 0.25 * GIB, "rss_peak": 0.75 * GIB})
    >>> line.split(": ", 1)[1]
    'about 72 s and 3.2 GiB per replication (3.0 years): does not fit in 1 GB'
    """
    per_year = last["new_leads"] / last["years"]
    if per_year >= MILLION * 0.98:
        fits = last["rss_peak"] <= GIB
        return (f"- a million new leads a year ({per_year:,.0f} measured): "
                f"{last['total_s']:.0f} s and peak {last['rss_peak'] / GIB:.2f} GiB per "
                f"replication ({last['years']:.1f} years), "
                f"{'fits' if fits else 'does not fit'} in 1 GB")
    scale = MILLION / per_year
    seconds = last["total_s"] * scale
    memory = last["rss_before"] + (last["rss_peak"] - last["rss_before"]) * scale
    return (f"- a million new leads a year, extrapolated linearly from "
            f"{last['factor']:g}x ({per_year:,.0f} a year): about {seconds:,.0f} s and "
            f"{memory / GIB:.1f} GiB per replication ({last['years']:.1f} years): "
            f"{'fits' if memory <= GIB else 'does not fit'} in 1 GB")


def write_section(title: str, body: str, intro: str) -> None:
    """Replace the ``## <title>`` section in RESULTS.md, keeping other sections."""
    from metrics import write_section as write

    write(title, body, intro)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=float, nargs="+", default=[1, 4, 16])
    parser.add_argument("--million", action="store_true",
                        help="add the factor giving a million new leads a year")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true",
                        help="also profile each size (a second replication per size)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        print(json.dumps(measure_one(args.child, args.seed, args.profile)))
        return 0
    factors = list(args.factors)
    rows: list[dict[str, Any]] = []
    for factor in factors:  # grows when --million adds its size
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        row = run_child(factor, args.seed, args.profile)
        row["load"] = load
        rows.append(row)
        print(f"{factor:g}x: {row['new_leads']:,} new leads, {row['total_s']:.1f} s, "
              f"peak {row['rss_peak'] / GIB:.2f} GiB (load before: {load})", flush=True)
        if args.million and factor == factors[-1]:
            per_year = row["new_leads"] / row["years"] / factor
            factors.append(round(MILLION / per_year, 1))
            args.million = False
    lines = report(rows, args.seed)
    print("\n".join(lines))
    if args.write:
        write_section(TITLE, "\n".join(lines), INTRO)
    return 0


if __name__ == "__main__":
    sys.exit(main())
