"""A corpus of hostile inputs (issue 14): every one gets exit status 2, a message naming the field, no
traceback, nothing written, within 10 seconds.

Most cases go through the command line's ``main`` in this process (stdout, stderr and the exit status
captured; any exception other than argparse's exit fails the test, so a traceback cannot hide); a handful
run ``python -m pcnsim`` in a real subprocess to prove the same end to end. The generated part uses
hypothesis with ``derandomize=True`` and no example database: the same cases on every run and in CI.
Each generated case changes one thing in a valid file (or flag), so the field the message must name is
known.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcnsim.cli import main
from pcnsim.interventions import REGISTRY
from pcnsim.params import PARAM_NAMES, Params, bounds, kind

CORPUS = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                  suppress_health_check=list(HealthCheck))
LIMIT_S = 10.0
COUNTS: dict[str, int] = {}


# ---------------------------------------------------------------------------------------------- harness
def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def run_cli(args: list[str], cwd: Path) -> tuple[int, str, str, float]:
    """``pcnsim ARGS`` in this process, in ``cwd``: (status, stdout, stderr, seconds)."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    t0 = time.perf_counter()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main([str(a) for a in args])
            except SystemExit as e:  # argparse refused a flag
                rc = e.code
    finally:
        os.chdir(old)
    return rc, out.getvalue(), err.getvalue(), time.perf_counter() - t0


def refused(args: list[str], field: str, files: dict[str, str | bytes] | None = None, *, kind_: str) -> str:
    """Run ``args`` in a fresh folder holding ``files``; check the refusal; return the message."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for name, content in (files or {}).items():
            (root / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        before = tree(root)
        rc, out, err, seconds = run_cli(args, root)
        assert rc == 2, (args[:3], rc, err[-500:], out[-500:])
        assert field in err, (field, err[:1000])
        assert err.count("\n") <= 8 and len(err) <= 3000, err[:3000]  # a short message (and usage), not the value
        assert "Traceback" not in err
        assert tree(root) == before, f"something was written: {set(tree(root)) - set(before)}"
        assert seconds < LIMIT_S, seconds
    COUNTS[kind_] = COUNTS.get(kind_, 0) + 1
    return err


def toml(doc: dict) -> str:
    return tomli_w.dumps(doc)


def toml_value(v: object) -> str:
    """A value as TOML text (as typed after ``--set name=``)."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    return tomli_w.dumps({"v": v})[4:].strip()


# ---------------------------------------------------------------------------------------------- values
SAFE_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=16)
TEXT = st.text(max_size=12)
DATES_OUT = st.one_of(st.dates(max_value=dt.date(1989, 12, 31)), st.dates(min_value=dt.date(2101, 1, 1)))
ARRAY = st.lists(st.integers(-3, 3), max_size=3)
TABLE = st.dictionaries(SAFE_KEY.map(lambda s: f"k_{s}"), st.integers(0, 3), min_size=1, max_size=2)  # never a role


def not_a_number() -> st.SearchStrategy:
    """Values a number field must refuse whatever its range: flags, text (numbers as text too), arrays,
    tables, dates, NaN and infinities."""
    return st.one_of(st.booleans(), TEXT, st.sampled_from(["0.5", "1", "1e3", "true"]), ARRAY, TABLE, st.dates(),
                     st.sampled_from([float("nan"), float("inf"), -float("inf")]))


def bad_number(lo: float, hi: float, whole: bool = False) -> st.SearchStrategy:
    out = [not_a_number(), st.floats(max_value=float(lo), exclude_max=True, allow_nan=False),
           st.floats(min_value=float(hi) * (1 + 1e-9) + 1e-9, allow_nan=False),
           st.integers(max_value=int(lo) - 1 if lo == int(lo) else int(lo)),
           st.integers(min_value=int(hi) + 1)]
    if whole:
        inside = st.floats(float(lo), float(min(hi, 10**6)))
        out.append(inside.filter(lambda x: x != int(x)))  # 2.5 for a whole number
        out.append(inside.map(lambda x: float(int(x))))  # 2.0 is not 2 either (strict)
    return st.one_of(*out)


