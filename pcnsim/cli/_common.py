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


def float_range(lo: float, hi: float):  # noqa: ANN201
    """argparse type: a finite number in [lo, hi]; the message names the allowed range."""

    def parse(text: str) -> float:
        try:
            v = float(text) if len(text) <= 30 else float("nan")
        except ValueError:
            raise argparse.ArgumentTypeError(f"{excerpt(text)} is not a number") from None
        if not (lo <= v <= hi):  # also refuses NaN
            raise argparse.ArgumentTypeError(f"{excerpt(text)} is out of range: allowed from {lo:g} to {hi:g}")
        return v

    return parse


MAX_SET_VALUE = 10_000  # characters of a --set value


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """``--set name=value`` pairs; values are read as TOML (numbers, true/false, "strings", dates). A value
    that is not TOML is kept as text (and so refused by a numeric parameter, naming it)."""
    import tomllib

    from pcnsim.params import check_keys
    from pcnsim.schema import check_shape

    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise PCNSimInputError(f"--set {excerpt(item)}: expected NAME=VALUE (e.g. --set practices_per_staff=2)",
                                   field="--set")
        k, v = item.split("=", 1)
        k, v = k.strip(), v.strip()
        check_keys({k: None}, where="--set")
        if len(v) > MAX_SET_VALUE:
            raise PCNSimInputError(f"--set {k}: a value of {len(v):,} characters; at most {MAX_SET_VALUE:,}", field=k)
        try:
            out[k] = tomllib.loads(f"v = {v}")["v"]
        except tomllib.TOMLDecodeError:
            out[k] = v
        except (RecursionError, ValueError):  # nested too deeply; an integer of more than 4,300 digits
            raise PCNSimInputError(f"--set {k}={excerpt(v)}: not a usable value (nested too deeply, or a number "
                                   "too large)", field=k) from None
        check_shape({k: out[k]}, where="--set")
    return out
