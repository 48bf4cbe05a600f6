"""Scenario files (TOML): a population, parameter overrides and interventions, validated.

A scenario file::

    name = "supervision"                 # optional: default the file's name without .toml (a label, not a path)
    description = "Two protected hours a week"
    weeks = 260                          # run length (1 to 2,600)
    seed = 1                             # optional default seed (the CLI's --seed overrides it)
    base = "default"                     # named base parameter set; "default" is the only one so far

    [population]
    kind = "single"                      # "single" (one network from the parameters) or "england"
    copies = 1                           # independent copies of the population in one model
    # kind = "england" also takes networks = 1250 (1 to 5000) and seed = 2020 (the draw)

    [parameters]                         # overrides of pcnsim.params.Params
    practices_per_staff = 2

    [[interventions]]                    # see pcnsim.interventions
    type = "protected_supervision"
    start = 2021-04-01                   # a date, or a week number; end (optional) of the same kind

    [roles.arrs_gp]                      # changes to the role catalogue (pcnsim/data/roles.toml)
    eligible_from = 2025-04-01

    [policy]                             # rows added to the policy calendar (pcnsim/data/policy.toml)
    budget = [{ fy = 2027, million = 1800.0 }]

    [workforce]                          # a warm start (pcnsim.warmstart): "national" or "csv"
    kind = "csv"
    path = "workforce.csv"               # relative to the scenario file

Built-in scenarios, by name: ``default`` (``pcnsim/data/default.toml``) and ``projection-2025``
(``pcnsim/data/projection-2025.toml``: April 2025 to March 2031 from E33's workforce).

The file's schema is :class:`ScenarioFile` (``pcnsim schema scenario`` prints it as JSON Schema): every key
known, no coercion (``homophily = true`` or ``"0.5"`` is refused), keys that do not apply to the chosen
population kind refused, dates within 1990-2100. Errors name the file, the field and the allowed values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import Field, Tag, TypeAdapter, WithJsonSchema

from pcnsim.errors import PCNSimInputError
from pcnsim.interventions import InterventionTable
from pcnsim.params import Params
from pcnsim.policy import PolicyOverrides
from pcnsim.schema import (
    Description,
    Name,
    Seed,
    StrictModel,
    Text,
    Weeks,
    Whole,
    json_schema,
    load_toml,
    loads_toml,
    union_tag,
    validate,
)
from pcnsim.warmstart import WorkforceTable

BASES: dict[str, dict[str, Any]] = {"default": {}}

#: Built-in scenarios by name: the data file each is read from.
BUILTIN: dict[str, str] = {"default": "data/default.toml", "projection-2025": "data/projection-2025.toml"}

# Population builders by kind: f(params, spec) -> Population. Others register themselves (england).
POPULATION_KINDS: dict[str, Callable[..., Any]] = {}


def _single(params: Params, spec: dict[str, Any]) -> Any:
    from pcnsim.population import single_network

    return single_network(params)


POPULATION_KINDS["single"] = _single

MAX_COPIES = 10_000
# The England population's limits (pcnsim.england: MAX_NETWORKS, N_NETWORKS, DEFAULT_SEED; a test keeps
# them equal, without importing that module here).
ENGLAND_MAX_NETWORKS, ENGLAND_NETWORKS, ENGLAND_SEED = 5000, 1250, 2020


# ---------------------------------------------------------------------------------------------- the schema
class SinglePopulation(StrictModel):
    """``[population] kind = "single"``: one network built from the parameters."""

    KEYS_OF = "[population] with kind 'single'"
    kind: Literal["single"] = "single"
    copies: Whole(1, MAX_COPIES, "copies of the network") = 1


class EnglandPopulation(StrictModel):
    """``[population] kind = "england"``: a synthetic England (:mod:`pcnsim.england`)."""

    KEYS_OF = "[population] with kind 'england'"
    kind: Literal["england"]
    networks: Whole(1, ENGLAND_MAX_NETWORKS, "networks") = ENGLAND_NETWORKS
    seed: Seed = ENGLAND_SEED
    copies: Whole(1, MAX_COPIES, "copies of the population") = 1


def _default_kind(value: Any) -> str | None:
    return "single" if isinstance(value, Mapping) and "kind" not in value else None


PopulationTable = Annotated[
    Union[Annotated[SinglePopulation, Tag("single")], Annotated[EnglandPopulation, Tag("england")]],  # noqa: UP007
    union_tag("kind", ["single", "england"], pick=_default_kind, noun="population kinds"),
]

ParameterTable = Annotated[dict[str, Any], WithJsonSchema(
    {**Params.model_json_schema(), "title": "Parameters",
     "description": "Overrides of the model's parameters (`pcnsim params` lists them)."})]


RolesTable = Annotated[dict[str, Any], WithJsonSchema(
    {"type": "object", "title": "Roles", "additionalProperties": {"type": "object"},
     "description": "Changes to the role catalogue: [roles.<key>] tables of a role's fields; a table of a "
                    "new key adds an ARRS role after the shipped ones (pcnsim/data/roles.toml; "
                    "pcnsim.roles.catalogue)."})]


class ScenarioFile(StrictModel):
    """The schema of a scenario file (TOML)."""

    name: Name | None = Field(None, description="A label for tables, figures and the default output folder "
                                                "(results/<slug of the name>); default: the file's stem.")
    description: Description = ""
    weeks: Weeks = Field(260, description="Weeks to simulate.")
    seed: Seed | None = Field(None, description="Default seed (the command line's --seed overrides it).")
    base: Literal[tuple(BASES)] = "default"  # type: ignore[valid-type]
    population: PopulationTable = Field(default_factory=SinglePopulation)
    parameters: ParameterTable = Field(default_factory=dict)
    interventions: Annotated[list[InterventionTable], Field(max_length=1000)] = Field(default_factory=list)
    roles: RolesTable = Field(default_factory=dict)
    policy: PolicyOverrides | None = Field(None, description="Rows that extend or replace the policy calendar "
                                           "(pcnsim/data/policy.toml; pcnsim.policy).")
    workforce: WorkforceTable | None = Field(None, description="A warm start from an observed workforce "
                                             "(pcnsim.warmstart); default none: the scheme starts empty.")
    pcnsim_version: Text(100, what="a version") | None = Field(
        None, description="Written into resolved scenarios (results/*/scenario.toml); not checked.")


def scenario_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file (``pcnsim schema scenario``)."""
    return json_schema(ScenarioFile, title="pcnsim scenario file",
                       description="A pcnsim scenario (TOML): population, parameters and interventions.")


