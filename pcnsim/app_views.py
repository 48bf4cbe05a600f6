"""What the teaching app draws: the charts, the network view of the team, and the plain-language story.

Pure functions of a model (no Solara here), so they can be tested and reused in notebooks:

* :func:`charts_figure`: headcount, leavers, belonging and intention to leave, week by week, with the
  pandemic and the interventions shaded;
* :func:`network_figure`: staff as nodes coloured by profession and grouped by practice, ties drawn by
  strength, people working their notice ringed in red, and leavers fading out as they leave;
* :func:`story`: a few sentences saying what is happening this week, and why.

Figures are built with Matplotlib's object API (``matplotlib.figure.Figure``, no pyplot), which is safe
in a server where several sessions draw at once. Drawing is array work over all staff (no Python loop
over people), so a redraw stays well under a second for a network of a few hundred staff.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MultipleLocator

from pcnsim.mechanisms import presence as pres
from pcnsim.roles import ROLES

if TYPE_CHECKING:
    from pcnsim.model import PCNModel

ROLE_COLOURS = np.array([r.colour for r in ROLES])
FADE_WEEKS = 8  # leavers stay on the network view this many weeks, drifting out and fading
QUARTER = 13  # weeks
PRACTICE_RADIUS = 0.42  # radius of a practice's disc; practice centres sit on the unit circle
MIN_TIE = 0.05  # ties weaker than this are not drawn
PANDEMIC_COLOUR = "#f4cccc"
INTERVENTION_COLOUR = "#d9ead3"


# ---------------------------------------------------------------------------------------------- helpers
def week_date(model: PCNModel, week: int | float) -> dt.date:
    """Calendar date of the start of week ``week`` of a run."""
    return model.params.start_date + dt.timedelta(weeks=float(week))


def _as_date(model: PCNModel, when: int | dt.date | None) -> dt.date | None:
    if when is None or isinstance(when, dt.date):
        return when
    return week_date(model, int(when))


def intervention_label(iv: Any) -> str:
    """A short name for an intervention: its label, else its kind in words."""
    label = getattr(iv, "label", None)
    return label or str(getattr(iv, "kind", type(iv).__name__)).replace("_", " ").capitalize()


def _active_interventions(model: PCNModel) -> list[Any]:
    return [iv for iv in model.interventions if iv.is_active(max(model.week - 1, 0), model.date)]


def year_of(model: PCNModel, week: np.ndarray | float) -> np.ndarray | float:
    """Time axis of the charts: decimal years (2020.0 is 1 January 2020), week by week from the start."""
    d0 = model.params.start_date
    y0 = d0.year + (d0 - dt.date(d0.year, 1, 1)).days / 365.25
    return y0 + np.asarray(week, dtype=float) * 7.0 / 365.25


def _year_of_date(d: dt.date) -> float:
    return d.year + (d - dt.date(d.year, 1, 1)).days / 365.25


def history(model: PCNModel) -> dict[str, np.ndarray]:
    """The weekly outputs collected so far, as arrays (row 0: the start, before the first week), with
    ``"year"``, the time axis in decimal years.

    Read straight from the DataCollector's lists and cut to the shortest, so that a drawing made while
    another thread is recording a week (SolaraViz's "Use Threads") never sees columns of unequal length.
    """
    cols = {k: list(v) for k, v in model.datacollector.model_vars.items()}
    n = min((len(v) for v in cols.values()), default=0)
    out = {k: np.asarray(v[:n], dtype=float) for k, v in cols.items()}
    out["year"] = year_of(model, np.arange(n))
    return out


# ---------------------------------------------------------------------------------------------- charts
class ChartsView:
    """Four small charts: staff in post, leavers, belonging and intention to leave (ARRS staff).

    Built once per run (axes, ticks, shading, legends) and updated week by week with :meth:`update`,
    which only replaces the data: rebuilding the axes every week costs most of the drawing time.

    Parameters
    ----------
    model : PCNModel
        The run to show (its parameters and interventions fix the shading).
    weeks : int, optional
        Length of the run in weeks, to fix the time axis (default: the weeks run so far, at least 52).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        6 x 4.4 inches. Weeks of pandemic remote working are shaded pink, weeks with an intervention
        running green; the time axis is in years.
    """

    def __init__(self, model: PCNModel, weeks: int | None = None) -> None:
        self.weeks = weeks = max(weeks or 0, model.week, 52)
        x0, x1 = float(year_of(model, 0)), float(year_of(model, weeks))
        fig = self.figure = Figure(figsize=(6.0, 4.4), dpi=90)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.08, top=0.93, wspace=0.22, hspace=0.3)
        axs = self.axes = fig.subplots(2, 2, sharex=True)
        (a_head, a_leave), (a_bel, a_int) = axs
        self.head = a_head.plot([], [], color="#444444", label="all staff")[0]
        self.arrs = a_head.plot([], [], color="#2ca02c", label="new (ARRS) roles")[0]
        a_head.set_title("Staff in post", fontsize=10.5)
        # one line per week with leavers (a LineCollection: much faster to draw than bars)
        self.leave_bars = a_leave.vlines([], 0, [], color="#d62728", alpha=0.45, lw=2, label="each week")
        self.leave_roll = a_leave.plot([], [], color="#d62728", label=f"last {QUARTER} weeks")[0]
        a_leave.set_title("Leavers", fontsize=10.5)
        self.belonging = a_bel.plot([], [], color="#1f77b4")[0]
        a_bel.set_title("Belonging, ARRS staff (0 to 1)", fontsize=10.5)
        a_bel.set_ylim(0, 1)
        self.intending = a_int.plot([], [], color="#ff7f0e")[0]
        a_int.set_title("Intend to leave within a year, ARRS", fontsize=10.5)
        a_int.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")

        p = model.params
        spans = []
        if p.pandemic_start < p.pandemic_end and _year_of_date(p.pandemic_start) < x1:
            spans.append((_year_of_date(p.pandemic_start), _year_of_date(p.pandemic_end), PANDEMIC_COLOUR, "pandemic"))
        for iv in model.interventions:
            a, b = _as_date(model, iv.start), _as_date(model, iv.end)
            spans.append((_year_of_date(a), _year_of_date(b) if b else x1, INTERVENTION_COLOUR, "intervention"))
        for ax in axs.ravel():
            for a, b, colour, _ in spans:
                ax.axvspan(a, b, color=colour, alpha=0.5, lw=0, zorder=0)
            ax.set_xlim(x0, x1)
            ax.tick_params(labelsize=8.5)
            ax.grid(alpha=0.3)
            ax.xaxis.set_major_locator(MultipleLocator(1.0))
            ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}")
        handles, labels = a_head.get_legend_handles_labels()
        for colour, name in ((PANDEMIC_COLOUR, "pandemic"), (INTERVENTION_COLOUR, "intervention")):
            if any(s[3] == name for s in spans):
                handles.append(Line2D([], [], color=colour, lw=6))
                labels.append(name)
        a_head.legend(handles, labels, fontsize=7, loc="lower right")
        a_leave.legend(fontsize=7, loc="upper left")

    def update(self, model: PCNModel) -> Figure:
        """Show the weeks run so far; returns the figure."""
        h = history(model)
        x = h["year"]
        (a_head, a_leave), (_a_bel, a_int) = self.axes
        self.head.set_data(x, h["Headcount"])
        self.arrs.set_data(x, h["ARRS headcount"])
        a_head.set_ylim(0, _nice_top(1.15 * float(np.nanmax(h["Headcount"])), 10.0))
        leavers = h["Leavers"]
        nz = leavers > 0
        xs = x[nz]
        self.leave_bars.set_segments(np.stack([np.column_stack([xs, np.zeros_like(xs)]),
                                               np.column_stack([xs, leavers[nz]])], axis=1))
        roll = np.convolve(leavers, np.ones(QUARTER), mode="full")[: len(x)]
        self.leave_roll.set_data(x, roll)
        a_leave.set_ylim(0, _nice_top(1.2 * float(roll.max(initial=0)), 4.0))
        none = h["ARRS headcount"] <= 0  # no ARRS staff in post: nothing to average
        self.belonging.set_data(x, np.where(none, np.nan, h["Belonging (ARRS mean)"]))
        share = np.where(none, np.nan, h["Intending to leave (ARRS share)"])
        self.intending.set_data(x, share)
        a_int.set_ylim(0, _nice_top(1.1 * float(np.nanmax(share, initial=0)), 0.5, step=0.1))
        return self.figure


def _nice_top(value: float, floor: float, step: float = 5.0) -> float:
    """An axis top at least ``floor``, rounded up to a multiple of ``step`` (so it changes rarely)."""
    return max(floor, float(np.ceil(value / step) * step))


def charts_figure(model: PCNModel, weeks: int | None = None) -> Figure:
    """The charts of :class:`ChartsView` for the weeks run so far (a new figure)."""
    return ChartsView(model, weeks).update(model)


# ---------------------------------------------------------------------------------------------- network
def practice_centres(n_practices: int) -> np.ndarray:
    """Centres of the practices' discs: evenly on the unit circle, the first at the top."""
    if n_practices == 1:
        return np.zeros((1, 2))
    a = np.pi / 2 - 2 * np.pi * np.arange(n_practices) / n_practices
    return np.column_stack([np.cos(a), np.sin(a)])


def _jitter(ids: np.ndarray, radius: float) -> np.ndarray:
    """A stable offset for each staff id inside a disc (golden-angle spiral by id: no jumps between weeks)."""
    ang = ids * 2.399963229728653
    rad = radius * np.sqrt((ids * 0.6180339887498949) % 1.0)
    return np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])


