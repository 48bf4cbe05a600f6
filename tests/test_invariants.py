"""Invariants that must hold in every run, including at the bounds of every parameter."""

import numpy as np
import pytest

from pcnsim.model import PCNModel
from pcnsim.params import Params, numeric_space
from pcnsim.population import replicate, single_network
from pcnsim.roles import N_ROLES
from tests.helpers import run


class ClaimWatcher:
    """Step a model and check money every week (spend never exceeds the allocation)."""

    @staticmethod
    def run(model: PCNModel, weeks: int) -> None:
        for _ in range(weeks):
            model.step()
            assert (model.claimed_ytd <= model.allocation + 1e-6).all()
            assert model.spend_week >= 0


def check_state(model: PCNModel) -> None:
    s = model.staff
    n = s.n
    for name in ("fte", "belonging", "support", "supervision", "peer", "burnout", "discrepancy", "contagion",
                 "intention", "remote", "load", "pay_gap"):
        a = getattr(s, name)[:n]
        assert np.isfinite(a).all(), name
        assert (a >= 0).all(), name
    for name in ("belonging", "support", "supervision", "peer", "burnout", "intention", "remote"):
        assert (getattr(s, name)[:n] <= 1 + 1e-6).all(), name
    assert (s.tie_w[:n] >= 0).all() and (s.tie_w[:n] <= 1 + 1e-6).all()
    act = s.active[:n]
    # ties only between people in post, and only between people of one network
    j = s.tie_j[:n][act]
    has = j >= 0
    assert s.active[j[has]].all()
    own = np.repeat(s.network[:n][act], has.sum(axis=1))
    assert (s.network[j[has]] == own).all()
    # one agent per person in post
    assert len(model.agents) == int(act.sum())
    w = model.recorder.weekly()
    assert np.isfinite(w.select_dtypes("number").to_numpy()).all()


def test_headcount_equals_start_plus_joiners_minus_leavers():
    m = run(3, weeks=156, copies=2)
    r = m.recorder
    hc = r.role_array("headcount")
    cum = r.start_headcount + np.cumsum(r.role_array("joiners") - r.role_array("leavers"), axis=0)
    assert (hc == cum).all()
    s = m.staff
    ids = s.active_ids()
    assert (np.bincount(s.role[ids], minlength=N_ROLES) == hc[-1]).all()
    check_state(m)


def test_spend_never_exceeds_allocation_even_when_money_is_short():
    # budget far below the cost of staff in post: claims must still stop at the allocation
    p = Params.from_dict({"budget_2020": 430.0, "budget_2021": 50.0, "planned_share": 1.0})
    m = PCNModel(rng=2, population=single_network(p), params=p)
    ClaimWatcher.run(m, 156)
    for y in m.year_table():
        assert y["spend"] <= y["allocation"] + 1e-6


def test_default_run_is_sane():
    m = run(1, weeks=260)
    check_state(m)
    assert m.summary()["network"]["arrs_spend"] <= m.summary()["network"]["arrs_allocation"]


def _extreme_values():
    space = numeric_space()
    cases = []
    for name, (lo, hi) in space.items():
        cases.append((name, lo))
        cases.append((name, hi))
    return cases


@pytest.mark.parametrize("name,value", _extreme_values(), ids=lambda v: str(v))
def test_no_negative_or_nan_state_at_parameter_bounds(name, value):
    f = Params.model_fields[name]
    value = int(value) if f.annotation is int else value
    p = Params.from_dict({name: value, "start_date": "2020-04-01"})
    pop = single_network(p)
    m = PCNModel(rng=5, population=pop, params=p)
    ClaimWatcher.run(m, 40)
    check_state(m)


def test_all_bounds_at_once_low_and_high():
    space = numeric_space()
    for pick in (0, 1):
        vals = {k: (int(v[pick]) if Params.model_fields[k].annotation is int else v[pick]) for k, v in space.items()}
        vals["start_date"] = "2021-04-01"
        p = Params.from_dict(vals)
        pop = replicate(single_network(p), 2) if p.n_practices < 20 else single_network(p)
        m = PCNModel(rng=9, population=pop, params=p)
        ClaimWatcher.run(m, 30)
        check_state(m)


def test_ties_stay_within_a_network_and_never_point_at_leavers():
    """Every tie joins two people of one network (leaving relies on it: only a network someone left is
    searched for ties to cut), and no one in post holds a tie to someone who has left."""
    from pcnsim.interventions import SharedVaccination

    m = PCNModel(rng=8, population=replicate(single_network(Params()), 4),
                 interventions=[SharedVaccination(start="2019-04-01")]).run(104)
    s = m.staff
    ids = s.active_ids()
    j = s.tie_j[ids]
    held = j >= 0
    assert held.sum() > 1000 and m.recorder.role_array("leavers").sum() > 20
    owner = np.repeat(ids, held.sum(axis=1))
    np.testing.assert_array_equal(s.network[j[held]], s.network[owner])
    assert s.active[j[held]].all()
