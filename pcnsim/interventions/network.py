"""Organisational development support for networks (network state: shared vision and role clarity).

``organisational_development``
    Facilitated development raises a network's shared vision and its understanding of what each role
    can offer (role clarity) over months (E24, E27; rates are assumptions). Vision feeds belonging
    (mechanism 3); clarity lowers the job discrepancy of every ARRS role (E12). Without upkeep both fade
    back towards the network's starting level (``network_fade``, an assumption), so a programme's gains
    last for a year or two after it ends, not for ever.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pcnsim.interventions import _combine as C
from pcnsim.interventions.base import Intervention
from pcnsim.schema import Number

if TYPE_CHECKING:
    from pcnsim.levers import Levers
    from pcnsim.model import PCNModel


class OrganisationalDevelopment(Intervention):
    """Organisational development support.

    Parameters
    ----------
    vision_rate : float
        Share of the remaining gap to full shared vision closed each week (default 0.01: from 0.3 to
        about 0.58 in a year; assumption).
    clarity_rate : float
        The same for role clarity (default 0.01; assumption).
    cost_per_network_year : float
        GBP a network-year (default 20,000; assumption: about 20 days of an external facilitator at
        GBP 1,000 a day, with materials).
    """

    NETWORK_LEVEL: ClassVar[bool] = True
    type: Literal["organisational_development"] = "organisational_development"
    vision_rate: Number(0, 0.5, "per week") = 0.01
    clarity_rate: Number(0, 0.5, "per week") = 0.01
    cost_per_network_year: Number(0, 1e7, "GBP a network-year") = 20_000.0

    def apply(self, model: PCNModel, levers: Levers) -> None:
        nets = self.network_mask(model)
        if not nets.any():
            return
        C.add_network(levers, "vision_gain", nets, self.vision_rate)
        C.add_network(levers, "clarity_gain", nets, self.clarity_rate)
        levers.charge(self.cost_per_network_year / 52.18 * nets)
