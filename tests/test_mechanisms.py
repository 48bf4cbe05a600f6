"""Direction of every mechanism, all else equal, with common random numbers and replicates.

Each test runs paired models (same seeds) that differ in one parameter and asserts the sign of the
difference in every pair or on average with a margin, over 8 copies of the network per model so that
there are a few hundred staff. Runs start in April 2022 (no pandemic) so ARRS teams are recruited early.
"""

import datetime as dt

import numpy as np
import pytest

from pcnsim.mechanisms import belonging as bel
from pcnsim.mechanisms import leaving as lv
from pcnsim.mechanisms import support as sup
from pcnsim.mechanisms import ties as ties_
from pcnsim.mechanisms import workload as wl
from pcnsim.streams import Streams
from tests.helpers import arrs_mean, paired

BASE = dict(start_date="2022-04-01", pandemic_start="2020-03-23", pandemic_end="2021-07-19", weeks=78, copies=8)
SEEDS = range(4)


def _leaver_rate(m):
    return m.summary()["network"]["arrs_annual_leaver_rate"]


def _mean_ties(m):
    s = m.staff
    ids = s.active_ids()
    ids = ids[m.roles.arrs[s.role[ids]]]
    return float(s.tie_w[ids].sum(axis=1).mean())


def test_more_practices_per_person_lowers_belonging_but_widens_peer_contact():
    """Split across more practices, a person's contact is spread thin: weaker ties, less belonging (E19,
    through contact alone: no direct term by default). But they meet more colleagues of their own profession
    on site, so peer support rises: the two faces of the split, whose net effect on intention is small in
    the default network (docs/ODD.md 7.3)."""
    d_bel = paired(lambda m: arrs_mean(m, "belonging_mean"), {"practices_per_staff": 1}, {"practices_per_staff": 5}, SEEDS, **BASE)
    assert (d_bel < -0.03).all(), d_bel

    def peer(m):
        s = m.staff
        ids = s.active_ids()
        return float(s.peer[ids[m.roles.arrs[s.role[ids]]]].mean())

    d_peer = paired(peer, {"practices_per_staff": 1}, {"practices_per_staff": 5}, SEEDS, **BASE)
    assert (d_peer > 0).all(), d_peer


def test_base_practice_raises_belonging():
    d = paired(lambda m: arrs_mean(m, "belonging_mean"), {"has_base": False}, {"has_base": True}, range(6),
               practices_per_staff=3, **BASE)
    assert d.mean() > 2 * d.std(ddof=1) / np.sqrt(len(d)) and (d > 0).sum() >= 5, d  # paired t above 2


def test_more_supervision_lowers_intention():
    d = paired(lambda m: arrs_mean(m, "intending_share"), {"gp_supervision_sessions": 0.5}, {"gp_supervision_sessions": 8.0}, SEEDS, **BASE)
    assert d.mean() < -0.02 and (d < 0.01).all(), d
    d_sup = paired(lambda m: arrs_mean(m, "supervision_coverage"), {"gp_supervision_sessions": 0.5}, {"gp_supervision_sessions": 8.0}, SEEDS, **BASE)
    assert (d_sup > 0.2).all(), d_sup


def test_heavy_remote_work_weakens_ties():
    kw = {**BASE, "pandemic_start": "2022-04-01", "pandemic_end": "2030-01-01"}
    d = paired(_mean_ties, {"pandemic_remote_share": 0.1}, {"pandemic_remote_share": 0.9}, SEEDS, **kw)
    assert (d < 0).all(), d


def _z(**kw):
    """Log-odds of intending to leave with everything at a middling value except ``kw``."""
    base = dict(intercept=-1.0, belonging=0.5, support=0.5, discrepancy=0.1, burnout=0.2, pay_gap=0.0,
                remote=0.0, contagion=0.0, w_isolation=2.0, w_supervision=1.0, w_discrepancy=5.0, w_burnout=1.5,
                w_pay=3.0, w_flexibility=0.4, w_contagion=1.0, heavy_remote_threshold=0.5)
    return lv.log_odds(**{**base, **kw})


def test_moderate_remote_lowers_intention_through_flexibility():
    assert _z(remote=0.3) < _z(remote=0.0)
    # beyond the threshold, flexibility gives nothing more (the harm comes through ties)
    assert _z(remote=0.9) == pytest.approx(_z(remote=0.5))


