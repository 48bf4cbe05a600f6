"""Unit costs of interventions (GBP), and helpers that price staff time.

Figures from the evidence table (:mod:`pcnsim.evidence`) where it has them; otherwise documented assumptions (2023/24 prices,
moved with the model's ``pay_growth`` like the pay caps of E8). See ``docs/interventions.md``.

ARRS staff time
    The pay the network offers per FTE-year as the model uses it (pay cap incl. on-costs, E8, times
    ``salary_to_cap`` and pay growth, with any top-up: :meth:`pcnsim.money.MoneyAndPay.offered_pay`) spread over
    ``HOURS_PER_FTE_WEEK`` x 52.18 paid hours. A clinical pharmacist at the 2023/24 cap of GBP 62,340 and
    ``salary_to_cap`` 0.8 costs about GBP 25 an hour.
GP time (``GP_SESSION_GBP``), assumption
    The evidence table gives how many GP sessions supervision takes (E17) but not what a session costs. Derived
    from the BMA model contract for salaried GPs 2023/24 (GBP 68,975 to 104,085 for 9 sessions a week;
    midpoint GBP 86,530), plus employer on-costs of about 33% (NHS pension 20.68%, National Insurance
    about 12%) = GBP 115,100 a year, over 9 sessions x 45.7 working weeks (6.5 weeks of leave, study
    leave and bank holidays) = 411 sessions: about GBP 280 a session. (A locum session costs more, GBP
    350-450; using a locum to back-fill would raise every GP-time cost here.) GP time also costs
    appointments: ``appointments_per_gp_session`` per session (the model counts them, E17).
Practice nurse time (``NURSE_FTE_YEAR_GBP``), assumption
    Agenda for Change band 6, 2023/24 midpoint about GBP 39,000, plus about 28% on-costs: GBP 50,000 a
    year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pcnsim.mechanisms.finance import WEEKS_PER_YEAR, cap_factor
from pcnsim.roles import GP, NURSE

if TYPE_CHECKING:
    from pcnsim.levers import Levers
    from pcnsim.model import PCNModel

HOURS_PER_FTE_WEEK = 37.5  #: Paid hours in a full-time week: Agenda for Change (assumption for every ARRS role).
GP_SESSION_GBP = 280.0  #: GBP per GP session, 2023/24 prices (assumption derived above).
NURSE_FTE_YEAR_GBP = 50_000.0  #: GBP per practice-nurse FTE-year, 2023/24 prices (assumption derived above).


def price_factor(model: PCNModel) -> float:
    """Prices of the current financial year relative to 2023/24 (the model's pay growth, E8)."""
    return cap_factor(model.fy, model.params.pay_growth)


def gp_session_cost(model: PCNModel) -> float:
    """GBP per GP session this financial year."""
    return GP_SESSION_GBP * price_factor(model)


def hourly_cost(model: PCNModel, rows: np.ndarray) -> np.ndarray:
    """Employment cost of one hour of each staff row in ``rows`` (GBP): ARRS at the reimbursable rate,
    GPs at :data:`GP_SESSION_GBP` per session, practice nurses at :data:`NURSE_FTE_YEAR_GBP`."""
    s = model.staff
    role = s.role[rows].astype(np.int64)
    net = s.network[rows].astype(np.int64)
    per_fte = model.offered_pay(None)[net, role]  # what the network pays an ARRS post (0 for core roles: no cap)
    hour = per_fte / (HOURS_PER_FTE_WEEK * WEEKS_PER_YEAR)
    f = price_factor(model)
    hour = np.where(role == GP, GP_SESSION_GBP * f / model.params.hours_per_session, hour)
    hour = np.where(role == NURSE, NURSE_FTE_YEAR_GBP * f / (HOURS_PER_FTE_WEEK * WEEKS_PER_YEAR), hour)
    return hour


def by_network(model: PCNModel, mask: np.ndarray, weights: np.ndarray | float | None = None) -> np.ndarray:
    """Per network of ``model``: the number of staff rows flagged in ``mask`` (with ``weights``, per row or
    one value, their sum). Interventions cost by network this way (``Levers.charge``)."""
    rows = np.flatnonzero(mask)
    w = None if weights is None else np.broadcast_to(np.asarray(weights, np.float64), mask.shape)[rows]
    return np.bincount(model.staff.network[rows], weights=w, minlength=model.n_networks).astype(np.float64)


def staff_time(model: PCNModel, mask: np.ndarray, hours: float | np.ndarray, levers: Levers | None = None,
               priced: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Cost (GBP, per network) of ``hours`` of the time of every staff row flagged in ``mask`` this week, and
    the GP sessions that this takes (per network) (which the model turns into lost appointments, E17). With ``levers``, the hours
    are also recorded as time away from patients (``hours_away``: the model takes the appointments of the
    other staff's hours off its count). ``priced=False``: the caller prices the time itself (the cost
    returned is zero, and the hourly costs are not looked up)."""
    rows = np.flatnonzero(mask)
    n = model.n_networks
    if len(rows) == 0:
        return np.zeros(n), np.zeros(n)
    h = np.broadcast_to(np.asarray(hours, dtype=np.float64), mask.shape)[rows]
    if levers is not None:
        away = levers.staff("hours_away")
        away[rows] += h.astype(away.dtype)
    net = model.staff.network[rows]
    cost = np.bincount(net, weights=hourly_cost(model, rows) * h, minlength=n) if priced else np.zeros(n)
    gp = model.staff.role[rows] == GP
    sessions = np.bincount(net[gp], weights=h[gp], minlength=n) / model.params.hours_per_session
    return cost, sessions
