"""What do 0 to 4 hours a week of protected GP supervision buy, and at what cost?

Runs ``pcnsim.experiments.compare`` on the scenario files below (the first is the baseline) and writes
tables, figures and a report to ``results/experiments/supervision/``.

Usage: python experiments/supervision.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pcnsim.experiments import Comparison, experiment_main

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIOS = [
    HERE / "baseline.toml",
    HERE / "supervision_1h.toml",
    HERE / "supervision_2h.toml",
    HERE / "supervision_3h.toml",
    HERE / "supervision_4h.toml",
]


def main(argv: Sequence[str] | None = None) -> Comparison:
    return experiment_main("supervision", SCENARIOS, argv, question=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
