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
    ``start[key]`` is the first record with that key or a later one (the CSR offsets of the runs), so a
    run is ``start[key]:start[key + 1]`` without a search."""

    staff: np.ndarray  # person id of each record
    key: np.ndarray  # practice * n_roles + role (sorted)
    share: np.ndarray  # share of the person's on-site time spent at that practice
    n_roles: int
    start: np.ndarray | None = None  # offsets, length n_keys + 1 (None: search ``key`` instead)


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
    key = practice.astype(np.int64) * n_roles + role[rec_owner]
    order = np.argsort(key, kind="stable")
    key = key[order]
    n_keys = (int((np.asarray(net_first) + np.asarray(n_prac)).max()) if len(n_prac) else 0) * n_roles
    start = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n_keys), out=start[1:])
    return Sites(staff=ids[rec_owner[order]], key=key, share=share[order].astype(np.float32), n_roles=n_roles,
                 start=start)


def pick_practice(rng: np.random.Generator, owner_split_first: np.ndarray, owner_split_n: np.ndarray,
                  owner_has_base: np.ndarray, owner_first: np.ndarray, owner_n_prac: np.ndarray,
                  base_share: float) -> np.ndarray:
    """For each encounter, the practice where it happens, drawn from the owner's split."""
    u = rng.random(len(owner_split_n))
    s = owner_split_n.astype(np.int64)
    k = np.minimum((u * s).astype(np.int64), s - 1)  # equal shares
    b = np.flatnonzero(owner_has_base & (s > 1))  # with a base: base_share at the base, the rest shared
    if len(b):
        ub, sb = u[b], s[b]
        at_base = ub < base_share
        u2 = np.where(at_base, 0.0, (ub - base_share) / max(1e-12, 1 - base_share))
        k[b] = np.where(at_base, 0, 1 + np.minimum((u2 * (sb - 1)).astype(np.int64), sb - 2))
    return owner_first + (owner_split_first + k) % owner_n_prac
