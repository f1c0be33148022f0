import math

import numpy as np
import pytest
from scipy.optimize import minimize

from tradeoff.theory.accuracy import bayes_accuracy, linear_accuracy, symmetric_accuracy
from tradeoff.theory.distribution import FeatureDistribution
from tradeoff.theory.frontier import (
    linear_frontier,
    linear_rule_weights,
    reduced_accuracy,
    tradeoff_frontier,
)
from tradeoff.theory.montecarlo import (
    LinearClassifier,
    RandomizedClassifier,
    estimate_accuracy,
    robust_feature_classifier,
)

D = 1000
DIST = FeatureDistribution(D, 0.95, 2 / math.sqrt(D))
EPS = 2 * DIST.eta


@pytest.fixture(scope="module")
def frontier():
    return tradeoff_frontier(DIST, EPS)


def test_frontier_properties(frontier):
    f = frontier
    ok = ~np.isnan(f.upper)
    assert ok.sum() >= 50 and f.delta[ok][0] == pytest.approx(1 - f.bayes_standard, abs=1e-9)
    for curve in (f.upper, f.exact, f.linear, f.linear_symmetric):
        c = curve[ok]
        assert not np.any(np.isnan(c))
        assert np.all(np.diff(c) >= -1e-9), "frontier must be non-decreasing in delta"
    assert np.all(f.linear_symmetric[ok] <= f.linear[ok] + 1e-9)
    assert np.all(f.linear[ok] <= f.exact[ok] + 1e-9), "linear rules never beat the mixtures' frontier"
    assert np.all(f.exact[ok] <= f.upper[ok] + 1e-9), "nothing beats Theorem 1 / the p cap"
    assert np.all(np.array(f.mixture["robust"])[ok] <= f.exact[ok] + 1e-9)
    # meets Theorem 1's line at delta = 1 - p, flat at p beyond
    i = int(np.argmin(np.abs(f.delta - (1 - DIST.p))))
    assert f.exact[i] == pytest.approx(0.95) and f.theorem1[i] == pytest.approx(0.95)
    assert np.allclose(f.exact[f.delta >= 1 - DIST.p], 0.95)
    assert f.tight["gap"] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.isnan(tradeoff_frontier(DIST, EPS, deltas=[0.001]).exact))  # more accurate than Bayes: infeasible
    payload = f.to_payload()
    assert {"d", "p", "eta", "eps", "delta", "theorem1", "exact", "linear"} <= payload.keys()


def test_general_linear_rules_beat_the_symmetric_form_under_linf(frontier):
    # the reduction in theory.frontier: a bias and fewer effective features buy robustness at eps > eta
    ok = ~np.isnan(frontier.linear)
    assert np.max(frontier.linear[ok] - frontier.linear_symmetric[ok]) > 0.02


def test_mixture_gap_to_the_line_shrinks_as_the_signal_grows():
    gaps = []
    for s in (2.0, 3.0, 4.0):
        dist = FeatureDistribution(D, 0.95, s / math.sqrt(D))
        f = tradeoff_frontier(dist, 2 * dist.eta)
        gaps.append(f.gap)
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.01


def test_reduced_parameters_are_realised_by_actual_weights():
    rng = np.random.default_rng(0)
    d = 50
    dist = FeatureDistribution(d, 0.9, 0.2)
    for _ in range(20):
        a, b, t = rng.normal() * 2, rng.normal(), rng.uniform(1, math.sqrt(d))
        w, bias = linear_rule_weights(a, b, t, d)
        assert np.all(w[1:] >= 0) and np.linalg.norm(w[1:]) == pytest.approx(1.0)
        assert w[1:].sum() == pytest.approx(t)
        for eps, norm in ((0.0, "inf"), (0.3, "inf"), (0.5, "2")):
            assert float(reduced_accuracy(a, b, t, dist, eps, norm)) == pytest.approx(
                linear_accuracy(w, bias, dist, eps, norm), abs=1e-12
            )
    # tau = sqrt(d), beta = 0 is the symmetric form with alpha = w1 / v
    assert float(reduced_accuracy(1.3, 0.0, math.sqrt(d), dist, 0.2)) == pytest.approx(
        float(symmetric_accuracy(1.3, 1.0, d, 0.9, 0.2, 0.2))
    )


