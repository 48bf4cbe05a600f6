"""Mechanism 2, contact and ties: co-present staff meet; ties grow with contact and decay without it.

Evidence: E21 (isolation rises with remote time and falls with face-to-face contact), E20 (more than 2.5
days a week remote harms co-worker relationships), E24 (shared work mixes practices and professions);
the silo strength (``homophily``) and all rates are assumptions.

Encounters (compiled kernels, one pass over the encounters; no Python loop over staff):

* on site: each person has Poisson(``contacts_per_day`` x 5 x FTE x on-site share) encounters, each at a
  practice drawn from their split (drawn as one Poisson per person and practice, with the mean shared out
  by the time spent there: the same law); the partner is drawn from the staff of that practice, from their
  own profession with probability ``homophily``; the encounter happens if the partner is there too (chance:
  partner's on-site share x share of their time at that practice);
* remote: Poisson(``contacts_per_day`` x 5 x FTE x remote share x ``virtual_contact_factor``) encounters with
  network colleagues, with the same homophily, at ``virtual_contact_factor`` of the tie gain;
* mixing (interventions: vaccination hubs, team days): a lever gives expected encounters with anyone in the
  network taking part, with the lever's homophily (default none) and gain.

Each encounter moves the tie of both people towards 1: w <- w + gain (1 - w). A person keeps up to
``K_SAME`` ties to colleagues of their own profession and ``K_TIES - K_SAME`` to others (a capacity per
kind, so mixing with other professions never pushes out peer ties); a new tie takes an empty slot of its
kind or replaces the weakest of its kind, if that one is weaker than the new tie (so no encounter lowers
a person's tie sums). Encounters are applied one at a time, in the
order drawn (on site, practice by practice; then remote; then mixing), each updating both ends before the
next, so two encounters of one person in a week both count (no batch artefact). Every tie decays by
``tie_decay`` a week, and by ``heavy_remote_decay`` more for a person remote above
``heavy_remote_threshold``. Ties below 0.01 are dropped.

Random draws come from the network's own stream (:mod:`pcnsim.streams`: ``onsite`` for encounters at
practices, ``remote`` and ``mixing`` for the others), in the order set out there: a network's encounters
depend on its own draws only, and a seed gives the same run in any process.
"""

from __future__ import annotations

import numpy as np

from pcnsim._jit import njit
from pcnsim.mechanisms.presence import Groups, Sites
from pcnsim.state import K_SAME, K_TIES
from pcnsim.streams import Stream, uniform

PRUNE_BELOW = 0.01


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


def _per_network(value: float | np.ndarray) -> np.ndarray:
    """A parameter as the kernels take it: a float64 array with one value per network, or one value for all
    (length 1)."""
    return np.ascontiguousarray(np.atleast_1d(np.asarray(value, np.float64)))


def site_encounters(stream: Stream, sites: Sites, net: np.ndarray, onsite: np.ndarray, week_days: np.ndarray,
                    homophily: float | np.ndarray, with_same: bool = False) -> tuple[np.ndarray, ...]:
    """On-site encounters this week: returns (``src``, ``dst``) person ids, one pair per encounter that happened
    (with ``with_same``, also ``same``: whether the pair share a profession, for :func:`reinforce`).

    ``net`` (the network), ``onsite`` (1 - remote share) and ``week_days`` (5 x ``contacts_per_day`` x FTE)
    are per person, in the order of the ``ids`` the sites were built from. Each record (person p at practice
    q, a share s of p's on-site time) draws Poisson(week_days[p] x onsite[p] x s) encounters; each picks a
    record of practice q, of p's profession with chance ``homophily`` (one value, or one per network), else
    of any (uniformly); a draw of p's
    own record is no encounter; the encounter happens with chance onsite x share of the partner's record.
    Draws come from ``stream`` (the model's ``onsite``), record by record: the counts, then one uniform per
    encounter.
    """
    here = np.asarray(onsite, dtype=np.float64)[sites.owner] * sites.share
    rec_net = np.asarray(net, dtype=np.int64)[sites.owner]
    count = poisson(stream, rec_net, np.asarray(week_days, dtype=np.float64)[sites.owner] * here)
    src, dst, same = _site_encounters(count, int(count.sum()), rec_net, stream.seed, stream.counter, sites.staff,
                                      sites.key, here, _per_network(homophily), sites.same_lo, sites.same_n, sites.all_lo,
                                      sites.all_n)
    return (src, dst, same) if with_same else (src, dst)


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
    m = 0
    for r in range(len(count)):
        n_r = count[r]
        if n_r == 0:
            continue
        g = rec_net[r]
        homophily = homophily_of[g if per_net else 0]
        inv_same = 1.0 / homophily if homophily > 0.0 else 0.0
        inv_all = 1.0 / (1.0 - homophily) if homophily < 1.0 else 0.0
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
    ``with_same``, also ``same``: whether the pair share a profession, for :func:`reinforce`).

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
                                       _per_network(homophily), groups.ids, groups.start, int(groups.n_roles), part,
                                       taking_part is not None)
    return (src, dst, same) if with_same else (src, dst)


