"""A validated sweep spec: its parameters, its identity (hash, run ids) and its design."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pcnsim.errors import PCNSimInputError
from pcnsim.schema import load_toml, validate
from pcnsim.sweep.runs import RunTask
from pcnsim.sweep.schema import MAX_DESIGN_SEED, MAX_RUNS, SweepFile, resolved_range


@dataclass(frozen=True)
class ParamSpec:
    """One swept parameter: a closed range ``[lo, hi]`` on its numeric axis (flags 0..1, dates as day
    ordinals) or explicit ``values`` (grid only). ``kind`` is the parameter's type (``int``, ``float``,
    ``bool``, ``date``)."""

    name: str
    lo: float | None = None
    hi: float | None = None
    values: tuple[Any, ...] | None = None
    integer: bool = False
    kind: str = "float"

    def to_dict(self) -> dict[str, Any]:
        """The parameter's entry in a spec file: ``{"min": .., "max": ..}`` (dates as ISO dates) or
        ``{"values": [...]}``."""
        if self.values is not None:
            return {"values": [v.isoformat() if isinstance(v, dt.date) else v for v in self.values]}
        if self.kind == "date":
            return {"min": dt.date.fromordinal(int(self.lo)).isoformat(),
                    "max": dt.date.fromordinal(int(self.hi)).isoformat()}
        return {"min": self.lo, "max": self.hi}

    def value(self, x: float) -> Any:
        """The parameter value that a raw design value ``x`` on the numeric axis stands for."""
        if self.kind == "bool":
            return bool(x >= 0.5)
        if self.kind == "date":
            return dt.date.fromordinal(int(np.rint(x)))
        if self.kind == "int":
            return int(np.rint(x))
        return float(x)


@dataclass
class SweepSpec:
    """A validated sweep spec (see :mod:`pcnsim.sweep` for the file format)."""

    name: str
    scenario: Any  # pcnsim.scenario.Scenario, with the sweep's weeks applied
    params: list[ParamSpec]
    design: str = "grid"
    samples: int | None = None
    levels: int = 3
    second_order: bool = False
    design_seed: int = 1
    seed: int = 1
    replicates: int = 1
    outcomes: tuple[str, ...] = ()
    batch_size: int | None = None
    description: str = ""
    scenario_ref: str = "default"
    source: str = "<dict>"
    text: str = ""
    _design: Any = field(default=None, repr=False, compare=False)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> SweepSpec:
        """A spec from a TOML file (a scenario path in it is relative to the file)."""
        path = Path(path)
        d, text = load_toml(path, field="spec", what="sweep spec")
        return cls.from_dict(d, source=str(path), base_dir=path.parent, text=text)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "<dict>", base_dir: str | Path = ".",
                  text: str = "") -> SweepSpec:
        """Validate a spec (:class:`pcnsim.sweep.schema.SweepFile`, then the checks that need the base
        scenario) and build its design, before anything runs or is written."""
        from pcnsim.evaluate import DEFAULT_OUTCOMES, check_outcomes
        from pcnsim.scenario import Scenario, load

        w = source
        f = validate(SweepFile, d, where=w, what="the sweep spec")
        if f.scenario == "default":
            scenario = Scenario.default()
        else:
            p = Path(f.scenario) if Path(f.scenario).is_absolute() else Path(base_dir) / f.scenario
            try:
                scenario = load(p)
            except PCNSimInputError as e:
                raise PCNSimInputError(f"{w}: scenario: {e}", field="scenario") from None
        scenario = scenario.with_changes(weeks=f.weeks if f.weeks is not None else scenario.weeks)
        params = _param_specs(f, scenario, w)  # (before the outcomes: checking an outcome's name may build a model)
        outcomes = check_outcomes(f.outcomes if f.outcomes is not None else DEFAULT_OUTCOMES, where=w)
        design = f.design
        spec = cls(name=f.name, scenario=scenario, params=params, design=design.kind,
                   samples=getattr(design, "samples", None), levels=getattr(design, "levels", 3),
                   second_order=getattr(design, "second_order", False),
                   design_seed=design.seed if getattr(design, "seed", None) is not None
                   else f.seed % (MAX_DESIGN_SEED + 1),
                   seed=f.seed, replicates=f.replicates, outcomes=outcomes, batch_size=f.batch_size,
                   description=f.description, scenario_ref=f.scenario, source=source, text=text)
        n = spec.n_points * spec.replicates
        if n > MAX_RUNS:
            raise PCNSimInputError(f"{w}: the sweep has {n:,} runs; at most {MAX_RUNS:,} are allowed in one sweep "
                                   "(lower design.samples, levels or replicates)", field="design.samples")
        spec.design_frame()  # build (and so check) the design now, before any output exists
        return spec

    # -- identity -------------------------------------------------------------------------------
    def canonical(self) -> dict[str, Any]:
        """Everything that determines the runs and their numbers (not the batch size or description)."""
        return {"scenario_hash": self.scenario.hash(), "weeks": self.scenario.weeks, "seed": self.seed,
                "replicates": self.replicates, "outcomes": list(self.outcomes),
                "design": {"kind": self.design, "samples": self.samples, "levels": self.levels,
                           "second_order": self.second_order, "seed": self.design_seed},
                "parameters": {p.name: p.to_dict() for p in self.params}}

    def hash(self) -> str:
        """A short stable hash of :meth:`canonical` (part of every run id)."""
        blob = json.dumps(self.canonical(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    @property
    def weeks(self) -> int:
        """Run length (weeks): the spec's ``weeks``, else the base scenario's."""
        return int(self.scenario.weeks)

    @property
    def range_params(self) -> list[ParamSpec]:
        """The parameters swept over a range (not given as explicit values)."""
        return [p for p in self.params if p.values is None]

    def problem(self) -> dict[str, Any]:
        """The SALib problem of the range parameters (names and bounds on their numeric axes)."""
        rp = self.range_params
        return {"num_vars": len(rp), "names": [p.name for p in rp], "bounds": [[p.lo, p.hi] for p in rp]}

    @property
    def n_points(self) -> int:
        """Design points: the grid's combinations, ``samples`` (lhs), ``samples`` x (D + 2) or (2D + 2)
        (sobol), ``samples`` x (D + 1) (morris), for D range parameters."""
        D = len(self.range_params)
        if self.design == "grid":
            return math.prod(len(a) for a in self._grid_axes())
        if self.design == "lhs":
            return int(self.samples)
        if self.design == "sobol":
            return int(self.samples) * (2 * D + 2 if self.second_order else D + 2)
        return int(self.samples) * (D + 1)

    @property
    def n_runs(self) -> int:
        """Runs in the sweep: design points x replicates."""
        return self.n_points * self.replicates

    # -- design ---------------------------------------------------------------------------------
    def _grid_axes(self) -> list[list[Any]]:
        """Values of each parameter on the grid (raw, on the numeric axis for ranges): its values, or
        ``levels`` evenly spaced over its range (whole numbers and dates: the distinct rounded values;
        flags: both)."""
        axes = []
        for p in self.params:
            if p.values is not None:
                axes.append(list(p.values))
            elif p.kind == "bool":
                axes.append([0.0, 1.0])
            else:
                v = np.linspace(p.lo, p.hi, self.levels)
                axes.append([float(x) for x in (np.unique(np.rint(v)) if p.kind in ("int", "date") else v)])
        return axes

    def design_frame(self) -> Any:
        """One row per design point: ``point``, the parameter values as run, and ``x_<name>``, the raw
        (unrounded) design values of range parameters (SALib's X, for the analysis; dates as day ordinals,
        flags as 0..1)."""
        import pandas as pd

        if self._design is not None:
            return self._design
        names = [p.name for p in self.params]
        if self.design == "grid":
            axes = self._grid_axes()
            rows = list(itertools.product(*axes)) if axes else [()]
            raw = pd.DataFrame(rows, columns=names)
        else:
            import warnings

            problem = self.problem()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if self.design == "lhs":
                    from SALib.sample import latin

                    X = latin.sample(problem, self.samples, seed=self.design_seed)
                elif self.design == "sobol":
                    from SALib.sample import sobol

                    X = sobol.sample(problem, self.samples, calc_second_order=self.second_order,
                                     seed=self.design_seed)
                else:
                    from SALib.sample import morris

                    X = morris.sample(problem, self.samples, num_levels=self.levels, seed=self.design_seed)
            raw = pd.DataFrame(X, columns=problem["names"])
        df = pd.DataFrame({"point": np.arange(len(raw), dtype=np.int64)})
        for p in self.params:
            col = raw[p.name]
            if p.values is None:
                v = col.astype(float).to_numpy()
                df[f"x_{p.name}"] = v
                if p.kind == "int":
                    df[p.name] = np.rint(v).astype(np.int64)
                elif p.kind == "float":
                    df[p.name] = v
                else:
                    df[p.name] = pd.Series([p.value(x) for x in v], dtype=bool if p.kind == "bool" else object)
            else:
                df[p.name] = list(col)
        self._design = df
        return df

    def point_overrides(self) -> list[dict[str, Any]]:
        """Parameter overrides of each design point (Python scalars)."""
        from pcnsim.evaluate import coerce

        df = self.design_frame()
        names = [p.name for p in self.params]
        return [{n: coerce(n, v) for n, v in zip(names, row, strict=True)}
                for row in df[names].itertuples(index=False, name=None)] if names else [{} for _ in range(len(df))]

    def run_id(self, point: int, replicate: int) -> str:
        """The id of a run, ``<spec hash>-p<point>-r<replicate>``: the same for the same spec anywhere."""
        return f"{self.hash()}-p{point:07d}-r{replicate:04d}"

    def tasks(self) -> list[RunTask]:
        """Every run of the sweep, point by point, in a fixed order."""
        h = self.hash()
        return [RunTask(f"{h}-p{i:07d}-r{r:04d}", i, r, self.seed + r, ov)
                for i, ov in enumerate(self.point_overrides()) for r in range(self.replicates)]

    def payload(self) -> dict[str, Any]:
        """What a worker needs besides the runs: the base scenario as plain data, weeks, outcomes."""
        return {"scenario": self.scenario.to_dict(resolved=False), "source": self.scenario.source,
                "weeks": self.weeks, "outcomes": list(self.outcomes), "sweep": self.hash()}


def _param_specs(f: SweepFile, scenario: Any, w: str) -> list[ParamSpec]:
    """The swept parameters of a validated spec; explicit values are checked with the base scenario's
    parameters (so that, e.g., a swept ``pandemic_end`` cannot fall before the scenario's start)."""
    from pcnsim.evaluate import coerce
    from pcnsim.params import Params, kind

    base = scenario.resolved_params()
    out = []
    for name, entry in f.parameters.items():
        k = kind(name)
        if entry.values is not None:
            vals = entry.values
            for i, v in enumerate(vals):
                try:
                    Params.from_dict({name: coerce(name, v, lenient=False)}, base=base)
                except PCNSimInputError as e:
                    raise PCNSimInputError(f"{w}: parameters.{name}.values[{i}]: {e}",
                                           field=f"parameters.{name}.values") from None
            if len(set(map(repr, vals))) != len(vals):
                raise PCNSimInputError(f"{w}: parameters.{name}.values lists a value twice",
                                       field=f"parameters.{name}.values")
            out.append(ParamSpec(name, values=tuple(vals), integer=k == "int", kind=k))
        else:
            lo, hi = resolved_range(name, entry)
            out.append(ParamSpec(name, lo=lo, hi=hi, integer=k == "int", kind=k))
    return out
