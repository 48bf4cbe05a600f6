"""The sweep folder: manifest, design, and one Parquet file per finished batch (nothing lost, nothing torn)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcnsim.errors import PCNSimInputError

RUN_COLUMNS = ("run_id", "sweep", "point", "replicate", "seed")
META_COLUMNS = ("scenario_hash", "pcnsim_version", "elapsed_s")

if TYPE_CHECKING:
    from pcnsim.sweep.spec import SweepSpec


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
        from pcnsim.output import atomic_dir, check_out

        store = cls(root)
        root = store.root
        check_out(root, resume=True)  # a file, the current folder, a foreign folder: refused
        if root.is_dir() and not (root / "sweep.json").exists():
            if any(root.iterdir()):
                raise PCNSimInputError(f"--out {root} is a folder that holds no sweep (no sweep.json) and is not "
                                       "empty: choose another --out", field="--out")
            root.rmdir()
        if not root.exists():
            with atomic_dir(root) as tmp:
                store._write_header(tmp, spec)
        manifest = store.manifest()
        if manifest.get("spec_hash") != spec.hash():
            raise PCNSimInputError(f"--out {root} holds a different sweep ({manifest.get('name')!r}, spec hash "
                                   f"{manifest.get('spec_hash')}; this spec: {spec.hash()}): choose another --out, "
                                   "or rerun that sweep's spec to resume it", field="--out")
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
                                   "choose another --out", field="--out") from None
        self._lock_fd = fd

    def close(self) -> None:
        """Release the folder's lock (another sweep may then write to it)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def manifest(self) -> dict[str, Any]:
        """The folder's ``sweep.json``: spec hash, design, parameter space, run count."""
        try:
            return json.loads((self.root / "sweep.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise PCNSimInputError(f"{self.root}: not a sweep folder (sweep.json unreadable: {e})", field="--out") from None

    # -- reading and writing --------------------------------------------------------------------
    def parts(self) -> list[Path]:
        """The finished batches' Parquet files (``runs/part-*.parquet``), in name order."""
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
