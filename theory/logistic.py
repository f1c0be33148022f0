"""Theorem 2's study with logistic loss (PAPER.md section 4: "the argument carries to logistic loss").

Population objective J_lam(w) = E[log(1 + exp(-(y w^T x - eps ||w||_1)))] + (lam / 2) ||w||_2^2 on D(d, p, eta). As for
the hinge loss the margin given s = y x_1 is Gaussian, m ~ N(mu, sigma^2); E f(m) for f(m) = log(1 + e^{-m}) has no
closed form and is computed by Gauss-Hermite quadrature with the probabilists' weight e^{-z^2/2}
(numpy.polynomial.hermite_e): E f(mu + sigma Z) ~ sum_k w_k f(mu + sigma z_k) / sqrt(2 pi). Its derivatives are
E f'(m) and (dE/dsigma)/sigma = E[f'(m) Z] / sigma (-> E f''(m) as sigma -> 0, Stein's identity). The minimisation,
lam tuning and Lemma checks are those of theory.svm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial import hermite_e
from scipy import special

from .svm import TheoremStudy, theorem2_study

GH_NODES = 96
SIGMA_SMALL = 1e-6  # below this the sigma-derivative uses its sigma -> 0 limit E f''(mu)


@lru_cache(maxsize=8)
def _gauss_hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    z, w = hermite_e.hermegauss(n)
    return z, w / math.sqrt(2.0 * math.pi)


def expected_logistic(mu, sigma, n_nodes: int = GH_NODES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E[log(1 + exp(-m))] for m ~ N(mu, sigma^2) by ``n_nodes``-point Gauss-Hermite quadrature.

    Returns (value, d value / d mu, (d value / d sigma) / sigma), each the exact derivative of the quadrature rule
    (so finite differences agree to rounding), elementwise over broadcast ``mu``, ``sigma``.
    """
    mu, sigma = np.broadcast_arrays(np.asarray(mu, dtype=np.float64), np.asarray(sigma, dtype=np.float64))
    z, w = _gauss_hermite(n_nodes)
    m = mu[..., None] + sigma[..., None] * z
    value = np.logaddexp(0.0, -m) @ w
    f1 = -special.expit(-m)  # f'(m)
    d_mu = f1 @ w
    big = sigma > SIGMA_SMALL
    safe = np.where(big, sigma, 1.0)
    limit = special.expit(mu) * special.expit(-mu)  # f''(mu)
    d_sig = np.where(big, (f1 @ (w * z)) / safe, limit)
    return value, d_mu, d_sig


@dataclass(frozen=True)
class PatternCheck:
    """Whether Theorem 2's pattern carries over to a loss: the standard minimiser uses the weak features (v > 0,
    standard accuracy above p, robust accuracy near 0) and the adversarial one ignores them (zero weak weights,
    standard = robust = p)."""

    standard_uses_weak: bool
    standard_above_p: bool
    standard_robust_below: bool
    adversarial_zero_weak: bool
    adversarial_std_eq_p: bool
    adversarial_rob_eq_p: bool
    pattern_holds: bool


def pattern_check(study: TheoremStudy, robust_below: float = 0.01, tol: float = 1e-6) -> PatternCheck:
    """Evaluate the Theorem 2 pattern on a finished study (hinge or logistic)."""
    s, a = study.standard, study.adversarial
    checks = {
        "standard_uses_weak": s.v > 0.1,
        "standard_above_p": s.standard_acc > study.p,
        "standard_robust_below": s.robust_acc <= robust_below,
        "adversarial_zero_weak": (not a.constant) and a.weak_weight_norm <= 1e-8,
        "adversarial_std_eq_p": (not a.constant) and abs(a.standard_acc - study.p) <= tol,
        "adversarial_rob_eq_p": (not a.constant) and abs(a.robust_acc - study.p) <= tol,
    }
    checks = {k: bool(v) for k, v in checks.items()}
    return PatternCheck(**checks, pattern_holds=all(checks.values()))


def logistic_study(
    d: int = 1000, p: float = 0.95, eta: float | None = None, eps_train: float | None = None,
    eps_eval: float | None = None, check_general: bool = True, seed: int = 0,
) -> tuple[TheoremStudy, PatternCheck]:
    """Theorem 2 / Lemmas D.1-D.5 with logistic loss (defaults as theory.svm.theorem2_study) and the pattern check."""
    study = theorem2_study(d, p, eta, eps_train, eps_eval, loss="logistic", check_general=check_general, seed=seed)
    return study, pattern_check(study)
