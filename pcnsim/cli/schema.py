"""``pcnsim schema KIND``: the JSON Schema of a file format, for editors that check files as they are typed.

KIND is ``scenario`` (a scenario file), ``intervention`` (one ``[[interventions]]`` table) or ``sweep`` (a
sweep spec). The schemas come from the same models that validate the files, so they cannot drift.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

COMMAND = "schema"
ORDER = 95


def _scenario() -> dict[str, Any]:
    from pcnsim.scenario import scenario_schema

    return scenario_schema()


def _intervention() -> dict[str, Any]:
    from pcnsim.interventions import InterventionTable
    from pcnsim.schema import json_schema

    return json_schema(InterventionTable, title="pcnsim intervention",
                       description="One [[interventions]] table of a pcnsim scenario, selected by type.")


def _sweep() -> dict[str, Any]:
    from pcnsim.sweep import sweep_schema

    return sweep_schema()


KINDS: dict[str, Callable[[], dict[str, Any]]] = {"scenario": _scenario, "intervention": _intervention,
                                                  "sweep": _sweep}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``pcnsim schema`` and its flags to the subcommands."""
    p = sub.add_parser(COMMAND, help="print the JSON Schema of a file format (scenario, intervention, sweep)",
                       description="Print the JSON Schema (draft 2020-12) of a pcnsim file format, generated from "
                                   "the models that validate the files. Point an editor's TOML schema setting at "
                                   "it to have files checked as they are typed.")
    p.add_argument("kind", choices=tuple(KINDS), metavar="KIND", help="scenario, intervention or sweep")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Print the JSON Schema of the chosen file format; returns the exit status."""
    print(json.dumps(KINDS[args.kind](), indent=2, default=str))
    return 0
