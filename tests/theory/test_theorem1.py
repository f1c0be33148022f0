import math

import numpy as np
import pytest

from tradeoff.theory.accuracy import linear_accuracy
from tradeoff.theory.distribution import FeatureDistribution
from tradeoff.theory.montecarlo import LinearClassifier, estimate_accuracy
from tradeoff.theory.theorem1 import (
    check_theorem1,
    check_theorem1_interval,
    theorem1_applies,
    theorem1_bound,
    tight_point,
)


def test_bound_values():
    assert theorem1_bound(0.95, 0.01) == pytest.approx(0.19)
    assert np.allclose(theorem1_bound(0.8, np.array([0.0, 0.1, 0.2])), [0.0, 0.4, 0.8])
    assert theorem1_bound(1.0, 0.1) == math.inf
    with pytest.raises(ValueError, match="^p "):
        theorem1_bound(0.3, 0.1)
    with pytest.raises(ValueError, match="^delta"):
        theorem1_bound(0.9, 1.5)


def test_checker_accepts_and_rejects():
    ok = check_theorem1(0.99, 0.15, 0.95)
    assert ok.holds and ok.bound == pytest.approx(0.19) and ok.slack == pytest.approx(0.04)
    bad = check_theorem1(0.99, 0.5, 0.95)
    assert not bad.holds and bad.slack < 0
    assert check_theorem1(0.2, 0.9, 0.6).bound == 1.0 and check_theorem1(0.5, 0.9, 0.6).bound == pytest.approx(0.75)
    with pytest.raises(ValueError, match="^robust"):
        check_theorem1(0.9, 1.2, 0.9)


def test_applies():
    dist = FeatureDistribution(100, 0.9, 0.1)
    assert theorem1_applies(dist, 0.2) and not theorem1_applies(dist, 0.19)
    assert theorem1_applies(dist, 2.0, "2") and not theorem1_applies(dist, 1.9, "2")


@pytest.mark.parametrize("eps", [0.5, 0.9])
def test_tight_at_delta_one_minus_p(eps):
    dist = FeatureDistribution(1000, 0.95, 2 / math.sqrt(1000))
    t = tight_point(dist, eps)
    assert t.delta == pytest.approx(0.05) and t.standard == pytest.approx(0.95)
    assert t.robust == pytest.approx(0.95) and t.bound == pytest.approx(0.95) and abs(t.gap) < 1e-12


def test_bound_holds_for_many_random_linear_rules_exactly():
    rng = np.random.default_rng(0)
    for d, p, eta in [(5, 0.8, 0.6), (50, 0.95, 0.3), (1000, 0.95, 2 / math.sqrt(1000))]:
        dist = FeatureDistribution(d, p, eta)
        for _ in range(200):
            w = rng.normal(size=d + 1) * rng.choice([0.1, 1.0, 10.0]) + rng.normal() * 0.5
            w[0] *= rng.choice([0.0, 1.0, 5.0])
            b = rng.normal() * rng.choice([0.0, 1.0])
            for norm, eps in (("inf", 2 * eta), ("inf", 3 * eta), ("2", 2 * eta * math.sqrt(d))):
                std = linear_accuracy(w, b, dist)
                rob = linear_accuracy(w, b, dist, eps, norm)
                assert check_theorem1(std, rob, p).holds, (w, b, std, rob)


def _nonlinear_rules(rng, d):
    """Random non-linear classifiers of (x_1, z) with z the weak block: each returns scores."""
    rules = {}
    for k in range(4):
        a, t = rng.uniform(0.2, 3.0), rng.uniform(0.0, 3.0)

        def gated(x, a=a, t=t):
            z = x[:, 1:].sum(1) / math.sqrt(d)
            return np.where(np.abs(z) > t, z, a * x[:, 0])

        rules[f"gated{k}"] = gated
    for k in range(4):
        w1 = rng.normal(size=(d + 1, 16))
        w2 = rng.normal(size=16)
        b1 = rng.normal(size=16)
        w1[1:] += 0.5  # lean on the weak features so the net is accurate

        def net(x, w1=w1, w2=w2, b1=b1):
            return np.tanh(x @ w1 + b1) @ w2

        rules[f"net{k}"] = net
    rules["quadratic"] = lambda x: x[:, 0] + 0.3 * np.sum(x[:, 1:] ** 2 - 1, axis=1) * np.sign(x[:, 1:].sum(1))
    rules["max"] = lambda x: np.max(x[:, 1:], axis=1) + np.min(x[:, 1:], axis=1) + 0.2 * x[:, 0]
    rules["vote"] = lambda x: np.sign(x[:, 0]) + np.sign(x[:, 1:].sum(1)) + np.sign(x[:, 1])
    return rules


def test_bound_holds_for_random_nonlinear_rules_under_the_theorem1_adversary():
    d, p, eta = 16, 0.8, 0.75
    dist = FeatureDistribution(d, p, eta)
    rng = np.random.default_rng(1)
    rules = _nonlinear_rules(rng, d)
    rules["averaging"] = lambda x: x[:, 1:].sum(1)
    rules["bayes"] = LinearClassifier(*dist.bayes_weights())
    seen_accurate = 0
    for name, rule in rules.items():
        res = estimate_accuracy(rule, dist, 20_000, rng, eps=2 * eta, attack="theorem1", level=0.999)
        check = check_theorem1_interval(res.standard.to_dict(), res.robust.to_dict(), p)
        assert check.holds, (name, res)
        seen_accurate += res.standard.estimate > p
    assert seen_accurate >= 3  # the check is not vacuous: several rules beat sign(x_1)


def test_interval_checker_detects_a_real_violation():
    # a classifier that cheats (sees the label) violates the bound, and the checker says so
    dist = FeatureDistribution(8, 0.9, 0.5)
    cheat = estimate_accuracy(
        lambda x: x[:, 0], dist, 5000, np.random.default_rng(0), attack=lambda x, y: np.c_[y, x[:, 1:]]
    )
    check = check_theorem1_interval(cheat.standard.to_dict(), cheat.robust.to_dict(), 0.9)
    assert cheat.robust.estimate == 1.0 and not check.holds
