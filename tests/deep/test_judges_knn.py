"""J1 (deep.experiments.knn): equal to scikit-learn's brute-force kNN, exact where float32 alone would not be, and
with the stated tie rules."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from tradeoff.deep.experiments.interpolation import interpolate
from tradeoff.deep.experiments.knn import KNNJudge


def _reference(train, queries, k, exclude=None, labels=None):
    """float64 brute force, sorted by (distance, training index)."""
    t = train.reshape(len(train), -1).astype(np.float64)
    q = queries.reshape(len(queries), -1).astype(np.float64)
    d = ((q[:, None, :] - t[None, :, :]) ** 2).sum(-1)
    if exclude is not None:
        d[labels[None, :] == exclude[:, None]] = np.inf
    idx = np.array([np.lexsort((np.arange(len(t)), row))[:k] for row in d])
    return np.sqrt(np.take_along_axis(d, idx, axis=1)), idx


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    # image-like: (N, 1, 6, 6) in [0, 1], three blob classes plus noise
    centres = 0.5 + 0.08 * rng.standard_normal((3, 1, 6, 6))  # close classes: mixed votes and vote ties
    y = rng.integers(0, 3, 900)
    x = np.clip(centres[y] + 0.25 * rng.standard_normal((900, 1, 6, 6)), 0, 1).astype(np.float32)
    yq = rng.integers(0, 3, 200)
    q = np.clip(centres[yq] + 0.25 * rng.standard_normal((200, 1, 6, 6)), 0, 1).astype(np.float32)
    return x, y, q, yq


def test_equals_scikit_learn_brute_force(data):
    x, y, q, _ = data
    judge = KNNJudge(x, y, k=10, batch_size=64)
    sk = KNeighborsClassifier(n_neighbors=10, algorithm="brute").fit(x.reshape(len(x), -1), y)
    qf = q.reshape(len(q), -1)
    np.testing.assert_array_equal(judge.predict(q), sk.predict(qf))
    np.testing.assert_array_equal(judge.predict_proba(q), sk.predict_proba(qf))
    nb = judge.kneighbors(q)
    d, i = sk.kneighbors(qf)
    np.testing.assert_allclose(nb.distances, d, rtol=1e-6)
    np.testing.assert_array_equal(nb.indices, i)
    # vote ties happen in this data (k = 10, 3 classes), so the tie rule is exercised, not just assumed
    votes = judge.predict_proba(q)
    assert np.any(np.sort(votes, axis=1)[:, -1] == np.sort(votes, axis=1)[:, -2])


def test_equals_the_float64_reference_with_every_batch_size(data):
    x, y, q, _ = data
    d_ref, i_ref = _reference(x, q, 7)
    for bs in (1, 17, 500):
        nb = KNNJudge(x, y, k=7, batch_size=bs, margin=3).kneighbors(q)
        np.testing.assert_array_equal(nb.indices, i_ref)
        np.testing.assert_allclose(nb.distances, d_ref, rtol=1e-12)


def _rounding_only(seed, *sizes):
    """Images of one large common offset with tiny differences: their float32 distances are pure rounding."""
    rng = np.random.default_rng(seed)
    return [(1.0 + 1e-4 * rng.standard_normal((n, 64))).astype(np.float32) for n in sizes]


def test_guard_falls_back_where_float32_cannot_order_the_candidates():
    # the guard must fail and the exact float64 recomputation must still find the true neighbours
    x, q = _rounding_only(1, 300, 20)
    y = np.arange(300) % 4
    nb = KNNJudge(x, y, k=5, margin=2).kneighbors(q)
    d_ref, i_ref = _reference(x, q, 5)
    assert nb.n_fallback > 0
    np.testing.assert_array_equal(nb.indices, i_ref)
    np.testing.assert_allclose(nb.distances, d_ref, rtol=1e-9)


def test_ordinary_data_needs_no_fallback(data):
    x, y, q, _ = data
    assert KNNJudge(x, y, k=10).kneighbors(q).n_fallback == 0


@pytest.mark.parametrize("batch_size", [1, 40, 1000])
def test_path_search_equals_the_search_on_the_interpolated_frames(data, batch_size):
    x, y, q, _ = data
    start, end = q[:30], np.clip(q[30:60] + 0.4, 0, 1).astype(np.float32)
    judge = KNNJudge(x, y, k=10, batch_size=batch_size)
    frames = interpolate(start, end, 9)
    ref = judge.kneighbors(frames.reshape(30 * 9, -1))
    nb = judge.kneighbors_path(start, end, 9)
    np.testing.assert_array_equal(nb.indices, ref.indices)
    np.testing.assert_array_equal(nb.distances, ref.distances)
    d_ref, i_ref = _reference(x, frames.reshape(30 * 9, -1), 10)
    np.testing.assert_array_equal(nb.indices, i_ref)


def test_path_search_guard_falls_back_too():
    x, a, b = _rounding_only(2, 200, 6, 6)
    nb = KNNJudge(x, np.arange(200) % 4, k=3, margin=1).kneighbors_path(a, b, 5)
    assert nb.n_fallback > 0
    np.testing.assert_array_equal(nb.indices, _reference(x, interpolate(a, b, 5).reshape(30, -1), 3)[1])


def test_vote_tie_goes_to_the_smaller_class_like_scikit_learn():
    x = np.array([[0.0], [1.0], [10.0]], dtype=np.float32)
    for y in ([2, 1, 0], [1, 2, 0]):
        y = np.array(y)
        judge = KNNJudge(x, y, k=2)
        sk = KNeighborsClassifier(n_neighbors=2, algorithm="brute").fit(x, y)
        assert judge.predict(np.array([[0.4]])).tolist() == [1] == sk.predict([[0.4]]).tolist()
        np.testing.assert_array_equal(judge.predict_proba(np.array([[0.4]])), [[0.0, 0.5, 0.5]])


def test_equal_distances_at_the_kth_place_take_the_smaller_training_index():
    x = np.array([[1.0], [-1.0], [5.0]], dtype=np.float32)
    y = np.array([5, 2, 0])
    nb = KNNJudge(x, y, k=1, n_classes=6).kneighbors(np.array([[0.0]]))
    assert nb.indices.tolist() == [[0]] and nb.boundary_ties == 1
    nb = KNNJudge(x[[1, 0, 2]], y[[1, 0, 2]], k=1, n_classes=6).kneighbors(np.array([[0.0]]))
    assert nb.indices.tolist() == [[0]]  # now the image of class 2 comes first


def test_nearest_other_class_and_nearest_distance(data):
    x, y, q, yq = data
    judge = KNNJudge(x, y, k=10)
    d_ref, i_ref = _reference(x, q, 1, exclude=yq, labels=y)
    idx = judge.nearest_other_class(q, yq)
    np.testing.assert_array_equal(idx, i_ref[:, 0])
    assert np.all(y[idx] != yq)
    np.testing.assert_allclose(judge.nearest_distance(q), _reference(x, q, 1)[0][:, 0], rtol=1e-12)
    np.testing.assert_array_equal(judge.train_images(idx), x.reshape(len(x), -1)[idx])


def test_input_errors(data):
    x, y, q, _ = data
    with pytest.raises(ValueError, match="labels"):
        KNNJudge(x, y[:-1])
    with pytest.raises(ValueError, match="k must be"):
        KNNJudge(x, y, k=0)
    with pytest.raises(ValueError, match="pixels"):
        KNNJudge(x, y).kneighbors(q[:, :, :3])
