"""``pcnsim run [SCENARIO] [--seed N] [--weeks N] [--out DIR]``: one run, a summary and its files."""

from __future__ import annotations

import argparse
import secrets
import sys
import time

from pcnsim.cli._common import int_range, parse_sets

COMMAND = "run"
ORDER = 10


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``pcnsim run`` and its flags to the subcommands."""
    p = sub.add_parser(
        COMMAND, help="run a scenario (the built-in default if none is given)",
        description="Run one scenario and write weekly results (CSV), the summary (JSON), a figure (PNG) "
                    "and the resolved scenario (TOML) to the output folder.",
    )
    p.add_argument("scenario", nargs="?", help="scenario file (TOML); default: the built-in default scenario")
    p.add_argument("--seed", type=int_range(0, 2**63 - 1), help="random seed (default: the scenario's, else random)")
    p.add_argument("--weeks", type=int_range(1, 2600), help="weeks to simulate (default: the scenario's)")
    p.add_argument("--out", help="output folder (default: results/<slug of the scenario's name>); an earlier "
                                 "pcnsim output folder there is replaced, anything else is refused")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run one scenario, print its summary and write its output folder; returns the exit status."""
    from pcnsim.output import check_out, default_out, write_run
    from pcnsim.params import Params
    from pcnsim.results import format_summary
    from pcnsim.scenario import load

    scenario = load(args.scenario)
    overrides = parse_sets(args.set)
    if overrides:
        Params.from_dict(overrides, base=scenario.resolved_params(), where="--set")  # name the flag, not the file
        scenario = scenario.with_changes(parameters={**scenario.parameters, **overrides})
    weeks = args.weeks or scenario.weeks
    if args.weeks:
        scenario = scenario.with_changes(weeks=weeks)
    seed = args.seed if args.seed is not None else scenario.seed
    if seed is None:
        seed = secrets.randbelow(2**31)
    out = check_out(args.out if args.out is not None else default_out("results", scenario.name))
    t0 = time.perf_counter()
    model = scenario.build_model(seed=seed)
    model.run(weeks, progress=not args.quiet)
    elapsed = time.perf_counter() - t0
    write_run(out, model, scenario, seed)
    if not args.quiet:
        print(format_summary(model.summary(), model.roles))
        print(f"\nseed {seed}; {elapsed:.2f} s; results in {out}/ "
              "(weekly.csv, weekly_by_role.csv, years.csv, summary.json, figure.png, scenario.toml)")
    else:
        print(out, file=sys.stderr)
    return 0
