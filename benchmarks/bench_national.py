#!/usr/bin/env python
"""National scale: the synthetic England in one model, side by side with Mesa's BoltzmannWealth example.

    .venv/bin/python benchmarks/bench_national.py                # = pcnsim bench (every case, fresh processes)
    .venv/bin/python benchmarks/bench_national.py --repeat 3     # median and spread of 3 runs per case
    .venv/bin/python benchmarks/bench_national.py --profile      # where a national week spends its time
    .venv/bin/python benchmarks/bench_national.py --profile --profile-weeks 20 --profile-from 150

Without ``--profile`` this is ``pcnsim bench`` (same options: see ``pcnsim bench --help``). With it, the
whole England is built and run to week ``--profile-from``, then ``--profile-weeks`` weeks are profiled with
cProfile (CPU time, so other work on a shared machine distorts it less) and the top functions printed, with
the CPU time of each part of the weekly step.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import warnings


def profile(weeks: int, start: int, top: int, seed: int = 1) -> str:
    """Profile ``weeks`` national weeks after ``start`` weeks; returns the report text."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    from pcnsim.england import england
    from pcnsim.model import PCNModel

    clock = time.process_time
    t0 = clock()
    model = PCNModel(rng=seed, population=england())
    build = clock() - t0
    model.run(start)
    parts = ("_presence_and_contact", "_wellbeing", "_leaving", "_recruit", "_money_and_output")
    spent = dict.fromkeys(parts, 0.0)
    originals = {name: getattr(model, name) for name in parts}

    def timed(name):  # noqa: ANN001, ANN202
        f = originals[name]

        def g(*a, **k):  # noqa: ANN002, ANN003, ANN202
            t = clock()
            try:
                return f(*a, **k)
            finally:
                spent[name] += clock() - t
        return g

    for name in parts:
        setattr(model, name, timed(name))
    staff = model.headcount
    prof = cProfile.Profile(clock)
    t1 = clock()
    prof.enable()
    model.run(weeks)
    prof.disable()
    total = clock() - t1
    out = io.StringIO()
    print(f"England: {model.n_networks} networks, {staff:,} staff in post at week {start}; build (with burn-in) "
          f"{build:.2f} s CPU; weeks {start}-{start + weeks}: {1e3 * total / weeks:.1f} ms CPU a week "
          f"(under the profiler)", file=out)
    for name in parts:
        print(f"  {name.strip('_'):<24} {1e3 * spent[name] / weeks:7.1f} ms/week  {spent[name] / total:6.1%}", file=out)
    print(file=out)
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--profile-weeks", type=int, default=20)
    ap.add_argument("--profile-from", type=int, default=150)
    ap.add_argument("--profile-top", type=int, default=25)
    known, rest = ap.parse_known_args()
    if known.profile:
        print(profile(known.profile_weeks, known.profile_from, known.profile_top))
        return 0
    from pcnsim.cli import main as cli

    return cli(["bench", *rest])


if __name__ == "__main__":
    sys.exit(main())
