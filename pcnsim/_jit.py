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

Kernels that visit rows of a large table in an order known beforehand (the tie updates, whose encounters
are all drawn first) ask for rows a few steps ahead with :func:`prefetch`, a hint to the processor
that changes no value: the row is then in cache when its turn comes, instead of each visit waiting for
memory in turn.
"""

from __future__ import annotations

import types as pytypes
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

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


@dataclass(frozen=True)
class Blocked:
    """A kernel over blocks (see :func:`blocked`): ``serial`` runs its blocks one after another on the
    calling thread, ``parallel`` runs them on threads; the same source, so the same results."""

    serial: Any
    parallel: Any

    def __call__(self, n_blocks: int, *args: Any) -> Any:
        """Run on threads if ``n_blocks`` > 1 (the caller holds them: :func:`pcnsim.threads.blocks`)."""
        return (self.parallel if n_blocks > 1 else self.serial)(*args)


def blocked(fn: Callable[..., Any]) -> Blocked:
    """Compile ``fn``, a kernel whose loops over blocks are ``numba.prange`` loops, twice: as a plain kernel
    (``prange`` is then ``range``) and with ``parallel=True``. Used as ``@blocked``.

    The parallel one is compiled from a copy of the function under another name, so that the two have
    cache files of their own (Numba's cache is keyed by the function's name and bytecode, not its options)."""
    code = fn.__code__.replace(co_name=fn.__name__ + "_parallel", co_qualname=fn.__qualname__ + "_parallel")
    twin = pytypes.FunctionType(code, fn.__globals__, fn.__name__ + "_parallel", fn.__defaults__, fn.__closure__)
    twin.__qualname__ = fn.__qualname__ + "_parallel"
    twin.__module__ = fn.__module__
    return Blocked(serial=njit(fn), parallel=njit(twin, parallel=True))


@intrinsic
def prefetch(typingctx: Any, array: Any, index: Any) -> Any:  # noqa: ARG001
    """Inside a kernel: ask for element ``index`` of the C-contiguous 1-D ``array``, or the start of row
    ``index`` of a 2-D one, to be brought into cache for writing (LLVM's ``prefetch`` hint). It reads and
    changes nothing, so it cannot change a result; the caller keeps ``index`` in range (no bounds check)."""
    if not (isinstance(array, types.Array) and array.ndim in (1, 2) and isinstance(index, types.Integer)):
        return None
    sig = types.void(array, index)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        arr_ty, index_ty = signature.args
        arr = context.make_array(arr_ty)(context, builder, args[0])
        at = [context.cast(builder, args[1], index_ty, types.intp)] + [context.get_constant(types.intp, 0)] * (arr_ty.ndim - 1)
        ptr = cgutils.get_item_pointer2(context, builder, data=arr.data, shape=cgutils.unpack_tuple(builder, arr.shape),
                                        strides=cgutils.unpack_tuple(builder, arr.strides), layout=arr_ty.layout,
                                        inds=at, wraparound=False, boundscheck=False)
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(1), i32(3), i32(1)])  # write, keep in all caches, data
        return context.get_dummy_value()

    return sig, codegen
