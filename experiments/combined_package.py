"""A combined retention package against doing nothing.

Runs ``pcnsim.experiments.compare`` on the scenario files below (the first is the baseline) and writes
tables, figures and a report to ``results/experiments/combined_package/``.

Usage: python experiments/combined_package.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pcnsim.experiments import Comparison, experiment_main

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIOS = [
    HERE / "baseline.toml",
    HERE / "combined_package.toml",
]


def main(argv: Sequence[str] | None = None) -> Comparison:
    return experiment_main("combined_package", SCENARIOS, argv, question=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
