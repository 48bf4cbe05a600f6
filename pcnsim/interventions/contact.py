"""Interventions that bring staff together across practices and professions (mechanism 2, contact and ties).

``shared_vaccination``
    Joint clinics at a hub, as in the COVID-19 vaccination programme (E24): every week, participants
    work ``hours`` at the hub and meet ``contacts`` colleagues from anywhere in the network, with weak
    professional silos (``homophily``); the hours add to their workload (extra load, mechanism 5), and
    while it runs the network recruits more slowly (``recruit_factor``, E24). The programme of 2020-22 runs
    in the default scenario as history (the ``vaccination_programme`` parameter).
``team_days``
    In-person whole-network team days every ``every_weeks`` weeks (E21: face-to-face contact lowers
    professional isolation): a burst of mixing encounters, no extra workload (the day replaces work).

Both cost the participants' time (GBP, :mod:`pcnsim.interventions.costs`; GPs' time also in GP sessions,
which cost appointments), plus any site or event costs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from pcnsim.interventions import _combine as C
from pcnsim.interventions.base import Intervention
from pcnsim.interventions.costs import HOURS_PER_FTE_WEEK, by_network, staff_time
from pcnsim.schema import Number, Whole

GOLDEN = 0.6180339887498949  # spreads people evenly over the rota

if TYPE_CHECKING:
    from pcnsim.levers import Levers
    from pcnsim.model import PCNModel


class _Mixing(Intervention):
    """Shared pieces: who takes part (ARRS staff, plus GPs and nurses if ``include_core``) and the cost
    (subclasses declare ``include_core`` and ``cost_per_hour``)."""

    def participants(self, model: PCNModel) -> np.ndarray:
        if self.roles is not None or not self.include_core:
            return self.target(model)
        s = model.staff
        mask = s.active[: s.n].copy()
        if self.networks is not None:
            mask &= np.isin(s.network[: s.n], self.networks)
        return mask

    def _time_cost(self, model: PCNModel, levers: Levers, mask: np.ndarray, hours: float) -> None:
        cost, sessions = staff_time(model, mask, hours, levers, priced=self.cost_per_hour is None)
        if self.cost_per_hour is not None:  # (a rate per participant-hour instead of each one's employment cost)
            cost = self.cost_per_hour * hours * by_network(model, mask)
        levers.charge(cost, sessions)


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
        person ``i`` (the order of arrival in their network) takes part in week ``w`` when
        frac(0.618 i + participation w) < participation.
    include_core : bool
        GPs and practice nurses take part too (default true); ignored when ``roles`` is given.
    cost_per_hour : float, optional
        GBP per participant-hour; default: each participant's employment cost (staff time). The real
        programme was paid by item-of-service fees per dose (not modelled): set 0 to price the work as
        fee-funded.
    site_cost : float
        GBP per network-week for the hub (default 0: the vaccination programme's item-of-service fees
        paid for sites; assumption).
    recruit_factor : float, optional
        Multiplier of the ARRS fill chance of every network running the clinics, while they run (E24:
        the programme took managers' and clinical directors' time). Default: the model's
        ``vaccination_recruit_factor`` (calibrated on the programme of 2020-22, so it fits work on that
        scale); 1 for work too small to slow recruitment.
    """

    type: Literal["shared_vaccination"] = "shared_vaccination"
    hours: Number(0, 40, "hours a week") = 3.5
    contacts: Number(0, 100, "encounters a week") = 4.0
    homophily: Number(0, 1, "probability") = 0.1
    gain: Number(0, 10, "ratio") = 1.0
    workload: Number(0, 1, "share") = 1.0
    participation: Number(0, 1, "share of weeks") = 0.5
    include_core: bool = True
    cost_per_hour: Number(0, 1000, "GBP a participant-hour") | None = None
    site_cost: Number(0, 1e6, "GBP a network-week") = 0.0
    recruit_factor: Number(0, 1, "multiplier") | None = None

    def on_rota(self, model: PCNModel) -> np.ndarray:
        """Bool per staff row: at the hub this week (a deterministic rota, see ``participation``)."""
        i = model.staff.ordinal[: model.staff.n].astype(np.float64)  # the network's own numbering
        x = i * GOLDEN + self.participation * model.week
        # frac(x) = x - floor(x) for x >= 0, exactly as np.mod(x, 1.0) (both exact), at a fraction of its time
        return x - np.floor(x) < self.participation

    def apply(self, model: PCNModel, levers: Levers) -> None:
        factor = model.netp.vaccination_recruit_factor if self.recruit_factor is None else self.recruit_factor
        factor = np.broadcast_to(np.asarray(factor, np.float64), (model.n_networks,))  # per network
        slow = self.network_mask(model) & (factor < 1.0)
        if slow.any():
            C.min_network(levers, "recruit_factor", slow, factor[slow])
        mask = self.participants(model) & self.on_rota(model)
        if not mask.any():
            return
        C.add_mixing(levers, mask, self.contacts, self.homophily, self.gain)
        if self.workload > 0 and self.hours > 0:
            fte = np.maximum(model.staff.fte[: model.staff.n], 0.1)
            C.add_staff(levers, "extra_load", mask, self.workload * self.hours / (HOURS_PER_FTE_WEEK * fte))
        self._time_cost(model, levers, mask, self.hours)
        levers.charge(self.site_cost * self.network_mask(model))


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

    type: Literal["team_days"] = "team_days"
    every_weeks: Whole(1, 520, "weeks") = 13
    hours: Number(0, 15, "hours") = 7.5
    contacts: Number(0, 200, "encounters") = 15.0
    homophily: Number(0, 1, "probability") = 0.0
    gain: Number(0, 10, "ratio") = 1.0
    include_core: bool = True
    cost_per_hour: Number(0, 1000, "GBP an attendee-hour") | None = None
    event_cost: Number(0, 1e6, "GBP a network per team day") = 1000.0

    def is_team_day(self, model: PCNModel) -> bool:
        """True in the week of a team day: every ``every_weeks`` weeks from the first active week."""
        return (model.week - self.start_week(model)) % self.every_weeks == 0

    def apply(self, model: PCNModel, levers: Levers) -> None:
        if not self.is_team_day(model):
            return
        mask = self.participants(model)
        if not mask.any():
            return
        C.add_mixing(levers, mask, self.contacts, self.homophily, self.gain)
        self._time_cost(model, levers, mask, self.hours)
        levers.charge(self.event_cost * self.network_mask(model))
