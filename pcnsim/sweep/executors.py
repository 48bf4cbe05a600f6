"""Where a sweep's batches run: a local process pool, or an existing Dask distributed cluster.

Both offer ``map_unordered(fn, payload, batches)`` (results as batches finish), ``workers``, ``kind`` and
``close()``. A Dask client trusts its scheduler: tasks and results travel by pickle, so whoever controls the
scheduler can run code on every worker and on this process (see docs/sweeps.md, "Keeping a cluster private").
"""

from __future__ import annotations

import itertools
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pcnsim.errors import PCNSimInputError
from pcnsim.schema import excerpt


def _pool_init(parent: int) -> None:
    """Pool process set-up: quiet warnings; exit if the sweep process dies (e.g. SIGKILL)."""
    import signal
    import threading
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the sweep process, which cancels the pool

    ppid = os.getppid()  # the sweep process (fork) or its forkserver, which exits with it

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != ppid:
                os._exit(1)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - pid reused by someone else's process
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="pcnsim-parent-watch").start()


class LocalExecutor:
    """A pool of ``workers`` local processes (forkserver on POSIX, with pcnsim preloaded)."""

    def __init__(self, workers: int) -> None:
        self.workers = int(workers)
        self.kind = f"local pool ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def map_unordered(self, fn: Callable[..., Any], payload: Any, batches: Sequence[Any]) -> Iterator[Any]:
        """``fn(payload, batch)`` for every batch in the pool, yielded as each finishes (at most two batches
        per worker in flight, so memory does not grow with the sweep)."""
        import multiprocessing as mp
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            ctx.set_forkserver_preload(["pcnsim.sweep.runs", "pcnsim.model", "pcnsim.scenario"])
        ex = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=_pool_init,
                                 initargs=(os.getpid(),))
        try:
            # keep a bounded number of batches in flight, so that memory does not grow with the sweep
            todo = iter(batches)
            running = set()
            for b in itertools.islice(todo, 2 * self.workers):
                running.add(ex.submit(fn, payload, b))
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    res = fut.result()
                    nxt = next(todo, None)
                    if nxt is not None:
                        running.add(ex.submit(fn, payload, nxt))
                    yield res
        except BaseException:
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        ex.shutdown(wait=True)

    def close(self) -> None:
        """Nothing to release: each :meth:`map_unordered` call shuts its own pool down."""
        pass


_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/:]+(:\d{1,5})?$|^(tcp|tls)://\[[0-9a-fA-F:]+\](:\d{1,5})?$")


class DaskExecutor:
    """An existing Dask distributed cluster, reached through its scheduler address.

    Workers need pcnsim installed (the same version: every row records the version that computed it). A
    worker lost mid-sweep is handled by Dask: its batches are run again elsewhere.
    """

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        if not isinstance(address, str) or not _ADDRESS.match(address.strip()):
            raise PCNSimInputError(f"--scheduler {excerpt(address)} is not a scheduler address: expected tcp://HOST:PORT "
                                   "(e.g. tcp://127.0.0.1:8786)", field="--scheduler")
        import logging

        from distributed import Client

        for name in ("distributed", "distributed.client", "distributed.core", "distributed.comm"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client = Client(address.strip(), timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise PCNSimInputError(f"--scheduler {address}: cannot reach a Dask scheduler there within {timeout:g} s "
                                   f"({type(e).__name__}); start one with `dask scheduler` and workers with "
                                   f"`dask worker {address}`", field="--scheduler") from None
        self.address = address
        n = len(self.client.scheduler_info().get("workers", {}))
        self.workers = max(n, 1)
        self.kind = f"Dask cluster at {address} ({n} worker{'s' if n != 1 else ''} now)"

    def map_unordered(self, fn: Callable[..., Any], payload: Any, batches: Sequence[Any]) -> Iterator[Any]:
        """``fn(payload, batch)`` for every batch on the cluster, yielded as each finishes; tasks still
        pending are cancelled if the caller stops early."""
        from distributed import as_completed

        tag = uuid.uuid4().hex[:8]
        # the payload is a few kB: it travels with each task, so no worker holds anything another needs
        futs = [self.client.submit(fn, payload, b, key=f"pcnsim-batch-{tag}-{i}", pure=False)
                for i, b in enumerate(batches)]
        try:
            for fut in as_completed(futs, loop=self.client.loop):
                res = fut.result()
                fut.release()
                yield res
        finally:
            self.client.cancel(futs)

    def close(self) -> None:
        """Close the connection to the scheduler (the cluster keeps running)."""
        try:
            self.client.close(timeout=5)
        except Exception:  # noqa: BLE001 - closing a lost connection must not hide the real result
            pass


def make_executor(workers: int | None = None, scheduler: str | None = None) -> LocalExecutor | DaskExecutor:
    """The local pool (``workers``, default: CPUs) or a Dask cluster (``scheduler``)."""
    if scheduler is not None:
        if workers is not None:
            raise PCNSimInputError("--workers sets the size of the local pool; with --scheduler the cluster's own "
                                   "workers run the sweep: give one or the other", field="--workers")
        return DaskExecutor(scheduler)
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise PCNSimInputError(f"--workers = {workers!r} is not allowed: expected a whole number >= 1", field="--workers")
    return LocalExecutor(workers)
