"""Levers: what interventions set for one week.

The model builds a fresh :class:`Levers` every week, hands it to each active intervention (which may
tighten or loosen a lever), and the mechanisms read it. Nothing here persists, and no intervention edits
the model's parameters or the leaving probability: an intervention acts only through these levers, which
feed the mechanisms (presence, contact, support, workload, recruitment, money). ``None`` means neutral.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


class Mixing(NamedTuple):
    """One intervention's mixing encounters this week: expected network-wide encounters per staff row
    (``contacts``), the chance that one is within one's own profession (``homophily``) and its tie gain
    relative to an ordinary encounter (``gain``). Each batch is drawn and applied on its own, so two
    interventions never share (or average) their homophily or gain, and one acting in one network does not
    touch the encounters of another."""

    contacts: np.ndarray
    homophily: float
    gain: float


@dataclass
class Levers:
    """This week's levers, all neutral when built; interventions set them, the mechanisms read them.

    A per-staff lever is an array over the rows of the staff arrays, a per-network lever one value per
    network; ``None`` is neutral (the mechanism behaves as without any intervention). Set them through
    :meth:`staff` and :meth:`network` (and ``pcnsim.interventions._combine``, which says how two
    interventions on one lever combine).
    """

    n_staff: int  #: rows of the staff arrays (per-staff levers have this length)
    n_networks: int  #: networks (per-network levers have this length)
    n_roles: int  #: roles of the catalogue
    # presence
    remote_floor: np.ndarray | None = None  #: per staff, share of week (NaN: none)
    remote_cap: np.ndarray | None = None  #: per staff, share of week (NaN: none)
    split_cap: np.ndarray | None = None  #: per staff, max practices worked at (0: no cap)
    force_base: np.ndarray | None = None  #: per staff, bool: has a base practice
    # contact across practices and professions (vaccination hubs, team days): one batch per intervention
    mixing: list[Mixing] = field(default_factory=list)  #: mixing encounters, one batch per intervention
    # support and workload
    protected_hours: np.ndarray | None = None  #: per staff, guaranteed supervision hours this week
    peer_bonus: np.ndarray | None = None  #: per staff, peer-support tie strength from outside the network
    extra_load: np.ndarray | None = None  #: per staff, extra workload (share)
    discrepancy_cut: np.ndarray | None = None  #: per staff, 0-1 cut of the job-discrepancy target
    hours_away: np.ndarray | None = None  #: per staff, hours this week spent on interventions, not on patients
    # network-level
    vision_gain: np.ndarray | None = None  #: per network, weekly rise of shared vision (towards 1)
    clarity_gain: np.ndarray | None = None  #: per network, weekly rise of role clarity (towards 1)
    reimbursement_uplift: np.ndarray | None = None  #: per network, share added to pay caps (London weighting)
    #: per network, pay uplift paid outside the ARRS allocation (raises offered pay, not the cost of a post to
    #: the allocation)
    funded_uplift: np.ndarray | None = None
    role_mix: np.ndarray | None = None  #: per network x role, planned shares of ARRS money (rows sum to 1)
    recruit_factor: np.ndarray | None = None  #: per network, multiplier of the ARRS fill chance (vaccination work)
    # bookkeeping, per network (so that the networks of one model may be separate runs: pcnsim.pack)
    cost_net: np.ndarray | None = None  #: per network, GBP spent on interventions this week
    sessions_net: np.ndarray | None = None  #: per network, GP sessions used by interventions (besides supervision)

    def __post_init__(self) -> None:
        if self.cost_net is None:
            self.cost_net = np.zeros(self.n_networks)
        if self.sessions_net is None:
            self.sessions_net = np.zeros(self.n_networks)

    @property
    def cost(self) -> float:
        """GBP spent on interventions this week, over every network."""
        return float(self.cost_net.sum())

    @property
    def gp_sessions(self) -> float:
        """GP sessions used by interventions this week (besides supervision), over every network."""
        return float(self.sessions_net.sum())

    def charge(self, cost: np.ndarray | None = None, gp_sessions: np.ndarray | None = None) -> None:
        """Add an intervention's cost this week (GBP per network) and the GP sessions it uses (per network)."""
        if cost is not None:
            self.cost_net += cost
        if gp_sessions is not None:
            self.sessions_net += gp_sessions

    @property
    def mixing_contacts(self) -> np.ndarray | None:
        """Per staff, expected mixing encounters this week over every batch (None: no mixing)."""
        if not self.mixing:
            return None
        return np.sum([b.contacts for b in self.mixing], axis=0)

    def staff(self, name: str, fill: float | bool = 0.0, dtype: type = np.float32) -> np.ndarray:
        """The per-staff lever ``name``, created with ``fill`` if still neutral."""
        arr = getattr(self, name)
        if arr is None:
            arr = np.full(self.n_staff, fill, dtype=dtype)
            setattr(self, name, arr)
        return arr

    def network(self, name: str, fill: float = 0.0) -> np.ndarray:
        """The per-network lever ``name``, created (one value per network, ``fill``) if no one set it yet."""
        arr = getattr(self, name)
        if arr is None:
            arr = np.full(self.n_networks, fill, dtype=np.float64)
            setattr(self, name, arr)
        return arr
