"""A scenario adds a role to the catalogue (``[roles.<new key>]``): it is validated as the shipped file's roles
are, goes after the shipped roles (no index moves), and the model simulates it: networks plan and hire posts
in it from its eligibility date, and every table of the run lists it. Bad added roles are refused naming the
field, with exit status 2 and nothing written."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from pcnsim.errors import PCNSimInputError
from pcnsim.pack import PackedRun, run_packed
from pcnsim.roles import GP, N_ROLES, NURSE, ROLE_KEYS, RoleArrays
from pcnsim.roles.catalogue import shipped, with_overrides
from pcnsim.scenario import Scenario
from tests.test_hostile_inputs import refused

ELIGIBLE = dt.date(2026, 4, 1)
SHARE = 0.10
FIELDS = {"label": "Digital and transformation lead", "arrs": True, "mix_share": SHARE, "pay_cap": 55_000.0,
          "supervision_need": 0.25, "supply": 1.2, "remote_capable": 1.0, "appointments": 5.0, "notice_weeks": 4,
          "mean_fte": 0.9, "eligible_from": ELIGIBLE, "colour": "#17becf"}
SOURCES = {k: "assumption" for k in FIELDS if k not in ("label", "arrs", "colour")}
ROLE = {**FIELDS, "sources": SOURCES}
NO_ROW = "E" + "99"  # an evidence id with no row (spelt so that the repository cites no such row)

TABLE = """
[roles.digital_lead]
label = "Digital and transformation lead"
arrs = true
mix_share = 0.10
pay_cap = 55_000.0
supervision_need = 0.25
supply = 1.2
remote_capable = 1.0
appointments = 5.0
notice_weeks = 4
mean_fte = 0.9
eligible_from = 2026-04-01
colour = "#17becf"
sources = { mix_share = "assumption", pay_cap = "assumption", supervision_need = "assumption", supply = "assumption", remote_capable = "assumption", appointments = "assumption", notice_weeks = "assumption", mean_fte = "assumption", eligible_from = "assumption" }
"""
HEAD = 'name = "digital"\nweeks = 130\nseed = 5\n[parameters]\nstart_date = 2025-04-01\n[workforce]\nkind = "national"\n'
WEEKS = 130  # April 2025 to October 2027: a year before the role is eligible, eighteen months after


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.loads(HEAD + TABLE, source="digital.toml")


@pytest.fixture(scope="module")
def model(scenario):
    return scenario.build_model(seed=5).run(WEEKS)


def test_the_added_role_goes_after_the_shipped_ones(scenario):
    R = scenario.role_arrays()
    assert R.n == N_ROLES + 1 and R.keys[:N_ROLES] == ROLE_KEYS and R.keys[-1] == "digital_lead"
    assert R.added == ("digital_lead",) and R.index["digital_lead"] == N_ROLES
    assert R.index["gp"] == GP and R.index["practice_nurse"] == NURSE
    assert R.labels[-1] == "Digital and transformation lead" and R.colours[-1] == "#17becf"
    assert bool(R.arrs[-1]) and R.eligible_from[-1] == ELIGIBLE.toordinal()
    # the shipped roles' columns are untouched
    S = RoleArrays()
    for name in ("pay_cap", "supply", "mean_fte", "appointments", "eligible_from", "pool", "cap_fte"):
        np.testing.assert_array_equal(getattr(R, name)[:N_ROLES], getattr(S, name))


def test_a_mix_share_takes_that_share_and_scales_the_others(scenario):
    R, S = scenario.role_arrays(), RoleArrays()
    mix = R.mix[R.arrs] / R.mix[R.arrs].sum()  # once every ARRS role is eligible
    base = S.mix[S.arrs] / S.mix[S.arrs].sum()
    assert mix[-1] == pytest.approx(SHARE, abs=1e-12)
    np.testing.assert_allclose(mix[:-1], base * (1 - SHARE), rtol=1e-12)
    # before it is eligible the networks plan in the shipped proportions
    m = scenario.build_model(seed=5)
    before, _ = m.policy.planned_mix(ELIGIBLE - dt.timedelta(days=1), 2030, R.mix, 1)
    after, _ = m.policy.planned_mix(ELIGIBLE, 2030, R.mix, 1)
    assert before[0, -1] == 0 and after[0, -1] == pytest.approx(SHARE)


def test_the_added_role_is_hired_from_its_eligibility_date_only(model):
    s, R = model.staff, model.roles
    n = s.n
    role = s.role[:n]
    dl = role == R.index["digital_lead"]
    hired = dl & (s.hire_week[:n] >= 0)
    assert hired.sum() >= 2, "digital leads are hired once eligible"
    assert (dl == hired).all(), "no digital lead in post before the run (the warm start has none)"
    start = model.params.start_date
    first_week = -(-(ELIGIBLE - start).days // 7)
    assert s.hire_week[:n][hired].min() >= first_week, "none hired before the role is eligible"
    # the weekly table by role shows none before and some after
    by = model.recorder.weekly_by_role()
    rows = by[by["role"] == "digital_lead"]
    assert len(rows) == WEEKS
    assert rows.loc[rows["date"] < ELIGIBLE, "headcount"].sum() == 0
    assert rows["headcount"].iloc[-1] > 0 and rows["joiners"].sum() == hired.sum()


def test_the_summary_and_commission_figures_list_the_added_role(model):
    summary = model.summary()
    roles = {r["role"]: r for r in summary["roles"]}
    assert "digital_lead" in roles and roles["digital_lead"]["headcount_end"] > 0
    assert roles["ARRS (all roles)"]["headcount_end"] >= roles["digital_lead"]["headcount_end"]
    com = {r["role"]: r for r in summary["commission"]["by_role"]}
    assert com["digital_lead"]["hires"] == roles["digital_lead"]["joiners"]
    from pcnsim.economics import run_economics
    from pcnsim.results import format_summary

    econ = run_economics(model)
    assert econ["fte_years_disc_digital_lead"] > 0 and "leavers_digital_lead" in econ
    assert "Digital and transformation lead" in format_summary(summary, model.roles)
    json.dumps(summary, default=str)


def test_packed_runs_with_an_added_role_equal_runs_alone(scenario):
    """The same scenario at two seeds packed as two networks of one model gives each run's summary."""
    from pcnsim.evaluate import run_network_summary

    short = scenario.with_changes(weeks=70)
    runs = [PackedRun(short, 11), PackedRun(short, 12)]
    packed = run_packed(runs, 70)
    for r, p in zip(runs, packed, strict=True):
        alone = run_network_summary(r.scenario, r.seed, 70)
        assert json.dumps(alone, default=str, sort_keys=True) == json.dumps(p, default=str, sort_keys=True)


