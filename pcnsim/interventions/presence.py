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

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import model_validator

from pcnsim.interventions import _combine as C
from pcnsim.interventions.base import Intervention
from pcnsim.interventions.costs import by_network
from pcnsim.schema import Number, Whole, fail

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

    type: Literal["base_practice"] = "base_practice"
    max_practices: Whole(1, 33, "practices") = 2
    base: bool = True
    cost_per_person_week: Number(0, 1e4, "GBP a person-week") = 5.0

    def apply(self, model: PCNModel, levers: Levers) -> None:
        mask = self.target(model)
        if not mask.any():
            return
        cap = levers.staff("split_cap", fill=0, dtype=np.int32)
        cur = cap[mask]
        cap[mask] = np.where(cur > 0, np.minimum(cur, self.max_practices), self.max_practices)
        if self.base:
            levers.staff("force_base", fill=False, dtype=bool)[mask] = True
        levers.charge(self.cost_per_person_week * by_network(model, mask))


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

    type: Literal["remote_policy"] = "remote_policy"
    cap: Number(0, 1, "share of the week") | None = None
    floor: Number(0, 1, "share of the week") | None = None
    cost_per_person_week: Number(0, 1e4, "GBP a person-week") = 0.0

    @model_validator(mode="after")
    def _cap_or_floor(self) -> RemotePolicy:
        if self.cap is None and self.floor is None:
            raise fail("cap", f"intervention {self.kind!r}: give a 'cap' or a 'floor' (a share of the week, 0 to 1), "
                              "or both")
        if self.cap is not None and self.floor is not None and self.floor > self.cap:
            raise fail("floor", f"'floor' ({self.floor:g}) must not exceed 'cap' ({self.cap:g})")
        return self

    def apply(self, model: PCNModel, levers: Levers) -> None:
        mask = self.target(model)
        if not mask.any():
            return
        if self.cap is not None:
            C.min_staff(levers, "remote_cap", mask, self.cap)
        if self.floor is not None:
            C.max_staff(levers, "remote_floor", mask, self.floor)
        levers.charge(self.cost_per_person_week * by_network(model, mask))
