import itertools
import math

import numpy as np
import pytest
from scipy.stats import norm as normal

from tradeoff.theory.accuracy import (
    averaging_accuracy,
    bayes_accuracy,
    canonical_norm,
    linear_accuracy,
    symmetric_accuracy,
    worst_case_perturbation,
)
from tradeoff.theory.distribution import FeatureDistribution


def mc_accuracy(w, b, dist, eps, norm, n=200_000, seed=0):
    """Empirical accuracy after applying the worst-case perturbation (score 0 counts as wrong)."""
    x, y = dist.sample(n, np.random.default_rng(seed))
    x = x + worst_case_perturbation(w, b, x, y, eps, norm)
    return np.mean(y * (x @ w + b) > 0), n


def assert_agrees(closed, empirical, n, z=4.5):
    se = math.sqrt(max(closed * (1 - closed), 1e-4) / n)
    assert abs(closed - empirical) < z * se + 1e-9, (closed, empirical)


def test_done_when_averaging_classifier():
    d = 1000
    dist = FeatureDistribution(d, 0.95, 2 / math.sqrt(d))
    assert averaging_accuracy(dist) == pytest.approx(normal.cdf(2), abs=1e-12)
    assert averaging_accuracy(dist) == pytest.approx(0.9772, abs=1e-4)
    assert averaging_accuracy(dist, eps=2 * dist.eta) == pytest.approx(0.0228, abs=1e-4)
    assert averaging_accuracy(dist, eps=2 * dist.eta, norm="2") == pytest.approx(normal.cdf(2 - 2 * dist.eta))


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_accuracy_general_weights_with_bias_matches_monte_carlo(norm, seed):
    rng = np.random.default_rng(100 + seed)
    dist = FeatureDistribution(6, 0.85, 0.35)
    w = rng.normal(size=7) + np.r_[1.0, np.full(6, 0.5)]
    b = rng.normal() * 0.7
    for eps in (0.0, 0.1, 0.3):
        closed = linear_accuracy(w, b, dist, eps, norm)
        emp, n = mc_accuracy(w, b, dist, eps, norm, n=100_000, seed=seed)
        assert_agrees(closed, emp, n)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_symmetric_form_matches_general_form_and_monte_carlo(norm):
    d = 9
    dist = FeatureDistribution(d, 0.9, 0.3)
    for w1, v, eps in [(0.5, 1.0, 0.0), (1.5, 0.7, 0.2), (-0.4, 1.2, 0.1), (0.8, -0.5, 0.05), (2.0, 0.0, 0.3)]:
        w = np.r_[w1, np.full(d, v / math.sqrt(d))]
        sym = float(symmetric_accuracy(w1, v, d, 0.9, 0.3, eps, norm))
        assert sym == pytest.approx(linear_accuracy(w, 0.0, dist, eps, norm), abs=1e-12)
        emp, n = mc_accuracy(w, 0.0, dist, eps, norm, n=100_000)
        assert_agrees(sym, emp, n)


def test_symmetric_form_is_the_papers_formula():
    d, p, eta = 100, 0.95, 0.3
    w1 = np.linspace(-2, 3, 11)
    v = np.linspace(0.1, 2, 11)
    eps = 0.6
    sd = math.sqrt(d)
    paper_std = p * normal.cdf(eta * sd + w1 / v) + (1 - p) * normal.cdf(eta * sd - w1 / v)
    paper_rob = p * normal.cdf(eta * sd - eps * sd + (w1 - eps * abs(w1)) / v) + (1 - p) * normal.cdf(
        eta * sd - eps * sd - (w1 + eps * abs(w1)) / v
    )
    assert np.allclose(symmetric_accuracy(w1, v, d, p, eta), paper_std, atol=1e-12)
    assert np.allclose(symmetric_accuracy(w1, v, d, p, eta, eps), paper_rob, atol=1e-12)


def test_symmetric_accuracy_broadcasts():
    out = symmetric_accuracy(np.zeros((3, 1)), np.ones((1, 4)), 10, 0.9, 0.2, np.zeros((2, 1, 1)))
    assert out.shape == (2, 3, 4)
    assert np.all((out >= 0) & (out <= 1))


def test_degenerate_rules_follow_the_tie_convention():
    dist = FeatureDistribution(4, 0.9, 0.3)
    # zero rule: score is always 0, counted as wrong
    assert linear_accuracy(np.zeros(5), 0.0, dist) == 0.0
    assert float(symmetric_accuracy(0.0, 0.0, 4, 0.9, 0.3)) == 0.0
    # sign(x_1): accuracy p, robust accuracy p as long as eps < 1, 0 from eps = 1 (margin exactly 0)
    e1 = np.r_[1.0, np.zeros(4)]
    assert linear_accuracy(e1, 0.0, dist) == pytest.approx(0.9)
    assert linear_accuracy(e1, 0.0, dist, 0.99) == pytest.approx(0.9)
    assert linear_accuracy(e1, 0.0, dist, 1.0) == 0.0
    assert float(symmetric_accuracy(1.0, 0.0, 4, 0.9, 0.3, 0.5)) == pytest.approx(0.9)
    # constant rule sign(b): right on half of the points
    assert linear_accuracy(np.zeros(5), 1.0, dist) == pytest.approx(0.5)


