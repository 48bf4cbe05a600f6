"""Measuring the targets: one replicate (a seeded panel of default networks), many replicates in a process
pool, and the table of targets against the model."""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from pcnsim.calibration.targets import (
    BASE_SEED,
    LINK_WORKER,
    PANEL_NETWORKS,
    SETTLED_WEEKS,
    T1_CONDITION,
    T1_PANEL_FACTOR,
    T1_WINDOW,
    T2_COHORT_DATE,
    T3_PERIOD,
    T4_DATES,
    TARGETS,
)
from pcnsim.errors import PCNSimInputError
from pcnsim.params import Params


# ----------------------------------------------------------------------------------------------------------
# One replicate
# ----------------------------------------------------------------------------------------------------------
def _week_of(d: dt.date, start: dt.date) -> int:
    """The model week whose 7 days contain ``d``."""
    return (d - start).days // 7


def _build(overrides: dict[str, Any], seed: int, networks: int, extra: dict[str, Any] | None = None) -> Any:
    from pcnsim.scenario import load

    sc = load(None)
    sc = sc.with_changes(population={**sc.population, "copies": int(networks)})
    return sc, sc.build_model(seed=seed, **{**overrides, **(extra or {})})


def measure_t1(overrides: dict[str, Any], seed: int, networks: int = PANEL_NETWORKS,
               condition: dict[str, Any] | None = None) -> dict[str, float]:
    """T1: link workers intending to leave in the June 2020 window, under the T1 condition.

    Returns ``T1`` (the expected share intending to leave because of a lack of supervision and support),
    ``t1_lw_due_state`` (the same, counted on the intention states), ``t1_lw_intention`` (the expected share
    intending to leave for any reason), ``t1_lw_intends``, ``t1_lw_supervision`` and ``t1_lw_person_weeks``. The run holds
    ``networks x T1_PANEL_FACTOR`` networks and stops at the end of the window. ``condition`` defaults to
    :data:`T1_CONDITION`; pass ``{}`` to measure the default scenario itself.
    """
    cond = T1_CONDITION if condition is None else condition
    _, m = _build(overrides, seed, networks * T1_PANEL_FACTOR, cond)
    start = m.params.start_date
    w0, w1 = _week_of(T1_WINDOW[0], start), _week_of(T1_WINDOW[1], start)
    s = m.staff
    w_sup = m.params.w_supervision
    intending = supervised = person_weeks = chance = due = due_state = 0.0
    while m.week <= w1:
        m.step()
        wk = m.week - 1
        if wk >= w0:
            ids = s.active_ids()
            lw = ids[(s.role[ids] == LINK_WORKER) & (s.hire_week[ids] < wk)]  # this week's joiners: next week
            person_weeks += len(lw)
            p = s.intention[lw].astype(np.float64)
            z = np.log(p) - np.log1p(-p)
            z_full = z - w_sup * (1.0 - s.support[lw])  # the same person with full supervision and support
            due += float((p - 1.0 / (1.0 + np.exp(-z_full))).sum())
            due_state += float((s.intends[lw] & (z_full + s.propensity[lw] <= 0.0)).sum())
            intending += float(s.intends[lw].sum())
            supervised += float(s.supervision[lw].sum())
            chance += float(p.sum())
    n = max(person_weeks, 1.0)
    nan = float("nan")
    return {
        "T1": due / n if person_weeks else nan,
        "t1_lw_due_state": due_state / n if person_weeks else nan,
        "t1_lw_intention": chance / n if person_weeks else nan,
        "t1_lw_intends": intending / n if person_weeks else nan,
        "t1_lw_supervision": supervised / n if person_weeks else nan,
        "t1_lw_person_weeks": person_weeks,
    }


