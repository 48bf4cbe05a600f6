"""Mechanism 9, money and output.

Evidence: E7 (the allocation by weighted population; unused money is lost at the year end), E8 (pay caps),
E10 (networks pay above the cap), E9 (underspend), E17 (GP supervision time costs appointments).

Allocation of a network for financial year ``fy`` = national entitlement x network patients / national
patients. Each week a network claims the reimbursable cost of its ARRS staff in post (FTE x cap x (1 +
uplift) / 52.18), never more than what remains of the year's allocation; what is unclaimed at 31 March is
lost. Pay caps grow by ``pay_growth`` a year around the 2023/24 values.

Pay gap: market pay = cap x (1 + role premium + London premium); networks top up ``topup_share`` of the
premium above the (possibly uplifted) cap; the gap is market / offered - 1, never negative.
"""

from __future__ import annotations

import numpy as np

WEEKS_PER_YEAR = 52.18


def cap_factor(fy: int, growth: float) -> float:
    """Pay caps relative to 2023/24 (E8)."""
    return (1.0 + growth) ** (fy - 2023)


def allocation(national_million: float, patients: np.ndarray, national_patients: float) -> np.ndarray:
    """Each network's ARRS allocation for a year (GBP): the national entitlement (GBP million) shared by
    weighted patients (E7)."""
    return national_million * 1e6 * patients / national_patients


def pay_gap(role_premium: np.ndarray, london: np.ndarray, london_premium: float, uplift: np.ndarray,
            topup: float) -> np.ndarray:
    """Relative gap between market and offered pay (arrays broadcast: network x role)."""
    market = 1.0 + role_premium + london * london_premium
    above = np.maximum(market - 1.0 - uplift, 0.0)
    offered = 1.0 + uplift + topup * above
    return np.maximum(market / offered - 1.0, 0.0)


def claim(cost_week: np.ndarray, allocation_year: np.ndarray, claimed_ytd: np.ndarray) -> np.ndarray:
    """What each network may claim this week: its cost, up to what is left of its allocation."""
    return np.minimum(cost_week, np.maximum(allocation_year - claimed_ytd, 0.0))
