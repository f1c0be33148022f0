"""The conflict graph, the data's robust limit and the data's frontier against brute force on tiny point sets."""

import itertools

import numpy as np
import pytest

from tradeoff.theory import conflict_graph as cg
from tradeoff.theory.conflict_graph import (
    check_points,
    conflict_graph,
    nearest_distance,
    opposite_class_distances,
    pairs_within,
    separation_summary,
)
from tradeoff.theory.data_frontier import Assignment, best_assignment, data_frontier, feasible
from tradeoff.theory.robust_limit import robust_limit


def _dense(A, B, norm):
    diff = A.astype(np.float64)[:, None, :] - B.astype(np.float64)[None]
    return np.abs(diff).max(-1) if norm == "inf" else np.sqrt((diff**2).sum(-1))


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_pairs_and_nearest_match_dense_distances(norm, dtype, monkeypatch):
    monkeypatch.setattr(cg, "BLOCK_BYTES", 4096)  # many chunks, so chunk boundaries are exercised
    monkeypatch.setattr(cg, "SCREEN_COORDS", 3)  # a weak screening bound: exactness must not depend on it
    rng = np.random.default_rng(1)
    A = rng.integers(0, 256, (37, 20)).astype(dtype)
    B = rng.integers(0, 256, (41, 20)).astype(dtype)
    B[5] = A[3]  # a duplicate: distance 0
    D = _dense(A, B, norm)
    radius = float(np.quantile(D, 0.1))
    i, j, d = pairs_within(A, B, radius, norm)
    want = np.argwhere(D <= radius)
    assert np.array_equal(np.c_[i, j][np.lexsort((j, i))], want)
    assert np.allclose(d[np.lexsort((j, i))], D[want[:, 0], want[:, 1]], rtol=1e-12)
    best, arg = nearest_distance(A, B, norm)
    assert np.allclose(best, D.min(1), rtol=1e-12, atol=0)
    assert np.allclose(D[np.arange(len(A)), arg], D.min(1), rtol=1e-12)


def test_touching_balls_conflict_and_box_is_checked():
    X = np.array([[0], [102]], dtype=np.uint8)  # distance 102/255 = 0.4 exactly = 2 * 0.2
    g = conflict_graph(X, [1, -1], 0.2, "inf")
    assert g.n_edges == 1 and g.dist[0] == pytest.approx(0.4)
    assert conflict_graph(X, [1, -1], 0.199, "inf").n_edges == 0
    with pytest.raises(ValueError, match="outside the box"):
        check_points(np.array([[1.5]]))
    with pytest.raises(ValueError, match="-1 and \\+1"):
        conflict_graph(np.zeros((2, 1)), [0, 1], 0.1)


def test_opposite_class_distances_against_dense():
    rng = np.random.default_rng(2)
    X, y = rng.random((30, 4)), rng.choice([-1, 1], 30)
    Xr, yr = rng.random((25, 4)), rng.choice([-1, 1], 25)
    for norm in ("inf", "2"):
        d, ref = opposite_class_distances(X, y, Xr, yr, norm)
        D = _dense(X, Xr, norm)
        want = np.where(y[:, None] != yr[None], D, np.inf).min(1)
        assert np.allclose(d, want, rtol=1e-12) and np.all(yr[ref] == -y)
    s = separation_summary(d, [0.0, 10.0])
    assert s["within_2eps"] == {"0": 0.0, "10": 1.0} and s["min"] == pytest.approx(d.min())


def _independent_set_brute(adj: np.ndarray) -> int:
    P, N = adj.shape
    best = 0
    for mask in range(1 << (P + N)):
        bits = np.array([(mask >> k) & 1 for k in range(P + N)], bool)
        if not np.any(adj & bits[:P, None] & bits[None, P:]):
            best = max(best, int(bits.sum()))
    return best


def test_robust_limit_is_the_largest_independent_set_with_a_koenig_certificate():
    rng = np.random.default_rng(3)
    for trial in range(25):
        n = int(rng.integers(2, 11))
        X, y = rng.random((n, 2)), rng.choice([-1, 1], n)
        eps = float(rng.uniform(0.05, 0.5))
        g = conflict_graph(X, y, eps, "inf" if trial % 2 else "2")
        lim = robust_limit(g)
        adj = g.adjacency().toarray().astype(bool)
        assert lim.robust_accuracy == pytest.approx(_independent_set_brute(adj) / n)
        # the cover covers every edge and has the matching's size (Koenig: both optimal)
        assert np.all(lim.cover_pos[g.rows] | lim.cover_neg[g.cols])
        m = lim.match_pos[lim.match_pos >= 0]
        assert len(np.unique(m)) == len(m) == lim.matching_size
        assert all(adj[i, j] for i, j in enumerate(lim.match_pos) if j >= 0)


def _grid_classifier_points(G: int, cells: np.ndarray, labels: np.ndarray, e: int):
    """Every classifier of the 1-d grid {0..G} (2^(G+1) labellings): the (standard, robust) counts it reaches on
    the points at grid cells ``cells`` with ``labels`` against radius e cells (ball clipped to the box [0, G])."""
    L = ((np.arange(1 << (G + 1))[:, None] >> np.arange(G + 1)[None]) & 1).astype(bool)  # True = +1
    want = labels > 0
    s = L[:, cells] == want[None]
    r = np.ones_like(s)
    for k, c in enumerate(cells):
        lo, hi = max(0, c - e), min(G, c + e)
        r[:, k] = np.all(L[:, lo : hi + 1] == want[k], axis=1)
    return np.unique(np.c_[s.sum(1), r.sum(1)], axis=0)


