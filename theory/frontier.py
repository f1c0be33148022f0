"""The robustness-accuracy trade-off frontier of D(d, p, eta) at a given eps (docs/paper.md §3, Theorem 1).

For ``delta`` in [0, 1] the frontier is the best robust accuracy of any classifier whose standard accuracy is at least
``1 - delta``. This module computes, on a grid of ``delta``:

* ``theorem1``: Theorem 1's line ``p/(1-p) delta`` (an upper bound when the Theorem 1 adversary fits in the ball).
* ``upper``: the line capped by what any classifier can achieve: ``min(p/(1-p) delta, p)``, and undefined (NaN) for
  ``delta < 1 - bayes`` (no classifier is more accurate than the Bayes rule). The cap ``p``: the adversary
  ``x_i -> x_i - eta y`` (size ``eta``, inside the ball) makes the weak block ``N(0, I)`` whatever y is, so under it no
  classifier beats the Bayes rule on ``x_1`` alone, of accuracy ``p``.
* ``exact``: the best robust accuracy *reached* by randomised mixtures of rules whose accuracies are computed exactly
  (``sign(x_1)``, the constant rule, the Bayes rule and the whole family of linear rules): the upper concave envelope
  of their (standard, robust) points. For ``eps < 1`` (``sign(x_1)`` is then never fooled) it equals ``upper`` for
  ``delta >= 1 - p`` (the tight point) and approaches Theorem 1's line below ``1 - p`` as ``eta sqrt(d)`` grows; for
  ``eps >= 1`` the adversary can erase ``x_1`` too and ``exact`` may sit far below ``upper``. The true frontier lies
  between ``exact`` and ``upper`` (``gap`` reports the distance). The paper's construction, the mixture of
  ``sign(x_1)`` with the Bayes rule, is reported on its own (``mixture``).
* ``linear``: the best robust accuracy of a single deterministic linear rule ``sign(w . x + b)``, by optimisation.

Robust accuracy of a mixture: against an adversary that sees the mixture's coin it is exactly the weighted average
of the components' robust accuracies; against one that does not, it is at least that. Mixing with ``sign(x_1)``
(never fooled for eps < 1) gives exactly the average either way.

Reduction of the linear rules to three parameters. The accuracies of ``sign(w . x + b)`` (theory.accuracy) depend on
``w`` only through ``w_1``, ``b``, ``S = sum_{i>=2} w_i``, ``sigma = ||w_{2:}||_2`` and (l_inf) ``L = ||w_{2:}||_1``,
and are unchanged when ``(w, b)`` is scaled by a positive number. With ``sigma > 0`` put ``alpha = w_1/sigma``,
``beta = b/sigma``, ``tau = S/sigma``, ``lam = L/sigma``: every Phi argument is
``+-alpha + eta tau + y beta - eps (|alpha| + lam)`` (l_inf) or ``... - eps sqrt(alpha^2 + 1)`` (l_2), increasing in
``tau`` and decreasing in ``lam``. Since ``|tau| <= lam`` the best rules have ``tau = lam`` (all weak weights >= 0), and
non-negative weights realise exactly ``tau`` in ``[1, sqrt(d)]`` (``linear_rule_weights``). So the linear family is
``(alpha, beta, tau)`` with ``1 <= tau <= sqrt(d)``, plus the rules with no weak weight (``sign(x_1)``, constants).
For l_2 the margin loss does not involve ``tau``, so ``tau = sqrt(d)``: the paper's symmetric form (w_1, v) is optimal
(with a bias). For l_inf at ``eps > eta`` it is NOT: spreading weight over fewer effective features
(``tau < sqrt(d)``) and a bias can buy robust accuracy; ``linear_symmetric`` reports the symmetric form (b = 0, v > 0)
for comparison. The optimisation is a dense vectorised grid followed by a vectorised pattern search per delta.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from .accuracy import bayes_accuracy, canonical_norm, check_eps, linear_accuracy
from .checks import check_allocation, check_count, check_number, vectors_fix
from .distribution import FeatureDistribution, check_dist
from .theorem1 import theorem1_applies, theorem1_bound, tight_point

# A rule counts as meeting "standard >= 1 - delta" up to this floating-point slack.
FEASIBILITY_TOL = 1e-12
# tradeoff_frontier holds at most this many vectors of length d + 1 at once (Bayes and sign(x_1) weights and the
# temporaries of linear_accuracy); their size is checked against the available memory before any work.
FRONTIER_VECTORS = 6


def reduced_accuracy(alpha, beta, tau, dist: FeatureDistribution, eps=0.0, norm="inf") -> np.ndarray:
    """Accuracy of the linear rule with normalised parameters (module docstring) ``alpha = w_1/sigma``,
    ``beta = b/sigma``, ``tau = sum w_i / sigma = ||w_{2:}||_1 / sigma`` (non-negative weak weights):
    ``1/2 sum_y [p Phi(alpha + m_y) + (1-p) Phi(-alpha + m_y)]``, ``m_y = eta tau + y beta - eps ||w||_* / sigma``.
    Broadcasts over alpha, beta, tau, eps."""
    check_dist(dist)
    norm = canonical_norm(norm)
    eps = check_eps(eps)
    alpha = np.asarray(alpha, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    tau = np.asarray(tau, dtype=np.float64)
    return _reduced(alpha, beta, tau, dist.eta, dist.p, eps, norm == "inf")


def _reduced(alpha, beta, tau, eta, p, eps, linf: bool):
    """:func:`reduced_accuracy` without validation (inner loops)."""
    if np.ndim(eps) == 0 and eps == 0:
        base = eta * tau
    else:
        base = eta * tau - (eps * (np.abs(alpha) + tau) if linf else eps * np.hypot(alpha, 1.0))
    up = base + beta
    down = base - beta
    total = p * (ndtr(up + alpha) + ndtr(down + alpha)) + (1 - p) * (ndtr(up - alpha) + ndtr(down - alpha))
    return 0.5 * total


def linear_rule_weights(alpha: float, beta: float, tau: float, d: int) -> tuple[np.ndarray, float]:
    """Weights ``(w, b)`` (shape (d+1,)) of a rule with the given normalised parameters: ``||w_{2:}||_2 = 1``,
    non-negative weak weights with ``sum = tau`` (``k = floor(tau^2)`` weights 1 and one weight c in [0, 1) solving
    ``(k + c)^2 = tau^2 (k + c^2)``, then rescaled), ``w_1 = alpha``, ``b = beta``."""
    d = check_count("d (number of weak features)", d, 1)
    alpha, beta = check_number("alpha", alpha), check_number("beta", beta)
    tau = check_number("tau", tau)
    check_allocation(f"linear_rule_weights(d={d})", d + 1, vectors_fix(d))
    if not (1.0 - 1e-12 <= tau <= math.sqrt(d) + 1e-12):
        raise ValueError(f"tau must lie in [1, sqrt(d)] = [1, {math.sqrt(d):.6g}], got {tau!r}")
    t2 = min(max(tau * tau, 1.0), float(d))
    k = min(int(math.floor(t2 + 1e-12)), d)
    weak = np.zeros(d)
    weak[:k] = 1.0
    if k < d and t2 > k:
        a2, a1, a0 = 1.0 - t2, 2.0 * k, k * k - t2 * k  # (1 - t2) c^2 + 2k c + k^2 - t2 k = 0, root in [0, 1)
        disc = max(a1 * a1 - 4 * a2 * a0, 0.0)
        c = (-a1 + math.sqrt(disc)) / (2 * a2) if a2 != 0 else -a0 / a1
        if not (0.0 <= c <= 1.0):
            c = (-a1 - math.sqrt(disc)) / (2 * a2)
        weak[k] = min(max(c, 0.0), 1.0)
    weak /= np.linalg.norm(weak)
    return np.r_[float(alpha), weak], float(beta)


def _check_deltas(deltas) -> np.ndarray:
    deltas = np.asarray(deltas, dtype=np.float64)
    if deltas.ndim != 1 or deltas.size == 0:
        raise ValueError("deltas must be a non-empty 1-d sequence of standard error rates")
    if np.any(~np.isfinite(deltas)) or np.any(deltas < 0) or np.any(deltas > 1):
        raise ValueError("deltas (standard error rates) must lie in [0, 1]")
    return deltas


def default_deltas(dist: FeatureDistribution, num: int = 61) -> np.ndarray:
    """``num`` points from ``1 - bayes_accuracy`` to ``1.5 (1 - p)`` (at least 0.05), with ``1 - p`` included."""
    check_dist(dist)
    num = check_count("num (number of delta values)", num, 2)
    lo = max(0.0, 1.0 - bayes_accuracy(dist))
    hi = min(1.0, max(1.5 * (1.0 - dist.p), lo + 0.05))
    return np.unique(np.r_[np.linspace(lo, hi, num), 1.0 - dist.p])


def _staircase(standard: np.ndarray, robust: np.ndarray, deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each delta: ``max{robust : standard >= 1 - delta}`` (NaN if none) and the index of the maximiser."""
    order = np.argsort(-standard, kind="stable")
    s_sorted = standard[order]
    r_sorted = robust[order]
    run = np.maximum.accumulate(r_sorted)
    # index (in sorted order) of the running maximum
    is_new = np.r_[True, r_sorted[1:] > run[:-1]]
    best_idx = np.maximum.accumulate(np.where(is_new, np.arange(len(order)), 0))
    count = np.searchsorted(-s_sorted, -(1.0 - deltas - FEASIBILITY_TOL), side="right")
    value = np.where(count > 0, run[np.maximum(count - 1, 0)], np.nan)
    arg = np.where(count > 0, order[best_idx[np.maximum(count - 1, 0)]], -1)
    return value, arg


