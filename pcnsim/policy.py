"""The ARRS policy calendar as data: entitlements by year, ring-fenced pots and rule changes.

The calendar ships with the package (``pcnsim/data/policy.toml``; schema :class:`PolicyFile`, validated on
load, every figure citing its evidence row). A scenario extends or overrides it in a ``[policy]`` table
(:func:`with_overrides`). :class:`Policy` is what a model asks each week:

* the national entitlement of a financial year: the parameters ``budget_2019`` .. ``budget_2025`` (E7;
  so that sweeps can vary them), then the calendar's ``[[budget]]`` rows (E32: GBP 1,754m in 2026/27), the
  last listed year holding for every later year (assumption: flat in cash terms);
* ring-fenced pots (``[[pot]]``, E30: GBP 82m for ARRS GPs in 2024/25), paid on top of the entitlement
  and merged into it from 2025/26 (E31): networks plan the pot's roles against the pot and the other roles
  against the rest, so a pot that cannot be spent (its roles not yet eligible) is lost at the year end;
* rule changes (``[[change]]``): ``remove_caps`` (per-network FTE caps of the catalogue stop applying;
  E31), ``remove_term_limit`` (posts no longer end at the role's ``term_limit_weeks``; E32);
* the observed ARRS workforce of March 2025 (``[workforce]``, E33), from which a projection starts
  (:mod:`pcnsim.warmstart`).

>>> from pcnsim.policy import shipped
>>> shipped().budget[0].million
1754.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, model_validator

from pcnsim.roles import ADDED_ROLES, RoleArrays, known_roles
from pcnsim.schema import Date, Number, StrictModel, Text, Whole, fail, loads_toml, validate

if TYPE_CHECKING:
    from pcnsim.params import Params

#: The last financial year whose entitlement is a parameter (``budget_2025``).
LAST_PARAM_YEAR = 2025

RoleKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Source = Text(200, what="an evidence row id (E1..E37) or 'assumption'", min_length=1)
FY = Whole(2019, 2100, "financial year (its first calendar year)")


def _known_roles(roles: list[str], field: str, info: ValidationInfo) -> None:
    known = known_roles(info)  # the shipped roles, and those the scenario adds
    for i, r in enumerate(roles):
        if r not in known:
            raise fail(f"{field}.{i}", f"unknown role {r!r}; allowed roles: {', '.join(known)}")


class Budget(StrictModel):
    """``[[budget]]``: the national entitlement of a financial year after 2025/26."""

    KEYS_OF = "a [[budget]] row"
    fy: Whole(LAST_PARAM_YEAR + 1, 2100, "financial year after 2025/26 (earlier years: parameters budget_20xx)")
    million: Number(0, 100_000, "GBP million, England")
    source: Source = "assumption"


class Pot(StrictModel):
    """``[[pot]]``: money ring-fenced for some roles in a financial year, on top of the entitlement."""

    KEYS_OF = "a [[pot]] row"
    fy: FY
    roles: Annotated[list[RoleKey], Field(min_length=1, max_length=50)]
    million: Number(0, 100_000, "GBP million, England")
    source: Source = "assumption"

    @model_validator(mode="after")
    def _roles(self, info: ValidationInfo) -> Pot:
        _known_roles(self.roles, "roles", info)
        return self


class Change(StrictModel):
    """``[[change]]``: a rule change from a date (``rule``: ``remove_caps`` or ``remove_term_limit``), for
    the roles listed (default all)."""

    KEYS_OF = "a [[change]] row"
    date: Date
    rule: Literal["remove_caps", "remove_term_limit"]
    roles: Annotated[list[RoleKey], Field(min_length=1, max_length=50)] | None = None
    source: Source = "assumption"

    @model_validator(mode="after")
    def _roles(self, info: ValidationInfo) -> Change:
        if self.roles is not None:
            _known_roles(self.roles, "roles", info)
        return self


class RoleFTE(StrictModel):
    """One role's FTE, England, in the observed workforce."""

    KEYS_OF = "a workforce row"
    role: RoleKey
    fte: Number(0, 1_000_000, "FTE, England")
    source: Source = "assumption"

    @model_validator(mode="after")
    def _role(self, info: ValidationInfo) -> RoleFTE:
        if self.role not in known_roles(info):
            raise fail("role", f"unknown role {self.role!r}; allowed roles: {', '.join(known_roles(info))}")
        return self


