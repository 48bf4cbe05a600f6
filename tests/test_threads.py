"""Kernels on threads give the same run, bit for bit, as on one thread (pcnsim.threads).

The weekly kernels cut their work into blocks of whole networks (or of people, where each person's update
is their own) and run the blocks on threads. A run must not depend on it: here a model of 40 networks of
the synthetic England, through the pandemic's remote weeks and with interventions that add mixing
encounters, is run once on one thread and once with every kernel cut into blocks (the size threshold
lowered to one item), and every staff array, every weekly output and every random counter must be equal.
"""

from __future__ import annotations

import multiprocessing as mp
import threading

import numpy as np
import pytest

from pcnsim import threads
from pcnsim.england import england
from pcnsim.errors import PCNSimInputError
from pcnsim.interventions.base import from_config
from pcnsim.model import PCNModel

WEEKS = 130  # through the pandemic (weeks 51-120): remote encounters of every network, and vaccination clinics
IVS = [{"type": "shared_vaccination"}, {"type": "team_days", "every_weeks": 4, "start": 10},
       {"type": "protected_supervision", "hours": 1.0, "start": 20, "networks": [0, 3, 7]}]
STAFF_FIELDS = ("tie_j", "tie_w", "belonging", "supervision", "peer", "support", "burnout", "discrepancy",
                "intention", "intends", "contagion", "propensity", "affiliation", "active", "network", "role",
                "notice_left", "exit_kind", "leave_week")


def _run(n_threads: int, monkeypatch: pytest.MonkeyPatch, spy: list[int]) -> PCNModel:
    real = threads.blocks

    def counting(n_items: int, most: int):  # noqa: ANN202 - records how many blocks each kernel was given
        cm = real(n_items, most)

        class Spy:
            def __enter__(self) -> int:
                nb = cm.__enter__()
                spy.append(nb)
                return nb

            def __exit__(self, *exc: object) -> None:
                cm.__exit__(*exc)
        return Spy()

    monkeypatch.setattr(threads, "blocks", counting)
    monkeypatch.setattr(threads, "PARALLEL_MIN", 1)
    monkeypatch.setattr(threads, "_count", n_threads)
    model = PCNModel(rng=11, population=england(networks=40), interventions=from_config(IVS))
    model.encounters_by_week = []
    for _ in range(WEEKS):
        model.step()
        model.encounters_by_week.append(model.encounters)
    return model


@pytest.fixture(scope="module")
def pair() -> tuple[PCNModel, PCNModel, list[int], list[int]]:
    with pytest.MonkeyPatch.context() as mp_:
        one_spy: list[int] = []
        one = _run(1, mp_, one_spy)
    with pytest.MonkeyPatch.context() as mp_:
        many_spy: list[int] = []
        many = _run(2, mp_, many_spy)
    return one, many, one_spy, many_spy


def test_blocks_were_used_only_with_threads(pair):
    _, _, one_spy, many_spy = pair
    assert set(one_spy) == {1}
    assert max(many_spy) > 1 and sum(nb > 1 for nb in many_spy) > WEEKS * 5  # several kernels a week


def test_a_run_on_threads_equals_the_run_on_one(pair):
    one, many, _, _ = pair
    assert one.staff.capacity == many.staff.capacity
    n = one.staff.capacity
    for name in STAFF_FIELDS:
        a, b = getattr(one.staff, name)[:n], getattr(many.staff, name)[:n]
        assert np.array_equal(a, b), name
    assert np.array_equal(one.streams.counter, many.streams.counter)
    wa, wb = one.datacollector.get_model_vars_dataframe(), many.datacollector.get_model_vars_dataframe()
    assert wa.equals(wb)
    assert one.recorder.weekly().equals(many.recorder.weekly())


def test_the_run_had_mixing_and_remote_weeks(pair):
    one, many, _, _ = pair
    assert one.encounters_by_week == many.encounters_by_week
    enc = np.array(one.encounters_by_week)
    assert enc.max() > 1.5 * enc[:40].mean()  # vaccination clinics and team days add encounters


def test_network_bounds_never_cut_a_network():
    rng = np.random.default_rng(3)
    item_net = np.sort(rng.integers(0, 50, 2_000))
    for nb in (1, 2, 3, 8, 64):
        b = threads.network_bounds(item_net, nb)
        assert b[0] == 0 and b[-1] == len(item_net) and np.all(np.diff(b) >= 0)
        inner = b[1:-1][(b[1:-1] > 0) & (b[1:-1] < len(item_net))]
        assert np.all(item_net[inner] != item_net[inner - 1])
        start = np.searchsorted(item_net, np.arange(51))
        assert np.array_equal(threads.start_bounds(start, nb)[[0, -1]], [0, len(item_net)])
        s = threads.start_bounds(start, nb)
        assert np.all(np.isin(s, start)) and np.all(np.diff(s) >= 0)


def test_threads_setting_is_checked():
    with pytest.raises(PCNSimInputError) as e:
        threads.set_threads(0)
    assert e.value.field == "threads" and "from 1 to" in str(e.value)
    with pytest.raises(PCNSimInputError):
        threads.set_threads("two")
    old = threads._count
    try:
        threads.set_threads(1)
        assert threads.threads() == 1
    finally:
        threads._count = old


def test_environment_variable_is_checked(monkeypatch):
    monkeypatch.setattr(threads, "_count", None)
    monkeypatch.setenv("PCNSIM_THREADS", "lots")
    with pytest.raises(PCNSimInputError) as e:
        threads.threads()
    assert e.value.field == "PCNSIM_THREADS"
    monkeypatch.setenv("PCNSIM_THREADS", "1")
    monkeypatch.setattr(threads, "_count", None)
    assert threads.threads() == 1


def _child_threads(q) -> None:  # noqa: ANN001
    q.put(threads.threads())


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("method", [m for m in ("fork", "spawn") if m in mp.get_all_start_methods()])
def test_child_processes_run_on_one_thread(method, monkeypatch):
    monkeypatch.delenv("PCNSIM_THREADS", raising=False)
    ctx = mp.get_context(method)
    q = ctx.Queue()
    p = ctx.Process(target=_child_threads, args=(q,))
    p.start()
    got = q.get(timeout=120)
    p.join(timeout=120)
    assert got == 1


def test_a_second_thread_runs_alone_while_threads_are_held(monkeypatch):
    monkeypatch.setattr(threads, "_count", 2)
    got = []
    with threads.blocks(10**6, 100) as nb:
        t = threading.Thread(target=lambda: got.append(threads.blocks(10**6, 100).__enter__()))
        t.start()
        t.join()
    assert nb == min(2 * threads.BLOCKS_PER_THREAD, 100)
    assert got == [1]
    with threads.blocks(10, 100) as small:  # below the threshold: one thread
        assert small == 1


def test_cli_refuses_a_bad_environment_variable_and_writes_nothing(monkeypatch, tmp_path, capsys):
    from pcnsim.cli import main

    monkeypatch.setattr(threads, "_count", None)
    monkeypatch.setenv("PCNSIM_THREADS", "0")
    out = tmp_path / "run"
    assert main(["run", "--weeks", "2", "--quiet", "--out", str(out)]) == 2
    assert "PCNSIM_THREADS" in capsys.readouterr().err
    assert not out.exists()
