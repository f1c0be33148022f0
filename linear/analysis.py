"""The Figure 5 analysis (docs/paper.md §5): pixel–label correlation, weight concentration and the top-k study.

Definitions used throughout (configurable where noted):

* correlation of pixel i: Pearson's ``ρ_i = corr(x_i, y)`` over the training set, y ∈ {-1, +1}; a constant pixel
  (zero variance, e.g. MNIST's border) has ``ρ_i = 0``.
* pixel ranking: by decreasing ``|ρ_i|`` (``rank_by="abs"``, default) — a pixel that is strongly NEGATIVELY
  correlated is just as informative for a linear model (it gets a negative weight), and the paper's 5-vs-7 setup
  has both signs; ``rank_by="signed"`` sorts by decreasing ρ_i as the paper's text literally says.
* weight mass on the most correlated pixels: ``top_mass = Σ_{i ∈ T} |w_i| / Σ_i |w_i|`` where T holds the
  ``top_fraction`` (default 10%) highest-ranked pixels.
* non-negligible weight: ``|w_i| ≥ active_rel · max_j |w_j|`` (default active_rel = 0.01); ``n_active`` counts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .objective import minimise_adversarial_logistic
from .robust import robust_accuracy, standard_accuracy


def pixel_correlation(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of ``X`` (n, d) with ``y`` (n,); 0 for constant columns."""
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    y = np.asarray(y, dtype=np.float64)
    Xc = X - X.mean(axis=0)
    yc = y - y.mean()
    sx = np.sqrt((Xc**2).sum(axis=0))
    sy = np.sqrt((yc**2).sum())
    cov = Xc.T @ yc
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = cov / (sx * sy)
    varies = X.max(axis=0) > X.min(axis=0)  # exact test: rounding makes sx tiny but nonzero for constants
    return np.where(varies & (sx > 0) & (sy > 0), rho, 0.0)


def rank_pixels(correlation: np.ndarray, rank_by: str = "abs") -> np.ndarray:
    """Pixel indices from most to least correlated: by ``|ρ|`` (``"abs"``) or by ρ (``"signed"``); stable."""
    if rank_by == "abs":
        key = np.abs(correlation)
    elif rank_by == "signed":
        key = np.asarray(correlation, dtype=np.float64)
    else:
        raise ValueError(f"rank_by must be 'abs' or 'signed', got {rank_by!r}")
    return np.argsort(-key, kind="stable")


def log_grid(d: int, n_points: int = 20) -> list[int]:
    """About ``n_points`` distinct integers from 1 to d (both included), evenly spaced on a log scale."""
    if d < 1 or n_points < 2:
        raise ValueError("log_grid needs d >= 1 and n_points >= 2")
    return sorted({int(v) for v in np.round(np.logspace(0, np.log10(d), n_points))} | {1, d})


def top_mass(weights: np.ndarray, order: np.ndarray, top_fraction: float = 0.1) -> float:
    """Share of the ℓ1 weight mass on the first ``ceil(top_fraction·d)`` pixels of ``order`` (0 if w = 0)."""
    w = np.abs(np.asarray(weights, dtype=np.float64))
    total = w.sum()
    k = int(np.ceil(top_fraction * w.size))
    return float(w[order[:k]].sum() / total) if total > 0 else 0.0


def n_active(weights: np.ndarray, active_rel: float = 0.01) -> int:
    """Number of pixels with ``|w_i| ≥ active_rel · max|w|`` (0 if w = 0)."""
    w = np.abs(np.asarray(weights, dtype=np.float64))
    m = w.max() if w.size else 0.0
    return int((w >= active_rel * m).sum()) if m > 0 else 0


@dataclass
class ModelSummary:
    """One row of the Figure 5 summary table (accuracies on the test set)."""

    standard_acc: float
    robust_acc: float
    top_mass: float
    n_active: int
    l1_norm: float
    weight_correlation: float  # Pearson correlation between the weights w_i and the pixel correlations ρ_i
    weighted_abs_correlation: float  # Σ|w_i||ρ_i| / Σ|w_i|: how correlated the pixels carrying the weight are


def summarise_model(w, b, X_test, y_test, correlation, order, eps, norm, box,
                    top_fraction: float = 0.1, active_rel: float = 0.01) -> ModelSummary:
    """Standard and exact robust test accuracy plus the weight-concentration numbers of one linear model."""
    w = np.asarray(w, dtype=np.float64)
    wc = float(np.corrcoef(w, correlation)[0, 1]) if w.std() > 0 and np.std(correlation) > 0 else 0.0
    return ModelSummary(
        standard_acc=standard_accuracy(w, b, X_test, y_test),
        robust_acc=robust_accuracy(w, b, X_test, y_test, eps, norm, box),
        top_mass=top_mass(w, order, top_fraction),
        n_active=n_active(w, active_rel),
        l1_norm=float(np.abs(w).sum()),
        weight_correlation=wc,
        weighted_abs_correlation=float(np.abs(w) @ np.abs(correlation) / np.abs(w).sum()) if np.any(w) else 0.0,
    )


@dataclass
class TopKRow:
    """Standard model trained on the k most correlated pixels only (the others have weight 0)."""

    k: int
    standard_acc: float
    robust_acc: float
    train_acc: float
    n_iter: int
    converged: bool  # the solver met its tolerance


def topk_study(X_train, y_train, X_test, y_test, order, ks, eps: float, norm: str = "inf", box: bool = True,
               alpha: float = 1e-4, tol: float = 1e-6, max_iter: int = 5000,
               progress: Callable[[int], None] | None = None,
               full_model: tuple[np.ndarray, float] | None = None) -> list[TopKRow]:
    """For each k: fit the standard logistic model on the pixels ``order[:k]``, embed its weights in R^d (zeros
    elsewhere) and measure standard and exact robust test accuracy against the full-image adversary.

    Each fit is warm-started from the previous k's solution (same unique minimiser, fewer iterations). When
    ``full_model = (w, b)`` (the standard model on all pixels, same alpha/tol) is given it is used for k = d."""
    X_train = np.asarray(X_train, dtype=np.float64)
    d = X_train.shape[1]
    rows = []
    w = np.zeros(d)
    b = 0.0
    for k in ks:
        if not 1 <= k <= d:
            raise ValueError(f"k = {k} outside 1..{d}")
        idx = np.asarray(order[:k])
        if k == d and full_model is not None:
            w, b, n_iter = np.asarray(full_model[0], dtype=np.float64), float(full_model[1]), 0
            converged = True  # the caller's fit (run_fig5 reports its own convergence)
        else:
            init = (w[idx], b) if rows else None
            res = minimise_adversarial_logistic(X_train[:, idx], y_train, 0.0, norm, False, alpha, tol, max_iter,
                                                init=init)
            w, b, n_iter, converged = np.zeros(d), res.intercept, res.n_iter, res.converged
            w[idx] = res.coef
        rows.append(TopKRow(
            k=int(k),
            standard_acc=standard_accuracy(w, b, X_test, y_test),
            robust_acc=robust_accuracy(w, b, X_test, y_test, eps, norm, box),
            train_acc=standard_accuracy(w, b, X_train, y_train),
            n_iter=n_iter,
            converged=converged,
        ))
        if progress is not None:
            progress(1)
    return rows
