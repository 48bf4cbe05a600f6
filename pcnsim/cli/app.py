"""``pcnsim app [--host 127.0.0.1] [--port N]``: the teaching app (a SolaraViz dashboard) in a browser.

Runs ``solara run pcnsim.app --production --no-open --host HOST --port N`` in this process, so stopping
this command (Ctrl+C, or a signal) stops the server. By default it listens on loopback only: the app is
reachable from this computer alone. Nothing is fetched from the internet: the front-end assets come from
the installed ``solara-assets`` package, and Solara's telemetry and version check are switched off.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys

from pcnsim.cli._common import int_range
from pcnsim.errors import PCNSimInputError

COMMAND = "app"
ORDER = 60
DEFAULT_PORT = 8765

# Solara reads these when it is imported: no telemetry (no outside requests), no "runs on Solara" banner.
SOLARA_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_THEME_SHOW_BANNER": "False",
    "SOLARA_THEME_TITLE": "pcnsim",
}


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``pcnsim app`` and its flags to the subcommands."""
    p = sub.add_parser(
        COMMAND, help="start the teaching app (an interactive dashboard) for the browser",
        description="Start the teaching app: presets, sliders and interventions, Play/Step/Reset, charts and "
                    "a network view of the team. Open the printed address in a browser; Ctrl+C stops it. "
                    "Works offline.",
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 lets other "
                        "computers on the network connect)")
    p.add_argument("--port", type=int_range(1, 65535), default=DEFAULT_PORT,
                   help=f"port to listen on, 1 to 65535 (default {DEFAULT_PORT})")
    p.set_defaults(func=main)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this computer only (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(host: str, port: int) -> None:
    """Fail early, naming the flag, if the host is unknown or the port is taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise PCNSimInputError(f"--host {host!r}: not an address of this computer (e.g. 127.0.0.1 or 0.0.0.0)",
                               field="--host") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind(addr)
        except OSError as e:
            if e.errno in (98, 48, 10048):  # address in use (Linux, macOS, Windows)
                raise PCNSimInputError(f"--port {port}: already in use on {host}; choose another port, "
                                       f"e.g. --port {port + 1 if port < 65535 else port - 1}", field="--port") from None
            raise PCNSimInputError(f"--host {host!r} --port {port}: cannot listen there ({e.strerror})",
                                   field="--host") from None


def solara_args(host: str, port: int) -> list[str]:
    """Arguments of ``solara`` that serve the app."""
    return ["run", "pcnsim.app", "--production", "--no-open", "--no-check-version", "--host", host, "--port", str(port)]


def main(args: argparse.Namespace) -> int:
    """Serve the teaching app until stopped; returns the exit status."""
    import importlib.util

    if importlib.util.find_spec("solara") is None:
        raise PCNSimInputError("the app needs Solara: install pcnsim with its app extra, pip install 'pcnsim[app]'",
                               field="app")
    check_address(args.host, args.port)
    for k, v in SOLARA_ENV.items():
        os.environ.setdefault(k, v)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"pcnsim app: open http://{shown}:{args.port}/ in a browser (Ctrl+C stops the app)", file=sys.stderr)
    if not is_loopback(args.host):
        print(f"pcnsim app: warning: listening on {args.host}, so other computers on the network can use the app",
              file=sys.stderr)
    import warnings

    from solara.__main__ import cli as solara_cli

    # plain http on a local address: Solara falls back to samesite=lax cookies, which is what we want
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    try:
        solara_cli.main(args=solara_args(args.host, args.port), prog_name="solara", standalone_mode=False)
    except SystemExit as e:  # pragma: no cover - solara exits on its own errors
        return int(e.code or 0)
    return 0
