"""Interventions: time-windowed policies that act through the weekly levers.

See :mod:`pcnsim.interventions.base` for the contract and ``docs/interventions.md`` for each
intervention's mechanism, evidence and cost. Concrete interventions register themselves by ``kind`` so
that scenario files can name them:

==============================  =============================================================
kind                            class
==============================  =============================================================
``shared_vaccination``          :class:`~pcnsim.interventions.contact.SharedVaccination`
``team_days``                   :class:`~pcnsim.interventions.contact.TeamDays`
``protected_supervision``       :class:`~pcnsim.interventions.support.ProtectedSupervision`
``peer_support``                :class:`~pcnsim.interventions.support.PeerSupport`
``role_clarity``                :class:`~pcnsim.interventions.support.RoleClarity`
``base_practice``               :class:`~pcnsim.interventions.presence.BasePractice`
``remote_policy``               :class:`~pcnsim.interventions.presence.RemotePolicy`
``organisational_development``  :class:`~pcnsim.interventions.network.OrganisationalDevelopment`
``london_weighting``            :class:`~pcnsim.interventions.money.LondonWeighting`
``flexible_role_mix``           :class:`~pcnsim.interventions.money.FlexibleRoleMix`
==============================  =============================================================
"""

from pcnsim.interventions.base import REGISTRY, Intervention, from_config, from_dict
from pcnsim.interventions.contact import SharedVaccination, TeamDays
from pcnsim.interventions.money import FlexibleRoleMix, LondonWeighting
from pcnsim.interventions.network import OrganisationalDevelopment
from pcnsim.interventions.presence import BasePractice, RemotePolicy
from pcnsim.interventions.support import PeerSupport, ProtectedSupervision, RoleClarity

__all__ = [
    "REGISTRY", "BasePractice", "FlexibleRoleMix", "Intervention", "LondonWeighting", "OrganisationalDevelopment",
    "PeerSupport", "ProtectedSupervision", "RemotePolicy", "RoleClarity", "SharedVaccination", "TeamDays",
    "from_config", "from_dict",
]
