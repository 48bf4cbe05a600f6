"""Bad [roles], [policy] and [workforce] tables and bad workforce CSVs (issue 16): exit status 2, a message that
names the field (and for a CSV the row and column), nothing written; as the corpus of tests/test_hostile_inputs.py."""

from __future__ import annotations

import pytest

from tests.test_hostile_inputs import refused

HEAD = 'weeks = 5\n[parameters]\nstart_date = 2025-04-01\n'
CSV_SCENARIO = HEAD + '[workforce]\nkind = "csv"\npath = "wf.csv"\n'

TABLES = [
    # (scenario text after HEAD, the field the message must name)
    ('[roles.pharmacist]\npay_cap = -1\n', "roles.pharmacist.pay_cap"),
    ('[roles.pharmacist]\npay_cap = true\n', "roles.pharmacist.pay_cap"),
    ('[roles.pharmacist]\nsupervision_need = "2"\n', "roles.pharmacist.supervision_need"),
    ('[roles.pharmacist]\nkey = "x"\n', "roles.pharmacist.key"),
    ('[roles.pharmacist]\narrs = false\n', "roles.pharmacist.arrs"),
    ('[roles.pharmacist]\nwings = 2\n', "roles.pharmacist.wings"),
    ('[roles.astronaut]\nsupply = 1.0\n', "roles.astronaut"),
    ('[roles]\npharmacist = 3\n', "roles.pharmacist"),
    ('[roles.arrs_gp]\neligible_from = "2024-13-01"\n', "roles.arrs_gp.eligible_from"),
    ('[roles.arrs_gp]\nlabour_pool = "pharmacist"\n', "roles.arrs_gp.labour_pool"),
    ('[roles.arrs_gp]\npay_cap_from = { 1900 = 1.0 }\n', "roles.arrs_gp.pay_cap_from.1900"),
    ('[roles.arrs_gp]\ncap_fte = -2\n', "roles.arrs_gp.cap_fte"),
    ('[policy]\nbudget = [{ fy = 2020, million = 1.0 }]\n', "policy.budget[0].fy"),
    ('[policy]\nbudget = [{ fy = 2027, million = -1.0 }]\n', "policy.budget[0].million"),
    ('[policy]\nbudget = [{ fy = 2027, million = 1.0, source = "E' + '99" }]\n', "policy.budget[0].source"),  # no such row
    ('[policy]\npot = [{ fy = 2026, roles = ["astronaut"], million = 5.0 }]\n', "policy.pot[0].roles"),
    ('[policy]\nchange = [{ date = 2027-04-01, rule = "abolish" }]\n', "policy.change[0].rule"),
    ('[policy]\nchange = [{ date = 2027-04-01, rule = "remove_caps", when = 1 }]\n', "'when' in policy.change[0]"),
    ('[policy]\nplans = 3\n', "'plans' in policy"),
    ('[workforce]\nkind = "guess"\n', "workforce.kind"),
    ('[workforce]\nkind = "csv"\n', "workforce.path"),
    ('[workforce]\nkind = "national"\npath = "x.csv"\n', "workforce.path"),
    ('[workforce]\nkind = "csv"\npath = "missing.csv"\n', "workforce.path"),
]


@pytest.mark.parametrize(("table", "field"), TABLES)
def test_bad_tables_are_refused(table, field):
    err = refused(["run", "sc.toml", "--out", "out"], field, {"sc.toml": HEAD + table}, kind_="projection table")
    assert "sc.toml" in err


CSVS = [
    # (CSV text, what the message must name)
    ("network,role,fte,notes\n0,pharmacist,1\n", "row 1: unknown column 'notes'"),
    ("network,fte\n0,1\n", "row 1: column 'role' is missing"),
    ("network,role,fte\n1,pharmacist,1\n", "row 2, column 'network'"),
    ("network,role,fte\n0,pharmacist,1\n-1,pharmacist,1\n", "row 3, column 'network'"),
    ("network,role,fte\nzero,pharmacist,1\n", "row 2, column 'network'"),
    ("network,role,fte\n0,gp,1\n", "row 2, column 'role'"),
    ("network,role,fte\n0,astronaut,1\n", "row 2, column 'role'"),
    ("network,role,fte\n0,pharmacist,-1\n", "row 2, column 'fte'"),
    ("network,role,fte\n0,pharmacist,nan\n", "row 2, column 'fte'"),
    ("network,role,fte\n0,pharmacist,1e9\n", "row 2, column 'fte'"),
    ("network,role,fte\n0,pharmacist,two\n", "row 2, column 'fte'"),
    ("network,role,fte\n0,pharmacist\n", "row 2: 2 values"),
    ("network,role,fte\n0,pharmacist,1\n0,pharmacist,2\n", "row 3: network 0 and role 'pharmacist' appear twice"),
    ("", "empty"),
]


@pytest.mark.parametrize(("text", "named"), CSVS)
def test_bad_workforce_csvs_are_refused(text, named):
    err = refused(["run", "sc.toml", "--out", "out"], "wf.csv", {"sc.toml": CSV_SCENARIO, "wf.csv": text},
                  kind_="workforce csv")
    assert named in err, err


def test_a_csv_that_is_not_utf8_is_refused():
    refused(["run", "sc.toml", "--out", "out"], "not UTF-8", {"sc.toml": CSV_SCENARIO, "wf.csv": b"\xff\xfe\x00"},
            kind_="workforce csv")


def test_compare_refuses_group_tables_a_single_network_cannot_give():
    refused(["compare", "projection-2025", "--replicates", "1", "--by", "london", "--out", "out"], "--by",
            kind_="flag")


def test_unknown_built_in_scenario():
    from pcnsim.errors import PCNSimInputError
    from pcnsim.scenario import Scenario

    with pytest.raises(PCNSimInputError, match="projection-2025"):
        Scenario.builtin("projection-2030")
