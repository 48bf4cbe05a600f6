"""Calibration to an ensemble: approximate Bayesian computation (``pyabc``) against targets T1-T7, with their
tolerances as the observation error.

Method
------
Parameters
    Every parameter with a prior (:data:`pcnsim.params.PRIORS`) that enters the simulation is sampled from its
    prior, on the logit of its prior's CDF (:data:`SAMPLER_SPACE`: every prior is then the standard logistic,
    and the perturbation kernel never proposes a value beyond a bound); ``fixed`` names (e.g. those a Morris screening found not to matter, :mod:`pcnsim.screening`) stay at
    their defaults. The economics priors do not enter the simulation: their posterior is their prior, so each
    accepted particle gets an independent prior draw of them (seeded).
Observation error
    A target's tolerance ``[lo, hi]`` is read as a 95% interval of a normal observation error around the
    published value (a band: around its centre), so its SD is ``(hi - lo) / 2 / 1.96``. The distance of a
    particle is the root of the sum of its targets' squared errors in those SDs (``pyabc.PNormDistance`` with
    fixed weights).
Methods
    ``rejection`` (default): every generation draws from the prior and keeps ``population`` parameter sets
    within a fixed ``threshold`` (``pyabc.ListEpsilon``; the proposal is the prior itself,
    :class:`~pcnsim.calibration.prior_transition.PriorTransition`, so every weight is equal); the ensemble is every generation's sets together,
    so it grows with ``generations`` and a killed run keeps its finished generations. This is rejection ABC,
    exact for its threshold. ``distance``: ABC-SMC, each generation's threshold the median of the last
    (``pyabc.QuantileEpsilon``), down to :func:`min_distance` (on average every target within its tolerance),
    proposals from a Gaussian kernel around the last generation; measured on this model, its proposals were
    accepted no more often than prior draws and its importance weights degenerated (an effective sample of
    2 of 200 after one step, 37 free parameters), so it is not the default. ``exact`` uses a stochastic acceptor
    and a temperature schedule (``pyabc.StochasticAcceptor``, ``pyabc.Temperature``,
    ``pyabc.IndependentNormalKernel``), which samples the exact posterior under that error at its last
    generation (temperature 1; Wilkinson 2013), for many more simulations.
Simulation
    One particle is one replicate (:func:`pcnsim.calibration.simulate`: a panel of ``networks`` default
    networks, plus the T1 condition's run). Its seed is derived from the parameter values, so a particle
    reproduces anywhere. The model's own noise is part of the likelihood.
Resuming
    pyabc stores every finished generation in its SQLite database (``abc.db`` in the output folder). A run
    killed part-way is continued by the same command: the finished generations are kept, the one in flight
    is drawn again.
Where
    The local machine (``workers`` processes, ``pyabc.sampler.MulticoreEvalParallelSampler``) or a Dask
    cluster (``scheduler``, ``pyabc.sampler.DaskDistributedSampler``, through the same connection the
    sweeps use, :class:`pcnsim.sweep.DaskExecutor`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pcnsim.calibration.ensemble_file import (  # noqa: F401 - the file side, re-exported for existing imports
    SHIPPED,
    Ensemble,
    EnsembleResult,
    git_commit,
    load_ensemble,
    prior_ensemble,
    shipped_ensemble_path,
    write_ensemble,
)
from pcnsim.calibration.targets import PANEL_NETWORKS, TARGET_BY_ID, TARGET_IDS, TARGETS
from pcnsim.errors import PCNSimInputError
from pcnsim.params import ECONOMIC_PRIORS, PRIORS, Params, prior_table

ENSEMBLE_FILE = "ensemble.parquet"  #: The ensemble: one row per accepted parameter set.
DB_FILE = "abc.db"  #: pyabc's database (the resume point).
RUN_FILE = "ensemble-run.json"  #: The run's configuration and pyabc run id (a resumed run must match it).
#: ABC variants (see :class:`EnsembleConfig`).
METHODS: tuple[str, ...] = ("rejection", "distance", "exact")
#: ``rejection`` method's default threshold (distance in observation SDs, root-sum-square over the ten targets).
#: An assumption of budget, not of evidence: on the model of December 2026, 8.9% of 2,245 prior draws fell within
#: it, so 200 sets cost about 2,250 simulations; :func:`min_distance` (6.2) is the goal, which 0.4% met.
DEFAULT_THRESHOLD = 9.0
#: ``distance`` method: stop when the root-mean-square of the targets' standardised errors, ``(model -
#: published) / observation SD``, falls to 1.96 for the accepted particles: on average every target inside its
#: tolerance. The distance is the square root of the sum of squares, so the threshold is 1.96 x sqrt(targets).
MIN_Z_RMS = 1.96
#: The space pyabc samples in (part of a run's identity, :meth:`EnsembleConfig.hash`). Every free parameter
#: is sampled as ``z = logit(F(x))``, ``F`` its prior's CDF, so every prior becomes the standard logistic and
#: every proposal of the perturbation kernel is a valid parameter (in the parameters' own space, most
#: proposals of a 42-dimensional kernel fall outside some bound and are drawn again). The map is one to one
#: and the prior is carried exactly (the probability integral transform), so the posterior is the same.
SAMPLER_SPACE = "logit of the prior CDF"
_EDGE = 1e-12  # F(x) is kept inside (EDGE, 1 - EDGE): a finite logit at the bounds
#: A target whose measure is undefined (NaN: no one in a cohort) is given this many SDs of error.
MISSING_Z = 50.0


def observation_sd(target_id: str) -> float:
    """SD of a target's observation error: its tolerance read as a 95% interval, ``(hi - lo) / 2 / 1.96``."""
    t = TARGET_BY_ID[target_id]
    return (t.hi - t.lo) / 2.0 / 1.96


