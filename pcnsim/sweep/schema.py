"""The schema of a sweep spec file (``pcnsim schema sweep`` prints it as JSON Schema).

Checks that need only the spec are declared here, once: keys, types, ranges, the design's own keys per
``kind`` (a key that does not apply to the chosen design is refused), and each swept parameter's entry
against the parameter's kind and allowed bounds. Checks that need the base scenario (explicit values of
a parameter, which must be valid with the scenario's other parameters) and the outcome names are made by
:meth:`pcnsim.sweep.SweepSpec.from_dict`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, Tag, WithJsonSchema, model_validator

from pcnsim.params import PARAM_NAMES, allowed_range, kind, study_range
from pcnsim.schema import (
    DATE_TEXT,
    Date,
    Description,
    Name,
    StrictModel,
    Text,
    Weeks,
    Whole,
    allowed,
    excerpt,
    fail,
    json_schema,
    union_tag,
)

DESIGNS = ("grid", "lhs", "sobol", "morris")
MAX_RUNS = 10_000_000
MAX_DESIGN_SEED = 2**32 - 1

Bound = Annotated[float | Date, allowed(f"a number, or {DATE_TEXT} for a date parameter")]


class ParamRange(StrictModel):
    """One swept parameter: ``{ min = .., max = .. }``, ``{ values = [..] }`` (grid only), or ``{}``: the
    parameter's study range (:func:`pcnsim.params.study_range`)."""

    KEYS_OF = "a swept parameter (min and max, or values; {} for the study range)"
    min: Bound | None = None
    max: Bound | None = None
    values: Annotated[list[Any], Field(min_length=1, max_length=100_000)] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ParamRange:
        if self.values is not None and (self.min is not None or self.max is not None):
            raise fail("", "give either min and max, or values, not both")
        if (self.min is None) != (self.max is None):
            missing = "max" if self.max is None else "min"
            raise fail(missing, "missing: a range needs both min and max ({} alone means the parameter's study "
                                "range)")
        return self


def _bare_list(value: Any) -> Any:
    return {"values": value} if isinstance(value, list) else value


ParamEntry = Annotated[ParamRange, BeforeValidator(_bare_list),
                       allowed("{ min = .., max = .. }, { values = [..] } (grid only), or {} (the parameter's study "
                               "range)", deeper=True), WithJsonSchema(
    {"anyOf": [ParamRange.model_json_schema(), {"type": "array", "minItems": 1, "description": "values (grid only)"}]})]


class GridDesign(StrictModel):
    """Every combination of the parameters' values (a range gives ``levels`` evenly spaced values)."""

    KEYS_OF = "[design] with kind 'grid'"
    kind: Literal["grid"] = "grid"
    levels: Whole(2, 1000, "values per range") = 3


class LhsDesign(StrictModel):
    """A Latin hypercube of ``samples`` points (SALib)."""

    KEYS_OF = "[design] with kind 'lhs'"
    kind: Literal["lhs"]
    samples: Whole(1, MAX_RUNS, "points")
    seed: Whole(0, MAX_DESIGN_SEED) | None = None


class SobolDesign(StrictModel):
    """Saltelli/Sobol' sequence of ``samples`` x (D + 2) points, x (2D + 2) with ``second_order``."""

    KEYS_OF = "[design] with kind 'sobol'"
    kind: Literal["sobol"]
    samples: Whole(2, MAX_RUNS, "base samples, a power of 2")
    second_order: bool = False
    seed: Whole(0, MAX_DESIGN_SEED) | None = None

    @model_validator(mode="after")
    def _power_of_2(self) -> SobolDesign:
        if self.samples & (self.samples - 1):
            raise fail("samples", f"{self.samples} is not allowed for design 'sobol': expected a power of 2 (e.g. "
                                  "64, 128, 256)")
        return self


class MorrisDesign(StrictModel):
    """``samples`` Morris trajectories of D + 1 points on a ``levels`` grid (SALib)."""

    KEYS_OF = "[design] with kind 'morris'"
    kind: Literal["morris"]
    samples: Whole(2, MAX_RUNS, "trajectories")
    levels: Whole(2, 1000, "levels of the grid") = 4
    seed: Whole(0, MAX_DESIGN_SEED) | None = None


def _default_grid(value: Any) -> str | None:
    return "grid" if isinstance(value, Mapping) and "kind" not in value else None


