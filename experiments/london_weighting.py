"""London weighting in a London network: funded on top of the allocation, or from within it?

Runs ``pcnsim.experiments.compare`` on the scenario files below (the first is the baseline) and writes
tables, figures and a report to ``results/experiments/london_weighting/``.

Usage: python experiments/london_weighting.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pcnsim.experiments import Comparison, experiment_main

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIOS = [
    HERE / "london.toml",
    HERE / "london_weighting.toml",
    HERE / "london_weighting_unfunded.toml",
]


def main(argv: Sequence[str] | None = None) -> Comparison:
    return experiment_main("london_weighting", SCENARIOS, argv, question=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