def staff_positions(model: PCNModel, ids: np.ndarray, network: int = 0) -> np.ndarray:
    """Where each of ``ids`` is drawn: core staff inside their practice's disc; ARRS staff at the
    time-weighted centre of the practices their sessions are split across (with a base practice they sit
    close to it; split evenly across several they sit between them, part of no practice's team)."""
    s = model.staff
    n_prac = int(model.net_n_prac[network])
    centres = practice_centres(n_prac)
    split_n, base = s.split_n[ids].astype(np.int64), s.has_base[ids]
    lev = getattr(model, "levers", None)  # this week's levers (PCNModel keeps them)
    if lev is not None and (lev.split_cap is not None or lev.force_base is not None):
        # this week's split after interventions (a base practice policy), for people the levers cover
        cover = ids < lev.n_staff
        cap = None if lev.split_cap is None else np.where(cover, lev.split_cap[np.minimum(ids, lev.n_staff - 1)], 0)
        fb = None if lev.force_base is None else np.where(cover, lev.force_base[np.minimum(ids, lev.n_staff - 1)], False)
        split_n, base = pres.effective_split(split_n, base, np.full(len(ids), n_prac), cap, fb)
    split_n = np.clip(split_n, 1, n_prac)
    first = s.split_first[ids].astype(np.int64)
    k = np.arange(n_prac)
    member = k[None, :] < split_n[:, None]  # k-th practice of the split (0 = first = base)
    share = np.where(base[:, None] & (split_n[:, None] > 1),
                     np.where(k[None, :] == 0, model.params.base_share,
                              (1 - model.params.base_share) / np.maximum(split_n[:, None] - 1, 1)),
                     1.0 / split_n[:, None]) * member
    local = (first[:, None] + k[None, :]) % n_prac
    pos = np.einsum("ik,ikd->id", share, centres[local])
    core = ~model.roles.arrs[s.role[ids]]
    radius = np.where(core, 0.85 * PRACTICE_RADIUS, 0.3)
    return pos + _jitter(ids, 1.0) * radius[:, None]


