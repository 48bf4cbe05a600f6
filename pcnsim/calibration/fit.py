"""The point fit: free parameters in blocks, Nelder-Mead (scipy.optimize) over replicate means with common
random numbers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pcnsim.calibration.measure import Runner, seeds_for
from pcnsim.calibration.targets import BASE_SEED, PANEL_NETWORKS, TARGET_BY_ID
from pcnsim.errors import PCNSimInputError
from pcnsim.params import Params, bounds


# ----------------------------------------------------------------------------------------------------------
# The fit
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FreeParameter:
    """A parameter the fit moves: its starting value, search bounds and optional Gaussian prior."""

    name: str
    start: float
    lo: float
    hi: float
    prior: tuple[float, float] | None = None  # (mean, sd)
    prior_source: str = ""
    digits: int = 3  # significant digits written to the defaults


#: Targets the model's structure cannot meet together with the others, and why (measured and reported, not
#: fitted). None at present: the three misses of the first calibration (T1, T2b, T4a) were mended in the model
#: (T1 measured as E11 words it, a personal propensity to leave, and slower recruitment while networks ran the
#: vaccination programme; docs/calibration.md). tests/test_calibration.py expects these to miss strictly.
STRUCTURAL_MISSES: dict[str, str] = {}

#: Block "recruitment": the weekly fill chance and its yearly trend, the going rate of pay and the slowdown
#: while networks ran the vaccination programme (T4a, T4b, T5).
RECRUITMENT: tuple[FreeParameter, ...] = (
    FreeParameter("fill_rate", 0.065, 0.005, 0.5),
    FreeParameter("fill_rate_trend", 0.0, -0.5, 1.0),
    FreeParameter("salary_to_cap", 0.89, 0.5, 1.0),
    FreeParameter("vaccination_recruit_factor", 0.3, 0.05, 1.0),
)
#: Block "leaving": the level of intention, the weight of lacking supervision and support, how often an
#: intention becomes leaving and how long it persists, the end of fixed-term posts and the core staff's level
#: of intention (T1, T2a, T2b, T3, T6, T7a, T7b). Fitted together: the intercept and the conversions move all of them.
LEAVING: tuple[FreeParameter, ...] = (
    FreeParameter("intention_intercept", -3.6, -8.0, 1.0),
    FreeParameter("w_supervision", 1.75, 0.0, 6.0),
    FreeParameter("leave_if_intending", 0.26, 0.02, 0.9),
    FreeParameter("leave_if_not_intending", 0.0, 0.0, 0.05),
    FreeParameter("fixed_term_end_rate", 0.012, 0.0, 0.1),
    FreeParameter("core_intention_offset", 0.8, -2.0, 3.0),
    FreeParameter("propensity_renewal", 0.0025, 0.001, 0.03),
)
#: The blocks of the fit: name -> (free parameters, targets in the block's loss, runs the loss needs:
#: ``"default"`` for the default scenario, ``"t1"`` for T1's condition).
BLOCKS: dict[str, tuple[tuple[FreeParameter, ...], tuple[str, ...], tuple[str, ...]]] = {
    # name: (parameters, targets in the loss, runs needed)
    "recruitment": (RECRUITMENT, ("T4a", "T4b", "T5"), ("default",)),
    "leaving": (LEAVING, ("T1", "T2a", "T2b", "T3", "T6", "T7a", "T7b"), ("t1", "default")),
}
#: The order of the fit and the evaluations per round. Start values come from an exploratory search of the
#: new structure (they are fixed here, not read from the current defaults, so that the command reproduces
#: its result).
ROUNDS: tuple[tuple[str, int], ...] = (("recruitment", 20), ("leaving", 100), ("recruitment", 10))


#: The loss of a target reaches 1 at this share of the way from its published value (a band: its centre) to
#: the edge of its tolerance: nearly flat near the published value, steep before the edges.
TOLERANCE_MARGIN = 0.8


def target_loss(means: dict[str, float], ids: Iterable[str]) -> float:
    """How far the replicate means are from acceptable, summed over targets.

    Each target's tolerance is the range of values consistent with its evidence (the published figure's own
    uncertainty, and how well the model's measure matches the source's). Within it the loss is nearly flat:
    ``(d / TOLERANCE_MARGIN)^8``, with ``d`` the distance from the published value (a band: its centre) as a
    share of the distance to the tolerance's edge on that side. So the fit looks for a point well inside
    every tolerance, as history matching does, instead of trading one target's centre against another's
    edge; among such points the targets do not choose (docs/ODD.md 8)."""
    total = 0.0
    for i in ids:
        t = TARGET_BY_ID[i]
        v = means.get(i, float("nan"))
        if not np.isfinite(v):
            return 1e6
        mid = (t.lo + t.hi) / 2 if t.band else t.published
        d = (v - mid) / (t.hi - mid) if v >= mid else (mid - v) / (mid - t.lo)
        total += (d / TOLERANCE_MARGIN) ** 8
    return float(total)


def prior_loss(values: dict[str, float], free: Iterable[FreeParameter]) -> float:
    """Gaussian prior term of the loss: the sum of ``((value - mean) / sd)^2`` over the parameters of ``free``
    that have a prior (``FreeParameter.prior = (mean, sd)``, in the parameter's unit)."""
    return float(sum(((values[f.name] - f.prior[0]) / f.prior[1]) ** 2 for f in free if f.prior))


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not np.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - int(math.floor(math.log10(abs(x))))))


