"""End to end with the real engine: `salesim run` gives the same files whatever the
number of workers, a replication can be re-run alone from its seed, and Ctrl-C
stops cleanly without writing anything."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import salesim
import salesim.world
from salesim.experiments import run

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "scenarios" / "minimal.yaml"
REFERENCE = ROOT / "scenarios" / "reference.yaml"


SALESIM = Path(sys.executable).with_name("salesim")


def _salesim(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    command = str(SALESIM) if SALESIM.exists() else shutil.which("salesim") or "salesim"
    return subprocess.Popen([command, *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)  # type: ignore[call-overload]


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_workers_do_not_change_the_results(tmp_path: Path) -> None:
    outputs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        process = _salesim("run", str(MINIMAL), "--reps", "6", "--seed", "11",
                           "--workers", workers, "--out", str(out))
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        assert "P50" in stdout
        assert _files(out) == ["attainment.parquet", "funnel.parquet", "kpis.parquet",
                               "replications.parquet", "scenario.yaml", "spreadsheet.parquet",
                               "summary.json"]
        outputs[workers] = out
    one, two = outputs["1"], outputs["2"]
    assert json.loads((one / "summary.json").read_text()) == json.loads(
        (two / "summary.json").read_text())
    pd.testing.assert_frame_equal(pd.read_parquet(one / "replications.parquet"),
                                  pd.read_parquet(two / "replications.parquet"))
    for name in ("kpis", "attainment", "funnel"):
        pd.testing.assert_frame_equal(pd.read_parquet(one / f"{name}.parquet"),
                                      pd.read_parquet(two / f"{name}.parquet"))
    assert (one / "scenario.yaml").read_text() == (two / "scenario.yaml").read_text()
    summary = json.loads((one / "summary.json").read_text())
    assert (summary["seed"], summary["reps"]) == (11, 6)
    assert summary["salesim_version"] == salesim.__version__
    assert {"mean", "p10", "p50", "p90"} == set(summary["metrics"]["bookings"])


def test_a_replication_reruns_alone_from_its_seed() -> None:
    from salesim.metrics import Plan, headline_metrics

    scenario = salesim.load_scenario(MINIMAL)
    ensemble = run(scenario, reps=3, seed=5, workers=1, progress=False)
    row = ensemble.replications.iloc[2]  # a float row: seeds are exact as floats
    alone = headline_metrics(salesim.world.simulate(scenario, seed=int(row["seed"])),
                             Plan.from_scenario(scenario))
    assert alone == pytest.approx({k: row[k] for k in alone}, nan_ok=True)


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(child) for child in text.split()}


@pytest.mark.skipif(sys.platform != "linux", reason="uses process groups and /proc")
def test_ctrl_c_stops_cleanly_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("from an earlier run\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    process = _salesim("run", str(REFERENCE), "--reps", "100000", "--workers", "2",
                       "--out", str(out), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # wait until the worker processes are up
        time.sleep(2)
        workers = _children(process.pid)
        # like Ctrl-C in a terminal: the whole process group gets SIGINT
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, stderr
    assert stdout == ""
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no summary, no temp files
    time.sleep(0.5)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                and "zombie" not in Path(f"/proc/{pid}/status").read_text()]


@pytest.mark.skipif(sys.platform != "linux", reason="uses /proc")
def test_sigterm_with_records_stops_cleanly_and_writes_nothing(tmp_path: Path) -> None:
    """``kill`` of the salesim process alone (not its workers) during a run that writes
    record tables: same clean stop as Ctrl-C; no result file is written, only the
    checkpoint of finished replications (for --resume) is kept, with no partial file."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("from an earlier run\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    process = _salesim("run", str(MINIMAL), "--reps", "100000", "--workers", "2",
                       "--records", "--out", str(out), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob(".partial/records/replication-*")) \
                and time.monotonic() < deadline:
            time.sleep(0.1)  # wait until workers have written some record tables
        workers = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert stdout == ""
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".partial"}
    assert after == before
    kept = list((out / ".partial").glob("replication-*.pickle"))
    assert ("finished replications kept" in stderr) == bool(kept)
    assert not list(out.rglob("*.tmp"))
    time.sleep(0.5)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                and "zombie" not in Path(f"/proc/{pid}/status").read_text()]

