"""The many-class conflict graph, the largest independent set and the data's limit for any number of classes against
brute force: dense distances, every subset of the points, every classifier of a small grid."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeoff.theory.conflict_graph import conflict_graph, opposite_class_distances
from tradeoff.theory.independent_set import (
    bipartite_mis,
    bipartite_relaxation_bound,
    bipartite_sides,
    greedy_independent_set,
    is_independent,
    max_independent_set,
    milp_independent_set,
)
from tradeoff.theory.multiclass_graph import (
    check_labels,
    multiclass_conflict_graph,
    other_class_distances,
    separation_stats,
)
from tradeoff.theory.multiclass_limit import multiclass_limit
from tradeoff.theory.robust_limit import robust_limit


def _dense(A, B, norm):
    diff = A.astype(np.float64)[:, None, :] - B.astype(np.float64)[None]
    return np.abs(diff).max(-1) if norm == "inf" else np.sqrt((diff**2).sum(-1))


def _alpha_brute(n: int, u, v) -> int:
    """Largest independent set by enumerating all 2^n vertex subsets."""
    masks = ((np.arange(1 << n)[:, None] >> np.arange(n)[None]) & 1).astype(bool)
    ok = ~np.any(masks[:, u] & masks[:, v], axis=1) if len(u) else np.ones(len(masks), bool)
    return int(masks[ok].sum(1).max())


def _grid_instance(points, e: int, norm: str):
    """Integer grid points (coords 0..10) with labels; conflicts decided in integers, independently of the code:
    ``max |dx| <= 2e`` (l_inf) or ``|dx|^2 <= 4e^2`` (l_2). Returns (X, labels, eps, scale, brute-force edges)."""
    P = np.array([p[:-1] for p in points], dtype=np.int64)
    lab = np.array([p[-1] for p in points], dtype=np.int64)
    D = P[:, None, :] - P[None]
    close = np.abs(D).max(-1) <= 2 * e if norm == "inf" else (D**2).sum(-1) <= 4 * e * e
    u, v = np.nonzero(np.triu(close & (lab[:, None] != lab[None]), 1))
    return P.astype(np.float64), lab, e / 10, 10.0, (u, v)


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_graph_edges_equal_dense_distances_and_restriction(norm, dtype):
    rng = np.random.default_rng(11)
    X = rng.integers(0, 256, (60, 12)).astype(dtype)
    y = rng.integers(0, 4, 60)
    X[7] = X[3]  # a duplicate
    y[7] = (y[3] + 1) % 4
    scale = 255.0
    D = _dense(X, X, norm) / scale
    eps = float(np.quantile(D[y[:, None] != y[None]], 0.05)) / 2
    g = multiclass_conflict_graph(X, y, eps, norm, scale)
    want = np.argwhere(np.triu((D <= 2 * eps * (1 + 1e-12)) & (y[:, None] != y[None]), 1))
    assert np.array_equal(np.c_[g.u, g.v], want)
    assert np.allclose(g.dist, D[g.u, g.v], rtol=1e-12)
    assert np.all(y[g.u] != y[g.v]) and g.n_edges > 0 and sum(g.edges_between().values()) == g.n_edges
    small = g.restricted(eps / 2)
    direct = multiclass_conflict_graph(X, y, eps / 2, norm, scale)
    assert np.array_equal(np.c_[small.u, small.v], np.c_[direct.u, direct.v])
    with pytest.raises(ValueError, match="restrict"):
        g.restricted(2 * eps)


def test_two_class_graph_and_distances_equal_the_two_class_code():
    rng = np.random.default_rng(12)
    X, y = rng.random((40, 3)), rng.choice([-1, 1], 40)
    for norm in ("inf", "2"):
        g2 = conflict_graph(X, y, 0.2, norm)
        gm = multiclass_conflict_graph(X, y, 0.2, norm)
        two = {tuple(sorted(p)) for p in zip(g2.pos_index[g2.rows], g2.neg_index[g2.cols])}
        assert two == set(zip(gm.u.tolist(), gm.v.tolist()))
        Xr, yr = rng.random((25, 3)), rng.choice([-1, 1], 25)
        assert np.allclose(other_class_distances(X, y, Xr, yr, norm)[0],
                           opposite_class_distances(X, y, Xr, yr, norm)[0], rtol=0)


def test_other_class_distances_against_dense_many_classes():
    rng = np.random.default_rng(13)
    X, y = rng.random((30, 5)), rng.integers(0, 5, 30)
    Xr, yr = rng.random((35, 5)), rng.integers(0, 5, 35)
    for norm in ("inf", "2"):
        d, ref = other_class_distances(X, y, Xr, yr, norm)
        want = np.where(y[:, None] != yr[None], _dense(X, Xr, norm), np.inf).min(1)
        assert np.allclose(d, want, rtol=1e-12) and np.all(yr[ref] != y)
    s = separation_stats(d, [0.0, d.min() / 2, 10.0])
    assert s["beyond_2eps"]["0"] == 1.0 and s["beyond_2eps"]["10"] == 0.0
    assert s["beyond_2eps"][f"{d.min() / 2:g}"] == pytest.approx(1 - 1 / 30)  # the nearest point touches: not beyond
    for k in s["within_2eps"]:
        assert s["within_2eps"][k] + s["beyond_2eps"][k] == pytest.approx(1.0)
    d1, ref1 = other_class_distances(X, np.zeros(30, int), norm="inf")  # one class: no other class anywhere
    assert np.all(np.isinf(d1)) and np.all(ref1 == -1)


def test_labels_and_edges_are_checked():
    with pytest.raises(ValueError, match="integer class labels"):
        check_labels([0.5, 1.0], 2)
    with pytest.raises(ValueError, match="one label per point"):
        multiclass_conflict_graph(np.zeros((3, 2)), [0, 1], 0.1)
    with pytest.raises(ValueError, match="itself"):
        max_independent_set(3, [0], [0])
    with pytest.raises(ValueError, match="vertices 0..2"):
        max_independent_set(3, [0], [3])
    with pytest.raises(ValueError, match="time_limit"):
        max_independent_set(3, [0], [1], time_limit=float("nan"))


def test_bipartite_detection_matching_and_small_graphs_against_brute_force():
    rng = np.random.default_rng(14)
    for _ in range(150):
        n = int(rng.integers(1, 12))
        p = rng.uniform(0, 0.6)
        E = np.array([(a, b) for a in range(n) for b in range(a + 1, n) if rng.random() < p], dtype=np.int64)
        u, v = (E[:, 0], E[:, 1]) if len(E) else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        alpha = _alpha_brute(n, u, v)
        comp, bip, side = bipartite_sides(n, u, v)
        for c in range(len(bip)):  # bipartite iff its induced edges are properly 2-coloured by `side` ...
            e = comp[u] == c
            assert bip[c] == bool(np.all(side[u[e]] != side[v[e]]))
        if np.all(bip):  # ... and then Koenig's set is a largest one
            got = bipartite_mis(n, u, v, side)
            assert is_independent(got, u, v) and got.sum() == alpha
        r = max_independent_set(n, u, v, rng.integers(0, 4, n))
        assert r.exact and r.lower == r.upper == alpha and r.members.sum() == alpha
        assert is_independent(r.members, u, v)
        g = greedy_independent_set(n, u, v)
        deg = np.bincount(np.r_[u, v], minlength=n)
        assert is_independent(g, u, v) and np.sum(1 / (deg + 1)) - 1e-9 <= g.sum() <= alpha  # Caro-Wei
        assert bipartite_relaxation_bound(n, u, v) >= alpha


def test_odd_cycle_needs_more_than_the_bipartite_relaxation():
    """C5 with classes 0,1,0,1,2: alpha = 2; every merge of the classes into two groups leaves a path (alpha 3)."""
    u, v, parts = np.arange(5), (np.arange(5) + 1) % 5, np.array([0, 1, 0, 1, 2])
    assert bipartite_relaxation_bound(5, u, v, parts) == 3
    bounds = max_independent_set(5, u, v, parts, exact_max_vertices=0)
    assert (bounds.lower, bounds.upper, bounds.exact, bounds.methods["open"]) == (2, 3, False, 1)
    exact = max_independent_set(5, u, v, parts)
    assert (exact.lower, exact.upper, exact.methods["milp"]) == (2, 2, 1)
    assert max_independent_set(5, u, v, parts, time_limit=0).methods["open"] == 1  # no time: bounds only
    members, upper = milp_independent_set(5, u, v, 10.0)
    assert upper == 2 and members.sum() == 2 and is_independent(members, u, v)


def test_swaps_repair_a_greedy_miss():
    """A 6-vertex graph where least-degree greedy stops at 2 vertices while alpha = 3 (brute force); one (1,2)-swap
    reaches 3."""
    E = np.array([[0, 1], [0, 2], [1, 4], [1, 5], [2, 5], [3, 4], [3, 5], [4, 5]])
    u, v = E[:, 0], E[:, 1]
    assert _alpha_brute(6, u, v) == 3
    assert greedy_independent_set(6, u, v, improve=False).sum() == 2
    better = greedy_independent_set(6, u, v)
    assert better.sum() == 3 and is_independent(better, u, v)


@settings(max_examples=80, deadline=None)
@given(points=st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10), st.integers(0, 3)), min_size=1,
                       max_size=11),
       e=st.integers(0, 3), norm=st.sampled_from(["inf", "2"]))
def test_limit_is_the_largest_robust_subset_and_bounds_bracket_it(points, e, norm):
    """Exact limit = brute-force largest conflict-free subset; with the integer program switched off the bounds
    bracket it; the robust set is conflict-free."""
    X, lab, eps, scale, (bu, bv) = _grid_instance(points, e, norm)
    n = len(lab)
    g = multiclass_conflict_graph(X, lab, eps, norm, scale)
    assert set(zip(g.u.tolist(), g.v.tolist())) == set(zip(bu.tolist(), bv.tolist()))
    alpha = _alpha_brute(n, bu, bv)
    lim = multiclass_limit(g)
    assert lim.exact and lim.robust_accuracy == pytest.approx(alpha / n) and lim.n_robust_upper == alpha
    assert is_independent(lim.robust, bu, bv)
    for kw in ({"exact_max_vertices": 0}, {"time_limit": 0.0}):
        b = multiclass_limit(g, **kw)
        assert b.n_robust_lower <= alpha <= b.n_robust_upper and is_independent(b.robust, bu, bv)
        assert b.exact == (b.n_robust_lower == b.n_robust_upper)
        assert (b.robust_accuracy is None) != b.exact
        if len(np.unique(lab)) <= 2:  # two classes: bipartite, exact without any integer program
            assert b.exact and b.n_robust_lower == alpha


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10), st.sampled_from([-1, 1])), min_size=1,
                       max_size=25),
       e=st.integers(0, 3), norm=st.sampled_from(["inf", "2"]))
def test_two_classes_coincide_with_the_matching_limit(points, e, norm):
    X, lab, eps, scale, _ = _grid_instance(points, e, norm)
    two = robust_limit(conflict_graph(X, lab, eps, norm, scale))
    many = multiclass_limit(multiclass_conflict_graph(X, lab, eps, norm, scale), exact_max_vertices=0)
    assert many.exact and many.n_robust_lower == many.n_robust_upper == two.n - two.matching_size


def _grid_classifiers_best(G: int, cells, labels, e: int, C: int) -> int:
    """Every classifier of the 1-d grid {0..G} into C classes (C^(G+1) labellings): the most points (at grid cells
    ``cells``) it gets robustly right at radius e cells, the ball clipped to the box [0, G]."""
    L = np.array(list(itertools.product(range(C), repeat=G + 1)), dtype=np.int8)
    r = np.ones((len(L), len(cells)), bool)
    for k, c in enumerate(cells):
        lo, hi = max(0, c - e), min(G, c + e)
        r[:, k] = np.all(L[:, lo : hi + 1] == labels[k], axis=1)
    return int(r.sum(1).max())


def test_limit_equals_enumeration_of_every_classifier_on_a_grid():
    """The theorem of theory.multiclass_limit, checked directly: on a 1-d grid whose cells contain the balls' ends,
    grid labellings reach what arbitrary classifiers reach, and the best of all 3^(G+1) of them is alpha."""
    rng = np.random.default_rng(16)
    G = 7
    for _ in range(25):
        n = int(rng.integers(2, 7))
        cells, labels = rng.integers(0, G + 1, n), rng.integers(0, 3, n)
        e = int(rng.integers(0, 3))
        g = multiclass_conflict_graph(cells[:, None].astype(np.float64), labels, e / G, "inf", scale=G)
        assert multiclass_limit(g).n_robust_lower == _grid_classifiers_best(G, cells, labels, e, 3), (cells, labels)


def test_hand_made_cases_differ_from_every_two_class_answer():
    """Three classes at 0, 0.1, 0.2 with eps = 0.1: all pairs conflict (touching balls), one point of three can be
    robust, while each pair of classes alone allows 1 of 2 and each merge into two groups 2 of 3. The pentagon (l_2):
    a 5-cycle of conflicts through three classes, limit 2/5, below every pairwise (1/2, 2/3, 2/3) and merged answer."""
    X = np.array([[0.0], [0.1], [0.2]])
    lab = np.array([0, 1, 2])
    lim = multiclass_limit(multiclass_conflict_graph(X, lab, 0.1, "inf"))
    assert lim.exact and lim.robust_accuracy == pytest.approx(1 / 3)
    for a, b in itertools.combinations(range(3), 2):
        keep = np.isin(lab, [a, b])
        pair = robust_limit(conflict_graph(X[keep], np.where(lab[keep] == a, 1, -1), 0.1, "inf"))
        assert pair.robust_accuracy == pytest.approx(1 / 2)
    for group in ([0], [1], [2]):
        merged = robust_limit(conflict_graph(X, np.where(np.isin(lab, group), 1, -1), 0.1, "inf"))
        assert merged.robust_accuracy == pytest.approx(2 / 3)

    angle = 2 * np.pi * np.arange(5) / 5
    P = 0.5 + 0.3 * np.c_[np.cos(angle), np.sin(angle)]  # side 0.353, diagonal 0.571
    lab5 = np.array([0, 1, 0, 1, 2])
    g = multiclass_conflict_graph(P, lab5, 0.2, "2")
    assert g.n_edges == 5
    lim5 = multiclass_limit(g)
    assert lim5.exact and lim5.robust_accuracy == pytest.approx(2 / 5)
    pairwise = []
    for a, b in itertools.combinations(range(3), 2):
        keep = np.isin(lab5, [a, b])
        pairwise.append(robust_limit(conflict_graph(P[keep], np.where(lab5[keep] == a, 1, -1), 0.2, "2")))
    assert sorted(p.robust_accuracy for p in pairwise) == pytest.approx([1 / 2, 2 / 3, 2 / 3])
    bounds = multiclass_limit(g, exact_max_vertices=0)
    assert not bounds.exact and (bounds.lower, bounds.upper) == pytest.approx((2 / 5, 3 / 5))


def test_components_are_solved_separately_and_summed():
    """Two triangles and the pentagon far apart, and a lone point (l_2, eps 0.15): the limit adds up over the
    components, 1 + 1 + 2 + 1 of 12 points, each odd component settled by the integer program."""
    tri = np.array([[0.0, 0.0], [0.05, 0.0], [0.1, 0.0]])
    angle = 2 * np.pi * np.arange(5) / 5
    pent = [0.6, 0.5] + 0.25 * np.c_[np.cos(angle), np.sin(angle)]  # side 0.294 <= 2 eps < diagonal 0.476
    X = np.r_[tri, tri + [0.0, 1.0], pent, [[1.0, 0.0]]]
    lab = np.r_[[0, 1, 2], [0, 1, 2], [0, 1, 0, 1, 2], [1]]
    g = multiclass_conflict_graph(X, lab, 0.15, "2")
    assert g.n_edges == 3 + 3 + 5
    lim = multiclass_limit(g)
    assert lim.exact and lim.n_robust_lower == 5 == _alpha_brute(12, g.u, g.v)
    s = lim.summary()
    assert s["n_components"] == 3 and s["largest_component"] == 5 and s["components_by_method"]["milp"] == 3


def test_multiclass_study_payload_per_split_and_eps():
    from tradeoff.theory.data_limit_study import data_limit_study, multiclass_limit_study

    rng = np.random.default_rng(17)
    Xtr, ytr = rng.integers(0, 256, (45, 6)).astype(np.uint8), rng.integers(0, 3, 45)
    Xte, yte = rng.integers(0, 256, (20, 6)).astype(np.uint8), rng.integers(0, 3, 20)
    p = multiclass_limit_study((Xtr, ytr), (Xte, yte), [0.45, 0.3], "inf")
    assert p["multiclass"] and p["eps"] == [0.3, 0.45] and p["n_per_class"]["test"] == {
        str(c): int((yte == c).sum()) for c in range(3)}
    for split, (X, y) in (("train", (Xtr, ytr)), ("test", (Xte, yte))):
        for row in p["splits"][split]:  # restricted graphs give the limits of graphs built directly at each eps
            direct = multiclass_limit(multiclass_conflict_graph(X, y, row["eps"], "inf"))
            assert row["limit"]["robust_accuracy"] == direct.robust_accuracy and row["limit"]["exact"]
            assert row["graph"]["n_edges"] == direct.n_edges
    d, _ = other_class_distances(Xte, yte, Xtr, ytr, "inf")
    assert p["separation"]["test_to_train"]["distances"].tolist() == sorted(d.tolist())
    # two classes through the many-class route: the two-class study's numbers
    two_tr, two_te = (Xtr, np.where(ytr == 0, 1, -1)), (Xte, np.where(yte == 0, 1, -1))
    many = multiclass_limit_study(two_tr, two_te, [0.3, 0.45], "inf")
    two = data_limit_study(two_tr, two_te, [0.3, 0.45], "inf", frontier=False)
    for split in ("train", "test"):
        for a, b in zip(many["splits"][split], two["splits"][split]):
            assert a["limit"]["robust_accuracy"] == b["limit"]["robust_accuracy"]
    assert many["separation"]["train"]["min"] == two["separation"]["train"]["min"]
    with pytest.raises(ValueError, match="fewer than two classes"):
        multiclass_limit_study((Xtr, np.zeros(45, int)), (Xte, np.zeros(20, int)), [0.1])
    with pytest.raises(ValueError, match="unknown split"):
        multiclass_limit_study((Xtr, ytr), (Xte, yte), [0.1], splits=("val",))
