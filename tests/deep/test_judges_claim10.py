"""Claim 10 hardened (deep.experiments.claim10): Spearman, the signed alignment, the smoothness measure and the
smoothness-matched blur, on constructed gradients with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tradeoff.deep.experiments import claim10 as C10
from tradeoff.deep.experiments import metrics as M
from tradeoff.deep.experiments.knn import KNNJudge


def _digits(n=40, seed=0, size=16):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, size, size))
    for i in range(n):  # a bright rectangle at a random place
        r, c = rng.integers(2, 7, size=2)
        h, w = rng.integers(4, 8, size=2)
        x[i, 0, r : r + h, c : c + w] = 1.0
    return x


def test_spearman_is_scipys_and_ignores_increasing_transforms():
    rng = np.random.default_rng(0)
    a, b = rng.random((5, 30)), rng.random((5, 30))
    b[:, :10] = 0.0  # ties
    ref = [stats.spearmanr(a[i], b[i]).statistic for i in range(5)]
    np.testing.assert_allclose(M.spearman_per_image(a, b), ref, rtol=1e-12)
    np.testing.assert_allclose(M.spearman_per_image(np.exp(3 * a), b), ref, rtol=1e-12)


def test_lag1_autocorrelation_known_answers():
    cb = np.indices((8, 8)).sum(axis=0) % 2 * 2.0 - 1.0
    assert C10.lag1_autocorrelation(cb[None])[0] == pytest.approx(-1.0)
    noise = np.random.default_rng(1).standard_normal((200, 28, 28))
    assert abs(np.mean(C10.lag1_autocorrelation(noise))) < 0.01
    ramp = np.add.outer(np.arange(28.0), np.arange(28.0))[None]
    assert C10.lag1_autocorrelation(ramp)[0] > 0.95
    assert np.isnan(C10.lag1_autocorrelation(np.ones((1, 4, 4)))[0])
    # channels are summed first
    two = np.stack([cb, cb])[None]
    assert C10.lag1_autocorrelation(two)[0] == pytest.approx(-1.0)


def test_matched_sigma_reaches_the_target_smoothness():
    g = np.random.default_rng(2).standard_normal((30, 1, 16, 16))
    target = C10.smoothness(C10.blur(g, 1.3))
    sigma, ok = C10.matched_sigma(g, target)
    assert ok and sigma == pytest.approx(1.3, abs=0.01)
    assert C10.smoothness(C10.blur(g, sigma)) == pytest.approx(target, abs=1e-3)
    assert C10.matched_sigma(C10.blur(g, 2.0), C10.smoothness(g)) == (0.0, True)  # already smoother
    assert C10.matched_sigma(g, 1.5, sigma_max=2.0) == (2.0, False)  # unreachable


def test_signed_alignment_is_one_when_the_gradient_points_to_the_other_class():
    x = _digits(10)
    u = np.roll(x, 3, axis=3) - x
    al = C10.alignments(2.0 * u, x, u)
    np.testing.assert_allclose(al["signed"]["alignment"], 1.0)
    np.testing.assert_allclose(C10.alignments(-u, x, u)["signed"]["alignment"], -1.0)


def test_towards_other_class_uses_the_nearest_training_image_of_another_class():
    x = _digits(60, seed=3)
    y = np.arange(60) % 3
    judge = KNNJudge(x, y, k=3)
    q, yq = x[:5] + 0.01, y[:5]
    u = C10.towards_other_class(judge, q, yq)
    for i in range(5):
        d = ((x - q[i]) ** 2).sum(axis=(1, 2, 3))
        d[y == yq[i]] = np.inf
        np.testing.assert_allclose(u[i], x[np.argmin(d)] - q[i], atol=1e-6)


def test_edge_following_gradients_beat_noise_on_every_variant():
    x = _digits(60, seed=4)
    rng = np.random.default_rng(5)
    edges = M.sobel_edges(x)[:, None]
    u = np.roll(x, 5, axis=0) - x  # a stand-in direction
    robust = {s: edges * rng.choice([-1.0, 1.0], size=x.shape) + 0.3 * u + 0.1 * rng.standard_normal(x.shape)
              for s in range(3)}
    standard = {s: rng.standard_normal(x.shape) for s in range(3)}
    c = C10.compare(robust, standard, x, u)
    for v in C10.VARIANTS:
        assert c.minus_standard[v].low > 0, v
        assert c.minus_blurred[v].low > 0, v
    assert c.decides()["measure"] == C10.DECIDES == "spearman"
    assert all(s > 0 for s in c.sigma.values())  # white noise had to be blurred to match


def test_the_smoothness_control_cancels_a_pure_smoothness_advantage():
    # the "robust" gradient is the standard one blurred (same content, smoother): it scores higher than the standard
    # gradient on the edge measures, and the blurred-standard control takes that advantage away
    x = _digits(80, seed=6)
    rng = np.random.default_rng(7)
    edges = M.sobel_edges(x)[:, None]
    standard = {s: edges + 8.0 * rng.standard_normal(x.shape) for s in range(3)}  # edges buried in noise
    robust = {s: C10.blur(g, 0.7) for s, g in standard.items()}
    c = C10.compare(robust, standard, x, np.roll(x, 1, axis=0) - x)
    assert c.minus_standard["pearson"].low > 0
    assert all(abs(s - 0.7) < 0.01 for s in c.sigma.values())
    for v in C10.VARIANTS:
        assert abs(c.minus_blurred[v].estimate) < 0.01, v
    d = c.as_dict()
    assert d["decides"]["minus_blurred_standard"]["n_seeds"] == 3 and set(d["blur_sigma"]) == {"0", "1", "2"}