@njit
def _group_encounters(count, n_enc, seed, counter, ids, net, role, homophily_of, gids, start, n_roles, part,  # noqa: ANN001, ANN202
                      use_part):
    # The partner shares the person's profession when its position in the sorted ids falls in the run of
    # the person's own (network, role).
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
        for _ in range(n_i):
            x0 = uniform(b, c)
            x1 = uniform(b, c + np.uint64(1))
            c += np.uint64(2)
            if x0 < homophily:
                lo, hi = own_lo, own_hi
            else:
                lo = start[g * n_roles]
                hi = start[(g + 1) * n_roles]
            if hi > lo:  # (a group is never empty for a person in it)
                at = lo + np.int64(x1 * (hi - lo))
                partner = gids[at]
                if partner != me and (not use_part or part[partner]):
                    src[m] = me
                    dst[m] = partner
                    pair_same[m] = own_lo <= at < own_hi
                    m += 1
        counter[g] = c
    return src[:m], dst[:m], pair_same[:m]


# ---------------------------------------------------------------------------------------------- tie upkeep
def reinforce(tie_j: np.ndarray, tie_w: np.ndarray, src: np.ndarray, dst: np.ndarray, gain: float | np.ndarray,
              role: np.ndarray, k_same: int = K_SAME, same: np.ndarray | None = None,
              network: np.ndarray | None = None) -> None:
    """Apply encounters ``src[e]``-``dst[e]`` in order, in place: each strengthens both people's tie
    (w <- w + gain (1 - w)) before the next is applied.

    A tie to a colleague of one's own profession (``role``, per staff id) lives in the first ``k_same``
    slots of a row, a tie to another profession in the rest: each kind has a capacity of its own. A new
    tie takes the first empty slot of its kind, or replaces the first of the weakest ties of its kind if
    that tie is weaker than the new one would be (``gain``); otherwise that person's ties of that kind are
    all stronger and no tie is made for them. So no encounter lowers anyone's tie sums, and meeting more
    colleagues of other professions never touches a peer tie (nor the reverse).

    ``same`` (per encounter: do the pair share a profession?), when the encounter kernels give it, saves
    looking up both roles for every encounter; it must equal ``role[src] == role[dst]``.

    ``gain`` is one value, or one per network with ``network`` (per staff id) saying whose: an encounter
    takes the gain of its pair's network (every tie is within a network)."""
    _check_tables(tie_j, tie_w)
    k = tie_j.shape[1]
    if not 0 < k_same < k:
        raise ValueError(f"k_same must split the {k} slots in two")
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    role = np.asarray(role, dtype=np.int16)
    if same is None:
        same = role[src] == role[dst]
    gains = _per_network(gain)
    if len(gains) > 1 and network is None:
        raise ValueError("a gain per network needs the network of each staff id")
    net = np.zeros(1, np.int32) if len(gains) == 1 else np.asarray(network, dtype=np.int32)
    _reinforce(tie_j, tie_w, src, dst, gains, net, np.asarray(same, dtype=np.bool_), int(k_same))


@njit(inline="always")
def _find(row, b, lo):  # noqa: ANN001, ANN202
    """Slot of partner ``b`` among the ``K_SAME`` slots from ``lo`` (the model's layout: two kinds of
    ``K_SAME`` slots each), or -1. A partner holds at most one slot, so the slot is a sum over the slots,
    with no branch, and the loop, of constant trip count, is unrolled: about 35% faster than stopping at
    the first match (whose exit branch is mostly mispredicted)."""
    b32 = np.int32(b)
    s = np.int32(0)
    for k in range(K_SAME):
        s += np.int32(row[lo + k] == b32) * np.int32(k + 1)
    return lo + s - 1 if s > 0 else -1


