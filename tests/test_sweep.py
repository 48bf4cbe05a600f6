"""Sweeps (issue 5): specs, the local pool, a real Dask cluster, kill and resume, analysis, evaluate().

The Dask tests start a real scheduler and two workers as separate processes (the `dask` command line of
this environment) on 127.0.0.1 only; every process a test starts is stopped by a fixture finalizer,
whatever the outcome of the test. Runs are short (52 weeks) to keep the file within about two minutes.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import CEILING_S, wait_until

import pcnsim
from pcnsim.cli import main as cli
from pcnsim.errors import PCNSimInputError
from pcnsim.sweep import SweepSpec, build_manifest, load_results, run_sweep

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DASK = BIN / "dask"
PCNSIM = BIN / "pcnsim"

# 3 fill rates x 2 homophily values x 3 replicates = 18 runs of 52 weeks. fill_rate drives recruitment,
# so it visibly moves ARRS FTE within the first year (used as a check that parameters reach the model).
# A settled year (from April 2022, after the build-up), so that the fill rate moves the outcomes.
MATURE_SCENARIO = """
name = "mature"
weeks = 52
[population]
kind = "single"
[parameters]
start_date = 2022-04-01
"""
MAIN_SPEC = """
name = "test-grid"
scenario = "mature.toml"
weeks = 52
seed = 11
replicates = 3
outcomes = ["arrs_fte_end", "appointments", "vacancies_fte_end", "arrs_spend", "arrs_retention_12m"]

[design]
kind = "grid"
levels = 3

[parameters]
fill_rate = { min = 0.03, max = 0.12 }
homophily = { values = [0.3, 0.9] }
"""
N_MAIN = 18
COMPARE = ["run_id", "sweep", "point", "replicate", "seed", "fill_rate", "homophily", "scenario_hash",
           "pcnsim_version", "arrs_fte_end", "appointments", "vacancies_fte_end", "arrs_spend", "arrs_retention_12m"]


def _spec(tmp: Path, text: str = MAIN_SPEC, name: str = "spec.toml") -> Path:
    if "mature.toml" in text:
        (tmp / "mature.toml").write_text(MATURE_SCENARIO, encoding="utf-8")
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------------------ process management
class Procs:
    """Processes started by a test, each in its own session; all killed (by process group) at teardown."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], log: Path, **kw) -> subprocess.Popen:
        fh = open(log, "wb")  # noqa: SIM115 - closed at teardown
        p = subprocess.Popen([str(a) for a in args], stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                             cwd=kw.pop("cwd", ROOT), **kw)
        p._log = fh  # type: ignore[attr-defined]
        self.procs.append(p)
        return p

    def stop_all(self) -> None:
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # the process and anything it started (pool workers)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
            p._log.close()  # type: ignore[attr-defined]


@pytest.fixture
def procs():
    ps = Procs()
    yield ps
    ps.stop_all()


@pytest.fixture(scope="module")
def module_procs():
    ps = Procs()
    yield ps
    ps.stop_all()


def _wait(cond, what: str, every: float = 0.05):
    """Wait for a condition on the state, under the suite's generous ceiling (tests/helpers.py)."""
    return wait_until(cond, what, every=every)


@pytest.fixture(scope="module")
def scheduler(module_procs, tmp_path_factory):
    """A real `dask scheduler` on 127.0.0.1 (random port), stopped at the end of the module."""
    d = tmp_path_factory.mktemp("dask")
    sfile = d / "scheduler.json"
    module_procs.start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                        "--scheduler-file", sfile, "--idle-timeout", "600"], d / "scheduler.log")
    _wait(lambda: sfile.exists() and sfile.stat().st_size > 0, "the Dask scheduler")
    addr = json.loads(sfile.read_text())["address"]
    assert addr.startswith("tcp://127.0.0.1:")
    return addr


def _workers_on(addr: str) -> set[str]:
    from distributed import Client

    with Client(addr, timeout=60, set_as_default=False) as c:
        return {w["name"] for w in c.scheduler_info(n_workers=-1)["workers"].values()}


