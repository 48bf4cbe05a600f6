"""The compiled passes over the staff: the wellbeing pass (pcnsim/mechanisms/wellbeing.py) composes the
mechanisms' scalar formulas as documented (checked person by person, by calling the same formulas, on random
states, with and without the levers: this checks the wiring, not a second copy of any formula), and the team
sums, FTE in post and week sums against the NumPy bincounts they replace (exactly: same sums, same order)."""

import numpy as np
import pytest

from pcnsim.mechanisms import belonging as bel
from pcnsim.mechanisms import leaving as lv
from pcnsim.mechanisms import support as sup
from pcnsim.mechanisms import wellbeing as wb
from pcnsim.mechanisms import workload as wl
from pcnsim.params import Params
from pcnsim.roles import N_ROLES, RoleArrays
from pcnsim.state import StaffArrays

WRITTEN = ("belonging", "supervision", "peer", "support", "load", "burnout", "discrepancy", "pay_gap",
           "intention", "intends")


def _state(seed: int, n: int = 600, n_net: int = 4):
    rng = np.random.default_rng(seed)
    s = StaffArrays(capacity=n + 200)
    ids_all = s.add(n + 100, network=rng.integers(0, n_net, n + 100), role=rng.integers(0, N_ROLES, n + 100),
                    fte=rng.uniform(0.2, 1.0, n + 100))
    for f in ("belonging", "burnout", "discrepancy", "contagion"):
        getattr(s, f)[ids_all] = rng.uniform(0, 1, len(ids_all))
    s.propensity[ids_all] = rng.logistic(size=len(ids_all))
    s.affiliation[ids_all] = rng.standard_normal(len(ids_all))
    ids = np.sort(rng.choice(ids_all, n, replace=False))  # some rows are not in post
    R = RoleArrays()
    args = dict(
        ids=ids, role=s.role[ids].astype(np.int64), net=s.network[ids].astype(np.int64),
        fte=s.fte[ids].astype(np.float64), remote=rng.uniform(0, 1, n).astype(np.float32),
        strength=rng.uniform(0, 8, n).astype(np.float32), same_strength=rng.uniform(0, 4, n).astype(np.float32),
        split=rng.integers(1, 5, n).astype(np.int32), base=rng.random(n) < 0.5, staff=s,
        vision=rng.uniform(0, 1, n_net), clarity=rng.uniform(0, 1, n_net), coverage=rng.uniform(0, 1, (n_net, N_ROLES)),
        team_load=rng.uniform(1, 2, n_net * N_ROLES), pay_gap=rng.uniform(0, 0.3, (n_net, N_ROLES)),
        is_arrs=R.arrs, need_per_fte=R.supervision_need * 1.0, role_discrepancy=R.discrepancy,
        w=wb.Weights.of(Params(belonging_base_bonus=0.05, belonging_dilution=0.02), pandemic=bool(seed % 2),
                        n_networks=n_net),
    )
    # per-network weights that differ between networks: the pass must read each person's own network's
    args["w"] = args["w"]._replace(w_supervision=rng.uniform(0.5, 3.0, n_net),
                                   belonging_tie_half=rng.uniform(2.0, 8.0, n_net))
    levers = wb.PersonLevers(
        protected_hours=rng.uniform(0, 2, n + 201).astype(np.float32),
        peer_bonus=rng.uniform(0, 1, n + 201).astype(np.float32),
        extra_load=rng.uniform(0, 0.3, n + 201).astype(np.float32),
        discrepancy_cut=rng.uniform(0, 0.5, n + 201).astype(np.float32))
    return s, args, levers


