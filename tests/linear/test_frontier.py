"""The linear frontier: TRADES-style objective and the two sweeps, against Figure 5's models (sklearn's 8x8 digits)."""

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.datasets import load_digits

from tradeoff.linear.fig5 import Fig5Config, run_fig5
from tradeoff.linear.frontier import LinearFrontierConfig, linear_frontier_study, n_fits
from tradeoff.linear.objective import AdversarialLogisticObjective, minimise_adversarial_logistic
from tradeoff.linear.robust import robust_accuracy
from tradeoff.linear.trades import TradesLogisticObjective, minimise_trades_logistic


@pytest.fixture(scope="module")
def digits():
    X, t = load_digits(return_X_y=True)
    keep = (t == 5) | (t == 7)
    X, y = (X[keep] / 16.0).reshape(-1, 1, 8, 8), np.where(t[keep] == 5, 1.0, -1.0)
    return X[:250], y[:250], X[250:], y[250:]


@pytest.mark.parametrize("norm,box", [("inf", True), ("inf", False), ("2", False)])
def test_trades_objective_value_and_gradient(norm, box):
    rng = np.random.default_rng(0)
    X, y = rng.random((30, 5)), rng.choice([-1.0, 1.0], 30)
    beta, eps = 0.7, 0.1
    obj = TradesLogisticObjective(X, y, beta, eps, norm, box, alpha=1e-2)
    rob = AdversarialLogisticObjective(X, y, eps, norm, box, alpha=1e-2)
    theta = rng.normal(size=rob.n_params + 1)
    if rob.mode == "split":
        theta[:-1] = np.abs(theta[:-1])
    w, b = rob.unpack(theta)
    clean = np.logaddexp(0, -y * (X @ w + b)).mean()
    f_rob, _ = rob.value_and_grad(theta)  # includes the same (alpha/2)|params|^2
    assert obj.value_and_grad(theta)[0] == pytest.approx(clean + beta * (f_rob - 0.5e-2 * theta[:-1] @ theta[:-1])
                                                         + 0.5e-2 * theta[:-1] @ theta[:-1], rel=1e-12)
    err = check_grad(lambda t: obj.value_and_grad(t)[0], lambda t: obj.value_and_grad(t)[1], theta)
    assert err < 1e-6 * max(1.0, np.linalg.norm(obj.value_and_grad(theta)[1]))


def test_trades_beta_zero_is_standard_training(digits):
    """Both minimisers of the same alpha-strongly convex function stop at projected gradient <= tol (max-norm), so
    they differ by at most 2 sqrt(d+1) tol / alpha in l_2."""
    Xtr, ytr, _, _ = digits
    X = Xtr.reshape(len(Xtr), -1)
    tol, alpha = 1e-9, 1e-2
    std = minimise_adversarial_logistic(X, ytr, 0.0, "inf", False, alpha, tol)
    tr = minimise_trades_logistic(X, ytr, 0.0, 0.2, "inf", True, alpha, tol)
    assert std.converged and tr.converged
    bound = 2 * np.sqrt(X.shape[1] + 1) * tol / alpha
    assert np.linalg.norm(np.r_[tr.coef - std.coef, tr.intercept - std.intercept]) <= bound


def test_trades_large_beta_approaches_adversarial_training(digits):
    Xtr, ytr, Xte, yte = digits
    X = Xtr.reshape(len(Xtr), -1)
    adv = minimise_adversarial_logistic(X, ytr, 0.2, "inf", True, 1e-4)
    gaps = []
    for beta in (1.0, 100.0):
        tr = minimise_trades_logistic(X, ytr, beta, 0.2, "inf", True, 1e-4 * beta)  # ridge alpha*beta ~ adv's alpha
        gaps.append(np.linalg.norm(tr.coef - adv.coef))
    assert gaps[1] < gaps[0]


def test_sweep_ends_are_the_figure5_models(digits):
    Xtr, ytr, Xte, yte = digits
    fig5 = run_fig5(Xtr, ytr, Xte, yte, Fig5Config(eps=0.2, n_k=2))
    cfg = LinearFrontierConfig(eps_eval=0.2, eps_trains=(0.0, 0.1, 0.2, 0.3), betas=(0.0, 1.0))
    res = linear_frontier_study(Xtr, ytr, Xte, yte, cfg)
    assert len(res.models) == n_fits(cfg) == 6
    by = {(m.method, m.eps_train, m.beta): (m, w) for m, w in zip(res.models, res.weights)}
    for eps, key in ((0.0, "standard"), (0.2, "robust")):
        m, (w, b) = by[("eps_train", eps, None)]
        assert np.array_equal(w, getattr(fig5, f"{key}_weights")) and b == getattr(fig5, f"{key}_intercept")
        assert m.standard_acc == fig5.summary[key].standard_acc and m.robust_acc == fig5.summary[key].robust_acc
    for m, (w, b) in zip(res.models, res.weights):  # accuracies are the exact ones of the returned weights
        assert m.robust_acc == robust_accuracy(w, b, Xte.reshape(len(Xte), -1), yte, 0.2, "inf", True)
        assert m.robust_acc <= m.standard_acc and m.converged
    # robust accuracy grows from the standard model to the eps_eval model (the trade-off the frontier traces)
    assert by[("eps_train", 0.2, None)][0].robust_acc > by[("eps_train", 0.0, None)][0].robust_acc
    assert by[("trades", 0.2, 1.0)][0].robust_acc > by[("trades", 0.2, 0.0)][0].robust_acc
    for m in res.models:  # the curve: standard accuracy at 0, robust_acc at eps_eval, non-increasing in eps
        curve = dict(zip(res.config.curve_eps, m.robust_curve))
        assert curve[0.0] == m.standard_acc and curve[0.2] == m.robust_acc
        assert all(a >= b for a, b in zip(m.robust_curve, m.robust_curve[1:]))
    p = res.payload()
    assert p["models"][0]["method"] == "eps_train" and p["eps_eval"] == 0.2


def test_config_errors():
    with pytest.raises(ValueError, match="betas"):
        LinearFrontierConfig(betas=(-1.0,)).checked()
    with pytest.raises(ValueError, match="nothing to train"):
        LinearFrontierConfig(eps_trains=(), betas=()).checked()
    assert LinearFrontierConfig(eps_eval=0.2).checked().eps_trains[-1] == pytest.approx(0.4)
