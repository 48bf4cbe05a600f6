#!/usr/bin/env python
"""National scale: the synthetic England in one model, side by side with Mesa's BoltzmannWealth example.

    .venv/bin/python benchmarks/bench_national.py                # = pcnsim bench (every case, fresh processes)
    .venv/bin/python benchmarks/bench_national.py --repeat 3     # median and spread of 3 runs per case
    .venv/bin/python benchmarks/bench_national.py --profile      # where a national week spends its time
    .venv/bin/python benchmarks/bench_national.py --profile --profile-weeks 20 --profile-from 150
    .venv/bin/python benchmarks/bench_national.py --sections --profile-weeks 40  # wall time per part, no profiler

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
from collections.abc import Callable
from typing import Any


def _time_calls(obj: object, name: str, label: str, spent: dict[str, float], clock: Callable[[], float]) -> None:
    """Replace ``obj.name`` by a wrapper that adds the time of each call to ``spent[label]``."""
    f = getattr(obj, name)

    def timed(*a: Any, **k: Any) -> Any:
        t = clock()
        try:
            return f(*a, **k)
        finally:
            spent[label] = spent.get(label, 0.0) + clock() - t
    setattr(obj, name, timed)


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
    for name in parts:
        _time_calls(model, name, name, spent, clock)
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


def sections(weeks: int, start: int, seed: int = 1) -> str:
    """Time each part of ``weeks`` national weeks after ``start`` weeks, without a profiler (wall clock).

    The parts of the step, and the compiled kernels and Mesa calls inside each, are wrapped with timers (a
    few calls a week, so the timers cost nothing measurable)."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    from pcnsim import weekly
    from pcnsim.england import england
    from pcnsim.mechanisms import encounters, leaving, presence, recruitment, ties, wellbeing
    from pcnsim.model import PCNModel

    clock = time.perf_counter
    spent: dict[str, float] = {}

    model = PCNModel(rng=seed, population=england())
    model.run(start)
    staff = model.headcount
    parts = {"_presence_and_contact": "presence and contact", "_wellbeing": "wellbeing",
             "_leaving": "leaving", "_recruit": "recruitment", "_money_and_output": "money and output"}
    kernels = {  # part: (module, function, label), the compiled kernels and Mesa calls inside each part
        "presence and contact": [
            (presence, "build_sites", "site records"), (encounters, "site_encounters", "on-site encounters"),
            (encounters, "poisson", "of which Poisson counts (on-site and remote)"), (presence, "network_groups", "network groups"),
            (encounters, "group_encounters", "remote encounters"), (ties, "reinforce", "tie updates"),
            (ties, "decay_and_strength", "decay and tie sums")],
        "wellbeing": [(wellbeing, "team_sums", "team sums"), (wellbeing, "update", "wellbeing pass")],
        "leaving": [(leaving, "cut_and_contagion", "ties cut from leavers, contagion")],
        "recruitment": [(recruitment, "in_post", "FTE in post")],
        "money and output": [(weekly, "week_sums", "week sums")],
    }
    originals = [(obj, name, getattr(obj, name)) for ks in kernels.values() for obj, name, _ in ks]
    for name, label in parts.items():
        _time_calls(model, name, label, spent, clock)
    for ks in kernels.values():
        for obj, name, label in ks:
            _time_calls(obj, name, label, spent, clock)
    try:
        t0 = clock()
        model.run(weeks)
        total = clock() - t0
    finally:
        for obj, name, f in originals:
            setattr(obj, name, f)
    out = io.StringIO()
    print(f"England: {staff:,} staff in post at week {start}; weeks {start}-{start + weeks}: "
          f"{1e3 * total / weeks:.1f} ms a week (wall clock, no profiler)", file=out)
    for part in parts.values():
        print(f"  {part:<44} {1e3 * spent.get(part, 0.0) / weeks:6.2f} ms", file=out)
        for _obj, _name, label in kernels[part]:
            print(f"    {label:<42} {1e3 * spent.get(label, 0.0) / weeks:6.2f} ms", file=out)
    rest = total - sum(spent.get(part, 0.0) for part in parts.values())
    print(f"  {'levers, calendar, data collection':<44} {1e3 * rest / weeks:6.2f} ms", file=out)
    return out.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--profile-weeks", type=int, default=20)
    ap.add_argument("--profile-from", type=int, default=150)
    ap.add_argument("--profile-top", type=int, default=25)
    ap.add_argument("--sections", action="store_true")
    known, rest = ap.parse_known_args()
    if known.sections:
        print(sections(known.profile_weeks, known.profile_from))
        return 0
    if known.profile:
        print(profile(known.profile_weeks, known.profile_from, known.profile_top))
        return 0
    from pcnsim.cli import main as cli

    return cli(["bench", *rest])


if __name__ == "__main__":
    sys.exit(main())