def not_a_flag() -> st.SearchStrategy:
    return st.one_of(st.integers(), st.floats(allow_nan=False), TEXT, st.sampled_from(["yes", "true", "1"]), ARRAY,
                     TABLE, st.dates())


def not_a_date() -> st.SearchStrategy:
    return st.one_of(DATES_OUT, st.integers(), st.floats(allow_nan=False), st.booleans(), TEXT,
                     st.sampled_from(["2020-13-01", "01/04/2020", "April"]), ARRAY,
                     st.datetimes(min_value=dt.datetime(1990, 1, 2), max_value=dt.datetime(2100, 1, 1)))


def bad_param_value(name: str) -> st.SearchStrategy:
    k = kind(name)
    if k == "bool":
        return not_a_flag()
    if k == "date":
        return not_a_date()
    lo, hi = bounds(name)
    return bad_number(lo, hi, whole=k == "int")


def not_text(max_len: int) -> st.SearchStrategy:
    return st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.dates(), ARRAY, TABLE,
                     st.just("z" * (max_len + 1)))


# ---------------------------------------------------------------------------------------------- scenarios
VALID = {"name": "hostile", "weeks": 3}


@st.composite
def bad_scenarios(draw) -> tuple[dict, str]:
    """(a scenario document with one thing wrong, the field its message must name)."""
    what = draw(st.sampled_from(["top", "unknown", "population", "parameter", "unknown_parameter", "intervention"]))
    doc = dict(VALID)
    if what == "top":
        field = draw(st.sampled_from(["name", "description", "weeks", "seed", "base"]))
        value = draw({
            "name": st.one_of(not_text(200), st.sampled_from(["", "   ", "\t"])),
            "description": not_text(10_000),
            "weeks": bad_number(1, 2600, whole=True),
            "seed": st.one_of(not_a_number(), st.integers(max_value=-1), st.integers(min_value=2**63),
                              st.floats(0, 100).map(float)),
            "base": st.one_of(TEXT.filter(lambda s: s != "default"), ARRAY, st.integers(), st.booleans()),
        }[field])
        doc[field] = value
        return doc, field
    if what == "unknown":
        key = draw(SAFE_KEY.filter(lambda k: k not in ("name", "description", "weeks", "seed", "base", "population",
                                                       "parameters", "interventions", "pcnsim_version")))
        doc[key] = draw(st.one_of(st.integers(0, 5), TEXT))
        return doc, key
    if what == "population":
        case = draw(st.sampled_from(["kind", "copies", "extra_single", "england", "not_table"]))
        if case == "kind":
            doc["population"] = {"kind": draw(st.one_of(TEXT.filter(lambda s: s not in ("single", "england")),
                                                        st.integers(), ARRAY, st.booleans()))}
            return doc, "population.kind"
        if case == "copies":
            doc["population"] = {"kind": "single", "copies": draw(bad_number(1, 10_000, whole=True))}
            return doc, "population.copies"
        if case == "extra_single":  # keys that apply to another kind, or to none
            key = draw(st.one_of(st.sampled_from(["networks", "seed"]), SAFE_KEY.filter(lambda k: k not in ("kind", "copies"))))
            doc["population"] = {"kind": "single", key: 3}
            return doc, key
        if case == "england":
            key = draw(st.sampled_from(["networks", "seed", "copies"]))
            lo, hi = {"networks": (1, 5000), "seed": (0, 2**63 - 1), "copies": (1, 10_000)}[key]
            doc["population"] = {"kind": "england", key: draw(bad_number(lo, hi, whole=True))}
            return doc, f"population.{key}"
        doc["population"] = draw(st.one_of(st.integers(), TEXT, ARRAY))
        return doc, "population"
    if what == "parameter":
        name = draw(st.sampled_from(PARAM_NAMES))
        doc["parameters"] = {name: draw(bad_param_value(name))}
        return doc, name
    if what == "unknown_parameter":
        name = draw(SAFE_KEY.filter(lambda k: k not in PARAM_NAMES))
        doc["parameters"] = {name: 1}
        return doc, name
    table, field = draw(bad_intervention())
    doc["interventions"] = [table]
    return doc, field


