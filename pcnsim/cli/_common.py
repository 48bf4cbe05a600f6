"""Argument types and helpers shared by subcommands."""

from __future__ import annotations

import argparse
import tomllib
from typing import Any

from pcnsim.errors import PCNSimInputError


def int_range(lo: int, hi: int | None = None):  # noqa: ANN201
    """argparse type: a whole number in [lo, hi]; the message names the allowed range."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if v < lo or (hi is not None and v > hi):
            allowed = f"from {lo} to {hi}" if hi is not None else f">= {lo}"
            raise argparse.ArgumentTypeError(f"{v} is out of range: allowed {allowed}")
        return v

    return parse


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """``--set name=value`` pairs; values are read as TOML (numbers, true/false, "strings", dates)."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise PCNSimInputError(f"--set {item!r}: expected NAME=VALUE (e.g. --set practices_per_staff=2)", field="--set")
        k, v = item.split("=", 1)
        k = k.strip()
        try:
            out[k] = tomllib.loads(f"v = {v.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[k] = v.strip()
    return out
