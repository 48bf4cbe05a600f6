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
    lo_key = np.where(same, practice * nr + role, practice * nr)
    hi_key = np.where(same, lo_key + 1, (practice + 1) * nr)
    lo = np.searchsorted(sites.key, lo_key, side="left")
    hi = np.searchsorted(sites.key, hi_key, side="left")
    count = hi - lo
    pick = lo + (rng.random(len(practice)) * count).astype(np.int64)
    ok = count > 0
    pick = np.where(ok, pick, 0)
    partner = np.where(ok, sites.staff[pick] if len(sites.staff) else -1, -1)
    share = np.where(ok, sites.share[pick] if len(sites.share) else 0.0, 0.0)
    return partner, share


def group_partners(rng: np.random.Generator, group_key: np.ndarray, group_sorted_key: np.ndarray,
                   group_sorted_ids: np.ndarray, role: np.ndarray, homophily: float, n_roles: int) -> np.ndarray:
    """Draw a partner from the owner's network (``group_key`` = network), own profession with chance ``homophily``.

    ``group_sorted_key`` is network * n_roles + role of every active person, sorted.
    """
    same = rng.random(len(group_key)) < homophily
    lo_key = np.where(same, group_key * n_roles + role, group_key * n_roles)
    hi_key = np.where(same, lo_key + 1, (group_key + 1) * n_roles)
    lo = np.searchsorted(group_sorted_key, lo_key, side="left")
    hi = np.searchsorted(group_sorted_key, hi_key, side="left")
    count = hi - lo
    pick = lo + (rng.random(len(group_key)) * count).astype(np.int64)
    ok = count > 0
    return np.where(ok, group_sorted_ids[np.where(ok, pick, 0)] if len(group_sorted_ids) else -1, -1)


def reinforce(tie_j: np.ndarray, tie_w: np.ndarray, src: np.ndarray, dst: np.ndarray, gain: np.ndarray) -> None:
    """Strengthen the tie src->dst (in place). A new tie takes an empty slot or replaces the weakest.

    When one person gets two encounters in the same batch, the later write wins for that slot (a rare,
    small undercount, documented in docs/ODD.md).
    """
    if len(src) == 0:
        return
    rows = tie_j[src]
    match = rows == dst[:, None]
    has = match.any(axis=1)
    slot = np.where(has, match.argmax(axis=1), tie_w[src].argmin(axis=1))
    w = np.where(has, tie_w[src, slot], 0.0)
    tie_j[src, slot] = dst
    tie_w[src, slot] = w + gain * (1.0 - w)


def decay(tie_j: np.ndarray, tie_w: np.ndarray, ids: np.ndarray, rate: np.ndarray) -> None:
    """Decay the ties of ``ids`` by ``rate`` (per person) and drop those below the pruning threshold."""
    w = tie_w[ids] * (1.0 - rate)[:, None]
    dead = w < PRUNE_BELOW
    w[dead] = 0.0
    tj = tie_j[ids]
    tj[dead] = -1
    tie_w[ids] = w
    tie_j[ids] = tj


def cut_leavers(tie_j: np.ndarray, tie_w: np.ndarray, ids: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Remove ties of ``ids`` to people flagged in ``left`` (a per-row bool incl. sentinel).

    Returns, per person in ``ids``, the strength of the ties just lost (the exposure that drives turnover
    contagion, E23).
    """
    tj = tie_j[ids]
    lost = left[tj]
    exposure = np.where(lost, tie_w[ids], 0.0).sum(axis=1)
    if lost.any():
        tj[lost] = -1
        w = tie_w[ids]
        w[lost] = 0.0
        tie_j[ids] = tj
        tie_w[ids] = w
    return exposure


def strength(tie_w: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Total tie strength of each person (ties into their team: every tie is within the network)."""
    return tie_w[ids].sum(axis=1)


def same_role_strength(tie_j: np.ndarray, tie_w: np.ndarray, role: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Tie strength to colleagues of one's own profession (peer support)."""
    same = role[tie_j[ids]] == role[ids][:, None]
    return np.where(same, tie_w[ids], 0.0).sum(axis=1)
