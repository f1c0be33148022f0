"""Expected losses of a Gaussian margin, for Theorem 2's population objectives (Tsipras et al. 2019, Section 4 and
Appendix D; docs/paper.md).

On D(d, p, eta) the margin m = y w^T x given s = y x_1 is Gaussian, m ~ N(mu, sigma^2), so a population objective
E[f(m)] only needs the map (mu, sigma) -> E f(m) and its derivatives. An :data:`ExpectedLoss` returns, elementwise over
broadcast ``mu`` and ``sigma``, the triple (E f(m), dE/dmu, (dE/dsigma)/sigma). The minimisers in theory.svm take one
of these functions as an argument; :data:`LOSSES` maps the names the command line accepts to them.

- hinge f(m) = max(0, 1 - m): closed form (1 - mu) Phi(t) + sigma phi(t), t = (1 - mu)/sigma.
- logistic f(m) = log(1 + e^{-m}): no closed form; Gauss-Hermite quadrature with the probabilists' weight e^{-z^2/2}
  (numpy.polynomial.hermite_e), E f(mu + sigma Z) ~ sum_k w_k f(mu + sigma z_k) / sqrt(2 pi). Its sigma-derivative
  over sigma is E[f'(m) Z] / sigma, which tends to E f''(mu) as sigma -> 0 (Stein's identity).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.polynomial import hermite_e
from scipy import special

# (mu, sigma) -> (E f(m), dE/dmu, (dE/dsigma)/sigma) for m ~ N(mu, sigma^2), elementwise.
ExpectedLoss = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]

SQRT_2PI = math.sqrt(2.0 * math.pi)
GH_NODES = 96
SIGMA_SMALL = 1e-6  # below this the logistic sigma-derivative uses its sigma -> 0 limit E f''(mu)


def expected_hinge(mu, sigma) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E[max(0, 1 - m)] for m ~ N(mu, sigma^2): (1 - mu) Phi(t) + sigma phi(t) with t = (1 - mu)/sigma.

    Returns (value, d value / d mu = -Phi(t), (d value / d sigma) / sigma = phi(t) / sigma). At sigma = 0 the margin is
    deterministic: value max(0, 1 - mu), derivative -1{mu < 1} (-1/2 at the kink) and zero sigma-derivative.
    """
    mu, sigma = np.broadcast_arrays(np.asarray(mu, dtype=np.float64), np.asarray(sigma, dtype=np.float64))
    a = 1.0 - mu
    pos = sigma > 0
    s = np.where(pos, sigma, 1.0)
    t = a / s
    cdf = special.ndtr(t)
    pdf = np.exp(-0.5 * t * t) / SQRT_2PI
    value = np.where(pos, a * cdf + s * pdf, np.maximum(a, 0.0))
    d_mu = np.where(pos, -cdf, -np.where(a > 0, 1.0, np.where(a < 0, 0.0, 0.5)))
    d_sig = np.where(pos, pdf / s, 0.0)
    return value, d_mu, d_sig


@lru_cache(maxsize=8)
def _gauss_hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    z, w = hermite_e.hermegauss(n)
    return z, w / SQRT_2PI


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


LOSSES: dict[str, ExpectedLoss] = {"hinge": expected_hinge, "logistic": expected_logistic}


def loss_name(loss: ExpectedLoss) -> str:
    """The name a result records for ``loss``: its key in :data:`LOSSES`, else the function's name without a leading
    ``expected_``."""
    for name, fn in LOSSES.items():
        if fn is loss:
            return name
    return getattr(loss, "__name__", type(loss).__name__).removeprefix("expected_")
