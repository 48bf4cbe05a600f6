"""Mechanism 4, support: clinical supervision against GP capacity, plus peer support.

Evidence: E17 (networks spend 2.49 GP sessions a week supervising ARRS staff; the scheme funds none), E11
(61% of link workers had no clinical supervision), E16 (effective supervision goes with less burnout and
better retention: a direction; sizes here are assumptions or calibrated). The role's need (hours per
FTE-week) is in :mod:`pcnsim.roles` (assumption).

Per network: demand = sum over ARRS staff of FTE x need; capacity = GP sessions x hours per session;
coverage = min(1, capacity / demand) (:func:`coverage_of_demand`). Per person:

    supervision = min(1, coverage + protected hours / need)        (1 for roles that need none)
    peer        = (peer ties + peer bonus) / (peer ties + peer bonus + peer_tie_half)
    support     = supervision_weight supervision + (1 - supervision_weight) peer   (peer alone if no need)

Peer ties are the person's ties to colleagues of their own profession (their own slots: mechanism 2).
GP sessions used = supervision actually given / hours per session; they cost appointments (E17).
Each per-person formula is a compiled scalar function, composed by :mod:`pcnsim.mechanisms.wellbeing`.
"""

from __future__ import annotations

import numpy as np

from pcnsim._jit import njit


def coverage_of_demand(demand_hours: np.ndarray, capacity_hours: np.ndarray) -> np.ndarray:
    """Per-network coverage (0-1) from the supervision demanded and the GP hours available."""
    return np.where(demand_hours > 0, np.minimum(1.0, capacity_hours / np.maximum(demand_hours, 1e-12)), 1.0)


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
