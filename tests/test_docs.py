"""Documentation matches the code: the generated parameter table, evidence for every parameter, the ODD.

Fast (no simulation).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from pcnsim.params import Params, bounds, param_markdown, param_table

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
EVIDENCE_ROW = re.compile(r"\b[ET]\d+\b")
ODD_SECTIONS = (
    "Purpose and patterns",
    "Entities, state variables and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Initialisation",
    "Input data",
    "Submodels",
)


def test_parameter_table_is_up_to_date():
    """docs/parameters.md is exactly what `pcnsim params --format markdown` writes (regenerate: make docs)."""
    committed = (DOCS / "parameters.md").read_text(encoding="utf-8")
    assert committed.rstrip("\n") == param_markdown().rstrip("\n"), (
        "docs/parameters.md is stale: run `pcnsim params --format markdown > docs/parameters.md`")


def test_every_parameter_names_its_evidence():
    """Each source names an evidence row (E1.., T1..), the word 'assumption', 'measured', or 'calibrated (Tn)'."""
    bad = []
    for r in param_table().itertuples():
        src = str(r.source)
        if not (EVIDENCE_ROW.search(src) or "assumption" in src or "calibrated" in src or src == "measured"):
            bad.append((r.name, src))
        if "calibrated" in src and not re.search(r"calibrated \((T\d[a-z]?)(, T\d[a-z]?)*\)", src):
            bad.append((r.name, f"{src} (calibrated must name its targets, e.g. 'calibrated (T4, T5)')"))
    assert not bad, bad


def test_fitted_parameters_say_calibrated_and_name_their_targets():
    from pcnsim.calibration import BLOCKS

    for _, (free, targets, _) in BLOCKS.items():
        for f in free:
            src = Params.model_fields[f.name].json_schema_extra["source"]
            assert "calibrated" in src, (f.name, src)
            named = set(re.findall(r"T\d", src))
            assert named & {t[:2] for t in targets}, (f.name, src, targets)


def _uncertain(source: str) -> bool:
    return "assumption" in source or "calibrated" in source or source == "measured"


@pytest.mark.parametrize("name", [n for n, f in Params.model_fields.items()
                                  if f.annotation in (int, float) and _uncertain(f.json_schema_extra["source"])])
def test_uncertain_parameters_have_bounds_fit_for_sensitivity_analysis(name):
    """An assumed or calibrated number has finite bounds around its default, no wider than a factor of 30
    either side (so that a uniform design over them stays in a meaningful region)."""
    lo, hi = bounds(name)
    default = Params.model_fields[name].default
    assert lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi), name
    assert lo < hi and lo <= default <= hi, (name, lo, default, hi)
    if default > 0:
        assert hi <= 30 * default, f"{name}: upper bound {hi} is more than 30 x the default {default}"
        if lo > 0:
            assert lo >= default / 30, f"{name}: lower bound {lo} is less than 1/30 of the default {default}"
    unit = Params.model_fields[name].json_schema_extra["unit"]
    if unit.startswith("share") or unit == "probability":
        assert 0 <= lo and hi <= 1, (name, lo, hi)


def test_odd_has_every_section_and_links_the_generated_tables():
    text = (DOCS / "ODD.md").read_text(encoding="utf-8")
    headings = [h.strip() for h in re.findall(r"^#+\s*(?:\d+(?:\.\d+)*\.?\s*)?(.+)$", text, flags=re.M)]
    for sec in ODD_SECTIONS:
        assert any(h.startswith(sec) for h in headings), f"ODD.md lacks the section {sec!r}"
    assert "(parameters.md)" in text and "(calibration.md)" in text
    assert "Grimm et al" in text


def test_every_mechanism_module_is_described_in_odd():
    text = (DOCS / "ODD.md").read_text(encoding="utf-8")
    modules = sorted(p.stem for p in (ROOT / "pcnsim" / "mechanisms").glob("*.py") if p.stem != "__init__")
    assert modules, "no mechanism modules found"
    missing = [m for m in modules if f"mechanisms/{m}.py" not in text]
    assert not missing, f"mechanism modules not described in docs/ODD.md: {missing}"
    # each has a submodel section that cites evidence rows or says assumption
    for m in modules:
        section = re.search(rf"^###[^\n]*mechanisms/{m}\.py[^\n]*\n(.*?)(?=^###|\Z)", text, flags=re.M | re.S)
        assert section, f"no submodel heading for mechanisms/{m}.py"
        heading = section.group(0).splitlines()[0]
        assert EVIDENCE_ROW.search(heading + section.group(1)) or "assumption" in section.group(1), m


def _tracked_text_files() -> list[Path]:
    import subprocess

    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    keep = (".py", ".md", ".toml", ".ipynb", ".txt", ".cfg", ".sh", ".json", ".yml", ".yaml", "")
    return [ROOT / f for f in out if (ROOT / f).is_file() and (ROOT / f).suffix in keep and "baseline" not in f]


def test_every_cited_evidence_row_resolves_inside_the_repository():
    """Every evidence id cited anywhere (code, docs, notebooks, scenario files) is a row of the package's own
    evidence table (pcnsim/data/evidence.toml), and nothing points to a briefing outside the repository."""
    from pcnsim.evidence import ID_PATTERN, table

    rows = table()
    bad, outside = [], []
    for path in _tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(ROOT)
        if re.search(r"shared/|EVIDENCE\.md", text) and rel != Path(__file__).relative_to(ROOT):
            outside.append(str(rel))
        for m in ID_PATTERN.finditer(text):
            if m.group(1) not in rows:
                bad.append(f"{rel}: {m.group(0)}")
    assert not outside, f"files pointing outside the repository for evidence: {outside}"
    assert not bad, bad[:20]


def test_evidence_page_is_up_to_date():
    from pcnsim.evidence import markdown

    committed = (DOCS / "evidence.md").read_text(encoding="utf-8")
    assert committed == markdown(), "docs/evidence.md is stale: run `make docs`"


def test_a_direction_only_row_never_sets_a_size_alone():
    """A parameter citing only rows that give a direction and no size must say where its size comes from
    (assumption, calibrated or measured)."""
    from pcnsim.evidence import cited_ids, row

    # sizes that a direction-only row does give (a threshold, not an effect)
    exempt = {"heavy_remote_threshold": "E20 gives the threshold itself: more than 2.5 of 5 days remote"}
    bad = []
    for r in param_table().itertuples():
        if Params.model_fields[r.name].annotation not in (int, float) or r.name in exempt:
            continue  # flags and dates set no size
        ids = cited_ids(str(r.source))
        if ids and all(row(i).direction_only for i in ids) and not _uncertain(str(r.source)):
            bad.append((r.name, r.source))
    assert not bad, bad


def test_every_parameter_is_in_the_generated_table():
    text = (DOCS / "parameters.md").read_text(encoding="utf-8")
    for name in Params.model_fields:
        assert f"`{name}`" in text, name


def test_calibration_report_is_generated_and_current():
    """docs/calibration.md was written by `pcnsim calibrate` and reports the current defaults' values."""
    from pcnsim.calibration import TARGETS, default_values

    text = (DOCS / "calibration.md").read_text(encoding="utf-8")
    assert re.search(r"Generated by `pcnsim calibrate[^`]*`", text)
    for t in TARGETS:
        assert f"| {t.id} |" in text, t.id
    # every fitted value in the report is the current default (the report describes the shipped model)
    rows = re.findall(r"^\| `(\w+)` \|[^\n]*\| \*\*([-0-9.e]+)\*\* \|$", text, flags=re.M)
    assert rows, "no fitted parameter rows in docs/calibration.md"
    defaults = default_values()
    for name, value in rows:
        assert math.isclose(defaults[name], float(value), rel_tol=1e-3), (name, defaults[name], value)
