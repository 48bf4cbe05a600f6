"""Mechanism 2, contact and ties: co-present staff meet; ties grow with contact and decay without it.

Evidence: E21 (isolation rises with remote time and falls with face-to-face contact), E20 (more than 2.5
days a week remote harms co-worker relationships), E24 (shared work mixes practices and professions);
the silo strength (``homophily``) and all rates are assumptions.

Encounters (drawn by the compiled kernels of :mod:`pcnsim.mechanisms.encounters`; no Python loop over
staff):

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
from numba import prange

from pcnsim import threads
from pcnsim._jit import blocked, njit, prefetch
from pcnsim.mechanisms.encounters import (  # noqa: F401 - the encounter kernels, also reached from here
    POISSON_HEAD,
    POISSON_INVERSION_MAX,
    group_encounters,
    per_network,
    poisson,
    poisson_inversion,
    site_encounters,
)
from pcnsim.state import K_SAME, K_TIES

PRUNE_BELOW = 0.01
PREFETCH_AHEAD = 8  # encounters ahead whose slot rows the tie updates ask for (see _reinforce)


# ---------------------------------------------------------------------------------------------- tie upkeep
def reinforce(tie_j: np.ndarray, tie_w: np.ndarray, src: np.ndarray, dst: np.ndarray, gain: float | np.ndarray,
              role: np.ndarray, k_same: int = K_SAME, same: np.ndarray | None = None,
              network: np.ndarray | None = None, bounds: np.ndarray | None = None) -> None:
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
    takes the gain of its pair's network (every tie is within a network).

    ``bounds`` (from the encounter kernels: blocks of the encounters that no network spans) lets a large
    batch run its blocks on threads (:mod:`pcnsim.threads`): every network's encounters are then applied in
    the same order, so the ties are the same."""
    _check_tables(tie_j, tie_w)
    k = tie_j.shape[1]
    if not 0 < k_same < k:
        raise ValueError(f"k_same must split the {k} slots in two")
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    role = np.asarray(role, dtype=np.int16)
    if same is None:
        same = role[src] == role[dst]
    gains = per_network(gain)
    if len(gains) > 1 and network is None:
        raise ValueError("a gain per network needs the network of each staff id")
    net = np.zeros(1, np.int32) if len(gains) == 1 else np.asarray(network, dtype=np.int32)
    same = np.asarray(same, dtype=np.bool_)
    n_blocks = 1 if bounds is None else len(bounds) - 1
    with threads.blocks(len(src), n_blocks) as nb:
        cuts = np.asarray(bounds, np.int64) if nb > 1 else np.array([0, len(src)], np.int64)
        _reinforce_blocks(nb, tie_j, tie_w, src, dst, gains, net, same, int(k_same), cuts)


@blocked
def _reinforce_blocks(tie_j, tie_w, src, dst, gains, network, same, k_same, bounds):  # noqa: ANN001, ANN202
    # blocks of encounters no network spans: independent of each other (every tie is within a network)
    for b in prange(len(bounds) - 1):
        _reinforce(tie_j, tie_w, src, dst, gains, network, same, k_same, bounds[b], bounds[b + 1])


@njit(inline="always")
def _find_any(row, b, lo, hi):  # noqa: ANN001, ANN202
    """Slot of partner ``b`` among slots ``lo:hi`` of ``row``, or -1 (tables of any width: tests use small
    ones; the model's layout has its own loop in :func:`_reinforce`)."""
    for k in range(lo, hi):
        if row[k] == b:
            return k
    return -1


