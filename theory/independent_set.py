"""The largest independent set of a graph: exact component by component where a method allows it, else bracketed by
a feasible set (lower bound) and a proven upper bound (docs/data_frontier.md, "Many classes").

The independence number ``alpha`` of a graph is the sum of those of its connected components (an independent set is
a union of independent sets of the components, chosen separately), so each component is settled on its own:

* **one vertex**: it is in the set;
* **bipartite** (2-colourable; found for all components at once from the bipartite double cover, which has two
  components for a bipartite component and one otherwise): ``alpha = |V| - nu`` with ``nu`` a maximum matching
  (Koenig's theorem; scipy's Hopcroft-Karp, certified by theory.robust_limit.koenig_cover);
* **other components** (for a ``C``-partite graph with ``C >= 3``: an odd cycle through three or more classes):
  maximum independent set is NP-hard in general. A component of at most ``exact_max_vertices`` vertices and
  ``exact_max_edges`` edges is given to the integer program ``max sum x  s.t.  x_a + x_b <= 1`` per edge, ``x`` in
  {0, 1} (scipy.optimize.milp: HiGHS branch and cut, relative gap 0), within what is left of a ``time_limit``
  shared by all components. Its answer is accepted as exact only through a certificate: the returned set is checked
  independent here, and the solver's dual bound (rounded down, after a 1e-6 tolerance for floating point) equals its
  size.

Bounds for a component that is not settled (too large, or out of time):

* lower: the larger of the solver's best set and a greedy one (repeatedly take a vertex of least remaining degree
  and delete its neighbours; it reaches at least the Caro-Wei bound ``sum_v 1/(deg v + 1)``) improved by
  (1,2)-swaps (drop one set vertex, add two non-adjacent vertices whose only set neighbour it was) until none
  applies;
* upper: the smaller of the solver's dual bound and a **bipartite relaxation**: for any 2-colouring of the vertices,
  the edges joining the two colours form a bipartite subgraph ``H``, and deleting edges can only enlarge independent
  sets, so ``alpha(G) <= alpha(H) = |V| - nu(H)`` (Koenig). Tried: every split of the ``parts`` present (for a
  conflict graph, every merge of the classes into two groups: the merged two-class problem's limit), up to
  ``2^(MAX_SPLIT_PARTS - 1) - 1`` splits, and the parity of a breadth-first search. A component whose lower and
  upper bounds meet is settled too.

The sum of the components' bounds brackets ``alpha``; the answer is exact when every component is settled.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import breadth_first_order, connected_components, maximum_bipartite_matching

from .robust_limit import koenig_cover

#: Largest component (vertices / edges) given to the integer program.
EXACT_MAX_VERTICES = 10_000
EXACT_MAX_EDGES = 1_000_000
#: Seconds of integer programming shared by all components of one call.
TIME_LIMIT_S = 60.0
#: Splits of the parts tried for the bipartite relaxation: all of them up to this many parts in a component.
MAX_SPLIT_PARTS = 10
#: Tolerance on the solver's floating-point dual bound before it is rounded down.
DUAL_TOL = 1e-6


@dataclass(frozen=True)
class IndependentSet:
    """An independent set ``members`` (boolean mask over the ``n`` vertices) of size ``lower`` and a proven upper
    bound ``upper`` on the largest one (equal when ``exact``). ``methods``: how many components with an edge were
    settled by each method (``bipartite``, ``milp``, ``bounds_meet``) and how many are left ``open``."""

    n: int
    members: np.ndarray
    lower: int
    upper: int
    n_components: int
    largest_component: int
    methods: dict = field(default_factory=dict)
    milp_seconds: float = 0.0

    @property
    def exact(self) -> bool:
        """Whether the largest independent set is known exactly (``lower == upper``)."""
        return self.lower == self.upper


def check_edges(n: int, u, v) -> tuple[np.ndarray, np.ndarray]:
    """Edge endpoints as int64 arrays of vertices ``0..n-1`` without self-loops; ValueError naming the problem."""
    u, v = np.asarray(u, dtype=np.int64).reshape(-1), np.asarray(v, dtype=np.int64).reshape(-1)
    if len(u) != len(v):
        raise ValueError(f"u and v must have one entry per edge (got {len(u)} and {len(v)})")
    if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        raise ValueError(f"edge endpoints must be vertices 0..{n - 1}")
    if np.any(u == v):
        raise ValueError("a vertex is joined to itself; a conflict graph has no self-loops")
    return u, v


def is_independent(members: np.ndarray, u: np.ndarray, v: np.ndarray) -> bool:
    """Whether no edge ``(u_e, v_e)`` has both ends in ``members`` (boolean mask)."""
    return not bool(np.any(members[u] & members[v]))


def _adjacency(n: int, u: np.ndarray, v: np.ndarray) -> sp.csr_array:
    data = np.ones(2 * len(u), dtype=np.int8)
    adj = sp.csr_array((data, (np.r_[u, v], np.r_[v, u])), shape=(n, n))
    adj.sum_duplicates()
    return adj


def bipartite_sides(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(comp, bipartite, side)``: each vertex's component, whether each component is bipartite, and a 2-colouring
    (0/1, proper on the bipartite components). Vertex ``w`` of the double cover is ``(w, 0)`` = w and ``(w, 1)`` =
    w + n, edges ``(a,0)-(b,1)`` and ``(a,1)-(b,0)``; ``(w, 0)`` and ``(w, 1)`` are joined iff an odd closed walk
    passes through w's component, and in a bipartite component ``(w, 0)`` is joined to ``(root, 0)`` iff w is on the
    root's side."""
    adj = _adjacency(n, u, v)
    n_comp, comp = connected_components(adj, directed=False)
    cover = _adjacency(2 * n, np.r_[u, u + n], np.r_[v + n, v])
    _, lab = connected_components(cover, directed=False)
    bip_vertex = lab[:n] != lab[n:]
    bipartite = np.ones(n_comp, bool)
    bipartite[comp[~bip_vertex]] = False
    root = np.full(n_comp, n, dtype=np.int64)
    np.minimum.at(root, comp, np.arange(n))
    side = (lab[:n] != lab[root[comp]]).astype(np.int8)
    return comp, bipartite, side