@njit(inline="always")
def _find_any(row, b, lo, hi):  # noqa: ANN001, ANN202
    """:func:`_find` for slot ranges of any width (tests use small tables)."""
    for k in range(lo, hi):
        if row[k] == b:
            return k
    return -1


@njit(inline="always")
def _strengthen(tie_j, tie_w, a, b, gain, slot, lo, hi):  # noqa: ANN001, ANN202
    """Strengthen a's tie to b, held in ``slot`` of a's row (-1: none yet); a new tie goes in slots
    ``lo:hi`` (its kind), in an empty slot or in place of the first weakest if that is weaker than
    ``gain``, else it is not made."""
    if slot < 0:  # a new tie (about 1 in 10)
        w_row = tie_w[a]
        weakest, w_min = lo, w_row[lo]
        for k in range(lo + 1, hi):
            wk = w_row[k]
            lower = wk < w_min  # tracked by selects (no branch)
            weakest = k if lower else weakest
            w_min = wk if lower else w_min
        if w_min >= gain:  # every tie of this kind is at least as strong as the new one would be
            return
        slot = weakest
        tie_j[a, slot] = b
        w = 0.0
    else:
        w = np.float64(tie_w[a, slot])
    tie_w[a, slot] = w + gain * (1.0 - w)


@njit
def _reinforce(tie_j, tie_w, src, dst, gains, network, same, k_same):  # noqa: ANN001, ANN202
    # Two copies of the loop, so that the model's layout gets the unrolled search with no test inside it.
    k = tie_j.shape[1]
    per_net = len(gains) > 1
    gain = gains[0]
    if k == K_TIES and k_same == K_SAME and k == 2 * K_SAME:
        for e in range(len(src)):
            a, b = src[e], dst[e]
            if per_net:
                gain = gains[network[a]]
            lo = 0 if same[e] else K_SAME
            _strengthen(tie_j, tie_w, a, b, gain, _find(tie_j[a], b, lo), lo, lo + K_SAME)
            _strengthen(tie_j, tie_w, b, a, gain, _find(tie_j[b], a, lo), lo, lo + K_SAME)
    else:
        for e in range(len(src)):
            a, b = src[e], dst[e]
            if per_net:
                gain = gains[network[a]]
            lo, hi = (0, k_same) if same[e] else (k_same, k)
            _strengthen(tie_j, tie_w, a, b, gain, _find_any(tie_j[a], b, lo, hi), lo, hi)
            _strengthen(tie_j, tie_w, b, a, gain, _find_any(tie_j[b], a, lo, hi), lo, hi)


