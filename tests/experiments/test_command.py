"""run_command (the logic of `salesim run`) with a fake replication: files, output,
errors and interruption. The real engine runs in test_determinism.py."""

import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rich.console import Console

import salesim
from salesim.experiments import command, montecarlo
from salesim.experiments.command import default_out, format_value, run_command
from salesim.experiments.provenance import scenario_hash
from salesim.scenario import ScenarioError

from .test_montecarlo import MINIMAL, fake_replication


@pytest.fixture(autouse=True)
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(montecarlo, "run_replication", fake_replication)


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=120, highlight=False), buffer


def test_writes_files_and_prints_summary(tmp_path: Path) -> None:
    console, buffer = _console()
    code = run_command(MINIMAL, reps=6, seed=4, workers=1, out=tmp_path / "o", console=console,
                       progress=False)
    assert code == 0
    # the fake replications keep no attainment or funnel tables
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "kpis.parquet", "replications.parquet", "scenario.yaml", "spreadsheet.parquet",
        "summary.json"]
    assert "name: Minimal" in (tmp_path / "o" / "scenario.yaml").read_text()
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert (summary["scenario"], summary["seed"], summary["reps"]) == ("Minimal", 4, 6)
    printed = buffer.getvalue()
    assert "Minimal: 6 replications, seed 4" in printed
    for word in ("bookings", "P10", "P50", "P90", "$", f"wrote {tmp_path / 'o'}"):
        assert word in printed


def test_records_and_overrides(tmp_path: Path) -> None:
    console, _ = _console()
    code = run_command(MINIMAL, reps=2, seed=1, workers=1, overrides=["meta.name=Other"],
                       out=tmp_path, records=True, console=console, progress=False)
    assert code == 0
    assert json.loads((tmp_path / "summary.json").read_text())["scenario"] == "Other"
    assert len(list((tmp_path / "records").iterdir())) == 2


def test_default_out_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    console, _ = _console()
    assert run_command(MINIMAL, reps=2, workers=1, console=console, progress=False) == 0
    assert (tmp_path / "out" / "minimal" / "summary.json").exists()
    assert default_out("日本 営業 計画").as_posix() == "out/日本-営業-計画"
    assert default_out("../..").as_posix() == "out/scenario"


def test_scenario_errors_propagate_for_the_cli(tmp_path: Path) -> None:
    console, _ = _console()
    with pytest.raises(ScenarioError):
        run_command(MINIMAL, reps=2, workers=1, overrides=["ae.headcount=-1"], out=tmp_path,
                    console=console)
    assert not list(tmp_path.iterdir())


def test_interrupt_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "run", interrupted)
    console, _ = _console()
    assert run_command(MINIMAL, reps=2, workers=1, out=tmp_path / "o", console=console) == 130
    assert not (tmp_path / "o").exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "interrupted" in err


def _no_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("replications ran although the output folder is unusable")


@pytest.mark.parametrize("records", [False, True])
def test_output_folder_that_is_a_file_fails_before_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: bool) -> None:
    monkeypatch.setattr(command, "run", _no_run)
    blocker = tmp_path / "results"
    blocker.write_text("not a folder\n")
    for out in (blocker, blocker / "plan-a"):
        with pytest.raises(NotADirectoryError, match="--out"):
            run_command(MINIMAL, reps=2, workers=1, out=out, records=records,
                        console=_console()[0])
    assert blocker.read_text() == "not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_unwritable_output_folder_fails_before_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "run", _no_run)
    monkeypatch.setattr(command.check_output_folder.__globals__["os"], "access",
                        lambda path, mode: False)
    with pytest.raises(PermissionError, match=f"cannot write in {tmp_path}"):
        run_command(MINIMAL, reps=2, workers=1, out=tmp_path / "new", console=_console()[0])
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(("metric", "value", "shown"), [
    ("bookings", 2_500_000.0, "$2.5M"),
    ("total_cost", 950.0, "$950"),
    ("ending_arr", 12_300.0, "$12.3k"),
    ("nrr", 1.04, "104.0%"),
    ("ae_share_at_quota", 0.5, "50.0%"),
    ("speed_to_lead_median_minutes", 12.0, "12.0 min"),
    ("deals_won", 12.5, "12.5"),
    ("headcount_end_ae", 8.0, "8"),
    ("leads", float("nan"), "-"),
])
def test_format_value(metric: str, value: float, shown: str) -> None:
    assert format_value(metric, value, "USD") == shown


