"""Synthetic networks: the practices, patients and core staff a model starts from.

A :class:`Population` is plain arrays (structure of arrays), whatever its size: one network or a whole
synthetic England lives in the same shape, so the weekly step never cares which.

Builders
--------
single_network(params)
    The built-in representative PCN: ``params.n_practices`` practices sharing ``params.patients``
    (E1, E2), core staff at E6 densities, no ARRS staff at the start (T4 starts from zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pcnsim.params import Params
from pcnsim.roles import GP, NURSE


@dataclass
class Population:
    """Networks, practices and the core staff in post at week 0."""

    # networks (index n)
    net_first_practice: np.ndarray  #: int32: index of the network's first practice
    net_n_practices: np.ndarray  #: int32: practices in the network
    net_patients: np.ndarray  #: float64: weighted patients (drives the ARRS allocation, E7)
    net_deprivation: np.ndarray  #: float64: share of population in very deprived areas (E3)
    net_london: np.ndarray  #: bool: a London network (E26)
    net_vision: np.ndarray  #: float64: initial shared vision 0-1
    net_clarity: np.ndarray  #: float64: initial role clarity 0-1
    # practices (index p)
    prac_network: np.ndarray  #: int32: the practice's network
    prac_patients: np.ndarray  #: float64: the practice's weighted patients
    # core staff at week 0 (index k)
    core_practice: np.ndarray  #: int32: the practice a core staff member works at
    core_role: np.ndarray  #: int16: role index (order of :data:`pcnsim.roles.ROLE_KEYS`)
    core_fte: np.ndarray  #: float32: FTE (1 = full time)
    net_names: list[str] = field(default_factory=list)  #: names of the networks, if any (for tables)

    @property
    def n_networks(self) -> int:
        """Number of networks."""
        return len(self.net_patients)

    @property
    def n_practice_total(self) -> int:
        """Number of practices, over all networks."""
        return len(self.prac_network)

    def describe(self) -> dict[str, float]:
        """Counts for a summary: networks, practices, weighted patients, core staff, London networks."""
        return {
            "networks": self.n_networks,
            "practices": self.n_practice_total,
            "patients": float(self.net_patients.sum()),
            "core_staff": len(self.core_role),
            "london_networks": int(self.net_london.sum()),
        }


def practice_list_sizes(n_practices: int, patients: float) -> np.ndarray:
    """Deterministic unequal list sizes (largest about 2.3 x smallest) summing to ``patients``."""
    w = np.linspace(1.4, 0.6, n_practices) if n_practices > 1 else np.ones(1)
    return patients * w / w.sum()


def core_staff_for(prac_patients: np.ndarray, params: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GPs and nurses per practice at E6 densities (rounded, at least one GP per practice)."""
    from pcnsim.roles import ROLES

    n_gp = np.maximum(1, np.rint(prac_patients / 1e4 * params.gp_per_10k)).astype(np.int64)
    n_nurse = np.maximum(1, np.rint(prac_patients / 1e4 * params.nurse_per_10k)).astype(np.int64)
    p_idx = np.arange(len(prac_patients), dtype=np.int32)
    practice = np.concatenate([np.repeat(p_idx, n_gp), np.repeat(p_idx, n_nurse)])
    role = np.concatenate([np.full(n_gp.sum(), GP), np.full(n_nurse.sum(), NURSE)]).astype(np.int16)
    fte = np.array([ROLES[r].mean_fte for r in (GP, NURSE)], dtype=np.float32)[(role == NURSE).astype(int)]
    order = np.lexsort((role, practice))
    return practice[order].astype(np.int32), role[order], fte[order]


def single_network(params: Params) -> Population:
    """The built-in default: one representative network (E1, E2, E3, E6)."""
    sizes = practice_list_sizes(params.n_practices, params.patients)
    practice, role, fte = core_staff_for(sizes, params)
    return Population(
        net_first_practice=np.array([0], dtype=np.int32),
        net_n_practices=np.array([params.n_practices], dtype=np.int32),
        net_patients=np.array([float(params.patients)]),
        net_deprivation=np.array([params.deprivation]),
        net_london=np.array([params.london]),
        net_vision=np.array([params.shared_vision]),
        net_clarity=np.array([params.role_clarity]),
        prac_network=np.zeros(params.n_practices, dtype=np.int32),
        prac_patients=sizes,
        core_practice=practice,
        core_role=role,
        core_fte=fte,
        net_names=["Default PCN"],
    )


def concatenate(pops: list[Population]) -> Population:
    """The networks of several populations as one population, in order (network ``g`` of ``pops[k]``
    becomes network ``sum(n_networks of pops[:k]) + g``; practices likewise)."""
    cat = np.concatenate
    net_off = np.cumsum([0] + [p.n_networks for p in pops])[:-1]
    prac_off = np.cumsum([0] + [p.n_practice_total for p in pops])[:-1]
    return Population(
        net_first_practice=cat([p.net_first_practice + o for p, o in zip(pops, prac_off, strict=True)]).astype(np.int32),
        net_n_practices=cat([p.net_n_practices for p in pops]).astype(np.int32),
        net_patients=cat([p.net_patients for p in pops]),
        net_deprivation=cat([p.net_deprivation for p in pops]),
        net_london=cat([p.net_london for p in pops]),
        net_vision=cat([p.net_vision for p in pops]),
        net_clarity=cat([p.net_clarity for p in pops]),
        prac_network=cat([p.prac_network + o for p, o in zip(pops, net_off, strict=True)]).astype(np.int32),
        prac_patients=cat([p.prac_patients for p in pops]),
        core_practice=cat([p.core_practice + o for p, o in zip(pops, prac_off, strict=True)]).astype(np.int32),
        core_role=cat([p.core_role for p in pops]),
        core_fte=cat([p.core_fte for p in pops]),
        net_names=[n for p in pops for n in (p.net_names or ["PCN"] * p.n_networks)],
    )


def replicate(pop: Population, copies: int) -> Population:
    """``copies`` independent copies of a population in one (used by benchmarks and tests)."""
    nn, npr = pop.n_networks, pop.n_practice_total
    cat = np.concatenate
    off_p = np.repeat(np.arange(copies) * npr, len(pop.core_practice))
    return Population(
        net_first_practice=cat([pop.net_first_practice + c * npr for c in range(copies)]).astype(np.int32),
        net_n_practices=np.tile(pop.net_n_practices, copies),
        net_patients=np.tile(pop.net_patients, copies),
        net_deprivation=np.tile(pop.net_deprivation, copies),
        net_london=np.tile(pop.net_london, copies),
        net_vision=np.tile(pop.net_vision, copies),
        net_clarity=np.tile(pop.net_clarity, copies),
        prac_network=cat([pop.prac_network + c * nn for c in range(copies)]).astype(np.int32),
        prac_patients=np.tile(pop.prac_patients, copies),
        core_practice=(np.tile(pop.core_practice, copies) + off_p).astype(np.int32),
        core_role=np.tile(pop.core_role, copies),
        core_fte=np.tile(pop.core_fte, copies),
        net_names=[f"{name} #{c + 1}" for c in range(copies) for name in (pop.net_names or ["PCN"] * nn)],
    )
