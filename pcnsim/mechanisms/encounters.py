"""Mechanism 2, contact: who meets whom this week (the encounters that :mod:`pcnsim.mechanisms.ties` applies).

Evidence and the law of each kind of encounter (on site, remote, mixing) are set out in
:mod:`pcnsim.mechanisms.ties`; this module draws them, in compiled kernels, from each network's own
streams (:mod:`pcnsim.streams`: ``onsite`` for encounters at practices, ``remote`` and ``mixing`` for the
others), in the order set out there. Parameters the kernels read per network (``homophily``) are one value
or one per network (:func:`per_network`).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from pcnsim import threads
from pcnsim._jit import blocked, njit
from pcnsim.mechanisms.presence import Groups, Sites, counting_order
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
    n_pos, n_big, total = _scan(mean, POISSON_INVERSION_MAX)
    # a mean of 0 needs no draw (e.g. remote encounters of on-site roles) and gives a count of 0
    u = stream.uniforms(net) if n_pos == len(mean) else stream.uniforms(net, where=mean > 0.0)
    # Means of 1 or more on average (on-site encounters: about 4) take the branch-free head; small ones
    # (remote encounters: about 0.06, mostly a count of 0) the plain search, which then rarely loops.
    count = poisson_inversion(mean, u, POISSON_HEAD if n_pos and total / n_pos >= 1.0 else 0)
    if n_big:
        big = np.flatnonzero(mean >= POISSON_INVERSION_MAX)
        parts = np.floor(mean[big] / (POISSON_INVERSION_MAX / 2.0)).astype(np.int64)
        whose = np.repeat(np.arange(len(big)), parts)
        part = poisson_inversion(np.repeat(mean[big] / parts, parts), stream.uniforms(net[big][whose]), 0)
        count[big] = np.bincount(whose, weights=part, minlength=len(big)).astype(np.int64)
    return count


@njit
def _scan(mean, big):  # noqa: ANN001, ANN202
    # In one pass: how many means are positive, how many are big, and the sum of the positive ones.
    n_pos, n_big, total = 0, 0, 0.0
    for lam in mean:
        pos = lam > 0.0
        n_pos += pos
        n_big += lam >= big
        total += lam if pos else 0.0
    return n_pos, n_big, total


def poisson_inversion(mean: np.ndarray, u: np.ndarray, head: int) -> np.ndarray:
    """Poisson(``mean[i]``) counts by inversion of the uniforms ``u[i]`` (means of ``POISSON_INVERSION_MAX`` or
    more, and of 0 or less, give 0: the caller draws those), the first ``head`` terms without a branch.
    Every count is its own, so a large array is cut into even blocks for threads (:mod:`pcnsim.threads`)."""
    with threads.blocks(len(mean), len(mean)) as nb:
        return _poisson_inversion(nb, mean, u, POISSON_INVERSION_MAX, int(head), threads.even_bounds(len(mean), nb))


@blocked
def _poisson_inversion(mean, u, big, head, bounds):  # noqa: ANN001, ANN202
    # The count is the first k with u < F(k), F the CDF, summed term by term, in blocks of counts (bounds).
    n = len(mean)
    out = np.zeros(n, np.int64)
    k_top = int(4 * big) + 64  # beyond any count the loop can reach before p underflows (means < big)
    recip = np.empty(k_top + 1)  # 1 / k: a multiply in the loop instead of a division
    recip[0] = 0.0
    for k in range(1, k_top + 1):
        recip[k] = 1.0 / k
    e = np.empty(n)
    for b in prange(len(bounds) - 1):
        _poisson_block(bounds[b], bounds[b + 1], mean, u, big, head, recip, k_top, e, out)
    return out


@njit
def _poisson_block(lo, hi, mean, u, big, head, recip, k_top, e, out):  # noqa: ANN001, ANN202
    # With ``head`` > 0 the first ``head`` terms are summed without a branch, counting the terms u passes
    # (F rises, so that count is the same k), and only counts of ``head`` or more go on to the loop; the
    # search, whose exit is a branch mispredicted about once a draw, is then rarely entered: 2.6 times
    # faster at means of about 4, and the same counts, term for term. exp(-mean) is taken in a pass of its
    # own beforehand (faster than inside). Without the head (small means), a uniform below 1 - mean gives a
    # count of 0 with no exp at all: since exp(-mean) >= 1 - mean, u < 1 - mean implies u < P(0). The
    # margin of 4.5e-16 (four units in the last place at 1) covers the rounding of 1 - mean and of exp, so
    # the shortcut never changes a count.
    if head > 0:
        for i in range(lo, hi):
            e[i] = np.exp(-mean[i])
    for i in range(lo, hi):
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


def site_encounters(stream: Stream, sites: Sites, net: np.ndarray, onsite: np.ndarray, week_days: np.ndarray,
                    homophily: float | np.ndarray, with_same: bool = False,
                    with_bounds: bool = False) -> tuple[np.ndarray, ...]:
    """On-site encounters this week: returns (``src``, ``dst``) person ids, one pair per encounter that happened
    (with ``with_same``, also ``same``: whether the pair share a profession, for :func:`pcnsim.mechanisms.ties.reinforce`;
    with ``with_bounds``, then the bounds of blocks of the encounters that no network spans, for its ``bounds``).

    ``net`` (the network), ``onsite`` (1 - remote share) and ``week_days`` (5 x ``contacts_per_day`` x FTE)
    are per person, in the order of the ``ids`` the sites were built from. Each record (person p at practice
    q, a share s of p's on-site time) draws Poisson(week_days[p] x onsite[p] x s) encounters; each picks a
    record of practice q, of p's profession with chance ``homophily`` (one value, or one per network), else
    of any (uniformly); a draw of p's
    own record is no encounter; the encounter happens with chance onsite x share of the partner's record.
    Draws come from ``stream`` (the model's ``onsite``), record by record: the counts, then one uniform per
    encounter. Records come network by network, so a large week draws blocks of networks on threads
    (:mod:`pcnsim.threads`), each network's draws the same.
    """
    with threads.blocks(len(sites.owner), len(sites.owner)) as nb:
        here, rec_net, mean = _record_means(nb, sites.owner, sites.share, np.asarray(onsite, dtype=np.float64),
                                            np.asarray(net, dtype=np.int64), np.asarray(week_days, dtype=np.float64),
                                            threads.even_bounds(len(sites.owner), nb))
    count = poisson(stream, rec_net, mean)
    with threads.blocks(len(count), len(stream.seed)) as nb:
        bounds = threads.network_bounds(rec_net, nb)
        src, dst, same, out = kept_pairs(nb, *_site_encounters(
            nb, bounds, count, rec_net, stream.seed, stream.counter, sites.staff, sites.key, here,
            per_network(homophily), sites.same_lo, sites.same_n, sites.all_lo, sites.all_n))
    return (src, dst) + ((same,) if with_same else ()) + ((out,) if with_bounds else ())


@blocked
def _record_means(owner, share, onsite, net, week_days, bounds):  # noqa: ANN001, ANN202
    # Per record, in one pass: the chance of being there (onsite x share), the network, and the mean count
    # (week_days x that chance): the products NumPy would form from the gathered arrays, without them
    # (each record its own: even blocks).
    n = len(owner)
    here = np.empty(n)
    rec_net = np.empty(n, np.int64)
    mean = np.empty(n)
    for b in prange(len(bounds) - 1):
        for r in range(bounds[b], bounds[b + 1]):
            o = owner[r]
            h = onsite[o] * share[r]
            here[r], rec_net[r], mean[r] = h, net[o], week_days[o] * h
    return here, rec_net, mean


@blocked
def _site_encounters(bounds, count, rec_net, seed, counter, staff, key, here, homophily_of, same_lo, same_n, all_lo,  # noqa: ANN001, ANN202
                     all_n):
    # Blocks of records (bounds: no network spans two) drawn on threads, each into its own part of the
    # output (its records' counts, summed first); kept_pairs then puts the kept pairs together.
    nb = len(bounds) - 1
    size = np.zeros(nb + 1, np.int64)
    for b in prange(nb):
        t = 0
        for r in range(bounds[b], bounds[b + 1]):
            t += count[r]
        size[b + 1] = t
    at, src, dst, pair_same = pair_buffers(size)
    # the rescaling factors of each network's homophily, once per network (not per record)
    inv_same_of = np.empty(len(homophily_of))
    inv_all_of = np.empty(len(homophily_of))
    for h in range(len(homophily_of)):
        inv_same_of[h] = 1.0 / homophily_of[h] if homophily_of[h] > 0.0 else 0.0
        inv_all_of[h] = 1.0 / (1.0 - homophily_of[h]) if homophily_of[h] < 1.0 else 0.0
    kept = np.zeros(nb, np.int64)
    for b in prange(nb):
        kept[b] = _site_block(bounds[b], bounds[b + 1], at[b], src, dst, pair_same, count, rec_net, seed, counter,
                              staff, key, here, homophily_of, inv_same_of, inv_all_of, same_lo, same_n, all_lo, all_n)
    return src, dst, pair_same, at, kept


@njit
def _site_block(r_lo, r_hi, m, src, dst, pair_same, count, rec_net, seed, counter, staff, key, here, homophily_of,  # noqa: ANN001, ANN202
                inv_same_of, inv_all_of, same_lo, same_n, all_lo, all_n):
    # Records r_lo to r_hi - 1, writing their pairs from place m on; returns how many were kept.
    # One uniform x per encounter (from the record's network's stream, counted as it goes) decides all three
    # things, each from a part of x that is uniform and independent of the others: x < homophily picks the
    # own-profession run, else any; y, x rescaled to [0, 1) within that branch (x / homophily, or
    # (x - homophily) / (1 - homophily)), gives the record floor(y n) of the run's n; the fractional part of
    # y n, uniform on [0, 1) and independent of the record, decides whether the partner is there. (About 40
    # of x's 53 bits are left for that last test.) Written without branches on the draws (selects; a pair is
    # kept by advancing m): about 30% faster. The pair share a profession when the partner's record has the
    # same key (practice and role) as one's own: known here, so tie updates need not look roles up.
    m0 = m
    per_net = len(homophily_of) > 1
    for r in range(r_lo, r_hi):
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
    return m - m0


@njit
def pair_buffers(size):  # noqa: ANN001, ANN201
    """Compiled: where each block's pairs start (from the blocks' sizes, ``size[b + 1]`` for block ``b``),
    and the arrays of pairs (person, partner, same profession) they are drawn into."""
    at = np.cumsum(size)
    n = at[len(at) - 1]
    return at, np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.bool_)


def kept_pairs(n_blocks: int, src: np.ndarray, dst: np.ndarray, same: np.ndarray, at: np.ndarray,
               kept: np.ndarray) -> tuple[np.ndarray, ...]:
    """The pairs each block kept (block ``b``'s ``kept[b]`` from place ``at[b]`` on), one block after another,
    and the blocks' bounds in the result (on threads when there are several blocks)."""
    return _kept_pairs(n_blocks, src, dst, same, at, kept)


@blocked
def _kept_pairs(src, dst, same, at, kept):  # noqa: ANN001, ANN202
    nb = len(kept)
    out = np.zeros(nb + 1, np.int64)
    for b in range(nb):
        out[b + 1] = out[b] + kept[b]
    if nb == 1:
        return src[:out[1]], dst[:out[1]], same[:out[1]], out
    s2, d2, p2 = np.empty(out[nb], np.int64), np.empty(out[nb], np.int64), np.empty(out[nb], np.bool_)
    for b in prange(nb):
        for e in range(kept[b]):
            s2[out[b] + e], d2[out[b] + e], p2[out[b] + e] = src[at[b] + e], dst[at[b] + e], same[at[b] + e]
    return s2, d2, p2, out


def group_encounters(stream: Stream, groups: Groups, ids: np.ndarray, net: np.ndarray, role: np.ndarray,
                     mean: np.ndarray, homophily: float | np.ndarray, taking_part: np.ndarray | None = None,
                     with_same: bool = False, with_bounds: bool = False) -> tuple[np.ndarray, ...]:
    """Encounters across a network (remote, or mixing): returns (``src``, ``dst``) person ids (with
    ``with_same``, also ``same``: whether the pair share a profession, for :func:`pcnsim.mechanisms.ties.reinforce`;
    with ``with_bounds``, then the bounds of blocks of the encounters that no network spans, for its ``bounds``).

    Person ``ids[i]`` (network ``net[i]``, profession ``role[i]``) draws Poisson(``mean[i]``) encounters; each
    picks a colleague of the network uniformly, of the same profession with chance ``homophily`` (one
    value, or one per network); drawing
    oneself is no encounter. With ``taking_part`` (a per-person-id bool), only partners taking part count.
    Draws come from ``stream`` (the model's ``remote`` or ``mixing``), person by person: the counts, then
    two uniforms per encounter (own profession?, which colleague).

    A week of many encounters (the pandemic's remote weeks, vaccination clinics) draws them network by
    network (each network's people in the order of ``ids``), in blocks of networks on threads
    (:mod:`pcnsim.threads`); each network's draws, and so its ties, are the same as on one thread.
    """
    net = np.asarray(net, dtype=np.int64)
    count = poisson(stream, net, mean)
    part = np.zeros(1, np.bool_) if taking_part is None else np.asarray(taking_part, dtype=np.bool_)
    with threads.blocks(int(count.sum()), len(stream.seed)) as nb:
        if nb > 1:
            by_net, net_start = counting_order(net, len(stream.seed))
            bounds = threads.start_bounds(net_start, nb)
        else:  # one block, in the order of ids
            by_net, bounds = np.arange(len(net), dtype=np.int64), np.array([0, len(net)], np.int64)
        src, dst, same, out = kept_pairs(nb, *_group_encounters(
            nb, bounds, by_net, count, stream.seed, stream.counter, np.asarray(ids, dtype=np.int64), net,
            np.asarray(role, dtype=np.int64), per_network(homophily), groups.ids, groups.start, int(groups.n_roles),
            part, taking_part is not None))
    return (src, dst) + ((same,) if with_same else ()) + ((out,) if with_bounds else ())


@blocked
def _group_encounters(bounds, order, count, seed, counter, ids, net, role, homophily_of, gids, start, n_roles,  # noqa: ANN001, ANN202
                      part, use_part):
    # Blocks of people in network order (bounds: no network spans two) drawn on threads, each into its own
    # part of the output (as _site_encounters).
    nb = len(bounds) - 1
    size = np.zeros(nb + 1, np.int64)
    for b in prange(nb):
        t = 0
        for q in range(bounds[b], bounds[b + 1]):
            t += count[order[q]]
        size[b + 1] = t
    at, src, dst, pair_same = pair_buffers(size)
    kept = np.zeros(nb, np.int64)
    for b in prange(nb):
        kept[b] = _group_block(bounds[b], bounds[b + 1], at[b], src, dst, pair_same, order, count, seed, counter,
                               ids, net, role, homophily_of, gids, start, n_roles, part, use_part)
    return src, dst, pair_same, at, kept


@njit
def _group_block(q_lo, q_hi, m, src, dst, pair_same, order, count, seed, counter, ids, net, role, homophily_of,  # noqa: ANN001, ANN202
                 gids, start, n_roles, part, use_part):
    # People order[q_lo] to order[q_hi - 1], writing their pairs from place m on; returns how many were kept.
    # The partner shares the person's profession when its position in the sorted ids falls in the run of
    # the person's own (network, role). Written without branches on the draws (selects; a pair is kept by
    # advancing m, as in _site_block): whether a partner counts depends on two loads from arrays
    # indexed at random (the partner, and whether they take part), and a branch on it, mispredicted about
    # half the time at hub encounters, made each draw wait for those loads.
    m0 = m
    per_net = len(homophily_of) > 1
    for q in range(q_lo, q_hi):
        i = order[q]
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
    return m - m0
