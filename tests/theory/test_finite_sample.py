"""Finite-sample learning on D: exact inner maximisation, solver optimality, exact accuracies of the learned rules."""

import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from tradeoff.theory.accuracy import linear_accuracy, worst_case_perturbation
from tradeoff.theory.distribution import FeatureDistribution
from tradeoff.theory.finite_sample import finite_sample_curve, log_grid, sample_training_set, train_linear


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small matrix products: one BLAS thread is faster and keeps the shared test machine usable."""
    with threadpool_limits(1):
        yield


def test_unpenalised_bias_matches_scikit_learn_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    dist = FeatureDistribution(15, 0.85, 0.3)
    x, y = dist.sample(800, np.random.default_rng(0))
    ridge = 0.01
    rule = train_linear(x, y, 0.0, ridge=ridge, penalise_bias=False, gtol=1e-10)
    ref = LogisticRegression(C=1 / (ridge * x.shape[0]), tol=1e-12, max_iter=10000).fit(x, y)
    np.testing.assert_allclose(rule.w, ref.coef_[0], atol=1e-5)
    assert rule.b == pytest.approx(ref.intercept_[0], abs=1e-5)


def test_large_sample_logistic_recovers_the_bayes_rule():
    dist = FeatureDistribution(5, 0.9, 0.4)
    x, y = dist.sample(100_000, np.random.default_rng(1))
    rule = train_linear(x, y, 0.0, ridge=1e-7)
    w_bayes, _ = dist.bayes_weights()
    w_bayes = np.asarray(w_bayes, dtype=float)
    # the logistic population minimiser is the log-odds: w_1 = log(p/(1-p)), weak weights 2 eta
    np.testing.assert_allclose(rule.w, [math.log(9)] + [0.8] * 5, atol=0.06)
    np.testing.assert_allclose(rule.w / rule.w[0], w_bayes / w_bayes[0], atol=0.03)
    assert abs(rule.b) < 0.03


@pytest.mark.parametrize("loss", ["logistic", "squared_hinge"])
def test_adversarial_objective_is_the_loss_at_the_worst_case_points(loss):
    """The trained rule's empirical objective equals the loss evaluated at the exact worst-case perturbed samples."""
    dist = FeatureDistribution(30, 0.9, 0.35)
    x, y = dist.sample(300, np.random.default_rng(2))
    eps, ridge = 0.3, 1e-2
    rule = train_linear(x, y, eps, loss=loss, ridge=ridge)
    x_adv = x + worst_case_perturbation(rule.w, rule.b, x, y, eps)
    m = y * (x_adv @ rule.w + rule.b)
    vals = np.logaddexp(0, -m) if loss == "logistic" else np.maximum(0, 1 - m) ** 2
    total = vals.mean() + 0.5 * ridge * (rule.w @ rule.w + rule.b**2)
    assert rule.objective == pytest.approx(total, rel=1e-9)
    assert rule.pg_norm < 1e-6


def test_adversarial_training_with_enough_data_drops_the_weak_features():
    d, p = 400, 0.95
    eta = 4 / math.sqrt(d)
    dist = FeatureDistribution(d, p, eta)
    x, y = dist.sample(4000, np.random.default_rng(3))
    rule = train_linear(x, y, 2 * eta)
    assert np.count_nonzero(rule.w[1:]) == 0 and rule.w[0] > 0
    assert linear_accuracy(rule.w, rule.b, dist) == pytest.approx(p, abs=1e-6)
    assert linear_accuracy(rule.w, rule.b, dist, eps=2 * eta) == pytest.approx(p, abs=1e-6)


def test_curve_rows_are_exact_reproducible_and_show_the_tradeoff():
    d, p = 200, 0.95
    eta = 4 / math.sqrt(d)
    kw = dict(ns=[10, 3000], eps_trains=[0.0, 2 * eta], seeds=[0, 1])
    rows = finite_sample_curve(d, p, eta, **kw)
    assert len(rows) == 8
    assert rows == finite_sample_curve(d, p, eta, **kw)
    dist = FeatureDistribution(d, p, eta)
    x, y = sample_training_set(dist, 10, 0)
    first = train_linear(x, y, 0.0)
    assert rows[0].standard_acc == pytest.approx(linear_accuracy(first.w, first.b, dist))
    for r in rows:
        assert 0 <= r.robust_acc <= r.standard_acc <= 1
    big = {r.eps_train: r for r in rows if r.n == 3000 and r.seed == 0}
    assert big[0.0].standard_acc > 0.99 and big[0.0].robust_acc < 0.05
    assert big[2 * eta].standard_acc == pytest.approx(p, abs=1e-6) == big[2 * eta].robust_acc
    small = [r for r in rows if r.n == 10 and r.eps_train == 0.0]
    assert all(r.standard_acc < big[0.0].standard_acc for r in small)


def test_log_grid():
    assert log_grid(10, 1000, 2) == [10, 32, 100, 316, 1000]
    assert log_grid(5, 5) == [5]
    with pytest.raises(ValueError, match="n_min"):
        log_grid(0, 10)
    with pytest.raises(ValueError, match="per_decade"):
        log_grid(1, 100, 0)


@pytest.mark.parametrize(
    "kwargs,match",
    [({"eps_train": -1.0}, "eps_train"), ({"eps_train": None}, "eps_train"), ({"loss": "hinge"}, "loss"),
     ({"ridge": 0.0}, "ridge")],
)
def test_train_linear_rejects_bad_input(kwargs, match):
    x, y = FeatureDistribution(3, 0.9, 0.5).sample(20, np.random.default_rng(0))
    with pytest.raises(ValueError, match=match):
        train_linear(x, y, **kwargs)


def test_curve_rejects_bad_grid():
    with pytest.raises(ValueError, match="ns"):
        finite_sample_curve(10, 0.9, 0.5, [0], [0.0], [0])
    with pytest.raises(ValueError, match="eps_train"):
        finite_sample_curve(10, 0.9, 0.5, [10], [float("inf")], [0])
    with pytest.raises(ValueError, match="p"):
        finite_sample_curve(10, 1.5, 0.5, [10], [0.0], [0])
    with pytest.raises(ValueError, match="seeds"):  # used to return no rows at all
        finite_sample_curve(10, 0.9, 0.5, [10], [0.0], [])


def test_train_linear_rejects_nan_data():
    # a NaN used to give w = 0 with a NaN objective, silently
    x, y = FeatureDistribution(3, 0.9, 0.5).sample(20, np.random.default_rng(0))
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train_linear(x, y)
