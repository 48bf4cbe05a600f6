"""Do in-person whole-network team days (quarterly or monthly) keep staff, and at what cost?

Runs ``pcnsim.experiments.compare`` on the scenario files below (the first is the baseline) and writes
tables, figures and a report to ``results/experiments/team_days/``.

Usage: python experiments/team_days.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pcnsim.experiments import Comparison, experiment_main

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIOS = [
    HERE / "baseline.toml",
    HERE / "team_days_quarterly.toml",
    HERE / "team_days_monthly.toml",
]


def main(argv: Sequence[str] | None = None) -> Comparison:
    return experiment_main("team_days", SCENARIOS, argv, question=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
