"""Theorem 2 (population SVM): closed-form expected hinge, exact gradient, minimisers, Lemmas D.1-D.5."""

import math

import numpy as np
import pytest
from scipy import integrate
from threadpoolctl import threadpool_limits

from tradeoff.theory import svm
from tradeoff.theory.accuracy import linear_accuracy
from tradeoff.theory.distribution import FeatureDistribution
from tradeoff.theory.losses import expected_hinge


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small matrix products: one BLAS thread is faster and keeps the shared test machine usable."""
    with threadpool_limits(1):
        yield


def _quad_hinge(mu, sigma):
    f = lambda z: (1.0 - (mu + sigma * z)) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return integrate.quad(f, -np.inf, (1 - mu) / sigma, epsabs=1e-14, epsrel=1e-12, limit=200)[0]


@pytest.mark.parametrize("mu,sigma", [(0.3, 0.7), (2.5, 0.4), (-1.0, 2.0), (1.0, 1e-3), (0.99, 3.0)])
def test_expected_hinge_matches_numerical_integration(mu, sigma):
    value, _, _ = expected_hinge(mu, sigma)
    assert value == pytest.approx(_quad_hinge(mu, sigma), rel=1e-8, abs=1e-12)


def test_expected_hinge_matches_monte_carlo():
    rng = np.random.default_rng(1)
    m = 0.4 + 0.8 * rng.standard_normal(2_000_000)
    mc = np.maximum(0.0, 1.0 - m)
    value, _, _ = expected_hinge(0.4, 0.8)
    assert abs(value - mc.mean()) < 4 * mc.std() / math.sqrt(m.size)


def test_expected_hinge_derivatives_and_sigma_zero_limit():
    mu, sigma, h = np.array([0.2, 1.7, -0.5]), np.array([0.6, 0.3, 1.4]), 1e-6
    value, d_mu, d_sig = expected_hinge(mu, sigma)
    fd_mu = (expected_hinge(mu + h, sigma)[0] - expected_hinge(mu - h, sigma)[0]) / (2 * h)
    fd_sig = (expected_hinge(mu, sigma + h)[0] - expected_hinge(mu, sigma - h)[0]) / (2 * h)
    np.testing.assert_allclose(d_mu, fd_mu, atol=1e-8)
    np.testing.assert_allclose(d_sig * sigma, fd_sig, atol=1e-8)
    v0, dm0, ds0 = expected_hinge(np.array([0.5, 1.5]), 0.0)
    np.testing.assert_allclose(v0, [0.5, 0.0])
    np.testing.assert_allclose(dm0, [-1.0, 0.0])
    np.testing.assert_allclose(ds0, 0.0)
    np.testing.assert_allclose(expected_hinge(0.5, 1e-9)[0], 0.5, atol=1e-12)


@pytest.mark.parametrize("eps", [0.0, 0.15])
def test_population_objective_gradient_matches_finite_differences(eps):
    rng = np.random.default_rng(3)
    sizes = np.array([1.0, 4.0, 9.0, 2.0])
    for _ in range(5):
        z = rng.normal(size=5) * 0.6
        f = lambda z: svm.population_objective(z, sizes, 0.8, 0.3, eps, 0.2)  # noqa: E731
        _, g = f(z)
        fd = np.array([(f(z + 1e-6 * e)[0] - f(z - 1e-6 * e)[0]) / 2e-6 for e in np.eye(5)])
        np.testing.assert_allclose(g, fd, atol=1e-7)


def test_group_form_equals_full_weight_vector_objective():
    """One group of size d with theta = v gives the same objective as d groups of weight v / sqrt(d)."""
    d, v = 50, 0.8
    sym = svm.population_objective([0.3, v], [d], 0.9, 0.4, 0.1, 0.5)[0]
    full = svm.population_objective(np.r_[0.3, np.full(d, v / math.sqrt(d))], np.ones(d), 0.9, 0.4, 0.1, 0.5)[0]
    assert sym == pytest.approx(full, rel=1e-12)


def test_objective_matches_monte_carlo_hinge_on_samples():
    d, p, eta, eps, lam = 20, 0.85, 0.3, 0.05, 0.1
    rng = np.random.default_rng(5)
    w = rng.normal(size=d + 1) * 0.3
    x, y = FeatureDistribution(d, p, eta).sample(400_000, np.random.default_rng(6))
    hinge = np.maximum(0.0, 1.0 - y * (x @ w) + eps * np.abs(w).sum())
    value = svm.population_objective(w, np.ones(d), p, eta, eps, lam)[0] - 0.5 * lam * w @ w
    assert abs(value - hinge.mean()) < 4 * hinge.std() / math.sqrt(hinge.size)


def test_minimiser_satisfies_optimality_and_beats_perturbations():
    m = svm.minimise_population([30], 0.9, 0.5, 0.0, 0.05)
    assert m.converged
    z = np.r_[m.w1, m.theta]
    rng = np.random.default_rng(0)
    for _ in range(20):
        other = z + 1e-3 * rng.normal(size=z.size)
        assert svm.population_objective(other, [30], 0.9, 0.5, 0.0, 0.05)[0] >= m.objective - 1e-12


@pytest.mark.parametrize("p,eps", [(0.95, 0.3), (0.8, 0.5), (0.7, 0.2)])
def test_adversarial_lambda_has_closed_form(p, eps):
    """With zero weak weights (eps >= eta) the hinge objective in w_1 is p(1 - w_1(1 - eps)) + (1 - p)(1 + w_1(1 + eps))
    + lam w_1^2 / 2 while w_1 (1 - eps) < 1, so w_1*(lam) = (2p - 1 - eps)/lam and ||w*|| = 1 at lam = 2p - 1 - eps.

    Tolerances from tune_lambda's guarantee: |m.norm - 1| <= NORM_TOL, and m is within D = m.distance_bound of the
    exact minimiser at m.lam. theta is exactly 0, so w_1 = m.norm: |w_1 - 1| <= NORM_TOL. And |w_1 - w_1*(m.lam)| <= D,
    so |(2p - 1 - eps)/m.lam - 1| <= NORM_TOL + D (plus a few ulps for the division)."""
    d = 400
    m = svm.tune_lambda([d], p, 0.1, eps)
    assert np.all(m.theta == 0.0)
    assert abs(m.w1 - 1.0) <= svm.NORM_TOL
    assert abs((2 * p - 1 - eps) / m.lam - 1.0) <= svm.NORM_TOL + m.distance_bound + 1e-15
    # the certificate itself: the closed-form minimiser at the returned lam is within distance_bound
    assert abs(m.w1 - (2 * p - 1 - eps) / m.lam) <= m.distance_bound + 1e-15


# (d, p, eta, eps): the case d = 1000, p = 0.95, eta = 4/sqrt(d), standard (small lam ~ 5e-4) and
# adversarial; eps = eta/2 near the hinge kink (warm starts can stall there); p close to 1/2.
GUARANTEE_GRID = [
    (1000, 0.95, 4 / math.sqrt(1000), 0.0),
    (1000, 0.95, 4 / math.sqrt(1000), 8 / math.sqrt(1000)),
    (100, 0.8, 0.1, 0.05),
    (50, 0.6, 0.3, 0.0),
]


@pytest.mark.parametrize("d,p,eta,eps", GUARANTEE_GRID)
def test_tune_lambda_meets_its_stated_guarantee(d, p, eta, eps):
    """tune_lambda's docstring: |m.norm - 1| <= NORM_TOL, m within m.distance_bound of the exact minimiser. Check the
    norm, that the certificate is small (the point is a minimiser: converged, D tiny) and that no perturbation improves
    the objective by more than what D allows: by convexity J(z) - J(z*) <= ||g|| ||z - z*|| <= lam D^2, plus rounding
    of J (a few terms of size <= 1, relative error ~1e-16 each: 1e-14 covers it)."""
    m = svm.tune_lambda([d], p, eta, eps)
    assert abs(m.norm - 1.0) <= svm.NORM_TOL
    assert m.converged and m.distance_bound <= 1e-9
    z = np.r_[m.w1, m.theta]
    slack = m.lam * m.distance_bound**2 + 1e-14
    rng = np.random.default_rng(0)
    for scale in (1e-3, 1e-6):
        for _ in range(10):
            other = z + scale * rng.normal(size=z.size)
            assert svm.population_objective(other, [d], p, eta, eps, m.lam)[0] >= m.objective - slack


def test_tune_lambda_with_logistic_loss_meets_its_guarantee():
    from tradeoff.theory.logistic import expected_logistic

    m = svm.tune_lambda([200], 0.9, 4 / math.sqrt(200), 0.0, expected_logistic)
    assert abs(m.norm - 1.0) <= svm.NORM_TOL and m.converged and m.distance_bound <= 1e-9


def test_tune_lambda_when_the_norm_is_flat_at_the_target():
    """p = 1: for every small lam the hinge kink holds w* = (1, 0, ...), so ||w*(lam)|| = 1 on a whole interval and
    the two bracket ends are both (up to rounding) on the target: no root-finder sign error, the answer is w* itself.
    Tolerances: the returned bracket end has |norm - 1| <= NORM_TOL (the guarantee), so
    |w_1 - 1| <= NORM_TOL + ||theta||, with ||theta|| within the zero-weight tolerance."""
    m = svm.tune_lambda([10], 1.0, 0.5, 0.0)
    theta = float(np.linalg.norm(m.theta))
    assert abs(m.norm - 1.0) <= svm.NORM_TOL and theta <= svm.ZERO_WEIGHT_TOL
    assert abs(m.w1 - 1.0) <= svm.NORM_TOL + theta
    st = svm.theorem2_study(10, 1.0, 0.5, check_general=False)
    assert st.standard.standard_acc == pytest.approx(1.0) and abs(st.standard.weight_norm - 1.0) <= svm.NORM_TOL


def test_side_condition_detected_and_matches_minimiser():
    p, eta = 0.8, 0.1
    assert not svm.zero_is_optimal(p, eta, 0.59)
    assert svm.zero_is_optimal(p, eta, 0.61)
    below = svm.minimise_population([100], p, eta, 0.59, 1.0)
    above = svm.minimise_population([100], p, eta, 0.61, 1.0)
    assert below.w1 > 0.005
    assert above.norm == 0.0
    study = svm.theorem2_study(100, p, eta, eps_train=0.61, check_general=False)
    assert study.adversarial.constant and not study.side_condition["holds"]
    assert "2p - 1" in study.adversarial.message and "constant" in study.adversarial.message
    assert not study.lemmas["D5"].holds
    with pytest.raises(ValueError, match="no lam"):
        svm.tune_lambda([100], p, eta, 0.61)


def test_done_when_standard_and_adversarial_svm_at_eta_4_over_sqrt_d():
    """Issue 2 'done when': eta = 4/sqrt(d), p = 0.95, d = 1000."""
    d, p = 1000, 0.95
    st = svm.theorem2_study(d, p)
    eta = 4 / math.sqrt(d)
    assert st.eta == pytest.approx(eta) and st.eps_train == pytest.approx(2 * eta) == st.eps_eval
    s, a = st.standard, st.adversarial
    assert s.converged and a.converged
    # tune_lambda's guarantee: |norm - 1| <= NORM_TOL
    assert abs(s.weight_norm - 1.0) <= svm.NORM_TOL and abs(a.weight_norm - 1.0) <= svm.NORM_TOL
    assert s.standard_acc > 0.99 and s.robust_acc < 0.01
    assert a.v == 0.0 and a.weak_weight_norm <= svm.ZERO_WEIGHT_TOL
    assert a.standard_acc == pytest.approx(p, abs=1e-9) and a.robust_acc == pytest.approx(p, abs=1e-9)
    assert all(st.assumptions.values()) and st.side_condition["holds"]
    assert {k: v.holds for k, v in st.lemmas.items()} == dict.fromkeys(["D1", "D2", "D3", "D4", "D5"], True)
    # the reported accuracies are those of the full weight vector as well
    dist = FeatureDistribution(d, p, eta)
    w = np.r_[s.w1, np.full(d, s.v / math.sqrt(d))]
    assert linear_accuracy(w, 0.0, dist, eps=2 * eta) == pytest.approx(s.robust_acc, rel=1e-9)


def test_adversarial_svm_keeps_accuracy_p_for_any_eval_radius_below_one():
    st = svm.theorem2_study(500, 0.9, eps_eval=0.95, check_general=False)
    assert st.adversarial.robust_acc == pytest.approx(0.9) and st.adversarial.standard_acc == pytest.approx(0.9)
    assert st.standard.robust_acc < 1e-6


def test_lemma_d1_from_a_general_minimisation_not_assumed():
    st = svm.theorem2_study(300, 0.9, 5 / math.sqrt(300), seed=4)
    g = st.general_check
    assert g["converged"] and g["d"] == 300
    assert g["relative_spread"] < svm.SPREAD_TOL
    assert abs(g["objective_gap"]) < 1e-10
    assert g["mean_weight"] * math.sqrt(300) == pytest.approx(st.standard.v, rel=1e-4)


def test_paper_hypotheses_without_side_condition_give_the_constant_rule():
    """p = 0.6 is inside the paper's 1/2 <= p <= 0.975, but eps_train = 2 eta = 0.8 >= 2p - 1 = 0.2."""
    st = svm.theorem2_study(100, 0.6, 0.4, check_general=False)
    hyp = {k: v for k, v in st.assumptions.items() if k != "eps_train_lt_2p_minus_1"}
    assert all(hyp.values()) and not st.assumptions["eps_train_lt_2p_minus_1"]
    assert st.adversarial.constant and st.adversarial.standard_acc == 0.5
    assert st.lemmas["D3"].holds and not st.lemmas["D5"].holds


