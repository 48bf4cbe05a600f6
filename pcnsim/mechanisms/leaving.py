"""Mechanism 7 (with 6), intention to leave and leaving: two kinds of exit; turnover contagion.

Evidence: E15 (team climate, OR 1.6 per SD), E22 (embeddedness), E11 and E16 (supervision), E12 (job
discrepancy, OR 4.86 per 30 points), E20 (moderate remote work lowers turnover intention: a direction),
E26 (pay below the London market: a direction), E13 (only part of intention becomes leaving: 20% vs 4%
within 12 months), E23 (turnover contagion through co-workers: a direction), E28 and E29 (exits for
reasons no workplace policy touches).

Intention (the log-odds of intending to leave within a year; :func:`log_odds`)::

    z = intercept [+ core offset] + w_isolation (1 - belonging) + w_supervision (1 - support)
        + w_discrepancy discrepancy + w_burnout burnout + w_pay pay_gap
        - w_flexibility min(remote, threshold) / threshold + w_contagion contagion

Effects are on the scale their evidence uses: ``w_isolation = log(isolation_or_per_sd) / SD`` with SD the
SD of belonging among settled ARRS staff (``belonging_sd_settled``, measured in the default scenario and
re-measured by a test: docs/ODD.md 7.3), and ``w_discrepancy = log(discrepancy_or_per_30) x discrepancy_points / 30`` (E12's
scale read as ``discrepancy_points`` per unit share of time). Each person carries a personal propensity
``e``, a standard logistic draw made at hire and drawn anew with chance ``propensity_renewal`` a week; they
intend to leave while ``z + e > 0``, so the share intending among people in one situation is
``expit(z)``, and an intention persists while the situation does (which E13's conversions need).

Leaving (:func:`exits`): each week every person not on notice draws one uniform number (from their
network's ``exit`` stream, :mod:`pcnsim.streams`), which decides both kinds of exit:

* **lever-free exits**: retirement, relocation, and (ARRS roles) the end of a fixed-term or training
  post, at weekly hazards from annual rates by role (E28, E29; ARRS staff's younger age profile and the
  fixed-term rate are assumptions / calibrated). No intervention can change them: they do not depend on
  any lever or state, and with common random numbers the same person retires in the same week in every
  scenario while the populations agree;
* **resignation**, at a weekly hazard from ``leave_if_intending`` or ``leave_if_not_intending`` (annual
  chances, calibrated to E13's conversions, T2) by the person's intention state.

Either starts the role's notice period; the person leaves when it runs out. The strength of the ties
colleagues lose to someone who *resigned* adds to their ``contagion`` (E23: co-workers' job search, not
retirement, spreads quitting), which fades by ``contagion_decay`` a week.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from pcnsim import streams, threads
from pcnsim._jit import blocked, njit
from pcnsim.mechanisms.ties import cut_row
from pcnsim.state import EXIT_KINDS
from pcnsim.streams import Stream

RETIREMENT, RELOCATION, END_OF_POST, RESIGNATION = (EXIT_KINDS.index(k) for k in
                                                    ("retirement", "relocation", "end_of_post", "resignation"))


def weekly_hazard(annual: float | np.ndarray) -> float | np.ndarray:
    """Weekly chance equivalent to an annual chance ``annual``."""
    return 1.0 - (1.0 - np.asarray(annual, dtype=np.float64)) ** (1.0 / 52.0)


def isolation_weight(or_per_sd: float, sd: float) -> float:
    """Log-odds per unit of isolation (1 - belonging) of an odds ratio quoted per SD (E15)."""
    return math.log(or_per_sd) / sd


def discrepancy_weight(or_per_30: float, points_per_unit: float) -> float:
    """Log-odds per unit of discrepancy of E12's odds ratio per 30 points of its scale."""
    return math.log(or_per_30) * points_per_unit / 30.0


@njit(inline="always")
def log_odds(intercept: float, belonging: float, support: float, discrepancy: float, burnout: float,
             pay_gap: float, remote: float, contagion: float, w_isolation: float, w_supervision: float,
             w_discrepancy: float, w_burnout: float, w_pay: float, w_flexibility: float, w_contagion: float,
             heavy_remote_threshold: float) -> float:
    """Log-odds ``z`` of intending to leave within a year (the formula above)."""
    flex = min(remote, heavy_remote_threshold) / heavy_remote_threshold
    return (intercept + w_isolation * (1.0 - belonging) + w_supervision * (1.0 - support)
            + w_discrepancy * discrepancy + w_burnout * burnout + w_pay * pay_gap
            - w_flexibility * flex + w_contagion * contagion)


@njit(inline="always")
def probability(z: float) -> float:
    """The chance of intending to leave, from its log-odds."""
    return 1.0 / (1.0 + math.exp(-z))


@njit(inline="always")
def discrepancy_step(discrepancy: float, role_base: float, clarity: float, cut: float, rate: float) -> float:
    """One week's drift of job discrepancy towards the role's level in the network: the role's baseline
    x (1 - role clarity) x (1 - any intervention cut)."""
    return discrepancy + rate * (role_base * (1.0 - clarity) * (1.0 - cut) - discrepancy)


