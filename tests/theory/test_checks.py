"""Bad arguments to the public theory functions: one-line ValueErrors naming the parameter (issue 10, section 4)."""

import math

import numpy as np
import pytest

from tradeoff.theory import checks, svm
from tradeoff.theory.accuracy import bayes_accuracy, linear_accuracy
from tradeoff.theory.distribution import FeatureDistribution
from tradeoff.theory.frontier import default_deltas, linear_frontier, linear_rule_weights, tradeoff_frontier
from tradeoff.theory.theorem1 import check_theorem1, theorem1_applies, tight_point

HUGE_D = 10**12  # 8 TB per vector of length d + 1: more than any machine's memory


def _one_line(info) -> str:
    msg = str(info.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize("call", [
    lambda dist: dist.sample(10, np.random.default_rng(0)),
    lambda dist: dist.bayes_weights(),
    lambda dist: tradeoff_frontier(dist, 2 * dist.eta),
])
def test_a_d_too_large_for_memory_is_refused_naming_d_and_the_memory(call):
    dist = FeatureDistribution(HUGE_D, 0.9, 0.1)
    with pytest.raises(ValueError) as info:
        call(dist)
    msg = _one_line(info)
    assert f"d = {HUGE_D}" in msg and "TiB" in msg and "memory available" in msg and "closed forms" in msg


def test_general_weight_check_refuses_a_d_too_large_for_memory():
    with pytest.raises(ValueError, match=r"general_weight_check\(d=1000000000000\).*check_general=False"):
        svm.general_weight_check(HUGE_D, 0.9, 0.1, 0.0, 1.0)


def test_linear_rule_weights_refuses_a_d_too_large_for_memory():
    with pytest.raises(ValueError, match=r"linear_rule_weights\(d=1000000000000\).*TiB.*smaller d"):
        linear_rule_weights(0.0, 0.0, 2.0, HUGE_D)


def test_closed_forms_need_no_vectors_at_huge_d():
    """The closed forms the message points to work at d = 10^12 and agree with the vector form at small d."""
    big = FeatureDistribution(HUGE_D, 0.9, 2 / math.sqrt(HUGE_D))
    assert 0.9 < bayes_accuracy(big) < 1.0
    assert tight_point(big, 2 * big.eta).standard == pytest.approx(0.9)
    small = FeatureDistribution(50, 0.9, 0.2)
    w, b = small.bayes_weights()
    assert bayes_accuracy(small) == pytest.approx(linear_accuracy(w, b, small), rel=1e-12)
    for p, eta in ((1.0, 0.2), (0.5, 0.0), (0.8, 0.0)):  # the degenerate Bayes rules
        dist = FeatureDistribution(50, p, eta)
        w, b = dist.bayes_weights()
        assert bayes_accuracy(dist) == pytest.approx(linear_accuracy(w, b, dist), rel=1e-12)


def test_check_allocation_limit_is_the_available_memory(monkeypatch):
    monkeypatch.setattr(checks, "available_memory", lambda: 8 * 1000)
    checks.check_allocation("x", 1000, "fix")  # exactly fits
    with pytest.raises(ValueError, match=r"x would allocate 1,001 float64 values = 7.82 KiB, more than the 7.81 KiB"):
        checks.check_allocation("x", 1001, "fix")
    monkeypatch.setattr(checks, "available_memory", lambda: None)  # the system does not say: no check
    checks.check_allocation("x", 10**15, "fix")


@pytest.mark.parametrize("call,name", [
    (lambda: tradeoff_frontier("x", 0.4), "dist"),
    (lambda: linear_frontier(None, 0.4), "dist"),
    (lambda: default_deltas(3), "dist"),
    (lambda: theorem1_applies("x", 0.4), "dist"),
    (lambda: tight_point("x", 0.4), "dist"),
    (lambda: bayes_accuracy("x"), "dist"),
    (lambda: check_theorem1("a", 0.5, 0.9), "standard"),
    (lambda: check_theorem1(0.9, 0.5, "x"), "p"),
    (lambda: linear_rule_weights(0.0, 0.0, 2.0, 0), "d"),
    (lambda: svm.minimise_population([100], 2.0, 0.1, 0.0, 1.0), "p"),
    (lambda: svm.minimise_population([100], 0.9, -0.1, 0.0, 1.0), "eta"),
    (lambda: svm.minimise_population([100], 0.9, 0.1, -0.1, 1.0), "eps"),
    (lambda: svm.minimise_population([100], 0.9, 0.1, 0.0, 0.0), "lam"),
    (lambda: svm.minimise_population([100], 0.9, 0.1, 0.0, float("nan")), "lam"),
    (lambda: svm.minimise_population([0], 0.9, 0.1, 0.0, 1.0), "sizes"),
    (lambda: svm.minimise_population([2.5], 0.9, 0.1, 0.0, 1.0), "sizes"),
    (lambda: svm.minimise_population([], 0.9, 0.1, 0.0, 1.0), "sizes"),
    (lambda: svm.minimise_population([10], 0.9, 0.1, 0.0, 1.0, loss="hinge"), "loss"),
    (lambda: svm.population_objective([0.1], [10], 0.9, 0.1, 0.0, 1.0), "z"),
    (lambda: svm.tune_lambda([10], "0.9", 0.1, 0.0), "p"),
    (lambda: svm.tune_lambda([10], 0.9, 0.1, 0.0, target_norm=0.0), "target_norm"),
    (lambda: svm.zero_is_optimal(1.5, 0.1, 0.2), "p"),
    (lambda: svm.general_weight_check(0, 0.9, 0.1, 0.0, 1.0), "d"),
])
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError) as info:
        call()
    assert _one_line(info).startswith(name)


def test_an_impossible_p_no_longer_gives_a_negative_hinge_objective():
    """The issue's case: p = 2 made the 'probability' 1 - p negative and the expected hinge below 0."""
    with pytest.raises(ValueError, match=r"p \(robust feature's agreement with y\) must be a finite number in "
                                         r"\[0.5, 1\]"):
        svm.minimise_population([100], p=2.0, eta=0.1, eps=0.0, lam=1.0)
    m = svm.minimise_population([100], p=1.0, eta=0.1, eps=0.0, lam=1.0)  # the boundary stays valid
    assert m.objective >= 0.0


def test_sample_with_too_many_rows_suggests_streaming(monkeypatch):
    dist = FeatureDistribution(100, 0.9, 0.1)
    monkeypatch.setattr(checks, "available_memory", lambda: 8 * 101 * 50)  # room for 50 samples
    assert dist.sample(50, np.random.default_rng(0))[0].shape == (50, 101)
    with pytest.raises(ValueError, match=r"sample\(51\).*iter_batches"):
        dist.sample(51, np.random.default_rng(0))
    total = sum(len(y) for _, y in dist.iter_batches(200, 50, np.random.default_rng(0)))
    assert total == 200