def measure_default(overrides: dict[str, Any], seed: int, networks: int = PANEL_NETWORKS) -> dict[str, float]:
    """T2a, T2b, T3, T4a, T4b, T5 (and diagnostics) from one run of the default scenario over a panel."""
    sc, m = _build(overrides, seed, networks)
    start = m.params.start_date
    s, R = m.staff, m.roles
    cohort_week = _week_of(T2_COHORT_DATE, start)
    t4_weeks = [_week_of(d, start) for d in T4_DATES]
    t1w = (_week_of(T1_WINDOW[0], start), _week_of(T1_WINDOW[1], start))
    weeks = sc.weeks
    if cohort_week + 52 >= weeks or max(t4_weeks) >= weeks:
        raise PCNSimInputError(f"the default scenario runs {weeks} weeks: too short for the calibration targets",
                               field="weeks")
    cohort = cohort_int = None
    lw_int = lw_n = 0.0
    a, b = _week_of(T3_PERIOD[0], start), min(_week_of(T3_PERIOD[1], start), weeks - 1)
    p_sum = p_n = 0.0
    n_roles = len(R.arrs)
    settled_int, settled_n = np.zeros(n_roles), np.zeros(n_roles)
    bel_sd, bel_sd_struct = [], []
    personal_sd = float(m._weights[False].belonging_personal_sd[0])
    while m.week < weeks:
        m.step()
        wk = m.week - 1
        if t1w[0] <= wk <= t1w[1]:
            ids = s.active_ids()
            lw = ids[s.role[ids] == LINK_WORKER]
            lw_n += len(lw)
            lw_int += float(s.intention[lw].sum())
        if a <= wk <= b:
            ids = s.active_ids()
            arrs = ids[R.arrs[s.role[ids]]]
            p_sum += float(s.intention[arrs].sum())
            p_n += len(arrs)
            settled = arrs[wk - s.hire_week[arrs] >= SETTLED_WEEKS]
            settled_int += np.bincount(s.role[settled], weights=s.intends[settled], minlength=n_roles)
            settled_n += np.bincount(s.role[settled], minlength=n_roles)
            if len(settled) > 1 and (wk - a) % 4 == 0:  # every 4th week (SDs within a week, then averaged)
                bel = s.belonging[settled].astype(np.float64)
                bel_sd.append(bel.std())
                bel_sd_struct.append((bel - personal_sd * s.affiliation[settled]).std())
        if wk == cohort_week:
            ids = s.active_ids()
            keep = R.arrs[s.role[ids]] & (s.notice_left[ids] < 0)
            cohort = ids[keep]
            cohort_int = s.intends[cohort].copy()
    weekly = m.recorder.weekly()
    fte = weekly["arrs_fte"].to_numpy()
    leave = s.leave_week[cohort]
    left = (leave > cohort_week) & (leave <= cohort_week + 52)
    # T3 over the settled period (recorder row i is week i)
    hc = m.recorder.role_array("headcount")[a: b + 1][:, R.arrs].sum(axis=1)
    leavers = m.recorder.role_array("leavers")[a: b + 1][:, R.arrs].sum()
    kinds = {k: m.recorder.role_array(f"leavers_{k}")[a: b + 1] for k in
             ("resignation", "retirement", "relocation", "end_of_post")}
    arrs_kind = {k: float(v[:, R.arrs].sum()) for k, v in kinds.items()}
    core_leavers = float(m.recorder.role_array("leavers")[a: b + 1][:, ~R.arrs].sum())
    core_hc = m.recorder.role_array("headcount")[a: b + 1][:, ~R.arrs].sum(axis=1)
    intending = m.recorder.role_array("intending")[a: b + 1][:, R.arrs].sum()
    years = (b + 1 - a) / 52.0
    first_two = [y for y in m.year_table() if y["fy"] in (2019, 2020) and y["complete"]]
    alloc = sum(y["allocation"] for y in first_two)
    spend = sum(y["spend"] for y in first_two)
    nan = float("nan")
    n_int, n_not = int(cohort_int.sum()), int((~cohort_int).sum())
    hc_years = hc.mean() * years if hc.mean() > 0 else nan

    def share(k: str) -> float:
        return arrs_kind[k] / leavers if leavers else nan

    by_role = {f"settled_intending_{R.keys[r]}": float(settled_int[r] / settled_n[r]) if settled_n[r] else nan
               for r in range(n_roles) if R.arrs[r]}
    return {
        "T2a": float(left[cohort_int].mean()) if n_int else nan,
        "T2b": float(left[~cohort_int].mean()) if n_not else nan,
        "T3": float(leavers / hc.mean() / years) if hc.mean() > 0 else nan,
        "T4a": float(fte[t4_weeks[0]] / m.n_networks),
        "T4b": float(fte[t4_weeks[1]] / m.n_networks),
        "T5": (alloc - spend) / alloc if alloc > 0 else nan,
        "T6": float(cohort_int.mean()) if len(cohort) else nan,
        "T7a": 1.0 - share("resignation") if leavers else nan,
        "T7b": float(kinds["retirement"][:, ~R.arrs].sum() / core_leavers) if core_leavers else nan,
        "t2_cohort": float(len(cohort)),
        "t2_intending": float(cohort_int.mean()) if len(cohort) else nan,
        "t3_intending": float(intending / hc.sum()) if hc.sum() > 0 else nan,
        "t3_intention": p_sum / p_n if p_n else nan,
        "t3_leavers": float(leavers),
        "default_lw_intending_june2020": lw_int / lw_n if lw_n else nan,
        "t3_leaver_rate_core": float(core_leavers / core_hc.mean() / years) if core_hc.mean() > 0 else nan,
        "t3_resignation_rate": arrs_kind["resignation"] / hc_years,
        "t3_lever_free_rate": (leavers - arrs_kind["resignation"]) / hc_years,
        "t3_retirement_share": share("retirement"),
        "t3_relocation_share": share("relocation"),
        "t3_end_of_post_share": share("end_of_post"),
        "belonging_sd_settled": float(np.mean(bel_sd)) if bel_sd else nan,
        "belonging_sd_structural": float(np.mean(bel_sd_struct)) if bel_sd_struct else nan,
        **by_role,
    }


