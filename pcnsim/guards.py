"""Guards against hostile input, before any validation: file size, TOML parsing, nesting, excerpts.

:func:`load_toml` reads a file: at most :data:`MAX_FILE_BYTES`, valid UTF-8 and TOML; integers that
Python refuses to parse (more than 4,300 digits), lines too long to be real, and inline arrays or tables
nested too deeply for the parser are reported with their line and field, not as a traceback or a hang.
:func:`check_shape` walks parsed data without recursion: at most :data:`MAX_DEPTH` levels of nesting and
:data:`MAX_NODES` values, so that nothing downstream (validation, ``repr``, JSON) can recurse or run for
long. :func:`excerpt` quotes any value in a few dozen characters. Everything here is re-exported by
:mod:`pcnsim.schema`, the one module a new file format needs.
"""

from __future__ import annotations

import datetime as dt
import re
import reprlib
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pcnsim.errors import PCNSimInputError

#: Largest file read (bytes); larger files are refused before parsing.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Deepest nesting of tables and arrays in a document (pcnsim's formats need 4).
MAX_DEPTH = 16
#: Most values (tables, arrays and scalars together) in a document.
MAX_NODES = 1_000_000
#: Longest excerpt of a bad value quoted in a message (characters).
EXCERPT = 60


# ---------------------------------------------------------------------------------------------- excerpts
_repr = reprlib.Repr(maxlevel=2, maxtuple=4, maxlist=4, maxarray=4, maxdict=4, maxset=4, maxfrozenset=4,
                     maxdeque=4, maxstring=EXCERPT, maxlong=EXCERPT, maxother=EXCERPT)


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """A short ``repr`` of ``value``: at most about ``limit`` characters, with the full length when cut.

    Safe for any input pcnsim reads (deeply nested, huge strings or integers): never recursive, never
    quadratic.
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a whole number of about {int(value.bit_length() * 0.30103):,} digits"
    if isinstance(value, (dt.date, bool, float, int)) or value is None:
        text = repr(value) if not isinstance(value, dt.date) else value.isoformat()
    else:
        try:
            text = _repr.repr(value)
        except Exception:  # noqa: BLE001 - an odd object's repr must not hide the real error
            text = f"<{type(value).__name__}>"
    return text if len(text) <= limit + 3 else text[:limit] + "..."


# ---------------------------------------------------------------------------------------------- guards
def check_shape(data: Any, *, where: str = "", max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
    """Refuse data nested deeper than ``max_depth`` or with more than ``max_nodes`` values (no recursion).

    Raises :class:`PCNSimInputError` naming the path of the first value that is too deep.
    """
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    nodes = 0
    while stack:
        value, path = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise PCNSimInputError(f"{_loc(where)}the input holds more than {max_nodes:,} values; pcnsim's files "
                                   "hold a few hundred", field=_dotted(path) or None)
        if isinstance(value, Mapping):
            children = list(value.items())
        elif isinstance(value, (list, tuple)):
            children = list(enumerate(value))
        else:
            continue
        if len(path) >= max_depth:
            field = _dotted(path[:3]) + ("..." if len(path) > 3 else "")
            raise PCNSimInputError(f"{_loc(where)}{field} is nested more than {max_depth} levels deep; pcnsim's "
                                   "files need at most 4 levels of tables and arrays", field=_dotted(path[:1]))
        stack.extend((v, (*path, k)) for k, v in children)


_INT_LIMIT = re.compile(r"[0-9_]{4000,}")
_BARE_INT = re.compile(r"=[ \t]*[+-]?[0-9][0-9_]{99,}")  # a bare integer of 100 digits or more
#: Longest line read; a longer one is refused before parsing, naming its key.
MAX_LINE = 1_000_000
_LONG_LINE = re.compile(rf"[^\n]{{{MAX_LINE + 1}}}")


def loads_toml(text: str, *, where: str, field: str) -> dict[str, Any]:
    """Parse TOML text; every failure is a :class:`PCNSimInputError` (``field`` names the input).

    Before parsing, two cheap scans refuse what would take the parser seconds or fail inside it: a bare
    integer of 100 digits or more (nothing pcnsim reads is above 2**63) and a line longer than
    :data:`MAX_LINE` characters; both are reported with their line and key.
    """
    m = _BARE_INT.search(text)
    if m:
        line, key = text.count("\n", 0, m.start()) + 1, _field_at(text, m.start())
        digits = len(re.match(r"=[ \t]*[+-]?([0-9_]*)", text[m.start():m.start() + 20_000_000]).group(1).replace("_", ""))
        raise PCNSimInputError(f"{where}: line {line}: {key or 'a value'} is a whole number of {digits:,} digits; "
                               "whole numbers must be below 2**63 (19 digits)", field=key or field)
    m = _LONG_LINE.search(text)
    if m:
        end = text.find("\n", m.start())
        length = (len(text) if end < 0 else end) - m.start()
        key = _field_at(text, m.start())
        raise PCNSimInputError(f"{where}: line {text.count(chr(10), 0, m.start()) + 1}: {key or 'a value'}: a line "
                               f"of {length:,} characters; at most {MAX_LINE:,} are read", field=key or field)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PCNSimInputError(f"{where}: not valid TOML: {excerpt(str(e), 200)}", field=field) from None
    except RecursionError:
        line, pos = _deep_line(text)
        key = _field_at(text, pos) if line else ""
        raise PCNSimInputError(f"{where}: line {line}: {key or 'a value'} is nested too deeply (at most "
                               f"{MAX_DEPTH} levels of arrays and tables)", field=key or field) from None
    except ValueError:  # Python refuses to parse integers of more than 4,300 digits
        m = _INT_LIMIT.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else 0
        key = _field_at(text, m.start()) if m else ""
        digits = len(m.group(0).replace("_", "")) if m else 0
        raise PCNSimInputError(f"{where}: line {line}: {key or 'a value'} is a whole number of {digits:,} digits; "
                               f"whole numbers must be below 2**63 (19 digits)", field=key or field) from None
    check_shape(data, where=where)
    return data


def load_toml(path: str | Path, *, field: str, what: str) -> tuple[dict[str, Any], str]:
    """Read and parse a TOML file (``what`` names it in messages: "scenario file", "sweep spec").

    Returns the data and the text. Raises :class:`PCNSimInputError` (``field``) for a missing file, a
    folder, a file over :data:`MAX_FILE_BYTES`, text that is not UTF-8 or not TOML, or data that fails
    :func:`check_shape`.
    """
    path = Path(path)
    try:
        if not path.exists():
            raise PCNSimInputError(f"{what} not found: {excerpt(str(path), 200)}", field=field)
        if path.is_dir():
            raise PCNSimInputError(f"{what} is a directory, not a TOML file: {path}", field=field)
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PCNSimInputError(f"{path}: the {what} is {size / 2**20:,.1f} MiB; at most "
                                   f"{MAX_FILE_BYTES // 2**20} MiB are read", field=field)
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PCNSimInputError(f"{path}: the {what} is not a text (UTF-8) TOML file", field=field) from None
    except OSError as e:
        raise PCNSimInputError(f"{what} {excerpt(str(path), 200)}: cannot be read ({e.strerror})", field=field) from None
    return loads_toml(text, where=str(path), field=field), text


def _key_of_line(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    m = re.match(r"\s*([A-Za-z0-9_\-.\"' ]+?)\s*=", text[start:start + 300])
    return m.group(1).strip().strip("\"'") if m else ""


_HEADER = re.compile(r"(?m)^[ \t]*(\[\[?)[ \t]*([A-Za-z0-9_\-.\"' ]+?)[ \t]*\]\]?[ \t]*(?:#.*)?$")


def _field_at(text: str, pos: int) -> str:
    """The dotted field of the key on the line at ``pos``, inside the table header above it
    (``[population]`` -> ``population.seed``; the second ``[[interventions]]`` -> ``interventions[1].hours``)."""
    key = _key_of_line(text, pos)
    table, count = "", 0
    for h in _HEADER.finditer(text, 0, pos):
        name = h.group(2).replace('"', "").replace("'", "").strip()
        if h.group(1) == "[[":
            count = count + 1 if name == table.split("[")[0] else 1
            table = f"{name}[{count - 1}]"
        else:
            table, count = name, 0
    return ".".join(p for p in (table, key) if p)


def _deep_line(text: str) -> tuple[int, int]:
    """Line and key where arrays or inline tables first nest deeper than :data:`MAX_DEPTH` (strings skipped)."""
    depth, i, n, quote = 0, 0, len(text), ""
    while i < n:
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, i) + 1, i
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return 0, 0


def _dotted(path: Sequence[Any]) -> str:
    s = ""
    for p in path:
        if isinstance(p, int):
            s += f"[{p}]"
        else:
            p = str(p)
            p = p if len(p) <= EXCERPT else p[:EXCERPT] + "..."
            s += f".{p}" if s else p
    return s


def _loc(where: str) -> str:
    return f"{where}: " if where else ""
