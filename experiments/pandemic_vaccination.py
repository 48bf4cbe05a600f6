"""Did shared vaccination work during the pandemic help keep ARRS staff (and what did the pandemic cost)?

Runs ``pcnsim.experiments.compare`` on the scenario files below, over 156 weeks (April 2019 to March 2022),
and writes tables, figures and a report to ``results/experiments/pandemic_vaccination/``. The baseline is
the pandemic without the networks' vaccination programme; against it, ``pandemic+vaccination`` (what
happened, the default scenario) gives the programme's effect (its joint clinics, its extra work and its
slower recruitment together), and ``no-pandemic`` (neither) what the pandemic cost.

Usage: python experiments/pandemic_vaccination.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pcnsim.experiments import Comparison, experiment_main

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIOS = [
    HERE / "no_vaccination.toml",
    HERE / "pandemic_vaccination.toml",
    HERE / "no_pandemic.toml",
]


# Three years, to March 2022: the last 12 months (the window of 12-month retention) follow the main
# vaccination campaign (December 2020 to September 2021) and the end of pandemic remote working (July 2021).
WEEKS = 156


def main(argv: Sequence[str] | None = None) -> Comparison:
    return experiment_main("pandemic_vaccination", SCENARIOS, argv, question=__doc__.splitlines()[0], weeks=WEEKS)


if __name__ == "__main__":
    main()
