"""Staff state as a structure of arrays, with stable ids and room to grow.

Every per-person attribute is one NumPy array indexed by a stable staff id (the row). Leavers keep their
row (``active`` becomes False), so ids never move and histories (hire and leave weeks) stay available
for the run summary. Each array has one extra element at the end, a *sentinel* row that is never active:
empty tie slots hold partner id -1, so gathering ``attr[tie_j]`` reads the sentinel without a mask.

Ties are stored per person in ``K_TIES`` slots (``tie_j`` partner ids, ``tie_w`` strengths): a fixed-width
sparse adjacency (an ELL matrix), symmetric in practice because every encounter updates both ends. The
first ``K_SAME`` slots hold ties to colleagues of one's own profession (peers), the rest ties to other
professions: each kind has capacity of its own, so meeting more colleagues of other professions never
pushes out a peer tie, nor the reverse (roles never change, so a partner's slot kind is fixed).

The tie tables are the model's largest arrays (25 MB at national scale), read and written at rows all over
them by the tie updates: on Linux they are placed in memory that asks for transparent huge pages
(:func:`table`), so those visits need far fewer address translations (measured: a national week about
5% faster). Where that is not available they are ordinary arrays; the values are the same either way.
"""

from __future__ import annotations

import mmap

import numpy as np

K_TIES = 16  # tie slots per person (structural choice: speed and memory at national scale)
K_SAME = 8  # of which for ties to one's own profession (the rest: other professions)

HUGE_PAGE = 2 << 20  # bytes of a transparent huge page (x86-64 and most Linux systems)
HUGE_FROM = 4 << 20  # tables of this many bytes or more ask for huge pages


