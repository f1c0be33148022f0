"""Theorem 2's study with logistic loss: Gauss-Hermite expectation, its exact gradient, the pattern."""

import math

import numpy as np
import pytest
from scipy import integrate
from threadpoolctl import threadpool_limits

from tradeoff.theory import svm
from tradeoff.theory.logistic import logistic_study
from tradeoff.theory.losses import expected_logistic


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small matrix products: one BLAS thread is faster and keeps the shared test machine usable."""
    with threadpool_limits(1):
        yield


def _quad(mu, sigma):
    f = lambda z: np.logaddexp(0.0, -(mu + sigma * z)) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return integrate.quad(f, -np.inf, np.inf, limit=200)[0]


@pytest.mark.parametrize("mu,sigma", [(0.0, 1.0), (2.0, 0.5), (-1.5, 1.3), (0.7, 3.0), (4.0, 1e-8)])
def test_gauss_hermite_matches_numerical_integration(mu, sigma):
    assert expected_logistic(mu, sigma)[0] == pytest.approx(_quad(mu, sigma), rel=1e-9)


def test_derivatives_match_finite_differences_and_sigma_limit():
    mu, sigma, h = np.array([0.3, -1.0, 2.0]), np.array([0.8, 1.5, 0.2]), 1e-6
    _, d_mu, d_sig = expected_logistic(mu, sigma)
    fd_mu = (expected_logistic(mu + h, sigma)[0] - expected_logistic(mu - h, sigma)[0]) / (2 * h)
    fd_sig = (expected_logistic(mu, sigma + h)[0] - expected_logistic(mu, sigma - h)[0]) / (2 * h)
    np.testing.assert_allclose(d_mu, fd_mu, atol=1e-9)
    np.testing.assert_allclose(d_sig * sigma, fd_sig, atol=1e-9)
    # (dE/dsigma)/sigma is continuous at sigma -> 0 (Stein: -> f''(mu))
    small = expected_logistic(0.5, 2e-6)[2]
    zero = expected_logistic(0.5, 0.0)[2]
    assert small == pytest.approx(zero, rel=1e-4)


@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_population_logistic_gradient_matches_finite_differences(eps):
    rng = np.random.default_rng(7)
    sizes = np.array([2.0, 5.0, 1.0])
    z = rng.normal(size=4) * 0.7
    f = lambda z: svm.population_objective(z, sizes, 0.85, 0.25, eps, 0.1, expected_logistic)  # noqa: E731
    _, g = f(z)
    fd = np.array([(f(z + 1e-6 * e)[0] - f(z - 1e-6 * e)[0]) / 2e-6 for e in np.eye(4)])
    np.testing.assert_allclose(g, fd, atol=1e-8)


def test_unregularised_logistic_minimiser_is_the_bayes_rule():
    """With a tiny ridge the population logistic minimiser is the true log-odds: w_1 = log(p/(1-p)), weak 2 eta."""
    d, p, eta = 50, 0.9, 0.2
    m = svm.minimise_population([d], p, eta, 0.0, 1e-9, expected_logistic)
    assert m.w1 == pytest.approx(math.log(p / (1 - p)), rel=1e-5)
    assert m.theta[0] / math.sqrt(d) == pytest.approx(2 * eta, rel=1e-5)


def test_logistic_pattern_carries_over_at_theorem2_parameters():
    study, pattern = logistic_study(1000, 0.95)
    assert pattern.pattern_holds
    s, a = study.standard, study.adversarial
    assert s.standard_acc > 0.99 and s.robust_acc < 0.01
    assert a.weak_weight_norm == 0.0
    assert a.standard_acc == pytest.approx(0.95) and a.robust_acc == pytest.approx(0.95)
    assert study.lemmas["D1"].holds and abs(study.general_check["objective_gap"]) < 1e-10


def test_pattern_check_fails_for_weak_adversarial_training():
    """eps_train < eta keeps weak weights (gradient at zero weak weights is (eta - eps) E f' < 0): pattern broken."""
    d = 400
    eta = 4 / math.sqrt(d)
    study, pattern = logistic_study(d, 0.95, eta, eps_train=0.5 * eta, check_general=False)
    assert study.adversarial.weak_weight_norm > 0.1
    assert not pattern.adversarial_zero_weak and not pattern.pattern_holds


def test_losses_are_passed_as_functions_and_recorded_by_name():
    from tradeoff.theory.losses import LOSSES, expected_hinge, loss_name

    assert LOSSES == {"hinge": expected_hinge, "logistic": expected_logistic}
    assert [loss_name(f) for f in LOSSES.values()] == ["hinge", "logistic"]

    def expected_my_hinge(mu, sigma):  # the same loss under another name: the study runs on the function given
        return expected_hinge(mu, sigma)

    assert loss_name(expected_my_hinge) == "my_hinge"
    mine = svm.theorem2_study(50, 0.9, 0.5, loss=expected_my_hinge, check_general=False)
    hinge = svm.theorem2_study(50, 0.9, 0.5, check_general=False)
    assert mine.loss == mine.standard.loss == "my_hinge" and hinge.loss == "hinge"
    assert mine.standard.w1 == hinge.standard.w1 and mine.adversarial.v == hinge.adversarial.v
