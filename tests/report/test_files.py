"""write_reports: where the reports go, and targets as people write them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from salesim.report.files import parse_target, write_reports


def test_both_reports_go_into_the_run_folder_by_default(small_run: Path,
                                                        tmp_path: Path) -> None:
    run = Path(shutil.copytree(small_run, tmp_path / "run"))
    written = write_reports(run)
    assert written == [run / "report.html", run / "report.xlsx"]
    assert all(path.stat().st_size > 10_000 for path in written)
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary files


def test_only_the_report_asked_for(small_run: Path, tmp_path: Path) -> None:
    assert write_reports(small_run, xlsx=tmp_path / "plan.xlsx") == [tmp_path / "plan.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]
    assert not (small_run / "report.html").exists()


def test_targets() -> None:
    assert parse_target("$2.5M", "USD") == 2_500_000
    assert parse_target("3,500万円", "JPY") == 35_000_000
    with pytest.raises(ValueError, match=r"--target: .* is in JPY"):
        parse_target("1億円", "USD")
