"""The teaching app: a SolaraViz (Mesa's visualization) dashboard of one Primary Care Network.

Run it with ``pcnsim app`` (or ``solara run pcnsim.app``) and open the address it prints. A teacher picks a
preset (before the pandemic, pandemic remote working, the vaccination programme, protected supervision, a
base practice, ...), moves the sliders and switches interventions on and off, then presses Step or Play
(▶) and watches: charts of headcount, leavers, belonging and intention to leave; the team as a network
(staff coloured by profession and grouped by practice, ties by strength, leavers leaving); and a short
panel that says in plain words what is happening.

Every change in the Scenario card restarts the run from week 0 with the new settings (the same seed, so
that two runs differ only by what was changed: common random numbers); Reset does the same. Each browser
session builds its own model inside :func:`Page` (nothing is shared at module level), so two people using
the same server never see each other's runs. Everything the page needs is served from installed packages
(``solara-assets``): it works on a network that blocks outside sites.

The pieces that are not Solara (presets, settings, :class:`AppModel`) are plain Python and can be used
from a notebook (importing this module needs the ``app`` extra, for Solara):
``AppModel(settings=AppSettings(preset="vaccination")).run(100)``; the drawings are in
:mod:`pcnsim.app_views`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import reacton.ipywidgets as rw
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from pcnsim import app_views
from pcnsim.errors import PCNSimInputError
from pcnsim.model import PCNModel

TITLE = "pcnsim: who stays in a Primary Care Network?"
NO_PANDEMIC = dt.date(2099, 1, 1)  # pandemic dates moved beyond any run: no pandemic remote working
DEFAULT_WEEKS = 260  # April 2019 to March 2024, as the built-in default scenario

# Interventions the app can switch on (registry kind -> label shown to the room). Each is built with
# pcnsim.interventions.from_dict, so the app follows whatever the intervention code does.
INTERVENTIONS: dict[str, str] = {
    "shared_vaccination": "Joint vaccination clinics (mix practices and professions)",
    "protected_supervision": "Protected supervision time",
    "base_practice": "A base practice for everyone",
    "team_days": "In-person team days",
    "remote_policy": "Remote working policy (cap on home working)",
    "organisational_development": "Organisational development support",
    "role_clarity": "Role clarity and induction",
    "peer_support": "Peer support networks across PCNs",
    "london_weighting": "London weighting in reimbursement (London networks)",
    "flexible_role_mix": "Flexible role mix",
}
# Fields an intervention switched on by hand needs besides its own defaults.
DEFAULT_FIELDS: dict[str, dict[str, Any]] = {
    "remote_policy": {"cap": 0.4},  # at most two days a week at home (E20: harm above 2.5 days)
}


@dataclass(frozen=True)
class Preset:
    """A ready-made scenario: parameter overrides, interventions (scenario-file tables) and a story."""

    key: str
    title: str
    story: str
    params: Mapping[str, Any] = field(default_factory=dict)
    interventions: tuple[Mapping[str, Any], ...] = ()


_VACCINATION = {"type": "shared_vaccination", "start": "2020-12-08", "end": "2022-04-01",
                "label": "Joint vaccination clinics"}
_SUPERVISION = {"type": "protected_supervision", "start": "2019-07-01", "hours": 2.0,
                "label": "Protected supervision, 2 hours a week"}
_BASE = {"type": "base_practice", "start": "2019-07-01", "label": "A base practice for everyone"}
_TEAM_DAYS = {"type": "team_days", "start": "2019-07-01", "label": "Team days every quarter"}
_OD = {"type": "organisational_development", "start": "2019-07-01", "label": "Organisational development"}
_CLARITY = {"type": "role_clarity", "start": "2019-07-01", "label": "Role clarity and induction"}
_PEER = {"type": "peer_support", "start": "2019-07-01", "label": "Peer support networks"}

PRESETS: dict[str, Preset] = {p.key: p for p in (
    Preset("pandemic", "Pandemic remote working",
           "The scheme starts in July 2019, and from 23 March 2020 to 19 July 2021 staff who can work from "
           "home do so for much of the week. New staff are split across three practices with no base. "
           "(The built-in default scenario also runs the vaccination programme: see that preset.)"),
    Preset("before_pandemic", "Before the pandemic (no lockdown)",
           "The same network if there had been no pandemic: staff stay on site, meet colleagues face to "
           "face and build ties. Compare with the pandemic preset.",
           params={"pandemic_start": NO_PANDEMIC, "pandemic_end": NO_PANDEMIC}),
    Preset("vaccination", "The vaccination programme",
           "The pandemic, and from 8 December 2020 joint vaccination clinics where staff from every "
           "practice and profession work side by side, a session every other week: new ties across "
           "practices and professions, extra work, and slower recruitment while managers run it (E24). "
           "This is what happened (the built-in default scenario).",
           interventions=(_VACCINATION,)),
    Preset("supervision", "Protected supervision",
           "Every ARRS staff member gets up to two protected hours of GP supervision a week (as much as "
           "their role needs), paid for in GP time and so in appointments (E11, E16, E17).", interventions=(_SUPERVISION,)),
    Preset("more_gp_time", "More GP time for supervision",
           "The network gives supervision six GP sessions a week instead of 2.5 (E17): more support, "
           "fewer GP appointments.", params={"gp_supervision_sessions": 6.0}),
    Preset("base_practice", "A base practice",
           "New staff work at two practices, one of them their base, instead of three with no base "
           "(E19): fewer places to belong to, and a team to belong to.",
           params={"practices_per_staff": 2, "has_base": True}),
    Preset("split_everywhere", "Split across every practice",
           "The opposite: each new member of staff works a little at each of the five practices and "
           "belongs to none of them.", params={"practices_per_staff": 5}),
    Preset("team_days", "Team days",
           "In-person whole-network team days every quarter (E21).", interventions=(_TEAM_DAYS,)),
    Preset("development", "Organisational development",
           "Support for the network to build a shared vision and to understand what each new role can "
           "do (E27): slow, but it reaches everyone.", interventions=(_OD, _CLARITY)),
    Preset("london", "A London network",
           "The same network in London, where local pay is higher than the scheme's cap (E26): harder to "
           "recruit and to keep staff.", params={"london": True}),
    Preset("london_weighting", "A London network with London weighting",
           "London, with the reimbursement caps raised by a London weighting (E8, E26).",
           params={"london": True},
           interventions=({"type": "london_weighting", "start": "2019-07-01", "label": "London weighting"},)),
    Preset("everything", "Everything together",
           "Joint vaccination clinics, protected supervision, a base practice, team days, organisational "
           "development and peer support, all at once.",
           interventions=(_VACCINATION, _SUPERVISION, _BASE, _TEAM_DAYS, _OD, _CLARITY, _PEER)),
)}
DEFAULT_PRESET = "pandemic"


@dataclass(frozen=True)
class Control:
    """A slider or switch of the Scenario card: the parameter it sets, a short label, and what it means."""

    name: str
    label: str  # short: the sidebar is narrow
    kind: str  # "int", "float" or "bool"
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0
    fmt: str = "{:g}"  # how the value is shown after the label
    help: str = ""

    def caption(self, value: Any) -> str:
        return self.label if self.kind == "bool" else f"{self.label}: {self.fmt.format(value)}"


CONTROLS: tuple[Control, ...] = (
    Control("pandemic", "Pandemic remote working", "bool",
            help="Remote working from 23 March 2020 to 19 July 2021 (E11, E27); off: no pandemic."),
    Control("pandemic_remote_share", "Home in pandemic", "float", 0.0, 1.0, 0.05, "{:.0%}",
            help="Share of the week worked from home in the pandemic by a role that can work remotely."),
    Control("practices_per_staff", "Practices per person", "int", 1, 5, 1,
            help="Practices each new ARRS staff member's sessions are split across (E19)."),
    Control("has_base", "Base practice for new staff", "bool",
            help="New ARRS staff have a base practice where they spend most of their on-site time (E19)."),
    Control("gp_supervision_sessions", "GP supervision", "float", 0.0, 10.0, 0.5, "{:g} sessions",
            help="GP sessions a week the network spends supervising ARRS staff (E17: 2.49)."),
    Control("homophily", "Silos", "float", 0.0, 1.0, 0.05, "{:.0%}",
            help="Share of encounters at a practice that are within one's own profession."),
    Control("shared_vision", "Shared vision", "float", 0.0, 1.0, 0.05, "{:.2f}",
            help="How far the practices pull together at the start (0 to 1; E27)."),
    Control("london", "London network", "bool",
            help="A network in London, where local pay is above the scheme's caps (E26)."),
)


@dataclass(frozen=True)
class AppSettings:
    """Everything that defines a run in the app: a preset plus the room's changes to it.

    Parameters
    ----------
    preset : str
        Key of :data:`PRESETS`.
    changes : mapping
        Values set with the Scenario card's controls (parameter names of :class:`pcnsim.params.Params`,
        plus ``"pandemic"``: False moves the pandemic out of the run), on top of the preset's.
    switched : mapping
        Interventions switched on (True) or off (False) by hand, by registry kind, on top of the preset's.
    start_week : int
        Week at which an intervention switched on by hand starts (the preset's own start otherwise).
    seed : int
        Random seed (the same seed and settings give the same run).
    weeks : int
        Length of the run; Play stops there.
    """

    preset: str = DEFAULT_PRESET
    changes: Mapping[str, Any] = field(default_factory=dict)
    switched: Mapping[str, bool] = field(default_factory=dict)
    start_week: int = 0
    seed: int = 1
    weeks: int = DEFAULT_WEEKS

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise PCNSimInputError(f"unknown preset {self.preset!r}; allowed presets: {', '.join(PRESETS)}",
                                   field="preset")
        bad = [k for k in self.switched if k not in INTERVENTIONS]
        if bad:
            raise PCNSimInputError(f"unknown intervention {bad[0]!r}; allowed: {', '.join(INTERVENTIONS)}",
                                   field="switched")

    # -- what the settings mean --------------------------------------------------------------------
    @property
    def preset_info(self) -> Preset:
        """The chosen preset (:data:`PRESETS` entry)."""
        return PRESETS[self.preset]

    def overrides(self) -> dict[str, Any]:
        """Parameter overrides for :class:`~pcnsim.model.PCNModel`: the preset's, then the changes. The app
        shows the vaccination programme as a switch of its own (the joint clinics), so the model's built-in
        programme (``vaccination_programme``) is off."""
        out = {"vaccination_programme": False, **self.preset_info.params}
        for k, v in self.changes.items():
            if k == "pandemic":
                if v:
                    out.pop("pandemic_start", None), out.pop("pandemic_end", None)
                else:
                    out["pandemic_start"] = out["pandemic_end"] = NO_PANDEMIC
            else:
                out[k] = v
        return out

    def value(self, name: str) -> Any:
        """Current value of a control (its change, else the preset's, else the default)."""
        from pcnsim.params import Params

        if name == "pandemic":
            o = self.overrides()
            return o.get("pandemic_start", Params.model_fields["pandemic_start"].default) != NO_PANDEMIC
        return self.overrides().get(name, Params.model_fields[name].default)

    def is_on(self, kind: str) -> bool:
        """Whether intervention ``kind`` is part of the run."""
        in_preset = any(d["type"] == kind for d in self.preset_info.interventions)
        return bool(self.switched.get(kind, in_preset))

    def intervention_specs(self) -> list[dict[str, Any]]:
        """Scenario-file tables of the interventions that are on (the preset's spec when it has one)."""
        specs = []
        for kind in INTERVENTIONS:
            if not self.is_on(kind):
                continue
            own = [dict(d) for d in self.preset_info.interventions if d["type"] == kind]
            specs.extend(own or [{"type": kind, "start": int(self.start_week), "label": INTERVENTIONS[kind],
                                  **DEFAULT_FIELDS.get(kind, {})}])
        return specs

    # -- changing them (each returns new settings) -------------------------------------------------
    def with_preset(self, key: str) -> AppSettings:
        """A fresh start from preset ``key`` (the room's changes are dropped; seed and length kept)."""
        return AppSettings(preset=key, seed=self.seed, weeks=self.weeks, start_week=self.start_week)

    def with_change(self, name: str, value: Any) -> AppSettings:
        """These settings with parameter (or ``"pandemic"``) ``name`` set to ``value`` (a new object)."""
        return dataclasses.replace(self, changes={**self.changes, name: value})

    def with_switch(self, kind: str, on: bool) -> AppSettings:
        """These settings with intervention ``kind`` switched on (``on=True``) or off by hand (a new object)."""
        return dataclasses.replace(self, switched={**self.switched, kind: bool(on)})

    def replace(self, **kw: Any) -> AppSettings:
        """These settings with the given fields replaced (a new object; :func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **kw)


def build_interventions(specs: list[dict[str, Any]]) -> tuple[list[Any], list[str]]:
    """Interventions from scenario tables, skipping kinds this version does not have.

    Returns the interventions and, for each one left out, a short reason (shown in the story panel).
    """
    from pcnsim.interventions import REGISTRY, from_dict

    built, left_out = [], []
    for d in specs:
        kind = d["type"]
        if kind not in REGISTRY:
            left_out.append(f"{INTERVENTIONS.get(kind, kind)} (not in this version)")
            continue
        try:
            built.append(from_dict(dict(d), where="app"))
        except PCNSimInputError as e:
            left_out.append(f"{INTERVENTIONS.get(kind, kind)} ({e})")
    return built, left_out


_run_ids = itertools.count(1)


class AppModel(PCNModel):
    """A :class:`~pcnsim.model.PCNModel` built from :class:`AppSettings`, as the app shows it.

    SolaraViz's Reset rebuilds the model as ``AppModel(settings=...)``; passing a zero-argument callable
    that returns the session's current settings makes Reset restart what the Scenario card shows.

    Parameters
    ----------
    settings : AppSettings or callable returning one, optional
        Default: the default preset.
    rng : int, optional
        Seed; default ``settings.seed`` (when given, it replaces the seed in ``self.settings``).
    """

    def __init__(self, *, settings: AppSettings | Callable[[], AppSettings] | None = None,
                 rng: int | None = None) -> None:
        s = settings() if callable(settings) else settings
        s = s if s is not None else AppSettings()
        interventions, left_out = build_interventions(s.intervention_specs())
        if rng is not None:
            s = s.replace(seed=int(rng))
        super().__init__(rng=s.seed, interventions=interventions, **s.overrides())
        self.settings = s
        self.missing_interventions = left_out
        self.weeks_total = int(s.weeks)
        self.run_id = next(_run_ids)  # tells the views that this is a new run (for caching images)

    def step(self) -> None:
        """One week; the run stops (``running`` False) after ``settings.weeks`` weeks."""
        if not self.running:
            return
        super().step()
        if self.week >= self.weeks_total:
            self.running = False


# ---------------------------------------------------------------------------------------------- Solara page


IMAGE_LAYOUT = {"width": "100%", "height": "100%", "object_fit": "contain"}  # fit the grid cell, keep aspect


def _png(fig: Any) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _run_key(model: PCNModel) -> int:
    return getattr(model, "run_id", id(model))


@solara.component
def Charts(model: AppModel) -> None:
    """Headcount, leavers, belonging and intention to leave, redrawn every week."""
    update_counter.get()
    view = solara.use_memo(lambda: app_views.ChartsView(model, getattr(model, "weeks_total", DEFAULT_WEEKS)),
                           [_run_key(model)])
    png = solara.use_memo(lambda: _png(view.update(model)), [_run_key(model), model.week])
    rw.Image(value=png, format="png", layout=IMAGE_LAYOUT)


@solara.component
def NetworkView(model: AppModel) -> None:
    """The team as a network, redrawn every week."""
    update_counter.get()
    view = solara.use_memo(lambda: app_views.NetworkView(model), [_run_key(model)])
    png = solara.use_memo(lambda: _png(view.update(model)), [_run_key(model), model.week])
    rw.Image(value=png, format="png", layout=IMAGE_LAYOUT)


@solara.component
def Story(model: AppModel) -> None:
    """What is happening, in plain words."""
    update_counter.get()
    # plain elements, not solara.Markdown: Markdown loads KaTeX from a CDN, which is not installed
    settings = getattr(model, "settings", None)
    lines = app_views.story_lines(model)
    with solara.Column(gap="4px", classes=["pcnsim-story"], style={"height": "100%", "overflow-y": "auto", "font-size": "0.9em", "line-height": "1.35"}):
        if settings is not None:
            solara.v.Html(tag="h3", children=[settings.preset_info.title])
            solara.v.Html(tag="p", children=[settings.preset_info.story], style_="color: #555; margin-bottom: 2px;")
        solara.v.Html(tag="p", children=[lines[0]], style_="font-weight: bold; margin-bottom: 2px;")
        for line in lines[1:]:
            solara.v.Html(tag="p", children=[line], style_="margin-bottom: 2px;")


@solara.component
def ScenarioCard(settings: AppSettings, on_settings: Callable[[AppSettings], None]) -> None:
    """Preset, key parameters and interventions. Every change restarts the run with the new settings."""
    titles = {p.title: k for k, p in PRESETS.items()}
    with solara.Card("Scenario"):
        solara.Select(label="Preset", values=list(titles), value=settings.preset_info.title,
                      on_value=lambda t: on_settings(settings.with_preset(titles[t])))
        solara.Text("Any change here restarts the run from week 0.", style={"font-size": "0.85em"})
        for c in CONTROLS:
            v = settings.value(c.name)

            def set_(value: Any, name: str = c.name, kind: str = c.kind) -> None:
                value = bool(value) if kind == "bool" else int(value) if kind == "int" else float(value)
                on_settings(settings.with_change(name, value))

            with solara.Tooltip(c.help), solara.Column(gap="0px"):
                if c.kind == "bool":
                    solara.Checkbox(label=c.caption(v), value=bool(v), on_value=set_)
                elif c.kind == "int":
                    solara.SliderInt(c.caption(v), value=int(v), min=int(c.lo), max=int(c.hi), step=int(c.step),
                                     on_value=set_)
                else:
                    solara.SliderFloat(c.caption(v), value=float(v), min=c.lo, max=c.hi, step=c.step, on_value=set_)
        solara.SliderInt(f"Weeks to run: {settings.weeks}", value=settings.weeks, min=52, max=520, step=13,
                         on_value=lambda v: on_settings(settings.replace(weeks=int(v))))
    with solara.Card("Interventions"):
        from pcnsim.interventions import REGISTRY

        solara.Text("Switched on here, they start at the week below (a preset's own start otherwise).",
                    style={"font-size": "0.85em"})
        solara.SliderInt(f"Start: week {settings.start_week}", value=settings.start_week,
                         min=0, max=max(settings.weeks - 1, 0), step=13,
                         on_value=lambda v: on_settings(settings.replace(start_week=int(v))))
        for kind, label in INTERVENTIONS.items():
            available = kind in REGISTRY
            solara.Checkbox(label=label if available else f"{label} (not in this version)",
                            value=settings.is_on(kind) and available, disabled=not available,
                            on_value=lambda on, kind=kind: on_settings(settings.with_switch(kind, on)))


@solara.component
def _SidebarCards(settings: AppSettings, on_settings: Callable[[AppSettings], None], error: str = "") -> None:
    with solara.Sidebar():
        if error:
            solara.Error(error)
        ScenarioCard(settings, on_settings)


@solara.component
def ScenarioSidebar(settings: AppSettings, on_settings: Callable[[AppSettings], None], error: str = "") -> None:
    """The app's own cards, in the sidebar below SolaraViz's Controls (the sidebar orders its parts by
    how deep in the page they are declared, so the cards are declared one level deeper than SolaraViz's)."""
    _SidebarCards(settings, on_settings, error)


@solara.component
def Page() -> None:
    """The app. Every browser session renders its own Page, with its own settings and model."""
    settings = solara.use_reactive(solara.use_memo(AppSettings, []))
    model = solara.use_reactive(solara.use_memo(lambda: AppModel(settings=settings.value), []))
    error = solara.use_reactive("")
    # SolaraViz's Reset calls AppModel(settings=<this>, rng=<its seed slider>): it rebuilds what the
    # Scenario card shows, with the seed chosen in SolaraViz's "Model Parameters" card
    current = solara.use_memo(lambda: (lambda: settings.value), [])
    model_params = {
        "settings": current,
        "rng": {"type": "SliderInt", "value": settings.value.seed, "min": 1, "max": 100, "step": 1,
                "label": "Random seed (applied by Reset)"},
    }

    def apply(new: AppSettings) -> None:
        new = new.replace(seed=model.value.settings.seed)  # keep the seed of the run on screen
        try:
            m = AppModel(settings=new)
        except PCNSimInputError as e:  # a combination the model rejects: keep the current run
            error.set(str(e))
            return
        error.set("")
        settings.set(new)
        model.set(m)

    SolaraViz(model, components=[(Charts, 0), (NetworkView, 0), (Story, 0)], model_params=model_params,
              name=TITLE, play_interval=150)
    ScenarioSidebar(settings.value, apply, error.value)


__all__ = ["AppModel", "AppSettings", "CONTROLS", "INTERVENTIONS", "PRESETS", "Page", "build_interventions"]
