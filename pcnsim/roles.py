"""The role catalogue: every profession in the model, core and ARRS.

Figures cite rows of the evidence table (:mod:`pcnsim.evidence`); anything else is marked as an assumption. The catalogue is
data, not parameters: :mod:`pcnsim.params` holds the scalar knobs that scale it (supply, supervision
demand, pay growth), so sensitivity analysis acts on a handful of well-defined multipliers.

Columns
-------
arrs
    Funded by the Additional Roles Reimbursement Scheme (reimbursed up to ``pay_cap``).
mix
    Share of ARRS FTE in the role, from E5 (FTE by role, March 2023; advanced pharmacists counted
    with pharmacists, trainee and qualified nursing associates together). Networks plan posts in this mix.
pay_cap
    Reimbursable maximum per FTE-year including on-costs, 2023/24 (E8). Roles E8 does not list use the
    cap of the closest band: assumption.
market_premium
    How far the market salary sits above the cap outside London: pharmacists 5% (E10: 55% of PCNs pay
    more than 5% above the cap); others 0 (assumption).
supervision_need
    GP clinical supervision needed, hours per FTE-week (assumption, informed by E11 and E17).
supply
    Relative ease of recruiting: 1 is an ordinary role; lower is harder (E25: pharmacists difficult for
    42% of PCNs, mental health practitioners difficult for 42%; others assumption).
remote_capable
    Share of a role's work that can be done from home (assumption: non-hands-on roles 1, hands-on 0.3).
appointments
    Patient contacts per FTE-week when fully productive (assumption).
discrepancy
    Baseline job discrepancy (share of time on work other than the role) in a network with no role
    clarity; personalised-care roles are most exposed (E12, E27; size assumption).
notice_weeks
    Notice period in weeks (assumption: 4 for Agenda for Change bands 4-7, 8 for nurses, 12 for GPs).
mean_fte
    Mean FTE per person (E6 for GPs 0.75 and nurses 0.73; ARRS 0.85 assumption).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Role:
    """One profession: a row of the role catalogue (its columns and their units are in the module docstring)."""

    key: str
    label: str
    arrs: bool
    mix: float
    pay_cap: float
    market_premium: float
    supervision_need: float
    supply: float
    remote_capable: float
    appointments: float
    discrepancy: float
    notice_weeks: int
    mean_fte: float
    colour: str


# E5 ARRS FTE, March 2023 (mental health practitioners: Apr 2024).
_E5 = {
    "pharmacist": 6331 + 732,
    "care_coordinator": 5507,
    "link_worker": 3433,
    "pharmacy_technician": 2124,
    "physiotherapist": 1894,
    "physician_associate": 1581,
    "paramedic": 1485,
    "wellbeing_coach": 1190,
    "nursing_associate": 777 + 705,
    "mental_health_practitioner": 400,
}
_E5_TOTAL = sum(_E5.values())


def _mix(key: str) -> float:
    return _E5[key] / _E5_TOTAL


ROLES: tuple[Role, ...] = (
    # key, label, arrs, mix, pay_cap, premium, sup_need, supply, remote, appts, discrepancy, notice, fte, colour
    Role("gp", "GP", False, 0.0, 0.0, 0.0, 0.0, 0.6, 0.3, 110.0, 0.0, 12, 0.75, "#1f77b4"),
    Role("practice_nurse", "Practice nurse", False, 0.0, 0.0, 0.0, 0.0, 0.8, 0.1, 90.0, 0.0, 8, 0.73, "#aec7e8"),
    Role("pharmacist", "Clinical pharmacist", True, _mix("pharmacist"), 62_340.0, 0.05, 1.0, 0.8, 1.0, 55.0, 0.10, 4, 0.85, "#2ca02c"),
    Role("care_coordinator", "Care coordinator", True, _mix("care_coordinator"), 33_396.0, 0.0, 0.25, 1.2, 1.0, 35.0, 0.25, 4, 0.85, "#ff7f0e"),
    Role("link_worker", "Social prescribing link worker", True, _mix("link_worker"), 40_159.0, 0.0, 0.5, 1.0, 1.0, 14.0, 0.30, 4, 0.85, "#d62728"),
    Role("pharmacy_technician", "Pharmacy technician", True, _mix("pharmacy_technician"), 40_159.0, 0.0, 0.5, 1.0, 1.0, 40.0, 0.10, 4, 0.85, "#98df8a"),
    Role("physiotherapist", "First-contact physiotherapist", True, _mix("physiotherapist"), 62_340.0, 0.0, 0.5, 0.8, 0.3, 55.0, 0.05, 4, 0.85, "#9467bd"),
    Role("physician_associate", "Physician associate", True, _mix("physician_associate"), 62_340.0, 0.0, 2.0, 0.9, 0.3, 70.0, 0.15, 4, 0.85, "#8c564b"),
    Role("paramedic", "Paramedic", True, _mix("paramedic"), 62_340.0, 0.0, 1.5, 0.7, 0.3, 45.0, 0.10, 4, 0.85, "#e377c2"),
    Role("wellbeing_coach", "Health and wellbeing coach", True, _mix("wellbeing_coach"), 40_159.0, 0.0, 0.25, 1.0, 1.0, 18.0, 0.30, 4, 0.85, "#7f7f7f"),
    Role("nursing_associate", "Nursing associate", True, _mix("nursing_associate"), 36_000.0, 0.0, 1.0, 1.0, 0.1, 60.0, 0.10, 4, 0.85, "#bcbd22"),
    Role("mental_health_practitioner", "Mental health practitioner", True, _mix("mental_health_practitioner"), 62_340.0, 0.0, 0.5, 0.6, 1.0, 25.0, 0.10, 4, 0.85, "#17becf"),
)

ROLE_KEYS: tuple[str, ...] = tuple(r.key for r in ROLES)  #: The roles' keys, in catalogue order.
ROLE_INDEX: dict[str, int] = {k: i for i, k in enumerate(ROLE_KEYS)}  #: Role key -> index.
N_ROLES = len(ROLES)
GP = ROLE_INDEX["gp"]
NURSE = ROLE_INDEX["practice_nurse"]
CORE_ROLES = (GP, NURSE)


# When each ARRS role became reimbursable (assumption, after the Network Contract DES specifications for
# 2019/20 to 2021/22; no row of the evidence table): clinical pharmacists and link workers from the scheme's
# start; physiotherapists, physician associates, pharmacy technicians, care coordinators and health and
# wellbeing coaches from April 2020; nursing associates from October 2020; paramedics and mental health
# practitioners from April 2021. Networks plan posts only in eligible roles (the E5 mix renormalised).
ELIGIBLE_FROM: dict[str, dt.date] = {
    "pharmacist": dt.date(2019, 7, 1),
    "link_worker": dt.date(2019, 7, 1),
    "care_coordinator": dt.date(2020, 4, 1),
    "pharmacy_technician": dt.date(2020, 4, 1),
    "physiotherapist": dt.date(2020, 4, 1),
    "physician_associate": dt.date(2020, 4, 1),
    "wellbeing_coach": dt.date(2020, 4, 1),
    "nursing_associate": dt.date(2020, 10, 1),
    "paramedic": dt.date(2021, 4, 1),
    "mental_health_practitioner": dt.date(2021, 4, 1),
}


def role_table() -> pd.DataFrame:
    """The catalogue as a DataFrame, one row per role."""
    return pd.DataFrame([{f.name: getattr(r, f.name) for f in fields(Role)} for r in ROLES]).set_index("key")


class RoleArrays:
    """Columns of the catalogue as NumPy arrays indexed by role id (built once per model)."""

    def __init__(self) -> None:
        for f in fields(Role):
            if f.name in ("key", "label", "colour"):
                continue
            dtype = bool if f.type in (bool, "bool") else float
            setattr(self, f.name, np.array([getattr(r, f.name) for r in ROLES], dtype=dtype))
        self.arrs = np.array([r.arrs for r in ROLES], dtype=bool)
        self.notice_weeks = np.array([r.notice_weeks for r in ROLES], dtype=np.int32)
        self.keys = ROLE_KEYS
        # first day each role is reimbursable (proleptic ordinal; core roles: always)
        self.eligible_from = np.array([ELIGIBLE_FROM[r.key].toordinal() if r.key in ELIGIBLE_FROM else 0
                                       for r in ROLES], dtype=np.int64)

    def eligible(self, d: dt.date) -> np.ndarray:
        """Which roles are eligible for reimbursement (ARRS) or always employed (core) on date ``d``."""
        return self.eligible_from <= d.toordinal()


def role_index(key: str) -> int:
    """Index of a role, with a clear error for an unknown one."""
    from pcnsim.errors import PCNSimInputError

    try:
        return ROLE_INDEX[key]
    except KeyError:
        raise PCNSimInputError(
            f"unknown role {key!r}; allowed roles: {', '.join(ROLE_KEYS)}", field="role"
        ) from None
