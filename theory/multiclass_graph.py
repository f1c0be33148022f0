"""The conflict graph of a labelled point set with any number of classes, and each point's distance to the nearest
point of another class (docs/data_frontier.md, "Many classes").

The rule is theory.conflict_graph's, applied to every pair of points with different labels: with the closed
``l_inf`` or ``l_2`` ball of radius ``eps`` intersected with the pixel box ``[0, 1]^d``, the perturbation sets of
``x`` and ``x'`` meet iff ``||x - x'|| <= 2 eps`` (Lemma 1 of docs/data_frontier.md: triangle inequality one way, the
midpoint, which the convex box contains, the other). Two points of the same class never conflict (their balls may
overlap: one label serves both), so with ``C`` classes the graph is ``C``-partite, each class an independent set.

The graph is built class pair by class pair with :func:`theory.conflict_graph.pairs_within` (exact distances in the
data's units, screened by a dense lower bound for ``l_inf``), once at the largest radius; :meth:`MulticlassGraph.
restricted` gives it at any smaller one. :func:`other_class_distances` is the many-class form of Yang et al. 2020's
separation ("A closer look at accuracy vs. robustness"): each point's exact distance to the nearest point of another
class in a reference set, by :func:`theory.conflict_graph.nearest_distance` once per class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .accuracy import canonical_norm, check_eps
from .conflict_graph import THRESHOLD_SLACK, check_points, nearest_distance, pairs_within, separation_summary


def check_labels(y, n: int, what: str = "y") -> np.ndarray:
    """Class labels as int64, one per point; ValueError naming the problem otherwise (not integers, wrong length)."""
    arr = np.asarray(y).reshape(-1)
    if len(arr) != n:
        raise ValueError(f"{what} has {len(arr)} labels for {n} points; give one label per point")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{what} must hold integer class labels (got non-integer values); map classes to ints")
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"{what} must hold integer class labels (got dtype {arr.dtype}); map classes to ints")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class MulticlassGraph:
    """The ``C``-partite conflict graph (module docstring) of ``n`` labelled points at ``eps``.

    ``labels[k]`` is point k's class; edge ``e`` joins points ``u[e] < v[e]`` (row numbers of the input, different
    labels) at exact distance ``dist[e]`` (box units, ``<= 2 eps``)."""

    eps: float
    norm: str
    labels: np.ndarray
    u: np.ndarray
    v: np.ndarray
    dist: np.ndarray

    @property
    def n(self) -> int:
        """Number of points."""
        return int(len(self.labels))

    @property
    def n_edges(self) -> int:
        """Number of conflicting pairs."""
        return int(len(self.u))

    @property
    def classes(self) -> np.ndarray:
        """The distinct labels, increasing."""
        return np.unique(self.labels)

    def n_conflicted(self) -> int:
        """Points with at least one conflict."""
        return int(len(np.union1d(self.u, self.v)))

    def adjacency(self) -> sp.csr_array:
        """Symmetric (n, n) 0/1 adjacency matrix."""
        data = np.ones(2 * self.n_edges, dtype=np.int8)
        return sp.csr_array((data, (np.r_[self.u, self.v], np.r_[self.v, self.u])), shape=(self.n, self.n))

    def restricted(self, eps: float) -> MulticlassGraph:
        """The conflict graph at a smaller ``eps`` (its edges are a subset of this one's)."""
        eps = float(check_eps(eps))
        if eps > self.eps:
            raise ValueError(f"can only restrict to eps <= {self.eps:g} (got {eps:g}); build the graph at that eps")
        keep = self.dist <= 2 * eps * (1 + THRESHOLD_SLACK)
        return MulticlassGraph(eps, self.norm, self.labels, self.u[keep], self.v[keep], self.dist[keep])

    def edges_between(self) -> dict[str, int]:
        """Edges per pair of classes ``"a-b"`` (a < b), only pairs with at least one edge."""
        a, b = self.labels[self.u], self.labels[self.v]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        pairs, counts = np.unique(np.c_[lo, hi], axis=0, return_counts=True) if len(lo) else (np.zeros((0, 2)), [])
        return {f"{int(p[0])}-{int(p[1])}": int(c) for p, c in zip(pairs, counts)}

    def summary(self) -> dict:
        """Sizes for reports: points per class, edges (also per class pair), conflicted points."""
        cls, cnt = np.unique(self.labels, return_counts=True)
        return {"eps": self.eps, "norm": self.norm, "n": self.n, "n_classes": int(len(cls)),
                "n_per_class": {str(int(c)): int(k) for c, k in zip(cls, cnt)}, "n_edges": self.n_edges,
                "n_conflicted": self.n_conflicted(), "edges_between": self.edges_between()}


def multiclass_conflict_graph(X, y, eps: float, norm: str = "inf", scale: float | None = None) -> MulticlassGraph:
    """The conflict graph of points ``X`` (rows; uint8 levels or values in [0, 1], see ``scale``) with integer class
    labels ``y`` at radius ``eps`` (box units): an edge for every pair of different labels within ``2 eps``."""
    norm = canonical_norm(norm)
    eps = float(check_eps(eps))
    X, _, scale = check_points(X, None, scale)
    y = check_labels(y, len(X))
    classes = np.unique(y)
    members = [np.flatnonzero(y == c) for c in classes]
    us, vs, ds = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    radius = 2 * eps * scale * (1 + THRESHOLD_SLACK)
    for a in range(len(classes)):
        for b in range(a + 1, len(classes)):
            i, j, d = pairs_within(X[members[a]], X[members[b]], radius, norm)
            gi, gj = members[a][i], members[b][j]
            us.append(np.minimum(gi, gj))
            vs.append(np.maximum(gi, gj))
            ds.append(d / scale)
    u, v, d = np.concatenate(us), np.concatenate(vs), np.concatenate(ds)
    order = np.lexsort((v, u))
    return MulticlassGraph(eps, norm, y, u[order], v[order], d[order])


def other_class_distances(X, y, X_ref=None, y_ref=None, norm: str = "inf", scale: float | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """For every point of ``(X, y)`` (integer labels): the exact distance (box units) to the nearest point of ANOTHER
    class in the reference set ``(X_ref, y_ref)`` (default: the same set) and that point's row there (inf and -1
    where the reference set has no other class). Yang et al. 2020's separation, any number of classes: a classifier
    robustly correct at ``eps`` on every reference point can be robustly correct on a point only if its distance
    exceeds ``2 eps`` (Lemma 1)."""
    norm = canonical_norm(norm)
    X, _, scale = check_points(X, None, scale)
    y = check_labels(y, len(X))
    if X_ref is None:
        X_ref, y_ref = X, y
    else:
        X_ref, _, _ = check_points(X_ref, None, scale, "X_ref")
        y_ref = check_labels(y_ref, len(X_ref), "y_ref")
        if X_ref.shape[1] != X.shape[1] or X_ref.dtype != X.dtype:
            raise ValueError(f"X_ref must have X's width and dtype ({X.shape[1]}, {X.dtype}), got "
                             f"({X_ref.shape[1]}, {X_ref.dtype})")
    dist = np.full(len(X), np.inf)
    ref = np.full(len(X), -1, dtype=np.int64)
    for c in np.unique(y):
        mine, other = np.flatnonzero(y == c), np.flatnonzero(y_ref != c)
        if len(other) == 0:
            continue
        d, j = nearest_distance(X[mine], X_ref[other], norm)
        dist[mine], ref[mine] = d / scale, other[j]
    return dist, ref


def separation_stats(dist: np.ndarray, eps_values) -> dict:
    """:func:`theory.conflict_graph.separation_summary` (min, quantiles, share within ``2 eps``) plus, per eps, the
    share of points separated by MORE than ``2 eps`` from every point of another class (``beyond_2eps``): the most
    a classifier robustly correct on the whole reference set can get robustly right of these points."""
    out = separation_summary(dist, eps_values)
    dist = np.asarray(dist, dtype=np.float64)
    out["beyond_2eps"] = {f"{float(e):g}": float(np.mean(dist > 2 * float(e) * (1 + THRESHOLD_SLACK)))
                          for e in np.atleast_1d(eps_values)}
    return out
