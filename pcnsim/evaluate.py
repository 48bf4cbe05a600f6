"""A flat function of scalars for sensitivity and exploratory-modelling tools (SALib, EMA Workbench).

>>> import pcnsim
>>> out = pcnsim.evaluate(practices_per_staff=2, homophily=0.4, seed=3, weeks=104)   # doctest: +SKIP
>>> out["arrs_retention_12m"]                                                       # doctest: +SKIP

:func:`evaluate` builds the scenario (the built-in default unless ``scenario=`` is given), applies the
scalar parameter values, runs one seeded model (or ``replicates`` of them, averaged, with common random
numbers) and returns the run's network-level outcomes (``model.summary()["network"]``) as plain floats.
It is the same code path ``pcnsim sweep`` runs on every worker, so a row of a sweep can be reproduced by
calling :func:`evaluate` with the row's parameters, ``seed`` and ``weeks``. Arguments may be Python or
NumPy scalars (``np.int64``, ``np.float64``, ``np.bool_``), as samplers give them.

This module is callable: ``pcnsim.evaluate(**scalars)`` is ``pcnsim.evaluate.evaluate(**scalars)``, and
``import pcnsim.evaluate as m`` gives the module with its helpers. Where the function itself must be
pickled (a multiprocessing evaluator), pass ``pcnsim.evaluate.evaluate``.

:func:`parameter_space` is the machine-readable space: every parameter of :class:`pcnsim.params.Params`
(numbers, flags and dates) with its allowed bounds and its *study range* (the plausible range for a
study, :func:`pcnsim.params.study_range`; the allowed bounds until one is declared), default, unit, kind
and evidence row. Flags are 0/1 and dates day ordinals (``datetime.date.toordinal``) on these axes, and
:func:`evaluate` takes them that way (whole numbers, flags and dates are rounded). :func:`salib_problem`
turns a subset into SALib's problem dictionary; :func:`ema_uncertainties` into EMA Workbench parameters.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import types
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pcnsim.errors import PCNSimInputError
from pcnsim.schema import excerpt

#: Outcomes a sweep keeps unless its spec says otherwise (keys of ``model.summary()["network"]``).
DEFAULT_OUTCOMES: tuple[str, ...] = (
    "arrs_retention_12m",
    "arrs_annual_leaver_rate",
    "arrs_intending_share",
    "arrs_fte_end",
    "unspent_share_complete_years",
    "appointments",
    "intervention_cost",
)

# Network summary keys that describe the run rather than its results.
_NOT_OUTCOMES = frozenset({"weeks", "networks", "practices", "start_date", "end_date"})


@lru_cache(maxsize=1)
def outcome_names() -> tuple[str, ...]:
    """Every numeric outcome of a run (the numeric keys of ``model.summary()["network"]``).

    Found from a one-week run of the default scenario, so outcomes added to the summary later appear here
    without a second list to keep in step.
    """
    from pcnsim.scenario import Scenario

    summary = Scenario.default().build_model(seed=0).run(1).summary()["network"]
    return tuple(k for k, v in summary.items()
                 if k not in _NOT_OUTCOMES and isinstance(v, (int, float)) and not isinstance(v, bool))


def check_outcomes(names: Iterable[str], *, field: str = "outcomes", where: str = "") -> tuple[str, ...]:
    """Validate outcome names; the error names the field and lists the allowed outcomes. Names among
    :data:`DEFAULT_OUTCOMES` are outcomes without the one-week run that :func:`outcome_names` takes (a test
    keeps them among its names)."""
    names = tuple(names)
    allowed = DEFAULT_OUTCOMES if set(names) <= set(DEFAULT_OUTCOMES) else outcome_names()
    loc = f"{where}: " if where else ""
    for i, n in enumerate(names):
        if n not in allowed:
            raise PCNSimInputError(f"{loc}{field}[{i}] = {n!r} is not an outcome; allowed outcomes: {', '.join(allowed)}",
                                   field=field)
    if len(set(names)) != len(names):
        raise PCNSimInputError(f"{loc}{field} lists an outcome twice", field=field)
    return names


def parameter_space(names: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Bounds, study range and metadata of the parameters (all of them, or ``names``).

    Returns
    -------
    dict
        ``{name: {"kind", "lower", "upper", "study", "default", "integer", "unit", "source", "group",
        "description"}}``. ``kind`` is ``int``, ``float``, ``bool`` or ``date``; ``lower``/``upper`` are the
        closed allowed bounds and ``study`` the study range ``[lo, hi]``, all floats on the parameter's
        numeric axis (flags 0 and 1; dates as day ordinals, with ``lower_date``, ``upper_date`` and
        ``study_dates`` in ISO form beside them); ``integer`` says the model rounds the value to a whole
        number (whole numbers, flags, dates); ``default`` is on the same axis (a flag's default is a bool).
        JSON-serialisable.
    """
    from pcnsim.params import Params, allowed_range, as_number, kind, study_range

    if names is None:
        names = list(Params.model_fields)
    out: dict[str, dict[str, Any]] = {}
    for n in names:
        if n not in Params.model_fields:
            raise PCNSimInputError(f"{n!r} is not a parameter; parameters: {', '.join(Params.model_fields)}",
                                   field=str(n))
        f = Params.model_fields[n]
        extra = f.json_schema_extra or {}
        k = kind(n)
        lo, hi = allowed_range(n)
        study = list(study_range(n))
        default = f.default if k in ("bool", "int", "float") else as_number(n, f.default)
        out[n] = {"kind": k, "lower": lo, "upper": hi, "study": study, "default": default,
                  "integer": k != "float", "unit": extra.get("unit", ""), "source": extra.get("source", ""),
                  "group": extra.get("group", ""), "description": f.description}
        if k == "date":
            iso = [dt.date.fromordinal(int(x)).isoformat() for x in (lo, hi, *study)]
            out[n].update(lower_date=iso[0], upper_date=iso[1], study_dates=iso[2:], default=int(default))
    return out


