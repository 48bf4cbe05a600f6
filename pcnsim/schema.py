"""Shared pieces of pcnsim's file formats: a strict base model, constrained types, input guards, and
pydantic errors turned into messages that name the field.

Every file pcnsim reads (a scenario, an intervention table, a sweep spec; later a calibration config) is
one :class:`StrictModel`: no key it does not know, no coercion of ``true`` or ``"0.5"`` to a number, no NaN
or infinity, dates within :data:`DATE_MIN` .. :data:`DATE_MAX`. A document is checked in three steps:

1. :func:`load_toml` reads a file: at most :data:`MAX_FILE_BYTES`, valid UTF-8 and TOML; integers that
   Python refuses to parse (more than 4,300 digits) and inline arrays or tables nested too deeply for the
   parser are reported with the line and key, not as a traceback.
2. :func:`check_shape` walks the parsed data without recursion: at most :data:`MAX_DEPTH` levels of
   nesting and :data:`MAX_NODES` values, so that nothing downstream (validation, ``repr``, JSON) can
   recurse or run for long.

(Both, with :func:`excerpt`, live in :mod:`pcnsim.guards` and are re-exported here: a new file format,
such as a calibration or ensemble config, needs only this module.)

3. :func:`validate` validates against the model and turns a :class:`pydantic.ValidationError` into one
   :class:`~pcnsim.errors.PCNSimInputError` whose message names the field path (``interventions[0].hours``),
   says what is allowed, and quotes at most :data:`EXCERPT` characters of the bad value.

Types that carry their own description of what is allowed (``allowed(...)``) give messages such as
``weeks = 0 is not allowed: expected a whole number from 1 to 2600``; model validators report a
cross-field problem with :func:`fail`, naming the field.

>>> from pcnsim.schema import StrictModel, Weeks, validate
>>> class Run(StrictModel):
...     weeks: Weeks = 260
>>> validate(Run, {"weeks": True}, where="run.toml")  # doctest: +SKIP
PCNSimInputError: run.toml: weeks = True is not allowed: expected a whole number from 1 to 2600
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pcnsim.errors import PCNSimInputError
from pcnsim.guards import EXCERPT as EXCERPT  # re-exported: one module for a file format's schema
from pcnsim.guards import MAX_DEPTH as MAX_DEPTH
from pcnsim.guards import MAX_FILE_BYTES as MAX_FILE_BYTES
from pcnsim.guards import MAX_LINE as MAX_LINE
from pcnsim.guards import MAX_NODES as MAX_NODES
from pcnsim.guards import _dotted, _loc
from pcnsim.guards import check_shape as check_shape
from pcnsim.guards import excerpt as excerpt
from pcnsim.guards import load_toml as load_toml
from pcnsim.guards import loads_toml as loads_toml

#: Dates anywhere in pcnsim's inputs lie in this window (the model's calendar arithmetic and plots are
#: safe well beyond it; dates outside it are typing mistakes).
DATE_MIN = dt.date(1990, 1, 1)
#: The last date allowed in any input (see DATE_MIN).
DATE_MAX = dt.date(2100, 12, 31)
#: Longest name (a label for tables, figures and folder names; see :func:`pcnsim.output.slug`).
MAX_NAME = 200
#: Longest description.
MAX_TEXT = 10_000
#: Largest seed (TOML and NumPy hold 64-bit integers).
MAX_SEED = 2**63 - 1
#: Longest run (weeks; 50 years).
MAX_WEEKS = 2600


def _toml_literal(value: Any) -> str:
    """A value as the user would have typed it in TOML (``true``, ``"text"``, ``2020-01-01``), excerpted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and len(value) <= EXCERPT:
        return json.dumps(value, ensure_ascii=False)  # TOML's basic-string escapes: one line, quotes escaped
    return excerpt(value)


