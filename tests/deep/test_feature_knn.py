"""deep.experiments.feature_knn: k-NN in a model's penultimate features is J1's rule applied to φ(x) (known answers:
the identity feature map gives J1 itself; scikit-learn's brute-force classifier on the features gives the same
labels), the model is left as it was, and a model without a linear layer is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier
from torch import nn

from tradeoff.deep.experiments.feature_knn import FeatureKNNJudge, last_linear, penultimate_features
from tradeoff.deep.experiments.knn import KNNJudge
from tradeoff.deep.models import MnistCNN


def _data(n=300, m=40, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    centres = rng.random((4, 1, 8, 8)).astype(np.float32)
    x = np.clip(centres[y] + 0.3 * rng.standard_normal((n, 1, 8, 8)), 0, 1).astype(np.float32)
    q = np.clip(centres[rng.integers(0, 4, m)] + 0.4 * rng.standard_normal((m, 1, 8, 8)), 0, 1).astype(np.float32)
    return x, y, q


def test_the_identity_feature_map_gives_j1_itself():
    x, y, q = _data()
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 4))  # φ(x) = the flattened pixels
    feat = FeatureKNNJudge(model, x, y, k=5)
    np.testing.assert_array_equal(feat(q), KNNJudge(x, y, k=5)(q))


def test_labels_equal_scikit_learn_on_the_penultimate_features():
    torch.manual_seed(0)
    x, y, q = _data()
    model = MnistCNN(num_classes=4, image_size=8, width=4)
    feat = FeatureKNNJudge(model, x, y, k=7)
    fx, fq = penultimate_features(model, x), penultimate_features(model, q)
    assert fx.shape == (len(x), 1024)  # the input of fc2: fc1's 1024 post-ReLU units
    ref = KNeighborsClassifier(n_neighbors=7, algorithm="brute").fit(fx, y)
    np.testing.assert_array_equal(feat(q).argmax(1), ref.predict(fq))
    np.testing.assert_allclose(feat(q), ref.predict_proba(fq))


def test_the_model_is_left_as_it_was_and_a_model_without_a_linear_layer_is_refused():
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 4)).train()
    assert last_linear(model) is model[3]
    penultimate_features(model, np.zeros((3, 1, 8, 8), np.float32))
    assert model.training and not model[3]._forward_pre_hooks
    with pytest.raises(ValueError, match="no linear layer"):
        last_linear(nn.Sequential(nn.Conv2d(1, 2, 3)))