def _expected(s0: StaffArrays, a: dict, lev: wb.PersonLevers, p: int) -> dict[str, float]:
    """Person ``p`` of ``a["ids"]``, composed from the mechanisms' formulas as documented in wellbeing.py."""
    i, r, g, w = a["ids"][p], a["role"][p], a["net"][p], a["w"]

    def lv_of(x):  # noqa: ANN001, ANN202
        return 0.0 if x is None else float(x[i])

    f32 = lambda x: float(np.float32(x))  # noqa: E731 (the staff arrays store single precision)
    arrs = a["is_arrs"][r]
    embed = bel.embeddedness(float(a["strength"][p]), w.belonging_tie_half[g])
    tgt = bel.target(embed, a["vision"][g], float(s0.affiliation[i]), bool(a["base"][p]), int(a["split"][p]),
                     w.belonging_vision_weight[g], w.belonging_personal_sd[g], w.belonging_base_bonus[g],
                     w.belonging_dilution[g])
    b = f32(bel.step(float(s0.belonging[i]), tgt, w.belonging_rate[g]))
    need = a["need_per_fte"][r] * a["fte"][p] if arrs else 0.0
    sv = sup.supervision(a["coverage"][g, r], need, lv_of(lev.protected_hours))
    pr = sup.peer(float(a["same_strength"][p]) + lv_of(lev.peer_bonus), w.peer_tie_half[g])
    su = f32(sup.combine(sv, pr, need > 0, w.supervision_weight[g]))
    load = a["team_load"][g * N_ROLES + r]
    bo = f32(wl.burnout_step(float(s0.burnout[i]), load, w.workload_multiplier[g], lv_of(lev.extra_load), su,
                             w.baseline_strain[g], w.burnout_rise[g], w.burnout_recovery[g]))
    d = f32(lv.discrepancy_step(float(s0.discrepancy[i]), a["role_discrepancy"][r], a["clarity"][g],
                                lv_of(lev.discrepancy_cut), w.discrepancy_rate[g]))
    pg = f32(a["pay_gap"][g, r] if arrs else 0.0)
    z = lv.log_odds(w.intention_intercept[g] + (0.0 if arrs else w.core_intention_offset[g]), b, su, d, bo, pg,
                    float(a["remote"][p]), float(s0.contagion[i]), w.w_isolation[g], w.w_supervision[g],
                    w.w_discrepancy[g], w.w_burnout[g], w.w_pay[g], w.w_flexibility[g], w.w_contagion[g],
                    w.heavy_remote_threshold[g])
    return {"belonging": b, "supervision": sv, "peer": pr, "support": su, "load": load, "burnout": bo,
            "discrepancy": d, "pay_gap": pg, "intention": lv.probability(z), "intends": z + s0.propensity[i] > 0}


def _copy(s: StaffArrays) -> StaffArrays:
    c = StaffArrays(capacity=s.capacity)
    for f in (*WRITTEN, "propensity", "affiliation", "contagion", "role", "network", "fte", "active"):
        setattr(c, f, getattr(s, f).copy())
    c.n = s.n
    return c


