"""``pcnsim calibrate``: fit the free parameters to targets T1-T7 and report how well the model meets them.

By default the command fits (Nelder-Mead over replicate means, common random numbers; see
:mod:`pcnsim.calibration`), then runs ``--replicates`` fresh replicates of the fitted parameter set and
writes the report. ``--check`` skips the fit and reports the current defaults. Everything is written to
``--out`` all at once (a failed or interrupted run leaves nothing); ``--doc FILE`` also writes the Markdown
report to FILE (docs/calibration.md in the repository is made this way).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pcnsim.cli._common import int_range

COMMAND = "calibrate"
ORDER = 40

QUICK = {"replicates": 4, "fit_replicates": 1, "max_evals": 4, "networks": 8}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``pcnsim calibrate`` and its flags to the subcommands."""
    p = sub.add_parser(
        COMMAND, help="fit the free parameters to the published targets T1-T7 and report",
        usage="pcnsim calibrate [--check | --ensemble | --screening] [options]",
        description="Fit the parameters no source pins down (intention, leaving and recruitment rates) to "
                    "the calibration targets T1-T7 (docs/evidence.md), then report, per target, the "
                    "published value, the model's median and 90% interval over replicates, and whether it "
                    "lies within tolerance. Writes calibration.md, targets.csv, replicates.csv, "
                    "fit_history.csv and fitted.json to --out.",
    )
    p.add_argument("--replicates", type=int_range(2, 10_000), default=None,
                   help="replicates for the report (default 40; --quick: 4)")
    p.add_argument("--workers", type=int_range(1, 64), default=2, help="worker processes (default 2)")
    p.add_argument("--out", default=None,
                   help="output folder (default results/calibration; --ensemble: results/ensemble; --screening: "
                        "results/screening). An earlier pcnsim output folder there is replaced (the ensemble and the "
                        "screening resume in it); anything else is refused")
    p.add_argument("--quick", action="store_true",
                   help="a fast smoke run (few replicates, small panels, few fit steps): figures are rough")
    p.add_argument("--check", action="store_true", help="no fit: report the current defaults")
    p.add_argument("--fit-replicates", type=int_range(1, 1000), default=None,
                   help="replicates per objective evaluation in the fit (default 6)")
    p.add_argument("--max-evals", type=int_range(2, 10_000), default=None,
                   help="objective evaluations per block round of the fit (default: 10 to 25 by block, "
                        "see pcnsim.calibration.ROUNDS)")
    p.add_argument("--networks", type=int_range(1, 1000), default=None,
                   help="networks per replicate panel (default 40)")
    p.add_argument("--doc", metavar="FILE", help="also write the Markdown report to FILE (e.g. docs/calibration.md)")
    g = p.add_argument_group("ensemble calibration (ABC with pyabc, docs/ensemble.md)")
    g.add_argument("--ensemble", action="store_true",
                   help="calibrate an ensemble (approximate Bayesian computation with pyabc) instead of a point; writes ensemble.parquet and "
                        "ensemble.md to --out (default results/ensemble); rerun the same command to resume")
    g.add_argument("--population", type=int_range(2, 100_000), default=None,
                   help="accepted parameter sets per generation (default: rejection 50, else 200; --quick: 4)")
    g.add_argument("--generations", type=int_range(1, 100), default=None,
                   help="most generations (default: rejection 4, so 200 sets, else 10; --quick: 2)")
    g.add_argument("--ppc", type=int_range(0, 100_000), default=None,
                   help="posterior draws rerun with fresh seeds for the predictive checks (default 50; --quick: 4)")
    g.add_argument("--seed", type=int_range(0, 2**32 - 1), default=1, help="seed of the sampler (default 1)")
    g.add_argument("--method", choices=("rejection", "distance", "exact"), default=None,
                   help="rejection (default): prior draws within --threshold, in generations of --population; "
                        "distance: ABC-SMC on the targets' standardised distance; exact: stochastic acceptor, the "
                        "exact posterior under the observation error (many more simulations)")
    g.add_argument("--threshold", type=float, default=None,
                   help="rejection: the distance (observation SDs, root-sum-square over the targets) within which a "
                        "prior draw is kept (default 9.0; --quick: 30)")
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask cluster instead of local workers")
    g.add_argument("--screen", metavar="DIR",
                   help="a screening folder (--screening): priors that matter for no outcome stay at their defaults")
    g.add_argument("--fix", action="append", metavar="NAME", help="keep this prior's parameter at its default (repeatable)")
    g.add_argument("--screening", action="store_true",
                   help="run the Morris screening of the priors (two sweeps, baseline and package) into --out "
                        "(default results/screening); resumable")
    g.add_argument("--trajectories", type=int_range(2, 1000), default=None,
                   help="Morris trajectories of the screening (default 8; --quick: 2)")
    p.set_defaults(func=main)


