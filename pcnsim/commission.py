"""Outputs a commissioner asks for: vacancies and how long they last, appointments per 1,000 patients, and
the run's figures by role and (for several networks) by deprivation quintile and London.

Definitions
-----------
open posts
    Each week, before the week's hires, the posts a team (a network's staff of one role; core posts counted
    over the network's practices) is recruiting to (:func:`pcnsim.mechanisms.recruitment.open_posts`).
time to fill (weeks)
    Open post-weeks over the run / posts filled (hires): the mean time a post waits for its hire, by
    Little's law (exact in a steady state; the week a post is filled counts as a week open). NaN without
    hires.
vacancy duration (weeks)
    The mean length of a team's *vacancy spells*: runs of consecutive weeks with at least one open post,
    counting spells that ended during the run (``vacancy_spells``); spells still open at the end are
    counted apart (``vacancy_spells_open_end``), since their length is not yet known.
appointments per 1,000 patients (per week)
    Patient contacts delivered by the staff in post (FTE x the role's appointments x the learning curve),
    per week, per 1,000 weighted patients. By role and group these are the staff's own (gross) contacts;
    the network figure ``appointments_per_1000_week`` is net of the GP sessions spent supervising, as the
    run's ``appointments``.
deprivation quintile
    Networks ranked by the share of their population in very deprived areas (E3): quintile 1 the least
    deprived fifth, 5 the most (ties keep population order).

Every figure is computed from the staff arrays and weekly counts by team, with no loop over staff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pcnsim.mechanisms import recruitment as rec
from pcnsim.roles import GP, NURSE

if TYPE_CHECKING:
    from pcnsim.model import PCNModel

#: The metrics of :func:`breakdown`, with their units.
GROUP_METRICS: dict[str, str] = {
    "arrs_fte_end": "FTE",
    "arrs_joiners": "people",
    "arrs_leavers": "people",
    "arrs_leaver_rate": "per year",
    "arrs_retention_12m": "share",
    "time_to_fill_weeks": "weeks",
    "vacancy_duration_weeks": "weeks",
    "appointments_per_1000_week": "appointments per 1,000 patients a week",
}


class VacancyLog:
    """Open posts per team (network x role), week by week: post-weeks and vacancy spells.

    Parameters
    ----------
    n_networks, n_roles : int
        The model's teams.
    prac_network : ndarray
        Each practice's network (core posts are counted per practice and summed per network).
    """

    def __init__(self, n_networks: int, n_roles: int, prac_network: np.ndarray) -> None:
        self.prac_network = np.asarray(prac_network, dtype=np.int64)
        shape = (n_networks, n_roles)
        self.post_weeks = np.zeros(shape)
        self.spell = np.zeros(shape, dtype=np.int64)  # weeks the current spell has lasted (0: none open)
        self.spells_done = np.zeros(shape, dtype=np.int64)
        self.spell_weeks_done = np.zeros(shape, dtype=np.int64)
        self.weeks = 0

    def observe(self, arrs_posts: np.ndarray, core_posts: np.ndarray) -> None:
        """Record one week: open ARRS posts (networks x roles) and core posts (practices x {GP, nurse})."""
        open_ = np.array(arrs_posts, dtype=np.float64)
        n = open_.shape[0]
        for col, role in ((0, GP), (1, NURSE)):
            open_[:, role] += np.bincount(self.prac_network, weights=core_posts[:, col], minlength=n)
        self.post_weeks += open_
        is_open = open_ > 0
        ended = ~is_open & (self.spell > 0)
        self.spells_done += ended
        self.spell_weeks_done += np.where(ended, self.spell, 0)
        self.spell = np.where(is_open, self.spell + 1, 0)
        self.weeks += 1


def _hired(model: PCNModel) -> np.ndarray:
    """Which staff rows were hired during the run (rows after those in post at week 0; an initial core
    member's drawn tenure may be 0 weeks, so the hire week alone cannot tell)."""
    first = int(model.recorder.start_headcount.sum())
    return np.arange(model.staff.n) >= first


def _hires(model: PCNModel) -> np.ndarray:
    s = model.staff
    hired, nr = _hired(model), model.roles.n
    team = s.view("network")[hired].astype(np.int64) * nr + s.view("role")[hired]
    return np.bincount(team, minlength=model.n_networks * nr).reshape(model.n_networks, nr).astype(float)


def gross_appointments(model: PCNModel) -> np.ndarray:
    """Patient contacts delivered over the run per team (networks x roles): each person's FTE x the role's
    appointments x their learning curve, summed over the weeks they were in post (the staff's own contacts,
    before GP time spent supervising)."""
    s, T = model.staff, model.week
    hire = s.view("hire_week").astype(np.int64)
    leave = s.view("leave_week").astype(np.int64)
    a = np.maximum(hire, 0)
    b = np.where(leave >= 0, leave, T)
    span = int(max(T - hire.min(initial=0), 1)) + 1
    cum = np.concatenate([[0.0], np.cumsum(rec.productivity(np.arange(span), model.params.learning_weeks))])
    ok = b > a
    weeks_prod = np.where(ok, cum[np.clip(b - hire, 0, span)] - cum[np.clip(a - hire, 0, span)], 0.0)
    role = s.view("role").astype(np.int64)
    contacts = weeks_prod * s.view("fte") * model.roles.appointments[role]
    nr = model.roles.n
    team = s.view("network").astype(np.int64) * nr + role
    return np.bincount(team, weights=contacts, minlength=model.n_networks * nr).reshape(model.n_networks, nr)


def groups(model: PCNModel) -> dict[str, np.ndarray]:
    """Each network's group: ``deprivation_quintile`` (1 least to 5 most deprived) and ``london``."""
    dep = model.pop.net_deprivation
    rank = np.argsort(np.argsort(dep, kind="stable"), kind="stable")
    quintile = 1 + (rank * 5) // max(len(dep), 1)
    return {"deprivation_quintile": quintile.astype(np.int64), "london": model.pop.net_london.astype(bool)}


def _team_figures(model: PCNModel) -> dict[str, np.ndarray]:
    """Per team (networks x roles): the sums every figure of this module is a ratio of."""
    s, T, log = model.staff, model.week, model.vacancy_log
    role = s.view("role").astype(np.int64)
    net = s.view("network").astype(np.int64)
    nr = model.roles.n
    team = net * nr + role
    hire, leave = s.view("hire_week").astype(np.int64), s.view("leave_week").astype(np.int64)
    size = model.n_networks * nr

    def per_team(weights: np.ndarray) -> np.ndarray:
        return np.bincount(team, weights=weights.astype(float), minlength=size).reshape(model.n_networks, nr)

    in_post = s.view("active")
    years_in_post = np.clip(np.where(leave >= 0, leave, T) - np.maximum(hire, 0), 0, None) / 52.1775
    anchor = T - 52
    at_anchor = (hire < anchor) & ((leave < 0) | (leave >= anchor)) if T >= 52 else np.zeros(len(hire), bool)
    return {
        "fte_end": per_team(np.where(in_post, s.view("fte"), 0.0)),
        "joiners": per_team(_hired(model)),
        "leavers": per_team(leave >= 0),
        "person_years": per_team(years_in_post),
        "anchor": per_team(at_anchor),
        "stayed": per_team(at_anchor & (leave < 0)),
        "post_weeks": log.post_weeks,
        "hires": _hires(model),
        "spells": log.spells_done.astype(float),
        "spell_weeks": log.spell_weeks_done.astype(float),
        "spells_open": (log.spell > 0).astype(float),
        "appointments": gross_appointments(model),
    }


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def _figures(t: dict[str, np.ndarray], nets: np.ndarray, roles: np.ndarray, patients: float, weeks: int,
             arrs: np.ndarray) -> dict[str, float]:
    def tot(k: str, r: np.ndarray = roles) -> float:
        return float(t[k][np.ix_(nets, r)].sum())

    ar = roles & arrs
    return {
        "arrs_fte_end": tot("fte_end", ar),
        "arrs_joiners": tot("joiners", ar),
        "arrs_leavers": tot("leavers", ar),
        "arrs_leaver_rate": _ratio(tot("leavers", ar), tot("person_years", ar)),
        "arrs_retention_12m": _ratio(tot("stayed", ar), tot("anchor", ar)),
        "time_to_fill_weeks": _ratio(tot("post_weeks"), tot("hires")),
        "vacancy_duration_weeks": _ratio(tot("spell_weeks"), tot("spells")),
        "appointments_per_1000_week": _ratio(tot("appointments"), weeks * patients / 1000.0),
    }


def breakdown(model: PCNModel) -> pd.DataFrame:
    """The run's figures (:data:`GROUP_METRICS`) by role, and for a model of several networks by deprivation
    quintile and London: a tidy frame with columns ``by``, ``group``, ``metric``, ``value``.

    By role, the ARRS figures of a core role are NaN-free zeros (it has no ARRS staff); by network group,
    every figure is over all roles (ARRS figures over the ARRS roles)."""
    t = _team_figures(model)
    arrs = model.roles.arrs
    nets_all = np.ones(model.n_networks, bool)
    patients = model.pop.net_patients
    rows: list[dict[str, Any]] = []
    from pcnsim.results import roles_in_run

    shown = roles_in_run(model)
    for i in np.flatnonzero(shown):
        mask = np.arange(model.roles.n) == i
        f = _figures(t, nets_all, mask, float(patients.sum()), model.week, arrs)
        if not arrs[i]:
            f = {k: v for k, v in f.items() if not k.startswith("arrs_")}
        rows += [{"by": "role", "group": model.roles.keys[i], "metric": k, "value": v} for k, v in f.items()]
    if model.n_networks > 1:
        for by, g in groups(model).items():
            for value in np.unique(g):
                nets = g == value
                f = _figures(t, nets, np.ones(model.roles.n, bool), float(patients[nets].sum()), model.week, arrs)
                label = str(bool(value)).lower() if by == "london" else str(int(value))
                rows += [{"by": by, "group": label, "metric": k, "value": v} for k, v in f.items()]
    return pd.DataFrame(rows, columns=["by", "group", "metric", "value"])


def commission_summary(model: PCNModel) -> dict[str, Any]:
    """The commissioner's figures of a run: by role (time to fill, vacancy duration and spells, appointments
    per 1,000 patients a week) and for the whole population (appointments per 1,000, net of supervision)."""
    t = _team_figures(model)
    from pcnsim.results import roles_in_run

    patients = float(model.pop.net_patients.sum())
    weeks = max(model.week, 1)
    by_role = []
    for i in np.flatnonzero(roles_in_run(model)):
        col = (slice(None), i)
        by_role.append({
            "role": model.roles.keys[i],
            "time_to_fill_weeks": _ratio(t["post_weeks"][col].sum(), t["hires"][col].sum()),
            "vacancy_duration_weeks": _ratio(t["spell_weeks"][col].sum(), t["spells"][col].sum()),
            "vacancy_spells": int(t["spells"][col].sum()),
            "vacancy_spells_open_end": int(t["spells_open"][col].sum()),
            "open_post_weeks": float(t["post_weeks"][col].sum()),
            "hires": int(t["hires"][col].sum()),
            "appointments_per_1000_week": float(t["appointments"][col].sum()) / weeks / patients * 1000.0,
        })
    weekly = model.recorder.weekly()
    net = float(weekly["appointments"].sum()) if len(weekly) else 0.0
    return {"by_role": by_role, "patients": patients,
            "appointments_per_1000_week": net / weeks / patients * 1000.0}


def group_table(groups: pd.DataFrame, names: list[str], by: str) -> pd.DataFrame:
    """Reduce the replicates' :func:`breakdown` rows (``groups``: scenario, replicate, by, group, metric,
    value) for one ``by``: per scenario, group and metric the median, 5% and 95% quantiles over replicates
    and, for each scenario after the first (``names[0]``), the mean paired difference from the first with
    its 90% bootstrap confidence interval (replicates paired by number: common random numbers)."""
    from pcnsim.experiments import _bootstrap_mean_ci, _reduce

    sub = groups[groups["by"] == by]
    if sub.empty:
        raise ValueError(f"no figures by {by!r}; available: {', '.join(map(str, groups['by'].unique()))} "
                         "(deprivation quintile and London need several networks)")
    base = sub[sub["scenario"] == names[0]].set_index(["group", "metric", "replicate"])["value"]
    rows = []
    for (name, group, metric), g in sub.groupby(["scenario", "group", "metric"], sort=False):
        v = g["value"].to_numpy(dtype=float)
        row = {"scenario": name, "by": by, "group": group, "metric": metric,
               "unit": GROUP_METRICS.get(metric, ""), **_reduce(v)}
        if name != names[0]:
            ref = base.reindex(pd.MultiIndex.from_arrays([[group] * len(g), [metric] * len(g), g["replicate"]]))
            d = v - ref.to_numpy(dtype=float)
            lo, hi = _bootstrap_mean_ci(d)
            row.update(diff_mean=float(np.nanmean(d)) if np.isfinite(d).any() else float("nan"),
                       diff_lo=lo, diff_hi=hi)
        rows.append(row)
    cols = ["scenario", "by", "group", "metric", "unit", "median", "lo", "hi", "mean", "n",
            "diff_mean", "diff_lo", "diff_hi"]
    return pd.DataFrame(rows).reindex(columns=cols)


def format_group_table(table: pd.DataFrame) -> str:
    """A :func:`group_table` as text: one block per scenario, groups down, metrics across, each cell the
    median [90% interval]; for scenarios after the first, the mean paired difference (90% CI) below."""
    by = str(table["by"].iloc[0]) if len(table) else ""
    lines = [f"Commissioner's figures by {by.replace('_', ' ')}: median [90% interval over replicates]"]
    for name, sub in table.groupby("scenario", sort=False):
        cells = sub.assign(cell=[f"{m:.3g} [{lo:.3g}, {hi:.3g}]" if np.isfinite(m) else "-"
                                 for m, lo, hi in zip(sub["median"], sub["lo"], sub["hi"], strict=True)])
        t = cells.pivot(index="group", columns="metric", values="cell").reindex(
            index=list(dict.fromkeys(sub["group"])), columns=[m for m in GROUP_METRICS if m in set(sub["metric"])])
        lines += ["", f"{name}:", t.fillna("-").to_string()]
        if sub["diff_mean"].notna().any():
            d = sub.assign(cell=[f"{m:+.3g} ({lo:+.3g}, {hi:+.3g})" if np.isfinite(m) else "-"
                                 for m, lo, hi in zip(sub["diff_mean"], sub["diff_lo"], sub["diff_hi"], strict=True)])
            t = d.pivot(index="group", columns="metric", values="cell").reindex(index=t.index, columns=t.columns)
            lines += [f"{name} minus the first scenario: mean paired difference (90% CI)", t.fillna("-").to_string()]
    return "\n".join(lines)