def observed() -> dict[str, float]:
    """The published value of every target (a band: its centre), as pyabc's observed summary statistics."""
    return {t.id: float((t.lo + t.hi) / 2 if t.band else t.published) for t in TARGETS}


@dataclass
class EnsembleConfig:
    """How an ensemble calibration runs (everything that decides its result; ``workers`` does not).

    Attributes
    ----------
    population : int
        Accepted parameter sets per generation, at least 2 (``rejection``: the ensemble holds every
        generation's, ``population x generations``; the other methods: the last generation's).
    generations : int
        Most generations (``exact``: the temperature schedule reaches 1 by the last).
    threshold : float or None
        ``rejection`` only: the fixed distance threshold (default :data:`DEFAULT_THRESHOLD`).
    networks : int
        Networks per replicate panel (default :data:`pcnsim.calibration.PANEL_NETWORKS`).
    seed : int
        Seed of pyabc's sampling and of the economics draws.
    fixed : tuple of str
        Parameters with a prior that stay at their defaults.
    method : str
        ``rejection`` (default): rejection ABC from the prior at ``threshold``, in generations of
        ``population`` sets; ``distance``: ABC-SMC on the distance of the targets scaled by their observation SDs, the
        threshold falling generation by generation (median of the last) down to :func:`min_distance`;
        ``exact``: the stochastic acceptor, which samples the exact posterior under the observation error at
        temperature 1 but needs many more simulations.
    """

    population: int = 200
    generations: int = 8
    networks: int = PANEL_NETWORKS
    seed: int = 1
    fixed: tuple[str, ...] = ()
    method: str = "rejection"
    threshold: float | None = None

    def __post_init__(self) -> None:
        self.fixed = tuple(sorted(self.fixed))
        if self.method not in METHODS:
            raise PCNSimInputError(f"method {self.method!r} is not allowed: expected one of {', '.join(METHODS)}",
                                   field="method")
        if self.method != "rejection":
            if self.threshold is not None:
                raise PCNSimInputError("threshold belongs to the rejection method", field="threshold")
        else:
            t = DEFAULT_THRESHOLD if self.threshold is None else self.threshold
            if isinstance(t, bool) or not isinstance(t, int | float) or not np.isfinite(t) or t <= 0:
                raise PCNSimInputError(f"threshold = {t!r} is not allowed: expected a positive number (a distance in "
                                       "observation SDs)", field="threshold")
            self.threshold = float(t)
        for f in self.fixed:
            if f not in PRIORS:
                raise PCNSimInputError(f"fixed parameter {f!r} has no prior; parameters with a prior: "
                                       f"{', '.join(PRIORS)}", field="fixed")
        for name, lo, hi in (("population", 2, 100_000), ("generations", 1, 100), ("networks", 1, 1000),
                             ("seed", 0, 2**32 - 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise PCNSimInputError(f"{name} = {v!r} is not allowed: expected a whole number from {lo} to {hi}",
                                       field=name)

    @property
    def free(self) -> tuple[str, ...]:
        """The parameters ABC samples: every prior not fixed and not an economics prior."""
        return tuple(n for n in PRIORS if n not in self.fixed and n not in ECONOMIC_PRIORS)

    def hash(self) -> str:
        """Identity of the run: the configuration (but for ``generations``, which a resumed run may raise),
        the priors and the targets (a resumed run must match)."""
        d = {"config": {k: v for k, v in asdict(self).items() if k != "generations"}, "space": SAMPLER_SPACE,
             "priors": {n: PRIORS[n].model_dump() for n in self.free},
             "targets": [(t.id, t.published, t.lo, t.hi) for t in TARGETS]}
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def particle_seed(values: dict[str, float]) -> int:
    """The seed of a particle's replicate, from its parameter values (reproducible in any process)."""
    text = json.dumps({k: float(v) for k, v in sorted(values.items())}, sort_keys=True)
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % (2**31)


class TargetModel:
    """pyabc's model: parameter values -> the targets of one replicate (picklable; NaN as far off).

    ``parent``: the pid of the calibrating process when the model runs in its forked workers (the local
    pool); a worker whose parent has gone (the calibration was killed) exits instead of sampling on.
    """

    def __init__(self, networks: int, parent: int | None = None) -> None:
        self.networks = int(networks)
        self.parent = parent

    def __call__(self, pars: dict[str, float]) -> dict[str, float]:
        """One replicate at ``pars``: ``{target id: measure}``."""
        import warnings

        if self.parent is not None and os.getpid() != self.parent and os.getppid() != self.parent:
            os._exit(1)  # orphaned: the calibration was killed; it resumes from its database

        from pcnsim.calibration.measure import simulate

        warnings.filterwarnings("ignore", category=FutureWarning)
        values = {k: float(from_sampler(k, v)) for k, v in pars.items()}
        out = simulate(values, particle_seed(values), self.networks)
        obs = observed()
        return {i: float(out[i]) if np.isfinite(out[i]) else obs[i] + MISSING_Z * observation_sd(i)
                for i in TARGET_IDS}


def to_sampler(name: str, x: Any) -> Any:
    """A parameter's value in the sampler's space, ``logit(F(x))`` (:data:`SAMPLER_SPACE`)."""
    from scipy.special import logit

    return logit(np.clip(PRIORS[name].dist().cdf(x), _EDGE, 1.0 - _EDGE))


def from_sampler(name: str, z: Any) -> Any:
    """A value of the sampler's space back in the parameter's own, ``F^-1(1 / (1 + exp(-z)))``."""
    from scipy.special import expit

    pr = PRIORS[name]
    return np.clip(pr.dist().ppf(np.clip(expit(z), _EDGE, 1.0 - _EDGE)), pr.lo, pr.hi)


def pyabc_prior(names: Sequence[str]) -> Any:
    """The priors of ``names`` in the sampler's space (:data:`SAMPLER_SPACE`): independent standard logistic
    distributions, as a ``pyabc.Distribution``. :func:`from_sampler` maps a draw to the parameters' priors."""
    import pyabc

    return pyabc.Distribution(**{n: pyabc.RV("logistic", 0.0, 1.0) for n in names})


def _sampler(workers: int, scheduler: str | None, progress: bool) -> tuple[Any, Any]:
    import pyabc

    closer = None
    if scheduler is not None:
        from pcnsim.sweep.executors import DaskExecutor

        ex = DaskExecutor(scheduler)
        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=ex.client, batch_size=1)
        closer = ex
    elif workers <= 1:
        sampler = pyabc.sampler.SingleCoreSampler()
    else:
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    sampler.show_progress = progress
    return sampler, closer


def calibrate_ensemble(out: str | Path, config: EnsembleConfig | None = None, *, workers: int = 2,
                       scheduler: str | None = None, progress: bool = True) -> EnsembleResult:
    """Run (or resume) ABC into the folder ``out``; return the ensemble (``rejection``: every generation's sets;
    otherwise the last generation).

    ``out`` keeps pyabc's database (:data:`DB_FILE`) and the run's configuration (:data:`RUN_FILE`); a
    folder holding a different run is refused (:class:`PCNSimInputError`, naming ``--out``). See the module
    docstring for the method.
    """
    import pyabc

    from pcnsim.output import MARKER, check_out

    config = config or EnsembleConfig()
    out = check_out(out, resume=True)
    run_file = out / RUN_FILE
    previous = json.loads(run_file.read_text()) if run_file.exists() else None
    if previous is not None and previous.get("hash") != config.hash():
        raise PCNSimInputError(f"--out {out} holds another ensemble calibration (configuration {previous.get('hash')}; "
                               f"this one {config.hash()}): choose another --out, or rerun it with its own settings "
                               f"({previous.get('config')})", field="--out")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).touch()
    logging.getLogger("ABC").setLevel(logging.INFO if progress else logging.WARNING)
    for name in ("ABC.Sampler", "ABC.History", "ABC.Population", "ABC.Adaptation", "ABC.Distance",
                 "ABC.Acceptor", "ABC.Epsilon"):
        logging.getLogger(name).setLevel(logging.WARNING)
    np.random.seed(config.seed)  # noqa: NPY002 - pyabc samples with NumPy's global generator
    free = config.free
    sampler, closer = _sampler(workers, scheduler, progress)
    try:
        local_pool = scheduler is None and workers > 1
        model = TargetModel(config.networks, os.getpid() if local_pool else None)
        if config.method == "exact":
            kernel = pyabc.IndependentNormalKernel(var=np.array([observation_sd(i) ** 2 for i in TARGET_IDS]),
                                                   keys=list(TARGET_IDS))
            abc = pyabc.ABCSMC(model, pyabc_prior(free), distance_function=kernel, population_size=config.population,
                               eps=pyabc.Temperature(), acceptor=pyabc.StochasticAcceptor(), sampler=sampler)
        elif config.method == "rejection":
            from pcnsim.calibration.prior_transition import PriorTransition

            dist = pyabc.PNormDistance(p=2, fixed_weights={i: 1.0 / observation_sd(i) for i in TARGET_IDS})
            abc = pyabc.ABCSMC(model, pyabc_prior(free), distance_function=dist, population_size=config.population,
                               eps=pyabc.ListEpsilon([config.threshold] * 100), transitions=PriorTransition(),
                               sampler=sampler)
        else:
            dist = pyabc.PNormDistance(p=2, fixed_weights={i: 1.0 / observation_sd(i) for i in TARGET_IDS})
            abc = pyabc.ABCSMC(model, pyabc_prior(free), distance_function=dist, population_size=config.population,
                               eps=pyabc.QuantileEpsilon(alpha=0.5), sampler=sampler)
        db = f"sqlite:///{(out / DB_FILE).resolve()}"
        if previous is not None and (out / DB_FILE).exists():
            history = abc.load(db, previous["abc_id"])
            done = history.max_t + 1
        else:
            (out / DB_FILE).unlink(missing_ok=True)
            history = abc.new(db, observed())
            done = 0
            run_file.write_text(json.dumps({"hash": config.hash(), "abc_id": history.id, "config": asdict(config)},
                                           indent=2) + "\n")
        # the temperature scheme ends at 1, the distance method at min_distance(): then no generation is needed
        floor = 1.0 if config.method == "exact" else min_distance()
        finished = config.method != "rejection" and done > 0 and _last_epsilon(history) <= floor + 1e-9
        if done < config.generations and not finished:
            history = abc.run(max_nr_populations=config.generations - done,
                              **({} if config.method == "exact" else {"minimum_epsilon": floor}))
    finally:
        if closer is not None:
            closer.close()
    return _result(history, config, workers=workers, scheduler=scheduler)


