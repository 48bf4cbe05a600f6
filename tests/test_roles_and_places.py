"""Differences between professions and places come from mechanisms (supervision shared by need, workload
from the planned team, recruitment by supply, place, pay and time, one pay variable), not from walls or
per-role constants: each test shows one mechanism's direction, all else equal, or an accounting identity."""

import datetime as dt

import numpy as np
import pytest

from pcnsim import interventions as I
from pcnsim.mechanisms import finance as fin
from pcnsim.mechanisms import recruitment as rec
from pcnsim.model import PCNModel
from pcnsim.params import Params
from pcnsim.population import replicate, single_network
from pcnsim.roles import ROLE_INDEX, ROLE_KEYS
from tests.helpers import run

PA, LW, MHP = ROLE_INDEX["physician_associate"], ROLE_INDEX["link_worker"], ROLE_INDEX["mental_health_practitioner"]
MATURE = dict(start_date="2022-04-01")


def _role_means(m: PCNModel, field: str) -> np.ndarray:
    s = m.staff
    ids = s.active_ids()
    return np.array([getattr(s, field)[ids[s.role[ids] == r]].mean() if (s.role[ids] == r).any() else np.nan
                     for r in range(len(ROLE_KEYS))])


# ------------------------------------------------------------------ supervision and workload by role
def test_scarce_supervision_goes_first_to_the_roles_that_need_most():
    """With GP time short, physician associates (2 hours per FTE-week) are better covered than link workers
    (0.5), and they feel it in their support; with priority 0 both get the same coverage."""
    by_need = _role_means(run(1, 78, copies=4, gp_supervision_sessions=0.5, **MATURE), "supervision")
    alike = _role_means(run(1, 78, copies=4, gp_supervision_sessions=0.5, supervision_priority=0.0, **MATURE),
                        "supervision")
    assert by_need[PA] > by_need[LW] + 0.1, by_need
    assert abs(alike[PA] - alike[LW]) < 0.02, alike
    assert by_need[LW] < alike[LW] and by_need[PA] > alike[PA]


def test_vacancies_of_the_planned_team_load_those_in_post_and_nothing_resets_in_april():
    """Work follows the posts planned, so a network that recruits slowly loads its staff more; the load has
    no jump at 1 April (the old establishment reset to the staff in post each financial year)."""
    def mean_load(m: PCNModel) -> float:
        s = m.staff
        ids = s.active_ids()
        a = ids[m.roles.arrs[s.role[ids]]]
        return float(s.load[a].mean())

    slow = [mean_load(run(sd, 104, copies=4, fill_rate=0.02, **MATURE)) for sd in range(3)]
    fast = [mean_load(run(sd, 104, copies=4, fill_rate=0.2, **MATURE)) for sd in range(3)]
    assert min(slow) > max(fast), (slow, fast)
    m = PCNModel(rng=2, population=replicate(single_network(Params()), 4))
    loads = {}
    while m.date < dt.date(2023, 4, 20):
        m.step()
        if dt.date(2023, 3, 10) <= m.date <= dt.date(2023, 4, 20):
            loads[m.date] = mean_load(m)
    weeks = sorted(loads)
    jumps = np.abs(np.diff([loads[d] for d in weeks]))
    across = [j for d, j in zip(weeks[1:], jumps, strict=True) if d >= dt.date(2023, 4, 1)][0]
    assert across < 0.02, (across, loads)


def test_deprivation_raises_need_and_so_load_and_burnout():
    """E38: more need where people are poorer, for the same staffing: higher load and more burnout."""
    def burnout(m: PCNModel) -> float:
        s = m.staff
        ids = s.active_ids()
        return float(s.burnout[ids[m.roles.arrs[s.role[ids]]]].mean())

    d = [burnout(run(sd, 78, copies=4, deprivation=0.8, deprivation_penalty=0.0, **MATURE))
         - burnout(run(sd, 78, copies=4, deprivation=0.8, deprivation_penalty=0.0, deprivation_need=0.0, **MATURE))
         for sd in range(3)]
    assert all(x > 0 for x in d), d


# ------------------------------------------------------------------ recruitment
def test_every_role_in_the_mix_is_recruited_in_small_networks():
    """No wall: even in networks of 15,000 patients, a vacancy smaller than a whole post opens a part-time
    post, so every role of the mix gets staff somewhere and nearly every role team is hired (hiring is by
    chance: a low-supply role eligible late may still be waiting in one network). With the old 0.4 FTE
    floor, three roles are never hired in any of these networks."""
    def never_hired(**kw: object) -> np.ndarray:
        m = run(3, 260, copies=6, patients=15_000, n_practices=2, **kw)
        hired = np.zeros((m.n_networks, len(ROLE_KEYS)), dtype=bool)
        s = m.staff
        rows = np.arange(s.n)
        hired[s.network[rows], s.role[rows]] = True
        return ~hired[:, m.roles.arrs & m.roles.eligible(m.date)]  # roles reimbursable during the run

    now = never_hired()
    assert not now.all(axis=0).any() and now.mean() < 0.05, now.sum(axis=0)
    walled = never_hired(min_post_fte=0.4)
    assert walled.all(axis=0).sum() >= 3, walled.sum(axis=0)


