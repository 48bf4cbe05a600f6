"""Replicates, scenario comparison and honest uncertainty.

>>> from pcnsim.experiments import compare
>>> cmp = compare(["default", "experiments/scenarios/supervision_2h.toml"], replicates=20, workers=2)  # doctest: +SKIP
>>> cmp.summary        # per scenario and outcome: median, 5% and 95% quantiles over replicates
>>> cmp.differences    # paired differences against the first scenario
>>> cmp.cost_effectiveness
>>> cmp.write("results/compare")

Method
------
Replicates
    Replicate ``i`` of every scenario uses seed ``seed + i``: common random numbers. The model draws
    each mechanism from its own random stream (:class:`pcnsim.model.PCNModel`), so two scenarios with
    the same seed see the same draws for as long as their populations agree, and their difference is
    the intervention's effect rather than luck. ``crn=False`` gives every scenario its own seeds
    (``seed + i + k x replicates`` for scenario ``k``), to show what pairing buys.
Reduction
    Across replicates: the median and the 90% interval (5% and 95% quantiles) of every outcome. Against
    the first scenario: the paired difference of each replicate (scenario minus first), reduced the
    same way (the spread of effects one network may see), plus the mean difference with a 90%
    confidence interval (bootstrap over replicates; the expected effect, which narrows as replicates
    grow).
Cost per extra retained FTE-year
    Extra retained FTE-years = the paired difference in ARRS FTE-years in post over the run (sum of
    weekly ARRS FTE / 52.18); extra cost = the paired difference in intervention cost (GBP; the ARRS
    money itself is a fixed allocation and is reported as unspent money instead). The ratio is of mean
    differences (cost-effectiveness convention), with a 90% bootstrap interval. It is reported only
    when the mean effect is positive and its interval excludes zero; if the extra cost is not positive
    the scenario is *dominant* (more FTE-years for no more money).
Workers
    ``workers > 1`` runs replicates in a local process pool (``forkserver``); every run is keyed by
    (scenario, replicate), so results are identical whatever the number of workers. Interventions
    must be importable by the workers (the built-in ones are).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pcnsim.errors import PCNSimInputError
from pcnsim.mechanisms.finance import WEEKS_PER_YEAR
from pcnsim.scenario import Scenario

QUANTILES = (0.05, 0.5, 0.95)  # 90% interval and median
BOOTSTRAP = 2000
BOOTSTRAP_SEED = 20240401

# outcome -> (label, unit); the order is the order of printed and written tables
OUTCOMES: dict[str, tuple[str, str]] = {
    "retention_12m": ("ARRS 12-month retention", "share"),
    "leaver_rate": ("ARRS annual leaver rate", "share"),
    "fte_end": ("ARRS FTE in post at the end", "FTE"),
    "fte_years": ("ARRS FTE-years in post", "FTE-years"),
    "leavers": ("ARRS leavers over the run", "people"),
    "unspent": ("Unspent ARRS money (complete years)", "GBP"),
    "appointments": ("Appointments delivered", "appointments"),
    "intervention_cost": ("Intervention cost", "GBP"),
    "intending_share": ("ARRS intending to leave (end)", "share"),
    "belonging": ("ARRS belonging (mean of last year)", "index"),
}
HEADLINE = ("retention_12m", "leaver_rate", "fte_end", "unspent", "appointments", "intervention_cost")
FOREST = ("retention_12m", "leaver_rate", "leavers", "fte_end", "fte_years", "unspent", "appointments", "intervention_cost",
          "intending_share")
# weekly series -> label (bands of these are written and plotted)
SERIES: dict[str, str] = {
    "arrs_fte": "ARRS FTE in post",
    "intending_share": "ARRS intending to leave (share)",
    "belonging_mean": "ARRS belonging (mean)",
    "arrs_leavers_13w": "ARRS leavers (last 13 weeks)",
    "burnout_mean": "ARRS burnout (mean)",
    "cumulative_cost": "Intervention cost to date (GBP)",
}


# ---------------------------------------------------------------------------------------------------
# one run
def run_outcomes(model: Any) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Outcomes (scalars) and weekly series of a finished model run."""
    summ = model.summary()
    net = summ["network"]
    weekly = model.recorder.weekly()
    arrs = model.roles.arrs
    arrs_fte = weekly["arrs_fte"].to_numpy(dtype=float) if len(weekly) else np.zeros(0)
    leavers = model.recorder.role_array("leavers")[:, arrs].sum(axis=1).astype(float)
    complete = [y for y in model.years if y.get("complete", True)]
    unspent = float(sum(y["unspent"] for y in complete)) if complete else float("nan")
    last = weekly.iloc[-52:] if len(weekly) else weekly
    out = {
        "retention_12m": net["arrs_retention_12m"],
        "leaver_rate": net["arrs_annual_leaver_rate"],
        "fte_end": net["arrs_fte_end"],
        "fte_years": float(arrs_fte.sum() / WEEKS_PER_YEAR),
        "leavers": float(leavers.sum()),
        "unspent": unspent,
        "appointments": net["appointments"],
        "intervention_cost": net["intervention_cost"],
        "intending_share": net["arrs_intending_share"],
        "belonging": float(last["belonging_mean"].mean()) if len(last) else float("nan"),
    }
    series = {
        "week": weekly["week"].to_numpy() if len(weekly) else np.zeros(0, int),
        "date": np.array([str(d) for d in weekly["date"]]) if len(weekly) else np.zeros(0, str),
        "arrs_fte": arrs_fte,
        "intending_share": weekly["intending_share"].to_numpy(dtype=float),
        "belonging_mean": weekly["belonging_mean"].to_numpy(dtype=float),
        "arrs_leavers_13w": np.convolve(leavers, np.ones(13))[: len(leavers)],
        "burnout_mean": weekly["burnout_mean"].to_numpy(dtype=float),
        "cumulative_cost": np.cumsum(weekly["intervention_cost"].to_numpy(dtype=float)),
    }
    return {k: float(v) for k, v in out.items()}, series


