"""The compiled passes over the staff against their definitions: the wellbeing pass
(pcnsim/mechanisms/wellbeing.py) against its reference composed from the mechanisms' own NumPy functions (every
field it writes, on random states, with and without the levers), and the team sums, FTE in post and week sums
against the NumPy bincounts they replace (exactly: same sums, same order)."""

import numpy as np
import pytest

from pcnsim.mechanisms import wellbeing as wb
from pcnsim.params import Params
from pcnsim.roles import N_ROLES, RoleArrays
from pcnsim.state import StaffArrays

WRITTEN = ("belonging", "supervision", "peer", "support", "load", "burnout", "discrepancy", "pay_gap",
           "intention")


def _state(seed: int, n: int = 3000, n_net: int = 4):
    rng = np.random.default_rng(seed)
    s = StaffArrays(capacity=n + 200)
    ids_all = s.add(n + 100, network=rng.integers(0, n_net, n + 100), role=rng.integers(0, N_ROLES, n + 100),
                    fte=rng.uniform(0.2, 1.0, n + 100))
    for f in ("belonging", "burnout", "discrepancy", "contagion"):
        getattr(s, f)[ids_all] = rng.uniform(0, 1, len(ids_all))
    s.propensity[ids_all] = rng.logistic(size=len(ids_all))
    ids = np.sort(rng.choice(ids_all, n, replace=False))  # some rows are not in post
    R = RoleArrays()
    args = dict(
        ids=ids, role=s.role[ids].astype(np.int64), net=s.network[ids].astype(np.int64),
        fte=s.fte[ids].astype(np.float64), remote=rng.uniform(0, 1, n).astype(np.float32),
        strength=rng.uniform(0, 8, n).astype(np.float32), same_strength=rng.uniform(0, 4, n).astype(np.float32),
        split=rng.integers(1, 5, n).astype(np.int32), base=rng.random(n) < 0.5, staff=s,
        vision=rng.uniform(0, 1, n_net), clarity=rng.uniform(0, 1, n_net), coverage=rng.uniform(0, 1, n_net),
        team_load=rng.uniform(1, 2, n_net * N_ROLES), pay_gap=rng.uniform(0, 0.3, (n_net, N_ROLES)),
        is_arrs=R.arrs, need_per_fte=R.supervision_need * 1.0, role_discrepancy=R.discrepancy,
        w=wb.Weights.of(Params(), pandemic=bool(seed % 2)),
    )
    levers = wb.PersonLevers(
        protected_hours=rng.uniform(0, 2, n + 201).astype(np.float32),
        peer_bonus=rng.uniform(0, 1, n + 201).astype(np.float32),
        extra_load=rng.uniform(0, 0.3, n + 201).astype(np.float32),
        discrepancy_cut=rng.uniform(0, 0.5, n + 201).astype(np.float32))
    return s, args, levers


def _copy(s: StaffArrays) -> StaffArrays:
    c = StaffArrays(capacity=s.capacity)
    for f in (*WRITTEN, "intends", "propensity", "contagion", "role", "network", "fte", "active"):
        setattr(c, f, getattr(s, f).copy())
    c.n = s.n
    return c


