"""The ensemble as a file: writing it (Parquet with provenance), reading it back, the shipped ensemble and
an uncalibrated ensemble of prior draws.

:mod:`pcnsim.calibration.ensemble` makes ensembles; this module is all that a comparison over one needs
(:mod:`pcnsim.ensemble_compare`), so it does not import pyabc.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pcnsim.errors import PCNSimInputError
from pcnsim.params import PRIORS, Params, prior_table


def git_commit() -> str | None:
    """The git commit of the source tree pcnsim is imported from, if it is a git checkout (else None)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@dataclass
class EnsembleResult:
    """What :func:`~pcnsim.calibration.ensemble.calibrate_ensemble` returns: the ensemble (one row per accepted parameter set: the
    parameters, ``weight``, ``distance`` and the simulated targets ``sim_T..``), the generations, provenance."""

    ensemble: pd.DataFrame
    generations: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)



def write_ensemble(path: str | Path, result: EnsembleResult) -> Path:
    """Write the ensemble as Parquet with its provenance in the file's metadata (key ``pcnsim``); atomic."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    table = pa.Table.from_pandas(result.ensemble, preserve_index=False)
    meta = {**(table.schema.metadata or {}), b"pcnsim": json.dumps(result.provenance, default=str).encode()}
    tmp = path.with_name(f".tmp-{path.name}")
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    os.replace(tmp, path)
    return path


@dataclass
class Ensemble:
    """A calibrated ensemble read back from Parquet: the parameter sets, their weights and provenance."""

    frame: pd.DataFrame
    provenance: dict[str, Any]
    source: str = ""

    @property
    def parameters(self) -> list[str]:
        """The names of the parameter columns (those of :class:`pcnsim.params.Params`)."""
        return [c for c in self.frame.columns if c in Params.model_fields]

    def draws(self, n: int, seed: int = 1) -> pd.DataFrame:
        """``n`` equally weighted posterior draws: systematic resampling of the weighted particles (seeded;
        columns ``draw``, ``particle`` and the parameters). With ``n`` at most the number of particles and
        equal weights, these are distinct particles."""
        w = self.frame["weight"].to_numpy(dtype=float)
        w = w / w.sum()
        u = (np.random.default_rng([seed, 181]).random() + np.arange(n)) / n
        idx = np.minimum(np.searchsorted(np.cumsum(w), u), len(w) - 1)
        rows = self.frame.iloc[idx][["particle", *self.parameters]].reset_index(drop=True)
        rows.insert(0, "draw", np.arange(n))
        return rows


#: The ensemble shipped with the package (``pcnsim/data/ensemble.parquet``): the posterior of
#: ``pcnsim calibrate --ensemble`` on the current model (its provenance says how it was made, and
#: ``docs/ensemble-posterior.md`` is its report). ``--ensemble shipped`` (a label, not a path) selects it.
SHIPPED = "shipped"


def shipped_ensemble_path() -> Path:
    """Where the shipped ensemble is (:data:`SHIPPED`)."""
    return Path(__file__).resolve().parents[1] / "data" / "ensemble.parquet"


def load_ensemble(path: str | Path) -> Ensemble:
    """Read an ensemble file written by :func:`write_ensemble` (``pcnsim calibrate --ensemble``), or the
    shipped ensemble (``path = "shipped"``, :data:`SHIPPED`).

    Bad input (a missing or unreadable file, one without the columns of an ensemble, parameters out of their
    bounds) raises :class:`PCNSimInputError` naming ``--ensemble``.
    """
    import pyarrow.parquet as pq

    p = shipped_ensemble_path() if str(path) == SHIPPED else Path(path)
    if not p.is_file():
        raise PCNSimInputError(f"--ensemble {p}: no such file (write one with `pcnsim calibrate --ensemble`)",
                               field="--ensemble")
    try:
        table = pq.read_table(p)
    except Exception as e:  # noqa: BLE001 - any unreadable file
        raise PCNSimInputError(f"--ensemble {p}: not a Parquet file ({type(e).__name__})", field="--ensemble") from None
    meta = (table.schema.metadata or {}).get(b"pcnsim")
    df = table.to_pandas()
    if meta is None or "weight" not in df.columns or "particle" not in df.columns or len(df) == 0:
        raise PCNSimInputError(f"--ensemble {p}: not an ensemble (expected the columns particle, weight and "
                               "parameters, and pcnsim provenance)", field="--ensemble")
    w = df["weight"].to_numpy(dtype=float)
    if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        raise PCNSimInputError(f"--ensemble {p}: column weight must be finite, non-negative and not all zero",
                               field="weight")
    ens = Ensemble(frame=df, provenance=json.loads(meta), source=str(p))
    if not ens.parameters:
        raise PCNSimInputError(f"--ensemble {p}: no parameter columns", field="--ensemble")
    for i, row in enumerate(df[ens.parameters].to_dict("records")[:5000]):
        Params.from_dict({k: float(v) for k, v in row.items()}, where=f"--ensemble {p}, row {i}")
    return ens


def prior_ensemble(n: int = 8, seed: int = 1) -> Ensemble:
    """An ensemble of ``n`` independent draws from the priors, equally weighted: *not calibrated*. For tests,
    fast modes and teaching, where an ABC run would take too long; its provenance says so."""
    from pcnsim import __version__

    rng = np.random.default_rng([seed, 1818])
    df = pd.DataFrame({k: p.dist().rvs(size=n, random_state=rng) for k, p in PRIORS.items()})
    df.insert(0, "particle", np.arange(n))
    df["weight"] = 1.0 / n
    prov = {"pcnsim_version": __version__, "method": "prior draws (not calibrated)", "seed": seed,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "priors": prior_table().to_dict("records")}
    return Ensemble(frame=df, provenance=prov, source=f"<prior ensemble n={n} seed={seed}>")