@njit(inline="always")
def _strengthen(tie_j, tie_w, a, b, gain, slot, lo, hi):  # noqa: ANN001, ANN202
    """Strengthen a's tie to b, held in ``slot`` of a's row (-1: none yet); a new tie goes in slots
    ``lo:hi`` (its kind), in an empty slot or in place of the first weakest if that is weaker than
    ``gain``, else it is not made. (The same steps as the model layout's loop in :func:`_reinforce`.)"""
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
def _reinforce(tie_j, tie_w, src, dst, gains, network, same, k_same, e_lo, e_hi):  # noqa: ANN001, ANN202
    # Encounters e_lo to e_hi - 1, in order. Two copies of the loop, so that the model's layout gets the
    # unrolled search with no test inside it.
    k = tie_j.shape[1]
    per_net = len(gains) > 1
    gain = gains[0]
    if k == K_TIES and k_same == K_SAME and k == 2 * K_SAME:
        for e in range(e_lo, e_hi):
            # The encounters are all known beforehand, so the loop asks for the four slot rows of the
            # encounter PREFETCH_AHEAD on (both people's partners and strengths): staff rows of a practice
            # or network are scattered over the tables, and without the hint most encounters wait for
            # memory one after another (a hint only, so the same ties).
            if e + PREFETCH_AHEAD < e_hi:
                a_next, b_next = src[e + PREFETCH_AHEAD], dst[e + PREFETCH_AHEAD]
                prefetch(tie_j, a_next)
                prefetch(tie_w, a_next)
                prefetch(tie_j, b_next)
                prefetch(tie_w, b_next)
            a, b = src[e], dst[e]
            if per_net:
                gain = gains[network[a]]
            lo = 0 if same[e] else K_SAME
            # Both ends, a's tie to b then b's to a, written out here rather than through helpers that take
            # the tables: an array passed to a compiled helper (or a row view) costs an atomic reference
            # count up and down per call, which stalls the loop (about 30% of its time at national scale).
            for end in range(2):
                me, other = (a, b) if end == 0 else (b, a)
                # slot of the partner among the K_SAME slots of its kind: a partner holds at most one slot,
                # so the slot is a sum over the slots, with no branch, and the loop, of constant trip count,
                # is unrolled (about 35% faster than stopping at the first match, whose exit branch is
                # mostly mispredicted)
                other32 = np.int32(other)
                found = np.int32(0)
                for k in range(K_SAME):
                    found += np.int32(tie_j[me, lo + k] == other32) * np.int32(k + 1)
                if found == 0:  # a new tie (about 1 in 10): an empty slot or the first weakest of its kind
                    weakest, w_min = lo, tie_w[me, lo]
                    for k in range(lo + 1, lo + K_SAME):
                        wk = tie_w[me, k]
                        lower = wk < w_min  # tracked by selects (no branch)
                        weakest = k if lower else weakest
                        w_min = wk if lower else w_min
                    if w_min >= gain:  # every tie of this kind is at least as strong as the new one would be
                        continue
                    slot = weakest
                    tie_j[me, slot] = other
                    w = 0.0
                else:
                    slot = lo + found - 1
                    w = np.float64(tie_w[me, slot])
                tie_w[me, slot] = w + gain * (1.0 - w)
    else:
        for e in range(e_lo, e_hi):
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
    ids = np.asarray(ids, dtype=np.int64)
    total = np.empty(len(ids), tie_w.dtype)
    same = np.empty(len(ids), tie_w.dtype)
    with threads.blocks(len(ids), len(ids)) as nb:  # every person's row is their own: even blocks
        _decay_sums_blocks(nb, tie_j, tie_w, ids, keep, np.float32(PRUNE_BELOW), int(k_same), total, same,
                           threads.even_bounds(len(ids), nb))
    return total, same


@blocked
def _decay_sums_blocks(tie_j, tie_w, ids, keep, prune, k_same, total, same, bounds):  # noqa: ANN001, ANN202
    for b in prange(len(bounds) - 1):
        _decay_sums(tie_j, tie_w, ids, keep, prune, k_same, total, same, bounds[b], bounds[b + 1])


@njit(fastmath={"reassoc"})
def _decay_sums(tie_j, tie_w, ids, keep, prune, k_same, total, same, lo, hi):  # noqa: ANN001, ANN202
    # People ids[lo] to ids[hi - 1]. The sums may be reassociated (fastmath "reassoc"), so a row's slots are
    # summed in vector lanes: about four times faster than strict left-to-right sums; the same compiled code
    # gives the same numbers (on one thread or many: tests/test_threads.py).
    k_ties = tie_j.shape[1]
    for p in range(lo, hi):
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
def cut_row(tie_j, tie_w, i, left, counts):  # noqa: ANN001, ANN201
    """Compiled: remove person ``i``'s ties to people flagged in ``left``; return the strength lost to those
    flagged in ``counts``, summed in double precision (the one step of :func:`cut_leavers` and of
    :func:`pcnsim.mechanisms.leaving.cut_and_contagion`)."""
    lost = 0.0
    for k in range(tie_j.shape[1]):
        j = tie_j[i, k]
        if j >= 0 and left[j]:
            lost += tie_w[i, k] if counts[j] else 0.0
            tie_w[i, k] = 0.0
            tie_j[i, k] = -1
    return lost


@njit
def _cut_leavers(tie_j, tie_w, ids, left, counts):  # noqa: ANN001, ANN202
    exposure = np.zeros(len(ids), tie_w.dtype)
    for p in range(len(ids)):
        exposure[p] = cut_row(tie_j, tie_w, ids[p], left, counts)
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