# ---------------------------------------------------------------------------------------------- the base
class StrictModel(BaseModel):
    """Base of every file-format model: strict types, no unknown keys, no NaN, validated defaults.

    An unknown key is reported with the keys that are allowed (and a close match, if any). Set
    ``KEYS_OF`` in a subclass to say whose keys they are in messages (e.g. ``"intervention 'team_days'"``).
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, validate_default=True,
                              populate_by_name=False)

    KEYS_OF: ClassVar[str] = ""

    @classmethod
    def key_order(cls) -> list[str]:
        """The keys of this table in the order messages list them (default: declaration order)."""
        return list(cls.model_fields)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            allowed = cls.key_order()
            unknown = [k for k in data if k not in cls.model_fields]
            if unknown:
                key = unknown[0]
                close = difflib.get_close_matches(str(key), allowed, n=1) if isinstance(key, str) else []
                raise PydanticCustomError(
                    "unknown_key", "unknown key {key}",
                    {"key": str(key)[:EXCERPT], "allowed": ", ".join(allowed), "close": close[0] if close else "",
                     "of": cls.KEYS_OF})
        return data


def fail(field: str, message: str) -> PydanticCustomError:
    """An error for a model validator: ``raise fail("end", "must come after 'start'")``; the field is
    relative to the model that raises it."""
    return PydanticCustomError("field_error", "{message}", {"field": field, "message": message})


def allowed(text: str, *, deeper: bool = False) -> WrapValidator:
    """Annotated metadata: any failure of the wrapped type becomes one error saying ``expected {text}``.

    ``deeper``: errors inside the value (a key of a table) keep their own location and message; only a
    value of the wrong shape altogether gets ``text``.
    """

    def wrap(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as e:
            inner = e.errors(include_url=False)
            if deeper and inner and all(x["type"] in ("field_error", "unknown_key")
                                        or _input_path(x["loc"], value, keep_last=x["type"] == "missing")
                                        for x in inner):
                raise
            # an error deeper inside (a table's key) keeps its own message
            detail = inner[0]["msg"] if inner and inner[0]["type"] in ("field_error", "unknown_key") else ""
            raise PydanticCustomError("not_allowed", "expected {allowed}", {"allowed": text, "detail": detail}) from None

    return WrapValidator(wrap)


def _g(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) and abs(x) >= 10_000 else f"{x:g}"


def Number(lo: float, hi: float, unit: str = "") -> Any:  # noqa: N802 - a type factory
    """A number (int accepted, stored as float) in ``[lo, hi]``."""
    what = f"a number from {_g(lo)} to {_g(hi)}" + (f" ({unit})" if unit else "")
    return Annotated[float, Field(ge=lo, le=hi), allowed(what)]


def Whole(lo: int, hi: int, unit: str = "") -> Any:  # noqa: N802 - a type factory
    """A whole number in ``[lo, hi]`` (``true``/``false`` and ``2.0`` are refused)."""
    what = f"a whole number from {_g(lo)} to {_g(hi)}" + (f" ({unit})" if unit else "")
    return Annotated[int, Field(ge=lo, le=hi), allowed(what)]


def Text(max_length: int, *, what: str = "a string", min_length: int = 0) -> Any:  # noqa: N802
    """A string of at most ``max_length`` characters."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length),
                     allowed(f"{what} of {'1' if min_length else '0'} to {max_length:,} characters")]


