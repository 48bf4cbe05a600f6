"""``pcnsim compare SCENARIO... [--replicates N] [--workers N] [--out DIR]``: scenarios side by side.

Every scenario runs ``--replicates`` times with common random numbers (replicate ``i`` of every scenario
uses seed ``--seed + i``). Prints, per scenario, the median and 90% interval of the headline outcomes and,
against the first scenario, paired differences and the cost per extra retained FTE-year; writes tables
(CSV), figures (PNG), resolved scenarios (TOML) and a report to the output folder, all or nothing. See
:mod:`pcnsim.experiments` for the method.
"""

from __future__ import annotations

import argparse
import sys

from pcnsim.cli._common import float_range, int_range

COMMAND = "compare"
BY = ("role", "deprivation_quintile", "london")
ORDER = 20


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``pcnsim compare`` and its flags to the subcommands."""
    p = sub.add_parser(
        COMMAND, help="compare scenarios with replicates and common random numbers",
        usage="pcnsim compare SCENARIO... [--replicates N | --ensemble FILE] [options]",
        description="Run each scenario --replicates times with common random numbers and compare them with the "
                    "first: medians and 90% intervals, paired differences, cost per extra retained FTE-year. "
                    "Writes runs.csv, summary.csv, differences.csv, cost_effectiveness.csv, weekly_bands.csv, "
                    "by_role.csv (and, for several networks, by_deprivation_quintile.csv and by_london.csv: the "
                    "commissioner's figures), timeseries.png, forest.png, report.txt, comparison.json and scenarios/ "
                    "to the output folder.",
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="scenario files (TOML), or 'default' for the built-in default; the first is the baseline")
    p.add_argument("--replicates", type=int_range(1, 10_000), default=20, help="runs per scenario (default 20)")
    p.add_argument("--workers", type=int_range(1, 256), default=1,
                   help="processes to run replicates in (default 1); results do not depend on it")
    p.add_argument("--seed", type=int_range(0, 2**62), default=1, help="base seed: replicate i uses seed+i (default 1)")
    p.add_argument("--weeks", type=int_range(1, 2600), help="weeks to simulate (default: the scenarios', which must agree)")
    p.add_argument("--independent", action="store_true",
                   help="independent seeds per scenario instead of common random numbers (to see what pairing buys)")
    p.add_argument("--out", help="output folder (default: results/compare); an earlier pcnsim output folder "
                                 "there is replaced, anything else is refused")
    p.add_argument("--by", action="append", choices=BY,
                   help="also print the commissioner's figures by role, deprivation quintile or London (repeatable; "
                        "the last two need scenarios of several networks)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or report")
    g = p.add_argument_group("over a calibrated ensemble (docs/ensemble.md)")
    g.add_argument("--ensemble", metavar="FILE",
                   help="an ensemble file (pcnsim calibrate --ensemble), or 'shipped' for the ensemble shipped with "
                        "pcnsim: run every scenario over posterior draws x "
                        "seeds and write the decision analysis (default --out results/ensemble-compare; resumable)")
    g.add_argument("--draws", type=int_range(2, 100_000), default=200, help="posterior draws (default 200)")
    g.add_argument("--seeds", type=int_range(1, 1000), default=2, help="seeds per draw (default 2)")
    g.add_argument("--wtp", type=float_range(0, 10_000_000), default=50_000.0,
                   help="reference willingness to pay per retained ARRS FTE-year, GBP (default 50000)")
    g.add_argument("--perspective", choices=("nhs", "network"), default="nhs",
                   help="whose costs count in the net benefit (default nhs: the network's and the national budget's)")
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask cluster instead of local workers")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Compare scenarios over replicates, or over a calibrated ensemble (``--ensemble``)."""
    if args.ensemble:
        from pcnsim.cli._ensemble import main_compare

        return main_compare(args)
    from pcnsim.errors import PCNSimInputError

    if args.scheduler:
        raise PCNSimInputError("--scheduler goes with --ensemble", field="--scheduler")
    from pcnsim.experiments import compare, load_scenarios
    from pcnsim.output import check_out

    scenarios = load_scenarios(args.scenarios)  # validate every file before running anything
    for by in args.by or ():
        if by != "role" and any(sc.n_networks() < 2 for sc in scenarios):
            from pcnsim.errors import PCNSimInputError

            one = next(sc.name for sc in scenarios if sc.n_networks() < 2)
            raise PCNSimInputError(f"--by {by} needs scenarios of several networks; {one!r} has one "
                                   "(allowed for it: --by role)", field="--by")
    out = check_out(args.out if args.out is not None else "results/compare")
    cmp = compare(scenarios, replicates=args.replicates, workers=args.workers, seed=args.seed, weeks=args.weeks,
                  crn=not args.independent, progress=not args.quiet)
    cmp.write(out)
    if args.quiet:
        print(out, file=sys.stderr)
    else:
        print(cmp.format())
        from pcnsim.commission import format_group_table

        for by in args.by or ():
            print("\n" + format_group_table(cmp.group_table(by)))
        print(f"\n{cmp.meta['runs']} runs in {cmp.meta['elapsed_seconds']:.1f} s ({args.workers} worker(s)); "
              f"results in {out}/")
    return 0
