"""Compiled kernels: Numba's ``njit`` with an on-disk cache, and a fallback when no cache can be written.

The hot loops of the weekly step (the encounter-and-tie kernel, the site records, tie decay and the tie
sums) are compiled with Numba, as Covasim and Starsim compile theirs. ``cache=True`` stores the machine code
next to the source (``__pycache__``), or under ``NUMBA_CACHE_DIR`` or the user's cache directory when the
source folder is read-only, so only the first process compiles (a few seconds); later ones load it.

When no cache directory is writable at all (a read-only install with no writable home), Numba refuses to
decorate a cached function; :func:`njit` then warns once and compiles in memory in each process instead
(same results, slower start).

Random numbers come from the model's ``numpy.random.Generator``: the Python wrappers of the kernels take
the Generator, draw uniforms from it in bulk (``rng.random(n)``) and hand them to the compiled loops, so runs
stay seeded and identical across processes. (Numba can also call a Generator inside a kernel, with the same
stream, but each call costs about 6.6 ns against 2.6 ns a draw for NumPy's own fill loop: measured here.)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numba

_WARNED = False


def njit(fn: Callable[..., Any] | None = None, **options: Any) -> Any:
    """``numba.njit(cache=True, **options)``, or without a cache (and a warning) if none can be written.
    Use as ``@njit`` or ``@njit(fastmath={"reassoc"})``."""
    if fn is None:
        return lambda f: njit(f, **options)
    global _WARNED
    try:
        return numba.njit(cache=True, **options)(fn)
    except RuntimeError as err:  # "cannot cache function ...: no locator available": nowhere writable
        if not _WARNED:
            _WARNED = True
            warnings.warn(f"pcnsim: Numba cannot write a cache ({err}); kernels are compiled in memory in "
                          "every process (a few seconds at start). Set NUMBA_CACHE_DIR to a writable folder "
                          "to cache them.", RuntimeWarning, stacklevel=2)
        return numba.njit(cache=False, **options)(fn)
