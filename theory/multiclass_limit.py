"""The best robust accuracy ANY deterministic classifier reaches on an empirical distribution with ``C >= 2``
classes: the largest independent set of the ``C``-partite conflict graph (docs/data_frontier.md, "Many classes").

Setting: points ``x_1..x_n`` in the box ``[0, 1]^d`` with labels ``y_k`` in ``C`` classes, each of mass ``1/n``; the
adversary moves ``x_k`` anywhere in ``U(x_k) = B(x_k, eps) ∩ [0, 1]^d`` (closed l_inf or l_2 ball). A classifier is
any function ``f`` from the box to the classes; it is robustly correct on k if ``f(z) = y_k`` for all ``z`` in
``U(x_k)``.

**Theorem.** A set ``S`` of points can all be robustly correct under one classifier iff no two points of ``S`` with
different labels conflict (``U(x_i) ∩ U(x_j) ≠ ∅``, i.e. ``||x_i - x_j|| <= 2 eps``: theory.multiclass_graph). So the
best robust accuracy is ``alpha(G) / n``, ``alpha`` the size of a largest independent set of the conflict graph G.
*Proof.* If ``i, j`` in S have different labels and ``z`` lies in both sets, ``f(z)`` cannot equal both labels.
Conversely, if no such pair conflicts, set ``f(z) = y_k`` for ``z`` in ``U(x_k)``, ``k`` in S, and anything
elsewhere: a ``z`` in several of these sets gets the same label from each, since sets of different labels are
disjoint; so ``f`` is well defined and robustly correct on all of S. ∎

Which classifiers. The limit is for deterministic (hard-label) classifiers; a mixture whose draw the adversary sees
(as in theory.frontier) averages deterministic ones and does no better. A *soft* classifier scored by
``min_{z in U(x)} P(f(z) = y)`` (the adversary does not see the coin) can do better when ``C >= 3``: Dai et al. 2023
("Characterizing the optimal 0-1 loss for multi-class classification with a test-time attacker") give its optimum as
a linear program over the conflict *hypergraph* (sets of points of distinct labels whose perturbation sets share a
common point), where the pairwise graph no longer suffices; e.g. three l_2 balls that meet pairwise but have no
common point allow robust probability 1/2 each, against 1/3 of the points for a hard classifier. For two classes a
hyperedge has at most two points and the bipartite relaxation is integral, so the hard and soft limits coincide:
``1 - nu / n`` with ``nu`` a maximum matching (Bhagoji et al. 2019, "Lower bounds on adversarial robustness from
optimal transport"; Pydi & Jog 2020, optimal-transport characterisation of the eps-robust risk; here
theory.robust_limit). For the hard classifiers counted here the pairwise graph is exact for every ``C``.

Computation (theory.independent_set): components one by one, bipartite ones (including all of them when ``C = 2``)
exactly by matching, the others by an integer program within a time limit; where that does not settle a component
its size is bracketed by a feasible set and an upper bound (solver's dual bound, or the best merge of the classes into
two groups: every such merge is a two-class problem whose limit bounds the many-class one from above, since a
many-class classifier robustly correct on a point is, merged, robustly correct on it). :class:`MulticlassLimit`
reports ``exact`` and, always, the bracket ``lower <= limit <= upper``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .independent_set import EXACT_MAX_EDGES, EXACT_MAX_VERTICES, TIME_LIMIT_S, IndependentSet, max_independent_set
from .multiclass_graph import MulticlassGraph


@dataclass(frozen=True)
class MulticlassLimit:
    """Best robust accuracy of any deterministic classifier on the points of a conflict graph (module docstring):
    ``n_robust_lower <= alpha <= n_robust_upper``; ``robust`` marks the points of a feasible robust set (size
    ``n_robust_lower``)."""

    eps: float
    norm: str
    n: int
    n_classes: int
    n_edges: int
    n_conflicted: int
    mis: IndependentSet

    @property
    def exact(self) -> bool:
        """Whether the limit is known exactly."""
        return self.mis.exact

    @property
    def n_robust_lower(self) -> int:
        """Points of a feasible robust set (a classifier gets them all robustly right)."""
        return self.mis.lower

    @property
    def n_robust_upper(self) -> int:
        """Proven bound: no classifier gets more points robustly right."""
        return self.mis.upper

    @property
    def robust(self) -> np.ndarray:
        """Boolean mask of the feasible robust set."""
        return self.mis.members

    @property
    def lower(self) -> float:
        """Lower bound on the best robust accuracy (reached by a classifier)."""
        return self.mis.lower / self.n

    @property
    def upper(self) -> float:
        """Upper bound on the best robust accuracy."""
        return self.mis.upper / self.n

    @property
    def robust_accuracy(self) -> float | None:
        """The best robust accuracy when exact, else None (use the bounds)."""
        return self.lower if self.exact else None

    def summary(self) -> dict:
        """The numbers for reports (no per-point arrays)."""
        return {"eps": self.eps, "norm": self.norm, "n": self.n, "n_classes": self.n_classes,
                "n_edges": self.n_edges, "n_conflicted": self.n_conflicted, "exact": self.exact,
                "robust_accuracy": self.robust_accuracy, "robust_accuracy_lower": self.lower,
                "robust_accuracy_upper": self.upper, "n_robust_lower": self.n_robust_lower,
                "n_robust_upper": self.n_robust_upper, "n_components": self.mis.n_components,
                "largest_component": self.mis.largest_component, "components_by_method": dict(self.mis.methods),
                "milp_seconds": self.mis.milp_seconds}


def multiclass_limit(graph: MulticlassGraph, exact_max_vertices: int = EXACT_MAX_VERTICES,
                     exact_max_edges: int = EXACT_MAX_EDGES, time_limit: float = TIME_LIMIT_S) -> MulticlassLimit:
    """The best robust accuracy of any deterministic classifier on the points of ``graph``: ``alpha(G) / n``
    (module docstring), exact where theory.independent_set settles every component, else bracketed; the integer
    program gets components up to ``exact_max_vertices`` / ``exact_max_edges`` and ``time_limit`` seconds in all."""
    if graph.n == 0:
        raise ValueError("the conflict graph has no points; give at least one labelled point")
    mis = max_independent_set(graph.n, graph.u, graph.v, graph.labels, exact_max_vertices, exact_max_edges,
                              time_limit)
    return MulticlassLimit(graph.eps, graph.norm, graph.n, int(len(graph.classes)), graph.n_edges,
                           graph.n_conflicted(), mis)
