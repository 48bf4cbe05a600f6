"""Decision analysis over an ensemble: probabilities, cost-effectiveness acceptability, value of information.

Every function takes arrays laid out as ``[arm, draw]`` (or ``[arm, draw, wtp]``): one value per option and
posterior draw, already averaged over the seeds of the draw (so what is left between draws is parameter
uncertainty, plus the Monte Carlo noise of a few seeds). Arm 0 is the reference (the baseline).

Net benefit
    ``NB(arm, draw) = wtp x effect - cost`` (net monetary benefit; effect in retained FTE-years, cost in GBP).
Probability best
    The share of draws in which an arm has the highest value (ties shared equally). Over net benefit at each
    willingness to pay, this is the cost-effectiveness acceptability curve (CEAC; Fenwick et al. 2001).
EVPI
    ``E_draw[max_arm NB] - max_arm E_draw[NB]``: what resolving every uncertainty would be worth per decision.
EVPPI (Strong, Oakley and Brennan 2014)
    For a parameter ``theta``: regress each arm's incremental net benefit on ``theta`` with a flexible smoother
    (a cubic smoothing spline with its penalty chosen by generalised cross-validation,
    :func:`scipy.interpolate.make_smoothing_spline`); the fitted values ``g(arm, draw)`` estimate
    ``E[NB | theta]``, and ``EVPPI = mean_draw max_arm g - max_arm mean_draw g``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def net_benefit(effect: np.ndarray, cost: np.ndarray, wtp: float | Sequence[float] | np.ndarray) -> np.ndarray:
    """Net monetary benefit ``wtp x effect - cost``; with several ``wtp``, a last axis over them."""
    lam = np.asarray(wtp, float)
    effect, cost = np.asarray(effect, float), np.asarray(cost, float)
    if lam.ndim == 0:
        return lam * effect - cost
    return effect[..., None] * lam - cost[..., None]


def probability_best(values: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Per arm, the share of draws in which it has the best value (axis 0 arms, axis 1 draws; any further
    axes are kept). Ties share the draw equally, so the probabilities sum to 1 over arms."""
    v = np.asarray(values, float)
    v = v if higher_is_better else -v
    best = v == v.max(axis=0, keepdims=True)
    return (best / best.sum(axis=0, keepdims=True)).mean(axis=1)


def ceac(nb: np.ndarray) -> np.ndarray:
    """Cost-effectiveness acceptability: ``[arm, wtp]`` probabilities that each arm has the highest net
    benefit, from net benefits ``[arm, draw, wtp]``."""
    return probability_best(nb)


def evpi(nb: np.ndarray) -> np.ndarray | float:
    """Expected value of perfect information from net benefits ``[arm, draw]`` (or ``[arm, draw, wtp]``)."""
    nb = np.asarray(nb, float)
    out = nb.max(axis=0).mean(axis=0) - nb.mean(axis=1).max(axis=0)
    return float(out) if np.ndim(out) == 0 else out


def smooth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fitted values of ``y`` on ``x`` by a cubic smoothing spline (penalty by generalised cross-validation).

    Repeated ``x`` (a particle drawn twice) are pooled into their mean with a weight. With fewer than five
    distinct ``x`` the fit is the mean of ``y`` (no information on the shape)."""
    from scipy.interpolate import make_smoothing_spline

    x, y = np.asarray(x, float), np.asarray(y, float)
    ux, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
    if len(ux) < 5 or np.ptp(y) == 0:
        return np.full_like(y, y.mean())
    uy = np.bincount(inv, weights=y) / counts
    # on standardised axes (the penalty search is better posed); a cubic polynomial if GCV still fails
    x0, xs = ux[0], np.ptp(ux)
    y0, ys = uy.mean(), uy.std() or 1.0
    u, v = (ux - x0) / xs, (uy - y0) / ys
    try:
        fitted = make_smoothing_spline(u, v, w=counts / counts.mean())((x - x0) / xs)
    except ValueError:
        fitted = np.polynomial.Polynomial.fit(u, v, 3, w=np.sqrt(counts))((x - x0) / xs)
    return y0 + ys * fitted


def evppi(nb: np.ndarray, theta: np.ndarray) -> float:
    """EVPPI of one parameter by the regression method (module docstring): ``nb`` is ``[arm, draw]`` and
    ``theta`` the parameter's value in each draw. Arm 0 is the reference of the incremental net benefits."""
    nb = np.asarray(nb, float)
    inc = nb[1:] - nb[0]
    g = np.vstack([np.zeros(nb.shape[1])] + [smooth(theta, d) for d in inc])
    return float(max(g.max(axis=0).mean() - g.mean(axis=1).max(), 0.0))


def interval(values: np.ndarray, level: float = 0.9, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval (quantiles) along ``axis``."""
    a = (1 - level) / 2
    return np.quantile(values, a, axis=axis), np.quantile(values, 1 - a, axis=axis)
