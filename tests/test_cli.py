"""The command line: validate, schema, and errors without tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

import salesim
from salesim import cli
from salesim.scenario import ScenarioError, load_scenario
from salesim.scenario.editor_schema import scenario_json_schema_text

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "scenarios" / "reference.yaml"
JAPANESE = REPO / "scenarios" / "japanese_example.yaml"
SALESIM = Path(sys.executable).parent / "salesim"

VALID = """\
meta: {name: Tiny, start: 2027-01-01, horizon: 12 months}
segments:
  smb: {share: 100%, deal_size: 12k}
channels:
  inbound: {leads_per_month: 200}
sdr: {headcount: 2}
ae:
  headcount: 2
  stages:
    discovery: {conversion: 50%, duration: 2 weeks}
cs: {headcount: 1}
"""

INVALID = {
    "negative headcount": (VALID.replace("sdr: {headcount: 2}", "sdr: {headcount: -2}"),
                           "t.yaml:6:7: sdr.headcount: must be at least 0, got -2"),
    "rate written as 35": (VALID.replace("conversion: 50%", "conversion: 35"),
                           "t.yaml:10:17: ae.stages.discovery.conversion: 35 is not a rate"),
    "unsafe tag": (VALID.replace("name: Tiny", "name: !!python/object/apply:os.system [ls]"),
                   "t.yaml:1:14: meta.name: the YAML tag"),
    "syntax error": (VALID.replace("{headcount: 1}", "{headcount: 1"),
                     "t.yaml:12:1: YAML syntax error"),
    "empty file": ("", "t.yaml:1:1: the file is empty"),
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(cli.DEBUG_VARIABLE, raising=False)
    return tmp_path


# ----------------------------------------------------------------------------- validate


def test_validate_reference_prints_a_one_screen_summary(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["validate", str(REFERENCE)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("ok: Reference: mid-size B2B SaaS\n")
    assert len(out.splitlines()) <= 50
    for expected in ("36 months", "2027-01-01", "USD", "mon-fri 09:00-18:00", "18 holidays",
                     "smb", "mid_market", "enterprise", "60%", "150k",
                     "paid_search", "webinars", "content", "events", "partner_referrals",
                     "3,000", "headcount at start", "2027-04 +2", "2028-03 to 22",
                     "4 months", "linear over 5 months", "35% a year",
                     "23 meetings/month", "550k/year", "<= 30 open",
                     "60 accounts each", "win rate 17.5%"):
        assert expected in out, expected
    headcounts = next(line for line in out.splitlines() if "headcount at start" in line)
    assert headcounts.split()[-3:] == ["10", "14", "17"]
    assert result.stderr == ""


def _row(output: str, label: str, next_label: str) -> str:
    """The row ``label`` of the summary, its wrapped lines joined."""
    text = " ".join(output.split())
    start = text.index(f"{label} ")
    return text[start:text.index(f" {next_label} ", start)]


def test_validate_describes_the_ae_time_model(runner: CliRunner) -> None:
    # the reference's AE week by hand: 60% of 45 working hours sell; a deal takes the
    # first meeting and per-deal hours, and each stage's hours if it gets there
    stage_hours, fixed = (5, 14, 10), 1.5 + 2
    conversions = {"smb": (0.55, 0.5), "mid_market": (0.5, 0.5), "enterprise": (0.4, 0.4)}
    shares = {"smb": 0.6, "mid_market": 0.3, "enterprise": 0.1}
    per_deal = sum(share * (fixed + stage_hours[0] + conversions[s][0] * stage_hours[1]
                            + conversions[s][0] * conversions[s][1] * stage_hours[2])
                   for s, share in shares.items())
    deals = 0.6 * 45 * (365.25 / 12 / 7) / per_deal
    assert (round(per_deal, 1), round(deals, 1)) == (18.3, 6.4)
    result = runner.invoke(cli.app, ["validate", str(REFERENCE)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    time_line = _row(result.stdout, "ae time", "recycle")
    for expected in ("27 selling h a week (60% of 45 h)", f"a deal takes {per_deal:.1f} h on "
                     "average", "5/14/10 h by stage reached",
                     f"~{deals:.1f} new deals a month per ramped AE"):
        assert expected in time_line, expected
    assert "prospect" not in time_line  # off in the reference
    capacity = next(line for line in result.stdout.splitlines() if line.startswith("capacity"))
    assert f"~{deals:.1f} deals/month each; <= 30 open" in capacity
    assert "open deals each" not in capacity
    busier = runner.invoke(cli.app, [
        "validate", str(REFERENCE), "--set", "ae.time.max_utilisation=90%",
        "--set", "ae.time.prospecting={opportunities_per_hour: 0.03, share: 50%}"],
        env={"COLUMNS": "200"})
    assert busier.exit_code == 0, busier.output
    time_line = _row(busier.stdout, "ae time", "recycle")
    assert f"~{0.9 * deals:.1f} new deals a month per ramped AE at 90% use" in time_line
    assert "prospects with 50% of spare hours, 0.03 opportunities an hour" in time_line


def test_validate_without_the_time_model_counts_open_deals(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["validate", str(REFERENCE), "--set", "ae.time=null"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "ae time" not in result.stdout
    capacity = next(line for line in result.stdout.splitlines() if line.startswith("capacity"))
    assert "30 open deals each" in capacity


def test_validate_shows_each_team_pay_plan(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["validate", str(REPO / "scenarios" / "comp_plans.yaml")])
    assert result.exit_code == 0, result.output
    pay = [line.split()[0] for line in result.stdout.splitlines() if " pay " in line]
    assert pay == ["sdr", "ae", "cs"]
    text = " ".join(result.stdout.split())  # the table may wrap long rows
    assert "OTE $80k, 65% base, paid per quarter on meetings_held 60%, valid_meeting_rate " \
           "30%, sourced_revenue 10%" in text


def test_validate_shows_how_reps_respond_to_their_plan(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["validate", str(REPO / "scenarios" / "comp-sdr-631.yaml")],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "response to pay" in result.output
    assert "strictness 40%: meetings x1.12, valid x0.92" in result.output
    plain = runner.invoke(cli.app, ["validate", str(REPO / "scenarios" / "comp_plans.yaml")])
    assert "response to pay" not in plain.output


def test_validate_unicode_scenario(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["validate", str(JAPANESE)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 日本語の例：中堅SaaS企業\n")
    for name in ("中小企業", "大企業", "リスティング広告", "パートナー紹介"):
        assert name in result.stdout


def test_validate_with_overrides(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["validate", str(REFERENCE), "--set", "ae.headcount=24",
                                     "-s", "channels.webinars.leads_per_month=400"])
    assert result.exit_code == 0, result.output
    headcounts = next(line for line in result.stdout.splitlines()
                      if "headcount at start" in line)
    assert headcounts.split()[-3:] == ["10", "24", "17"]
    assert "2,800" in result.stdout  # 3,000 with webinars down from 600 to 400


@pytest.mark.parametrize(("text", "first_line"), INVALID.values(), ids=list(INVALID))
def test_invalid_scenario_exits_2_with_located_problems(runner: CliRunner, in_tmp: Path,
                                                        text: str, first_line: str) -> None:
    (in_tmp / "t.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(cli.app, ["validate", "t.yaml"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(first_line), lines
    assert lines[-1] == "1 problem found"
    assert "Traceback" not in result.output
    with pytest.raises(ScenarioError) as caught:
        load_scenario("t.yaml")
    assert lines[:-1] == [str(issue) for issue in caught.value.issues]


def test_every_problem_is_printed_one_per_line(runner: CliRunner, in_tmp: Path) -> None:
    text = (VALID.replace("sdr: {headcount: 2}", "sdr: {headcount: -2}")
            .replace("conversion: 50%", "conversion: 140%")) + "bdr: {headcount: 1}\n"
    (in_tmp / "t.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(cli.app, ["validate", "t.yaml"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "t.yaml:6:7: sdr.headcount: must be at least 0, got -2",
        "t.yaml:10:17: ae.stages.discovery.conversion: 140% is outside 0%..100%",
        "t.yaml:12:1: bdr: 'bdr' (outbound (BDR) teams) is not supported yet "
        "(hint: remove the section for now)",
        "3 problems found",
    ]


def test_bad_set_value_names_set(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["validate", str(REFERENCE), "--set", "ae.headcount=abc"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "--set ae.headcount=abc: ae.headcount: expected a whole number, got 'abc'")


def test_missing_file(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, ["validate", "nowhere.yaml"])
    assert result.exit_code == 2
    assert result.stderr.startswith("nowhere.yaml: file not found: nowhere.yaml")
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------- schema


def test_schema_prints_the_committed_schema(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == (REPO / "salesim.schema.json").read_text(encoding="utf-8")
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "salesim scenario"


def test_schema_out_writes_the_file(runner: CliRunner, in_tmp: Path) -> None:
    target = in_tmp / "editor" / "salesim.schema.json"
    result = runner.invoke(cli.app, ["schema", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == scenario_json_schema_text()
    assert [p.name for p in target.parent.iterdir()] == ["salesim.schema.json"]
    assert result.stdout == ""
    assert "wrote" in result.stderr


# ----------------------------------------------------------------------------- other errors


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("disk on fire\nmore detail")


def test_unexpected_error_is_one_line_without_traceback(runner: CliRunner, in_tmp: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setattr(cli, "load_scenario", _boom)
    result = runner.invoke(cli.app, ["validate", str(REFERENCE)])
    assert result.exit_code == 1
    assert result.stderr == ("error: RuntimeError: disk on fire "
                             "(set SALESIM_DEBUG=1 to see the traceback)\n")
    assert "Traceback" not in result.output


def test_debug_shows_the_exception(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "load_scenario", _boom)
    result = runner.invoke(cli.app, ["validate", str(REFERENCE)],
                           env={cli.DEBUG_VARIABLE: "1"})
    assert isinstance(result.exception, RuntimeError)


def test_main_catches_failures_outside_commands(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(cli.DEBUG_VARIABLE, raising=False)
    monkeypatch.setattr(cli, "app", _boom)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    assert capsys.readouterr().err == ("error: RuntimeError: disk on fire "
                                       "(set SALESIM_DEBUG=1 to see the traceback)\n")
    monkeypatch.setenv(cli.DEBUG_VARIABLE, "1")
    with pytest.raises(RuntimeError, match="disk on fire"):
        cli.main()


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"salesim {salesim.__version__}\n"


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    assert "validate" in result.stdout
    assert "schema" in result.stdout
    assert "report" in result.stdout


def test_entry_point_is_main() -> None:
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts["salesim"] == "salesim.cli:main"


# ----------------------------------------------------------------------------- installed command


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != cli.DEBUG_VARIABLE}
    return subprocess.run([str(SALESIM), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, check=False)


def test_installed_command_reports_problems_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(INVALID["negative headcount"][0], encoding="utf-8")
    done = _run("validate", "t.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == "t.yaml:6:7: sdr.headcount: must be at least 0, got -2"
    assert "Traceback" not in done.stdout + done.stderr


def test_installed_command_hides_tracebacks(tmp_path: Path) -> None:
    target = "/dev/null/salesim.schema.json"  # cannot be created: /dev/null is a file
    done = _run("schema", "--out", target, cwd=tmp_path)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stdout + done.stderr


ACCOUNTS = VALID.replace("ae:\n", "ae:\n").replace("cs: {headcount: 1}\n", """\
cs: {headcount: 1}
accounts:
  file: companies.csv
  size_bands: {smb: 1+}
