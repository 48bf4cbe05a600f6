"""Every comparison over the ensemble: scenarios over posterior draws x seeds, with decision-analytic outputs.

>>> from pcnsim.ensemble_compare import compare_ensemble
>>> res = compare_ensemble(["default", "experiments/scenarios/supervision_1h.toml"], "ensemble.parquet",
...                        draws=200, seeds=2, out="results/ensemble-compare")          # doctest: +SKIP
>>> res.differences       # per arm: paired differences, mean and 90% interval over draws
>>> res.probabilities     # P(reduces leavers), P(best at reducing leavers), P(most cost-effective)
>>> res.ceac, res.evpi, res.evppi
>>> res.write()           # CSV tables, PNG figures, summary.md into out/report

Runs are :mod:`pcnsim.ensemble_runs` (common random numbers, resumable store); costs :mod:`pcnsim.economics`;
the decision analysis :mod:`pcnsim.decision`. Each (arm, draw) value is the mean over the draw's seeds;
intervals and probabilities are over draws, so they include parameter uncertainty (and the Monte Carlo noise
of a few seeds, which makes EVPI a little too high rather than too low).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pcnsim import decision as dec
from pcnsim.economics import COSTS, total_cost
from pcnsim.errors import PCNSimInputError

#: Willingness to pay per retained (discounted) ARRS FTE-year, GBP: the grid of the CEAC.
WTP_GRID = np.arange(0.0, 200_001.0, 5_000.0)
#: The reference willingness to pay (assumption: about the claimed cost of an ARRS FTE-year, so that a
#: retained FTE-year is worth what it costs to employ); see docs/ensemble.md.
WTP_REFERENCE = 50_000.0
#: Networks in England (E1): national figures are a network's times this (every network like the default).
NETWORKS_ENGLAND = 1_250
#: Outcomes whose paired differences are reported: column -> (label, unit).
DIFFERENCES: dict[str, tuple[str, str]] = {
    "leavers": ("ARRS leavers over the run", "people"),
    "fte_years_disc": ("ARRS FTE-years in post (discounted)", "FTE-years"),
    "retention_12m": ("ARRS 12-month retention", "share"),
    "intending_share": ("ARRS intending to leave (end)", "share"),
    "appointments": ("Appointments delivered", "appointments"),
    "cost_network": ("Cost to the network (discounted)", "GBP"),
    "cost_nhs": ("Cost to the NHS (discounted)", "GBP"),
    "unspent": ("Unspent ARRS allocation (discounted)", "GBP"),
}


def compare_ensemble(scenarios: Sequence[Any], ensemble: Any, *, draws: int = 200, seeds: int = 2, seed: int = 1,
                     weeks: int | None = None, out: str | Path = "results/ensemble-compare", workers: int | None = 2,
                     scheduler: str | None = None, progress: bool = True, max_runs: int | None = None,
                     perspective: str = "nhs", wtp: float = WTP_REFERENCE) -> EnsembleComparison:
    """Run every scenario over ``draws`` posterior draws x ``seeds`` seeds (the first scenario is the baseline).

    ``ensemble`` is a path to an ensemble file (``pcnsim calibrate --ensemble``) or an
    :class:`pcnsim.calibration.ensemble_file.Ensemble`. Seeds are ``seed + s``; draws are a seeded systematic
    resample of the ensemble's weighted particles. The runs go to the resumable store at ``out``.
    """
    from pcnsim.calibration.ensemble_file import Ensemble, load_ensemble
    from pcnsim.ensemble_runs import execute
    from pcnsim.experiments import load_scenarios

    if perspective not in ("nhs", "network"):
        raise PCNSimInputError(f"--perspective {perspective!r} is not allowed: expected nhs or network",
                               field="--perspective")
    for name, v, lo, hi in (("draws", draws, 2, 100_000), ("seeds", seeds, 1, 1000)):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise PCNSimInputError(f"--{name} = {v!r} is not allowed: expected a whole number from {lo} to {hi}",
                                   field=f"--{name}")
    if not (isinstance(wtp, (int, float)) and 0 <= wtp <= 10_000_000):
        raise PCNSimInputError(f"--wtp = {wtp!r} is not allowed: expected GBP from 0 to 10,000,000", field="--wtp")
    scs = load_scenarios(list(scenarios))
    if len(scs) < 2:
        raise PCNSimInputError("give at least two scenarios: the baseline first, then the interventions",
                               field="scenario")
    ens = ensemble if isinstance(ensemble, Ensemble) else load_ensemble(ensemble)
    if weeks is None:
        w = {s.weeks for s in scs}
        if len(w) > 1:
            raise PCNSimInputError(f"the scenarios run for different weeks ({sorted(w)}): give --weeks", field="--weeks")
        weeks = w.pop()
    d = ens.draws(draws, seed=seed)
    seed_list = [seed + s for s in range(seeds)]
    rows, manifest = execute(scs, d, seed_list, weeks, out, workers=workers, scheduler=scheduler, progress=progress,
                             max_runs=max_runs, meta={"ensemble": ens.source, "ensemble_provenance": ens.provenance})
    return EnsembleComparison(runs=rows, draws=d, names=[s.name for s in scs], out=Path(out),
                              meta=manifest, perspective=perspective, wtp=float(wtp))


@dataclass
class EnsembleComparison:
    """Results of :func:`compare_ensemble`: the run rows, the draws and the decision analysis."""

    runs: pd.DataFrame
    draws: pd.DataFrame
    names: list[str]
    out: Path
    meta: dict[str, Any] = field(default_factory=dict)
    perspective: str = "nhs"
    wtp: float = WTP_REFERENCE

    @property
    def complete(self) -> bool:
        """True when every (arm, draw, seed) run is on disk."""
        return len(self.runs) == self.meta.get("runs", -1)

    def per_draw(self, column: str) -> np.ndarray:
        """``[arm, draw]``: the mean over each draw's seeds of a run column (or ``cost_network``, ``cost_nhs``)."""
        if not self.complete:
            raise PCNSimInputError(f"the comparison is not complete ({len(self.runs):,} of {self.meta.get('runs', 0):,} "
                                   "runs): rerun the same command to finish it", field="--out")
        cache = self.__dict__.setdefault("_per_draw", {})  # the tables read the same columns many times
        if column not in cache:
            df = self.runs.copy()
            df["cost_network"] = total_cost({k: df[k] for k in COSTS}, "network")
            df["cost_nhs"] = total_cost({k: df[k] for k in COSTS}, "nhs")
            m = df.groupby(["arm", "draw"])[column].mean().unstack("draw")
            cache[column] = m.reindex(index=range(len(self.names))).to_numpy(dtype=float)
        return cache[column].copy()

    def net_benefit(self, wtp: float | np.ndarray | None = None, perspective: str | None = None) -> np.ndarray:
        """Net benefit ``[arm, draw]`` (or ``[arm, draw, wtp]``): wtp x discounted FTE-years - cost."""
        cost = self.per_draw(f"cost_{perspective or self.perspective}")
        return dec.net_benefit(self.per_draw("fte_years_disc"), cost, self.wtp if wtp is None else wtp)

    # -- tables ---------------------------------------------------------------------------------
    @cached_property
    def differences(self) -> pd.DataFrame:
        """Per arm after the first and outcome: the paired difference from the baseline, mean and 90%
        interval over draws (parameter uncertainty), and the share of draws in which it is above zero."""
        rows = []
        for col, (label, unit) in DIFFERENCES.items():
            v = self.per_draw(col)
            for a in range(1, len(self.names)):
                d = v[a] - v[0]
                lo, hi = dec.interval(d)
                rows.append({"scenario": self.names[a], "baseline": self.names[0], "outcome": col, "label": label,
                             "unit": unit, "mean": d.mean(), "lo": float(lo), "hi": float(hi),
                             "share_positive": float((d > 0).mean()), "draws": len(d)})
        return pd.DataFrame(rows)

    @cached_property
    def probabilities(self) -> pd.DataFrame:
        """Per arm: P(fewer leavers than the baseline), P(fewest leavers of all arms), P(highest net benefit at
        the reference willingness to pay), and the mean incremental net benefit."""
        lv = self.per_draw("leavers")
        nb = self.net_benefit()
        best_lv = dec.probability_best(lv, higher_is_better=False)
        best_nb = dec.probability_best(nb)
        return pd.DataFrame({"scenario": self.names, "p_reduces_leavers": [np.nan, *((lv[1:] < lv[0]).mean(axis=1))],
                             "p_fewest_leavers": best_lv, "p_most_cost_effective": best_nb,
                             "incremental_net_benefit": nb.mean(axis=1) - nb[0].mean(), "wtp": self.wtp,
                             "perspective": self.perspective})

    @cached_property
    def ceac(self) -> pd.DataFrame:
        """Tidy CEAC: perspective, willingness to pay, scenario, probability of the highest net benefit."""
        frames = []
        for persp in ("nhs", "network"):
            c = dec.ceac(self.net_benefit(WTP_GRID, persp))
            for a, name in enumerate(self.names):
                frames.append(pd.DataFrame({"perspective": persp, "wtp": WTP_GRID, "scenario": name, "probability": c[a]}))
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def evpi(self) -> pd.DataFrame:
        """EVPI per network and for England (x :data:`NETWORKS_ENGLAND`) over the willingness-to-pay grid."""
        e = dec.evpi(self.net_benefit(WTP_GRID))
        return pd.DataFrame({"wtp": WTP_GRID, "evpi_network": e, "evpi_england": e * NETWORKS_ENGLAND,
                             "perspective": self.perspective})

    @cached_property
    def evppi(self) -> pd.DataFrame:
        """EVPPI of every parameter that varies across the draws at the reference willingness to pay (per
        network and for England), largest first, with the prior's reason."""
        from pcnsim.params import PRIORS

        nb = self.net_benefit()
        rows = []
        for p in [c for c in self.draws.columns if c not in ("draw", "particle")]:
            theta = self.draws.set_index("draw").loc[sorted(self.runs["draw"].unique()), p].to_numpy(dtype=float)
            if np.ptp(theta) == 0:
                continue
            v = dec.evppi(nb, theta)
            rows.append({"parameter": p, "evppi_network": v, "evppi_england": v * NETWORKS_ENGLAND,
                         "reason": PRIORS[p].reason if p in PRIORS else ""})
        df = pd.DataFrame(rows, columns=["parameter", "evppi_network", "evppi_england", "reason"])
        return df.sort_values("evppi_network", ascending=False).reset_index(drop=True)

    @cached_property
    def budget_impact(self) -> pd.DataFrame:
        """Per arm and cost item: budget holder, mean and 90% interval over draws (per network and England)."""
        rows = []
        for item, holder in {**COSTS, "unspent": "national (returned)"}.items():
            v = self.per_draw(item)
            for a, name in enumerate(self.names):
                lo, hi = dec.interval(v[a])
                rows.append({"scenario": name, "item": item, "budget": holder, "mean": v[a].mean(), "lo": float(lo),
                             "hi": float(hi), "mean_england": v[a].mean() * NETWORKS_ENGLAND,
                             "difference": (v[a] - v[0]).mean()})
        return pd.DataFrame(rows)

    @cached_property
    def by_role(self) -> pd.DataFrame:
        """Per arm after the first and ARRS role: paired differences in discounted FTE-years and in leavers."""
        from pcnsim.roles import ROLES

        rows = []
        keys = [*(r.key for r in ROLES if r.arrs), *self.meta.get("added_roles", ())]
        for key in (k for k in keys if f"fte_years_disc_{k}" in self.runs):
            # an arm without a role a scenario adds has no one in it: 0 FTE-years, 0 leavers
            f, lv = np.nan_to_num(self.per_draw(f"fte_years_disc_{key}")), np.nan_to_num(self.per_draw(f"leavers_{key}"))
            for a in range(1, len(self.names)):
                df_, dl = f[a] - f[0], lv[a] - lv[0]
                rows.append({"scenario": self.names[a], "role": key, "fte_years_disc": df_.mean(),
                             "fte_years_disc_lo": float(dec.interval(df_)[0]), "fte_years_disc_hi": float(dec.interval(df_)[1]),
                             "leavers": dl.mean(), "leavers_lo": float(dec.interval(dl)[0]),
                             "leavers_hi": float(dec.interval(dl)[1])})
        return pd.DataFrame(rows)

    # -- presentation ---------------------------------------------------------------------------
    def summary_markdown(self) -> str:
        """A plain-language summary: the ranking with its probabilities, costs, and the research to do next."""
        from pcnsim.ensemble_plots import summary_text

        return summary_text(self)

    def write(self, folder: str | Path | None = None) -> Path:
        """Tables (CSV), figures (PNG) and ``summary.md`` into ``folder`` (default ``out/report``), all or
        nothing."""
        import matplotlib.pyplot as plt

        from pcnsim.ensemble_plots import plot_ceac, plot_differences, plot_evppi
        from pcnsim.output import atomic_dir

        folder = Path(folder) if folder is not None else self.out / "report"
        tables = {"differences": self.differences, "probabilities": self.probabilities, "ceac": self.ceac,
                  "evpi": self.evpi, "evppi": self.evppi, "budget_impact": self.budget_impact, "by_role": self.by_role}
        figs = {"ceac": plot_ceac(tables["ceac"], self.names, self.perspective),
                "evppi": plot_evppi(tables["evppi"], self.wtp),
                "differences": plot_differences(tables["differences"], self.names)}
        try:
            with atomic_dir(folder) as tmp:
                for k, t in tables.items():
                    t.to_csv(tmp / f"{k}.csv", index=False)
                for k, f in figs.items():
                    f.savefig(tmp / f"{k}.png", dpi=110)
                (tmp / "summary.md").write_text(self.summary_markdown(), encoding="utf-8")
        finally:
            for f in figs.values():
                plt.close(f)
        return folder