@dataclass
class FitResult:
    """What :func:`fit` found: the fitted values (rounded), the history of evaluations, timing."""

    values: dict[str, float]
    start: dict[str, float]
    history: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    replicates: int = 0
    networks: int = PANEL_NETWORKS


def fit(replicates: int = 4, workers: int = 2, networks: int = PANEL_NETWORKS, max_evals: int | None = None,
        rounds: Sequence[str | tuple[str, int]] = ROUNDS, base_seed: int = BASE_SEED + 10_000,
        start: dict[str, float] | None = None, progress: Callable[[str, int, float], None] | None = None,
        runner: Runner | None = None) -> FitResult:
    """Fit the free parameters block by block with Nelder-Mead (scipy.optimize) over replicate means.

    Parameters
    ----------
    replicates : int
        Replicates (seeds ``base_seed + i``, the same for every evaluation: common random numbers).
    workers : int
        Processes (at most 2 on a shared machine).
    networks : int
        Networks per replicate.
    max_evals : int, optional
        Objective evaluations per block round (default: as in ``rounds``, else 20).
    rounds : sequence of block names or (block name, evaluations)
        The order in which blocks are fitted (see :data:`BLOCKS` and :data:`ROUNDS`).
    start : dict, optional
        Starting values (default: each :class:`FreeParameter`'s ``start``, which does not depend on the
        current defaults, so that the fit is reproducible).
    """
    t0 = time.perf_counter()
    values = {f.name: f.start for blk in BLOCKS.values() for f in blk[0]}
    values.update(start or {})
    res = FitResult(values=dict(values), start=dict(values), replicates=replicates, networks=networks)
    seeds = seeds_for(replicates, base_seed)
    own = runner is None
    runner = runner or Runner(workers)
    if own:
        runner.__enter__()
    try:
        for bi, rnd in enumerate(rounds):
            name, evals = (rnd, 20) if isinstance(rnd, str) else rnd
            _fit_block(res, values, name, bi, max_evals or evals, runner, seeds, networks, progress)
    finally:
        if own:
            runner.__exit__(None, None, None)
    res.values = dict(values)
    res.seconds = time.perf_counter() - t0
    return res


def _fit_block(res: FitResult, values: dict[str, float], name: str, round_no: int, evals: int, runner: Runner,
               seeds: list[int], networks: int, progress: Callable[[str, int, float], None] | None) -> None:
    """One round: Nelder-Mead over the block's parameters (scaled to 0-1), the others held; updates ``values``."""
    from scipy.optimize import minimize

    free, ids, which = BLOCKS[name]
    lo = np.array([f.lo for f in free])
    scale = np.array([f.hi - f.lo for f in free])

    def to_values(u: np.ndarray) -> dict[str, float]:
        x = lo + np.clip(u, 0.0, 1.0) * scale
        return {**values, **{f.name: float(v) for f, v in zip(free, x, strict=True)}}

    cache: dict[tuple[float, ...], float] = {}

    def objective(u: np.ndarray) -> float:
        key = tuple(np.round(u, 12))
        if key in cache:
            return cache[key]
        v = to_values(u)
        df = runner.run(v, seeds, networks, which=which)
        means = {c: float(df[c].mean()) for c in df.columns}
        loss = target_loss(means, ids) + prior_loss(v, free)
        cache[key] = loss
        res.history.append({"block": name, "round": round_no, "loss": loss,
                            **{f.name: v[f.name] for f in free}, **{i: means.get(i) for i in ids}})
        if progress:
            progress(name, len(res.history), loss)
        return loss

    u0 = (np.array([values[f.name] for f in free]) - lo) / scale
    # a generous initial simplex (20% of each range): the objective is piecewise constant on a fine scale
    step = np.where(u0 < 0.8, 0.2, -0.2)
    simplex = np.vstack([u0] + [np.clip(u0 + step[k] * np.eye(len(free))[k], 0.0, 1.0) for k in range(len(free))])
    opt = minimize(objective, u0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * len(free),
                   options={"maxfev": evals, "initial_simplex": simplex, "xatol": 1e-3, "fatol": 1e-3})
    best = to_values(opt.x)
    for f in free:
        values[f.name] = _round_sig(best[f.name], f.digits)
    res.blocks.append({"block": name, "round": round_no, "loss": float(opt.fun), "evals": int(opt.nfev),
                       "message": str(opt.message), **{f.name: values[f.name] for f in free}})


def free_parameters() -> list[FreeParameter]:
    """Every fitted parameter, block by block in the order of :data:`BLOCKS`."""
    return [f for blk in BLOCKS.values() for f in blk[0]]


def check_free_parameters() -> None:
    """Every free parameter exists and its search range lies within the parameter's bounds."""
    for f in free_parameters():
        lo, hi = bounds(f.name)
        if lo is None or hi is None or f.lo < lo or f.hi > hi:
            raise PCNSimInputError(f"free parameter {f.name!r}: search range {f.lo}-{f.hi} outside its bounds "
                                   f"{lo}-{hi}", field=f.name)


def default_values() -> dict[str, float]:
    """Current defaults of the free parameters (from pcnsim/params.py)."""
    p = Params()
    return {f.name: float(getattr(p, f.name)) for f in free_parameters()}



