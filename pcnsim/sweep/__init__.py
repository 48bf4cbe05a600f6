"""Parameter sweeps: a spec, a design, an executor and a result store that loses nothing.

The package's parts: :mod:`~pcnsim.sweep.schema` (the spec file's schema), :mod:`~pcnsim.sweep.spec`
(:class:`SweepSpec`: parameters, identity, design), :mod:`~pcnsim.sweep.runs` (a batch of runs on a
worker), :mod:`~pcnsim.sweep.executors` (local pool, Dask), :mod:`~pcnsim.sweep.store` (the result folder)
and :mod:`~pcnsim.sweep.run` (:func:`run_sweep`).

A sweep spec (TOML) names the base scenario, the parameters and their ranges, the design, the
replicates per design point and the outcomes to keep::

    name = "retention-morris"
    scenario = "default"           # "default" (built in) or a scenario file, relative to this spec
    weeks = 260                    # optional: run length (default: the scenario's)
    seed = 1                       # replicate r of every point runs with seed + r (common random numbers)
    replicates = 2
    outcomes = ["arrs_retention_12m", "arrs_annual_leaver_rate"]   # default: DEFAULT_OUTCOMES

    [design]
    kind = "morris"                # "grid", "lhs", "sobol" or "morris"
    samples = 10                   # lhs: points; sobol: base samples N (power of 2); morris: trajectories
    levels = 4                     # morris: levels of its grid; grid: points per range parameter
    # each kind takes only its own keys: grid levels; lhs samples, seed; sobol samples, second_order, seed;
    # morris samples, levels, seed

    [parameters]
    practices_per_staff = { min = 1, max = 5 }
    homophily = { min = 0.3, max = 0.9 }
    tie_decay = {}                            # the parameter's study range (pcnsim.params.study_range)
    has_base = { values = [false, true] }     # explicit values: grid designs only

Designs
    *grid*: every combination of the parameters' values (ranges give ``levels`` evenly spaced values);
    *lhs*: Latin hypercube of ``samples`` points (SALib); *sobol*: Saltelli/Sobol' sequence of ``samples``
    x (D + 2) points, or x (2D + 2) with ``second_order = true`` (SALib); *morris*: ``samples``
    trajectories of D + 1 points on a ``levels`` grid (SALib). Whole-number parameters are rounded to the
    nearest integer, flags (sampled on 0..1) are true from 0.5, dates (sampled as day ordinals) are rounded
    to the day; the unrounded design is kept for the analysis.

Runs and seeds
    Run ids are ``<spec hash>-p<point>-r<replicate>``, derived from the spec alone; replicate ``r`` of
    every point runs with seed ``seed + r``, so the same spec gives the same numbers on a laptop or a
    cluster, and points are compared under common random numbers.

Executors
    A local process pool (default; ``workers`` processes), or an existing Dask distributed cluster
    (``scheduler="tcp://host:port"``). Runs travel in batches; each finished batch is written at once.

Result store (``out`` folder)
    ``sweep.json`` (manifest: spec hash, design, parameter space, run count), ``spec.toml`` (the spec as
    given), ``scenario.toml`` (the resolved base scenario), ``design.parquet`` (one row per point), and
    ``runs/part-*.parquet``: one small Parquet file per finished batch, written to a hidden temporary
    file and renamed into place, so a file is either complete or absent. A rerun of the same spec reads
    the run ids already on disk and does only the missing runs: no duplicates, nothing lost. A lock file
    stops two sweeps writing to one folder at once.
"""

from pcnsim.sweep.executors import DaskExecutor, LocalExecutor, make_executor
from pcnsim.sweep.run import SweepReport, default_batch_size, run_sweep
from pcnsim.sweep.runs import RunTask, run_batch
from pcnsim.sweep.schema import DESIGNS, MAX_RUNS, SweepFile, sweep_schema
from pcnsim.sweep.spec import ParamSpec, SweepSpec
from pcnsim.sweep.store import (
    META_COLUMNS,
    RUN_COLUMNS,
    ResultStore,
    build_manifest,
    load_results,
    result_schema,
)

__all__ = [
    "DESIGNS", "MAX_RUNS", "META_COLUMNS", "RUN_COLUMNS", "DaskExecutor", "LocalExecutor", "ParamSpec",
    "ResultStore", "RunTask", "SweepFile", "SweepReport", "SweepSpec", "build_manifest", "default_batch_size",
    "load_results", "make_executor", "result_schema", "run_batch", "run_sweep", "sweep_schema",
]
