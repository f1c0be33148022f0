"""J1 on real MNIST (issue 22's pilot, small): equal to scikit-learn on the pipeline's stratified test images, its
clean gate passes, and the random noise of the attacks' size really moves the images away from the training set."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from tests.data.test_mnist import _real_dir  # skips when MNIST is not cached
from tradeoff.deep.datasets import load_split
from tradeoff.deep.experiments.judges import judge_validity, random_noise
from tradeoff.deep.experiments.knn import KNNJudge


@pytest.mark.realdata
@pytest.mark.slow
def test_j1_on_real_mnist_equals_scikit_learn_and_passes_its_clean_gate():
    _real_dir()
    xtr, ytr = (t.numpy() for t in load_split("mnist", "train"))
    x, y = (t.numpy() for t in load_split("mnist", "test", n=300, seed=0))
    judge = KNNJudge(xtr, ytr, k=10)
    sk = KNeighborsClassifier(n_neighbors=10, algorithm="brute").fit(xtr.reshape(len(xtr), -1), ytr)
    np.testing.assert_array_equal(judge.predict_proba(x), sk.predict_proba(x.reshape(len(x), -1)))
    v = judge_validity("J1", judge, x, y, [("inf", 0.3), ("2", 4.0)])
    assert v.clean.passed and v.clean.value < 0.05
    for norm, eps in (("inf", 0.3), ("2", 4.0)):
        assert np.all(judge.nearest_distance(random_noise(x, norm, eps)) > judge.nearest_distance(x))
