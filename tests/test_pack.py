"""Runs packed as the networks of one model give the same results, bit for bit, as each run alone.

Every parameter with a prior is drawn anew for each run (so every per-network array of the step differs
between the networks of a packed model), seeds differ, and the runs carry different interventions, some
aimed at their one network; a run's summary packed must equal its summary alone, field by field, exactly.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from pcnsim.evaluate import run_network_summary
from pcnsim.netparams import SHARED, NetworkParams, pack_key
from pcnsim.pack import PackedRun, build_packed, network_summary, run_packed
from pcnsim.params import PRIORS, Params
from pcnsim.scenario import load

WEEKS = 80  # past the scheme's start (April 2019 + 52 weeks: ARRS hires, claims, a closed financial year)


def _draw(rng: np.random.Generator) -> dict[str, float]:
    """A parameter set with every prior's parameter drawn from its prior (economics aside)."""
    out = {}
    for name, prior in PRIORS.items():
        if name in SHARED or Params.model_fields[name].json_schema_extra.get("group") == "economics":
            continue
        out[name] = float(prior.dist().rvs(random_state=rng))
    return out


def _same(a: object, b: object, path: str = "") -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), f"{path}: {b} != nan"
    else:
        assert a == b, f"{path}: packed {b!r} != alone {a!r}"


INTERVENTIONS = [
    [],
    [{"type": "protected_supervision", "hours": 1.0, "start": 20}],
    [{"type": "team_days", "every_weeks": 4, "start": 10}],
    [{"type": "organisational_development", "start": 5, "end": 60}, {"type": "peer_support", "start": 30}],
    [{"type": "london_weighting", "uplift": 0.1}, {"type": "flexible_role_mix"}],
    [{"type": "role_clarity", "start": 0, "networks": [0]}, {"type": "base_practice"}],
    [{"type": "remote_policy", "cap": 0.2}, {"type": "shared_vaccination", "start": 40, "end": 70}],
]


@pytest.fixture(scope="module")
def runs() -> list[PackedRun]:
    base = load(None)
    rng = np.random.default_rng(2024)
    out = []
    for i in range(9):
        params = _draw(rng)
        if i == 4:
            params["london"] = True  # a London network beside others
        ivs = INTERVENTIONS[i % len(INTERVENTIONS)]
        sc = base.with_changes(parameters={**base.parameters, **params}, interventions=ivs)
        out.append(PackedRun(sc, seed=1000 + 7 * i))
    out.append(PackedRun(out[0].scenario, seed=out[0].seed))  # the same run twice in one pack
    return out


def test_packed_runs_equal_runs_alone(runs):
    packed = run_packed(runs, WEEKS)
    for r, p in zip(runs, packed, strict=True):
        alone = run_network_summary(r.scenario, r.seed, WEEKS)
        _same(json.loads(json.dumps(alone, default=str)), json.loads(json.dumps(p, default=str)))
    _same(packed[0], packed[-1])


def test_a_run_does_not_depend_on_its_pack(runs):
    """The same runs packed in another order and other company give the same results."""
    first = run_packed(runs[:5], WEEKS)
    again = run_packed(list(reversed(runs[:5])) + runs[5:], WEEKS)
    for i in range(5):
        _same(first[i], again[4 - i])


def test_runs_differ_where_their_parameters_do(runs):
    """A check that the pack is not giving every network the same numbers."""
    model = build_packed(runs[:3])
    model.run(WEEKS)
    outs = [network_summary(model, g)["network"]["arrs_fte_end"] for g in range(3)]
    assert len(set(outs)) == 3


def test_shared_parameters_must_agree():
    a = Params()
    b = Params.from_dict({"pandemic_start": "2020-04-01"})
    assert pack_key(a) != pack_key(b)
    with pytest.raises(ValueError, match="pandemic_start differs"):
        NetworkParams.of([a, b])
    # runs that differ in a shared parameter are still run, in packs of their own
    base = load(None)
    runs = [PackedRun(base, 3), PackedRun(base.with_changes(parameters={"pandemic_start": "2020-04-01"}), 3)]
    got = run_packed(runs, 30)
    for r, p in zip(runs, got, strict=True):
        _same(run_network_summary(r.scenario, r.seed, 30), p)


def test_network_params_table():
    t = NetworkParams.of([Params(), Params.from_dict({"homophily": 0.9})])
    assert t.homophily.tolist() == [Params().homophily, 0.9]
    assert t.varies and t.n_networks == 2
    with pytest.raises(AttributeError, match="shared"):
        _ = t.start_date


def test_weekly_outputs_and_economics_packed_equal_alone(runs):
    """What the comparisons read from a run (the weekly table, the outcomes and the discounted economics)
    is the same packed or alone."""
    from pcnsim.economics import run_economics
    from pcnsim.experiments import run_outcomes

    def read(run):
        return run.recorder.weekly(), run_outcomes(run)[0], run_economics(run)

    some = runs[1:6]
    packed = run_packed(some, WEEKS, result=read)
    for r, (weekly, outcomes, econ) in zip(some, packed, strict=True):
        a_weekly, a_out, a_econ = read(r.scenario.build_model(seed=r.seed).run(WEEKS))
        assert set(weekly.columns) == set(a_weekly.columns)
        pd.testing.assert_frame_equal(a_weekly[list(weekly.columns)], weekly, check_exact=True, check_dtype=False)
        _same(a_out, outcomes)
        _same(a_econ, econ)


def test_evaluate_replicates_packed_equal_the_mean_of_single_runs():
    from pcnsim import evaluate

    keys = ["arrs_fte_end", "arrs_annual_leaver_rate", "appointments"]
    mean = evaluate(seed=5, replicates=3, weeks=60, outcomes=keys, homophily=0.6)
    single = [evaluate(seed=5 + r, weeks=60, outcomes=keys, homophily=0.6) for r in range(3)]
    for k in keys:
        assert mean[k] == float(np.mean([s[k] for s in single]))