def test_interventions_policy_and_a_workforce_csv_may_name_the_added_role(tmp_path):
    (tmp_path / "wf.csv").write_text("network,role,fte\n0,digital_lead,1.8\n0,pharmacist,2\n", encoding="utf-8")
    text = (HEAD.replace('kind = "national"', 'kind = "csv"\npath = "wf.csv"') + TABLE
            + '[[interventions]]\ntype = "protected_supervision"\nhours = { digital_lead = 3.0 }\nroles = ["digital_lead"]\n'
            + '[policy]\npot = [{ fy = 2026, roles = ["digital_lead"], million = 20.0 }]\n')
    (tmp_path / "sc.toml").write_text(text, encoding="utf-8")
    sc = Scenario.load(tmp_path / "sc.toml")
    m = sc.build_model(seed=2)
    dl = m.roles.index["digital_lead"]
    s = m.staff
    assert np.isclose(s.fte[: s.n][s.role[: s.n] == dl].sum(), 1.8)  # the warm start's posts of the role
    h = sc.interventions[0].hours_per_person(m)
    assert (h[s.role[: s.n] == dl] == 3.0).all() and (h[s.role[: s.n] != dl] == 0).all()
    mask, total = m.policy.pots(2026)
    assert total == 20.0 and mask.tolist() == [False] * N_ROLES + [True]
    # the resolved scenario reads back with its role
    again = Scenario.loads(sc.to_toml(resolved=True), source="again.toml")
    assert again.role_arrays().keys == m.roles.keys


def test_a_scenario_without_added_roles_has_the_shipped_catalogue():
    assert with_overrides({}) is shipped()
    assert Scenario.default().role_arrays().keys == ROLE_KEYS


