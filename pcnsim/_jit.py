"""Compiled kernels: Numba's ``njit`` with an on-disk cache, and a fallback when no cache can be written.

The hot loops of the weekly step (the encounter-and-tie kernel, the site records, tie decay and the tie
sums) are compiled with Numba, as Covasim and Starsim compile theirs. ``cache=True`` stores the machine code
next to the source (``__pycache__``), or under ``NUMBA_CACHE_DIR`` or the user's cache directory when the
source folder is read-only, so only the first process compiles (a few seconds); later ones load it.

When no cache directory is writable at all (a read-only install with no writable home), Numba refuses to
decorate a cached function; :func:`njit` then warns once and compiles in memory in each process instead
(same results, slower start).

Random numbers come from the model's counter-based streams (:mod:`pcnsim.streams`): a uniform is a pure
function of the network's key, the stream and a counter, computed inside the kernels as they go or filled
in bulk (about 2 ns a uniform, against 2.6 ns for NumPy's own fill loop from a Generator), so runs stay
seeded and identical across processes and each network's draws depend on that network alone.
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
