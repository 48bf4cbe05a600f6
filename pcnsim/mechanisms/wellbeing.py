"""Mechanisms 3-5 and intention (7), person by person in one compiled pass.

Each week every person's belonging (:mod:`~pcnsim.mechanisms.belonging`), supervision, peer support and
support (:mod:`~pcnsim.mechanisms.support`), burnout (:mod:`~pcnsim.mechanisms.workload`), job discrepancy,
pay gap and intention to leave (:mod:`~pcnsim.mechanisms.leaving`) are updated. Each formula is written
once, as a compiled scalar function in its mechanism's module; :func:`update` composes them in one pass
over the staff (after :func:`team_sums`, the sums over teams that the pass reads). There is no second
copy of any formula to keep in step.

The weights are per network (:class:`Weights`: one array per parameter, indexed by network), so that
networks of one model may carry different parameter values.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from pcnsim import threads
from pcnsim._jit import blocked, njit
from pcnsim.mechanisms import belonging as bel
from pcnsim.mechanisms import leaving as lv
from pcnsim.mechanisms import support as sup
from pcnsim.mechanisms import workload as wl


class Weights(NamedTuple):
    """The parameters of the pass, one float64 array each, indexed by network (see
    :class:`pcnsim.params.Params` for each; ``w_isolation`` and ``w_discrepancy`` are derived from the odds
    ratios of E15 and E12 on the scale of the model's own variables)."""

    belonging_tie_half: np.ndarray
    belonging_vision_weight: np.ndarray
    belonging_personal_sd: np.ndarray  # derived: belonging.personal_sd
    belonging_base_bonus: np.ndarray
    belonging_dilution: np.ndarray
    belonging_rate: np.ndarray
    peer_tie_half: np.ndarray
    supervision_weight: np.ndarray
    workload_multiplier: np.ndarray  # ``pandemic_workload`` during the pandemic, else 1
    baseline_strain: np.ndarray
    burnout_rise: np.ndarray
    burnout_recovery: np.ndarray
    discrepancy_rate: np.ndarray
    intention_intercept: np.ndarray
    core_intention_offset: np.ndarray
    w_isolation: np.ndarray  # derived: leaving.isolation_weight
    w_supervision: np.ndarray
    w_discrepancy: np.ndarray  # derived: leaving.discrepancy_weight
    w_burnout: np.ndarray
    w_pay: np.ndarray
    w_flexibility: np.ndarray
    w_contagion: np.ndarray
    heavy_remote_threshold: np.ndarray

    @classmethod
    def of(cls, params: object, pandemic: bool = False, n_networks: int = 1) -> Weights:
        """The weights of one parameter set, the same in each of ``n_networks`` networks."""
        p = params
        derived = {
            "belonging_personal_sd": bel.personal_sd(p.belonging_structural_sd, p.belonging_explained_share),
            "w_isolation": lv.isolation_weight(p.isolation_or_per_sd, p.belonging_sd_settled),
            "w_discrepancy": lv.discrepancy_weight(p.discrepancy_or_per_30, p.discrepancy_points),
            "workload_multiplier": float(p.pandemic_workload) if pandemic else 1.0,
        }
        values = {f: derived[f] if f in derived else float(getattr(p, f)) for f in cls._fields}
        return cls(**{f: np.full(n_networks, v, dtype=np.float64) for f, v in values.items()})

    @classmethod
    def of_table(cls, table: object, pandemic: bool = False) -> Weights:
        """The weights of a :class:`pcnsim.netparams.NetworkParams` (each network its own parameter set)."""
        if len(table.sets) == 1:
            return cls.of(table.first, pandemic, table.n_networks)
        rows = [cls.of(q, pandemic, 1) for q in table.sets]
        return cls(**{f: np.concatenate([getattr(r, f) for r in rows]) for f in cls._fields})

    def matrix(self) -> np.ndarray:
        """The weights as one C-contiguous (networks x fields) array, a network's row in a few cache lines
        (the pass reads a person's network's weights from it; column ``k`` is field ``k``)."""
        return np.ascontiguousarray(np.stack([np.asarray(getattr(self, f), np.float64) for f in self._fields], axis=1))


# Column of each weight in Weights.matrix(): compile-time constants of the pass, looked up by name.
_TIE_HALF = Weights._fields.index("belonging_tie_half")
_VISION_WEIGHT = Weights._fields.index("belonging_vision_weight")
_PERSONAL_SD = Weights._fields.index("belonging_personal_sd")
_BASE_BONUS = Weights._fields.index("belonging_base_bonus")
_DILUTION = Weights._fields.index("belonging_dilution")
_BELONGING_RATE = Weights._fields.index("belonging_rate")
_PEER_HALF = Weights._fields.index("peer_tie_half")
_SUP_WEIGHT = Weights._fields.index("supervision_weight")
_WORKLOAD = Weights._fields.index("workload_multiplier")
_STRAIN = Weights._fields.index("baseline_strain")
_BURNOUT_RISE = Weights._fields.index("burnout_rise")
_BURNOUT_RECOVERY = Weights._fields.index("burnout_recovery")
_DISC_RATE = Weights._fields.index("discrepancy_rate")
_INTERCEPT = Weights._fields.index("intention_intercept")
_CORE_OFFSET = Weights._fields.index("core_intention_offset")
_W_ISOLATION = Weights._fields.index("w_isolation")
_W_SUPERVISION = Weights._fields.index("w_supervision")
_W_DISCREPANCY = Weights._fields.index("w_discrepancy")
_W_BURNOUT = Weights._fields.index("w_burnout")
_W_PAY = Weights._fields.index("w_pay")
_W_FLEXIBILITY = Weights._fields.index("w_flexibility")
_W_CONTAGION = Weights._fields.index("w_contagion")
_THRESHOLD = Weights._fields.index("heavy_remote_threshold")


class PersonLevers(NamedTuple):
    """The per-staff levers the pass reads (arrays indexed by staff id, or None: neutral)."""

    protected_hours: np.ndarray | None = None
    peer_bonus: np.ndarray | None = None
    extra_load: np.ndarray | None = None
    discrepancy_cut: np.ndarray | None = None


NO_LEVERS = PersonLevers()  # every lever neutral
_NONE = np.zeros(1, dtype=np.float32)


def _per_team(need_per_fte: np.ndarray, n_networks: int, n_roles: int) -> np.ndarray:
    """Supervision need per FTE as the kernels take it: networks x roles (a per-role array is the same in
    every network)."""
    need = np.asarray(need_per_fte, np.float64)
    return np.ascontiguousarray(np.broadcast_to(need.reshape(-1, n_roles), (n_networks, n_roles)))


def team_sums(role: np.ndarray, net: np.ndarray, fte: np.ndarray, on_notice: np.ndarray, is_arrs: np.ndarray,
              need_per_fte: np.ndarray, n_networks: int, n_roles: int) -> tuple[np.ndarray, np.ndarray]:
    """Supervision demand (hours) and FTE in post (not on notice) per team (network x role, flat).

    ``role``, ``net``, ``fte`` and ``on_notice`` are per person; ``is_arrs`` per role and ``need_per_fte``
    (hours of supervision an FTE of the role needs a week) per role or per network x role. The same sums, in the same
    order, as
    ``np.bincount(net * n_roles + role, weights=need)`` and ``np.bincount(net * n_roles + role, weights=in_post)``."""
    return _team_sums(np.asarray(role, np.int64), np.asarray(net, np.int64), np.asarray(fte, np.float64),
                      np.asarray(on_notice, np.bool_), np.asarray(is_arrs, np.bool_),
                      _per_team(need_per_fte, int(n_networks), int(n_roles)), int(n_networks), int(n_roles))


@njit
def _team_sums(role, net, fte, on_notice, is_arrs, need_per_fte, n_networks, n_roles):  # noqa: ANN001, ANN202
    demand = np.zeros(n_networks * n_roles)
    in_post = np.zeros(n_networks * n_roles)
    for i in range(len(role)):
        r, g = role[i], net[i]
        demand[g * n_roles + r] += need_per_fte[g, r] * fte[i] if is_arrs[r] else 0.0
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
    Per network: ``vision``, ``clarity`` and the weights ``w``; per team (network x role, flat): supervision
    ``coverage`` and ``team_load``; per network x role: ``pay_gap`` (market over offered pay, minus 1). Per
    role: ``is_arrs`` and ``role_discrepancy``; per role or per network x role ``need_per_fte`` (supervision
    hours a week). The person's personal propensity and affiliation must already be renewed for the week.

    Writes belonging, supervision, peer, support, load, burnout, discrepancy, pay_gap, intention and
    intends. Returns, per network, the supervision received summed over the people who need it, their
    number, and the protected hours given (for GP sessions).

    Everyone's update is their own, so a large week updates even blocks of people on threads
    (:mod:`pcnsim.threads`); the network sums are then added in the order of ``ids``, as on one thread."""
    s = staff

    def lever(a: np.ndarray | None) -> tuple[np.ndarray, bool]:  # the kernel takes an array and a flag
        return (_NONE, False) if a is None else (a, True)

    with threads.blocks(len(ids), len(ids)) as nb:
        return _update(
            nb, threads.even_bounds(len(ids), nb), np.asarray(ids, np.int64), np.asarray(role, np.int64),
            np.asarray(net, np.int64),
            np.asarray(fte, np.float64), np.asarray(remote, np.float32), np.asarray(strength, np.float32),
            np.asarray(same_strength, np.float32), np.asarray(split), np.asarray(base, np.bool_),
            s.belonging, s.supervision, s.peer, s.support, s.load, s.burnout, s.discrepancy, s.pay_gap, s.contagion,
            s.propensity, s.affiliation, s.intention, s.intends,
            np.asarray(vision, np.float64), np.asarray(clarity, np.float64), np.asarray(coverage, np.float64).ravel(),
            np.asarray(team_load, np.float64), np.ascontiguousarray(pay_gap, np.float64),
            np.asarray(is_arrs, np.bool_), _per_team(need_per_fte, len(vision), np.shape(pay_gap)[-1]),
            np.asarray(role_discrepancy, np.float64),
            *lever(levers.protected_hours), *lever(levers.peer_bonus), *lever(levers.extra_load),
            *lever(levers.discrepancy_cut), w.matrix())


@blocked
def _update(bounds, ids, role, net, fte, remote, strength, same_strength, split, base,  # noqa: ANN001, ANN202, PLR0913
            belonging, supervision, peer, support, load, burnout, discrepancy, pay_gap, contagion, propensity,
            affiliation, intention, intends, vision, clarity, coverage, team_load, gap, is_arrs, need_per_fte,
            role_disc, protected, has_protected, bonus, has_bonus, extra, has_extra, cut, has_cut, wm):
    # even blocks of people, each person's supervision and protected hours kept (in double precision) for
    # the network sums, which are then added person by person, in order
    n = len(ids)
    sv_of, prot_of, needs = np.empty(n), np.empty(n), np.empty(n, np.bool_)
    for b in prange(len(bounds) - 1):
        _update_block(bounds[b], bounds[b + 1], ids, role, net, fte, remote, strength, same_strength, split, base,
                      belonging, supervision, peer, support, load, burnout, discrepancy, pay_gap, contagion,
                      propensity, affiliation, intention, intends, vision, clarity, coverage, team_load, gap, is_arrs,
                      need_per_fte, role_disc, protected, has_protected, bonus, has_bonus, extra, has_extra, cut,
                      has_cut, wm, sv_of, prot_of, needs)
    n_net = len(vision)
    sup_sum, n_need, prot_sum = np.zeros(n_net), np.zeros(n_net, np.int64), np.zeros(n_net)
    for p in range(n):
        g = net[p]
        if needs[p]:
            sup_sum[g] += sv_of[p]
            n_need[g] += 1
        prot_sum[g] += prot_of[p]
    return sup_sum, n_need, prot_sum


@njit
def _update_block(p_lo, p_hi, ids, role, net, fte, remote, strength, same_strength, split, base,  # noqa: ANN001, ANN202, PLR0913
                  belonging, supervision, peer, support, load, burnout, discrepancy, pay_gap, contagion, propensity,
                  affiliation, intention, intends, vision, clarity, coverage, team_load, gap, is_arrs, need_per_fte,
                  role_disc, protected, has_protected, bonus, has_bonus, extra, has_extra, cut, has_cut, wm, sv_of,
                  prot_of, needs):
    n_roles = gap.shape[1]
    for p in range(p_lo, p_hi):
        i, r, g = ids[p], role[p], net[p]
        # this person's network's weights: row g of wm (columns: the fields of Weights), read element by element
        # (a row view would count a reference to wm up and down, atomically, for every person)
        arrs = is_arrs[r]
        # mechanism 3: belonging
        embed = bel.embeddedness(np.float64(strength[p]), wm[g, _TIE_HALF])
        tgt = bel.target(embed, vision[g], np.float64(affiliation[i]), base[p], split[p], wm[g, _VISION_WEIGHT],
                         wm[g, _PERSONAL_SD], wm[g, _BASE_BONUS], wm[g, _DILUTION])
        b = np.float32(bel.step(np.float64(belonging[i]), tgt, wm[g, _BELONGING_RATE]))
        belonging[i] = b
        # mechanism 4: support
        need = need_per_fte[g, r] * fte[p] if arrs else 0.0
        prot = np.float64(protected[i]) if has_protected else 0.0
        sv = sup.supervision(coverage[g * n_roles + r], need, prot)
        pr = sup.peer(np.float64(same_strength[p]) + (np.float64(bonus[i]) if has_bonus else 0.0), wm[g, _PEER_HALF])
        su = sup.combine(sv, pr, need > 0.0, wm[g, _SUP_WEIGHT])
        sv_of[p], prot_of[p], needs[p] = sv, prot, need > 0.0
        supervision[i], peer[i], support[i] = sv, pr, su
        su32 = np.float64(np.float32(su))
        # mechanism 5: workload and burnout
        ld = team_load[g * n_roles + r]
        load[i] = ld
        bo = np.float32(wl.burnout_step(np.float64(burnout[i]), ld, wm[g, _WORKLOAD],
                                        np.float64(extra[i]) if has_extra else 0.0, su32, wm[g, _STRAIN],
                                        wm[g, _BURNOUT_RISE], wm[g, _BURNOUT_RECOVERY]))
        burnout[i] = bo
        # job discrepancy and pay gap (ARRS roles only)
        d = np.float32(lv.discrepancy_step(np.float64(discrepancy[i]), role_disc[r], clarity[g],
                                           np.float64(cut[i]) if has_cut else 0.0, wm[g, _DISC_RATE]))
        discrepancy[i] = d
        pg = np.float32(gap[g, r] if arrs else 0.0)
        pay_gap[i] = pg
        # mechanism 7: intention
        z = lv.log_odds(wm[g, _INTERCEPT] + (0.0 if arrs else wm[g, _CORE_OFFSET]), np.float64(b), su32, np.float64(d),
                        np.float64(bo), np.float64(pg), np.float64(remote[p]), np.float64(contagion[i]),
                        wm[g, _W_ISOLATION], wm[g, _W_SUPERVISION], wm[g, _W_DISCREPANCY], wm[g, _W_BURNOUT],
                        wm[g, _W_PAY], wm[g, _W_FLEXIBILITY], wm[g, _W_CONTAGION], wm[g, _THRESHOLD])
        intention[i] = lv.probability(z)
        intends[i] = z + propensity[i] > 0.0
