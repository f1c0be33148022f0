"""reports.verdicts: the interval behind every verdict has its stated coverage, the MDE its stated power, and the
paired interval agrees with scipy's paired t-test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tests.deep.test_crossed import _accuracy, _shared_test_set  # one simulator of a shared test set
from tradeoff.reports import verdicts as V


def test_paired_interval_matches_scipy_ttest_rel():
    rng = np.random.default_rng(0)
    a = 0.9 + 0.01 * rng.standard_normal(5)
    b = a - 0.004 + 0.003 * rng.standard_normal(5)
    d = V.difference(a, b, paired=True)  # test-set size unknown: seed part only, exactly the paired t-test
    res = stats.ttest_rel(a, b)
    assert (d.low > 0 or d.high < 0) == (res.pvalue < V.ALPHA)
    t = d.estimate / d.se
    assert t == pytest.approx(res.statistic, rel=1e-12)
    assert "paired t over 5 seeds" in d.method and "not counted" in d.method


@pytest.mark.parametrize("paired", [True, False])
def test_interval_covers_the_true_effect_at_its_level(paired):
    # 4000 simulated experiments of 3 seeds each; coverage must be 95% within 4 binomial s.d. (about ±1.4 points)
    rng = np.random.default_rng(1)
    true, reps, k = 0.01, 4000, 3
    hits = 0
    for _ in range(reps):
        shared = 0.02 * rng.standard_normal(k) if paired else 0.0
        a = 0.9 + true + shared + 0.005 * rng.standard_normal(k)
        b = 0.9 + shared + 0.005 * rng.standard_normal(k)
        d = V.difference(a, b, paired=paired)
        hits += d.low <= true <= d.high
    cover, tol = hits / reps, 4 * np.sqrt(V.ALPHA * (1 - V.ALPHA) / reps)
    if paired:  # the paired t interval is exact for Gaussian differences
        assert abs(cover - (1 - V.ALPHA)) < tol
    else:  # Welch's interval is approximate and known to be conservative for small equal-variance samples
        assert 1 - V.ALPHA - tol < cover < 1 - V.ALPHA + 0.03


def test_single_runs_use_the_test_set_binomial_and_say_so():
    # one run each, 10 000 test points: SE = sqrt(p(1-p)/n + q(1-q)/n); a 1-point gap is then clearly decided
    d = V.difference([0.99], [0.98], n_test_a=10_000, n_test_b=10_000)
    se = np.sqrt(0.99 * 0.01 / 1e4 + 0.98 * 0.02 / 1e4)
    assert d.se == pytest.approx(se) and d.df == np.inf
    assert d.low == pytest.approx(0.01 - 1.959964 * se, abs=1e-6)
    assert d.verdict == V.CONFIRMED and "seed variance not measured" in d.method
    assert V.difference([0.98], [0.99], 10_000, 10_000).verdict == V.REFUTED


def test_mde_is_detected_with_its_power():
    # simulate at a true effect equal to the stated MDE: the interval excludes 0 in about POWER of the experiments
    rng = np.random.default_rng(2)
    k, sd, reps = 6, 0.004, 3000
    probe = V.difference(0.9 + sd * rng.standard_normal(k), 0.9 + sd * rng.standard_normal(k), paired=True)
    # the MDE is random through s_d; use its value at the true s.d. of the differences
    se_true = sd * np.sqrt(2) / np.sqrt(k)
    crit, zpow = stats.t.ppf(1 - V.ALPHA / 2, k - 1), stats.t.ppf(V.POWER, k - 1)
    mde = (crit + zpow) * se_true
    assert probe.mde > 0
    detected = 0
    for _ in range(reps):
        a = 0.9 + mde + sd * rng.standard_normal(k)
        b = 0.9 + sd * rng.standard_normal(k)
        detected += V.difference(a, b, paired=True).verdict == V.CONFIRMED
    # the t-quantile formula is an approximation of the noncentral-t power: within 6 points of POWER
    assert abs(detected / reps - V.POWER) < 0.06


def test_inconclusive_text_states_the_mde():
    d = V.difference([0.90, 0.91, 0.90], [0.905, 0.90, 0.91], 10_000, 10_000)
    assert d.verdict == V.INCONCLUSIVE
    assert "minimum detectable effect" in d.text() and "95% CI" in d.text()


def test_combine_needs_every_part():
    assert V.combine([V.CONFIRMED, V.CONFIRMED]) == V.CONFIRMED
    assert V.combine([V.CONFIRMED, V.INCONCLUSIVE]) == V.INCONCLUSIVE
    assert V.combine([V.CONFIRMED, V.REFUTED, V.INCONCLUSIVE]) == V.REFUTED


@pytest.mark.parametrize("bad", [[], [1.5], [float("nan")]])
def test_bad_accuracies_are_refused(bad):
    with pytest.raises(ValueError, match="accuracies|no runs"):
        V.difference(bad, [0.5])


def test_combine_any_needs_one_part():
    assert V.combine_any([V.INCONCLUSIVE, V.CONFIRMED, V.REFUTED]) == V.CONFIRMED
    assert V.combine_any([V.REFUTED, V.REFUTED]) == V.REFUTED
    assert V.combine_any([V.REFUTED, V.INCONCLUSIVE]) == V.INCONCLUSIVE
    with pytest.raises(ValueError):
        V.combine_any([])


def test_from_estimate_inverts_a_normal_interval():
    se = V.se_of_interval(0.3, 0.5, 0.95)
    assert se == pytest.approx(0.1 / 1.959964, rel=1e-6)
    d = V.from_estimate(0.4, se, "normal")
    assert (d.low, d.high) == (pytest.approx(0.3), pytest.approx(0.5)) and d.verdict == V.CONFIRMED
    assert V.from_estimate(0.01, se, "normal").verdict == V.INCONCLUSIVE


def test_single_runs_without_a_test_set_size_cannot_decide():
    d = V.difference([0.99], [0.50])
    assert d.verdict == V.INCONCLUSIVE and d.low == -np.inf and d.high == np.inf
    assert "cannot decide" in d.method


# ----------------------------------------------------------------- one test set shared by every seed (issue 22, 6)


@pytest.mark.parametrize("tau,lam", [(0.05, 2.0), (0.5, 0.8)])  # the test set dominates / the seeds dominate
def test_per_image_interval_covers_with_a_shared_test_set(tau, lam):
    rng = np.random.default_rng(7)
    s, n, reps = 4, 300, 500
    true = _accuracy(2.9, tau, lam) - _accuracy(2.7, tau, lam)
    hits = 0
    for _ in range(reps):
        a, b = _shared_test_set(rng, s, n, 2.9, 2.7, tau, lam)
        d = V.difference_from_correctness(a, b)
        hits += d.low <= true <= d.high
    assert abs(hits / reps - (1 - V.ALPHA)) < 4 * np.sqrt(V.ALPHA * (1 - V.ALPHA) / reps)
    assert d.n_runs == s and "crossed" in d.method and d.verdict in (V.CONFIRMED, V.INCONCLUSIVE, V.REFUTED)


def test_per_run_binomial_term_understates_a_shared_test_set_and_the_shared_bound_does_not():
    # fixed models (no seed effect), images of very unequal difficulty: the seeds miss the same images, so the
    # test-set s.d. of the 4-seed mean accuracy is close to one run's, not one run's / √4
    rng = np.random.default_rng(8)
    s, n, reps = 4, 400, 400
    means, old, shared = [], [], []
    for _ in range(reps):
        a, _ = _shared_test_set(rng, s, n, 2.5, 2.5, 0.0, 2.5)
        acc = a.mean(axis=1)
        means.append(acc.mean())
        old.append(np.sqrt(sum(V.binomial_variance(x, n) for x in acc) / s ** 2))
        shared.append(np.sqrt(V.binomial_variance(acc.mean(), n)))
    sd = np.std(means)
    assert np.mean(old) < 0.75 * sd  # optimistic: the form the claims used first
    assert np.mean(shared) >= sd  # the shared-test-set bound holds


def test_shared_test_set_option_and_the_default_form():
    a, b = [0.97, 0.96, 0.965], [0.95, 0.955, 0.945]
    old = V.difference(a, b, 10_000, 10_000)
    new = V.difference(a, b, 10_000, 10_000, shared_test_set=True)
    assert old.method == "paired t over 3 seeds + test-set binomial bound"  # unchanged default
    assert "shared" in new.method and new.se > old.se and new.estimate == old.estimate
    test_part = V.binomial_variance(np.mean(a), 10_000) + V.binomial_variance(np.mean(b), 10_000)
    seed_part = np.var(np.subtract(a, b), ddof=1) / 3
    assert new.se ** 2 == pytest.approx(seed_part + test_part)


def test_from_crossed_uses_the_t_quantile_of_its_degrees_of_freedom():
    rng = np.random.default_rng(9)
    a, b = _shared_test_set(rng, 3, 200, 2.9, 2.5, 0.3, 1.0)
    d = V.difference_from_correctness(a, b)
    crit = stats.t.ppf(1 - V.ALPHA / 2, d.df)
    assert d.high - d.estimate == pytest.approx(crit * d.se)
    assert d.estimate == pytest.approx(a.mean() - b.mean())
    u = V.difference_from_correctness(a, b[:2], paired=False)
    assert "unpaired" in u.method and u.n_runs == 2
