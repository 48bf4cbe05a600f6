"""The Intervention base: a window, a target, a cost, and a hook in the weekly step.

Life cycle (called by :class:`pcnsim.model.PCNModel`):

``initialize(model)``
    once, when the model is built (after the population, before the burn-in);
``apply(model, levers)``
    every week the intervention is active (``start <= date < end``), at step 1 of the weekly step, before
    any mechanism runs. It may only set levers (:class:`pcnsim.levers.Levers`) and add its cost; it never
    edits the model's parameters or anyone's leaving probability.

Subclasses declare their own fields as keyword-only constructor arguments and list them in ``FIELDS``
(validated with :func:`check_number` / :func:`check_bool`, so that bad values name the field and the
allowed range); ``to_dict``/``from_dict`` round-trip them through scenario files, and ``repr`` recreates the
object. Each adds its weekly cost in GBP to ``levers.cost`` (and GP sessions it uses to
``levers.gp_sessions``). One intervention object may serve many models (every replicate of a scenario), so
anything it must remember between weeks goes in :meth:`Intervention.state`, which is per model.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from pcnsim.errors import PCNSimInputError
from pcnsim.roles import ROLE_INDEX, ROLE_KEYS

if TYPE_CHECKING:
    from pcnsim.levers import Levers
    from pcnsim.model import PCNModel

REGISTRY: dict[str, type[Intervention]] = {}


def _when(value: Any, field: str, kind: str) -> int | dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, bool):
        raise PCNSimInputError(f"intervention {kind!r}: field {field!r} must be a week number or a date (YYYY-MM-DD)", field=field)
    if isinstance(value, int):
        if value < 0:
            raise PCNSimInputError(f"intervention {kind!r}: field {field!r} = {value} must be a week number >= 0 or a date", field=field)
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PCNSimInputError(f"intervention {kind!r}: field {field!r} = {value!r} must be a week number >= 0 or a date (YYYY-MM-DD)", field=field)


def check_number(kind: str, field: str, value: Any, lo: float, hi: float, *, integer: bool = False) -> float | int:
    """Validate a numeric intervention field: a number (whole if ``integer``) in ``[lo, hi]``.

    Raises :class:`PCNSimInputError` naming the intervention, the field and the allowed range.
    """
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and integer and isinstance(value, float):
        ok = value.is_integer()
    if not ok or not (lo <= value <= hi) or value != value:  # value != value: NaN
        what = "a whole number" if integer else "a number"
        raise PCNSimInputError(f"intervention {kind!r}: field {field!r} = {value!r} is not allowed: expected {what} from {lo:g} to {hi:g}", field=field)
    return int(value) if integer else float(value)


def check_bool(kind: str, field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise PCNSimInputError(f"intervention {kind!r}: field {field!r} = {value!r} is not allowed: expected true or false", field=field)
    return value


class Intervention:
    """Base class. Common fields: ``start``, ``end`` (week number or date; ``end`` exclusive, optional),
    ``roles`` (role keys; default every ARRS role), ``networks`` (network indices; default all), ``label``."""

    kind: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[str, ...]] = ()  # subclass-specific fields, in repr order
    COMMON: ClassVar[tuple[str, ...]] = ("start", "end", "roles", "networks", "label")
    NETWORK_LEVEL: ClassVar[bool] = False  # acts on whole networks: a 'roles' target makes no sense

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.kind:
            REGISTRY[cls.kind] = cls

    def __init__(self, *, start: int | dt.date | str | None = 0, end: int | dt.date | str | None = None,
                 roles: list[str] | None = None, networks: list[int] | None = None, label: str | None = None) -> None:
        self.start = _when(start, "start", self.kind) if start is not None else 0
        self.end = _when(end, "end", self.kind)
        if self.end is not None and type(self.start) is type(self.end) and self.end <= self.start:
            raise PCNSimInputError(f"intervention {self.kind!r}: 'end' ({self.end}) must come after 'start' ({self.start})", field="end")
        if roles is not None and self.NETWORK_LEVEL:
            raise PCNSimInputError(f"intervention {self.kind!r} acts on whole networks: 'roles' is not allowed (target networks with 'networks')", field="roles")
        if roles is not None and (not isinstance(roles, (list, tuple)) or not all(isinstance(r, str) for r in roles)):
            raise PCNSimInputError(f"intervention {self.kind!r}: 'roles' must be a list of role keys, e.g. [\"pharmacist\"]; allowed roles: {', '.join(ROLE_KEYS)}", field="roles")
        if networks is not None and (not isinstance(networks, (list, tuple)) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in networks)):
            raise PCNSimInputError(f"intervention {self.kind!r}: 'networks' must be a list of network indices (whole numbers >= 0)", field="networks")
        if label is not None and not isinstance(label, str):
            raise PCNSimInputError(f"intervention {self.kind!r}: 'label' must be a string", field="label")
        if roles is not None:
            bad = [r for r in roles if r not in ROLE_INDEX]
            if bad:
                raise PCNSimInputError(f"intervention {self.kind!r}: unknown role {bad[0]!r} in 'roles'; allowed roles: {', '.join(ROLE_KEYS)}", field="roles")
        self.roles = list(roles) if roles is not None else None
        self.networks = list(networks) if networks is not None else None
        self.label = label

    # -- window and target ---------------------------------------------------------------------
    def is_active(self, week: int, date: dt.date) -> bool:
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
            mask = np.isin(role, [ROLE_INDEX[r] for r in self.roles])
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
        d: dict[str, Any] = {"type": self.kind}
        for f in (*self.FIELDS, *self.COMMON):
            v = getattr(self, f)
            if v is not None and not (f == "start" and v == 0):
                d[f] = v
        return d

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "type")
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()  # type: ignore[union-attr]

    __hash__ = None  # type: ignore[assignment]


def from_dict(d: dict[str, Any], where: str = "") -> Intervention:
    """Build an intervention from a scenario-file table (``type`` names it)."""
    loc = f"{where}: " if where else ""
    d = dict(d)
    kind = d.pop("type", None)
    if kind not in REGISTRY:
        raise PCNSimInputError(
            f"{loc}unknown intervention type {kind!r}; allowed types: {', '.join(sorted(REGISTRY)) or '(none)'}",
            field="type")
    cls = REGISTRY[kind]
    allowed = (*cls.FIELDS, *cls.COMMON)
    bad = [k for k in d if k not in allowed]
    if bad:
        raise PCNSimInputError(f"{loc}intervention {kind!r} has no field {bad[0]!r}; allowed fields: {', '.join(allowed)}", field=bad[0])
    try:
        return cls(**d)
    except PCNSimInputError as e:
        raise PCNSimInputError(f"{loc}{e}", field=e.field) from None
    except TypeError as e:
        raise PCNSimInputError(f"{loc}intervention {kind!r}: {e}", field=kind) from None


def from_config(items: list[dict[str, Any]] | None, where: str = "interventions") -> list[Intervention]:
    return [from_dict(d, where=f"{where}[{i}]") for i, d in enumerate(items or [])]
