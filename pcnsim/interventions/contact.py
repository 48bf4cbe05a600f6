"""Interventions that bring staff together across practices and professions (mechanism 2, contact and ties).

``shared_vaccination``
    Joint clinics at a hub, as in the COVID-19 vaccination programme (E24): every week, participants
    work ``hours`` at the hub and meet ``contacts`` colleagues from anywhere in the network, with weak
    professional silos (``homophily``); the hours add to their workload (extra load, mechanism 5).
``team_days``
    In-person whole-network team days every ``every_weeks`` weeks (E21: face-to-face contact lowers
    professional isolation): a burst of mixing encounters, no extra workload (the day replaces work).

Both cost the participants' time (GBP, :mod:`pcnsim.interventions.costs`; GPs' time also in GP sessions,
which cost appointments), plus any site or event costs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pcnsim.interventions import _combine as C
from pcnsim.interventions.base import Intervention, check_bool, check_number
from pcnsim.interventions.costs import HOURS_PER_FTE_WEEK, staff_time

GOLDEN = 0.6180339887498949  # spreads people evenly over the rota

if TYPE_CHECKING:
    from pcnsim.levers import Levers
    from pcnsim.model import PCNModel


class _Mixing(Intervention):
    """Shared pieces: who takes part (ARRS staff, plus GPs and nurses if ``include_core``) and the cost."""

    include_core: bool
    cost_per_hour: float | None

    def participants(self, model: PCNModel) -> np.ndarray:
        if self.roles is not None or not self.include_core:
            return self.target(model)
        s = model.staff
        mask = s.active[: s.n].copy()
        if self.networks is not None:
            mask &= np.isin(s.network[: s.n], self.networks)
        return mask

    def _time_cost(self, model: PCNModel, levers: Levers, mask: np.ndarray, hours: float) -> None:
        cost, sessions = staff_time(model, mask, hours)
        if self.cost_per_hour is not None:
            cost = self.cost_per_hour * hours * float(mask.sum())
        levers.cost += cost
        levers.gp_sessions += sessions


class SharedVaccination(_Mixing):
    """Shared vaccination-style work: weekly joint clinics at a hub that mix practices and professions.

    Parameters
    ----------
    hours : float
        Hours a week each participant works at the hub (default 3.5, one session; assumption).
    contacts : float
        Expected encounters a week with colleagues from across the network at the hub (default 4;
        assumption, about half the on-site encounters of a normal week).
    homophily : float
        Chance that a hub encounter is within one's own profession (default 0.1: joint work breaks
        silos, E24; assumption).
    gain : float
        Tie gain of a hub encounter relative to an ordinary one (default 1).
    workload : float
        Share of the hours that is extra work on top of the normal job (default 1: all of it, DESIGN
        "with extra workload"); extra load = workload x hours / (37.5 x FTE).
    participation : float
        Share of weeks each eligible person works at the hub (default 0.5: every other week on a rota;
        assumption). The rota is deterministic (no random draws, so common random numbers are kept):
        person ``i`` takes part in week ``w`` when frac(0.618 i + participation w) < participation.
    include_core : bool
        GPs and practice nurses take part too (default true); ignored when ``roles`` is given.
    cost_per_hour : float, optional
        GBP per participant-hour; default: each participant's employment cost (staff time). The real
        programme was paid by item-of-service fees per dose (not modelled): set 0 to price the work as
        fee-funded.
    site_cost : float
        GBP per network-week for the hub (default 0: the vaccination programme's item-of-service fees
        paid for sites; assumption).
    """

    kind = "shared_vaccination"
    FIELDS = ("hours", "contacts", "homophily", "gain", "workload", "participation", "include_core", "cost_per_hour",
              "site_cost")

    def __init__(self, *, hours: float = 3.5, contacts: float = 4.0, homophily: float = 0.1, gain: float = 1.0,
                 workload: float = 1.0, participation: float = 0.5, include_core: bool = True,
                 cost_per_hour: float | None = None, site_cost: float = 0.0, **common: Any) -> None:
        super().__init__(**common)
        k = self.kind
        self.hours = check_number(k, "hours", hours, 0, 40)
        self.contacts = check_number(k, "contacts", contacts, 0, 100)
        self.homophily = check_number(k, "homophily", homophily, 0, 1)
        self.gain = check_number(k, "gain", gain, 0, 10)
        self.workload = check_number(k, "workload", workload, 0, 1)
        self.participation = check_number(k, "participation", participation, 0, 1)
        self.include_core = check_bool(k, "include_core", include_core)
        self.cost_per_hour = None if cost_per_hour is None else check_number(k, "cost_per_hour", cost_per_hour, 0, 1000)
        self.site_cost = check_number(k, "site_cost", site_cost, 0, 1e6)

    def on_rota(self, model: PCNModel) -> np.ndarray:
        """Bool per staff row: at the hub this week (a deterministic rota, see ``participation``)."""
        i = np.arange(model.staff.n, dtype=np.float64)
        return np.mod(i * GOLDEN + self.participation * model.week, 1.0) < self.participation

    def apply(self, model: PCNModel, levers: Levers) -> None:
        mask = self.participants(model) & self.on_rota(model)
        if not mask.any():
            return
        C.add_mixing(levers, mask, self.contacts, self.homophily, self.gain)
        if self.workload > 0 and self.hours > 0:
            fte = np.maximum(model.staff.fte[: model.staff.n], 0.1)
            C.add_staff(levers, "extra_load", mask, self.workload * self.hours / (HOURS_PER_FTE_WEEK * fte))
        self._time_cost(model, levers, mask, self.hours)
        levers.cost += self.site_cost * float(self.network_mask(model).sum())


class TeamDays(_Mixing):
    """In-person whole-network team days every ``every_weeks`` weeks.

    Parameters
    ----------
    every_weeks : int
        Weeks between team days, counted from the first active week (default 13: quarterly).
    hours : float
        Length of a team day (default 7.5 hours).
    contacts : float
        Expected encounters per attendee on the day (default 15; assumption).
    homophily : float
        Chance an encounter is within one's own profession (default 0: mixed tables; assumption).
    gain : float
        Tie gain of an encounter relative to an ordinary one (default 1).
    include_core : bool
        GPs and practice nurses attend too (default true); ignored when ``roles`` is given.
    cost_per_hour : float, optional
        GBP per attendee-hour; default: each attendee's employment cost (staff time).
    event_cost : float
        GBP per network per team day for a venue and facilitation (default 1,000; assumption).
    """

    kind = "team_days"
    FIELDS = ("every_weeks", "hours", "contacts", "homophily", "gain", "include_core", "cost_per_hour", "event_cost")

    def __init__(self, *, every_weeks: int = 13, hours: float = 7.5, contacts: float = 15.0, homophily: float = 0.0,
                 gain: float = 1.0, include_core: bool = True, cost_per_hour: float | None = None,
                 event_cost: float = 1000.0, **common: Any) -> None:
        super().__init__(**common)
        k = self.kind
        self.every_weeks = check_number(k, "every_weeks", every_weeks, 1, 520, integer=True)
        self.hours = check_number(k, "hours", hours, 0, 15)
        self.contacts = check_number(k, "contacts", contacts, 0, 200)
        self.homophily = check_number(k, "homophily", homophily, 0, 1)
        self.gain = check_number(k, "gain", gain, 0, 10)
        self.include_core = check_bool(k, "include_core", include_core)
        self.cost_per_hour = None if cost_per_hour is None else check_number(k, "cost_per_hour", cost_per_hour, 0, 1000)
        self.event_cost = check_number(k, "event_cost", event_cost, 0, 1e6)

    def is_team_day(self, model: PCNModel) -> bool:
        return (model.week - self.start_week(model)) % self.every_weeks == 0

    def apply(self, model: PCNModel, levers: Levers) -> None:
        if not self.is_team_day(model):
            return
        mask = self.participants(model)
        if not mask.any():
            return
        C.add_mixing(levers, mask, self.contacts, self.homophily, self.gain)
        self._time_cost(model, levers, mask, self.hours)
        levers.cost += self.event_cost * float(self.network_mask(model).sum())
