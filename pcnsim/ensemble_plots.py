"""Figures and the plain-language summary of an ensemble comparison (:mod:`pcnsim.ensemble_compare`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pcnsim.ensemble_compare import EnsembleComparison


def plot_ceac(ceac: pd.DataFrame, names: Sequence[str], perspective: str = "nhs") -> Any:
    """Cost-effectiveness acceptability curves: P(highest net benefit) against willingness to pay."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 5.0))
    sub = ceac[ceac["perspective"] == perspective]
    for k, name in enumerate(names):
        s = sub[sub["scenario"] == name]
        ax.plot(s["wtp"] / 1e3, s["probability"], lw=1.6, label=name, color=f"C{k % 10}",
                ls="-" if k < 10 else "--")
    ax.set_xlabel("Willingness to pay per retained ARRS FTE-year (GBP thousand)")
    ax.set_ylabel("Probability of the highest net benefit")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(f"Cost-effectiveness acceptability ({perspective.upper() if perspective == 'nhs' else perspective} "
                 "perspective)", fontsize=10)
    fig.subplots_adjust(left=0.09, right=0.70, bottom=0.12, top=0.92)
    return fig


def plot_evppi(evppi: pd.DataFrame, wtp: float, top: int = 15) -> Any:
    """EVPPI per parameter (England, GBP), the largest ``top``."""
    import matplotlib.pyplot as plt

    d = evppi.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.6 + 0.3 * max(len(d), 1)))
    ax.barh(d["parameter"], d["evppi_england"] / 1e6, color="C0")
    ax.set_xlabel("EVPPI for England (GBP million)")
    ax.set_title(f"Value of learning each parameter exactly (willingness to pay GBP {wtp:,.0f})", fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.subplots_adjust(left=0.35, right=0.97, bottom=0.6 / (0.6 + 0.3 * max(len(d), 1)) + 0.05, top=0.9)
    return fig


def plot_differences(differences: pd.DataFrame, names: Sequence[str],
                     outcomes: Sequence[str] = ("leavers", "fte_years_disc", "cost_nhs")) -> Any:
    """Forest plot: per arm, the mean paired difference (dot) and its 90% interval over posterior draws."""
    import matplotlib.pyplot as plt

    arms = list(names[1:])
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.6 * len(outcomes), 0.9 + 0.35 * len(arms)), sharey=True,
                             squeeze=False)
    for ax, o in zip(axes[0], outcomes, strict=True):
        sub = differences[differences["outcome"] == o].set_index("scenario")
        scale = 1e-3 if o.startswith("cost") else 1.0
        for j, a in enumerate(arms):
            r = sub.loc[a]
            y = len(arms) - 1 - j
            ax.plot([r["lo"] * scale, r["hi"] * scale], [y, y], color="C0", lw=2)
            ax.plot([r["mean"] * scale], [y], "o", color="C0")
        ax.axvline(0, color="0.4", lw=1)
        ax.set_yticks(range(len(arms)), list(reversed(arms)), fontsize=8)
        label = sub["label"].iloc[0] if len(sub) else o
        ax.set_title(label + (" (GBP k)" if scale != 1 else ""), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Against {names[0]!r}: mean and 90% interval over posterior draws", fontsize=10)
    fig.subplots_adjust(left=0.16, right=0.98, bottom=0.5 / (0.9 + 0.35 * len(arms)) + 0.05, top=0.82, wspace=0.1)
    return fig


def _gbp(v: float) -> str:
    return f"-£{abs(v):,.0f}" if v < 0 else f"£{v:,.0f}"


def summary_text(res: EnsembleComparison) -> str:
    """The plain-language summary (Markdown) of an ensemble comparison."""
    from pcnsim.ensemble_compare import NETWORKS_ENGLAND

    pr = res.probabilities.set_index("scenario")
    diff = res.differences.set_index(["scenario", "outcome"])
    ev = res.evppi
    evpi = res.evpi.set_index("wtp")
    arms = list(res.names[1:])
    ranked = sorted(arms, key=lambda a: diff.loc[(a, "leavers"), "mean"])
    n_draws = diff["draws"].iloc[0]
    seeds = len(res.meta.get("seeds", []))
    lines = [
        "# What the ensemble says", "",
        f"{len(arms)} interventions against **{res.names[0]}**, each run over {n_draws} posterior parameter sets "
        f"x {seeds} seeds with common random numbers (the same parameter sets and seeds in every arm). Ranges are "
        "90% intervals over the parameter sets: they show what we do not know, not only chance.", "",
        "## Which interventions keep staff", "",
        "| rank | intervention | change in ARRS leavers (90% interval) | P(fewer leavers) | P(fewest of all) | "
        "P(best value) |", "|---|---|---|---|---|---|",
    ]
    for k, a in enumerate(ranked, 1):
        d = diff.loc[(a, "leavers")]
        lines.append(f"| {k} | {a} | {d['mean']:+.2f} ({d['lo']:+.2f} to {d['hi']:+.2f}) | "
                     f"{pr.loc[a, 'p_reduces_leavers']:.0%} | {pr.loc[a, 'p_fewest_leavers']:.0%} | "
                     f"{pr.loc[a, 'p_most_cost_effective']:.0%} |")
    lines += ["", f"P(best value): the chance of the highest net benefit from the {res.perspective.upper()} "
              f"perspective when a retained ARRS FTE-year is worth £{res.wtp:,.0f} (the baseline: "
              f"{pr.loc[res.names[0], 'p_most_cost_effective']:.0%}). The curves over other values are in ceac.png.", ""]
    best = max(arms, key=lambda a: pr.loc[a, "incremental_net_benefit"])
    inb = pr.loc[best, "incremental_net_benefit"]
    verdict = (f"The highest expected net benefit: **{best}** ({_gbp(inb)} per network against the baseline)."
               if inb > 0 else f"No intervention has a higher expected net benefit than the baseline at this value "
               f"(the nearest: {best}, {_gbp(inb)} per network).")
    lines += ["## Costs", "",
              f"Costs are discounted at 3.5% a year (E37), in 2023/24 prices, per network; for England multiply by "
              f"{NETWORKS_ENGLAND:,}. {verdict} ARRS claims are "
              "paid by the national budget; money a network does not claim is shown apart (budget_impact.csv).", ""]
    lines += ["## What research would change the decision", ""]
    e_ref = float(evpi.loc[evpi.index[np.argmin(np.abs(evpi.index - res.wtp))], "evpi_england"])
    lines.append(f"Resolving every uncertainty would be worth about £{e_ref:,.0f} for England (EVPI at £{res.wtp:,.0f} "
                 "per FTE-year).")
    if len(ev) and ev["evppi_england"].iloc[0] <= 0:
        lines.append("No single parameter's study would change the decision: the ranking holds across the ensemble.")
    elif len(ev):
        top = ev.iloc[0]
        lines.append(f"The parameter whose study would most change the decision is **{top['parameter']}** (EVPPI "
                     f"£{top['evppi_england']:,.0f} for England): {top['reason']}")
        lines.append("Next: " + ", ".join(f"{r.parameter} (£{r.evppi_england:,.0f})" for r in ev.iloc[1:4].itertuples())
                     + ".")
    lines += ["", "Limits: every network is taken to be like the default network; a few seeds per parameter set add "
              "chance to the spread; costs of turnover are assumptions with priors (docs/ensemble.md).", ""]
    return "\n".join(lines)
