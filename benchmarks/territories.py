"""Territories at national scale: 5.2 million accounts carved into 500 territories.

Japan has about 5.2 million companies. The universe generated here follows its
shape: nearly all small, a few hundred thousand mid-sized, about twelve thousand
large, with heavy-tailed (lognormal) employees and revenue in each segment and
eight regions and ten industries. Five AE teams carve it: an enterprise team
(by size band, with a few named accounts), and mid-market and SMB teams each
split east and west by region. Each team balances its accounts on potential and
account count together (``balance: both``).

Run:  .venv/bin/python benchmarks/territories.py [--accounts 5200000] [--write]

Prints the time to generate and to carve, the peak resident memory of the
process, and per team the max/min potential per territory against round robin
on the same accounts (in the order of the list). Targets: carving under 30 s,
under 2 GB, and a max/min ratio at least twice as close to 1 as round robin's:
``ours - 1 <= (round robin - 1) / 2``. ``--write`` records the figures in
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from machine_info import describe_machine
from salesim.engine.random_streams import RandomStreams
from salesim.io import atomic_write_text
from salesim.model.accounts import AccountBook, build_accounts
from salesim.model.territories import balance_measures, carve, round_robin
from salesim.scenario.accounts import Accounts, TeamTerritories

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
HEADING = "## Territories"
TARGET_SECONDS = 30.0
TARGET_BYTES = 2 * 2**30

SEGMENTS = ["smb", "mid", "enterprise"]
EAST = ["hokkaido", "tohoku", "kanto", "chubu"]
WEST = ["kansai", "chugoku", "shikoku", "kyushu"]


def universe(count: int) -> Accounts:
    """The generated universe: segment counts in the proportions of Japan's company base."""
    large = round(count * 12_000 / 5_200_000)
    mid = round(count * 150_000 / 5_200_000)
    return Accounts.model_validate({
        "segments": {
            "smb": {"count": count - mid - large,
                    "employees": {"lognormal": {"median": 4, "p90": 30}},
                    "revenue": {"lognormal": {"median": "40M", "p90": "400M"}},
                    "potential_cap": "5M"},
            "mid": {"count": mid,
                    "employees": {"lognormal": {"median": 200, "p90": 600}},
                    "revenue": {"lognormal": {"median": "4B", "p90": "20B"}},
                    "potential_cap": "40M"},
            "enterprise": {"count": large,
                           "employees": {"lognormal": {"median": 2500, "p90": 15000}},
                           "revenue": {"lognormal": {"median": "60B", "p90": "600B"}},
                           "potential_cap": "300M"},
        },
        "industries": {"manufacturing": "14%", "construction": "17%", "retail": "16%",
                       "wholesale": "9%", "services": "15%", "real_estate": "8%",
                       "hospitality": "7%", "healthcare": "6%", "it": "4%", "other": "4%"},
        "regions": {"hokkaido": "4%", "tohoku": "7%", "kanto": "33%", "chubu": "17%",
                    "kansai": "17%", "chugoku": "6%", "shikoku": "3%", "kyushu": "13%"},
        "potential_share": "0.2%",
    })


def teams(count: int) -> dict[str, TeamTerritories]:
    """Five AE teams, 500 territories: by size band, then east and west by region."""
    return {
        "Enterprise AE": TeamTerritories.model_validate({
            "named_accounts": [1, 2, 3, 4, 5],
            "covers": [{"segments": ["enterprise"]}], "territories": 40}),
        "Mid-market East": TeamTerritories.model_validate({
            "covers": [{"segments": ["mid"], "regions": EAST}], "territories": 60}),
        "Mid-market West": TeamTerritories.model_validate({
            "covers": [{"segments": ["mid"], "regions": WEST}], "territories": 40}),
        "SMB East": TeamTerritories.model_validate({
            "covers": [{"segments": ["smb"], "regions": EAST}], "territories": 220}),
        "SMB West": TeamTerritories.model_validate({
            "covers": [{"segments": ["smb"]}], "territories": 140}),
    }


def peak_resident_bytes() -> int:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def machine() -> str:
    return describe_machine("numpy")


