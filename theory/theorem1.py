"""Theorem 1 of Tsipras et al. (2019) (docs/paper.md §3): robustness is at odds with accuracy on D(d, p, eta).

Statement: for an adversary that may shift every weak feature by ``2 eta`` (l_inf radius ``eps >= 2 eta``, or l_2
radius ``eps >= 2 eta sqrt(d)``), any classifier with standard accuracy ``>= 1 - delta`` has robust accuracy
``<= p / (1 - p) * delta``.

Proof sketch (Appendix C): the adversary ``x_i -> x_i - 2 eta y`` swaps the weak-block laws G_+ and G_-. With
``p_ij = Pr_{z ~ G_j}[f(i, z) = +1]``, ``a = 1 - p_{++} + p_{--}`` and ``b = 1 - p_{-+} + p_{+-}`` (both in [0, 2]),
standard accuracy is ``1 - (p a + (1-p) b)/2`` and adversarial accuracy ``((1-p) a + p b)/2``; since
``p a + (1-p) b = 2 delta`` and ``(1-p) a + p b <= p/(1-p) (p a + (1-p) b)``, the bound follows. It is tight at
``delta = 1 - p``: ``sign(x_1)`` has standard = robust accuracy = p (for eps < 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .accuracy import canonical_norm, check_eps, symmetric_accuracy
from .checks import check_number, check_p
from .distribution import FeatureDistribution, check_dist


def _check_p(p: float) -> float:
    return check_p(p)


def theorem1_bound(p: float, delta):
    """Theorem 1's line ``p / (1 - p) * delta`` (not capped; broadcasts over ``delta``).

    At ``p = 1`` the line is vertical: the bound is ``+inf`` for ``delta > 0`` and 0 at ``delta = 0`` is *not*
    claimed (the theorem needs p < 1), so ``+inf`` is returned for every delta there."""
    p = _check_p(p)
    delta = np.asarray(delta, dtype=np.float64)
    if np.any(~np.isfinite(delta)) or np.any(delta < 0) or np.any(delta > 1):
        raise ValueError("delta (standard error rate) must lie in [0, 1]")
    if p >= 1.0:
        out = np.full(delta.shape, math.inf)
    else:
        out = p / (1.0 - p) * delta
    return float(out) if out.ndim == 0 else out


def theorem1_applies(dist: FeatureDistribution, eps: float, norm="inf") -> bool:
    """Whether the Theorem 1 adversary fits in the ball: ``eps >= 2 eta`` (l_inf) or ``eps >= 2 eta sqrt(d)`` (l_2)."""
    check_dist(dist)
    norm = canonical_norm(norm)
    eps = float(check_eps(eps))
    need = 2.0 * dist.eta * (1.0 if norm == "inf" else math.sqrt(dist.d))
    return eps >= need * (1 - 1e-12)


@dataclass(frozen=True)
class Theorem1Check:
    """Result of checking one classifier's (standard, robust) pair against Theorem 1.

    ``bound = min(1, p/(1-p) * delta)`` with ``delta = 1 - standard``; ``slack = bound - robust`` (>= 0 when it holds).
    """

    standard: float
    robust: float
    delta: float
    bound: float
    holds: bool
    slack: float


def check_theorem1(standard: float, robust: float, p: float, tolerance: float = 1e-12) -> Theorem1Check:
    """Check ``robust <= p/(1-p) * (1 - standard)`` for one classifier's accuracies (exact values, or the
    ``robust`` lower and ``standard`` lower confidence limits of a Monte Carlo estimate: see
    :func:`check_theorem1_interval`). ``tolerance`` absorbs floating-point error only."""
    p = _check_p(p)
    standard = check_number("standard (accuracy)", standard, minimum=0.0, maximum=1.0)
    robust = check_number("robust (accuracy)", robust, minimum=0.0, maximum=1.0)
    delta = 1.0 - standard
    bound = min(1.0, theorem1_bound(p, delta))
    return Theorem1Check(standard, robust, delta, bound, robust <= bound + tolerance, bound - robust)


def check_theorem1_interval(standard: dict, robust: dict, p: float) -> Theorem1Check:
    """Check Theorem 1 on Monte Carlo intervals (``{"estimate","low","high",...}``): the theorem is *refuted* only if
    even the robust lower limit exceeds the bound at the standard lower limit (largest delta consistent with the
    data). The returned ``standard``/``robust`` are the point estimates; ``bound`` uses the lower standard limit."""
    p = _check_p(p)
    delta_hi = 1.0 - float(standard["low"])
    bound = min(1.0, theorem1_bound(p, delta_hi))
    rob_lo = float(robust["low"])
    return Theorem1Check(
        float(standard["estimate"]),
        float(robust["estimate"]),
        1.0 - float(standard["estimate"]),
        bound,
        rob_lo <= bound + 1e-12,
        bound - float(robust["estimate"]),
    )


@dataclass(frozen=True)
class TightPoint:
    """Theorem 1 at ``delta = 1 - p``, reached by ``sign(x_1)`` (accuracies computed exactly)."""

    delta: float
    standard: float
    robust: float
    bound: float
    gap: float

    def to_dict(self) -> dict:
        return {
            "delta": self.delta,
            "standard": self.standard,
            "robust": self.robust,
            "bound": self.bound,
            "gap": self.gap,
        }


def tight_point(dist: FeatureDistribution, eps: float, norm="inf") -> TightPoint:
    """``sign(x_1)``'s exact standard and robust accuracy and the bound at its delta; ``gap = bound - robust``
    is 0 for ``eps < 1`` (the rule's worst margin ``1 - eps`` stays positive) — the theorem is tight there.
    Computed in the symmetric form (w_1, v) = (1, 0), so no vector of length d + 1 is built."""
    check_dist(dist)
    standard = float(symmetric_accuracy(1.0, 0.0, dist.d, dist.p, dist.eta))
    robust = float(symmetric_accuracy(1.0, 0.0, dist.d, dist.p, dist.eta, check_eps(eps), norm))
    delta = 1.0 - standard
    bound = min(1.0, theorem1_bound(dist.p, delta))
    return TightPoint(delta, standard, robust, bound, bound - robust)
