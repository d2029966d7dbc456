import os
from pathlib import Path

import pytest

from salesim.experiments.executors import (
    LocalExecutor,
    SerialExecutor,
    available_cores,
    resolve_executor,
)

from .helpers import fail_on_three, marked_sleep, square, waits_for_next


def test_serial_map_and_callback() -> None:
    seen: list[tuple[int, int]] = []
    assert SerialExecutor().map(square, range(5), on_done=lambda i, r: seen.append((i, r))) == [
        0, 1, 4, 9, 16]
    assert seen == [(0, 0), (1, 1), (2, 4), (3, 9), (4, 16)]


def test_local_results_in_task_order_despite_completion_order(tmp_path: Path) -> None:
    done: list[int] = []
    results = LocalExecutor(2, chunksize=1).map(
        waits_for_next, [(str(tmp_path), 0), (str(tmp_path), 1)],
        on_done=lambda i, r: done.append(i))
    # the second task finished first (task 0 waits for its mark), yet results are in
    # task order
    assert (tmp_path / "done-1").stat().st_mtime_ns <= (tmp_path / "done-0").stat().st_mtime_ns
    assert sorted(done) == [0, 1]
    assert [index for index, _ in results] == [0, 1]
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


def test_interrupt_cancels_pending_and_stops_running_tasks(tmp_path: Path) -> None:
    """A KeyboardInterrupt raised while results come in stops the pool at once: no
    pending task starts afterwards, running ones are cut short, no worker is left."""

    def interrupt(index: int, result: int) -> None:
        raise KeyboardInterrupt

    tasks = [(str(tmp_path), 0, 0.05)] + [(str(tmp_path), i, 120.0) for i in range(1, 21)]
    with pytest.raises(KeyboardInterrupt):
        LocalExecutor(2, chunksize=1).map(marked_sleep, tasks, on_done=interrupt)
    names = [p.name for p in tmp_path.iterdir()]
    assert "done-0" in names
    assert [n for n in names if n.startswith("done-")] == ["done-0"]  # nobody slept it out
    started = [n for n in names if n.startswith("start-")]
    assert len(started) <= 3  # the first task and at most one more per worker
    workers = {int(n.rsplit("-", 1)[1]) for n in started}
    assert os.getpid() not in workers
    assert not [pid for pid in workers if _alive(pid)]


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "zombie" not in status.read_text()
    except OSError:
        return False


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
