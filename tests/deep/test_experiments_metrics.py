"""Claim 10/11 metrics on constructed inputs with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from tradeoff.deep.experiments import metrics as M
from tradeoff.deep.experiments.gradients import display_scaled
from tradeoff.deep.experiments.interpolation import interpolate


def _images(n=6, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, 16, 16))
    for i in range(n):  # a bright square at a random place: clear edges
        r, c = rng.integers(2, 8, size=2)
        x[i, 0, r : r + 6, c : c + 6] = 1.0
    return x


def test_gradient_equal_to_edge_map_has_alignment_one():
    x = _images()
    g = M.sobel_edges(x)[:, None] * np.where(np.random.default_rng(1).random(x.shape) < 0.5, -1, 1)  # signs ignored
    np.testing.assert_allclose(M.edge_alignment(g, x), 1.0, atol=1e-12)


def test_random_gradient_has_alignment_near_zero():
    x = _images(n=40)
    g = np.random.default_rng(2).normal(size=x.shape)
    a = M.edge_alignment(g, x)
    assert abs(a.mean()) < 0.05
    ci = M.mean_interval(a)
    assert ci["low"] < 0 < ci["high"] or abs(ci["estimate"]) < 0.05


def test_edge_alignment_multichannel_and_shape_errors():
    x = np.repeat(_images(), 3, axis=1)
    assert M.edge_alignment(np.repeat(M.sobel_edges(x)[:, None], 3, axis=1), x) == pytest.approx(np.ones(6))
    with pytest.raises(ValueError, match="same shape"):
        M.edge_alignment(x[:, :1], x)


def test_mean_interval_matches_t_formula():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    ci = M.mean_interval(v)
    half = 3.182446305284263 * v.std(ddof=1) / 2
    assert ci["estimate"] == 2.5 and ci["high"] - ci["estimate"] == pytest.approx(half)
    assert ci["n"] == 4 and ci["level"] == 0.95


def test_wilson_interval_contains_estimate_and_stays_in_unit_interval():
    for k, n in [(0, 10), (10, 10), (3, 7), (50, 100)]:
        ci = M.proportion_interval(k, n)
        assert 0 <= ci["low"] <= ci["estimate"] <= ci["high"] <= 1
    assert M.proportion_interval(50, 100)["low"] == pytest.approx(0.4038, abs=1e-3)


def test_other_class_stats_known_answer():
    probs = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.3, 0.7, 0.0]])
    labels = np.array([0, 0, 0, 1])
    st = M.other_class_stats(probs, labels)
    assert st["other_class_rate"]["estimate"] == 0.5
    assert st["other_class_prob"]["estimate"] == pytest.approx(np.mean([0.05, 0.8, 0.6, 0.3]))
    assert st["new_class_prob"]["estimate"] == pytest.approx(0.7)


def test_interpolation_smoothness_monotone_vs_oscillating():
    f = 20
    up = np.linspace(0.1, 0.9, f)
    mono = np.stack([1 - up, up], axis=-1)[None]
    wiggle = 0.5 + 0.4 * np.sin(np.linspace(0, 6 * np.pi, f))
    wiggle[-1] = 0.9
    osc = np.stack([1 - wiggle, wiggle], axis=-1)[None]
    s_mono, s_osc = M.interpolation_smoothness(mono), M.interpolation_smoothness(osc)
    assert s_mono["monotone_fraction"]["estimate"] == 1.0
    assert s_mono["path_efficiency"]["estimate"] == pytest.approx(1.0)
    assert s_osc["monotone_fraction"]["estimate"] < 0.8 and s_osc["path_efficiency"]["estimate"] < 0.3


def test_interpolate_endpoints_and_display_scaling():
    rng = np.random.default_rng(0)
    x, xa = rng.random((2, 1, 4, 4)), rng.random((2, 1, 4, 4))
    p = interpolate(x, xa, 20)
    assert p.shape == (2, 20, 1, 4, 4)
    np.testing.assert_allclose(p[:, 0], x, atol=1e-6)
    np.testing.assert_allclose(p[:, -1], xa, atol=1e-6)
    np.testing.assert_allclose(p[:, 10], x + 10 / 19 * (xa - x), atol=1e-6)
    g = rng.normal(size=(3, 3, 8, 8))
    d = display_scaled(g)
    assert d.min() >= 0 and d.max() <= 1
    s = 3 * g[0].std()
    i = np.unravel_index(np.argmax(g[0]), g[0].shape)
    assert d[0][i] == pytest.approx((1 + min(g[0][i], s) / s) / 2)
