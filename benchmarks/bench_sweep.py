"""Sweep throughput: runs per second packed and one at a time, in process and on the local pool.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 1000] [--weeks 260] [--workers 1 2] [--json FILE]

Side by side, on the built-in default scenario (one network, 260 weeks by default):

- one at a time: a serial in-process loop of :func:`pcnsim.evaluate` (``--serial-runs`` runs), one model
  per run;
- packed: ``--pack-runs`` runs as the networks of one model (:func:`pcnsim.pack.run_packed`), in process;
- sweep: a real ``run_sweep`` with ``--runs`` replicates on the local pool (batches packed), written to a
  temporary result folder: the figure includes pool start-up, the Parquet writes and the progress
  bookkeeping, as a user sees it. "Steady" excludes the time to the first finished batch (pool start-up).

The machine's load average is printed with the figures: on a shared machine, other work slows runs down.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")


def spec_text(runs: int, weeks: int) -> str:
    return f"""
name = "bench"
weeks = {weeks}
seed = 1
replicates = {runs}
outcomes = ["arrs_retention_12m", "arrs_annual_leaver_rate", "arrs_fte_end", "appointments"]
[design]
kind = "grid"
"""


def bench_pool(workers: int, runs: int, weeks: int) -> dict[str, float]:
    from pcnsim.sweep import LocalExecutor, SweepSpec, run_sweep

    class Timed(LocalExecutor):
        first: float | None = None

        def map_unordered(self, fn, payload, batches):  # noqa: ANN001, ANN202
            for res in super().map_unordered(fn, payload, batches):
                if self.first is None:
                    self.first = time.perf_counter()
                    self.first_n = len(res)
                yield res

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "spec.toml"
        p.write_text(spec_text(runs, weeks), encoding="utf-8")
        spec = SweepSpec.load(p)
        ex = Timed(workers)
        t0 = time.perf_counter()
        rep = run_sweep(spec, Path(d) / "out", executor=ex, progress=False)
        wall = time.perf_counter() - t0
        assert rep.done_now == runs
        steady = (runs - ex.first_n) / (t0 + wall - ex.first) if ex.first and runs > ex.first_n else float("nan")
    return {"workers": workers, "runs": runs, "weeks": weeks, "wall_s": wall, "runs_per_s": runs / wall,
            "steady_runs_per_s": steady}


def bench_serial(runs: int, weeks: int) -> dict[str, float]:
    from pcnsim import evaluate

    evaluate(seed=0, weeks=1)  # imports and caches outside the timing
    t0 = time.perf_counter()
    for i in range(runs):
        evaluate(seed=1 + i, weeks=weeks)
    wall = time.perf_counter() - t0
    return {"workers": 0, "runs": runs, "weeks": weeks, "wall_s": wall, "runs_per_s": runs / wall,
            "steady_runs_per_s": runs / wall}


def bench_packed(runs: int, weeks: int) -> dict[str, float]:
    from pcnsim.pack import PackedRun, run_packed
    from pcnsim.scenario import Scenario

    sc = Scenario.default()
    run_packed([PackedRun(sc, 0)], 1)  # imports and compiled kernels outside the timing
    t0 = time.perf_counter()
    run_packed([PackedRun(sc, 1 + i) for i in range(runs)], weeks, pack_size=runs)
    wall = time.perf_counter() - t0
    return {"workers": -1, "runs": runs, "weeks": weeks, "wall_s": wall, "runs_per_s": runs / wall,
            "steady_runs_per_s": runs / wall}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000, help="runs of each sweep on the pool (default 1000)")
    ap.add_argument("--pack-runs", type=int, default=250, help="runs packed into one model in process (default 250)")
    ap.add_argument("--weeks", type=int, default=260, help="weeks per run (default 260, the default scenario)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="pool sizes to measure (default 1 2)")
    ap.add_argument("--serial-runs", type=int, default=10, help="runs of the in-process reference (0: skip)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    a = ap.parse_args(argv)
    rows = []
    if a.serial_runs:
        rows.append(bench_serial(a.serial_runs, a.weeks))
    if a.pack_runs:
        rows.append(bench_packed(a.pack_runs, a.weeks))
    for w in a.workers:
        rows.append(bench_pool(w, a.runs, a.weeks))
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"pcnsim sweep benchmark: default scenario, {a.weeks} weeks a run; {os.cpu_count()} CPUs; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'how':<34}{'runs':>6}{'wall s':>9}{'runs/s':>9}{'steady runs/s':>15}")
    for r in rows:
        w = r["workers"]
        name = ("in process, one at a time" if w == 0 else "in process, packed in one model" if w < 0
                else f"sweep, local pool, {w} worker{'s' if w > 1 else ''}")
        print(f"{name:<34}{r['runs']:>6}{r['wall_s']:>9.2f}{r['runs_per_s']:>9.2f}{r['steady_runs_per_s']:>15.2f}")
    one = next((r["runs_per_s"] for r in rows if r["workers"] == 0), None)
    packed = next((r["runs_per_s"] for r in rows if r["workers"] < 0), None)
    if one and packed:
        print(f"packed / one at a time, in process: {packed / one:.1f}x")
    if a.json:
        Path(a.json).write_text(json.dumps({"load_average": load, "cpus": os.cpu_count(), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