def _command_line(args: argparse.Namespace) -> str:
    parts = ["pcnsim calibrate"]
    if args.check:
        parts.append("--check")
    if args.quick:
        parts.append("--quick")
    for flag, attr in (("--replicates", "replicates"), ("--fit-replicates", "fit_replicates"),
                       ("--max-evals", "max_evals"), ("--networks", "networks")):
        v = getattr(args, attr)
        if v is not None:
            parts.append(f"{flag} {v}")
    parts.append(f"--workers {args.workers}")
    if args.doc:
        parts.append(f"--doc {args.doc}")
    return " ".join(parts)


def main(args: argparse.Namespace) -> int:
    """Run the point fit (default), the ensemble calibration (``--ensemble``) or the screening (``--screening``)."""
    from pcnsim.errors import PCNSimInputError

    if args.ensemble and args.screening:
        raise PCNSimInputError("--ensemble and --screening are two steps: run --screening first, then --ensemble "
                               "--screen DIR", field="--screening")
    if args.ensemble:
        from pcnsim.cli._ensemble import main_ensemble

        return main_ensemble(args)
    if args.screening:
        from pcnsim.cli._ensemble import main_screening

        return main_screening(args)
    for flag in ("population", "generations", "ppc", "scheduler", "screen", "fix", "trajectories", "method",
                 "threshold"):
        if getattr(args, flag) not in (None, False):
            raise PCNSimInputError(f"--{flag} goes with --ensemble or --screening", field=f"--{flag}")
    return main_point(args)


def main_point(args: argparse.Namespace) -> int:
    """The point fit (Nelder-Mead) and its report."""
    from tqdm.auto import tqdm

    from pcnsim import calibration as cal
    from pcnsim.errors import PCNSimInputError
    from pcnsim.output import atomic_dir, check_out

    args.out = args.out or "results/calibration"
    check_out(args.out)  # before the fit: a folder that is not pcnsim's is refused now, not after an hour
    cal.check_free_parameters()
    base = QUICK if args.quick else {"replicates": 40, "fit_replicates": 6, "max_evals": None,
                                    "networks": cal.PANEL_NETWORKS}
    replicates = args.replicates or base["replicates"]
    fit_reps = args.fit_replicates or base["fit_replicates"]
    max_evals = args.max_evals or base["max_evals"]
    networks = args.networks or base["networks"]
    if args.workers > cal.cpu_count():
        print(f"pcnsim calibrate: note: {args.workers} workers on {cal.cpu_count()} CPUs", file=sys.stderr)
    out = Path(args.out)
    doc = Path(args.doc) if args.doc else None
    if doc is not None and doc.exists() and doc.is_dir():
        raise PCNSimInputError(f"--doc {doc} is a folder: expected a file path", field="doc")
    if doc is not None and not doc.parent.exists():
        raise PCNSimInputError(f"--doc {doc}: folder {doc.parent} does not exist", field="doc")
    command = _command_line(args)

    with cal.Runner(args.workers) as runner:
        fit_result = None
        if not args.check:
            total = sum(max_evals or n for _, n in cal.ROUNDS)
            bar = tqdm(total=total, desc="fit", unit="eval")

            def on_eval(block: str, n: int, loss: float) -> None:
                bar.set_postfix_str(f"{block} loss {loss:.3g}")
                bar.update(1)

            try:
                fit_result = cal.fit(replicates=fit_reps, networks=networks, max_evals=max_evals,
                                     runner=runner, progress=on_eval)
            finally:
                bar.close()
            overrides = dict(fit_result.values)
        else:
            overrides = {}
        with tqdm(total=replicates, desc="replicates", unit="rep") as bar:
            reps = cal.evaluate(overrides, replicates=replicates, networks=networks, runner=runner,
                                progress=bar.update)

    text = cal.report_markdown(reps, fit_result=fit_result, overrides=overrides, command=command,
                               networks=networks)
    with atomic_dir(out) as tmp:
        cal.write_outputs(tmp, reps, fit_result, overrides, text)
    if doc is not None:
        cal.write_text_atomic(doc, text)
    table = cal.report_table(reps)
    print(cal.format_report(table))
    print(f"\nresults in {out}/ (calibration.md, targets.csv, replicates.csv, fit_history.csv, fitted.json)"
          + (f"; report also in {doc}" if doc else ""))
    return 0
