"""Mechanism 4, support: clinical supervision against GP capacity, plus peer support.

Evidence: E17 (networks spend 2.49 GP sessions a week supervising ARRS staff; the scheme funds none), E11
(61% of link workers had no clinical supervision), E16 (effective supervision goes with less burnout and
better retention: a direction; sizes here are assumptions or calibrated). The role's need (hours per
FTE-week) is in :mod:`pcnsim.roles` (assumption).

Per team (network x role): demand = sum over its ARRS staff of FTE x need; per network: capacity = GP
sessions x hours per session. GPs share their time among roles by need (:func:`share_supervision`): each
role's coverage is proportional to its need per FTE to the power ``supervision_priority`` (0: every role
alike; E11 gives the direction, that link workers are the least supervised), up to full cover, and what a
fully covered role does not use goes to the others (water-filling), so that no GP time is left idle while a
need is unmet:

    coverage[r] = min(1, lambda x need[r] ** priority),   sum_r demand[r] coverage[r] = min(capacity, demand)

Per person:

    supervision = min(1, coverage of the role + protected hours / need)        (1 for roles that need none)
    peer        = (peer ties + peer bonus) / (peer ties + peer bonus + peer_tie_half)
    support     = supervision_weight supervision + (1 - supervision_weight) peer   (peer alone if no need)

Peer ties are the person's ties to colleagues of their own profession (their own slots: mechanism 2).
GP sessions used = supervision actually given / hours per session; they cost appointments (E17).
Each per-person formula is a compiled scalar function, composed by :mod:`pcnsim.mechanisms.wellbeing`.
"""

from __future__ import annotations

import numpy as np

from pcnsim._jit import njit


def share_supervision(demand_hours: np.ndarray, need_per_fte: np.ndarray, priority: np.ndarray | float,
                      capacity_hours: np.ndarray) -> np.ndarray:
    """Coverage (0-1) of each team's supervision need (networks x roles) from the GP hours available.

    ``demand_hours`` (networks x roles) is the supervision each team needs this week, ``need_per_fte`` (per
    role, or per network x role) the hours an FTE of the role needs, ``priority`` the exponent of the need in the shares (per
    network, or one value) and ``capacity_hours`` the GP hours of each network. With priority 0 every
    role gets ``min(1, capacity / demand)``. Teams with no demand get 1."""
    d = np.ascontiguousarray(demand_hours, np.float64)
    n = d.shape[0]
    pr = np.broadcast_to(np.asarray(priority, np.float64), (n,)).copy()
    need = np.ascontiguousarray(np.broadcast_to(np.asarray(need_per_fte, np.float64), d.shape))
    return _share(d, need, pr, np.asarray(capacity_hours, np.float64))


@njit
def _share(demand, need, priority, capacity):  # noqa: ANN001, ANN202
    n, k = demand.shape
    cov = np.ones((n, k))
    w = np.zeros(k)
    capped = np.zeros(k, dtype=np.bool_)
    for g in range(n):
        total = 0.0
        for r in range(k):
            total += demand[g, r]
        if total <= capacity[g]:
            continue  # every need met
        for r in range(k):
            w[r] = need[g, r] ** priority[g] if need[g, r] > 0.0 else 0.0
            capped[r] = False
        left = capacity[g]
        # water-filling: cap the role with the largest weight while its share would exceed full cover
        while True:
            dw = 0.0
            for r in range(k):
                if not capped[r]:
                    dw += demand[g, r] * w[r]
            lam = left / dw if dw > 0.0 else 0.0
            top, best = -1, 1.0
            for r in range(k):
                if not capped[r] and demand[g, r] > 0.0 and lam * w[r] > best:
                    top, best = r, lam * w[r]
            if top < 0:
                break
            capped[top] = True
            left -= demand[g, top]
        for r in range(k):
            if demand[g, r] > 0.0:
                cov[g, r] = 1.0 if capped[r] else min(lam * w[r], 1.0)
    return cov


@njit(inline="always")
def supervision(coverage: float, need_hours: float, protected_hours: float) -> float:
    """Clinical supervision received (0-1): the network's coverage plus protected hours over the need."""
    if need_hours <= 0.0:
        return 1.0
    return min(coverage + protected_hours / max(need_hours, 1e-9), 1.0)


@njit(inline="always")
def peer(peer_ties: float, tie_half: float) -> float:
    """Peer support (0-1) from same-profession tie strength (plus any peer-network bonus)."""
    return peer_ties / (peer_ties + tie_half) if peer_ties > 0.0 else 0.0


@njit(inline="always")
def combine(supervision_received: float, peer_support: float, needs: bool, weight: float) -> float:
    """Support: supervision and peer support mixed, for roles that need supervision; else peer support."""
    return weight * supervision_received + (1.0 - weight) * peer_support if needs else peer_support
