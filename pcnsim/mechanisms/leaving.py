"""Mechanism 7 (with 6), intention to leave and leaving; turnover contagion.

Evidence: E15 (team climate, OR 1.6 per SD), E22 (embeddedness), E11 and E16 (supervision), E12 (job
discrepancy, OR 4.86), E20 (moderate remote work lowers turnover intention), E26 (pay below the London
market), E13 (only part of intention becomes leaving: 20% vs 4% within 12 months), E23 (turnover
contagion through co-workers).

    logit p = intercept [+ core offset] + w_isolation (1 - belonging) + w_supervision (1 - support)
              + w_discrepancy discrepancy + w_burnout burnout + w_pay pay_gap
              - w_flexibility min(remote, threshold) / threshold + w_contagion contagion

``p`` is the chance that a person, asked now, says they intend to leave within a year. Each person carries a
personal propensity ``e``, a standard logistic draw made at hire and drawn anew with chance
``propensity_renewal`` a week (circumstances outside work); they intend to leave while ``z + e > 0``, so the
share intending among people in one situation is ``p``, an intention follows a person's situation week by
week, and it persists while their situation does (which E13's conversions need: people who intend to leave
now are largely those who still will in a few months). Resignation is a weekly hazard from
``leave_if_intending`` or ``leave_if_not_intending`` (annual chances, E13); a resignation starts the role's
notice period, and the person leaves when it runs out. The strength of ties lost to leavers adds to a
person's ``contagion``, which fades by ``contagion_decay`` a week.
"""

from __future__ import annotations

import numpy as np


def weekly_hazard(annual: float) -> float:
    """Weekly chance equivalent to an annual chance ``annual``."""
    return 1.0 - (1.0 - annual) ** (1.0 / 52.0)


def logit(*, intercept: np.ndarray, belonging: np.ndarray, support: np.ndarray, discrepancy: np.ndarray,
          burnout: np.ndarray, pay_gap: np.ndarray, remote: np.ndarray, contagion: np.ndarray,
          w_isolation: float, w_supervision: float, w_discrepancy: float, w_burnout: float, w_pay: float,
          w_flexibility: float, w_contagion: float, heavy_remote_threshold: float) -> np.ndarray:
    """Log-odds ``z`` of intending to leave within a year (the formula above)."""
    flex = np.minimum(remote, heavy_remote_threshold) / heavy_remote_threshold
    return (intercept + w_isolation * (1.0 - belonging) + w_supervision * (1.0 - support)
            + w_discrepancy * discrepancy + w_burnout * burnout + w_pay * pay_gap
            - w_flexibility * flex + w_contagion * contagion)


def probability(z: np.ndarray) -> np.ndarray:
    """The chance of intending to leave, from its log-odds (float32, as stored)."""
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def intention(**terms: np.ndarray | float) -> np.ndarray:
    """The chance of intending to leave (``probability(logit(**terms))``)."""
    return probability(logit(**terms))


def draw_propensity(rng: np.random.Generator, n: int) -> np.ndarray:
    """Personal propensities to leave: standard logistic draws (so that P(z + e > 0) = expit(z))."""
    return rng.logistic(size=n).astype(np.float32)


def renew_propensity(rng: np.random.Generator, propensity: np.ndarray, rate: float) -> np.ndarray:
    """Draw the propensity anew for a random ``rate`` share of people."""
    renew = np.flatnonzero(rng.random(len(propensity)) < rate)
    out = propensity.copy()
    out[renew] = draw_propensity(rng, len(renew))
    return out


def intends(z: np.ndarray, propensity: np.ndarray) -> np.ndarray:
    """Who intends to leave: log-odds plus personal propensity above zero."""
    return z + propensity > 0.0


def resign(rng: np.random.Generator, intends: np.ndarray, h_intending: float, h_not: float) -> np.ndarray:
    """Who resigns this week (only called for people not already on notice)."""
    return rng.random(len(intends)) < np.where(intends, h_intending, h_not)


def discrepancy_target(role_base: np.ndarray, clarity: np.ndarray, cut: np.ndarray | None) -> np.ndarray:
    t = role_base * (1.0 - clarity)
    return t if cut is None else t * (1.0 - cut)
