"""sympy derivations agree with the numeric closed forms (theory.accuracy) and prove Theorem 1's inequality."""

import math

import numpy as np
import pytest
import sympy as sp

from tradeoff.theory import symbolic as S
from tradeoff.theory.accuracy import averaging_accuracy, symmetric_accuracy
from tradeoff.theory.distribution import FeatureDistribution


def test_gaussian_probability_is_phi():
    expr = S.gaussian_margin_positive(sp.Symbol("m"), sp.Symbol("s", positive=True))
    f = sp.lambdify(sp.symbols("m s"), expr, modules=["scipy", "numpy"])
    assert f(0.7, 1.3) == pytest.approx(0.5 * (1 + math.erf(0.7 / 1.3 / math.sqrt(2))), rel=1e-12)


@pytest.mark.parametrize("robust", [False, True])
def test_symmetric_accuracy_agrees_with_theory_accuracy(robust):
    rng = np.random.default_rng(0)
    f = S.lambdify_accuracy(S.symmetric_robust_accuracy() if robust else S.symmetric_standard_accuracy())
    for _ in range(40):
        d = int(rng.integers(1, 5000))
        p, eta = rng.uniform(0.5, 1.0), rng.uniform(0, 6) / math.sqrt(d)
        w1, v = rng.normal() * 2, rng.uniform(0.05, 2.0)
        eps = rng.uniform(0, 3 * eta) if robust else 0.0
        got = f(w1, v, d, p, eta, eps)
        want = float(symmetric_accuracy(w1, v, d, p, eta, eps=eps))
        assert got == pytest.approx(want, rel=1e-9, abs=1e-13)


def test_averaging_classifier_formulas():
    std, rob = S.averaging_accuracy(), S.averaging_accuracy(robust=True)
    phi = S.phi_cdf
    assert sp.simplify((std - phi(S.eta * sp.sqrt(S.d))).rewrite(sp.erf)) == 0
    assert sp.simplify((rob - phi((S.eta - S.eps) * sp.sqrt(S.d))).rewrite(sp.erf)) == 0
    fs = sp.lambdify((S.d, S.eta), std, modules=["scipy", "numpy"])
    fr = sp.lambdify((S.d, S.eta, S.eps), rob, modules=["scipy", "numpy"])
    dist = FeatureDistribution(1000, 0.95, 2 / math.sqrt(1000))
    assert fs(1000, dist.eta) == pytest.approx(averaging_accuracy(dist), rel=1e-12)
    assert fr(1000, dist.eta, 2 * dist.eta) == pytest.approx(averaging_accuracy(dist, eps=2 * dist.eta), rel=1e-10)


def test_theorem1_identities_and_nonnegative_slack():
    t = S.theorem1_derivation()
    assert t.identities_hold
    assert sp.simplify(t.slack - t.slack_closed) == 0
    # slack = a (2p - 1) / (2 (1 - p)) >= 0 exactly when p >= 1/2 (a >= 0); negative for p < 1/2
    f = sp.lambdify((S.a, S.p), t.slack)
    assert f(0.4, 0.9) > 0 and f(0.0, 0.7) == 0 and f(0.4, 0.3) < 0


def test_theorem1_bound_holds_for_random_classifiers():
    t = S.theorem1_derivation()
    args = (S.p, S.p_pp, S.p_pm, S.p_mp, S.p_mm)
    std = sp.lambdify(args, t.standard_pij)
    adv = sp.lambdify(args, t.adversarial_pij)
    rng = np.random.default_rng(2)
    for _ in range(2000):
        p = rng.uniform(0.5, 0.999)
        pij = rng.uniform(0, 1, 4)
        s, r = std(p, *pij), adv(p, *pij)
        assert 0 <= s <= 1 and 0 <= r <= 1
        assert r <= p / (1 - p) * (1 - s) + 1e-12
    # tight at sign(x_1): f(+, z) = +1, f(-, z) = -1 -> p_++ = p_+- = 1, p_-+ = p_-- = 0
    assert std(0.9, 1, 1, 0, 0) == pytest.approx(0.9) and adv(0.9, 1, 1, 0, 0) == pytest.approx(0.9)