territories:
  ae: {covers: [{}]}
routing:
  meetings: [{by: territory}, {to: ae}]
""")


@pytest.mark.parametrize(("rows", "expected"), [
    ("name,industry,employees,region\nAcme,retail,20,east\n",
     "companies.csv: missing column: revenue"),
    ("name,industry,employees,region,revenue\nAcme,retail,20,east,5M\n"
     "Beta,retail,lots,west,2000000\n",
     "companies.csv:3: employees"),
])
def test_bad_company_list_stops_validate_and_run_before_anything_runs(
        runner: CliRunner, in_tmp: Path, rows: str, expected: str) -> None:
    (in_tmp / "companies.csv").write_text(rows, encoding="utf-8")
    (in_tmp / "s.yaml").write_text(ACCOUNTS, encoding="utf-8")
    for command in (["validate", "s.yaml"], ["run", "s.yaml", "--reps", "2", "--workers", "1",
                                             "--out", "out"]):
        result = runner.invoke(cli.app, command)
        assert result.exit_code == 2, result.output
        assert expected in result.stderr, result.stderr
        assert "Traceback" not in result.output
    assert not (in_tmp / "out").exists()


def test_territory_on_a_team_of_the_wrong_kind_is_located(runner: CliRunner,
                                                         in_tmp: Path) -> None:
    (in_tmp / "companies.csv").write_text(
        "name,industry,employees,region,revenue\nAcme,retail,20,east,5000000\n",
        encoding="utf-8")
    (in_tmp / "s.yaml").write_text(ACCOUNTS.replace("  ae: {covers: [{}]}",
                                                    "  cs: {covers: [{}]}"), encoding="utf-8")
    result = runner.invoke(cli.app, ["validate", "s.yaml"])
    assert result.exit_code == 2
    assert "s.yaml:" in result.stderr
    assert "territories.cs" in result.stderr


# ----------------------------------------------------------------------------- run


def test_run_with_japanese_team_names_end_to_end(runner: CliRunner, in_tmp: Path) -> None:
    import pandas as pd

    scenario = load_scenario(REPO / "scenarios" / "japanese_teams.yaml")
    teams = scenario.organisation
    result = runner.invoke(cli.app, ["run", str(REPO / "scenarios" / "japanese_teams.yaml"),
                                     "--reps", "1", "--workers", "1", "--out", "o"])
    assert result.exit_code == 0, result.output
    # one line per team in the printed team table, with its kind
    for name, team in teams.items():
        line = next(line for line in result.stdout.splitlines() if line.startswith(name))
        assert line.split()[1] == team.kind
    text = (in_tmp / "o" / "summary.json").read_text(encoding="utf-8")
    metrics = json.loads(text)["metrics"]
    for name in teams:
        assert f'"headcount_end_{name}"' in text
        assert metrics[f"headcount_end_{name}"]["p50"] >= 0
    kpis = pd.read_parquet(in_tmp / "o" / "kpis.parquet")
    assert set(teams) <= set(kpis["team"])
    for name, team in teams.items():
        rows = kpis.loc[(kpis["team"] == name) & (kpis["rep_id"] < 0)]
        assert set(rows["role"]) == {team.kind}
    replications = pd.read_parquet(in_tmp / "o" / "replications.parquet")
    assert {f"headcount_end_{name}" for name in teams} <= set(replications.columns)
# ----------------------------------------------------------------------------- reports


def test_run_with_report_then_report_alone(runner: CliRunner, in_tmp: Path) -> None:
    (in_tmp / "t.yaml").write_text(VALID, encoding="utf-8")
    result = runner.invoke(cli.app, ["run", "t.yaml", "--reps", "3", "--workers", "1",
                                     "--out", "o", "--report", "--target", "bookings=$100k"])
    assert result.exit_code == 0, result.output
    assert f"report: {Path('o') / 'report.html'}" in result.stdout
    assert {"report.html", "report.xlsx", "scenario.yaml"} <= {p.name for p in
                                                               (in_tmp / "o").iterdir()}
    assert "target $100k (as given)" in (in_tmp / "o" / "report.html").read_text("utf-8")

    result = runner.invoke(cli.app, ["report", "o", "--html", "again.html"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "wrote again.html\n"
    assert not (in_tmp / "again.xlsx").exists()
    assert "<h2>Headline metrics</h2>" in (in_tmp / "again.html").read_text("utf-8")


def test_report_problems_are_one_line(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, ["report", "nowhere"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: FileNotFoundError: nowhere holds no salesim run")
    (in_tmp / "t.yaml").write_text(VALID, encoding="utf-8")
    assert runner.invoke(cli.app, ["run", "t.yaml", "--reps", "2", "--workers", "1",
                                   "--out", "o"]).exit_code == 0

    def said(result: Result) -> str:  # the usage error's words without its frame
        return " ".join(re.sub("[│╭╮╰╯─]", " ", result.stderr).split())

    result = runner.invoke(cli.app, ["report", "o", "--target", "lots"])
    assert result.exit_code == 2
    assert "'lots' is not an amount of money" in said(result)
    result = runner.invoke(cli.app, ["report", "o", "--target", "30億円"])
    assert result.exit_code == 2
    assert "in JPY but the scenario's currency is USD" in said(result)


def test_run_with_uncertain_assumptions_prints_and_writes_the_spread(
        runner: CliRunner, in_tmp: Path) -> None:
    import pandas as pd

    text = (REPO / "scenarios" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("horizon: 12 months", "horizon: 2 months")
    (in_tmp / "plan.yaml").write_text(
        text + "uncertain:\n  channels.inbound.leads_per_month: {range: [100, 300]}\n",
        encoding="utf-8")
    result = runner.invoke(cli.app, ["run", "plan.yaml", "--reps", "4", "--workers", "1",
                                     "--inner", "2", "--out", "o"])
    assert result.exit_code == 0, result.output
    assert "Spread from uncertain assumptions and from chance (nested estimate" in result.stdout
    assert any(line.startswith("leads ") and "%" in line
               for line in result.stdout.splitlines())
    summary = json.loads((in_tmp / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["assumptions"] == ["channels.inbound.leads_per_month"]
    assert summary["variance"]["leads"]["method"] == "nested"
    drawn = pd.read_parquet(in_tmp / "o" / "assumptions.parquet")
    values = drawn["channels.inbound.leads_per_month"].tolist()
    assert values[0] == values[1]
    assert values[2] == values[3]
    assert values[0] != values[2]
    assert all(100 <= value <= 300 for value in values)
    # a later run without uncertain values (replacing it: --force) leaves no stale
    # assumptions behind
    again = runner.invoke(cli.app, ["run", str(REPO / "scenarios" / "minimal.yaml"),
                                    "--reps", "1", "--workers", "1", "--out", "o", "--force"])
    assert again.exit_code == 0, again.output
    assert not (in_tmp / "o" / "assumptions.parquet").exists()
    assert "variance" not in json.loads((in_tmp / "o" / "summary.json").read_text())


# ----------------------------------------------------------------------------- experiments

MINIMAL = REPO / "scenarios" / "minimal.yaml"


def test_compare_states_the_variance_reduction(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, [
        "compare", str(MINIMAL), "--variant", "better=ae.stages.proposal.conversion=42%",
        "--reps", "20", "--workers", "1", "--out", "cmp"])
    assert result.exit_code == 0, result.output
    assert "better vs Minimal: 20 paired replications" in result.output
    match = re.search(r"bookings: paired on the same 20 replication seeds, the interval of "
                      r"the difference is ([\d.]+)x narrower than independent runs",
                      result.output)
    assert match is not None, result.output
    assert float(match.group(1)) >= 3
    table = pd.read_parquet(in_tmp / "cmp" / "comparison.parquet")
    assert set(table["plan"]) == {"better"}
    record = json.loads((in_tmp / "cmp" / "comparison.json").read_text())
    assert record["plans"]["better"]["overrides"] == ["ae.stages.proposal.conversion=42%"]


def test_compare_bad_variant_is_one_line(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, ["compare", str(MINIMAL), "--variant", "oops"])
    assert result.exit_code == 1
    assert "NAME=KEY=VALUE" in result.output
    assert "Traceback" not in result.output


def test_run_refuses_another_runs_folder(runner: CliRunner, in_tmp: Path) -> None:
    args = ["run", str(MINIMAL), "--reps", "2", "--workers", "1", "--out", "o"]
    assert runner.invoke(cli.app, [*args, "--seed", "1"]).exit_code == 0
    refused = runner.invoke(cli.app, [*args, "--seed", "2", "--target", "bookings=100k"])
    assert refused.exit_code == 1
    assert "holds a different run" in refused.output
    forced = runner.invoke(cli.app, [*args, "--seed", "2", "--force", "--target",
                                     "bookings=100k"])
    assert forced.exit_code == 0, forced.output
    assert "P(bookings >= 100k) = " in forced.output
    assert json.loads((in_tmp / "o" / "summary.json").read_text())["targets"][0]["n"] == 2


def test_sweep_grid_writes_a_tidy_table(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, [
        "sweep", str(MINIMAL), "--grid", "ae.stages.proposal.conversion=30%,50%",
        "--grid", "sdr.queue=fifo,score_priority", "--reps", "2", "--workers", "1",
        "--metric", "deals_won", "--out", "sw"])
    assert result.exit_code == 0, result.output
    assert "sweep: 4 points, 2 replications each" in result.output
    table = pd.read_parquet(in_tmp / "sw" / "sweep.parquet")
    assert table["point"].nunique() == 4
    assert {"ae.stages.proposal.conversion", "sdr.queue", "metric", "p50"} <= set(table.columns)
    record = json.loads((in_tmp / "sw" / "sweep.json").read_text())
    assert len(record["points"]) == 4
    assert record["grid"]["sdr.queue"] == ["fifo", "score_priority"]


@pytest.mark.parametrize(("args", "message"), [
    (["--lhs", "3"], "--range"),
    (["--range", "ae.headcount=1..3"], "--lhs"),
    ([], "--grid"),
    (["--grid", "ae.headcount=2", "--metric", "bookngs"], "bookngs"),
])
def test_sweep_bad_options_are_one_line(runner: CliRunner, in_tmp: Path, args: list[str],
                                        message: str) -> None:
    result = runner.invoke(cli.app, ["sweep", str(MINIMAL), "-n", "1", "-w", "1", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_sensitivity_prints_both_tables(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, [
        "sensitivity", str(MINIMAL), "--vary", "segments.smb.deal_size=6k..18k",
        "--samples", "2", "--reps", "1", "--workers", "1", "--out", "s"])
    assert result.exit_code == 0, result.output
    assert "bookings: one setting at a time" in result.output
    assert "bookings: share of its variance (Sobol" in result.output
    assert pd.read_parquet(in_tmp / "s" / "sobol.parquet")["key"].tolist() == [
        "segments.smb.deal_size"]
    assert (in_tmp / "s" / "tornado.parquet").exists()


def test_sensitivity_bad_range_is_one_line(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, ["sensitivity", str(MINIMAL), "--vary", "ae.headcount=9..1"])
    assert result.exit_code == 1
    assert "--vary ae.headcount=9..1: the low end must be below the high end" in result.output


def test_goal_prints_the_answer(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, [
        "goal", str(MINIMAL), "--metric", "headcount_end_ae", "--at-least", "5",
        "--probability", "50%", "--vary", "ae.headcount=1..9", "--first-reps", "5",
        "--max-reps", "5", "--workers", "1", "--out", "g"])
    assert result.exit_code == 0, result.output
    assert "smallest ae.headcount with P(headcount_end_ae >= 5) >= 50%: 5 at" in result.output
    assert json.loads((in_tmp / "g" / "goal.json").read_text())["value"] == "5"


def test_goal_needs_one_bound(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, ["goal", str(MINIMAL), "--metric", "bookings",
                                     "--vary", "ae.headcount=1..9"])
    assert result.exit_code == 1
    assert "--at-least or --at-most" in result.output


@pytest.mark.parametrize("value", ["150%", "lots", "0"])
def test_run_bad_precision(runner: CliRunner, in_tmp: Path, value: str) -> None:
    result = runner.invoke(cli.app, ["run", str(MINIMAL), "--precision", value])
    assert result.exit_code == 2
    assert "--precision" in result.output
    assert not (in_tmp / "out").exists()


def test_workers_only_size_a_local_dask_cluster(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli.app, ["run", str(MINIMAL), "--dask", "tcp://127.0.0.1:1",
                                     "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers only sizes a local cluster" in result.output


def test_dask_option_runs_on_a_dask_executor(runner: CliRunner, in_tmp: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The wiring only (a real cluster runs in tests/experiments/test_dask_executor.py)."""
    from salesim.experiments import dask_executor
    from salesim.experiments.executors import SerialExecutor

    made: list[tuple[str, int | None]] = []
    closed: list[bool] = []

    class FakeDask(SerialExecutor):
        def __init__(self, address: str, workers: int | None = None) -> None:
            made.append((address, workers))

        def __enter__(self) -> FakeDask:
            return self

        def __exit__(self, *exc: object) -> None:
            closed.append(True)

    monkeypatch.setattr(dask_executor, "DaskExecutor", FakeDask)
    result = runner.invoke(cli.app, ["run", str(MINIMAL), "-n", "2", "--dask", "local",
                                     "-w", "3", "-o", "b"])
    assert result.exit_code == 0, result.output
    assert (made, closed) == ([("local", 3)], [True])
    assert (in_tmp / "b" / "summary.json").exists()