def test_random_linear_rules_lie_below_the_linear_frontier():
    rng = np.random.default_rng(1)
    d = 30
    dist = FeatureDistribution(d, 0.9, 0.4)
    eps = 2 * dist.eta
    s, r = [], []
    for _ in range(300):
        w = rng.normal(size=d + 1) + rng.uniform(0, 1)
        w[0] = abs(w[0]) * rng.uniform(0, 5)
        b = rng.normal() * rng.choice([0.0, 0.5])
        s.append(linear_accuracy(w, b, dist))
        r.append(linear_accuracy(w, b, dist, eps))
    s, r = np.array(s), np.array(r)
    lf = linear_frontier(dist, eps, deltas=np.clip(1 - s, 0, 1))
    assert np.all(r <= lf.robust + 1e-9)


def test_linear_frontier_matches_multistart_scipy():
    rng = np.random.default_rng(2)
    deltas = np.array([0.02, 0.04])
    lf = linear_frontier(DIST, EPS, deltas=deltas)
    root = math.log(math.sqrt(D))
    for k, delta in enumerate(deltas):
        best = -1.0
        for _ in range(12):
            x0 = np.array([rng.uniform(0, 6), rng.uniform(0, 2), rng.uniform(0, root)])
            cons = {
                "type": "ineq",
                "fun": lambda x, delta=delta: float(reduced_accuracy(x[0], x[1], math.exp(x[2]), DIST)) - 1 + delta,
            }
            res = minimize(
                lambda x: -float(reduced_accuracy(x[0], x[1], math.exp(x[2]), DIST, EPS)),
                x0,
                method="SLSQP",
                constraints=[cons],
                bounds=[(-50, 100), (-20, 20), (0, root)],
            )
            if cons["fun"](res.x) >= -1e-9:
                best = max(best, -res.fun)
        assert lf.robust[k] >= best - 1e-5
        assert float(reduced_accuracy(lf.alpha[k], lf.beta[k], lf.tau[k], DIST)) >= 1 - delta - 1e-9


def test_l2_linear_frontier_uses_all_weak_features():
    dist = FeatureDistribution(100, 0.9, 0.2)
    eps = 0.5
    lf = linear_frontier(dist, eps, "2", deltas=np.linspace(1 - bayes_accuracy(dist) + 0.002, 0.09, 5))
    weak = lf.tau > 0
    assert weak.any() and np.allclose(lf.tau[weak], 10.0, atol=1e-6)


def test_mixture_accuracies_agree_with_monte_carlo(frontier):
    i = len(frontier.delta) // 3
    lam = frontier.mixture["weight_robust_feature"][i]
    w, b = DIST.bayes_weights()
    bayes = LinearClassifier(w, b)
    mix = RandomizedClassifier(robust_feature_classifier, bayes, lam, seed=3)
    # the Bayes rule's worst case is the mixture's worst case (sign(x_1) is never fooled at eps < 1)
    res = estimate_accuracy(
        mix, DIST, 10_000, np.random.default_rng(4), eps=EPS, attack=bayes.worst_case_attack(EPS), level=0.999
    )
    assert res.standard.contains(frontier.mixture["standard"][i])
    assert res.robust.contains(frontier.mixture["robust"][i])


def test_invalid_frontier_requests():
    with pytest.raises(ValueError, match="^eps"):
        tradeoff_frontier(DIST, DIST.eta)
    with pytest.raises(ValueError, match="^p "):
        tradeoff_frontier(FeatureDistribution(10, 1.0, 0.1), 0.5)
    with pytest.raises(ValueError, match="^deltas"):
        tradeoff_frontier(DIST, EPS, deltas=[2.0])
    with pytest.raises(ValueError, match="^tau"):
        linear_rule_weights(1.0, 0.0, 50.0, 10)


def test_frontier_at_eps_above_one_is_honest_about_its_gap():
    # eps >= 1: sign(x_1) is fooled (margin 1 - eps <= 0), so the tight point is no longer tight and the frontier
    # reached by mixtures stays far below the p cap; the reported gap and tight point must say so
    dist = FeatureDistribution(1, 0.95, 2.0)
    f = tradeoff_frontier(dist, 2 * dist.eta, deltas=[0.05, 0.07])
    e1 = np.r_[1.0, 0.0]
    assert f.tight["robust"] == linear_accuracy(e1, 0.0, dist, 2 * dist.eta) == 0.0
    assert f.tight["gap"] == pytest.approx(0.95) and f.tight["bound"] == pytest.approx(0.95)
    assert f.gap > 0.5 and np.all(f.exact <= f.upper + 1e-12)
