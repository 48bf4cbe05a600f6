"""Small helpers shared by tests: replicated runs with common random numbers; waiting on a condition."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from pcnsim.model import PCNModel
from pcnsim.params import Params
from pcnsim.population import replicate, single_network


def run(seed: int, weeks: int = 104, copies: int = 1, **params: Any) -> PCNModel:
    p = Params.from_dict(params)
    pop = single_network(p)
    if copies > 1:
        pop = replicate(pop, copies)
    return PCNModel(rng=seed, population=pop, params=p).run(weeks)


def paired(metric, a: dict, b: dict, seeds=range(6), **kw) -> np.ndarray:
    """metric(model_b) - metric(model_a) for each seed (common random numbers)."""
    return np.array([metric(run(s, **{**kw, **b})) - metric(run(s, **{**kw, **a})) for s in seeds])


def arrs_mean(model: PCNModel, field: str, weeks: int = 52) -> float:
    """Mean of a weekly ARRS series over the last ``weeks`` weeks."""
    w = model.recorder.weekly()
    return float(w[field].iloc[-weeks:].mean())


# ---------------------------------------------------------------------------------------------- waiting
# Waits in tests are conditions on the state (a file appears, a page shows week 3), polled until they hold,
# under one generous overall ceiling: a busy machine makes them slower, never wrong. PCNSIM_TEST_CEILING
# (seconds) raises or lowers the ceiling for every such wait.
CEILING_S = float(os.environ.get("PCNSIM_TEST_CEILING", "300"))


def wait_until(cond: Callable[[], Any], what: str, timeout: float = CEILING_S, every: float = 0.05) -> Any:
    """Poll ``cond()`` until it returns something true (returned); fail after ``timeout`` seconds."""
    t0 = time.monotonic()
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)
