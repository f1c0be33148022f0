"""deep.experiments.crossed: the seeds × images variance is unbiased (Monte Carlo against the closed form), its
intervals cover at their level (simulation), and the special cases reduce to the textbook formulas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tradeoff.deep.experiments import crossed as C


def _gaussian_crossed(rng, s, n, sa, sb, se, mu=0.0):
    return mu + sa * rng.standard_normal((s, 1)) + sb * rng.standard_normal((1, n)) + se * rng.standard_normal((s, n))


def test_variance_is_the_sum_of_the_three_readable_parts():
    # V = s²(seed means)/S + s²(image means)/N − MS_res/(S N): the same number by another route
    x = np.random.default_rng(0).normal(size=(4, 30)) + np.arange(4)[:, None] * 0.3 + np.linspace(0, 1, 30)
    c = C.crossed_mean(x)
    s, n = x.shape
    ms = C.mean_squares(x)
    other = x.mean(axis=1).var(ddof=1) / s + x.mean(axis=0).var(ddof=1) / n - ms["residual"] / (s * n)
    assert c.se ** 2 == pytest.approx(other, rel=1e-12)
    assert c.estimate == pytest.approx(x.mean())
    assert sum(c.components.values()) == pytest.approx(c.se ** 2)


def test_unbiased_for_the_variance_of_the_grand_mean():
    # Monte Carlo: the mean of the estimated variance matches Var(x̄) = σa²/S + σb²/N + σe²/(SN)
    rng = np.random.default_rng(1)
    s, n, sa, sb, se = 5, 40, 0.3, 0.5, 1.0
    true_var = sa ** 2 / s + sb ** 2 / n + se ** 2 / (s * n)
    est, var = [], []
    for _ in range(4000):
        c = C.crossed_mean(_gaussian_crossed(rng, s, n, sa, sb, se))
        est.append(c.estimate)
        var.append(c.se ** 2)
    assert np.var(est) == pytest.approx(true_var, rel=0.08)
    assert np.mean(var) == pytest.approx(true_var, rel=0.06)


def test_one_seed_is_the_t_interval_over_images():
    x = np.random.default_rng(2).normal(size=25)
    c = C.crossed_mean(x)
    lo, hi = stats.t.interval(0.95, 24, loc=x.mean(), scale=stats.sem(x))
    assert (c.low, c.high) == pytest.approx((lo, hi))
    assert c.n_seeds == 1 and "seed variance not measured" in c.method


def test_constant_images_leave_the_paired_t_over_seeds():
    # no image or residual variation: the interval is the paired t over seeds, S − 1 df
    seeds = np.array([0.1, 0.3, 0.2, 0.5])
    x = np.repeat(seeds[:, None], 10, axis=1)
    c = C.crossed_mean(x)
    lo, hi = stats.t.interval(0.95, 3, loc=seeds.mean(), scale=stats.sem(seeds))
    assert c.df == pytest.approx(3.0) and (c.low, c.high) == pytest.approx((lo, hi))


def _shared_test_set(rng, s, n, mu_a, mu_b, tau, lam, rho=0.5):
    """0/1 correctness (seeds × images) of two recipes at the same S seeds on one shared test set of N images: a
    difficulty z_i per image shared by both recipes and every seed (hard images are missed by all), seed effects
    correlated between the two recipes of a seed; P(correct) = Φ(μ + τ α_s + λ z_i) given seed and image."""
    z = rng.standard_normal(n)
    al = rng.standard_normal(s)
    al_b = rho * al + np.sqrt(1 - rho ** 2) * rng.standard_normal(s)
    a = (mu_a + tau * al[:, None] + lam * z[None, :] + rng.standard_normal((s, n)) > 0).astype(float)
    b = (mu_b + tau * al_b[:, None] + lam * z[None, :] + rng.standard_normal((s, n)) > 0).astype(float)
    return a, b


def _accuracy(mu, tau, lam):
    """The recipe's accuracy over seeds and the data distribution: P(μ + τα + λz + e > 0) = Φ(μ/√(1 + τ² + λ²))."""
    return stats.norm.cdf(mu / np.sqrt(1 + tau ** 2 + lam ** 2))


