"""DaskExecutor on a real LocalCluster: same results as in-process, even when a worker
dies mid-run (its tasks run again elsewhere with the same seeds)."""

import os
import signal
from pathlib import Path

import pandas as pd
import pytest

import salesim
from salesim.experiments.dask_executor import DaskExecutor
from salesim.experiments.executors import SerialExecutor

from .helpers import square

MINIMAL = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.yaml"


@pytest.fixture(scope="module")
def executor() -> DaskExecutor:
    with DaskExecutor("local", workers=2) as dask:
        yield dask


def test_results_in_task_order(executor: DaskExecutor) -> None:
    done: list[int] = []
    assert executor.map(square, range(20), on_done=lambda i, r: done.append(i)) == [
        i * i for i in range(20)]
    assert sorted(done) == list(range(20))
    assert executor.workers == 2


def test_a_worker_killed_mid_run_changes_nothing(executor: DaskExecutor) -> None:
    scenario = salesim.load_scenario(MINIMAL)
    serial = salesim.run(scenario, reps=8, seed=3, executor=SerialExecutor(), progress=False)
    client = executor.client
    pids = client.run(os.getpid)
    victim = next(iter(pids.values()))
    killed: list[int] = []

    def kill_after_first(index: int, result: object) -> None:
        if not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    distributed = salesim.run(scenario, reps=8, seed=3, executor=_Watched(executor,
                              kill_after_first), progress=False)
    assert killed
    assert victim not in client.run(os.getpid).values()  # the worker really died
    pd.testing.assert_frame_equal(distributed.replications, serial.replications)
    pd.testing.assert_frame_equal(distributed.kpis, serial.kpis)


class _Watched:
    """The executor with an extra callback on every result."""

    def __init__(self, inner: DaskExecutor, hook: object) -> None:
        self.inner, self.hook = inner, hook

    @property
    def workers(self) -> int:
        return self.inner.workers

    def map(self, fn, tasks, on_done=None):  # type: ignore[no-untyped-def]
        def both(index: int, result: object) -> None:
            self.hook(index, result)  # type: ignore[operator]
            if on_done is not None:
                on_done(index, result)

        return self.inner.map(fn, tasks, on_done=both)