class NetworkView:
    """The team as a network: who is in post, where, how strongly tied, and who is leaving.

    Nodes are staff, coloured by profession (``pcnsim.roles``), sized by their sense of belonging and faded
    by the share of the week they work from home; core staff sit in their practice's disc, ARRS staff
    where their sessions take them (see :func:`staff_positions`). Grey lines are ties, thicker and darker
    when stronger. A red ring marks someone working their notice; a grey cross drifting out marks someone
    who has left in the last ``FADE_WEEKS`` weeks.

    Built once per run and updated week by week with :meth:`update` (only the data change).

    Parameters
    ----------
    model : PCNModel
        The run to show.
    network : int
        Which network of the model to draw (the app has one).
    """

    def __init__(self, model: PCNModel, network: int = 0) -> None:
        self.network = network
        n_prac = int(model.net_n_prac[network])
        fig = self.figure = Figure(figsize=(6.0, 4.4), dpi=90)
        ax = self.ax = fig.add_axes((0.0, 0.0, 0.68, 0.92))
        ax.set_aspect("equal")
        ax.set_axis_off()
        lim = 1.0 + PRACTICE_RADIUS + 0.35
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        for k, (cx, cy) in enumerate(practice_centres(n_prac)):
            ax.add_patch(_circle((cx, cy), PRACTICE_RADIUS))
            # label just outside the disc, away from the network's centre
            d = np.array([cx, cy]) / np.hypot(cx, cy) if n_prac > 1 else np.array([0.0, 1.0])
            lx, ly = np.array([cx, cy]) + d * (PRACTICE_RADIUS + 0.13)
            ax.text(lx, ly, f"Practice {k + 1}", ha="center", va="center", fontsize=8, color="#555555")
        self.ties = LineCollection(np.empty((0, 2, 2)), zorder=1)
        ax.add_collection(self.ties)
        self.staff = ax.scatter(np.empty(0), np.empty(0), zorder=3)
        self.leavers = ax.scatter(np.empty(0), np.empty(0), marker="x", zorder=2)
        self.title = ax.set_title("", fontsize=11, loc="left")
        self._legend_roles: tuple[int, ...] | None = None

    def update(self, model: PCNModel) -> Figure:
        """Show the team as it is now; returns the figure."""
        s, network = model.staff, self.network
        n = s.n
        rows = np.arange(n)
        in_net = s.network[:n] == network
        act = rows[s.active[:n] & in_net]
        gone = rows[(~s.active[:n]) & in_net & (s.leave_week[:n] >= 0) & (s.leave_week[:n] >= model.week - FADE_WEEKS)]
        pos_of = np.zeros((n + 1, 2))
        pos_of[act] = staff_positions(model, act, network)
        # ties: each pair once, both ends in post, weakest drawn first
        tj, tw = s.tie_j[act], s.tie_w[act]
        src = np.repeat(act, tj.shape[1])
        dst, w = tj.ravel(), tw.ravel()
        ok = (dst > src) & (w >= MIN_TIE)
        ok[ok] &= s.active[dst[ok]]
        order = np.argsort(w[ok])
        src, dst, w = src[ok][order], dst[ok][order], w[ok][order]
        colours = np.zeros((len(w), 4))
        colours[:, :3] = 0.25
        colours[:, 3] = 0.08 + 0.5 * w
        self.ties.set_segments(np.stack([pos_of[src], pos_of[dst]], axis=1))
        self.ties.set_color(colours)
        self.ties.set_linewidth(0.3 + 2.2 * w)
        # people in post
        rgba = _rgba(np.asarray(model.roles.colours)[s.role[act]])
        rgba[:, 3] = 1.0 - 0.6 * np.clip(s.remote[act], 0, 1)
        notice = s.notice_left[act] >= 0
        self.staff.set_offsets(pos_of[act])
        self.staff.set_sizes(12 + 70 * np.clip(s.belonging[act], 0, 1))
        self.staff.set_facecolor(rgba)
        self.staff.set_edgecolor(np.where(notice[:, None], [[0.85, 0.0, 0.0, 1.0]], [[1.0, 1.0, 1.0, 0.9]]))
        self.staff.set_linewidth(np.where(notice, 1.8, 0.5))
        # leavers drift outwards and fade
        p = staff_positions(model, gone, network)
        age = (model.week - s.leave_week[gone]).astype(float)
        p = p + p / np.maximum(np.hypot(p[:, 0], p[:, 1]), 0.2)[:, None] * (0.12 * age)[:, None]
        grey = _rgba(np.full(len(gone), "#777777"))
        grey[:, 3] = np.clip(0.9 * (1 - age / (FADE_WEEKS + 1)), 0.05, 1)
        self.leavers.set_offsets(p)
        self.leavers.set_sizes(np.full(len(gone), 30.0))
        self.leavers.set_facecolor(grey)
        self.leavers.set_edgecolor(grey)
        self.leavers.set_linewidth(1.2)
        self._update_legend(tuple(sorted(set(s.role[act].tolist()))), model.roles)
        self.title.set_text(f"The team in week {model.week}: {len(act)} in post")
        return self.figure

    def _update_legend(self, present: tuple[int, ...], roles: Any) -> None:
        if present == self._legend_roles:
            return
        self._legend_roles = present
        handles = [Line2D([], [], marker="o", ls="", color=roles.colours[r], label=roles.labels[r]) for r in present]
        handles += [
            Line2D([], [], marker="o", ls="", mfc="white", mec="#d90000", mew=1.8, label="working their notice"),
            Line2D([], [], marker="x", ls="", color="#777777", label="left (fading out)"),
        ]
        self.ax.legend(handles=handles, fontsize=7.5, loc="upper left", bbox_to_anchor=(0.97, 1.0),
                       handletextpad=0.2, labelspacing=0.3, frameon=False)