def parse_date(value: Any) -> Any:
    """ISO ``YYYY-MM-DD`` strings become dates (as in a TOML date); anything else is left for validation."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


DATE_TEXT = f"a date (YYYY-MM-DD) from {DATE_MIN} to {DATE_MAX}"
#: A date (a TOML date or an ISO string) in the window; datetimes and numbers are refused.
Date = Annotated[dt.date, BeforeValidator(parse_date), Field(ge=DATE_MIN, le=DATE_MAX), allowed(DATE_TEXT)]
Weeks = Whole(1, MAX_WEEKS, "weeks")
Seed = Whole(0, MAX_SEED)
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=r"\S"),
                 allowed(f"a non-empty label of at most {MAX_NAME} characters")]
Description = Text(MAX_TEXT)



# ---------------------------------------------------------------------------------------------- validation
def validate(model: Any, data: Any, *, where: str = "", what: str = "", context: Mapping[str, Any] | None = None
             ) -> Any:
    """Validate ``data`` against ``model`` (a model class or a :class:`pydantic.TypeAdapter`); ``context`` is
    pydantic's validation context (e.g. the roles a scenario adds, :func:`pcnsim.roles.known_roles`).

    Raises :class:`PCNSimInputError` naming the first bad field (see :func:`input_error`).
    """
    check_shape(data, where=where)
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(data, context=context)
        return model.validate_python(data, context=context)
    except ValidationError as err:
        raise input_error(err, data, where=where, what=what) from None


def input_error(err: ValidationError, data: Any, *, where: str = "", what: str = "",
                prefix: Sequence[str | int] = ()) -> PCNSimInputError:
    """One :class:`PCNSimInputError` for the first error of ``err``: the field path (relative to ``data``,
    after ``prefix``), what is allowed, and an excerpt of the bad value."""
    errors = err.errors(include_url=False)
    e = errors[0]
    path = [*prefix, *_input_path(e["loc"], data, keep_last=e["type"] == "missing")]
    ctx = e.get("ctx") or {}
    kind = e["type"]
    got = e.get("input")
    if kind == "field_error":
        path.extend(p for p in str(ctx["field"]).split(".") if p)
        field = _dotted(path)
        text = f"{field}: {ctx['message']}" if field else str(ctx["message"])
    elif kind == "unknown_key":
        parent = _dotted(path)
        path.append(ctx["key"])
        field = _dotted(path)
        hint = f" (did you mean {ctx['close']!r}?)" if ctx.get("close") else ""
        of = f" of {ctx['of']}" if ctx.get("of") else (f" of {parent}" if parent else "")
        text = f"unknown key {ctx['key']!r}{f' in {parent}' if parent else ''}{hint}; allowed keys{of}: {ctx['allowed']}"
    elif kind == "union_tag":
        tag_field = ctx["field"]
        if isinstance(got, Mapping) and tag_field in got:
            path.append(tag_field)
            field = _dotted(path)
            text = f"{field} = {_toml_literal(got[tag_field])} is not allowed; allowed {ctx['noun']}: {ctx['allowed']}"
        elif isinstance(got, Mapping):
            path.append(tag_field)
            field = _dotted(path)
            text = f"{field} is required; allowed {ctx['noun']}: {ctx['allowed']}"
        else:
            field = _dotted(path)
            text = (f"{field or 'the value'} = {_toml_literal(got)} is not allowed: expected a table with "
                    f"{tag_field} = one of {ctx['allowed']}")
    else:
        field = _dotted(path)
        name = field or what or "the input"
        if kind == "missing":
            text = f"{name} is required"
        elif kind == "not_allowed":
            detail = f" ({ctx['detail']})" if ctx.get("detail") else ""
            text = f"{name} = {_toml_literal(got)} is not allowed: expected {ctx['allowed']}{detail}"
        elif kind == "literal_error":
            text = f"{name} = {_toml_literal(got)} is not allowed; allowed values: {ctx.get('expected', '')}"
        elif kind in ("value_error", "assertion_error"):
            text = f"{name}: {ctx.get('error', e['msg'])}"
        else:
            text = f"{name} = {_toml_literal(got)} is not allowed: expected {_EXPECTED.get(kind, e['msg'].lower())}"
    return PCNSimInputError(f"{_loc(where)}{text}", field=field or what or None)


_EXPECTED = {
    "int_type": "a whole number", "int_parsing": "a whole number", "float_type": "a number",
    "bool_type": "true or false", "string_type": "a string", "date_type": "a date (YYYY-MM-DD)",
    "list_type": "an array [...]", "tuple_type": "an array [...]", "dict_type": "a table",
    "model_type": "a table", "model_attributes_type": "a table", "finite_number": "a finite number",
    "string_too_long": "a shorter string", "too_long": "a shorter array", "too_short": "a longer array",
}


def _input_path(loc: Sequence[Any], data: Any, *, keep_last: bool) -> list[str | int]:
    """The elements of a pydantic error location that index the input (union tags and validator names,
    which pydantic inserts, are dropped)."""
    out: list[str | int] = []
    cur = data
    for i, part in enumerate(loc):
        if isinstance(cur, Mapping) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, (list, tuple)) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif keep_last and i == len(loc) - 1 and isinstance(part, str):
            out.append(part)
    return out


def union_tag(field: str, tags: Sequence[str], pick: Callable[[Any], str | None] | None = None, *,
              noun: str = "") -> Any:
    """A :class:`pydantic.Discriminator` on ``field`` whose errors list the allowed ``tags``.

    Non-table values and tags that are not strings (``type = ["x"]``) are errors, not crashes; ``noun``
    names the tags in messages ("intervention types").
    """
    from pydantic import Discriminator

    allowed_text = ", ".join(repr(t) for t in tags)

    def tag(value: Any) -> str | None:
        if pick is not None:
            t = pick(value)
            if t is not None:
                return t
        if isinstance(value, Mapping):
            t = value.get(field)
            return t if isinstance(t, str) and t in tags else None
        t = getattr(value, field, None)
        return t if isinstance(t, str) and t in tags else None

    return Discriminator(tag, custom_error_type="union_tag", custom_error_message=f"expected {field} = one of "
                         f"{allowed_text}", custom_error_context={"field": field, "allowed": allowed_text,
                                                               "noun": noun or f"values of {field}"})


def json_schema(model: Any, *, title: str, description: str = "") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a model or TypeAdapter, for editors that check files as typed."""
    from pydantic import TypeAdapter

    schema = model.model_json_schema() if isinstance(model, type) and issubclass(model, BaseModel) \
        else TypeAdapter(model).json_schema() if not hasattr(model, "json_schema") else model.json_schema()
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": title}
    if description:
        out["description"] = description
    return out
