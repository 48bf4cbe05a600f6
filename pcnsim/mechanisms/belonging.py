"""Mechanism 3, belonging (embeddedness in a team); isolation is its lack.

Evidence: E22 (job embeddedness: links to colleagues predict staying), E19 (staff split across a network
can feel part of no team: a direction, acting here through co-presence and ties, mechanism 2), E24 and E27
(shared aims build a sense of team). Form and weights are assumptions::

    embed  = ties / (ties + belonging_tie_half)                        (ties: sum of tie strengths)
    target = clip((1 - vision_weight) embed + vision_weight vision + personal_sd affiliation
                  + base_bonus base - dilution (practices - 1), 0, 1)
    belonging <- belonging + belonging_rate (target - belonging)

``embed`` is one half at ``belonging_tie_half``, chosen near the tie strength of settled ARRS staff, so it
responds over the range they occupy (doubling a settled person's ties moves it by about a sixth); the old
``1 - exp(-ties / 2)`` was flat there. ``affiliation`` is a personal, standard normal draw made at hire (and
drawn anew with the personal propensity to leave): the part of a person's sense of belonging that their
working arrangements do not explain (personality, one's manager, life outside work). Its scale follows
from the share of belonging's variance that working arrangements explain (``belonging_explained_share``, an
assumption) and the measured SD of the explained part (``belonging_structural_sd``): see
:func:`personal_sd`. The SD of belonging as a whole among settled staff (``belonging_sd_settled``,
measured; smaller than the two parts together would give, since people who belong least leave first) is
the SD over which E15's odds ratio applies (:mod:`pcnsim.mechanisms.leaving`). ``base_bonus`` and ``dilution`` are direct effects of a base practice and of the split
beyond what contact does; their defaults are 0 (E19 gives a direction, no size) and they are bounded,
uncertain parameters for sensitivity analysis.

Each formula is written once, as a compiled scalar function that the weekly pass
(:mod:`pcnsim.mechanisms.wellbeing`) composes and that tests call directly.
"""

from __future__ import annotations

import math

from pcnsim._jit import njit


@njit(inline="always")
def embeddedness(ties: float, tie_half: float) -> float:
    """Embeddedness from the sum of tie strengths (0 to 1; one half at ``tie_half``)."""
    return ties / (ties + tie_half) if ties > 0.0 else 0.0


@njit(inline="always")
def target(embed: float, vision: float, affiliation: float, base: bool, practices: int, vision_weight: float,
           personal_sd: float, base_bonus: float, dilution: float) -> float:
    """The belonging a person tends to this week (0 to 1)."""
    t = ((1.0 - vision_weight) * embed + vision_weight * vision + personal_sd * affiliation
         + (base_bonus if base else 0.0) - dilution * (practices - 1))
    return min(max(t, 0.0), 1.0)


@njit(inline="always")
def step(belonging: float, tgt: float, rate: float) -> float:
    """One week's move of belonging towards its target."""
    return min(max(belonging + rate * (tgt - belonging), 0.0), 1.0)


def personal_sd(structural_sd: float, explained_share: float) -> float:
    """SD of the personal part of belonging such that working arrangements (SD ``structural_sd`` among
    settled staff) explain ``explained_share`` of the variance of belonging."""
    return structural_sd * math.sqrt((1.0 - explained_share) / explained_share)
