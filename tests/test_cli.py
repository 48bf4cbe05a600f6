"""The command line: a good run writes everything; bad input fails clearly and writes nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def pcnsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pcnsim", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_run_default_writes_all_outputs(tmp_path):
    out = tmp_path / "res"
    r = pcnsim("run", "--weeks", "60", "--out", str(out))
    assert r.returncode == 0, r.stderr
    for f in ("weekly.csv", "weekly_by_role.csv", "years.csv", "summary.json", "summary_by_role.csv",
              "figure.png", "scenario.toml"):
        assert (out / f).stat().st_size > 0, f
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["seed"] == 1 and summary["network"]["weeks"] == 60
    assert "Clinical pharmacist" in r.stdout and "ARRS allocation" in r.stdout
    assert (out / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".res.tmp-*"))


def test_params_table_and_markdown():
    r = pcnsim("params")
    assert r.returncode == 0 and "practices_per_staff" in r.stdout and "E17" in r.stdout
    r = pcnsim("params", "--format", "markdown")
    assert r.stdout.startswith("# Parameters")


BAD = {
    "malformed.toml": ("name = 'x'\nweeks = = 3\n", "not valid TOML"),
    "unknown_top.toml": ("name = 'x'\nwheeks = 3\n", "'wheeks'"),
    "unknown_param.toml": ("name = 'x'\n[parameters]\nhomophilly = 0.2\n", "homophily"),
    "out_of_range.toml": ("name = 'x'\n[parameters]\nhomophily = 2.0\n", "from 0 to 1"),
    "bad_weeks.toml": ("name = 'x'\nweeks = 0\n", "'weeks'"),
    "bad_population.toml": ("name = 'x'\n[population]\nkind = 'mars'\n", "population.kind"),
    "population_not_table.toml": ("name = 'x'\npopulation = 'england'\n", "[population] must be a table"),
    "bad_intervention.toml": ("name = 'x'\n[[interventions]]\ntype = 'magic'\n", "unknown intervention type"),
    "no_name.toml": ("weeks = 3\n", "'name'"),
    "vaccination_order.toml": ("name = 'x'\n[parameters]\nvaccination_start = 2022-01-01\n"
                               "vaccination_end = 2021-01-01\n", "vaccination_end must not be before"),
    "renewal_out_of_range.toml": ("name = 'x'\n[parameters]\npropensity_renewal = 0.5\n", "propensity_renewal"),
}


@pytest.mark.parametrize("fname", sorted(BAD))
def test_bad_scenarios_fail_clearly_and_write_nothing(tmp_path, fname):
    text, expect = BAD[fname]
    f = tmp_path / fname
    f.write_text(text)
    out = tmp_path / "out"
    r = pcnsim("run", str(f), "--out", str(out))
    assert r.returncode == 2, r.stderr
    assert expect in r.stderr, r.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [fname]


@pytest.mark.parametrize("args,expect", [
    (["run", "missing.toml"], "not found"),
    (["run", "--seed", "-3"], "--seed"),
    (["run", "--weeks", "0"], "--weeks"),
    (["run", "--weeks", "many"], "--weeks"),
    (["run", "--set", "homophily=7"], "homophily"),
    (["run", "--set", "nonsense"], "NAME=VALUE"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_flags_fail_clearly(tmp_path, args, expect):
    r = pcnsim(*args, "--out", str(tmp_path / "o")) if args[0] == "run" else pcnsim(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert expect in r.stderr
    assert not (tmp_path / "o").exists()


def test_failed_run_leaves_previous_results_untouched(tmp_path):
    out = tmp_path / "res"
    assert pcnsim("run", "--weeks", "20", "--out", str(out)).returncode == 0
    before = (out / "weekly.csv").read_bytes()
    r = pcnsim("run", "--weeks", "20", "--set", "homophily=3", "--out", str(out))
    assert r.returncode == 2
    assert (out / "weekly.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_error_while_writing_leaves_no_output(tmp_path, monkeypatch):
    import pcnsim.plots
    from pcnsim.cli import main

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pcnsim.plots, "plot_run", boom)
    with pytest.raises(RuntimeError):
        main(["run", "--weeks", "10", "--out", str(tmp_path / "o"), "--quiet"])
    assert list(tmp_path.iterdir()) == []
