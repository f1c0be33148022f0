import math

import numpy as np
import pytest

from tradeoff.theory.distribution import FeatureDistribution


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"d": 0, "p": 0.9, "eta": 0.1}, "d"),
        ({"d": 2.5, "p": 0.9, "eta": 0.1}, "d"),
        ({"d": True, "p": 0.9, "eta": 0.1}, "d"),
        ({"d": 10, "p": 0.4, "eta": 0.1}, "p"),
        ({"d": 10, "p": 1.1, "eta": 0.1}, "p"),
        ({"d": 10, "p": float("nan"), "eta": 0.1}, "p"),
        ({"d": 10, "p": "x", "eta": 0.1}, "p"),
        ({"d": 10, "p": 0.9, "eta": -0.1}, "eta"),
        ({"d": 10, "p": 0.9, "eta": float("inf")}, "eta"),
    ],
)
def test_invalid_parameters_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} .*(>=|\[)"):
        FeatureDistribution(**kwargs)


def test_boundary_values_are_valid_and_dim():
    dist = FeatureDistribution(np.int64(3), 0.5, 0)
    assert dist.d == 3 and isinstance(dist.d, int) and dist.dim == 4
    assert FeatureDistribution(1, 1.0, 0.0).p == 1.0


def test_sample_shapes_dtypes_and_moments():
    dist = FeatureDistribution(d=5, p=0.8, eta=0.3)
    x, y = dist.sample(200_000, np.random.default_rng(0))
    assert x.shape == (200_000, 6) and x.dtype == np.float64
    assert y.shape == (200_000,) and y.dtype == np.int64
    assert set(np.unique(y)) == {-1, 1}
    assert set(np.unique(x[:, 0])) == {-1.0, 1.0}
    n = len(y)
    tol = 5 / math.sqrt(n)
    assert abs(np.mean(y == 1) - 0.5) < tol
    assert abs(np.mean(x[:, 0] == y) - 0.8) < tol
    yx = y[:, None] * x[:, 1:]
    assert np.all(np.abs(yx.mean(axis=0) - 0.3) < tol)
    assert np.all(np.abs(yx.var(axis=0) - 1.0) < 10 * tol)
    # weak features are independent of each other and of x_1 given y
    c = np.corrcoef(yx, rowvar=False)
    assert np.max(np.abs(c - np.eye(5))) < tol


def test_sampling_is_seeded():
    dist = FeatureDistribution(4, 0.9, 0.5)
    a = dist.sample(100, np.random.default_rng(7))
    b = dist.sample(100, np.random.default_rng(7))
    c = dist.sample(100, np.random.default_rng(8))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_iter_batches_streams_exactly_n_and_is_seeded():
    dist = FeatureDistribution(3, 0.9, 0.5)
    sizes = [len(y) for _, y in dist.iter_batches(1005, 100, np.random.default_rng(1))]
    assert sizes == [100] * 10 + [5]
    first = [x for x, _ in dist.iter_batches(250, 100, np.random.default_rng(2))]
    again = [x for x, _ in dist.iter_batches(250, 100, np.random.default_rng(2))]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert list(dist.iter_batches(0, 10, np.random.default_rng(0))) == []
    with pytest.raises(ValueError, match="batch_size"):
        list(dist.iter_batches(10, 0, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="rng"):
        dist.sample(10, 3)
    with pytest.raises(ValueError, match="^n "):
        dist.sample(-1, np.random.default_rng(0))


def test_bayes_weights():
    dist = FeatureDistribution(10, 0.95, 0.2)
    w, b = dist.bayes_weights()
    assert w.shape == (11,) and b == 0.0
    assert w[0] == pytest.approx(math.log(0.95 / 0.05))
    assert np.allclose(w[1:], 0.4)
    w, _ = FeatureDistribution(10, 1.0, 0.2).bayes_weights()
    assert w[0] == 1.0 and not np.any(w[1:])
    w, _ = FeatureDistribution(10, 0.5, 0.0).bayes_weights()
    assert np.any(w)


def test_bayes_rule_beats_other_rules_empirically():
    dist = FeatureDistribution(8, 0.9, 0.4)
    x, y = dist.sample(100_000, np.random.default_rng(3))
    w, b = dist.bayes_weights()
    bayes = np.mean(np.sign(x @ w + b) == y)
    averaging = np.mean(np.sign(x[:, 1:].sum(1)) == y)
    robust = np.mean(x[:, 0] == y)
    assert bayes > max(averaging, robust) + 0.005
