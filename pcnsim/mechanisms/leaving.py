"""Mechanism 7 (with 6), intention to leave and leaving; turnover contagion.

Evidence: E15 (team climate, OR 1.6 per SD), E22 (embeddedness), E11 and E16 (supervision), E12 (job
discrepancy, OR 4.86), E20 (moderate remote work lowers turnover intention), E26 (pay below the London
market), E13 (only part of intention becomes leaving: 20% vs 4% within 12 months), E23 (turnover
contagion through co-workers).

    logit p = intercept [+ core offset] + w_isolation (1 - belonging) + w_supervision (1 - support)
              + w_discrepancy discrepancy + w_burnout burnout + w_pay pay_gap
              - w_flexibility min(remote, threshold) / threshold + w_contagion contagion

``p`` is the chance that a person, asked now, says they intend to leave within a year. Each week a person
re-appraises with chance ``intention_review_rate`` and then intends with chance ``p``. Resignation is a
weekly hazard from ``leave_if_intending`` or ``leave_if_not_intending`` (annual chances, E13); a resignation
starts the role's notice period, and the person leaves when it runs out. The strength of ties lost to
leavers adds to a person's ``contagion``, which fades by ``contagion_decay`` a week.
"""

from __future__ import annotations

import numpy as np


def weekly_hazard(annual: float) -> float:
    """Weekly chance equivalent to an annual chance ``annual``."""
    return 1.0 - (1.0 - annual) ** (1.0 / 52.0)


def intention(*, intercept: np.ndarray, belonging: np.ndarray, support: np.ndarray, discrepancy: np.ndarray,
              burnout: np.ndarray, pay_gap: np.ndarray, remote: np.ndarray, contagion: np.ndarray,
              w_isolation: float, w_supervision: float, w_discrepancy: float, w_burnout: float, w_pay: float,
              w_flexibility: float, w_contagion: float, heavy_remote_threshold: float) -> np.ndarray:
    flex = np.minimum(remote, heavy_remote_threshold) / heavy_remote_threshold
    z = (intercept + w_isolation * (1.0 - belonging) + w_supervision * (1.0 - support)
         + w_discrepancy * discrepancy + w_burnout * burnout + w_pay * pay_gap
         - w_flexibility * flex + w_contagion * contagion)
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def review(rng: np.random.Generator, intends: np.ndarray, p: np.ndarray, rate: float) -> np.ndarray:
    """Re-appraise intention for a random ``rate`` share of people."""
    u = rng.random((2, len(p)))
    return np.where(u[0] < rate, u[1] < p, intends)


def resign(rng: np.random.Generator, intends: np.ndarray, h_intending: float, h_not: float) -> np.ndarray:
    """Who resigns this week (only called for people not already on notice)."""
    return rng.random(len(intends)) < np.where(intends, h_intending, h_not)


def discrepancy_target(role_base: np.ndarray, clarity: np.ndarray, cut: np.ndarray | None) -> np.ndarray:
    t = role_base * (1.0 - clarity)
    return t if cut is None else t * (1.0 - cut)
