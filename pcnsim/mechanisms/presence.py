"""Mechanism 1, presence: who is on site where this week.

Evidence: E19 (sessions split across practices, ideally two with one as a base), E20 and E27 (remote
working and the pandemic). Each person's week is split between remote work and the practices their
sessions are spread over: with a base practice, ``base_share`` of on-site time is at the base and the rest
is shared equally by the other practices; without one, equally by all. The remote share is the role's
remote capability times the prevailing remote share (``pandemic_remote_share`` during the pandemic,
``remote_share`` otherwise), then any intervention floor or cap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import prange

from pcnsim import threads
from pcnsim._jit import blocked, njit, prefetch


def remote_share(
    role_remote_capable: np.ndarray, pandemic: bool, normal: float, pandemic_share: float,
    floor: np.ndarray | None = None, cap: np.ndarray | None = None,
) -> np.ndarray:
    """Share of the week worked remotely, per person (0-1)."""
    r = (pandemic_share if pandemic else normal) * role_remote_capable
    if floor is not None:
        r = np.fmax(r, np.minimum(floor, role_remote_capable))  # a floor cannot exceed what the role allows
    if cap is not None:
        r = np.fmin(r, cap)
    return np.clip(r, 0.0, 1.0).astype(np.float32)


def effective_split(split_n: np.ndarray, has_base: np.ndarray, n_prac_of: np.ndarray,
                    split_cap: np.ndarray | None, force_base: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Practices worked at and whether one is a base, after any intervention."""
    s = np.minimum(split_n.astype(np.int32), n_prac_of)
    if split_cap is not None:
        s = np.where(split_cap > 0, np.minimum(s, split_cap), s)
    b = has_base if force_base is None else (has_base | force_base)
    return np.maximum(s, 1), b


@dataclass
class Sites:
    """Where the active staff can be met: one record per (person, practice worked at), sorted by
    (practice, role), so that a practice's staff and a practice-profession group are contiguous runs.
    ``start[key]`` is the first record with that key or a later one (the offsets of the runs), so the run
    of a key is ``start[key]:start[key + 1]`` without a search."""

    staff: np.ndarray  # person id of each record
    key: np.ndarray  # practice * n_roles + role (sorted)
    share: np.ndarray  # share of the person's on-site time spent at that practice
    n_roles: int
    owner: np.ndarray  # position of the record's person in the ``ids`` the sites were built from
    start: np.ndarray  # run offsets by key, length n_practices * n_roles + 1
    same_lo: np.ndarray  # per record: first record of its practice-profession run, and the run's length
    same_n: np.ndarray
    all_lo: np.ndarray  # per record: first record of its practice, and the practice's number of records
    all_n: np.ndarray


def build_sites(ids: np.ndarray, role: np.ndarray, net: np.ndarray, net_first: np.ndarray, n_prac: np.ndarray,
                split_first: np.ndarray, split_n: np.ndarray, has_base: np.ndarray,
                base_share: float | np.ndarray, n_roles: int) -> Sites:
    """Membership records of the practices each active person works at (``net``, ``split_n`` etc. per ``ids``;
    ``net_first`` and ``n_prac`` per network).

    A person's records are their ``split_n`` practices from ``split_first`` on (wrapping round the network's
    practices), the first being the base if they have one. Records are ordered by (practice, role), stably
    (people in ``ids`` order within a run): a counting sort in one compiled pass (``_build_sites``).
    ``base_share`` is one value, or one per network.
    """
    net_first = np.asarray(net_first, dtype=np.int64)
    n_prac = np.asarray(n_prac, dtype=np.int64)
    n_keys = int((net_first + n_prac).max(initial=0)) * n_roles
    # (each block of the sort takes the keys of whole networks: every thread reads all the records and
    # places its own, so there are as many blocks as threads)
    with threads.blocks(len(role), min(threads.threads(), len(net_first))) as nb:
        owner, key, share, start, same_lo, same_n, all_lo, all_n = _build_sites(
            nb, np.asarray(role, dtype=np.int64), np.asarray(net, dtype=np.int64), net_first, n_prac,
            np.asarray(split_first, dtype=np.int64), np.asarray(split_n, dtype=np.int64),
            np.asarray(has_base, dtype=np.bool_), np.ascontiguousarray(np.atleast_1d(np.asarray(base_share, np.float64))),
            int(n_roles), n_keys, threads.start_bounds(np.append(net_first * n_roles, n_keys), nb))
    return Sites(staff=np.asarray(ids, dtype=np.int64)[owner], key=key, share=share, n_roles=n_roles, owner=owner,
                 start=start, same_lo=same_lo, same_n=same_n, all_lo=all_lo, all_n=all_n)