def test_team_table_shows_each_team_and_leaves_it_out_of_the_headlines() -> None:
    from salesim.experiments.command import summary_table, team_table
    from salesim.experiments.ensemble import Ensemble

    team = "インサイドセールス"
    replications = pd.DataFrame({
        "replication": [0, 1, 2], "seed": [7, 8, 9],
        "sdr_attainment_mean": [0.8, 1.0, 1.2],
        "headcount_end_sdr": [4.0, 5.0, 6.0],
        "headcount_end_ae": [2.0, 2.0, 2.0],
        f"headcount_end_{team}": [4.0, 5.0, 6.0],
        f"attainment_mean_{team}": [0.8, 1.0, 1.2],
        f"share_at_quota_{team}": [0.25, 0.5, 0.75],
        "headcount_end_field": [2.0, 2.0, 2.0],
    })
    ensemble = Ensemble("Teams", 1, replications, pd.DataFrame())
    teams = {team: "sdr", "field": "ae"}
    console, buffer = _console()
    console.print(team_table(ensemble, teams))
    lines = buffer.getvalue().splitlines()
    sdr = next(line for line in lines if line.startswith(team))
    # heads P50, attainment P10 / P50 / P90, share at quota P50
    assert sdr.split()[1:] == ["sdr", "5", "84.0%", "100.0%", "116.0%", "50.0%"]
    field = next(line for line in lines if line.startswith("field"))
    assert field.split()[1:] == ["ae", "2", "-", "-", "-", "-"]

    console, buffer = _console()
    console.print(summary_table(ensemble, "USD", teams))
    shown = [line.split()[0] for line in buffer.getvalue().splitlines()[3:] if line.strip()]
    assert shown == ["sdr_attainment_mean", "headcount_end_sdr", "headcount_end_ae"]


def test_run_prints_the_teams(tmp_path: Path) -> None:
    console, buffer = _console()
    assert run_command(MINIMAL, reps=2, seed=1, workers=1, out=tmp_path, console=console,
                       progress=False) == 0
    printed = buffer.getvalue()
    assert "Teams: heads at the end" in printed
    assert [line.split()[:2] for line in printed.splitlines()
            if line.split()[:1] in (["sdr"], ["ae"], ["cs"])] == [
        ["sdr", "sdr"], ["ae", "ae"], ["cs", "cs"]]
# ----------------------------------------------------------------------------- runs kept apart


def test_summary_records_where_the_run_came_from(tmp_path: Path) -> None:
    console, buffer = _console()
    code = run_command(MINIMAL, reps=8, seed=2, workers=1, overrides=["ae.headcount=3"],
                       out=tmp_path / "o", console=console, progress=False,
                       targets=["bookings=150k", "leads<=0"])
    assert code == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    scenario = salesim.load_scenario(MINIMAL, overrides={"ae.headcount": 3})
    assert summary["overrides"] == ["ae.headcount=3"]
    assert summary["scenario_file"].endswith("minimal.yaml")
    assert summary["scenario_hash"] == scenario_hash(scenario)
    assert (summary["seed"], summary["reps"]) == (2, 8)
    bookings, leads = summary["targets"]
    ensemble = salesim.run(scenario, reps=8, seed=2, workers=1, progress=False)
    hits = int((ensemble.replications["bookings"] >= 150_000).sum())
    assert (bookings["metric"], bookings["op"], bookings["hits"], bookings["n"]) == (
        "bookings", ">=", hits, 8)
    assert bookings["ci_low"] <= hits / 8 <= bookings["ci_high"]
    assert leads["hits"] == 1  # the fake's replication 0 has 0 leads, the others more
    assert f"P(bookings >= 150k) = {hits / 8:.1%}" in buffer.getvalue()


def test_unknown_target_metric_fails_before_running(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "run", _no_run)
    with pytest.raises(ValueError, match="did you mean bookings"):
        run_command(MINIMAL, reps=2, workers=1, out=tmp_path / "o", console=_console()[0],
                    targets=["booking=1M"])


def test_default_folders_differ_by_overrides(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for overrides in ([], ["ae.headcount=3"], ["ae.headcount=4"]):
        assert run_command(MINIMAL, reps=2, workers=1, overrides=overrides,
                           console=_console()[0], progress=False) == 0
    folders = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(folders) == 3
    assert "minimal" in folders
    assert all(re.fullmatch(r"minimal(-[0-9a-f]{8})?", name) for name in folders)


def test_another_run_is_never_replaced_without_force(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    assert run_command(MINIMAL, reps=2, seed=1, workers=1, out=out, console=_console()[0],
                       progress=False) == 0
    before = (out / "summary.json").read_text()
    capsys.readouterr()
    for change in ({"seed": 2}, {"overrides": ["ae.headcount=3"]}):
        kwargs: dict[str, Any] = {"seed": 1, **change}
        assert run_command(MINIMAL, reps=2, workers=1, out=out, console=_console()[0],
                           progress=False, **kwargs) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert err.startswith(f"error: {out} holds a different run")
        assert "--force" in err
        assert (out / "summary.json").read_text() == before
    # the same run again (more replications) may replace it; another one with --force
    assert run_command(MINIMAL, reps=3, seed=1, workers=1, out=out, console=_console()[0],
                       progress=False) == 0
    assert run_command(MINIMAL, reps=2, seed=2, workers=1, out=out, console=_console()[0],
                       progress=False, force=True) == 0
    assert json.loads((out / "summary.json").read_text())["seed"] == 2
