"""Exact worst case of a linear classifier against brute force, a convex solver and long PGD runs."""

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from tradeoff.linear.robust import (
    check_norm,
    robust_accuracy,
    standard_accuracy,
    worst_case_images,
    worst_case_margin,
    worst_case_perturbation,
)

MODES = [("inf", False), ("inf", True), ("2", False), ("2", True)]


def _problem(seed, n=6, d=5):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    w[rng.random(d) < 0.2] = 0.0  # some zero weights
    X = rng.random((n, d))
    X[:, 0] = 0.0  # pixels on the box's faces
    X[:, 1] = 1.0
    y = rng.choice([-1.0, 1.0], size=n)
    return w, float(rng.normal()), X, y


def _interval(x, eps, box):
    lo, hi = np.full_like(x, -eps), np.full_like(x, eps)
    if box:
        lo, hi = np.maximum(lo, -x), np.minimum(hi, 1 - x)
    return lo, hi


@pytest.mark.parametrize("box", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_linf_matches_brute_force_over_corners(seed, box):
    w, b, X, y = _problem(seed)
    eps = 0.3
    exact = worst_case_margin(w, b, X, y, eps, "inf", box)
    for n in range(len(X)):
        lo, hi = _interval(X[n], eps, box)
        corners = np.array(list(itertools.product(*zip(lo, hi))))  # every vertex of the feasible box
        brute = (y[n] * ((X[n] + corners) @ w + b)).min()
        assert exact[n] == pytest.approx(brute, abs=1e-12)


@pytest.mark.parametrize("box", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_l2_matches_a_convex_solver(seed, box):
    w, b, X, y = _problem(seed)
    eps = 0.6
    exact = worst_case_margin(w, b, X, y, eps, "2", box)
    for n in range(len(X)):
        lo, hi = _interval(X[n], 10.0, box)
        res = minimize(
            lambda d, n=n: y[n] * ((X[n] + d) @ w + b), np.zeros_like(w), jac=lambda d, n=n: y[n] * w,
            method="SLSQP", bounds=list(zip(lo, hi)),
            constraints=[{"type": "ineq", "fun": lambda d: eps**2 - d @ d, "jac": lambda d: -2 * d}],
            options={"ftol": 1e-14, "maxiter": 500},
        )
        assert exact[n] <= res.fun + 1e-9  # never worse than the solver
        assert exact[n] == pytest.approx(res.fun, abs=1e-6)


def _project(delta, x, eps, norm, box):
    if norm == "inf":
        lo, hi = _interval(x, eps, box)
        return np.clip(delta, lo, hi)
    if not box:
        nd = np.linalg.norm(delta, axis=1, keepdims=True)
        return delta * np.minimum(1.0, eps / np.maximum(nd, 1e-300))
    # exact projection on ball ∩ box: clip(z/(1+mu), -x, 1-x) for the smallest mu >= 0 inside the ball
    def clipped(mu):
        return np.clip(delta / (1 + mu[:, None]), -x, 1 - x)

    lo, hi = np.zeros(len(x)), np.full(len(x), 1e6)
    for _ in range(80):  # vectorised bisection on mu (the norm of clipped(mu) decreases in mu)
        mid = 0.5 * (lo + hi)
        outside = np.linalg.norm(clipped(mid), axis=1) > eps
        lo, hi = np.where(outside, mid, lo), np.where(outside, hi, mid)
    inside = np.linalg.norm(clipped(lo * 0), axis=1) <= eps
    return np.where(inside[:, None], clipped(lo * 0), clipped(hi))


@pytest.mark.parametrize("norm,box", MODES)
def test_long_pgd_never_beats_the_exact_worst_case(norm, box):
    w, b, X, y = _problem(11, n=20, d=12)
    eps = 0.25 if norm == "inf" else 0.5
    exact = worst_case_margin(w, b, X, y, eps, norm, box)
    rng = np.random.default_rng(0)
    delta = _project(rng.uniform(-eps, eps, X.shape), X, eps, norm, box)
    grad = y[:, None] * w[None, :]
    step = eps / 20
    for _ in range(2000):
        direction = np.sign(grad) if norm == "inf" else grad / np.linalg.norm(w)
        delta = _project(delta - step * direction, X, eps, norm, box)
    pgd = y * ((X + delta) @ w + b)
    assert np.all(pgd >= exact - 1e-9)
    np.testing.assert_allclose(pgd, exact, atol=1e-6)


@pytest.mark.parametrize("norm,box", MODES)
def test_worst_images_are_feasible_and_reach_the_worst_margin(norm, box):
    w, b, X, y = _problem(3, n=50, d=30)
    eps = 0.2 if norm == "inf" else 0.7
    imgs = worst_case_images(w, b, X, y, eps, norm, box)
    delta = imgs - X
    size = np.abs(delta).max(axis=1) if norm == "inf" else np.linalg.norm(delta, axis=1)
    assert np.all(size <= eps + 1e-12)
    if box:
        assert imgs.min() >= 0 and imgs.max() <= 1
    np.testing.assert_allclose(y * (imgs @ w + b), worst_case_margin(w, b, X, y, eps, norm, box), atol=1e-12)


def test_closed_forms_without_box():
    w, b, X, y = _problem(4)
    clean = y * (X @ w + b)
    np.testing.assert_allclose(worst_case_margin(w, b, X, y, 0.1, "inf"), clean - 0.1 * np.abs(w).sum())
    np.testing.assert_allclose(worst_case_margin(w, b, X, y, 0.1, "2"), clean - 0.1 * np.linalg.norm(w))


def test_l2_box_corner_inside_the_ball():
    # a huge eps: every pixel saturates, the worst image is the box corner chosen by sign(y*w)
    w = np.array([1.0, -2.0, 0.5])
    X = np.array([[0.3, 0.6, 0.9]])
    img = worst_case_images(w, 0.0, X, np.array([1.0]), 10.0, "2", box=True)
    np.testing.assert_allclose(img, [[0.0, 1.0, 0.0]])


@pytest.mark.parametrize("norm,box", MODES)
def test_robust_accuracy_below_standard_and_equal_at_eps_zero(norm, box):
    rng = np.random.default_rng(5)
    X = rng.random((300, 10))
    w = rng.normal(size=10)
    y = np.where(X @ w + rng.normal(scale=0.3, size=300) > np.median(X @ w), 1.0, -1.0)
    b = -np.median(X @ w)
    std = standard_accuracy(w, b, X, y)
    assert robust_accuracy(w, b, X, y, 0.0, norm, box) == std
    accs = [robust_accuracy(w, b, X, y, e, norm, box) for e in (0.01, 0.05, 0.1, 0.3)]
    assert all(a <= std for a in accs)
    assert accs == sorted(accs, reverse=True)  # a larger ball never helps the classifier
    assert accs[-1] < std


def test_input_errors():
    w, b, X, y = _problem(0)
    with pytest.raises(ValueError, match="box=True needs pixels"):
        worst_case_margin(w, b, X + 1.5, y, 0.1, "inf", box=True)
    with pytest.raises(ValueError, match="-1 and \\+1"):
        worst_case_margin(w, b, X, (y > 0).astype(float), 0.1)
    with pytest.raises(ValueError, match="eps"):
        worst_case_perturbation(w, b, X, y, -0.1)
    with pytest.raises(ValueError, match="^norm must be"):
        check_norm("1")
    assert check_norm(np.inf) == "inf" and check_norm(2) == "2" and check_norm("l2") == "2"
    # NaN data or weights used to count as "not robust" (robust accuracy 0.0) without a word
    X_nan = X.copy()
    X_nan[0, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        robust_accuracy(w, b, X_nan, y, 0.1, "inf", box=True)
    with pytest.raises(ValueError, match="finite"):
        worst_case_perturbation(np.r_[np.nan, w[1:]], b, X, y, 0.1, "2", box=True)
    with pytest.raises(ValueError, match="finite"):
        standard_accuracy(w, np.inf, X, y)


def test_l2_box_on_mnist_like_pixels_matches_bisection():
    # many pixels exactly 0 or 1 (as in MNIST), a few zero weights: compare with an independent bisection on t
    rng = np.random.default_rng(8)
    n, d, eps = 200, 100, 1.5
    X = np.where(rng.random((n, d)) < 0.7, 0.0, rng.random((n, d)))
    X[rng.random((n, d)) < 0.1] = 1.0
    w = rng.normal(size=d)
    w[:5] = 0.0
    y = rng.choice([-1.0, 1.0], size=n)
    c = y[:, None] * w[None, :]
    delta = worst_case_perturbation(w, 0.0, X, y, eps, "2", box=True)
    lo, hi = np.zeros(n), np.full(n, 1e6)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        big = np.linalg.norm(np.clip(-mid[:, None] * c, -X, 1 - X), axis=1) > eps
        lo, hi = np.where(big, lo, mid), np.where(big, mid, hi)
    ref = np.clip(-lo[:, None] * c, -X, 1 - X)
    np.testing.assert_allclose((delta * c).sum(axis=1), (ref * c).sum(axis=1), rtol=1e-9, atol=1e-9)
    assert np.all(np.linalg.norm(delta, axis=1) <= eps * (1 + 1e-12))
    assert np.all((X + delta >= 0) & (X + delta <= 1))
