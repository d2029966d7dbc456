"""The ``start_state:`` section: its forms, its cross-checks, its files and their rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import salesim
from salesim import cli
from salesim.scenario.errors import ScenarioError
from salesim.scenario.start_state import ExistingCustomers, StartingReps, StartState

MINIMAL = Path(__file__).parents[2] / "scenarios" / "minimal.yaml"


def test_each_part_takes_exactly_one_form() -> None:
    with pytest.raises(ValidationError, match="exactly one of file, rows or count"):
        ExistingCustomers.model_validate({"count": 3, "file": "c.csv"})
    with pytest.raises(ValidationError, match="exactly one of file, rows or count"):
        ExistingCustomers.model_validate({})
    with pytest.raises(ValidationError, match="not with file or rows"):
        StartingReps.model_validate({"rows": [{"hired": "2026-01-01"}], "count": 2})
    state = StartState.model_validate({"customers": {"rows": [
        {"arr": "12k", "renewal": "2027-03-01"}]}})
    assert state.customers is not None
    assert state.customers.rows is not None
    assert state.customers.rows[0].arr == 12_000


def test_a_customer_row_needs_a_date_in_order() -> None:
    with pytest.raises(ValidationError, match="give start or renewal"):
        ExistingCustomers.model_validate({"rows": [{"arr": 100}]})
    with pytest.raises(ValidationError, match="renewal must come after start"):
        ExistingCustomers.model_validate({"rows": [
            {"arr": 100, "start": "2026-05-01", "renewal": "2026-04-01"}]})


def test_names_must_refer_to_teams_segments_and_stages() -> None:
    with pytest.raises(ScenarioError) as caught:
        salesim.load_scenario(MINIMAL, {
            "start_state.reps": {"aes": {"tenure": "3 months"}},
            "start_state.open_opportunities": {"rows": [{"stage": "demo", "age": "1 day"}]},
            "start_state.customers": {"team": "ae", "count": 3}})
    text = str(caught.value)
    assert "start_state.reps.aes: 'aes' is not a team" in text
    assert "'demo' is not a stage" in text
    assert "start_state.customers.team" in text


def test_files_are_relative_to_the_scenario_and_checked_by_row(tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "reps.csv").write_text("hired,name\n2026-01-10,Aiko\nsoon,Ben\n2027-06-01,Cy\n")
    (folder / "s.yaml").write_text(MINIMAL.read_text()
                                   + "start_state:\n  reps:\n    ae: {file: reps.csv}\n")
    runner = CliRunner()
    result = runner.invoke(cli.app, ["validate", str(folder / "s.yaml")])
    assert result.exit_code == 2
    assert "reps.csv:3: hired:" in result.stderr
    assert "Traceback" not in result.output
    (folder / "reps.csv").write_text("hired,name\n2026-01-10,Aiko\n2027-06-01,Cy\n")
    with pytest.raises(ScenarioError, match=r"reps.csv:3: start_state.reps.ae.rows.1.hired"):
        salesim.load_scenario(folder / "s.yaml")


def test_a_missing_file_is_a_located_problem(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(MINIMAL.read_text()
                                     + "start_state:\n  customers: {file: none.parquet}\n")
    with pytest.raises(ScenarioError, match=r"none\.parquet: the file does not exist"):
        salesim.load_scenario(tmp_path / "s.yaml")


def test_parquet_and_csv_files_give_the_same_start(tmp_path: Path) -> None:
    import pandas as pd

    from salesim.engine.random_streams import RandomStreams
    from salesim.model.start_state import build_start

    table = pd.DataFrame({"stage": ["discovery", "proposal"], "age": ["3 days", "1 week"],
                          "amount": [5000.0, 9000.0], "owner": ["1", "2"]})
    table.to_csv(tmp_path / "o.csv", index=False)
    table.to_parquet(tmp_path / "o.parquet")
    starts = []
    for name in ("o.csv", "o.parquet"):
        (tmp_path / "s.yaml").write_text(MINIMAL.read_text() + "start_state:\n  "
                                         f"open_opportunities: {{file: {name}}}\n")
        starts.append(build_start(salesim.load_scenario(tmp_path / "s.yaml"),
                                  RandomStreams(0)).pipeline["ae"])
    for a, b in zip(starts[0].__dict__.values(), starts[1].__dict__.values(), strict=True):
        assert list(a) == list(b)
    assert list(starts[0].age) == [3.0, 7.0]
    assert list(starts[0].owner) == [0, 1]