def bipartite_mis(n: int, u: np.ndarray, v: np.ndarray, side: np.ndarray) -> np.ndarray:
    """A largest independent set (boolean mask over ``n``) of a bipartite graph with proper 2-colouring ``side``:
    the complement of a Koenig vertex cover of a maximum matching."""
    if np.any(side[u] == side[v]):
        raise ValueError("side is not a proper 2-colouring of the edges")
    left, right = np.flatnonzero(side == 0), np.flatnonzero(side == 1)
    pos = np.empty(n, dtype=np.int64)
    pos[left], pos[right] = np.arange(len(left)), np.arange(len(right))
    a = np.where(side[u] == 0, u, v)
    b = np.where(side[u] == 0, v, u)
    bi = sp.csr_array((np.ones(len(a), np.int8), (pos[a], pos[b])), shape=(len(left), len(right)))
    bi.sum_duplicates()
    if len(a):
        match = np.asarray(maximum_bipartite_matching(bi, perm_type="column"), dtype=np.int64)
    else:
        match = np.full(len(left), -1, dtype=np.int64)
    cover_l, cover_r = koenig_cover(bi, match)
    if int(cover_l.sum() + cover_r.sum()) != int((match >= 0).sum()):  # Koenig: cannot happen
        raise RuntimeError("Koenig cover and maximum matching differ in size")
    out = np.ones(n, dtype=bool)
    out[left[cover_l]] = False
    out[right[cover_r]] = False
    return out


