"""Weekly results, run summaries and tidy frames.

:class:`Recorder` keeps one row of network-level outputs and one vector per role per week (cheap
``bincount``s over the staff arrays). :func:`summarise` turns a finished model into the run summary: per
role and for the network, the figures ``pcnsim run`` prints and writes.

Definitions
-----------
annual leaver rate
    leavers / mean headcount / years simulated (NHS turnover convention, E14).
leavers by kind
    ``leavers_resignation`` (driven by intention: the only exits a workplace lever can change), and the
    lever-free ``leavers_retirement``, ``leavers_relocation`` and ``leavers_end_of_post``;
    ``lever_free_share`` is the share of leavers who left for a lever-free reason.
12-month retention
    of the people in post 52 weeks before the end, the share still in post at the end (the NHS
    "stability index"); NaN for runs shorter than 52 weeks.
unspent share
    1 - claims / allocation over the complete financial years simulated (E9).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from pcnsim._jit import njit
from pcnsim.roles import N_ROLES, ROLES
from pcnsim.state import EXIT_KINDS

if TYPE_CHECKING:
    from pcnsim.model import PCNModel

#: leavers by kind of exit (``pcnsim.state.EXIT_KINDS``): resignations, and the lever-free exits
LEAVER_KINDS: dict[str, int] = {f"leavers_{k}": i for i, k in enumerate(EXIT_KINDS) if i > 0}
ROLE_METRICS = ("headcount", "fte", "joiners", "leavers", *LEAVER_KINDS, "intending", "belonging", "burnout")
NETWORK_COLUMNS = {
    "headcount": "headcount", "arrs_headcount": "arrs_headcount", "arrs_fte": "arrs_fte",
    "joiners": "joiners", "leavers": "leavers", "vacancies_fte": "vacancies_fte",
    "intending_share": "intending_share", "belonging_mean": "belonging_mean", "burnout_mean": "burnout_mean",
    "supervision_coverage": "supervision_coverage", "allocation": "allocation_total",
    "spend_week": "spend_week", "spend_ytd": "spend_ytd", "appointments": "appointments",
    "gp_supervision_sessions": "gp_supervision_sessions", "intervention_cost": "intervention_cost",
}


class WeekSums(NamedTuple):
    """Sums over the staff in post, per role (``headcount`` an integer count; the rest float64)."""

    headcount: np.ndarray
    fte: np.ndarray
    intending: np.ndarray  # people intending to leave
    belonging: np.ndarray
    burnout: np.ndarray
    productive_fte: np.ndarray  # FTE x productivity on the learning curve (appointments)
    team_fte: np.ndarray  # FTE per team (network x role), flat (the money claimed for ARRS posts)
    # the same sums per team (network x role, flat), in the same order: each network's own figures
    team_headcount: np.ndarray
    team_intending: np.ndarray
    team_belonging: np.ndarray
    team_burnout: np.ndarray
    team_productive: np.ndarray


def staff_kpis(headcount: np.ndarray, fte: np.ndarray, intending: np.ndarray, belonging: np.ndarray,
               burnout: np.ndarray, arrs: np.ndarray) -> dict[str, float | int]:
    """The week's staff outputs from per-role sums (one week's :class:`WeekSums` fields, or a network's own
    per-team sums): headcount, ARRS headcount and FTE, and the ARRS share intending to leave and mean
    belonging and burnout (0 when no ARRS staff are in post)."""
    n_arrs = float(headcount[arrs].sum())
    out: dict[str, float | int] = {"headcount": int(headcount.sum()), "arrs_headcount": int(n_arrs),
                                   "arrs_fte": float(fte[arrs].sum())}
    for kpi, total in (("intending_share", intending), ("belonging_mean", belonging), ("burnout_mean", burnout)):
        out[kpi] = float(total[arrs].sum()) / n_arrs if n_arrs else 0.0
    return out


def week_sums(staff: object, week: int, productivity: np.ndarray, n_networks: int, n_roles: int = N_ROLES
              ) -> WeekSums:
    """One compiled pass over the staff in post (the active rows of ``staff``, in id order) for the week's
    outputs: what the recorder keeps per role, the KPIs, appointments and ARRS claims are all sums of these.
    ``productivity[t]`` is the productivity at tenure ``t`` weeks (``recruitment.productivity``). Sums run
    in id order, as ``np.bincount`` over the active ids would. ``n_roles``: the model's roles
    (``model.roles.n``; default the shipped catalogue's)."""
    s = staff
    if len(productivity) < week - int(s.hire_week[: s.n].min(initial=week)) + 1:
        raise ValueError("productivity must cover every tenure in post")
    out = _week_sums(s.active, s.role, s.network, s.fte, s.intends, s.belonging, s.burnout, s.hire_week, int(s.n),
                     int(week), np.asarray(productivity, np.float64), int(n_networks), int(n_roles))
    return WeekSums(out[0].astype(np.int64), *out[1:7], out[7].astype(np.int64), *out[8:])


@njit
def _week_sums(active, role, network, fte, intends, belonging, burnout, hire_week, n, week, productivity,  # noqa: ANN001, ANN202
               n_networks, n_roles):
    head = np.zeros(n_roles)
    f_sum = np.zeros(n_roles)
    i_sum = np.zeros(n_roles)
    b_sum = np.zeros(n_roles)
    o_sum = np.zeros(n_roles)
    p_sum = np.zeros(n_roles)
    team = np.zeros(n_networks * n_roles)
    t_head = np.zeros(n_networks * n_roles)
    t_int = np.zeros(n_networks * n_roles)
    t_bel = np.zeros(n_networks * n_roles)
    t_bur = np.zeros(n_networks * n_roles)
    t_prod = np.zeros(n_networks * n_roles)
    for i in range(n):
        if not active[i]:
            continue
        r = role[i]
        t = network[i] * n_roles + r
        f = np.float64(fte[i])
        it = 1.0 if intends[i] else 0.0
        b, o = np.float64(belonging[i]), np.float64(burnout[i])
        pf = f * productivity[week - hire_week[i]]
        head[r] += 1.0
        f_sum[r] += f
        i_sum[r] += it
        b_sum[r] += b
        o_sum[r] += o
        p_sum[r] += pf
        team[t] += f
        t_head[t] += 1.0
        t_int[t] += it
        t_bel[t] += b
        t_bur[t] += o
        t_prod[t] += pf
    return head, f_sum, i_sum, b_sum, o_sum, p_sum, team, t_head, t_int, t_bel, t_bur, t_prod


#: Per-network weekly outputs a recorder keeps with ``by_network`` (keys of ``PCNModel.network_week``).
NETWORK_WEEK = ("appointments", "gp_supervision_sessions", "intervention_cost", "spend_week", "vacancies_fte",
                "supervision_given", "supervision_needing", "allocation", "spend_ytd")


class Recorder:
    """Weekly outputs of one model run.

    With ``by_network`` it also keeps every per-role metric per team (network x role) and the network-level
    outputs per network (:data:`NETWORK_WEEK`): what the summary of each network as a run of its own needs
    (:func:`pcnsim.pack.network_summary`). That is for packed runs of a few hundred small networks; a
    national model does not keep it."""

    def __init__(self, model: PCNModel, by_network: bool = False) -> None:
        self.model = model
        self.n_roles = nr = model.roles.n
        s = model.staff
        ids = s.active_ids()
        self.start_headcount = np.bincount(s.role[ids], minlength=nr)
        self.start_fte = np.bincount(s.role[ids], weights=s.fte[ids], minlength=nr)
        self.rows: list[dict[str, Any]] = []
        self.by_role: dict[str, list[np.ndarray]] = {m: [] for m in ROLE_METRICS}
        self.by_network = by_network
        if by_network:
            n_teams = model.n_networks * nr
            self.start_team_headcount = np.bincount(s.network[ids] * nr + s.role[ids], minlength=n_teams)
            self.by_team: dict[str, list[np.ndarray]] = {m: [] for m in ROLE_METRICS}
            self.network_rows: dict[str, list[np.ndarray]] = {k: [] for k in NETWORK_WEEK}

    def record(self, sums: WeekSums, joiners: np.ndarray, leavers: np.ndarray) -> None:
        """Record the week: the model's network-level outputs, and the per-role ``sums`` of the staff in post
        (:func:`week_sums`) with the roles of this week's ``joiners`` and ``leavers`` (staff ids)."""
        m, s = self.model, self.model.staff
        row = {"week": m.week - 1, "date": m.date}
        row.update({col: getattr(m, attr) for col, attr in NETWORK_COLUMNS.items()})
        self.rows.append(row)
        self.by_role["headcount"].append(sums.headcount)
        self.by_role["fte"].append(sums.fte)
        nr = self.n_roles
        self.by_role["joiners"].append(np.bincount(s.role[joiners], minlength=nr))
        self.by_role["leavers"].append(np.bincount(s.role[leavers], minlength=nr))
        kind = s.exit_kind[leavers]
        for metric, k in LEAVER_KINDS.items():
            self.by_role[metric].append(np.bincount(s.role[leavers[kind == k]], minlength=nr))
        self.by_role["intending"].append(sums.intending)
        self.by_role["belonging"].append(sums.belonging)
        self.by_role["burnout"].append(sums.burnout)
        if self.by_network:
            self._record_teams(sums, joiners, leavers)

    def _record_teams(self, sums: WeekSums, joiners: np.ndarray, leavers: np.ndarray) -> None:
        m, s = self.model, self.model.staff
        nr = self.n_roles
        n_teams = m.n_networks * nr

        def per_team(ids: np.ndarray) -> np.ndarray:
            return np.bincount(s.network[ids] * nr + s.role[ids], minlength=n_teams)

        t = self.by_team
        t["headcount"].append(sums.team_headcount)
        t["fte"].append(sums.team_fte)
        t["joiners"].append(per_team(joiners))
        t["leavers"].append(per_team(leavers))
        kind = s.exit_kind[leavers]
        for metric, k in LEAVER_KINDS.items():
            t[metric].append(per_team(leavers[kind == k]))
        t["intending"].append(sums.team_intending)
        t["belonging"].append(sums.team_belonging)
        t["burnout"].append(sums.team_burnout)
        for k in NETWORK_WEEK:
            self.network_rows[k].append(np.array(m.network_week[k], copy=True))

    def weekly(self) -> pd.DataFrame:
        """Network-level weekly outputs, one row per week."""
        return pd.DataFrame(self.rows)

    def role_array(self, metric: str) -> np.ndarray:
        """weeks x roles array of a per-role metric (sums; divide by headcount for means)."""
        arr = self.by_role[metric]
        return np.vstack(arr) if arr else np.zeros((0, self.n_roles))

    def weekly_by_role(self) -> pd.DataFrame:
        """Tidy weekly outputs by role: week, date, role, headcount, fte, joiners, leavers, intending_share,
        belonging, burnout."""
        if not self.rows:
            return pd.DataFrame(columns=["week", "date", "role", *ROLE_METRICS])
        weeks = np.array([r["week"] for r in self.rows])
        dates = np.array([r["date"] for r in self.rows])
        hc = self.role_array("headcount")
        out = {
            "week": np.repeat(weeks, self.n_roles),
            "date": np.repeat(dates, self.n_roles),
            "role": np.tile(self.model.roles.keys, len(weeks)),
        }
        with np.errstate(invalid="ignore", divide="ignore"):
            for m in ROLE_METRICS:
                a = self.role_array(m)
                if m in ("intending", "belonging", "burnout"):
                    a = np.where(hc > 0, a / np.maximum(hc, 1), np.nan)
                out[m if m != "intending" else "intending_share"] = a.ravel()
        return pd.DataFrame(out)


def retention_12m(model: PCNModel, mask_role: np.ndarray) -> float:
    """Stability index over the last 52 weeks for people whose role is flagged in ``mask_role``."""
    s, T = model.staff, model.week
    if T < 52:
        return float("nan")
    a = T - 52
    hire, leave, role = s.view("hire_week"), s.view("leave_week"), s.view("role")
    at_anchor = mask_role[role] & (hire < a) & ((leave < 0) | (leave >= a))
    n = int(at_anchor.sum())
    if n == 0:
        return float("nan")
    return float((at_anchor & (leave < 0)).sum() / n)


def _role_row(model: PCNModel, mask: np.ndarray, label: str) -> dict[str, Any]:
    r = model.recorder
    weeks = len(r.rows)
    hc = r.role_array("headcount")[:, mask].sum(axis=1) if weeks else np.zeros(1)
    joiners = int(r.role_array("joiners")[:, mask].sum()) if weeks else 0
    leavers = int(r.role_array("leavers")[:, mask].sum()) if weeks else 0
    by_kind = {k: int(r.role_array(k)[:, mask].sum()) if weeks else 0 for k in LEAVER_KINDS}
    mean_hc = float(hc.mean()) if weeks else 0.0
    years = weeks / 52.0
    s = model.staff
    ids = s.active_ids()
    here = ids[mask[s.role[ids]]]
    return {
        "role": label,
        "headcount_start": int(r.start_headcount[mask].sum()),
        "headcount_end": int(len(here)),
        "fte_end": float(s.fte[here].sum()),
        "joiners": joiners,
        "leavers": leavers,
        **by_kind,
        "lever_free_share": (leavers - by_kind["leavers_resignation"]) / leavers if leavers else float("nan"),
        "annual_leaver_rate": leavers / mean_hc / years if (mean_hc > 0 and years > 0) else float("nan"),
        "retention_12m": retention_12m(model, mask),
        "intending_share": float(s.intends[here].mean()) if len(here) else float("nan"),
        "belonging_mean": float(s.belonging[here].mean()) if len(here) else float("nan"),
        "mean_tenure_weeks": float((model.week - s.hire_week[here]).mean()) if len(here) else float("nan"),
    }


def roles_in_run(model: PCNModel) -> np.ndarray:
    """Which roles a run's tables list: those employed or reimbursable at some point of the run, or with
    staff (a role the scheme does not yet fund, with no one in it, is left out)."""
    r = model.recorder
    staffed = r.start_headcount > 0
    if r.rows:
        staffed = staffed | (r.role_array("headcount").max(axis=0) > 0)
    return model.roles.eligible(model.date) | staffed


def summarise(model: PCNModel, commission: bool = True) -> dict[str, Any]:
    """Run summary: ``roles`` (one dict per role in the run, :func:`roles_in_run`, then ARRS and all staff),
    ``network`` figures and ``years``; and (with ``commission``) ``commission``, the commissioner's figures
    (:func:`pcnsim.commission.commission_summary`)."""
    R = model.roles
    rows = [_role_row(model, np.arange(R.n) == i, R.keys[i]) for i in np.flatnonzero(roles_in_run(model))]
    rows.append(_role_row(model, R.arrs.copy(), "ARRS (all roles)"))
    rows.append(_role_row(model, np.ones(R.n, bool), "All staff"))
    weekly = model.recorder.weekly()
    years = model.year_table()
    complete = [y for y in years if y["complete"] and y["allocation"] > 0]
    alloc_c = sum(y["allocation"] for y in complete)
    spend_c = sum(y["spend"] for y in complete)
    alloc_all = sum(y["allocation"] for y in years)
    spend_all = sum(y["spend"] for y in years)
    first_two = [y for y in complete if y["fy"] in (2019, 2020)]
    a2, s2 = sum(y["allocation"] for y in first_two), sum(y["spend"] for y in first_two)
    arrs = rows[-2]
    network = {
        "weeks": int(model.week),
        "start_date": str(model.params.start_date),
        "end_date": str(model.date),
        "networks": int(model.n_networks),
        "practices": int(model.n_practices),
        "vacancies_fte_end": float(model.vacancies_fte),
        "arrs_fte_end": float(arrs["fte_end"]),
        "arrs_allocation": float(alloc_all),
        "arrs_spend": float(spend_all),
        "unspent_share_complete_years": (alloc_c - spend_c) / alloc_c if alloc_c > 0 else float("nan"),
        "unspent_share_first_two_years": (a2 - s2) / a2 if a2 > 0 else float("nan"),
        "appointments": float(weekly["appointments"].sum()) if len(weekly) else 0.0,
        "gp_supervision_sessions": float(weekly["gp_supervision_sessions"].sum()) if len(weekly) else 0.0,
        "intervention_cost": float(model.total_intervention_cost),
        "arrs_retention_12m": arrs["retention_12m"],
        "arrs_annual_leaver_rate": arrs["annual_leaver_rate"],
        "arrs_intending_share": arrs["intending_share"],
        "arrs_lever_free_share": arrs["lever_free_share"],
    }
    out = {"roles": rows, "network": network, "years": years}
    if commission:
        from pcnsim.commission import commission_summary

        out["commission"] = commission_summary(model)
    return out


def role_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """The per-role part of a run summary (:func:`summarise`) as a DataFrame indexed by role key."""
    return pd.DataFrame(summary["roles"]).set_index("role")


def format_summary(summary: dict[str, Any], roles: Any = None) -> str:
    """The terminal summary table; ``roles`` (the model's :class:`~pcnsim.roles.RoleArrays`) labels roles a
    scenario added (default: the shipped catalogue's labels, else the key)."""
    df = role_frame(summary)
    labels = {r.key: r.label for r in ROLES}
    if roles is not None:
        labels.update(zip(roles.keys, roles.labels, strict=True))
    show = pd.DataFrame({
        "start": df["headcount_start"],
        "end": df["headcount_end"],
        "joiners": df["joiners"],
        "leavers": df["leavers"],
        "leaver rate/yr": df["annual_leaver_rate"].map(lambda v: f"{v:.1%}" if np.isfinite(v) else "-"),
        "12m retention": df["retention_12m"].map(lambda v: f"{v:.1%}" if np.isfinite(v) else "-"),
        "intending": df["intending_share"].map(lambda v: f"{v:.0%}" if np.isfinite(v) else "-"),
        "belonging": df["belonging_mean"].map(lambda v: f"{v:.2f}" if np.isfinite(v) else "-"),
    })
    show.index = [labels.get(k, k) for k in show.index]
    n = summary["network"]
    gbp = lambda v: f"£{v:,.0f}"  # noqa: E731
    lines = [
        f"pcnsim: {n['networks']} network(s), {n['practices']} practices, {n['weeks']} weeks "
        f"({n['start_date']} to {n['end_date']})",
        "",
        show.to_string(),
        "",
        f"Vacancies at the end:        {n['vacancies_fte_end']:.1f} FTE",
        f"ARRS FTE in post at the end: {n['arrs_fte_end']:.1f}",
        f"ARRS allocation:             {gbp(n['arrs_allocation'])}",
        f"ARRS spend (claimed):        {gbp(n['arrs_spend'])}",
        f"Unspent (complete years):    {n['unspent_share_complete_years']:.1%}" if np.isfinite(n["unspent_share_complete_years"]) else "Unspent (complete years):    -",
        f"Appointments delivered:      {n['appointments']:,.0f}",
        f"GP sessions supervising:     {n['gp_supervision_sessions']:,.0f}",
    ]
    if n["intervention_cost"]:
        lines.append(f"Intervention cost:           {gbp(n['intervention_cost'])}")
    return "\n".join(lines)
