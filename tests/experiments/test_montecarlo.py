"""run(): seeds, ordering, executors, options. The engine is replaced here by a fake
replication so that these tests check the Monte Carlo wiring alone; the real engine
runs in test_determinism.py (and here once, to see what a replication sends back)."""

import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import salesim
from salesim.experiments import montecarlo
from salesim.experiments.executors import SerialExecutor
from salesim.experiments.montecarlo import (
    PortableScenario,
    ReplicationResult,
    ReplicationTask,
    replication_task,
    run,
)
from salesim.experiments.seeds import replication_seeds
from salesim.records import Records, empty_table
from salesim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "scenarios" / "minimal.yaml"


def fake_replication(scenario: Scenario, seed: int, index: int = 0,
                     keep_records: bool = False,
                     records_dir: str | Path | None = None) -> ReplicationResult:
    rng = np.random.default_rng(seed)
    bookings = float(rng.gamma(4.0, 50_000.0))
    kpis = pd.DataFrame({
        "period_type": ["total"], "period": ["all"], "metric": ["bookings"], "channel": [""],
        "segment": [""], "role": [""], "rep_id": [-1], "value": [bookings], "unit": ["USD"],
    })
    records = Records(**{name: empty_table(name) for name in Records.table_names()}, seed=seed)
    if records_dir is not None:
        records.write_parquet(Path(records_dir))
    return ReplicationResult(index, seed, {"bookings": bookings, "leads": 10.0 * index}, kpis,
                             records if keep_records else None)


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(montecarlo, "run_replication", fake_replication)


@pytest.fixture(scope="module")
def minimal() -> Scenario:
    return salesim.load_scenario(MINIMAL)


@pytest.mark.usefixtures("fake_engine")
def test_run_uses_derived_seeds_in_order(minimal: Scenario) -> None:
    ensemble = run(minimal, reps=25, seed=3, workers=1, progress=False)
    assert ensemble.reps == 25
    assert ensemble.scenario_name == "Minimal"
    assert ensemble.seed == 3
    assert ensemble.version == salesim.__version__
    table = ensemble.replications
    assert table["replication"].tolist() == list(range(25))
    assert [int(s) for s in table["seed"]] == replication_seeds(3, 25)
    assert table["leads"].tolist() == [10.0 * i for i in range(25)]
    assert ensemble.kpis["n"].tolist() == [25]
    assert ensemble.records is None


@pytest.mark.usefixtures("fake_engine")
def test_run_accepts_a_path_and_an_executor(minimal: Scenario) -> None:
    by_path = run(MINIMAL, reps=5, seed=1, executor=SerialExecutor(), progress=False)
    by_object = run(minimal, reps=5, seed=1, workers=1, progress=False)
    pd.testing.assert_frame_equal(by_path.replications, by_object.replications)


@pytest.mark.usefixtures("fake_engine")
def test_more_replications_extend_fewer(minimal: Scenario) -> None:
    few = run(minimal, reps=5, seed=8, workers=1, progress=False).replications
    many = run(minimal, reps=12, seed=8, workers=1, progress=False).replications
    pd.testing.assert_frame_equal(many.iloc[:5], few)


@pytest.mark.usefixtures("fake_engine")
def test_keep_records(minimal: Scenario) -> None:
    ensemble = run(minimal, reps=3, seed=2, workers=1, progress=False, keep_records=True)
    assert ensemble.records is not None
    assert [r.seed for r in ensemble.records] == replication_seeds(2, 3)


@pytest.mark.usefixtures("fake_engine")
def test_records_dir(minimal: Scenario, tmp_path: Path) -> None:
    ensemble = run(minimal, reps=3, seed=2, workers=1, progress=False, records_dir=tmp_path / "r")
    assert ensemble.records is None
    assert ensemble.records_dir == (tmp_path / "r").resolve()
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "replication-0000", "replication-0001", "replication-0002"]
    ensemble.write(tmp_path / "out")
    assert len(list((tmp_path / "out" / "records" / "replication-0001").iterdir())) == len(
        Records.table_names())


