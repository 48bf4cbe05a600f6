"""Mechanisms 3-5 and intention (7), person by person in one compiled pass.

Each week every person's belonging (:mod:`~pcnsim.mechanisms.belonging`), supervision, peer support and
support (:mod:`~pcnsim.mechanisms.support`), burnout (:mod:`~pcnsim.mechanisms.workload`), job discrepancy,
pay gap and intention to leave (:mod:`~pcnsim.mechanisms.leaving`) are updated. The formulas, their evidence
and their documentation live in those modules, as NumPy functions; :func:`reference` composes them. Here
the same formulas run in two compiled passes over the staff (:func:`team_sums`, then :func:`update`), about
six times faster than the dozens of NumPy gathers, temporaries and scatters of the reference. Tests check
:func:`update` against :func:`reference`, field by field, so the two cannot drift apart.

The kernel works in double precision and stores the staff arrays' single precision; the reference rounds
some intermediate values to single precision, so the two agree to about 1e-6, not bit for bit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from pcnsim._jit import njit
from pcnsim.mechanisms import belonging as bel
from pcnsim.mechanisms import leaving as lv
from pcnsim.mechanisms import support as sup
from pcnsim.mechanisms import workload as wl


class Weights(NamedTuple):
    """The scalar parameters of the pass (from :class:`pcnsim.params.Params`; see there for each)."""

    belonging_tie_scale: float
    belonging_dilution: float
    belonging_base_bonus: float
    belonging_vision_weight: float
    belonging_rate: float
    peer_scale: float
    supervision_weight: float
    workload_multiplier: float  # ``pandemic_workload`` during the pandemic, else 1
    baseline_strain: float
    burnout_rise: float
    burnout_recovery: float
    discrepancy_rate: float
    intention_intercept: float
    core_intention_offset: float
    w_isolation: float
    w_supervision: float
    w_discrepancy: float
    w_burnout: float
    w_pay: float
    w_flexibility: float
    w_contagion: float
    heavy_remote_threshold: float

    @classmethod
    def of(cls, params: object, pandemic: bool) -> Weights:
        fields = {f: float(getattr(params, f)) for f in cls._fields if f != "workload_multiplier"}
        return cls(workload_multiplier=float(params.pandemic_workload) if pandemic else 1.0, **fields)


class PersonLevers(NamedTuple):
    """The per-staff levers the pass reads (arrays indexed by staff id, or None: neutral)."""

    protected_hours: np.ndarray | None = None
    peer_bonus: np.ndarray | None = None
    extra_load: np.ndarray | None = None
    discrepancy_cut: np.ndarray | None = None


NO_LEVERS = PersonLevers()  # every lever neutral
_NONE = np.zeros(1, dtype=np.float32)


def team_sums(role: np.ndarray, net: np.ndarray, fte: np.ndarray, on_notice: np.ndarray, is_arrs: np.ndarray,
              need_per_fte: np.ndarray, n_networks: int, n_roles: int) -> tuple[np.ndarray, np.ndarray]:
    """Supervision demand per network (hours) and FTE in post (not on notice) per team (network x role).

    ``role``, ``net``, ``fte`` and ``on_notice`` are per person; ``is_arrs`` and ``need_per_fte`` (hours of
    supervision an FTE of the role needs a week) per role. The same sums, in the same order, as
    ``np.bincount(net, weights=need)`` and ``np.bincount(net * n_roles + role, weights=in_post)``."""
    return _team_sums(np.asarray(role, np.int64), np.asarray(net, np.int64), np.asarray(fte, np.float64),
                      np.asarray(on_notice, np.bool_), np.asarray(is_arrs, np.bool_),
                      np.asarray(need_per_fte, np.float64), int(n_networks), int(n_roles))


@njit
def _team_sums(role, net, fte, on_notice, is_arrs, need_per_fte, n_networks, n_roles):  # noqa: ANN001, ANN202
    demand = np.zeros(n_networks)
    in_post = np.zeros(n_networks * n_roles)
    for i in range(len(role)):
        r, g = role[i], net[i]
        demand[g] += need_per_fte[r] * fte[i] if is_arrs[r] else 0.0
        in_post[g * n_roles + r] += 0.0 if on_notice[i] else fte[i]
    return demand, in_post


def update(ids: np.ndarray, role: np.ndarray, net: np.ndarray, fte: np.ndarray, remote: np.ndarray,
           strength: np.ndarray, same_strength: np.ndarray, split: np.ndarray, base: np.ndarray,
           staff: object, vision: np.ndarray, clarity: np.ndarray, coverage: np.ndarray, team_load: np.ndarray,
           pay_gap: np.ndarray, is_arrs: np.ndarray, need_per_fte: np.ndarray, role_discrepancy: np.ndarray,
           w: Weights, levers: PersonLevers = NO_LEVERS) -> tuple[float, int, float]:
    """Update the wellbeing of the people ``ids`` in place, in ``staff`` (a :class:`~pcnsim.state.StaffArrays`).

    Per person (in the order of ``ids``): ``role``, ``net``, ``fte``, ``remote`` (share), ``strength`` and
    ``same_strength`` (tie sums after this week's contact), ``split`` (practices worked at) and ``base``.
    Per network: ``vision``, ``clarity`` and supervision ``coverage``; per team (network x role, flat):
    ``team_load``; per network x role: ``pay_gap`` (market over offered pay, minus 1). Per role: ``is_arrs``,
    ``need_per_fte`` (supervision hours a week) and ``role_discrepancy``. The person's personal propensity
    must already be renewed for the week.

    Writes belonging, supervision, peer, support, load, burnout, discrepancy, pay_gap, intention and
    intends. Returns the supervision received summed over the people who need it, their number, and the
    protected hours given (for GP sessions)."""
    s = staff
    ids = np.asarray(ids, np.int64)
    # The two exponentials of the tie sums are taken here, by NumPy in single precision (vectorised, and as
    # the reference takes them): a scalar exp in the loop costs about 10 ns a person each.
    strength = np.asarray(strength, np.float32)
    peer_ties = np.asarray(same_strength, np.float32)
    if levers.peer_bonus is not None:
        peer_ties = peer_ties + levers.peer_bonus[ids]

    def lever(a: np.ndarray | None) -> tuple[np.ndarray, bool]:  # the kernel takes an array and a flag
        return (_NONE, False) if a is None else (a, True)

    return _update(
        ids, np.asarray(role, np.int64), np.asarray(net, np.int64),
        np.asarray(fte, np.float64), remote, np.exp(-strength / w.belonging_tie_scale),
        np.exp(-peer_ties / w.peer_scale), split, base,
        s.belonging, s.supervision, s.peer, s.support, s.load, s.burnout, s.discrepancy, s.pay_gap, s.contagion,
        s.propensity, s.intention, s.intends,
        np.asarray(vision, np.float64), np.asarray(clarity, np.float64), np.asarray(coverage, np.float64),
        np.asarray(team_load, np.float64), np.ascontiguousarray(pay_gap, np.float64),
        np.asarray(is_arrs, np.bool_), np.asarray(need_per_fte, np.float64),
        np.asarray(role_discrepancy, np.float64),
        *lever(levers.protected_hours), *lever(levers.extra_load), *lever(levers.discrepancy_cut), w)


@njit
def _update(ids, role, net, fte, remote, untied, unpeered, split, base,  # noqa: ANN001, ANN202, PLR0913
            belonging, supervision, peer, support, load, burnout, discrepancy, pay_gap, contagion, propensity,
            intention, intends, vision, clarity, coverage, team_load, gap, is_arrs, need_per_fte, role_disc,
            protected, has_protected, extra, has_extra, cut, has_cut, w):
    n_roles = gap.shape[1]
    sup_sum, n_need, prot_sum = 0.0, 0, 0.0
    for p in range(len(ids)):
        i, r, g = ids[p], role[p], net[p]
        arrs = is_arrs[r]
        # belonging (belonging.target, belonging.update)
        embed = 1.0 - np.float64(untied[p])  # untied: exp(-strength / tie scale)
        tgt = (0.1 + 0.7 * embed + w.belonging_vision_weight * vision[g] + w.belonging_base_bonus * base[p]
               - w.belonging_dilution * (split[p] - 1))
        tgt = min(max(tgt, 0.0), 1.0)
        b = np.float64(belonging[i])
        b = np.float32(min(max(b + w.belonging_rate * (tgt - b), 0.0), 1.0))
        belonging[i] = b
        # support (support.person_supervision, support.peer, support.combine)
        need = need_per_fte[r] * fte[p] if arrs else 0.0
        pr = 1.0 - np.float64(unpeered[p])  # unpeered: exp(-(same-profession ties + bonus) / peer scale)
        if need > 0.0:
            sv = coverage[g]
            if has_protected:
                sv += np.float64(protected[i]) / max(need, 1e-9)
            sv = min(sv, 1.0)
            su = w.supervision_weight * sv + (1.0 - w.supervision_weight) * pr
            sup_sum += sv
            n_need += 1
        else:
            sv = 1.0
            su = pr
        if has_protected:
            prot_sum += np.float64(protected[i])
        supervision[i], peer[i], support[i] = sv, pr, su
        # workload and burnout (workload.burnout)
        ld = team_load[g * n_roles + r]
        load[i] = ld
        strain = ld * w.workload_multiplier * (1.0 + (np.float64(extra[i]) if has_extra else 0.0)) - 1.0 \
            + w.baseline_strain
        bo = np.float64(burnout[i])
        bo = bo + w.burnout_rise * max(strain, 0.0) * (1.0 - bo) - w.burnout_recovery * su * bo
        bo = np.float32(min(max(bo, 0.0), 1.0))
        burnout[i] = bo
        # job discrepancy drifts to the network's level for the role (leaving.discrepancy_target)
        d_tgt = role_disc[r] * (1.0 - clarity[g])
        if has_cut:
            d_tgt *= 1.0 - np.float64(cut[i])
        d = np.float64(discrepancy[i])
        d = np.float32(d + w.discrepancy_rate * (d_tgt - d))
        discrepancy[i] = d
        # pay gap (ARRS roles only)
        pg = np.float32(gap[g, r] if arrs else 0.0)
        pay_gap[i] = pg
        # intention (leaving.logit, leaving.probability, leaving.intends)
        flex = min(np.float64(remote[p]), w.heavy_remote_threshold) / w.heavy_remote_threshold
        z = (w.intention_intercept + (0.0 if arrs else w.core_intention_offset)
             + w.w_isolation * (1.0 - b) + w.w_supervision * (1.0 - su) + w.w_discrepancy * d
             + w.w_burnout * bo + w.w_pay * pg - w.w_flexibility * flex + w.w_contagion * contagion[i])
        intention[i] = 1.0 / (1.0 + np.exp(-z))
        intends[i] = z + propensity[i] > 0.0
    return sup_sum, n_need, prot_sum


def reference(ids: np.ndarray, role: np.ndarray, net: np.ndarray, fte: np.ndarray, remote: np.ndarray,
              strength: np.ndarray, same_strength: np.ndarray, split: np.ndarray, base: np.ndarray,
              staff: object, vision: np.ndarray, clarity: np.ndarray, coverage: np.ndarray, team_load: np.ndarray,
              pay_gap: np.ndarray, is_arrs: np.ndarray, need_per_fte: np.ndarray, role_discrepancy: np.ndarray,
              w: Weights, levers: PersonLevers = NO_LEVERS) -> tuple[float, int, float]:
    """:func:`update` composed from the mechanisms' NumPy functions (the reference the tests check it by)."""
    s, lev = staff, levers

    def per(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[ids]

    arrs = is_arrs[role]
    tgt = bel.target(strength, split, base, vision[net], w.belonging_tie_scale, w.belonging_dilution,
                     w.belonging_base_bonus, w.belonging_vision_weight)
    belonging = bel.update(s.belonging[ids], tgt, w.belonging_rate)
    need = np.where(arrs, need_per_fte[role] * fte, 0.0)
    protected = per(lev.protected_hours)
    supervision = sup.person_supervision(coverage[net], need, None if protected is None else protected.astype(np.float64))
    peer = sup.peer(same_strength, per(lev.peer_bonus), w.peer_scale)
    support = sup.combine(supervision, peer, need > 0, w.supervision_weight)
    load = team_load[net * pay_gap.shape[1] + role]
    burnout = wl.burnout(s.burnout[ids], load, w.workload_multiplier, per(lev.extra_load), support,
                         w.baseline_strain, w.burnout_rise, w.burnout_recovery)
    d_tgt = lv.discrepancy_target(role_discrepancy[role], clarity[net], per(lev.discrepancy_cut))
    discrepancy = (s.discrepancy[ids] + w.discrepancy_rate * (d_tgt - s.discrepancy[ids])).astype(np.float32)
    gap = np.where(arrs, pay_gap[net, role], 0.0).astype(np.float32)
    z = lv.logit(
        intercept=w.intention_intercept + w.core_intention_offset * (~arrs), belonging=belonging, support=support,
        discrepancy=discrepancy, burnout=burnout, pay_gap=gap, remote=remote, contagion=s.contagion[ids],
        w_isolation=w.w_isolation, w_supervision=w.w_supervision, w_discrepancy=w.w_discrepancy,
        w_burnout=w.w_burnout, w_pay=w.w_pay, w_flexibility=w.w_flexibility, w_contagion=w.w_contagion,
        heavy_remote_threshold=w.heavy_remote_threshold)
    s.belonging[ids], s.supervision[ids], s.peer[ids], s.support[ids] = belonging, supervision, peer, support
    s.load[ids], s.burnout[ids], s.discrepancy[ids], s.pay_gap[ids] = load, burnout, discrepancy, gap
    s.intention[ids] = lv.probability(z)
    s.intends[ids] = lv.intends(z, s.propensity[ids])
    needs = need > 0
    return (float(supervision[needs].sum()), int(needs.sum()),
            0.0 if protected is None else float(protected.astype(np.float64).sum()))
