"""Interventions: the contract (window, target, round trips, clear errors, levers only) and, for each
one, the direction of its effect, replicated with common random numbers.

Direction tests run a mature scheme (start in April 2022, when the allocation pays for about 20 FTE a
network; 3 networks per model; 78 weeks; the intervention active throughout) for the same seeds with
and without the intervention. An effect counts as shown when every paired difference has the expected
sign and the mean difference exceeds 3 standard errors (4 seeds: one-sided p < 0.03 even before the
sign test).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import tomllib

import numpy as np
import pytest

import pcnsim.interventions as I
from pcnsim.errors import PCNSimInputError
from pcnsim.interventions.costs import GP_SESSION_GBP, price_factor
from pcnsim.model import PCNModel
from pcnsim.params import Params
from pcnsim.population import replicate, single_network
from pcnsim.scenario import Scenario

SEEDS = (11, 12, 13, 14)
SEEDS6 = (*SEEDS, 15, 16)  # for effects of a few points, where four seeds leave one sign to chance
# From April 2022 with no ARRS staff, teams take about a year to fill at the calibrated fill rate; states are
# averaged over the last 26 of 104 weeks, over staff in post for 26 weeks or more, in 12 network copies.
WEEKS = 104
COPIES = 12
MATURE = (("start_date", dt.date(2022, 4, 1)),)
PANDEMIC = (*MATURE, ("pandemic_start", dt.date(2022, 4, 1)), ("pandemic_end", dt.date(2023, 10, 1)))
LONDON = (*MATURE, ("london", True))
DEPRIVED = (*MATURE, ("deprivation", 0.7))
STATE = ("intention", "belonging", "support", "burnout", "discrepancy", "remote", "pay_gap")


def _model(seed: int, params: tuple, interventions: tuple, copies: int = COPIES) -> PCNModel:
    p = Params.from_dict(dict(params))
    return PCNModel(rng=seed, population=replicate(single_network(p), copies), params=p, interventions=list(interventions))


def outcomes(seed: int, params: tuple, interventions: tuple = (), copies: int = COPIES, weeks: int = WEEKS) -> dict[str, float]:
    """Means over ARRS staff in post and over the last 26 weeks, plus run totals (cached by content)."""
    keys = tuple(json.dumps(iv.to_dict(), default=str, sort_keys=True) for iv in interventions)
    return _outcomes(seed, params, keys, copies, weeks)


@functools.cache
def _outcomes(seed: int, params: tuple, keys: tuple[str, ...], copies: int, weeks: int) -> dict[str, float]:
    m = _model(seed, params, tuple(I.from_dict(json.loads(k)) for k in keys), copies)
    acc = {k: [] for k in (*STATE, "fte", "new_discrepancy")}
    for _ in range(weeks):
        m.step()
        s = m.staff
        ids = s.active_ids()
        a = ids[m.roles.arrs[s.role[ids]]]
        settled = a[(m.week - s.hire_week[a]) >= 26]  # states of settled staff: free of the new-starter mix
        for k in STATE:
            acc[k].append(float(getattr(s, k)[settled].mean()) if len(settled) else np.nan)
        acc["fte"].append(float(s.fte[a].sum()))
        new = a[(m.week - s.hire_week[a]) < 26]
        acc["new_discrepancy"].append(float(s.discrepancy[new].mean()) if len(new) else np.nan)
    out = {k: float(np.nanmean(v[-26:])) for k, v in acc.items()}
    out["new_discrepancy"] = float(np.nanmean(acc["new_discrepancy"]))  # every new starter of the run: more of them
    n = m.summary()["network"]
    out.update(cost=m.total_intervention_cost, appointments=n["appointments"], fte_end=n["arrs_fte_end"],
               gp_sessions=n["gp_supervision_sessions"],
               unspent=sum(y["unspent"] for y in m.year_table()), fte_years=float(np.sum(acc["fte"]) / 52.18))
    return out


def diffs(iv: I.Intervention, params: tuple = MATURE, base: tuple = (), seeds: tuple[int, ...] = SEEDS,
          **kw: int) -> dict[str, np.ndarray]:
    """Paired differences (with minus without ``iv``) per seed, for every outcome."""
    rows = [(outcomes(sd, params, (*base, iv), **kw), outcomes(sd, params, base, **kw)) for sd in seeds]
    return {k: np.array([a[k] - b[k] for a, b in rows]) for k in rows[0][0]}


def shows(d: np.ndarray, sign: int) -> bool:
    """Every paired difference has ``sign`` and the mean is more than 3 standard errors from zero."""
    se = d.std(ddof=1) / np.sqrt(len(d))
    return bool(np.all(np.sign(d) == sign) and abs(d.mean()) > 3 * se)


def check(d: dict[str, np.ndarray], **expected: int) -> None:
    bad = {k: d[k].round(5).tolist() for k, s in expected.items() if not shows(d[k], s)}
    assert not bad, f"expected signs {expected}; paired differences that fail: {bad}"


# ------------------------------------------------------------------ the contract
ALL = {
    "shared_vaccination": dict(hours=2.0, start="2021-01-04", end="2021-10-11", roles=["pharmacist"]),
    "protected_supervision": dict(hours={"pharmacist": 2, "link_worker": 1}, networks=[0]),
    "base_practice": dict(max_practices=1, base=False, start=5),
    "team_days": dict(every_weeks=8, label="bi-monthly"),
    "remote_policy": dict(cap=0.4, floor=0.1, end=dt.date(2023, 1, 1)),
    "organisational_development": dict(vision_rate=0.02, cost_per_network_year=5000),
    "role_clarity": dict(cut=0.7, weeks=26),
    "peer_support": dict(strength=2.0, roles=["link_worker", "wellbeing_coach"]),
    "london_weighting": dict(uplift=0.112, funded=False),
    "flexible_role_mix": dict(rate=0.1, floor=0.5),
}


def test_registry_has_every_intervention_of_the_design():
    assert set(I.REGISTRY) == set(ALL)


@pytest.mark.parametrize("kind", sorted(ALL))
def test_round_trips_dict_toml_and_repr(kind):
    import datetime

    import tomli_w

    iv = I.from_dict({"type": kind, **ALL[kind]})
    assert I.from_dict(iv.to_dict()) == iv
    text = tomli_w.dumps({"interventions": [iv.to_dict()]})
    assert I.from_config(tomllib.loads(text)["interventions"]) == [iv]
    env = {c.__name__: c for c in I.REGISTRY.values()} | {"datetime": datetime}
    assert eval(repr(iv), env) == iv  # noqa: S307 - the repr recreates the object
    sc = Scenario.from_dict({"name": "x", "interventions": [iv.to_dict()]})
    again = Scenario.from_dict(tomllib.loads(sc.to_toml()))
    assert again.interventions == [iv]


@pytest.mark.parametrize("item, field", [
    ({"type": "protected_supervison"}, "type"),
    ({"type": "protected_supervision", "hours": -1}, "hours"),
    ({"type": "protected_supervision", "hours": {"pharmacists": 1}}, "hours"),
    ({"type": "protected_supervision", "hour": 1}, "hour"),
    ({"type": "team_days", "every_weeks": 2.5}, "every_weeks"),
    ({"type": "remote_policy"}, "cap"),
    ({"type": "remote_policy", "cap": 0.2, "floor": 0.4}, "floor"),
    ({"type": "base_practice", "start": 10, "end": 5}, "end"),
    ({"type": "base_practice", "start": "April"}, "start"),
    ({"type": "peer_support", "roles": "link_worker"}, "roles"),
    ({"type": "peer_support", "roles": ["link_workers"]}, "roles"),
    ({"type": "london_weighting", "funded": "yes"}, "funded"),
    ({"type": "organisational_development", "networks": [-1]}, "networks"),
    ({"type": "london_weighting", "roles": ["pharmacist"]}, "roles"),
    ({"type": "base_practice", "start": "2021-01-04", "end": 40}, "end"),  # a date and a week number
    ({"type": "base_practice", "start": 3, "end": dt.date(2021, 1, 4)}, "end"),
    ({"type": "team_days", "homophily": True}, "homophily"),  # no true -> 1.0
    ({"type": "team_days", "hours": "7.5"}, "hours"),  # no "7.5" -> 7.5
    ({"type": "team_days", "start": dt.date(9999, 12, 1)}, "start"),
])
def test_bad_fields_fail_with_a_message_naming_the_field(item, field):
    with pytest.raises(PCNSimInputError) as e:
        Scenario.from_dict({"name": "x", "interventions": [item]}, source="s.toml")
    msg = str(e.value)
    assert e.value.field.rsplit(".", 1)[-1] == field and field in msg and "s.toml" in msg  # interventions[0].<field>
    assert any(w in msg for w in ("allowed", "expected", "must", "give")), msg


def test_window_by_week_and_by_date():
    m = PCNModel(rng=1)
    a = I.BasePractice(start=3, end=5)
    b = I.BasePractice(start=m.params.start_date + dt.timedelta(days=10))
    active = []
    for w in range(7):
        d = m.params.start_date + dt.timedelta(weeks=w)
        active.append((a.is_active(w, d), b.is_active(w, d)))
    assert [x for x, _ in active] == [False, False, False, True, True, False, False]
    assert [y for _, y in active] == [False, False, True, True, True, True, True]
    assert b.start_week(m) == 2


def test_interventions_only_set_levers():
    """apply() changes no staff state, no parameter and no network state: effects go through levers."""
    from pcnsim.levers import Levers
    from pcnsim.state import FIELDS

    p = Params.from_dict(dict(LONDON))
    ivs = [I.from_dict({"type": k, **({"cap": 0.3} if k == "remote_policy" else {})}) for k in ALL]
    m = PCNModel(rng=3, population=replicate(single_network(p), 2), params=p, interventions=ivs).run(30)
    before = {f: getattr(m.staff, f).copy() for f in FIELDS} | {"tie_w": m.staff.tie_w.copy()}
    dump, vision, alloc = m.params.model_dump(), m.vision.copy(), m.allocation.copy()
    lev = Levers(n_staff=m.staff.n, n_networks=m.n_networks, n_roles=len(m.roles.mix))
    for iv in ivs:
        iv.apply(m, lev)
    for f, arr in before.items():
        assert np.array_equal(getattr(m.staff, f), arr, equal_nan=True), f
    assert m.params.model_dump() == dump and np.array_equal(m.vision, vision) and np.array_equal(m.allocation, alloc)
    assert lev.cost > 0
    assert len(lev.mixing) >= 1
    for name in ("mixing_contacts", "protected_hours", "split_cap", "force_base", "remote_cap", "vision_gain",
                 "clarity_gain", "peer_bonus", "discrepancy_cut", "funded_uplift", "role_mix"):
        assert getattr(lev, name) is not None, name
    assert np.allclose(lev.role_mix[:, m.roles.arrs].sum(axis=1), m.roles.mix[m.roles.arrs].sum())  # money conserved


def test_shared_intervention_object_keeps_state_per_model():
    """A scenario hands the same objects to every replicate: stateful interventions keep state per model."""
    p = Params.from_dict(dict(DEPRIVED))
    iv = I.FlexibleRoleMix(rate=0.2)
    solo = PCNModel(rng=5, params=p, interventions=[iv]).run(40).summary()["network"]
    a = PCNModel(rng=5, params=p, interventions=[iv])
    b = PCNModel(rng=6, params=p, interventions=[iv])
    for _ in range(40):
        a.step()
        b.step()
    np.testing.assert_equal(a.summary()["network"], solo)
    assert not np.allclose(iv.current_mix(a), iv.current_mix(b))  # the states really differ


# ------------------------------------------------------------------ direction of each effect
def test_shared_vaccination_builds_belonging_and_adds_workload():
    d = diffs(I.SharedVaccination(recruit_factor=1.0), seeds=SEEDS6)
    check(d, belonging=+1, burnout=+1, cost=+1, appointments=-1)  # ties across the network; extra work; GP time
    # on the scale of the 2020-22 programme it takes managers' time, so networks recruit more slowly (E24)
    check(diffs(I.SharedVaccination()), fte_years=-1)
    # without the extra work, the ties across the network lower intention: peer ties have slots of their own,
    # so the new cross-profession ties cost no peer support (docs/interventions.md)
    check(diffs(I.SharedVaccination(workload=0.0, cost_per_hour=0.0, participation=1.0)), belonging=+1, intention=-1)


def test_protected_supervision_raises_support_and_costs_gp_time():
    d1, d2 = diffs(I.ProtectedSupervision(hours=0.25), seeds=SEEDS6), diffs(I.ProtectedSupervision(hours=1), seeds=SEEDS6)
    # GP time goes up; appointments need not fall (retained staff deliver appointments too)
    check(d1, support=+1, intention=-1, gp_sessions=+1)
    # more hours, more support, up to each person's need (beyond it, hours buy nothing: docs/interventions.md)
    check({"more": d2["support"] - d1["support"]}, more=+1)
    less = d2["intention"] - d1["intention"]  # small (a third of a point): one seed in six may go the other way
    assert (less < 0).sum() >= 5 and np.median(less) < 0, less
    # cost: 2 hours per person-week in GP sessions at the session price (no other cost)
    m = _model(SEEDS[0], MATURE, (I.ProtectedSupervision(hours=2),))
    m.run(10)
    arrs = int(np.sum(m.roles.arrs[m.staff.role[m.staff.active_ids()]]))  # in post when this week's levers are set
    m.step()
    assert arrs > 20
    assert m.intervention_cost == pytest.approx(arrs * 2 / m.params.hours_per_session * GP_SESSION_GBP * price_factor(m))


def test_base_practice_raises_belonging_and_costs_peer_contact():
    """Fewer practices concentrate contact (E19, through ties alone): stronger ties, more belonging; but fewer
    colleagues of one's own profession met on site, so less peer support. No claim on intention: in the
    default network the two faces nearly cancel (docs/ODD.md 7.3)."""
    check(diffs(I.BasePractice(), seeds=SEEDS6), belonging=+1, support=-1, cost=+1)


def test_team_days_raise_belonging():
    d = diffs(I.TeamDays(every_weeks=4))
    check(d, belonging=+1, intention=-1, cost=+1)  # (the days' cross-profession ties cost no peer support)


def test_remote_cap_in_the_pandemic_protects_ties():
    check(diffs(I.RemotePolicy(cap=0.4), PANDEMIC, seeds=SEEDS6), remote=-1, belonging=+1, intention=-1)


def test_remote_floor_has_two_faces():
    """More remote time: more flexibility (intention falls, E20) but weaker ties (belonging falls, E21)."""
    check(diffs(I.RemotePolicy(floor=0.4)), remote=+1, belonging=-1, intention=-1)


def test_organisational_development_raises_vision_and_clarity():
    d = diffs(I.OrganisationalDevelopment())
    check(d, belonging=+1, discrepancy=-1, intention=-1)
    assert d["cost"] == pytest.approx(np.full(len(SEEDS), 20_000 / 52.18 * WEEKS * COPIES))


def test_role_clarity_cuts_discrepancy_of_new_starters():
    check(diffs(I.RoleClarity()), new_discrepancy=-1, intention=-1, cost=+1)


def test_peer_support_raises_support():
    check(diffs(I.PeerSupport(), seeds=SEEDS6), support=+1, intention=-1, cost=+1)


def test_london_weighting_closes_the_pay_gap():
    check(diffs(I.LondonWeighting(), LONDON), pay_gap=-1, intention=-1, fte_years=+1, cost=+1)
    # from within the allocation: the same pay, fewer affordable posts, no extra money
    d = diffs(I.LondonWeighting(funded=False), LONDON)
    check(d, pay_gap=-1, fte_end=-1)
    assert np.all(d["cost"] == 0)
    # outside London it does nothing at all
    d = diffs(I.LondonWeighting(), MATURE)
    assert all(np.all(v == 0) for v in d.values())


def test_flexible_role_mix_moves_money_to_roles_that_fill():
    """Hard-to-fill roles (mental health practitioners: supply 0.6, E25) lose planned shares to easy ones
    (care coordinators: 1.2); the network then has more staff in post. Its unspent money need not fall:
    the roles that fill are also the cheaper ones (docs/interventions.md)."""
    from pcnsim.roles import ROLE_INDEX

    iv = I.FlexibleRoleMix()
    for sd in SEEDS[:2]:
        m = _model(sd, DEPRIVED, (iv,)).run(52)
        mix = iv.current_mix(m)
        assert np.allclose(mix[:, m.roles.arrs].sum(axis=1), m.roles.mix[m.roles.arrs].sum())  # conserved
        # on average over the networks (with part-time posts every role fills somewhere, E25's hard roles slowly)
        assert mix[:, ROLE_INDEX["mental_health_practitioner"]].mean() < m.roles.mix[ROLE_INDEX["mental_health_practitioner"]]
        arrs = m.roles.arrs
        supply = m.roles.supply[arrs]
        # money moves towards roles that fill, on average over the networks (one network's vacancies are a few
        # posts, so its own move can go either way)
        assert (mix[:, arrs] @ supply).mean() > m.roles.mix[arrs] @ supply
        assert np.all(mix >= 0.25 * m.roles.mix - 1e-12)  # the floor holds
    d = diffs(iv, DEPRIVED, copies=8, weeks=104)
    assert d["fte_years"].mean() > 0, d["fte_years"]  # more FTE-years on average (teams still filling: noisy)
    assert np.all(d["cost"] == 0)
