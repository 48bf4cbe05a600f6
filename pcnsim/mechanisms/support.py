"""Mechanism 4, support: clinical supervision against GP capacity, plus peer support.

Evidence: E17 (PCNs spend 2.49 GP sessions a week supervising ARRS staff; ARRS funds none), E11 (61% of
link workers had no clinical supervision), E16 (effective supervision lowers burnout and improves
retention). The role's need (hours per FTE-week) is in :mod:`pcnsim.roles` (assumption).

Per network: demand = sum of FTE x need of ARRS staff; capacity = GP sessions x hours per session;
coverage = min(1, capacity / demand). A person's supervision is coverage plus any protected hours
(intervention) over their need, capped at 1. Peer support = 1 - exp(-(same-profession ties + peer
network bonus) / peer_scale). Support mixes the two with ``supervision_weight`` for roles that need
supervision; for roles that do not (GPs, nurses), support is peer support.
GP sessions used = supervision actually given / hours per session; they cost appointments (E17).
"""

from __future__ import annotations

import numpy as np


def coverage(network: np.ndarray, need_hours: np.ndarray, n_networks: int, capacity_hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-network coverage (0-1) and demand (hours)."""
    demand = np.bincount(network, weights=need_hours, minlength=n_networks)
    return coverage_of_demand(demand, capacity_hours), demand


def coverage_of_demand(demand_hours: np.ndarray, capacity_hours: np.ndarray) -> np.ndarray:
    """Per-network coverage (0-1) from the supervision demanded and the GP hours available."""
    return np.where(demand_hours > 0, np.minimum(1.0, capacity_hours / np.maximum(demand_hours, 1e-12)), 1.0)


def person_supervision(cov_of: np.ndarray, need_hours: np.ndarray, protected_hours: np.ndarray | None) -> np.ndarray:
    s = cov_of.copy()
    if protected_hours is not None:
        s = s + np.where(need_hours > 0, protected_hours / np.maximum(need_hours, 1e-9), 0.0)
    return np.where(need_hours > 0, np.minimum(s, 1.0), 1.0)


def peer(same_role_ties: np.ndarray, bonus: np.ndarray | None, scale: float) -> np.ndarray:
    x = same_role_ties if bonus is None else same_role_ties + bonus
    return 1.0 - np.exp(-x / scale)


def combine(supervision: np.ndarray, peer_support: np.ndarray, needs: np.ndarray, weight: float) -> np.ndarray:
    return np.where(needs, weight * supervision + (1 - weight) * peer_support, peer_support)
