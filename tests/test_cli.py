"""The command line: a good run writes everything; bad input fails clearly and writes nothing; names are
labels, never paths; ``--out`` replaces only pcnsim's own folders; ``pcnsim schema``."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pcnsim.cli import main
from pcnsim.output import MARKER, slug

ROOT = Path(__file__).parents[1]


def pcnsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pcnsim", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def cli(capsys, *args):
    """``pcnsim ARGS`` in this process: (exit status, stdout, stderr)."""
    try:
        rc = main([str(a) for a in args])
    except SystemExit as e:  # argparse: a bad flag
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_run_default_writes_all_outputs(tmp_path):
    out = tmp_path / "res"
    r = pcnsim("run", "--weeks", "60", "--out", str(out))
    assert r.returncode == 0, r.stderr
    for f in ("weekly.csv", "weekly_by_role.csv", "years.csv", "summary.json", "summary_by_role.csv",
              "figure.png", "scenario.toml", MARKER):
        assert (out / f).stat().st_size > 0, f
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["seed"] == 1 and summary["network"]["weeks"] == 60
    assert "Clinical pharmacist" in r.stdout and "ARRS allocation" in r.stdout
    assert (out / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / MARKER).read_text())["written_by"] == "pcnsim"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no temporary folder left


def test_params_table_and_markdown():
    r = pcnsim("params")
    assert r.returncode == 0 and "practices_per_staff" in r.stdout and "E17" in r.stdout
    r = pcnsim("params", "--format", "markdown")
    assert r.stdout.startswith("# Parameters")


BAD = {
    "malformed.toml": ("name = 'x'\nweeks = = 3\n", "not valid TOML"),
    "unknown_top.toml": ("name = 'x'\nwheeks = 3\n", "'wheeks' (did you mean 'weeks'?)"),
    "unknown_param.toml": ("name = 'x'\n[parameters]\nhomophilly = 0.2\n", "homophily"),
    "out_of_range.toml": ("name = 'x'\n[parameters]\nhomophily = 2.0\n", "from 0 to 1"),
    "bad_weeks.toml": ("name = 'x'\nweeks = 0\n", "weeks = 0 is not allowed: expected a whole number from 1 to 2600"),
    "bad_population.toml": ("name = 'x'\n[population]\nkind = 'mars'\n", "population.kind"),
    "population_not_table.toml": ("name = 'x'\npopulation = 'england'\n", "population = \"england\" is not allowed"),
    "bad_intervention.toml": ("name = 'x'\n[[interventions]]\ntype = 'magic'\n", "allowed intervention types"),
    "vaccination_order.toml": ("name = 'x'\n[parameters]\nvaccination_start = 2022-01-01\n"
                               "vaccination_end = 2021-01-01\n", "vaccination_end must not be before"),
    "renewal_out_of_range.toml": ("name = 'x'\n[parameters]\npropensity_renewal = 0.5\n", "propensity_renewal"),
    "flag_as_number.toml": ("name = 'x'\n[parameters]\nhomophily = true\n", "homophily"),
    "number_as_text.toml": ("name = 'x'\n[parameters]\nhomophily = \"0.5\"\n", "homophily"),
    "ignored_key.toml": ("name = 'x'\n[population]\nnetworks = 3\n", "unknown key 'networks' in population"),
    "blank_name.toml": ("name = '  '\n", "name"),
}


@pytest.mark.parametrize("fname", sorted(BAD))
def test_bad_scenarios_fail_clearly_and_write_nothing(tmp_path, capsys, fname):
    text, expect = BAD[fname]
    f = tmp_path / fname
    f.write_text(text)
    out = tmp_path / "out"
    rc, _, err = cli(capsys, "run", str(f), "--out", str(out))  # in process (tests/test_hostile_inputs.py: subprocesses)
    assert rc == 2, err
    assert expect in err, err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [fname]


@pytest.mark.parametrize("args,expect", [
    (["run", "missing.toml"], "not found"),
    (["run", "--seed", "-3"], "--seed"),
    (["run", "--weeks", "0"], "--weeks"),
    (["run", "--weeks", "many"], "--weeks"),
    (["run", "--set", "homophily=7"], "homophily"),
    (["run", "--set", "nonsense"], "NAME=VALUE"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_flags_fail_clearly(tmp_path, capsys, monkeypatch, args, expect):
    monkeypatch.chdir(tmp_path)
    rc, _, err = cli(capsys, *args, "--out", "o") if args[0] == "run" else cli(capsys, *args)
    assert rc == 2, (rc, err)
    assert expect in err
    assert list(tmp_path.iterdir()) == []


def test_failed_run_leaves_previous_results_untouched(tmp_path, capsys):
    out = tmp_path / "res"
    assert cli(capsys, "run", "--weeks", "20", "--out", out, "--quiet")[0] == 0
    before = (out / "weekly.csv").read_bytes()
    assert cli(capsys, "run", "--weeks", "20", "--set", "homophily=3", "--out", out)[0] == 2
    assert (out / "weekly.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_error_while_writing_leaves_no_output(tmp_path, monkeypatch):
    import pcnsim.plots

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pcnsim.plots, "plot_run", boom)
    with pytest.raises(RuntimeError):
        main(["run", "--weeks", "10", "--out", str(tmp_path / "deep" / "er" / "o"), "--quiet"])
    assert list(tmp_path.iterdir()) == []  # neither the folder, nor a temporary one, nor its parents


# ---------------------------------------------------------------------------------------------- minimal
def test_a_minimal_scenario_is_named_after_its_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "two practices.toml").write_text("[parameters]\npractices_per_staff = 2\n")
    rc, _, err = cli(capsys, "run", "two practices.toml", "--weeks", "8", "--quiet")
    assert rc == 0, err
    out = tmp_path / "results" / "two-practices"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["scenario"] == "two practices"
    assert 'name = "two practices"' in (out / "scenario.toml").read_text()


# ---------------------------------------------------------------------------------------------- names and --out
class InProcess:
    """A sweep executor that runs batches in this process (the paths are under test here, not the pool)."""

    workers, kind = 1, "in this process"

    def map_unordered(self, fn, payload, batches):
        for b in batches:
            yield fn(payload, b)

    def close(self):
        pass


@pytest.fixture
def inline_sweeps(monkeypatch):
    import pcnsim.sweep.run

    monkeypatch.setattr(pcnsim.sweep.run, "make_executor", lambda workers, scheduler: InProcess())


HOSTILE_NAMES = ["../../victim", "/tmp/abs-victim", "..", "x" * 200, "équipe réseau ✓", "日本の網"]


@pytest.mark.filterwarnings("ignore:Glyph")  # a figure's font lacks CJK glyphs: the label is still the name
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: slug(n)[:20])
def test_names_are_labels_never_paths(tmp_path, capsys, monkeypatch, inline_sweeps, name):
    """run and sweep with a hostile scenario or sweep name write only under their root (compare: below)."""
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    monkeypatch.chdir(work)
    sc = work / "s.toml"
    sc.write_text(f"name = {json.dumps(name)}\nweeks = 3\n")
    rc, _, err = cli(capsys, "run", sc, "--quiet")
    assert rc == 0, err
    folders = list((work / "results").iterdir())
    assert [f.name for f in folders] == [slug(name)] and (folders[0] / "summary.json").is_file()
    spec = work / "spec.toml"
    spec.write_text(f'name = {json.dumps(name)}\nscenario = "s.toml"\nweeks = 2\n[parameters]\n'
                    'homophily = {values = [0.5]}\n')
    rc, _, err = cli(capsys, "sweep", spec, "--workers", "1", "--quiet")
    assert rc == 0, err
    assert [f.name for f in (work / "results" / "sweeps").iterdir()] == [slug(name)]
    # nothing outside the working folder
    assert tree(victim) == ["precious.txt"] and (victim / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim", "work"]
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["here"]
    assert not list(Path("/tmp").glob("abs-victim*"))


@pytest.mark.filterwarnings("ignore:Glyph")
def test_compare_writes_hostile_names_inside_its_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = []
    for i, name in enumerate(HOSTILE_NAMES):
        f = tmp_path / f"s{i}.toml"
        f.write_text(f"name = {json.dumps(name)}\nweeks = 3\n")
        files.append(f.name)
    rc, _, err = cli(capsys, "compare", *files, "--replicates", "1", "--quiet")
    assert rc == 0, err
    written = sorted(p.name for p in (tmp_path / "results" / "compare" / "scenarios").iterdir())
    assert [w[:3] for w in written] == [f"{k + 1:02d}-" for k in range(len(HOSTILE_NAMES))]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*files, "results"])
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["compare"]


def test_overlong_names_are_refused_before_the_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(f"name = \"{'n' * 300}\"\n")
    rc, _, err = cli(capsys, "run", "s.toml")
    assert rc == 2 and "name = " in err and "(300 characters)" in err and "at most 200 characters" in err
    assert len(err) < 400
    assert tree(tmp_path) == ["s.toml"]


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_out_refuses_what_pcnsim_did_not_write(tmp_path, capsys, monkeypatch, inline_sweeps, command):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "s.toml").write_text("name = \"s\"\nweeks = 2\n")
    (work / "spec.toml").write_text('name = "sp"\nscenario = "s.toml"\n[parameters]\nhomophily = {values = [0.5]}\n')
    foreign = work / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("years of work")
    a_file = work / "notes.txt"
    a_file.write_text("x")
    first = {"run": ["run", "s.toml"], "compare": ["compare", "s.toml", "--replicates", "1"],
             "sweep": ["sweep", "spec.toml", "--workers", "1"]}[command]
    before = tree(tmp_path)
    for out, why in [(".", "current folder"), (str(work), "current folder"), ("..", "current folder"),
                     (str(tmp_path), "current folder"), ("/", "root"), (str(foreign), "did not write"),
                     ("mine", "did not write"), (str(a_file), "not a folder"), (str(a_file / "sub"), "is a file"),
                     ("x" * 300, "longer than 255")]:
        rc, _, err = cli(capsys, *first, "--out", out, "--quiet")
        assert rc == 2, (out, err)
        assert "--out" in err and why in err, (out, err)
        assert tree(tmp_path) == before, out
    assert (foreign / "thesis.tex").read_text() == "years of work"
    # an empty folder, and then the folder pcnsim wrote, are fine: run and compare replace it, sweep resumes
    (work / "empty").mkdir()
    rc, _, err = cli(capsys, *first, "--out", "empty", "--quiet")
    assert rc == 0, err
    assert (work / "empty" / (MARKER if command != "sweep" else "sweep.json")).is_file()
    rc, _, err = cli(capsys, *first, "--out", "empty", "--quiet")
    assert rc == 0, err
    assert not [p for p in work.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_calibrate_and_analyse_check_out_before_running(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "a.txt").write_text("a")
    rc, _, err = cli(capsys, "calibrate", "--quick", "--check", "--out", "keep")
    assert rc == 2 and "--out 'keep'" in err and "did not write" in err
    rc, _, err = cli(capsys, "analyse", "nowhere", "--out", ".")
    assert rc == 2 and "--out" in err
    assert tree(tmp_path) == ["keep", "keep/a.txt"]


# ---------------------------------------------------------------------------------------------- schema
@pytest.mark.parametrize("kind", ["scenario", "intervention", "sweep"])
def test_schema_command_prints_a_json_schema_that_checks_files(capsys, kind):
    import tomllib

    import jsonschema

    rc, out, _ = cli(capsys, "schema", kind)
    assert rc == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

    def ok(doc):
        return v.is_valid(json.loads(json.dumps(doc, default=str)))

    if kind == "scenario":
        for f in sorted((ROOT / "experiments" / "scenarios").glob("*.toml"))[:8]:
            assert ok(tomllib.loads(f.read_text())), f
        assert not ok({"name": "x", "wheeks": 3})
        assert not ok({"name": "x", "parameters": {"homophily": 2}})
        assert not ok({"name": "x", "population": {"kind": "single", "networks": 3}})
    elif kind == "intervention":
        assert ok({"type": "team_days", "every_weeks": 8})
        assert not ok({"type": "team_days", "every_weeks": 0}) and not ok({"type": "magic"})
    else:
        for f in sorted((ROOT / "experiments" / "sweeps").glob("*.toml")):
            assert ok(tomllib.loads(f.read_text())), f
        assert not ok({"name": "x", "design": {"kind": "lhs", "samples": 4, "levels": 3}})


def test_schema_command_refuses_an_unknown_kind(capsys):
    rc, _, err = cli(capsys, "schema", "calendar")
    assert rc == 2 and "invalid choice" in err and "scenario" in err
