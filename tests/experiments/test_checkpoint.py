"""Checkpoints: an interrupted run resumed from its finished replications equals an
uninterrupted run (real engine, small scenario)."""

import io
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

import salesim
from salesim.experiments import montecarlo
from salesim.experiments.checkpoint import CheckpointMismatchError, CheckpointStore
from salesim.experiments.command import PARTIAL, run_command

MINIMAL = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.yaml"
REAL_REPLICATION = montecarlo.run_replication


def _interrupt_at(index_to_stop: int):  # type: ignore[no-untyped-def]
    def replication(scenario, seed, index=0, keep_records=False, records_dir=None):  # type: ignore[no-untyped-def]
        if index == index_to_stop:
            raise KeyboardInterrupt
        return REAL_REPLICATION(scenario, seed, index, keep_records, records_dir)

    return replication


def _quiet() -> Console:
    return Console(file=io.StringIO(), width=120)


def test_resumed_run_equals_uninterrupted_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert run_command(MINIMAL, reps=6, seed=5, workers=1, out=whole, console=_quiet(),
                       progress=False, records=True) == 0

    monkeypatch.setattr(montecarlo, "run_replication", _interrupt_at(4))
    assert run_command(MINIMAL, reps=6, seed=5, workers=1, out=parts, console=_quiet(),
                       progress=False, records=True) == 130
    assert "4 finished replications kept" in capsys.readouterr().err
    assert not (parts / "summary.json").exists()
    assert len(list((parts / PARTIAL).glob("replication-*.pickle"))) == 4

    # without --resume the kept replications are not silently thrown away
    monkeypatch.setattr(montecarlo, "run_replication", REAL_REPLICATION)
    assert run_command(MINIMAL, reps=6, seed=5, workers=1, out=parts, console=_quiet(),
                       progress=False) == 1
    assert "--resume" in capsys.readouterr().err

    ran: list[int] = []

    def counting(scenario, seed, index=0, keep_records=False, records_dir=None):  # type: ignore[no-untyped-def]
        ran.append(index)
        return REAL_REPLICATION(scenario, seed, index, keep_records, records_dir)

    monkeypatch.setattr(montecarlo, "run_replication", counting)
    assert run_command(MINIMAL, reps=6, seed=5, workers=1, out=parts, console=_quiet(),
                       progress=False, records=True, resume=True) == 0
    assert ran == [4, 5]  # only the missing replications ran
    assert not (parts / PARTIAL).exists()
    for name in ("replications.parquet", "kpis.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(parts / name),
                                      pd.read_parquet(whole / name))
    assert sorted(p.name for p in (parts / "records").iterdir()) == sorted(
        p.name for p in (whole / "records").iterdir())


def test_checkpoint_of_another_run_is_refused(tmp_path: Path) -> None:
    scenario = salesim.load_scenario(MINIMAL)
    salesim.run(scenario, reps=2, seed=1, workers=1, progress=False, checkpoint=tmp_path)
    other = salesim.load_scenario(MINIMAL, overrides={"ae.headcount": 3})
    with pytest.raises(CheckpointMismatchError, match="another run"):
        salesim.run(other, reps=2, seed=1, workers=1, progress=False, checkpoint=tmp_path)
    with pytest.raises(CheckpointMismatchError):
        salesim.run(scenario, reps=2, seed=2, workers=1, progress=False, checkpoint=tmp_path)
    assert CheckpointStore(tmp_path, scenario, 1).count() == 2


def test_force_starts_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(montecarlo, "run_replication", _interrupt_at(1))
    assert run_command(MINIMAL, reps=3, seed=5, workers=1, out=tmp_path, console=_quiet(),
                       progress=False) == 130
    ran: list[int] = []

    def counting(scenario, seed, index=0, keep_records=False, records_dir=None):  # type: ignore[no-untyped-def]
        ran.append(index)
        return REAL_REPLICATION(scenario, seed, index, keep_records, records_dir)

    monkeypatch.setattr(montecarlo, "run_replication", counting)
    assert run_command(MINIMAL, reps=3, seed=5, workers=1, out=tmp_path, console=_quiet(),
                       progress=False, force=True) == 0
    assert ran == [0, 1, 2]
