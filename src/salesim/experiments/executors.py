"""Executors: run independent tasks, return their results in task order.

Every experiment (Monte Carlo now; compare, sweep and sensitivity later) is a
list of independent tasks, one function applied to each. An executor is
anything with the :class:`Executor` method ``map``:

``map(fn, tasks, on_done=None) -> list``
    Apply ``fn`` to every task and return the results **in task order**, however
    the work was spread and whatever order it finished in. ``on_done(index,
    result)`` is called in the calling thread once per task as results arrive
    (for progress bars), in completion order. The first task that raises stops
    the run: pending work is cancelled and the exception propagates.

Two executors ship here:

* :class:`SerialExecutor` runs the tasks one after the other in this process.
* :class:`LocalExecutor` runs them on a pool of worker processes on this
  machine (all cores by default).

Results never depend on the executor: a task carries everything it needs
(including its random seed), so the same tasks give the same results in any
executor with any number of workers.

Writing another executor
------------------------
For process-based executors ``fn`` must be a module-level function and every
task and result must pickle. A cluster executor (a ``DaskExecutor(client)``
over ``distributed``, planned) implements the same ``map``: submit the tasks in
chunks with ``client.map``, collect them with ``distributed.as_completed``,
place each result at its task index, call ``on_done`` and, on an exception or
``KeyboardInterrupt``, cancel the outstanding futures before re-raising. Nothing
else in salesim needs to change.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures import process as process_module
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs ``fn`` over ``tasks`` and returns the results in task order."""

    @property
    def workers(self) -> int:
        """How many tasks can run at the same time (for display and sizing)."""
        ...

    def map(self, fn: Callable[[T], R], tasks: Sequence[T],
            on_done: Callable[[int, R], None] | None = None) -> list[R]:
        ...


def available_cores() -> int:
    """The number of CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class SerialExecutor:
    """Run the tasks one after the other in this process.

    >>> SerialExecutor().map(abs, [-2, 3, -1])
    [2, 3, 1]
    """

    @property
    def workers(self) -> int:
        return 1

    def map(self, fn: Callable[[T], R], tasks: Sequence[T],
            on_done: Callable[[int, R], None] | None = None) -> list[R]:
        results: list[R] = []
        for index, task in enumerate(tasks):
            result = fn(task)
            results.append(result)
            if on_done is not None:
                on_done(index, result)
        return results

    def __repr__(self) -> str:
        return "SerialExecutor()"


def _init_worker(parent: int) -> None:
    """Worker initialiser.

    * Ignore SIGINT: Ctrl-C in a terminal signals the whole process group, and
      only the parent acts on it (it stops the workers), so workers print no
      tracebacks.
    * Exit when the parent is gone: if the parent is killed outright (``kill
      -9``, out of memory) nobody would stop the workers, which would wait for
      work for ever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.name == "posix":
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True,
                         name="salesim-parent-watch").start()


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread while worker processes are started.

    A new process inherits the signal mask, so workers start with SIGINT blocked
    and a Ctrl-C while they are still importing cannot make them print
    tracebacks (the worker initialiser then ignores it for good). In the parent
    a Ctrl-C in this short window is not lost: it stays pending (or is taken by
    another thread) and raises KeyboardInterrupt as soon as the mask is restored.
    """
    if (not hasattr(signal, "pthread_sigmask")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _run_chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(task) for task in chunk]


class LocalExecutor:
    """Run the tasks on a pool of worker processes on this machine.

    ``workers``
        Number of worker processes; ``None`` means every available core.
    ``chunksize``
        Tasks sent to a worker at a time. ``None``: one at a time up to 256
        tasks per worker, then chunks of up to 16 tasks so that there are about
        256 per worker. Replications take tenths of a second or more, against a
        few milliseconds to send one, so single tasks cost nothing and give the
        best load balance and the smoothest progress bar; chunks only matter for
        very many very short tasks.
    ``start_method``
        How workers start (``"spawn"`` by default, the same on Linux, macOS and
        Windows, and safe with threads in the parent). Scripts that use this
        executor need the usual ``if __name__ == "__main__":`` guard.

    The pool lives for one ``map`` call. On ``KeyboardInterrupt`` (or any
    exception) pending chunks are cancelled, running workers are terminated and
    the exception propagates: nothing hangs and no worker outlives the call.
    """

    def __init__(self, workers: int | None = None, *, chunksize: int | None = None,
                 start_method: str = "spawn") -> None:
        if workers is not None and (isinstance(workers, bool) or workers < 1):
            raise ValueError(f"workers must be at least 1, not {workers!r}")
        if chunksize is not None and chunksize < 1:
            raise ValueError(f"chunksize must be at least 1, not {chunksize!r}")
        self._workers = available_cores() if workers is None else int(workers)
        self.chunksize = chunksize
        self.start_method = start_method

    @property
    def workers(self) -> int:
        return self._workers

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self._workers})"

    def _chunk_size(self, count: int) -> int:
        if self.chunksize is not None:
            return self.chunksize
        return max(1, min(16, math.ceil(count / (self._workers * 256))))

    def map(self, fn: Callable[[T], R], tasks: Sequence[T],
            on_done: Callable[[int, R], None] | None = None) -> list[R]:
        tasks = list(tasks)
        if not tasks:
            return []
        size = self._chunk_size(len(tasks))
        starts = range(0, len(tasks), size)
        results: list[Any] = [None] * len(tasks)
        pool = ProcessPoolExecutor(
            max_workers=min(self._workers, len(starts)),
            mp_context=multiprocessing.get_context(self.start_method),
            initializer=_init_worker,
            initargs=(os.getpid(),),
        )
        pending: dict[Future[list[R]], int] = {}
        try:
            with _sigint_blocked():  # workers start during submit and inherit the mask
                for start in starts:
                    pending[pool.submit(_run_chunk, fn, tasks[start:start + size])] = start
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=pending.__getitem__):
                    start = pending.pop(future)
                    for offset, result in enumerate(future.result()):
                        results[start + offset] = result
                        if on_done is not None:
                            on_done(start + offset, result)
        except BaseException:
            _abort(pool, pending)
            raise
        pool.shutdown(wait=True)
        return results


def _abort(pool: ProcessPoolExecutor, pending: dict[Future[Any], int]) -> None:
    """Stop a pool now: cancel what has not started, terminate what is running."""
    for future in pending:
        future.cancel()
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)  # shutdown() forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
            process.kill()
            process.join(timeout=5)
    # Let the pool's manager thread see its workers gone and close its wake-up pipe
    # before the interpreter exits: otherwise the exit hook of concurrent.futures may
    # write to that pipe as it closes and print a traceback (a race in CPython < 3.14).
    if manager is not None:
        manager.join(timeout=5)
        # this pool is done with: its wake-up must not be written to at exit
        process_module._threads_wakeups.pop(manager, None)


def resolve_executor(workers: int | None = None, executor: Executor | None = None) -> Executor:
    """The executor to use for ``workers`` / ``executor`` arguments.

    An explicit ``executor`` wins (then ``workers`` must be ``None``);
    ``workers=1`` runs in this process; otherwise a :class:`LocalExecutor` with
    ``workers`` processes (every core when ``None``; in this process when the
    machine has a single core).
    """
    if executor is not None:
        if workers is not None:
            raise ValueError("give either workers or executor, not both")
        return executor
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ValueError(f"workers must be at least 1, not {workers!r}")
    count = available_cores() if workers is None else workers
    return SerialExecutor() if count == 1 else LocalExecutor(count)
