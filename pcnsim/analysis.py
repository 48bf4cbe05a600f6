"""Analysis of a finished sweep: sensitivity indices with confidence intervals, and scenario discovery.

Sensitivity indices (SALib), by the sweep's design:

* *sobol*: first-order (S1) and total (ST) Sobol' indices, and second-order (S2) when the design has
  them, each with a bootstrap confidence interval (Saltelli 2002; Jansen 1999 estimators in SALib);
* *morris*: elementary effects: mu* (mean absolute effect, with a bootstrap confidence interval), mu
  and sigma (spread: non-linearity or interactions);
* *lhs* and *grid*: first-order S1 estimated from the sample itself by binning each parameter (Plischke,
  Borgonovo and Smith 2013; SALib ``delta.analyze(method="sobol")``), with a bootstrap interval. It
  works on any sample, best on a Latin hypercube; it has no total-order index, so use a sobol design
  when interactions matter. (SALib's moment-independent delta was left out: tens of seconds for a
  few hundred points.)

Replicates are averaged per design point first, so indices describe the parameters' effect on the
expected outcome, not the run-to-run noise (replicates share seeds across points: common random numbers).

Scenario discovery: :func:`prim` is the Patient Rule Induction Method (Friedman and Fisher 1999), as in
EMA Workbench: starting from the whole sweep, it repeatedly peels off the ``alpha`` share of points at
one edge of one parameter that most raises the share of *cases* (points where the outcome is below, or
above, a threshold) left inside, and returns the box with the most coverage (share of all cases inside)
among those with a density (share of points inside that are cases) of at least ``min_density``. The box's
restricted parameters answer "which parameter ranges make this outcome fall below the threshold".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pcnsim.errors import PCNSimInputError

#: Outcomes for which a high value is the bad one: default discovery asks where they are high.
HIGH_IS_BAD = frozenset({"arrs_annual_leaver_rate", "arrs_intending_share", "unspent_share_complete_years",
                         "unspent_share_first_two_years", "vacancies_fte_end", "intervention_cost",
                         "gp_supervision_sessions"})


# ---------------------------------------------------------------------------------------------- loading
@dataclass
class Sweep:
    """A sweep folder read back: its manifest, design (one row per point) and runs (one row per run)."""

    root: Path
    manifest: dict[str, Any]
    design: pd.DataFrame
    runs: pd.DataFrame

    @property
    def complete(self) -> bool:
        """True when every run of the design has a row (the sweep finished)."""
        return len(self.runs) == int(self.manifest["n_runs"])

    @property
    def outcomes(self) -> list[str]:
        """The outcomes each run recorded (names of :func:`pcnsim.evaluate.outcome_names`)."""
        return list(self.manifest["outcomes"])

    @property
    def parameters(self) -> list[str]:
        """The swept parameters (names of :class:`pcnsim.params.Params` fields)."""
        return list(self.manifest["parameters"])


def load_sweep(root: str | Path) -> Sweep:
    """Read a sweep folder written by :func:`pcnsim.sweep.run_sweep`."""
    from pcnsim.sweep import load_results

    root = Path(root)
    if not root.is_dir():
        raise PCNSimInputError(f"{root}: no such sweep folder (give the --out folder of `pcnsim sweep`)", field="DIR")
    runs = load_results(root)
    manifest = json.loads((root / "sweep.json").read_text(encoding="utf-8"))
    design = pd.read_parquet(root / "design.parquet")
    return Sweep(root=root, manifest=manifest, design=design, runs=runs)


def point_means(sweep: Sweep, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean of each outcome over the replicates of each design point (NaN where a point has no runs),
    with ``n_runs`` per point; indexed by point, in design order."""
    outcomes = list(outcomes or sweep.outcomes)
    idx = pd.Index(sweep.design["point"].to_numpy(), name="point")
    if sweep.runs.empty:
        out = pd.DataFrame(np.nan, index=idx, columns=outcomes)
        out["n_runs"] = 0
        return out
    g = sweep.runs.groupby("point")
    out = g[outcomes].mean().reindex(idx)
    out["n_runs"] = g.size().reindex(idx).fillna(0).astype(int)
    return out


def _encode(col: pd.Series) -> np.ndarray:
    """A parameter column as numbers: flags 0/1, dates as day numbers."""
    first = col.iloc[0] if len(col) else None
    if isinstance(first, (bool, np.bool_)):
        return col.astype(float).to_numpy()
    if isinstance(first, dt.date):
        return np.array([v.toordinal() for v in col], dtype=float)
    return pd.to_numeric(col).astype(float).to_numpy()