def run(count: int, seed: int) -> tuple[list[str], bool]:
    began = time.perf_counter()
    book = build_accounts(universe(count), SEGMENTS,
                          RandomStreams(seed).generator("accounts"), ROOT)
    generated = time.perf_counter() - began
    spec = teams(count)
    began = time.perf_counter()
    carved = carve(book, spec, {})
    carving = time.perf_counter() - began
    peak = peak_resident_bytes()

    rows: list[dict[str, Any]] = []
    for code, (name, team) in enumerate(spec.items()):
        mine = np.flatnonzero(carved.team == code)
        k = team.territories or 0
        ours = balance_measures(book.potential[mine], carved.territory[mine], k)
        baseline = balance_measures(book.potential[mine], round_robin(len(mine), k), k)
        counts = np.bincount(carved.territory[mine], minlength=k)
        rows.append({"team": name, "accounts": len(mine), "k": k, "ours": ours,
                     "rr": baseline, "counts": (int(counts.min()), int(counts.max()))})
    covered = balance_measures(book.potential, carved.global_territory(),
                               carved.total_territories)["covered_share"]
    loading, loaded_rows = load_back(book)
    ok_time = carving < TARGET_SECONDS
    ok_memory = peak < TARGET_BYTES
    ok_balance = all(r["ours"]["max_min_ratio"] - 1 <= (r["rr"]["max_min_ratio"] - 1) / 2
                     for r in rows)
    lines = [
        f"- date: {dt.date.today().isoformat()}",
        f"- machine: {machine()}",
        f"- universe: {len(book):,} accounts ({', '.join(f'{name} {int((book.segment == i).sum()):,}' for i, name in enumerate(SEGMENTS))}), "  # noqa: E501
        f"generated in {generated:.1f} s",
        f"- carving into {carved.total_territories} territories across {len(spec)} teams: "
        f"{carving:.1f} s (target under {TARGET_SECONDS:.0f} s)",
        f"- peak resident memory of the process: {peak / 2**30:.2f} GiB "
        f"(target under {TARGET_BYTES / 2**30:.0f} GiB)",
        f"- share of potential covered by some team: {covered:.2%}",
        f"- loading the same {loaded_rows:,} accounts back from a Parquet company list "
        f"(every row checked, segments from size bands): {loading:.1f} s",
        "",
        "| team | accounts | territories | accounts per territory | max/min potential "
        "(ours) | max/min (round robin) | Gini (ours) | Gini (round robin) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(f"| {r['team']} | {r['accounts']:,} | {r['k']} | {r['counts'][0]:,}-{r['counts'][1]:,}"
          f" | {r['ours']['max_min_ratio']:.6f} | {r['rr']['max_min_ratio']:.3f}"
          f" | {r['ours']['gini']:.6f} | {r['rr']['gini']:.4f} |" for r in rows),
        "",
        f"Targets met: time {'yes' if ok_time else 'NO'}, memory {'yes' if ok_memory else 'NO'}, "
        f"balance (ours - 1 at most half of round robin's, every team) "
        f"{'yes' if ok_balance else 'NO'}.",
    ]
    return lines, ok_time and ok_memory and ok_balance


def load_back(book: AccountBook) -> tuple[float, int]:
    """Write the universe as a company list (Parquet, no segment column) and time
    loading it back; returns seconds and rows loaded."""
    spec = Accounts.model_validate({"file": "companies.parquet", "size_bands": {
        "smb": "0-99", "mid": "100-999", "enterprise": "1000+"}})
    with tempfile.TemporaryDirectory() as folder:
        book.to_frame().drop(columns=["segment", "potential"]).to_parquet(
            Path(folder) / "companies.parquet", index=False)
        began = time.perf_counter()
        loaded = build_accounts(spec, SEGMENTS, RandomStreams(0).generator("accounts"),
                                Path(folder))
        return time.perf_counter() - began, len(loaded)


INTRO = """\
`benchmarks/territories.py` generates a universe the size of Japan's company base
(5.2 million accounts: small, mid-sized and large companies in proportion, each
segment with lognormal employees and revenue, potential 0.2% of revenue capped per
segment), and carves it among five AE teams into 500 territories: enterprise by
size band (plus named accounts), mid-market and SMB each split east and west by
region. Every team balances potential and account count together (blocked greedy
longest-processing-time, then swaps between the heaviest and lightest territory).
Round robin deals the same team's accounts in list order. Memory is the peak
resident size of the whole process while carving, universe included (measured
before the universe is written to Parquet and loaded back for the loading time).
"""


def replace_section(document: str, section: str) -> str:
    """Put ``section`` in place of the ``## Territories`` section (or append it)."""
    pattern = re.compile(rf"^{re.escape(HEADING)}\s*$.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(document):
        return pattern.sub(lambda _: section + "\n", document, count=1).rstrip() + "\n"
    return document.rstrip() + "\n\n" + section


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=5_200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()

    lines, met = run(args.accounts, args.seed)
    print("\n".join(lines))
    if args.write:
        section = f"{HEADING}\n\n{INTRO}\n<!-- figures -->\n" + "\n".join(lines) + "\n"
        existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
        atomic_write_text(RESULTS, replace_section(existing, section))
        print(f"updated {RESULTS.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
