import os
import time

import pytest

from salesim.experiments.executors import (
    LocalExecutor,
    SerialExecutor,
    available_cores,
    resolve_executor,
)

from .helpers import fail_on_three, late_first, sleepy, square


def test_serial_map_and_callback() -> None:
    seen: list[tuple[int, int]] = []
    assert SerialExecutor().map(square, range(5), on_done=lambda i, r: seen.append((i, r))) == [
        0, 1, 4, 9, 16]
    assert seen == [(0, 0), (1, 1), (2, 4), (3, 9), (4, 16)]


def test_local_results_in_task_order_despite_completion_order() -> None:
    count = 8
    done: list[int] = []
    results = LocalExecutor(2, chunksize=1).map(
        late_first, [(i, count) for i in range(count)], on_done=lambda i, r: done.append(i))
    assert [index for index, _ in results] == list(range(count))
    assert sorted(done) == list(range(count))
    assert done != list(range(count))  # later tasks finished first, yet results are ordered
    assert {pid for _, pid in results} - {os.getpid()}  # ran in worker processes


@pytest.mark.parametrize("chunksize", [None, 3])
def test_local_matches_serial(chunksize: int | None) -> None:
    tasks = list(range(37))
    assert LocalExecutor(2, chunksize=chunksize).map(square, tasks) == SerialExecutor().map(
        square, tasks)


def test_empty_task_list() -> None:
    assert LocalExecutor(2).map(square, []) == []
    assert SerialExecutor().map(square, []) == []


def test_task_error_propagates() -> None:
    with pytest.raises(ValueError, match="task 3 failed"):
        LocalExecutor(2, chunksize=1).map(fail_on_three, range(6))
    with pytest.raises(ValueError, match="task 3 failed"):
        SerialExecutor().map(fail_on_three, range(6))


def test_interrupt_cancels_and_returns_quickly() -> None:
    """A KeyboardInterrupt raised while results come in stops the pool at once."""

    def interrupt(index: int, result: float) -> None:
        raise KeyboardInterrupt

    executor = LocalExecutor(2, chunksize=1)
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        executor.map(sleepy, [0.05] + [5.0] * 20, on_done=interrupt)
    # Without cancelling and terminating, this would take 50 s.
    assert time.perf_counter() - started < 10


def test_resolve_executor() -> None:
    assert isinstance(resolve_executor(1), SerialExecutor)
    local = resolve_executor(2)
    assert isinstance(local, LocalExecutor)
    assert local.workers == 2
    assert resolve_executor(None).workers == available_cores()
    custom = SerialExecutor()
    assert resolve_executor(executor=custom) is custom
    with pytest.raises(ValueError, match="not both"):
        resolve_executor(2, custom)
    with pytest.raises(ValueError, match="at least 1"):
        resolve_executor(0)
    with pytest.raises(ValueError, match="at least 1"):
        LocalExecutor(0)