def salib_problem(names: Sequence[str] | None = None,
                  bounds: Mapping[str, tuple[float, float]] | None = None, *, study: bool = False) -> dict[str, Any]:
    """A SALib problem: ``{"num_vars", "names", "bounds"}`` over the allowed ranges (``study=True``: the
    study ranges); ``bounds`` narrows them per parameter."""
    space = parameter_space(names)
    bounds = dict(bounds or {})
    rows = []
    for n, meta in space.items():
        lo, hi = bounds.pop(n, meta["study"] if study else (meta["lower"], meta["upper"]))
        if not meta["lower"] <= lo < hi <= meta["upper"]:
            raise PCNSimInputError(f"bounds of {n!r} = ({lo}, {hi}) must satisfy "
                                   f"{meta['lower']:g} <= lower < upper <= {meta['upper']:g}", field=n)
        rows.append([float(lo), float(hi)])
    if bounds:
        raise PCNSimInputError(f"bounds given for {next(iter(bounds))!r}, which is not in names", field=next(iter(bounds)))
    return {"num_vars": len(space), "names": list(space), "bounds": rows}


def ema_uncertainties(names: Sequence[str] | None = None,
                      ranges: Mapping[str, tuple[Any, Any]] | None = None) -> list[Any]:
    """EMA Workbench parameters over the study ranges: ``RealParameter`` for numbers,
    ``IntegerParameter`` for whole numbers and dates (day ordinals), ``BooleanParameter`` for flags.

    ``ranges`` replaces the study range of some parameters (numbers, or dates / ISO strings for date
    parameters); it must lie within the allowed bounds. Needs ``ema_workbench`` (``pip install
    'pcnsim[ema]'``).
    """
    from ema_workbench import BooleanParameter, IntegerParameter, RealParameter

    from pcnsim.params import as_number

    ranges = dict(ranges or {})
    out = []
    for n, m in parameter_space(names).items():
        lo, hi = m["study"]
        if n in ranges:
            lo, hi = (as_number(n, coerce(n, v, lenient=False)) for v in ranges.pop(n))
            if not m["lower"] <= lo < hi <= m["upper"]:
                raise PCNSimInputError(f"ranges[{n!r}] must satisfy lower < upper within the allowed bounds",
                                       field=n)
        if m["kind"] == "bool":
            out.append(BooleanParameter(n))
        elif m["integer"]:
            out.append(IntegerParameter(n, int(math.ceil(lo)), int(math.floor(hi))))
        else:
            out.append(RealParameter(n, lo, hi))
    if ranges:
        raise PCNSimInputError(f"ranges given for {next(iter(ranges))!r}, which is not in names", field=next(iter(ranges)))
    return out


