"""Mechanism 2, contact and ties: co-present staff meet; ties grow with contact and decay without it.

Evidence: E21 (isolation rises with remote time and falls with face-to-face contact), E20 (more than 2.5
days a week remote harms co-worker relationships), E24 (shared work mixes practices and professions);
the silo strength (``homophily``) and all rates are assumptions.

Encounters (all vectorised; no loop over staff):

* on site: each person has Poisson(``contacts_per_day`` x 5 x FTE x on-site share) encounters; each is at
  a practice drawn from their split; the partner is drawn from the staff of that practice, from their own
  profession with probability ``homophily``; the encounter happens if the partner is there too (chance:
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


def site_partners(rng: np.random.Generator, practice: np.ndarray, role: np.ndarray, homophily: float,
                  sites: Sites) -> tuple[np.ndarray, np.ndarray]:
    """Draw a partner for each encounter at ``practice``: ids (-1 where nobody) and the partner's share."""
    nr = sites.n_roles
    same = rng.random(len(practice)) < homophily
    lo_key = practice * nr + np.where(same, role, 0)
    hi_key = np.where(same, lo_key + 1, (practice + 1) * nr)
    if sites.start is not None:
        lo, hi = sites.start[lo_key], sites.start[hi_key]
    else:
        lo = np.searchsorted(sites.key, lo_key, side="left")
        hi = np.searchsorted(sites.key, hi_key, side="left")
    return _pick(rng, lo, hi, sites.staff, sites.share)


def _pick(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, staff: np.ndarray,
          share: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """A uniform draw from each run ``lo:hi`` of ``staff`` (-1, share 0 where the run is empty)."""
    count = hi - lo
    pick = lo + (rng.random(len(lo)) * count).astype(np.int64)
    ok = count > 0
    if not len(staff):
        return np.full(len(lo), -1, dtype=np.int64), None if share is None else np.zeros(len(lo), np.float32)
    pick = np.where(ok, pick, 0)
    partner = np.where(ok, staff[pick], -1)
    return partner, None if share is None else np.where(ok, share[pick], 0.0)


def group_partners(rng: np.random.Generator, group_key: np.ndarray, group_sorted_key: np.ndarray,
                   group_sorted_ids: np.ndarray, role: np.ndarray, homophily: float, n_roles: int) -> np.ndarray:
    """Draw a partner from the owner's network (``group_key`` = network), own profession with chance ``homophily``.

    ``group_sorted_key`` is network * n_roles + role of every active person, sorted.
    """
    same = rng.random(len(group_key)) < homophily
    lo_key = group_key * n_roles + np.where(same, role, 0)
    hi_key = np.where(same, lo_key + 1, (group_key + 1) * n_roles)
    n_keys = int(max(group_sorted_key[-1] + 1 if len(group_sorted_key) else 0, hi_key.max(initial=0)))
    start = np.zeros(n_keys + 1, dtype=np.int64)  # CSR offsets of the sorted keys: no search needed
    np.cumsum(np.bincount(group_sorted_key, minlength=n_keys), out=start[1:])
    return _pick(rng, start[lo_key], start[hi_key], group_sorted_ids)[0]


def reinforce(tie_j: np.ndarray, tie_w: np.ndarray, src: np.ndarray, dst: np.ndarray, gain: np.ndarray) -> None:
    """Strengthen the tie src->dst (in place). A new tie takes an empty slot or replaces the weakest.

    When one person gets two encounters in the same batch, the later write wins for that slot (a rare,
    small undercount, documented in docs/ODD.md).

    Performance: rows are gathered with ``np.take`` (several times faster than ``tie_j[src]`` for 2-D
    arrays), the weakest slot is searched only for encounters that make a new tie, and reads and writes go
    through flat indices into the (C-contiguous) slot tables.
    """
    if len(src) == 0:
        return
    k = tie_j.shape[1]
    flat_j, flat_w = _flat(tie_j), _flat(tie_w)
    slot = (np.take(tie_j, src, axis=0) == dst[:, None]).argmax(axis=1)  # first matching slot (or 0)
    flat = src * k + slot
    has = flat_j[flat] == dst
    new = np.flatnonzero(~has)
    if len(new):
        flat[new] = src[new] * k + np.take(tie_w, src[new], axis=0).argmin(axis=1)  # empty or weakest slot
    w = np.where(has, flat_w[flat], 0.0)
    flat_j[flat] = dst
    flat_w[flat] = w + gain * (1.0 - w)


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
    rows = np.flatnonzero(lost.any(axis=1))
    if len(rows) == 0:
        return exposure
    pos = np.searchsorted(ids, rows)
    mine = ids[np.minimum(pos, len(ids) - 1)] == rows  # only rows in ``ids`` are touched
    rows, pos = rows[mine], pos[mine]
    lost_r = lost[rows]
    w = tie_w[rows]
    exposure[pos] = np.where(lost_r, w, 0.0).sum(axis=1)
    w[lost_r] = 0.0
    tj = tie_j[rows]
    tj[lost_r] = -1
    tie_j[rows] = tj
    tie_w[rows] = w
    return exposure


def strength(tie_w: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Total tie strength of each person (ties into their team: every tie is within the network)."""
    return np.take(tie_w, ids, axis=0).sum(axis=1)


def same_role_strength(tie_j: np.ndarray, tie_w: np.ndarray, role: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Tie strength to colleagues of one's own profession (peer support)."""
    same = np.take(role, np.take(tie_j, ids, axis=0)) == role[ids][:, None]
    return (np.take(tie_w, ids, axis=0) * same).sum(axis=1)