def _decode(name: str, v: float, kind: Any) -> str:
    if isinstance(kind, (bool, np.bool_)):
        return "true" if v >= 0.5 else "false"
    if isinstance(kind, dt.date):
        return dt.date.fromordinal(int(round(v))).isoformat()
    return f"{v:.4g}"


# ---------------------------------------------------------------------------------------------- indices
def sensitivity(sweep: Sweep, outcomes: Sequence[str] | None = None, *, conf_level: float = 0.95,
                seed: int = 0, num_resamples: int = 200) -> tuple[pd.DataFrame, dict[str, str]]:
    """Sensitivity indices of every outcome, with confidence intervals.

    Returns
    -------
    (DataFrame, dict)
        Tidy indices: ``outcome, method, index, parameter, value, conf, low, high`` (``conf`` is the
        half-width of the ``conf_level`` interval; NaN where the method gives none); and notes: outcome to
        the reason it has no indices (constant, NaN in some runs, sweep incomplete, ...).
    """
    design = sweep.manifest["design"]
    outcomes = list(outcomes or sweep.outcomes)
    means = point_means(sweep, outcomes)
    rows: list[dict[str, Any]] = []
    notes: dict[str, str] = {}
    problem = sweep.manifest["problem"]
    structured = design in ("sobol", "morris")
    if structured and not sweep.complete:
        for o in outcomes:
            notes[o] = (f"the sweep is incomplete ({len(sweep.runs):,} of {sweep.manifest['n_runs']:,} runs): a "
                        f"{design} analysis needs every point; finish it by rerunning `pcnsim sweep`")
        return _index_frame(rows), notes
    if design in ("lhs", "grid"):
        have = means["n_runs"].to_numpy() > 0
        params = [p for p in sweep.parameters if sweep.design[p].nunique() > 1]
        X = np.column_stack([_encode(sweep.design[p]) for p in params])[have] if params else np.zeros((have.sum(), 0))
        problem = {"num_vars": len(params), "names": params,
                   "bounds": [[float(X[:, j].min()), float(X[:, j].max())] for j in range(len(params))]}
    for o in outcomes:
        y = means[o].to_numpy(dtype=float)
        if design in ("lhs", "grid"):
            y = y[have]
        if not len(y):
            notes[o] = "no runs yet"
            continue
        if not np.isfinite(y).all():
            notes[o] = (f"NaN in {int((~np.isfinite(y)).sum())} of {len(y)} points (e.g. 12-month retention needs at "
                        "least 52 weeks; unspent share needs a complete financial year)")
            continue
        if np.ptp(y) <= 1e-12 * max(1.0, abs(float(y.mean()))):
            notes[o] = f"constant across the sweep ({y[0]:.6g}): no parameter moves it"
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows += _indices_one(design, problem, sweep, y, o, conf_level, seed, num_resamples,
                                     X if design in ("lhs", "grid") else None)
        except Exception as e:  # noqa: BLE001 - one outcome's failure must not hide the others
            notes[o] = f"{type(e).__name__}: {e}"
    return _index_frame(rows), notes


def _index_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["outcome", "method", "index", "parameter", "value", "conf", "low", "high"]
    df = pd.DataFrame(rows, columns=cols)
    df["low"] = df["value"] - df["conf"]
    df["high"] = df["value"] + df["conf"]
    return df


@contextlib.contextmanager
def _seeded_global_rng(seed: int) -> Iterator[None]:
    """Seed NumPy's legacy global RNG for the duration, then restore its state.

    SALib's ``sobol`` and ``delta`` analyses draw their bootstrap resamples from the global RNG and seed it
    only ``if seed:``, so a seed of 0 would leave the confidence intervals to whatever ran before."""
    state = np.random.get_state()  # noqa: NPY002 (SALib uses the legacy global RNG)
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _indices_one(design: str, problem: dict[str, Any], sweep: Sweep, y: np.ndarray, o: str, conf: float,
                 seed: int, num_resamples: int, X: np.ndarray | None) -> list[dict[str, Any]]:
    with _seeded_global_rng(seed):
        return _indices_seeded(design, problem, sweep, y, o, conf, seed, num_resamples, X)


