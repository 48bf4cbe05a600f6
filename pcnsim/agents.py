"""StaffMember: a thin Mesa agent that is a view onto one row of the model's staff arrays.

The weekly step never touches agents: it works on the arrays (see :mod:`pcnsim.state`). Agents exist so
that Mesa's tools (``model.agents``, AgentSet queries, SolaraViz) see every person in post: reading
``agent.belonging`` reads ``model.staff.belonging[agent.idx]``, and writing it writes the array.

Agents are made when they are looked at (:class:`StaffAgents`): ``model.agents``, ``agents_by_type``,
``agent_types`` and ``model.agent(idx)`` first bring the agents into line with the staff in post (an agent
for each joiner, in staff order, and none for a leaver), so a run nobody inspects (a sweep, the national
run) creates and removes no Mesa agents at all. What is seen is the same as if each had been made on hire.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.agentset import AgentSet

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


class StaffAgents:
    """Mixin for the model: one :class:`StaffMember` per person in post, made when Mesa's agents are looked at.

    The weekly step changes only the staff arrays. Reading ``agents``, ``agents_by_type``, ``agent_types`` or
    ``agent(idx)`` first makes an agent for each person in post who has none (in staff order, the order of
    hire, since ids only grow) and removes the agent of each who left, through Mesa's own ``Agent()`` and
    ``remove()``. Creating and removing agents week by week cost a national run 3.5 ms a week (Mesa's
    per-agent registration); nothing in the step reads them."""

    staff: object  # StaffArrays, set by the model
    _agent_of: np.ndarray  # object array: the agent of each staff id, or None (the model starts it empty)

    def _sync_agents(self) -> None:
        """Bring Mesa's agents into line with the staff in post (see the class)."""
        n = self.staff.n
        if len(self._agent_of) < n:
            self._agent_of = np.concatenate([self._agent_of, np.full(n - len(self._agent_of), None, object)])
        agent_of = self._agent_of[:n]
        here = np.not_equal(agent_of, None)
        active = self.staff.active[:n]
        for i in np.flatnonzero(here & ~active).tolist():
            agent_of[i].remove()
            agent_of[i] = None
        for i in np.flatnonzero(active & ~here).tolist():
            agent_of[i] = StaffMember(self, i)

    @property
    def agents(self) -> AgentSet:
        """Mesa's AgentSet of every person in post (a :class:`StaffMember` each)."""
        self._sync_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type, AgentSet]:
        """Mesa's agents by type (here one type, :class:`StaffMember`)."""
        self._sync_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """The agent types in the model."""
        self._sync_agents()
        return super().agent_types

    def agent(self, idx: int) -> StaffMember | None:
        """The agent of staff id ``idx`` (None once they have left)."""
        self._sync_agents()
        return self._agent_of[idx] if 0 <= idx < len(self._agent_of) else None
