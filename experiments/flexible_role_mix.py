"""Flexible role mix in a deprived network: does moving money to roles that can be recruited help?

Runs ``pcnsim.experiments.compare`` on the scenario files below (the first is the baseline) and writes
tables, figures and a report to ``results/experiments/flexible_role_mix/``.

Usage: python experiments/flexible_role_mix.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pcnsim.experiments import Comparison, experiment_main

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIOS = [
    HERE / "deprived.toml",
    HERE / "deprived_flexible_mix.toml",
]


def main(argv: Sequence[str] | None = None) -> Comparison:
    return experiment_main("flexible_role_mix", SCENARIOS, argv, question=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
