"""The data's own limit of a two-class problem, per split and radius, as one result payload (``data.limit``).

For each split (the training and the test set, each as its own empirical distribution) and each eps: the conflict
graph's size, the best robust accuracy of any classifier (theory.robust_limit) and the data's frontier
(theory.data_frontier). Beside them the separation statistics of Yang et al. 2020: each test point's exact distance
to the nearest training point of the other class, and (optionally) each training point's distance to the nearest
training point of the other class. docs/data_frontier.md has the maths.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .accuracy import canonical_norm, check_eps
from .conflict_graph import check_points, conflict_graph, opposite_class_distances, separation_summary
from .data_frontier import data_frontier
from .robust_limit import robust_limit

#: A conflict graph with more edges than this is refused (memory; at such radii nearly every pair conflicts).
MAX_EDGES = 20_000_000


def split_limits(X, y, eps_values, norm: str = "inf", scale: float | None = None, frontier: bool = True,
                 progress: Callable[[str], None] | None = None) -> list[dict]:
    """Per eps (increasing): graph size, robust limit and (if ``frontier``) the frontier's vertices of ``(X, y)``.
    The graph is built once at the largest eps and restricted for the smaller ones."""
    eps_values = sorted({float(check_eps(e)) for e in np.atleast_1d(eps_values)})
    if not eps_values:
        raise ValueError("give at least one eps")
    graph = conflict_graph(X, y, eps_values[-1], norm, scale)
    if graph.n_edges > MAX_EDGES:
        raise ValueError(f"{graph.n_edges} conflicting pairs at eps={eps_values[-1]:g} (limit {MAX_EDGES}): nearly "
                         "every pair conflicts there; choose a smaller eps")
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


def data_limit_study(train: tuple, test: tuple, eps_values, norm: str = "inf", scale: float | None = None,
                     splits=("train", "test"), train_separation: bool = True, frontier: bool = True,
                     progress: Callable[[str], None] | None = None) -> dict:
    """The ``data.limit`` payload (reports/RESULTS.md) for ``train = (X, y)`` and ``test = (X, y)`` (uint8 levels or
    values in [0, 1]; y in {-1, +1}): ``splits`` limits and frontiers per eps, separation statistics, timings."""
    norm = canonical_norm(norm)
    note = progress or (lambda step: None)
    Xtr, ytr, scale = check_points(*train, scale=scale, what="X_train")
    Xte, yte, _ = check_points(*test, scale=scale, what="X_test")
    bad = [s for s in splits if s not in ("train", "test")]
    if bad:
        raise ValueError(f"unknown split {bad[0]!r}; use train and/or test")
    eps_values = sorted({float(check_eps(e)) for e in np.atleast_1d(eps_values)})
    timings: dict[str, float] = {}
    payload: dict = {"norm": norm, "scale": scale, "eps": eps_values, "n_train": len(Xtr), "n_test": len(Xte),
                     "n_pos": {"train": int((ytr > 0).sum()), "test": int((yte > 0).sum())}, "splits": {}}
    for name, (X, y) in (("train", (Xtr, ytr)), ("test", (Xte, yte))):
        if name not in splits:
            continue
        t0 = time.perf_counter()
        payload["splits"][name] = split_limits(X, y, eps_values, norm, scale, frontier)
        timings[f"limit_{name}"] = time.perf_counter() - t0
        note(f"limit on {name}")
    t0 = time.perf_counter()
    d, _ = opposite_class_distances(Xte, yte, Xtr, ytr, norm, scale)
    timings["separation_test_to_train"] = time.perf_counter() - t0
    separation = {"test_to_train": {**separation_summary(d, eps_values), "distances": np.sort(d)}}
    note("separation test -> train")
    if train_separation:
        t0 = time.perf_counter()
        d, _ = opposite_class_distances(Xtr, ytr, norm=norm, scale=scale)
        timings["separation_train"] = time.perf_counter() - t0
        separation["train"] = separation_summary(d, eps_values)
        note("separation train")
    payload["separation"] = separation
    payload["timings"] = timings
    payload["definitions"] = {
        "limit": "best robust accuracy of ANY classifier on the split's empirical distribution: 1 - "
                 "(maximum matching of the conflict graph) / n",
        "conflict": "opposite-class pair with ||x - x'|| <= 2 eps (balls intersected with the [0,1] box meet)",
        "frontier": "vertices (standard, robust) of the best accuracy pairs of mixtures of classifiers (min cut)",
        "separation": "exact distance of each point to the nearest point of the other class (Yang et al. 2020)",
    }
    return payload
