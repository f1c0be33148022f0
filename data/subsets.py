"""Subsets of a labelled data set: two-class (±1) problems and class-stratified subsamples.

Used by the linear experiments (a binary MNIST problem, docs/paper.md §5) and by the training-set-size sweeps of
Figures 1 and 6 (docs/paper.md §6).
"""

from __future__ import annotations

import numpy as np


def binary_subset(
    images: np.ndarray, labels: np.ndarray, positive: int, negative: int
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the examples of two classes and relabel them ±1.

    Convention: class ``positive`` -> ``+1``, class ``negative`` -> ``-1`` (e.g. MNIST digits 5 vs 7 with
    ``positive=5, negative=7``: every 5 is labelled +1, every 7 is labelled -1). The original order is kept.
    Returns ``(images[mask], y)`` with ``y`` int64 in {+1, -1}."""
    labels = np.asarray(labels)
    if positive == negative:
        raise ValueError(f"positive and negative class must differ (both {positive})")
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    present = set(np.unique(labels).tolist())
    for c in (positive, negative):
        if c not in present:
            raise ValueError(f"class {c} does not occur in the labels (classes present: {sorted(present)})")
    mask = (labels == positive) | (labels == negative)
    y = np.where(labels[mask] == positive, 1, -1).astype(np.int64)
    return images[mask], y


def stratified_subsample(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices (int64, sorted) of ``n`` examples drawn without replacement, stratified by class.

    Each class ``c`` with ``n_c`` of the ``N`` examples gets ``round(t · n_c)`` of them for a common ``t``, so
    within about one example of its share ``n · n_c / N``. The members of a class are taken in an order drawn
    from ``seed``; the same ``seed`` gives the same subset, and subsets for growing ``n`` are nested (each is a
    prefix of one seeded ordering, as a learning curve over training-set sizes needs).

    Construction: the ``r``-th member (0-based, in the seeded order) of class ``c`` gets key ``(r + 1/2) / n_c``;
    ties are broken by a seeded random permutation; the ``n`` smallest keys are taken."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-d, got shape {labels.shape}")
    N = len(labels)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"n must be an integer, got {n!r}")
    if not 0 < n <= N:
        raise ValueError(f"cannot draw n={n} examples from {N}; need 0 < n <= {N}")
    rng = np.random.default_rng(seed)
    tiebreak = rng.permutation(N)
    keys = np.empty(N, dtype=np.float64)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        members = members[rng.permutation(len(members))]
        keys[members] = (np.arange(len(members)) + 0.5) / len(members)
    order = np.lexsort((tiebreak, keys))
    return np.sort(order[:n]).astype(np.int64)
