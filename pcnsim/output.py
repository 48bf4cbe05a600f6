"""Writing results to a folder: all or nothing, only where pcnsim may write.

Names are labels, never paths. A default output folder is ``<root>/<slug of the name>``
(:func:`slug`: ASCII letters, digits, ``-``, ``_`` and ``.``, no leading dot, at most 64 characters), so
``name = "../../victim"`` writes to ``results/victim``, never outside the root.

An output folder is replaced only if an earlier pcnsim run wrote it: every folder pcnsim writes holds a
marker file, :data:`MARKER`. :func:`check_out` (called by every command before it runs anything) refuses
anything else, with the flag named and exit status 2: a file, a folder that is not empty and has no
marker, the current folder or any folder above it, and the file-system root.

Files are written to a temporary folder beside the target and moved into place only when everything has
been written, so a failed or interrupted run never leaves a partial output folder (or a temporary one)
behind; folders created on the way to the target are removed again if the run fails.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pcnsim.errors import PCNSimInputError
from pcnsim.schema import excerpt

#: The file that marks a folder as written by pcnsim (and so replaceable by a later run).
MARKER = ".pcnsim-output"
#: Longest folder name :func:`slug` makes.
SLUG_MAX = 64


def slug(name: str, *, fallback: str = "scenario") -> str:
    """A safe folder name for a label: ASCII letters, digits, ``-``, ``_`` and ``.``; never ``.`` or ``..``,
    never starting or ending with a dot or dash, at most :data:`SLUG_MAX` characters.

    Accents are dropped (``"Café"`` -> ``"Cafe"``) and other characters become ``-``, so names that differ
    only there share a folder. A name cut to length, or with no ASCII letter or digit at all, gets a short
    hash of the full name (``"日本" -> "scenario-3f1c9a2b"``), so that such names do not collide.

    >>> slug("../../victim"), slug("two practices"), slug("default")
    ('victim', 'two-practices', 'default')
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)
    s = re.sub(r"[.-]*-[.-]*", "-", s)  # a run of dots and dashes with a dash in it: one dash
    s = re.sub(r"\.{2,}", ".", s).strip("-.")
    tag = hashlib.sha256(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:8]
    if not re.search(r"[A-Za-z0-9]", s):
        return f"{fallback}-{tag}"
    if len(s) > SLUG_MAX:
        return s[: SLUG_MAX - 9].rstrip("-.") + "-" + tag
    return s


def default_out(root: str | Path, name: str) -> Path:
    """``root/<slug of name>``: the default output folder of a named run, always inside ``root``."""
    return Path(root) / slug(name)


def _is_pcnsim_folder(p: Path) -> bool:
    return (p / MARKER).is_file() or (p / "sweep.json").is_file()