def _run_task(task: tuple[int, int, Scenario, int, int]) -> tuple[int, int, dict[str, float], dict[str, np.ndarray],
                                                                   pd.DataFrame]:
    k, i, scenario, seed, weeks = task
    import warnings

    from pcnsim.commission import breakdown

    warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")
    model = scenario.build_model(seed=seed)
    model.run(weeks)
    out, series = run_outcomes(model)
    return k, i, out, series, breakdown(model)


# ---------------------------------------------------------------------------------------------------
# the comparison
@dataclass
class Comparison:
    """Results of :func:`compare`: tidy DataFrames (see the module docstring for the method)."""

    scenarios: list[Scenario]
    runs: pd.DataFrame  # one row per scenario x replicate: scenario, replicate, seed, outcomes
    weekly: pd.DataFrame  # one row per scenario x replicate x week: the weekly series
    meta: dict[str, Any] = field(default_factory=dict)
    #: one row per scenario x replicate x (by, group, metric): the commissioner's figures
    #: (:func:`pcnsim.commission.breakdown`; by role, and by deprivation quintile and London)
    groups: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["scenario", "replicate", "by", "group", "metric", "value"]))

    @property
    def names(self) -> list[str]:
        """The scenarios' names, in the order given (the first is the reference of the differences)."""
        return [s.name for s in self.scenarios]

    # -- reductions ------------------------------------------------------------------------------
    @property
    def summary(self) -> pd.DataFrame:
        """Per scenario and outcome: median, lo (5%), hi (95%) and mean over replicates."""
        rows = []
        for name in self.names:
            sub = self.runs[self.runs["scenario"] == name]
            for o, (label, unit) in OUTCOMES.items():
                v = sub[o].to_numpy(dtype=float)
                rows.append({"scenario": name, "outcome": o, "label": label, "unit": unit, **_reduce(v)})
        return pd.DataFrame(rows)

    def paired(self) -> dict[str, pd.DataFrame]:
        """Per scenario after the first: replicate-by-replicate differences from the first scenario."""
        base = self.runs[self.runs["scenario"] == self.names[0]].set_index("replicate")[list(OUTCOMES)]
        out = {}
        for name in self.names[1:]:
            arm = self.runs[self.runs["scenario"] == name].set_index("replicate")[list(OUTCOMES)]
            out[name] = (arm - base).dropna(how="all")
        return out

    @property
    def differences(self) -> pd.DataFrame:
        """Paired differences against the first scenario: median and 90% interval over replicates, the
        mean with its 90% bootstrap confidence interval, and the share of replicates above zero."""
        rows = []
        for name, d in self.paired().items():
            for o, (label, unit) in OUTCOMES.items():
                v = d[o].to_numpy(dtype=float)
                lo, hi = _bootstrap_mean_ci(v)
                rows.append({"scenario": name, "baseline": self.names[0], "outcome": o, "label": label, "unit": unit,
                             **_reduce(v), "mean_lo": lo, "mean_hi": hi,
                             "share_positive": float(np.mean(v[np.isfinite(v)] > 0)) if np.isfinite(v).any() else float("nan")})
        return pd.DataFrame(rows, columns=["scenario", "baseline", "outcome", "label", "unit", "median", "lo", "hi",
                                           "mean", "mean_lo", "mean_hi", "share_positive", "n"])

    @property
    def cost_effectiveness(self) -> pd.DataFrame:
        """Per scenario after the first: extra cost, extra retained FTE-years, and cost per extra FTE-year."""
        rows = []
        for name, d in self.paired().items():
            dc = d["intervention_cost"].to_numpy(dtype=float)
            fy = icer(dc, d["fte_years"].to_numpy(dtype=float))
            lv = icer(dc, -d["leavers"].to_numpy(dtype=float))
            rows.append({"scenario": name, "baseline": self.names[0], "extra_cost_mean": fy["extra_cost_mean"],
                         **{k.replace("effect", "fte_years").replace("ratio", "cost_per_fte_year"): v
                            for k, v in fy.items() if k != "extra_cost_mean"},
                         **{k.replace("effect", "avoided_leavers").replace("ratio", "cost_per_avoided_leaver"): v
                            for k, v in lv.items() if k != "extra_cost_mean"}})
        cols = ["scenario", "baseline", "extra_cost_mean"]
        for e, r in (("fte_years", "cost_per_fte_year"), ("avoided_leavers", "cost_per_avoided_leaver")):
            cols += [f"{e}_mean", f"{e}_lo", f"{e}_hi", r, f"{r}_lo", f"{r}_hi", f"{e}_verdict"]
        return pd.DataFrame(rows, columns=cols)

    @property
    def weekly_bands(self) -> pd.DataFrame:
        """Per scenario, week and series: median, lo (5%) and hi (95%) over replicates."""
        frames = []
        for name in self.names:
            sub = self.weekly[self.weekly["scenario"] == name]
            g = sub.groupby("week", sort=True)
            dates = g["date"].first()
            for s in SERIES:
                q = g[s].quantile(list(QUANTILES)).unstack()
                frames.append(pd.DataFrame({"scenario": name, "week": q.index, "date": dates.reindex(q.index).to_numpy(),
                                            "series": s, "median": q[0.5].to_numpy(), "lo": q[0.05].to_numpy(),
                                            "hi": q[0.95].to_numpy()}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def group_table(self, by: str = "role") -> pd.DataFrame:
        """The commissioner's figures by ``by`` (``"role"``, ``"deprivation_quintile"`` or ``"london"``; the
        last two for runs of several networks): per scenario, group and metric the median and 90% interval
        over replicates and, against the first scenario, the mean paired difference with its 90% bootstrap
        confidence interval (see :func:`pcnsim.commission.breakdown`)."""
        from pcnsim.commission import group_table

        return group_table(self.groups, self.names, by)

    # -- presentation ----------------------------------------------------------------------------
    def format(self, width: int = 120) -> str:
        """The terminal report: per scenario, then each scenario against the first."""
        summ = self.summary.set_index(["scenario", "outcome"])
        n = self.meta.get("replicates", "?")
        lines = [f"pcnsim compare: {len(self.names)} scenario(s), {n} replicates each "
                 f"({'common random numbers' if self.meta.get('crn', True) else 'independent seeds'}), "
                 f"{self.meta.get('weeks', '?')} weeks", "", "Per scenario: median [90% interval over replicates]", ""]
        table = pd.DataFrame({s: [_cell(summ.loc[(s, o)], OUTCOMES[o][1]) for o in HEADLINE] for s in self.names},
                             index=[OUTCOMES[o][0] for o in HEADLINE])
        lines.append(table.to_string(line_width=width))
        if len(self.names) > 1:
            diff = self.differences.set_index(["scenario", "outcome"])
            ce = self.cost_effectiveness.set_index("scenario")
            lines += ["", f"Against {self.names[0]!r}: paired difference, median [90% interval over replicates]; "
                          "mean (90% confidence interval)"]
            for s in self.names[1:]:
                t = pd.DataFrame({"median [90% interval]": [_cell(diff.loc[(s, o)], OUTCOMES[o][1], signed=True)
                                                            for o in FOREST],
                                  "mean (90% CI)": [_mean_cell(diff.loc[(s, o)], OUTCOMES[o][1]) for o in FOREST]},
                                 index=[OUTCOMES[o][0] for o in FOREST])
                lines += ["", f"{s} - {self.names[0]}:", t.to_string(line_width=width),
                          "  " + _icer_text(ce.loc[s])]
        return "\n".join(lines)

    def figures(self) -> dict[str, Any]:
        """The figures as matplotlib Figures: ``timeseries`` and ``forest``."""
        return {"timeseries": plot_bands(self.weekly_bands, self.names),
                "forest": plot_forest(self.differences, self.names)}

    def write(self, out: str | Path) -> Path:
        """Write tables (CSV), figures (PNG), resolved scenarios (TOML) and metadata (JSON) to ``out``,
        all or nothing (:func:`pcnsim.output.atomic_dir`)."""
        import matplotlib.pyplot as plt

        from pcnsim import __version__
        from pcnsim.output import atomic_dir, write_json

        figs = self.figures()
        try:
            with atomic_dir(out) as tmp:
                self.runs.to_csv(tmp / "runs.csv", index=False)
                self.summary.to_csv(tmp / "summary.csv", index=False)
                self.differences.to_csv(tmp / "differences.csv", index=False)
                self.cost_effectiveness.to_csv(tmp / "cost_effectiveness.csv", index=False)
                self.weekly_bands.to_csv(tmp / "weekly_bands.csv", index=False)
                for by in self.groups["by"].unique():
                    self.group_table(by).to_csv(tmp / f"by_{by}.csv", index=False)
                figs["timeseries"].savefig(tmp / "timeseries.png", dpi=110)
                figs["forest"].savefig(tmp / "forest.png", dpi=110)
                (tmp / "scenarios").mkdir()
                for k, sc in enumerate(self.scenarios):
                    fname = f"{k + 1:02d}-{_slug(sc.name)}.toml"
                    (tmp / "scenarios" / fname).write_text(
                        "# Resolved scenario of this comparison (seeds: see comparison.json)\n"
                        + sc.to_toml(resolved=True, version=__version__), encoding="utf-8")
                (tmp / "report.txt").write_text(self.format() + "\n", encoding="utf-8")
                write_json(tmp / "comparison.json", {**self.meta, "pcnsim_version": __version__,
                                                     "scenarios": [{"name": s.name, "source": s.source, "hash": s.hash(),
                                                                    "interventions": [repr(iv) for iv in s.interventions]}
                                                                   for s in self.scenarios]})
        finally:
            for f in figs.values():
                plt.close(f)
        return Path(out)


def compare(scenarios: Sequence[Scenario | str | Path], *, replicates: int = 20, workers: int = 1, seed: int = 1,
            weeks: int | None = None, crn: bool = True, progress: bool = False) -> Comparison:
    """Run every scenario ``replicates`` times and compare them with the first.

    Parameters
    ----------
    scenarios : sequence of Scenario, path or "default"
        Scenario objects, TOML files, or ``"default"`` for the built-in default. Names must differ.
    replicates : int
        Runs per scenario (seeds ``seed + i``; 1 to 10,000).
    workers : int
        Processes (1 runs in this process); results do not depend on it.
    seed : int
        Base seed.
    weeks : int, optional
        Run length for every scenario (default: each scenario's own, which must then agree).
    crn : bool
        Common random numbers (default). ``False``: independent seeds per scenario.
    progress : bool
        Show a progress bar (tqdm) over runs.

    Returns
    -------
    Comparison
        Tidy frames: ``runs``, ``weekly``, ``summary``, ``differences``, ``cost_effectiveness``,
        ``weekly_bands``.
    """
    scs = load_scenarios(scenarios)
    _check_int("replicates", replicates, 1, 10_000)
    _check_int("workers", workers, 1, 256)
    _check_int("seed", seed, 0, 2**63 - 1 - 10_000 * (len(scs) + 1))
    if weeks is not None:
        _check_int("weeks", weeks, 1, 2600)
        scs = [sc if sc.weeks == weeks else sc.with_changes(weeks=weeks) for sc in scs]
    else:
        lengths = {s.weeks for s in scs}
        if len(lengths) > 1:
            raise PCNSimInputError(
                "scenarios have different run lengths (" + ", ".join(f"{s.name}: {s.weeks}" for s in scs)
                + "); paired comparison needs one: give weeks (--weeks N)", field="weeks")
        weeks = scs[0].weeks
    tasks = [(k, i, sc, seed + i + (0 if crn else k * replicates), weeks)
             for k, sc in enumerate(scs) for i in range(replicates)]
    t0 = time.perf_counter()
    results = _execute(tasks, workers, progress)
    elapsed = time.perf_counter() - t0
    run_rows, weekly_frames, group_frames = [], [], []
    for (_k, i, sc, sd, _), (_, _, out, series, grp) in zip(tasks, results, strict=True):
        run_rows.append({"scenario": sc.name, "replicate": i, "seed": sd, **out})
        group_frames.append(grp.assign(scenario=sc.name, replicate=i))
        wf = pd.DataFrame({s: series[s] for s in ("week", "date", *SERIES)})
        wf.insert(0, "replicate", i)
        wf.insert(0, "scenario", sc.name)
        weekly_frames.append(wf)
    meta = {"replicates": replicates, "seed": seed, "crn": crn, "weeks": weeks, "workers": workers,
            "seeds": {sc.name: [t[3] for t in tasks if t[0] == k] for k, sc in enumerate(scs)},
            "elapsed_seconds": round(elapsed, 3), "runs": len(tasks),
            "created": dt.datetime.now().isoformat(timespec="seconds")}
    groups = pd.concat(group_frames, ignore_index=True)[["scenario", "replicate", "by", "group", "metric", "value"]]
    return Comparison(scenarios=scs, runs=pd.DataFrame(run_rows), weekly=pd.concat(weekly_frames, ignore_index=True),
                      meta=meta, groups=groups)


def load_scenarios(items: Sequence[Scenario | str | Path]) -> list[Scenario]:
    """Scenarios from objects, files or ``"default"``; checks that there is one at least and names differ."""
    from pcnsim.scenario import BUILTIN, load

    if isinstance(items, (str, Path, Scenario)):
        items = [items]
    if not items:
        raise PCNSimInputError("give at least one scenario (a TOML file, or 'default' for the built-in one)", field="scenario")
    scs = []
    for it in items:
        if isinstance(it, Scenario):
            scs.append(it)
        elif str(it) in BUILTIN and not Path(str(it)).exists():  # a built-in scenario's name
            scs.append(load(str(it)))
        else:
            p = Path(it)
            if not p.exists() and p.suffix != ".toml" and Path(f"{it}.toml").exists():
                p = Path(f"{it}.toml")
            if not p.exists():
                raise PCNSimInputError(f"scenario {str(it)!r} not found: give a TOML file path, or 'default' for the "
                                       "built-in default scenario", field="scenario")
            scs.append(load(p))
    seen: dict[str, str] = {}
    for sc in scs:
        if sc.name in seen:
            raise PCNSimInputError(f"two scenarios are named {sc.name!r} ({seen[sc.name]} and {sc.source}); "
                                   "scenario names label the results and must differ", field="name")
        seen[sc.name] = sc.source
    return scs


# ---------------------------------------------------------------------------------------------------
# execution
def _execute(tasks: list[tuple], workers: int, progress: bool) -> list[tuple]:
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc="runs", unit="run", disable=not progress, leave=False)
    try:
        if workers <= 1 or len(tasks) <= 1:
            results = []
            for t in tasks:
                results.append(_run_task(t))
                bar.update()
            return results
        import concurrent.futures as cf

        with cf.ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=_mp_context()) as pool:
            futs = {pool.submit(_run_task, t): j for j, t in enumerate(tasks)}
            results: list[Any] = [None] * len(tasks)
            for f in cf.as_completed(futs):
                results[futs[f]] = f.result()
                bar.update()
            return results
    finally:
        bar.close()


