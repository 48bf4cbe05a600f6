"""A synthetic England: about 1,250 networks drawn from the published distributions, in one Population.

Scenario files select it with ``[population] kind = "england"``; from Python, ``england(params)`` or
``PCNModel(population=england(params))``. Spec keys (``[population]``): ``networks`` (default 1,250, E1;
fewer gives a smaller sample drawn from the same distributions, e.g. for tests), ``seed`` (default 2020:
the population is fixed structure, separate from the model's ``rng``) and ``copies``.

What is drawn, and from which evidence (rows of the evidence table, :mod:`pcnsim.evidence`)
-------------------------------------------------------------------------------------------
practices per network (E1)
    mean 5.4 (6,758 practices in 1,250 networks), range 1 to 33, 34 single-practice networks (2.7%), 77 with
    more than 10 (6.2%): a lognormal rounded to whole practices (median 4.5, log-sd 0.565, fitted to those
    three figures), clipped to 1-33, then nudged one practice at a time (networks of 2 or more) so the total
    is exactly 5.4064 per network (6,758 for 1,250).
weighted patients per network (E2)
    mean 48,020, smallest 14,605, largest 263,827; 7% under 30k, 58% from 30k to 50k, 35% over 50k: a
    quantile function through those anchors (log-linear from 14,605 to 30,000, linear from 30,000 to 50,000,
    a Pareto tail above 50,000 with exponent 3.98 so that the mean is 48,020, capped at 263,827). Patients
    are then scaled so that the networks hold ``national_patients`` x networks / 1,250 in total: for the full
    England the allocations add up to the national entitlement (E7).
size and practices together (assumption)
    bigger networks have more practices: both are drawn through a Gaussian copula with correlation 0.7.
list sizes of practices (assumption)
    a network's patients are split by Dirichlet(3) shares (list sizes vary about +-50% within a network),
    at least 1,000 patients a practice.
deprivation (E3)
    share of the population in very deprived areas: Beta(0.366, 1.464), mean 0.2 (the most deprived fifth
    of areas holds a fifth of the population, by construction of the index) and 13.8% of networks above one
    half (172 of 1,250). Independent of size and London (assumption).
London (E26 + assumption)
    220 of 1,250 networks (17.6%), picked at random: the Londonwide LMCs poll reached 220 clinical
    directors; we take that as the number of London networks.
shared vision and role clarity
    the parameters ``shared_vision`` and ``role_clarity`` for every network (no evidence of variation).
core staff (E6)
    GPs and nurses per practice at the E6 densities (:func:`pcnsim.population.core_staff_for`).

Budgets follow weighted population (``net_patients``) through the allocation (E7); nothing here sets a
different rate of anything for deprived or London networks: the differences in results come from the
mechanisms (recruitment supply and deprivation, the London pay gap, splitting across practices).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from pcnsim.errors import PCNSimInputError
from pcnsim.params import Params
from pcnsim.population import Population, core_staff_for

N_NETWORKS = 1250  # E1
N_PRACTICES = 6758  # E1
MAX_PRACTICES = 33  # E1
PRACTICES_LOG_MEDIAN, PRACTICES_LOG_SD = 1.497, 0.565  # fitted to E1 (see the module docstring)
PATIENTS_MIN, PATIENTS_MAX = 14_605, 263_827  # E2
PATIENT_ANCHORS = ((0.07, 30_000.0), (0.65, 50_000.0))  # E2: 7% under 30k, 58% 30-50k, 35% over 50k
PATIENTS_TAIL_EXPONENT = 3.984  # Pareto tail above 50k: mean 48,020 (E2)
SIZE_PRACTICES_CORRELATION = 0.7  # assumption
PRACTICE_SHARE_CONCENTRATION = 3.0  # assumption
MIN_PRACTICE_PATIENTS = 1_000.0  # assumption
DEPRIVATION_BETA = (0.366, 1.464)  # E3: mean 0.2, P(> 0.5) = 172 / 1,250
LONDON_NETWORKS = 220  # E26 + assumption
DEFAULT_SEED = 2020
MAX_NETWORKS = 5000


def patients_quantile(u: np.ndarray) -> np.ndarray:
    """Weighted patients of a network at quantile ``u`` (0-1) of the E2 distribution."""
    u = np.asarray(u, dtype=np.float64)
    (u1, a1), (u2, a2) = PATIENT_ANCHORS
    low = np.exp(np.log(PATIENTS_MIN) + (np.log(a1) - np.log(PATIENTS_MIN)) * u / u1)
    mid = a1 + (a2 - a1) * (u - u1) / (u2 - u1)
    tail = a2 * (np.maximum(1.0 - u, 1e-12) / (1.0 - u2)) ** (-1.0 / PATIENTS_TAIL_EXPONENT)
    return np.where(u < u1, low, np.where(u < u2, mid, np.minimum(tail, PATIENTS_MAX)))


def practices_quantile(u: np.ndarray) -> np.ndarray:
    """Practices of a network at quantile ``u`` of the E1 distribution (a rounded lognormal, 1 to 33)."""
    x = np.exp(PRACTICES_LOG_MEDIAN + PRACTICES_LOG_SD * special.ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
    return np.clip(np.rint(x), 1, MAX_PRACTICES).astype(np.int64)


def _nudge_total(n_prac: np.ndarray, target: int, rng: np.random.Generator) -> np.ndarray:
    """Add or remove single practices at random networks (2 to 32 practices) until the total is ``target``."""
    n_prac = n_prac.copy()
    for _ in range(100):
        diff = target - int(n_prac.sum())
        if diff == 0:
            break
        ok = np.flatnonzero((n_prac >= 2) & (n_prac < MAX_PRACTICES) if diff > 0 else (n_prac > 2))
        if len(ok) == 0:
            break
        pick = rng.choice(ok, size=min(abs(diff), len(ok)), replace=False)
        n_prac[pick] += 1 if diff > 0 else -1
    return n_prac


def england(params: Params | None = None, *, networks: int = N_NETWORKS, seed: int = DEFAULT_SEED) -> Population:
    """An England-like population of ``networks`` networks (see the module docstring for the evidence).

    Parameters
    ----------
    params : Params, optional
        Parameters (GP and nurse densities, E6; ``national_patients``, E1-E2; shared vision and role clarity).
    networks : int
        Number of networks, 1 to 5,000 (default 1,250, E1).
    seed : int
        Seed of the population draw (default 2020), independent of the model's ``rng``.

    Returns
    -------
    Population
        Networks, practices and core staff, in network order (practices of a network are contiguous).
    """
    p = params or Params()
    networks = _check_int(networks, "networks", 1, MAX_NETWORKS)
    seed = _check_int(seed, "seed", 0, 2**63 - 1)
    rng = np.random.default_rng(seed)
    # size and practices through a Gaussian copula (correlation: assumption)
    z = rng.standard_normal((2, networks))
    rho = SIZE_PRACTICES_CORRELATION
    z_pat = rho * z[0] + np.sqrt(1.0 - rho**2) * z[1]
    n_prac = practices_quantile(special.ndtr(z[0]))
    n_prac = _nudge_total(n_prac, round(networks * N_PRACTICES / N_NETWORKS), rng)
    patients = patients_quantile(special.ndtr(z_pat))
    patients *= (p.national_patients * networks / N_NETWORKS) / patients.sum()  # E7: allocations add up
    deprivation = rng.beta(*DEPRIVATION_BETA, size=networks)
    london = np.zeros(networks, dtype=bool)
    london[rng.choice(networks, size=round(networks * LONDON_NETWORKS / N_NETWORKS), replace=False)] = True
    # practices: Dirichlet shares of the network's patients (assumption), at least MIN_PRACTICE_PATIENTS each
    prac_network = np.repeat(np.arange(networks), n_prac).astype(np.int32)
    g = rng.gamma(PRACTICE_SHARE_CONCENTRATION, size=len(prac_network))
    share = g / np.bincount(prac_network, weights=g, minlength=networks)[prac_network]
    prac_patients = np.maximum(share * patients[prac_network], MIN_PRACTICE_PATIENTS)
    prac_patients *= (patients / np.bincount(prac_network, weights=prac_patients, minlength=networks))[prac_network]
    first = np.concatenate([[0], np.cumsum(n_prac)[:-1]]).astype(np.int32)
    practice, role, fte = core_staff_for(prac_patients, p)
    names = [f"England PCN {i + 1:04d}{' (London)' if london[i] else ''}" for i in range(networks)]
    return Population(
        net_first_practice=first,
        net_n_practices=n_prac.astype(np.int32),
        net_patients=patients,
        net_deprivation=deprivation,
        net_london=london,
        net_vision=np.full(networks, p.shared_vision),
        net_clarity=np.full(networks, p.role_clarity),
        prac_network=prac_network,
        prac_patients=prac_patients,
        core_practice=practice,
        core_role=role,
        core_fte=fte,
        net_names=names,
    )


def _check_int(value: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise PCNSimInputError(
            f"population.{name} = {value!r} is not allowed for kind 'england': expected a whole number from {lo} to {hi}",
            field=f"population.{name}",
        )
    return int(value)


def from_spec(params: Params, spec: dict[str, Any]) -> Population:
    """Builder for scenario files: ``[population] kind = "england"`` with optional ``networks`` and ``seed``."""
    return england(params, networks=spec.get("networks", N_NETWORKS), seed=spec.get("seed", DEFAULT_SEED))


def _register() -> None:
    from pcnsim.scenario import POPULATION_KINDS

    POPULATION_KINDS["england"] = from_spec


_register()