@pytest.mark.usefixtures("fake_engine")
def test_progress_bar_forced_on(minimal: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    run(minimal, reps=3, seed=2, workers=1, progress=True)
    assert capsys.readouterr().out == ""  # the bar goes to stderr, never to stdout


@pytest.mark.parametrize("reps", [0, -3, 2.5, True])
def test_bad_reps(minimal: Scenario, reps: object) -> None:
    with pytest.raises(ValueError, match="reps"):
        run(minimal, reps=reps, workers=1)  # type: ignore[arg-type]


def test_workers_and_executor_exclusive(minimal: Scenario) -> None:
    with pytest.raises(ValueError, match="not both"):
        run(minimal, reps=2, workers=2, executor=SerialExecutor())


@pytest.mark.parametrize("name", ["minimal.yaml", "reference.yaml"])
def test_portable_scenario_round_trips(name: str) -> None:
    path = ROOT / "scenarios" / name
    scenario = salesim.load_scenario(path)
    task = ReplicationTask(PortableScenario(scenario), seed=5, index=1)
    travelled = pickle.loads(pickle.dumps(task))
    assert travelled.scenario.scenario == scenario
    assert travelled.seed == 5
    assert len(pickle.dumps(task)) < 50_000


def test_a_scenario_is_written_once_per_run_and_rebuilt_once_per_process(
        minimal: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks travel one at a time, each pickled on its own: the scenario's JSON is
    written once, and a worker rebuilding (validating) it from several tasks gets one
    and the same scenario object back."""
    dumps: list[int] = []
    dump = Scenario.model_dump_json

    def counted(self: Scenario, **kwargs: Any) -> str:
        dumps.append(1)
        return dump(self, **kwargs)

    monkeypatch.setattr(Scenario, "model_dump_json", counted)
    portable = PortableScenario(minimal)
    sent = [pickle.dumps(ReplicationTask(portable, seed, index))
            for index, seed in enumerate(replication_seeds(1, 5))]
    assert len(dumps) == 1
    montecarlo._rebuild_scenario.cache_clear()
    arrived = [pickle.loads(task) for task in sent]
    assert montecarlo._rebuild_scenario.cache_info().misses == 1
    assert all(task.scenario.scenario is arrived[0].scenario.scenario for task in arrived)
    assert arrived[0].scenario.scenario == minimal
    assert [task.index for task in arrived] == list(range(5))


def test_replication_task_calls_run_replication(minimal: Scenario,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(montecarlo, "run_replication", fake_replication)
    result = replication_task(ReplicationTask(PortableScenario(minimal), 77, 4, True))
    assert (result.index, result.seed) == (4, 77)
    assert result.records is not None


def test_progress_lines_count_rate_and_time_left() -> None:
    now = [0.0]
    written: list[str] = []
    lines = montecarlo.ProgressLines(10, "Plan", completed=2, interval=5.0,
                                     clock=lambda: now[0], write=written.append)
    for step in range(8):
        now[0] = 2.0 * (step + 1)   # one replication every 2 s
        lines.advance()
    # a line at most every 5 s, and one for the last replication
    assert written == [
        "Plan: 5/10 replications (50%), 0.5/s, 10 s left",
        "Plan: 8/10 replications (80%), 0.5/s, 4 s left",
        "Plan: 10/10 replications (100%), 0.5/s, done",
    ]


@pytest.mark.usefixtures("fake_engine")
def test_progress_lines_go_to_stderr(minimal: Scenario,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    run(minimal, reps=3, seed=2, workers=1, progress="lines")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.fullmatch(r"Minimal: 3/3 replications \(100%\), [\d.]+/s, done\n",
                        captured.err)


@pytest.mark.usefixtures("fake_engine")
def test_run_many_equals_separate_runs(minimal: Scenario) -> None:
    other = salesim.load_scenario(MINIMAL, overrides={"meta.name": "Other"})
    together = montecarlo.run_many([minimal, other], reps=4, seed=6, workers=1,
                                   progress=False)
    for scenario, ensemble in zip([minimal, other], together, strict=True):
        alone = run(scenario, reps=4, seed=6, workers=1, progress=False)
        assert ensemble.scenario_name == alone.scenario_name
        pd.testing.assert_frame_equal(ensemble.replications, alone.replications)
        pd.testing.assert_frame_equal(ensemble.kpis, alone.kpis)


class MeasuringExecutor(SerialExecutor):
    """Runs in this process and notes the pickled size of every result as it arrives
    (what a worker process would send back)."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def map(self, fn: Any, tasks: Any, on_done: Any = None) -> list[Any]:
        def noted(index: int, result: Any) -> None:
            self.sizes.append(len(pickle.dumps(result)))
            if on_done is not None:
                on_done(index, result)

        return super().map(fn, tasks, on_done=noted)


def test_replications_send_back_reduced_results_and_write_their_records(
        minimal: Scenario, tmp_path: Path) -> None:
    """With the real engine: each result carries the headline metrics, KPI rows,
    attainment and funnel but no records (the replication wrote them itself), so what
    the parent holds does not grow with the records; the records read back from the
    files equal a fresh simulation of the same seed."""
    executor = MeasuringExecutor()
    ensemble = run(minimal, reps=3, seed=4, executor=executor, progress=False,
                   records_dir=tmp_path / "records")
    seeds = replication_seeds(4, 3)
    records = salesim.simulate(minimal, seed=seeds[2])
    records_size = len(pickle.dumps(records))
    assert len(executor.sizes) == 3
    assert max(executor.sizes) < records_size / 3
    assert ensemble.records is None
    assert ensemble.funnel is not None
    assert (ensemble.funnel["n"] == 3).all()
    written = ensemble.replication_records(2)
    for name, table in records.tables().items():
        pd.testing.assert_frame_equal(getattr(written, name), table, check_exact=True)
    assert written.seed == seeds[2]
    with pytest.raises(IndexError, match="out of range"):
        ensemble.replication_records(3)
