"""The data's own limit, per split and radius, as one result payload (``data.limit``).

Two classes (:func:`data_limit_study`): for each split (the training and the test set, each as its own empirical
distribution) and each eps: the conflict graph's size, the best robust accuracy of any classifier
(theory.robust_limit) and the data's frontier (theory.data_frontier). Beside them the separation statistics of Yang
et al. 2020: each test point's exact distance to the nearest training point of the other class, and (optionally) each
training point's distance to the nearest training point of the other class.

Many classes (:func:`multiclass_limit_study`): the same per split and eps with the ``C``-partite conflict graph
(theory.multiclass_graph) and the best robust accuracy of any deterministic classifier, exact or bracketed
(theory.multiclass_limit); separation to the nearest point of ANOTHER class. No frontier: with three or more classes
the two-class min-cut construction does not apply (docs/data_frontier.md). docs/data_frontier.md has the maths.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .accuracy import canonical_norm, check_eps
from .conflict_graph import check_points, conflict_graph, opposite_class_distances, separation_summary
from .data_frontier import data_frontier
from .independent_set import EXACT_MAX_EDGES, EXACT_MAX_VERTICES, TIME_LIMIT_S
from .multiclass_graph import check_labels, multiclass_conflict_graph, other_class_distances, separation_stats
from .multiclass_limit import multiclass_limit
from .robust_limit import robust_limit

#: A conflict graph with more edges than this is refused (memory; at such radii nearly every pair conflicts).
MAX_EDGES = 20_000_000


def _graph_at_largest(eps_values, build: Callable):
    """The radii sorted and deduplicated, and ``build(largest eps)``, refused above MAX_EDGES edges."""
    eps_values = sorted({float(check_eps(e)) for e in np.atleast_1d(eps_values)})
    if not eps_values:
        raise ValueError("give at least one eps")
    graph = build(eps_values[-1])
    if graph.n_edges > MAX_EDGES:
        raise ValueError(f"{graph.n_edges} conflicting pairs at eps={eps_values[-1]:g} (limit {MAX_EDGES}): nearly "
                         "every pair conflicts there; choose a smaller eps")
    return eps_values, graph


def split_limits(X, y, eps_values, norm: str = "inf", scale: float | None = None, frontier: bool = True,
                 progress: Callable[[str], None] | None = None) -> list[dict]:
    """Per eps (increasing): graph size, robust limit and (if ``frontier``) the frontier's vertices of ``(X, y)``.
    The graph is built once at the largest eps and restricted for the smaller ones."""
    eps_values, graph = _graph_at_largest(eps_values, lambda e: conflict_graph(X, y, e, norm, scale))
    out = []
    for eps in eps_values:
        g = graph.restricted(eps)
        t0 = time.perf_counter()
        entry = {"graph": g.summary(), "limit": robust_limit(g).summary()}
        if frontier:
            entry["frontier"] = data_frontier(g).to_payload()
        entry["seconds"] = time.perf_counter() - t0
        out.append({"eps": eps, **entry})
        if progress:
            progress(f"eps={eps:g}")
    return out


def _per_split(splits, data: dict, compute: Callable, timings: dict, note: Callable[[str], None]) -> dict:
    """``{split: compute(X, y, progress)}`` for the requested splits of ``data`` (train, test), timed into
    ``timings``; ``progress(step)`` names each radius done (``note("train eps=0.2")``)."""
    bad = [s for s in splits if s not in data]
    if bad:
        raise ValueError(f"unknown split {bad[0]!r}; use train and/or test")
    out = {}
    for name, (X, y) in data.items():
        if name not in splits:
            continue
        t0 = time.perf_counter()
        out[name] = compute(X, y, lambda step, split=name: note(f"{split} {step}"))  # per radius
        timings[f"limit_{name}"] = time.perf_counter() - t0
        note(f"limit on {name}")
    return out


def _separation(data: dict, distances: Callable, summary: Callable, train_separation: bool, timings: dict,
                note: Callable[[str], None]) -> dict:
    """Separation statistics: test points to the training set (with the sorted distances) and, if asked, the
    training set to itself; ``distances(X, y, X_ref, y_ref)`` gives each point's distance to another class."""
    (Xtr, ytr), (Xte, yte) = data["train"], data["test"]
    t0 = time.perf_counter()
    d, _ = distances(Xte, yte, Xtr, ytr)
    timings["separation_test_to_train"] = time.perf_counter() - t0
    separation = {"test_to_train": {**summary(d), "distances": np.sort(d)}}
    note("separation test -> train")
    if train_separation:
        t0 = time.perf_counter()
        d, _ = distances(Xtr, ytr, None, None)
        timings["separation_train"] = time.perf_counter() - t0
        separation["train"] = summary(d)
        note("separation train")
    return separation


