"""Threads for the compiled kernels of large models: networks in blocks, a block to a thread, bit for bit.

Every network's presence, encounters, ties and wellbeing depend on that network alone (its own random
streams, :mod:`pcnsim.streams`; every tie is within a network). So the kernels of the weekly step can cut
their work into **blocks of whole networks** and run the blocks on threads (Numba's ``prange``), each block
in the order the one-thread kernel would take it: every network sees the same draws and the same
arithmetic in the same order, and a run gives the same results, bit for bit, on any number of threads
(``tests/test_threads.py``).

Threads are used only where they pay:

* a kernel runs on threads only when it has at least :data:`PARALLEL_MIN` items (people, site records or
  encounters): a national week (about 100,000 staff) does, one network (about 60) or a calibration panel
  does not, and a launch on threads costs a few microseconds;
* the number of threads is :func:`threads`: the ``PCNSIM_THREADS`` environment variable if set, else every
  core Numba sees in the main process and **one** in any other (pool workers, Dask workers, forked
  children), since those already run one model per core;
* one model at a time launches threads (a lock): a kernel called while another thread of the process holds
  them runs on its own thread instead, with the same results. So Numba's threading layers that are not
  safe across Python threads (``workqueue``) or across ``fork`` (GNU OpenMP) are never used in those ways.

Threads only help on cores that are free: on a machine whose cores are busy with other work (a sweep, a
test suite) a national run on every core was a third slower than on one. Set ``PCNSIM_THREADS=1`` there.
``benchmarks/bench_threads.py`` prints what the threads save, kernel by kernel size and model by model.
"""

from __future__ import annotations

import multiprocessing
import os
import threading

import numba
import numpy as np

from pcnsim.errors import PCNSimInputError

__all__ = ["PARALLEL_MIN", "set_threads", "threads"]

#: Fewest items (people, site records or encounters) for which a kernel runs its blocks on threads.
#: Below it the launch costs about what it saves (measured: benchmarks/bench_threads.py).
PARALLEL_MIN = 20_000

#: Blocks per thread: more blocks than threads evens out networks of different sizes.
BLOCKS_PER_THREAD = 4

ENV = "PCNSIM_THREADS"

_count: int | None = None  # set by set_threads, or read from the environment at first use
_lock = threading.Lock()
_numba_threads = threading.local()  # the thread count last given to Numba, per calling thread


def _most() -> int:
    return int(numba.config.NUMBA_NUM_THREADS)


def _check(n: object, field: str) -> int:
    most = _most()
    try:
        value = int(str(n).strip()) if isinstance(n, str) else n
    except ValueError:
        value = None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 1 <= value <= most:
        raise PCNSimInputError(f"{field} = {n!r} is not allowed: expected a whole number from 1 to {most} "
                               "(the cores Numba can use)", field=field)
    return int(value)


def threads() -> int:
    """How many threads the kernels of a large model use (see the module's text)."""
    global _count
    if _count is None:
        env = os.environ.get(ENV)
        if env is not None and env.strip():
            _count = _check(env, ENV)
        else:
            _count = _most() if multiprocessing.parent_process() is None else 1
    return _count


def set_threads(n: int | None) -> None:
    """Use ``n`` threads (1 to the cores Numba sees) for the kernels of large models in this process;
    ``None`` goes back to the default (``PCNSIM_THREADS``, else every core in the main process, one
    elsewhere). Results do not depend on it."""
    global _count
    _count = None if n is None else _check(n, "threads")


def _after_fork() -> None:  # a forked child runs on one thread (and never launches the parent's threads)
    global _count, _lock, _numba_threads
    _count, _lock, _numba_threads = 1, threading.Lock(), threading.local()


if hasattr(os, "register_at_fork"):  # (POSIX; elsewhere there is no fork)
    os.register_at_fork(after_in_child=_after_fork)


class _Blocks:
    """The context :func:`blocks` returns: the number of blocks, and the threads' lock if held."""

    __slots__ = ("_held", "n")

    def __init__(self, n: int, held: bool) -> None:
        self.n, self._held = n, held

    def __enter__(self) -> int:
        return self.n

    def __exit__(self, *exc: object) -> None:
        if self._held:
            self._held = False
            _lock.release()


_ONE = _Blocks(1, False)  # the answer for small work (most calls): entered and left at no cost


def blocks(n_items: int, most: int) -> _Blocks:
    """``with blocks(n_items, most) as nb``: how many blocks (at most ``most``: the networks, or the blocks a
    caller already has) a kernel of ``n_items`` items should cut its work into; 1: run on this thread alone.
    The threads are the caller's until the ``with`` block ends."""
    if n_items < PARALLEL_MIN or most < 2:
        return _ONE
    n = _count if _count is not None else threads()
    if n < 2 or not _lock.acquire(blocking=False):
        return _ONE
    want = min(n, _most())
    if getattr(_numba_threads, "n", None) != want:  # (Numba's setting is per thread, and slow to set)
        numba.set_num_threads(want)
        _numba_threads.n = want
    return _Blocks(min(n * BLOCKS_PER_THREAD, most), True)


def even_bounds(n: int, n_blocks: int) -> np.ndarray:
    """Bounds of ``n_blocks`` blocks of ``0..n - 1`` of nearly equal size (length ``n_blocks + 1``, int64),
    for kernels whose items are independent of each other."""
    if n_blocks == 1:
        return np.array((0, n), dtype=np.int64)
    return (np.arange(n_blocks + 1, dtype=np.int64) * n) // n_blocks


def network_bounds(item_net: np.ndarray, n_blocks: int) -> np.ndarray:
    """Bounds of up to ``n_blocks`` blocks of items sorted by network (``item_net``, non-decreasing), of
    nearly equal size, each cut where a network starts, so that no network spans two blocks (length
    ``n_blocks + 1``, int64; blocks may be empty)."""
    n = len(item_net)
    if n_blocks < 2 or n == 0:
        return np.array([0, n], dtype=np.int64)
    at = (np.arange(1, n_blocks, dtype=np.int64) * n) // n_blocks
    cuts = np.searchsorted(item_net, item_net[at], side="left")
    return np.concatenate([[0], cuts, [n]]).astype(np.int64)


def start_bounds(start: np.ndarray, n_blocks: int) -> np.ndarray:
    """Like :func:`network_bounds`, for items grouped by network with run offsets ``start`` (network ``g``'s
    items are ``start[g]:start[g + 1]``)."""
    n = int(start[-1])
    if n_blocks < 2 or n == 0:
        return np.array([0, n], dtype=np.int64)
    at = (np.arange(1, n_blocks, dtype=np.int64) * n) // n_blocks
    cuts = start[np.searchsorted(start, at, side="right") - 1]
    return np.concatenate([[0], cuts, [n]]).astype(np.int64)