class Workforce(StrictModel):
    """``[workforce]``: the observed national ARRS workforce on a date (FTE by role)."""

    KEYS_OF = "[workforce]"
    date: Date
    source: Source = "assumption"
    fte: Annotated[list[RoleFTE], Field(min_length=1, max_length=200)]


class PolicyFile(StrictModel):
    """The whole of ``pcnsim/data/policy.toml`` (or a scenario's ``[policy]`` after merging)."""

    KEYS_OF = "the policy calendar"
    budget: Annotated[list[Budget], Field(max_length=100)] = Field(default_factory=list)
    pot: Annotated[list[Pot], Field(max_length=100)] = Field(default_factory=list)
    change: Annotated[list[Change], Field(max_length=100)] = Field(default_factory=list)
    workforce: Workforce | None = None

    @model_validator(mode="after")
    def _unique(self) -> PolicyFile:
        years = [b.fy for b in self.budget]
        for i, y in enumerate(years):
            if years.index(y) != i:
                raise fail(f"budget.{i}.fy", f"financial year {y} appears twice")
        return self


def _check_sources(f: PolicyFile | PolicyOverrides, where: str, prefix: str = "") -> None:
    from pcnsim.evidence import check_source

    items: list[tuple[str, str]] = [(f"budget[{i}].source", b.source) for i, b in enumerate(f.budget)]
    items += [(f"pot[{i}].source", p.source) for i, p in enumerate(f.pot)]
    items += [(f"change[{i}].source", c.source) for i, c in enumerate(f.change)]
    if f.workforce is not None:
        items.append(("workforce.source", f.workforce.source))
        items += [(f"workforce.fte[{i}].source", r.source) for i, r in enumerate(f.workforce.fte)]
    for field, src in items:
        check_source(src, f"{prefix}{field}", where)


def parse(data: Mapping[str, Any], where: str, added_roles: tuple[str, ...] = ()) -> PolicyFile:
    """Validate policy-calendar data with named-field errors (``added_roles``: roles a scenario adds, which
    its rows may name)."""
    f = validate(PolicyFile, data, where=where, what="the policy calendar", context={ADDED_ROLES: added_roles})
    _check_sources(f, where)
    return f


@cache
def shipped() -> PolicyFile:
    """The calendar shipped with the package (``pcnsim/data/policy.toml``), validated once per process."""
    text = resources.files("pcnsim").joinpath("data", "policy.toml").read_text(encoding="utf-8")
    return parse(loads_toml(text, where="pcnsim/data/policy.toml", field="policy"), "pcnsim/data/policy.toml")


class PolicyOverrides(StrictModel):
    """A scenario's ``[policy]`` table: rows that extend or replace the shipped calendar's.

    ``budget`` rows replace the shipped row of the same year (or add a year); ``pot`` rows replace every
    shipped pot of their year; ``change`` rows are added, after the shipped ones unless
    ``shipped_changes = false`` drops those; ``workforce`` replaces the observed workforce.
    """

    KEYS_OF = "[policy]"
    budget: Annotated[list[Budget], Field(max_length=100)] = Field(default_factory=list)
    pot: Annotated[list[Pot], Field(max_length=100)] = Field(default_factory=list)
    change: Annotated[list[Change], Field(max_length=100)] = Field(default_factory=list)
    shipped_changes: bool = True
    workforce: Workforce | None = None


class _InScenario(StrictModel):
    """A scenario's ``[policy]``, so that messages name fields as the scenario spells them."""

    policy: PolicyOverrides