def test_a_role_with_low_supply_fills_more_slowly_all_else_equal():
    """The same vacancies, place and pay: the fill chance scales with the role's supply (E25)."""
    q = rec.fill_chance(np.array([0.1]), np.array([0.6, 1.2]), np.array([0.2]), 0.3, np.zeros(2), 3.0)
    assert q[0] < q[1] and q[1] / q[0] == pytest.approx(2.0)
    # in the model: time to first hire of each role's first post, over copies of one network
    m = run(4, 104, copies=12, **MATURE)
    s = m.staff
    rows = np.arange(s.n)
    first = {}
    for r in (MHP, ROLE_INDEX["care_coordinator"]):  # supply 0.6 vs 1.2
        weeks = [s.hire_week[rows[(s.network[rows] == g) & (s.role[rows] == r)]].min()
                 for g in range(m.n_networks) if ((s.network[rows] == g) & (s.role[rows] == r)).any()]
        first[r] = np.mean(weeks)
    assert first[MHP] > first[ROLE_INDEX["care_coordinator"]], first


def test_recruitment_can_change_over_time():
    assert rec.fill_rate_at(0.1, 0.2, 0.0) == pytest.approx(0.1)
    assert rec.fill_rate_at(0.1, 0.2, 2.0) == pytest.approx(0.1 * 1.44)
    assert rec.fill_rate_at(0.1, -0.2, 1.0) == pytest.approx(0.08)
    assert rec.fill_rate_at(0.1, 0.5, -1.0) == pytest.approx(0.1), "no change before the scheme starts"


def test_the_vaccination_slowdown_belongs_to_the_programme_not_the_calendar():
    """Without the programme, nothing slows recruitment in 2021; with it (the default, and the intervention
    on its own) networks hire fewer staff while it runs (E24)."""
    def fte_march_2022(**kw: object) -> float:
        m = PCNModel(rng=5, population=replicate(single_network(Params()), 4), **kw)
        while m.date < dt.date(2022, 3, 1):
            m.step()
        return m.arrs_fte

    with_history = fte_march_2022()
    without = fte_march_2022(vaccination_programme=False)
    as_intervention = fte_march_2022(vaccination_programme=False, interventions=[
        I.SharedVaccination(start=dt.date(2020, 12, 8), end=dt.date(2022, 3, 31), cost_per_hour=0.0)])
    no_slowdown = fte_march_2022(vaccination_recruit_factor=1.0)
    assert with_history < without and as_intervention < without
    assert as_intervention == pytest.approx(with_history, rel=1e-9), "the programme is that intervention"
    assert no_slowdown > with_history


# ------------------------------------------------------------------ pay
def test_one_pay_variable_gives_both_the_cost_of_a_post_and_the_pay_gap():
    p = Params()
    role_premium = np.array([0.0, 0.05])
    pay = fin.pay(p.salary_to_cap, role_premium[None, :], np.array([[0.0], [1.0]]), 0.15, np.zeros((2, 1)),
                  np.zeros((2, 1)), 0.5)
    assert pay.gap[0, 0] == 0.0, "an ordinary role outside London is paid the going rate: no gap"
    assert 0 < pay.gap[0, 1] < 0.05 and pay.offered[0, 1] > pay.offered[0, 0], "networks top up part of a premium"
    assert pay.gap[1, 0] > pay.gap[0, 0] and pay.offered[1, 0] > pay.offered[0, 0], "London's market is dearer"
    np.testing.assert_allclose(pay.claimed, np.minimum(pay.offered, 1.0))
    m = PCNModel(rng=1)
    m.step()
    np.testing.assert_allclose(m.cost_per_fte(None), m.caps()[None, :] * m.pay(None).claimed)
    np.testing.assert_allclose(m.offered_pay(None), m.caps()[None, :] * m.pay(None).offered)


def test_london_weighting_at_the_caps_need_not_close_a_market_gap_of_its_own():
    """The London premium of the market is an input of its own (E39), not the caps' London uplift (E8)."""
    p = Params(london=True)
    for premium, closes in ((0.10, True), (0.25, False)):
        pay = fin.pay(p.salary_to_cap, np.zeros((1, 1)), np.ones((1, 1)), premium, np.zeros((1, 1)),
                      np.full((1, 1), 0.159), p.topup_share)
        assert (pay.gap[0, 0] == 0.0) == closes, (premium, pay.gap)


# ------------------------------------------------------------------ time off appointments
def test_staff_time_on_interventions_is_taken_off_appointments():
    """A team day takes every attendee's hours: GPs' in sessions (E17), everyone else's in their own
    appointments (hours x appointments per FTE-week / 37.5). With no encounters at the day, nothing else
    changes in its week, so the difference is exactly that."""
    from pcnsim.interventions.costs import HOURS_PER_FTE_WEEK

    p = Params(vaccination_programme=False)
    day = p.start_date + dt.timedelta(weeks=120)
    models = [PCNModel(rng=7, params=p, interventions=ivs)
              for ivs in ([I.TeamDays(start=day, every_weeks=520, contacts=0.0, event_cost=0.0)], [])]
    for m in models:
        m.run(121)
    with_day, without = models
    lev, s = with_day.levers, with_day.staff
    rows = np.flatnonzero(lev.hours_away > 0)
    others = rows[s.role[rows] != ROLE_INDEX["gp"]]
    assert len(others) > 10 and (s.role[rows] == ROLE_INDEX["gp"]).any()
    away = float((lev.hours_away[others] * with_day.roles.appointments[s.role[others]]).sum()) / HOURS_PER_FTE_WEEK
    sessions = with_day.gp_supervision_sessions - without.gp_supervision_sessions
    assert sessions > 0
    assert without.appointments - with_day.appointments == pytest.approx(
        away + sessions * p.appointments_per_gp_session, rel=1e-9)
