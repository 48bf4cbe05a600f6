"""How interventions that touch the same lever in the same week combine (documented in docs/interventions.md).

* additive: protected hours, peer bonus, extra load, organisational development gains;
* mixing encounters: one batch per intervention, each with its own homophily and gain (never averaged);
* strictest wins: remote cap (lowest), remote floor (highest), practice split cap (lowest), discrepancy
  cut (largest), base practice (any);
* pay uplifts: the largest; the recruitment factor of vaccination-style work: the smallest;
* hours away from patients: additive.
"""

from __future__ import annotations

import numpy as np

from pcnsim.levers import Levers, Mixing


def add_mixing(lev: Levers, mask: np.ndarray, contacts: float, homophily: float, gain: float) -> None:
    """Add a batch of ``contacts`` expected network-wide mixing encounters this week for every row in
    ``mask``, with its own ``homophily`` and ``gain`` (batches are drawn one after another, never averaged)."""
    if not mask.any() or contacts <= 0:
        return
    c = np.zeros(lev.n_staff, dtype=np.float32)
    c[mask] = contacts
    lev.mixing.append(Mixing(c, float(homophily), float(gain)))


def add_staff(lev: Levers, name: str, mask: np.ndarray, value: float | np.ndarray) -> None:
    arr = lev.staff(name)
    arr[mask] += np.asarray(value, dtype=arr.dtype)[mask] if np.ndim(value) else np.float32(value)


def min_staff(lev: Levers, name: str, mask: np.ndarray, value: float) -> None:
    """Lower a NaN-neutral per-staff lever to ``value`` (NaN: no limit yet)."""
    arr = lev.staff(name, fill=np.nan)
    arr[mask] = np.fmin(arr[mask], value)


def max_staff(lev: Levers, name: str, mask: np.ndarray, value: float) -> None:
    arr = lev.staff(name, fill=np.nan)
    arr[mask] = np.fmax(arr[mask], value)


def max_network(lev: Levers, name: str, mask: np.ndarray, value: float) -> None:
    arr = lev.network(name)
    arr[mask] = np.maximum(arr[mask], value)


def add_network(lev: Levers, name: str, mask: np.ndarray, value: float) -> None:
    arr = lev.network(name)
    arr[mask] += value


def min_network(lev: Levers, name: str, mask: np.ndarray, value: float) -> None:
    """Lower a per-network multiplier lever (neutral 1) to ``value`` in the networks of ``mask``."""
    arr = lev.network(name, fill=1.0)
    arr[mask] = np.minimum(arr[mask], value)
