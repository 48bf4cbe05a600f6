"""Which of the ten interventions keeps most staff, and at what cost? All of them against the baseline.

Eight interventions run on the default network against the default baseline (one comparison, common random
numbers); London weighting acts only where local market pay is above the national caps, so it runs on the
London network against a London baseline (a second comparison); the vaccination programme is part of the
default scenario (history), so its effect is the default scenario against the same network without it (a
third comparison). The three are joined into one ranking table
(``ranking.csv``, ``ranking.md``): per intervention the paired differences over the run in ARRS leavers,
the share intending to leave at the end, ARRS FTE-years in post, and the cost per avoided leaver.

Usage: python experiments/all_interventions.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pcnsim.errors import PCNSimInputError
from pcnsim.experiments import Comparison, compare

HERE = Path(__file__).resolve().parent / "scenarios"
DEFAULT_ARMS = [
    HERE / "baseline.toml",
    HERE / "supervision_1h.toml",
    HERE / "base_practice_default.toml",
    HERE / "team_days_quarterly.toml",
    HERE / "remote_hybrid.toml",
    HERE / "org_development.toml",
    HERE / "role_clarity.toml",
    HERE / "peer_support.toml",
    HERE / "flexible_role_mix.toml",
]
LONDON_ARMS = [HERE / "london.toml", HERE / "london_weighting.toml"]
VACCINATION_ARMS = [HERE / "no_vaccination.toml", HERE / "pandemic_vaccination.toml"]
COLUMNS = {"leavers": "leavers", "intending_share": "intending share (end)", "fte_years": "FTE-years"}


def ranking(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """One row per intervention: mean paired differences (90% CI) and cost per avoided leaver, ranked by
    the mean change in leavers (most avoided first)."""
    rows = []
    for cmp in comparisons:
        d = cmp.differences.set_index(["scenario", "outcome"])
        ce = cmp.cost_effectiveness.set_index("scenario")
        for name in cmp.names[1:]:
            row: dict[str, object] = {"scenario": name, "baseline": cmp.names[0]}
            for outcome in COLUMNS:
                r = d.loc[(name, outcome)]
                row[outcome] = r["mean"]
                row[f"{outcome}_lo"] = r["mean_lo"]
                row[f"{outcome}_hi"] = r["mean_hi"]
            c = ce.loc[name]
            row["extra_cost"] = c["extra_cost_mean"]
            row["cost_per_avoided_leaver"] = c["cost_per_avoided_leaver"]
            row["verdict"] = c["avoided_leavers_verdict"]
            rows.append(row)
    return pd.DataFrame(rows).sort_values("leavers").reset_index(drop=True)


def ranking_markdown(table: pd.DataFrame, replicates: int) -> str:
    def ci(r: pd.Series, k: str, scale: float = 1.0, fmt: str = "{:+.1f}") -> str:
        return (fmt.format(r[k] * scale) + " (" + fmt.format(r[f"{k}_lo"] * scale) + " to "
                + fmt.format(r[f"{k}_hi"] * scale) + ")")

    lines = [f"Mean paired difference against the baseline (90% CI), {replicates} replicates, per network over the run.",
             "", "| rank | scenario | leavers | intending (points) | FTE-years | extra cost (GBP) | GBP per avoided leaver |",
             "|---|---|---|---|---|---|---|"]
    for i, r in table.iterrows():
        cpl = f"{r['cost_per_avoided_leaver']:,.0f}" if pd.notna(r["cost_per_avoided_leaver"]) else r["verdict"]
        lines.append(f"| {i + 1} | {r['scenario']} | {ci(r, 'leavers')} | {ci(r, 'intending_share', 100)} | "
                     f"{ci(r, 'fte_years', 1, '{:+.2f}')} | {r['extra_cost']:,.0f} | {cpl} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    from pcnsim.cli._common import int_range

    ap = argparse.ArgumentParser(prog="all_interventions", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 replicates of 78 weeks (seconds)")
    ap.add_argument("--replicates", type=int_range(1, 10_000), help="replicates per scenario (default 40)")
    ap.add_argument("--workers", type=int_range(1, 256), default=1, help="processes (default 1)")
    ap.add_argument("--seed", type=int_range(0, 2**62), default=1, help="base seed (default 1)")
    ap.add_argument("--out", default="results/experiments/all_interventions", help="output folder (replaced only if an earlier pcnsim command wrote it, or empty)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar or report")
    args = ap.parse_args(argv)
    n = args.replicates or (2 if args.quick else 40)
    weeks = 78 if args.quick else None
    out = Path(args.out)
    try:
        cmps = [compare(list(arms), replicates=n, workers=args.workers, seed=args.seed, weeks=weeks,
                        progress=not args.quiet) for arms in (DEFAULT_ARMS, LONDON_ARMS, VACCINATION_ARMS)]
        cmps[0].write(out / "default_network")
        cmps[1].write(out / "london_network")
        cmps[2].write(out / "vaccination_programme")
    except PCNSimInputError as e:
        print(f"all_interventions: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    table = ranking(cmps)
    table.to_csv(out / "ranking.csv", index=False)
    md = ranking_markdown(table, n)
    (out / "ranking.md").write_text(md)
    if not args.quiet:
        print(md)
        print(f"results in {out}/")
    return table


if __name__ == "__main__":
    main()