@pytest.mark.parametrize("with_levers", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_pass_composes_the_mechanisms_formulas(seed, with_levers):
    s, args, levers = _state(seed)
    lev = levers if with_levers else wb.PersonLevers()
    a = _copy(s)
    out = wb.update(**{**args, "staff": a}, levers=lev)
    ids = args["ids"]
    for p in np.random.default_rng(seed).choice(len(ids), 150, replace=False):
        want = _expected(s, args, lev, p)
        for f, v in want.items():
            assert getattr(a, f)[ids[p]] == pytest.approx(v, rel=1e-5, abs=1e-6), (f, p)
    assert a.intends[ids].mean() > 0.05 and (~a.intends[ids]).mean() > 0.05  # both outcomes exercised
    needs = args["is_arrs"][args["role"]]
    assert out[1].sum() == needs.sum() > 0 and out[0].sum() == pytest.approx(float(a.supervision[ids][needs].astype(np.float64).sum()), rel=1e-6)
    assert (out[2].sum() > 0) == with_levers
    rest = np.setdiff1d(np.arange(s.n), ids)  # people not passed are untouched
    for f in WRITTEN:
        np.testing.assert_array_equal(getattr(a, f)[rest], getattr(s, f)[rest], err_msg=f)


def test_the_weights_carry_the_evidence_on_the_model_scale():
    p = Params()
    w = wb.Weights.of(p, n_networks=3)
    assert w.w_isolation == pytest.approx(np.full(3, np.log(p.isolation_or_per_sd) / p.belonging_sd_settled))  # E15
    assert w.w_discrepancy == pytest.approx(np.full(3, np.log(4.86) * 100 / 30))  # E12: per 30 points
    share = p.belonging_structural_sd ** 2 / (w.belonging_personal_sd ** 2 + p.belonging_structural_sd ** 2)
    assert share == pytest.approx(np.full(3, p.belonging_explained_share))
    assert (wb.Weights.of(p, pandemic=True).workload_multiplier == p.pandemic_workload).all()


def test_team_sums_are_the_bincounts():
    s, args, _ = _state(3)
    R = RoleArrays()
    on_notice = np.random.default_rng(0).random(len(args["ids"])) < 0.1
    demand, in_post = wb.team_sums(args["role"], args["net"], args["fte"], on_notice, R.arrs, R.supervision_need,
                                   4, N_ROLES)
    need = np.where(R.arrs[args["role"]], R.supervision_need[args["role"]] * args["fte"], 0.0)
    np.testing.assert_array_equal(demand, np.bincount(args["net"] * N_ROLES + args["role"], weights=need,
                                                      minlength=4 * N_ROLES))
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


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hires_are_the_array_formulation(seed):
    """Recruitment's compiled pass against its definition in array operations: one uniform per open post
    (posts in unit order, each from its unit's network's stream), posts filled below the unit's chance, the
    k-th hire of a unit clip(vacancy - k x post, 0, post) FTE, kept if at least the smallest post."""
    from pcnsim.mechanisms import recruitment as rec
    from pcnsim.streams import Streams

    g = np.random.default_rng(seed)
    n_units, n_net = 300, 7
    unit_net = np.sort(g.integers(0, n_net, n_units))
    vac = np.where(g.random(n_units) < 0.3, 0.0, g.uniform(-0.5, 4.0, n_units))
    post = g.choice([0.6, 0.85, 1.0], n_units)
    floor = g.choice([0.05, 0.3], n_units)
    posts = rec.open_posts(vac, post, floor)
    q = g.uniform(0.0, 1.0, n_units)
    assert posts.sum() > 200 and (posts == 0).any()
    a, b = Streams.from_seed(seed, n_net)["recruit"], Streams.from_seed(seed, n_net)["recruit"]
    unit, fte = rec.hires(a, unit_net, posts, q, vac, post, floor)
    # the definition, in array operations
    post_unit = np.repeat(np.arange(n_units), posts)
    filled = post_unit[b.uniforms(unit_net[post_unit]) < q[post_unit]]
    n = np.bincount(filled, minlength=n_units)
    want_unit = np.repeat(np.arange(n_units), n)
    k = np.arange(len(want_unit)) - np.repeat(np.cumsum(n) - n, n)
    want_fte = np.clip(vac[want_unit] - k * post[want_unit], 0.0, post[want_unit])
    keep = want_fte >= floor[want_unit] - 1e-9
    np.testing.assert_array_equal(unit, want_unit[keep])
    np.testing.assert_array_equal(fte, want_fte[keep].astype(np.float32))
    np.testing.assert_array_equal(a.counter, b.counter)  # the same uniforms drawn, network by network
    assert len(unit) > 20 and (fte < post[unit] - 1e-6).any()  # part-time remainders exercised
    one = rec.hires(Streams.from_seed(seed, n_net)["recruit"], unit_net, posts, q, vac, post, 0.3)  # one floor for all
    assert (one[1] >= 0.3 - 1e-6).all()