DesignTable = Annotated[
    Union[tuple(Annotated[m, Tag(k)] for k, m in zip(DESIGNS, (GridDesign, LhsDesign, SobolDesign,  # noqa: UP007
                                                              MorrisDesign), strict=True))],
    union_tag("kind", DESIGNS, pick=_default_grid, noun="designs"),
]


class SweepFile(StrictModel):
    """The schema of a sweep spec (TOML)."""

    name: Name = Field(description="A label; the default result folder is results/sweeps/<slug of the name>.")
    description: Description = ""
    scenario: Text(4096, what='"default" or a scenario file path', min_length=1) = Field(
        "default", description='"default" (built in) or a scenario file, relative to this spec.')
    weeks: Weeks | None = Field(None, description="Run length (default: the scenario's).")
    seed: Whole(0, 2**62) = Field(1, description="Replicate r of every point runs with seed + r.")
    replicates: Whole(1, 100_000, "runs per point") = 1
    outcomes: Annotated[list[Text(100, what="an outcome name")], Field(min_length=1, max_length=500)] | None = None
    batch_size: Whole(1, 100_000, "runs per batch") | None = None
    design: DesignTable = Field(default_factory=GridDesign)
    parameters: Annotated[dict[str, ParamEntry], Field(max_length=len(PARAM_NAMES))] = Field(
        default_factory=dict, json_schema_extra={"propertyNames": {"enum": list(PARAM_NAMES)}})

    @model_validator(mode="after")
    def _parameters(self) -> SweepFile:
        design = self.design.kind
        ranged = 0
        for name, entry in self.parameters.items():
            f = f"parameters.{name}"
            if name not in PARAM_NAMES:
                close = difflib.get_close_matches(name, PARAM_NAMES, n=3)
                hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
                raise fail(f, f"unknown parameter {excerpt(name)}{hint}; valid parameters: {', '.join(PARAM_NAMES)}")
            k = kind(name)
            if entry.values is not None:
                if design != "grid":
                    raise fail(f"{f}.values", f"allowed with design 'grid' only; design {design!r} needs a range "
                                              "{ min = .., max = .. }, or {} for the study range")
                continue
            ranged += 1
            if entry.min is None:
                continue  # {}: the study range
            if k == "bool":
                raise fail(f, "a flag has no min and max: give {} (both values, sampled as 0/1) or values = [..]")
            for end in ("min", "max"):
                v = getattr(entry, end)
                is_date = isinstance(v, dt.date)
                if is_date != (k == "date"):
                    want = "a date (YYYY-MM-DD)" if k == "date" else "a number"
                    raise fail(f"{f}.{end}", f"{excerpt(v)} is not allowed: expected {want}")
            lo, hi = (_axis(name, entry.min), _axis(name, entry.max))
            a_lo, a_hi = allowed_range(name)
            for end, v in (("min", lo), ("max", hi)):
                if not a_lo <= v <= a_hi:
                    raise fail(f"{f}.{end}", f"{excerpt(getattr(entry, end))} is not allowed: expected "
                                             f"{_describe(name, a_lo, a_hi)} (the parameter's bounds)")
            if not lo < hi:
                raise fail(f"{f}.min", f"min = {excerpt(entry.min)} must be below max = {excerpt(entry.max)}")
        if design != "grid" and not ranged:
            raise fail("parameters", f"design {design!r} needs at least one parameter with a range "
                                     "({ min = .., max = .. }, or {} for the study range)")
        return self


def _axis(name: str, value: float | dt.date) -> float:
    return float(value.toordinal()) if isinstance(value, dt.date) else float(value)


def _describe(name: str, lo: float, hi: float) -> str:
    if kind(name) == "date":
        return f"a date from {dt.date.fromordinal(int(lo))} to {dt.date.fromordinal(int(hi))}"
    return f"a number from {lo:g} to {hi:g}"


def resolved_range(name: str, entry: ParamRange) -> tuple[float, float]:
    """The range of a ranged entry on the parameter's numeric axis: its min and max, or the study range."""
    if entry.min is None:
        return study_range(name)
    return _axis(name, entry.min), _axis(name, entry.max)


def sweep_schema() -> dict[str, Any]:
    """JSON Schema of a sweep spec (``pcnsim schema sweep``)."""
    return json_schema(SweepFile, title="pcnsim sweep spec",
                       description="A pcnsim parameter sweep (TOML): base scenario, design, parameters, outcomes.")
