"""``pcnsim analyse DIR [--below OUTCOME=VALUE] [--above OUTCOME=VALUE] [--outcomes ...]``.

Sensitivity indices with confidence intervals for each outcome of a sweep (Sobol' for a sobol design,
Morris for a morris design, a sample-based first-order index for lhs and grid), figures, and scenario discovery (PRIM):
which parameter ranges make an outcome fall below (or rise above) a threshold. See docs/sweeps.md.
"""

from __future__ import annotations

import argparse
import math

from pcnsim.errors import PCNSimInputError
from pcnsim.schema import excerpt

COMMAND = "analyse"
ORDER = 31


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``pcnsim analyse`` and its flags to the subcommands."""
    p = sub.add_parser(
        COMMAND, aliases=["analyze"], help="sensitivity indices and scenario discovery for a sweep folder",
        description="Analyse a sweep folder: indices with confidence intervals per outcome, figures, and the "
                    "parameter ranges where an outcome falls below (or rises above) a threshold. Writes "
                    "DIR/analysis/ (report.md, indices.csv, discovery.csv, PNG figures).",
    )
    p.add_argument("dir", metavar="DIR", help="the --out folder of `pcnsim sweep`")
    p.add_argument("--below", action="append", metavar="OUTCOME=VALUE",
                   help="scenario discovery: where is OUTCOME below VALUE? (repeatable)")
    p.add_argument("--above", action="append", metavar="OUTCOME=VALUE",
                   help="scenario discovery: where is OUTCOME above VALUE? (repeatable)")
    p.add_argument("--outcomes", help="comma-separated outcomes to analyse (default: all of the sweep's)")
    p.add_argument("--out", help="analysis folder (default: DIR/analysis); an earlier pcnsim output folder "
                                 "there is replaced, anything else is refused")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--quiet", action="store_true", help="do not print the report")
    p.set_defaults(func=main)


def _rules(items: list[str] | None, direction: str) -> list:
    from pcnsim.analysis import Rule

    out = []
    for item in items or []:
        if "=" not in item:
            raise PCNSimInputError(f"--{direction} {excerpt(item)}: expected OUTCOME=VALUE (e.g. --{direction} "
                                   "arrs_retention_12m=0.8)", field=f"--{direction}")
        name, value = (s.strip() for s in item.split("=", 1))
        try:
            v = float(value)
        except ValueError:
            raise PCNSimInputError(f"--{direction} {excerpt(item)}: {excerpt(value)} is not a number",
                                   field=f"--{direction}") from None
        if not math.isfinite(v):
            raise PCNSimInputError(f"--{direction} {excerpt(item)}: the threshold must be a finite number",
                                   field=f"--{direction}")
        out.append(Rule(name, direction, v))
    return out


def main(args: argparse.Namespace) -> int:
    """Analyse a finished sweep folder (indices, figures, scenario discovery); returns the exit status."""
    from pcnsim.analysis import analyse
    from pcnsim.output import check_out

    if args.out is not None:
        check_out(args.out)
    rules = _rules(args.below, "below") + _rules(args.above, "above")
    outcomes = [o.strip() for o in args.outcomes.split(",") if o.strip()] if args.outcomes else None
    res = analyse(args.dir, rules=rules or None, outcomes=outcomes, out=args.out, figures=not args.no_figures)
    if not args.quiet:
        print(res.report)
    print(f"analysis written to {res.out}/ (report.md, indices.csv, discovery.csv, point_means.csv"
          + (", figures)" if not args.no_figures else ")"))
    return 0
