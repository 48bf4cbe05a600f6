"""The role catalogue: every profession in the model, core and ARRS.

The catalogue is data shipped with the package, ``pcnsim/data/roles.toml``, validated on load
(:mod:`pcnsim.roles.catalogue`); each figure names its evidence row in the role's ``sources`` table (rows of
:mod:`pcnsim.evidence`, or *assumption*). The catalogue is data, not parameters: :mod:`pcnsim.params` holds
the scalar knobs that scale it (supply, supervision demand, pay growth), so sensitivity analysis acts on a
handful of well-defined multipliers. A scenario may change fields of roles and add roles (``[roles.<key>]``
tables, :func:`pcnsim.roles.catalogue.with_overrides`); added roles come after the shipped ones, so the
shipped roles keep their indices. The module constants below (:data:`ROLES`, :data:`ROLE_KEYS`,
:data:`ROLE_INDEX`, :data:`N_ROLES`) describe the shipped catalogue; a model's own catalogue, with any added
roles, is its :class:`RoleArrays` (``model.roles``: ``n``, ``keys``, ``index``, ``labels``, ``colours``).

Columns
-------
arrs
    Funded by the Additional Roles Reimbursement Scheme (reimbursed up to ``pay_cap``).
mix
    Share of ARRS FTE in the role, from E5 (FTE by role, March 2023; advanced pharmacists counted
    with pharmacists, trainee and qualified nursing associates together): ``fte_weight`` over the total of
    the roles eligible on the catalogue's ``mix_date``. Roles added later (ARRS GPs, E30; practice nurses,
    assumption) are weighed on the same scale, so the shares of all ARRS roles add up to a little more than
    1; networks plan posts in this mix renormalised over the roles eligible on the day. A role may give
    ``mix_share`` instead of ``fte_weight``: its share of the plan once every ARRS role is eligible, the
    others scaled to make room (:meth:`pcnsim.roles.catalogue.CatalogueFile.weights`).
pay_cap
    Reimbursable maximum per FTE-year including on-costs, 2023/24 (E8); ``pay_cap_from`` gives later caps
    by financial year (E30 for ARRS GPs). Roles E8 does not list use the cap of the closest band: assumption.
market_premium
    How far the market salary sits above the cap outside London: pharmacists 5% (E10: 55% of PCNs pay
    more than 5% above the cap); others 0 (assumption).
supervision_need
    GP clinical supervision needed, hours per FTE-week (assumption, informed by E11 and E17).
supply
    Relative ease of recruiting: 1 is an ordinary role; lower is harder (E25: pharmacists difficult for
    42% of PCNs, mental health practitioners difficult for 42%; others assumption).
labour_pool
    The core role whose labour market an ARRS role shares (ARRS GPs: GPs; ARRS practice nurses: practice
    nurses): a network hiring one takes a candidate its core recruitment would otherwise see that week
    (E34: practices replacing ARRS staff with GPs; see ``PCNModel._share_labour``).
remote_capable
    Share of a role's work that can be done from home (assumption: non-hands-on roles 1, hands-on 0.3).
appointments
    Patient contacts per FTE-week when fully productive (assumption).
discrepancy
    Baseline job discrepancy (share of time on work other than the role) in a network with no role
    clarity; personalised-care roles are most exposed (E12, E27; size assumption).
notice_weeks
    Notice period in weeks (assumption: 4 for Agenda for Change bands 4-7, 8 for nurses, 12 for GPs).
mean_fte
    Mean FTE per person (E6 for GPs 0.75 and nurses 0.73; ARRS GPs 0.57, E30; other ARRS 0.85 assumption).
eligible_from
    First day an ARRS role is reimbursable: the scheme's roles from July 2019 to April 2021 (assumption,
    after the Network Contract DES specifications; no row of the evidence table), ARRS GPs from 1 October
    2024 (E30), practice nurses from April 2025 (E31). Networks plan posts only in eligible roles.
cap_fte, term_limit_weeks
    Most FTE a network may claim for in the role, and the longest ARRS-funded post, until the policy
    calendar (:mod:`pcnsim.policy`) removes them (ARRS GPs' two-year limit, removed April 2026: E32).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from pcnsim.roles.catalogue import CatalogueFile, shipped


@dataclass(frozen=True)
class Role:
    """One profession: a row of the role catalogue (its columns and their units are in the module docstring)."""

    key: str
    label: str
    arrs: bool
    mix: float
    pay_cap: float
    market_premium: float
    supervision_need: float
    supply: float
    remote_capable: float
    appointments: float
    discrepancy: float
    notice_weeks: int
    mean_fte: float
    colour: str
    labour_pool: str | None = None
    eligible_from: dt.date | None = None
    cap_fte: float | None = None
    term_limit_weeks: int | None = None


def roles_of(cat: CatalogueFile) -> tuple[Role, ...]:
    """The :class:`Role` rows of a validated catalogue, in index order."""
    mix = cat.mix()
    names = {f.name for f in fields(Role)} - {"mix"}
    return tuple(Role(mix=mix[r.key], **{k: getattr(r, k) for k in names}) for r in cat.role)


ROLES: tuple[Role, ...] = roles_of(shipped())  #: The shipped catalogue's roles, in index order.
ROLE_KEYS: tuple[str, ...] = tuple(r.key for r in ROLES)  #: The roles' keys, in catalogue order.
ROLE_INDEX: dict[str, int] = {k: i for i, k in enumerate(ROLE_KEYS)}  #: Role key -> index.
N_ROLES = len(ROLES)  #: Number of roles in the shipped catalogue (a model's own: ``model.roles.n``).
GP = ROLE_INDEX["gp"]
NURSE = ROLE_INDEX["practice_nurse"]
CORE_ROLES = (GP, NURSE)

#: When each ARRS role became reimbursable (the catalogue's ``eligible_from``; see the module docstring).
ELIGIBLE_FROM: dict[str, dt.date] = {r.key: r.eligible_from for r in ROLES if r.arrs}


def role_table(catalogue: CatalogueFile | None = None) -> pd.DataFrame:
    """The catalogue (default the shipped one) as a DataFrame, one row per role."""
    roles = ROLES if catalogue is None else roles_of(catalogue)
    return pd.DataFrame([{f.name: getattr(r, f.name) for f in fields(Role)} for r in roles]).set_index("key")


_NUMERIC = ("mix", "pay_cap", "market_premium", "supervision_need", "supply", "remote_capable", "appointments",
            "discrepancy", "mean_fte")


class RoleArrays:
    """Columns of the catalogue as NumPy arrays indexed by role id (built once per model).

    Parameters
    ----------
    catalogue : CatalogueFile, optional
        A validated catalogue (:func:`pcnsim.roles.catalogue.with_overrides`); default the shipped one. Its
        first roles must be the shipped ones, in the shipped order; roles a scenario adds follow them.

    Attributes
    ----------
    n : int
        Number of roles (the shipped ones plus any added).
    keys, labels, colours : tuple of str
        Per role, in index order.
    index : dict
        Role key -> index.
    roles : tuple of Role
        The catalogue's rows.
    """

    def __init__(self, catalogue: CatalogueFile | None = None) -> None:
        cat = catalogue or shipped()
        if cat.keys[:N_ROLES] != ROLE_KEYS:
            raise ValueError("a catalogue must start with the shipped roles in the shipped order "
                             "(added roles come after them)")
        self.catalogue = cat
        roles = roles_of(cat)
        self.roles = roles
        self.n = len(roles)
        self.keys: tuple[str, ...] = cat.keys
        self.index: dict[str, int] = {k: i for i, k in enumerate(self.keys)}
        self.labels: tuple[str, ...] = tuple(r.label for r in roles)
        self.colours: tuple[str, ...] = tuple(r.colour for r in roles)
        for name in _NUMERIC:
            setattr(self, name, np.array([getattr(r, name) for r in roles], dtype=float))
        self.arrs = np.array([r.arrs for r in roles], dtype=bool)
        self.notice_weeks = np.array([r.notice_weeks for r in roles], dtype=np.int32)
        # first day each role is reimbursable (proleptic ordinal; core roles: always)
        self.eligible_from = np.array([r.eligible_from.toordinal() if r.eligible_from else 0 for r in roles],
                                      dtype=np.int64)
        #: the core role whose labour market each role draws on (itself for core roles; -1 none)
        self.pool = np.array([self.index[r.labour_pool] if r.labour_pool else (i if not r.arrs else -1)
                              for i, r in enumerate(roles)], dtype=np.int64)
        self.cap_fte = np.array([np.inf if r.cap_fte is None else r.cap_fte for r in roles])
        self.term_limit_weeks = np.array([r.term_limit_weeks or 0 for r in roles], dtype=np.int64)
        self._by_year = any(r.pay_cap_from for r in cat.role)

    @property
    def added(self) -> tuple[str, ...]:
        """Keys of the roles the catalogue adds to the shipped ones (empty for the shipped catalogue)."""
        return self.keys[N_ROLES:]

    @property
    def arrs_keys(self) -> tuple[str, ...]:
        """Keys of the ARRS roles, in index order."""
        return tuple(k for k, a in zip(self.keys, self.arrs, strict=True) if a)

    def role_index(self, key: str, field: str = "role") -> int:
        """Index of a role of this catalogue, with a clear error naming ``field`` for an unknown one."""
        from pcnsim.errors import PCNSimInputError

        try:
            return self.index[key]
        except (KeyError, TypeError):
            raise PCNSimInputError(f"{field}: unknown role {str(key)[:60]!r}; allowed roles: {', '.join(self.keys)}",
                                   field=field) from None

    def eligible(self, d: dt.date) -> np.ndarray:
        """Which roles are eligible for reimbursement (ARRS) or always employed (core) on date ``d``."""
        return self.eligible_from <= d.toordinal()

    def caps(self, fy: int, growth: float) -> np.ndarray:
        """Reimbursable cap per FTE-year (GBP) of each role in financial year ``fy`` (``growth`` a year).

        A role's cap grows from its latest ``pay_cap_from`` figure at or before ``fy``, else from its
        2023/24 ``pay_cap`` (E8): the same as ``pay_cap x (1 + growth) ** (fy - 2023)`` while no listed
        year has come."""
        base = self.pay_cap * (1.0 + growth) ** (fy - 2023)
        if not self._by_year:
            return base
        listed = [(i, r) for i, r in enumerate(self.catalogue.role)
                  if any(int(y) <= fy for y in r.pay_cap_from)]
        for i, r in listed:
            base[i] = r.cap_in(fy, growth)
        return base


#: Key of pydantic's validation context that lists the roles a scenario adds (see :func:`known_roles`).
ADDED_ROLES = "added_roles"


def known_roles(info: Any = None) -> tuple[str, ...]:
    """Role keys a scenario's tables may name while they are validated: the shipped roles, and the roles
    the scenario adds when the validation context (``info.context``) lists them under :data:`ADDED_ROLES`."""
    ctx = getattr(info, "context", None) or {}
    return (*ROLE_KEYS, *ctx.get(ADDED_ROLES, ()))


def added_roles(roles_table: Any) -> tuple[str, ...]:
    """Keys of a scenario's ``[roles]`` table that are not shipped roles (roles it adds), unvalidated."""
    if not isinstance(roles_table, Mapping):
        return ()
    return tuple(k for k in roles_table if isinstance(k, str) and k not in ROLE_INDEX)


def role_index(key: str) -> int:
    """Index of a role, with a clear error for an unknown one."""
    from pcnsim.errors import PCNSimInputError

    try:
        return ROLE_INDEX[key]
    except KeyError:
        raise PCNSimInputError(
            f"unknown role {key!r}; allowed roles: {', '.join(ROLE_KEYS)}", field="role"
        ) from None
