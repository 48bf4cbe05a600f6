"""What does organisational development support (shared vision, role clarity) buy?

Runs ``pcnsim.experiments.compare`` on the scenario files below (the first is the baseline) and writes
tables, figures and a report to ``results/experiments/org_development/``.

Usage: python experiments/org_development.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pcnsim.experiments import Comparison, experiment_main

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIOS = [
    HERE / "baseline.toml",
    HERE / "org_development.toml",
]


def main(argv: Sequence[str] | None = None) -> Comparison:
    return experiment_main("org_development", SCENARIOS, argv, question=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
