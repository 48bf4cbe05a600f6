"""Ensemble comparison speed: all ten interventions against their baselines over posterior draws x seeds.

    .venv/bin/python benchmarks/bench_ensemble.py [--draws 4] [--seeds 2] [--workers 2] [--ensemble FILE]

Runs a real :func:`pcnsim.ensemble_compare.compare_ensemble` of the arms of
``experiments/all_interventions.py`` (the default baseline and nine interventions on the default network,
plus the London baseline and London weighting: twelve scenarios, 260 weeks) over ``--draws`` x ``--seeds``
into a temporary store, then the decision analysis, and prints the time per run and the time the full
comparison (200 draws x 2 seeds) would take at that rate: a measured subset, extrapolated (the runs are
independent, so the time is linear in their number). Without ``--ensemble`` the draws are prior draws
(:func:`pcnsim.calibration.ensemble.prior_ensemble`), which cost the same to run. The machine's load average
is printed beside the figures: on a shared machine, other work slows the pool down.
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
ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=4)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ensemble", help="an ensemble file (default: prior draws)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--out", help="keep the comparison (store and report) in this folder (default: a temporary one)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "experiments"))
    from all_interventions import DEFAULT_ARMS, LONDON_ARMS

    from pcnsim.calibration.ensemble import prior_ensemble
    from pcnsim.ensemble_compare import compare_ensemble

    ens = args.ensemble or prior_ensemble(max(args.draws, 8), seed=1)
    arms = [*DEFAULT_ARMS, *LONDON_ARMS]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "cmp"
        t0 = time.perf_counter()
        res = compare_ensemble(arms, ens, draws=args.draws, seeds=args.seeds, out=out, workers=args.workers,
                               progress=True)
        run_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        res.write()
        analysis_s = time.perf_counter() - t1
    n = len(res.runs)
    if n and res.runs["elapsed_s"].isna().any():
        raise SystemExit("some runs were already in --out (a resumed comparison): time a fresh folder")
    full = len(arms) * 200 * 2
    per_run = run_s / n
    figures = {"scenarios": len(arms), "draws": args.draws, "seeds": args.seeds, "runs": n, "workers": args.workers,
               "seconds": round(run_s, 1), "seconds_per_run_wall": round(per_run, 3),
               "mean_run_seconds_in_worker": round(float(res.runs["elapsed_s"].mean()), 3),
               "analysis_seconds": round(analysis_s, 1), "full_runs": full,
               "full_minutes_extrapolated": round(full * per_run / 60, 1), "load_average": os.getloadavg()}
    print(f"{n} runs ({len(arms)} scenarios x {args.draws} draws x {args.seeds} seeds) in {run_s:.1f} s on "
          f"{args.workers} workers: {per_run:.3f} s a run (wall), {figures['mean_run_seconds_in_worker']:.3f} s "
          f"inside a worker; analysis and figures {analysis_s:.1f} s")
    print(f"full comparison ({full:,} runs: 200 draws x 2 seeds): about {figures['full_minutes_extrapolated']:.1f} "
          f"minutes at this rate (extrapolated); load average {figures['load_average']}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
