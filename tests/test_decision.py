"""Decision analysis and discounting on cases with known answers (closed forms, hand calculations)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pcnsim import decision as dec
from pcnsim.economics import COSTS, discount_factors, learning_weeks_lost, total_cost


def _two_normal_options(mu: float, sigma: float, n: int = 400_000, seed: int = 3) -> np.ndarray:
    """Option 0 has net benefit 0; option 1 has net benefit ~ N(mu, sigma^2): ``[arm, draw]``."""
    rng = np.random.default_rng(seed)
    return np.vstack([np.zeros(n), rng.normal(mu, sigma, n)])


@pytest.mark.parametrize("mu", [-1.0, 0.0, 0.5, 2.0])
def test_evpi_matches_closed_form(mu):
    # EVPI = E[max(0, X)] - max(0, mu) for X ~ N(mu, s^2): s phi(mu/s) + mu Phi(mu/s) - max(0, mu)
    s = 1.5
    nb = _two_normal_options(mu, s)
    exact = s * stats.norm.pdf(mu / s) + mu * stats.norm.cdf(mu / s) - max(0.0, mu)
    assert dec.evpi(nb) == pytest.approx(exact, abs=0.01)


def test_ceac_is_the_normal_probability_and_sums_to_one():
    mu, s = 0.4, 1.0
    nb = _two_normal_options(mu, s)
    p = dec.probability_best(nb)
    assert p[1] == pytest.approx(stats.norm.cdf(mu / s), abs=0.005)
    assert p.sum() == pytest.approx(1.0)
    # over a willingness-to-pay grid: effect 1 FTE-year ~ N(1, 0.5), cost 30k -> P(best) rises through 0.5 at 30k
    rng = np.random.default_rng(1)
    eff = np.vstack([np.zeros(20_000), rng.normal(1.0, 0.5, 20_000)])
    cost = np.vstack([np.zeros(20_000), np.full(20_000, 30_000.0)])
    grid = np.array([0.0, 20_000, 30_000, 60_000, 1e6])
    c = dec.ceac(dec.net_benefit(eff, cost, grid))
    assert c.shape == (2, len(grid))
    assert np.allclose(c.sum(axis=0), 1.0)
    assert ((c >= 0) & (c <= 1)).all()
    assert c[1, 0] == 0.0 and np.all(np.diff(c[1]) >= 0)
    # at 60k: P(60k x E - 30k > 0) = P(E > 0.5) = Phi(1)
    assert c[1, 3] == pytest.approx(stats.norm.cdf(1.0), abs=0.01)


def test_probability_best_splits_ties_and_respects_direction():
    # rows are arms, columns draws: draw 0 ties arms 0 and 1, draw 1 ties arms 0 and 2, draw 2 goes to arm 1
    v = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 5.0], [0.0, 2.0, 1.0]])
    assert dec.probability_best(v) == pytest.approx([1 / 3, 1 / 2, 1 / 6])
    # lowest: arm 2 in draws 0 and 2, arm 1 in draw 1
    assert dec.probability_best(v, higher_is_better=False) == pytest.approx([0.0, 1 / 3, 2 / 3])


def test_evppi_regression_recovers_a_known_value():
    # INB = theta1 + theta2, independent N(0, 1): EVPPI(theta1) = E[max(0, theta1)] = 1/sqrt(2 pi);
    # EVPI = E[max(0, theta1 + theta2)] = sqrt(2)/sqrt(2 pi); a parameter that does not enter has EVPPI ~ 0.
    rng = np.random.default_rng(7)
    n = 3000
    t1, t2, t3 = rng.normal(size=(3, n))
    nb = np.vstack([np.zeros(n), t1 + t2])
    exact = 1 / math.sqrt(2 * math.pi)
    assert dec.evppi(nb, t1) == pytest.approx(exact, rel=0.1)
    assert dec.evppi(nb, t3) < 0.05 * exact
    assert dec.evppi(nb, t1) <= dec.evpi(nb) + 1e-9
    assert dec.evpi(nb) == pytest.approx(math.sqrt(2) * exact, rel=0.1)


def test_smoother_pools_repeated_values():
    x = np.repeat(np.linspace(0, 1, 20), 3)
    y = 2 * x
    fit = dec.smooth(x, y)
    assert np.allclose(fit, 2 * x, atol=1e-3)
    assert np.allclose(dec.smooth(np.ones(10), np.arange(10.0)), 4.5)  # no spread in x: the mean


def test_discounting_matches_a_hand_calculation():
    d = discount_factors(160, 0.035)
    assert d[0] == 1.0 and d[52] == 1.0  # the first year: weeks 0 to 52.18
    assert d[53] == pytest.approx(1 / 1.035)
    assert d[105] == pytest.approx(1 / 1.035**2)
    assert d[159] == pytest.approx(1 / 1.035**3)
    # GBP 1,000 a week for three years and a bit: by hand, 53 + 52/1.035 + 52/1.035^2 + 3/1.035^3 weeks
    by_hand = 1000 * (53 + 52 / 1.035 + 52 / 1.035**2 + 3 / 1.035**3)
    assert (1000 * d).sum() == pytest.approx(by_hand)
    assert discount_factors(10, 0.0).tolist() == [1.0] * 10
    with pytest.raises(ValueError):
        discount_factors(10, -0.01)


def test_learning_loss_is_half_the_time_constant():
    # productivity 1 - 0.5 exp(-t / tau): the lost work sums to about 0.5 tau / (1 - exp(-1/tau)) weeks
    tau = 26.0
    assert learning_weeks_lost(tau) == pytest.approx(0.5 / (1 - math.exp(-1 / tau)), rel=1e-6)


def test_perspectives_add_up():
    costs = {k: np.array([float(i + 1)]) for i, k in enumerate(COSTS)}
    network = total_cost(costs, "network")
    nhs = total_cost(costs, "nhs")
    assert nhs - network == pytest.approx(costs["arrs_claims"])
    with pytest.raises(ValueError):
        total_cost(costs, "society")
