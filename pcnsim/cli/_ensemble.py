"""``pcnsim calibrate --ensemble`` and ``--screening``, and ``pcnsim compare --ensemble``: the ensemble commands."""

from __future__ import annotations

import argparse
import sys
from typing import Any

QUICK = {"population": 4, "generations": 2, "ppc": 4, "networks": 4, "trajectories": 2, "threshold": 30.0}
FULL = {"population": 200, "generations": 10, "ppc": 50, "trajectories": 8}
#: The rejection method keeps every generation's sets: 4 generations of 50 make an ensemble of 200.
FULL_REJECTION = {"population": 50, "generations": 4}


def _pick(args: argparse.Namespace, name: str, default: Any) -> Any:
    v = getattr(args, name, None)
    return v if v is not None else (QUICK[name] if args.quick else default)


def _command(args: argparse.Namespace, mode: str) -> str:
    parts = [f"pcnsim calibrate --{mode}"]
    for flag in ("quick",):
        if getattr(args, flag):
            parts.append(f"--{flag}")
    for flag in ("population", "generations", "ppc", "networks", "seed", "screen", "scheduler", "trajectories",
                 "method", "threshold"):
        v = getattr(args, flag, None)
        if v is not None:
            parts.append(f"--{flag} {v}")
    for f in args.fix or []:
        parts.append(f"--fix {f}")
    parts.append(f"--workers {args.workers}")
    return " ".join(parts)


def main_ensemble(args: argparse.Namespace) -> int:
    """ABC into ``--out`` (resumable), then the posterior predictive checks and the report."""
    from tqdm.auto import tqdm

    from pcnsim.calibration.ensemble import EnsembleConfig, calibrate_ensemble
    from pcnsim.calibration.ensemble_file import Ensemble
    from pcnsim.calibration.ensemble_report import posterior_predictive, write_report
    from pcnsim.calibration.targets import PANEL_NETWORKS
    from pcnsim.errors import PCNSimInputError
    from pcnsim.output import check_out

    if args.check or args.fit_replicates or args.max_evals or args.replicates or args.doc:
        raise PCNSimInputError("--check, --replicates, --fit-replicates, --max-evals and --doc belong to the point "
                               "fit, not to --ensemble", field="--ensemble")
    out = check_out(args.out or "results/ensemble", resume=True)
    fixed = list(args.fix or [])
    if args.screen:
        from pcnsim.screening import fixed_by_screening

        fixed += fixed_by_screening(args.screen)
    if args.scheduler and args.workers != 2:
        raise PCNSimInputError("--workers sets the local pool; with --scheduler the cluster's workers run it",
                               field="--workers")
    method = args.method or "rejection"
    if args.threshold is not None and method != "rejection":
        raise PCNSimInputError(f"--threshold belongs to --method rejection, not {method}", field="--threshold")
    full = {**FULL, **(FULL_REJECTION if method == "rejection" else {})}
    config = EnsembleConfig(population=_pick(args, "population", full["population"]),
                            generations=_pick(args, "generations", full["generations"]),
                            networks=args.networks or (QUICK["networks"] if args.quick else PANEL_NETWORKS),
                            seed=args.seed, fixed=tuple(sorted(set(fixed))), method=method,
                            threshold=_pick(args, "threshold", None) if method == "rejection" else None)
    print(f"pcnsim calibrate --ensemble: {len(config.free)} parameters from their priors, {len(config.fixed)} fixed; "
          f"{config.population} particles per generation, at most {config.generations} generations"
          + (f" within a distance of {config.threshold:g}" if config.method == "rejection" else "") + ", panels of "
          f"{config.networks} networks; folder {out}", file=sys.stderr)
    result = calibrate_ensemble(out, config, workers=args.workers, scheduler=args.scheduler, progress=True)
    n_ppc = _pick(args, "ppc", FULL["ppc"])
    ens = Ensemble(frame=result.ensemble, provenance=result.provenance, source=str(out))
    with tqdm(total=n_ppc, desc="predictive checks", unit="draw") as bar:
        ppc = posterior_predictive(ens, n_ppc, networks=config.networks, workers=args.workers, seed=args.seed,
                                   progress=bar.update) if n_ppc else None
    if ppc is None:
        import pandas as pd

        ppc = pd.DataFrame({c: result.ensemble[f"sim_{c}"] for c in [c[4:] for c in result.ensemble if c.startswith("sim_")]})
    write_report(out, result, ppc, command=_command(args, "ensemble"))
    print(f"{len(result.ensemble)} parameter sets in {out}/ensemble.parquet; report {out}/ensemble.md")
    return 0


def main_screening(args: argparse.Namespace) -> int:
    """The Morris screening of the priors into ``--out`` (resumable), then its table."""
    from pcnsim.output import check_out
    from pcnsim.screening import run_screening, screening_table

    out = check_out(args.out or "results/screening", resume=True)
    run_screening(out, trajectories=_pick(args, "trajectories", FULL["trajectories"]),
                  replicates=1 if args.quick else 2, workers=None if args.scheduler else args.workers,
                  scheduler=args.scheduler, weeks=104 if args.quick else 260)
    table = screening_table(out)
    table.to_csv(out / "screening.csv", index=False)
    wide = table.pivot(index="parameter", columns="outcome", values="relative")
    print(wide.round(2).to_string())
    fixed = sorted(set(table["parameter"]) - set(table.loc[table["matters"], "parameter"]))
    print(f"\nmatter for no outcome (may be fixed): {', '.join(fixed) or 'none'}; table in {out}/screening.csv")
    return 0


def main_compare(args: argparse.Namespace) -> int:
    """``pcnsim compare --ensemble FILE``: every scenario over posterior draws x seeds, with the decision analysis."""
    from pcnsim.ensemble_compare import compare_ensemble
    from pcnsim.errors import PCNSimInputError

    if args.independent:
        raise PCNSimInputError("--independent does not go with --ensemble: an ensemble comparison always uses "
                               "common random numbers", field="--independent")
    res = compare_ensemble(args.scenarios, args.ensemble, draws=args.draws, seeds=args.seeds, seed=args.seed,
                           weeks=args.weeks, out=args.out or "results/ensemble-compare",
                           workers=None if args.scheduler else args.workers, scheduler=args.scheduler,
                           progress=not args.quiet, perspective=args.perspective, wtp=args.wtp)
    folder = res.write()
    if not args.quiet:
        print(res.summary_markdown())
    print(f"results in {folder}/", file=sys.stderr)
    return 0