COMMON = ("start", "end", "roles", "networks", "label")


@st.composite
def bad_intervention(draw) -> tuple[object, str]:
    """(an intervention table with one thing wrong, the field its message must name)."""
    case = draw(st.sampled_from(["not_table", "type", "unknown_field", "field", "field", "field", "window"]))
    if case == "not_table":
        return draw(st.one_of(st.integers(), TEXT, ARRAY)), "interventions[0]"
    if case == "type":
        return {"type": draw(st.one_of(TEXT.filter(lambda s: s not in REGISTRY), st.integers(), ARRAY,
                                       st.booleans()))}, "interventions[0].type"
    kind_ = draw(st.sampled_from(sorted(REGISTRY)))
    cls = REGISTRY[kind_]
    base = {"type": kind_, **({"cap": 0.4} if kind_ == "remote_policy" else {})}
    if case == "unknown_field":
        key = draw(SAFE_KEY.filter(lambda k: k not in cls.model_fields))
        return {**base, key: 1}, key
    if case == "window":
        start, end = draw(st.sampled_from([
            (dt.date(2021, 1, 4), 40), (5, dt.date(2022, 1, 1)), (10, 5), (dt.date(2022, 1, 1), dt.date(2021, 1, 1)),
            (3, 3)]))
        return {**base, "start": start, "end": end}, "interventions[0].end"
    field = draw(st.sampled_from([f for f in cls.model_fields if f != "type"]))
    default = cls.model_fields[field].default
    if field in ("start", "end"):
        value = draw(st.one_of(st.booleans(), st.integers(max_value=-1), st.floats(allow_nan=False), TEXT,
                               DATES_OUT, ARRAY, TABLE))
    elif field == "roles":
        value = draw(st.one_of(TEXT, st.integers(), st.just([]), st.lists(TEXT.filter(lambda s: s not in (
            "gp", "practice_nurse", "pharmacist", "care_coordinator", "link_worker", "pharmacy_technician",
            "physiotherapist", "physician_associate", "paramedic", "wellbeing_coach", "nursing_associate",
            "mental_health_practitioner")), min_size=1, max_size=2)))
    elif field == "networks":
        value = draw(st.one_of(TEXT, st.integers(), st.just([]), st.lists(st.integers(max_value=-1), min_size=1,
                                                                          max_size=2), st.lists(TEXT, min_size=1)))
    elif field == "label":
        value = draw(not_text(200))
    elif isinstance(default, bool):
        value = draw(not_a_flag())
    elif isinstance(default, int):
        value = draw(st.one_of(not_a_number(), st.integers(max_value=0), st.integers(min_value=10**6),
                               st.floats(1.1, 50.9).filter(lambda x: x != int(x))))
    else:  # numbers (and optional numbers): all are bounded within 0 .. 1e7
        value = draw(st.one_of(not_a_number(), st.floats(max_value=-1e-6, allow_nan=False),
                               st.floats(min_value=1e8, allow_nan=False), st.integers(max_value=-1)))
    if kind_ == "remote_policy" and field in ("cap", "floor") and isinstance(value, (int, float)) \
            and not isinstance(value, bool) and 0 <= value <= 1:
        value = -1
    return {**base, field: value}, f"interventions[0].{field}"


def test_generated_bad_scenarios(tmp_path):
    seen = []

    @settings(CORPUS, max_examples=230)
    @given(bad_scenarios())
    def check(case):
        doc, field = case
        refused(["run", "s.toml", "--out", "out", "--quiet"], field, {"s.toml": toml(doc)}, kind_="scenario")
        seen.append(field)

    check()
    assert len(seen) >= 200, len(seen)
    assert {f.split(".")[0].split("[")[0] for f in seen} >= {"name", "weeks", "seed", "population", "interventions"}


