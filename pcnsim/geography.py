"""Results by network, and by place: deprivation quintile, London or not, network size.

Everything here is computed at the end of a run from the staff arrays (every person keeps their row, with
hire and leave weeks: :mod:`pcnsim.state`) and the population, so a model records nothing extra while it runs.

Definitions (ARRS staff unless a column says ``core``)
------------------------------------------------------
person_weeks
    weeks in post during the run, summed over people (a person hired at week h and leaving at week l
    counts l - h; people in post at the start count from week 0).
leaver_rate
    leavers / (person_weeks / 52): leavers per person-year in post, the annual leaver rate of
    :func:`pcnsim.results.summarise` (leavers / mean headcount / years) with the mean headcount taken
    from the hire and leave weeks.
retention_12m
    of the people in post 52 weeks before the end, the share still in post at the end (the NHS stability
    index, as in :func:`pcnsim.results.retention_12m`); NaN for runs shorter than 52 weeks.
fte_per_10k
    ARRS FTE in post at the end per 10,000 weighted patients (the allocation follows weighted patients, E7).
deprivation_quintile
    1 (least deprived fifth of networks) to 5 (most deprived), by the share of the network's population in
    very deprived areas (E3).
size_band
    weighted patients under 30,000, 30,000 to 50,000, over 50,000 (the bands of E2).

Group tables (:func:`by_group`) add the sums of the network rows and recompute every rate from the sums,
so a group's leaver rate is its leavers over its person-years, not a mean of network rates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pcnsim.errors import PCNSimInputError

if TYPE_CHECKING:
    from pcnsim.model import PCNModel

SIZE_BANDS = ("under 30k", "30k to 50k", "over 50k")  # E2
GROUPS = ("deprivation_quintile", "london", "size_band")
#: Columns of :func:`by_network` that add up over networks: :func:`by_group` sums them and recomputes every
#: rate from the sums.
SUM_COLUMNS = (
    "networks", "practices", "patients", "arrs_headcount", "arrs_fte", "arrs_planned_fte", "arrs_joiners",
    "arrs_leavers", "arrs_person_weeks", "arrs_at_anchor", "arrs_retained", "arrs_intending",
    "arrs_belonging_sum", "arrs_pay_gap_sum", "arrs_practices_sum", "arrs_load_sum", "arrs_burnout_sum",
    "arrs_supervision_sum", "core_headcount", "core_leavers",
    "core_person_weeks",
)


def size_band(patients: np.ndarray) -> np.ndarray:
    """E2 size band of each network from its weighted patients."""
    p = np.asarray(patients, dtype=np.float64)
    return np.where(p < 30_000, SIZE_BANDS[0], np.where(p <= 50_000, SIZE_BANDS[1], SIZE_BANDS[2]))


def deprivation_quintile(deprivation: np.ndarray) -> np.ndarray:
    """Quintile (1 least to 5 most deprived) of each network among all networks; ties broken by order."""
    d = np.asarray(deprivation, dtype=np.float64)
    if len(d) == 0:
        return np.zeros(0, dtype=np.int64)
    rank = np.empty(len(d), dtype=np.int64)
    rank[np.argsort(d, kind="stable")] = np.arange(len(d))
    return 1 + (rank * 5) // len(d)


def by_network(model: PCNModel) -> pd.DataFrame:
    """One row per network: its structure, and the run's ARRS (and core) staff results.

    Parameters
    ----------
    model : PCNModel
        A model that has run (any number of weeks, 0 included).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``network`` (0-based, the index interventions target). Columns: ``name``, ``practices``,
        ``patients``, ``deprivation``, ``deprivation_quintile``, ``london``, ``size_band``; then counts and
        sums (see :data:`SUM_COLUMNS`) and the rates ``arrs_fte_per_10k``, ``arrs_leaver_rate``,
        ``arrs_retention_12m``, ``arrs_intending_share``, ``arrs_belonging_mean``, ``arrs_pay_gap_mean``,
        ``arrs_load_mean``, ``arrs_burnout_mean``, ``arrs_supervision_mean`` (this week's, of the ARRS staff
        in post), ``arrs_practices_mean`` (practices each ARRS person's sessions are split across),
        ``arrs_planned_fte`` (posts the budget plans this week) and ``core_leaver_rate``.
    """
    pop, s, R = model.pop, model.staff, model.roles
    nn, T = model.n_networks, int(model.week)
    n = s.n
    net = s.network[:n].astype(np.int64)
    arrs = R.arrs[s.role[:n]]
    hire, leave = s.hire_week[:n].astype(np.int64), s.leave_week[:n].astype(np.int64)
    active = s.active[:n]
    start = np.maximum(hire, 0)
    end = np.where(leave >= 0, leave, T)
    pw = np.maximum(end - start, 0).astype(np.float64)
    left = leave >= 0
    joined = hire >= 0
    anchor = T - 52
    at_anchor = (hire < anchor) & ((leave < 0) | (leave >= anchor)) if T >= 52 else np.zeros(n, bool)

    def count(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else np.where(mask, weights, 0.0)
        return np.bincount(net, weights=w if w is not None else mask.astype(np.float64), minlength=nn)

    here = arrs & active
    split = np.minimum(s.split_n[:n].astype(np.int64), model.net_n_prac[net])
    planned = model.planned_fte().sum(axis=1) if T > 0 or model.date >= model.params.arrs_start else np.zeros(nn)
    df = pd.DataFrame({
        "name": pop.net_names if len(pop.net_names) == nn else [f"PCN {i}" for i in range(nn)],
        "practices": pop.net_n_practices.astype(np.int64),
        "patients": pop.net_patients.astype(np.float64),
        "deprivation": pop.net_deprivation.astype(np.float64),
        "deprivation_quintile": deprivation_quintile(pop.net_deprivation),
        "london": pop.net_london.astype(bool),
        "size_band": size_band(pop.net_patients),
        "networks": np.ones(nn, dtype=np.int64),
        "arrs_headcount": count(here),
        "arrs_fte": count(here, s.fte[:n]),
        "arrs_planned_fte": planned,
        "arrs_joiners": count(arrs & joined),
        "arrs_leavers": count(arrs & left),
        "arrs_person_weeks": count(arrs, pw),
        "arrs_at_anchor": count(arrs & at_anchor),
        "arrs_retained": count(arrs & at_anchor & (leave < 0)),
        "arrs_intending": count(here & s.intends[:n]),
        "arrs_belonging_sum": count(here, s.belonging[:n]),
        "arrs_pay_gap_sum": count(here, s.pay_gap[:n]),
        "arrs_practices_sum": count(here, split.astype(np.float64)),
        "arrs_load_sum": count(here, s.load[:n]),
        "arrs_burnout_sum": count(here, s.burnout[:n]),
        "arrs_supervision_sum": count(here, s.supervision[:n]),
        "core_headcount": count(~arrs & active),
        "core_leavers": count(~arrs & left),
        "core_person_weeks": count(~arrs, pw),
    })
    df.index.name = "network"
    return _rates(df)


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add the rate columns from the sums (used for networks and for groups alike)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        hc = df["arrs_headcount"].to_numpy(dtype=np.float64)
        df["arrs_fte_per_10k"] = df["arrs_fte"] / df["patients"] * 1e4
        df["arrs_leaver_rate"] = _ratio(df["arrs_leavers"], df["arrs_person_weeks"] / 52.0)
        df["arrs_retention_12m"] = _ratio(df["arrs_retained"], df["arrs_at_anchor"])
        df["arrs_intending_share"] = _ratio(df["arrs_intending"], hc)
        df["arrs_belonging_mean"] = _ratio(df["arrs_belonging_sum"], hc)
        df["arrs_pay_gap_mean"] = _ratio(df["arrs_pay_gap_sum"], hc)
        df["arrs_practices_mean"] = _ratio(df["arrs_practices_sum"], hc)
        df["arrs_load_mean"] = _ratio(df["arrs_load_sum"], hc)
        df["arrs_burnout_mean"] = _ratio(df["arrs_burnout_sum"], hc)
        df["arrs_supervision_mean"] = _ratio(df["arrs_supervision_sum"], hc)
        df["core_leaver_rate"] = _ratio(df["core_leavers"], df["core_person_weeks"] / 52.0)
    return df


def _ratio(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def by_group(data: PCNModel | pd.DataFrame, by: str) -> pd.DataFrame:
    """Network results aggregated by ``by``: ``deprivation_quintile``, ``london`` or ``size_band``.

    Parameters
    ----------
    data : PCNModel or DataFrame
        A model that has run, or the frame :func:`by_network` returned for it.
    by : str
        The grouping column (any categorical column of :func:`by_network` works; the three above are the
        ones policy questions use).

    Returns
    -------
    pandas.DataFrame
        One row per group: the sums of :data:`SUM_COLUMNS` and the rates recomputed from them.
    """
    df = by_network(data) if not isinstance(data, pd.DataFrame) else data
    if by not in df.columns or by in SUM_COLUMNS:
        allowed = ", ".join(GROUPS)
        raise PCNSimInputError(f"cannot group network results by {by!r}; allowed: {allowed}", field="by")
    groups = df.groupby(by, sort=True)[list(SUM_COLUMNS)].sum()
    if by == "size_band":
        groups = groups.reindex([b for b in SIZE_BANDS if b in groups.index])
    return _rates(groups)


def summary_tables(model: PCNModel) -> dict[str, pd.DataFrame]:
    """The network table and the three group tables of a run, keyed ``network`` and by group name."""
    net = by_network(model)
    return {"network": net, **{g: by_group(net, g) for g in GROUPS}}


def growth(model: PCNModel) -> pd.DataFrame:
    """Weekly ARRS FTE per network (the E4 / T4 growth path): columns ``date``, ``arrs_fte_per_network``."""
    w = model.recorder.weekly()
    if w.empty:
        return pd.DataFrame(columns=["date", "arrs_fte_per_network"])
    return pd.DataFrame({"date": pd.to_datetime(w["date"]), "arrs_fte_per_network": w["arrs_fte"] / model.n_networks})
