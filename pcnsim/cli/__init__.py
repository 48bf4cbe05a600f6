"""The ``pcnsim`` command line.

Each subcommand is a module in this package that defines ``COMMAND`` (its name), ``HELP`` and
``register(subparsers)``; modules are discovered automatically, so a new subcommand is one new file.
Bad input (a scenario file, a flag, a parameter) prints one clear message and exits with status 2,
leaving no output behind.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import warnings

from pcnsim import threads
from pcnsim.errors import PCNSimInputError

MAX_MESSAGE = 600  # characters of an argparse error message (it may quote a huge bad value)


class Parser(argparse.ArgumentParser):
    """argparse, with error messages cut to :data:`MAX_MESSAGE` characters (the flag is named first) and no
    abbreviated flags (``--qu`` is not ``--quiet``: a typo is an error, not another flag)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + f"... ({len(message):,} characters)"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    """The ``pcnsim`` argument parser, with every subcommand module of this package registered (in ``ORDER``)."""
    from pcnsim import __version__

    parser = Parser(
        prog="pcnsim",
        description="Agent-based simulation of staff retention in England's Primary Care Networks.",
    )
    parser.add_argument("--version", action="version", version=f"pcnsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "register"):
            mods.append(mod)
    for mod in sorted(mods, key=lambda m: getattr(m, "ORDER", 50)):
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input: a message on stderr, nothing written)."""
    warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")
    parser = build_parser()
    args = parser.parse_args(argv)  # a bad flag: argparse prints why and exits with status 2
    try:
        threads.threads()  # a bad PCNSIM_THREADS is bad input too: refused before anything runs or is written
        return int(args.func(args) or 0)
    except PCNSimInputError as e:
        print(f"pcnsim {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"pcnsim {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