def _upper_hull(points: np.ndarray) -> list[tuple[int, int]]:
    """Vertices of the upper-right concave envelope of integer points (max robust for each standard level)."""
    pts = sorted({(int(a), int(b)) for a, b in points}, key=lambda q: (-q[0], -q[1]))
    pareto = []
    for p in pts:
        if not pareto or p[1] > pareto[-1][1]:
            pareto.append(p)
    hull: list[tuple[int, int]] = []
    for p in pareto:  # decreasing standard, increasing robust: keep strictly concave turns
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) <= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    return hull


def test_frontier_and_limit_equal_enumeration_of_all_classifiers_on_a_grid():
    """1-d points on the grid {0, ..., G} with radius e cells: every classifier is a labelling of the grid (the
    balls' ends are grid points, so grid labellings reach exactly what continuous classifiers reach)."""
    rng = np.random.default_rng(4)
    G = 12
    for _ in range(30):
        n = int(rng.integers(2, 8))
        cells = rng.integers(0, G + 1, n)
        labels = rng.choice([-1, 1], n)
        e = int(rng.integers(0, 4))
        pts = _grid_classifier_points(G, cells, labels, e)
        g = conflict_graph(cells[:, None].astype(np.float64), labels, e / G, "inf", scale=G)
        fr = data_frontier(g)
        assert list(zip(fr.n_standard.tolist(), fr.n_robust.tolist())) == _upper_hull(pts), (cells, labels, e)
        assert robust_limit(g).matching_size == n - pts[:, 1].max()


def test_best_assignment_equals_integer_program_enumeration():
    """The min cut against enumeration of every (s, r) in {0,1}^2n with r <= s meeting the pairwise constraints."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        n = int(rng.integers(2, 7))
        X = rng.integers(0, 5, (n, 2)).astype(np.float64)  # repeated points and exact distance ties occur
        y = rng.choice([-1, 1], n)
        g = conflict_graph(X, y, float(rng.choice([0.5, 1.0, 1.5])), "2", scale=4.0)
        P, N = g.n_pos, g.n_neg
        pts = []
        for bits in itertools.product([0, 1], repeat=2 * n):
            b = np.array(bits, bool)
            a = Assignment(b[:P], b[P : 2 * P], b[2 * P : 2 * P + N], b[2 * P + N :])
            if feasible(g, a):
                pts.append((a.n_standard, a.n_robust))
        pts = np.array(pts)
        for wa, wb in ((1, 0), (0, 1), (1, 1), (2, 1), (1, 3), (n + 1, 1)):
            best = best_assignment(g, wa, wb)
            assert feasible(g, best)
            assert wa * best.n_standard + wb * best.n_robust == (wa * pts[:, 0] + wb * pts[:, 1]).max()
        fr = data_frontier(g)
        assert list(zip(fr.n_standard.tolist(), fr.n_robust.tolist())) == _upper_hull(pts)


def test_frontier_interpolation_and_trivial_cases():
    X = np.array([[0.0], [0.3], [1.0]])
    g = conflict_graph(X, [1, -1, -1], 0.2, "inf")  # one conflict (0 vs 0.3), 0.3 not inside the other's ball
    fr = data_frontier(g)
    assert fr.standard.tolist() == [1.0] and fr.robust.tolist() == [pytest.approx(2 / 3)]
    assert np.isnan(fr.robust_at(1.1)) and fr.robust_at(0.5) == pytest.approx(2 / 3)
    empty = conflict_graph(X, [1, -1, -1], 0.1, "inf")
    assert data_frontier(empty).robust.tolist() == [1.0] and robust_limit(empty).robust_accuracy == 1.0
    with pytest.raises(ValueError, match="integers"):
        best_assignment(g, 1.5, 1)


def test_study_payload_per_split_and_eps():
    from tradeoff.theory.data_limit_study import data_limit_study

    rng = np.random.default_rng(6)
    Xtr, ytr = rng.integers(0, 256, (40, 6)).astype(np.uint8), rng.choice([-1, 1], 40)
    Xte, yte = rng.integers(0, 256, (15, 6)).astype(np.uint8), rng.choice([-1, 1], 15)
    p = data_limit_study((Xtr, ytr), (Xte, yte), [0.45, 0.3], "inf")
    assert p["eps"] == [0.3, 0.45] and p["scale"] == 255.0
    for split, (X, y) in (("train", (Xtr, ytr)), ("test", (Xte, yte))):
        for row in p["splits"][split]:  # restricted graphs equal graphs built directly at each eps
            direct = robust_limit(conflict_graph(X, y, row["eps"], "inf"))
            assert row["limit"]["matching_size"] == direct.matching_size
            assert row["frontier"]["robust"][-1] == pytest.approx(direct.robust_accuracy)
    d, _ = opposite_class_distances(Xte, yte, Xtr, ytr, "inf")
    assert p["separation"]["test_to_train"]["distances"].tolist() == sorted(d.tolist())
    with pytest.raises(ValueError, match="unknown split"):
        data_limit_study((Xtr, ytr), (Xte, yte), [0.1], splits=("val",))