def _without(*keys):
    return {k: v for k, v in ROLE.items() if k not in keys}


@pytest.mark.parametrize(("table", "field"), [
    (_without("supply"), "roles.digital_lead.supply"),  # a required field missing
    (_without("arrs"), "roles.digital_lead.arrs"),  # arrs must be explicit
    ({**ROLE, "arrs": False}, "roles.digital_lead.arrs"),  # an added role is an ARRS role
    ({**ROLE, "supply": -1.0}, "roles.digital_lead.supply"),
    ({**ROLE, "eligible_from": "2026-13-01"}, "roles.digital_lead.eligible_from"),
    ({**ROLE, "wings": 2}, "roles.digital_lead.wings"),
    (_without("sources"), "roles.digital_lead.sources"),
    ({**ROLE, "sources": {k: v for k, v in SOURCES.items() if k != "pay_cap"}}, "roles.digital_lead.sources.pay_cap"),
    ({**ROLE, "sources": {**SOURCES, "supply": NO_ROW}}, "roles.digital_lead.sources.supply"),
    ({**ROLE, "key": "pharmacist"}, "roles.digital_lead.key"),
    ({**ROLE, "fte_weight": 100.0, "sources": {**SOURCES, "fte_weight": "assumption"}}, "roles.digital_lead.mix_share"),
    ({**ROLE, "mix_share": 0.99}, "roles.digital_lead.mix_share"),
    ({**ROLE, "labour_pool": "pharmacist", "sources": {**SOURCES, "labour_pool": "assumption"}},
     "roles.digital_lead.labour_pool"),
])
def test_bad_added_roles_are_refused_naming_the_field(table, field):
    with pytest.raises(PCNSimInputError) as e:
        with_overrides({"digital_lead": table})
    assert e.value.field == field, (e.value.field, str(e.value))
    assert field in str(e.value)


def test_an_existing_key_cannot_be_added_again():
    """A table named after a shipped role changes it; saying arrs (as a new role must) is refused."""
    with pytest.raises(PCNSimInputError, match="shipped role") as e:
        with_overrides({"pharmacist": ROLE})
    assert e.value.field == "roles.pharmacist.arrs"
    with pytest.raises(PCNSimInputError) as e:
        with_overrides({"Digital-Lead": ROLE})
    assert e.value.field == "roles.Digital-Lead"


CLI_CASES = [
    (TABLE.replace("supply = 1.2\n", ""), "roles.digital_lead.supply"),
    (TABLE.replace("supply = 1.2\n", "supply = -1\n"), "roles.digital_lead.supply"),
    (TABLE.replace("arrs = true\n", ""), "roles.digital_lead.arrs"),
    (TABLE[: TABLE.index("sources =")], "roles.digital_lead.sources"),
    (TABLE.replace('pay_cap = "assumption"', f'pay_cap = "{NO_ROW}"'), "roles.digital_lead.sources.pay_cap"),
    (TABLE.replace("[roles.digital_lead]", "[roles.pharmacist]"), "roles.pharmacist.arrs"),
    (TABLE + '[[interventions]]\ntype = "peer_support"\nroles = ["digital_leads"]\n', "interventions[0].roles"),
    (TABLE + '[policy]\npot = [{ fy = 2026, roles = ["digital_leads"], million = 5.0 }]\n', "policy.pot[0].roles"),
]


@pytest.mark.parametrize(("table", "field"), CLI_CASES)
def test_pcnsim_run_refuses_a_bad_added_role(table, field):
    err = refused(["run", "sc.toml", "--out", "out"], field, {"sc.toml": HEAD + table}, kind_="added role")
    assert "sc.toml" in err


def test_a_good_added_role_is_not_refused():
    """The cases above are refused for what they change, not for the rest of the table."""
    Scenario.loads(HEAD + TABLE, source="ok.toml")
    for table, _ in CLI_CASES[-2:]:
        with pytest.raises(PCNSimInputError):
            Scenario.loads(HEAD + table, source="bad.toml")
        Scenario.loads(HEAD + table.replace("digital_leads", "digital_lead"), source="ok.toml")
