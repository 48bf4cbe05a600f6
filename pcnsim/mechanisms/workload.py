"""Mechanism 5, workload and burnout.

Evidence: E16 (support lowers burnout); E25, E4 (vacancies are common). Form and rates are assumptions.

Load of a team (network x role) = establishment FTE / FTE in post (not on notice), between 1 and
``max_load``: vacancies raise the load on those who stay. Each person's strain is
load x pandemic multiplier x (1 + extra load from interventions) - 1 + ``baseline_strain``, and

    burnout <- burnout + burnout_rise * max(strain, 0) * (1 - burnout) - burnout_recovery * support * burnout
"""

from __future__ import annotations

import numpy as np


def team_load(group: np.ndarray, fte_in_post: np.ndarray, establishment: np.ndarray, max_load: float) -> np.ndarray:
    """Per-group load; ``group`` indexes ``establishment`` (FTE)."""
    return load_of_teams(np.bincount(group, weights=fte_in_post, minlength=len(establishment)), establishment,
                         max_load)


def load_of_teams(in_post: np.ndarray, establishment: np.ndarray, max_load: float) -> np.ndarray:
    """Per-team load from the FTE in post and the establishment (FTE) of each team."""
    load = np.where(in_post > 0, establishment / np.maximum(in_post, 1e-9), 1.0)
    return np.clip(load, 1.0, max_load)


def burnout(b: np.ndarray, load: np.ndarray, multiplier: float, extra: np.ndarray | None, support: np.ndarray,
            baseline: float, rise: float, recovery: float) -> np.ndarray:
    strain = load * multiplier * (1.0 if extra is None else 1.0 + extra) - 1.0 + baseline
    b = b + rise * np.maximum(strain, 0.0) * (1.0 - b) - recovery * support * b
    return np.clip(b, 0.0, 1.0).astype(np.float32)