def _matching_size(n: int, u: np.ndarray, v: np.ndarray, side: np.ndarray) -> int:
    """Size of a maximum matching among the edges whose ends have different ``side``."""
    cross = side[u] != side[v]
    if not np.any(cross):
        return 0
    a = np.where(side[u] == 0, u, v)[cross]
    b = np.where(side[u] == 0, v, u)[cross]
    bi = sp.csr_array((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    bi.sum_duplicates()
    return int((np.asarray(maximum_bipartite_matching(bi, perm_type="column")) >= 0).sum())


def bipartite_relaxation_bound(n: int, u: np.ndarray, v: np.ndarray, parts: np.ndarray | None = None) -> int:
    """Upper bound ``min_H (n - nu(H))`` on the largest independent set over the bipartite subgraphs H given by the
    2-colourings of the module docstring (every split of ``parts`` when at most MAX_SPLIT_PARTS occur, and the
    parity of a breadth-first search from each component's first vertex)."""
    u, v = check_edges(n, u, v)
    if len(u) == 0:
        return n
    adj = _adjacency(n, u, v)
    depth = np.full(n, -1, dtype=np.int64)
    for r in range(n):  # breadth-first layers, one search per component
        if depth[r] >= 0:
            continue
        order, pred = breadth_first_order(adj, r, directed=False, return_predecessors=True)
        depth[r] = 0
        for w in order[1:]:
            depth[w] = depth[pred[w]] + 1
    colourings = [(depth % 2).astype(np.int8)]
    if parts is not None:
        present, code = np.unique(np.asarray(parts), return_inverse=True)
        k = len(present)
        if 2 <= k <= MAX_SPLIT_PARTS:
            for mask in range(1, 1 << (k - 1)):  # part 0 on side 0; every other split of the parts into two groups
                groups = np.array([0] + [(mask >> (i - 1)) & 1 for i in range(1, k)], dtype=np.int8)
                colourings.append(groups[code])
    return min(n - _matching_size(n, u, v, side) for side in colourings)


def greedy_independent_set(n: int, u: np.ndarray, v: np.ndarray, improve: bool = True) -> np.ndarray:
    """A maximal independent set (boolean mask): least-remaining-degree greedy, then (1,2)-swaps until none applies
    (module docstring). Its size is at least ``sum_v 1/(deg v + 1)`` (Caro-Wei)."""
    u, v = check_edges(n, u, v)
    adj = _adjacency(n, u, v)
    nbrs = [adj.indices[adj.indptr[w] : adj.indptr[w + 1]].tolist() for w in range(n)]
    deg = np.diff(adj.indptr).astype(np.int64).tolist()
    alive = [True] * n
    heap = [(deg[w], w) for w in range(n)]
    heapq.heapify(heap)
    inset = [False] * n
    while heap:
        d, w = heapq.heappop(heap)
        if not alive[w] or d != deg[w]:
            continue
        inset[w] = True
        alive[w] = False
        for x in nbrs[w]:
            if alive[x]:
                alive[x] = False
                for z in nbrs[x]:
                    if alive[z]:
                        deg[z] -= 1
                        heapq.heappush(heap, (deg[z], z))
    if improve:
        _swap_improve(nbrs, inset)
    out = np.array(inset, dtype=bool)
    if not is_independent(out, u, v):  # the construction makes this impossible; a cheap guard
        raise RuntimeError("greedy produced a set that is not independent")
    return out


def _swap_improve(nbrs: list[list[int]], inset: list[bool]) -> None:
    """(1,2)-swaps in place on a maximal independent set: for a set vertex x, two non-adjacent vertices whose only
    set neighbour is x replace it; vertices left with no set neighbour are then added (gain >= 1 each time)."""
    n = len(nbrs)
    tight = [sum(inset[z] for z in nbrs[w]) if not inset[w] else 0 for w in range(n)]
    adjset = [set(a) for a in nbrs]
    todo = [w for w in range(n) if inset[w]]
    while todo:
        x = todo.pop()
        if not inset[x]:
            continue
        cand = [w for w in nbrs[x] if tight[w] == 1]
        pair = None
        for i, a in enumerate(cand):
            rest = [b for b in cand[i + 1 :] if b not in adjset[a]]
            if rest:
                pair = (a, rest[0])
                break
        if pair is None:
            continue
        inset[x] = False
        for z in nbrs[x]:
            tight[z] -= 1
        tight[x] = 0
        added = list(pair)
        for a in pair:
            inset[a] = True
            for z in nbrs[a]:
                if not inset[z]:
                    tight[z] += 1
        for z in [x, *nbrs[x]]:  # vertices that lost their only set neighbour and touch neither new vertex
            if not inset[z] and tight[z] == 0:
                inset[z] = True
                added.append(z)
                for y in nbrs[z]:
                    if not inset[y]:
                        tight[y] += 1
        changed = set(nbrs[x])
        for a in added:
            tight[a] = 0
            changed.update(nbrs[a])
        todo.extend(added)  # set vertices next to a vertex whose tightness changed may now have a swap
        todo.extend({y for z in changed for y in nbrs[z] if inset[y]})


def milp_independent_set(n: int, u: np.ndarray, v: np.ndarray, time_limit: float) -> tuple[np.ndarray | None, int]:
    """The integer program of the module docstring by scipy.optimize.milp (HiGHS, relative gap 0) within
    ``time_limit`` seconds: ``(best set found or None, upper bound from the dual bound)``; the set is checked
    independent."""
    u, v = check_edges(n, u, v)
    m = len(u)
    A = sp.csr_array((np.ones(2 * m), (np.r_[np.arange(m), np.arange(m)], np.r_[u, v])), shape=(m, n))
    res = milp(-np.ones(n), constraints=LinearConstraint(A, -np.inf, 1.0), integrality=np.ones(n),
               bounds=Bounds(0.0, 1.0), options={"time_limit": max(float(time_limit), 0.01), "mip_rel_gap": 0.0,
                                                 "presolve": True, "disp": False})
    members = None
    if res.x is not None:
        members = np.asarray(res.x) > 0.5
        if not is_independent(members, u, v):
            members = None
    dual = getattr(res, "mip_dual_bound", None)
    if res.status == 0 and dual is None:
        dual = res.fun
    upper = n if dual is None or not np.isfinite(dual) else min(n, int(np.floor(-dual + DUAL_TOL)))
    return members, upper


def max_independent_set(n: int, u, v, parts=None, exact_max_vertices: int = EXACT_MAX_VERTICES,
                        exact_max_edges: int = EXACT_MAX_EDGES, time_limit: float = TIME_LIMIT_S) -> IndependentSet:
    """The largest independent set of the graph on vertices ``0..n-1`` with edges ``(u_e, v_e)``, exact by components
    where possible, else bounds (module docstring). ``parts``: a label per vertex whose splits are tried for the
    upper bound (the classes of a conflict graph); ``time_limit``: seconds of integer programming in all."""
    if not (isinstance(n, (int, np.integer)) and n >= 0):
        raise ValueError(f"n must be an integer >= 0 (got {n!r})")
    n = int(n)
    u, v = check_edges(n, u, v)
    if parts is not None:
        parts = np.asarray(parts).reshape(-1)
        if len(parts) != n:
            raise ValueError(f"parts has {len(parts)} labels for {n} vertices; give one per vertex")
    if not (time_limit >= 0):
        raise ValueError(f"time_limit must be a number of seconds >= 0 (got {time_limit!r})")
    members = np.ones(n, dtype=bool)
    methods = {"bipartite": 0, "milp": 0, "bounds_meet": 0, "open": 0}
    if len(u) == 0:
        return IndependentSet(n, members, n, n, 0, 1 if n else 0, methods)
    comp, bipartite, side = bipartite_sides(n, u, v)
    has_edge = np.zeros(len(bipartite), bool)
    has_edge[comp[u]] = True
    sizes = np.bincount(comp, minlength=len(bipartite))
    bip_edges = bipartite[comp[u]]
    if np.any(bip_edges):
        got = bipartite_mis(n, u[bip_edges], v[bip_edges], np.where(bipartite[comp], side, 0).astype(np.int8))
        in_bip = bipartite[comp]
        members[in_bip] = got[in_bip]
    methods["bipartite"] = int(np.sum(has_edge & bipartite))
    hard = np.flatnonzero(has_edge & ~bipartite)
    upper = int(members[~np.isin(comp, hard)].sum())  # isolated vertices and bipartite components: exact
    hard = hard[np.argsort(sizes[hard], kind="stable")]  # small components first: most are settled in the budget
    vorder = np.argsort(comp, kind="stable")
    vstart = np.r_[0, np.cumsum(sizes)]
    eorder = np.argsort(comp[u], kind="stable")
    ecount = np.bincount(comp[u], minlength=len(bipartite))
    estart = np.r_[0, np.cumsum(ecount)]
    local = np.empty(n, dtype=np.int64)
    spent = 0.0
    for c in hard:
        verts = vorder[vstart[c] : vstart[c + 1]]
        e = eorder[estart[c] : estart[c + 1]]
        local[verts] = np.arange(len(verts))
        lu, lv = local[u[e]], local[v[e]]
        k = len(verts)
        best = greedy_independent_set(k, lu, lv)
        hi = k
        settled = None
        if k <= exact_max_vertices and len(e) <= exact_max_edges and spent < time_limit:
            t0 = time.perf_counter()
            found, hi = milp_independent_set(k, lu, lv, time_limit - spent)
            spent += time.perf_counter() - t0
            if found is not None and found.sum() > best.sum():
                best = found
            settled = "milp" if int(best.sum()) >= hi else None
        if settled is None:
            hi = min(hi, bipartite_relaxation_bound(k, lu, lv, None if parts is None else parts[verts]))
            settled = "bounds_meet" if int(best.sum()) >= hi else "open"
        if int(best.sum()) > hi:  # a valid bound cannot be below a checked independent set
            raise RuntimeError(f"upper bound {hi} below an independent set of size {int(best.sum())}")
        members[verts] = best
        upper += hi
        methods[settled] += 1
    lower = int(members.sum())
    if not is_independent(members, u, v):  # every piece was checked; the union of components' sets is independent
        raise RuntimeError("the combined set is not independent")
    return IndependentSet(n, members, lower, upper, int(has_edge.sum()), int(sizes[has_edge].max()),
                          methods, spent)
