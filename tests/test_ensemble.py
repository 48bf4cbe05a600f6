"""Priors and the ensemble calibration (a few-particle ABC-SMC run, resumed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pcnsim import params as P
from pcnsim.calibration.ensemble import (
    EnsembleConfig,
    calibrate_ensemble,
    load_ensemble,
    observation_sd,
    observed,
    particle_seed,
    prior_ensemble,
    pyabc_prior,
    write_ensemble,
)
from pcnsim.calibration.targets import TARGET_BY_ID, TARGET_IDS
from pcnsim.errors import PCNSimInputError


def test_every_prior_lies_within_its_parameter_and_holds_the_default():
    for name, pr in P.PRIORS.items():
        lo, hi = P.bounds(name)
        assert lo <= pr.lo < pr.hi <= hi, name
        d = pr.dist()
        assert d.cdf(pr.lo) == pytest.approx(0.0, abs=1e-12) and d.cdf(pr.hi) == pytest.approx(1.0), name
        assert pr.reason.strip(), name
    assert set(P.CALIBRATED_PRIORS) >= {"fill_rate", "intention_intercept", "leave_if_intending"}
    assert set(P.ECONOMIC_PRIORS) == {"recruit_cost_per_hire", "induction_cost_per_hire", "vacancy_cover_share"}
    assert not set(P.fixed_parameters()) & set(P.PRIORS)


def test_a_bad_prior_is_refused(monkeypatch):
    bad = dict(P.PRIORS)
    bad["fill_rate"] = P.Prior(kind="uniform", lo=0.5, hi=2.0, reason="x")  # beyond the bounds, misses the default
    monkeypatch.setattr(P, "PRIORS", bad)
    with pytest.raises(ValueError, match="fill_rate"):
        P._check_priors()
    bad["fill_rate"] = P.Prior(kind="truncnorm", lo=0.01, hi=0.2, reason="x")  # truncnorm without mean, sd
    with pytest.raises(ValueError, match="mean and a positive sd"):
        P._check_priors()


def test_priors_are_in_the_generated_parameter_docs():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "parameters.md").read_text()
    assert P.prior_markdown() in text


def test_the_sampler_space_carries_every_prior_exactly():
    from scipy import stats

    from pcnsim.calibration.ensemble import from_sampler, to_sampler

    names = [n for n in P.PRIORS if n not in P.ECONOMIC_PRIORS]
    prior = pyabc_prior(names)
    np.random.seed(4)  # noqa: NPY002 - pyabc draws with NumPy's global generator
    z = pd.DataFrame([dict(prior.rvs()) for _ in range(400)])
    for n in names:
        pr = P.PRIORS[n]
        x = from_sampler(n, z[n].to_numpy())
        assert (x >= pr.lo).all() and (x <= pr.hi).all(), n
        # a draw of the standard logistic, mapped back, is a draw of the prior (Kolmogorov-Smirnov)
        assert stats.kstest(x, pr.dist().cdf).pvalue > 1e-3, n
        inner = np.linspace(pr.lo, pr.hi, 7)[1:-1]
        np.testing.assert_allclose(from_sampler(n, to_sampler(n, inner)), inner, rtol=1e-9)
    # far tails map to the bounds, not beyond
    edges = from_sampler("fill_rate", np.array([-80.0, 80.0]))
    assert edges == pytest.approx([P.PRIORS["fill_rate"].lo, P.PRIORS["fill_rate"].hi], rel=1e-9)


def test_observation_error_is_the_tolerance_as_a_95_interval():
    for i in TARGET_IDS:
        t = TARGET_BY_ID[i]
        assert 1.96 * observation_sd(i) == pytest.approx((t.hi - t.lo) / 2)
        assert t.lo <= observed()[i] <= t.hi


def test_particle_seed_is_a_function_of_the_values():
    a = particle_seed({"x": 0.1, "y": 2.0})
    assert a == particle_seed({"y": 2.0, "x": 0.1})
    assert a != particle_seed({"x": 0.1000001, "y": 2.0})


def test_config_is_validated():
    with pytest.raises(PCNSimInputError, match="population"):
        EnsembleConfig(population=1)
    with pytest.raises(PCNSimInputError, match="no prior"):
        EnsembleConfig(fixed=("n_practices",))
    c = EnsembleConfig(fixed=("tie_gain",))
    assert "tie_gain" not in c.free and "recruit_cost_per_hire" not in c.free
    assert EnsembleConfig(generations=3).hash() == EnsembleConfig(generations=5).hash()  # may be raised on resume


def test_draws_follow_the_weights():
    ens = prior_ensemble(4, seed=1)
    ens.frame["weight"] = [0.0, 0.0, 0.75, 0.25]
    d = ens.draws(8, seed=3)
    assert sorted(d["particle"].value_counts().items()) == [(2, 6), (3, 2)]
    pd.testing.assert_frame_equal(d, ens.draws(8, seed=3))


@pytest.mark.slow
def test_a_tiny_rejection_run_resumes_and_keeps_every_generation(tmp_path):
    out = tmp_path / "abc"
    cfg = dict(population=4, networks=1, seed=5, threshold=1e4, fixed=tuple(n for n in P.PRIORS if n not in
                                                                            ("fill_rate", "intention_intercept")))
    first = calibrate_ensemble(out, EnsembleConfig(generations=1, **cfg), workers=1, progress=False)
    assert len(first.ensemble) == 4 and len(first.generations) == 1
    assert set(first.provenance["free"]) == {"fill_rate", "intention_intercept"}
    assert "rejection ABC" in first.provenance["method"]
    # the same command with more generations continues the stored run: generation 0 is kept as it was, and the
    # ensemble is both generations' sets, equally weighted (the proposal is the prior)
    second = calibrate_ensemble(out, EnsembleConfig(generations=2, **cfg), workers=1, progress=False)
    assert len(second.generations) == 2 and len(second.ensemble) == 8
    assert second.generations["samples"].iloc[0] == first.generations["samples"].iloc[0]
    same = ["fill_rate", "intention_intercept", "distance", *(c for c in first.ensemble if c.startswith("sim_"))]
    pd.testing.assert_frame_equal(second.ensemble.iloc[:4][same], first.ensemble[same])
    g = second.generations
    assert ((g["acceptance"] > 0) & (g["acceptance"] <= 1)).all()
    assert g["ess"].to_numpy() == pytest.approx([4.0, 4.0])  # the prior as proposal: equal weights
    ens = second.ensemble
    assert ens["weight"].to_numpy() == pytest.approx(np.full(8, 1 / 8))
    assert (ens["distance"] <= 1e4).all()
    for n in ("fill_rate", "intention_intercept"):
        assert (ens[n] >= P.PRIORS[n].lo).all() and (ens[n] <= P.PRIORS[n].hi).all()
    assert (ens["tie_gain"] == P.Params().tie_gain).all()  # fixed at the default
    write_ensemble(out / "ensemble.parquet", second)
    back = load_ensemble(out / "ensemble.parquet")
    assert back.provenance["config"]["population"] == 4 and "git_commit" in back.provenance
    assert len(back.frame) == 8
    with pytest.raises(PCNSimInputError, match="another ensemble calibration"):
        calibrate_ensemble(out, EnsembleConfig(generations=2, **{**cfg, "seed": 6}), workers=1, progress=False)


@pytest.mark.slow
def test_a_tiny_smc_run_keeps_its_last_generation(tmp_path):
    cfg = EnsembleConfig(population=4, generations=2, networks=1, seed=5, method="distance",
                         fixed=tuple(n for n in P.PRIORS if n not in ("fill_rate", "intention_intercept")))
    res = calibrate_ensemble(tmp_path / "smc", cfg, workers=1, progress=False)
    assert len(res.ensemble) == 4 and res.ensemble["weight"].sum() == pytest.approx(1.0)
    g = res.generations
    assert ((g["ess"] >= 1 - 1e-9) & (g["ess"] <= 4 + 1e-9)).all()  # between one particle and all four
    assert g["epsilon"].is_monotonic_decreasing


def test_ensemble_commands_refuse_bad_input_and_write_nothing(tmp_path, capsys):
    from pcnsim.cli import main

    out = tmp_path / "e"
    assert main(["calibrate", "--ensemble", "--fix", "not_a_parameter", "--out", str(out)]) == 2
    assert "not_a_parameter" in capsys.readouterr().err
    assert main(["calibrate", "--ensemble", "--check", "--out", str(out)]) == 2
    assert main(["calibrate", "--population", "10", "--out", str(out)]) == 2  # an ensemble flag without --ensemble
    assert main(["calibrate", "--ensemble", "--screening", "--out", str(out)]) == 2
    assert main(["calibrate", "--ensemble", "--screen", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert main(["calibrate", "--ensemble", "--method", "distance", "--threshold", "8", "--out", str(out)]) == 2
    assert "--threshold" in capsys.readouterr().err
    assert main(["calibrate", "--ensemble", "--threshold", "-1", "--out", str(out)]) == 2
    assert "threshold" in capsys.readouterr().err
    assert main(["calibrate", "--threshold", "8", "--out", str(out)]) == 2  # an ensemble flag without --ensemble
    with pytest.raises(SystemExit) as e:
        main(["calibrate", "--ensemble", "--population", "1"])
    assert e.value.code == 2
    assert not out.exists()


def test_the_screening_design_spans_the_priors():
    from pcnsim.screening import screened_names, spec_dict
    from pcnsim.sweep import SweepSpec

    spec = SweepSpec.from_dict(spec_dict("baseline", trajectories=2, replicates=1, weeks=10))
    assert [p.name for p in spec.params] == screened_names()
    assert not set(screened_names()) & set(P.ECONOMIC_PRIORS)
    for p in spec.params:
        assert (p.lo, p.hi) == (P.PRIORS[p.name].lo, P.PRIORS[p.name].hi)
    assert spec.n_points == 2 * (len(screened_names()) + 1)
    with pytest.raises(PCNSimInputError):
        spec_dict("neither")


def test_methods():
    from pcnsim.calibration.ensemble import DEFAULT_THRESHOLD, METHODS, min_distance

    assert METHODS == ("rejection", "distance", "exact")
    assert EnsembleConfig().method == "rejection" and EnsembleConfig().threshold == DEFAULT_THRESHOLD
    assert EnsembleConfig(method="exact").hash() != EnsembleConfig().hash()
    assert EnsembleConfig(threshold=8.0).hash() != EnsembleConfig().hash()
    with pytest.raises(PCNSimInputError, match="method"):
        EnsembleConfig(method="smc")
    with pytest.raises(PCNSimInputError, match="threshold"):
        EnsembleConfig(method="distance", threshold=8.0)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(PCNSimInputError, match="threshold"):
            EnsembleConfig(threshold=bad)
    assert min_distance() == pytest.approx(1.96 * np.sqrt(len(TARGET_IDS)))