def network_figure(model: PCNModel, network: int = 0) -> Figure:
    """The network view of :class:`NetworkView` as it is now (a new figure)."""
    return NetworkView(model, network).update(model)


def _circle(xy: tuple[float, float], r: float) -> Any:
    from matplotlib.patches import Circle

    return Circle(xy, r, facecolor="#f2f2f2", edgecolor="#bbbbbb", lw=1.0, zorder=0)


def _rgba(colours: np.ndarray) -> np.ndarray:
    from matplotlib.colors import to_rgba_array

    return to_rgba_array(colours).copy()


# ---------------------------------------------------------------------------------------------- story
DRIVERS = {
    "isolation": "isolation (weak ties to the team)",
    "support": "too little supervision and peer support",
    "discrepancy": "doing work other than the job they were hired for",
    "burnout": "burnout from the workload",
    "pay": "pay below the local market",
    "contagion": "colleagues they were close to leaving",
}


def intention_drivers(model: PCNModel) -> dict[str, float]:
    """Mean push of each driver on ARRS staff's log-odds of intending to leave (``leaving.log_odds``), with
    the model's own weights (network 0's)."""
    from pcnsim.mechanisms.wellbeing import Weights

    s = model.staff
    w = Weights.of(model.params)
    ids = s.active_ids()
    ids = ids[model.roles.arrs[s.role[ids]]]
    if not len(ids):
        return {}
    return {
        "isolation": float(w.w_isolation[0]) * float(np.mean(1 - s.belonging[ids])),
        "support": float(w.w_supervision[0]) * float(np.mean(1 - s.support[ids])),
        "discrepancy": float(w.w_discrepancy[0]) * float(np.mean(s.discrepancy[ids])),
        "burnout": float(w.w_burnout[0]) * float(np.mean(s.burnout[ids])),
        "pay": float(w.w_pay[0]) * float(np.mean(s.pay_gap[ids])),
        "contagion": float(w.w_contagion[0]) * float(np.mean(s.contagion[ids])),
    }


