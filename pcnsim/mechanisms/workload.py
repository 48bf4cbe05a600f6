"""Mechanism 5, workload and burnout.

Evidence: E16 (support goes with less burnout: a direction); E25, E4 (vacancies are common); E38 (need
is higher in deprived areas than the funding allows for). Form and rates are assumptions.

The work of a team (network x role) is what it is planned to do, in FTE: for core staff the establishment
practices started with; for ARRS staff it follows the posts the network plans within its allocation, with
time constant ``work_ramp_weeks`` (new posts bring their work gradually; nothing resets at a year end).
Load of a team (:func:`team_load`), between 1 and ``max_load``:

    load = (1 + vacancy_pressure x max(work - FTE in post, 0) / FTE in post) x (1 + deprivation_need x deprivation)

so vacancies load those in post (a share ``vacancy_pressure`` of a vacant post's work falls on them) and
need is higher where the population is more deprived. Per person:

    strain  = load x pandemic multiplier x (1 + extra load from interventions) - 1 + baseline_strain
    burnout <- burnout + burnout_rise max(strain, 0) (1 - burnout) - burnout_recovery support burnout
"""

from __future__ import annotations

import numpy as np

from pcnsim._jit import njit


def follow_plan(work: np.ndarray, planned: np.ndarray, ramp_weeks: float) -> np.ndarray:
    """One week of a team's work (FTE) moving towards the FTE planned, with time constant ``ramp_weeks`` (one
    value, or one per team)."""
    return work + (planned - work) / np.maximum(ramp_weeks, 1.0)


def team_load(in_post: np.ndarray, work: np.ndarray, vacancy_pressure: float, need_factor: np.ndarray,
              max_load: float) -> np.ndarray:
    """Per-team load from the FTE in post, the team's work (FTE), the share of a vacant post's work that
    falls on those in post, and the need factor of the team's network (1 + deprivation_need x deprivation)."""
    vacant = np.maximum(work - in_post, 0.0)
    load = np.where(in_post > 0, 1.0 + vacancy_pressure * vacant / np.maximum(in_post, 1e-9), 1.0) * need_factor
    return np.clip(load, 1.0, max_load)


@njit(inline="always")
def burnout_step(burnout: float, load: float, multiplier: float, extra: float, support: float,
                 baseline: float, rise: float, recovery: float) -> float:
    """One week of burnout (0-1): it builds under excess load and eases with support."""
    strain = load * multiplier * (1.0 + extra) - 1.0 + baseline
    b = burnout + rise * max(strain, 0.0) * (1.0 - burnout) - recovery * support * burnout
    return min(max(b, 0.0), 1.0)