def with_overrides(overrides: Mapping[str, Any] | None, *, where: str = "[policy]",
                   base: PolicyFile | None = None, added_roles: tuple[str, ...] = ()) -> PolicyFile:
    """The calendar with a scenario's ``[policy]`` rows merged in (:class:`PolicyOverrides`), validated; its
    rows may name the roles the scenario adds (``added_roles``)."""
    base = base or shipped()
    if not overrides:
        return base
    o = validate(_InScenario, {"policy": overrides}, where=where, what="[policy]",
                 context={ADDED_ROLES: added_roles}).policy
    _check_sources(o, where, prefix="policy.")
    new_years = {b.fy for b in o.budget}
    pot_years = {p.fy for p in o.pot}
    data = {
        "budget": [b.model_dump() for b in base.budget if b.fy not in new_years] + [b.model_dump() for b in o.budget],
        "pot": [p.model_dump() for p in base.pot if p.fy not in pot_years] + [p.model_dump() for p in o.pot],
        "change": ([c.model_dump() for c in base.change] if o.shipped_changes else []) + [c.model_dump() for c in o.change],
        "workforce": (o.workforce or base.workforce).model_dump() if (o.workforce or base.workforce) else None,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return parse(data, where, added_roles)


class Policy:
    """The calendar as a model asks it, week by week (built once per model).

    Parameters
    ----------
    calendar : PolicyFile, optional
        Default: the shipped calendar.
    roles : RoleArrays, optional
        The model's catalogue (caps and term limits); default the shipped one.
    """

    def __init__(self, calendar: PolicyFile | None = None, roles: RoleArrays | None = None) -> None:
        self.calendar = calendar or shipped()
        self.roles = roles or RoleArrays()
        self._budget = sorted((b.fy, b.million) for b in self.calendar.budget)

    # -- money ---------------------------------------------------------------------------------------
    def entitlement_million(self, fy: int, params: Params) -> float:
        """National entitlement (GBP million) of financial year ``fy``, pots excluded."""
        later = [m for y, m in self._budget if y <= fy]
        if fy <= LAST_PARAM_YEAR or not later:
            return params.budget_million(fy)
        return float(later[-1])

    def pots(self, fy: int) -> tuple[np.ndarray, float]:
        """Roles with ring-fenced money in ``fy`` (mask over roles) and the pots' total (GBP million)."""
        mask = np.zeros(len(self.roles.keys), dtype=bool)
        total = 0.0
        for p in self.calendar.pot:
            if p.fy == fy:
                mask[[self.roles.role_index(r, "policy.pot.roles") for r in p.roles]] = True
                total += p.million
        return mask, total

    def total_million(self, fy: int, params: Params) -> float:
        """Entitlement plus pots (GBP million): what networks are allocated in ``fy``."""
        return self.entitlement_million(fy, params) + self.pots(fy)[1]

    def planned_mix(self, d: dt.date, fy: int, mix: np.ndarray, n_networks: int
                    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Shares per role (networks x roles) that networks plan posts in: ``mix`` over the roles eligible on
        ``d``, renormalised, for the entitlement; in a year with a pot, the pot's roles are planned against
        the pot (the second array, in proportion to ``mix``) and the other roles against the entitlement.
        The second array is None in a year without a pot."""
        R = self.roles
        mix = np.broadcast_to(mix, (n_networks, len(R.keys)))
        mix = mix * R.eligible(d)  # only roles reimbursable by now, in the same proportions
        pot_roles, pot = self.pots(fy)
        if pot > 0:
            return _normalised(np.where(pot_roles, 0.0, mix)), _normalised(np.where(pot_roles, mix, 0.0))
        return _normalised(mix), None

    # -- rules -----------------------------------------------------------------------------------------
    def _removed(self, rule: str, d: dt.date) -> np.ndarray:
        out = np.zeros(len(self.roles.keys), dtype=bool)
        for c in self.calendar.change:
            if c.rule == rule and c.date <= d:
                if c.roles is None:
                    out[:] = True
                else:
                    out[[self.roles.role_index(r, "policy.change.roles") for r in c.roles]] = True
        return out

    def caps(self, d: dt.date) -> np.ndarray:
        """Most FTE a network may plan per role on ``d`` (infinite where none or removed)."""
        return np.where(self._removed("remove_caps", d), np.inf, self.roles.cap_fte)

    def term_limits(self, d: dt.date) -> np.ndarray:
        """Longest ARRS-funded post per role on ``d``, weeks (0: no limit)."""
        return np.where(self._removed("remove_term_limit", d), 0, self.roles.term_limit_weeks)


def _normalised(mix: np.ndarray) -> np.ndarray:
    total = mix.sum(axis=1, keepdims=True)
    return np.where(total > 0, mix / np.where(total > 0, total, 1.0), 0.0)