def min_distance() -> float:
    """The distance method's final threshold: :data:`MIN_Z_RMS` x sqrt(number of targets)."""
    return MIN_Z_RMS * float(np.sqrt(len(TARGET_IDS)))


def _last_epsilon(history: Any) -> float:
    pops = history.get_all_populations()
    return float(pops["epsilon"].iloc[-1])


def _ess(w: Any) -> float:
    """Effective sample size of importance weights ``w``, ``1 / sum(w_i^2)`` with ``w`` normalised (Kish)."""
    w = np.asarray(w, dtype=float)
    w = w / w.sum()
    return float(1.0 / np.square(w).sum())


def _result(history: Any, config: EnsembleConfig, **how: Any) -> EnsembleResult:
    from pcnsim import __version__

    # rejection: every generation is a sample of the same posterior (equal weights); else the last generation
    ts = range(history.max_t + 1) if config.method == "rejection" else [history.max_t]
    pop = pd.concat([history.get_population_extended(t=t) for t in ts], ignore_index=True)
    ens = pd.DataFrame({n: from_sampler(n, pop[f"par_{n}"].to_numpy(dtype=float)) for n in config.free})
    w = np.ones(len(pop)) if config.method == "rejection" else pop["w"].to_numpy(dtype=float)
    ens["weight"] = w / w.sum()
    ens["distance"] = pop["distance"].to_numpy(dtype=float)
    for i in TARGET_IDS:
        ens[f"sim_{i}"] = pop[f"sumstat_{i}"].to_numpy(dtype=float)
    rng = np.random.default_rng([config.seed, 18])
    for n in ECONOMIC_PRIORS:
        if n not in config.fixed:
            ens[n] = PRIORS[n].dist().rvs(size=len(ens), random_state=rng)
    for n in config.fixed:
        ens[n] = float(Params.model_fields[n].default)
    ens.insert(0, "particle", np.arange(len(ens)))
    gens = history.get_all_populations()
    gens = gens[gens["t"] >= 0].reset_index(drop=True)
    gens["acceptance"] = gens["particles"] / gens["samples"]
    gens["ess"] = [_ess(history.get_distribution(t=int(g))[1]) for g in gens["t"]]
    prov = {
        "pcnsim_version": __version__, "git_commit": git_commit(), "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "method": (f"rejection ABC (pyabc {_pyabc_version()}): prior draws within a distance of {config.threshold:.3g} "
                   f"observation SDs, {history.max_t + 1} generations of {config.population}"
                   if config.method == "rejection" else
                   f"ABC-SMC (pyabc {_pyabc_version()}): stochastic acceptor, temperature schedule, independent normal kernel"
                   if config.method == "exact" else f"ABC-SMC (pyabc {_pyabc_version()}): distance of the targets in "
                   f"observation SDs, median threshold schedule down to {min_distance():.3g}"),
        "final_distance_threshold": float(gens["epsilon"].iloc[-1]) if len(gens) else float("nan"),
        "config": asdict(config), "config_hash": config.hash(), "free": list(config.free),
        "sampler_space": SAMPLER_SPACE,
        "targets": [{"id": x.id, "published": x.published, "lo": x.lo, "hi": x.hi, "observation_sd": observation_sd(x.id)}
                    for x in TARGETS],
        "priors": prior_table().to_dict("records"), "generations": int(len(gens)),
        "simulations": int(gens["samples"].sum()) if len(gens) else 0,
        "how": {k: v for k, v in how.items() if v is not None},
    }
    return EnsembleResult(ensemble=ens, generations=gens, provenance=prov)


def _pyabc_version() -> str:
    import pyabc

    return pyabc.__version__


