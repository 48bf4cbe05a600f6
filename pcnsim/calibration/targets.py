"""Calibration targets: the published figures (T rows of the evidence table) as data, and how the model
measures each (which roles, weeks and scenario settings)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pcnsim.roles import ROLE_INDEX

# ----------------------------------------------------------------------------------------------------------
# How each target is measured
# ----------------------------------------------------------------------------------------------------------
PANEL_NETWORKS = 40  #: Networks per replicate (copies of the default network); about 1,000 ARRS staff by 2022.
T1_PANEL_FACTOR = 3  #: The T1 run (70 weeks only) uses 3 x the panel: about 100 link workers, nearer the survey's 279.
BASE_SEED = 20_190_401  #: Replicate i runs with seed BASE_SEED + i (common random numbers across parameter sets).

LINK_WORKER = ROLE_INDEX["link_worker"]
#: T1 survey window (E11: NALW survey, June 2020).
T1_WINDOW = (dt.date(2020, 6, 1), dt.date(2020, 6, 30))
#: T1 condition: GP supervision sessions per network-week. E11: 61% of link workers had no clinical
#: supervision. In the default scenario, June 2020 networks have few ARRS staff (link workers and
#: pharmacists, hired since July 2019, and the first of the roles eligible from April 2020) and E17's 2.49
#: sessions cover all of their need; 0.45 sessions (under two hours of GP time a week) covers about 40% of
#: link workers' need, so about 60% goes unmet (GPs cover the greater need of pharmacists first:
#: ``supervision_priority``). The report checks it.
T1_GP_SUPERVISION_SESSIONS = 0.45
#: Parameter overrides of the default scenario under which T1 is measured (see T1_GP_SUPERVISION_SESSIONS).
T1_CONDITION: dict[str, Any] = {"gp_supervision_sessions": T1_GP_SUPERVISION_SESSIONS}
#: Range of link workers' mean supervision (0-1) in the T1 window that counts as E11's condition.
T1_CONDITION_SUPERVISION = (0.25, 0.55)
#: T2 cohort: ARRS staff in post and not on notice in the week containing this date, followed 52 weeks.
T2_COHORT_DATE = dt.date(2022, 4, 1)
#: T3 period: a settled network, after the pandemic and the early build-up (financial years 2022/23, 2023/24).
T3_PERIOD = (dt.date(2022, 4, 1), dt.date(2024, 3, 31))
#: T4 dates: end of December 2021 and end of March 2023.
T4_DATES = (dt.date(2021, 12, 31), dt.date(2023, 3, 31))


@dataclass(frozen=True)
class Target:
    """A published figure the default scenario must reproduce.

    Attributes
    ----------
    id : str
        Target id (``T1``, ``T2a``, ...): a T row of the evidence table (:mod:`pcnsim.evidence`).
    label : str
        Short description.
    published : float
        The published value (share or FTE); for a band, its centre.
    lo, hi : float
        Tolerance: the model's median over replicates must lie in ``[lo, hi]``.
    unit : str
        ``share`` (shown as %) or ``FTE``.
    evidence : str
        Evidence rows.
    measure : str
        How the model measures it (roles, period, scenario settings).
    tolerance_reason : str
        Why the tolerance is what it is.
    band : bool
        True for a plausibility band (T3) rather than a point estimate.
    """

    id: str
    label: str
    published: float
    lo: float
    hi: float
    unit: str
    evidence: str
    measure: str
    tolerance_reason: str
    band: bool = False

    @property
    def half_width(self) -> float:
        """Half the tolerance interval, ``(hi - lo) / 2``, in the target's unit (the scale of its loss)."""
        return (self.hi - self.lo) / 2.0

    def within(self, value: float) -> bool:
        """True if ``value`` (in the target's unit) is finite and lies within ``[lo, hi]``."""
        return bool(np.isfinite(value) and self.lo <= value <= self.hi)

    def fmt(self, v: float) -> str:
        """A value in the target's unit as text: a percentage for shares, one decimal otherwise; ``-`` for NaN."""
        if not np.isfinite(v):
            return "-"
        return f"{v:.1%}" if self.unit == "share" else f"{v:.1f}"


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95% interval of a binomial proportion k/n."""
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


# E13: 22 of 112 intenders left within 12 months; about 4% of the other 379 (15 of 379).
_T2A_CI = _wilson(22, 112)
_T2B_CI = _wilson(15, 379)

TARGETS: tuple[Target, ...] = (
    Target(
        "T1", "Link workers considering resigning within a year because of a lack of supervision or support, "
        "little supervision, pandemic remote working",
        0.29, 0.22, 0.36, "share", "E11",
        "E11 counts link workers 'considering resigning in the next year due to lack of clinical supervision "
        "and/or support', so the model counts those who intend to leave and would not if they had full "
        "supervision and support (their own propensity and everything else held): per person the expected "
        "share is expit(z) - expit(z - w_supervision (1 - support)), where z is the log-odds of intending to "
        "leave. Averaged over link-worker person-weeks in June 2020 pooled over the panel, in the default "
        f"scenario with GP supervision capacity cut to {T1_GP_SUPERVISION_SESSIONS} sessions per network-week "
        "(the T1 condition; E11: 61% had no clinical supervision) and the default pandemic remote working "
        "(from 23 March 2020). The same count on the intention states, and the share intending to leave for "
        "any reason, are diagnostics.",
        "Survey of 279 link workers: sampling 95% interval about +/-5 points; +/-7 points allows for the "
        "approximate match of the condition (supervision as a network-wide coverage, not a yes/no per person).",
    ),
    Target(
        "T2a", "Intenders who leave within 12 months", 0.20, round(_T2A_CI[0], 3), round(_T2A_CI[1], 3),
        "share", "E13",
        "ARRS staff in post and not on notice in the week containing 1 April 2022 whose intention state is "
        "'intends to leave' (the state that drives resignation): share whose leaving date falls in the next 52 "
        "weeks (pooled over the panel).",
        "Wilson 95% interval of 22/112 (E13).",
    ),
    Target(
        "T2b", "Non-intenders who leave within 12 months", 0.04, round(_T2B_CI[0], 3), round(_T2B_CI[1], 3),
        "share", "E13",
        "As T2a, for ARRS staff who do not intend to leave at the cohort date.",
        "Wilson 95% interval of about 15/379 (E13: 'about 4% of the rest').",
    ),
    Target(
        "T3", "Annual leaver rate of ARRS staff in a settled network", 0.15, 0.10, 0.20, "share", "E14",
        "ARRS leavers / mean ARRS headcount / years, weeks from 1 April 2022 to 31 March 2024 (financial "
        "years 2022/23 and 2023/24: after the pandemic and the early build-up), pooled over the panel.",
        "The published band itself (no ARRS figure; NHS benchmarks 11.5%-16.8%, E14).",
        band=True,
    ),
    Target(
        "T4a", "ARRS FTE per network, end of December 2021 (claims basis)", 12_059 / 1_250,
        12_059 / 1_250, round(12_059 / 1_250 * 1.3, 2), "FTE", "E4, E7",
        "ARRS FTE in post per network in the week containing 31 December 2021 (mean over the panel): everyone "
        "in post, the basis of the claims-based count of T4b.",
        "One counting basis with T4b. The model counts every ARRS member of staff in post, as the "
        "NWRS-plus-claims count of March 2023 (T4b) does; the December 2021 figure (12,059 FTE, 9.6 a "
        "network) is from the workforce survey alone, which under-counted against claims (E4). On the claims "
        "basis it is therefore a lower bound: the band runs from the survey count to 30% above it "
        "(assumption: the size of the under-count), flat inside.",
        band=True,
    ),
    Target(
        "T4b", "ARRS FTE per network, end of March 2023", 26_877 / 1_250, 17.2, 25.8, "FTE", "E4, E7",
        "ARRS FTE in post per network in the week containing 31 March 2023 (mean over the panel).",
        "+/-20%: 'about 20' (the 26,000 target is 20.8 per PCN; the NWRS-plus-claims count, 26,877, is "
        "21.5).",
    ),
    Target(
        "T5", "Share of the ARRS allocation unspent, 2019/20-2020/21", 0.40, 0.30, 0.50, "share", "E9, E7",
        "1 - ARRS claims / ARRS allocation over financial years 2019/20 and 2020/21, pooled over the panel.",
        "+/-10 points: 'up to 40%' nationally, 42% in Sheffield 2019/20 (E9).",
    ),
    Target(
        "T6", "Settled ARRS staff intending to leave", 112 / 491, 0.15, 0.35, "share", "E13",
        "Share of the T2 cohort (ARRS staff in post and not on notice in the week containing 1 April 2022) "
        "whose intention state is 'intends to leave': the prevalence in the same cohort whose conversions are "
        "T2, as in E13 (pooled over the panel).",
        "The band of the target row (E13's 112 of 491 nurses, 23%; nurses are not ARRS staff).",
    ),
    Target(
        "T7a", "ARRS leavers who leave for a lever-free reason (retirement, relocation, end of post)",
        0.40, 0.25, 0.55, "share", "E29",
        "Share of ARRS leavers in the T3 period (April 2022 to March 2024) whose exit was a retirement, a "
        "relocation or the end of a fixed-term or training post, not a resignation (pooled over the panel).",
        "E29: retirement and relocation were 43% of the nurses leaving with a recorded reason. ARRS staff "
        "are younger (fewer retire) and more often on fixed-term posts (E35), so for them it is a band, not "
        "a point: wide, and flat inside (like T3).",
        band=True,
    ),
    Target(
        "T7b", "Core staff (GPs, practice nurses) leavers who leave at retirement age",
        2.0 / 10.2, 0.14, 0.26, "share", "E28",
        "Share of the leavers among GPs and practice nurses in the T3 period whose exit was a retirement "
        "(pooled over the panel).",
        "E28: about 2 of the 10.2 points of nurses' leaver rate left at retirement age; +/-6 points for "
        "GPs, and for retirement age as a proxy for retiring.",
    ),
)
TARGET_IDS: tuple[str, ...] = tuple(t.id for t in TARGETS)
TARGET_BY_ID: dict[str, Target] = {t.id: t for t in TARGETS}

#: Diagnostics measured alongside the targets (not fitted): the T1 condition check and the settled
#: intending share that, with T2, implies the leaver rate.
DIAGNOSTICS: dict[str, str] = {
    "t1_lw_supervision": "Link workers' mean clinical supervision in the T1 window, T1 condition (0-1)",
    "t1_lw_person_weeks": "Link-worker person-weeks in the T1 window (sample size of T1)",
    "t1_lw_due_state": "T1 counted on the intention states (people who intend to leave and, with their own propensity, would not with full supervision and support)",
    "t1_lw_intention": "Link workers' expected share intending to leave for any reason, T1 window and condition",
    "t1_lw_intends": "Link workers intending to leave for any reason (intention states), T1 window and condition",
    "t2_cohort": "ARRS staff in the T2 cohort (sample size of T2)",
    "t2_intending": "Share of the T2 cohort intending to leave",
    "t3_intending": "Share of ARRS staff intending to leave (intention states), T3 period",
    "t3_intention": "ARRS staff's mean intention probability (chance of saying 'yes' if asked), T3 period",
    "t3_leavers": "ARRS leavers in the T3 period (pooled over the panel)",
    "default_lw_intending_june2020": "Link workers' mean intention probability in June 2020, default scenario (no T1 condition)",
    "t3_leaver_rate_core": "Annual leaver rate of core staff (GPs, practice nurses), T3 period",
    "t3_resignation_rate": "ARRS resignations / mean ARRS headcount / years, T3 period",
    "t3_lever_free_rate": "ARRS lever-free exits / mean ARRS headcount / years, T3 period",
    "t3_retirement_share": "Share of ARRS leavers who retired, T3 period",
    "t3_relocation_share": "Share of ARRS leavers who relocated, T3 period",
    "t3_end_of_post_share": "Share of ARRS leavers whose fixed-term or training post ended, T3 period",
    "belonging_sd_settled": "SD of belonging among settled ARRS staff (a year in post or more), T3 period: the scale of E15's 'per SD'",
    "belonging_sd_structural": "SD of the explained part of belonging (belonging minus its personal part) among settled ARRS staff, T3 period: compare with belonging_structural_sd",
}
#: Settled: ARRS staff with at least this tenure (weeks), for the by-role intention shares and belonging SDs.
SETTLED_WEEKS = 52

