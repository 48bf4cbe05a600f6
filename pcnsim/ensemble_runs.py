"""Running scenarios over posterior draws x seeds: tasks, a batch runner, and a resumable store.

Common random numbers
    Run ``(arm, draw, seed)`` uses the parameter values of posterior draw ``draw`` and seed ``base + s``; the
    same draws and seeds are used in every arm, so an arm's difference from the baseline in one (draw, seed) is
    the intervention's effect under those parameters and that luck.
Batches
    A batch holds every arm of some (draw, seed) pairs: ``run_batch(payload, tasks)`` takes a list of
    (scenario, parameters, seed) tasks and returns one summary row per task. The runs of a batch are packed
    as the networks of one model (:mod:`pcnsim.pack`), each with its own parameters, seed and interventions;
    each row is what the run alone gives, bit for bit.
Store
    The sweep store (:class:`pcnsim.sweep.ResultStore`): one Parquet file per finished batch, written to a
    hidden temporary file and renamed, so a killed comparison resumes where it stopped; a manifest
    (:data:`MANIFEST`) holds the identity of the comparison (scenarios, draws, seeds, weeks) so that a
    different comparison is never mixed into the folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pcnsim.errors import PCNSimInputError
from pcnsim.sweep.store import ResultStore

MANIFEST = "ensemble_compare.json"  #: The manifest of an ensemble comparison folder.
DRAWS_FILE = "draws.parquet"  #: The posterior draws the comparison runs (one row per draw).
ID_COLUMNS = ("run_id", "arm", "scenario", "draw", "particle", "seed_index", "seed", "point", "replicate")
#: Outcomes of each run kept besides the economics (:func:`pcnsim.experiments.run_outcomes`).
RUN_OUTCOMES = ("leavers", "fte_years", "retention_12m", "leaver_rate", "intending_share", "appointments",
                "belonging")


@dataclass(frozen=True)
class EnsembleTask:
    """One run: arm (scenario index), posterior draw, seed index, seed and parameter overrides."""

    run_id: str
    arm: int
    draw: int
    particle: int
    seed_index: int
    seed: int
    overrides: dict[str, Any]


def run_batch(payload: dict[str, Any], tasks: Sequence[EnsembleTask]) -> list[dict[str, Any]]:
    """Run a batch of (scenario, parameters, seed) tasks; one row of summaries per task (any worker)."""
    import warnings

    from pcnsim.economics import run_economics
    from pcnsim.experiments import run_outcomes
    from pcnsim.pack import PackedRun, run_packed
    from pcnsim.scenario import Scenario

    warnings.filterwarnings("ignore", category=FutureWarning, module="mesa")
    t0 = time.perf_counter()
    scenarios = [Scenario.from_dict(d, source=s) for d, s in zip(payload["scenarios"], payload["sources"], strict=True)]
    weeks = int(payload["weeks"])
    runs = [PackedRun(scenarios[t.arm].with_changes(parameters={**scenarios[t.arm].parameters, **t.overrides},
                                                    weeks=weeks), int(t.seed)) for t in tasks]
    results = run_packed(runs, weeks, result=lambda run: (run_outcomes(run)[0], run_economics(run)))
    each = (time.perf_counter() - t0) / max(1, len(tasks))
    rows = []
    for t, (out, econ) in zip(tasks, results, strict=True):
        rows.append({"run_id": t.run_id, "arm": t.arm, "scenario": scenarios[t.arm].name, "draw": t.draw,
                     "particle": t.particle, "seed_index": t.seed_index, "seed": t.seed, "point": t.draw,
                     "replicate": t.seed_index, **{k: out[k] for k in RUN_OUTCOMES}, **econ, "elapsed_s": each})
    return rows


def result_columns(added: Sequence[str] = ()) -> list[str]:
    """The float columns of a run row, in order (outcomes, then economics, then the run time); per-role
    columns for the shipped ARRS roles and the ``added`` roles some scenario of the comparison adds (empty
    in the rows of an arm without them)."""
    from pcnsim.economics import COSTS
    from pcnsim.roles import ROLES

    arrs = [*(r.key for r in ROLES if r.arrs), *added]
    return [*RUN_OUTCOMES, *COSTS, "unspent", "fte_years_disc", "hires", "vacancy_fte_years",
            *(f"fte_years_disc_{k}" for k in arrs), *(f"leavers_{k}" for k in arrs), "elapsed_s"]


def added_roles(scenarios: Sequence[Any]) -> list[str]:
    """The roles the scenarios add to the shipped catalogue, in order of first appearance."""
    out: list[str] = []
    for sc in scenarios:
        out += [k for k in sc.role_arrays().added if k not in out]
    return out


def arrow_schema(added: Sequence[str] = ()) -> Any:
    """The Arrow schema of a run row (``added``: roles some scenario adds, :func:`added_roles`)."""
    import pyarrow as pa

    ints = {"arm", "draw", "particle", "seed_index", "seed", "point", "replicate"}
    fields = [pa.field(c, pa.int64() if c in ints else pa.string()) for c in ID_COLUMNS]
    return pa.schema(fields + [pa.field(c, pa.float64()) for c in result_columns(added)])


def comparison_hash(scenarios: Sequence[Any], draws: pd.DataFrame, seeds: Sequence[int], weeks: int) -> str:
    """Identity of a comparison: the scenarios (resolved), the draws' parameter values, the seeds, the weeks."""
    d = {"scenarios": [s.hash() for s in scenarios], "draws": draws.round(12).to_dict("list"),
         "seeds": [int(s) for s in seeds], "weeks": int(weeks)}
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def make_tasks(scenarios: Sequence[Any], draws: pd.DataFrame, seeds: Sequence[int], tag: str) -> list[EnsembleTask]:
    """Every run, (draw, seed) outer and arm inner, so that a batch holds whole (draw, seed) pairs."""
    params = [c for c in draws.columns if c not in ("draw", "particle")]
    tasks = []
    for row in draws.to_dict("records"):
        ov = {k: float(row[k]) for k in params}
        for si, seed in enumerate(seeds):
            for arm in range(len(scenarios)):
                tasks.append(EnsembleTask(f"{tag}-a{arm:02d}-d{int(row['draw']):05d}-s{si:03d}", arm, int(row["draw"]),
                                          int(row["particle"]), si, int(seed), ov))
    return tasks