def check_out(target: str | Path, *, flag: str = "--out", resume: bool = False) -> Path:
    """Check, before anything runs, that results may be written to ``target``; return it.

    Allowed: a path that does not exist (its parent folders are created when the results are written), an
    empty folder, or a folder an earlier pcnsim run wrote (it holds :data:`MARKER`, or ``sweep.json``),
    which is then replaced (or, with ``resume``, added to). Refused, as :class:`PCNSimInputError` naming
    ``flag``: an existing file (or a path through one), ``.``, the current folder or any folder that holds
    it, the root, and a folder with other contents.
    """
    text = str(target)
    if not text.strip() or "\x00" in text:
        raise PCNSimInputError(f"{flag} {excerpt(text)}: not a folder name", field=flag)
    p = Path(target)
    try:
        resolved = p.resolve()
        cwd = Path.cwd().resolve()
    except (OSError, RuntimeError) as e:
        raise PCNSimInputError(f"{flag} {excerpt(text)}: not a usable folder ({e})", field=flag) from None
    if any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in resolved.parts):
        raise PCNSimInputError(f"{flag} {excerpt(text)}: a folder name is longer than 255 bytes", field=flag)
    if resolved == Path(resolved.anchor):
        raise PCNSimInputError(f"{flag} {text}: refusing to write to the root of the file system; give a "
                               "folder for the results, e.g. results/run1", field=flag)
    if resolved == cwd or resolved in cwd.parents:
        raise PCNSimInputError(f"{flag} {excerpt(text)}: refusing to replace the current folder or a folder "
                               "that holds it; give a new folder for the results, e.g. results/run1", field=flag)
    for up in (resolved, *resolved.parents):
        if up.exists():
            if not up.is_dir():
                what = "exists and is not a folder" if up == resolved else f"is inside {up}, which is a file"
                raise PCNSimInputError(f"{flag} {excerpt(text)} {what}", field=flag)
            break
    if resolved.is_dir():
        try:
            empty = not any(resolved.iterdir())
        except OSError as e:
            raise PCNSimInputError(f"{flag} {excerpt(text)}: cannot be read ({e.strerror})", field=flag) from None
        if not empty and not _is_pcnsim_folder(resolved):
            raise PCNSimInputError(f"{flag} {excerpt(text)} is a folder that pcnsim did not write (no {MARKER} "
                                   "in it) and is not empty: pcnsim replaces only its own output folders; "
                                   "choose another folder, or empty or remove this one yourself", field=flag)
    if not resume:
        parent = resolved.parent
        while not parent.exists():
            parent = parent.parent
        if not os.access(parent, os.W_OK | os.X_OK):
            raise PCNSimInputError(f"{flag} {excerpt(text)}: cannot write in {parent} (permission denied)", field=flag)
    return p


def write_marker(folder: Path, **info: Any) -> None:
    """Mark ``folder`` as written by pcnsim (see :data:`MARKER`)."""
    from pcnsim import __version__

    (folder / MARKER).write_text(json.dumps({"written_by": "pcnsim", "pcnsim_version": __version__, **info},
                                            default=str) + "\n", encoding="utf-8")


@contextmanager
def atomic_dir(target: str | Path, *, flag: str = "--out") -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``target``; on error it is removed.

    ``target`` is checked with :func:`check_out` first (and again just before the swap, in case something
    appeared there meanwhile); the marker file is written into the new folder.
    """
    target = check_out(target, flag=flag)
    resolved = target.resolve()
    created = []
    for up in reversed(resolved.parents):
        if not up.exists():
            created.append(up)
    try:
        resolved.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PCNSimInputError(f"{flag} {excerpt(str(target))}: cannot create the folder ({e.strerror})",
                               field=flag) from None
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{resolved.name[:40]}.tmp-", dir=resolved.parent))
        tmp.chmod(0o755)
        yield tmp
        write_marker(tmp)
        check_out(resolved, flag=flag)
        old = None
        if resolved.exists():
            old = resolved.with_name(f".{resolved.name[:40]}.old-{tmp.name[-8:]}")
            resolved.rename(old)
        tmp.rename(resolved)
        tmp = None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for up in reversed(created):  # innermost first: only folders this call made, and only if empty
            try:
                up.rmdir()
            except OSError:
                break
        raise


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
    """Write ``data`` as indented JSON, made JSON-safe (NumPy scalars as numbers, dates as ISO strings, NaN and
    infinity as null)."""
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
        fig = plot_run(weekly, by_role, title=f"pcnsim: {title_label(scenario.name)} (seed {seed})",
                       roles=model.roles)
        fig.savefig(tmp / "figure.png", dpi=110)
        plt.close(fig)
        (tmp / "scenario.toml").write_text(
            "# Resolved scenario: every parameter, the seed and the package version of this run.\n"
            "# Repeat the run exactly with: pcnsim run scenario.toml\n"
            + scenario.to_toml(resolved=True, seed=seed, version=__version__), encoding="utf-8")
        if extra is not None:
            extra(tmp)
    return Path(out)


def title_label(name: str, limit: int = 80) -> str:
    """A name shortened for a figure title."""
    return name if len(name) <= limit else name[: limit - 3] + "..."
