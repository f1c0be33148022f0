"""The exact adversarial objective: gradients, optimality, and the fitted estimators' properties."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from tradeoff.linear.estimators import AdversarialLogisticClassifier, LogisticLinearClassifier
from tradeoff.linear.objective import AdversarialLogisticObjective, logistic_loss, minimise_adversarial_logistic
from tradeoff.linear.robust import robust_accuracy, worst_case_margin

MODES = [(0.0, "inf", False), (0.15, "inf", False), (0.15, "inf", True), (0.4, "2", False), (0.4, "2", True)]


@pytest.fixture(scope="module")
def digits_5_7():
    X, t = load_digits(return_X_y=True)
    keep = (t == 5) | (t == 7)
    return X[keep] / 16.0, np.where(t[keep] == 5, 1.0, -1.0)


def _small(seed=0, n=40, d=7, zeros=0.0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    X[rng.random((n, d)) < zeros] = 0.0
    X[rng.random((n, d)) < zeros / 3] = 1.0
    y = np.where(X @ rng.normal(size=d) + 0.3 * rng.normal(size=n) > 0, 1.0, -1.0)
    if abs(y.sum()) == n:
        y[0] = -y[0]
    return X, y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("eps,norm,box", MODES)
def test_gradient_matches_finite_differences(eps, norm, box, sparse):
    X, y = _small(zeros=0.6 if sparse else 0.0)
    obj = AdversarialLogisticObjective(X, y, eps, norm, box, alpha=0.01, sparse=sparse)
    rng = np.random.default_rng(1)
    theta = rng.normal(size=obj.n_params + 1)
    if obj.mode == "split":
        theta[:-1] = np.abs(theta[:-1]) + 0.1  # an interior point of the bounds
    f, g = obj.value_and_grad(theta)
    h = 1e-6
    fd = np.array([
        (obj.value_and_grad(theta + h * e)[0] - obj.value_and_grad(theta - h * e)[0]) / (2 * h)
        for e in np.eye(theta.size)
    ])
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("eps,norm,box", MODES)
def test_sparse_and_dense_storage_give_the_same_margins(eps, norm, box):
    X, y = _small(4, zeros=0.7)
    dense = AdversarialLogisticObjective(X, y, eps, norm, box, sparse=False)
    sparse = AdversarialLogisticObjective(X, y, eps, norm, box, sparse=True)
    np.testing.assert_allclose(sparse.dense_matrix(), dense.dense_matrix(), atol=1e-14)
    if dense.mode == "split":  # the lifted margin at complementary (w+, w-) is the exact worst margin
        w = np.random.default_rng(0).normal(size=X.shape[1])
        theta = np.r_[np.maximum(w, 0), np.maximum(-w, 0), 0.3]
        m = sparse.margins_and_jacobian_rows(theta)[0]
        np.testing.assert_allclose(m, worst_case_margin(w, 0.3, X, y, eps, norm, box), atol=1e-12)


@pytest.mark.parametrize("eps,norm,box", MODES)
def test_solution_is_the_minimum_of_the_true_adversarial_risk(eps, norm, box, digits_5_7):
    X, y = digits_5_7
    alpha = 1e-3
    res = minimise_adversarial_logistic(X, y, eps, norm, box, alpha=alpha, tol=1e-7)
    assert res.converged, res.message

    def true_risk(w, b):  # from the exact worst margin, not the lifted form
        return logistic_loss(worst_case_margin(w, b, X, y, eps, norm, box)).mean() + 0.5 * alpha * w @ w

    f0 = true_risk(res.coef, res.intercept)
    assert f0 == pytest.approx(res.objective, rel=1e-9)  # the lifted (split) optimum is complementary
    rng = np.random.default_rng(2)
    for _ in range(20):  # convex: no nearby point is better
        u = rng.normal(size=X.shape[1])
        u /= np.linalg.norm(u)
        for step in (1e-2, 1e-1):
            assert true_risk(res.coef + step * u, res.intercept + step * rng.normal()) >= f0 - 1e-10


def test_standard_model_matches_sklearn_logistic_regression(digits_5_7):
    X, y = digits_5_7
    alpha = 1e-2
    ours = LogisticLinearClassifier(alpha=alpha, tol=1e-8).fit(X, y)
    ref = LogisticRegression(C=1.0 / (alpha * len(X)), tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_eps_zero_gives_the_standard_model(norm, digits_5_7):
    X, y = digits_5_7
    std = LogisticLinearClassifier().fit(X, y)
    adv = AdversarialLogisticClassifier(eps=0.0, norm=norm).fit(X, y)
    np.testing.assert_allclose(adv.coef_, std.coef_, atol=1e-6)
    # the split (l_inf) solver at a tiny eps is close to it too: |dw| <= (tol + eps*sqrt(d)) * sqrt(d) / alpha
    std = LogisticLinearClassifier(alpha=1e-2, tol=1e-9).fit(X, y)
    near = AdversarialLogisticClassifier(eps=1e-7, norm=norm, alpha=1e-2, tol=1e-9).fit(X, y)
    np.testing.assert_allclose(near.coef_, std.coef_, atol=1e-4)


def test_adversarial_training_buys_robustness(digits_5_7):
    X, y = digits_5_7
    eps = 0.2
    std = LogisticLinearClassifier().fit(X, y)
    adv = AdversarialLogisticClassifier(eps=eps, box=True).fit(X, y)
    r_std = robust_accuracy(std.coef_[0], std.intercept_[0], X, y, eps, "inf", True)
    r_adv = robust_accuracy(adv.coef_[0], adv.intercept_[0], X, y, eps, "inf", True)
    assert r_adv > r_std + 0.3
    assert adv.score(X, y) <= std.score(X, y)
    assert np.abs(adv.coef_).sum() < np.abs(std.coef_).sum()  # the l_1 penalty shrinks the weights


def test_l2_zero_weight_is_detected_exactly():
    X, y = _small(3, n=200)
    _, b0, g = AdversarialLogisticObjective(X, y, 1.0, "2", False).zero_is_optimal()
    kappa = np.mean(1.0 / (1.0 + np.exp(y * b0)))  # (1/n) sum -l'(y b0)
    eps_star = np.linalg.norm(g) / kappa  # above it w = 0 is optimal, below it is not
    above = minimise_adversarial_logistic(X, y, 1.01 * eps_star, "2")
    below = minimise_adversarial_logistic(X, y, 0.9 * eps_star, "2")
    assert np.all(above.coef == 0) and above.converged
    assert np.linalg.norm(below.coef) > 1e-4 and below.converged
    # the l2 risk at w = 0 is not beaten by the solution below the threshold's neighbour
    assert below.objective < logistic_loss(y * b0).mean()


def test_labels_any_two_classes_and_robust_helpers(digits_5_7):
    X, y = digits_5_7
    labels = np.where(y > 0, "five", "seven")
    clf = AdversarialLogisticClassifier(eps=0.1, box=True).fit(X, labels)
    assert list(clf.classes_) == ["five", "seven"]  # 'seven' is classes_[1], i.e. +1
    assert set(clf.predict(X)) <= {"five", "seven"}
    assert clf.robust_score(X, labels, 0.1, "inf", True) <= clf.score(X, labels)
    imgs = clf.worst_case_images(X[:5], labels[:5], 0.1, "inf", True)
    assert np.abs(imgs - X[:5]).max() <= 0.1 + 1e-12
    assert np.all(clf.predict(imgs) != labels[:5]) or clf.robust_score(X[:5], labels[:5], 0.1, "inf", True) > 0
    with pytest.raises(ValueError, match="not one of the fitted classes"):
        clf.robust_score(X[:2], ["five", "six"], 0.1)


def test_exact_robust_accuracy_of_any_sklearn_linear_classifier(digits_5_7):
    from sklearn.svm import LinearSVC

    from tradeoff.linear.estimators import exact_robust_accuracy, exact_worst_case_images

    X, y = digits_5_7
    for model in (LogisticRegression(max_iter=2000).fit(X, y), LinearSVC().fit(X, y)):
        w, b = model.coef_[0], model.intercept_[0]
        assert exact_robust_accuracy(model, X, y, 0.1, "inf", True) == robust_accuracy(w, b, X, y, 0.1, "inf", True)
        imgs = exact_worst_case_images(model, X, y, 0.1, "inf", True)
        # every image the exact count calls a robust success keeps its prediction; the others flip (or tie)
        robust = worst_case_margin(w, b, X, y, 0.1, "inf", True) > 0
        assert np.all((model.decision_function(imgs) * y > 0) == robust)
    with pytest.raises(ValueError, match="not a binary linear classifier"):
        exact_robust_accuracy(LogisticRegression().fit(X[:60], np.arange(60) % 3), X, y, 0.1)


def test_user_errors(digits_5_7):
    X, y = digits_5_7
    with pytest.raises(ValueError, match="box=True needs pixels"):
        AdversarialLogisticClassifier(eps=0.1, box=True).fit(X * 16, y)
    with pytest.raises(ValueError, match="^norm must be"):
        AdversarialLogisticClassifier(norm="1").fit(X, y)
    with pytest.raises(ValueError, match="eps"):
        AdversarialLogisticClassifier(eps=-1).fit(X, y)
    with pytest.raises(ValueError, match="Only binary"):
        LogisticLinearClassifier().fit(X[:30], np.arange(30) % 3)


def test_unconverged_fit_warns(digits_5_7):
    from sklearn.exceptions import ConvergenceWarning

    X, y = digits_5_7
    with pytest.warns(ConvergenceWarning, match="projected gradient"):
        clf = AdversarialLogisticClassifier(eps=0.1, max_iter=2).fit(X, y)
    assert not clf.converged_ and clf.grad_norm_ > clf.tol
