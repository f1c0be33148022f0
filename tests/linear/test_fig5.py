"""The Figure 5 analysis pieces and the whole study on small data (sklearn's 8x8 digits)."""

import json

import numpy as np
import pytest
from sklearn.datasets import load_digits

from tradeoff.data.io import to_jsonable
from tradeoff.linear.analysis import log_grid, n_active, pixel_correlation, rank_pixels, top_mass
from tradeoff.linear.fig5 import Fig5Config, check_digits, n_fits, run_fig5
from tradeoff.linear.objective import minimise_adversarial_logistic
from tradeoff.linear.robust import robust_accuracy


@pytest.fixture(scope="module")
def small_fig5():
    X, t = load_digits(return_X_y=True)
    keep = (t == 5) | (t == 7)
    X, y = (X[keep] / 16.0).reshape(-1, 1, 8, 8), np.where(t[keep] == 5, 1.0, -1.0)
    steps = []
    res = run_fig5(X[:250], y[:250], X[250:], y[250:], Fig5Config(eps=0.2, n_k=8), progress=steps.append)
    return res, steps, (X, y)


def test_pixel_correlation_matches_numpy_and_is_zero_for_constant_pixels():
    rng = np.random.default_rng(0)
    X = rng.random((100, 5))
    X[:, 2] = 0.3
    y = np.where(X[:, 0] + 0.2 * rng.normal(size=100) > 0.5, 1.0, -1.0)
    rho = pixel_correlation(X, y)
    for i in (0, 1, 3, 4):
        assert rho[i] == pytest.approx(np.corrcoef(X[:, i], y)[0, 1], abs=1e-12)
    assert rho[2] == 0.0


def test_ranking_grid_and_concentration_measures():
    rho = np.array([0.1, -0.9, 0.5, 0.0])
    assert list(rank_pixels(rho, "abs")) == [1, 2, 0, 3]
    assert list(rank_pixels(rho, "signed")) == [2, 0, 3, 1]
    with pytest.raises(ValueError, match="rank_by"):
        rank_pixels(rho, "bogus")
    grid = log_grid(784, 20)
    assert grid[0] == 1 and grid[-1] == 784 and grid == sorted(set(grid)) and len(grid) >= 15
    ratios = np.diff(np.log(grid))
    assert ratios.max() < 3 * np.log(784) / 19  # roughly log-spaced
    w = np.array([0.0, 3.0, -1.0, 0.005])
    order = rank_pixels(rho, "abs")
    assert top_mass(w, order, 0.25) == pytest.approx(3.0 / 4.005)
    assert n_active(w, 0.01) == 2 and n_active(np.zeros(3)) == 0


def test_digit_errors():
    assert check_digits([3, 8]) == (3, 8)
    with pytest.raises(ValueError, match="must differ"):
        check_digits((5, 5))
    with pytest.raises(ValueError, match="not an MNIST class"):
        check_digits((5, 10))


def test_whole_study_on_small_digits(small_fig5):
    res, steps, (X, y) = small_fig5
    assert len(steps) == n_fits(res.config, 64)
    std, rob = res.summary["standard"], res.summary["robust"]
    assert rob.robust_acc > std.robust_acc + 0.3  # adversarial training buys robustness
    assert std.robust_acc <= std.standard_acc and rob.robust_acc <= rob.standard_acc
    assert rob.top_mass > std.top_mass and rob.n_active < std.n_active  # weights concentrate
    assert rob.weighted_abs_correlation > std.weighted_abs_correlation  # ... on strongly correlated pixels
    # the summary's robust accuracy is the exact one of the returned weights
    assert rob.robust_acc == robust_accuracy(res.robust_weights, res.robust_intercept, X[250:].reshape(-1, 64),
                                             y[250:], 0.2, "inf", True)
    ks = [r.k for r in res.topk]
    assert ks[0] == 1 and ks[-1] == 64
    assert res.topk[-1].standard_acc >= res.topk[0].standard_acc
    assert res.topk[-1].robust_acc < res.topk[0].robust_acc
    # the k = d top-k model is the standard model itself
    assert res.topk[-1].standard_acc == pytest.approx(std.standard_acc)
    assert all(v["converged"] for v in res.solver.values()) and all(r.converged for r in res.topk)


def test_payload_has_the_report_keys_and_is_strict_json(small_fig5):
    p = small_fig5[0].payload()
    for key in ("digits", "eps", "norm", "box", "summary", "topk", "correlation", "weights"):
        assert key in p
    for model in ("standard", "robust"):
        assert set(p["summary"][model]) >= {"standard_acc", "robust_acc", "top_mass", "n_active"}
        assert len(p["weights"][model]) == 64
    assert set(p["topk"][0]) >= {"k", "standard_acc", "robust_acc"}
    json.dumps(to_jsonable(p), allow_nan=False)


def test_config_errors():
    X = np.random.default_rng(0).random((10, 4))
    y = np.array([1.0, -1.0] * 5)
    with pytest.raises(ValueError, match="must differ"):
        run_fig5(X, y, X, y, Fig5Config(digits=(1, 1)))
    with pytest.raises(ValueError, match="box=True needs pixels"):
        run_fig5(X * 3, y, X, y, Fig5Config())
    with pytest.raises(ValueError, match="both labels"):
        run_fig5(X, np.ones(10), X, y, Fig5Config())
    # a NaN regulariser or a tolerance no solver can meet is refused up front, not run into a silently flat model
    for bad, match in ((dict(alpha=float("nan")), "alpha"), (dict(alpha=-1.0), "alpha"), (dict(tol=-1.0), "tol"),
                       (dict(tol=float("nan")), "tol"), (dict(tol=0.0), "tol"), (dict(max_iter=0), "max_iter")):
        with pytest.raises(ValueError, match=match):
            Fig5Config(**bad).checked()
    with pytest.raises(ValueError, match="alpha"):
        minimise_adversarial_logistic(X, y, 0.1, alpha=float("nan"))
    X_nan = X.copy()
    X_nan[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):  # was a NaN objective and w = 0, reported only as unconverged
        minimise_adversarial_logistic(X_nan, y, 0.1)


def test_study_is_deterministic(small_fig5):
    res, _, (X, y) = small_fig5
    again = run_fig5(X[:250], y[:250], X[250:], y[250:], Fig5Config(eps=0.2, n_k=8))
    np.testing.assert_array_equal(again.robust_weights, res.robust_weights)
    np.testing.assert_array_equal(again.standard_weights, res.standard_weights)
    assert [r.robust_acc for r in again.topk] == [r.robust_acc for r in res.topk]