@pytest.mark.parametrize("tau,lam", [(0.05, 2.0), (0.6, 0.7)])  # test set dominates / seeds dominate
def test_paired_difference_covers_with_shared_test_images(tau, lam):
    rng = np.random.default_rng(3)
    s, n, reps, mu_a, mu_b = 4, 300, 500, 2.9, 2.7
    true = _accuracy(mu_a, tau, lam) - _accuracy(mu_b, tau, lam)
    hits, est, ses = 0, [], []
    for _ in range(reps):
        a, b = _shared_test_set(rng, s, n, mu_a, mu_b, tau, lam)
        c = C.paired_difference(a, b)
        hits += c.low <= true <= c.high
        est.append(c.estimate)
        ses.append(c.se)
    tol = 4 * np.sqrt(0.05 * 0.95 / reps)
    assert abs(hits / reps - 0.95) < tol
    assert np.sqrt(np.mean(np.square(ses))) == pytest.approx(np.std(est), rel=0.15)


def test_unpaired_difference_covers():
    rng = np.random.default_rng(4)
    reps, tau, lam = 400, 0.4, 1.5
    true = _accuracy(2.9, tau, lam) - _accuracy(2.7, tau, lam)
    hits = 0
    for _ in range(reps):
        a, _ = _shared_test_set(rng, 5, 300, 2.9, 2.7, tau, lam)
        _, b = _shared_test_set(rng, 3, 300, 2.9, 2.7, tau, lam)
        c = C.unpaired_difference(a, b)
        hits += c.low <= true <= c.high
    # not the same images in a and b here (two draws of z): the image part is then still counted, conservatively
    assert hits / reps >= 0.95 - 4 * np.sqrt(0.05 * 0.95 / reps)


def test_ratio_over_a_mask_covers():
    # a mean over a random 40% of the cells (a ratio estimator): the delta-method crossed interval covers
    rng = np.random.default_rng(5)
    reps, s, n = 500, 4, 200
    hits = 0
    for _ in range(reps):
        x = _gaussian_crossed(rng, s, n, 0.3, 0.6, 1.0, mu=0.5)
        mask = rng.random((s, n)) < 0.4
        c = C.crossed_ratio(x, mask)
        hits += c.low <= 0.5 <= c.high
    assert abs(hits / reps - 0.95) < 4 * np.sqrt(0.05 * 0.95 / reps)


def test_ratio_with_a_full_mask_is_the_crossed_mean_and_errors():
    x = np.random.default_rng(6).normal(size=(3, 20))
    r, c = C.crossed_ratio(x, np.ones_like(x, dtype=bool)), C.crossed_mean(x)
    assert (r.estimate, r.low, r.high) == pytest.approx((c.estimate, c.low, c.high))
    m = np.arange(60).reshape(3, 20) % 3 == 0
    assert C.crossed_ratio(x, m).estimate == pytest.approx(x[m].mean())
    with pytest.raises(ValueError, match="same"):
        C.paired_difference(np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="at least 2 images"):
        C.crossed_mean(np.zeros((3, 1)))


def test_three_seeds_with_the_seed_part_dominating_cover_a_little_below_the_level():
    # docs/statistics.md states it: at 3 seeds, Satterthwaite's df from *estimated* mean squares is slightly
    # liberal (claim 11's rows are in this regime). Measured here: 92% at a nominal 95%; a method that dropped the
    # seed part covers far less (60% in this regime), one that used S − 1 df always 99%.
    rng = np.random.default_rng(7)
    reps, hits, hits_no_seed = 3000, 0, 0
    for _ in range(reps):
        x = _gaussian_crossed(rng, 3, 300, np.sqrt(0.004), np.sqrt(0.042), np.sqrt(0.15))
        c = C.crossed_mean(x)
        hits += c.low <= 0 <= c.high
        m = x.mean(axis=0)  # the t over images of seed-averaged values: no seed part
        hits_no_seed += abs(m.mean()) <= stats.t.ppf(0.975, len(m) - 1) * stats.sem(m)
    assert 0.91 < hits / reps < 0.95
    assert hits_no_seed / reps < 0.8
