"""The best robust accuracy ANY classifier reaches on an empirical distribution (docs/data_frontier.md).

Bhagoji et al. 2019 ("Lower bounds on adversarial robustness from optimal transport"), Pydi & Jog 2020: on the
uniform distribution over labelled points ``(x_k, y_k)``, a set ``R`` of points can all be classified robustly at
``eps`` (the whole ball ``B(x, eps)`` intersected with the box labelled ``y``) exactly when no two opposite-class
points of ``R`` conflict (theory.conflict_graph: their balls intersect, ``||x - x'|| <= 2 eps``): label the union of
the balls of R's +1 points +1, that of its -1 points -1 (disjoint by assumption), anything else arbitrarily. So the
best robust accuracy is ``alpha / n`` for ``alpha`` the largest independent set of the bipartite conflict graph,
``alpha = n - tau`` with ``tau`` its smallest vertex cover, and ``tau = nu``, the size of a largest matching (Koenig).
A randomised classifier cannot do better: the independent-set polytope of a bipartite graph is integral (its edge
constraint matrix is totally unimodular), so the linear relaxation has the same optimum.

:func:`robust_limit` returns the matching and a Koenig vertex cover of the same size, a certificate that both are
optimal (every matching is at most every cover), and the robust set (the complement of the cover).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_bipartite_matching

from .conflict_graph import ConflictGraph


@dataclass(frozen=True)
class RobustLimit:
    """Best robust accuracy of any classifier on the points of a conflict graph, with its certificate.

    ``match_pos[i]`` is the -1 point (column) matched to +1 point ``i`` or -1; ``cover_pos`` / ``cover_neg`` are the
    Koenig vertex cover (boolean masks over each side); ``robust_pos`` / ``robust_neg`` the complement, the points
    the optimal classifier gets robustly right."""

    eps: float
    norm: str
    n: int
    n_pos: int
    n_neg: int
    n_edges: int
    n_conflicted: int
    matching_size: int
    robust_accuracy: float
    match_pos: np.ndarray
    cover_pos: np.ndarray
    cover_neg: np.ndarray

    @property
    def robust_pos(self) -> np.ndarray:
        """+1 points robustly correct under the optimal classifier (boolean mask)."""
        return ~self.cover_pos

    @property
    def robust_neg(self) -> np.ndarray:
        """-1 points robustly correct under the optimal classifier (boolean mask)."""
        return ~self.cover_neg

    def summary(self) -> dict:
        """The numbers for reports (no per-point arrays)."""
        return {"eps": self.eps, "norm": self.norm, "n": self.n, "n_pos": self.n_pos, "n_neg": self.n_neg,
                "n_edges": self.n_edges, "n_conflicted": self.n_conflicted, "matching_size": self.matching_size,
                "robust_accuracy": self.robust_accuracy, "robust_error": 1.0 - self.robust_accuracy}


def koenig_cover(adj: sp.csr_array, match_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Koenig's vertex cover from a maximum matching of the bipartite graph ``adj`` (n_pos, n_neg): with ``Z`` the
    vertices reachable from unmatched +1 vertices by alternating paths (+1 -> -1 along any edge, -1 -> +1 along the
    matching), the cover is ``(+1 side minus Z) union (-1 side within Z)``. Returns two boolean masks."""
    n_pos, n_neg = adj.shape
    match_neg = np.full(n_neg, -1, dtype=np.int64)
    matched = np.flatnonzero(match_pos >= 0)
    match_neg[match_pos[matched]] = matched
    seen_pos = match_pos < 0
    seen_neg = np.zeros(n_neg, dtype=bool)
    frontier = np.flatnonzero(seen_pos)
    adj = sp.csr_array(adj)
    while frontier.size:
        sel = sp.csr_array((np.ones(frontier.size), (np.zeros(frontier.size, np.int64), frontier)),
                           shape=(1, n_pos))
        reach = np.flatnonzero((sel @ adj).toarray()[0])
        new_neg = reach[~seen_neg[reach]]
        seen_neg[new_neg] = True
        nxt = match_neg[new_neg]
        nxt = nxt[nxt >= 0]
        nxt = nxt[~seen_pos[nxt]]
        seen_pos[nxt] = True
        frontier = nxt
    return ~seen_pos, seen_neg


def robust_limit(graph: ConflictGraph) -> RobustLimit:
    """The best robust accuracy of any classifier on the points of ``graph`` (module docstring):
    ``1 - nu / n`` with ``nu`` a maximum matching (scipy's Hopcroft-Karp), certified by a Koenig cover."""
    adj = graph.adjacency()
    if graph.n == 0:
        raise ValueError("the conflict graph has no points; give at least one labelled point")
    if graph.n_edges:
        match_pos = np.asarray(maximum_bipartite_matching(adj, perm_type="column"), dtype=np.int64)
    else:
        match_pos = np.full(graph.n_pos, -1, dtype=np.int64)
    nu = int((match_pos >= 0).sum())
    cover_pos, cover_neg = koenig_cover(adj, match_pos)
    if int(cover_pos.sum() + cover_neg.sum()) != nu:  # Koenig's theorem: cannot happen for a maximum matching
        raise RuntimeError(f"vertex cover of size {int(cover_pos.sum() + cover_neg.sum())} != matching {nu}")
    return RobustLimit(
        eps=graph.eps, norm=graph.norm, n=graph.n, n_pos=graph.n_pos, n_neg=graph.n_neg, n_edges=graph.n_edges,
        n_conflicted=graph.n_conflicted(), matching_size=nu, robust_accuracy=1.0 - nu / graph.n,
        match_pos=match_pos, cover_pos=cover_pos, cover_neg=cover_neg,
    )
