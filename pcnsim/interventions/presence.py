"""Interventions on where and how people work (mechanism 1, presence).

``base_practice``
    Consolidate each person's sessions to at most ``max_practices`` practices, one of them a base (E19:
    "ideally two, with one serving as a base"). Acts on the practice split and the base flag; belonging
    rises with fewer practices and a base, and on-site encounters concentrate (mechanisms 2-3).
``remote_policy``
    A cap and/or a floor on the share of the week worked remotely (E20, E21). It acts on top of the
    pandemic, which is a parameter window (``pandemic_start`` to ``pandemic_end``) that raises the remote
    share; a cap below ``heavy_remote_threshold`` avoids the erosion of ties, a floor buys flexibility.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pcnsim.errors import PCNSimInputError
from pcnsim.interventions import _combine as C
from pcnsim.interventions.base import Intervention, check_bool, check_number

if TYPE_CHECKING:
    from pcnsim.levers import Levers
    from pcnsim.model import PCNModel


class BasePractice(Intervention):
    """A base practice: sessions split across at most ``max_practices`` practices, one as a base.

    Parameters
    ----------
    max_practices : int
        Most practices a person works at (default 2, E19).
    base : bool
        Give everyone targeted a base practice (default true, E19).
    cost_per_person_week : float
        GBP a person-week (default 5; assumption: a practice manager's rota and desk-space admin, about
        15 minutes a week at GBP 20 an hour; E18 warns that space is short).
    """

    kind = "base_practice"
    FIELDS = ("max_practices", "base", "cost_per_person_week")

    def __init__(self, *, max_practices: int = 2, base: bool = True, cost_per_person_week: float = 5.0, **common: Any) -> None:
        super().__init__(**common)
        k = self.kind
        self.max_practices = check_number(k, "max_practices", max_practices, 1, 33, integer=True)
        self.base = check_bool(k, "base", base)
        self.cost_per_person_week = check_number(k, "cost_per_person_week", cost_per_person_week, 0, 1e4)

    def apply(self, model: PCNModel, levers: Levers) -> None:
        mask = self.target(model)
        if not mask.any():
            return
        cap = levers.staff("split_cap", fill=0, dtype=np.int32)
        cur = cap[mask]
        cap[mask] = np.where(cur > 0, np.minimum(cur, self.max_practices), self.max_practices)
        if self.base:
            levers.staff("force_base", fill=False, dtype=bool)[mask] = True
        levers.cost += self.cost_per_person_week * float(mask.sum())


class RemotePolicy(Intervention):
    """A remote-working policy: a ``cap`` and/or a ``floor`` on the share of the week worked remotely.

    Parameters
    ----------
    cap : float, optional
        Most of the week a person may work remotely (0-1; e.g. 0.4 = 2 days of 5).
    floor : float, optional
        Share of the week each person may work remotely at least, where the role allows it (0-1).
    cost_per_person_week : float
        GBP a person-week (default 0: a policy, no direct cost; assumption).
    """

    kind = "remote_policy"
    FIELDS = ("cap", "floor", "cost_per_person_week")

    def __init__(self, *, cap: float | None = None, floor: float | None = None, cost_per_person_week: float = 0.0,
                 **common: Any) -> None:
        super().__init__(**common)
        k = self.kind
        if cap is None and floor is None:
            raise PCNSimInputError(f"intervention {k!r}: give a 'cap' or a 'floor' (a share of the week, 0 to 1), or both", field="cap")
        self.cap = None if cap is None else check_number(k, "cap", cap, 0, 1)
        self.floor = None if floor is None else check_number(k, "floor", floor, 0, 1)
        if self.cap is not None and self.floor is not None and self.floor > self.cap:
            raise PCNSimInputError(f"intervention {k!r}: 'floor' ({self.floor:g}) must not exceed 'cap' ({self.cap:g})", field="floor")
        self.cost_per_person_week = check_number(k, "cost_per_person_week", cost_per_person_week, 0, 1e4)

    def apply(self, model: PCNModel, levers: Levers) -> None:
        mask = self.target(model)
        if not mask.any():
            return
        if self.cap is not None:
            C.min_staff(levers, "remote_cap", mask, self.cap)
        if self.floor is not None:
            C.max_staff(levers, "remote_floor", mask, self.floor)
        levers.cost += self.cost_per_person_week * float(mask.sum())