def _mp_context() -> Any:
    import multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["pcnsim.experiments", "pcnsim.model", "pcnsim.interventions"])
        return ctx
    return mp.get_context("spawn")


# ---------------------------------------------------------------------------------------------------
# statistics
def _reduce(v: np.ndarray) -> dict[str, float]:
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return {"median": float("nan"), "lo": float("nan"), "hi": float("nan"), "mean": float("nan"), "n": 0}
    lo, med, hi = np.quantile(v, QUANTILES)
    return {"median": float(med), "lo": float(lo), "hi": float(hi), "mean": float(v.mean()), "n": int(len(v))}


def reduce(df: pd.DataFrame, by: str | list[str], columns: Sequence[str]) -> pd.DataFrame:
    """Median and 90% interval of ``columns`` within groups ``by`` (tidy: one row per group and column)."""
    rows = []
    for key, sub in df.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for c in columns:
            rows.append({**dict(zip([by] if isinstance(by, str) else by, key, strict=True)), "column": c,
                         **_reduce(sub[c].to_numpy(dtype=float))})
    return pd.DataFrame(rows)


def _bootstrap_means(v: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    idx = rng.integers(0, len(v), size=(BOOTSTRAP, len(v)))
    return v[idx].mean(axis=1), (None if w is None else w[idx].mean(axis=1))


def _bootstrap_mean_ci(v: np.ndarray) -> tuple[float, float]:
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return float("nan"), float("nan")
    m, _ = _bootstrap_means(v)
    lo, hi = np.quantile(m, (QUANTILES[0], QUANTILES[2]))
    return float(lo), float(hi)


def icer(extra_cost: np.ndarray, effect: np.ndarray) -> dict[str, Any]:
    """Incremental cost-effectiveness from paired replicate differences (see the module docstring).

    Returns ``extra_cost_mean``, ``effect_mean`` with its 90% bootstrap CI (``effect_lo``, ``effect_hi``),
    ``ratio`` (mean extra cost / mean effect) with its 90% bootstrap interval, and a ``effect_verdict``.
    The ratio is given only when the effect is clearly positive.
    """
    ok = np.isfinite(extra_cost) & np.isfinite(effect)
    dc, de = extra_cost[ok], effect[ok]
    nan = float("nan")
    res: dict[str, Any] = {"extra_cost_mean": float(dc.mean()) if len(dc) else nan,
                           "effect_mean": float(de.mean()) if len(de) else nan, "effect_lo": nan, "effect_hi": nan,
                           "ratio": nan, "ratio_lo": nan, "ratio_hi": nan, "effect_verdict": "too few replicates"}
    if len(de) < 2:
        return res
    bc, be = _bootstrap_means(dc, de)
    assert be is not None
    e_lo, e_hi = np.quantile(be, (QUANTILES[0], QUANTILES[2]))
    res["effect_lo"], res["effect_hi"] = float(e_lo), float(e_hi)
    if e_lo <= 0 <= e_hi:
        res["effect_verdict"] = "no clear effect"
    elif e_hi < 0:
        res["effect_verdict"] = "worse"
    elif res["extra_cost_mean"] <= 0:
        res["effect_verdict"] = "dominant (better, no extra cost)"
        res["ratio"] = res["extra_cost_mean"] / res["effect_mean"]
    else:
        res["effect_verdict"] = "costs more, better"
        res["ratio"] = res["extra_cost_mean"] / res["effect_mean"]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = bc / be
        r = r[np.isfinite(r) & (be > 0)]
        if len(r):
            lo, hi = np.quantile(r, (QUANTILES[0], QUANTILES[2]))
            res["ratio_lo"], res["ratio_hi"] = float(lo), float(hi)
    return res


# ---------------------------------------------------------------------------------------------------
# formatting and figures
def _fmt(v: float, unit: str, signed: bool = False) -> str:
    if not np.isfinite(v):
        return "-"
    sign = "+" if signed else ""
    if unit == "share":
        return f"{v * 100:{sign}.1f}{'pp' if signed else '%'}"
    if unit == "GBP":
        return f"{'-' if v < 0 else ('+' if signed else '')}£{abs(v) / 1e3:,.0f}k" if abs(v) >= 1e3 else f"{'-' if v < 0 else ('+' if signed else '')}£{abs(v):,.0f}"
    if unit == "appointments":
        return f"{v:{sign},.0f}"
    if unit == "index":
        return f"{v:{sign}.3f}"
    return f"{v:{sign}.1f}"


def _cell(row: pd.Series, unit: str, signed: bool = False) -> str:
    return f"{_fmt(row['median'], unit, signed)} [{_fmt(row['lo'], unit, signed)}, {_fmt(row['hi'], unit, signed)}]"


def _mean_cell(row: pd.Series, unit: str) -> str:
    return f"{_fmt(row['mean'], unit, True)} ({_fmt(row['mean_lo'], unit, True)}, {_fmt(row['mean_hi'], unit, True)})"


def _icer_text(r: pd.Series) -> str:
    parts = []
    d = r.to_dict()
    for e, ratio, unit in (("fte_years", "cost_per_fte_year", "extra FTE-year"),
                           ("avoided_leavers", "cost_per_avoided_leaver", "avoided leaver")):
        eff = f"{d[e + '_mean']:+.2f} (90% CI {d[e + '_lo']:+.2f} to {d[e + '_hi']:+.2f})"
        if np.isfinite(d[ratio]) and np.isfinite(d[ratio + "_lo"]):
            parts.append(f"£{d[ratio]:,.0f} per {unit} (90% CI £{d[ratio + '_lo']:,.0f} to £{d[ratio + '_hi']:,.0f}); "
                         f"{unit}s {eff}")
        elif np.isfinite(d[ratio]):
            parts.append(f"£{d[ratio]:,.0f} per {unit} ({d[e + '_verdict']}); {unit}s {eff}")
        else:
            parts.append(f"{unit}s {eff}: {d[e + '_verdict']}")
    return f"Extra cost (mean) {_fmt(d['extra_cost_mean'], 'GBP', True)}:\n    " + "\n    ".join(parts)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "scenario"


def plot_bands(bands: pd.DataFrame, names: Sequence[str], series: Sequence[str] | None = None) -> Any:
    """Time series of the median with a 90% band per scenario, one panel per series."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    series = list(series or SERIES)
    ncol = 3
    nrow = math.ceil(len(series) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.6 * nrow), squeeze=False)
    # a fixed layout: matplotlib's constrained layout takes seconds per figure
    fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.75 / (3.6 * nrow), bottom=0.35 / (3.6 * nrow) + 0.02,
                        wspace=0.25, hspace=0.45)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, s in zip(axes.ravel(), series, strict=False):
        for k, name in enumerate(names):
            b = bands[(bands["scenario"] == name) & (bands["series"] == s)]
            if b.empty:
                continue
            x = pd.to_datetime(b["date"])
            c = colours[k % len(colours)]
            ax.plot(x, b["median"], color=c, label=name, lw=1.5)
            ax.fill_between(x, b["lo"], b["hi"], color=c, alpha=0.18, lw=0)
        ax.set_title(SERIES.get(s, s), fontsize=10)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        loc = mdates.AutoDateLocator(maxticks=7)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    for ax in axes.ravel()[len(series):]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=8, loc="best")
    fig.suptitle("Median and 90% interval over replicates", fontsize=11)
    return fig


def plot_forest(differences: pd.DataFrame, names: Sequence[str], outcomes: Sequence[str] = FOREST) -> Any:
    """Forest plot of paired differences against the first scenario: per outcome, per scenario, the
    median (dot) and 90% interval over replicates (thin line), and the mean's 90% CI (thick line)."""
    import matplotlib.pyplot as plt

    arms = list(names[1:])
    ncol = 3
    nrow = math.ceil(len(outcomes) / ncol)
    width = 5.2 * ncol
    height = 0.9 + (0.4 * max(len(arms), 1) + 1.0) * nrow
    fig, axes = plt.subplots(nrow, ncol, figsize=(width, height), squeeze=False, sharey=True)
    left = min(0.45, (0.25 + 0.065 * max((len(a) for a in arms), default=4)) / width)
    fig.subplots_adjust(left=left, right=0.98, top=1 - 0.9 / height, bottom=0.35 / height, wspace=0.12,
                        hspace=min(0.9, 0.75 / (0.4 * max(len(arms), 1) + 0.3)))
    for ax, o in zip(axes.ravel(), outcomes, strict=False):
        label, unit = OUTCOMES[o]
        scale = 100.0 if unit == "share" else (1e-3 if unit == "GBP" else 1.0)
        ulab = {"share": "percentage points", "GBP": "GBP thousand"}.get(unit, unit)
        ax.axvline(0, color="0.4", lw=1)
        for j, name in enumerate(arms):
            r = differences[(differences["scenario"] == name) & (differences["outcome"] == o)]
            if r.empty:
                continue
            r = r.iloc[0]
            y = len(arms) - 1 - j
            ax.plot([r["lo"] * scale, r["hi"] * scale], [y, y], color="C0", lw=1.2)
            ax.plot([r["mean_lo"] * scale, r["mean_hi"] * scale], [y, y], color="C0", lw=4, alpha=0.6)
            ax.plot([r["median"] * scale], [y], "o", color="C0", ms=5)
        ax.set_yticks(range(len(arms)), list(reversed(arms)), fontsize=8)
        ax.set_ylim(-0.7, max(len(arms), 1) - 0.3)
        ax.set_title(f"{label}\n({ulab})", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes.ravel()[len(outcomes):]:
        ax.set_visible(False)
    base = names[0] if names else "?"
    title = (f"Paired difference against {base!r}: median, 90% interval over replicates (thin), 90% CI of the mean (thick)"
             if arms else "Only one scenario: nothing to compare against")
    fig.suptitle(title, fontsize=10)
    return fig


# ---------------------------------------------------------------------------------------------------
# experiment scripts
def _check_int(name: str, v: Any, lo: int, hi: int) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
        raise PCNSimInputError(f"{name} = {v!r} is not allowed: expected a whole number from {lo} to {hi}", field=name)


def experiment_main(name: str, scenarios: Sequence[str | Path], argv: Sequence[str] | None = None, *,
                    question: str = "", replicates: int = 40, weeks: int | None = None, quick_replicates: int = 2,
                    quick_weeks: int = 78) -> Comparison:
    """Command line of an experiment script: ``[--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]``.

    Runs :func:`compare` on ``scenarios`` (paths relative to the script's folder are fine), prints the
    report and writes the results to ``--out`` (default ``results/experiments/<name>``). ``weeks`` sets the
    run length of every scenario (default: theirs). ``--quick`` runs ``quick_replicates`` replicates of
    ``quick_weeks`` weeks: seconds, for tests.
    """
    import argparse
    import sys

    from pcnsim.cli._common import int_range

    ap = argparse.ArgumentParser(prog=name, description=question)
    ap.add_argument("--quick", action="store_true", help=f"{quick_replicates} replicates of {quick_weeks} weeks (seconds)")
    ap.add_argument("--replicates", type=int_range(1, 10_000), help=f"replicates per scenario (default {replicates})")
    ap.add_argument("--workers", type=int_range(1, 256), default=1, help="processes (default 1)")
    ap.add_argument("--seed", type=int_range(0, 2**62), default=1, help="base seed (default 1)")
    ap.add_argument("--out", default=f"results/experiments/{name}", help="output folder (replaced only if an earlier pcnsim command wrote it, or empty)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar or report")
    args = ap.parse_args(argv)
    n = args.replicates or (quick_replicates if args.quick else replicates)
    weeks = quick_weeks if args.quick else weeks
    try:
        cmp = compare(list(scenarios), replicates=n, workers=args.workers, seed=args.seed, weeks=weeks,
                      progress=not args.quiet)
        cmp.meta["experiment"] = name
        cmp.meta["question"] = question
        cmp.write(args.out)
    except PCNSimInputError as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    if not args.quiet:
        if question:
            print(question, "\n")
        print(cmp.format())
        print(f"\n{cmp.meta['runs']} runs in {cmp.meta['elapsed_seconds']:.1f} s; results in {args.out}/")
    return cmp


def to_jsonable(cmp: Comparison) -> dict[str, Any]:
    """Summary, differences and cost-effectiveness as plain data (for apps and reports)."""
    return json.loads(json.dumps({"summary": cmp.summary.to_dict("records"),
                                  "differences": cmp.differences.to_dict("records"),
                                  "cost_effectiveness": cmp.cost_effectiveness.to_dict("records"),
                                  "meta": cmp.meta}, default=str))
