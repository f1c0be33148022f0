"""Claim 4: the fixed -2 eta y shift fools independently trained standard classifiers."""

import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from tradeoff.theory.accuracy import linear_accuracy
from tradeoff.theory.distribution import FeatureDistribution
from tradeoff.theory.montecarlo import theorem1_attack
from tradeoff.theory.transfer import transfer_study


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small matrix products: one BLAS thread is faster and keeps the shared test machine usable."""
    with threadpool_limits(1):
        yield


def test_shift_fools_independent_standard_models():
    d, p = 300, 0.95
    eta = 4 / math.sqrt(d)
    res = transfer_study(d, p, eta, n_models=3, n_train=400, n_test=3000, seed=1)
    assert res.eps == pytest.approx(2 * eta) and res.fooled_fraction.n == 9000
    assert res.fooled_fraction.low > 0.9
    assert res.fooled_fraction.low <= res.fooled_fraction.estimate <= res.fooled_fraction.high
    assert len({m.train_seed for m in res.per_model}) == 3
    for m in res.per_model:
        assert m.clean_acc > 0.97
        f = m.fooled_fraction
        # the exact expected error after the shift agrees with the count (4 binomial standard deviations)
        sd = math.sqrt(m.fooled_exact * (1 - m.fooled_exact) / f.n) + 1 / f.n
        assert abs(f.estimate - m.fooled_exact) <= 4 * sd


def test_exact_error_after_shift_equals_flipped_weights_formula_by_simulation():
    """The identity behind fooled_exact: the shifted law seen by (w1, w_weak) is D seen by (w1, -w_weak)."""
    dist = FeatureDistribution(40, 0.8, 0.3)
    rng = np.random.default_rng(0)
    w = np.r_[0.7, rng.normal(0.3, 0.2, 40)]
    x, y = dist.sample(400_000, rng)
    wrong = (y * (theorem1_attack(dist)(x, y) @ w + 0.1) <= 0).mean()
    exact = 1 - linear_accuracy(np.r_[w[0], -w[1:]], 0.1, dist)
    assert abs(wrong - exact) < 4 * math.sqrt(exact * (1 - exact) / 400_000)


def test_weak_features_too_weak_to_use_means_nothing_to_fool():
    """Control: with eta = 0 the weak features carry no signal, the shift is zero and fools only the clean errors."""
    res = transfer_study(50, 0.9, 0.0, n_models=2, n_train=2000, n_test=2000, seed=0)
    for m in res.per_model:
        assert m.fooled_fraction.estimate == pytest.approx(1 - m.clean_acc)


@pytest.mark.parametrize("kwargs,match", [({"n_models": 0}, "n_models"), ({"n_test": 2.5}, "n_test")])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        transfer_study(10, 0.9, 0.5, **kwargs)
