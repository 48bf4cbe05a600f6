"""Parameters per network: what lets many runs be packed as the networks of one model.

A model's weekly step reads every parameter that may differ between runs as an array with one value per
network (:class:`NetworkParams`), so that networks of one model may carry different parameter values: the
runs of a sweep, an ensemble or a comparison, each a one-network model, can then run together as the
networks of one model (:mod:`pcnsim.pack`), each with its own values and its own random streams
(:mod:`pcnsim.streams`), and give the same results, bit for bit, as when run alone.

A few parameters set the calendar or the shape of the arrays every network shares (:data:`SHARED`: the
run's dates, the national budget path, pay growth, the learning curve, the warm start); the runs packed
together must agree on these, and :func:`pack_key` groups runs by them. Everything else may differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pcnsim.params import Params

#: Parameters every network of one model shares: the calendar (dates and the vaccination programme's
#: history), the national money (budgets, national patients, pay growth: the caps and allocations of every
#: network), the hours of a GP session (the unit of GP time in intervention costs), the learning curve (one
#: productivity table by tenure) and the warm start. Economic parameters are read after the run, per run.
SHARED: frozenset[str] = frozenset({
    "start_date", "arrs_start", "pandemic_start", "pandemic_end", "vaccination_start", "vaccination_end",
    "vaccination_programme",
    *(f"budget_{y}" for y in range(2019, 2026)), "national_patients", "pay_growth", "hours_per_session",
    "learning_weeks", "warm_leaver_rate", "warm_burn_in_weeks",
})

#: Parameters read only after a run (economic evaluation) or only to build a network (population): they
#: may differ between packed runs without being arrays of the step.
NOT_IN_STEP: frozenset[str] = frozenset({
    "discount_rate", "recruit_cost_per_hire", "induction_cost_per_hire", "vacancy_cover_share",
    "n_practices", "patients", "deprivation", "london", "gp_per_10k", "nurse_per_10k", "shared_vision",
    "role_clarity",
})


def pack_key(params: Params) -> tuple[Any, ...]:
    """The values of the :data:`SHARED` parameters: runs with equal keys can be packed into one model."""
    return tuple(getattr(params, n) for n in sorted(SHARED))


class NetworkParams:
    """The step's parameters, one array per parameter with one value per network.

    Built from one parameter set (:meth:`uniform`: the same values in every network) or one per network
    (:meth:`of`). Numbers are float64 arrays, whole numbers int64 and flags bool; ``table.homophily[g]`` is
    network ``g``'s value. Shared parameters (:data:`SHARED`) must be equal in every network.
    """

    def __init__(self, params: Sequence[Params], n_networks: int | None = None) -> None:
        params = list(params)
        if not params:
            raise ValueError("NetworkParams needs at least one parameter set")
        n = len(params) if n_networks is None else int(n_networks)
        if len(params) not in (1, n):
            raise ValueError(f"{len(params)} parameter sets for {n} networks")
        first = params[0]
        for name in SHARED:
            v = getattr(first, name)
            for i, q in enumerate(params[1:], start=1):
                if getattr(q, name) != v:
                    raise ValueError(f"{name} differs between the packed runs ({v!r} in run 0, "
                                     f"{getattr(q, name)!r} in run {i}): runs packed into one model must share "
                                     f"{', '.join(sorted(SHARED))}")
        self.n_networks = n
        self.first = first
        self.sets = params  # one parameter set, or one per network
        self.varies = len(params) > 1 and any(q != first for q in params[1:])
        arrays: dict[str, np.ndarray] = {}
        for name, field in Params.model_fields.items():
            if name in SHARED or field.annotation not in (float, int, bool):
                continue
            dtype = {float: np.float64, int: np.int64, bool: np.bool_}[field.annotation]
            if len(params) == 1:
                arrays[name] = np.full(n, getattr(first, name), dtype=dtype)
            else:
                arrays[name] = np.array([getattr(q, name) for q in params], dtype=dtype)
        self._arrays = arrays

    @classmethod
    def uniform(cls, params: Params, n_networks: int) -> NetworkParams:
        """The same parameter values in each of ``n_networks`` networks."""
        return cls([params], n_networks)

    @classmethod
    def of(cls, params: Sequence[Params]) -> NetworkParams:
        """Network ``g`` takes ``params[g]``."""
        return cls(params)

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["_arrays"][name]
        except KeyError:
            if name in SHARED:
                raise AttributeError(f"{name} is shared by every network: read it from the model's params") from None
            raise AttributeError(name) from None

    def kernel(self, name: str) -> np.ndarray:
        """A parameter as the compiled kernels take it: one value per network, or (when every network has the
        same values) one value for all (length 1), which spares a kernel the per-network lookups."""
        arr = self._arrays[name]
        return arr if self.varies else arr[:1]

    def at(self, name: str, where: np.ndarray) -> np.ndarray | float:
        """A parameter's value for each element of ``where`` (network indices), or (when every network has
        the same values) the one value, a Python number."""
        arr = self._arrays[name]
        return arr[where] if self.varies else arr[0].item()

    def each(self, fn: Any) -> np.ndarray:
        """``fn(params)`` of each network's parameter set, as a float64 array over networks (computed once
        when the networks share one set)."""
        if len(self.sets) == 1:
            return np.full(self.n_networks, fn(self.first), dtype=np.float64)
        return np.array([fn(x) for x in self.sets], dtype=np.float64)

    def names(self) -> list[str]:
        """The parameters held per network."""
        return list(self._arrays)
