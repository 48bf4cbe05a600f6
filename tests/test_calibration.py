"""Calibration: target definitions, measures, the fit, the command, and the default scenario against T1-T7.

The last group (marked slow; it runs in CI) runs the default parameters over REPLICATES replicates in two
processes (about 2-3 minutes on two cores) and checks that each target's median lies within tolerance, and
that so does a distribution-free 95% interval of that median (so a pass is not luck). Targets that the
model's structure cannot meet together with the others are listed, with the reason, in
``pcnsim.calibration.STRUCTURAL_MISSES``; they are expected failures (strict: if one starts to pass, the list
must be updated).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from pcnsim import calibration as cal

REPLICATES = 32  # the distribution-free 95% interval of the median needs about 30 for the noisier targets (T2b)


# ---------------------------------------------------------------------------------------------- definitions
def test_targets_are_well_formed():
    ids = [t.id for t in cal.TARGETS]
    assert ids == ["T1", "T2a", "T2b", "T3", "T4a", "T4b", "T5", "T6", "T7a", "T7b"]
    for t in cal.TARGETS:
        assert t.lo < t.hi and t.lo <= t.published <= t.hi, t.id
        assert t.evidence and t.measure and t.tolerance_reason
    # E13's counts: 22 of 112 intenders left; the tolerance is the binomial interval around 19.6%
    t2a = cal.TARGET_BY_ID["T2a"]
    assert t2a.lo < 22 / 112 < t2a.hi and 0.10 < t2a.lo and t2a.hi < 0.30
    assert cal.TARGET_BY_ID["T3"].band and (cal.TARGET_BY_ID["T3"].lo, cal.TARGET_BY_ID["T3"].hi) == (0.10, 0.20)
    t4a = cal.TARGET_BY_ID["T4a"]  # E4: 12,059 FTE / 1,250 PCNs on the survey count, a lower bound on the claims basis
    assert math.isclose(t4a.published, 9.6, abs_tol=0.05) and t4a.band and t4a.lo == t4a.published
    assert math.isclose(cal.TARGET_BY_ID["T6"].published, 112 / 491)  # E13's cohort
    assert cal.TARGET_BY_ID["T7a"].band and cal.TARGET_BY_ID["T7a"].lo < (4_656 + 3_342) / (36_778 * 0.51) < 0.45  # E29
    assert math.isclose(cal.TARGET_BY_ID["T7b"].published, 2 / 10.2)  # E28


def test_loss_is_flat_near_the_published_values_and_steep_before_the_edges():
    at = {t.id: t.published if not t.band else (t.lo + t.hi) / 2 for t in cal.TARGETS}
    assert cal.target_loss(at, cal.TARGET_IDS) == pytest.approx(0.0)
    t1 = cal.TARGET_BY_ID["T1"]
    inner = {**at, "T1": t1.published + 0.4 * (t1.hi - t1.published)}
    assert cal.target_loss(inner, ["T1"]) < 0.005  # well inside: nearly free
    edge = {**at, "T1": t1.published + 0.8 * (t1.hi - t1.published)}
    assert cal.target_loss(edge, ["T1"]) == pytest.approx(1.0)  # at 80% of the way to the edge: 1
    assert cal.target_loss({**at, "T1": t1.hi}, ["T1"]) > 5
    # asymmetric tolerances (Wilson intervals) are measured on each side from the published value
    t2b = cal.TARGET_BY_ID["T2b"]
    lo_side = t2b.published - 0.8 * (t2b.published - t2b.lo)
    assert cal.target_loss({"T2b": lo_side}, ["T2b"]) == pytest.approx(1.0)
    # the T3 band: flat in the middle, steep outside
    assert cal.target_loss({"T3": 0.13}, ["T3"]) < 0.02
    assert cal.target_loss({"T3": 0.11}, ["T3"]) == pytest.approx(1.0)
    assert cal.target_loss({"T3": 0.08}, ["T3"]) > 10 * cal.target_loss({"T3": 0.10}, ["T3"])
    assert cal.target_loss({"T3": float("nan")}, ["T3"]) >= 1e6


def test_free_parameters_lie_within_their_bounds():
    cal.check_free_parameters()
    names = [f.name for f in cal.free_parameters()]
    assert len(names) == len(set(names))
    assert {"intention_intercept", "w_supervision", "leave_if_intending", "leave_if_not_intending",
            "fill_rate", "salary_to_cap", "vaccination_recruit_factor"} <= set(names)
    # every target is either fitted by some block or a structural miss that the report explains
    fitted = {t for _, ids, _ in cal.BLOCKS.values() for t in ids}
    assert fitted | set(cal.STRUCTURAL_MISSES) == set(cal.TARGET_IDS)


# ---------------------------------------------------------------------------------------------- measures
@pytest.fixture(scope="module")
def small():
    """One replicate on a small panel (both runs)."""
    return cal.simulate({}, seed=5, networks=4)


def test_measures_are_in_range(small):
    for k in ("T1", "T2a", "T2b", "T3", "T5", "t1_lw_supervision", "t2_intending", "t3_intending"):
        assert 0.0 <= small[k] <= 1.0, (k, small[k])
    assert 0 < small["T4a"] < small["T4b"], "ARRS staff grow with the budget from 2021 to 2023 (E4, E7)"
    assert small["t2_cohort"] > 20 and small["t1_lw_person_weeks"] > 0


def test_t4_measure_reads_the_weekly_fte_at_the_target_dates():
    from pcnsim.scenario import load

    sc = load(None)
    m = sc.build_model(seed=5)
    m.run(sc.weeks)
    w = m.recorder.weekly()
    got = cal.measure_default({}, seed=5, networks=1)
    for key, d in zip(("T4a", "T4b"), cal.T4_DATES, strict=True):
        row = w[(pd.to_datetime(w["date"]) <= pd.Timestamp(d)) & (pd.to_datetime(w["date"]) > pd.Timestamp(d) - pd.Timedelta(days=7))]
        assert len(row) == 1
        assert got[key] == pytest.approx(float(row["arrs_fte"].iloc[0]))
    assert got["T5"] == pytest.approx(m.summary()["network"]["unspent_share_first_two_years"])


def test_t1_condition_cuts_link_workers_supervision():
    with_cond = cal.measure_t1({}, seed=3, networks=4)
    without = cal.measure_t1({}, seed=3, networks=4, condition={})
    assert with_cond["t1_lw_supervision"] < without["t1_lw_supervision"]
    assert with_cond["T1"] > without["T1"], "less supervision, more intention to leave because of it (E11, E16)"
    assert with_cond["t1_lw_intention"] > without["t1_lw_intention"]
    for r in (with_cond, without):  # leaving because of a lack of support is a part of all intention to leave
        assert 0.0 <= r["T1"] <= r["t1_lw_intention"] <= 1.0
        assert r["t1_lw_due_state"] <= r["t1_lw_intends"]


def test_t1_counts_only_intention_due_to_lacking_support():
    """With no weight on lacking supervision and support, no one intends to leave because of it."""
    r = cal.measure_t1({"w_supervision": 0.0}, seed=3, networks=4)
    assert r["T1"] == pytest.approx(0.0, abs=1e-6) and r["t1_lw_due_state"] == 0.0
    assert r["t1_lw_intention"] > 0.1


def test_replicates_are_reproducible_and_independent_of_the_worker_count():
    a = cal.evaluate({}, replicates=2, workers=1, networks=2)
    b = cal.evaluate({}, replicates=2, workers=2, networks=2)
    pd.testing.assert_frame_equal(a, b)
    assert a["T3"].iloc[0] != a["T3"].iloc[1] or a["T5"].iloc[0] != a["T5"].iloc[1]


def test_fit_lowers_the_loss_from_a_poor_start():
    """Nelder-Mead on the recruitment block, from a fill rate far too low, moves towards T4 and T5."""
    start = {"fill_rate": 0.008, "salary_to_cap": 0.8}
    res = cal.fit(replicates=1, workers=1, networks=3, max_evals=8, rounds=("recruitment",), start=start)
    first = res.history[0]["loss"]
    best = min(h["loss"] for h in res.history)
    assert best < 0.5 * first
    assert res.values["fill_rate"] > start["fill_rate"]
    assert res.blocks and res.blocks[0]["evals"] <= 10


# ---------------------------------------------------------------------------------------------- command line
def _pcnsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pcnsim", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_calibrate_check_writes_every_output(tmp_path):
    out, doc = tmp_path / "cal", tmp_path / "report.md"
    r = _pcnsim("calibrate", "--check", "--quick", "--replicates", "2", "--networks", "2", "--workers", "1",
                "--out", str(out), "--doc", str(doc))
    assert r.returncode == 0, r.stderr
    for f in ("calibration.md", "targets.csv", "replicates.csv", "fit_history.csv", "fitted.json"):
        assert (out / f).exists(), f
    text = doc.read_text()
    assert text == (out / "calibration.md").read_text()
    assert "Generated by `pcnsim calibrate --check --quick --replicates 2" in text
    assert len(pd.read_csv(out / "replicates.csv")) == 2
    assert "T4b" in r.stdout and "within" in r.stdout
    assert not list(tmp_path.glob(".cal.tmp-*"))


@pytest.mark.parametrize("args, expect", [
    (["--replicates", "0"], "--replicates"),
    (["--workers", "zero"], "--workers"),
    (["--doc", "/nonexistent-folder/x.md"], "--doc"),
])
def test_calibrate_rejects_bad_input_and_writes_nothing(tmp_path, args, expect):
    out = tmp_path / "cal"
    r = _pcnsim("calibrate", "--check", "--quick", "--out", str(out), *args)
    assert r.returncode == 2, r.stderr
    assert expect in r.stderr
    assert not out.exists()


# ---------------------------------------------------------------------------------------------- the targets
@pytest.fixture(scope="module")
def default_replicates() -> pd.DataFrame:
    return cal.evaluate({}, replicates=REPLICATES, workers=2)


def _median_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Distribution-free interval for the median from order statistics (binomial ranks)."""
    v = np.sort(values)
    n = len(v)
    k = int(binom.ppf((1 - level) / 2, n, 0.5))
    return float(v[max(k - 1, 0)]), float(v[min(n - k, n - 1)])


@pytest.mark.slow
@pytest.mark.parametrize("target", [
    pytest.param(t.id, marks=pytest.mark.xfail(
        strict=True, reason=f"structural miss: see pcnsim.calibration.STRUCTURAL_MISSES[{t.id!r}]"))
    if t.id in cal.STRUCTURAL_MISSES else t.id
    for t in cal.TARGETS
])
def test_default_scenario_reproduces_target(default_replicates, target):
    t = cal.TARGET_BY_ID[target]
    v = default_replicates[target].to_numpy(dtype=float)
    assert np.isfinite(v).all() and len(v) == REPLICATES
    med = float(np.median(v))
    lo, hi = _median_ci(v)
    assert t.lo <= med <= t.hi, f"{target}: median {med:.4g} outside {t.lo}-{t.hi}"
    assert t.lo <= lo and hi <= t.hi, f"{target}: 95% interval of the median {lo:.4g}-{hi:.4g} not inside {t.lo}-{t.hi}"


@pytest.mark.slow
def test_default_scenario_meets_the_t1_condition(default_replicates):
    lo, hi = cal.T1_CONDITION_SUPERVISION
    assert lo <= float(np.median(default_replicates["t1_lw_supervision"])) <= hi