def test_intention_rises_with_every_harm_and_falls_with_belonging_and_support():
    assert _z(belonging=0.8) < _z(belonging=0.4) and _z(support=0.9) < _z(support=0.3)
    assert _z(discrepancy=0.3) > _z() and _z(burnout=0.6) > _z() and _z(pay_gap=0.2) > _z()
    assert _z(contagion=0.8) > _z()
    assert lv.probability(_z(belonging=0.8)) < lv.probability(_z(belonging=0.4))


def test_silos_more_homophily_means_more_same_profession_ties():
    def same_share(m):
        s = m.staff
        ids = s.active_ids()
        same = ties_.same_role_strength(s.tie_j, s.tie_w, s.role, ids).sum()
        return float(same / s.tie_w[ids].sum())

    d = paired(same_share, {"homophily": 0.1}, {"homophily": 0.9}, SEEDS, **BASE)
    assert (d > 0.1).all(), d


def test_a_tied_colleague_resigning_raises_intention_and_retiring_does_not():
    # mechanism level: losing a tie to someone who resigned adds exposure, and contagion raises intention
    tie_j = np.array([[1, 2, -1], [0, -1, -1], [0, -1, -1], [-1, -1, -1]], dtype=np.int32)
    tie_w = np.array([[0.8, 0.3, 0], [0.8, 0, 0], [0.3, 0, 0], [0, 0, 0]], dtype=np.float32)
    left = np.array([False, True, False, False])  # person 1 leaves; last row is the sentinel
    exposure = ties_.cut_leavers(tie_j.copy(), tie_w.copy(), np.array([0, 2]), left)
    assert exposure[0] == pytest.approx(0.8) and exposure[1] == 0
    retired = ties_.cut_leavers(tie_j, tie_w, np.array([0, 2]), left, np.zeros(4, bool))  # (E23: job search)
    assert (retired == 0).all() and (tie_j[0] != 1).all(), "the tie goes either way; only a resignation spreads"
    assert _z(contagion=float(exposure[0])) > _z(contagion=float(exposure[1]))


def test_contagion_weight_raises_leaving_in_the_model():
    d = paired(_leaver_rate, {"w_contagion": 0.0}, {"w_contagion": 6.0}, range(6), **BASE)
    assert d.mean() > 0, d


def test_vacancies_raise_load_and_burnout_grows_under_load():
    in_post, work = np.array([1.0, 0.0, 2.0, 1.0]), np.array([2.0, 1.0, 1.0, 2.0])
    load = wl.team_load(in_post, work, 1.0, np.ones(4), 3.0)
    assert list(load) == [2.0, 1.0, 1.0, 2.0]  # half staffed: double load; no one in post or overstaffed: 1
    half = wl.team_load(in_post, work, 0.5, np.ones(4), 3.0)
    assert list(half) == [1.5, 1.0, 1.0, 1.5], "half of a vacant post's work falls on those in post"
    deprived = wl.team_load(in_post, work, 0.5, np.array([1.1, 1.1, 1.1, 1.0]), 3.0)
    assert deprived[2] == pytest.approx(1.1) and deprived[0] == pytest.approx(1.65), "more need, more load (E38)"
    assert wl.follow_plan(np.array([0.0]), np.array([26.0]), 26.0)[0] == pytest.approx(1.0)
    step = lambda load, support: wl.burnout_step(0.2, load, 1.0, 0.0, support, 0.1, 0.05, 0.03)  # noqa: E731
    assert step(2.0, 0.5) > step(1.0, 0.5)
    assert step(2.0, 0.9) < step(2.0, 0.1), "more support, less burnout"
    assert 0.0 <= wl.burnout_step(0.99, 5.0, 2.0, 1.0, 0.0, 0.1, 1.0, 0.03) <= 1.0