# ---------------------------------------------------------------------------------------------- sweep specs
VALID_SPEC = {"name": "hostile-sweep", "weeks": 2, "parameters": {"homophily": {"values": [0.5]}}}


@st.composite
def bad_specs(draw) -> tuple[dict, str]:
    what = draw(st.sampled_from(["top", "unknown", "design", "parameter", "parameter", "outcomes"]))
    doc = {**VALID_SPEC, "parameters": dict(VALID_SPEC["parameters"])}
    if what == "top":
        field = draw(st.sampled_from(["name", "weeks", "seed", "replicates", "batch_size", "scenario"]))
        doc[field] = draw({
            "name": st.one_of(not_text(200), st.just("")),
            "weeks": bad_number(1, 2600, whole=True),
            "seed": st.one_of(not_a_number(), st.integers(max_value=-1), st.integers(min_value=2**62 + 1)),
            "replicates": bad_number(1, 100_000, whole=True),
            "batch_size": bad_number(1, 100_000, whole=True),
            "scenario": st.one_of(st.integers(), ARRAY, st.just(""), SAFE_KEY.map(lambda s: f"{s}.toml")),
        }[field])
        return doc, field
    if what == "unknown":
        key = draw(SAFE_KEY.filter(lambda k: k not in ("name", "description", "scenario", "weeks", "seed", "replicates",
                                                       "outcomes", "batch_size", "design", "parameters")))
        doc[key] = 1
        return doc, key
    if what == "design":
        case = draw(st.sampled_from(["kind", "foreign_key", "samples", "sobol", "levels"]))
        doc["parameters"] = {"homophily": {"min": 0.2, "max": 0.8}}
        if case == "kind":
            doc["design"] = {"kind": draw(st.one_of(TEXT.filter(lambda s: s not in ("grid", "lhs", "sobol", "morris")),
                                                    st.integers()))}
            return doc, "design.kind"
        if case == "foreign_key":
            kind_, key = draw(st.sampled_from([("grid", "samples"), ("grid", "seed"), ("lhs", "levels"),
                                               ("lhs", "second_order"), ("morris", "second_order"), ("sobol", "levels")]))
            doc["design"] = {"kind": kind_, key: 2} if kind_ == "grid" else {"kind": kind_, "samples": 4, key: 2}
            return doc, key
        if case == "samples":
            kind_ = draw(st.sampled_from(["lhs", "morris"]))
            doc["design"] = {"kind": kind_, "samples": draw(bad_number(1 if kind_ == "lhs" else 2, 10_000_000, whole=True))}
            return doc, "design.samples"
        if case == "sobol":
            doc["design"] = {"kind": "sobol", "samples": draw(st.integers(3, 10**6).filter(lambda n: n & (n - 1)))}
            return doc, "design.samples"
        doc["design"] = {"kind": "morris", "samples": 2, "levels": draw(bad_number(2, 1000, whole=True))}
        return doc, "design.levels"
    if what == "outcomes":
        doc["outcomes"] = draw(st.one_of(st.just([]), TEXT, st.lists(SAFE_KEY.map(lambda s: f"no_{s}"), min_size=1,
                                                                    max_size=2), st.lists(st.integers(), min_size=1)))
        return doc, "outcomes"
    name = draw(st.sampled_from(PARAM_NAMES))
    k = kind(name)
    case = draw(st.sampled_from(["unknown", "entry", "range", "values"]))
    if case == "unknown":
        bad = draw(SAFE_KEY.filter(lambda s: s not in PARAM_NAMES))
        doc["parameters"] = {bad: {}}
        return doc, bad
    if case == "entry":
        doc["parameters"] = {name: draw(st.one_of(st.integers(), TEXT, st.booleans(), st.just({"min": 1}),
                                                  st.just({"mean": 1}), st.just({"values": []})))}
        return doc, f"parameters.{name}"
    if case == "range":
        if k == "bool":
            doc["parameters"] = {name: {"min": 0, "max": 1}}
            return doc, f"parameters.{name}"
        if k == "date":
            lo = draw(DATES_OUT)
            doc["parameters"] = {name: {"min": lo, "max": dt.date(2100, 12, 31)} if lo.year < 1990
                                 else {"min": dt.date(1990, 1, 1), "max": lo}}
            return doc, f"parameters.{name}"
        lo, hi = bounds(name)
        doc["parameters"] = {name: draw(st.sampled_from([{"min": lo - 1, "max": hi}, {"min": lo, "max": hi + 1},
                                                         {"min": hi, "max": lo}, {"min": True, "max": hi},
                                                         {"min": "0", "max": hi}]))}
        return doc, f"parameters.{name}"
    doc["parameters"] = {name: {"values": [draw(bad_param_value(name))]}}
    return doc, f"parameters.{name}.values"