def draw_personal(stream: Stream, net: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Personal draws of new people (one per element of ``net``, their network), from three uniforms each
    of ``stream``: the propensity to leave (standard logistic, so that P(z + e > 0) = expit(z)) and the
    affiliation of belonging (standard normal)."""
    u = stream.uniforms(np.repeat(np.asarray(net, dtype=np.int64), 3)).reshape(-1, 3)
    return (streams.logistic(u[:, 0]).astype(np.float32),
            streams.normal(u[:, 1], u[:, 2]).astype(np.float32))


def renew_personal(stream: Stream, net: np.ndarray, propensity: np.ndarray, affiliation: np.ndarray,
                   rate: float) -> None:
    """Draw the personal propensity and affiliation anew, in place, for a random ``rate`` share of people
    (circumstances outside work change): one uniform of ``stream`` per person (network ``net``), then
    :func:`draw_personal` for those renewed."""
    net = np.asarray(net, dtype=np.int64)
    renew = np.flatnonzero(stream.uniforms(net) < rate)
    if len(renew):
        propensity[renew], affiliation[renew] = draw_personal(stream, net[renew])


def exit_hazards(h_retire: np.ndarray, h_relocate: np.ndarray, h_end: np.ndarray) -> np.ndarray:
    """Cumulative weekly hazards per role (roles x 3), or per network x role (networks x roles x 3):
    retirement, + relocation, + end of post."""
    return np.cumsum(np.stack([h_retire, h_relocate, h_end], axis=-1), axis=-1)


def exits(stream: Stream, net: np.ndarray, role: np.ndarray, intends: np.ndarray, lever_free: np.ndarray,
          h_intending: float | np.ndarray, h_not: float | np.ndarray) -> np.ndarray:
    """Who starts to leave this week, and why, for people not already on notice: per person 0 (stays) or an
    exit kind (:data:`pcnsim.state.EXIT_KINDS`).

    One uniform ``u`` per person (from their network ``net``'s ``stream``) decides both kinds: ``u`` below
    the role's cumulative lever-free hazards (``lever_free``, roles x 3 from :func:`exit_hazards`, or
    networks x roles x 3) is a retirement, relocation or end of post; else ``u`` below that plus the
    resignation hazard of the person's intention state (one value, or one per network) is a resignation.
    (One compiled pass over the people, after one bulk draw of their uniforms.)"""
    u = stream.uniforms(net)
    lf = np.asarray(lever_free, np.float64)
    lf = lf[None] if lf.ndim == 2 else lf
    h1, h0 = np.atleast_1d(np.asarray(h_intending, np.float64)), np.atleast_1d(np.asarray(h_not, np.float64))
    k = max(lf.shape[0], len(h1), len(h0))  # networks with values of their own (1: the same everywhere)
    lf = np.ascontiguousarray(np.broadcast_to(lf, (k, *lf.shape[1:])))
    h1, h0 = np.ascontiguousarray(np.broadcast_to(h1, (k,))), np.ascontiguousarray(np.broadcast_to(h0, (k,)))
    g = np.asarray(net, np.int64) if k > 1 else np.zeros(len(u), np.int64)
    return _exits(u, g, np.asarray(role, np.int64), np.asarray(intends, np.bool_), lf, h1, h0)


@njit
def _exits(u, net, role, intends, lever_free, h_intending, h_not):  # noqa: ANN001, ANN202
    kind = np.zeros(len(u), np.int8)
    for i in range(len(u)):
        x, r, g = u[i], role[i], net[i]
        if x < lever_free[g, r, 0]:
            kind[i] = RETIREMENT
        elif x < lever_free[g, r, 1]:
            kind[i] = RELOCATION
        elif x < lever_free[g, r, 2]:
            kind[i] = END_OF_POST
        elif x < lever_free[g, r, 2] + (h_intending[g] if intends[i] else h_not[g]):
            kind[i] = RESIGNATION
    return kind


def cut_and_contagion(tie_j: np.ndarray, tie_w: np.ndarray, ids: np.ndarray, net: np.ndarray, left: np.ndarray,
                      resigned: np.ndarray, touched: np.ndarray, contagion: np.ndarray, keep: np.ndarray) -> None:
    """Colleagues lose their ties to this week's leavers and feel it if they resigned (E23), in place, in
    one compiled pass over ``ids`` (networks ``net``) for everyone not leaving (``left``, per row):

    in a network some leaver was in (``touched``), their ties to leavers are removed (as
    :func:`pcnsim.mechanisms.ties.cut_leavers`) and the strength of those to people who resigned
    (``resigned``) is their exposure; then ``contagion <- contagion x keep[network] + exposure``, in the
    contagion's precision (single), as NumPy computes it over the same people."""
    with threads.blocks(len(ids), len(ids)) as nb:  # each person's row and contagion are their own: even blocks
        _cut_and_contagion(nb, tie_j, tie_w, np.asarray(ids, np.int64), np.asarray(net, np.int64),
                           np.asarray(left, np.bool_), np.asarray(resigned, np.bool_), np.asarray(touched, np.bool_),
                           contagion, np.asarray(keep, contagion.dtype), threads.even_bounds(len(ids), nb))


@blocked
def _cut_and_contagion(tie_j, tie_w, ids, net, left, resigned, touched, contagion, keep, bounds):  # noqa: ANN001, ANN202
    for b in prange(len(bounds) - 1):
        _cut_and_contagion_block(tie_j, tie_w, ids, net, left, resigned, touched, contagion, keep, bounds[b],
                                 bounds[b + 1])


@njit
def _cut_and_contagion_block(tie_j, tie_w, ids, net, left, resigned, touched, contagion, keep, lo, hi):  # noqa: ANN001, ANN202
    for p in range(lo, hi):
        i, g = ids[p], net[p]
        if left[i]:
            continue
        exposure = np.float32(0.0)
        if touched[g]:  # (summed in double precision, then stored in single, as cut_leavers does)
            exposure = np.float32(cut_row(tie_j, tie_w, i, left, resigned))
        contagion[i] = contagion[i] * keep[g] + exposure
