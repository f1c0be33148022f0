import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeoff.data.subsets import binary_subset, stratified_subsample


def test_binary_subset_positive_is_plus_one():
    labels = np.array([5, 7, 1, 5, 7, 7, 3])
    images = np.arange(7)[:, None] * np.ones((1, 4), dtype=np.int64)
    x, y = binary_subset(images, labels, positive=5, negative=7)
    np.testing.assert_array_equal(y, [1, -1, 1, -1, -1])
    assert y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0], [0, 1, 3, 4, 5])
    _, y2 = binary_subset(images, labels, positive=7, negative=5)
    np.testing.assert_array_equal(y2, -y)


def test_binary_subset_errors():
    labels = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="class 9 does not occur"):
        binary_subset(np.zeros(3), labels, 9, 1)
    with pytest.raises(ValueError, match="must differ"):
        binary_subset(np.zeros(3), labels, 1, 1)
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        binary_subset(np.zeros(3), labels[:2], 0, 1)


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    frac=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**31),
)
def test_stratified_is_proportional_unique_and_nested(sizes, frac, seed):
    labels = np.repeat(np.arange(len(sizes)), sizes)
    labels = labels[np.random.default_rng(1).permutation(len(labels))]
    N = len(labels)
    n = max(1, int(frac * N))
    idx = stratified_subsample(labels, n, seed)
    assert idx.dtype == np.int64 and len(idx) == n and len(np.unique(idx)) == n
    assert np.all(np.diff(idx) > 0)
    counts = np.bincount(labels[idx], minlength=len(sizes))
    share = n * np.array(sizes) / N
    # round(t n_c) with sum = n: within 1/2 + K/2 * n_c/N of the exact share
    assert np.all(np.abs(counts - share) <= 0.5 + len(sizes) / 2 * np.array(sizes) / N + 1e-9)
    smaller = stratified_subsample(labels, max(1, n // 2), seed)
    assert set(smaller.tolist()) <= set(idx.tolist())
    np.testing.assert_array_equal(stratified_subsample(labels, n, seed), idx)


def test_stratified_balanced_classes_exact_and_seed_dependent():
    labels = np.repeat(np.arange(10), 100)
    idx = stratified_subsample(labels, 50, seed=0)
    np.testing.assert_array_equal(np.bincount(labels[idx]), np.full(10, 5))
    assert not np.array_equal(idx, stratified_subsample(labels, 50, seed=1))


def test_stratified_rejects_bad_n():
    with pytest.raises(ValueError, match="n=0"):
        stratified_subsample(np.zeros(5), 0, 0)
    with pytest.raises(ValueError, match="n=6"):
        stratified_subsample(np.zeros(5), 6, 0)
    with pytest.raises(ValueError, match="integer"):  # was a TypeError from slicing
        stratified_subsample(np.zeros(5), 2.5, 0)
