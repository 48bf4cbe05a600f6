"""Mechanism 2, contact and ties: co-present staff meet; ties grow with contact and decay without it.

Evidence: E21 (isolation rises with remote time and falls with face-to-face contact), E20 (more than 2.5
days a week remote harms co-worker relationships), E24 (shared work mixes practices and professions);
the silo strength (``homophily``) and all rates are assumptions.

Encounters (all vectorised; no loop over staff):

* on site: each person has Poisson(``contacts_per_day`` x 5 x FTE x on-site share) encounters, each at a
  practice drawn from their split (drawn as one Poisson per person and practice, with the mean shared out
  by the time spent there: the same law); the partner is drawn from the staff of that practice, from their
  own profession with probability ``homophily``; the encounter happens if the partner is there too (chance:
  partner's on-site share x share of their time at that practice);
* remote: Poisson(``contacts_per_day`` x 5 x FTE x remote share x ``virtual_contact_factor``) encounters with
  network colleagues, with the same homophily, at ``virtual_contact_factor`` of the tie gain;
* mixing (interventions: vaccination hubs, team days): a lever gives expected encounters with anyone in the
  network taking part, with the lever's homophily (default none) and gain.

Each encounter moves the tie of both people towards 1: w <- w + gain (1 - w). Every tie decays by
``tie_decay`` a week, and by ``heavy_remote_decay`` more for a person remote above
``heavy_remote_threshold``. Ties below 0.01 are dropped.
"""

from __future__ import annotations

import numpy as np

from pcnsim.mechanisms.presence import Sites

PRUNE_BELOW = 0.01


def site_partners(rng: np.random.Generator, rec: np.ndarray, homophily: float, sites: Sites) -> np.ndarray:
    """Draw a partner for each encounter made by site record ``rec`` (a person at a practice): a record of the
    same practice, of the same profession with chance ``homophily``, else of any. Returns record indices
    (a person's own record is a possible draw: the caller drops such self-encounters)."""
    same = rng.random(len(rec)) < homophily
    lo = np.where(same, sites.same_lo[rec], sites.all_lo[rec])
    n = np.where(same, sites.same_n[rec], sites.all_n[rec])
    j = _pick(rng, lo, n)
    return j if j.min(initial=0) >= 0 else np.where(j >= 0, j, rec)  # runs hold their owner: never empty


def _pick(rng: np.random.Generator, lo: np.ndarray, count: np.ndarray) -> np.ndarray:
    """A uniform draw of a position in each run ``lo:lo + count`` (-1 where the run is empty)."""
    pick = lo + (rng.random(len(lo)) * count).astype(np.int64)
    return pick if count.min(initial=1) > 0 else np.where(count > 0, pick, -1)


def group_partners(rng: np.random.Generator, group_key: np.ndarray, group_sorted_key: np.ndarray,
                   group_sorted_ids: np.ndarray, role: np.ndarray, homophily: float, n_roles: int) -> np.ndarray:
    """Draw a partner from the owner's network (``group_key`` = network), own profession with chance ``homophily``.

    ``group_sorted_key`` is network * n_roles + role of every active person, sorted. Returns ids (-1 where
    the group is empty).
    """
    same = rng.random(len(group_key)) < homophily
    lo_key = group_key * n_roles + np.where(same, role, 0)
    hi_key = np.where(same, lo_key + 1, (group_key + 1) * n_roles)
    n_keys = int(max(group_sorted_key[-1] + 1 if len(group_sorted_key) else 0, hi_key.max(initial=0)))
    start = np.zeros(n_keys + 1, dtype=np.int64)  # run offsets of the sorted keys: no search needed
    np.cumsum(np.bincount(group_sorted_key, minlength=n_keys), out=start[1:])
    lo = start[lo_key]
    pick = _pick(rng, lo, start[hi_key] - lo)
    ids = np.append(group_sorted_ids, -1)  # position -1 (an empty group) reads -1
    return ids[pick]


def reinforce(tie_j: np.ndarray, tie_w: np.ndarray, src: np.ndarray, dst: np.ndarray, gain: np.ndarray) -> None:
    """Strengthen the tie src->dst (in place). A new tie takes an empty slot or replaces the weakest.

    When one person gets two encounters that land on the same slot in one batch, the later write wins
    (an undercount: about 1.5% of mean ARRS tie strength when slots are mostly full; docs/ODD.md 7.2).

    Performance: rows are gathered with ``np.take`` (several times faster than ``tie_j[src]`` for 2-D
    arrays), the weakest slot is searched only for encounters that make a new tie, and reads and writes go
    through flat indices into the (C-contiguous) slot tables.
    """
    if len(src) == 0:
        return
    k = tie_j.shape[1]
    flat_j, flat_w = _flat(tie_j), _flat(tie_w)
    dst = dst.astype(tie_j.dtype, copy=False)  # compare in the table's width (ids fit: they index it)
    match = np.take(tie_j, src, axis=0) == dst[:, None]
    flat = src * k + match.argmax(axis=1)  # the matching slot (a partner holds at most one), else slot 0
    new = np.flatnonzero(~row_any(match))
    if len(new):
        flat[new] = src[new] * k + np.take(tie_w, src[new], axis=0).argmin(axis=1)  # empty or weakest slot
    w = flat_w[flat]
    w[new] = 0.0
    flat_j[flat] = dst
    flat_w[flat] = w + gain.astype(w.dtype) * (1.0 - w)


