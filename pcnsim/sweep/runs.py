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
    """Run a batch of runs (on a pool process or a Dask worker); one result row per run.

    The runs are packed as the networks of one model (:mod:`pcnsim.pack`; a scenario of several networks
    runs them one at a time): each row is what the run alone gives, bit for bit. ``elapsed_s`` is the
    batch's time shared equally by its runs."""
    import warnings

    from pcnsim import __version__
    from pcnsim.evaluate import outcome_names
    from pcnsim.pack import PackedRun, run_packed
    from pcnsim.scenario import Scenario

    warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")
    t0 = time.perf_counter()
    scenario = Scenario.from_dict(payload["scenario"], source=payload.get("source", "<sweep>"))
    weeks = int(payload["weeks"])
    keys = payload["outcomes"] or outcome_names()
    scenarios = [scenario.with_changes(parameters={**scenario.parameters, **t.overrides}, weeks=weeks) for t in tasks]
    summaries = run_packed([PackedRun(sc, int(t.seed)) for sc, t in zip(scenarios, tasks, strict=True)], weeks)
    each = (time.perf_counter() - t0) / max(1, len(tasks))
    rows = []
    for t, sc, summ in zip(tasks, scenarios, summaries, strict=True):
        net = summ["network"]
        rows.append({"run_id": t.run_id, "sweep": payload["sweep"], "point": t.point, "replicate": t.replicate,
                     "seed": t.seed, **t.overrides, "scenario_hash": sc.hash(), "pcnsim_version": __version__,
                     **{k: float(net[k]) for k in keys}, "elapsed_s": each})
    return rows
