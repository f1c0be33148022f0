"""Schmidt et al.'s Gaussian model: the closed forms against Monte Carlo."""

import math

import numpy as np
import pytest

from tradeoff.theory.gaussian_model import (
    GaussianModel,
    errors_of_rule,
    expected_errors_mc,
    folded_mean,
    plug_in_errors,
    sample_size_curve,
    standard_error_exact,
)


def test_errors_of_a_fixed_rule_match_simulated_test_points():
    rng = np.random.default_rng(0)
    m = GaussianModel(20, 2.0)
    w = m.theta_star + rng.normal(size=20)
    x, y = m.sample(400_000, rng)
    margin = y * (x @ w)
    for eps, norm, dual in ((0.0, "inf", 0.0), (0.3, "inf", np.abs(w).sum()), (0.5, "2", np.linalg.norm(w))):
        emp = float(np.mean(margin - eps * dual <= 0))
        p = float(errors_of_rule(w, m, eps, norm)[0])
        assert abs(emp - p) <= 5 * math.sqrt(p * (1 - p) / len(y)) + 1e-12  # 5 standard errors
    # the worst l_inf perturbation -eps*y*sign(w) attains the bound
    xa = x - 0.3 * y[:, None] * np.sign(w)[None]
    assert np.allclose(y * (xa @ w), margin - 0.3 * np.abs(w).sum())


@pytest.mark.parametrize("d,sigma,n", [(1, 1.0, 1), (10, 2.0, 3), (200, 3.0, 5)])
def test_exact_standard_error_matches_monte_carlo_over_w(d, sigma, n):
    m = GaussianModel(d, sigma)
    exact = standard_error_exact(m, n)
    mc, _ = expected_errors_mc(m, n, 0.0, draws=40_000, rng=np.random.default_rng(1))
    assert abs(exact - mc.mean) <= 5 * mc.se + 1e-9
    assert standard_error_exact(m, n, nodes=800) == pytest.approx(exact, abs=2e-6)  # quadrature converged


def test_monte_carlo_over_w_matches_learning_from_data():
    """w_hat = mean of y x over n samples is N(theta*, sigma^2/n I): learn it from simulated data instead."""
    rng = np.random.default_rng(2)
    m, n, eps = GaussianModel(30, 2.5), 4, 0.4
    ws = []
    for _ in range(4000):
        x, y = m.sample(n, rng)
        ws.append((y[:, None] * x).mean(0))
    learned = errors_of_rule(np.array(ws), m, eps, "inf")
    _, mc = expected_errors_mc(m, n, eps, "inf", draws=20_000, rng=np.random.default_rng(3))
    se = math.hypot(mc.se, learned.std(ddof=1) / math.sqrt(len(learned)))
    assert abs(learned.mean() - mc.mean) <= 5 * se


def test_plug_in_is_the_large_d_limit_and_folded_mean():
    z = np.random.default_rng(4).standard_normal(2_000_000)
    for s in (0.3, 1.0, 3.0):
        assert folded_mean(s) == pytest.approx(np.abs(1 + s * z).mean(), abs=5 * 3 * s / math.sqrt(len(z)) + 1e-3)
    d = 4000
    m = GaussianModel(d, d**0.25 / 2)
    for n in (1, 4, 16):
        ps, pr = plug_in_errors(m, n, 0.5)
        mc_s, mc_r = expected_errors_mc(m, n, 0.5, draws=400, rng=np.random.default_rng(n))
        assert abs(ps - mc_s.mean) < 0.02 and abs(pr - mc_r.mean) < 0.05


def test_robustness_needs_more_samples_than_accuracy():
    d = 1000
    rows = sample_size_curve(GaussianModel(d, d**0.25 / 2), [1, 2, 4, 8, 16, 32], 0.5, draws=300)
    assert rows[0].standard_error < 0.01 < rows[0].robust_error_mc  # one sample: accurate, not robust
    rob = [r.robust_error_mc for r in rows]
    assert all(a >= b - 3 * r.robust_error_mc_se for a, b, r in zip(rob, rob[1:], rows))
    assert rob[-1] < 0.01


def test_model_errors():
    with pytest.raises(ValueError, match="sigma"):
        GaussianModel(3, 0.0)
    with pytest.raises(ValueError, match="sqrt"):
        GaussianModel(2, 1.0, np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="n must"):
        standard_error_exact(GaussianModel(3, 1.0), 0)