def test_lemmas_fail_when_weak_features_are_too_weak():
    """At eta sqrt(d) = 1 the hypotheses fail and D.3 (>= 99% standard accuracy) does not hold: the check can fail."""
    st = svm.theorem2_study(400, 0.95, 1 / math.sqrt(400), check_general=False)
    assert not st.assumptions["eta_sqrt_d_ge_4"]
    assert not st.lemmas["D3"].holds


@pytest.mark.parametrize("d,p", [(100, 0.95), (400, 0.975), (2000, 0.8)])
def test_theorem2_holds_across_its_hypotheses(d, p):
    st = svm.theorem2_study(d, p, 4 / math.sqrt(d), check_general=False)
    assert all(st.assumptions.values())
    for key in ("D2", "D3", "D4", "D5"):
        assert st.lemmas[key].holds, (key, st.lemmas[key])
    assert st.adversarial.standard_acc == pytest.approx(p) and st.adversarial.robust_acc == pytest.approx(p)


@pytest.mark.parametrize(
    "kwargs,match",
    [({"p": 1.2}, "p"), ({"d": 0}, "d"), ({"eps_train": -0.1}, "eps_train"), ({"eps_eval": float("nan")}, "eps_eval"),
     ({"loss": "square"}, "loss")],
)
def test_bad_input_raises_value_error_naming_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        svm.theorem2_study(**{"d": 100, "p": 0.9, "check_general": False, **kwargs})
