"""Writing a run's results to a folder, all or nothing.

Files are written to a temporary folder beside the target and moved into place only when everything has
been written, so a failed or interrupted run never leaves a partial output folder behind.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pcnsim.errors import PCNSimInputError


@contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``target``; on error it is removed."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise PCNSimInputError(f"--out {target} exists and is not a folder", field="out")
    parent = target.parent if str(target.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PCNSimInputError(f"--out {target}: cannot create the folder ({e.strerror})", field="out") from None
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    tmp.chmod(0o755)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{tmp.name[-8:]}")
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN and inf become null; dates become strings."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item"):
        return _clean(obj.item())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(_clean(data), indent=2) + "\n", encoding="utf-8")


def write_run(out: str | Path, model: Any, scenario: Any, seed: int | None,
              extra: Callable[[Path], None] | None = None) -> Path:
    """Write weekly CSVs, the summary JSON, the figure and the resolved scenario of a finished run."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from pcnsim import __version__
    from pcnsim.plots import plot_run

    summary = model.summary()
    summary["run"] = {"scenario": scenario.name, "scenario_hash": scenario.hash(), "seed": seed,
                      "pcnsim_version": __version__, "interventions": [repr(iv) for iv in scenario.interventions]}
    with atomic_dir(out) as tmp:
        weekly = model.recorder.weekly()
        by_role = model.recorder.weekly_by_role()
        weekly.to_csv(tmp / "weekly.csv", index=False)
        by_role.to_csv(tmp / "weekly_by_role.csv", index=False)
        pd.DataFrame(model.year_table()).to_csv(tmp / "years.csv", index=False)
        pd.DataFrame(summary["roles"]).to_csv(tmp / "summary_by_role.csv", index=False)
        write_json(tmp / "summary.json", summary)
        fig = plot_run(weekly, by_role, title=f"pcnsim: {scenario.name} (seed {seed})")
        fig.savefig(tmp / "figure.png", dpi=110)
        plt.close(fig)
        (tmp / "scenario.toml").write_text(
            "# Resolved scenario: every parameter, the seed and the package version of this run.\n"
            "# Repeat the run exactly with: pcnsim run scenario.toml\n"
            + scenario.to_toml(resolved=True, seed=seed, version=__version__), encoding="utf-8")
        if extra is not None:
            extra(tmp)
    return Path(out)
