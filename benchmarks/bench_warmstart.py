#!/usr/bin/env python
"""The warm start at national scale: building a synthetic England from the March 2025 ARRS workforce (E33),
its burn-in, and the weeks after, against a cold start of the same population.

    .venv/bin/python benchmarks/bench_warmstart.py                  # 1,250 networks, 52 weeks
    .venv/bin/python benchmarks/bench_warmstart.py --networks 200 --weeks 26 --burn-in 52

Prints the wall time of initialisation (population, warm staff, burn-in) and of the weekly steps, the staff
in post, and the peak resident memory of the process (Linux). Each case runs in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def one(networks: int, weeks: int, warm: bool, burn_in: int) -> dict[str, float]:
    """Build and run one model; returns its figures."""
    import resource
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    from pcnsim.scenario import Scenario

    sc = Scenario.builtin("projection-2025").with_changes(
        population={"kind": "england", "networks": networks},
        parameters={"start_date": "2025-04-01", "warm_burn_in_weeks": burn_in})
    if not warm:
        sc = sc.with_changes(workforce=None, parameters={"start_date": "2025-04-01"})
    t0 = time.perf_counter()
    m = sc.build_model(seed=1)
    t1 = time.perf_counter()
    arrs0 = m.arrs_fte
    m.run(weeks)
    t2 = time.perf_counter()
    return {"init_s": t1 - t0, "weeks_s": t2 - t1, "per_week_ms": 1000 * (t2 - t1) / max(weeks, 1),
            "arrs_fte_start": arrs0, "arrs_fte_end": m.arrs_fte, "staff_end": m.headcount,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--networks", type=int, default=1250)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--burn-in", type=int, default=104, help="warm_burn_in_weeks (default 104)")
    ap.add_argument("--case", choices=("warm", "cold"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.case:
        print(json.dumps(one(a.networks, a.weeks, a.case == "warm", a.burn_in)))
        return
    print(f"{a.networks} networks, {a.weeks} weeks from April 2025; warm burn-in {a.burn_in} weeks")
    print(f"{'case':<6} {'init s':>8} {'weeks s':>8} {'ms/week':>8} {'ARRS FTE 0':>11} {'ARRS FTE end':>13} "
          f"{'staff end':>10} {'peak MB':>8}")
    for case in ("cold", "warm"):
        out = subprocess.run([sys.executable, __file__, "--case", case, "--networks", str(a.networks),
                              "--weeks", str(a.weeks), "--burn-in", str(a.burn_in)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{case:<6} {r['init_s']:>8.1f} {r['weeks_s']:>8.1f} {r['per_week_ms']:>8.0f} {r['arrs_fte_start']:>11,.0f} "
              f"{r['arrs_fte_end']:>13,.0f} {r['staff_end']:>10,} {r['peak_rss_mb']:>8.0f}")


if __name__ == "__main__":
    main()
