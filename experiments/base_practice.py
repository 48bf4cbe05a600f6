"""A base practice (at most two practices, one a base) against a split across all practices.

Runs ``pcnsim.experiments.compare`` on the scenario files below (the first is the baseline) and writes
tables, figures and a report to ``results/experiments/base_practice/``.

Usage: python experiments/base_practice.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pcnsim.experiments import Comparison, experiment_main

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIOS = [
    HERE / "split_all.toml",
    HERE / "base_practice.toml",
]


def main(argv: Sequence[str] | None = None) -> Comparison:
    return experiment_main("base_practice", SCENARIOS, argv, question=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