def test_supervision_is_shared_by_need_and_support_is_monotone():
    need = np.array([0.0, 2.0, 0.5])  # hours per FTE-week: a role needing none, a high-need and a low-need role
    demand = np.array([[0.0, 4.0, 4.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 4.0, 1.0]])
    cap = np.array([4.0, 4.0, 1.0, 4.0])
    alike = sup.share_supervision(demand, need, 0.0, cap)
    np.testing.assert_allclose(alike[0], [1.0, 0.5, 0.5])  # priority 0: coverage = capacity / demand for all
    np.testing.assert_allclose(alike[1], 1.0)  # need met
    np.testing.assert_allclose(alike[2], 1.0)  # no demand: nothing lacking
    by_need = sup.share_supervision(demand, need, 1.0, cap)
    assert by_need[0, 1] > alike[0, 1] == alike[0, 2] > by_need[0, 2], "the higher need is covered first (E11)"
    np.testing.assert_allclose((by_need * demand).sum(axis=1), np.minimum(cap, demand.sum(axis=1)),
                               err_msg="every GP hour is used while a need is unmet, and no more than is needed")
    np.testing.assert_allclose(by_need[0], [1.0, 0.8, 0.2])  # coverage in proportion to need: 4(2x) + 4(0.5x) = 4
    strict = sup.share_supervision(demand, need, 3.0, cap)
    assert strict[3, 1] > by_need[3, 1] and strict[3, 2] < by_need[3, 2], "a higher priority favours the high need"
    capped = sup.share_supervision(np.array([[0.0, 4.0, 1.0]]), need, 1.0, np.array([4.5]))
    np.testing.assert_allclose(capped[0], [1.0, 1.0, 0.5], err_msg="a fully covered role's surplus goes to the rest")
    assert sup.supervision(0.5, 2.0, 0.5) == pytest.approx(0.75) and sup.supervision(0.9, 2.0, 2.0) == 1.0
    assert sup.supervision(0.0, 0.0, 0.0) == 1.0, "a role that needs no supervision lacks none"
    assert sup.combine(0.8, 0.5, True, 0.6) > sup.combine(0.2, 0.5, True, 0.6)
    assert sup.combine(0.2, 0.5, False, 0.6) == 0.5, "no need: support is peer support"
    assert sup.peer(3.0, 1.5) > sup.peer(1.0, 1.5) > sup.peer(0.0, 1.5) == 0.0
    assert sup.peer(1.5, 1.5) == pytest.approx(0.5)


def test_belonging_grows_with_ties_vision_and_affiliation_and_direct_terms_are_bounded():
    t = lambda **kw: bel.target(**{**dict(embed=0.5, vision=0.3, affiliation=0.0, base=False, practices=3,  # noqa: E731
                                          vision_weight=0.2, personal_sd=0.2, base_bonus=0.0, dilution=0.0), **kw})
    assert t(embed=0.7) > t() and t(vision=0.8) > t() and t(affiliation=1.0) > t()
    assert t(base=True) == t() and t(practices=5) == t(), "the defaults put no direct effect on the split"
    assert t(base=True, base_bonus=0.1) > t() and t(practices=5, dilution=0.05) < t()
    assert 0.0 <= t(affiliation=-9.0) <= t(affiliation=9.0) <= 1.0
    assert bel.step(0.2, 0.8, 0.1) == pytest.approx(0.26)


def test_partial_conversion_of_intention_into_leaving():
    stream = Streams.from_seed(0, 1)["exit"]
    n = 200_000
    net = np.zeros(n, np.int64)
    intends = np.arange(n) < n // 2
    h1, h0 = lv.weekly_hazard(0.20), lv.weekly_hazard(0.04)
    gone = np.zeros(n, bool)
    no_lever_free = lv.exit_hazards(np.zeros(1), np.zeros(1), np.zeros(1))
    for _ in range(52):
        gone |= lv.exits(stream, net, np.zeros(n, dtype=np.int64), intends, no_lever_free, h1, h0) > 0
    assert gone[intends].mean() == pytest.approx(0.20, abs=0.01)  # E13
    assert gone[~intends].mean() == pytest.approx(0.04, abs=0.005)


def test_london_pay_gap_slows_recruitment_and_raises_intention():
    d_fte = paired(lambda m: m.summary()["network"]["arrs_fte_end"], {"london": False}, {"london": True}, SEEDS, **BASE)
    assert d_fte.mean() < 0, d_fte
    d_int = paired(lambda m: arrs_mean(m, "intending_share"), {"london": False}, {"london": True}, SEEDS, **BASE)
    assert d_int.mean() > 0, d_int


def test_deprivation_slows_recruitment():
    kw = {**BASE, "weeks": 40}
    d = paired(lambda m: float(m.recorder.weekly()["arrs_fte"].mean()), {"deprivation": 0.0}, {"deprivation": 1.0}, SEEDS, **kw)
    assert (d < 0).all(), d


def test_more_money_more_staff():
    kw = {**BASE, "weeks": 52}
    d = paired(lambda m: m.summary()["network"]["arrs_fte_end"], {"budget_2022": 800.0}, {"budget_2022": 1600.0}, SEEDS, **kw)
    assert (d > 0).all(), d


