#!/usr/bin/env python
"""Record the law of the model's key outputs over many seeds: the reference that tests/test_streams.py
compares the current random streams against.

It was first run at commit c4a127b (the last whose draws came from NumPy Generators, one per mechanism and
shared by all networks), and again, after the mechanisms changed, at commit 0219f3e (the same mechanisms as
the streams' first version, still on the Generators) with the calibrated defaults of the version that
followed, to write tests/baseline/generator_law.json; the test checks that the per-network
streams (pcnsim/streams.py) give the same means within standard errors. It uses only the API both
versions share (``PCNModel(rng=...)``, ``run``, ``recorder.weekly()``), so it can be re-run on either:

    PYTHONPATH=<checkout of c4a127b> .venv/bin/python scripts/record_generator_law.py OUT.json
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", category=FutureWarning)

SEEDS = range(40)
WEEKS = 260


def outputs(seed: int) -> dict[str, float]:
    """Key outputs of the default scenario with ``seed``: leavers and joiners over the run, ARRS FTE at the
    end, and the share of ARRS staff intending to leave over the last 13 weeks."""
    from pcnsim.model import PCNModel

    w = PCNModel(rng=seed).run(WEEKS).recorder.weekly()
    return {"leavers": float(w["leavers"].sum()), "joiners": float(w["joiners"].sum()),
            "arrs_fte": float(w["arrs_fte"].iloc[-1]), "intending_share": float(w["intending_share"].iloc[-13:].mean())}


def law(seeds: range = SEEDS) -> dict[str, dict[str, float]]:
    """Mean, standard error of the mean and number of seeds of each output."""
    import numpy as np

    rows = [outputs(s) for s in seeds]
    out = {}
    for k in rows[0]:
        x = np.array([r[k] for r in rows])
        out[k] = {"mean": float(x.mean()), "se": float(x.std(ddof=1) / np.sqrt(len(x))), "n": len(x)}
    return out


def main() -> None:
    import pcnsim

    target = Path(sys.argv[1])
    target.write_text(json.dumps({"version": pcnsim.__version__, "seeds": [SEEDS.start, SEEDS.stop], "weeks": WEEKS,
                                  "law": law()}, indent=1) + "\n")
    print(f"{target}: written")


if __name__ == "__main__":
    main()