def _scalar(value: Any) -> Any:
    """NumPy scalars (and 0-d arrays) as the Python scalars they hold."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def coerce(name: str, value: Any, *, lenient: bool = True) -> Any:
    """A scalar as the parameter wants it. NumPy scalars become Python scalars and ISO strings of date
    parameters dates. ``lenient`` (samplers' values): whole-number parameters are rounded to the nearest
    integer; flags accept 0/1 (and numbers from 0 to 1: true from 0.5); dates accept day ordinals
    (``date.toordinal``), rounded. Anything else is passed on for validation."""
    from pcnsim.params import Params

    f = Params.model_fields.get(name)
    value = _scalar(value)
    if f is None:
        return value
    if f.annotation is dt.date and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if not lenient or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return value
    if f.annotation is int and isinstance(value, float):
        return int(round(value))
    if f.annotation is bool and 0 <= value <= 1:
        return bool(value >= 0.5)
    if f.annotation is dt.date and 1 <= value <= dt.date.max.toordinal():
        return dt.date.fromordinal(int(round(value)))
    return value


@lru_cache(maxsize=8)
def _scenario(path: str | None) -> Any:
    from pcnsim.scenario import load

    return load(path)


def run_outcomes(scenario: Any, overrides: Mapping[str, Any], seed: int, weeks: int,
                 outcomes: Sequence[str] | None = None) -> tuple[dict[str, float], str]:
    """Run one model of ``scenario`` with parameter ``overrides``; return ``(outcomes, scenario_hash)``.

    The scenario hash is that of the scenario with the overrides and run length applied (see
    :meth:`pcnsim.scenario.Scenario.hash`), so two rows with the same hash and seed are the same run.
    """
    sc = scenario.with_changes(parameters={**scenario.parameters, **overrides}, weeks=int(weeks))
    net = run_network_summary(sc, seed, weeks)["network"]
    keys = outcome_names() if outcomes is None else outcomes
    return {k: float(net[k]) for k in keys}, sc.hash()


def run_network_summary(scenario: Any, seed: int, weeks: int) -> dict[str, Any]:
    """The run summary (without the commissioner's figures) of one model of ``scenario`` alone."""
    from pcnsim.results import summarise

    return summarise(scenario.build_model(seed=int(seed)).run(int(weeks)), commission=False)


def _whole_arg(name: str, value: Any, lo: int, hi: int) -> int:
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise PCNSimInputError(f"evaluate: {name} = {excerpt(value)} is not allowed: expected a whole number from "
                               f"{lo} to {hi:,}", field=name)
    return value


def evaluate(*, seed: int = 1, weeks: int | None = None, scenario: str | Path | Any | None = None,
             outcomes: Sequence[str] | None = None, replicates: int = 1, **scalars: Any) -> dict[str, float]:
    """Run pcnsim with scalar parameter values and return its outcomes.

    Parameters
    ----------
    seed : int
        Random seed of the run (default 1); with ``replicates``, the first of the seeds. The same arguments
        give the same numbers, in any process.
    weeks : int, optional
        Weeks to simulate (default: the scenario's; the built-in default runs 260 weeks, April 2019 to
        March 2024). Outcomes over the last 12 months (``arrs_retention_12m``) need at least 52 weeks,
        ``unspent_share_complete_years`` a complete financial year; otherwise they are NaN.
    scenario : path, Scenario or None
        Scenario file or :class:`pcnsim.scenario.Scenario` to start from (default: the built-in default).
    outcomes : sequence of str, optional
        Outcomes to return (default: all of :func:`outcome_names`).
    replicates : int
        Runs with seeds ``seed, seed + 1, ..., seed + replicates - 1`` (default 1). The outcomes are their
        means (over the replicates where an outcome is defined; NaN if it is defined in none). Every
        parameter point evaluated with the same ``seed`` and ``replicates`` sees the same random numbers
        (common random numbers), so differences between points are the parameters', and shares such as
        12-month retention of a short run are no longer stuck at a few values.
    **scalars
        Parameter values by name (see :func:`parameter_space` and ``pcnsim params``): they override the
        scenario's. Python or NumPy scalars; whole-number parameters are rounded, flags take true/false or
        0/1, dates a date, an ISO string or a day ordinal. Unknown names and values out of range raise
        :class:`pcnsim.errors.PCNSimInputError` naming the parameter and the allowed values.

    Returns
    -------
    dict of str to float
        Outcome name to value (units as in :func:`pcnsim.results.summarise`: shares 0-1, FTE, GBP,
        appointments).
    """
    from pcnsim.params import Params, check_keys
    from pcnsim.scenario import Scenario

    check_keys(scalars, where="evaluate")
    seed = _whole_arg("seed", seed, 0, 2**63 - 1 - 100_000)
    replicates = _whole_arg("replicates", replicates, 1, 100_000)
    sc = scenario if isinstance(scenario, Scenario) else _scenario(None if scenario is None else str(scenario))
    weeks = _whole_arg("weeks", sc.weeks if weeks is None else weeks, 1, 2600)
    if outcomes is not None:
        outcomes = check_outcomes([_scalar(o) for o in outcomes])
    overrides = {k: coerce(k, v) for k, v in scalars.items()}
    Params.from_dict({**sc.parameters, **overrides}, where="evaluate")  # fail before any run
    if replicates == 1:
        runs = [run_outcomes(sc, overrides, seed, weeks, outcomes)[0]]
    else:  # replicates packed as the networks of one model (pcnsim.pack): the same numbers, faster
        from pcnsim.pack import PackedRun, run_packed

        one = sc.with_changes(parameters={**sc.parameters, **overrides}, weeks=int(weeks))
        keys = outcome_names() if outcomes is None else outcomes
        runs = [{k: float(s["network"][k]) for k in keys}
                for s in run_packed([PackedRun(one, seed + r) for r in range(replicates)], weeks)]
    if replicates == 1:
        return runs[0]
    out = {}
    for k in runs[0]:
        vals = np.array([r[k] for r in runs], dtype=float)
        ok = np.isfinite(vals)
        out[k] = float(vals[ok].mean()) if ok.any() else float("nan")
    return out


class _CallableModule(types.ModuleType):
    """This module, callable: ``pcnsim.evaluate(**kw)`` runs :func:`evaluate`."""

    def __call__(self, **kwargs: Any) -> dict[str, float]:
        return evaluate(**kwargs)


sys.modules[__name__].__class__ = _CallableModule
