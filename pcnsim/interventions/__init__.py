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

Each is a strict pydantic model; :data:`InterventionTable` is their union keyed by ``type`` (the schema of
one ``[[interventions]]`` table, printed by ``pcnsim schema intervention``).
"""

from functools import cache
from typing import Annotated, Any, Union

from pydantic import TypeAdapter

from pcnsim.interventions.base import REGISTRY, Intervention, from_config, from_dict
from pcnsim.interventions.contact import SharedVaccination, TeamDays
from pcnsim.interventions.money import FlexibleRoleMix, LondonWeighting
from pcnsim.interventions.network import OrganisationalDevelopment
from pcnsim.interventions.presence import BasePractice, RemotePolicy
from pcnsim.interventions.support import PeerSupport, ProtectedSupervision, RoleClarity


def _union() -> Any:
    from pydantic import Tag

    from pcnsim.schema import union_tag

    members = tuple(Annotated[cls, Tag(kind)] for kind, cls in sorted(REGISTRY.items()))
    return Annotated[Union[members], union_tag("type", sorted(REGISTRY), noun="intervention types")]  # noqa: UP007 - built from a tuple


#: One ``[[interventions]]`` table: the union of every registered intervention, keyed by ``type``.
InterventionTable = _union()


@cache
def table_adapter() -> TypeAdapter[Any]:
    """Validates one intervention table (or passes an :class:`Intervention` through)."""
    return TypeAdapter(InterventionTable)


@cache
def list_adapter() -> TypeAdapter[Any]:
    """Validates an array of intervention tables."""
    return TypeAdapter(list[InterventionTable])


__all__ = [
    "REGISTRY", "InterventionTable", "BasePractice", "FlexibleRoleMix", "Intervention", "LondonWeighting", "OrganisationalDevelopment",
    "PeerSupport", "ProtectedSupervision", "RemotePolicy", "RoleClarity", "SharedVaccination", "TeamDays",
    "from_config", "from_dict",
]
