"""Executors for sweeps: run independent tasks here, in a local process pool, or on a Ray cluster.

A sweep (``slqc check``'s settings, an experiments grid) is a list of independent tasks
``fn(*args)``. :func:`make_executor` returns an object whose :meth:`~LocalExecutor.map_unordered`
yields ``(index, result)`` as tasks finish, so the caller can stream each result to its journal
the moment it exists, and whose :meth:`~LocalExecutor.shutdown` cancels what has not started.

* ``local`` with ``jobs=1``: in this process, in order.
* ``local`` with ``jobs>1``: a ``spawn`` process pool, one torch thread per worker.
* ``ray``: one Ray task per item, with the resources declared per task (``num_cpus``,
  fractional ``num_gpus``), on the cluster at ``address`` (``ray start --head`` on one machine,
  ``ray start --address=HEAD:6379`` on the others) or, with no address, on a local instance
  bound to the loopback interface. Ray is an optional extra: ``pip install -e ".[ray]"``.

Example:
    >>> ex = make_executor("local", jobs=1)
    >>> sorted(ex.map_unordered(pow, [(2, 3), (3, 2)]))
    [(0, 8), (1, 9)]
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterator, Sequence

EXECUTORS = ("local", "ray")


def _init_worker(threads: int) -> None:
    """Worker setup: ``threads`` torch threads; Ctrl-C is the parent's to handle (it terminates the workers)."""
    import signal

    import torch

    from ._malloc import tune_malloc

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    tune_malloc()


class LocalExecutor:
    """Tasks in this process (``jobs=1``) or in a spawn process pool (``jobs>1``).

    Args:
        jobs: worker processes; 1 runs in this process.
        threads: torch threads per worker process.
        persistent: keep the workers between :meth:`map_unordered` calls (a caller that sends
            many small batches, such as an experiments script, then pays the workers' start
            once); :meth:`shutdown` stops them.
    """

    name = "local"

    def __init__(self, jobs: int = 1, threads: int = 1, persistent: bool = False) -> None:
        if int(jobs) < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs}")
        self.jobs, self.threads, self.persistent = int(jobs), int(threads), bool(persistent)
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future] = []

    def map_unordered(self, fn: Callable, args: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        """Yield ``(i, fn(*args[i]))`` as each task finishes."""
        if self.jobs == 1 or len(args) <= 1:
            for i, a in enumerate(args):
                yield i, fn(*a)
            return
        if self._pool is None:
            ctx = mp.get_context("spawn")  # never fork a process whose torch thread pools already run
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_init_worker,
                                             initargs=(self.threads,))
        index = {self._pool.submit(fn, *a): i for i, a in enumerate(args)}
        self._futures = list(index)
        pending = set(index)
        finished = False
        try:
            while pending:  # a timeout, so that Ctrl-C reaches the parent promptly
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield index[fut], fut.result()
            finished = True
            if not self.persistent:
                pool, self._pool = self._pool, None
                pool.shutdown(wait=True)  # all done: a clean stop, no worker is terminated
        finally:
            if not (finished and self.persistent):
                self.shutdown()

    def shutdown(self) -> None:
        """Cancel tasks not started and stop the workers at once (running tasks are terminated)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for fut in self._futures:
            fut.cancel()
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for p in procs:
            if p.is_alive():
                p.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            p.join(timeout=5)


class RayExecutor:
    """One Ray task per item, streamed back with ``ray.wait`` as tasks finish.

    Args:
        address: a running cluster's address (``HOST:PORT`` or ``auto``); None starts a local
            instance on 127.0.0.1 with ``num_cpus=jobs`` and stops it at :meth:`shutdown`.
        jobs: CPUs of the local instance (ignored with ``address``).
        num_cpus: CPUs each task reserves.
        num_gpus: GPUs each task reserves (fractions share one GPU between tasks).

    Raises:
        ValueError: Ray is not installed.
    """

    name = "ray"

    def __init__(self, address: str | None = None, jobs: int = 1, num_cpus: float = 1, num_gpus: float = 0) -> None:
        try:
            import ray
        except ImportError:
            raise ValueError('the ray executor needs Ray: pip install -e ".[ray]"') from None
        if int(jobs) < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs}")
        self.ray = ray
        self.address, self.jobs = address, int(jobs)
        self.num_cpus, self.num_gpus = float(num_cpus), float(num_gpus)
        self._started = False
        self._refs: list = []

    def _init(self) -> None:
        if self.ray.is_initialized():
            return
        if self.address:
            self.ray.init(address=self.address, log_to_driver=False)
        else:
            self.ray.init(num_cpus=self.jobs, include_dashboard=False, log_to_driver=False,
                          _node_ip_address="127.0.0.1")
            self._started = True

    def map_unordered(self, fn: Callable, args: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        """Yield ``(i, fn(*args[i]))`` as each Ray task finishes."""
        self._init()
        remote = self.ray.remote(num_cpus=self.num_cpus, num_gpus=self.num_gpus, max_retries=0)(_run_one_thread)
        index = {}
        for i, a in enumerate(args):
            index[remote.remote(fn, a)] = i
        self._refs = list(index)  # the tasks not yet returned; only these are ever cancelled
        try:
            while self._refs:  # a timeout, so that Ctrl-C reaches the driver promptly
                done, self._refs = self.ray.wait(self._refs, num_returns=1, timeout=0.5)
                for ref in done:
                    yield index[ref], self.ray.get(ref)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Cancel unfinished tasks; stop the local instance if this executor started it.

        Finished tasks are never cancelled: Ray 2.60 aborts the driver when a finished task is
        force-cancelled while its completion is still being processed.
        """
        for ref in self._refs:
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - a task that finished meanwhile cannot be cancelled
                pass
        self._refs = []
        if self._started:
            self.ray.shutdown()
            self._started = False


def _run_one_thread(fn: Callable, args: tuple) -> Any:
    import torch

    from ._malloc import tune_malloc

    torch.set_num_threads(1)
    tune_malloc()
    return fn(*args)


def make_executor(kind: str = "local", jobs: int = 1, address: str | None = None, num_gpus: float = 0):
    """The executor named ``kind`` (``local`` or ``ray``).

    Raises:
        ValueError: unknown kind, jobs < 1, Ray missing for ``ray``, or ``address`` given for ``local``.
    """
    if kind not in EXECUTORS:
        raise ValueError(f"unknown executor {kind!r}; choose one of: {', '.join(EXECUTORS)}")
    if kind == "local":
        if address:
            raise ValueError("--address goes with --executor ray")
        return LocalExecutor(jobs=jobs)
    return RayExecutor(address=address, jobs=jobs, num_gpus=num_gpus)