def simulate(overrides: dict[str, Any], seed: int, networks: int = PANEL_NETWORKS,
             which: Sequence[str] = ("t1", "default")) -> dict[str, float]:
    """Every measure of one replicate (``which`` selects the runs: the T1 condition and/or the default)."""
    out: dict[str, float] = {"seed": float(seed)}
    if "t1" in which:
        out.update(measure_t1(overrides, seed, networks))
    if "default" in which:
        out.update(measure_default(overrides, seed, networks))
    return out


def _simulate_args(args: tuple[dict[str, Any], int, int, tuple[str, ...]]) -> dict[str, float]:
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    return simulate(*args)


def _noop() -> None:
    return None


# ----------------------------------------------------------------------------------------------------------
# Many replicates, in a process pool
# ----------------------------------------------------------------------------------------------------------
class Runner:
    """Runs replicates, in up to ``workers`` processes (one pool kept for the whole calibration).

    Use as a context manager. ``workers=1`` runs in this process.
    """

    def __init__(self, workers: int = 2) -> None:
        self.workers = max(1, int(workers))
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Runner:
        if self.workers > 1:
            # forkserver where available (safe when the caller has threads, and cheap: the server imports pcnsim
            # once); spawn elsewhere. As with any multiprocessing, a calling script needs the
            # ``if __name__ == "__main__":`` guard.
            if "forkserver" in mp.get_all_start_methods():
                ctx = mp.get_context("forkserver")
                ctx.set_forkserver_preload(["pcnsim.calibration"])
            else:  # pragma: no cover - not Linux
                ctx = mp.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx)
            for f in [self._pool.submit(_noop) for _ in range(self.workers)]:
                f.result()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(self, overrides: dict[str, Any], seeds: Iterable[int], networks: int = PANEL_NETWORKS,
            which: Sequence[str] = ("t1", "default"), progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        """One row per seed (in seed order) with every measure."""
        jobs = [(dict(overrides), int(s), int(networks), tuple(which)) for s in seeds]
        rows: list[dict[str, float]] = []
        if self._pool is None:
            for j in jobs:
                rows.append(_simulate_args(j))
                if progress:
                    progress(1)
        else:
            futs = [self._pool.submit(_simulate_args, j) for j in jobs]
            for f in futs:
                rows.append(f.result())
                if progress:
                    progress(1)
        return pd.DataFrame(rows)


def seeds_for(replicates: int, base: int = BASE_SEED) -> list[int]:
    """Seeds of ``replicates`` replicates: ``base + i`` (the same for every parameter set: common random
    numbers)."""
    return [base + i for i in range(replicates)]


def evaluate(overrides: dict[str, Any] | None = None, replicates: int = 20, workers: int = 2,
             networks: int = PANEL_NETWORKS, progress: Callable[[int], None] | None = None,
             runner: Runner | None = None, base_seed: int = BASE_SEED) -> pd.DataFrame:
    """Every measure for ``replicates`` seeded replicates of the parameter set ``overrides`` (default:
    the current defaults). One row per replicate."""
    Params.from_dict(overrides or {}, where="calibration")
    if runner is not None:
        return runner.run(overrides or {}, seeds_for(replicates, base_seed), networks, progress=progress)
    with Runner(workers) as r:
        return r.run(overrides or {}, seeds_for(replicates, base_seed), networks, progress=progress)


def report_table(reps: pd.DataFrame) -> pd.DataFrame:
    """Per target: published value, tolerance, the model's median and 90% interval over replicates,
    whether the median lies within tolerance, and the error of the median (model - published)."""
    rows = []
    for t in TARGETS:
        v = reps[t.id].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        med = float(np.median(v)) if len(v) else float("nan")
        q05, q95 = (float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95))) if len(v) else (np.nan, np.nan)
        mean = float(v.mean()) if len(v) else float("nan")
        se = float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("nan")
        rows.append({
            "target": t.id, "label": t.label, "published": t.published, "lo": t.lo, "hi": t.hi,
            "median": med, "q05": q05, "q95": q95, "mean": mean, "se_mean": se,
            "error": med - t.published, "error_tol": (med - t.published) / t.half_width,
            "within": t.within(med), "replicates": len(v),
        })
    return pd.DataFrame(rows).set_index("target")


def cpu_count() -> int:
    """CPUs this process may use (its affinity set where the platform has one), at least 1."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
