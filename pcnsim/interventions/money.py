"""Interventions on money (mechanisms 8 and 9, recruitment and money).

``london_weighting``
    A London weighting on ARRS reimbursement (E8: inner-London pharmacist cap GBP 76,313 against GBP
    65,838 nationally, +15.9%; outer London GBP 73,189, +11.2%; E26: three quarters of London clinical
    directors call its absence a recruitment barrier). Offered pay rises, so the pay gap to the London
    market narrows: intention to leave falls and vacancies fill faster. The London market premium is an
    uncertain input of its own (``london_premium``, E39), not these caps, so the weighting need not close
    the gap exactly. ``funded = true`` pays the
    uplift on top of the allocation (the intervention's cost is the extra reimbursement); ``funded =
    false`` raises the caps within the existing allocation, so fewer posts are affordable (no extra cost).
``flexible_role_mix``
    Networks may move money from roles they cannot recruit to roles they can: every week, a share
    ``rate`` of the excess vacancy of hard-to-fill roles moves to the roles that fill, so unspent
    allocation is spent on staff in post. No extra money (cost 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from pcnsim.interventions import _combine as C
from pcnsim.interventions.base import Intervention
from pcnsim.mechanisms.finance import WEEKS_PER_YEAR
from pcnsim.mechanisms.recruitment import in_post
from pcnsim.roles import NURSE
from pcnsim.schema import Number

if TYPE_CHECKING:
    from pcnsim.levers import Levers
    from pcnsim.model import PCNModel

INNER_LONDON_UPLIFT = 76_313 / 65_838 - 1  # E8, Oct 2024 pharmacist caps: 0.159
OUTER_LONDON_UPLIFT = 73_189 / 65_838 - 1  # E8: 0.112


class LondonWeighting(Intervention):
    """London weighting of ARRS reimbursement caps.

    Parameters
    ----------
    uplift : float
        Share added to every ARRS pay cap (default 0.159, inner London, E8; outer London is 0.112).
    funded : bool
        Pay the uplift on top of the allocation (default true; the cost is the extra reimbursement of
        the staff in post). If false the uplift comes out of the existing allocation (no extra cost,
        fewer posts affordable).
    london_only : bool
        Apply only to London networks (default true); ``networks`` narrows it further.
    """

    NETWORK_LEVEL: ClassVar[bool] = True
    type: Literal["london_weighting"] = "london_weighting"
    uplift: Number(0, 1, "share of the cap") = round(INNER_LONDON_UPLIFT, 3)
    funded: bool = True
    london_only: bool = True

    def networks_covered(self, model: PCNModel) -> np.ndarray:
        """Bool per network: targeted, and in London when ``london_only``."""
        nets = self.network_mask(model)
        if self.london_only:
            nets &= model.pop.net_london.astype(bool)
        return nets

    def apply(self, model: PCNModel, levers: Levers) -> None:
        nets = self.networks_covered(model)
        if not nets.any():
            return
        if not self.funded:
            C.max_network(levers, "reimbursement_uplift", nets, self.uplift)
            return
        C.max_network(levers, "funded_uplift", nets, self.uplift)
        s = model.staff
        mask = self.target(model) & nets[s.network[: s.n]]
        rows = np.flatnonzero(mask)
        if len(rows) and model.date >= model.params.arrs_start:
            net = s.network[rows]
            per_fte = model.going_pay()[net, s.role[rows]]  # the funded uplift is paid on the going rate (mechanism 9)
            paid = np.bincount(net, weights=s.fte[rows] * per_fte, minlength=model.n_networks)
            levers.charge(self.uplift * paid / WEEKS_PER_YEAR)


class FlexibleRoleMix(Intervention):
    """Flexible role mix: unspent money moves from roles that cannot be recruited to roles that can.

    Each active week, for each targeted network: planned FTE per role = allocation x planned share x
    mix / cost per FTE; vacancy ratio v = unfilled planned FTE / planned FTE; the network's money-weighted
    mean vacancy ratio is v_bar. Roles above v_bar give up ``rate`` x mix x (v - v_bar) of their share (never
    going below ``floor`` x their E5 share); roles below v_bar receive it in proportion to mix x (v_bar - v).
    The mix is kept per model and lasts while the intervention is active.

    Parameters
    ----------
    rate : float
        Speed of the move, per week (default 0.05; assumption: a network reviews its plan about monthly).
    floor : float
        Least share of a role, relative to its E5 share (default 0.25: no role is abandoned; assumption).
    """

    type: Literal["flexible_role_mix"] = "flexible_role_mix"
    rate: Number(0, 1, "per week") = 0.05
    floor: Number(0, 1, "share of the E5 share") = 0.25

    def _roles_mask(self, model: PCNModel) -> np.ndarray:
        m = model.roles.arrs.copy()
        if self.roles is not None:
            m &= np.isin(np.arange(model.roles.n), [model.roles.role_index(r, "roles") for r in self.roles])
        return m

    def current_mix(self, model: PCNModel) -> np.ndarray:
        """This model's planned shares (networks x roles)."""
        st = self.state(model)
        if "mix" not in st:
            st["mix"] = np.tile(model.roles.mix, (model.n_networks, 1)).astype(np.float64)
        return st["mix"]

    def apply(self, model: PCNModel, levers: Levers) -> None:
        mix = self.current_mix(model)
        nets = self.network_mask(model)
        if model.date >= model.params.arrs_start and nets.any():
            self._update(model, levers, mix, nets)
        levers.role_mix = mix.copy()

    def _update(self, model: PCNModel, levers: Levers, mix: np.ndarray, nets: np.ndarray) -> None:
        have, _ = in_post(model.staff, model.roles.arrs, NURSE, model.n_networks, model.n_practices)  # ARRS FTE
        planned = model.planned_fte(levers, mix=mix)  # the model's own plan for this mix (eligible roles only)
        movable = self._roles_mask(model)[None, :] & nets[:, None] & (planned > 0)
        vac = np.where(movable, np.clip(planned - have, 0.0, None) / np.maximum(planned, 1e-9), 0.0)
        w = np.where(movable, mix, 0.0)
        wsum = w.sum(axis=1, keepdims=True)
        vbar = np.where(wsum > 0, (w * vac).sum(axis=1, keepdims=True) / np.maximum(wsum, 1e-12), 0.0)
        base = np.broadcast_to(model.roles.mix, mix.shape)
        give = np.where(movable, self.rate * mix * np.maximum(vac - vbar, 0.0), 0.0)
        give = np.minimum(give, np.maximum(mix - self.floor * base, 0.0))
        room = np.where(movable, mix * np.maximum(vbar - vac, 0.0), 0.0)
        rsum = room.sum(axis=1, keepdims=True)
        ok = rsum > 0
        give = np.where(ok, give, 0.0)
        mix -= give
        mix += np.where(ok, give.sum(axis=1, keepdims=True) * room / np.maximum(rsum, 1e-12), 0.0)
