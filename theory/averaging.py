"""The averaging classifier sign(sum_{i>=2} x_i) on D(d, p, eta): closed forms against Monte Carlo (Tsipras et al.
2019, Section 2.1; docs/paper.md §2 and claim 1 of §7).

Its standard accuracy is Phi(eta sqrt(d)) and its l_inf robust accuracy Phi((eta - eps) sqrt(d)) (l_2: Phi(eta sqrt(d)
- eps)); at Theorem 1's radius eps = 2 eta these are above 99% and below 1% once eta sqrt(d) >= 3.
:func:`averaging_payload` computes both (and, on request, Monte Carlo intervals) for one setting and for extra values of
eta sqrt(d), as the payload of a ``theory.averaging`` result file (reports/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .accuracy import averaging_accuracy, canonical_norm, check_eps
from .distribution import FeatureDistribution
from .montecarlo import LinearClassifier, estimate_accuracy


def theorem1_radius(dist: FeatureDistribution, norm="inf") -> float:
    """Theorem 1's radius: the size of the shift x_i -> x_i - 2 eta y of every weak feature in ``norm`` (2 eta for
    l_inf, 2 eta sqrt(d) for l_2)."""
    return 2.0 * dist.eta * (1.0 if canonical_norm(norm) == "inf" else math.sqrt(dist.d))


def averaging_setting(dist: FeatureDistribution, eps: float, norm="inf", mc_samples: int = 0, seed: int = 0) -> dict:
    """One setting: closed-form standard and robust accuracy at ``eps`` and, when ``mc_samples`` > 0, Monte Carlo
    95% intervals from ``mc_samples`` draws (numpy.random.default_rng(seed))."""
    norm = canonical_norm(norm)
    eps = float(check_eps(eps))
    if isinstance(mc_samples, bool) or int(mc_samples) != mc_samples or mc_samples < 0:
        raise ValueError(f"mc_samples must be an integer >= 0 (0 skips Monte Carlo), got {mc_samples!r}")
    std_mc = rob_mc = None
    if mc_samples:
        res = estimate_accuracy(
            LinearClassifier(np.r_[0.0, np.ones(dist.d)]), dist, int(mc_samples), np.random.default_rng(seed),
            eps=eps, norm=norm, progress=mc_samples * dist.dim > 10**8,
        )
        std_mc, rob_mc = res.standard.to_dict(), res.robust.to_dict()
    return {
        "d": dist.d, "p": dist.p, "eta": dist.eta, "eps": eps, "norm": norm, "eta_sqrt_d": dist.eta_sqrt_d,
        "standard_closed": averaging_accuracy(dist), "robust_closed": averaging_accuracy(dist, eps, norm),
        "standard_mc": std_mc, "robust_mc": rob_mc, "mc_samples": int(mc_samples), "seed": int(seed),
    }


def averaging_payload(
    dist: FeatureDistribution, eps: float, norm="inf", mc_samples: int = 0, seed: int = 0,
    also_eta_sqrt_d: Iterable[float] = (),
) -> dict:
    """Payload of a ``theory.averaging`` result: the setting (dist, eps) at top level and, when ``also_eta_sqrt_d`` is
    not empty, every setting under ``rows`` (the first one, then one per extra eta sqrt(d), each at its Theorem 1
    radius and Monte Carlo seed ``seed + 1 + i``), so that the 99% / 1% statement is checked too."""
    payload = averaging_setting(dist, eps, norm, mc_samples, seed)
    extra = []
    for i, ets in enumerate(also_eta_sqrt_d):
        if not (math.isfinite(ets) and ets >= 0):
            raise ValueError(f"also_eta_sqrt_d values must be finite numbers >= 0, got {ets}")
        other = FeatureDistribution(dist.d, dist.p, ets / math.sqrt(dist.d))
        extra.append(averaging_setting(other, theorem1_radius(other, norm), norm, mc_samples, seed + 1 + i))
    if extra:
        payload["rows"] = [dict(payload), *extra]
    return payload
