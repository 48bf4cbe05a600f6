"""Argument types and helpers shared by subcommands."""

from __future__ import annotations

import argparse
from typing import Any

from pcnsim.errors import PCNSimInputError
from pcnsim.schema import excerpt


def int_range(lo: int, hi: int | None = None):  # noqa: ANN201
    """argparse type: a whole number in [lo, hi]; the message names the allowed range."""

    def parse(text: str) -> int:
        if len(text) > 30:  # longer than any allowed value (and int() refuses beyond 4,300 digits)
            raise argparse.ArgumentTypeError(f"{excerpt(text)} is not allowed: expected a whole number from {lo}"
                                             + (f" to {hi}" if hi is not None else ""))
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{excerpt(text)} is not a whole number") from None
        if v < lo or (hi is not None and v > hi):
            allowed = f"from {lo} to {hi}" if hi is not None else f">= {lo}"
            raise argparse.ArgumentTypeError(f"{v} is out of range: allowed {allowed}")
        return v

    return parse


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """``--set name=value`` pairs; values are read as TOML (numbers, true/false, "strings", dates). A value
    that is not TOML is kept as text (and so refused by a numeric parameter, naming it)."""
    from pcnsim.params import check_keys
    from pcnsim.schema import loads_toml

    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise PCNSimInputError(f"--set {excerpt(item)}: expected NAME=VALUE (e.g. --set practices_per_staff=2)",
                                   field="--set")
        k, v = item.split("=", 1)
        k = k.strip()
        check_keys({k: None}, where="--set")
        try:
            out[k] = loads_toml(f"v = {v.strip()}", where=f"--set {k}", field=k)["v"]
        except PCNSimInputError as e:
            if "not valid TOML" not in str(e):
                raise PCNSimInputError(str(e).replace("line 1: v ", "").replace("v is ", "the value is "),
                                       field=k) from None
            out[k] = v.strip()
    return out
