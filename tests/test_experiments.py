"""Every experiment script runs in quick mode and writes its tables and figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
SCRIPTS = sorted(p for p in EXPERIMENTS.glob("*.py")
                 if not p.name.startswith("_") and p.stem not in ("all_interventions", "ensemble_ranking"))


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"experiment_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_there_is_a_script_for_every_headline_question():
    assert {p.stem for p in SCRIPTS} >= {"pandemic_vaccination", "supervision", "base_practice", "team_days",
                                         "org_development", "london_weighting", "flexible_role_mix", "combined_package"}


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_experiment_runs_in_quick_mode(script, tmp_path):
    mod = _load(script)
    assert all(Path(s).exists() for s in mod.SCENARIOS), "every scenario file of the experiment exists"
    out = tmp_path / script.stem
    cmp = mod.main(["--quick", "--quiet", "--out", str(out)])
    assert cmp.meta["replicates"] == 2 and cmp.meta["weeks"] == 78
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * len(mod.SCENARIOS)
    diffs = pd.read_csv(out / "differences.csv")
    assert set(diffs["scenario"]) == set(cmp.names[1:])
    assert (out / "timeseries.png").stat().st_size > 0 and (out / "forest.png").stat().st_size > 0


def test_all_interventions_ranks_every_intervention_in_quick_mode(tmp_path):
    """The ranking of all ten interventions: one row each, nine against the default baseline and London
    weighting against a London baseline, with the comparisons' own tables beside it."""
    import pcnsim.interventions as I

    mod = _load(EXPERIMENTS / "all_interventions.py")
    assert all(Path(s).exists() for s in (*mod.DEFAULT_ARMS, *mod.LONDON_ARMS))
    out = tmp_path / "all"
    table = mod.main(["--quick", "--quiet", "--out", str(out)])
    assert len(table) == len(I.REGISTRY) == 10
    assert (table["baseline"] == "london").sum() == 1
    assert list(table["leavers"]) == sorted(table["leavers"])  # ranked, most leavers avoided first
    assert (out / "ranking.md").read_text().count("\n| ") >= 11
    for sub in ("default_network", "london_network"):
        assert (out / sub / "differences.csv").exists()


def test_ensemble_ranking_gives_every_intervention_its_probabilities(tmp_path):
    """The ten interventions over an ensemble (prior draws here, 4 of them, 78 weeks): one row each, with
    probabilities between 0 and 1, and the chances of ranking first among the eight on the default network
    summing to 1 over the draws."""
    import numpy as np

    mod = _load(EXPERIMENTS / "ensemble_ranking.py")
    out = tmp_path / "ranking"
    table = mod.main(["--quick", "--quiet", "--ensemble", "prior", "--replicates", "0", "--workers", "1",
                      "--out", str(out)])
    assert len(table) == 10 and table["scenario"].is_unique
    for col in ("p_reduces_leavers", "p_most_cost_effective"):
        assert table[col].between(0, 1).all()
    eight = table.dropna(subset=["p_rank_first"])
    assert len(eight) == 8 and np.isclose(eight["p_rank_first"].sum(), 1.0)
    assert eight["rank_lo"].le(eight["mean_rank"]).all() and eight["mean_rank"].le(eight["rank_hi"]).all()
    assert list(table["leavers"]) == sorted(table["leavers"])  # ranked, most leavers avoided first
    assert (out / "ranking.md").read_text().count("\n| ") >= 11