def data_limit_study(train: tuple, test: tuple, eps_values, norm: str = "inf", scale: float | None = None,
                     splits=("train", "test"), train_separation: bool = True, frontier: bool = True,
                     progress: Callable[[str], None] | None = None) -> dict:
    """The ``data.limit`` payload (reports/RESULTS.md) for ``train = (X, y)`` and ``test = (X, y)`` (uint8 levels or
    values in [0, 1]; y in {-1, +1}): ``splits`` limits and frontiers per eps, separation statistics, timings."""
    norm = canonical_norm(norm)
    note = progress or (lambda step: None)
    Xtr, ytr, scale = check_points(*train, scale=scale, what="X_train")
    Xte, yte, _ = check_points(*test, scale=scale, what="X_test")
    eps_values = sorted({float(check_eps(e)) for e in np.atleast_1d(eps_values)})
    timings: dict[str, float] = {}
    payload: dict = {"norm": norm, "scale": scale, "eps": eps_values, "n_train": len(Xtr), "n_test": len(Xte),
                     "n_pos": {"train": int((ytr > 0).sum()), "test": int((yte > 0).sum())}, "splits": {}}
    data = {"train": (Xtr, ytr), "test": (Xte, yte)}
    payload["splits"] = _per_split(splits, data, lambda X, y, p: split_limits(X, y, eps_values, norm, scale, frontier,
                                                                              progress=p), timings, note)
    payload["separation"] = _separation(data, lambda *a: opposite_class_distances(*a, norm=norm, scale=scale),
                                        lambda d: separation_summary(d, eps_values), train_separation, timings, note)
    payload["timings"] = timings
    payload["definitions"] = {
        "limit": "best robust accuracy of ANY classifier on the split's empirical distribution: 1 - "
                 "(maximum matching of the conflict graph) / n",
        "conflict": "opposite-class pair with ||x - x'|| <= 2 eps (balls intersected with the [0,1] box meet)",
        "frontier": "vertices (standard, robust) of the best accuracy pairs of mixtures of classifiers (min cut)",
        "separation": "exact distance of each point to the nearest point of the other class (Yang et al. 2020)",
    }
    return payload


def multiclass_split_limits(X, y, eps_values, norm: str = "inf", scale: float | None = None,
                            time_limit: float = TIME_LIMIT_S, exact_max_vertices: int = EXACT_MAX_VERTICES,
                            progress: Callable[[str], None] | None = None) -> list[dict]:
    """Per eps (increasing): the many-class graph's size and the limit of any deterministic classifier (exact flag
    and bounds) of ``(X, y)`` (integer labels). The graph is built once at the largest eps and restricted; each eps
    gets ``time_limit`` seconds of integer programming."""
    eps_values, graph = _graph_at_largest(eps_values,
                                          lambda e: multiclass_conflict_graph(X, y, e, norm, scale))
    out = []
    for eps in eps_values:
        g = graph.restricted(eps)
        t0 = time.perf_counter()
        lim = multiclass_limit(g, exact_max_vertices, EXACT_MAX_EDGES, time_limit)
        out.append({"eps": eps, "graph": g.summary(), "limit": lim.summary(), "seconds": time.perf_counter() - t0})
        if progress:
            progress(f"eps={eps:g}: {'exact' if lim.exact else 'bounds'}")
    return out


def multiclass_limit_study(train: tuple, test: tuple, eps_values, norm: str = "inf", scale: float | None = None,
                           splits=("train", "test"), train_separation: bool = True, time_limit: float = TIME_LIMIT_S,
                           exact_max_vertices: int = EXACT_MAX_VERTICES,
                           progress: Callable[[str], None] | None = None) -> dict:
    """The ``data.limit`` payload for ``C >= 2`` classes (``multiclass: true``; ``train = (X, y)``, ``test = (X,
    y)``, uint8 levels or values in [0, 1], integer labels): per split and eps the graph and the limit of any
    deterministic classifier (``exact``, ``robust_accuracy`` when exact, ``robust_accuracy_lower/upper`` always),
    the separation statistics to another class (Yang et al. 2020) and timings."""
    norm = canonical_norm(norm)
    note = progress or (lambda step: None)
    Xtr, _, scale = check_points(train[0], None, scale=scale, what="X_train")
    Xte, _, _ = check_points(test[0], None, scale=scale, what="X_test")
    ytr, yte = check_labels(train[1], len(Xtr), "y_train"), check_labels(test[1], len(Xte), "y_test")
    if len(np.unique(np.r_[ytr, yte])) < 2:
        raise ValueError("the data hold fewer than two classes; give points of at least two classes")
    eps_values = sorted({float(check_eps(e)) for e in np.atleast_1d(eps_values)})
    timings: dict[str, float] = {}
    count = lambda y: {str(int(c)): int(k) for c, k in zip(*np.unique(y, return_counts=True))}  # noqa: E731
    payload: dict = {"multiclass": True, "norm": norm, "scale": scale, "eps": eps_values, "n_train": len(Xtr),
                     "n_test": len(Xte), "n_per_class": {"train": count(ytr), "test": count(yte)},
                     "settings": {"time_limit_s": float(time_limit), "exact_max_vertices": int(exact_max_vertices),
                                  "exact_max_edges": EXACT_MAX_EDGES}, "splits": {}}
    data = {"train": (Xtr, ytr), "test": (Xte, yte)}
    payload["splits"] = _per_split(
        splits, data, lambda X, y, p: multiclass_split_limits(X, y, eps_values, norm, scale, time_limit,
                                                              exact_max_vertices, progress=p), timings, note)
    payload["separation"] = _separation(data, lambda *a: other_class_distances(*a, norm=norm, scale=scale),
                                        lambda d: separation_stats(d, eps_values), train_separation, timings, note)
    payload["timings"] = timings
    payload["definitions"] = {
        "limit": "best robust accuracy of ANY deterministic classifier on the split's empirical distribution: "
                 "(largest independent set of the conflict graph) / n; exact when every component is settled, "
                 "else robust_accuracy is null and robust_accuracy_lower <= limit <= robust_accuracy_upper",
        "conflict": "pair of different classes with ||x - x'|| <= 2 eps (balls intersected with the [0,1] box meet)",
        "separation": "exact distance of each point to the nearest point of another class (Yang et al. 2020); "
                      "beyond_2eps: share farther than 2 eps",
    }
    return payload