def _indices_seeded(design: str, problem: dict[str, Any], sweep: Sweep, y: np.ndarray, o: str, conf: float,
                    seed: int, num_resamples: int, X: np.ndarray | None) -> list[dict[str, Any]]:
    names = problem["names"]
    rows = []

    def add(method: str, index: str, values: Any, confs: Any, labels: Sequence[str] = names) -> None:
        for name, v, c in zip(labels, np.asarray(values, float), np.asarray(confs, float), strict=True):
            rows.append({"outcome": o, "method": method, "index": index, "parameter": name, "value": float(v),
                         "conf": float(c)})

    if design == "sobol":
        from SALib.analyze import sobol

        second = bool(sweep.manifest["spec"]["design"].get("second_order"))
        r = sobol.analyze(problem, y, calc_second_order=second, conf_level=conf, num_resamples=num_resamples,
                          seed=seed)
        add("sobol", "ST", r["ST"], r["ST_conf"])
        add("sobol", "S1", r["S1"], r["S1_conf"])
        if second:
            pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
            add("sobol", "S2", [r["S2"][i, j] for i, j in pairs], [r["S2_conf"][i, j] for i, j in pairs],
                [f"{names[i]} x {names[j]}" for i, j in pairs])
    elif design == "morris":
        from SALib.analyze import morris

        Xm = sweep.design[[f"x_{n}" for n in names]].to_numpy(float)
        levels = int(sweep.manifest["spec"]["design"]["levels"])
        r = morris.analyze(problem, Xm, y, conf_level=conf, num_levels=levels, num_resamples=num_resamples,
                           seed=seed)
        add("morris", "mu_star", r["mu_star"], r["mu_star_conf"])
        add("morris", "mu", r["mu"], np.full(len(names), np.nan))
        add("morris", "sigma", r["sigma"], np.full(len(names), np.nan))
    else:
        from SALib.analyze import delta

        r = delta.analyze(problem, X, y, conf_level=conf, num_resamples=num_resamples, seed=seed, method="sobol")
        add("sample-S1", "S1", r["S1"], r["S1_conf"])
    return rows


MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "sample-S1": "S1"}