def test_generated_bad_sweep_specs(tmp_path):
    seen = []

    @settings(CORPUS, max_examples=120)
    @given(bad_specs())
    def check(case):
        doc, field = case
        refused(["sweep", "spec.toml", "--out", "out", "--quiet"], field, {"spec.toml": toml(doc)}, kind_="sweep")
        seen.append(field)

    check()
    assert len(seen) >= 100, len(seen)


# ---------------------------------------------------------------------------------------------- flags
INT_FLAGS = [("run", "--seed", 0, 2**63 - 1), ("run", "--weeks", 1, 2600), ("compare", "--replicates", 1, 10_000),
             ("compare", "--workers", 1, 256), ("sweep", "--workers", 1, 4096), ("sweep", "--batch-size", 1, 100_000),
             ("calibrate", "--replicates", 2, 10_000), ("bench", "--repeat", 1, 10), ("app", "--port", 1, 65535)]
PREFIX = {"run": ["run"], "compare": ["compare", "default"], "sweep": ["sweep", "spec.toml"],
          "calibrate": ["calibrate", "--check", "--quick"], "bench": ["bench", "--quick"], "app": ["app"]}


@st.composite
def bad_flags(draw) -> tuple[list[str], str]:
    case = draw(st.sampled_from(["int", "int", "unknown", "choice", "set", "set", "scheduler", "threshold"]))
    if case == "int":
        command, flag, lo, hi = draw(st.sampled_from(INT_FLAGS))
        value = draw(st.one_of(st.integers(max_value=lo - 1), st.integers(min_value=hi + 1),
                               TEXT.filter(lambda s: not s.strip().lstrip("-+").isdigit()),
                               st.floats(allow_nan=True).map(repr), st.just("9" * 5000)))
        return [*PREFIX[command], f"{flag}={value}"], flag
    if case == "unknown":
        command = draw(st.sampled_from(sorted(PREFIX)))
        flag = "--" + draw(SAFE_KEY.filter(lambda s: s not in ("seed", "weeks", "out", "set", "quiet", "replicates",
                                                              "workers", "independent", "scheduler", "check", "quick",
                                                              "doc", "networks", "host", "port", "repeat", "help",
                                                              "in_process", "bw_steps", "batch_size", "fit_replicates",
                                                              "max_evals")))
        return [*PREFIX[command], flag], flag
    if case == "choice":
        command, value = draw(st.sampled_from(["params --format", "schema", "frobnicate"])), draw(SAFE_KEY)
        return [*command.split(), value + "x"], "invalid choice"
    if case == "set":
        name = draw(st.sampled_from(PARAM_NAMES))
        value = draw(bad_param_value(name).map(toml_value))
        return ["run", "--set", f"{name}={value}", "--weeks", "1"], name
    if case == "scheduler":
        value = draw(st.one_of(TEXT, st.just("tcp://"), st.just("http://example.org:8786")))
        return ["sweep", "spec.toml", f"--scheduler={value}"], "--scheduler"
    value = draw(st.one_of(TEXT.filter(lambda s: "=" not in s), st.just("x=abc"), st.just("x=inf")))
    return ["analyse", "sweepdir", f"--below={value}"], "--below"