@blocked
def _build_sites(role, net, net_first, n_prac, split_first, split_n, has_base, base_share_of, n_roles, n_keys,  # noqa: ANN001, ANN202
                 key_bounds):
    # A stable counting sort of the records by key, in blocks: the records of people in even blocks; then
    # each block of keys (key_bounds: whole networks) counts and places its own records, reading all of
    # them in order, so each key's records keep the order of people (the same sort on any number of blocks).
    n = len(role)
    nb = len(key_bounds) - 1
    per_net = len(base_share_of) > 1
    rec_at = np.empty(n + 1, np.int64)  # each person's first record
    rec_at[0] = 0
    for i in range(n):
        rec_at[i + 1] = rec_at[i] + split_n[i]
    n_rec = rec_at[n]
    rec_key = np.empty(n_rec, np.int64)
    rec_share = np.empty(n_rec, np.float64)
    rec_owner = np.empty(n_rec, np.int64)
    for b in prange(nb):  # records in person order, practices from split_first on
        for i in range((b * n) // nb, ((b + 1) * n) // nb):
            s, g = split_n[i], net[i]
            base = has_base[i] and s > 1
            first, n_q = split_first[i] % n_prac[g], n_prac[g]
            r = rec_at[i]
            for k in range(s):
                q = first + k  # wraps round the network's practices (once at most when s <= n_q)
                while q >= n_q:
                    q -= n_q
                rec_key[r] = (net_first[g] + q) * n_roles + role[i]
                rec_owner[r] = i
                if base:
                    base_share = base_share_of[g if per_net else 0]
                    rec_share[r] = base_share if k == 0 else (1.0 - base_share) / (s - 1)
                else:
                    rec_share[r] = 1.0 / s
                r += 1
    start = np.zeros(n_keys + 1, np.int64)
    for b in prange(nb):  # counts of each key, by its block
        k_lo, k_hi = key_bounds[b], key_bounds[b + 1]
        for r in range(n_rec):
            key = rec_key[r]
            if k_lo <= key < k_hi:
                start[key + 1] += 1
    for q in range(n_keys):  # counts -> run offsets
        start[q + 1] += start[q]
    fill = start[:n_keys].copy()
    owner = np.empty(n_rec, np.int64)
    key_out = np.empty(n_rec, np.int64)
    share = np.empty(n_rec, np.float64)
    for b in prange(nb):  # stable placement (counting sort), each block its own keys
        k_lo, k_hi = key_bounds[b], key_bounds[b + 1]
        for r in range(n_rec):
            if r + 16 < n_rec:  # ask for the places the record 16 on will be written to (a hint only)
                key_next = rec_key[r + 16]
                if k_lo <= key_next < k_hi:
                    at_next = fill[key_next]
                    prefetch(owner, at_next)
                    prefetch(key_out, at_next)
                    prefetch(share, at_next)
            key = rec_key[r]
            if k_lo <= key < k_hi:
                at = fill[key]
                fill[key] += 1
                owner[at], key_out[at], share[at] = rec_owner[r], key, rec_share[r]
    same_lo = np.empty(n_rec, np.int64)
    same_n = np.empty(n_rec, np.int64)
    all_lo = np.empty(n_rec, np.int64)
    all_n = np.empty(n_rec, np.int64)
    for b in prange(nb):
        for at in range((b * n_rec) // nb, ((b + 1) * n_rec) // nb):
            key = key_out[at]
            first = key - key % n_roles
            same_lo[at], same_n[at] = start[key], start[key + 1] - start[key]
            all_lo[at], all_n[at] = start[first], start[first + n_roles] - start[first]
    return owner, key_out, share, start, same_lo, same_n, all_lo, all_n


@dataclass
class Groups:
    """Who can be met across a network (remote and mixing encounters): the active staff sorted by
    (network, role); the run of network ``g`` and role ``r`` is ``ids[start[g * n_roles + r]:start[g * n_roles + r + 1]]``
    and the whole network is ``ids[start[g * n_roles]:start[(g + 1) * n_roles]]``."""

    ids: np.ndarray  # person ids, sorted by (network, role), stably
    start: np.ndarray  # run offsets by network * n_roles + role, length n_networks * n_roles + 1
    n_roles: int


def network_groups(ids: np.ndarray, net: np.ndarray, role: np.ndarray, n_networks: int, n_roles: int) -> Groups:
    """The active staff ``ids`` (with their ``net`` and ``role``) grouped by network and profession."""
    order, start = counting_order(np.asarray(net, dtype=np.int64) * n_roles + np.asarray(role, dtype=np.int64),
                                  int(n_networks) * n_roles)
    return Groups(ids=np.asarray(ids, dtype=np.int64)[order], start=start, n_roles=n_roles)


def counting_order(key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable order of ``key`` (integers in ``0..n_keys - 1``) and the run offsets (length ``n_keys + 1``)."""
    return _counting_order(np.asarray(key, dtype=np.int64), int(n_keys))


@njit
def _counting_order(key, n_keys):  # noqa: ANN001, ANN202
    start = np.zeros(n_keys + 1, np.int64)
    for k in key:
        start[k + 1] += 1
    for q in range(n_keys):
        start[q + 1] += start[q]
    fill = start[:n_keys].copy()
    order = np.empty(len(key), np.int64)
    for i in range(len(key)):
        order[fill[key[i]]] = i
        fill[key[i]] += 1
    return order, start