def _trend(now: float, before: float, tol: float = 0.02) -> str:
    if now > before + tol:
        return "rising"
    if now < before - tol:
        return "falling"
    return "steady"


def story(model: PCNModel) -> str:
    """What is happening this week, in a few plain sentences (Markdown: the first line in bold)."""
    lines = story_lines(model)
    return "\n\n".join([f"**{lines[0]}**", *lines[1:]])


def story_lines(model: PCNModel) -> list[str]:
    """What is happening this week, in a few plain sentences: the date first, then one idea a line."""
    p, s = model.params, model.staff
    week, date = model.week, (model.date if model.week else p.start_date)
    h = history(model)
    now = {k: v[-1] for k, v in h.items()}
    ago = {k: v[max(len(v) - 1 - QUARTER, 0)] for k, v in h.items()}
    lines = [f"Week {week}: {date:%d %B %Y}."]
    if date < p.arrs_start:
        lines.append("The Additional Roles scheme has not started: the practices have only their GPs and nurses.")
    if model.is_pandemic(date):
        lines.append(f"Pandemic: staff who can work from home spend up to {p.pandemic_remote_share:.0%} of the week "
                     "there, so fewer ties are renewed face to face and those not renewed fade.")
    elif date >= p.pandemic_end and p.pandemic_start < p.pandemic_end:
        lines.append("The pandemic's remote working is over; people are back on site most of the week.")
    active = _active_interventions(model)
    if active:
        lines.append("Interventions now: " + "; ".join(intervention_label(iv) for iv in active) + ".")
    ids = s.active_ids()
    arrs = model.roles.arrs[s.role[ids]]
    gained = int(now["ARRS headcount"] - ago["ARRS headcount"])
    lines.append(f"In post: {len(ids)} people, {int((~arrs).sum())} GPs and nurses and {int(arrs.sum())} in the "
                 f"new ARRS roles ({gained:+d} in the last quarter).")
    recent = int(h["Leavers"][-QUARTER:].sum()) if week else 0
    total = int(h["Leavers"][1:].sum())
    notice = int((s.notice_left[ids] >= 0).sum())
    lines.append(f"{recent} left in the last {QUARTER} weeks ({total} since the start); "
                 f"{notice} {'is' if notice == 1 else 'are'} working their notice.")
    if arrs.any():
        b_now, b_ago = float(now["Belonging (ARRS mean)"]), float(ago["Belonging (ARRS mean)"])
        lines.append(f"ARRS staff's sense of belonging is {b_now:.2f} on a 0 to 1 scale "
                     f"({_trend(b_now, b_ago)}; {b_ago:.2f} a quarter ago), and "
                     f"{float(now['Intending to leave (ARRS share)']):.0%} of them intend to leave within a year.")
        drivers = intention_drivers(model)
        top = max(drivers, key=drivers.get)
        lines.append(f"The strongest push to leave is {DRIVERS[top]}.")
    missing = getattr(model, "missing_interventions", ())
    if missing:
        lines.append("Not available in this version (left out): " + ", ".join(missing) + ".")
    if not model.running:
        lines.append("The run has reached its last week: press Reset (or pick a preset) to start again.")
    return lines
