"""Scenario comparison: common random numbers, reductions, workers, the command line and its errors."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pcnsim.cli import main as cli
from pcnsim.experiments import OUTCOMES, SERIES, compare, icer
from pcnsim.scenario import Scenario

MATURE = {"start_date": dt.date(2022, 4, 1)}  # a grown scheme, so interventions have staff to act on


def _pair(weeks: int = 60) -> list[Scenario]:
    base = Scenario.from_dict({"name": "base", "weeks": weeks, "parameters": MATURE})
    arm = Scenario.from_dict({"name": "base-practice", "weeks": weeks, "parameters": MATURE,
                              "interventions": [{"type": "base_practice"}, {"type": "organisational_development"}]})
    return [base, arm]


@functools.cache
def _cmp(crn: bool, workers: int = 1, replicates: int = 8):
    return compare(_pair(), replicates=replicates, crn=crn, workers=workers)


CRN_REPLICATES = 24  # an sd from 8 pairs is itself uncertain by about 27%, too much for a ratio of two of them


def test_common_random_numbers_tighten_paired_differences():
    """Same seeds across scenarios: the spread of paired differences is far below that of independent seeds."""
    crn, ind = _cmp(True, replicates=CRN_REPLICATES), _cmp(False, replicates=CRN_REPLICATES)
    assert crn.meta["seeds"]["base"] == crn.meta["seeds"]["base-practice"] == list(range(1, CRN_REPLICATES + 1))
    assert set(ind.meta["seeds"]["base"]).isdisjoint(ind.meta["seeds"]["base-practice"])
    ratios = {}
    for o in ("belonging", "fte_end", "fte_years", "retention_12m"):
        sd_crn = crn.paired()["base-practice"][o].std()
        sd_ind = ind.paired()["base-practice"][o].std()
        ratios[o] = sd_crn / sd_ind
    # tighter for every outcome, and by about half for most: with 64 replicates of the calibrated model the
    # ratios are 0.40 for belonging, 0.61 for FTE at the end, 0.15 for FTE-years and 0.53 for retention
    # (median 0.47); a ratio of two sds from 24 replicates is itself uncertain by about 20%
    assert all(r < 0.9 for r in ratios.values()), ratios
    assert np.median(list(ratios.values())) < 0.65, ratios
    # and pairing does not change what is estimated: the belonging effect agrees
    eff = crn.differences.set_index(["scenario", "outcome"]).loc[("base-practice", "belonging")]
    eff_ind = ind.differences.set_index(["scenario", "outcome"]).loc[("base-practice", "belonging")]
    assert eff["mean"] > 0 and eff_ind["mean"] > 0
    assert abs(eff["mean"] - eff_ind["mean"]) < 4 * ind.paired()["base-practice"]["belonging"].std() / np.sqrt(CRN_REPLICATES)


def test_reductions_are_consistent_with_the_runs():
    c = _cmp(True)
    runs = c.runs
    assert len(runs) == 16 and set(runs["scenario"]) == {"base", "base-practice"}
    s = c.summary.set_index(["scenario", "outcome"])
    for o in OUTCOMES:
        v = runs.loc[runs["scenario"] == "base", o].dropna()
        r = s.loc[("base", o)]
        assert r["lo"] <= r["median"] <= r["hi"]
        assert r["median"] == pytest.approx(v.median())
        assert r["lo"] >= v.min() and r["hi"] <= v.max()
    # paired differences are replicate by replicate
    d = c.paired()["base-practice"]
    a = runs[runs["scenario"] == "base-practice"].set_index("replicate")
    b = runs[runs["scenario"] == "base"].set_index("replicate")
    assert np.allclose(d["fte_years"], a["fte_years"] - b["fte_years"])
    diff = c.differences.set_index(["scenario", "outcome"]).loc[("base-practice", "intervention_cost")]
    assert diff["mean_lo"] <= diff["mean"] <= diff["mean_hi"] and diff["lo"] > 0
    bands = c.weekly_bands
    assert set(bands["series"]) == set(SERIES)
    assert (bands["lo"] <= bands["median"] + 1e-9).all() and (bands["median"] <= bands["hi"] + 1e-9).all()
    assert len(bands) == 2 * len(SERIES) * 60


def test_cost_per_extra_fte_year():
    r = icer(np.full(6, 10_000.0), np.array([0.9, 1.1, 1.0, 1.0, 0.95, 1.05]))
    assert r["ratio"] == pytest.approx(10_000.0) and r["ratio_lo"] <= 10_000 <= r["ratio_hi"]
    assert r["effect_verdict"] == "costs more, better"
    assert icer(np.full(6, -5.0), np.ones(6))["effect_verdict"].startswith("dominant")
    worse = icer(np.full(6, 5.0), -np.ones(6))
    assert worse["effect_verdict"] == "worse" and np.isnan(worse["ratio"])
    unclear = icer(np.full(6, 5.0), np.array([1.0, -1.0, 0.5, -0.5, 0.2, -0.2]))
    assert unclear["effect_verdict"] == "no clear effect" and np.isnan(unclear["ratio"])


def test_results_do_not_depend_on_the_number_of_workers():
    one = compare(_pair(30), replicates=3, workers=1)
    two = compare(_pair(30), replicates=3, workers=2)
    pd.testing.assert_frame_equal(one.runs, two.runs)
    pd.testing.assert_frame_equal(one.weekly, two.weekly)


def _toml(path: Path, name: str, extra: str = "") -> Path:
    path.write_text(f'name = "{name}"\nweeks = 60\n[parameters]\nstart_date = 2022-04-01\n{extra}', encoding="utf-8")
    return path


def test_cli_writes_tables_figures_and_report(tmp_path, capsys):
    a = _toml(tmp_path / "a.toml", "a")
    b = _toml(tmp_path / "b.toml", "b", '[[interventions]]\ntype = "peer_support"\n')
    out = tmp_path / "out"
    assert cli(["compare", str(a), str(b), "--replicates", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "b - a:" in text and "ARRS 12-month retention" in text and "extra FTE-year" in text
    names = {p.name for p in out.iterdir()}
    assert {"runs.csv", "summary.csv", "differences.csv", "cost_effectiveness.csv", "weekly_bands.csv",
            "timeseries.png", "forest.png", "report.txt", "comparison.json", "scenarios"} <= names
    assert pd.read_csv(out / "runs.csv").shape[0] == 6
    for png in ("timeseries.png", "forest.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the resolved scenarios run again as they are
    again = Scenario.load(sorted((out / "scenarios").iterdir())[1])
    assert again.name == "b" and again.interventions[0].kind == "peer_support"


@pytest.mark.parametrize("case", ["missing", "bad-field", "bad-value", "duplicate", "weeks"])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, case):
    a = _toml(tmp_path / "a.toml", "a")
    b = tmp_path / "b.toml"
    if case == "missing":
        b = tmp_path / "nope.toml"
    elif case == "bad-field":
        _toml(b, "b", '[[interventions]]\ntype = "team_days"\nevery = 4\n')
    elif case == "bad-value":
        _toml(b, "b", '[[interventions]]\ntype = "protected_supervision"\nhours = 99\n')
    elif case == "duplicate":
        _toml(b, "a")
    else:
        b.write_text('name = "w"\nweeks = 52\n', encoding="utf-8")
    args = [str(a), str(b)]
    out = tmp_path / "out"
    assert cli(["compare", *args, "--replicates", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    expect = {"missing": "not found", "bad-field": "'every'", "bad-value": "interventions[0].hours = 99", "duplicate": "named 'a'",
              "weeks": "different run lengths"}[case]
    assert expect in err and "error" in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
