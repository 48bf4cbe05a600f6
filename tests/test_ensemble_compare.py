"""Ensemble comparison: common random numbers, resuming after a stop, outputs, bad input (a tiny ensemble)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pcnsim.calibration.ensemble import EnsembleResult, load_ensemble, prior_ensemble, write_ensemble
from pcnsim.errors import PCNSimInputError
from pcnsim.scenario import load

WEEKS = 40  # short runs: the machinery, not the figures, is under test
SUPERVISION = "experiments/scenarios/supervision_1h.toml"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny ensemble file (4 prior draws; not calibrated)."""
    ens = prior_ensemble(4, seed=2)
    path = tmp_path_factory.mktemp("ens") / "tiny.parquet"
    write_ensemble(path, EnsembleResult(ens.frame, pd.DataFrame(), ens.provenance))
    return path


def _arms():
    base = load(None).with_changes(name="baseline")
    twin = base.with_changes(name="baseline-again")  # the same scenario under another name
    return [base, twin, load(SUPERVISION)]


def _compare(tiny, out, **kw):
    from pcnsim.ensemble_compare import compare_ensemble

    return compare_ensemble(_arms(), tiny, draws=3, seeds=2, weeks=WEEKS, out=out, workers=1, progress=False, **kw)


@pytest.fixture(scope="module")
def done(tiny, tmp_path_factory):
    return _compare(tiny, tmp_path_factory.mktemp("cmp") / "out")


def test_common_random_numbers(done):
    runs = done.runs
    assert done.complete and len(runs) == 3 * 3 * 2
    keys = runs.groupby("arm").apply(lambda g: sorted(zip(g["draw"], g["particle"], g["seed"], strict=True)),
                                     include_groups=False)
    assert keys.iloc[0] == keys.iloc[1] == keys.iloc[2]  # the same draws and seeds in every arm
    # the same scenario in two arms: every run identical, so its differences are exactly zero
    a0 = runs[runs["arm"] == 0].set_index(["draw", "seed"]).drop(columns=["arm", "scenario", "run_id", "elapsed_s"])
    a1 = runs[runs["arm"] == 1].set_index(["draw", "seed"]).drop(columns=["arm", "scenario", "run_id", "elapsed_s"])
    pd.testing.assert_frame_equal(a0.sort_index(), a1.sort_index())
    d = done.differences.set_index(["scenario", "outcome"])
    assert d.loc[("baseline-again", "leavers"), "mean"] == 0.0
    assert done.probabilities.set_index("scenario").loc["baseline-again", "p_reduces_leavers"] == 0.0


def test_parameters_vary_by_draw_not_by_arm(done):
    assert done.draws["draw"].tolist() == [0, 1, 2]
    assert done.draws["fill_rate"].nunique() > 1


def test_probabilities_and_curves(done):
    p = done.probabilities
    for c in ("p_fewest_leavers", "p_most_cost_effective"):
        assert ((p[c] >= 0) & (p[c] <= 1)).all()
        assert p[c].sum() == pytest.approx(1.0)
    ceac = done.ceac
    sums = ceac.groupby(["perspective", "wtp"])["probability"].sum()
    assert np.allclose(sums, 1.0)
    assert (done.evpi["evpi_network"] >= -1e-9).all()
    # supervision costs GP time: more costly than the baseline in every draw, from either perspective
    d = done.differences.set_index(["scenario", "outcome"])
    assert d.loc[("supervision-1h", "cost_network"), "lo"] > 0
    # at zero willingness to pay, the cheapest arm (not supervision) has the highest net benefit
    c0 = ceac[(ceac["wtp"] == 0) & (ceac["perspective"] == "network")].set_index("scenario")["probability"]
    assert c0["supervision-1h"] == 0.0