def _upper_hull(standard: np.ndarray, robust: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (sorted by standard) of the upper concave envelope of the points that are on the staircase."""
    order = np.argsort(-standard, kind="stable")
    s, r = standard[order], robust[order]
    keep = np.r_[True, r[1:] > np.maximum.accumulate(r)[:-1]]
    s, r = s[keep][::-1], r[keep][::-1]  # increasing standard, decreasing robust
    hull: list[tuple[float, float]] = []
    for pt in zip(s.tolist(), r.tolist()):
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (pt[1] - y1) - (y2 - y1) * (pt[0] - x1) >= 0:  # hull[-1] is not above the chord
                hull.pop()
            else:
                break
        hull.append(pt)
    hs, hr = np.array([h[0] for h in hull]), np.array([h[1] for h in hull])
    return hs, hr


def _envelope_at(hs: np.ndarray, hr: np.ndarray, deltas: np.ndarray) -> np.ndarray:
    """Best robust accuracy of a mixture of hull vertices with standard accuracy >= 1 - delta."""
    t = 1.0 - deltas
    out = np.interp(t, hs, hr)
    out = np.where(t <= hs[0], hr[0], out)
    return np.where(t > hs[-1] + 1e-12, np.nan, out)


@dataclass(frozen=True)
class LinearFrontier:
    """Best single linear rule per delta: robust accuracy and its normalised parameters (NaN where infeasible)."""

    delta: np.ndarray
    robust: np.ndarray
    standard: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    tau: np.ndarray


ALPHA_GRID = np.r_[-np.geomspace(1e-2, 10.0, 8)[::-1], 0.0, np.geomspace(1e-3, 200.0, 56)]


def _grid(dist: FeatureDistribution, symmetric: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    root_d = math.sqrt(dist.d)
    if symmetric:
        return ALPHA_GRID, np.zeros(1), np.array([root_d])
    beta = np.r_[0.0, np.geomspace(1e-2, 8.0, 24)]  # accuracies are even in beta (the classes are symmetric)
    tau = np.unique(np.r_[np.geomspace(1.0, root_d, 24), root_d])
    return ALPHA_GRID, beta, tau


def _candidates(dist: FeatureDistribution, symmetric: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid points (alpha, beta, tau), flattened, plus the Bayes rule's parameters."""
    ga, gb, gt = _grid(dist, symmetric)
    a, b, t = (m.ravel() for m in np.meshgrid(ga, gb, gt, indexing="ij"))
    if dist.eta > 0 and dist.p < 1:
        root_d = math.sqrt(dist.d)
        a = np.r_[a, math.log(dist.p / (1 - dist.p)) / (2 * dist.eta * root_d)]
        b, t = np.r_[b, 0.0], np.r_[t, root_d]
    return a, b, t


def _best_alpha(dist, eps, norm, beta, tau, need, bisect_steps: int = 32, golden_steps: int = 32):
    """For each (beta, tau, need) (same shape), the best alpha: the best feasible point of ``ALPHA_GRID`` or a root of
    ``standard(alpha) = need`` located on the grid and refined by bisection (the constraint is usually active).
    Returns ``(alpha, robust)``; robust is -inf where no alpha is feasible."""
    A = ALPHA_GRID
    linf = canonical_norm(norm) == "inf"

    def _acc(a, b, t, _dist, e=0.0, _norm=None):
        return _reduced(a, b, t, dist.eta, dist.p, e, linf)

    b3, t3, n3 = beta[..., None], tau[..., None], need[..., None]
    S = _acc(A, b3, t3, dist)
    R = _acc(A, b3, t3, dist, eps, norm)
    feas = S >= n3
    Rf = np.where(feas, R, -np.inf)
    k = np.argmax(Rf, axis=-1)
    best_r = np.take_along_axis(Rf, k[..., None], -1)[..., 0]
    best_a = A[k]
    # interior maximum: golden-section search on [A[k-1], A[k+1]], infeasible points count as -inf
    lo, hi = A[np.maximum(k - 1, 0)], A[np.minimum(k + 1, len(A) - 1)]
    g = (math.sqrt(5) - 1) / 2

    def value(x):
        r = _acc(x, beta, tau, dist, eps, norm)
        return np.where(_acc(x, beta, tau, dist) >= need, r, -np.inf)

    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    f1, f2 = value(x1), value(x2)
    for _ in range(golden_steps):
        left = f1 >= f2
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x2n = np.where(left, x1, lo + g * (hi - lo))
        x1n = np.where(left, hi - g * (hi - lo), x2)
        f2n = np.where(left, f1, np.nan)
        f1n = np.where(left, np.nan, f2)
        x1, x2 = x1n, x2n
        f1 = np.where(left, value(x1), f1n)
        f2 = np.where(left, f2n, value(x2))
    for x, f in ((x1, f1), (x2, f2)):
        ok = f > best_r
        best_r = np.where(ok, f, best_r)
        best_a = np.where(ok, x, best_a)
    # boundary crossings: last feasible -> infeasible (upper root) and first infeasible -> feasible (lower root)
    flip_down = feas[..., :-1] & ~feas[..., 1:]
    flip_up = ~feas[..., :-1] & feas[..., 1:]
    last = len(A) - 2
    for flips, pick_last in ((flip_down, True), (flip_up, False)):
        has = flips.any(axis=-1)
        if not np.any(has):
            continue
        if pick_last:
            idx = last - np.argmax(flips[..., ::-1], axis=-1)
        else:
            idx = np.argmax(flips, axis=-1)
        lo, hi = A[idx], A[idx + 1]  # feasible end is lo for flip_down, hi for flip_up
        for _ in range(bisect_steps):
            mid = 0.5 * (lo + hi)
            ok = _acc(mid, beta, tau, dist) >= need
            if pick_last:
                lo = np.where(ok, mid, lo)
            else:
                hi = np.where(ok, mid, hi)
        root = lo if pick_last else hi
        r = _acc(root, beta, tau, dist, eps, norm)
        ok = has & (_acc(root, beta, tau, dist) >= need) & (r > best_r)
        best_r = np.where(ok, r, best_r)
        best_a = np.where(ok, root, best_a)
    return best_a, best_r


def linear_frontier(
    dist: FeatureDistribution,
    eps: float,
    norm="inf",
    deltas=None,
    symmetric: bool = False,
    refine_steps: int = 30,
) -> LinearFrontier:
    """Best robust accuracy of one deterministic linear rule subject to standard accuracy >= 1 - delta, maximised over
    ``(alpha, beta, tau)`` (module docstring; ``symmetric=True``: the paper's (w_1, v) form, v > 0, b = 0), and over
    the rules with no weak weight (``sign(x_1)``). For each (beta, tau) the best alpha is found globally on a grid and
    on the constraint boundary by bisection; (beta, log tau) start from the best point of a dense grid and are
    refined per delta by a vectorised pattern search with step halving."""
    check_dist(dist)
    refine_steps = check_count("refine_steps", refine_steps, 0)
    norm = canonical_norm(norm)
    eps = float(check_eps(eps))
    deltas = default_deltas(dist) if deltas is None else _check_deltas(deltas)
    root_d = math.sqrt(dist.d)
    log_root = math.log(root_d)
    need = 1.0 - deltas - FEASIBILITY_TOL
    linf = norm == "inf"

    def _acc(a, b, t, _dist, e=0.0, _norm=None):
        return _reduced(a, b, t, dist.eta, dist.p, e, linf)

    a, b, t = _candidates(dist, symmetric)
    std = _acc(a, b, t, dist)
    rob = _acc(a, b, t, dist, eps, norm)
    value, arg = _staircase(std, rob, deltas)
    feasible = arg >= 0
    ba = np.where(feasible, a[np.maximum(arg, 0)], 0.0)
    bb = np.where(feasible, b[np.maximum(arg, 0)], 0.0)
    bu = np.where(feasible, np.log(t[np.maximum(arg, 0)]), log_root)
    bv = np.where(feasible, value, -np.inf)
    ra, rv = _best_alpha(dist, eps, norm, bb, np.exp(bu), need)
    better = rv > bv
    ba, bv = np.where(better, ra, ba), np.where(better, rv, bv)
    if not symmetric:
        steps = np.tile([0.25, 0.25], (len(deltas), 1))
        moves = np.array([(j, k) for j in (-1, 0, 1) for k in (-1, 0, 1) if (j, k) != (0, 0)], dtype=np.float64)
        rows = np.arange(len(deltas))
        for _ in range(refine_steps):
            cb = np.abs(bb[:, None] + moves[None, :, 0] * steps[:, None, 0])
            cu = np.clip(bu[:, None] + moves[None, :, 1] * steps[:, None, 1], 0.0, log_root)
            ca, cr = _best_alpha(dist, eps, norm, cb, np.exp(cu), np.broadcast_to(need[:, None], cb.shape))
            j = np.argmax(cr, axis=1)
            better = cr[rows, j] > bv
            ba = np.where(better, ca[rows, j], ba)
            bb = np.where(better, cb[rows, j], bb)
            bu = np.where(better, cu[rows, j], bu)
            bv = np.where(better, cr[rows, j], bv)
            steps = np.where(better[:, None], steps, 0.5 * steps)
    bt = np.exp(bu)
    # rules with no weak weight: sign(x_1) (standard p) competes too
    e1 = np.zeros(dist.dim)
    e1[0] = 1.0
    s1, r1 = dist.p, linear_accuracy(e1, 0.0, dist, eps, norm)
    use_e1 = (need <= s1) & (r1 > bv)
    best = np.where(use_e1, r1, bv)
    best = np.where(np.isfinite(best), best, np.nan)
    standard = np.where(use_e1, s1, _acc(ba, bb, bt, dist))
    alpha = np.where(use_e1, np.inf, ba)
    return LinearFrontier(
        delta=deltas,
        robust=best,
        standard=np.where(np.isnan(best), np.nan, standard),
        alpha=np.where(np.isnan(best), np.nan, alpha),
        beta=np.where(np.isnan(best), np.nan, np.where(use_e1, 0.0, bb)),
        tau=np.where(np.isnan(best), np.nan, np.where(use_e1, 0.0, bt)),
    )


@dataclass(frozen=True)
class Frontier:
    """The trade-off frontier at one eps (module docstring); arrays are indexed like ``delta``."""

    d: int
    p: float
    eta: float
    eps: float
    norm: str
    delta: np.ndarray
    theorem1: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    linear: np.ndarray
    linear_symmetric: np.ndarray
    mixture: dict
    tight: dict
    bayes_standard: float
    gap: float

    def to_payload(self) -> dict:
        """Payload of a ``theory.frontier`` result file (reports/RESULTS.md); NaN (infeasible delta) stays NaN here and
        becomes null when ``data.io.write_result`` stores it."""
        return {
            "d": self.d,
            "p": self.p,
            "eta": self.eta,
            "eps": self.eps,
            "norm": self.norm,
            "delta": self.delta.tolist(),
            "theorem1": self.theorem1.tolist(),
            "upper": self.upper.tolist(),
            "exact": self.exact.tolist(),
            "linear": self.linear.tolist(),
            "linear_symmetric": self.linear_symmetric.tolist(),
            "mixture": self.mixture,
            "tight": self.tight,
            "bayes_standard": self.bayes_standard,
            "gap": self.gap,
        }


def mixture_with_robust_feature(
    dist: FeatureDistribution, partner_w: np.ndarray, partner_b: float, deltas, eps: float, norm="inf"
) -> dict:
    """Mix ``sign(x_1)`` (probability ``lam``) with a linear ``partner`` rule; per delta the smallest ``lam`` giving
    standard accuracy ``>= 1 - delta``; accuracies ``lam * p + (1 - lam) * partner`` computed from the partner's exact
    accuracies (NaN where unreachable)."""
    check_dist(dist)
    deltas = _check_deltas(deltas)
    s_p = linear_accuracy(partner_w, partner_b, dist)
    r_p = linear_accuracy(partner_w, partner_b, dist, eps, norm)
    e1 = np.zeros(dist.dim)
    e1[0] = 1.0
    s_1, r_1 = linear_accuracy(e1, 0.0, dist), linear_accuracy(e1, 0.0, dist, eps, norm)
    need = 1.0 - deltas
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(s_p > s_1, (s_p - need) / (s_p - s_1), 1.0)
    lam = np.clip(lam, 0.0, 1.0)
    standard = lam * s_1 + (1 - lam) * s_p
    robust = lam * r_1 + (1 - lam) * r_p
    ok = standard >= need - 1e-12
    nan = np.full(deltas.shape, np.nan)
    return {
        "partner_standard": s_p,
        "partner_robust": r_p,
        "weight_robust_feature": np.where(ok, lam, nan).tolist(),
        "standard": np.where(ok, standard, nan).tolist(),
        "robust": np.where(ok, robust, nan).tolist(),
    }


def tradeoff_frontier(dist: FeatureDistribution, eps: float, norm="inf", deltas=None) -> Frontier:
    """The frontier of ``dist`` at ``eps`` (module docstring). Needs ``p < 1`` and the Theorem 1 adversary inside the
    ball (``eps >= 2 eta`` for l_inf, ``eps >= 2 eta sqrt(d)`` for l_2); ValueError otherwise, and when the
    FRONTIER_VECTORS vectors of length d + 1 it holds do not fit in the available memory."""
    check_dist(dist)
    norm = canonical_norm(norm)
    eps = float(check_eps(eps))
    if dist.p >= 1.0:
        raise ValueError("p must be < 1 for the trade-off frontier (at p = 1 the robust feature alone is perfect)")
    if not theorem1_applies(dist, eps, norm):
        need = "2*eta" if norm == "inf" else "2*eta*sqrt(d)"
        raise ValueError(f"eps must be >= {need} for Theorem 1 (got eps={eps:.6g}); use linear_frontier below that")
    check_allocation(f"tradeoff_frontier on {dist.label()}: {FRONTIER_VECTORS} weight vectors of length d + 1",
                     FRONTIER_VECTORS * dist.dim, vectors_fix(dist.d))
    deltas = default_deltas(dist) if deltas is None else _check_deltas(deltas)
    bayes = bayes_accuracy(dist)
    line = np.asarray(theorem1_bound(dist.p, deltas), dtype=np.float64)
    upper = np.where(deltas >= 1.0 - bayes - 1e-12, np.minimum(np.minimum(line, dist.p), 1.0), np.nan)
    lin = linear_frontier(dist, eps, norm, deltas)
    sym = linear_frontier(dist, eps, norm, deltas, symmetric=True)
    # candidate points for mixtures: the grid of linear rules, the refined optima, sign(x_1), constant, Bayes
    a, b, t = _candidates(dist, False)
    std = reduced_accuracy(a, b, t, dist)
    rob = reduced_accuracy(a, b, t, dist, eps, norm)
    w_bayes, b_bayes = dist.bayes_weights()
    e1 = np.zeros(dist.dim)
    e1[0] = 1.0
    extra_s = [dist.p, 0.5, bayes]
    extra_r = [linear_accuracy(e1, 0.0, dist, eps, norm), 0.5, linear_accuracy(w_bayes, b_bayes, dist, eps, norm)]
    ok, ok_sym = ~np.isnan(lin.robust), ~np.isnan(sym.robust)
    cand_s = np.r_[std, extra_s, lin.standard[ok], sym.standard[ok_sym]]
    cand_r = np.r_[rob, extra_r, lin.robust[ok], sym.robust[ok_sym]]
    hs, hr = _upper_hull(cand_s, cand_r)
    exact = _envelope_at(hs, hr, deltas)
    exact = np.where(np.isnan(upper), np.nan, exact)
    mixture = mixture_with_robust_feature(dist, w_bayes, b_bayes, deltas, eps, norm)
    mixture["partner"] = "bayes"
    tight = tight_point(dist, eps, norm).to_dict()
    diff = upper - exact
    gap = float(np.nanmax(diff)) if np.any(~np.isnan(diff)) else math.nan
    return Frontier(
        d=dist.d,
        p=dist.p,
        eta=dist.eta,
        eps=eps,
        norm=norm,
        delta=deltas,
        theorem1=line,
        upper=upper,
        exact=exact,
        linear=lin.robust,
        linear_symmetric=sym.robust,
        mixture=mixture,
        tight=tight,
        bayes_standard=bayes,
        gap=gap,
    )