def plot_indices(table: pd.DataFrame, outcome: str) -> Any:
    """Bar chart of one outcome's indices with their confidence intervals (error bars)."""
    import matplotlib.pyplot as plt

    t = table[table["outcome"] == outcome]
    method = t["method"].iloc[0]
    shown = {"sobol": ["S1", "ST"], "morris": ["mu_star", "sigma"], "sample-S1": ["S1"]}[method]
    main = t[t["index"] == MAIN_INDEX[method]].sort_values("value")
    order = list(main["parameter"])
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.45 * len(order)), constrained_layout=True)
    y = np.arange(len(order))
    h = 0.38
    for k, ix in enumerate(shown):
        s = t[t["index"] == ix].set_index("parameter").reindex(order)
        err = s["conf"].to_numpy(float)
        ax.barh(y + (k - 0.5) * h, s["value"], height=h, label=ix,
                xerr=np.where(np.isfinite(err), err, 0.0), capsize=3, alpha=0.85)
    ax.set_yticks(y, order)
    ax.axvline(0, color="k", lw=0.6)
    conf = "bars: 95% confidence intervals" if method != "morris" else "bars: 95% interval of mu*"
    ax.set_title(f"{outcome}: {method} indices ({conf})", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return fig


# ---------------------------------------------------------------------------------------------- discovery
@dataclass
class PrimBox:
    """A box found by :func:`prim`: the limits of every parameter and the restricted ones."""

    limits: dict[str, tuple[float, float]]
    restricted: dict[str, tuple[float, float]]
    coverage: float
    density: float
    support: int
    n_cases: int
    n_points: int
    trajectory: pd.DataFrame
    chosen: int
    full: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def base_rate(self) -> float:
        """Share of all points that are cases (the density of the whole space; NaN with no points)."""
        return self.n_cases / self.n_points if self.n_points else float("nan")


def prim(X: pd.DataFrame, y: np.ndarray, *, alpha: float = 0.05, min_support: float = 0.05,
         min_density: float = 0.8, simplify: float = 0.01) -> PrimBox:
    """Patient Rule Induction Method: a box in parameter space where cases (``y`` True) concentrate.

    Parameters
    ----------
    X : DataFrame
        One numeric column per parameter (flags as 0/1), one row per point.
    y : array of bool
        Whether each point is a case (e.g. the outcome is below the threshold).
    alpha : float
        Share of the points in the box peeled off at each step (0.05 as in Friedman and Fisher 1999).
    min_support : float
        Smallest share of all points a box may hold (at least 3 points).
    min_density : float
        The chosen box is the one with the most coverage among those at least this dense (density: the
        share of a box's points that are cases, 0-1); if none is, the densest box.
    simplify : float
        After choosing, drop each restriction whose removal costs the box less than this much density
        (weakest first), as in the box simplification of Bryant and Lempert (2010): peeling also trims
        a few edge points off parameters that do not matter, and such restrictions are noise. 0 keeps all.
    """
    Xv = X.to_numpy(dtype=float)
    y = np.asarray(y, dtype=bool)
    n, d = Xv.shape
    if n == 0:
        raise ValueError("no points")
    names = list(X.columns)
    inside = np.ones(n, dtype=bool)
    lo, hi = Xv.min(axis=0), Xv.max(axis=0)
    full_lo, full_hi = lo.copy(), hi.copy()
    n_cases = int(y.sum())
    min_n = max(3, math.ceil(min_support * n))
    steps = [(lo.copy(), hi.copy(), inside.copy())]
    while n_cases and y[inside].mean() < 1.0:
        cur = int(inside.sum())
        best: tuple[float, int, int, np.ndarray] | None = None
        for j in range(d):
            xj = Xv[inside, j]
            if xj.min() == xj.max():
                continue
            for side in (0, 1):
                if side == 0:
                    cut = np.quantile(xj, alpha)
                    rem = Xv[:, j] < cut
                    if not (rem & inside).any():
                        rem = Xv[:, j] <= xj.min()
                else:
                    cut = np.quantile(xj, 1 - alpha)
                    rem = Xv[:, j] > cut
                    if not (rem & inside).any():
                        rem = Xv[:, j] >= xj.max()
                keep = inside & ~rem
                k = int(keep.sum())
                if k < min_n or k == cur:
                    continue
                dens = float(y[keep].mean())
                if best is None or (dens, k) > (best[0], best[1]):
                    best = (dens, k, j, keep)
        if best is None:
            break
        _, _, j, keep = best
        inside = keep
        lo = lo.copy()
        hi = hi.copy()
        lo[j], hi[j] = Xv[inside, j].min(), Xv[inside, j].max()
        steps.append((lo, hi, inside.copy()))
    traj = []
    for i, (lo_i, hi_i, ins) in enumerate(steps):
        sup = int(ins.sum())
        cov = float(y[ins].sum() / n_cases) if n_cases else float("nan")
        den = float(y[ins].mean()) if sup else float("nan")
        nres = int(((lo_i > full_lo) | (hi_i < full_hi)).sum())
        traj.append({"step": i, "coverage": cov, "density": den, "support": sup, "restricted": nres})
    tdf = pd.DataFrame(traj)
    ok = tdf[tdf["density"] >= min_density]
    if len(ok):
        chosen = int(ok.sort_values(["coverage", "step"], ascending=[False, True]).iloc[0]["step"])
    else:
        chosen = int(tdf.sort_values(["density", "coverage"], ascending=[False, False]).iloc[0]["step"])
    lo_c, hi_c, _ = steps[chosen]
    lo_c, hi_c = _simplify_box(Xv, y, lo_c.copy(), hi_c.copy(), full_lo, full_hi, simplify)
    ins = np.all((Xv >= lo_c) & (Xv <= hi_c), axis=1)
    limits = {nm: (float(lo_c[j]), float(hi_c[j])) for j, nm in enumerate(names)}
    restricted = {nm: limits[nm] for j, nm in enumerate(names) if lo_c[j] > full_lo[j] or hi_c[j] < full_hi[j]}
    return PrimBox(limits=limits, restricted=restricted,
                   coverage=float(y[ins].sum() / n_cases) if n_cases else float("nan"),
                   density=float(y[ins].mean()) if ins.any() else float("nan"), support=int(ins.sum()),
                   n_cases=n_cases, n_points=n,
                   trajectory=tdf, chosen=chosen,
                   full={nm: (float(full_lo[j]), float(full_hi[j])) for j, nm in enumerate(names)})


def _simplify_box(Xv: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray, full_lo: np.ndarray,
                  full_hi: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Drop restrictions, one at a time and the cheapest first, while each costs less than ``tol`` density."""
    if tol <= 0:
        return lo, hi

    def density(lo_: np.ndarray, hi_: np.ndarray) -> float:
        ins = np.all((Xv >= lo_) & (Xv <= hi_), axis=1)
        return float(y[ins].mean()) if ins.any() else 0.0

    while True:
        dens = density(lo, hi)
        cands = []
        for j in np.flatnonzero((lo > full_lo) | (hi < full_hi)):
            lo2, hi2 = lo.copy(), hi.copy()
            lo2[j], hi2[j] = full_lo[j], full_hi[j]
            cands.append((dens - density(lo2, hi2), j))
        if not cands:
            return lo, hi
        loss, j = min(cands)
        if loss >= tol:
            return lo, hi
        lo[j], hi[j] = full_lo[j], full_hi[j]


@dataclass
class Rule:
    """Cases are points where ``outcome`` is below (or above) ``threshold``; ``None``: a quartile."""

    outcome: str
    direction: str  # "below" or "above"
    threshold: float | None = None

    def label(self) -> str:
        """The rule as text, e.g. ``"arrs_retention_12m < 0.88"``."""
        return f"{self.outcome} {'<' if self.direction == 'below' else '>'} {self.threshold:.6g}"


def default_rules(outcomes: Sequence[str]) -> list[Rule]:
    """For each outcome, its worst quarter of points: below the 25th percentile, or above the 75th for
    outcomes where high is bad (:data:`HIGH_IS_BAD`)."""
    return [Rule(o, "above" if o in HIGH_IS_BAD else "below") for o in outcomes]


@dataclass
class Discovery:
    """Scenario discovery for one rule (:func:`discover`): the box PRIM found, or why there is none.

    Attributes
    ----------
    rule : Rule
        The rule, with its threshold filled in when it was a quartile.
    box : PrimBox or None
        The box where cases concentrate; None when none could be sought (see ``note``).
    note : str
        Why there is no box (no finite values, no varying parameter, too few points, no case).
    X : pandas.DataFrame or None
        The points' parameter values (flags as 0/1, dates as day ordinals), one row per design point used.
    y : numpy.ndarray or None
        Bool per point: a case (the point's mean outcome meets the rule).
    values : numpy.ndarray or None
        The point's mean outcome (in the outcome's unit).
    kinds : dict
        Parameter -> a sample value, whose type says how to print the box's limits (flag, date, number).
    """

    rule: Rule
    box: PrimBox | None
    note: str = ""
    X: pd.DataFrame | None = None
    y: np.ndarray | None = None
    values: np.ndarray | None = None
    kinds: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> list[str]:
        """Readable lines: one per restricted parameter."""
        if self.box is None:
            return []
        out = []
        for name, (lo, hi) in self.box.restricted.items():
            flo, fhi = self.box.full[name]
            k = self.kinds.get(name)
            if isinstance(k, (bool, np.bool_)) or lo == hi:
                out.append(f"{name} = {_decode(name, lo, k)}")
            elif lo > flo and hi < fhi:
                out.append(f"{_decode(name, lo, k)} <= {name} <= {_decode(name, hi, k)}")
            elif lo > flo:
                out.append(f"{name} >= {_decode(name, lo, k)}")
            else:
                out.append(f"{name} <= {_decode(name, hi, k)}")
        return out


def discover(sweep: Sweep, rules: Sequence[Rule], **prim_kw: Any) -> list[Discovery]:
    """Scenario discovery for each rule, on the per-point means of the runs done so far."""
    means = point_means(sweep, sorted({r.outcome for r in rules}))
    have = means["n_runs"].to_numpy() > 0
    params = [p for p in sweep.parameters if sweep.design[p].nunique() > 1]
    kinds = {p: sweep.design[p].iloc[0] for p in params}
    X = pd.DataFrame({p: _encode(sweep.design[p]) for p in params})
    out = []
    for rule in rules:
        v = means[rule.outcome].to_numpy(float)
        ok = have & np.isfinite(v)
        if rule.threshold is None:
            if not ok.any():
                out.append(Discovery(rule=Rule(rule.outcome, rule.direction, float("nan")), box=None,
                                     note="no finite values"))
                continue
            q = 0.25 if rule.direction == "below" else 0.75
            rule = Rule(rule.outcome, rule.direction, float(np.quantile(v[ok], q)))
        if not params:
            out.append(Discovery(rule=rule, box=None, note="no parameter varies in this sweep"))
            continue
        if ok.sum() < 3:
            out.append(Discovery(rule=rule, box=None, note=f"only {int(ok.sum())} points with a finite value"))
            continue
        y = v[ok] < rule.threshold if rule.direction == "below" else v[ok] > rule.threshold
        if not y.any():
            out.append(Discovery(rule=rule, box=None, note="no point meets the rule", X=X[ok], y=y, values=v[ok],
                                 kinds=kinds))
            continue
        box = prim(X[ok].reset_index(drop=True), y, **prim_kw)
        out.append(Discovery(rule=rule, box=box, X=X[ok].reset_index(drop=True), y=y, values=v[ok], kinds=kinds))
    return out


def plot_discovery(d: Discovery) -> Any:
    """Left: the peeling trajectory (coverage against density), the chosen box circled. Right: the points
    on the two most restricted parameters (or one parameter against the outcome), cases in red, the box."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    box = d.box
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    t = box.trajectory
    sc = a1.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=18)
    c = t.iloc[box.chosen]
    a1.scatter([c["coverage"]], [c["density"]], s=160, facecolors="none", edgecolors="red", lw=1.5)
    a1.set_xlabel("coverage (share of all cases inside the box)")
    a1.set_ylabel("density (share of points in the box that are cases)")
    a1.set_title("PRIM peeling trajectory", fontsize=10)
    fig.colorbar(sc, ax=a1, label="restricted parameters")
    X, y = d.X, d.y
    full = box.full
    span = {k: (hi - lo) / (full[k][1] - full[k][0]) if full[k][1] > full[k][0] else 1.0
            for k, (lo, hi) in box.restricted.items()}
    dims = sorted(span, key=span.get)[:2]
    colours = np.where(y, "tab:red", "tab:grey")
    if len(dims) == 2:
        a, b = dims
        a2.scatter(X[a], X[b], c=colours, s=14, alpha=0.8)
        (la, ha), (lb, hb) = box.limits[a], box.limits[b]
        a2.add_patch(Rectangle((la, lb), ha - la, hb - lb, fill=False, ec="red", lw=1.5))
        a2.set_xlabel(a)
        a2.set_ylabel(b)
    else:
        a = dims[0] if dims else X.columns[0]
        a2.scatter(X[a], d.values, c=colours, s=14, alpha=0.8)
        a2.axhline(d.rule.threshold, color="k", lw=0.8, ls="--")
        la, ha = box.limits[a]
        a2.axvspan(la, ha, color="red", alpha=0.1)
        a2.set_xlabel(a)
        a2.set_ylabel(d.rule.outcome)
    a2.set_title(f"cases: {d.rule.label()} (red); chosen box", fontsize=10)
    return fig


# ---------------------------------------------------------------------------------------------- report
@dataclass
class Analysis:
    """What :func:`analyse` computed and wrote.

    Attributes
    ----------
    indices : pandas.DataFrame
        Sensitivity indices with confidence intervals, one row per outcome, method, index and parameter
        (:func:`sensitivity`; written to ``indices.csv``).
    notes : dict of str to str
        Outcome -> why it has no indices (e.g. it does not vary).
    discoveries : list of Discovery
        Scenario discovery for each rule (written to ``discovery.csv``).
    report : str
        The Markdown report (``report.md``).
    out : pathlib.Path
        The folder everything was written to.
    """

    indices: pd.DataFrame
    notes: dict[str, str]
    discoveries: list[Discovery]
    report: str
    out: Path


def analyse(root: str | Path, *, rules: Sequence[Rule] | None = None, outcomes: Sequence[str] | None = None,
            out: str | Path | None = None, conf_level: float = 0.95, seed: int = 0,
            figures: bool = True) -> Analysis:
    """Indices, discovery, figures and a Markdown report, written to ``out`` (default ``root/analysis``)
    all or nothing; returns them."""
    import matplotlib.pyplot as plt

    from pcnsim.output import atomic_dir

    sweep = load_sweep(root)
    if sweep.runs.empty:
        raise PCNSimInputError(f"{sweep.root}: the sweep has no finished runs yet; run `pcnsim sweep` first", field="DIR")
    allowed = sweep.outcomes
    outcomes = list(outcomes or allowed)
    for o in outcomes + [r.outcome for r in rules or []]:
        if o not in allowed:
            raise PCNSimInputError(f"outcome {o!r} is not in this sweep; its outcomes: {', '.join(allowed)}",
                                   field="outcome")
    indices, notes = sensitivity(sweep, outcomes, conf_level=conf_level, seed=seed)
    rules = list(rules) if rules else default_rules(outcomes)
    discoveries = discover(sweep, rules)
    report = _report(sweep, indices, notes, discoveries, conf_level)
    out = Path(out) if out is not None else sweep.root / "analysis"
    with atomic_dir(out) as tmp:
        indices.to_csv(tmp / "indices.csv", index=False)
        point_means(sweep, outcomes).to_csv(tmp / "point_means.csv")
        disc_rows = []
        for d in discoveries:
            base = {"outcome": d.rule.outcome, "direction": d.rule.direction, "threshold": d.rule.threshold}
            if d.box is None:
                disc_rows.append({**base, "note": d.note})
                continue
            for name, (lo, hi) in (d.box.restricted or {"(none)": (np.nan, np.nan)}).items():
                disc_rows.append({**base, "parameter": name, "lower": lo, "upper": hi, "coverage": d.box.coverage,
                                  "density": d.box.density, "points_in_box": d.box.support,
                                  "cases": d.box.n_cases, "points": d.box.n_points, "base_rate": d.box.base_rate})
        pd.DataFrame(disc_rows).to_csv(tmp / "discovery.csv", index=False)
        (tmp / "report.md").write_text(report, encoding="utf-8")
        if figures:
            for o in indices["outcome"].unique():
                fig = plot_indices(indices, o)
                fig.savefig(tmp / f"indices_{o}.png", dpi=110)
                plt.close(fig)
            for d in discoveries:
                if d.box is not None:
                    fig = plot_discovery(d)
                    fig.savefig(tmp / f"discovery_{d.rule.outcome}_{d.rule.direction}.png", dpi=110)
                    plt.close(fig)
    return Analysis(indices=indices, notes=notes, discoveries=discoveries, report=report, out=out)


def _report(sweep: Sweep, indices: pd.DataFrame, notes: dict[str, str], discoveries: list[Discovery],
            conf_level: float) -> str:
    m = sweep.manifest
    pct = f"{conf_level:.0%}"
    lines = [f"# Sweep analysis: {m['name']}", "",
             f"Design {m['design']}: {m['n_points']:,} points x {m['replicates']} replicate(s), {m['weeks']} weeks; "
             f"{len(sweep.runs):,} of {m['n_runs']:,} runs done. Parameters: {', '.join(m['parameters']) or '(none)'}.",
             "Outcomes are averaged over replicates per point before analysis.", "", "## Sensitivity indices", ""]
    for o in dict.fromkeys(list(indices["outcome"].unique()) + list(notes)):
        lines.append(f"### {o}")
        if o in notes:
            lines += ["", f"No indices: {notes[o]}.", ""]
            continue
        t = indices[indices["outcome"] == o]
        method = t["method"].iloc[0]
        main = MAIN_INDEX[method]
        wide = t.pivot_table(index="parameter", columns="index", values="value", sort=False)
        cw = t.pivot_table(index="parameter", columns="index", values="conf", sort=False)
        shown = [c for c in ("ST", "S1", "mu_star", "sigma") if c in wide.columns]
        wide = wide.loc[[p for p in wide.index if " x " not in p]].sort_values(main, ascending=False)
        lines += ["", f"{method} ({pct} intervals as +/-):", "", "| parameter | " + " | ".join(shown) + " |",
                  "|---|" + "---|" * len(shown)]
        for p, r in wide.iterrows():
            cells = []
            for c in shown:
                ci = cw.loc[p, c] if c in cw.columns else np.nan
                cells.append(f"{r[c]:.3g}" + (f" +/- {ci:.2g}" if np.isfinite(ci) else ""))
            lines.append(f"| {p} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Scenario discovery (PRIM)", ""]
    for d in discoveries:
        lines.append(f"### {d.rule.label()}")
        lines.append("")
        if d.box is None:
            lines += [f"No box: {d.note}.", ""]
            continue
        b = d.box
        lines.append(f"{b.n_cases} of {b.n_points} points ({b.base_rate:.0%}) meet the rule.")
        desc = d.describe()
        if desc:
            lines.append(f"Box: {' and '.join(desc)}: {b.support} points, density {b.density:.0%} (of points in "
                         f"the box that meet the rule), coverage {b.coverage:.0%} (of all points that do).")
        else:
            lines.append("No parameter range concentrates these points (the box is the whole sweep).")
        lines.append("")
    return "\n".join(lines)