def decay(tie_j: np.ndarray, tie_w: np.ndarray, ids: np.ndarray | None, rate: np.ndarray) -> None:
    """Decay the ties of ``ids`` by ``rate`` (per person) and drop those below the pruning threshold.

    ``ids=None`` decays rows ``0 .. len(rate) - 1`` in place, one rate per row (the path the model uses:
    rows of people who left hold no ties, so decaying them changes nothing).
    """
    _check_tables(tie_j, tie_w)
    rate = np.asarray(rate, dtype=np.float32)
    rows = np.arange(len(rate), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
    _decay(tie_j, tie_w, rows, (1.0 - rate).astype(np.float32), np.float32(PRUNE_BELOW))


@njit
def _decay(tie_j, tie_w, rows, keep, prune):  # noqa: ANN001, ANN202
    k_ties = tie_j.shape[1]
    for p in range(len(rows)):
        i, f = rows[p], keep[p]
        for k in range(k_ties):
            w = tie_w[i, k] * f
            if w < prune:
                tie_w[i, k] = 0.0
                tie_j[i, k] = -1
            else:
                tie_w[i, k] = w


def decay_and_strength(tie_j: np.ndarray, tie_w: np.ndarray, ids: np.ndarray, rate: np.ndarray,
                       k_same: int = K_SAME) -> tuple[np.ndarray, np.ndarray]:
    """:func:`decay` of the ties of ``ids`` (``rate`` per person in ``ids``), then, per person, the total
    tie strength (:func:`strength`) and that to their own profession (the first ``k_same`` slots, where
    :func:`reinforce` keeps peer ties), in one pass over their slot rows."""
    _check_tables(tie_j, tie_w)
    keep = (1.0 - np.asarray(rate, dtype=np.float32)).astype(np.float32)
    return _decay_sums(tie_j, tie_w, np.asarray(ids, dtype=np.int64), keep, np.float32(PRUNE_BELOW), int(k_same))


@njit(fastmath={"reassoc"})
def _decay_sums(tie_j, tie_w, ids, keep, prune, k_same):  # noqa: ANN001, ANN202
    # The sums may be reassociated (fastmath "reassoc"), so a row's slots are summed in vector lanes:
    # about four times faster than strict left-to-right sums; the same compiled code gives the same numbers.
    k_ties = tie_j.shape[1]
    total = np.empty(len(ids), tie_w.dtype)
    same = np.empty(len(ids), tie_w.dtype)
    for p in range(len(ids)):
        i, f = ids[p], keep[p]
        w_row, j_row = tie_w[i], tie_j[i]
        t_same = t_other = np.float32(0.0)
        for k in range(k_same):
            w = w_row[k] * f
            w = w if w >= prune else np.float32(0.0)  # below the threshold: dropped
            w_row[k] = w
            t_same += w
        for k in range(k_same, k_ties):
            w = w_row[k] * f
            w = w if w >= prune else np.float32(0.0)
            w_row[k] = w
            t_other += w
        for k in range(k_ties):
            j_row[k] = j_row[k] if w_row[k] > 0.0 else -1
        total[p] = t_same + t_other
        same[p] = t_same
    return total, same


def cut_leavers(tie_j: np.ndarray, tie_w: np.ndarray, ids: np.ndarray, left: np.ndarray,
                counts: np.ndarray | None = None) -> np.ndarray:
    """Remove ties of ``ids`` to people flagged in ``left`` (a per-row bool incl. sentinel).

    Returns, per person in ``ids``, the strength of the ties just lost to people flagged in ``counts``
    (default: all of ``left``): the exposure that drives turnover contagion (E23).
    """
    _check_tables(tie_j, tie_w)
    left = np.asarray(left, dtype=np.bool_)
    counts = left if counts is None else np.asarray(counts, dtype=np.bool_)
    return _cut_leavers(tie_j, tie_w, np.asarray(ids, dtype=np.int64), left, counts)


@njit
def _cut_leavers(tie_j, tie_w, ids, left, counts):  # noqa: ANN001, ANN202
    k_ties = tie_j.shape[1]
    exposure = np.zeros(len(ids), tie_w.dtype)
    for p in range(len(ids)):
        i = ids[p]
        lost = 0.0
        for k in range(k_ties):
            j = tie_j[i, k]
            if j >= 0 and left[j]:
                lost += tie_w[i, k] if counts[j] else 0.0
                tie_w[i, k] = 0.0
                tie_j[i, k] = -1
        exposure[p] = lost
    return exposure


def strength(tie_w: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Total tie strength of each person (ties into their team: every tie is within the network)."""
    return _strength(tie_w, np.asarray(ids, dtype=np.int64))


@njit
def _strength(tie_w, ids):  # noqa: ANN001, ANN202
    out = np.empty(len(ids), tie_w.dtype)
    for p in range(len(ids)):
        total = 0.0
        for k in range(tie_w.shape[1]):
            total += tie_w[ids[p], k]
        out[p] = total
    return out


def same_role_strength(tie_j: np.ndarray, tie_w: np.ndarray, role: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Tie strength to colleagues of one's own profession (peer support)."""
    return _same_role_strength(tie_j, tie_w, np.asarray(role, dtype=np.int16), np.asarray(ids, dtype=np.int64))


@njit
def _same_role_strength(tie_j, tie_w, role, ids):  # noqa: ANN001, ANN202
    out = np.empty(len(ids), tie_w.dtype)
    for p in range(len(ids)):
        i = ids[p]
        mine, total = role[i], 0.0
        for k in range(tie_w.shape[1]):
            j = tie_j[i, k]
            if j >= 0 and role[j] == mine:
                total += tie_w[i, k]
        out[p] = total
    return out


def _check_tables(tie_j: np.ndarray, tie_w: np.ndarray) -> None:
    """The kernels write the slot tables in place: they must be the model's own C-contiguous arrays."""
    if not (tie_j.flags.c_contiguous and tie_w.flags.c_contiguous) or tie_j.shape != tie_w.shape:
        raise ValueError("tie tables must be C-contiguous and of one shape")
