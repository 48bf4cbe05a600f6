"""The report of an ensemble calibration: prior against posterior per parameter, posterior predictive checks of
every target, and the posterior correlations that show what the targets cannot tell apart."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pcnsim.calibration.ensemble_file import Ensemble, EnsembleResult, write_ensemble
from pcnsim.calibration.targets import TARGET_BY_ID, TARGET_IDS
from pcnsim.params import PRIORS


def _wquantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    o = np.argsort(x)
    c = np.cumsum(w[o]) / w.sum()
    return float(x[o][min(np.searchsorted(c, q), len(x) - 1)])


def prior_posterior(ens: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per parameter: prior mean and 90% interval, weighted posterior mean, SD and 90% interval, and the
    posterior's share of the prior's 90% width (near 1: the targets say little about it)."""
    w = ens["weight"].to_numpy(float)
    rows = []
    for n in names:
        d = PRIORS[n].dist()
        x = ens[n].to_numpy(float)
        m = float(np.average(x, weights=w))
        p5, p95 = _wquantile(x, w, 0.05), _wquantile(x, w, 0.95)
        q5, q95 = float(d.ppf(0.05)), float(d.ppf(0.95))
        rows.append({"parameter": n, "prior": PRIORS[n].describe(), "prior_mean": float(d.mean()), "prior_q05": q5,
                     "prior_q95": q95, "posterior_mean": m, "posterior_sd": float(np.sqrt(np.average((x - m) ** 2, weights=w))),
                     "posterior_q05": p5, "posterior_q95": p95, "width_ratio": (p95 - p5) / (q95 - q5)})
    return pd.DataFrame(rows)


