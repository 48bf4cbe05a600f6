"""One batch of runs on a worker (a pool process or a Dask worker): the code every executor ships."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunTask:
    """One run: its id, design point, replicate, seed and parameter overrides."""

    run_id: str
    point: int
    replicate: int
    seed: int
    overrides: dict[str, Any]


def run_batch(payload: dict[str, Any], tasks: Sequence[RunTask]) -> list[dict[str, Any]]:
    """Run a batch of runs (on a pool process or a Dask worker); one result row per run."""
    import warnings

    from pcnsim import __version__
    from pcnsim.evaluate import run_outcomes
    from pcnsim.scenario import Scenario

    warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")
    scenario = Scenario.from_dict(payload["scenario"], source=payload.get("source", "<sweep>"))
    rows = []
    for t in tasks:
        t0 = time.perf_counter()
        values, sc_hash = run_outcomes(scenario, t.overrides, t.seed, payload["weeks"], payload["outcomes"])
        row = {"run_id": t.run_id, "sweep": payload["sweep"], "point": t.point, "replicate": t.replicate,
               "seed": t.seed, **t.overrides, "scenario_hash": sc_hash, "pcnsim_version": __version__,
               **values, "elapsed_s": time.perf_counter() - t0}
        rows.append(row)
    return rows
