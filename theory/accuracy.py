"""Closed-form standard and robust accuracy of linear rules on D(d, p, eta) (docs/paper.md §2, Tsipras et al. §2.1).

Rule: predict ``sign(w . x + b)``. The adversary may move *every* coordinate (``x_1`` included) within an
``l_inf`` or ``l_2`` ball of radius ``eps``; against a linear rule the worst perturbation lowers the margin
``y (w . x + b)`` by exactly ``eps * ||w||_*`` (dual norm: ``||w||_1`` for ``l_inf``, ``||w||_2`` for ``l_2``).

Conditioning on ``y`` and on ``x_1 = s * y`` (s = +1 with probability p), the margin is Gaussian:
``y (w . x + b) ~ N(s w_1 + eta S + y b, sigma^2)`` with ``S = sum_{i>=2} w_i`` and ``sigma = ||w_{2:}||_2``.
Hence robust accuracy (``eps = 0``: standard accuracy) is

    1/2 sum_{y=+-1} [ p Phi((w_1 + eta S + y b - eps ||w||_*) / sigma)
                      + (1-p) Phi((-w_1 + eta S + y b - eps ||w||_*) / sigma) ].

Tie convention: a point counts as correctly classified only if its (worst-case) margin is strictly positive, so a
score of exactly 0 counts as wrong. This only matters when ``sigma = 0`` (no weight on weak features), where the
margin is deterministic given (y, x_1); e.g. the zero rule has accuracy 0. Monte Carlo (theory.montecarlo) uses the
same convention.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from .distribution import FeatureDistribution, check_dist

NORMS = ("inf", "2")


def canonical_norm(norm) -> str:
    """``"inf"`` or ``"2"`` from ``"inf", "linf", "l_inf", np.inf, "2", "l2", "l_2", 2``; ValueError otherwise."""
    key = str(norm).lower().replace("_", "").replace("ell", "l")
    if key in ("inf", "linf", "infinity"):
        return "inf"
    if key in ("2", "l2", "2.0"):
        return "2"
    raise ValueError(f"norm must be 'inf' (l_inf adversary) or '2' (l_2 adversary), got {norm!r}")


def check_eps(eps) -> np.ndarray:
    """``eps`` as a float64 array, all finite and >= 0; ValueError naming eps otherwise."""
    try:
        arr = np.asarray(eps, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"eps (adversary's radius) must be a finite number >= 0, got {eps!r}") from None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"eps (adversary's radius) must be finite and >= 0, got {eps!r}")
    return arr


def _phi_or_step(num, sigma):
    """``Phi(num / sigma)`` where ``sigma > 0``; the step ``1[num > 0]`` where ``sigma == 0`` (score 0 is wrong)."""
    num = np.asarray(num, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    positive = sigma > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(positive, num / np.where(positive, sigma, 1.0), 0.0)
    return np.where(positive, ndtr(z), (num > 0).astype(np.float64))


def symmetric_accuracy(w1, v, d: int, p: float, eta: float, eps=0.0, norm="inf") -> np.ndarray:
    """Accuracy of ``sign(w_1 x_1 + (v / sqrt(d)) sum_{i>=2} x_i)`` against an ``eps``-adversary (docs/paper.md §2).

    Broadcasts over ``w1``, ``v`` and ``eps``. With ``c = |w_1| + sqrt(d)|v|`` (l_inf) or ``sqrt(w_1^2 + v^2)`` (l_2):

        p Phi((w_1 + eta sqrt(d) v - eps c) / |v|) + (1-p) Phi((-w_1 + eta sqrt(d) v - eps c) / |v|),

    which for v > 0 and l_inf is the paper's ``p Phi(eta sqrt(d) - eps sqrt(d) + (w_1 - eps|w_1|)/v) + ...``.
    ``eps = 0`` gives standard accuracy; ``v = 0`` uses the tie convention of this module (score 0 is wrong).
    """
    dist = FeatureDistribution(d, p, eta)
    norm = canonical_norm(norm)
    eps = check_eps(eps)
    w1 = np.asarray(w1, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if not (np.all(np.isfinite(w1)) and np.all(np.isfinite(v))):
        raise ValueError("w1 and v (classifier weights) must be finite")
    sqrt_d = math.sqrt(dist.d)
    abs_v = np.abs(v)
    if norm == "inf":
        dual = np.abs(w1) + sqrt_d * abs_v
    else:
        dual = np.hypot(w1, v)
    shift = dist.eta * sqrt_d * v - eps * dual
    return dist.p * _phi_or_step(w1 + shift, abs_v) + (1.0 - dist.p) * _phi_or_step(shift - w1, abs_v)


def _check_linear(w, b, dist: FeatureDistribution) -> tuple[np.ndarray, float]:
    if not isinstance(dist, FeatureDistribution):
        raise ValueError(f"dist must be a theory.distribution.FeatureDistribution, got {type(dist).__name__}")
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (dist.dim,):
        raise ValueError(f"w (weights) must have shape ({dist.dim},) = (d + 1,), got {w.shape}")
    try:
        b = float(b)
    except (TypeError, ValueError):
        raise ValueError(f"b (bias) must be a finite number, got {b!r}") from None
    if not (np.all(np.isfinite(w)) and math.isfinite(b)):
        raise ValueError("w (weights) and b (bias) must be finite")
    return w, b


def dual_norm(w, norm="inf") -> float:
    """``||w||_1`` (l_inf adversary) or ``||w||_2`` (l_2 adversary): how much one unit of eps lowers the margin."""
    norm = canonical_norm(norm)
    w = np.asarray(w, dtype=np.float64)
    return float(np.sum(np.abs(w))) if norm == "inf" else float(np.linalg.norm(w))


def linear_accuracy(w, b, dist: FeatureDistribution, eps=0.0, norm="inf") -> float:
    """Exact accuracy of ``sign(w . x + b)`` on ``dist`` against the worst ``eps``-perturbation (module docstring).

    ``w`` has shape ``(d + 1,)`` (robust feature first), any signs, unequal weak weights allowed. ``eps`` is a
    scalar radius (``0``: standard accuracy)."""
    w, b = _check_linear(w, b, dist)
    norm = canonical_norm(norm)
    eps_arr = check_eps(eps)
    if eps_arr.ndim != 0:
        raise ValueError(f"eps (adversary's radius) must be a scalar here, got shape {eps_arr.shape}")
    eps = float(eps_arr)
    w1 = w[0]
    weak = w[1:]
    sigma = float(np.linalg.norm(weak))
    mean_weak = dist.eta * float(np.sum(weak))
    loss = eps * dual_norm(w, norm)
    total = 0.0
    for y in (1.0, -1.0):
        base = mean_weak + y * b - loss
        total += dist.p * float(_phi_or_step(w1 + base, sigma)) + (1.0 - dist.p) * float(_phi_or_step(base - w1, sigma))
    return 0.5 * total


def averaging_accuracy(dist: FeatureDistribution, eps=0.0, norm="inf") -> float:
    """Accuracy of the averaging classifier ``sign(sum_{i>=2} x_i)``: ``Phi(eta sqrt(d))`` standard,
    ``Phi((eta - eps) sqrt(d))`` against l_inf and ``Phi(eta sqrt(d) - eps)`` against l_2 (docs/paper.md §2).
    ``eps`` may be an array (the result then has its shape)."""
    if not isinstance(dist, FeatureDistribution):
        raise ValueError(f"dist must be a theory.distribution.FeatureDistribution, got {type(dist).__name__}")
    out = symmetric_accuracy(0.0, 1.0, dist.d, dist.p, dist.eta, eps, norm)
    return float(out) if out.ndim == 0 else out


def bayes_accuracy(dist: FeatureDistribution) -> float:
    """Standard accuracy of the Bayes rule ``sign(log(p/(1-p)) x_1 + 2 eta sum x_i)``, the best of any classifier:
    ``p Phi(s + L/(2s)) + (1-p) Phi(s - L/(2s))`` with ``s = eta sqrt(d)`` and ``L = log(p/(1-p))`` (computed in the
    symmetric form, so any d works; the degenerate cases are those of ``FeatureDistribution.bayes_weights``)."""
    check_dist(dist)
    # the Bayes rule in the symmetric form (w_1, v): per-feature weight v / sqrt(d) = 2 eta, no d-length vector
    if dist.p >= 1.0:
        w1, v = 1.0, 0.0  # bayes_weights' degenerate cases: sign(x_1)
    else:
        w1, v = math.log(dist.p / (1.0 - dist.p)), 2.0 * dist.eta * math.sqrt(dist.d)
        if w1 == 0.0 and v == 0.0:
            w1 = 1.0
    return float(symmetric_accuracy(w1, v, dist.d, dist.p, dist.eta))


def worst_case_perturbation(w, b, x, y, eps, norm="inf") -> np.ndarray:
    """The exact worst-case ``delta`` (``||delta|| <= eps``) against ``sign(w . x + b)`` for each row of ``x``.

    It minimises ``y w . delta``: ``delta = -eps y sign(w)`` (l_inf, so the margin drops by ``eps ||w||_1``) or
    ``delta = -eps y w / ||w||_2`` (l_2, drop ``eps ||w||_2``). Coordinates with ``w_i = 0`` are left unchanged; the
    zero rule gets ``delta = 0``. ``b`` does not change the optimal direction (accepted for a uniform signature).
    Returns float64 of the shape of ``x``."""
    norm = canonical_norm(norm)
    eps_arr = check_eps(eps)
    if eps_arr.ndim != 0:
        raise ValueError(f"eps (adversary's radius) must be a scalar, got shape {eps_arr.shape}")
    eps = float(eps_arr)
    w = np.asarray(w, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    if w.ndim != 1 or x.ndim != 2 or x.shape[1] != w.shape[0]:
        raise ValueError(f"x must have shape (n, {w.shape[0]}) to match w, got {x.shape}")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},), got {y.shape}")
    if not np.all(np.abs(y) == 1):
        raise ValueError("y (labels) must contain only -1 and +1")
    if not (np.all(np.isfinite(w)) and math.isfinite(float(b))):
        raise ValueError("w (weights) and b (bias) must be finite")
    if norm == "inf":
        direction = np.sign(w)
    else:
        nrm = float(np.linalg.norm(w))
        direction = w / nrm if nrm > 0 else np.zeros_like(w)
    return (-eps) * y.astype(np.float64)[:, None] * direction[None, :]
