"""Theorem 1 checked on many classifiers of D(d, p, eta) (Tsipras et al. 2019, Section 2.2; docs/paper.md §3 and
claim 2 of §7).

Linear rules (the averaging classifier, sign(x_1), the Bayes rule, symmetric rules (w_1, v) and random weights) are
evaluated exactly; non-linear ones (a gate, a quadratic, a vote of signs, a random tanh network) by Monte Carlo under
Theorem 1's adversary x_i -> x_i - 2 eta y, with intervals. For each, robust <= p/(1-p) * delta with delta = 1 -
standard accuracy is checked, and the bound's tight point delta = 1 - p (reached by sign(x_1)) is reported.
:func:`bound_payload` returns the payload of a ``theory.bound`` result file (reports/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .accuracy import canonical_norm, check_eps, linear_accuracy
from .distribution import FeatureDistribution
from .montecarlo import estimate_many
from .theorem1 import check_theorem1, check_theorem1_interval, tight_point


def exact_rules(dist: FeatureDistribution, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, float]]:
    """Named linear rules (w, b) whose accuracies have closed forms (``rng`` draws the random one). At most 10 vectors
    of length d + 1 are alive at once (the 6 rules and their temporaries): refused up front when they do not fit."""
    from .checks import check_allocation

    d = dist.d
    check_allocation(f"theory bound's exact linear rules at --d {d}: 10 vectors of length d + 1", 10 * dist.dim,
                     "use a smaller --d, or 'tradeoff theory averaging' (closed forms that need no vectors)")
    ones = np.ones(d)
    w_bayes, b_bayes = dist.bayes_weights()
    rules = {
        "averaging sign(sum x_i)": (np.r_[0.0, ones], 0.0),
        "robust feature sign(x_1)": (np.r_[1.0, np.zeros(d)], 0.0),
        "Bayes rule": (w_bayes, b_bayes),
    }
    for w1 in (1.0, 3.0):
        rules[f"symmetric w1={w1:g}, v=1"] = (np.r_[w1, ones / math.sqrt(d)], 0.0)
    w = rng.normal(size=d + 1) * 0.5 + np.r_[2.0, np.full(d, 1.0 / math.sqrt(d))]
    rules["random weights, bias 0.3"] = (w, 0.3)
    return rules


def nonlinear_rules(dist: FeatureDistribution, rng: np.random.Generator) -> dict[str, Callable]:
    """Named non-linear classifiers (score functions of x) of x_1, z = d^-1/2 sum_i x_i and x_2; ``rng`` draws the
    random network."""
    root = math.sqrt(dist.d)
    w_hidden = rng.normal(size=(3, 8))
    b_hidden = rng.normal(size=8)
    w_out = rng.normal(size=8)

    def z(x):
        return x[:, 1:].sum(axis=1) / root

    def gated(x):
        zz = z(x)
        return np.where(np.abs(zz) > 2.0, zz, x[:, 0])

    def quadratic(x):
        zz = z(x)
        return x[:, 0] + 0.5 * zz * np.abs(zz)

    def vote(x):
        return np.sign(x[:, 0]) + np.sign(z(x)) + np.sign(x[:, 1])

    def net(x):
        feats = np.c_[x[:, 0], z(x), x[:, 1]]
        return np.tanh(feats @ w_hidden + b_hidden) @ w_out

    return {
        "gated (x_1 unless |z|>2)": gated,
        "quadratic x_1 + z|z|/2": quadratic,
        "vote of 3 signs": vote,
        "random tanh net": net,
    }


def bound_payload(dist: FeatureDistribution, eps: float, norm="inf", mc_samples: int = 20_000, seed: int = 0) -> dict:
    """Payload of a ``theory.bound`` result: one row per classifier {name, method, standard, robust, bound, holds,
    slack} (Monte Carlo rows hold intervals and are skipped when ``mc_samples`` is 0), ``all_hold`` and the tight
    point. All randomness comes from numpy.random.default_rng(seed)."""
    norm = canonical_norm(norm)
    eps = float(check_eps(eps))
    rng = np.random.default_rng(seed)
    rows = []
    for name, (w, b) in exact_rules(dist, rng).items():
        std = linear_accuracy(w, b, dist)
        rob = linear_accuracy(w, b, dist, eps, norm)
        c = check_theorem1(std, rob, dist.p)
        rows.append({"name": name, "method": "exact", "standard": std, "robust": rob, "bound": c.bound,
                     "holds": c.holds, "slack": c.slack})
    if mc_samples:
        results = estimate_many(nonlinear_rules(dist, rng), dist, mc_samples, rng, attack="theorem1", eps=eps,
                                norm=norm)
        for name, res in results.items():
            s, r = res.standard.to_dict(), res.robust.to_dict()
            c = check_theorem1_interval(s, r, dist.p)
            rows.append({"name": name, "method": "monte carlo, Theorem 1 adversary", "standard": s, "robust": r,
                         "bound": c.bound, "holds": c.holds, "slack": c.slack})
    return {
        "d": dist.d, "p": dist.p, "eta": dist.eta, "eps": eps, "norm": norm, "classifiers": rows,
        "all_hold": all(r["holds"] for r in rows), "tight": tight_point(dist, eps, norm).to_dict(),
        "mc_samples": mc_samples, "seed": seed,
    }
