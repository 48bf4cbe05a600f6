"""Roles and policy as data, ARRS GPs and nurses, the warm start, and the commissioner's outputs (issue 16)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pcnsim.model import PCNModel
from pcnsim.params import Params
from pcnsim.population import replicate, single_network
from pcnsim.roles import GP, N_ROLES, NURSE, ROLE_INDEX, ROLE_KEYS, ROLES, RoleArrays
from pcnsim.roles import catalogue as cat
from pcnsim.scenario import Scenario, load

OCT_2024 = dt.date(2024, 10, 1)
ARRS_GP = ROLE_INDEX["arrs_gp"]
ARRS_NURSE = ROLE_INDEX["arrs_nurse"]


def model(seed: int = 1, copies: int = 1, catalogue=None, policy=None, workforce=None, **params) -> PCNModel:
    p = Params.from_dict(params)
    pop = single_network(p)
    if copies > 1:
        pop = replicate(pop, copies)
    return PCNModel(rng=seed, population=pop, params=p, catalogue=catalogue, policy=policy, workforce=workforce)


def national(m_params: dict, copies: int = 1) -> np.ndarray:
    from pcnsim import policy, warmstart

    p = Params.from_dict(m_params)
    pop = single_network(p)
    if copies > 1:
        pop = replicate(pop, copies)
    return warmstart.national(pop, policy.shipped(), p.national_patients)


# ---------------------------------------------------------------------------------------------- the catalogue
def test_shipped_catalogue_keeps_the_old_figures():
    """The data file gives the constants the model used before it existed (so results cannot move)."""
    e5 = {"pharmacist": 6331 + 732, "care_coordinator": 5507, "link_worker": 3433, "pharmacy_technician": 2124,
          "physiotherapist": 1894, "physician_associate": 1581, "paramedic": 1485, "wellbeing_coach": 1190,
          "nursing_associate": 777 + 705, "mental_health_practitioner": 400}
    total = sum(e5.values())
    for k, v in e5.items():
        assert ROLES[ROLE_INDEX[k]].mix == v / total  # bit for bit: E5's shares
    assert ROLE_KEYS[:2] == ("gp", "practice_nurse") and ROLE_KEYS[-2:] == ("arrs_gp", "arrs_nurse")
    assert ROLES[ROLE_INDEX["pharmacist"]].pay_cap == 62_340.0 and ROLES[ROLE_INDEX["care_coordinator"]].pay_cap == 33_396.0
    assert ROLES[ARRS_GP].eligible_from == OCT_2024  # E30
    assert ROLES[ARRS_NURSE].eligible_from == dt.date(2025, 4, 1)  # E31
    assert ROLES[ARRS_GP].labour_pool == "gp" and ROLES[ARRS_NURSE].labour_pool == "practice_nurse"
    R = RoleArrays()
    assert R.caps(2024, 0.03)[ARRS_GP] == 73_113.0 and R.caps(2025, 0.03)[ARRS_GP] == 82_418.0  # E30
    assert R.caps(2026, 0.03)[ARRS_GP] == pytest.approx(82_418.0 * 1.03)
    np.testing.assert_array_equal(R.caps(2022, 0.03), R.pay_cap * 1.03 ** -1)  # the old formula before 2024


def test_every_source_in_the_catalogue_resolves():
    from pcnsim.evidence import cited_ids, table

    for r in cat.shipped().role:
        assert r.sources, r.key
        for field, src in r.sources.items():
            assert field in cat.RoleEntry.model_fields
            ids = cited_ids(src)
            assert ids or "assumption" in src
            assert all(i in table() for i in ids), (r.key, field, src)


def test_a_scenario_changes_a_role_and_only_that():
    c = cat.with_overrides({"arrs_gp": {"eligible_from": dt.date(2026, 1, 1), "cap_fte": 2.0}})
    new = {r.key: r for r in c.role}
    assert new["arrs_gp"].eligible_from == dt.date(2026, 1, 1) and new["arrs_gp"].cap_fte == 2.0
    old = {r.key: r for r in cat.shipped().role}
    assert all(new[k] == old[k] for k in old if k != "arrs_gp")
    assert cat.with_overrides({}) is cat.shipped()


# ---------------------------------------------------------------------------------------------- no change before
def _weekly_upto(m: PCNModel, before: dt.date):
    w = m.recorder.weekly()
    keep = w["date"] < before
    return w[keep].reset_index(drop=True), {k: m.recorder.role_array(k)[keep.to_numpy()] for k in m.recorder.by_role}


def test_roles_added_from_october_2024_change_nothing_before_it():
    weeks = 300  # April 2019 to December 2024
    shipped = model(1).run(weeks)
    never = cat.with_overrides({"arrs_gp": {"eligible_from": dt.date(2100, 1, 1)},
                                "arrs_nurse": {"eligible_from": dt.date(2100, 1, 1)}})
    without = model(1, catalogue=never).run(weeks)
    a, ra = _weekly_upto(shipped, OCT_2024)
    b, rb = _weekly_upto(without, OCT_2024)
    assert len(a) > 280
    assert a.equals(b)
    for k in ra:
        np.testing.assert_array_equal(ra[k], rb[k], err_msg=k)
    # ... and from October 2024 networks plan ARRS GP posts with E30's pot
    assert shipped.planned_fte()[0, ARRS_GP] > 0.5 and without.planned_fte()[0, ARRS_GP] == 0
    assert without.recorder.role_array("headcount")[:, ARRS_GP].max() == 0


def test_the_2024_pot_moves_only_money_before_october():
    """The pot (E30) is on top of the entitlement and only ARRS GPs can use it, so before they are eligible
    it changes the allocation and nothing the staff do."""
    from pcnsim import policy

    no_pot = policy.with_overrides({"pot": [{"fy": 2024, "roles": ["arrs_gp"], "million": 0.0}]})
    a = model(2, start_date="2024-01-01").run(36)
    b = model(2, start_date="2024-01-01", policy=no_pot).run(36)
    wa, wb = a.recorder.weekly(), b.recorder.weekly()
    staff_cols = [c for c in wa.columns if c != "allocation"]
    assert wa[staff_cols].equals(wb[staff_cols])
    april = wa["date"] >= dt.date(2024, 4, 1)
    pot_per_network = 82e6 * a.pop.net_patients.sum() / a.params.national_patients  # allocated as the money is
    np.testing.assert_allclose(wa["allocation"][april] - wb["allocation"][april], pot_per_network)
    np.testing.assert_array_equal(wa["allocation"][~april], wb["allocation"][~april])


# ---------------------------------------------------------------------------------------------- the calendar
def test_entitlements_by_year():
    from pcnsim.policy import Policy, with_overrides

    p, pol = Params(), Policy()
    assert pol.entitlement_million(2023, p) == 1412.0 and pol.entitlement_million(2025, p) == 1711.0  # E7
    assert pol.entitlement_million(2026, p) == 1754.0 and pol.entitlement_million(2030, p) == 1754.0  # E32, held
    assert pol.total_million(2024, p) == p.budget_2024 + 82.0  # E30's pot on top
    assert pol.total_million(2025, p) == 1711.0  # one pot from 2025/26 (E31)
    assert Policy().entitlement_million(2025, p.replace(budget_2025=1500.0)) == 1500.0  # a parameter still
    moved = Policy(with_overrides({"budget": [{"fy": 2028, "million": 2000.0}]}))
    assert moved.entitlement_million(2027, p) == 1754.0 and moved.entitlement_million(2029, p) == 2000.0


def test_the_pot_plans_arrs_gps_and_the_rest_plan_the_others():
    m = model(3, start_date="2024-10-07")
    m.step()
    planned = m.planned_fte()[0]
    cost = m.cost_per_fte()[0]
    alloc = m.allocation[0]
    pot = 82e6 * m.pop.net_patients[0] / m.params.national_patients
    assert planned[ARRS_GP] == pytest.approx(pot * m.params.planned_share / cost[ARRS_GP])
    others = np.delete(np.arange(N_ROLES), ARRS_GP)
    assert (planned[others] * cost[others]).sum() == pytest.approx((alloc - pot) * m.params.planned_share)


def test_caps_bind_until_the_2025_contract_removes_them():
    capped = cat.with_overrides({"pharmacist": {"cap_fte": 1.0}})
    m = model(1, catalogue=capped, start_date="2025-03-03")
    m.step()
    assert m.planned_fte()[0, ROLE_INDEX["pharmacist"]] == 1.0
    m.run(6)  # into April 2025: caps gone (E31)
    assert m.planned_fte()[0, ROLE_INDEX["pharmacist"]] > 3.0


def test_two_year_limit_ends_arrs_gp_posts_while_it_stands():
    from pcnsim import policy

    weeks = 200
    later = policy.with_overrides({"change": [{"date": "2040-01-01", "rule": "remove_term_limit", "roles": ["arrs_gp"]}],
                                   "shipped_changes": False})
    gp_weight = cat.with_overrides({"arrs_gp": {"fte_weight": 8000.0}})
    limited = model(4, copies=3, catalogue=gp_weight, policy=later, start_date="2024-10-01").run(weeks)
    free = model(4, copies=3, catalogue=gp_weight, start_date="2024-10-01").run(weeks)
    for m, held in ((limited, True), (free, False)):
        s, n = m.staff, m.staff.n
        gp = s.role[:n] == ARRS_GP
        assert gp.sum() > 10
        tenure = np.where(s.leave_week[:n] >= 0, s.leave_week[:n], m.week) - s.hire_week[:n]
        ended = gp & (s.exit_kind[:n] == 4) & (s.leave_week[:n] >= 0)
        if held:
            assert tenure[gp].max() <= 104 and ended.sum() >= 5
        else:
            assert tenure[gp].max() > 104


# ---------------------------------------------------------------------------------------------- shared labour
def test_arrs_hires_take_candidates_from_core_posts_in_their_network():
    m = model(1, copies=2)
    n_prac = m.n_practices
    cposts = np.zeros((n_prac, 2), dtype=np.int64)
    cposts[[0, 1, 6], 0] = [1, 2, 1]  # GP posts: practices 0 and 1 (network 0), 6 (network 1)
    cposts[[2], 1] = 3  # nurse posts in network 0
    out = m._share_labour(cposts, np.array([0, 0, 1, 0]), np.array([ARRS_GP, ARRS_GP, ROLE_INDEX["pharmacist"], ARRS_NURSE]))
    assert out[:, 0].tolist() == [0, 1, 0, 0, 0, 0, 1, 0, 0, 0]  # two GP candidates gone in network 0 only
    assert out[2, 1] == 2 and out[:, 1].sum() == 2  # one nurse candidate gone
    assert (m._share_labour(cposts, np.array([1]), np.array([ROLE_INDEX["pharmacist"]])) == cposts).all()


def test_arrs_gps_slow_core_gp_recruitment():
    """With many ARRS GP posts drawing on the GP labour market, core GP posts wait longer for a hire than when
    the same posts draw on another market (E34's substitution, explored)."""
    from pcnsim.commission import _team_figures

    heavy = cat.with_overrides({"arrs_gp": {"fte_weight": 20_000.0}})
    other_pool = cat.with_overrides({"arrs_gp": {"fte_weight": 20_000.0, "labour_pool": "practice_nurse"}})
    wait = []
    for c in (heavy, other_pool):
        post_weeks = hires = 0.0
        for seed in range(4):
            t = _team_figures(model(seed, copies=3, catalogue=c, start_date="2025-04-01").run(104))
            post_weeks += t["post_weeks"][:, GP].sum()
            hires += t["hires"][:, GP].sum()
        wait.append(post_weeks / hires)
    assert wait[0] > wait[1] * 1.05, wait


# ---------------------------------------------------------------------------------------------- warm start
def test_warm_start_spreads_the_national_workforce_by_allocation():
    from pcnsim import policy

    fte = national({"start_date": "2025-04-01"}, copies=4)
    wf = {r.role: r.fte for r in policy.shipped().workforce.fte}
    share = single_network(Params()).net_patients.sum() / Params().national_patients
    assert fte[:, ROLE_INDEX["pharmacist"]] == pytest.approx(7446.0 * share)  # E33
    assert fte[:, ARRS_GP] == pytest.approx(wf["arrs_gp"] * share)  # E30
    assert (fte[:, [GP, NURSE]] == 0).all()
    m = model(1, copies=4, workforce=fte, start_date="2025-04-01")
    s = m.staff
    ids = s.active_ids()
    arrs = m.roles.arrs[s.role[ids]]
    in_post = np.bincount(s.network[ids][arrs] * N_ROLES + s.role[ids][arrs], weights=s.fte[ids][arrs],
                          minlength=4 * N_ROLES).reshape(4, N_ROLES)
    # posts of the role's mean FTE: each team within one smallest post of its share
    assert np.abs(in_post - fte).max() <= m.params.min_post_fte + 1e-6
    assert m.recorder.start_headcount[m.roles.arrs].sum() == arrs.sum()


def test_warm_start_keeps_the_national_total():
    """Spread over many networks, the posts keep E33's national FTE (remainders are rounded by chance)."""
    from pcnsim import policy

    sc = load("projection-2025").with_changes(population={"kind": "england", "networks": 300}, weeks=1)
    m = sc.build_model(seed=5)
    want = sum(r.fte for r in policy.shipped().workforce.fte) * m.pop.net_patients.sum() / m.params.national_patients
    assert m.arrs_fte == pytest.approx(want, rel=0.02)


def test_warm_start_tenure_and_ties_come_from_the_burn_in():
    fte = national({"start_date": "2025-04-01"}, copies=3)
    m = model(1, copies=3, workforce=fte, start_date="2025-04-01")
    s = m.staff
    ids = s.active_ids()
    arrs = ids[m.roles.arrs[s.role[ids]]]
    tenure = -s.hire_week[arrs]
    since = (dt.date(2025, 4, 1) - np.array([m.roles.catalogue.role[r].eligible_from for r in s.role[arrs]])).astype(
        "timedelta64[D]").astype(int) // 7
    assert (tenure >= 0).all() and (tenure <= since).all()  # no one in a post before the role existed
    assert 50 < tenure.mean() < since.mean()
    ties = s.tie_w[arrs].sum(axis=1)
    assert (ties > 0).mean() > 0.9  # ties from the burn-in
    cold = model(1, copies=3, workforce=fte, start_date="2025-04-01", warm_burn_in_weeks=0)
    assert cold.staff.tie_w[arrs].sum() == 0.0
    again = model(1, copies=3, workforce=fte, start_date="2025-04-01")
    np.testing.assert_array_equal(again.staff.tie_w[arrs], s.tie_w[arrs])  # deterministic


def test_warm_start_from_a_csv(tmp_path):
    (tmp_path / "wf.csv").write_text("network,role,fte\n0,pharmacist,3.4\n0,arrs_gp,1.14\n\n", encoding="utf-8")
    (tmp_path / "sc.toml").write_text('weeks = 10\n[parameters]\nstart_date = 2025-04-01\n'
                                      '[workforce]\nkind = "csv"\npath = "wf.csv"\n', encoding="utf-8")
    sc = Scenario.load(tmp_path / "sc.toml")
    m = sc.build_model(seed=1)
    s = m.staff
    ids = s.active_ids()
    by_role = np.bincount(s.role[ids], weights=s.fte[ids], minlength=N_ROLES)
    assert by_role[ROLE_INDEX["pharmacist"]] == pytest.approx(3.4) and by_role[ARRS_GP] == pytest.approx(1.14)
    assert by_role[m.roles.arrs].sum() == pytest.approx(4.54)


# ---------------------------------------------------------------------------------------------- built-in projection
def test_projection_2025_and_the_default_scenario():
    d = Scenario.default()
    assert not d.roles and not d.policy and d.workforce is None  # the default scenario is unchanged
    sc = load("projection-2025")
    assert sc.resolved_params().start_date == dt.date(2025, 4, 1) and sc.workforce == {"kind": "national"}
    m = sc.build_model(seed=1)
    assert 15 < m.arrs_fte < 30  # E33's March 2025 FTE spread to one network of 48,020 patients (about 22)
    m.run(sc.weeks)
    last = m.params.start_date + dt.timedelta(weeks=sc.weeks - 1)
    assert dt.date(2031, 3, 1) < last <= dt.date(2031, 3, 31)
    assert [y["fy"] for y in m.years] == [2025, 2026, 2027, 2028, 2029]
    s = m.summary()
    assert s["roles"][0]["role"] == "gp" and "arrs_gp" in [r["role"] for r in s["roles"]]


# ---------------------------------------------------------------------------------------------- commissioner outputs
def test_vacancy_log_counts_spells_and_post_weeks():
    from pcnsim.commission import VacancyLog

    log = VacancyLog(1, N_ROLES, np.array([0, 0]))
    core = np.zeros((2, 2), dtype=np.int64)
    for open_ in (2, 1, 0, 0, 3, 0, 1):
        a = np.zeros((1, N_ROLES), dtype=np.int64)
        a[0, 5] = open_
        log.observe(a, core)
    assert log.post_weeks[0, 5] == 7
    assert log.spells_done[0, 5] == 2 and log.spell_weeks_done[0, 5] == 3  # spells of 2 and 1 weeks ended
    assert log.spell[0, 5] == 1  # one still open
    core[1, 0] = 2
    log.observe(np.zeros((1, N_ROLES)), core)
    assert log.post_weeks[0, GP] == 2  # core posts summed over the network's practices


def test_commission_figures_are_consistent_with_the_run():
    from pcnsim.commission import breakdown, gross_appointments

    sc = load("projection-2025").with_changes(population={"kind": "england", "networks": 30}, weeks=40)
    m = sc.build_model(seed=2).run(40)
    w = m.recorder.weekly()
    gross = w["appointments"].sum() + w["gp_supervision_sessions"].sum() * m.params.appointments_per_gp_session
    assert gross_appointments(m).sum() == pytest.approx(gross, rel=1e-6)
    b = breakdown(m)
    fte = b[b.metric == "arrs_fte_end"]
    total = m.summary()["network"]["arrs_fte_end"]
    for by in ("deprivation_quintile", "london"):
        assert fte[fte.by == by]["value"].sum() == pytest.approx(total, rel=1e-5), by
    assert sorted(fte[fte.by == "deprivation_quintile"]["group"]) == ["1", "2", "3", "4", "5"]
    ttf = b[(b.by == "role") & (b.metric == "time_to_fill_weeks")].set_index("group")["value"]
    assert (ttf.dropna() >= 1).all() and ttf.notna().sum() >= 5  # a filled post waited at least its week
    c = m.summary()["commission"]
    assert 50 < c["appointments_per_1000_week"] < 200
    joiners = {r["role"]: r["joiners"] for r in m.summary()["roles"]}
    assert all(r["hires"] == joiners[r["role"]] for r in c["by_role"])


def test_compare_tables_by_role_and_group():
    from pcnsim.experiments import compare

    base = load("projection-2025").with_changes(population={"kind": "england", "networks": 20}, weeks=30)
    sup = base.with_changes(name="sup", interventions=[{"type": "protected_supervision", "start": "2025-04-01",
                                                        "hours": 2}])
    cmp = compare([base, sup], replicates=2, weeks=30)
    t = cmp.group_table("london")
    assert set(t["group"]) == {"true", "false"}
    assert t[t.scenario == "sup"]["diff_mean"].notna().any() and t[t.scenario == base.name]["diff_mean"].isna().all()
    role = cmp.group_table("role")
    assert "arrs_gp" in set(role["group"])
    one = compare(["projection-2025"], replicates=1, weeks=5)
    with pytest.raises(ValueError, match="several networks"):
        one.group_table("london")