def correlations(ens: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Weighted posterior correlation matrix of the parameters."""
    x = ens[names].to_numpy(float)
    c = np.cov(x, rowvar=False, aweights=ens["weight"].to_numpy(float))
    sd = np.sqrt(np.diag(c))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = c / np.outer(sd, sd)
    return pd.DataFrame(r, index=names, columns=names)


def posterior_predictive(ensemble: Ensemble, n: int, *, networks: int, workers: int = 2, seed: int = 1,
                         progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Every target measured on ``n`` posterior draws with fresh seeds (one replicate each): the posterior
    predictive distribution (one row per draw)."""
    import concurrent.futures as cf

    from pcnsim.calibration.measure import _simulate_args
    from pcnsim.experiments import _mp_context

    draws = ensemble.draws(n, seed=seed)
    names = [c for c in draws.columns if c in PRIORS]
    jobs = [({k: float(r[k]) for k in names}, 7_000_000 + seed * 10_000 + i, networks, ("t1", "default"))
            for i, r in enumerate(draws.to_dict("records"))]
    rows: list[Any] = [None] * len(jobs)
    if workers <= 1:
        for i, j in enumerate(jobs):
            rows[i] = _simulate_args(j)
            if progress:
                progress(1)
    else:
        with cf.ProcessPoolExecutor(workers, mp_context=_mp_context()) as pool:
            futs = {pool.submit(_simulate_args, j): i for i, j in enumerate(jobs)}
            for f in cf.as_completed(futs):
                rows[futs[f]] = f.result()
                if progress:
                    progress(1)
    df = pd.DataFrame(rows)
    df.insert(0, "draw", draws["draw"].to_numpy())
    return df


def ppc_table(ppc: pd.DataFrame) -> pd.DataFrame:
    """Per target: published value, tolerance, posterior predictive median and 90% interval, and the share
    of draws within tolerance."""
    rows = []
    for i in TARGET_IDS:
        t = TARGET_BY_ID[i]
        v = ppc[i].to_numpy(float)
        v = v[np.isfinite(v)]
        rows.append({"target": i, "label": t.label, "published": t.published, "lo": t.lo, "hi": t.hi,
                     "median": float(np.median(v)) if len(v) else np.nan,
                     "q05": float(np.quantile(v, 0.05)) if len(v) else np.nan,
                     "q95": float(np.quantile(v, 0.95)) if len(v) else np.nan,
                     "share_within": float(np.mean((v >= t.lo) & (v <= t.hi))) if len(v) else np.nan})
    return pd.DataFrame(rows)


def _grid(n: int, ncol: int = 5, w: float = 3.0, h: float = 2.3) -> tuple[Any, np.ndarray]:
    import matplotlib.pyplot as plt

    nrow = max(1, math.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(w * ncol, h * nrow), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.05, top=1 - 0.5 / (h * nrow), hspace=0.6, wspace=0.3)
    return fig, axes.ravel()


def plot_prior_posterior(ens: pd.DataFrame, names: list[str]) -> Any:
    """One panel per parameter: the prior's density (line) and the weighted posterior histogram."""
    fig, axes = _grid(len(names))
    w = ens["weight"].to_numpy(float)
    for ax, n in zip(axes, names, strict=False):
        pr = PRIORS[n]
        x = np.linspace(pr.lo, pr.hi, 200)
        ax.hist(ens[n], bins=20, range=(pr.lo, pr.hi), weights=w, density=True, color="C0", alpha=0.6)
        ax.plot(x, pr.dist().pdf(x), color="C3", lw=1.2)
        ax.set_title(n, fontsize=8)
        ax.tick_params(labelsize=6)
    fig.suptitle("Prior (red line) and posterior (histogram) per parameter", fontsize=10)
    return fig


def plot_ppc(ppc: pd.DataFrame) -> Any:
    """One panel per target: the posterior predictive histogram, the published value and tolerance."""
    fig, axes = _grid(len(TARGET_IDS))
    for ax, i in zip(axes, TARGET_IDS, strict=False):
        t = TARGET_BY_ID[i]
        v = ppc[i].to_numpy(float)
        ax.axvspan(t.lo, t.hi, color="C2", alpha=0.2)
        ax.hist(v[np.isfinite(v)], bins=20, color="C0", alpha=0.7)
        ax.axvline(t.published, color="C3", lw=1.2)
        ax.set_title(i, fontsize=9)
        ax.tick_params(labelsize=6)
    fig.suptitle("Posterior predictive checks: model (histogram), published value (red), tolerance (green)",
                 fontsize=10)
    return fig


def plot_correlations(corr: pd.DataFrame) -> Any:
    """Heat map of the posterior correlations."""
    import matplotlib.pyplot as plt

    n = len(corr)
    fig, ax = plt.subplots(figsize=(2 + 0.32 * n, 1.5 + 0.32 * n))
    im = ax.imshow(corr.to_numpy(float), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(n), corr.columns, rotation=90, fontsize=6)
    ax.set_yticks(range(n), corr.index, fontsize=6)
    fig.colorbar(im, ax=ax, shrink=0.7)
    ax.set_title("Posterior correlations", fontsize=10)
    fig.subplots_adjust(left=0.3, bottom=0.3, right=0.95, top=0.95)
    return fig


def report_markdown(result: EnsembleResult, pp: pd.DataFrame, ppc: pd.DataFrame, corr: pd.DataFrame,
                    command: str = "") -> str:
    """The ensemble calibration's report (Markdown)."""
    prov = result.provenance
    strong = corr.where(~np.eye(len(corr), dtype=bool)).stack()
    strong = strong[strong.abs() >= 0.3].sort_values(key=np.abs, ascending=False)
    seen, pairs = set(), []
    for (a, b), r in strong.items():
        if (b, a) not in seen:
            seen.add((a, b))
            pairs.append(f"`{a}` and `{b}` ({r:+.2f})")
    gens = result.generations
    lines = [
        "# Ensemble calibration", "",
        f"{prov.get('method', '')}. {len(result.ensemble)} accepted parameter sets "
        + (f"(every generation's, pooled with equal weights; threshold {prov['config'].get('threshold'):.3g}: the root of "
           "the sum of squared standardised errors), "
           if prov["config"].get("method") == "rejection" else
           f"in the last of {prov.get('generations')} generations (final threshold "
           f"{prov.get('final_distance_threshold', float('nan')):.3g}: with the exact method a temperature, 1 being the "
           "exact posterior under the observation error; with the distance method the root of the sum of squared "
           "standardised errors), ")
        + f"{prov.get('simulations')} simulations; panels of "
        f"{prov['config']['networks']} networks. pcnsim {prov.get('pcnsim_version')}, commit {prov.get('git_commit')}, "
        f"{prov.get('created')}.", "",
        f"Command: `{command}`" if command else "", "",
        "Fixed at their defaults (screened out, or by --fix): "
        + (", ".join(f"`{n}`" for n in prov["config"].get("fixed", [])) or "none") + ". Without a prior (fixed "
        "throughout): see docs/parameters.md.", "",
        "## Posterior predictive checks", "",
        "| target | published | tolerance | model median [90%] | share within |", "|---|---|---|---|---|",
    ]
    for r in ppc.itertuples():
        t = TARGET_BY_ID[r.target]
        lines.append(f"| {r.target} | {t.fmt(r.published)} | {t.fmt(r.lo)} to {t.fmt(r.hi)} | {t.fmt(r.median)} "
                     f"[{t.fmt(r.q05)}, {t.fmt(r.q95)}] | {r.share_within:.0%} |")
    lines += ["", "## Prior and posterior", "",
              "width: the posterior's 90% interval as a share of the prior's (near 1: the targets say little).", "",
              "| parameter | prior | posterior mean [90%] | width |", "|---|---|---|---|"]
    for r in pp.itertuples():
        lines.append(f"| `{r.parameter}` | {r.prior} | {r.posterior_mean:.4g} [{r.posterior_q05:.4g}, "
                     f"{r.posterior_q95:.4g}] | {r.width_ratio:.2f} |")
    lines += ["", "## What the targets cannot separate", "",
              ("Posterior correlations of 0.3 or more in size: " + "; ".join(pairs[:12]) + ".") if pairs else
              "No posterior correlation reaches 0.3 in size.", "",
              "## Generations", "",
              "epsilon: the generation's threshold; acceptance: accepted sets per simulation; ess: the effective "
              "sample size of the importance weights (Kish, 1 / sum of squared normalised weights).", "",
              gens.to_markdown(index=False) if len(gens) and _has_tabulate() else
              gens.to_string(index=False), ""]
    return "\n".join(lines)


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def write_report(out: str | Path, result: EnsembleResult, ppc: pd.DataFrame, command: str = "") -> Path:
    """Write the ensemble (Parquet), its tables (CSV), figures (PNG) and ``ensemble.md`` into ``out``."""
    import matplotlib.pyplot as plt

    from pcnsim.calibration.report import write_text_atomic

    out = Path(out)
    names = [n for n in result.provenance["free"]]
    pp = prior_posterior(result.ensemble, names)
    corr = correlations(result.ensemble, names)
    table = ppc_table(ppc)
    write_ensemble(out / "ensemble.parquet", result)
    for name, df in (("prior_posterior", pp), ("ppc", table), ("ppc_draws", ppc), ("generations", result.generations)):
        df.to_csv(out / f"{name}.csv", index=False)
    corr.to_csv(out / "correlations.csv")
    for name, fig in (("prior_posterior", plot_prior_posterior(result.ensemble, names)), ("ppc", plot_ppc(ppc)),
                      ("correlations", plot_correlations(corr))):
        fig.savefig(out / f"{name}.png", dpi=100)
        plt.close(fig)
    write_text_atomic(out / "ensemble.md", report_markdown(result, pp, table, corr, command))
    return out