def row_any(b: np.ndarray) -> np.ndarray:
    """``b.any(axis=1)`` for a C-contiguous bool table; rows of 8 x m bytes are read as m 64-bit words
    (about 20 times faster than the per-row reduction)."""
    if b.ndim == 2 and b.shape[1] % 8 == 0 and b.flags.c_contiguous and b.shape[1]:
        words = b.view(np.uint64)
        out = words[:, 0] != 0
        for c in range(1, words.shape[1]):
            out |= words[:, c] != 0
        return out
    return b.any(axis=1)


def row_sum(w: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Row sums of ``w`` (times ``mask``), by ``einsum`` (several times faster than ``sum(axis=1)`` for
    short rows; same float width)."""
    return np.einsum("ij->i", w) if mask is None else np.einsum("ij,ij->i", w, mask)


def _flat(a: np.ndarray) -> np.ndarray:
    """A 1-D view of a C-contiguous slot table (writes go to ``a``)."""
    if not a.flags.c_contiguous:  # pragma: no cover - the staff arrays are always contiguous
        raise ValueError("tie tables must be C-contiguous")
    return a.reshape(-1)


def decay(tie_j: np.ndarray, tie_w: np.ndarray, ids: np.ndarray | None, rate: np.ndarray) -> None:
    """Decay the ties of ``ids`` by ``rate`` (per person) and drop those below the pruning threshold.

    ``ids=None`` decays rows ``0 .. len(rate) - 1`` in place, one rate per row (the fast path the model
    uses: rows of people who left hold no ties, so decaying them changes nothing).
    """
    if ids is None:
        n = len(rate)
        w, tj = tie_w[:n], tie_j[:n]
        np.multiply(w, (1.0 - rate).astype(tie_w.dtype)[:, None], out=w)
        dead = w < PRUNE_BELOW
        np.putmask(w, dead, 0.0)
        np.putmask(tj, dead, -1)
        return
    w = np.take(tie_w, ids, axis=0) * (1.0 - rate)[:, None]
    dead = w < PRUNE_BELOW
    w[dead] = 0.0
    tj = np.take(tie_j, ids, axis=0)
    tj[dead] = -1
    tie_w[ids] = w
    tie_j[ids] = tj


def cut_leavers(tie_j: np.ndarray, tie_w: np.ndarray, ids: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Remove ties of ``ids`` to people flagged in ``left`` (a per-row bool incl. sentinel).

    Returns, per person in ``ids`` (sorted ascending), the strength of the ties just lost (the exposure
    that drives turnover contagion, E23). Only the rows that hold a tie to a leaver are rewritten.
    """
    exposure = np.zeros(len(ids), dtype=tie_w.dtype)
    if len(ids) == 0:
        return exposure
    n = int(ids[-1]) + 1
    lost = np.take(left, tie_j[:n])  # rows 0..n-1 (a contiguous view, no row gather)
    rows = np.flatnonzero(row_any(lost))
    if len(rows) == 0:
        return exposure
    pos = np.searchsorted(ids, rows)
    mine = ids[np.minimum(pos, len(ids) - 1)] == rows  # only rows in ``ids`` are touched
    rows, pos = rows[mine], pos[mine]
    lost_r = lost[rows]
    w = tie_w[rows]
    exposure[pos] = row_sum(w, lost_r)
    w[lost_r] = 0.0
    tj = tie_j[rows]
    tj[lost_r] = -1
    tie_j[rows] = tj
    tie_w[rows] = w
    return exposure


def strength(tie_w: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Total tie strength of each person (ties into their team: every tie is within the network)."""
    return row_sum(np.take(tie_w, ids, axis=0))


def same_role_strength(tie_j: np.ndarray, tie_w: np.ndarray, role: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Tie strength to colleagues of one's own profession (peer support)."""
    same = np.take(role, np.take(tie_j, ids, axis=0)) == role[ids][:, None]
    return row_sum(np.take(tie_w, ids, axis=0), same)
