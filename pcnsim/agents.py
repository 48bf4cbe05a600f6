"""StaffMember: a thin Mesa agent that is a view onto one row of the model's staff arrays.

The weekly step never touches agents: it works on the arrays (see :mod:`pcnsim.state`). Agents exist so
that Mesa's tools (``model.agents``, AgentSet queries, SolaraViz) see every person in post: reading
``agent.belonging`` reads ``model.staff.belonging[agent.idx]``, and writing it writes the array.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from pcnsim.state import FIELDS

if TYPE_CHECKING:
    from pcnsim.model import PCNModel


class StaffMember(mesa.Agent):
    """One person in post (core or ARRS). Attributes are live views onto the staff arrays."""

    def __init__(self, model: PCNModel, idx: int) -> None:
        super().__init__(model)
        self.idx = int(idx)

    @property
    def role_key(self) -> str:
        """The role's key in the model's catalogue (``"pharmacist"``, ``"gp"``, ...; ``model.roles.keys``)."""
        return self.model.roles.keys[int(self.model.staff.role[self.idx])]

    @property
    def role_label(self) -> str:
        """The role's name for tables and figures."""
        return self.model.roles.labels[int(self.model.staff.role[self.idx])]

    @property
    def is_arrs(self) -> bool:
        """True for a role funded by the Additional Roles Reimbursement Scheme (False for GPs and nurses)."""
        return bool(self.model.roles.arrs[int(self.model.staff.role[self.idx])])

    @property
    def tenure_weeks(self) -> int:
        """Weeks in post since hire, at the model's current week (weeks)."""
        return int(self.model.week - self.model.staff.hire_week[self.idx])

    def ties(self) -> dict[int, float]:
        """Tie strengths to colleagues, keyed by their staff id."""
        j = self.model.staff.tie_j[self.idx]
        w = self.model.staff.tie_w[self.idx]
        return {int(a): float(b) for a, b in zip(j, w, strict=True) if a >= 0}

    def __repr__(self) -> str:
        s = self.model.staff
        return (f"StaffMember(id={self.idx}, role={self.role_key!r}, network={int(s.network[self.idx])}, "
                f"belonging={float(s.belonging[self.idx]):.2f}, intends={bool(s.intends[self.idx])})")


def _field_property(name: str) -> property:
    def get(self: StaffMember):  # noqa: ANN202
        return getattr(self.model.staff, name)[self.idx].item()

    def set_(self: StaffMember, value) -> None:  # noqa: ANN001
        getattr(self.model.staff, name)[self.idx] = value

    return property(get, set_, doc=f"Live view of ``model.staff.{name}[idx]``.")


for _name in FIELDS:
    setattr(StaffMember, _name, _field_property(_name))
