"""Mechanism 2, contact: who meets whom this week (the encounters that :mod:`pcnsim.mechanisms.ties` applies).

Evidence and the law of each kind of encounter (on site, remote, mixing) are set out in
:mod:`pcnsim.mechanisms.ties`; this module draws them, in compiled kernels, from each network's own
streams (:mod:`pcnsim.streams`: ``onsite`` for encounters at practices, ``remote`` and ``mixing`` for the
others), in the order set out there. Parameters the kernels read per network (``homophily``) are one value
or one per network (:func:`per_network`).
"""

from __future__ import annotations

import numpy as np

from pcnsim._jit import njit
from pcnsim.mechanisms.presence import Groups, Sites
from pcnsim.streams import Stream, uniform


def per_network(value: float | np.ndarray) -> np.ndarray:
    """A parameter as the kernels take it: a float64 array with one value per network, or one value for all
    (length 1)."""
    return np.ascontiguousarray(np.atleast_1d(np.asarray(value, np.float64)))


# ---------------------------------------------------------------------------------------------- encounters
# Uniforms come from the network's counter-based stream (pcnsim.streams): in bulk for the Poisson counts,
# and computed inside the encounter kernels as they go (no buffer). Poisson counts are drawn by inversion
# from one uniform each (exact); a mean of ``POISSON_INVERSION_MAX`` or more is the sum of
# ``floor(mean / (POISSON_INVERSION_MAX / 2))`` counts of equal smaller means, each by inversion (exact in
# law: a sum of independent Poisson counts is Poisson with the summed mean).
POISSON_INVERSION_MAX = 30.0


POISSON_HEAD = 10  # counts below this are found without a branch when the means are large (see below)


