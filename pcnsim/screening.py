"""Morris screening of the priors: which uncertain parameters move the targets or an intervention's effect?

Two sweeps with the same Morris design over the prior ranges of every prior that enters the simulation
(:data:`pcnsim.params.PRIORS`, not the economics ones), run through the sweep machinery
(:func:`pcnsim.sweep.run_sweep`: resumable, local pool or Dask): one of the baseline (the built-in default
scenario), one of the combined retention package (``experiments/scenarios/combined_package.toml``). Design
points and seeds are the same in both, so the package's effect at each point is a paired difference.

Elementary effects (SALib's ``morris.analyze``) are taken of the baseline's outcomes that stand for the targets
(leaver rate T3, intending share T6, FTE in post T4, unspent money T5) and of the package's effect on ARRS
leavers. A parameter *matters* if its mu* reaches :data:`THRESHOLD` of the largest mu* for any outcome; the
others may be fixed at their defaults in the ensemble (``pcnsim calibrate --ensemble --screen DIR``), but not
those the costs use (:data:`pcnsim.economics.COST_INPUTS`).

>>> from pcnsim.screening import run_screening, screening_table   # doctest: +SKIP
>>> run_screening("results/screening", trajectories=8, workers=2)  # doctest: +SKIP
>>> screening_table("results/screening")                           # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pcnsim.errors import PCNSimInputError

#: The baseline outcomes screened (keys of the run summary), standing for targets T3, T6, T4 and T5.
OUTCOMES: tuple[str, ...] = ("arrs_annual_leaver_rate", "arrs_intending_share", "arrs_fte_end",
                             "unspent_share_complete_years")
#: The effect screened: the combined package's paired difference in ARRS leaver rate.
EFFECT = "arrs_annual_leaver_rate"
#: A parameter matters if its mu* is at least this share of the largest mu* of some outcome.
THRESHOLD = 0.1
ARMS = ("baseline", "package")
PACKAGE = Path(__file__).resolve().parents[1] / "experiments" / "scenarios" / "combined_package.toml"


def screened_names() -> list[str]:
    """The priors screened: every prior that enters the simulation."""
    from pcnsim.params import ECONOMIC_PRIORS, PRIORS

    return [n for n in PRIORS if n not in ECONOMIC_PRIORS]


def spec_dict(arm: str, *, trajectories: int = 8, levels: int = 4, replicates: int = 2, seed: int = 1,
              weeks: int = 260, package: str | Path | None = None) -> dict[str, Any]:
    """The sweep spec (as a dict) of one arm of the screening: the Morris design over the prior ranges."""
    from pcnsim.params import PRIORS

    if arm not in ARMS:
        raise PCNSimInputError(f"arm {arm!r}: expected one of {', '.join(ARMS)}", field="arm")
    return {"name": f"priors-morris-{arm}", "scenario": "default" if arm == "baseline" else str(package or PACKAGE),
            "weeks": weeks, "seed": seed, "replicates": replicates, "outcomes": list(OUTCOMES),
            "design": {"kind": "morris", "samples": trajectories, "levels": levels, "seed": seed},
            "parameters": {n: {"min": PRIORS[n].lo, "max": PRIORS[n].hi} for n in screened_names()}}


def run_screening(out: str | Path, *, trajectories: int = 8, replicates: int = 2, workers: int | None = 2,
                  scheduler: str | None = None, weeks: int = 260, progress: bool = True,
                  package: str | Path | None = None) -> Path:
    """Run (or resume) both sweeps into ``out/baseline`` and ``out/package``."""
    from pcnsim.output import check_out
    from pcnsim.sweep import SweepSpec, run_sweep

    out = check_out(out, resume=True)
    for arm in ARMS:
        spec = SweepSpec.from_dict(spec_dict(arm, trajectories=trajectories, replicates=replicates, weeks=weeks,
                                             package=package), source=f"<screening {arm}>")
        run_sweep(spec, out / arm, workers=None if scheduler else workers, scheduler=scheduler, progress=progress)
    return out


def screening_table(out: str | Path, *, threshold: float = THRESHOLD) -> pd.DataFrame:
    """mu* and sigma per parameter and outcome (``effect`` for the package's effect), normalised by the
    largest mu* of the outcome, and whether each parameter matters (one row per parameter and outcome)."""
    from SALib.analyze import morris

    from pcnsim.analysis import load_sweep, point_means

    out = Path(out)
    sweeps = {a: load_sweep(out / a) for a in ARMS}
    for a, s in sweeps.items():
        if not s.complete:
            raise PCNSimInputError(f"{out / a}: the screening sweep is not complete; rerun the screening to finish it",
                                   field="--screen")
    base = sweeps["baseline"]
    names = list(base.parameters)
    problem = base.manifest["problem"]
    X = base.design[[f"x_{n}" for n in names]].to_numpy(float)
    levels = int(base.manifest["spec"]["design"]["levels"])
    means = {a: point_means(s) for a, s in sweeps.items()}
    ys = {o: means["baseline"][o].to_numpy(float) for o in OUTCOMES}
    ys["effect"] = (means["package"][EFFECT] - means["baseline"][EFFECT]).to_numpy(float)
    rows = []
    for o, y in ys.items():
        ok = np.isfinite(y)
        yv = np.where(ok, y, np.nanmean(y))
        r = morris.analyze(problem, X, yv, num_levels=levels, seed=1, print_to_console=False)
        top = float(np.max(r["mu_star"])) or 1.0
        for n, m, s in zip(names, r["mu_star"], r["sigma"], strict=True):
            rows.append({"parameter": n, "outcome": o, "mu_star": float(m), "sigma": float(s),
                         "relative": float(m) / top})
    df = pd.DataFrame(rows)
    df["matters"] = df["relative"] >= threshold
    return df


def fixed_by_screening(out: str | Path, *, threshold: float = THRESHOLD) -> list[str]:
    """The screened priors that matter for no outcome (may be fixed at their defaults), in prior order. A prior
    the screening did not include (added since), and one the costs use (:data:`pcnsim.economics.COST_INPUTS`),
    is not fixed."""
    from pcnsim.economics import COST_INPUTS

    t = screening_table(out, threshold=threshold)
    keep = set(t.loc[t["matters"], "parameter"]) | set(COST_INPUTS)
    return [n for n in screened_names() if n in set(t["parameter"]) and n not in keep]
