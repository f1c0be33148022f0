"""Exact worst-case perturbations and exact robust accuracy of a linear classifier (docs/paper.md §5).

For a linear score ``f(x) = wᵀx + b`` and a label ``y ∈ {-1, +1}`` the adversary minimises the margin
``y·f(x + δ)`` over a convex set of perturbations. The margin is affine in δ, so the minimum is attained
at an extreme point of the set and has a closed form:

* ℓ∞ ball, no box: ``δ* = -ε·y·sign(w)`` and the worst margin is ``y·f(x) - ε‖w‖₁``.
* ℓ2 ball, no box: ``δ* = -ε·y·w/‖w‖₂`` and the worst margin is ``y·f(x) - ε‖w‖₂``.
* ℓ∞ ball ∩ pixel box [0,1]ᵈ: the set is a product of intervals, so each pixel is independent:
  ``δ*_i = clip(x_i - ε·y·sign(w_i), 0, 1) - x_i``.
* ℓ2 ball ∩ pixel box: a linear objective over a ball intersected with a box. The KKT conditions give
  ``δ*(t) = clip(-t·y·w, -x, 1-x)`` for the scalar ``t ≥ 0`` at which ``‖δ*(t)‖₂ = ε`` (or ``t = ∞`` when the
  whole box corner fits inside the ball). ``‖δ*(t)‖²`` is piecewise quadratic in t with breakpoints where
  pixels saturate; a monotone active-set iteration finds t exactly in a few passes (:func:`_l2_box_perturbation`;
  a continuous-knapsack-like problem, solved without sorting).

A point counts as correctly classified only if its margin is strictly positive; robust accuracy uses the
same convention, so robust accuracy ≤ standard accuracy always, with equality at ε = 0.
"""

from __future__ import annotations

import numpy as np

from tradeoff.data import checks
from tradeoff.theory.accuracy import canonical_norm
from tradeoff.theory.accuracy import check_eps as theory_check_eps
from tradeoff.theory.accuracy import worst_case_perturbation as _unboxed_perturbation

NORMS = ("inf", "2")


def check_norm(norm: object) -> str:
    """Normalise a norm name: ``"inf"``/``"linf"``/``np.inf`` → ``"inf"``, ``"2"``/``"l2"``/``2`` → ``"2"``; the
    project's one parser of norm names, :func:`theory.accuracy.canonical_norm` (ValueError naming ``norm``)."""
    return canonical_norm(norm)


def check_eps(eps: object, norm: str | None = None, dim: int | None = None, name: str = "eps") -> float:
    """``eps`` as a finite float ≥ 0 (:func:`theory.accuracy.check_eps` for one number), else ValueError; with
    ``norm``, a radius in pixel space [0, 1]^dim, bounded by its norm (data.checks.eps: 1 for l_inf, sqrt(dim) for
    l_2)."""
    arr = theory_check_eps(eps)
    if arr.ndim:
        raise ValueError(f"eps must be a single number >= 0, got {eps!r}")
    if norm is not None:
        return checks.eps(name, float(arr), check_norm(norm), dim=dim)
    return float(arr)


def check_in_box(X: np.ndarray, what: str = "X") -> None:
    """Raise ValueError unless every entry of ``X`` lies in the pixel box [0, 1]."""
    if X.size and (X.min() < 0 or X.max() > 1):
        raise ValueError(
            f"{what} has values in [{X.min():.3g}, {X.max():.3g}] but box=True needs pixels in [0, 1]; "
            "scale the images to [0, 1] or use box=False"
        )


