"""The data's own trade-off frontier: the best (standard, robust) accuracy pairs ANY classifier reaches on an
empirical distribution (the real-data analogue of Theorem 1's frontier; derivation in docs/data_frontier.md).

Per point k two 0/1 variables: ``s_k`` (classified correctly) and ``r_k`` (robustly correct at eps), ``r_k <= s_k``.
For opposite-class points i (label +1) and j (label -1) at distance ``d`` (theory.conflict_graph):

* ``d <= 2 eps``: ``r_i + r_j <= 1`` (their balls intersect);
* ``d <= eps``:  ``r_i + s_j <= 1`` and ``s_i + r_j <= 1`` (x_j lies in the ball of x_i and vice versa);
* ``d = 0``:     ``s_i + s_j <= 1`` (the same input with both labels).

These constraints are necessary and sufficient for some classifier to realise ``(s, r)``
(docs/data_frontier.md). Complementing the variables of the -1 points (``s'_j = 1 - s_j``, ``r'_j = 1 - r_j``)
turns every constraint into an implication ``u <= v`` between two variables, so the constraint matrix is a network
matrix (totally unimodular: the linear relaxation has integral vertices, randomised classifiers gain nothing beyond
mixtures) and maximising ``a sum s + b sum r`` (integers a, b >= 0) is a maximum-weight closure problem, solved as a
minimum s-t cut (Picard 1976) with scipy's maximum flow. The frontier for mixtures of classifiers (the adversary
sees the coin, as in theory.frontier) is the upper concave envelope of the achievable points; its vertices are found
exactly by dichotomic search over the weight direction (each step one min cut with integer weights normal to a hull
segment), between the two lexicographic optima (most standard-correct points, then most robust; and the reverse).
Only points with a conflict enter the network; the others are always robustly correct.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from .conflict_graph import THRESHOLD_SLACK, ConflictGraph

#: scipy's maximum flow stores capacities as 32-bit integers.
MAX_CAPACITY = 2**31 - 1


@dataclass(frozen=True)
class Assignment:
    """An optimal ``(s, r)`` for one weight pair: boolean masks over the +1 and the -1 points of the graph."""

    s_pos: np.ndarray
    r_pos: np.ndarray
    s_neg: np.ndarray
    r_neg: np.ndarray

    @property
    def n_standard(self) -> int:
        """Number of standard-correct points."""
        return int(self.s_pos.sum() + self.s_neg.sum())

    @property
    def n_robust(self) -> int:
        """Number of robustly correct points."""
        return int(self.r_pos.sum() + self.r_neg.sum())


def feasible(graph: ConflictGraph, a: Assignment) -> bool:
    """Whether ``a`` satisfies every constraint of the module docstring on ``graph`` (an independent check)."""
    d = graph.dist
    tol = 1 + THRESHOLD_SLACK
    i, j = graph.rows, graph.cols
    ok = bool(np.all(a.r_pos <= a.s_pos) and np.all(a.r_neg <= a.s_neg))
    ok &= not np.any(a.r_pos[i] & a.r_neg[j])
    near = d <= graph.eps * tol
    ok &= not np.any(near & ((a.r_pos[i] & a.s_neg[j]) | (a.s_pos[i] & a.r_neg[j])))
    ok &= not np.any((d == 0) & a.s_pos[i] & a.s_neg[j])
    return ok


def _network(graph: ConflictGraph):
    """Nodes and implication arcs of the closure problem on the conflicted points only."""
    cp, cn = np.unique(graph.rows), np.unique(graph.cols)
    ip, jn = np.searchsorted(cp, graph.rows), np.searchsorted(cn, graph.cols)
    P, N = len(cp), len(cn)
    # node numbers: S_i = i, R_i = P + i, S'_j = 2P + j, R'_j = 2P + N + j; source 2P + 2N, sink + 1
    S, R = np.arange(P), P + np.arange(P)
    Sb, Rb = 2 * P + np.arange(N), 2 * P + N + np.arange(N)
    tails = [R, Sb]  # r_i <= s_i ; s'_j <= r'_j
    heads = [S, Rb]
    tails.append(R[ip])  # r_i + r_j <= 1
    heads.append(Rb[jn])
    near = graph.dist <= graph.eps * (1 + THRESHOLD_SLACK)
    tails += [R[ip[near]], S[ip[near]]]  # r_i + s_j <= 1 ; s_i + r_j <= 1
    heads += [Sb[jn[near]], Rb[jn[near]]]
    same = graph.dist == 0
    tails.append(S[ip[same]])  # s_i + s_j <= 1
    heads.append(Sb[jn[same]])
    return cp, cn, np.concatenate(tails), np.concatenate(heads)


def best_assignment(graph: ConflictGraph, a: int, b: int, network=None) -> Assignment:
    """An assignment maximising ``a * #standard-correct + b * #robust-correct`` (integers a, b >= 0) by a minimum cut
    (module docstring). Points without a conflict are set correct and robust."""
    if not (isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)) and a >= 0 and b >= 0):
        raise ValueError(f"weights a, b must be integers >= 0 (got {a!r}, {b!r})")
    a, b = int(a), int(b)
    cp, cn, tails, heads = network if network is not None else _network(graph)
    P, N = len(cp), len(cn)
    s_pos, r_pos = np.ones(graph.n_pos, bool), np.ones(graph.n_pos, bool)
    s_neg, r_neg = np.ones(graph.n_neg, bool), np.ones(graph.n_neg, bool)
    if P + N == 0:
        return Assignment(s_pos, r_pos, s_neg, r_neg)
    finite = (a + b) * (P + N)
    inf = finite + 1
    if inf > MAX_CAPACITY:
        raise ValueError(f"weights too large for 32-bit capacities ({a}, {b} on {P + N} points); use smaller ones")
    src, snk = 2 * (P + N), 2 * (P + N) + 1
    t = np.concatenate([np.full(2 * P, src), 2 * P + np.arange(2 * N), tails])
    h = np.concatenate([np.arange(2 * P), np.full(2 * N, snk), heads])
    cap = np.concatenate([np.full(P, a), np.full(P, b), np.full(N, a), np.full(N, b), np.full(len(tails), inf)])
    keep = cap > 0
    n_nodes = 2 * (P + N) + 2
    C = sp.csr_array((cap[keep].astype(np.int32), (t[keep], h[keep])), shape=(n_nodes, n_nodes))
    C.sum_duplicates()
    flow = maximum_flow(C, src, snk).flow
    residual = sp.csr_array(C - flow)
    residual.data = (residual.data > 0).astype(np.int8)
    residual.eliminate_zeros()
    reach = np.zeros(n_nodes, bool)
    reach[breadth_first_order(residual, src, directed=True, return_predecessors=False)] = True
    s_pos[cp] = reach[:P]
    r_pos[cp] = reach[P : 2 * P]
    s_neg[cn] = ~reach[2 * P : 2 * P + N]
    r_neg[cn] = ~reach[2 * P + N : 2 * P + 2 * N]
    return Assignment(s_pos, r_pos, s_neg, r_neg)


@dataclass(frozen=True)
class DataFrontier:
    """Vertices of the data's frontier (module docstring), ordered by decreasing standard accuracy: counts
    ``n_standard`` / ``n_robust`` out of ``n`` points and the accuracies."""

    eps: float
    norm: str
    n: int
    n_standard: np.ndarray
    n_robust: np.ndarray
    n_cuts: int

    @property
    def standard(self) -> np.ndarray:
        """Standard accuracy of each vertex."""
        return self.n_standard / self.n

    @property
    def robust(self) -> np.ndarray:
        """Robust accuracy of each vertex."""
        return self.n_robust / self.n

    def robust_at(self, standard) -> np.ndarray:
        """Best robust accuracy of a mixture with standard accuracy >= ``standard`` (NaN above the best)."""
        t = np.asarray(standard, dtype=np.float64)
        s, r = self.standard[::-1], self.robust[::-1]
        out = np.interp(t, s, r)
        out = np.where(t <= s[0], r[0], out)
        return np.where(t > s[-1] + 1e-12, np.nan, out)

    def to_payload(self) -> dict:
        """JSON-ready dict (a ``data.frontier`` entry of ``data.limit`` result files)."""
        return {"eps": self.eps, "norm": self.norm, "n": self.n, "n_standard": self.n_standard.tolist(),
                "n_robust": self.n_robust.tolist(), "standard": self.standard.tolist(),
                "robust": self.robust.tolist(), "n_cuts": self.n_cuts}


def data_frontier(graph: ConflictGraph) -> DataFrontier:
    """The vertices of the data's frontier on the points of ``graph`` (module docstring), exactly."""
    if graph.n == 0:
        raise ValueError("the conflict graph has no points; give at least one labelled point")
    net = _network(graph)
    big = len(net[0]) + len(net[1]) + 1  # only conflicted points vary: their count bounds any change of a sum
    cuts = 0

    def solve(a: int, b: int) -> tuple[int, int]:
        nonlocal cuts
        cuts += 1
        x = best_assignment(graph, a, b, net)
        return x.n_standard, x.n_robust

    top = solve(big, 1)  # most standard-correct points, then most robust
    bottom = solve(1, big)  # most robust points, then most standard-correct
    vertices = {top, bottom}
    stack = [(top, bottom)] if top != bottom else []
    while stack:
        (s1, r1), (s2, r2) = stack.pop()  # s1 > s2, r1 < r2
        a, b = r2 - r1, s1 - s2
        g = math.gcd(a, b)
        a, b = a // g, b // g
        p = solve(a, b)
        if a * p[0] + b * p[1] > a * s1 + b * r1:
            vertices.add(p)
            stack += [((s1, r1), p), (p, (s2, r2))]
    v = sorted(vertices, key=lambda q: (-q[0], q[1]))
    return DataFrontier(graph.eps, graph.norm, graph.n, np.array([q[0] for q in v]), np.array([q[1] for q in v]), cuts)
