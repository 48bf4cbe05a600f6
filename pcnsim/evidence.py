"""The evidence table: published figures (E rows) and calibration targets (T rows) that pcnsim cites.

The table is data shipped with the package (``pcnsim/data/evidence.toml``), validated on load and
rendered into ``docs/evidence.md``. Every parameter's source (:mod:`pcnsim.params`), the role catalogue,
the interventions and docs/ODD.md cite rows by id; :func:`cited_ids` finds the ids in a source text, and
the tests check that each one resolves here.

>>> from pcnsim.evidence import row, describe
>>> row("E15").figure[:40]
'In 6,441 hospital staff, each standard de'
>>> describe("E13 + calibrated (T2, T3)")[:4]
'E13:'
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pcnsim.errors import PCNSimInputError

ID_PATTERN = re.compile(r"\b([ET]\d{1,2})([ab])?\b")


class EvidenceRow(BaseModel):
    """One row: a published figure (``E..``) or a calibration target built from such figures (``T..``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: str = Field(pattern=r"^[ET]\d{1,2}$")
    section: str = Field(min_length=1)
    figure: str = Field(min_length=1, description="What the source reports, in pcnsim's words")
    source: str = Field(min_length=1, description="Where it is published (for T rows: the E rows used)")
    use: str | None = Field(None, description="T rows: what the target is used to identify")
    direction_only: bool = Field(False, description="The row gives a direction but no size a parameter could take")

    @property
    def kind(self) -> Literal["figure", "target"]:
        """``"figure"`` for an E row, ``"target"`` for a T row."""
        return "figure" if self.id.startswith("E") else "target"


class EvidenceTable(BaseModel):
    """The whole file ``pcnsim/data/evidence.toml``: its ``[[row]]`` tables, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    row: list[EvidenceRow]


@cache
def table() -> dict[str, EvidenceRow]:
    """Every row by id, in file order (validated once per process)."""
    text = resources.files("pcnsim").joinpath("data", "evidence.toml").read_text(encoding="utf-8")
    try:
        rows = EvidenceTable.model_validate(tomllib.loads(text)).row
    except ValidationError as err:  # a packaging error, not user input
        raise RuntimeError(f"pcnsim/data/evidence.toml is invalid: {err}") from None
    out: dict[str, EvidenceRow] = {}
    for r in rows:
        if r.id in out:
            raise RuntimeError(f"pcnsim/data/evidence.toml: row {r.id} appears twice")
        if (r.use is not None) != (r.kind == "target"):
            raise RuntimeError(f"pcnsim/data/evidence.toml: row {r.id}: 'use' is for target rows only")
        out[r.id] = r
    return out


def row(row_id: str) -> EvidenceRow:
    """The row ``row_id`` (``E15``, ``T2``; a sub-target such as ``T2a`` gives its row ``T2``)."""
    m = ID_PATTERN.fullmatch(row_id.strip())
    key = m.group(1) if m else row_id
    try:
        return table()[key]
    except KeyError:
        raise PCNSimInputError(f"unknown evidence row {row_id!r}; rows: {', '.join(table())}", field="evidence") from None


def cited_ids(text: str) -> list[str]:
    """Evidence ids cited in ``text`` (``E1``..``E37``, ``T1``..``T7``; ``T2a`` counts as ``T2``), in order,
    without repeats."""
    seen: dict[str, None] = {}
    for m in ID_PATTERN.finditer(text):
        seen.setdefault(m.group(1), None)
    return list(seen)


def check_source(source: str, field: str, where: str) -> None:
    """Refuse a data file's ``source`` text that cites an id not in the evidence table, or cites none and does
    not say *assumption* (:class:`~pcnsim.errors.PCNSimInputError` naming ``field``)."""
    rows = table()
    ids = cited_ids(source)
    if any(i not in rows for i in ids) or (not ids and "assumption" not in source):
        raise PCNSimInputError(f"{where}: {field} = {source!r} cites no row of the evidence table "
                               f"(rows: {', '.join(rows)}) and is not 'assumption'", field=field)


def describe(source: str) -> str:
    """A parameter's source expanded: each cited row's id, figure and reference, then what else the source
    says (*assumption*, *calibrated*, *measured*)."""
    parts = [f"{i}: {row(i).figure} ({row(i).source})" for i in cited_ids(source)]
    rest = ID_PATTERN.sub("", source)
    rest = re.sub(r"[\s,+()]+", " ", rest).strip()
    if rest:
        parts.append(rest)
    return " | ".join(parts) if parts else source


def markdown() -> str:
    """The table as Markdown (``docs/evidence.md``)."""
    lines = [
        "# Evidence",
        "",
        "Generated from `pcnsim/data/evidence.toml` by `python -m pcnsim.evidence > docs/evidence.md` (`make docs`); do not edit by hand.",
        "",
        "Every parameter, mechanism and intervention of pcnsim cites a row of this table, or says *assumption*",
        "(no source pins it down) or *calibrated* (fitted to the named targets). A row that gives a direction",
        "but no size supports the direction only; the size is then an assumption, and the parameter says so.",
        "Surveys of intentions are treated as such: intending to leave is not leaving.",
        "",
    ]
    section = None
    for r in table().values():
        if r.section != section:
            section = r.section
            lines += [f"## {section}", ""]
            lines += (["| id | target | from | use |", "|---|---|---|---|"] if r.kind == "target"
                      else ["| id | figure | source |", "|---|---|---|"])
        if r.kind == "target":
            lines.append(f"| {r.id} | {r.figure} | {r.source} | {r.use} |")
        else:
            note = " *(direction only)*" if r.direction_only else ""
            lines.append(f"| {r.id} | {r.figure}{note} | {r.source} |")
    out: list[str] = []
    for i, ln in enumerate(lines):  # a blank line before each section heading after the first
        if ln.startswith("## ") and i > 0 and lines[i - 1] != "":
            out.append("")
        out.append(ln)
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # python -m pcnsim.evidence > docs/evidence.md (make docs)
    print(markdown(), end="")
