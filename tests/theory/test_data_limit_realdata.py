"""The data's own limit on real MNIST, 5-vs-7 and all ten classes (skipped when MNIST is not in the cache)."""

import numpy as np
import pytest

from tradeoff.theory.conflict_graph import conflict_graph, opposite_class_distances
from tradeoff.theory.robust_limit import robust_limit


def _pair(split):
    from tradeoff.data import mnist
    from tradeoff.data.pairs import load_pair

    folder = mnist.mnist_dir()
    if not all((folder / n).is_file() for n in mnist.MNIST_SHA256):
        pytest.skip(f"real MNIST not in {folder}; run `tradeoff data fetch mnist`")
    return load_pair("mnist", 5, 7, split)


@pytest.mark.realdata
def test_mnist_5v7_test_split_conflicts_agree_with_nearest_distances():
    X, y = _pair("test")
    d, _ = opposite_class_distances(X, y, norm="inf")
    for eps in (0.2, 0.3, 0.495):  # the graph has an edge at a point iff its nearest opposite point is within 2 eps
        g = conflict_graph(X, y, eps, "inf")
        has_edge = np.zeros(len(y), bool)
        has_edge[g.pos_index[g.rows]] = True
        has_edge[g.neg_index[g.cols]] = True
        assert np.array_equal(has_edge, d <= 2 * eps * (1 + 1e-12))
        lim = robust_limit(g)
        assert lim.robust_accuracy == 1.0 - lim.matching_size / len(y)


@pytest.mark.realdata
def test_mnist_ten_classes_conflicts_agree_with_other_class_distances():
    from tradeoff.data import mnist
    from tradeoff.data.pairs import load_classes
    from tradeoff.theory.multiclass_graph import multiclass_conflict_graph, other_class_distances
    from tradeoff.theory.multiclass_limit import multiclass_limit

    folder = mnist.mnist_dir()
    if not all((folder / n).is_file() for n in mnist.MNIST_SHA256):
        pytest.skip(f"real MNIST not in {folder}; run `tradeoff data fetch mnist`")
    X, y = load_classes("mnist", ["all"], "test", per_class=300)
    d, _ = other_class_distances(X, y, norm="inf")
    for eps in (0.3, 0.495):  # a point has a conflict iff its nearest other-class point is within 2 eps
        g = multiclass_conflict_graph(X, y, eps, "inf")
        has_edge = np.zeros(len(y), bool)
        has_edge[np.r_[g.u, g.v]] = True
        assert np.array_equal(has_edge, d <= 2 * eps * (1 + 1e-12))
        assert (g.n_edges > 0) == (eps > 0.4)  # MNIST digits conflict in l_inf only near eps = 0.5
        lim = multiclass_limit(g)
        assert lim.n_robust_lower <= lim.n_robust_upper and lim.n_robust_lower >= len(y) - g.n_conflicted()