def test_higher_conversion_more_leavers():
    d = paired(_leaver_rate, {"leave_if_intending": 0.1}, {"leave_if_intending": 0.6}, SEEDS, **BASE)
    assert (d > 0).all(), d


# ------------------------------------------------------------------ intention: the personal propensity
def test_share_intending_equals_the_intention_probability():
    """With a standard logistic propensity, P(z + e > 0) = expit(z): the share of a large group in one
    situation who intend to leave matches the probability within binomial error."""
    stream = Streams.from_seed(7, 1)["person"]
    n = 200_000
    for z in (-2.0, 0.0, 1.5):
        share = (z + lv.draw_personal(stream, np.zeros(n, np.int64))[0] > 0).mean()
        p = 1 / (1 + np.exp(-z))
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n), (z, share, p)


def test_intention_persists_unless_propensity_or_situation_changes():
    stream = Streams.from_seed(3, 1)["renew"]
    n = 50_000
    net = np.zeros(n, np.int64)
    e, a = lv.draw_personal(stream, net)
    z = np.full(n, -0.5)
    before = z + e > 0
    e0, a0 = e.copy(), a.copy()
    lv.renew_personal(stream, net, e, a, 0.0)
    assert np.array_equal(e, e0) and np.array_equal(a, a0), "nothing renewed: no change"
    lv.renew_personal(stream, net, e, a, 0.1)
    changed = e != e0
    assert abs(changed.mean() - 0.1) < 4 * np.sqrt(0.09 / n)
    assert np.array_equal(changed, a != a0), "propensity and affiliation are renewed together"
    assert abs(a.std() - 1.0) < 0.02 and abs(a.mean()) < 0.02, "affiliation is standard normal"
    assert ((z + 1.0 + e0) > 0)[before].all(), "a worse situation never stops anyone intending"


def test_propensity_makes_intention_persist_in_the_model():
    """Of settled ARRS staff intending to leave, most still do 13 weeks later, and few who did not now do
    (E13 needs intention to persist; with random re-appraisal both would drift towards the mean share)."""
    from tests.helpers import run

    m = run(2, weeks=104, copies=8, start_date="2022-04-01")
    s = m.staff
    ids = s.active_ids()
    ids = ids[m.roles.arrs[s.role[ids]] & (m.week - s.hire_week[ids] >= 26)]
    was = s.intends[ids].copy()
    m.run(13)
    still = s.active[ids] & (s.notice_left[ids] < 0)
    assert was[still].sum() > 30
    assert s.intends[ids][still & was].mean() > 0.7
    assert s.intends[ids][still & ~was].mean() < 0.2


# ------------------------------------------------------------------ recruitment: eligibility and vaccination
def test_roles_are_recruited_only_once_reimbursable():
    from pcnsim.roles import ELIGIBLE_FROM, ROLE_INDEX
    from tests.helpers import run

    m = run(1, weeks=160, copies=4)  # April 2019 to about May 2022
    s = m.staff
    n = s.n
    for key, first in ELIGIBLE_FROM.items():
        hired = s.hire_week[:n][(s.role[:n] == ROLE_INDEX[key]) & (s.hire_week[:n] >= 0)]
        if len(hired):
            earliest = m.params.start_date + dt.timedelta(weeks=int(hired.min()))
            assert earliest >= first - dt.timedelta(days=7), (key, earliest, first)
    assert ((s.role[:n] == ROLE_INDEX["paramedic"]) & (s.hire_week[:n] >= 0)).any(), "paramedics hired from 2021"


def test_vaccination_programme_slows_arrs_recruitment():
    # from April 2020 the vaccination period starts in week 36
    d = paired(lambda m: float(m.recorder.weekly()["arrs_fte"].iloc[-1]),
               {"vaccination_recruit_factor": 1.0}, {"vaccination_recruit_factor": 0.3}, SEEDS,
               start_date="2020-04-01", weeks=80, copies=6)
    assert (d < 0).all(), d
    same = paired(lambda m: float(m.recorder.weekly()["arrs_fte"].iloc[-1]),
                  {"vaccination_recruit_factor": 1.0}, {"vaccination_recruit_factor": 0.3}, SEEDS,
                  start_date="2020-04-01", weeks=30, copies=6)
    assert (same == 0).all(), "before the programme the factor changes nothing"
