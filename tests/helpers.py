"""Small helpers shared by tests: replicated runs with common random numbers."""

from __future__ import annotations

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