def _prepare(w, b, X, y):
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    X = np.asarray(X, dtype=np.float64)
    X = X.reshape(len(X), -1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if X.shape[1] != w.size:
        raise ValueError(f"X has {X.shape[1]} features but w has {w.size}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    if not np.all(np.abs(y) == 1):
        raise ValueError("y must contain only -1 and +1 (map the two classes to +-1 first)")
    b = float(np.asarray(b, dtype=np.float64).reshape(-1)[0])
    if not (np.all(np.isfinite(w)) and np.isfinite(b)):
        raise ValueError("w (weights) and b (intercept) must be finite")
    if not np.isfinite(X.sum()):  # one pass: a NaN or inf anywhere makes the sum non-finite
        raise ValueError("X has NaN or infinite values; clean the data first")
    return w, b, X, y


def _l2_box_perturbation(c: np.ndarray, X: np.ndarray, eps: float) -> np.ndarray:
    """Exact ``argmin_δ Σ_i c_ni δ_ni`` subject to ``‖δ_n‖₂ ≤ ε`` and ``0 ≤ x_n + δ_n ≤ 1`` for every row n.

    KKT: ``δ(t) = clip(-t·c, -x, 1-x)`` for the t ≥ 0 with ``g(t) = ‖δ(t)‖² = ε²`` (t = ∞: the box corner fits in
    the ball). Coordinate i saturates once ``t ≥ τ_i = u_i/|c_i|`` (``u_i = x_i`` if ``c_i > 0`` else ``1 - x_i``),
    so ``g(t) = Σ_{sat} u_i² + t² Σ_{free} c_i²``. Starting from ``t₀ = ε/‖c‖`` (g(t₀) ≤ ε²), the update
    ``t ← sqrt((ε² - Σ_{sat(t)} u²) / Σ_{free(t)} c²)`` never decreases t, keeps g(t) ≤ ε² and only adds saturated
    coordinates; when the saturated set stops changing, g(t) = ε² exactly. At most d updates, in practice a few;
    no sort. Coordinates with ``c_i = 0`` stay at 0 (they do not change the objective)."""
    a = np.abs(c)
    u = np.where(c > 0, X, 1.0 - X)
    active = a > 0
    a2 = a * a
    u2 = np.where(active, u * u, 0.0)
    eps2 = eps * eps
    norm_a = np.sqrt(a2.sum(axis=1))
    with np.errstate(divide="ignore"):
        t = np.where(norm_a > 0, eps / norm_a, 0.0)
    sat = active & (u <= t[:, None] * a)
    todo = np.flatnonzero(norm_a > 0)
    for _ in range(c.shape[1] + 1):
        if todo.size == 0:
            break
        s_sub = sat[todo]
        su2 = np.where(s_sub, u2[todo], 0.0).sum(axis=1)
        ra2 = np.where(s_sub, 0.0, a2[todo]).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_new = np.where(ra2 > 0, np.sqrt(np.maximum(eps2 - su2, 0.0) / ra2), np.inf)
        t_new = np.maximum(t_new, t[todo])  # monotone even under rounding, so the loop terminates
        with np.errstate(invalid="ignore"):  # inf * 0 for inactive pixels of rows with t = inf: masked out
            new_sat = s_sub | (active[todo] & (u[todo] <= t_new[:, None] * a[todo]))
        t[todo] = t_new
        changed = (new_sat != s_sub).any(axis=1)
        sat[todo] = new_sat
        todo = todo[changed & np.isfinite(t_new)]
    finite = np.isfinite(t)
    t_fin = np.where(finite, t, 0.0)[:, None]
    delta = np.clip(-t_fin * c, -X, 1.0 - X)
    corner = np.where(c > 0, -X, np.where(c < 0, 1.0 - X, 0.0))
    delta = np.where(finite[:, None], delta, corner)
    return np.where(active, delta, 0.0)


def worst_case_perturbation(w, b, X, y, eps: float, norm: str = "inf", box: bool = False) -> np.ndarray:
    """The exact minimiser δ* of ``y·(wᵀ(x+δ) + b)`` over ``‖δ‖_p ≤ ε`` (and ``0 ≤ x+δ ≤ 1`` if ``box``).

    ``X`` is (n, d) or (n, …) images (flattened internally), ``y`` in {-1, +1}; returns δ with X's shape.
    See the module docstring for the closed forms. Where ``w_i = 0`` the pixel is left unchanged."""
    shape = np.shape(X)
    w, b, X, y = _prepare(w, b, X, y)
    eps, norm, box = check_eps(eps), check_norm(norm), checks.boolean("box", box)
    if box:
        check_in_box(X)
    if not box:  # the closed forms of the synthetic theory (theory.accuracy), any input space
        return _unboxed_perturbation(w, b, X, y, eps, norm).reshape(shape)
    if norm == "inf":
        delta = np.clip(X + _unboxed_perturbation(w, b, X, y, eps, norm), 0.0, 1.0) - X
    else:
        delta = _l2_box_perturbation(y[:, None] * w[None, :], X, eps)
    return delta.reshape(shape)


def worst_case_images(w, b, X, y, eps: float, norm: str = "inf", box: bool = False) -> np.ndarray:
    """The worst-case inputs ``x + δ*`` (same shape as ``X``), see :func:`worst_case_perturbation`."""
    X = np.asarray(X, dtype=np.float64)
    return X + worst_case_perturbation(w, b, X, y, eps, norm, box)


def worst_case_margin(w, b, X, y, eps: float, norm: str = "inf", box: bool = False) -> np.ndarray:
    """Exact ``min_δ y·(wᵀ(x+δ) + b)`` for every row. Without the box it is ``y·f(x) - ε‖w‖_*`` (ℓ1 dual
    norm for ℓ∞, ℓ2 for ℓ2); with the ℓ∞ box it is ``y·f(x) - Σ_i |w_i|·c_i`` where ``c_i = min(ε, x_i)`` when
    ``y·w_i > 0`` and ``min(ε, 1 - x_i)`` otherwise (computed with matrix-vector products, no n×d copy)."""
    w, b, X, y = _prepare(w, b, X, y)
    eps, norm, box = check_eps(eps), check_norm(norm), checks.boolean("box", box)
    clean = y * (X @ w + b)
    if eps == 0:
        return clean
    if not box:
        return clean - eps * (np.abs(w).sum() if norm == "inf" else np.linalg.norm(w))
    check_in_box(X)
    if norm == "inf":
        wp, wm = np.maximum(w, 0.0), np.maximum(-w, 0.0)
        down = np.minimum(X, eps)  # how far a pixel can go down
        up = np.minimum(1.0 - X, eps)  # how far a pixel can go up
        pos = down @ wp + up @ wm  # y = +1: push pixels with w>0 down, w<0 up
        neg = up @ wp + down @ wm  # y = -1: the reverse
        return clean - np.where(y > 0, pos, neg)
    delta = _l2_box_perturbation(y[:, None] * w[None, :], X, eps)
    return clean + y * (delta @ w)


def standard_accuracy(w, b, X, y) -> float:
    """Share of rows with margin ``y·(wᵀx + b) > 0`` (a point on the boundary is an error)."""
    w, b, X, y = _prepare(w, b, X, y)
    return float(np.mean(y * (X @ w + b) > 0))


def robust_accuracy(w, b, X, y, eps: float, norm: str = "inf", box: bool = False) -> float:
    """Exact robust accuracy: share of rows whose worst-case margin (:func:`worst_case_margin`) is > 0."""
    return float(np.mean(worst_case_margin(w, b, X, y, eps, norm, box) > 0))
