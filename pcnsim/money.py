"""Money and pay of :class:`pcnsim.model.PCNModel`: allocations, planned posts, pay, claims and the year table.

Mechanism 9 (:mod:`pcnsim.mechanisms.finance`; E7, E8, E9, E10, E17, E39) as the model applies it, and the
GP time networks give to supervision (E17, E2). This is a part of :class:`~pcnsim.model.PCNModel` (a
mixin), split from it along its seams (:mod:`pcnsim.weekly` holds the weekly mechanisms).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from pcnsim.levers import Levers
from pcnsim.mechanisms import finance as fin

AVERAGE_NETWORK_PATIENTS = 48_020  # E2: the mean weighted patients of a network (E17's sessions are per such network)


def year_row(fy: int, allocation: float, spend: float, *, complete: bool) -> dict[str, Any]:
    """One row of the money table (:meth:`MoneyAndPay.year_table`): financial year ``fy``'s allocation and
    claims (GBP), what was left unspent, and whether the year is complete."""
    return {"financial_year": f"{fy}/{(fy + 1) % 100:02d}", "fy": fy, "allocation": allocation, "spend": spend,
            "unspent": allocation - spend,
            "unspent_share": (allocation - spend) / allocation if allocation > 0 else float("nan"),
            "complete": complete}


def financial_year(d: dt.date) -> int:
    """Financial year (April to March) that ``d`` falls in, named by its first calendar year."""
    return d.year if d.month >= 4 else d.year - 1


class MoneyAndPay:
    """Allocations, planned posts, pay and the money table of a model (see the module docstring)."""

    def supervision_capacity(self) -> np.ndarray:
        """GP hours a week each network gives to supervising ARRS staff: E17's ``gp_supervision_sessions`` per
        network of average size (E2: 48,020 weighted patients), in proportion to the network's patients (a
        network twice the size has about twice the GPs and twice the ARRS staff; assumption)."""
        return (self.netp.gp_supervision_sessions * self.params.hours_per_session * self.pop.net_patients
                / AVERAGE_NETWORK_PATIENTS)

    def _allocation(self, fy: int) -> np.ndarray:
        """Each network's allocation in ``fy`` (claims are against it); also sets the entitlement's and the
        ring-fenced pots' parts, which posts are planned against (:mod:`pcnsim.policy`)."""
        pat, nat, p = self.pop.net_patients, self.params.national_patients, self.params
        self._plan_allocation = fin.allocation(self.policy.entitlement_million(fy, p), pat, nat)
        self._pot_allocation = fin.allocation(self.policy.pots(fy)[1], pat, nat)
        return fin.allocation(self.policy.total_million(fy, p), pat, nat)

    # -- mechanism 9: plans, pay and money ----------------------------------------------
    def planned_fte(self, lev: Levers | None = None, mix: np.ndarray | None = None) -> np.ndarray:
        """ARRS FTE each network plans per role this week (network x role), within the allocation.

        ``mix`` (networks x roles) overrides the role mix (default: the levers' flexible mix, else E5's)."""
        p, q, R = self.params, self.netp, self.roles
        if self.date < p.arrs_start:
            return np.zeros((self.n_networks, self.roles.n))
        if mix is None:
            mix = lev.role_mix if lev is not None and lev.role_mix is not None else R.mix
        mix, pot_mix = self.policy.planned_mix(self.date, self.fy, mix, self.n_networks)  # eligible roles; pots
        cost = self.cost_per_fte(lev)
        share = q.planned_share[:, None]
        planned = np.where(cost > 0, self._plan_allocation[:, None] * share * mix / np.maximum(cost, 1.0), 0.0)
        if pot_mix is not None:  # roles with ring-fenced money plan against the pot (E30)
            planned += np.where(cost > 0, self._pot_allocation[:, None] * share * pot_mix
                                / np.maximum(cost, 1.0), 0.0)
        return np.minimum(planned, self.policy.caps(self.date))  # per-network caps, until removed (E31)

    def caps(self) -> np.ndarray:
        """Reimbursable maximum per FTE-year of each role this financial year (GBP; E8 moved by pay growth;
        0 for core roles)."""
        return self.roles.caps(self.fy, self.params.pay_growth)  # by year where the catalogue lists caps (E30)

    def going_pay(self) -> np.ndarray:
        """The going rate of pay per FTE-year (network x role) this financial year (GBP): cap x ``salary_to_cap``."""
        return self.caps()[None, :] * self.netp.salary_to_cap[:, None]

    def pay(self, lev: Levers | None = None) -> fin.Pay:
        """The pay networks offer this week and what follows from it (network x role, relative to the cap):
        see :func:`pcnsim.mechanisms.finance.pay`."""
        q = self.netp
        uplift = np.zeros(self.n_networks)
        funded = np.zeros(self.n_networks)
        if lev is not None and lev.reimbursement_uplift is not None:
            uplift = lev.reimbursement_uplift
        if lev is not None and lev.funded_uplift is not None:  # London weighting funded outside the allocation
            funded = lev.funded_uplift
        return fin.pay(q.salary_to_cap[:, None], self.roles.market_premium[None, :], self.pop.net_london[:, None],
                       q.london_premium[:, None], uplift[:, None], funded[:, None], q.topup_share[:, None])

    def offered_pay(self, lev: Levers | None = None) -> np.ndarray:
        """Pay offered per FTE-year (network x role), GBP: what a post costs its network."""
        return self.caps()[None, :] * self.pay(lev).offered

    def cost_per_fte(self, lev: Levers | None = None) -> np.ndarray:
        """Cost per FTE-year claimed against the allocation (network x role), GBP: the offered pay up to the
        reimbursable maximum (raised by any uplift), without what a funded uplift pays from outside."""
        pay = self._pay if lev is not None and lev is self.levers else self.pay(lev)  # this week's: already known
        return self.caps()[None, :] * pay.claimed

    def _close_year(self) -> None:
        self.years_by_network.append((self.fy, self.allocation.copy(), self.claimed_ytd.copy()))
        self.years.append(year_row(self.fy, float(self.allocation.sum()), float(self.claimed_ytd.sum()), complete=True))

    def year_table(self) -> list[dict[str, float]]:
        """Money by financial year: complete years plus the current one (to date)."""
        rows = list(self.years)
        if self.week > 0:
            rows.append(year_row(self.fy, float(self.allocation.sum()), float(self.claimed_ytd.sum()), complete=False))
        return rows
