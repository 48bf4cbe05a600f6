"""``pcnsim sweep SPEC [--workers N] [--scheduler tcp://HOST:PORT] [--out DIR]``: a parameter sweep.

Runs on a local process pool by default, or on an existing Dask distributed cluster with ``--scheduler``.
Results stream to ``DIR/runs/*.parquet`` as batches finish; rerunning the same command resumes a sweep
that was interrupted or killed, doing only the missing runs. See docs/sweeps.md.
"""

from __future__ import annotations

import argparse
import sys

from pcnsim.cli._common import int_range

COMMAND = "sweep"
ORDER = 30


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``pcnsim sweep`` and its flags to the subcommands."""
    p = sub.add_parser(
        COMMAND, help="run a parameter sweep (local pool, or a Dask cluster); resumable",
        description="Run every run of a sweep spec (TOML: base scenario, parameters and ranges, design, "
                    "replicates, outcomes) and stream one row per run to a Parquet dataset. Rerun the same "
                    "command to resume an interrupted sweep: only missing runs are done.",
    )
    p.add_argument("spec", help="sweep spec (TOML); see experiments/sweeps/ and docs/sweeps.md")
    p.add_argument("--workers", type=int_range(1, 4096), help="local worker processes (default: the number of CPUs)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run on this Dask distributed scheduler instead of the local pool; only one you trust: "
                        "tasks travel by pickle, so the scheduler can run code here (see docs/sweeps.md)")
    p.add_argument("--out", help="result folder (default: results/sweeps/<slug of the spec's name>); the same "
                                 "folder resumes; a folder that holds anything else is refused")
    p.add_argument("--batch-size", type=int_range(1, 100_000), help="runs per task and per Parquet file "
                   "(default: the spec's, else about 8 batches per worker, at most 32 runs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run (or resume) the sweep of a spec file; returns the exit status."""
    from pcnsim.sweep import SweepSpec, run_sweep

    spec = SweepSpec.load(args.spec)
    if not args.quiet:
        print(f"sweep {spec.name!r}: design {spec.design}, {spec.n_points:,} points x {spec.replicates} "
              f"replicate(s) = {spec.n_runs:,} runs of {spec.weeks} weeks; spec hash {spec.hash()}", file=sys.stderr)
    rep = run_sweep(spec, args.out, workers=args.workers, scheduler=args.scheduler, batch_size=args.batch_size,
                    progress=not args.quiet)
    rate = f"{rep.rate:.2f} runs/s" if rep.done_now else "nothing left to do"
    print(f"{rep.total:,} runs in {rep.out}/ ({rep.done_before:,} already done, {rep.done_now:,} now on "
          f"{rep.executor}; {rate}). Analyse with: pcnsim analyse {rep.out}")
    return 0
