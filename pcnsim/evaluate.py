"""A flat function of scalars for sensitivity and exploratory-modelling tools (SALib, EMA Workbench).

>>> from pcnsim import evaluate
>>> out = evaluate(practices_per_staff=2, homophily=0.4, seed=3, weeks=104)   # doctest: +SKIP
>>> out["arrs_retention_12m"]                                                # doctest: +SKIP

:func:`evaluate` builds the scenario (the built-in default unless ``scenario=`` is given), applies the
scalar parameter values, runs one seeded model and returns the run's network-level outcomes
(``model.summary()["network"]``) as plain floats. It is the same code path ``pcnsim sweep`` runs on every
worker, so a row of a sweep can be reproduced by calling :func:`evaluate` with the row's parameters,
``seed`` and ``weeks``.

:func:`parameter_space` is the machine-readable space: every numeric parameter of
:class:`pcnsim.params.Params` with its bounds (from :func:`pcnsim.params.numeric_space`), default, unit,
whether it is a whole number, and its evidence row. :func:`salib_problem` turns a subset into SALib's
problem dictionary. Bounds are the *allowed* ranges of the parameters, not plausible ranges: narrow them
for a study (a sweep spec does that per parameter).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pcnsim.errors import PCNSimInputError

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
    """Validate outcome names; the error names the field and lists the allowed outcomes."""
    allowed = outcome_names()
    names = tuple(names)
    loc = f"{where}: " if where else ""
    for i, n in enumerate(names):
        if n not in allowed:
            raise PCNSimInputError(f"{loc}{field}[{i}] = {n!r} is not an outcome; allowed outcomes: {', '.join(allowed)}",
                                   field=field)
    if len(set(names)) != len(names):
        raise PCNSimInputError(f"{loc}{field} lists an outcome twice", field=field)
    return names


def parameter_space(names: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Bounds and metadata of the numeric parameters (all of them, or ``names``).

    Returns
    -------
    dict
        ``{name: {"lower", "upper", "default", "integer", "unit", "source", "group", "description"}}``;
        ``lower``/``upper`` are the closed allowed bounds (floats), ``integer`` says the model rounds the
        value to a whole number. JSON-serialisable.
    """
    from pcnsim.params import Params, numeric_space

    space = numeric_space()
    if names is None:
        names = list(space)
    out: dict[str, dict[str, Any]] = {}
    for n in names:
        if n not in space:
            kind = "not numeric" if n in Params.model_fields else "not a parameter"
            raise PCNSimInputError(f"parameter {n!r} is {kind}; numeric parameters: {', '.join(space)}", field=n)
        f = Params.model_fields[n]
        extra = f.json_schema_extra or {}
        lo, hi = space[n]
        out[n] = {"lower": lo, "upper": hi, "default": f.default, "integer": f.annotation is int,
                  "unit": extra.get("unit", ""), "source": extra.get("source", ""),
                  "group": extra.get("group", ""), "description": f.description}
    return out


def salib_problem(names: Sequence[str] | None = None,
                  bounds: Mapping[str, tuple[float, float]] | None = None) -> dict[str, Any]:
    """A SALib problem: ``{"num_vars", "names", "bounds"}``; ``bounds`` narrows the allowed ranges."""
    space = parameter_space(names)
    bounds = dict(bounds or {})
    rows = []
    for n, meta in space.items():
        lo, hi = bounds.pop(n, (meta["lower"], meta["upper"]))
        if not meta["lower"] <= lo < hi <= meta["upper"]:
            raise PCNSimInputError(f"bounds of {n!r} = ({lo}, {hi}) must satisfy "
                                   f"{meta['lower']:g} <= lower < upper <= {meta['upper']:g}", field=n)
        rows.append([float(lo), float(hi)])
    if bounds:
        raise PCNSimInputError(f"bounds given for {next(iter(bounds))!r}, which is not in names", field=next(iter(bounds)))
    return {"num_vars": len(space), "names": list(space), "bounds": rows}


def coerce(name: str, value: Any) -> Any:
    """A scalar as the parameter wants it: whole-number parameters are rounded to the nearest integer,
    flags accept 0/1, numpy scalars become Python scalars. Anything else is passed on for validation."""
    from pcnsim.params import Params

    f = Params.model_fields.get(name)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if f is None:
        return value
    if f.annotation is int and isinstance(value, float) and math.isfinite(value):
        return int(round(value))
    if f.annotation is bool and isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    if f.annotation is dt.date and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
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
    model = sc.build_model(seed=int(seed)).run(int(weeks))
    net = model.summary()["network"]
    keys = outcome_names() if outcomes is None else outcomes
    return {k: float(net[k]) for k in keys}, sc.hash()


def evaluate(*, seed: int = 1, weeks: int | None = None, scenario: str | Path | Any | None = None,
             outcomes: Sequence[str] | None = None, **scalars: Any) -> dict[str, float]:
    """Run pcnsim once with scalar parameter values and return its outcomes.

    Parameters
    ----------
    seed : int
        Random seed of the run (default 1). The same arguments give the same numbers, in any process.
    weeks : int, optional
        Weeks to simulate (default: the scenario's; the built-in default runs 260 weeks, April 2019 to
        March 2024). Outcomes over the last 12 months (``arrs_retention_12m``) need at least 52 weeks,
        ``unspent_share_complete_years`` a complete financial year; otherwise they are NaN.
    scenario : path, Scenario or None
        Scenario file or :class:`pcnsim.scenario.Scenario` to start from (default: the built-in default).
    outcomes : sequence of str, optional
        Outcomes to return (default: all of :func:`outcome_names`).
    **scalars
        Parameter values by name (see :func:`parameter_space` and ``pcnsim params``): they override the
        scenario's. Whole-number parameters are rounded; unknown names and values out of range raise
        :class:`pcnsim.errors.PCNSimInputError` naming the parameter and the allowed values.

    Returns
    -------
    dict of str to float
        Outcome name to value (units as in :func:`pcnsim.results.summarise`: shares 0-1, FTE, GBP,
        appointments).
    """
    from pcnsim.params import check_keys
    from pcnsim.scenario import Scenario

    check_keys(scalars, where="evaluate")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise PCNSimInputError(f"evaluate: seed = {seed!r} is not allowed: expected a whole number >= 0", field="seed")
    sc = scenario if isinstance(scenario, Scenario) else _scenario(None if scenario is None else str(scenario))
    weeks = sc.weeks if weeks is None else weeks
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 2600:
        raise PCNSimInputError(f"evaluate: weeks = {weeks!r} is not allowed: expected a whole number from 1 to 2600",
                               field="weeks")
    if outcomes is not None:
        outcomes = check_outcomes(outcomes)
    overrides = {k: coerce(k, v) for k, v in scalars.items()}
    values, _ = run_outcomes(sc, overrides, seed, weeks, outcomes)
    return values
