"""From today's workforce to 2031: the 2026/27 rules alone, with protected supervision, and with a flexible role mix.

Runs ``pcnsim.experiments.compare`` on the built-in scenario ``projection-2025`` (one representative PCN,
April 2025 to March 2031, starting from the March 2025 ARRS workforce of E33 under the policy calendar's
2025/26 and 2026/27 rules, E31 and E32) and on two variants with an intervention from April 2025, and
writes tables (including ``by_role.csv``: time to fill, vacancy duration, appointments per 1,000 patients),
figures and a report to ``results/experiments/projection/``.

What a projection of this kind cannot tell: it carries the calibration of 2019-2024 (T1-T7) forward
unchanged, so it shows what the mechanisms imply if people go on responding to isolation, supervision and
workload as they did then; it does not forecast contracts after 2026/27 (the entitlement is held flat in cash
terms from 2026/27), pay settlements, the national supply of GPs and other professions, or the backdated
claims that inflate E33's March counts. Read its paired differences (the interventions against the same
random draws) rather than its levels, and the intervals as the spread of one network's fortunes, not as
the uncertainty of the assumptions (for that, sweep them: docs/sweeps.md).

Usage: python experiments/projection.py [--quick] [--replicates N] [--workers N] [--seed N] [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pcnsim
from pcnsim.experiments import Comparison, experiment_main

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIOS = [
    Path(pcnsim.__file__).resolve().parent / "data" / "projection-2025.toml",  # the built-in projection-2025
    HERE / "projection_supervision.toml",
    HERE / "projection_flexible_mix.toml",
]


def main(argv: Sequence[str] | None = None) -> Comparison:
    return experiment_main("projection", SCENARIOS, argv, question=__doc__.splitlines()[0], replicates=20)


if __name__ == "__main__":
    main()
