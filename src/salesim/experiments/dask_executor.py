"""Run replications on a Dask distributed cluster (the optional ``dask`` extra).

>>> executor = DaskExecutor("local", workers=2)     # doctest: +SKIP
>>> with executor:                                  # doctest: +SKIP
...     ensemble = salesim.run(scenario, reps=1000, executor=executor)

``DaskExecutor("tcp://host:8786")`` connects to a running scheduler (its
workers need salesim installed, the same version); ``DaskExecutor("local")``
starts a LocalCluster of worker processes on this machine and stops it on
:meth:`close`. Tasks are submitted as pure functions of their arguments with
their seed inside, so a task lost with a worker that dies is run again by the
scheduler on another worker and gives the same result; ``retries`` also reruns
a task whose function raised, which a replication only does for a reason that
persists, so it is 0 by default.

What a replication costs on Dask beyond its own work (``benchmarks/executors.py``)
is kept small: all tasks go to the scheduler in one message (``client.map``),
finished results come back in batches (one gather for everything finished since
the last one, rather than a round trip per result), and a local cluster started
here sends every task to a worker at once (``worker-saturation: inf``: a worker
never idles waiting for the scheduler, which runs in this busy process, to hand it
the next one; work stealing still evens the load) and does not run the statistical
profiler (a thread sampling the worker's stack every 10 ms, for a dashboard this
executor does not start).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

LOCAL = "local"
LOCAL_CLUSTER_CONFIG: dict[str, object] = {
    "distributed.scheduler.worker-saturation": float("inf"),
    "distributed.worker.profile.enabled": False,
}
"""Dask settings of a local cluster started by :class:`DaskExecutor` (see the module)."""


def _require_distributed() -> Any:
    try:
        import distributed
    except ImportError:  # pragma: no cover - the dev extra installs it
        raise ImportError("Dask is not installed: pip install 'salesim[dask]'") from None
    return distributed


class DaskExecutor:
    """An :class:`~salesim.experiments.executors.Executor` over Dask distributed.

    ``address``
        ``"tcp://host:port"`` of a scheduler, ``"local"`` for a LocalCluster on
        this machine, or an existing ``distributed.Client``.
    ``workers``
        Worker processes of a local cluster (default: every core; one thread
        each, since a replication holds the interpreter lock).
    """

    def __init__(self, address: Any = LOCAL, workers: int | None = None,
                 retries: int = 0) -> None:
        if workers is not None and (isinstance(workers, bool) or workers < 1):
            raise ValueError(f"workers must be at least 1, not {workers!r}")
        self.address = address
        self._local_workers = workers
        self.retries = retries
        self._client: Any = None
        self._cluster: Any = None
        self._owns_client = False

    @property
    def client(self) -> Any:
        """The ``distributed.Client``, connected (and the cluster started) on first use."""
        if self._client is None:
            distributed = _require_distributed()
            if isinstance(self.address, distributed.Client):
                self._client = self.address
                return self._client
            if self.address == LOCAL:
                import dask

                from salesim.experiments.executors import available_cores

                count = self._local_workers or available_cores()
                with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies pass it on
                    self._cluster = distributed.LocalCluster(
                        n_workers=count, threads_per_worker=1, processes=True,
                        dashboard_address=None)
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(self.address)
            self._owns_client = True
        return self._client

    @property
    def workers(self) -> int:
        info = self.client.scheduler_info()
        return max(1, int(sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())))

    def map(self, fn: Callable[[T], R], tasks: Sequence[T],
            on_done: Callable[[int, R], None] | None = None) -> list[R]:
        """Run ``fn`` over ``tasks`` on the cluster; results in task order."""
        distributed = _require_distributed()
        tasks = list(tasks)
        if not tasks:
            return []
        client = self.client
        futures = client.map(fn, tasks, pure=False, retries=self.retries)
        position = {future.key: index for index, future in enumerate(futures)}
        results: list[Any] = [None] * len(tasks)
        try:
            for batch in distributed.as_completed(futures).batches():
                for future, result in zip(batch, client.gather(batch), strict=True):
                    index = position[future.key]
                    results[index] = result
                    future.release()
                    if on_done is not None:
                        on_done(index, result)
        except BaseException:
            client.cancel(futures)
            raise
        return results

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started it."""
        if self._client is not None and self._owns_client:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.address if isinstance(self.address, str) else "client"
        return f"DaskExecutor({where!r})"