class EnsembleStore(ResultStore):
    """The folder of an ensemble comparison: manifest, draws, scenarios and ``runs/part-*.parquet``."""

    @classmethod
    def open_for(cls, root: str | Path, manifest: dict[str, Any], draws: pd.DataFrame,
                 scenarios: Sequence[Any]) -> EnsembleStore:
        """Create the folder (all or nothing) or reopen it to resume the same comparison."""
        from pcnsim import __version__
        from pcnsim.output import atomic_dir, check_out, slug

        store = cls(root)
        check_out(store.root, resume=True)
        if store.root.is_dir() and not (store.root / MANIFEST).exists():
            if any(p.name != ".pcnsim-output" for p in store.root.iterdir()):
                raise PCNSimInputError(f"--out {store.root} holds no ensemble comparison ({MANIFEST}) and is not "
                                       "empty: choose another --out", field="--out")
        if not (store.root / MANIFEST).exists():
            with atomic_dir(store.root) as tmp:
                (tmp / "runs").mkdir()
                draws.to_parquet(tmp / DRAWS_FILE, index=False)
                (tmp / "scenarios").mkdir()
                for k, sc in enumerate(scenarios):
                    (tmp / "scenarios" / f"{k:02d}-{slug(sc.name)}.toml").write_text(
                        sc.to_toml(resolved=True, version=__version__), encoding="utf-8")
                (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        have = store.manifest()
        if have.get("hash") != manifest["hash"]:
            raise PCNSimInputError(f"--out {store.root} holds a different ensemble comparison (hash {have.get('hash')}; "
                                   f"this one {manifest['hash']}): choose another --out, or rerun that comparison's "
                                   "command to resume it", field="--out")
        store._lock()
        store.runs_dir.mkdir(exist_ok=True)
        for stale in store.runs_dir.glob(".tmp-*"):
            stale.unlink(missing_ok=True)
        return store

    def manifest(self) -> dict[str, Any]:
        """The folder's manifest (:data:`MANIFEST`)."""
        try:
            return json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise PCNSimInputError(f"{self.root}: not an ensemble comparison folder ({e})", field="--out") from None

    def load(self) -> pd.DataFrame:
        """Every run row on disk, sorted by draw, seed and arm."""
        import pyarrow.parquet as pq

        parts = self.parts()
        if not parts:
            return pd.DataFrame(columns=[*ID_COLUMNS, *result_columns(self.manifest().get("added_roles", ()))])
        df = pd.concat([pq.read_table(f).to_pandas() for f in parts], ignore_index=True)
        df = df.drop_duplicates("run_id")
        return df.sort_values(["draw", "seed_index", "arm"]).reset_index(drop=True)


def execute(scenarios: Sequence[Any], draws: pd.DataFrame, seeds: Sequence[int], weeks: int, out: str | Path, *,
            workers: int | None = 2, scheduler: str | None = None, batch_size: int | None = None,
            progress: bool = True, max_runs: int | None = None, meta: dict[str, Any] | None = None
            ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run (or resume) every (arm, draw, seed) into the store at ``out``; return the rows and the manifest.

    ``max_runs`` stops after about that many new runs (whole batches; for tests and for spreading a long
    comparison over several sittings): rerunning the same call does the rest.
    """
    from tqdm.auto import tqdm

    from pcnsim import __version__
    from pcnsim.sweep.executors import make_executor

    tag = comparison_hash(scenarios, draws, seeds, weeks)
    added = added_roles(scenarios)
    manifest = {"hash": tag, "scenarios": [s.name for s in scenarios], "scenario_hashes": [s.hash() for s in scenarios],
                "draws": int(len(draws)), "seeds": [int(s) for s in seeds], "weeks": int(weeks),
                "runs": len(scenarios) * len(draws) * len(seeds), "pcnsim_version": __version__,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **(meta or {})}
    if added:
        manifest["added_roles"] = added
    executor = make_executor(None if scheduler else workers, scheduler)
    store = None
    try:
        store = EnsembleStore.open_for(out, manifest, draws, scenarios)
        done = store.done_ids()
        tasks = make_tasks(scenarios, draws, seeds, tag)
        pending = [t for t in tasks if t.run_id not in done]
        per_pair = len(scenarios)
        # whole (draw, seed) pairs per batch, up to about 250 runs (one packed model: pcnsim.pack)
        pairs = max(1, min(max(1, 250 // per_pair), len(pending) // max(1, per_pair * 4 * executor.workers)))
        bs = batch_size or per_pair * pairs
        batches = [pending[i:i + bs] for i in range(0, len(pending), bs)]
        if max_runs is not None:
            batches = batches[: max(1, -(-max_runs // bs))]
        payload = {"scenarios": [s.to_dict(resolved=False) for s in scenarios], "sources": [s.source for s in scenarios],
                   "weeks": int(weeks)}
        schema = arrow_schema(added)
        with tqdm(total=len(tasks), initial=len(tasks) - len(pending), unit="run", desc="ensemble compare",
                  disable=not progress, dynamic_ncols=True, smoothing=0.05, file=sys.stderr) as bar:
            if batches:
                try:
                    for rows in executor.map_unordered(run_batch, payload, batches):
                        store.write_batch(rows, schema)
                        bar.update(len(rows))
                except Exception as e:
                    e.add_note(f"pcnsim compare: finished runs are safe in {out}/runs; rerun the same command to "
                               "do the rest")
                    raise
        return store.load(), store.manifest()
    finally:
        if store is not None:
            store.close()
        executor.close()
