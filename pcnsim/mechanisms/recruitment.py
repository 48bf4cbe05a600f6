"""Mechanism 8, recruitment constrained by supply, place, pay, time and budget.

Evidence: E4 and E7 (the budget path and growth from zero), E25 (recruiting pharmacists and mental health
practitioners is hard), E3 (deprived areas), E26 and E39 (London pay), E24 (the vaccination programme took
managers' time), E18 (space; not modelled), E27 (new starters retrofitted, learning on the job). Rates are
calibrated (T4, T5) or assumptions.

ARRS posts: a network plans FTE per role = allocation x ``planned_share`` x role mix / reimbursable cost
per FTE-year, so planned posts never cost more than the allocation. Core posts (GPs, nurses) keep the
establishment a practice started with. A vacancy (planned FTE minus FTE in post and not on notice) opens
posts of the role's mean FTE, and one part-time (or shared) post for what is left, if at least
``min_post_fte`` (a small floor, so that every role in the mix can be recruited: no role is walled off
because a network cannot fund a whole post). Each open post is filled this week with chance

    q = fill_rate x (1 + fill_rate_trend) ** years x vaccination factor x supply(role)
          x (1 - deprivation_penalty x deprivation) x exp(-pay_gap_recruit x pay gap)

``years`` counts from the scheme's start (:func:`fill_rate_at`: networks learn to recruit, supply grows;
calibrated); the vaccination factor is below 1 only while a network runs vaccination-style work (the
programme of 2020-22 and the ``shared_vaccination`` intervention). One uniform per open post, from the
network's ``recruit`` stream (:mod:`pcnsim.streams`).
"""

from __future__ import annotations

import numpy as np

from pcnsim._jit import njit
from pcnsim.streams import Stream, uniform


def open_posts(vacancy_fte: np.ndarray, post_fte: np.ndarray, min_post: float | np.ndarray) -> np.ndarray:
    """Number of posts open for each unit's vacancy (``min_post``: the smallest post, FTE; one value or
    broadcast with the units)."""
    v = np.maximum(vacancy_fte, 0.0)
    full = np.floor(v / post_fte + 1e-9)
    rest = v - full * post_fte
    return (full + (rest >= min_post - 1e-9)).astype(np.int64)


def fill_rate_at(fill_rate: float, trend: float, years: float) -> float:
    """The ARRS fill rate (per week per open post) ``years`` after the scheme's start: ``fill_rate`` x
    (1 + ``trend``) ** years (no change before the start)."""
    return fill_rate * (1.0 + trend) ** max(years, 0.0)


def fill_chance(base: np.ndarray, supply: np.ndarray, deprivation: np.ndarray, penalty: float,
                pay_gap: np.ndarray, pay_sensitivity: float) -> np.ndarray:
    """Chance that an open post is filled this week (probability per week): ``base`` (the weekly fill rate,
    one value or per network x role) x the role's ``supply`` x (1 - ``penalty`` x deprivation share) x exp(-``pay_sensitivity`` x pay gap,
    a share), clipped to 0-1."""
    q = base * supply * (1.0 - penalty * deprivation) * np.exp(-pay_sensitivity * pay_gap)
    return np.clip(q, 0.0, 1.0)


def hires(stream: Stream, unit_net: np.ndarray, posts: np.ndarray, q: np.ndarray, vacancy_fte: np.ndarray,
          post_fte: np.ndarray, min_post: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Draw this week's hires. Returns (unit index per hire, FTE per hire); FTE never exceeds the vacancy.

    Each open post is filled with chance ``q`` of its unit, by one uniform of the unit's network
    (``unit_net``) ``stream``, posts in unit order (so a unit's hires are Binomial(posts, q)); the first
    posts of a unit to be filled are the whole ones, the last the remainder of its vacancy. ``min_post``
    (the smallest post, FTE) is one value or one per unit. One compiled pass over the units, drawing as it
    goes (the uniforms ``stream.uniforms`` gives for one element per open post)."""
    return _hires(np.asarray(unit_net, np.int64), np.asarray(posts, np.int64), np.asarray(q, np.float64),
                  np.asarray(vacancy_fte, np.float64), np.asarray(post_fte, np.float64),
                  np.ascontiguousarray(np.atleast_1d(np.asarray(min_post, np.float64))), stream.seed, stream.counter)


@njit
def _hires(unit_net, posts, q, vacancy, post, floor, seed, counter):  # noqa: ANN001, ANN202
    # Per unit: one uniform per open post (its network's counter advancing), the posts filled where the
    # uniform is below q; then the k-th hire (k from 0) gets clip(vacancy - k x post, 0, post) FTE, kept
    # if at least the unit's smallest post (less 1e-9). The FTE is rounded to single precision at the end.
    n_units = len(posts)
    per_unit = len(floor) > 1
    total = 0
    for i in range(n_units):
        total += posts[i]
    unit = np.empty(total, np.int64)
    fte = np.empty(total, np.float32)
    m = 0
    for i in range(n_units):
        n_open = posts[i]
        if n_open <= 0:
            continue
        g = unit_net[i]
        c = counter[g]
        filled = 0
        for _ in range(n_open):
            filled += uniform(seed[g], c) < q[i]
            c += np.uint64(1)
        counter[g] = c
        lo = floor[i if per_unit else 0] - 1e-9
        for k in range(filled):
            f = min(max(vacancy[i] - k * post[i], 0.0), post[i])
            if f >= lo:
                unit[m] = i
                fte[m] = np.float32(f)
                m += 1
    return unit[:m], fte[:m]


def productivity(tenure_weeks: np.ndarray, learning_weeks: float) -> np.ndarray:
    """Learning curve: 50% at the start, approaching 100% (E27 + assumption)."""
    return 1.0 - 0.5 * np.exp(-np.maximum(tenure_weeks, 0) / learning_weeks)


def in_post(staff: object, is_arrs: np.ndarray, nurse: int, n_networks: int, n_practices: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """FTE in post and not on notice: ARRS staff per network x role, core staff per practice x {GP, nurse}
    (the units vacancies are counted in). One compiled pass over the staff arrays, in id order (the sums of
    ``np.bincount`` over the active ids)."""
    s = staff
    arrs, core = _in_post(s.active, s.notice_left, s.role, s.network, s.practice, s.fte, int(s.n),
                          np.asarray(is_arrs, np.bool_), int(nurse), int(n_networks), int(n_practices),
                          len(is_arrs))
    return arrs.reshape(n_networks, len(is_arrs)), core.reshape(n_practices, 2)


@njit
def _in_post(active, notice_left, role, network, practice, fte, n, is_arrs, nurse, n_networks, n_practices,  # noqa: ANN001, ANN202
             n_roles):
    arrs = np.zeros(n_networks * n_roles)
    core = np.zeros(n_practices * 2)
    for i in range(n):
        if not active[i]:
            continue
        f = np.float64(fte[i]) if notice_left[i] < 0 else 0.0
        r = role[i]
        if is_arrs[r]:
            arrs[network[i] * n_roles + r] += f
        else:
            core[practice[i] * 2 + (1 if r == nurse else 0)] += f
    return arrs, core
