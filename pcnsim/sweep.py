"""Parameter sweeps: a spec, a design, an executor and a result store that loses nothing.

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

    [parameters]
    practices_per_staff = { min = 1, max = 5 }
    homophily = { min = 0.3, max = 0.9 }
    has_base = { values = [false, true] }     # explicit values: grid designs only

Designs
    *grid*: every combination of the parameters' values (ranges give ``levels`` evenly spaced values);
    *lhs*: Latin hypercube of ``samples`` points (SALib); *sobol*: Saltelli/Sobol' sequence of ``samples``
    x (D + 2) points, or x (2D + 2) with ``second_order = true`` (SALib); *morris*: ``samples``
    trajectories of D + 1 points on a ``levels`` grid (SALib). Whole-number parameters are rounded to the
    nearest integer; the unrounded design is kept for the analysis.

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

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import os
import re
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pcnsim.errors import PCNSimInputError

DESIGNS = ("grid", "lhs", "sobol", "morris")
SPEC_KEYS = ("name", "description", "scenario", "weeks", "seed", "replicates", "outcomes", "batch_size",
             "design", "parameters")
DESIGN_KEYS = ("kind", "samples", "levels", "second_order", "seed")
PARAM_KEYS = ("min", "max", "values")
RUN_COLUMNS = ("run_id", "sweep", "point", "replicate", "seed")
META_COLUMNS = ("scenario_hash", "pcnsim_version", "elapsed_s")
MAX_RUNS = 10_000_000


# ---------------------------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class ParamSpec:
    """One swept parameter: a closed range ``[lo, hi]`` or explicit ``values`` (grid only)."""

    name: str
    lo: float | None = None
    hi: float | None = None
    values: tuple[Any, ...] | None = None
    integer: bool = False

    def to_dict(self) -> dict[str, Any]:
        if self.values is not None:
            return {"values": [v.isoformat() if isinstance(v, dt.date) else v for v in self.values]}
        return {"min": self.lo, "max": self.hi}


@dataclass
class SweepSpec:
    """A validated sweep spec (see the module docstring for the file format)."""

    name: str
    scenario: Any  # pcnsim.scenario.Scenario, with the sweep's weeks applied
    params: list[ParamSpec]
    design: str = "grid"
    samples: int | None = None
    levels: int = 3
    second_order: bool = False
    design_seed: int = 1
    seed: int = 1
    replicates: int = 1
    outcomes: tuple[str, ...] = ()
    batch_size: int | None = None
    description: str = ""
    scenario_ref: str = "default"
    source: str = "<dict>"
    text: str = ""
    _design: Any = field(default=None, repr=False, compare=False)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> SweepSpec:
        path = Path(path)
        if not path.exists():
            raise PCNSimInputError(f"sweep spec not found: {path}", field="spec")
        if path.is_dir():
            raise PCNSimInputError(f"sweep spec is a directory, not a TOML file: {path}", field="spec")
        try:
            text = path.read_text(encoding="utf-8")
            d = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise PCNSimInputError(f"{path}: not valid TOML: {e}", field="spec") from None
        except UnicodeDecodeError:
            raise PCNSimInputError(f"{path}: not a text (UTF-8) TOML file", field="spec") from None
        return cls.from_dict(d, source=str(path), base_dir=path.parent, text=text)

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, source: str = "<dict>", base_dir: str | Path = ".",
                  text: str = "") -> SweepSpec:
        from pcnsim.evaluate import DEFAULT_OUTCOMES, check_outcomes
        from pcnsim.scenario import Scenario, load

        w = source
        unknown = [k for k in d if k not in SPEC_KEYS]
        if unknown:
            raise PCNSimInputError(f"{w}: unknown key {unknown[0]!r}; allowed keys: {', '.join(SPEC_KEYS)}",
                                   field=unknown[0])
        name = d.get("name")
        if not isinstance(name, str) or not name.strip():
            raise PCNSimInputError(f"{w}: 'name' is required and must be a non-empty string", field="name")
        ref = d.get("scenario", "default")
        if not isinstance(ref, str) or not ref.strip():
            raise PCNSimInputError(f"{w}: 'scenario' = {ref!r} is not allowed: expected \"default\" or a scenario "
                                   "file path (relative to the spec)", field="scenario")
        if ref == "default":
            scenario = Scenario.default()
        else:
            p = Path(ref) if Path(ref).is_absolute() else Path(base_dir) / ref
            try:
                scenario = load(p)
            except PCNSimInputError as e:
                raise PCNSimInputError(f"{w}: scenario: {e}", field="scenario") from None
        weeks = d.get("weeks", scenario.weeks)
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 2600:
            raise PCNSimInputError(f"{w}: 'weeks' = {weeks!r} is not allowed: expected a whole number from 1 to 2600",
                                   field="weeks")
        scenario = scenario.with_changes(weeks=weeks)
        seed = _whole(d.get("seed", 1), "seed", w, 0, 2**62)
        replicates = _whole(d.get("replicates", 1), "replicates", w, 1, 100_000)
        outcomes = d.get("outcomes", list(DEFAULT_OUTCOMES))
        if not isinstance(outcomes, list) or not outcomes or not all(isinstance(o, str) for o in outcomes):
            raise PCNSimInputError(f"{w}: 'outcomes' must be a non-empty list of outcome names", field="outcomes")
        outcomes = check_outcomes(outcomes, where=w)
        batch = d.get("batch_size")
        if batch is not None:
            batch = _whole(batch, "batch_size", w, 1, 100_000)

        design = d.get("design", {"kind": "grid"})
        if not isinstance(design, dict):
            raise PCNSimInputError(f"{w}: [design] must be a table", field="design")
        bad = [k for k in design if k not in DESIGN_KEYS]
        if bad:
            raise PCNSimInputError(f"{w}: [design] has no key {bad[0]!r}; allowed keys: {', '.join(DESIGN_KEYS)}",
                                   field=f"design.{bad[0]}")
        kind = design.get("kind", "grid")
        if kind not in DESIGNS:
            raise PCNSimInputError(f"{w}: design.kind = {kind!r} is not allowed; allowed designs: {', '.join(DESIGNS)}",
                                   field="design.kind")
        samples = design.get("samples")
        if kind in ("lhs", "sobol", "morris"):
            if samples is None:
                raise PCNSimInputError(f"{w}: design.samples is required for design {kind!r} "
                                       "(lhs: points; sobol: base samples, a power of 2; morris: trajectories)",
                                       field="design.samples")
            samples = _whole(samples, "design.samples", w, 2 if kind != "lhs" else 1, 10_000_000)
            if kind == "sobol" and samples & (samples - 1):
                raise PCNSimInputError(f"{w}: design.samples = {samples} is not allowed for design 'sobol': expected a "
                                       "power of 2 (e.g. 64, 128, 256)", field="design.samples")
        elif samples is not None:
            raise PCNSimInputError(f"{w}: design.samples is not used by design 'grid' (use levels, or values per "
                                   "parameter)", field="design.samples")
        levels = _whole(design.get("levels", 4 if kind == "morris" else 3), "design.levels", w, 2, 1000)
        second = design.get("second_order", False)
        if not isinstance(second, bool):
            raise PCNSimInputError(f"{w}: design.second_order = {second!r} is not allowed: expected true or false",
                                   field="design.second_order")
        if second and kind != "sobol":
            raise PCNSimInputError(f"{w}: design.second_order applies to design 'sobol' only", field="design.second_order")
        dseed = _whole(design.get("seed", seed), "design.seed", w, 0, 2**32 - 1)

        params = _param_specs(d.get("parameters", {}), kind, scenario, w)
        spec = cls(name=name, scenario=scenario, params=params, design=kind, samples=samples, levels=levels,
                   second_order=second, design_seed=dseed, seed=seed, replicates=replicates, outcomes=outcomes,
                   batch_size=batch, description=str(d.get("description", "")), scenario_ref=ref, source=source,
                   text=text)
        n = spec.n_points * replicates
        if n > MAX_RUNS:
            raise PCNSimInputError(f"{w}: the sweep has {n:,} runs; at most {MAX_RUNS:,} are allowed in one sweep "
                                   "(lower design.samples, levels or replicates)", field="design.samples")
        spec.design_frame()  # build (and so check) the design now, before any output exists
        return spec

    # -- identity -------------------------------------------------------------------------------
    def canonical(self) -> dict[str, Any]:
        """Everything that determines the runs and their numbers (not the batch size or description)."""
        return {"scenario_hash": self.scenario.hash(), "weeks": self.scenario.weeks, "seed": self.seed,
                "replicates": self.replicates, "outcomes": list(self.outcomes),
                "design": {"kind": self.design, "samples": self.samples, "levels": self.levels,
                           "second_order": self.second_order, "seed": self.design_seed},
                "parameters": {p.name: p.to_dict() for p in self.params}}

    def hash(self) -> str:
        """A short stable hash of :meth:`canonical` (part of every run id)."""
        blob = json.dumps(self.canonical(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    @property
    def weeks(self) -> int:
        return int(self.scenario.weeks)

    @property
    def range_params(self) -> list[ParamSpec]:
        return [p for p in self.params if p.values is None]

    def problem(self) -> dict[str, Any]:
        """The SALib problem of the range parameters (names and bounds)."""
        rp = self.range_params
        return {"num_vars": len(rp), "names": [p.name for p in rp], "bounds": [[p.lo, p.hi] for p in rp]}

    @property
    def n_points(self) -> int:
        D = len(self.range_params)
        if self.design == "grid":
            return math.prod(len(a) for a in self._grid_axes())
        if self.design == "lhs":
            return int(self.samples)
        if self.design == "sobol":
            return int(self.samples) * (2 * D + 2 if self.second_order else D + 2)
        return int(self.samples) * (D + 1)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    # -- design ---------------------------------------------------------------------------------
    def _grid_axes(self) -> list[list[Any]]:
        """Values of each parameter on the grid: its values, or ``levels`` evenly spaced over its range
        (whole-number parameters: the distinct rounded values)."""
        axes = []
        for p in self.params:
            if p.values is not None:
                axes.append(list(p.values))
            else:
                v = np.linspace(p.lo, p.hi, self.levels)
                axes.append([float(x) for x in (np.unique(np.rint(v)) if p.integer else v)])
        return axes

    def design_frame(self) -> Any:
        """One row per design point: ``point``, the parameter values as run, and ``x_<name>``, the raw
        (unrounded) design values of range parameters (SALib's X, for the analysis)."""
        import pandas as pd

        if self._design is not None:
            return self._design
        names = [p.name for p in self.params]
        if self.design == "grid":
            axes = self._grid_axes()
            rows = list(itertools.product(*axes)) if axes else [()]
            raw = pd.DataFrame(rows, columns=names)
        else:
            import warnings

            problem = self.problem()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if self.design == "lhs":
                    from SALib.sample import latin

                    X = latin.sample(problem, self.samples, seed=self.design_seed)
                elif self.design == "sobol":
                    from SALib.sample import sobol

                    X = sobol.sample(problem, self.samples, calc_second_order=self.second_order,
                                     seed=self.design_seed)
                else:
                    from SALib.sample import morris

                    X = morris.sample(problem, self.samples, num_levels=self.levels, seed=self.design_seed)
            raw = pd.DataFrame(X, columns=problem["names"])
        df = pd.DataFrame({"point": np.arange(len(raw), dtype=np.int64)})
        for p in self.params:
            col = raw[p.name]
            if p.values is None:
                df[f"x_{p.name}"] = col.astype(float).to_numpy()
                v = col.astype(float).to_numpy()
                df[p.name] = np.rint(v).astype(np.int64) if p.integer else v
            else:
                df[p.name] = list(col)
        self._design = df
        return df

    def point_overrides(self) -> list[dict[str, Any]]:
        """Parameter overrides of each design point (Python scalars)."""
        from pcnsim.evaluate import coerce

        df = self.design_frame()
        names = [p.name for p in self.params]
        return [{n: coerce(n, v) for n, v in zip(names, row, strict=True)}
                for row in df[names].itertuples(index=False, name=None)] if names else [{} for _ in range(len(df))]

    def run_id(self, point: int, replicate: int) -> str:
        return f"{self.hash()}-p{point:07d}-r{replicate:04d}"

    def tasks(self) -> list[RunTask]:
        """Every run of the sweep, point by point, in a fixed order."""
        h = self.hash()
        return [RunTask(f"{h}-p{i:07d}-r{r:04d}", i, r, self.seed + r, ov)
                for i, ov in enumerate(self.point_overrides()) for r in range(self.replicates)]

    def payload(self) -> dict[str, Any]:
        """What a worker needs besides the runs: the base scenario as plain data, weeks, outcomes."""
        return {"scenario": self.scenario.to_dict(resolved=False), "source": self.scenario.source,
                "weeks": self.weeks, "outcomes": list(self.outcomes), "sweep": self.hash()}


def _whole(v: Any, name: str, where: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise PCNSimInputError(f"{where}: {name!r} = {v!r} is not allowed: expected a whole number from {lo} to {hi}",
                               field=name)
    return v


def _param_specs(table: Any, kind: str, scenario: Any, w: str) -> list[ParamSpec]:
    from pcnsim.params import Params, check_keys, numeric_space

    if not isinstance(table, dict):
        raise PCNSimInputError(f"{w}: [parameters] must be a table of parameter = {{ min = .., max = .. }}",
                               field="parameters")
    check_keys(table, where=f"{w} [parameters]")
    space = numeric_space()
    base = scenario.resolved_params()
    out = []
    for name, entry in table.items():
        f = f"parameters.{name}"
        if isinstance(entry, list):
            entry = {"values": entry}
        if not isinstance(entry, dict):
            raise PCNSimInputError(f"{w}: {f} = {entry!r} is not allowed: expected {{ min = .., max = .. }} or "
                                   "{ values = [..] }", field=f)
        bad = [k for k in entry if k not in PARAM_KEYS]
        if bad:
            raise PCNSimInputError(f"{w}: {f} has no key {bad[0]!r}; allowed keys: min and max, or values",
                                   field=f"{f}.{bad[0]}")
        integer = Params.model_fields[name].annotation is int
        if "values" in entry:
            if "min" in entry or "max" in entry:
                raise PCNSimInputError(f"{w}: {f}: give either min and max, or values, not both", field=f)
            if kind != "grid":
                raise PCNSimInputError(f"{w}: {f}.values is allowed with design 'grid' only; design {kind!r} "
                                       "needs a range { min = .., max = .. }", field=f"{f}.values")
            vals = entry["values"]
            if not isinstance(vals, list) or not vals:
                raise PCNSimInputError(f"{w}: {f}.values must be a non-empty list", field=f"{f}.values")
            from pcnsim.evaluate import coerce

            for i, v in enumerate(vals):
                try:
                    Params.from_dict({name: coerce(name, v)}, base=base)
                except PCNSimInputError as e:
                    raise PCNSimInputError(f"{w}: {f}.values[{i}]: {e}", field=f"{f}.values") from None
            if len(set(map(repr, vals))) != len(vals):
                raise PCNSimInputError(f"{w}: {f}.values lists a value twice", field=f"{f}.values")
            out.append(ParamSpec(name, values=tuple(vals), integer=integer))
            continue
        if name not in space:
            raise PCNSimInputError(f"{w}: {f}: parameter {name!r} is not numeric, so it has no range; give "
                                   "values = [..] with design 'grid'", field=f)
        lo_ok, hi_ok = space[name]
        for k in ("min", "max"):
            if k not in entry:
                raise PCNSimInputError(f"{w}: {f}.{k} is required (a range needs min and max)", field=f"{f}.{k}")
            v = entry[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo_ok <= v <= hi_ok:
                raise PCNSimInputError(f"{w}: {f}.{k} = {v!r} is not allowed: expected a number from {lo_ok:g} to "
                                       f"{hi_ok:g} (the parameter's bounds)", field=f"{f}.{k}")
        lo, hi = float(entry["min"]), float(entry["max"])
        if not lo < hi:
            raise PCNSimInputError(f"{w}: {f}: min = {lo:g} must be below max = {hi:g}", field=f"{f}.min")
        out.append(ParamSpec(name, lo=lo, hi=hi, integer=integer))
    if kind != "grid" and not out:
        raise PCNSimInputError(f"{w}: design {kind!r} needs at least one parameter with a range in [parameters]",
                               field="parameters")
    return out


# ---------------------------------------------------------------------------------------------- runs
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


# ---------------------------------------------------------------------------------------------- executors
def _pool_init(parent: int) -> None:
    """Pool process set-up: quiet warnings; exit if the sweep process dies (e.g. SIGKILL)."""
    import signal
    import threading
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the sweep process, which cancels the pool

    ppid = os.getppid()  # the sweep process (fork) or its forkserver, which exits with it

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != ppid:
                os._exit(1)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - pid reused by someone else's process
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="pcnsim-parent-watch").start()


class LocalExecutor:
    """A pool of ``workers`` local processes (forkserver on POSIX, with pcnsim preloaded)."""

    def __init__(self, workers: int) -> None:
        self.workers = int(workers)
        self.kind = f"local pool ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def map_unordered(self, fn: Callable[..., Any], payload: Any, batches: Sequence[Any]) -> Iterator[Any]:
        import multiprocessing as mp
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            ctx.set_forkserver_preload(["pcnsim.sweep", "pcnsim.model", "pcnsim.scenario"])
        ex = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=_pool_init,
                                 initargs=(os.getpid(),))
        try:
            # keep a bounded number of batches in flight, so that memory does not grow with the sweep
            todo = iter(batches)
            running = set()
            for b in itertools.islice(todo, 2 * self.workers):
                running.add(ex.submit(fn, payload, b))
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    res = fut.result()
                    nxt = next(todo, None)
                    if nxt is not None:
                        running.add(ex.submit(fn, payload, nxt))
                    yield res
        except BaseException:
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        ex.shutdown(wait=True)

    def close(self) -> None:
        pass


_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/:]+(:\d{1,5})?$|^(tcp|tls)://\[[0-9a-fA-F:]+\](:\d{1,5})?$")


