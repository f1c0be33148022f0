"""The linear studies (linear.studies) and the estimators they train through: the same numbers as the solver."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from tradeoff.data.kinds import Kind
from tradeoff.linear import fig5
from tradeoff.linear.estimators import fit_exact
from tradeoff.linear.objective import minimise_adversarial_logistic


def _digits(a=3, b=8):
    X, t = load_digits(return_X_y=True)
    keep = (t == a) | (t == b)
    return (X[keep] / 16.0).reshape(-1, 1, 8, 8), np.where(t[keep] == a, 1.0, -1.0)


@pytest.mark.parametrize("eps,norm,box", [(0.0, "inf", False), (0.1, "inf", True), (0.5, "2", False)])
def test_fit_exact_is_the_solver_bit_for_bit(eps, norm, box):
    X, y = _digits()
    X = X.reshape(len(X), -1)
    got = fit_exact(X, y, eps, norm, box, alpha=1e-3, tol=1e-6, max_iter=500)
    want = minimise_adversarial_logistic(X, y, eps, norm, box, 1e-3, 1e-6, 500)
    np.testing.assert_array_equal(got.coef, want.coef)
    assert (got.intercept, got.n_iter, got.converged, got.message) == (want.intercept, want.n_iter, want.converged,
                                                                      want.message)


def test_fig5_study_runs_on_the_loaded_digits_and_counts_its_fits(monkeypatch):
    from tradeoff.linear.studies import Fig5Study

    def loader(digits=(5, 7), root=None):
        X, y = _digits(*digits)
        return X[:200], y[:200], X[200:], y[200:]

    monkeypatch.setattr(fig5, "load_binary_mnist", loader)
    started, steps = [], []
    result = Fig5Study(fig5.Fig5Config(digits=(3, 8), n_k=4)).run(progress=steps.append, start=started.append)
    assert result.kind == Kind.LINEAR_FIG5 and result.dataset == "mnist 3-vs-8" and result.seeds == ()
    assert started == [fig5.n_fits(fig5.Fig5Config(n_k=4), 64)] == [len(steps)]
    assert result.payload["digits"] == [3, 8] and result.payload["n_train"] == 200


def test_a_bad_setting_is_refused_before_any_data_is_read(monkeypatch):
    from tradeoff.linear.frontier import LinearFrontierConfig
    from tradeoff.linear.studies import Fig5Study, LinearFrontierStudy

    monkeypatch.setattr(fig5, "load_binary_mnist", lambda *a, **k: pytest.fail("data read"))
    with pytest.raises(ValueError, match="must differ"):
        Fig5Study(fig5.Fig5Config(digits=(4, 4)))
    with pytest.raises(ValueError, match="not an MNIST class"):
        LinearFrontierStudy(LinearFrontierConfig(), (5, 12))
