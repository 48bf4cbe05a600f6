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
                base_share: float, n_roles: int) -> Sites:
    """Membership records of the practices each active person works at (``net``, ``split_n`` etc. per ``ids``;
    ``net_first`` and ``n_prac`` per network)."""
    reps = split_n.astype(np.int64)
    rec_owner = np.repeat(np.arange(len(ids)), reps)
    k = np.arange(len(rec_owner)) - np.repeat(np.cumsum(reps) - reps, reps)  # 0..split_n-1
    owner_net = net[rec_owner]
    practice = net_first[owner_net] + (split_first[rec_owner] + k) % n_prac[owner_net]
    s = reps[rec_owner]
    b = has_base[rec_owner] & (s > 1)
    share = np.where(b, np.where(k == 0, base_share, (1 - base_share) / np.maximum(s - 1, 1)), 1.0 / s)
    order = sort_order(practice, role[rec_owner])
    key = (practice.astype(np.int64) * n_roles + role[rec_owner])[order]
    n_keys = int((np.asarray(net_first) + np.asarray(n_prac)).max(initial=0)) * n_roles
    start = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n_keys), out=start[1:])
    all_key = key - key % n_roles
    same_lo, all_lo = start[key], start[all_key]
    return Sites(staff=ids[rec_owner[order]], key=key, share=share[order], n_roles=n_roles,
                 owner=rec_owner[order], start=start, same_lo=same_lo, same_n=start[key + 1] - same_lo,
                 all_lo=all_lo, all_n=start[all_key + n_roles] - all_lo)


def sort_order(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """Stable order by (``major``, ``minor``), both small non-negative integers.

    Two stable radix passes (minor, then major) on 16-bit copies when they fit: several times faster than
    sorting the combined int64 key, with the same result.
    """
    if len(major) and major.max() < 2**16 and minor.max() < 2**16:
        o = np.argsort(minor.astype(np.uint16), kind="stable")
        return o[np.argsort(major.astype(np.uint16)[o], kind="stable")]
    return np.lexsort((minor, major))