def poisson(stream: Stream, net: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """One Poisson(``mean[i]``) count per element (int64), element ``i`` drawing from network ``net[i]``'s
    ``stream``: one uniform per element with a positive mean (in element order), then, for the means of
    ``POISSON_INVERSION_MAX`` or more, one per part of the mean (element by element)."""
    mean = np.asarray(mean, dtype=np.float64)
    net = np.asarray(net, dtype=np.int64)
    some = np.flatnonzero(mean > 0.0)  # a mean of 0 needs no draw (e.g. remote encounters of on-site roles)
    if len(some) == len(mean):
        count = _poisson(mean, stream.uniforms(net))
    else:
        count = np.zeros(len(mean), dtype=np.int64)
        count[some] = _poisson(mean[some], stream.uniforms(net[some]))
    big = np.flatnonzero(mean >= POISSON_INVERSION_MAX)
    if len(big):
        parts = np.floor(mean[big] / (POISSON_INVERSION_MAX / 2.0)).astype(np.int64)
        whose = np.repeat(np.arange(len(big)), parts)
        part = _poisson_inversion(np.repeat(mean[big] / parts, parts), stream.uniforms(net[big][whose]),
                                  POISSON_INVERSION_MAX, 0)
        count[big] = np.bincount(whose, weights=part, minlength=len(big)).astype(np.int64)
    return count


def _poisson(mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    # Means of 1 or more on average (on-site encounters: about 4) take the branch-free head; small ones
    # (remote encounters: about 0.06, mostly a count of 0) the plain search, which then rarely loops.
    head = POISSON_HEAD if len(mean) and mean.mean() >= 1.0 else 0
    return _poisson_inversion(mean, u, POISSON_INVERSION_MAX, head)


@njit
def _poisson_inversion(mean, u, big, head):  # noqa: ANN001, ANN202
    # The count is the first k with u < F(k), F the CDF, summed term by term. With ``head`` > 0 the first
    # ``head`` terms are summed without a branch, counting the terms u passes (F rises, so that count is the
    # same k), and only counts of ``head`` or more go on to the loop; the search, whose exit is a branch
    # mispredicted about once a draw, is then rarely entered: 2.6 times faster at means of about 4, and the
    # same counts, term for term. exp(-mean) is taken in a pass of its own beforehand (faster than inside).
    # Without the head (small means), a uniform below 1 - mean gives a count of 0 with no exp at all: since
    # exp(-mean) >= 1 - mean, u < 1 - mean implies u < P(0). The margin of 4.5e-16 (four units in the last
    # place at 1) covers the rounding of 1 - mean and of exp, so the shortcut never changes a count.
    n = len(mean)
    out = np.zeros(n, np.int64)
    e = np.empty(n)
    if head > 0:
        for i in range(n):
            e[i] = np.exp(-mean[i])
    k_top = int(4 * big) + 64  # beyond any count the loop can reach before p underflows (means < big)
    recip = np.empty(k_top + 1)  # 1 / k: a multiply in the loop instead of a division
    recip[0] = 0.0
    for k in range(1, k_top + 1):
        recip[k] = 1.0 / k
    for i in range(n):
        lam = mean[i]
        if lam <= 0.0 or lam >= big:  # none, or drawn by the caller
            continue
        x = u[i]
        if head == 0 and x < (1.0 - lam) - 4.5e-16:
            continue  # a count of 0, without the exp: P(0) = exp(-lam) >= 1 - lam (see above)
        p = e[i] if head > 0 else np.exp(-lam)  # P(0); the CDF is summed until it passes x
        cdf = p
        k = 0
        if head > 0:
            k = np.int64(x >= cdf)
            for j in range(1, head):
                p *= lam * recip[j]
                cdf += p
                k += x >= cdf
            if k < head:
                out[i] = k
                continue
            k = head - 1  # x passed F(head - 1): go on from there
        while x >= cdf and p > 0.0 and k < k_top:  # p underflows only ~40 sd above the mean
            k += 1
            p *= lam * recip[k]
            cdf += p
        out[i] = k
    return out


def site_encounters(stream: Stream, sites: Sites, net: np.ndarray, onsite: np.ndarray, week_days: np.ndarray,
                    homophily: float | np.ndarray, with_same: bool = False) -> tuple[np.ndarray, ...]:
    """On-site encounters this week: returns (``src``, ``dst``) person ids, one pair per encounter that happened
    (with ``with_same``, also ``same``: whether the pair share a profession, for :func:`pcnsim.mechanisms.ties.reinforce`).

    ``net`` (the network), ``onsite`` (1 - remote share) and ``week_days`` (5 x ``contacts_per_day`` x FTE)
    are per person, in the order of the ``ids`` the sites were built from. Each record (person p at practice
    q, a share s of p's on-site time) draws Poisson(week_days[p] x onsite[p] x s) encounters; each picks a
    record of practice q, of p's profession with chance ``homophily`` (one value, or one per network), else
    of any (uniformly); a draw of p's
    own record is no encounter; the encounter happens with chance onsite x share of the partner's record.
    Draws come from ``stream`` (the model's ``onsite``), record by record: the counts, then one uniform per
    encounter.
    """
    here, rec_net, mean = _record_means(sites.owner, sites.share, np.asarray(onsite, dtype=np.float64),
                                        np.asarray(net, dtype=np.int64), np.asarray(week_days, dtype=np.float64))
    count = poisson(stream, rec_net, mean)
    src, dst, same = _site_encounters(count, int(count.sum()), rec_net, stream.seed, stream.counter, sites.staff,
                                      sites.key, here, per_network(homophily), sites.same_lo, sites.same_n, sites.all_lo,
                                      sites.all_n)
    return (src, dst, same) if with_same else (src, dst)


@njit
def _record_means(owner, share, onsite, net, week_days):  # noqa: ANN001, ANN202
    # Per record, in one pass: the chance of being there (onsite x share), the network, and the mean count
    # (week_days x that chance): the products NumPy would form from the gathered arrays, without them.
    n = len(owner)
    here = np.empty(n)
    rec_net = np.empty(n, np.int64)
    mean = np.empty(n)
    for r in range(n):
        o = owner[r]
        h = onsite[o] * share[r]
        here[r], rec_net[r], mean[r] = h, net[o], week_days[o] * h
    return here, rec_net, mean


@njit
def _site_encounters(count, n_enc, rec_net, seed, counter, staff, key, here, homophily_of, same_lo, same_n, all_lo,  # noqa: ANN001, ANN202
                     all_n):
    # One uniform x per encounter (from the record's network's stream, counted as it goes) decides all three
    # things, each from a part of x that is uniform and independent of the others: x < homophily picks the
    # own-profession run, else any; y, x rescaled to [0, 1) within that branch (x / homophily, or
    # (x - homophily) / (1 - homophily)), gives the record floor(y n) of the run's n; the fractional part of
    # y n, uniform on [0, 1) and independent of the record, decides whether the partner is there. (About 40
    # of x's 53 bits are left for that last test.) Written without branches on the draws (selects; a pair is
    # kept by advancing m): about 30% faster. The pair share a profession when the partner's record has the
    # same key (practice and role) as one's own: known here, so tie updates need not look roles up.
    src = np.empty(n_enc, np.int64)
    dst = np.empty(n_enc, np.int64)
    pair_same = np.empty(n_enc, np.bool_)
    per_net = len(homophily_of) > 1
    # the rescaling factors of each network's homophily, once per network (not per record)
    inv_same_of = np.empty(len(homophily_of))
    inv_all_of = np.empty(len(homophily_of))
    for h in range(len(homophily_of)):
        inv_same_of[h] = 1.0 / homophily_of[h] if homophily_of[h] > 0.0 else 0.0
        inv_all_of[h] = 1.0 / (1.0 - homophily_of[h]) if homophily_of[h] < 1.0 else 0.0
    m = 0
    for r in range(len(count)):
        n_r = count[r]
        if n_r == 0:
            continue
        g = rec_net[r]
        h = g if per_net else 0
        homophily, inv_same, inv_all = homophily_of[h], inv_same_of[h], inv_all_of[h]
        b, c = seed[g], counter[g]
        s_lo, s_n, a_lo, a_n, me = same_lo[r], same_n[r], all_lo[r], all_n[r], staff[r]
        for k in range(n_r):
            x = uniform(b, c + np.uint64(k))
            same = x < homophily
            n = s_n if same else a_n
            yn = (x * inv_same if same else (x - homophily) * inv_all) * n
            at = min(np.int64(yn), n - 1)  # (min: rounding at the top; runs are never empty)
            j = (s_lo if same else a_lo) + at
            src[m] = me
            dst[m] = staff[j]
            pair_same[m] = key[j] == key[r]
            m += (j != r) & (yn - at < here[j])  # not oneself, and the partner is there
        counter[g] = c + np.uint64(n_r)
    return src[:m], dst[:m], pair_same[:m]


def group_encounters(stream: Stream, groups: Groups, ids: np.ndarray, net: np.ndarray, role: np.ndarray,
                     mean: np.ndarray, homophily: float | np.ndarray, taking_part: np.ndarray | None = None,
                     with_same: bool = False) -> tuple[np.ndarray, ...]:
    """Encounters across a network (remote, or mixing): returns (``src``, ``dst``) person ids (with
    ``with_same``, also ``same``: whether the pair share a profession, for :func:`pcnsim.mechanisms.ties.reinforce`).

    Person ``ids[i]`` (network ``net[i]``, profession ``role[i]``) draws Poisson(``mean[i]``) encounters; each
    picks a colleague of the network uniformly, of the same profession with chance ``homophily`` (one
    value, or one per network); drawing
    oneself is no encounter. With ``taking_part`` (a per-person-id bool), only partners taking part count.
    Draws come from ``stream`` (the model's ``remote`` or ``mixing``), person by person: the counts, then
    two uniforms per encounter (own profession?, which colleague).
    """
    net = np.asarray(net, dtype=np.int64)
    count = poisson(stream, net, mean)
    part = np.zeros(1, np.bool_) if taking_part is None else np.asarray(taking_part, dtype=np.bool_)
    src, dst, same = _group_encounters(count, int(count.sum()), stream.seed, stream.counter,
                                       np.asarray(ids, dtype=np.int64), net, np.asarray(role, dtype=np.int64),
                                       per_network(homophily), groups.ids, groups.start, int(groups.n_roles), part,
                                       taking_part is not None)
    return (src, dst, same) if with_same else (src, dst)


@njit
def _group_encounters(count, n_enc, seed, counter, ids, net, role, homophily_of, gids, start, n_roles, part,  # noqa: ANN001, ANN202
                      use_part):
    # The partner shares the person's profession when its position in the sorted ids falls in the run of
    # the person's own (network, role). Written without branches on the draws (selects; a pair is kept by
    # advancing m, as in _site_encounters): whether a partner counts depends on two loads from arrays
    # indexed at random (the partner, and whether they take part), and a branch on it, mispredicted about
    # half the time at hub encounters, made each draw wait for those loads.
    src = np.empty(n_enc, np.int64)
    dst = np.empty(n_enc, np.int64)
    pair_same = np.empty(n_enc, np.bool_)
    m = 0
    per_net = len(homophily_of) > 1
    for i in range(len(count)):
        n_i = count[i]
        if n_i == 0:
            continue
        g = net[i]
        homophily = homophily_of[g if per_net else 0]
        b, c = seed[g], counter[g]
        me = ids[i]
        own_lo = start[g * n_roles + role[i]]
        own_hi = start[g * n_roles + role[i] + 1]
        net_lo = start[g * n_roles]
        net_hi = start[(g + 1) * n_roles]
        for _ in range(n_i):
            x0 = uniform(b, c)
            x1 = uniform(b, c + np.uint64(1))
            c += np.uint64(2)
            own = x0 < homophily
            lo = own_lo if own else net_lo
            hi = own_hi if own else net_hi
            some = hi > lo  # (a group is never empty for a person in it)
            at = lo + np.int64(x1 * (hi - lo)) if some else 0
            partner = gids[at]
            taking = part[partner] if use_part else True
            src[m] = me
            dst[m] = partner
            pair_same[m] = own_lo <= at < own_hi
            m += some & (partner != me) & taking
        counter[g] = c
    return src[:m], dst[:m], pair_same[:m]