@pytest.fixture
def two_workers(scheduler, procs, tmp_path, request):
    """Two `dask worker` processes (no nanny, one thread each), registered with the scheduler."""
    tag = request.node.name[-20:].replace("[", "").replace("]", "")
    names = [f"{tag}-w1", f"{tag}-w2"]
    ps = [procs.start([DASK, "worker", scheduler, "--host", "127.0.0.1", "--no-nanny", "--nthreads", "1",
                       "--no-dashboard", "--name", n, "--death-timeout", "60"], tmp_path / f"{n}.log")
          for n in names]
    _wait(lambda: set(names) <= _workers_on(scheduler), "two Dask workers", every=0.3)
    return dict(zip(names, ps, strict=True))


# ------------------------------------------------------------------------------ the local reference
@pytest.fixture(scope="module")
def local_ref(tmp_path_factory):
    """MAIN_SPEC run on the local pool with 2 workers: the reference every other executor must match."""
    d = tmp_path_factory.mktemp("local")
    spec = _spec(d)
    rep = run_sweep(spec, d / "out", workers=2, progress=False)
    assert (rep.total, rep.done_before, rep.done_now) == (N_MAIN, 0, N_MAIN)
    return d / "out", load_results(d / "out")


def _same_numbers(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.sort_values("run_id").reset_index(drop=True)[COMPARE]
    b = b.sort_values("run_id").reset_index(drop=True)[COMPARE]
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def _assert_clean_store(out: Path, n: int) -> pd.DataFrame:
    files = sorted((out / "runs").iterdir())
    assert not [f for f in files if f.name.startswith(".tmp-")], "a half-written file was left behind"
    parts = [f for f in files if f.name.startswith("part-")]
    ids = []
    for f in parts:  # every file opens on its own: none is corrupt
        ids += pq.read_table(f).column("run_id").to_pylist()
    assert len(ids) == len(set(ids)) == n, "duplicate or missing rows"
    return load_results(out)


# ------------------------------------------------------------------------------ tests: spec errors
BAD_SPECS = [
    ("replicate = 2\n", "'replicate'"),
    ("[design]\nkind = \"lhs\"\nsamples = 4\nlevels = 3\n[parameters.homophily]\nmin = 0.2\nmax = 0.8\n",
     "unknown key 'levels' in design"),  # a key that does not apply to the design
    ("[parameters.has_base]\nmin = 0\nmax = 1\n", "parameters.has_base"),  # a flag has no min and max
    ("[parameters.homophily]\nmin = true\nmax = 0.8\n", "parameters.homophily.min"),
    ("[parameters.start_date]\nmin = 2020-01-01\nmax = 9999-01-01\n", "parameters.start_date.max"),
    ("seed = 1e3\n", "seed"),
    ("[parameters]\nhomophily = 0.5\n", "parameters.homophily"),
    ("[parameters.practises_per_staff]\nmin = 1\nmax = 3\n", "practises_per_staff"),
    ("[parameters.homophily]\nmin = 0.2\nmax = 1.5\n", "parameters.homophily.max"),
    ("[parameters.homophily]\nmin = 0.2\n", "parameters.homophily.max"),
    ("[design]\nkind = \"factorial\"\n", "design.kind"),
    ("[design]\nkind = \"sobol\"\nsamples = 10\n[parameters.homophily]\nmin = 0.2\nmax = 0.8\n", "design.samples"),
    ("[design]\nkind = \"lhs\"\nsamples = 4\n[parameters.has_base]\nvalues = [true, false]\n",
     "parameters.has_base.values"),
    ("outcomes = [\"retention\"]\n", "outcomes"),
    ("weeks = 0\n", "weeks = 0"),
    ("name = \n", "not valid TOML"),
]


@pytest.mark.parametrize(("body", "named"), BAD_SPECS)
def test_bad_spec_exits_2_naming_the_field_and_writes_nothing(tmp_path, capsys, body, named):
    head = 'name = "bad"\n' if not body.startswith("name") else ""
    # top-level keys must precede tables in TOML: put the body's tables after the name
    spec = _spec(tmp_path, head + body)
    out = tmp_path / "out"
    rc = cli(["sweep", str(spec), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert named in err, err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["spec.toml"]


@pytest.mark.parametrize(("flags", "named"), [
    (["--scheduler", "not-an-address"], "--scheduler"),
    (["--scheduler", "tcp://127.0.0.1:9", "--workers", "2"], "--workers"),
])
def test_bad_executor_flags_exit_2_and_write_nothing(tmp_path, capsys, flags, named):
    spec = _spec(tmp_path)
    out = tmp_path / "out"
    assert cli(["sweep", str(spec), "--out", str(out), "--quiet", *flags]) == 2
    assert named in capsys.readouterr().err
    assert not out.exists()


def test_unreachable_scheduler_is_an_input_error():
    import socket

    from pcnsim.sweep import DaskExecutor

    with socket.socket() as s:  # a loopback port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PCNSimInputError, match="--scheduler") as e:
        DaskExecutor(f"tcp://127.0.0.1:{port}", timeout=2)
    assert e.value.field == "--scheduler"


def test_example_specs_are_valid():
    specs = sorted((ROOT / "experiments" / "sweeps").glob("*.toml"))
    assert specs, "no example spec in experiments/sweeps/"
    for p in specs:
        s = SweepSpec.load(p)
        assert s.n_runs == s.n_points * s.replicates > 0
        assert len(s.tasks()) == s.n_runs


# ------------------------------------------------------------------------------ tests: the local pool
def test_local_sweep_rows_are_the_runs_of_the_spec(local_ref):
    out, df = local_ref
    spec = SweepSpec.load(out.parent / "spec.toml")
    _assert_clean_store(out, N_MAIN)
    assert list(df["run_id"]) == [t.run_id for t in spec.tasks()]
    # seeds: base + replicate, the same for every point (common random numbers)
    assert (df["seed"] == 11 + df["replicate"]).all()
    # parameters as designed: 3 evenly spaced fill rates x the 2 listed homophily values
    assert sorted(df["fill_rate"].unique()) == pytest.approx([0.03, 0.075, 0.12])
    assert sorted(df["homophily"].unique()) == [0.3, 0.9]
    assert (df.groupby("point")[["fill_rate", "homophily"]].nunique() == 1).all().all()
    # provenance: the package version, one scenario hash per point (parameters differ between points)
    assert (df["pcnsim_version"] == pcnsim.__version__).all()
    assert df.groupby("point")["scenario_hash"].nunique().eq(1).all()
    assert df["scenario_hash"].nunique() == 6
    # 52 weeks from April 2022 (no ARRS staff at the start): none a year before the end, so 12-month
    # retention is undefined
    assert df["arrs_retention_12m"].isna().all()
    # a row is the run: evaluate() with its parameters, seed, weeks and the spec's start gives its numbers
    r = df.iloc[7]
    again = pcnsim.evaluate(fill_rate=float(r.fill_rate), homophily=float(r.homophily), seed=int(r.seed), weeks=52,
                            start_date="2022-04-01")
    for o in ("arrs_fte_end", "appointments", "vacancies_fte_end", "arrs_spend"):
        assert again[o] == r[o]
    # the swept parameter reaches the model: a higher fill rate recruits more ARRS FTE in the first year
    fte = df.groupby("fill_rate")["arrs_fte_end"].mean()
    assert fte.iloc[-1] > fte.iloc[0]


def test_rerun_of_a_finished_sweep_does_nothing_and_another_spec_is_refused(local_ref, tmp_path, capsys):
    out, df = local_ref
    before = sorted((f.name, f.stat().st_mtime_ns) for f in (out / "runs").iterdir())
    rep = run_sweep(SweepSpec.load(out.parent / "spec.toml"), out, workers=1, progress=False)
    assert (rep.done_before, rep.done_now) == (N_MAIN, 0)
    assert sorted((f.name, f.stat().st_mtime_ns) for f in (out / "runs").iterdir()) == before
    other = _spec(tmp_path, MAIN_SPEC.replace("seed = 11", "seed = 12"))
    assert cli(["sweep", str(other), "--out", str(out), "--quiet"]) == 2
    assert "holds a different sweep" in capsys.readouterr().err
    assert sorted((f.name, f.stat().st_mtime_ns) for f in (out / "runs").iterdir()) == before


def test_sigkill_then_resume_does_only_the_missing_runs(local_ref, procs, tmp_path):
    spec = _spec(tmp_path)
    out = tmp_path / "out"
    cmd = [PCNSIM, "sweep", spec, "--out", out, "--workers", "1", "--batch-size", "1", "--quiet"]
    p = procs.start(cmd, tmp_path / "first.log")
    runs = out / "runs"
    _wait(lambda: runs.is_dir() and len(list(runs.glob("part-*.parquet"))) >= 3, "the first finished runs")
    os.kill(p.pid, signal.SIGKILL)  # the sweep process only, as a user or the OOM killer would
    p.wait(timeout=60)
    # its pool process notices and exits by itself (nothing keeps computing into the void)
    _wait(lambda: _group_gone(p.pid), "the orphaned pool process to exit", every=0.2)
    first = {f.name: (f.stat().st_size, f.stat().st_mtime_ns) for f in runs.glob("part-*.parquet")}
    done_first = {i for f in runs.glob("part-*.parquet") for i in pq.read_table(f).column("run_id").to_pylist()}
    assert 3 <= len(done_first) < N_MAIN, "the kill should land mid-sweep"
    (runs / ".tmp-part-p0000099-r0000-deadbeef.parquet").write_bytes(b"PAR1 half written")  # a torn write

    p2 = procs.start(cmd, tmp_path / "second.log")
    assert p2.wait(timeout=CEILING_S) == 0, (tmp_path / "second.log").read_text()
    assert f"{len(done_first)} already done, {N_MAIN - len(done_first)} now" in (tmp_path / "second.log").read_text()
    # the files of the first attempt are untouched; the new ones hold exactly the missing runs
    after = {f.name: (f.stat().st_size, f.stat().st_mtime_ns) for f in runs.glob("part-*.parquet")}
    assert {k: after[k] for k in first} == first
    new_ids = {i for k in set(after) - set(first) for i in pq.read_table(runs / k).column("run_id").to_pylist()}
    assert not new_ids & done_first
    df = _assert_clean_store(out, N_MAIN)
    _same_numbers(df, local_ref[1])


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


# ------------------------------------------------------------------------------ tests: Dask
def test_dask_cluster_gives_exactly_the_local_numbers(scheduler, two_workers, local_ref, tmp_path):
    out = tmp_path / "out"
    rep = run_sweep(_spec(tmp_path), out, scheduler=scheduler, progress=False)
    assert rep.done_now == N_MAIN and "Dask" in rep.executor
    _same_numbers(_assert_clean_store(out, N_MAIN), local_ref[1])


def test_dask_sweep_completes_when_a_worker_is_killed(scheduler, two_workers, local_ref, procs, tmp_path):
    out = tmp_path / "out"
    cmd = [PCNSIM, "sweep", _spec(tmp_path), "--scheduler", scheduler, "--out", out, "--batch-size", "1", "--quiet"]
    p = procs.start(cmd, tmp_path / "sweep.log")
    runs = out / "runs"
    _wait(lambda: runs.is_dir() and len(list(runs.glob("part-*.parquet"))) >= 2, "the first finished runs")
    victim_name, victim = next(iter(two_workers.items()))
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    n_at_kill = len(list(runs.glob("part-*.parquet")))
    assert n_at_kill < N_MAIN, "the worker should die mid-sweep"
    assert p.wait(timeout=CEILING_S) == 0, (tmp_path / "sweep.log").read_text()
    assert victim_name not in _workers_on(scheduler)
    _same_numbers(_assert_clean_store(out, N_MAIN), local_ref[1])


# ------------------------------------------------------------------------------ tests: analysis
def _fake_sweep(tmp_path: Path, design: str, f) -> object:
    """A sweep of a known function ``f(X)`` instead of the model, read back through the real loader."""
    from pcnsim.analysis import Sweep

    extra = {"sobol": "samples = 512", "morris": "samples = 40\nlevels = 4", "lhs": "samples = 400"}[design]
    spec = SweepSpec.from_dict(tomllib.loads(f"""
name = "fake"
weeks = 52
outcomes = ["appointments"]
[design]
kind = "{design}"
{extra}
[parameters]
homophily = {{ min = 0.0, max = 1.0 }}
tie_gain = {{ min = 0.0, max = 1.0 }}
tie_decay = {{ min = 0.0, max = 0.5 }}
"""))
    d = spec.design_frame()
    X = d[["x_homophily", "x_tie_gain", "x_tie_decay"]].to_numpy()
    runs = pd.DataFrame({"run_id": [t.run_id for t in spec.tasks()], "point": d["point"], "replicate": 0,
                         "appointments": f(X)})
    return Sweep(root=tmp_path, manifest=build_manifest(spec), design=d, runs=runs)


def test_sobol_indices_of_a_known_function(tmp_path):
    from pcnsim.analysis import sensitivity

    # y = 5 a + b (a, b uniform on [0, 1]): S1 = ST = 25/26 for a, 1/26 for b, 0 for the third parameter
    sw = _fake_sweep(tmp_path, "sobol", lambda X: 5 * X[:, 0] + X[:, 1])
    t, notes = sensitivity(sw)
    assert not notes
    st = t[t["index"] == "ST"].set_index("parameter")
    s1 = t[t["index"] == "S1"].set_index("parameter")
    for name, exact in (("homophily", 25 / 26), ("tie_gain", 1 / 26), ("tie_decay", 0.0)):
        for tab in (st, s1):
            assert abs(tab.loc[name, "value"] - exact) <= tab.loc[name, "conf"] + 0.02
            assert tab.loc[name, "conf"] > 0 or exact == 0
    assert st.loc["homophily", "low"] > st.loc["tie_gain", "high"]


def test_morris_and_sample_s1_rank_a_known_function(tmp_path):
    from pcnsim.analysis import sensitivity

    f = lambda X: 5 * X[:, 0] + X[:, 1] ** 2  # noqa: E731
    m, _ = sensitivity(_fake_sweep(tmp_path, "morris", f))
    mu = m[m["index"] == "mu_star"].set_index("parameter")["value"]
    assert mu["homophily"] == pytest.approx(5.0)  # a linear effect: every elementary effect is 5
    assert mu["homophily"] > mu["tie_gain"] > mu["tie_decay"] == 0.0
    sl, notes = sensitivity(_fake_sweep(tmp_path, "lhs", f))
    assert not notes
    s1 = sl[sl["index"] == "S1"].set_index("parameter")
    # variance shares of 5a + b^2: 25/12 and 4/45, so S1 is about 0.96 and 0.04, and 0 for the third
    assert s1["value"].idxmax() == "homophily" and s1.loc["homophily", "value"] > 0.85
    assert s1.loc["tie_decay", "low"] < 0.05
    assert (s1["conf"] > 0).all()


def test_prim_finds_the_box_that_holds_the_cases():
    from pcnsim.analysis import prim

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((2000, 3)), columns=["a", "b", "c"])
    y = (X["a"] < 0.3).to_numpy() & (X["b"] > 0.6).to_numpy()
    box = prim(X, y)
    # the chosen box is the one with most coverage at density >= 0.8: it holds the true region
    # a < 0.3, b > 0.6 and is not much larger; the irrelevant parameter c is not restricted
    assert set(box.restricted) == {"a", "b"}
    assert 0.29 <= box.restricted["a"][1] <= 0.4
    assert 0.45 <= box.restricted["b"][0] <= 0.61
    assert box.density >= 0.8 and box.coverage >= 0.9
    dense = prim(X, y, min_density=0.99)
    assert dense.density >= 0.99 and dense.restricted["b"][0] > box.restricted["b"][0]
    assert box.base_rate == pytest.approx(y.mean())


def test_analyse_command_on_a_model_sweep(local_ref, tmp_path, capsys):
    out, df = local_ref
    threshold = float(df.groupby("point")["arrs_fte_end"].mean().mean())
    dest = tmp_path / "analysis"
    rc = cli(["analyse", str(out), "--below", f"arrs_fte_end={threshold}", "--out", str(dest)])
    text = capsys.readouterr().out
    assert rc == 0
    for f in ("report.md", "indices.csv", "discovery.csv", "point_means.csv"):
        assert (dest / f).is_file()
    assert "Scenario discovery" in text and "arrs_fte_end <" in text
    # retention is NaN in every 52-week run: reported, not analysed
    assert "arrs_retention_12m" in text and "NaN" in text
    disc = pd.read_csv(dest / "discovery.csv")
    # the low-FTE points are the low-fill-rate ones: the box caps fill_rate below its maximum
    row = disc[disc["parameter"] == "fill_rate"]
    assert len(row) == 1 and row["upper"].iloc[0] < 0.12
    assert (dest / "discovery_arrs_fte_end_below.png").stat().st_size > 1000
    idx = pd.read_csv(dest / "indices.csv")
    assert set(idx["method"]) <= {"sample-S1"}
    # bad input: an outcome the sweep does not have
    assert cli(["analyse", str(out), "--below", "arrs_fte=1"]) == 2
    assert "arrs_fte" in capsys.readouterr().err


# ------------------------------------------------------------------------------ tests: evaluate
def test_evaluate_is_a_flat_function_of_scalars():
    from pcnsim.evaluate import parameter_space, salib_problem
    from pcnsim.params import numeric_space
    from pcnsim.scenario import load

    out = pcnsim.evaluate(fill_rate=0.1, practices_per_staff=2.4, seed=4, weeks=26)
    assert all(isinstance(v, float) for v in out.values())
    model = load(None).build_model(seed=4, fill_rate=0.1, practices_per_staff=2).run(26)
    net = model.summary()["network"]
    assert all(out[k] == net[k] or (math.isnan(out[k]) and math.isnan(net[k])) for k in out)
    space = parameter_space()
    assert {k: (v["lower"], v["upper"]) for k, v in space.items() if v["kind"] in ("int", "float")} == numeric_space()
    assert space["practices_per_staff"]["integer"] and not space["homophily"]["integer"]
    assert space["has_base"]["kind"] == "bool" and space["start_date"]["kind"] == "date"  # flags and dates too
    json.dumps(space)
    prob = salib_problem(["homophily", "fill_rate"], bounds={"fill_rate": (0.02, 0.1)})
    assert prob == {"num_vars": 2, "names": ["homophily", "fill_rate"], "bounds": [[0.0, 1.0], [0.02, 0.1]]}
    with pytest.raises(PCNSimInputError, match="practises"):
        pcnsim.evaluate(practises=2, weeks=1)
    with pytest.raises(PCNSimInputError, match="homophily"):
        pcnsim.evaluate(homophily=3.0, weeks=1)


def test_prim_drops_restrictions_that_buy_no_density():
    """Chasing density through label noise, peeling trims edge points off a parameter that does not matter
    (here b); simplification removes that restriction and keeps the one that matters."""
    from pcnsim.analysis import prim

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.random((3000, 6)), columns=list("abcdef"))
    y = (X["a"] < 0.3).to_numpy() & (rng.random(3000) < 0.9)  # 10% of the region's points are not cases
    raw = prim(X, y, min_density=0.9, simplify=0.0)
    box = prim(X, y, min_density=0.9)
    assert set(raw.restricted) > {"a"}, raw.restricted  # the trivial restriction this test is about
    assert set(box.restricted) == {"a"}, box.restricted
    assert box.density > raw.density - 0.01 and box.coverage > raw.coverage
    inside = (X["a"] >= box.limits["a"][0]) & (X["a"] <= box.limits["a"][1])
    assert box.support == int(inside.sum()) and box.density == pytest.approx(y[inside.to_numpy()].mean())


def test_sensitivity_intervals_do_not_depend_on_the_global_random_state(tmp_path):
    """SALib's bootstrap draws from NumPy's global RNG and seeds it only for a non-zero seed; the analysis
    seeds it itself (and restores it), so the same seed gives the same intervals whatever ran before."""
    from pcnsim.analysis import sensitivity

    f = lambda X: 5 * X[:, 0] + X[:, 1] ** 2  # noqa: E731
    out = []
    for before in (1, 2):
        np.random.seed(before)  # noqa: NPY002 (the global state SALib reads)
        for design in ("lhs", "sobol"):
            out.append(sensitivity(_fake_sweep(tmp_path, design, f), seed=0)[0])
        assert np.random.randint(1 << 30) == np.random.RandomState(before).randint(1 << 30)  # noqa: NPY002 (restored)
    pd.testing.assert_frame_equal(out[0], out[2])
    pd.testing.assert_frame_equal(out[1], out[3])