def test_resume_after_a_stop_gives_the_same_result(tiny, done, tmp_path):
    out = tmp_path / "resumed"
    part = _compare(tiny, out, max_runs=6)  # stopped part-way (as a kill would leave it)
    assert not part.complete
    with pytest.raises(PCNSimInputError, match="not complete"):
        part.differences  # noqa: B018
    whole = _compare(tiny, out)  # the same command again: only the missing runs
    assert whole.complete
    cols = [c for c in whole.runs.columns if c != "elapsed_s"]
    pd.testing.assert_frame_equal(whole.runs[cols].reset_index(drop=True), done.runs[cols].reset_index(drop=True))
    # a different comparison is not mixed into the folder
    from pcnsim.ensemble_compare import compare_ensemble

    with pytest.raises(PCNSimInputError, match="different ensemble comparison"):
        compare_ensemble(_arms(), tiny, draws=3, seeds=1, weeks=WEEKS, out=out, workers=1, progress=False)


def test_outputs_are_written(done, tmp_path):
    folder = done.write(tmp_path / "report")
    for f in ("differences.csv", "probabilities.csv", "ceac.csv", "evpi.csv", "evppi.csv", "budget_impact.csv",
              "by_role.csv", "ceac.png", "evppi.png", "differences.png", "summary.md"):
        assert (folder / f).is_file(), f
    text = (folder / "summary.md").read_text()
    assert "supervision-1h" in text and "P(fewer leavers)" in text
    roles = pd.read_csv(folder / "by_role.csv")
    assert set(roles["scenario"]) == {"baseline-again", "supervision-1h"} and "link_worker" in set(roles["role"])


def test_bad_input(tiny, tmp_path):
    from pcnsim.cli import main
    from pcnsim.ensemble_compare import compare_ensemble

    with pytest.raises(PCNSimInputError, match="--draws"):
        compare_ensemble(_arms(), tiny, draws=1, out=tmp_path / "x", progress=False)
    with pytest.raises(PCNSimInputError, match="perspective"):
        compare_ensemble(_arms(), tiny, perspective="society", out=tmp_path / "x", progress=False)
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"a": [1.0]}).to_parquet(bad)
    assert main(["compare", "default", SUPERVISION, "--ensemble", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert main(["compare", "default", SUPERVISION, "--ensemble", str(tmp_path / "missing.parquet"),
                 "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()
    with pytest.raises(PCNSimInputError, match="weight"):
        ens = load_ensemble(tiny).frame.assign(weight=-1.0)
        write_ensemble(tmp_path / "neg.parquet", EnsembleResult(ens, pd.DataFrame(), {"x": 1}))
        load_ensemble(tmp_path / "neg.parquet")


def test_cli_compare_ensemble(tiny, tmp_path, capsys):
    from pcnsim.cli import main

    out = tmp_path / "cli"
    rc = main(["compare", "default", SUPERVISION, "--ensemble", str(tiny), "--draws", "2", "--seeds", "1",
               "--weeks", str(WEEKS), "--workers", "1", "--out", str(out), "--quiet"])
    assert rc == 0
    assert (out / "report" / "ceac.csv").is_file() and (out / "draws.parquet").is_file()


@pytest.mark.slow
def test_a_killed_comparison_resumes_to_the_same_result(tiny, tmp_path):
    """SIGKILL the command once some batches are on disk; the same command again finishes the rest, and the
    result equals an uninterrupted run's."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from pcnsim.ensemble_runs import EnsembleStore

    def cmd(out):
        args = ["compare", "default", SUPERVISION, "--ensemble", str(tiny), "--draws", "4", "--seeds", "1",
                "--weeks", "30", "--workers", "1", "--out", str(out), "--quiet"]
        return [sys.executable, "-c", f"import sys; from pcnsim.cli import main; sys.exit(main({args!r}))"]

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = tmp_path / "killed"
    proc = subprocess.Popen(cmd(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list((out / "runs").glob("part-*.parquet")) and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(list((out / "runs").glob("part-*.parquet")))
    assert before >= 1
    assert subprocess.run(cmd(out), env=env, capture_output=True).returncode == 0
    fresh = tmp_path / "fresh"
    assert subprocess.run(cmd(fresh), env=env, capture_output=True).returncode == 0
    a, b = EnsembleStore(out).load(), EnsembleStore(fresh).load()
    cols = [c for c in a.columns if c != "elapsed_s"]
    assert len(a) == 2 * 4
    pd.testing.assert_frame_equal(a[cols], b[cols])
    pd.testing.assert_frame_equal(pd.read_csv(out / "report" / "probabilities.csv"),
                                  pd.read_csv(fresh / "report" / "probabilities.csv"))
