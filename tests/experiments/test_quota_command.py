"""``salesim quota`` end to end, its argument errors, and the quota guide in ``salesim run``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from salesim import cli
from salesim.experiments.quota import ANSWER_COLUMNS, GUIDE_KEYS

REPO = Path(__file__).resolve().parents[2]
MINIMAL = str(REPO / "scenarios" / "minimal.yaml")
QUARTERLY = ["--set", "meta.horizon=6 months",
             "--set", "ae.quota={amount: 50k, period: quarter}"]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(cli.DEBUG_VARIABLE, raising=False)
    return CliRunner()


def test_quota_prints_and_writes_the_answer(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["quota", MINIMAL, "--team", "ae", "--share", "75%",
                                     "--confidence", "0.8", *QUARTERLY, "--reps", "3",
                                     "--workers", "1", "--out", "q"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "quota of team ae (bookings per quarter), 3 replications, seed 0" in out
    for line in ("quota 75% of reps reach", "share at that quota", "current quota",
                 "share at current quota", "company target met in 80%",
                 "current company target", "P(current target met)"):
        assert line in out
    assert "$50k" in out
    assert "$200k" in out
    assert "counted: 12 rep-quarters" in out
    written = json.loads((tmp_path / "q" / "quota.json").read_text(encoding="utf-8"))
    assert written["team"] == "ae"
    assert written["share"] == 0.75
    assert written["current_quota"] == 50_000
    assert written["rep_periods"] == 12
    assert written["overrides"] == QUARTERLY[1::2]
    table = pd.read_parquet(tmp_path / "q" / "quota.parquet")
    assert tuple(table.columns) == ANSWER_COLUMNS
    assert table.set_index("item").loc["quota", "value"] == written["quota"]


@pytest.mark.parametrize(("arguments", "option", "message"), [
    (["--team", "nobody"], "--team", "no team 'nobody' in the scenario (its teams: sdr, ae"),
    (["--team", "ae", "--share", "1.5"], "--share", "not a rate"),
    (["--team", "ae", "--share", "100%"], "--share", "between 0 and 1"),
    (["--team", "ae", "--share", "0"], "--share", "between 0 and 1"),
    (["--team", "ae", "--confidence", "abc"], "--confidence", "not a rate"),
    (["--team", "ae", "--period", "week"], "--period", "month, quarter or year"),
    (["--team", "ae", "--company-target", "lots"], "--company-target", "lots"),
])
def test_bad_arguments_exit_2_without_traceback(runner: CliRunner, arguments: list[str],
                                                option: str, message: str) -> None:
    result = runner.invoke(cli.app, ["quota", MINIMAL, *arguments, "--reps", "1",
                                     "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}" in result.output
    assert message in " ".join(result.output.replace("│", " ").split())
    assert "Traceback" not in result.output


def test_a_scenario_problem_is_reported_at_its_line(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["quota", MINIMAL, "--team", "ae", "--set",
                                     "ae.quota=lots", "--reps", "1", "--workers", "1"])
    assert result.exit_code == 2
    assert "ae.quota" in result.output
    assert "Traceback" not in result.output


def test_run_prints_and_writes_the_quota_guide(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["run", MINIMAL, *QUARTERLY, "--reps", "2",
                                     "--workers", "1", "--out", "o"])
    assert result.exit_code == 0, result.output
    assert "Quota guide: share of fully ramped reps at quota over whole quota periods, " \
           "against 70-80%" in " ".join(result.stdout.split())
    # the team table's line first, then the guide's
    line = [line for line in result.stdout.splitlines() if line.startswith("ae ")][-1]
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    (guide,) = summary["quota_guide"]  # the only team with a quota
    assert tuple(guide) == GUIDE_KEYS
    assert guide["period"] == "quarter"
    assert guide["verdict"] in ("below", "within", "above")
    assert line.split()[-1] in ("below", "within", "above")
    metric = summary["metrics"]["ramped_share_at_quota_ae"]
    assert metric["p50"] == pytest.approx(guide["p50"])
