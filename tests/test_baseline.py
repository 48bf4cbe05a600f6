"""A committed baseline: the summary of the default scenario with seed 1, compared field by field.

The baseline guards against unintended changes: any change to the model, its defaults or its random
draws moves these numbers, and must be re-recorded on purpose with ``scripts/update_baseline.py`` (the
commit says why). Its plausibility is checked independently of the recorded values below, against the
evidence, so a baseline cannot be recorded from a broken model unnoticed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

BASELINE = Path(__file__).parent / "baseline" / "default_seed1.json"


def baseline_summary() -> dict:
    from pcnsim.scenario import load

    sc = load(None)
    s = sc.build_model(seed=1).run(sc.weeks).summary()
    return {"network": s["network"], "roles": s["roles"], "years": s["years"]}


def _compare(new, old, path=""):
    if isinstance(old, dict):
        assert set(new) == set(old), f"{path}: fields differ: {set(new) ^ set(old)}"
        for k in old:
            _compare(new[k], old[k], f"{path}.{k}")
    elif isinstance(old, list):
        assert len(new) == len(old), f"{path}: lengths differ"
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            _compare(a, b, f"{path}[{i}]")
    elif isinstance(old, float) or isinstance(new, float):
        if old is None or new is None:
            assert old is None and new is None, f"{path}: {new} != {old}"
        else:
            assert math.isclose(new, old, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {new} != {old} (baseline)"
    else:
        assert new == old, f"{path}: {new!r} != {old!r} (baseline)"


def test_baseline_matches_field_by_field():
    from pcnsim.output import _clean

    assert BASELINE.exists(), "no baseline: run scripts/update_baseline.py"
    new = json.loads(json.dumps(_clean(baseline_summary())))
    old = json.loads(BASELINE.read_text())
    _compare(new, old)


def test_baseline_is_plausible():
    """Independent of the recorded numbers: the baseline must sit inside evidence-based bands."""
    b = json.loads(BASELINE.read_text())
    n = b["network"]
    assert n["weeks"] == 260 and n["networks"] == 1 and n["practices"] == 5  # the default scenario (E1, E2)
    assert 12 <= n["arrs_fte_end"] <= 35  # E4: about 20 FTE per PCN by 2023; budget path allows ~25 by 2024
    assert n["arrs_spend"] <= n["arrs_allocation"]  # E7: claims never exceed the entitlement
    assert 0.0 < n["unspent_share_first_two_years"] < 0.9  # E9: underspend early on
    roles = {r["role"]: r for r in b["roles"]}
    assert roles["gp"]["headcount_start"] == pytest.approx(6.13 * 4.802, abs=2)  # E6 density x 48,020 patients
    assert roles["ARRS (all roles)"]["headcount_start"] == 0  # T4: ARRS starts from zero
    assert 0.0 < roles["ARRS (all roles)"]["annual_leaver_rate"] < 0.35  # T3 band is 10-20%, loose here