class DaskExecutor:
    """An existing Dask distributed cluster, reached through its scheduler address.

    Workers need pcnsim installed (the same version: every row records the version that computed it). A
    worker lost mid-sweep is handled by Dask: its batches are run again elsewhere.
    """

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        if not isinstance(address, str) or not _ADDRESS.match(address.strip()):
            raise PCNSimInputError(f"--scheduler {address!r} is not a scheduler address: expected tcp://HOST:PORT "
                                   "(e.g. tcp://127.0.0.1:8786)", field="--scheduler")
        import logging

        from distributed import Client

        for name in ("distributed", "distributed.client", "distributed.core", "distributed.comm"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client = Client(address.strip(), timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise PCNSimInputError(f"--scheduler {address}: cannot reach a Dask scheduler there within {timeout:g} s "
                                   f"({type(e).__name__}); start one with `dask scheduler` and workers with "
                                   f"`dask worker {address}`", field="--scheduler") from None
        self.address = address
        n = len(self.client.scheduler_info().get("workers", {}))
        self.workers = max(n, 1)
        self.kind = f"Dask cluster at {address} ({n} worker{'s' if n != 1 else ''} now)"

    def map_unordered(self, fn: Callable[..., Any], payload: Any, batches: Sequence[Any]) -> Iterator[Any]:
        from distributed import as_completed

        tag = uuid.uuid4().hex[:8]
        # the payload is a few kB: it travels with each task, so no worker holds anything another needs
        futs = [self.client.submit(fn, payload, b, key=f"pcnsim-batch-{tag}-{i}", pure=False)
                for i, b in enumerate(batches)]
        try:
            for fut in as_completed(futs, loop=self.client.loop):
                res = fut.result()
                fut.release()
                yield res
        finally:
            self.client.cancel(futs)

    def close(self) -> None:
        try:
            self.client.close(timeout=5)
        except Exception:  # noqa: BLE001 - closing a lost connection must not hide the real result
            pass


def make_executor(workers: int | None = None, scheduler: str | None = None) -> LocalExecutor | DaskExecutor:
    """The local pool (``workers``, default: CPUs) or a Dask cluster (``scheduler``)."""
    if scheduler:
        if workers is not None:
            raise PCNSimInputError("--workers sets the size of the local pool; with --scheduler the cluster's own "
                                   "workers run the sweep: give one or the other", field="--workers")
        return DaskExecutor(scheduler)
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise PCNSimInputError(f"--workers = {workers!r} is not allowed: expected a whole number >= 1", field="--workers")
    return LocalExecutor(workers)


# ---------------------------------------------------------------------------------------------- store
class ResultStore:
    """The sweep folder: manifest, design and one Parquet file per finished batch (see module docs)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self._lock_fd: int | None = None

    # -- opening --------------------------------------------------------------------------------
    @classmethod
    def open(cls, root: str | Path, spec: SweepSpec) -> ResultStore:
        """Create the folder for ``spec`` (all or nothing), or reopen it to resume the same spec."""
        from pcnsim.output import atomic_dir

        store = cls(root)
        root = store.root
        if root.exists() and not root.is_dir():
            raise PCNSimInputError(f"--out {root} exists and is not a folder", field="out")
        if root.is_dir() and not (root / "sweep.json").exists():
            if any(root.iterdir()):
                raise PCNSimInputError(f"--out {root} is a folder that holds no sweep (no sweep.json) and is not "
                                       "empty: choose another --out", field="out")
            root.rmdir()
        if not root.exists():
            with atomic_dir(root) as tmp:
                store._write_header(tmp, spec)
        manifest = store.manifest()
        if manifest.get("spec_hash") != spec.hash():
            raise PCNSimInputError(f"--out {root} holds a different sweep ({manifest.get('name')!r}, spec hash "
                                   f"{manifest.get('spec_hash')}; this spec: {spec.hash()}): choose another --out, "
                                   "or rerun that sweep's spec to resume it", field="out")
        store._lock()
        store.runs_dir.mkdir(exist_ok=True)
        for stale in store.runs_dir.glob(".tmp-*"):  # half-written files of a killed sweep
            stale.unlink(missing_ok=True)
        return store

    def _write_header(self, folder: Path, spec: SweepSpec) -> None:
        from pcnsim import __version__

        (folder / "runs").mkdir()
        (folder / "spec.toml").write_text(
            f"# Sweep spec as given ({spec.source}); a scenario path in it is relative to that file.\n"
            f"# The resolved base scenario is in scenario.toml beside this file.\n" + (spec.text or _spec_toml(spec)),
            encoding="utf-8")
        (folder / "scenario.toml").write_text(
            "# Base scenario of the sweep, every parameter resolved (swept parameters vary by run).\n"
            + spec.scenario.to_toml(resolved=True, version=__version__), encoding="utf-8")
        spec.design_frame().to_parquet(folder / "design.parquet", index=False)
        manifest = build_manifest(spec)
        (folder / "sweep.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            return
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise PCNSimInputError(f"--out {self.root}: another sweep is writing to this folder now; wait for it or "
                                   "choose another --out", field="out") from None
        self._lock_fd = fd

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def manifest(self) -> dict[str, Any]:
        try:
            return json.loads((self.root / "sweep.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise PCNSimInputError(f"{self.root}: not a sweep folder (sweep.json unreadable: {e})", field="out") from None

    # -- reading and writing --------------------------------------------------------------------
    def parts(self) -> list[Path]:
        return sorted(self.runs_dir.glob("part-*.parquet"))

    def done_ids(self) -> set[str]:
        """Run ids already on disk. A file that cannot be read is set aside and its runs are redone."""
        import pyarrow.parquet as pq

        done: set[str] = set()
        for f in self.parts():
            try:
                ids = pq.read_table(f, columns=["run_id"]).column("run_id").to_pylist()
            except Exception as e:  # noqa: BLE001 - any unreadable file: keep it aside, redo its runs
                aside = f.with_name(f".unreadable-{f.name}")
                f.rename(aside)
                print(f"pcnsim sweep: warning: {f} cannot be read ({e}); moved to {aside.name}, its runs will be redone",
                      file=sys.stderr)
                continue
            done.update(ids)
        return done

    def write_batch(self, rows: list[dict[str, Any]], schema: Any) -> Path:
        """Write one batch as a Parquet file: a hidden temporary file, flushed, then renamed into place."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols = {name: [r.get(name) for r in rows] for name in schema.names}
        table = pa.table(cols, schema=schema)
        first = rows[0]
        name = f"part-p{first['point']:07d}-r{first['replicate']:04d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = self.runs_dir / f".tmp-{name}"
        final = self.runs_dir / name
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        _fsync_dir(self.runs_dir)
        return final


def build_manifest(spec: SweepSpec) -> dict[str, Any]:
    """The contents of ``sweep.json``: what the analysis needs to know about the sweep."""
    from pcnsim import __version__

    return {
        "name": spec.name, "description": spec.description, "spec_hash": spec.hash(),
        "spec": spec.canonical(), "scenario": spec.scenario_ref, "scenario_name": spec.scenario.name,
        "design": spec.design, "problem": spec.problem(),
        "parameters": [p.name for p in spec.params],
        "integer_parameters": [p.name for p in spec.params if p.integer],
        "outcomes": list(spec.outcomes), "n_points": spec.n_points, "replicates": spec.replicates,
        "n_runs": spec.n_runs, "weeks": spec.weeks, "seed": spec.seed,
        "pcnsim_version": __version__, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - not supported on this file system
        pass
    finally:
        os.close(fd)


def _spec_toml(spec: SweepSpec) -> str:
    import tomli_w

    d = {"name": spec.name, "description": spec.description, "scenario": spec.scenario_ref, "weeks": spec.weeks,
         "seed": spec.seed, "replicates": spec.replicates, "outcomes": list(spec.outcomes),
         "design": {k: v for k, v in {"kind": spec.design, "samples": spec.samples, "levels": spec.levels,
                                      "second_order": spec.second_order, "seed": spec.design_seed}.items()
                    if v is not None},
         "parameters": {p.name: p.to_dict() for p in spec.params}}
    return tomli_w.dumps(d)


def result_schema(spec: SweepSpec) -> Any:
    """The Arrow schema of a result row: ids, seed, parameters (typed), provenance, outcomes."""
    import pyarrow as pa

    from pcnsim.params import Params

    types = {int: pa.int64(), float: pa.float64(), bool: pa.bool_(), dt.date: pa.date32()}
    fields = [pa.field("run_id", pa.string()), pa.field("sweep", pa.string()), pa.field("point", pa.int64()),
              pa.field("replicate", pa.int64()), pa.field("seed", pa.int64())]
    for p in spec.params:
        fields.append(pa.field(p.name, types.get(Params.model_fields[p.name].annotation, pa.string())))
    fields += [pa.field("scenario_hash", pa.string()), pa.field("pcnsim_version", pa.string())]
    fields += [pa.field(o, pa.float64()) for o in spec.outcomes]
    fields.append(pa.field("elapsed_s", pa.float64()))
    return pa.schema(fields)


def load_results(root: str | Path) -> Any:
    """All result rows of a sweep folder as a DataFrame, sorted by point and replicate.

    Raises :class:`PCNSimInputError` if the folder is not a sweep, and ``RuntimeError`` if a run id
    appears twice (which the store never writes).
    """
    import pandas as pd
    import pyarrow.parquet as pq

    store = ResultStore(root)
    if not (store.root / "sweep.json").exists():
        raise PCNSimInputError(f"{store.root} is not a sweep folder (no sweep.json); run `pcnsim sweep SPEC --out "
                               f"{store.root}` first", field="DIR")
    parts = store.parts()
    if not parts:
        return pd.DataFrame()
    df = pd.concat([pq.read_table(f).to_pandas() for f in parts], ignore_index=True)
    dup = df["run_id"].duplicated()
    if dup.any():
        raise RuntimeError(f"{store.root}: run id {df['run_id'][dup].iloc[0]!r} appears twice")
    return df.sort_values(["point", "replicate"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- the sweep
@dataclass
class SweepReport:
    """What a call of :func:`run_sweep` did."""

    out: Path
    total: int
    done_before: int
    done_now: int
    seconds: float
    executor: str

    @property
    def rate(self) -> float:
        return self.done_now / self.seconds if self.seconds > 0 else float("nan")


def default_batch_size(pending: int, workers: int) -> int:
    """Runs per batch: about 8 batches per worker, 1 to 32 runs each (a killed sweep loses at most the
    batches in flight; small files stay few)."""
    return max(1, min(32, math.ceil(pending / max(1, 8 * workers))))


def run_sweep(spec: SweepSpec | str | Path, out: str | Path | None = None, *, workers: int | None = None,
              scheduler: str | None = None, batch_size: int | None = None, progress: bool = True,
              executor: LocalExecutor | DaskExecutor | None = None) -> SweepReport:
    """Run (or resume) a sweep and stream its results to ``out``.

    Parameters
    ----------
    spec : SweepSpec or path
        The sweep spec (a TOML file is loaded and validated first: bad input raises before any output).
    out : path, optional
        Result folder (default ``results/sweeps/<spec name>``). Rerunning the same spec into the same
        folder resumes it: only runs not yet on disk are done.
    workers : int, optional
        Local pool size (default: the number of CPUs). Not with ``scheduler``.
    scheduler : str, optional
        Address of a Dask distributed scheduler, ``tcp://HOST:PORT``.
    batch_size : int, optional
        Runs per batch (per task and per Parquet file); default: the spec's, else :func:`default_batch_size`.
    progress : bool
        Show a progress bar with the time left (tqdm, on stderr).
    """
    from tqdm.auto import tqdm

    if not isinstance(spec, SweepSpec):
        spec = SweepSpec.load(spec)
    out = Path(out) if out is not None else Path("results") / "sweeps" / spec.name
    own = executor is None
    executor = executor or make_executor(workers, scheduler)  # connect before any output exists
    store = None
    try:
        store = ResultStore.open(out, spec)
        done = store.done_ids()
        tasks = spec.tasks()
        valid = {t.run_id for t in tasks}
        done &= valid
        pending = [t for t in tasks if t.run_id not in done]
        bs = batch_size or spec.batch_size or default_batch_size(len(pending), executor.workers)
        batches = [pending[i:i + bs] for i in range(0, len(pending), bs)]
        schema = result_schema(spec)
        payload = spec.payload()
        t0 = time.perf_counter()
        n_new = 0
        with tqdm(total=len(tasks), initial=len(done), unit="run", desc=f"sweep {spec.name}", disable=not progress,
                  dynamic_ncols=True, smoothing=0.05, file=sys.stderr) as bar:
            if pending:
                try:
                    for rows in executor.map_unordered(run_batch, payload, batches):
                        store.write_batch(rows, schema)
                        n_new += len(rows)
                        bar.update(len(rows))
                except Exception as e:
                    e.add_note(f"pcnsim sweep: {len(done) + n_new:,} of {len(tasks):,} runs are safely in {out}/runs; "
                               "fix the cause and rerun the same command to do the rest")
                    raise
        return SweepReport(out=out, total=len(tasks), done_before=len(done), done_now=n_new,
                           seconds=time.perf_counter() - t0, executor=executor.kind)
    finally:
        if store is not None:
            store.close()
        if own:
            executor.close()
