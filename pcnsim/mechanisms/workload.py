"""Mechanism 5, workload and burnout.

Evidence: E16 (support goes with less burnout: a direction); E25, E4 (vacancies are common). Form and
rates are assumptions.

Load of a team (network x role) = establishment FTE / FTE in post (not on notice), between 1 and
``max_load``: vacancies raise the load on those who stay (:func:`load_of_teams`). Per person:

    strain  = load x pandemic multiplier x (1 + extra load from interventions) - 1 + baseline_strain
    burnout <- burnout + burnout_rise max(strain, 0) (1 - burnout) - burnout_recovery support burnout
"""

from __future__ import annotations

import numpy as np

from pcnsim._jit import njit


def load_of_teams(in_post: np.ndarray, establishment: np.ndarray, max_load: float) -> np.ndarray:
    """Per-team load from the FTE in post and the establishment (FTE) of each team."""
    load = np.where(in_post > 0, establishment / np.maximum(in_post, 1e-9), 1.0)
    return np.clip(load, 1.0, max_load)


@njit(inline="always")
def burnout_step(burnout: float, load: float, multiplier: float, extra: float, support: float,
                 baseline: float, rise: float, recovery: float) -> float:
    """One week of burnout (0-1): it builds under excess load and eases with support."""
    strain = load * multiplier * (1.0 + extra) - 1.0 + baseline
    b = burnout + rise * max(strain, 0.0) * (1.0 - burnout) - recovery * support * burnout
    return min(max(b, 0.0), 1.0)
