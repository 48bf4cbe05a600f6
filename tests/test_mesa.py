"""pcnsim is a proper Mesa model: agents, datacollector, batch_run, keyword-only parameters, rng=."""

import inspect

import mesa
import pytest

from pcnsim import PCNModel, StaffMember
from pcnsim.errors import PCNSimInputError


def test_is_a_mesa_model_with_keyword_only_parameters():
    assert issubclass(PCNModel, mesa.Model)
    sig = inspect.signature(PCNModel)
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in sig.parameters.values())
    with pytest.raises(TypeError):
        PCNModel(1)  # positional arguments are refused


def test_agents_are_staff_in_post_including_core_staff():
    m = PCNModel(rng=3)
    roles = {a.role_key for a in m.agents}
    assert {"gp", "practice_nurse"} <= roles
    for _ in range(120):
        m.step()
        assert len(m.agents) == m.headcount
    assert all(isinstance(a, StaffMember) for a in m.agents)
    assert any(a.is_arrs for a in m.agents)
    ids = sorted(a.idx for a in m.agents)
    assert ids == sorted(m.staff.active_ids().tolist())


def test_agents_are_made_when_looked_at_and_follow_staff_in_post():
    # A run nobody inspects makes no Mesa agents; looking makes one per person in post, in staff (hire)
    # order, with each agent object kept while its person stays, and a leaver's agent removed.
    m = PCNModel(rng=3).run(40)
    assert len(m._all_agents) == 0  # Mesa's own store: nothing made yet
    before = {a.idx: a for a in m.agents}
    assert list(before) == m.staff.active_ids().tolist()
    m.run(40)
    after = {a.idx: a for a in m.agents}
    assert list(after) == m.staff.active_ids().tolist()
    stayed, left = before.keys() & after.keys(), before.keys() - after.keys()
    assert stayed and left and after.keys() - before.keys()  # some stayed, some left, some joined
    assert all(after[i] is before[i] for i in stayed)
    assert all(m.agent(i) is None for i in left) and all(before[i].model is m for i in left)
    assert len(m._all_agents) == m.headcount and m.agent_types == [StaffMember]
    assert len(m.agents_by_type[StaffMember]) == m.headcount


def test_agent_attributes_are_live_views_of_the_arrays():
    m = PCNModel(rng=3)
    a = m.agents.to_list()[0]
    a.belonging = 0.123
    assert m.staff.belonging[a.idx] == pytest.approx(0.123)
    m.staff.burnout[a.idx] = 0.4
    assert a.burnout == pytest.approx(0.4)
    assert isinstance(a.ties(), dict)


def test_datacollector_records_every_week():
    m = PCNModel(rng=3).run(30)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 31  # the initial state plus one row per week
    assert {"Headcount", "Leavers", "Intending to leave (ARRS share)", "ARRS allocation (GBP)"} <= set(df.columns)
    assert m.steps == 30


def test_batch_run_works():
    res = mesa.batch_run(PCNModel, parameters={"practices_per_staff": [1, 3]}, rng=[1, 2], max_steps=20,
                         display_progress=False)
    assert len(res) == 4
    assert {r["practices_per_staff"] for r in res} == {1, 3}
    assert all(r["Step"] == 20 for r in res)


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(PCNSimInputError) as e:
        PCNModel(rng=1, practises_per_staff=2)
    msg = str(e.value)
    assert "practises_per_staff" in msg and "practices_per_staff" in msg and "valid parameters" in msg


def test_out_of_range_names_the_allowed_values():
    with pytest.raises(PCNSimInputError) as e:
        PCNModel(rng=1, homophily=1.5)
    assert "homophily" in str(e.value) and "from 0 to 1" in str(e.value)
