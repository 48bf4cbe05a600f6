"""Scenario files (TOML): a population, parameter overrides and interventions, validated.

A scenario file::

    name = "supervision"                 # required
    description = "Two protected hours a week"
    weeks = 260                          # run length (1 to 2,600)
    seed = 1                             # optional default seed (the CLI's --seed overrides it)
    base = "default"                     # named base parameter set; "default" is the only one so far

    [population]
    kind = "single"                      # "single" (one network from the parameters) or "england"
    copies = 1                           # independent copies of the population in one model

    [parameters]                         # overrides of pcnsim.params.Params
    practices_per_staff = 2

    [[interventions]]                    # see pcnsim.interventions
    type = "protected_supervision"
    start = "2021-04-01"

Errors name the file, the field and the allowed values.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pcnsim.errors import PCNSimInputError
from pcnsim.params import Params

BASES: dict[str, dict[str, Any]] = {"default": {}}
TOP_KEYS = ("name", "description", "weeks", "seed", "base", "population", "parameters", "interventions", "pcnsim_version")
POPULATION_KEYS = ("kind", "copies", "networks", "seed")

# Population builders by kind: f(params, spec) -> Population. Others register themselves (england).
POPULATION_KINDS: dict[str, Callable[..., Any]] = {}


def _single(params: Params, spec: dict[str, Any]) -> Any:
    from pcnsim.population import single_network

    return single_network(params)


POPULATION_KINDS["single"] = _single


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

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "<dict>") -> Scenario:
        from pcnsim.interventions import from_config

        where = source
        unknown = [k for k in d if k not in TOP_KEYS]
        if unknown:
            raise PCNSimInputError(f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(TOP_KEYS)}", field=unknown[0])
        name = d.get("name")
        if not isinstance(name, str) or not name.strip():
            raise PCNSimInputError(f"{where}: 'name' is required and must be a non-empty string", field="name")
        weeks = d.get("weeks", 260)
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 2600:
            raise PCNSimInputError(f"{where}: 'weeks' = {weeks!r} is not allowed: expected a whole number from 1 to 2600", field="weeks")
        seed = d.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise PCNSimInputError(f"{where}: 'seed' = {seed!r} is not allowed: expected a whole number >= 0", field="seed")
        base = d.get("base", "default")
        if base not in BASES:
            raise PCNSimInputError(f"{where}: 'base' = {base!r} is not allowed; allowed bases: {', '.join(BASES)}", field="base")
        if not isinstance(d.get("population", {}), dict):
            raise PCNSimInputError(f"{where}: [population] must be a table", field="population")
        pop = dict(d.get("population", {}))
        bad = [k for k in pop if k not in POPULATION_KEYS]
        if bad:
            raise PCNSimInputError(f"{where}: [population] has no key {bad[0]!r}; allowed keys: {', '.join(POPULATION_KEYS)}", field=f"population.{bad[0]}")
        pop.setdefault("kind", "single")
        _ensure_population_kinds()
        if pop["kind"] not in POPULATION_KINDS:
            raise PCNSimInputError(f"{where}: population.kind = {pop['kind']!r} is not allowed; allowed kinds: {', '.join(POPULATION_KINDS)}", field="population.kind")
        copies = pop.get("copies", 1)
        if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= 10_000:
            raise PCNSimInputError(f"{where}: population.copies = {copies!r} is not allowed: expected a whole number from 1 to 10000", field="population.copies")
        params = d.get("parameters", {}) or {}
        if not isinstance(params, dict):
            raise PCNSimInputError(f"{where}: [parameters] must be a table", field="parameters")
        Params.from_dict({**BASES[base], **params}, where=f"{where} [parameters]")  # validate now
        ivs = d.get("interventions", []) or []
        if not isinstance(ivs, list):
            raise PCNSimInputError(f"{where}: 'interventions' must be an array of tables ([[interventions]])", field="interventions")
        return cls(name=name, description=str(d.get("description", "")), weeks=weeks, seed=seed, base=base,
                   population=pop, parameters=dict(params), interventions=from_config(ivs, where=f"{where} interventions"),
                   source=source)

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        path = Path(path)
        if not path.exists():
            raise PCNSimInputError(f"scenario file not found: {path}", field="scenario")
        if path.is_dir():
            raise PCNSimInputError(f"scenario path is a directory, not a TOML file: {path}", field="scenario")
        try:
            d = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise PCNSimInputError(f"{path}: not valid TOML: {e}", field="scenario") from None
        except UnicodeDecodeError:
            raise PCNSimInputError(f"{path}: not a text (UTF-8) TOML file", field="scenario") from None
        return cls.from_dict(d, source=str(path))

    @classmethod
    def default(cls) -> Scenario:
        text = resources.files("pcnsim").joinpath("data/default.toml").read_text(encoding="utf-8")
        return cls.from_dict(tomllib.loads(text), source="<built-in default>")

    # -- use ---------------------------------------------------------------------------------------
    def resolved_params(self) -> Params:
        return Params.from_dict({**BASES[self.base], **self.parameters}, where=self.source)

    def build_population(self, params: Params | None = None) -> Any:
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
        return PCNModel(rng=seed, population=self.build_population(params), interventions=self.interventions, params=params)

    def with_changes(self, **changes: Any) -> Scenario:
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
        return d

    def to_toml(self, **kw: Any) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict(**kw))

    def hash(self) -> str:
        """A short stable hash of everything that determines the results (except the seed)."""
        d = self.to_dict(resolved=True)
        d.pop("seed", None)
        d.pop("description", None)
        blob = json.dumps(d, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _ensure_population_kinds() -> None:
    """Import optional population builders so that they can register their kind."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("pcnsim.england") is not None:
        importlib.import_module("pcnsim.england")


def load(path_or_name: str | Path | None) -> Scenario:
    """A scenario from a file path, or the built-in default when ``None``."""
    return Scenario.default() if path_or_name is None else Scenario.load(path_or_name)
