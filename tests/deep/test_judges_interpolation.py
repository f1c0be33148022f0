"""Claim 11's interpolation measures judged by J1 (deep.experiments.interpolation): label changes and distance
percentiles on constructed paths with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tradeoff.deep.experiments import interpolation as I
from tradeoff.deep.experiments.knn import KNNJudge


def test_label_changes_known_answers():
    lab = np.array([[3, 3, 3, 5, 5], [3, 5, 3, 5, 5], [3, 3, 3, 3, 3], [3, 4, 5, 5, 5]])
    np.testing.assert_array_equal(I.label_changes(lab), [1, 3, 0, 2])


def test_percentiles_are_the_weak_empirical_cdf():
    ref = np.random.default_rng(0).gamma(3.0, size=500)
    d = np.array([0.0, 1.0, 2.5, ref[10], 100.0])
    expect = [stats.percentileofscore(ref, v, kind="weak") for v in d]
    np.testing.assert_allclose(I.distance_percentiles(d, ref), expect)


def _line_judge():
    """Training images on a 1-d line (shape (1, 1, 1)): class 0 near 0 and near 0.6, class 1 near 0.3, class 2 near
    1 (k = 1)."""
    pts = np.r_[np.linspace(-0.05, 0.05, 11), np.linspace(0.55, 0.65, 11), np.linspace(0.25, 0.35, 11),
                np.linspace(0.95, 1.05, 11)]
    lab = np.r_[np.zeros(11), np.zeros(11), np.ones(11), np.full(11, 2)].astype(int)
    return KNNJudge(pts.reshape(-1, 1, 1, 1).astype(np.float32), lab, k=1, n_classes=3), pts


def test_judged_paths_count_changes_and_distances():
    judge, pts = _line_judge()
    images = np.array([0.0, 0.3, 0.0], dtype=np.float32).reshape(-1, 1, 1, 1)
    adv = np.array([1.0, 1.0, 0.28], dtype=np.float32).reshape(-1, 1, 1, 1)
    ref = np.abs(np.linspace(0.0, 0.005, 50))  # clean images lie on the training points
    p = I.judged_paths(judge, images, adv, labels=[0, 1, 0], frames=21, reference=ref)
    # 0 → 1: passes the class-1 island and the second class-0 island before class 2: three changes
    # 0.3 → 1: class 1, class 0 (near 0.6), class 2: two changes, no flip back but a third class
    # 0 → 0.28: one change (0 then 1)
    np.testing.assert_array_equal(p.changes, [3, 2, 1])
    np.testing.assert_array_equal(p.end_other, [True, True, True])
    np.testing.assert_array_equal(p.once, [False, False, True])
    # the frames between the islands are farther from the training set than every clean image: percentile 100
    assert p.max_percentile.tolist() == [100.0, 100.0, 100.0]
    assert p.percentiles[0, 0] <= 2.0 and not p.near().any()


def test_compare_paths_paired_over_seeds_and_images():
    rng = np.random.default_rng(1)
    n, f = 200, 8
    y = rng.integers(0, 10, n)

    def paths(once_rate, far):
        lab = np.repeat(y[:, None], f, axis=1)
        lab[:, f // 2:] = (y[:, None] + 1) % 10  # one change ...
        flip = rng.random(n) > once_rate
        lab[flip, f // 2 + 1] = y[flip]  # ... or a flip back
        pct = np.clip(rng.normal(50 + far, 10, (n, f)), 0, 100)
        return I.JudgedPaths(y, lab, pct)

    rob = {s: paths(0.9, 0) for s in range(3)}
    std = {s: paths(0.4, 30) for s in range(3)}
    c = I.compare_paths(rob, std)
    assert c.seeds == [0, 1, 2]
    assert c.once_rate["robust"]["estimate"] == pytest.approx(0.9, abs=0.05)
    assert c.once.estimate == pytest.approx(0.5, abs=0.08) and c.once.low > 0.3
    assert c.max_percentile.high < 0 and c.near.estimate > 0
    assert len(c.mean_curve["robust"]) == f and set(c.as_dict()) >= {"once_robust_minus_standard", "near_rate"}
    with pytest.raises(ValueError, match="no seed"):
        I.compare_paths({0: rob[0]}, {1: std[1]})
