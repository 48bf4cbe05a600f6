#!/usr/bin/env python
"""Re-record the committed baseline: the summary of the default scenario with seed 1.

Run this only on purpose (a change to the model, its defaults or its random draws), look at the diff of
tests/baseline/default_seed1.json, and say in the commit message why the numbers moved.

    .venv/bin/python scripts/update_baseline.py
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", category=FutureWarning)

from pcnsim.output import _clean  # noqa: E402
from tests.test_baseline import BASELINE, baseline_summary  # noqa: E402


def main() -> None:
    new = _clean(baseline_summary())
    old = json.loads(BASELINE.read_text()) if BASELINE.exists() else None
    BASELINE.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
    changed = "new" if old is None else ("unchanged" if old == new else "changed")
    print(f"{BASELINE.relative_to(ROOT)}: {changed}")


if __name__ == "__main__":
    main()