_NAME = TypeAdapter(Name)


@dataclass
class Scenario:
    """A validated scenario: everything needed to build and run a model, except the seed."""

    name: str
    description: str = ""
    weeks: int = 260
    seed: int | None = None
    base: str = "default"
    population: dict[str, Any] = field(default_factory=lambda: {"kind": "single"})
    parameters: dict[str, Any] = field(default_factory=dict)
    interventions: list[Any] = field(default_factory=list)
    source: str = "<built-in>"
    roles: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    workforce: dict[str, Any] | None = None

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "<dict>", *, default_name: str | None = None,
                  base_dir: Path | None = None) -> Scenario:
        """Validate a scenario's data (:class:`ScenarioFile`; parameters by :class:`~pcnsim.params.Params`).

        ``default_name`` is the name when ``d`` has none (:meth:`load` gives the file's stem); ``base_dir``
        is the folder a ``[workforce]`` CSV path is relative to (default the working folder).
        """
        from pcnsim.roles import ADDED_ROLES, added_roles

        added = added_roles(d.get("roles")) if isinstance(d, Mapping) else ()
        # interventions and [policy] rows may name the roles the scenario adds (checked again with the catalogue)
        f = validate(ScenarioFile, d, where=source, what="the scenario", context={ADDED_ROLES: added})
        name = f.name
        if name is None:
            if default_name is None:
                raise PCNSimInputError(f"{source}: 'name' is required (a scenario file's name defaults to the "
                                       "file's name without .toml)", field="name")
            name = validate(_NAME, default_name, where=f"{source} (the file's name is the scenario's name)",
                            what="name")
        Params.from_dict({**BASES[f.base], **f.parameters}, where=f"{source} [parameters]")  # validate now
        pop = f.population.model_dump(exclude_unset=True)
        pop = {"kind": f.population.kind, **pop}
        workforce = None
        if f.workforce is not None:
            workforce = f.workforce.model_dump(exclude_none=True)
            if workforce["kind"] == "csv":
                if "path" not in workforce:
                    raise PCNSimInputError(f"{source}: workforce.path is required with kind = 'csv' (a CSV file, "
                                           "relative to the scenario file)", field="workforce.path")
                workforce["path"] = str((base_dir or Path.cwd()) / workforce["path"])
            elif "path" in workforce:
                raise PCNSimInputError(f"{source}: workforce.path is for kind = 'csv' only", field="workforce.path")
        sc = cls(name=name, description=f.description, weeks=f.weeks, seed=f.seed, base=f.base,
                 population=pop, parameters=dict(f.parameters), interventions=list(f.interventions),
                 source=source, roles=dict(f.roles), workforce=workforce,
                 policy={} if f.policy is None else f.policy.model_dump(mode="python", exclude_unset=True))
        sc.catalogue()
        sc.calendar()
        sc.initial_workforce()  # a CSV is read and checked now: bad rows stop the run before anything is written
        return sc

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """A scenario from a TOML file; its name defaults to the file's stem."""
        path = Path(path)
        d, _ = load_toml(path, field="scenario", what="scenario file")
        return cls.from_dict(d, source=str(path), default_name=path.stem, base_dir=path.parent)

    @classmethod
    def loads(cls, text: str, source: str = "<text>", *, default_name: str | None = None) -> Scenario:
        """A scenario from TOML text."""
        return cls.from_dict(loads_toml(text, where=source, field="scenario"), source=source,
                             default_name=default_name)

    @classmethod
    def default(cls) -> Scenario:
        """The built-in default scenario (``pcnsim/data/default.toml``)."""
        return cls.builtin("default")

    @classmethod
    def builtin(cls, name: str) -> Scenario:
        """A built-in scenario by name (:data:`BUILTIN`: ``default``, ``projection-2025``)."""
        if name not in BUILTIN:
            raise PCNSimInputError(f"unknown built-in scenario {str(name)[:60]!r}; built-in scenarios: "
                                   f"{', '.join(BUILTIN)}", field="scenario")
        text = resources.files("pcnsim").joinpath(BUILTIN[name]).read_text(encoding="utf-8")
        return cls.loads(text, source=f"<built-in {name}>")

    # -- roles, policy and the warm start ----------------------------------------------------------
    def catalogue(self) -> Any:
        """The role catalogue with this scenario's ``[roles]`` changes (:mod:`pcnsim.roles.catalogue`)."""
        from pcnsim.roles.catalogue import with_overrides

        return with_overrides(self.roles, where=f"{self.source} [roles]")

    def role_arrays(self) -> Any:
        """The :class:`~pcnsim.roles.RoleArrays` of :meth:`catalogue` (the roles a model of this scenario has)."""
        from pcnsim.roles import RoleArrays

        return RoleArrays(self.catalogue())

    def calendar(self) -> Any:
        """The policy calendar with this scenario's ``[policy]`` rows (:mod:`pcnsim.policy`)."""
        from pcnsim.policy import with_overrides

        return with_overrides(self.policy, where=f"{self.source} [policy]", added_roles=self.role_arrays().added)

    def n_networks(self) -> int:
        """Networks of ``[population]`` (with copies), known before the population is built."""
        per = int(self.population.get("networks", ENGLAND_NETWORKS)) if self.population.get("kind") == "england" else 1
        return per * int(self.population.get("copies", 1))

    def initial_workforce(self, population: Any = None, params: Params | None = None) -> Any:
        """The warm start's FTE (networks x roles), or None without ``[workforce]``. ``national`` needs the
        built population (``population``; without it, None is returned after checking the calendar)."""
        from pcnsim import warmstart

        if self.workforce is None:
            return None
        if self.workforce["kind"] == "csv":
            return warmstart.read_csv(self.workforce["path"], self.n_networks(), where=f"{self.source} [workforce]",
                                      roles=self.role_arrays())
        cal = self.calendar()
        if cal.workforce is None:
            raise PCNSimInputError(f"{self.source}: [workforce] kind = 'national' needs the policy calendar's "
                                   "workforce table", field="workforce.kind")
        if population is None:
            return None
        params = params or self.resolved_params()
        return warmstart.national(population, cal, params.national_patients, self.role_arrays())

    # -- use ---------------------------------------------------------------------------------------
    def resolved_params(self) -> Params:
        """The validated parameters: the base parameter set with this scenario's ``parameters`` on top."""
        return Params.from_dict({**BASES[self.base], **self.parameters}, where=self.source)

    def build_population(self, params: Params | None = None) -> Any:
        """The :class:`~pcnsim.population.Population` of ``[population]`` (copied ``copies`` times), built
        from ``params`` (default: :meth:`resolved_params`)."""
        from pcnsim.population import replicate

        params = params or self.resolved_params()
        _ensure_population_kinds()
        pop = POPULATION_KINDS[self.population.get("kind", "single")](params, self.population)
        copies = int(self.population.get("copies", 1))
        return replicate(pop, copies) if copies > 1 else pop

    def build_model(self, seed: int | None = None, **overrides: Any) -> Any:
        """A fresh :class:`~pcnsim.model.PCNModel` for this scenario (``overrides``: parameter values)."""
        from pcnsim.model import PCNModel

        params = self.resolved_params()
        if overrides:
            params = Params.from_dict(overrides, base=params, where="overrides")
        seed = self.seed if seed is None else seed
        pop = self.build_population(params)
        return PCNModel(rng=seed, population=pop, interventions=self.interventions, params=params,
                        catalogue=self.catalogue(), policy=self.calendar(),
                        workforce=self.initial_workforce(pop, params))

    def with_changes(self, **changes: Any) -> Scenario:
        """A new, validated scenario with top-level keys replaced (``name=...``, ``population={...}``,
        ``parameters={...}``: a table replaces the whole table)."""
        d = self.to_dict(resolved=False)
        d.update(changes)
        return Scenario.from_dict(d, source=self.source)

    def to_dict(self, *, resolved: bool = False, seed: int | None = None, version: str | None = None) -> dict[str, Any]:
        """Plain data for a TOML file; ``resolved`` writes every parameter, so that a run can be repeated."""
        d: dict[str, Any] = {"name": self.name, "description": self.description, "weeks": self.weeks}
        s = self.seed if seed is None else seed
        if s is not None:
            d["seed"] = int(s)
        d["base"] = self.base
        if version:
            d["pcnsim_version"] = version
        d["population"] = dict(self.population)
        d["parameters"] = self.resolved_params().model_dump() if resolved else dict(self.parameters)
        if self.interventions:
            d["interventions"] = [iv.to_dict() for iv in self.interventions]
        if self.roles:
            d["roles"] = {k: dict(v) for k, v in self.roles.items()}
        if self.policy:
            d["policy"] = dict(self.policy)
        if self.workforce is not None:
            d["workforce"] = dict(self.workforce)
        return d

    def to_toml(self, **kw: Any) -> str:
        """The scenario as a TOML file's text (keywords as for :meth:`to_dict`)."""
        import tomli_w

        return tomli_w.dumps(self.to_dict(**kw))

    def hash(self) -> str:
        """A short stable hash of everything that determines the results (except the seed)."""
        d = self.to_dict(resolved=True)
        d.pop("seed", None)
        d.pop("description", None)
        if self.workforce is not None and self.workforce["kind"] == "csv":  # the file's content, not its place
            d["workforce"] = {"kind": "csv", "sha256": hashlib.sha256(Path(self.workforce["path"]).read_bytes()).hexdigest()}
        blob = json.dumps(d, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _ensure_population_kinds() -> None:
    """Import optional population builders so that they can register their kind."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("pcnsim.england") is not None:
        importlib.import_module("pcnsim.england")


def load(path_or_name: str | Path | None) -> Scenario:
    """A scenario from a file path, a built-in scenario's name (:data:`BUILTIN`, when no file of that name
    exists), or the built-in default when ``None``."""
    if path_or_name is None:
        return Scenario.default()
    if str(path_or_name) in BUILTIN and not Path(str(path_or_name)).exists():
        return Scenario.builtin(str(path_or_name))
    return Scenario.load(path_or_name)
