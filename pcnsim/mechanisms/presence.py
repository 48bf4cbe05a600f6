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

from pcnsim._jit import njit, prefetch


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
    owner, key, share, start, same_lo, same_n, all_lo, all_n = _build_sites(
        np.asarray(role, dtype=np.int64), np.asarray(net, dtype=np.int64), net_first, n_prac,
        np.asarray(split_first, dtype=np.int64), np.asarray(split_n, dtype=np.int64),
        np.asarray(has_base, dtype=np.bool_), np.ascontiguousarray(np.atleast_1d(np.asarray(base_share, np.float64))),
        int(n_roles), n_keys)
    return Sites(staff=np.asarray(ids, dtype=np.int64)[owner], key=key, share=share, n_roles=n_roles, owner=owner,
                 start=start, same_lo=same_lo, same_n=same_n, all_lo=all_lo, all_n=all_n)


@njit
def _build_sites(role, net, net_first, n_prac, split_first, split_n, has_base, base_share_of, n_roles, n_keys):  # noqa: ANN001, ANN202
    n = len(role)
    per_net = len(base_share_of) > 1
    n_rec = 0
    for i in range(n):
        n_rec += split_n[i]
    rec_key = np.empty(n_rec, np.int64)
    rec_share = np.empty(n_rec, np.float64)
    start = np.zeros(n_keys + 1, np.int64)
    r = 0
    for i in range(n):  # records in person order, practices from split_first on
        s, g = split_n[i], net[i]
        base = has_base[i] and s > 1
        first, n_q = split_first[i] % n_prac[g], n_prac[g]
        for k in range(s):
            q = first + k  # wraps round the network's practices (once at most when s <= n_q)
            while q >= n_q:
                q -= n_q
            key = (net_first[g] + q) * n_roles + role[i]
            rec_key[r] = key
            if base:
                base_share = base_share_of[g if per_net else 0]
                rec_share[r] = base_share if k == 0 else (1.0 - base_share) / (s - 1)
            else:
                rec_share[r] = 1.0 / s
            start[key + 1] += 1
            r += 1
    for q in range(n_keys):  # counts -> run offsets
        start[q + 1] += start[q]
    fill = start[:n_keys].copy()
    owner = np.empty(n_rec, np.int64)
    key_out = np.empty(n_rec, np.int64)
    share = np.empty(n_rec, np.float64)
    r = 0
    for i in range(n):  # stable placement (counting sort)
        for _k in range(split_n[i]):
            if r + 16 < n_rec:  # ask for the places the record 16 on will be written to (a hint only)
                at_next = fill[rec_key[r + 16]]
                prefetch(owner, at_next)
                prefetch(key_out, at_next)
                prefetch(share, at_next)
            key = rec_key[r]
            at = fill[key]
            fill[key] += 1
            owner[at], key_out[at], share[at] = i, key, rec_share[r]
            r += 1
    same_lo = np.empty(n_rec, np.int64)
    same_n = np.empty(n_rec, np.int64)
    all_lo = np.empty(n_rec, np.int64)
    all_n = np.empty(n_rec, np.int64)
    for at in range(n_rec):
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
