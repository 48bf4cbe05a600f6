"""Which intervention ranks first once what we do not know is carried along? The ten interventions over the
calibrated ensemble, beside the ranking of the default parameter set.

The arms are those of ``experiments/all_interventions.py``: eight interventions on the default network
against the default baseline, London weighting on the London network against a London baseline, and the
vaccination programme (history) against the same network without it. Each group runs over ``--draws``
posterior draws x ``--seeds`` seeds of the ensemble (common random numbers: the same draws and seeds in
every arm; :func:`pcnsim.ensemble_compare.compare_ensemble`), and, for contrast, ``--replicates`` seeded
replicates of the default parameters (:func:`pcnsim.experiments.compare`: the point ranking).

Per intervention (``ranking.csv``, ``ranking.md``): the paired change in ARRS leavers over the run and in
discounted ARRS FTE-years, mean and 90% interval over draws; P(fewer leavers than its baseline); among the
eight on the default network, the probability of ranking first by leavers avoided, the mean rank and its 90%
range over draws; P(highest net benefit in its group at the reference willingness to pay); and the point
estimate with its rank.

Usage: python experiments/ensemble_ranking.py [--ensemble shipped] [--draws 200] [--seeds 2] [--workers 2]
       [--replicates 40] [--out results/experiments/ensemble_ranking] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from all_interventions import DEFAULT_ARMS, LONDON_ARMS, VACCINATION_ARMS  # noqa: E402

from pcnsim.errors import PCNSimInputError  # noqa: E402


def rank_table(leavers: np.ndarray, fte_years: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """From ``leavers[arm, draw]`` and ``fte_years[arm, draw]`` (arm 0 the baseline): per intervention the
    probability of ranking first by leavers avoided, its mean rank and 90% range of rank over draws (1 = most
    leavers avoided; equal leavers, which means over a few seeds often are, are ranked by FTE-years gained)."""
    d = (leavers[1:] - leavers[0]) - 1e-6 * (fte_years[1:] - fte_years[0])
    ranks = d.argsort(axis=0).argsort(axis=0) + 1  # per draw: 1 = the largest fall in leavers
    lo, hi = np.quantile(ranks, [0.05, 0.95], axis=1)
    return pd.DataFrame({"scenario": list(names[1:]), "p_rank_first": (ranks == 1).mean(axis=1),
                         "mean_rank": ranks.mean(axis=1), "rank_lo": lo, "rank_hi": hi})


def group_rows(res: object, point: object | None) -> pd.DataFrame:
    """One row per intervention of one comparison over the ensemble (and its point estimate)."""
    d = res.differences.set_index(["scenario", "outcome"])
    prob = res.probabilities.set_index("scenario")
    rows = []
    for name in res.names[1:]:
        row = {"scenario": name, "baseline": res.names[0]}
        for o in ("leavers", "fte_years_disc"):
            r = d.loc[(name, o)]
            row.update({o: r["mean"], f"{o}_lo": r["lo"], f"{o}_hi": r["hi"]})
        row["p_reduces_leavers"] = prob.loc[name, "p_reduces_leavers"]
        row["p_most_cost_effective"] = prob.loc[name, "p_most_cost_effective"]
        if point is not None:
            pd_ = point.differences.set_index(["scenario", "outcome"])
            row["point_leavers"] = pd_.loc[(name, "leavers"), "mean"]
            row["point_leavers_lo"] = pd_.loc[(name, "leavers"), "mean_lo"]
            row["point_leavers_hi"] = pd_.loc[(name, "leavers"), "mean_hi"]
        rows.append(row)
    return pd.DataFrame(rows)


def ranking_markdown(table: pd.DataFrame, meta: dict) -> str:
    """The ranking table as Markdown."""
    def ci(r: pd.Series, k: str, fmt: str = "{:+.2f}") -> str:
        return f"{fmt.format(r[k])} ({fmt.format(r[k + '_lo'])} to {fmt.format(r[k + '_hi'])})"

    lines = [f"Over {meta['draws']} posterior draws x {meta['seeds']} seeds of the ensemble ({meta['ensemble']}); "
             f"point estimate: {meta['replicates']} replicates of the default parameters. Per network over the "
             "run (260 weeks); intervals are 90% over draws (ensemble) or the 90% CI of the mean (point).", "",
             "| rank (ensemble) | intervention | leavers | FTE-years (disc.) | P(fewer leavers) | P(first of 8) | "
             "rank (90% range) | P(best net benefit) | point: leavers | point rank |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for i, r in table.iterrows():
        first = f"{r['p_rank_first']:.2f}" if pd.notna(r.get("p_rank_first")) else "-"
        rng = (f"{r['mean_rank']:.1f} ({r['rank_lo']:.0f}-{r['rank_hi']:.0f})" if pd.notna(r.get("mean_rank"))
               else "-")
        pt = ci(r, "point_leavers") if pd.notna(r.get("point_leavers")) else "-"
        prank = f"{r['point_rank']:.0f}" if pd.notna(r.get("point_rank")) else "-"
        lines.append(f"| {i + 1} | {r['scenario']} | {ci(r, 'leavers')} | {ci(r, 'fte_years_disc')} | "
                     f"{r['p_reduces_leavers']:.2f} | {first} | {rng} | {r['p_most_cost_effective']:.2f} | {pt} | "
                     f"{prank} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    from pcnsim.cli._common import int_range
    from pcnsim.ensemble_compare import compare_ensemble
    from pcnsim.experiments import compare
    from pcnsim.scenario import load

    ap = argparse.ArgumentParser(prog="ensemble_ranking", description=__doc__.splitlines()[0])
    ap.add_argument("--ensemble", default="shipped",
                    help="an ensemble file, 'shipped' (default) or 'prior' (prior draws: no calibration)")
    ap.add_argument("--draws", type=int_range(2, 100_000), default=200, help="posterior draws (default 200)")
    ap.add_argument("--seeds", type=int_range(1, 1000), default=2, help="seeds per draw (default 2)")
    ap.add_argument("--replicates", type=int_range(0, 10_000), default=40,
                    help="replicates of the point estimate (default 40; 0: none)")
    ap.add_argument("--workers", type=int_range(1, 256), default=2, help="processes (default 2)")
    ap.add_argument("--quick", action="store_true",
                    help="4 draws x 1 seed, at most 2 replicates, 78 weeks (a smoke test)")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    ap.add_argument("--out", default="results/experiments/ensemble_ranking", help="output folder")
    args = ap.parse_args(argv)
    draws, seeds, reps = (4, 1, min(2, args.replicates)) if args.quick else (args.draws, args.seeds, args.replicates)
    weeks = 78 if args.quick else None
    out = Path(args.out)
    ensemble = args.ensemble
    if ensemble == "prior":
        from pcnsim.calibration.ensemble import prior_ensemble

        ensemble = prior_ensemble(max(draws, 8))
    groups = {"default_network": DEFAULT_ARMS, "london_network": LONDON_ARMS, "vaccination_programme": VACCINATION_ARMS}
    tables, timings = [], {}
    try:
        for key, arms in groups.items():
            scenarios = [load(a) for a in arms]
            t0 = time.perf_counter()
            res = compare_ensemble(scenarios, ensemble, draws=draws, seeds=seeds, weeks=weeks,
                                   out=out / key / "ensemble", workers=args.workers, progress=not args.quiet)
            res.write(out / key / "ensemble" / "report")
            timings[f"{key}_ensemble_s"] = time.perf_counter() - t0
            point = None
            if reps:
                t0 = time.perf_counter()
                point = compare(scenarios, replicates=reps, workers=args.workers, weeks=weeks,
                                progress=not args.quiet)
                point.write(out / key / "point")
                timings[f"{key}_point_s"] = time.perf_counter() - t0
            rows = group_rows(res, point)
            if key == "default_network":
                rows = rows.merge(rank_table(res.per_draw("leavers"), res.per_draw("fte_years_disc"), res.names), on="scenario")
                if point is not None:
                    rows["point_rank"] = rows["point_leavers"].rank(method="min")
            tables.append(rows)
    except PCNSimInputError as e:
        print(f"ensemble_ranking: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    table = pd.concat(tables, ignore_index=True).sort_values("leavers").reset_index(drop=True)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "ranking.csv", index=False)
    meta = {"draws": draws, "seeds": seeds, "replicates": reps, "ensemble": args.ensemble, **timings}
    md = ranking_markdown(table, meta)
    (out / "ranking.md").write_text(md + "\nTimes (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()) + "\n")
    if not args.quiet:
        print(md)
        print(timings)
    return table


if __name__ == "__main__":
    main()
