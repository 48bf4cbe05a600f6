"""``pcnsim params [--format table|markdown|csv|json]``: the parameter table, generated from the code."""

from __future__ import annotations

import argparse

COMMAND = "params"
ORDER = 90


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``pcnsim params`` and its flags to the subcommands."""
    p = sub.add_parser(COMMAND, help="list every parameter: default, unit, bounds, evidence",
                       description="Print the parameter table generated from pcnsim/params.py.")
    p.add_argument("--format", choices=("table", "markdown", "csv", "json"), default="table")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Print the parameter table in the chosen format; returns the exit status."""
    import pandas as pd

    from pcnsim.params import param_markdown, param_table

    df = param_table()
    if args.format == "markdown":
        print(param_markdown())
    elif args.format == "csv":
        print(df.to_csv(index=False), end="")
    elif args.format == "json":
        print(df.to_json(orient="records", indent=2, default_handler=str))
    else:
        with pd.option_context("display.max_rows", None, "display.max_colwidth", 60, "display.width", 200):
            print(df[["name", "default", "unit", "lower", "upper", "source"]].to_string(index=False))
    return 0