def table(shape: tuple[int, ...], dtype: type, fill: float | int) -> np.ndarray:
    """A C-contiguous array of ``shape`` filled with ``fill``, like ``np.full``; one of ``HUGE_FROM``
    bytes or more is placed, on Linux, in anonymous memory aligned to a huge page and marked for
    transparent huge pages (``madvise(MADV_HUGEPAGE)``; a hint the system may ignore)."""
    count = int(np.prod(shape))
    size = count * np.dtype(dtype).itemsize
    if size < HUGE_FROM or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.full(shape, fill, dtype=dtype)
    buf = mmap.mmap(-1, size + HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    raw = np.frombuffer(buf, dtype=np.uint8)
    skip = -raw.ctypes.data % HUGE_PAGE  # to the first huge-page boundary
    try:
        buf.madvise(mmap.MADV_HUGEPAGE, skip, size)
    except OSError:  # (refused: the array works all the same)
        pass
    out = raw[skip:skip + size].view(dtype).reshape(shape)
    out.fill(fill)
    return out


FIELDS: dict[str, tuple[type, float | int | bool]] = {
    # identity and job
    "active": (np.bool_, False),
    "network": (np.int32, 0),
    # order of arrival within the network (0, 1, ...): the network's own numbering of its people, the same
    # whatever other networks a model holds (deterministic rotas use it, not the row)
    "ordinal": (np.int32, 0),
    "practice": (np.int32, -1),  # base (core staff: their practice; ARRS: first practice of the split)
    "role": (np.int16, -1),
    "fte": (np.float32, 0.0),
    "split_first": (np.int32, 0),  # local index (within the network) of the first practice worked at
    "split_n": (np.int16, 1),  # number of practices the sessions are split across
    "has_base": (np.bool_, False),
    "hire_week": (np.int32, 0),
    "leave_week": (np.int32, -1),
    "notice_left": (np.int16, -1),  # weeks of notice still to work; -1: not resigned
    # evolving state
    "remote": (np.float32, 0.0),  # share of the week worked remotely (this week)
    "belonging": (np.float32, 0.0),
    "supervision": (np.float32, 0.0),
    "peer": (np.float32, 0.0),
    "support": (np.float32, 0.0),
    "load": (np.float32, 1.0),
    "burnout": (np.float32, 0.0),
    "discrepancy": (np.float32, 0.0),
    "contagion": (np.float32, 0.0),
    "intention": (np.float32, 0.0),  # probability of intending to leave within a year
    "intends": (np.bool_, False),
    "propensity": (np.float32, 0.0),  # personal propensity to leave (standard logistic; drawn at hire)
    "pay_gap": (np.float32, 0.0),
    "affiliation": (np.float32, 0.0),  # personal part of belonging (normal, drawn at hire; see belonging.py)
    "exit_kind": (np.int8, 0),  # why a person on notice or gone leaves: see EXIT_KINDS
}

#: Kinds of exit (``exit_kind``): 0 none yet; 1 resignation (driven by intention, the only kind a workplace
#: lever can change); 2 retirement, 3 relocation, 4 end of a fixed-term or training post (lever-free).
EXIT_KINDS: tuple[str, ...] = ("none", "resignation", "retirement", "relocation", "end_of_post")
RESIGNATION = 1


class StaffArrays:
    """Per-person arrays with amortised O(1) append and a sentinel last row."""

    def __init__(self, capacity: int = 256) -> None:
        self.n = 0  # rows used (active or not)
        self.capacity = max(16, int(capacity))
        for name, (dtype, fill) in FIELDS.items():
            setattr(self, name, np.full(self.capacity + 1, fill, dtype=dtype))
        self.tie_j = table((self.capacity + 1, K_TIES), np.int32, -1)
        self.tie_w = table((self.capacity + 1, K_TIES), np.float32, 0.0)
        self._per_network = np.zeros(0, dtype=np.int64)  # people added so far per network (ordinals)

    # ------------------------------------------------------------------------------------------
    def _grow(self, need: int) -> None:
        new_cap = self.capacity
        while new_cap < need:
            new_cap *= 2
        for name, (dtype, fill) in FIELDS.items():
            old = getattr(self, name)
            arr = np.full(new_cap + 1, fill, dtype=dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        tj = table((new_cap + 1, K_TIES), np.int32, -1)
        tw = table((new_cap + 1, K_TIES), np.float32, 0.0)
        tj[: self.n] = self.tie_j[: self.n]
        tw[: self.n] = self.tie_w[: self.n]
        self.tie_j, self.tie_w = tj, tw
        self.capacity = new_cap

    def add(self, count: int, **values: np.ndarray | float | int | bool) -> np.ndarray:
        """Append ``count`` people; ``values`` set their fields. Returns their ids."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        ids = np.arange(self.n, self.n + count)
        values.pop("ordinal", None)  # assigned here, never given
        for name, (_dtype, fill) in FIELDS.items():
            if name != "ordinal":
                getattr(self, name)[ids] = values.pop(name, fill)
        if values:
            raise KeyError(f"unknown staff fields: {sorted(values)}")
        self.ordinal[ids] = self._ordinals(self.network[ids])
        self.active[ids] = True
        self.n += count
        return ids

    def _ordinals(self, net: np.ndarray) -> np.ndarray:
        """Next ordinals of new rows in networks ``net`` (in row order within each network)."""
        net = np.asarray(net, dtype=np.int64)
        top = int(net.max()) + 1
        if len(self._per_network) < top:
            self._per_network = np.concatenate([self._per_network, np.zeros(top - len(self._per_network), np.int64)])
        order = np.argsort(net, kind="stable")
        counts = np.bincount(net, minlength=top)
        starts = np.cumsum(counts) - counts
        within = np.empty(len(net), dtype=np.int64)
        within[order] = np.arange(len(net)) - np.repeat(starts, counts)
        out = self._per_network[net] + within
        self._per_network[:top] += counts
        return out

    def view(self, name: str) -> np.ndarray:
        """The used rows of a field (no sentinel)."""
        return getattr(self, name)[: self.n]

    def active_ids(self) -> np.ndarray:
        """Staff ids (rows) of everyone in post now, in increasing order."""
        return np.flatnonzero(self.active[: self.n])