@pytest.mark.parametrize("with_levers", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_pass_matches_the_reference(seed, with_levers):
    s, args, levers = _state(seed)
    lev = levers if with_levers else wb.PersonLevers()
    a, b = _copy(s), _copy(s)
    out_k = wb.update(**{**args, "staff": a}, levers=lev)
    out_r = wb.reference(**{**args, "staff": b}, levers=lev)
    ids = args["ids"]
    for f in WRITTEN:
        np.testing.assert_allclose(getattr(a, f)[ids], getattr(b, f)[ids], rtol=2e-6, atol=2e-6, err_msg=f)
    # intends: the same but where log-odds plus propensity is within rounding of zero
    differ = a.intends[ids] != b.intends[ids]
    assert differ.sum() <= 2
    assert a.intends[ids].mean() > 0.05 and (~a.intends[ids]).mean() > 0.05  # both outcomes exercised
    np.testing.assert_allclose(out_k[0], out_r[0], rtol=1e-9)
    assert out_k[1] == out_r[1] > 0
    np.testing.assert_allclose(out_k[2], out_r[2], rtol=1e-9)
    assert (out_k[2] > 0) == with_levers
    rest = np.setdiff1d(np.arange(s.n), ids)  # people not passed are untouched
    for f in WRITTEN:
        np.testing.assert_array_equal(getattr(a, f)[rest], getattr(s, f)[rest], err_msg=f)


def test_team_sums_are_the_bincounts():
    s, args, _ = _state(3)
    R = RoleArrays()
    on_notice = np.random.default_rng(0).random(len(args["ids"])) < 0.1
    demand, in_post = wb.team_sums(args["role"], args["net"], args["fte"], on_notice, R.arrs, R.supervision_need,
                                   4, N_ROLES)
    need = np.where(R.arrs[args["role"]], R.supervision_need[args["role"]] * args["fte"], 0.0)
    np.testing.assert_array_equal(demand, np.bincount(args["net"], weights=need, minlength=4))
    np.testing.assert_array_equal(in_post, np.bincount(args["net"] * N_ROLES + args["role"],
                                                       weights=np.where(on_notice, 0.0, args["fte"]),
                                                       minlength=4 * N_ROLES))


def test_in_post_and_week_sums_are_the_bincounts_over_the_active_staff():
    """The compiled passes of recruitment and recording against their definitions (NumPy, over active ids),
    on a model with turnover and people on notice."""
    from pcnsim.mechanisms import recruitment as rec
    from pcnsim.model import PCNModel
    from pcnsim.population import replicate, single_network
    from pcnsim.results import week_sums
    from pcnsim.roles import NURSE

    m = PCNModel(rng=5, population=replicate(single_network(Params()), 3)).run(120)
    s, R = m.staff, m.roles
    ids = s.active_ids()
    assert (~s.active[: s.n]).sum() > 20 and (s.notice_left[ids] >= 0).sum() > 0  # leavers and notice exercised
    role, fte = s.role[ids].astype(np.int64), s.fte[ids]
    in_post = np.where(s.notice_left[ids] < 0, fte, 0.0)
    have, chave = rec.in_post(s, R.arrs, NURSE, m.n_networks, m.n_practices)
    unit = s.network[ids].astype(np.int64) * N_ROLES + role
    want = np.bincount(unit, weights=np.where(R.arrs[role], in_post, 0.0), minlength=m.n_networks * N_ROLES)
    np.testing.assert_array_equal(have.ravel(), want)
    core = ~R.arrs[role]
    cunit = s.practice[ids][core].astype(np.int64) * 2 + (role[core] == NURSE)
    np.testing.assert_array_equal(chave.ravel(), np.bincount(cunit, weights=in_post[core], minlength=m.n_practices * 2))
    prod = rec.productivity(np.arange(m.week + 600), Params().learning_weeks)
    sums = week_sums(s, m.week, prod, m.n_networks)
    bc = np.bincount
    np.testing.assert_array_equal(sums.headcount, bc(role, minlength=N_ROLES))
    np.testing.assert_array_equal(sums.fte, bc(role, weights=fte, minlength=N_ROLES))
    np.testing.assert_array_equal(sums.intending, bc(role, weights=s.intends[ids], minlength=N_ROLES))
    np.testing.assert_array_equal(sums.belonging, bc(role, weights=s.belonging[ids], minlength=N_ROLES))
    np.testing.assert_array_equal(sums.burnout, bc(role, weights=s.burnout[ids], minlength=N_ROLES))
    np.testing.assert_array_equal(sums.productive_fte, bc(role, weights=fte * prod[m.week - s.hire_week[ids]],
                                                          minlength=N_ROLES))
    np.testing.assert_array_equal(sums.team_fte, bc(unit, weights=fte, minlength=m.n_networks * N_ROLES))
    with pytest.raises(ValueError, match="productivity"):
        week_sums(s, m.week, prod[:10], m.n_networks)
