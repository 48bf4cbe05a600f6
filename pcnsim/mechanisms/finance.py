"""Mechanism 9, money and output.

Evidence: E7 (the allocation by weighted population; unused money is lost at the year end), E8 (pay caps),
E10 (networks pay above the cap), E9 (underspend), E17 (GP supervision time costs appointments).

Allocation of a network for financial year ``fy`` = national entitlement x network patients / national
patients. Each week a network claims the reimbursable cost of its ARRS staff in post (FTE x cap x (1 +
uplift) / 52.18), never more than what remains of the year's allocation; what is unclaimed at 31 March is
lost. Pay caps grow by ``pay_growth`` a year around the 2023/24 values.

Pay (:func:`pay`) is one quantity per network and role, the pay a network offers, from which both the
cost of a post and the pay gap follow. Relative to the role's cap (E8, moved by pay growth):

    going rate = salary_to_cap                               (what an ordinary post pays, calibrated)
    market     = going x (1 + role premium) x (1 + London x london_premium)      (E10, E39)
    base offer = going x (1 + uplift + funded uplift)       (London weighting passed on in full)
    offered    = base offer + topup_share x max(market - base offer, 0)          (networks top up, E10)
    pay gap    = max(market / offered - 1, 0)
    claimed    = min(offered - going x funded uplift, 1 + uplift)   (the cap, raised by any uplift)

A post costs its network the offered pay; the allocation reimburses the claimed part (the reimbursable
maximum caps it); a funded London weighting pays ``going x funded uplift`` from outside the allocation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

WEEKS_PER_YEAR = 52.18


def cap_factor(fy: int, growth: float) -> float:
    """Pay caps relative to 2023/24 (E8)."""
    return (1.0 + growth) ** (fy - 2023)


def allocation(national_million: float, patients: np.ndarray, national_patients: float) -> np.ndarray:
    """Each network's ARRS allocation for a year (GBP): the national entitlement (GBP million) shared by
    weighted patients (E7)."""
    return national_million * 1e6 * patients / national_patients


class Pay(NamedTuple):
    """Pay per network x role, relative to the role's cap: what networks offer, the pay gap to the local
    market (a share) and the part of the offered pay claimed against the allocation."""

    offered: np.ndarray
    gap: np.ndarray
    claimed: np.ndarray


def pay(going: float, role_premium: np.ndarray, london: np.ndarray, london_premium: float, uplift: np.ndarray,
        funded: np.ndarray, topup: float) -> Pay:
    """The pay networks offer and what follows from it (arrays broadcast: network x role); see the module
    docstring for the formulas."""
    market = going * (1.0 + role_premium) * (1.0 + london * london_premium)
    base = going * (1.0 + uplift + funded)
    offered = base + topup * np.maximum(market - base, 0.0)
    gap = np.maximum(market / offered - 1.0, 0.0)
    claimed = np.minimum(offered - going * funded, 1.0 + uplift)
    return Pay(offered, gap, claimed)


def claim(cost_week: np.ndarray, allocation_year: np.ndarray, claimed_ytd: np.ndarray) -> np.ndarray:
    """What each network may claim this week: its cost, up to what is left of its allocation."""
    return np.minimum(cost_week, np.maximum(allocation_year - claimed_ytd, 0.0))