def test_bayes_accuracy_matches_closed_form_and_monte_carlo():
    d, p, eta = 16, 0.9, 0.25
    dist = FeatureDistribution(d, p, eta)
    L = math.log(p / (1 - p))
    s = eta * math.sqrt(d)
    expected = p * normal.cdf(s + L / (2 * s)) + (1 - p) * normal.cdf(s - L / (2 * s))
    assert bayes_accuracy(dist) == pytest.approx(expected, abs=1e-12)
    w, b = dist.bayes_weights()
    emp, n = mc_accuracy(w, b, dist, 0.0, "inf")
    assert_agrees(bayes_accuracy(dist), emp, n)
    # the Bayes rule is at least as good as any other linear rule
    grid = symmetric_accuracy(np.linspace(-3, 6, 91)[:, None], np.linspace(0.01, 3, 60)[None, :], d, p, eta)
    assert bayes_accuracy(dist) >= grid.max() - 1e-12
    assert bayes_accuracy(FeatureDistribution(3, 0.5, 0.0)) == pytest.approx(0.5)
    assert bayes_accuracy(FeatureDistribution(3, 1.0, 0.0)) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_worst_case_perturbation_linf_beats_every_box_corner(seed):
    rng = np.random.default_rng(seed)
    d = 3
    w = rng.normal(size=d + 1)
    w[rng.integers(0, d + 1)] = 0.0  # a zero weight too
    b = rng.normal()
    x = rng.normal(size=(5, d + 1))
    y = rng.choice([-1, 1], size=5)
    eps = 0.37
    delta = worst_case_perturbation(w, b, x, y, eps, "inf")
    assert np.all(np.abs(delta) <= eps + 1e-15)
    ours = y * ((x + delta) @ w + b)
    corners = eps * np.array(list(itertools.product([-1.0, 1.0], repeat=d + 1)))
    brute = np.min(y[:, None] * ((x[:, None, :] + corners[None]) @ w + b), axis=1)
    assert np.allclose(ours, brute)
    assert np.allclose(ours, y * (x @ w + b) - eps * np.abs(w).sum())


@pytest.mark.parametrize("seed", range(3))
def test_worst_case_perturbation_l2_beats_random_directions(seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=4)
    x = rng.normal(size=(6, 4))
    y = rng.choice([-1, 1], size=6)
    eps = 0.5
    delta = worst_case_perturbation(w, 0.3, x, y, eps, "2")
    assert np.allclose(np.linalg.norm(delta, axis=1), eps)
    ours = y * ((x + delta) @ w + 0.3)
    u = rng.normal(size=(20_000, 4))
    u *= eps / np.linalg.norm(u, axis=1, keepdims=True)
    brute = np.min(y[:, None] * ((x[:, None, :] + u[None]) @ w + 0.3), axis=1)
    assert np.all(ours <= brute + 1e-12)
    assert np.allclose(ours, brute, atol=1e-2)
    assert np.allclose(ours, y * (x @ w + 0.3) - eps * np.linalg.norm(w))


def test_worst_case_perturbation_of_zero_rule_is_zero():
    x = np.ones((2, 3))
    assert not np.any(worst_case_perturbation(np.zeros(3), 0.0, x, np.array([1, -1]), 0.5, "2"))
    assert not np.any(worst_case_perturbation(np.zeros(3), 0.0, x, np.array([1, -1]), 0.5, "inf"))


def test_invalid_inputs_name_the_parameter():
    dist = FeatureDistribution(3, 0.9, 0.1)
    with pytest.raises(ValueError, match="^norm"):
        linear_accuracy(np.ones(4), 0.0, dist, 0.1, norm="1")
    with pytest.raises(ValueError, match="^eps"):
        linear_accuracy(np.ones(4), 0.0, dist, -0.1)
    with pytest.raises(ValueError, match="^eps"):
        symmetric_accuracy(1.0, 1.0, 3, 0.9, 0.1, eps=float("nan"))
    with pytest.raises(ValueError, match="^w "):
        linear_accuracy(np.ones(3), 0.0, dist)
    with pytest.raises(ValueError, match="^p "):
        symmetric_accuracy(1.0, 1.0, 3, 0.2, 0.1)
    with pytest.raises(ValueError, match="^x "):
        worst_case_perturbation(np.ones(4), 0.0, np.ones((2, 3)), np.ones(2), 0.1)
    # a NaN weight or a label outside {-1, +1} would give a silently wrong (NaN or zero) perturbation
    with pytest.raises(ValueError, match="^w "):
        worst_case_perturbation(np.array([np.nan, 1.0]), 0.0, np.ones((1, 2)), np.ones(1), 0.1)
    with pytest.raises(ValueError, match="^y "):
        worst_case_perturbation(np.ones(2), 0.0, np.ones((1, 2)), np.zeros(1), 0.1)
    assert canonical_norm(np.inf) == "inf" and canonical_norm(2) == "2" and canonical_norm("l2") == "2"
