"""The Intervention base: a window, a target, a cost, and a hook in the weekly step.

Life cycle (called by :class:`pcnsim.model.PCNModel`):

``initialize(model)``
    once, when the model is built (after the population, before the burn-in);
``apply(model, levers)``
    every week the intervention is active (``start <= date < end``), at step 1 of the weekly step, before
    any mechanism runs. It may only set levers (:class:`pcnsim.levers.Levers`) and add its cost; it never
    edits the model's parameters or anyone's leaving probability.

Each intervention is a strict pydantic model (:class:`pcnsim.schema.StrictModel`): its fields, with
defaults and allowed ranges, are declared once as typed attributes, and the same declaration validates
keyword arguments, scenario-file tables and gives the JSON Schema (``pcnsim schema intervention``). A
subclass declares ``type: Literal["its_kind"] = "its_kind"`` and its own fields; it is registered by that
kind, and scenario files select it with ``type = "its_kind"`` (:data:`pcnsim.interventions.InterventionTable`
is the union of all of them, keyed by ``type``). ``to_dict``/``from_dict`` round-trip them through scenario
files, and ``repr`` recreates the object. Each adds its weekly cost in GBP to ``levers.cost`` (and GP
sessions it uses to ``levers.gp_sessions``). One intervention object may serve many models (every
replicate of a scenario), so anything it must remember between weeks goes in :meth:`Intervention.state`,
which is per model.

The window: ``start`` and ``end`` are both week numbers (weeks since the run's ``start_date``) or both dates;
a mix is refused, because whether "week 40" comes before "1 January 2021" depends on the run's start
date. The one exception is the default ``start`` of week 0 (from the first week), which goes with an
``end`` of either kind. ``end`` is exclusive and must come after ``start``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, get_args, get_origin

import numpy as np
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pcnsim.roles import ROLE_KEYS, known_roles
from pcnsim.schema import DATE_TEXT, Date, StrictModel, Text, allowed, fail, input_error, validate

if TYPE_CHECKING:
    from pcnsim.levers import Levers
    from pcnsim.model import PCNModel

REGISTRY: dict[str, type[Intervention]] = {}



def _known_role(key: str, info: ValidationInfo) -> str:
    known = known_roles(info)  # the shipped roles, and those the scenario being read adds
    if key not in known:
        raise PydanticCustomError("unknown_role", "unknown role {key!r}; allowed roles: {known}",
                                  {"key": key[:60], "known": ", ".join(known)})
    return key


#: A role key: a shipped role (``pcnsim.roles``) or one the scenario being read adds in ``[roles]``.
RoleKey = Annotated[str, AfterValidator(_known_role), WithJsonSchema({"type": "string", "enum": list(ROLE_KEYS)})]
#: A point in time: a week number (0 = the run's first week) or a date.
When = Annotated[Annotated[int, Field(ge=0, le=100_000)] | Date,
                 allowed(f"a week number (a whole number from 0) or {DATE_TEXT}")]
Roles = Annotated[list[RoleKey], Field(min_length=1, max_length=len(ROLE_KEYS) * 4),
                  allowed(f"an array of role keys, e.g. [\"pharmacist\"]; allowed roles: {', '.join(ROLE_KEYS)}")]
Label = Text(200, what="a label")
Networks = Annotated[list[Annotated[int, Field(ge=0, le=10_000_000)]], Field(min_length=1, max_length=1_000_000),
                     allowed("an array of network indices (whole numbers from 0)")]


class Intervention(StrictModel):
    """Base class. Common fields: ``start``, ``end`` (week number or date; ``end`` exclusive, optional),
    ``roles`` (role keys; default every ARRS role), ``networks`` (network indices; default all), ``label``."""

    model_config = ConfigDict(frozen=False, validate_assignment=True)

    kind: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[str, ...]] = ()  # subclass-specific fields, in repr order (from the declarations)
    COMMON: ClassVar[tuple[str, ...]] = ("start", "end", "roles", "networks", "label")
    NETWORK_LEVEL: ClassVar[bool] = False  # acts on whole networks: a 'roles' target makes no sense

    start: When = Field(0, description="First week (a week number, 0 = the run's first week) or date it acts.")
    end: When | None = Field(None, description="Week or date it stops acting (exclusive); default: never. "
                                               "Of the same kind as start (the default start, week 0, goes "
                                               "with either).")
    roles: Roles | None = Field(None, description="Role keys it targets (default: every ARRS role).")
    networks: Networks | None = Field(None, description="Network indices it targets (default: all).")
    label: Label | None = Field(None, description="A label for tables and figures.")

    @classmethod
    def __pydantic_init_subclass__(cls, **kw: Any) -> None:
        super().__pydantic_init_subclass__(**kw)
        f = cls.model_fields.get("type")
        if f is not None and get_origin(f.annotation) is Literal:
            cls.kind = get_args(f.annotation)[0]
            cls.KEYS_OF = f"intervention {cls.kind!r}"
            cls.FIELDS = tuple(n for n in cls.model_fields if n != "type" and n not in Intervention.COMMON)
            REGISTRY[cls.kind] = cls

    @classmethod
    def key_order(cls) -> list[str]:
        """Keys of a table in the order written: ``type``, the kind's own fields, then the common ones."""
        return ["type", *cls.FIELDS, *cls.COMMON]

    @field_validator("start", mode="before")
    @classmethod
    def _start_none_is_week_0(cls, v: Any) -> Any:
        return 0 if v is None else v

    @model_validator(mode="after")
    def _check_window_and_target(self) -> Intervention:
        if self.end is not None:
            mixed = isinstance(self.start, dt.date) != isinstance(self.end, dt.date)
            if mixed and self.start != 0:
                raise fail("end", f"'start' ({self.start}) and 'end' ({self.end}) must both be week numbers or both "
                                  "dates (which comes first would depend on the run's start_date)")
            if not mixed and self.end <= self.start:
                raise fail("end", f"'end' ({self.end}) must come after 'start' ({self.start})")
        if self.roles is not None and self.NETWORK_LEVEL:
            raise fail("roles", f"intervention {self.kind!r} acts on whole networks: 'roles' is not allowed "
                                "(target networks with 'networks')")
        return self

    # -- window and target ---------------------------------------------------------------------
    def is_active(self, week: int, date: dt.date) -> bool:
        """True in a week (step number ``week``, starting on ``date``) within ``start <= . < end``."""

        def reached(bound: int | dt.date) -> bool:
            return week >= bound if isinstance(bound, int) else date >= bound

        return reached(self.start) and (self.end is None or not reached(self.end))

    def target(self, model: PCNModel) -> np.ndarray:
        """Bool per staff row: in the target roles (default ARRS) and networks."""
        s = model.staff
        role = s.role[: s.n]
        if self.roles is None:
            mask = model.roles.arrs[role].copy()
        else:
            mask = np.isin(role, [model.roles.role_index(r, "roles") for r in self.roles])
        if self.networks is not None:
            mask &= np.isin(s.network[: s.n], self.networks)
        return mask & s.active[: s.n]

    def start_week(self, model: PCNModel) -> int:
        """The first week (step number) in which the intervention is active."""
        if isinstance(self.start, int):
            return self.start
        days = (self.start - model.params.start_date).days
        return max(0, -(-days // 7))

    def state(self, model: PCNModel) -> dict[str, Any]:
        """Scratch state of this intervention in ``model`` (one dict per model: the same intervention
        object may be shared by many models, e.g. replicates of a scenario)."""
        store = model.__dict__.setdefault("_intervention_state", {})
        return store.setdefault(id(self), {})

    def network_mask(self, model: PCNModel) -> np.ndarray:
        """Bool per network of ``model``: in the target ``networks`` (all by default)."""
        m = np.ones(model.n_networks, dtype=bool)
        if self.networks is not None:
            m[:] = False
            m[[n for n in self.networks if 0 <= n < model.n_networks]] = True
        return m

    # -- life cycle ----------------------------------------------------------------------------
    def initialize(self, model: PCNModel) -> None:  # noqa: B027 - optional hook
        """Called once when the model is built."""

    def apply(self, model: PCNModel, levers: Levers) -> None:
        """Set this week's levers; called only in weeks the intervention is active."""
        raise NotImplementedError

    # -- serialisation ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The scenario-file table of this intervention (``type`` and every field that is set), which
        :func:`from_dict` reads back."""
        d: dict[str, Any] = {"type": self.kind}
        for f in (*self.FIELDS, *self.COMMON):
            v = getattr(self, f)
            if v is not None and not (f == "start" and v == 0):
                d[f] = v
        return d

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "type")
        return f"{type(self).__name__}({args})"

    def __str__(self) -> str:
        return self.__repr__()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()  # type: ignore[union-attr]

    __hash__ = None  # type: ignore[assignment]


def from_dict(d: dict[str, Any], where: str = "") -> Intervention:
    """Build an intervention from a scenario-file table (``type`` names it)."""
    from pcnsim.interventions import table_adapter

    return validate(table_adapter(), d, where=where, what="intervention")


def from_config(items: list[dict[str, Any]] | None, where: str = "") -> list[Intervention]:
    """Interventions from an array of tables (``[[interventions]]``); errors name ``interventions[i].field``."""
    from pcnsim.interventions import list_adapter
    from pcnsim.schema import check_shape

    items = list(items or []) if isinstance(items, (list, tuple)) or items is None else items
    check_shape(items, where=where)
    try:
        return list_adapter().validate_python(items)
    except ValidationError as e:
        raise input_error(e, items, where=where, prefix=("interventions",)) from None
