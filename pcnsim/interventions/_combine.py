"""How interventions that touch the same lever in the same week combine (documented in docs/interventions.md).

* additive: mixing encounters, protected hours, peer bonus, extra load, organisational development gains;
* strictest wins: remote cap (lowest), remote floor (highest), practice split cap (lowest), discrepancy
  cut (largest), base practice (any);
* mixing homophily and gain: averaged, weighted by the encounters each intervention adds;
* pay uplifts: the largest; the recruitment factor of vaccination-style work: the smallest;
* hours away from patients: additive.
"""

from __future__ import annotations

import numpy as np

from pcnsim.levers import Levers


def add_mixing(lev: Levers, mask: np.ndarray, contacts: float, homophily: float, gain: float) -> None:
    """Add ``contacts`` expected network-wide mixing encounters this week to every row in ``mask``."""
    if not mask.any() or contacts <= 0:
        return
    mix = lev.staff("mixing_contacts")
    w_old = float(mix.sum()) if lev.mixing_contacts is not None else 0.0
    w_new = contacts * float(mask.sum())
    total = w_old + w_new
    lev.mixing_homophily = (lev.mixing_homophily * w_old + homophily * w_new) / total
    lev.mixing_gain = (lev.mixing_gain * w_old + gain * w_new) / total
    mix[mask] += contacts


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
