"""The ensemble shipped with the package (``--ensemble shipped``): what it claims about itself holds.

It was made by ``pcnsim calibrate --ensemble`` on this model, so its particles must reproduce here: a
particle's targets are a function of its parameter values (its seed is derived from them). A change to the
model that changes what a particle simulates fails the last test: the shipped ensemble must then be made
again (docs/ensemble-posterior.md says how).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pcnsim import params as P
from pcnsim.calibration.ensemble import (
    load_ensemble,
    observation_sd,
    observed,
    particle_seed,
    shipped_ensemble_path,
)
from pcnsim.calibration.targets import TARGET_IDS

DOC = Path(__file__).resolve().parents[1] / "docs" / "ensemble-posterior.md"


@pytest.fixture(scope="module")
def shipped():
    return load_ensemble("shipped")


def test_the_shipped_ensemble_is_package_data_of_200_sets_within_the_priors(shipped):
    assert shipped_ensemble_path().is_file()
    df = shipped.frame
    assert len(df) >= 200  # the minimum
    assert set(P.PRIORS) <= set(df.columns)
    for name, pr in P.PRIORS.items():
        assert df[name].between(pr.lo, pr.hi).all(), name
    w = df["weight"].to_numpy()
    assert np.isfinite(w).all() and (w > 0).all()
    prov = shipped.provenance
    for key in ("pcnsim_version", "git_commit", "created", "method", "config", "free", "targets", "priors"):
        assert prov.get(key), key


def test_every_shipped_set_is_within_the_threshold_it_claims(shipped):
    df, prov = shipped.frame, shipped.provenance
    obs = observed()
    z = np.column_stack([(df[f"sim_{i}"].to_numpy() - obs[i]) / observation_sd(i) for i in TARGET_IDS])
    distance = np.sqrt(np.square(z).sum(axis=1))
    np.testing.assert_allclose(distance, df["distance"].to_numpy(), rtol=1e-9)  # pyabc's distance is ours
    if prov["config"]["method"] == "rejection":
        assert (distance <= prov["config"]["threshold"] + 1e-9).all()
        assert np.ptp(df["weight"].to_numpy()) == pytest.approx(0.0, abs=1e-12)  # rejection: equal weights


def test_the_report_in_the_docs_is_of_the_shipped_file(shipped):
    text = DOC.read_text()
    prov = shipped.provenance
    assert prov["git_commit"] in text
    assert f"{len(shipped.frame)} accepted parameter sets" in text


@pytest.mark.slow
def test_shipped_particles_reproduce_on_this_model(shipped):
    from pcnsim.calibration.measure import simulate

    df, prov = shipped.frame, shipped.provenance
    networks = prov["config"]["networks"]
    for i in (int(df["distance"].idxmin()), int(df["distance"].idxmax())):
        values = {n: float(df.at[i, n]) for n in prov["free"]}
        out = simulate(values, particle_seed(values), networks)
        got = [out[t] for t in TARGET_IDS]
        want = [df.at[i, f"sim_{t}"] for t in TARGET_IDS]
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"particle {i}: the model no longer gives the "
                                   "targets it was calibrated with; make the shipped ensemble again")
