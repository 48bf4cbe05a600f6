"""The role catalogue as data: ``pcnsim/data/roles.toml``, its schema, and scenario overrides of it.

The shipped file lists every role in index order (core roles first, then ARRS roles; roles added later go
at the end, so that no index moves). :func:`shipped` validates it once per process; :func:`with_overrides`
returns a copy as a scenario's ``[roles.<key>]`` tables ask, with the same named-field errors as parameters:

* a table named after a shipped role changes some of its fields (not ``key``, ``arrs`` or ``sources``);
* a table named after any other key adds a role. It gives every field a role needs, as a ``[[role]]`` of
  the data file would (validated by the same :class:`RoleEntry`), states ``arrs = true`` or ``false``
  explicitly, and has a ``sources`` table naming the evidence of each figure it gives (checked as the
  shipped file's are). Added roles go after the shipped ones, in the order the scenario lists them, so the
  shipped roles keep their indices and a scenario that adds none runs exactly as before. An added ARRS role
  takes its place in the planned mix by ``fte_weight`` (on E5's scale, as the shipped roles) or by
  ``mix_share`` (its share of the planned mix once it and every shipped role are eligible; the others are
  scaled down to make room, see :meth:`CatalogueFile.mix`).

Every figure's evidence is in the role's ``sources`` table: an evidence row id of
:mod:`pcnsim.evidence` or the word *assumption*; a test checks that each one resolves.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Annotated, Any

from pydantic import Field, model_validator

from pcnsim.errors import PCNSimInputError
from pcnsim.schema import Date, Number, StrictModel, Text, Whole, excerpt, fail, loads_toml, validate

#: Fields of a role a scenario may not change (its identity, and whether the scheme funds it).
FIXED_FIELDS = ("key", "arrs", "sources")

Money = Number(0, 1_000_000, "GBP per FTE-year")
Share = Number(0, 1, "share")
Source = Text(200, what="an evidence row id (E1..E37) or 'assumption'", min_length=1)
Year = Annotated[int, Field(ge=2019, le=2100)]
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"  #: a role's key


class RoleEntry(StrictModel):
    """One ``[[role]]`` of the catalogue (units in ``pcnsim/data/roles.toml``'s header)."""

    KEYS_OF = "a role"
    key: Annotated[str, Field(pattern=KEY_PATTERN)] = Field(
        description="Identifier (lower case, digits and _)")
    label: Text(100, what="a label", min_length=1)
    arrs: bool
    fte_weight: Number(0, 1e6, "FTE") = 0.0
    mix_share: Number(0, 0.95, "share of the planned mix") | None = Field(
        None, description="Share of the planned mix instead of fte_weight (the other roles are scaled down)")
    pay_cap: Money = 0.0
    pay_cap_from: dict[str, Money] = Field(default_factory=dict, description="Cap by financial year (GBP), "
                                           "keyed by the year's first calendar year as a string")
    market_premium: Share = 0.0
    supervision_need: Number(0, 40, "hours per FTE-week") = 0.0
    supply: Number(0, 5, "relative ease of recruiting")
    labour_pool: str | None = None
    remote_capable: Share
    appointments: Number(0, 500, "contacts per FTE-week")
    discrepancy: Share = 0.0
    notice_weeks: Whole(0, 52, "weeks")
    mean_fte: Number(0.05, 1, "FTE")
    eligible_from: Date | None = None
    cap_fte: Number(0, 1000, "FTE per network") | None = None
    term_limit_weeks: Whole(1, 2600, "weeks") | None = None
    colour: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")] = "#7f7f7f"
    sources: dict[str, Source] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> RoleEntry:
        for y in self.pay_cap_from:
            if not (y.isdigit() and 2019 <= int(y) <= 2100):
                raise fail(f"pay_cap_from.{y}", "a financial year from 2019 to 2100 (its first calendar year)")
        if self.arrs and self.eligible_from is None:
            raise fail("eligible_from", "an ARRS role needs the date it became reimbursable")
        if not self.arrs and (self.eligible_from is not None or self.fte_weight or self.pay_cap):
            raise fail("arrs", "a core role (arrs = false) has no eligible_from, fte_weight or pay_cap")
        if self.mix_share is not None and (not self.arrs or self.fte_weight):
            raise fail("mix_share", "an ARRS role's share of the planned mix, given instead of fte_weight")
        if self.arrs and self.pay_cap <= 0:
            raise fail("pay_cap", "an ARRS role needs a reimbursable cap above 0")
        for k in self.sources:
            if k not in type(self).model_fields or k in FIXED_FIELDS:
                raise fail(f"sources.{k}", f"not a field of a role; fields: {', '.join(_data_fields())}")
        return self

    def cap_in(self, fy: int, growth: float) -> float:
        """Reimbursable cap (GBP per FTE-year) in financial year ``fy``: the latest ``pay_cap_from`` year at
        or before ``fy``, grown by ``growth`` a year since; without one, ``pay_cap`` (2023/24) grown likewise."""
        years = [int(y) for y in self.pay_cap_from if int(y) <= fy]
        if not years:
            return self.pay_cap * (1.0 + growth) ** (fy - 2023)
        y = max(years)
        return self.pay_cap_from[str(y)] * (1.0 + growth) ** (fy - y)


def _data_fields() -> list[str]:
    return [k for k in RoleEntry.model_fields if k not in FIXED_FIELDS]


class CatalogueFile(StrictModel):
    """The whole of ``pcnsim/data/roles.toml``."""

    KEYS_OF = "the role catalogue"
    mix_date: Date
    role: Annotated[list[RoleEntry], Field(min_length=2, max_length=200)]

    @model_validator(mode="after")
    def _roles(self) -> CatalogueFile:
        keys = [r.key for r in self.role]
        for i, r in enumerate(self.role):
            if keys.index(r.key) != i:
                raise fail(f"role.{i}.key", f"{r.key!r} appears twice")
            if r.labour_pool is not None and (r.labour_pool not in keys or self.role[keys.index(r.labour_pool)].arrs):
                core = [x.key for x in self.role if not x.arrs]
                raise fail(f"role.{i}.labour_pool", f"{r.labour_pool!r} is not a core role; core roles: {', '.join(core)}")
        for k in ("gp", "practice_nurse"):
            if k not in keys or self.role[keys.index(k)].arrs:
                raise fail("role", f"the catalogue needs the core role {k!r}")
        if keys.index("gp") != 0 or keys.index("practice_nurse") != 1:
            raise fail("role", "the core roles 'gp' and 'practice_nurse' come first, in that order")
        shares = [i for i, r in enumerate(self.role) if r.mix_share is not None]
        if shares and sum(self.role[i].mix_share for i in shares) > 0.95:
            raise fail(f"role.{shares[-1]}.mix_share", "the roles' mix_share add up to more than 0.95")
        return self

    @property
    def keys(self) -> tuple[str, ...]:
        """The roles' keys, in index order."""
        return tuple(r.key for r in self.role)

    def weights(self) -> dict[str, float]:
        """Each role's weight in the planned mix: its ``fte_weight``; for a role given a ``mix_share`` s,
        ``s x W / (1 - S)``, W the ``fte_weight`` of all the other ARRS roles and S the total of the shares,
        so that once every ARRS role is eligible the role's share of the renormalised mix is exactly s and
        the other roles keep their proportions among themselves."""
        shares = {r.key: r.mix_share for r in self.role if r.mix_share is not None}
        if not shares:
            return {r.key: r.fte_weight for r in self.role}
        rest = sum(r.fte_weight for r in self.role if r.arrs and r.key not in shares)
        scale = rest / (1.0 - sum(shares.values()))
        return {r.key: shares[r.key] * scale if r.key in shares else r.fte_weight for r in self.role}

    def mix(self) -> dict[str, float]:
        """Planned share of each ARRS role: its weight (:meth:`weights`) over the total of the roles
        eligible on ``mix_date`` (so E5's March 2023 shares stay as they were when later roles join;
        networks renormalise the mix over the roles eligible on the day)."""
        w = self.weights()
        total = sum(w[r.key] for r in self.role if r.arrs and r.eligible_from <= self.mix_date)
        return {r.key: (w[r.key] / total if r.arrs and total > 0 else 0.0) for r in self.role}


def _check_sources(cat: CatalogueFile, where: str) -> None:
    from pcnsim.evidence import check_source

    for r in cat.role:
        for k, src in r.sources.items():
            check_source(src, f"roles.{r.key}.sources.{k}", where)


def parse(data: Mapping[str, Any], where: str) -> CatalogueFile:
    """Validate catalogue data (the parsed TOML of a roles file) with named-field errors."""
    cat = validate(CatalogueFile, data, where=where, what="the role catalogue")
    _check_sources(cat, where)
    return cat


@cache
def shipped() -> CatalogueFile:
    """The catalogue shipped with the package (``pcnsim/data/roles.toml``), validated once per process."""
    text = resources.files("pcnsim").joinpath("data", "roles.toml").read_text(encoding="utf-8")
    return parse(loads_toml(text, where="pcnsim/data/roles.toml", field="roles"), "pcnsim/data/roles.toml")


#: Fields of a role that need no source: identity, presentation, and whether the scheme funds it.
UNSOURCED = ("key", "label", "arrs", "colour", "sources")


def with_overrides(overrides: Mapping[str, Any] | None, *, where: str = "[roles]",
                   base: CatalogueFile | None = None) -> CatalogueFile:
    """The catalogue with a scenario's ``[roles.<key>]`` tables applied and validated.

    ``overrides`` maps a role's key to a table of its fields (``{"arrs_gp": {"eligible_from": ...}}``). For a
    role of ``base`` the table changes those fields: a field that is not a role's, or is fixed (``key``,
    ``arrs``, ``sources``), is refused with the allowed names. Any other key adds a role at the end of the
    catalogue (see the module docstring; :func:`_new_role`). Values are validated as in the shipped file.
    """
    base = base or shipped()
    if not overrides:
        return base
    if not isinstance(overrides, Mapping):
        raise PCNSimInputError(f"{where} must be a table of [roles.<role>] tables", field="roles")
    keys = base.keys
    data = base.model_dump()
    added: list[str] = []
    for key, changes in overrides.items():
        if not isinstance(changes, Mapping):
            raise PCNSimInputError(f"{where}: roles.{str(key)[:60]} = {excerpt(changes)} is not allowed: expected a "
                                   f"table of a role's fields: {', '.join(_data_fields())}",
                                   field=f"roles.{str(key)[:60]}")
        if key not in keys:
            data["role"].append(_new_role(str(key), changes, where, keys))
            added.append(str(key))
            continue
        for f in changes:
            if f not in _data_fields():
                fixed = " is fixed" if f in FIXED_FIELDS else " is not a field of a role"
                if f in FIXED_FIELDS:
                    fixed += f" ({key!r} is a shipped role: its table changes fields; a role is added with a new key)"
                raise PCNSimInputError(f"{where}: roles.{key}.{str(f)[:60]}{fixed}; fields a scenario may set: "
                                       f"{', '.join(_data_fields())}", field=f"roles.{key}.{str(f)[:60]}")
        i = keys.index(key)
        data["role"][i] = {**data["role"][i], **changes}
        if changes.get("mix_share") is not None and "fte_weight" not in changes:
            data["role"][i]["fte_weight"] = 0.0  # a share replaces the role's weight
    data["role"] = [{k: v for k, v in r.items() if v is not None} for r in data["role"]]
    names = (*keys, *added)
    try:
        return parse(data, where)
    except PCNSimInputError as e:  # name the field as the scenario spells it
        msg, field = str(e), e.field
        for i in reversed(range(len(names))):  # role.12 before role.1
            k = names[i]
            msg = msg.replace(f"role[{i}].", f"roles.{k}.").replace(f"role.{i}.", f"roles.{k}.")
            if field:
                field = field.replace(f"role[{i}].", f"roles.{k}.").replace(f"role.{i}.", f"roles.{k}.")
        raise PCNSimInputError(msg, field=field) from None


def _new_role(key: str, table: Mapping[str, Any], where: str, shipped_keys: tuple[str, ...]) -> dict[str, Any]:
    """The ``[[role]]`` row of a role a scenario adds, checked for what a new role must say: a key a role
    may have, ``arrs`` explicitly, and a source for every figure it gives (the other fields are validated
    with the whole catalogue)."""
    at = f"roles.{key[:60]}"
    shipped_list = ", ".join(shipped_keys)
    if not re.fullmatch(KEY_PATTERN, key):
        raise PCNSimInputError(f"{where}: {at}: unknown role, and not a key a new role may have (lower case "
                               f"letters, digits and _, starting with a letter, at most 40); shipped roles: "
                               f"{shipped_list}", field=at)
    for f in table:
        if f not in RoleEntry.model_fields:
            raise PCNSimInputError(f"{where}: {at}.{str(f)[:60]} is not a field of a role; fields: "
                                   f"{', '.join(RoleEntry.model_fields)}", field=f"{at}.{str(f)[:60]}")
    if "key" in table and table["key"] != key:
        raise PCNSimInputError(f"{where}: {at}.key = {excerpt(table['key'])} is not allowed: a new role's key is "
                               f"its table's name ({key!r})", field=f"{at}.key")
    if "arrs" not in table:
        raise PCNSimInputError(f"{where}: {at}.arrs is required: {key!r} is not a shipped role ({shipped_list}), so "
                               "this table adds a role, which must say arrs = true (funded by the scheme) or false "
                               "(a core role)", field=f"{at}.arrs")
    if table["arrs"] is False:
        raise PCNSimInputError(f"{where}: {at}.arrs = false is not allowed: an added role is an ARRS role (arrs = "
                               "true); the core staff (GPs and practice nurses) come from the population",
                               field=f"{at}.arrs")
    sources = table.get("sources")
    if not isinstance(sources, Mapping) or not sources:
        raise PCNSimInputError(f"{where}: {at}.sources is required: a new role names the evidence of each of its "
                               "figures (an evidence row id such as E5, or 'assumption'), e.g. sources = "
                               "{ supply = \"assumption\" }", field=f"{at}.sources")
    for f in table:
        if f not in UNSOURCED and f in RoleEntry.model_fields and f not in sources:
            raise PCNSimInputError(f"{where}: {at}.sources.{f} is required: a new role names the evidence of each "
                                   "figure it gives (an evidence row id or 'assumption')", field=f"{at}.sources.{f}")
    return {**table, "key": key}


def eligible_from(cat: CatalogueFile) -> dict[str, dt.date]:
    """When each ARRS role became reimbursable."""
    return {r.key: r.eligible_from for r in cat.role if r.arrs}
