"""Interventions on support and the job itself (mechanism 4, support; mechanism 7, job discrepancy).

``protected_supervision``
    Hours a week of GP clinical supervision guaranteed to each targeted person (E16, E17, E11). Paid in
    GP sessions: GBP at :data:`~pcnsim.interventions.costs.GP_SESSION_GBP` per session, and the model
    counts the sessions as lost appointments (E17).
``peer_support``
    A network of peers in the same role across networks (support without co-location, E16): a peer
    support bonus in tie-strength units; costs members' time and a membership fee.
``role_clarity``
    Role clarity and induction for new starters (E12, E27): cuts the job discrepancy they drift towards
    during their first ``weeks`` in post; costs a fixed amount per new starter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from pcnsim.interventions import _combine as C
from pcnsim.interventions.base import Intervention, RoleKey
from pcnsim.interventions.costs import by_network, gp_session_cost, staff_time
from pcnsim.roles import ROLE_KEYS
from pcnsim.schema import Number, Whole, allowed

if TYPE_CHECKING:
    from pcnsim.levers import Levers
    from pcnsim.model import PCNModel


_Hours = Annotated[float, Field(ge=0, le=20)]


class ProtectedSupervision(Intervention):
    """Protected GP supervision time for ARRS staff.

    Parameters
    ----------
    hours : float or table of role -> float
        Hours a week per person (not scaled by FTE), 0 to 20; a table gives hours by role, e.g.
        ``{pharmacist = 2, link_worker = 1}`` (roles not listed get none). Supervision counts up to each
        person's need (``supervision_need`` of the role x FTE), so hours beyond it buy nothing more.
    session_cost : float, optional
        GBP per GP session; default :data:`~pcnsim.interventions.costs.GP_SESSION_GBP` (assumption) moved
        with pay growth.
    """

    type: Literal["protected_supervision"] = "protected_supervision"
    hours: Annotated[_Hours | dict[RoleKey, _Hours],
                     allowed("hours a week from 0 to 20, or a table of role = hours (0 to 20), e.g. "
                             f"{{pharmacist = 2}}; roles: {', '.join(ROLE_KEYS)}")] = 1.0
    session_cost: Number(0, 5000, "GBP per GP session") | None = None

    def hours_per_person(self, model: PCNModel) -> np.ndarray:
        """Protected hours of every staff row this week (0 outside the target)."""
        mask = self.target(model)
        if isinstance(self.hours, dict):
            by_role = np.zeros(model.roles.n)
            for r, v in self.hours.items():
                by_role[model.roles.role_index(r, "hours")] = v
            h = by_role[model.staff.role[: model.staff.n]]
        else:
            h = np.full(model.staff.n, self.hours)
        return np.where(mask, h, 0.0)

    def apply(self, model: PCNModel, levers: Levers) -> None:
        h = self.hours_per_person(model)
        if not h.any():
            return
        C.add_staff(levers, "protected_hours", h > 0, h)
        # the supervisee's hours in supervision (up to their need) are hours away from patients
        s = model.staff
        need = model.need_per_fte[s.network[: s.n], s.role[: s.n]] * s.fte[: s.n]
        C.add_staff(levers, "hours_away", h > 0, np.minimum(h, need))
        # The model adds protected hours to the GP sessions used (and so to lost appointments); here we
        # only price them.
        unit = gp_session_cost(model) if self.session_cost is None else self.session_cost
        levers.charge(by_network(model, h > 0, h) / model.params.hours_per_session * unit)


class PeerSupport(Intervention):
    """A peer-support network for a role across networks.

    Parameters
    ----------
    strength : float
        Peer-support tie strength each member gains from the network (default 1.0, about two good
        same-profession colleagues; assumption), added to their own same-profession ties.
    hours_per_month : float
        Members' time in peer sessions (default 2 hours a month; assumption), costed at their
        employment cost.
    fee_per_member_year : float
        GBP a member-year for facilitation and membership (default 150; assumption).
    """

    type: Literal["peer_support"] = "peer_support"
    strength: Number(0, 20, "tie strength") = 1.0
    hours_per_month: Number(0, 80, "hours a month") = 2.0
    fee_per_member_year: Number(0, 1e5, "GBP a member-year") = 150.0

    def apply(self, model: PCNModel, levers: Levers) -> None:
        mask = self.target(model)
        if not mask.any():
            return
        C.add_staff(levers, "peer_bonus", mask, self.strength)
        cost, sessions = staff_time(model, mask, self.hours_per_month * 12 / 52.18, levers)
        levers.charge(cost + self.fee_per_member_year / 52.18 * by_network(model, mask), sessions)


class RoleClarity(Intervention):
    """Role clarity and induction for new starters.

    Parameters
    ----------
    cut : float
        Share by which the job discrepancy a new starter drifts towards is cut (default 0.5; assumption:
        a clear job plan halves the work outside the role, E12).
    weeks : int
        Weeks after starting that the induction covers (default 52).
    cost_per_starter : float
        GBP per new starter (default 1,000; assumption: about 15 hours of the starter's time, 2 hours of
        a GP's and a programme coordinator's time), charged evenly over ``weeks``.
    """

    type: Literal["role_clarity"] = "role_clarity"
    cut: Number(0, 1, "share") = 0.5
    weeks: Whole(1, 520, "weeks") = 52
    cost_per_starter: Number(0, 1e5, "GBP a new starter") = 1000.0

    def new_starters(self, model: PCNModel) -> np.ndarray:
        """Bool per staff row: targeted and in their first ``weeks`` weeks in post."""
        s = model.staff
        tenure = model.week - s.hire_week[: s.n]
        return self.target(model) & (tenure < self.weeks) & (tenure >= 0)

    def apply(self, model: PCNModel, levers: Levers) -> None:
        mask = self.new_starters(model)
        if not mask.any():
            return
        cut = levers.staff("discrepancy_cut")
        cut[mask] = np.maximum(cut[mask], self.cut)
        levers.charge(self.cost_per_starter / self.weeks * by_network(model, mask))