SPEC = toml(VALID_SPEC)


def test_generated_bad_flags(tmp_path):
    seen = []

    @settings(CORPUS, max_examples=110)
    @given(bad_flags())
    def check(case):
        args, field = case
        refused(args, field, {"spec.toml": SPEC}, kind_="flags")
        seen.append(field)

    check()
    assert len(seen) >= 100, len(seen)


# ---------------------------------------------------------------------------------------------- the issue's list
DEEP = 1000
TEN_MB = 10 * 1024 * 1024
EXPLICIT = {
    "interventions = [1, 2]": ("interventions = [1, 2]\n", "interventions[0]"),
    'type = ["x"]': ('[[interventions]]\ntype = ["x"]\n', "interventions[0].type"),
    'base = ["default"]': ('base = ["default"]\n', "base"),
    "kind = [1]": ("[population]\nkind = [1]\n", "population.kind"),
    "inline arrays 1,000 deep": ("weeks = " + "[" * DEEP + "]" * DEEP + "\n", "weeks"),
    "inline tables 1,000 deep": ("description = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n", "description"),
    "tables 1,000 deep": ("[parameters." + ".".join(["a"] * DEEP) + "]\nb = 1\n", "parameters"),
    "a 10-million-digit integer": ("seed = " + "7" * 10_000_000 + "\n", "seed"),
    "start_date = 9999-12-01": ("[parameters]\nstart_date = 9999-12-01\n", "start_date"),
    "start_date = 0001-01-01": ("[parameters]\nstart_date = 0001-01-01\n", "start_date"),
    "homophily = true": ("[parameters]\nhomophily = true\n", "homophily"),
    'homophily = "0.5"': ('[parameters]\nhomophily = "0.5"\n', "homophily"),
    'has_base = "yes"': ('[parameters]\nhas_base = "yes"\n', "has_base"),
    "start a date, end a week": ('[[interventions]]\ntype = "team_days"\nstart = 2021-01-04\nend = 40\n',
                                 "interventions[0].end"),
    "seed = 10**30": (f"seed = {10**30}\n", "seed"),
    "networks for kind single": ("[population]\nkind = \"single\"\nnetworks = 3\n", "networks"),
    "seed for kind single": ("[population]\nseed = 3\n", "seed"),
    "a 10 MB value": ('[parameters]\nhomophily = "' + "x" * TEN_MB + '"\n', "homophily"),
    "a 10 MB value on many lines": ('description = """' + ("x" * 99 + "\n") * (TEN_MB // 100) + '"""\n',
                                    "description"),
    "a valid 10 MB name": ('name = "' + "n" * TEN_MB + '"\n', "name"),
    "a name of 300 characters": ('name = "' + "n" * 300 + '"\n', "name"),
    "a datetime for a date": ("[parameters]\npandemic_start = 2020-03-23T10:00:00\n", "pandemic_start"),
    "a date for a number": ("[parameters]\nhomophily = 2020-01-01\n", "homophily"),
    "nan": ("[parameters]\nhomophily = nan\n", "homophily"),
    "not UTF-8": (b"name = '\xff\xfe'\n", "scenario"),
}


@pytest.mark.parametrize("case", sorted(EXPLICIT))
def test_the_issues_hostile_scenarios(case):
    text, field = EXPLICIT[case]
    if isinstance(text, str) and not text.startswith("name"):
        text = 'name = "x"\n' + text
    refused(["run", "s.toml", "--out", "out", "--quiet"], field, {"s.toml": text}, kind_="explicit")


@pytest.mark.parametrize("args, field, files", [
    (["run", "--set", "homophily=" + "[" * DEEP + "]" * DEEP], "homophily", {}),
    (["run", "--set", "seed=1"], "seed", {}),  # not a parameter: --seed is
    (["run", "--set", "homophily=" + "9" * 10_000], "homophily", {}),
    (["run", "--set", "start_date=9999-12-01"], "start_date", {}),
    (["run", "--seed", "1" + "0" * 30], "--seed", {}),
    (["run", "--out", "."], "--out", {}),
    (["run", "--out", "/"], "--out", {}),
    (["run", "--out", "taken"], "--out", {"taken/thesis.tex": "work"}),
    (["sweep", "spec.toml"], "parameters", {"spec.toml": 'name = "s"\n[parameters.' + ".".join(["a"] * DEEP) + "]\nb=1\n"}),
    (["sweep", "spec.toml"], "design", {"spec.toml": 'name = "s"\ndesign = ' + "[" * DEEP + "]" * DEEP + "\n"}),
    (["sweep", "spec.toml"], "name", {"spec.toml": 'name = "' + "s" * TEN_MB + '"\n'}),
    (["sweep", "spec.toml", "--out", ".."], "--out", {"spec.toml": SPEC}),
    (["compare", "default", "--out", "/"], "--out", {}),
    (["compare", "a.toml"], "interventions[0].type", {"a.toml": 'name = "a"\n[[interventions]]\ntype = ["x"]\n'}),
    (["schema", "everything"], "invalid choice", {}),
])
def test_the_issues_hostile_flags_and_specs(args, field, files):
    if "taken/thesis.tex" in files:
        files = {"taken": None, **files}
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for name, content in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            if content is not None:
                (root / name).write_text(content, encoding="utf-8")
        before = tree(root)
        rc, _, err, seconds = run_cli(args, root)
        assert rc == 2 and field in err and "Traceback" not in err and len(err) <= 3000, err[:3000]
        assert tree(root) == before and seconds < LIMIT_S
    COUNTS["explicit"] = COUNTS.get("explicit", 0) + 1


# ---------------------------------------------------------------------------------------------- end to end
E2E = [
    (["run", "s.toml"], "interventions[0]", "interventions = [1, 2]\n"),
    (["run", "s.toml"], "seed", "seed = " + "7" * 10_000_000 + "\n"),
    (["run", "s.toml"], "name", 'name = "' + "n" * TEN_MB + '"\n'),
    (["run", "s.toml"], "weeks", 'name = "x"\nweeks = ' + "[" * DEEP + "]" * DEEP + "\n"),
]


@pytest.mark.parametrize("args, field, text", E2E, ids=[f"{a[-1][:12]}-{f}" for a, f, _ in E2E])
def test_end_to_end_in_a_subprocess(tmp_path, args, field, text):
    if text:
        (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    before = tree(tmp_path)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "pcnsim", *args], capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, "PYTHONWARNINGS": "ignore"}, timeout=120)
    seconds = time.perf_counter() - t0
    assert r.returncode == 2, r.stderr[-2000:]
    assert field in r.stderr and "Traceback" not in r.stderr and len(r.stderr) <= 3000, r.stderr[:3000]
    assert tree(tmp_path) == before
    assert seconds < LIMIT_S + 10, seconds  # the 10 s of the issue, plus starting Python and importing pcnsim
    COUNTS["subprocess"] = COUNTS.get("subprocess", 0) + 1


def test_the_corpus_is_large_enough():
    """Runs after the tests above (pytest keeps the file's order): at least 400 hostile inputs were tried."""
    total = sum(COUNTS.values())
    print(f"hostile corpus: {total} inputs, {COUNTS}")
    if set(COUNTS) != {"scenario", "sweep", "flags", "explicit", "subprocess"}:
        pytest.skip(f"only part of the corpus ran ({sorted(COUNTS)}); run the whole file to count it")
    assert total >= 400, COUNTS
    Params()  # the defaults are still valid after all that
