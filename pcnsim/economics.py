"""Costs and outcomes of a run from the NHS perspective, discounted (E37): what an ensemble comparison adds up.

Perspective
    The NHS, as two budget holders. The *network* pays for its interventions and bears the cost of turnover;
    the *national* budget reimburses ARRS claims (the allocation is fixed; money a network does not claim is
    lost to it at the year end and stays with the national budget: shown apart, as unspent). The NHS cost of
    an arm is the sum of both. Personal social services are not touched by these interventions.
Prices and discounting
    Constant 2023/24 prices: money the model reports in the prices of its year (pay caps grow with
    ``pay_growth``, E8) is deflated to 2023/24. Costs and outcomes are discounted at ``discount_rate`` (3.5% a
    year, E37) to the start of the run, by whole years: a sum in the run's year ``k`` (weeks ``52.18 k`` to
    ``52.18 (k + 1)``; ``k = 0`` first) is divided by ``(1 + rate)^k``.
Turnover
    Every ARRS hire costs ``recruit_cost_per_hire`` + ``induction_cost_per_hire`` (assumptions with priors);
    while a starter learns, the lost part of their work (one minus the model's learning curve,
    :func:`pcnsim.mechanisms.recruitment.productivity`, summed over the curve) is valued at the role's
    claimed cost per FTE; while a post is vacant, ``vacancy_cover_share`` of its cost is spent on cover (the
    rest of the work is lost, and shows in FTE-years in post, so it is not counted twice). Vacancies are the
    model's (ARRS and core posts), valued at the mean claimed cost of an ARRS FTE.
Outcomes
    Discounted ARRS FTE-years in post (all roles, and by role) and leavers by role. Weighted by each role's
    claimed cost, FTE-years in post are the ARRS claims themselves (the staff time in post at what the NHS
    pays for it, so that roles do not count alike).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pcnsim.mechanisms.finance import WEEKS_PER_YEAR, cap_factor
from pcnsim.mechanisms.recruitment import productivity

if TYPE_CHECKING:
    from pcnsim.model import PCNModel

#: Model parameters the costs use besides the economics group (a screening of the simulation's outcomes must
#: not fix them).
COST_INPUTS: tuple[str, ...] = ("learning_weeks", "salary_to_cap", "pay_growth", "discount_rate")
#: Weeks over which a starter's learning curve is summed (ten years: the curve is flat long before).
LEARNING_HORIZON = 520
#: Cost columns of a run, in GBP (2023/24 prices, discounted), and the budget that pays each.
COSTS: dict[str, str] = {
    "intervention_cost": "network",
    "recruitment_cost": "network",
    "learning_cost": "network",
    "vacancy_cost": "network",
    "arrs_claims": "national",
}


def discount_factors(n_weeks: int, rate: float) -> np.ndarray:
    """Discount factor of each week ``0 .. n_weeks - 1``: ``(1 + rate) ** -k`` in the run's year ``k``."""
    if rate < 0:
        raise ValueError("discount rate must not be negative")
    years = np.floor(np.arange(n_weeks) / WEEKS_PER_YEAR)
    return (1.0 + rate) ** -years


def financial_year(dates: object) -> np.ndarray:
    """The financial year (starting in April) of each date: 2019 for 1 April 2019 to 31 March 2020."""
    return np.array([d.year if d.month >= 4 else d.year - 1 for d in dates], dtype=int)


def learning_weeks_lost(learning_weeks: float) -> float:
    """FTE-weeks of work a starter's learning curve loses: the sum of ``1 - productivity`` over the curve."""
    return float((1.0 - productivity(np.arange(LEARNING_HORIZON), learning_weeks)).sum())


def run_economics(model: PCNModel) -> dict[str, float]:
    """Discounted costs (GBP, 2023/24 prices) and outcomes of a finished run (see the module docstring).

    Keys: the costs of :data:`COSTS`; ``unspent`` (allocation not claimed, complete years); ``fte_years_disc``
    (discounted ARRS FTE-years); ``hires`` and
    ``vacancy_fte_years`` (discounted); per ARRS role ``fte_years_disc_<role>`` and ``leavers_<role>``.
    """
    p, rec, R = model.params, model.recorder, model.roles
    weekly = rec.weekly()
    n = len(weekly)
    disc = discount_factors(n, p.discount_rate)
    fy = financial_year(weekly["date"]) if n else np.zeros(0, int)
    deflate = np.array([1.0 / cap_factor(int(y), p.pay_growth) for y in fy])
    w = disc * deflate  # money: discounted, constant prices
    arrs = np.asarray(R.arrs, bool)
    fte = rec.role_array("fte")[:, arrs]
    joiners = rec.role_array("joiners")[:, arrs]
    leavers = rec.role_array("leavers")[:, arrs]
    # claimed cost per FTE-year of each ARRS role, 2023/24 prices (mean over networks)
    per_fte = np.asarray(model.cost_per_fte(None), float).mean(axis=0)[arrs] / cap_factor(model.fy, p.pay_growth)
    fte_years_role = (fte * disc[:, None]).sum(axis=0) / WEEKS_PER_YEAR
    hires_role = (joiners * disc[:, None]).sum(axis=0)
    fte_years = float(fte_years_role.sum())
    claims = float((weekly["spend_week"].to_numpy(float) * w).sum()) if n else 0.0
    mean_cost = claims / fte_years if fte_years > 0 else float(per_fte.mean())
    vacancy_years = float((weekly["vacancies_fte"].to_numpy(float) * disc).sum() / WEEKS_PER_YEAR) if n else 0.0
    mean_post = np.asarray(R.mean_fte, float)[arrs]
    learning = float((hires_role * mean_post * per_fte).sum() * learning_weeks_lost(p.learning_weeks) / WEEKS_PER_YEAR)
    years = [y for y in model.years if y.get("complete", True)]
    start_fy = int(fy[0]) if n else 0
    unspent = float(sum(y["unspent"] * (1 + p.discount_rate) ** -(y["fy"] - start_fy) / cap_factor(y["fy"], p.pay_growth)
                        for y in years))
    out = {
        "intervention_cost": float((weekly["intervention_cost"].to_numpy(float) * w).sum()) if n else 0.0,
        "recruitment_cost": float(hires_role.sum() * (p.recruit_cost_per_hire + p.induction_cost_per_hire)),
        "learning_cost": learning,
        "vacancy_cost": vacancy_years * p.vacancy_cover_share * mean_cost,
        "arrs_claims": claims,
        "unspent": unspent,
        "fte_years_disc": fte_years,
        "hires": float(hires_role.sum()),
        "vacancy_fte_years": vacancy_years,
    }
    keys = [k for k, a in zip(R.keys, arrs, strict=True) if a]
    out.update({f"fte_years_disc_{k}": float(v) for k, v in zip(keys, fte_years_role, strict=True)})
    out.update({f"leavers_{k}": float(v) for k, v in zip(keys, leavers.sum(axis=0), strict=True)})
    return out


def total_cost(costs: dict[str, np.ndarray], perspective: str = "nhs") -> np.ndarray:
    """The cost an arm bears from ``perspective``: ``network`` (interventions and turnover) or ``nhs`` (the
    network's and the national budget's: adds ARRS claims). ``costs`` maps each of :data:`COSTS` to values."""
    if perspective not in ("nhs", "network"):
        raise ValueError(f"perspective {perspective!r}: expected 'nhs' or 'network'")
    keep = [k for k, b in COSTS.items() if perspective == "nhs" or b == "network"]
    return sum(np.asarray(costs[k], float) for k in keep)
