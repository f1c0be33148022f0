"""The Gaussian model of Schmidt et al. 2018 ("Adversarially robust generalization requires more data"), a second
distribution beside D: how the standard and the robust error of a learned linear rule fall with the sample size n.

Model: ``y`` uniform in {-1, +1}, ``x ~ N(y theta*, sigma^2 I_d)`` with ``||theta*||_2 = sqrt(d)`` (default
``theta* = (1, ..., 1)``). Learned rule: ``w_hat = (1/n) sum_k y_k x_k``, classifier ``sign(w . x)``. Since
``y_k x_k = theta* + sigma g_k``, exactly ``w_hat ~ N(theta*, s^2 I)`` with ``s = sigma / sqrt(n)``.

For a fixed ``w`` (Gaussian input, no box) the margin ``y w.x = w.theta* + sigma ||w||_2 Z``, so

* standard error ``Phi(-w.theta* / (sigma ||w||_2))``;
* robust error against ``||delta||_inf <= eps`` (worst case lowers the margin by ``eps ||w||_1``):
  ``Phi((eps ||w||_1 - w.theta*) / (sigma ||w||_2))``; for l_2 replace ``||w||_1`` by ``||w||_2``.

Expected errors over the sample (the quantities plotted against n):

* standard, exactly as a 2-d integral: with ``u = w_hat . theta*/sqrt(d) ~ N(sqrt(d), s^2)`` and
  ``V = ||w_hat - (u/sqrt(d)) theta*||^2 ~ s^2 chi^2_{d-1}`` independent, the error is
  ``E Phi(-sqrt(d) u / (sigma sqrt(u^2 + V)))``, computed by Gauss-Legendre quadrature over the two quantile
  variables (:func:`standard_error_exact`);
* robust l_inf: ``||w_hat||_1`` does not reduce, so the expectation is by Monte Carlo over ``w_hat`` (exact Phi per
  draw; :func:`expected_errors_mc`); the large-d deterministic equivalent replaces the norms by their means per
  coordinate, ``||w||_1 / d -> E|theta*_i + s Z|`` (folded normal), ``||w||_2^2 / d -> 1 + s^2``, ``w.theta*/d -> 1``
  (:func:`plug_in_errors`, for theta* with entries +-1).

The contrast Schmidt et al. prove: with ``sigma ~ d^(1/4)`` one sample already gives a small standard error,
while a small robust l_inf error needs n growing like ``eps^2 sqrt(d)`` (up to logarithms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, roots_legendre
from scipy.stats import chi2, norm

from .accuracy import canonical_norm, check_eps


@dataclass(frozen=True)
class GaussianModel:
    """``y`` uniform +-1, ``x ~ N(y theta*, sigma^2 I_d)``; ``theta*`` defaults to all ones (norm sqrt(d))."""

    d: int
    sigma: float
    theta: np.ndarray | None = None

    def __post_init__(self):
        if not (isinstance(self.d, (int, np.integer)) and self.d >= 1):
            raise ValueError(f"d must be an integer >= 1 (got {self.d!r})")
        if not (np.isfinite(self.sigma) and self.sigma > 0):
            raise ValueError(f"sigma must be a finite number > 0 (got {self.sigma!r})")
        if self.theta is not None:
            t = np.asarray(self.theta, dtype=np.float64)
            if t.shape != (self.d,) or not np.isclose(t @ t, self.d, rtol=1e-9):
                raise ValueError(f"theta must be a length-{self.d} vector with ||theta||_2 = sqrt(d)")

    @property
    def theta_star(self) -> np.ndarray:
        """``theta*`` as an array."""
        return np.ones(self.d) if self.theta is None else np.asarray(self.theta, dtype=np.float64)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` samples ``(x (n, d), y (n,))``."""
        y = rng.choice([-1.0, 1.0], n)
        return y[:, None] * self.theta_star[None] + self.sigma * rng.standard_normal((n, self.d)), y


def errors_of_rule(w, model: GaussianModel, eps: float = 0.0, norm: str = "inf") -> np.ndarray:
    """Exact error of ``sign(w . x)`` on the model against ``||delta||_norm <= eps`` (module docstring); ``w`` is
    (d,) or (k, d) (one error per row)."""
    norm = canonical_norm(norm)
    eps = float(check_eps(eps))
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    l2 = np.linalg.norm(w, axis=1)
    dual = np.abs(w).sum(axis=1) if norm == "inf" else l2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (eps * dual - w @ model.theta_star) / (model.sigma * l2)
    return np.where(l2 > 0, ndtr(z), 1.0)  # w = 0: the margin is 0, an error


def standard_error_exact(model: GaussianModel, n: int, nodes: int = 400) -> float:
    """Expected standard error of the averaging rule from n samples, by the exact 2-d reduction (module docstring)
    and ``nodes x nodes`` Gauss-Legendre quadrature over the quantiles of ``u`` and ``V`` (the quantile functions'
    end singularities slow it to about 1e-6 absolute at 400 nodes; tests/theory/test_gaussian_model.py); closed
    form for d = 1."""
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n must be an integer >= 1 (got {n!r})")
    s = model.sigma / math.sqrt(n)
    if model.d == 1:  # V = 0: the error is Phi(-1/sigma) if u > 0 and Phi(1/sigma) if u < 0
        neg = float(ndtr(-1.0 / s))
        return (1 - neg) * float(ndtr(-1.0 / model.sigma)) + neg * float(ndtr(1.0 / model.sigma))
    q, wq = roots_legendre(nodes)
    q, wq = 0.5 * (q + 1.0), 0.5 * wq
    u = math.sqrt(model.d) + s * norm.ppf(q)
    V = s * s * chi2.ppf(q, model.d - 1) if model.d > 1 else np.zeros_like(q)
    U, W = u[:, None], V[None, :]
    err = ndtr(-math.sqrt(model.d) * U / (model.sigma * np.sqrt(U * U + W)))
    return float(wq @ err @ wq)


def folded_mean(s: float) -> float:
    """``E|1 + s Z|`` for standard normal Z: ``s sqrt(2/pi) exp(-1/(2 s^2)) + 1 - 2 Phi(-1/s)``."""
    if s == 0:
        return 1.0
    return s * math.sqrt(2 / math.pi) * math.exp(-0.5 / (s * s)) + 1.0 - 2.0 * float(ndtr(-1.0 / s))


def plug_in_errors(model: GaussianModel, n: int, eps: float, norm: str = "inf") -> tuple[float, float]:
    """Large-d deterministic equivalents ``(standard, robust)`` of the expected errors (module docstring; theta*
    with entries +-1): ``Phi(-sqrt(d) / (sigma sqrt(1 + s^2)))`` and
    ``Phi(sqrt(d) (eps m - 1) / (sigma sqrt(1 + s^2)))`` with ``m = E|1 + s Z|`` (l_inf) or ``sqrt(1 + s^2)`` (l_2)."""
    norm = canonical_norm(norm)
    eps = float(check_eps(eps))
    s = model.sigma / math.sqrt(n)
    r = math.sqrt(1 + s * s)
    m = folded_mean(s) if norm == "inf" else r
    root = math.sqrt(model.d)
    return float(ndtr(-root / (model.sigma * r))), float(ndtr(root * (eps * m - 1) / (model.sigma * r)))


@dataclass(frozen=True)
class McEstimate:
    """A Monte Carlo mean with its standard error."""

    mean: float
    se: float


def expected_errors_mc(model: GaussianModel, n: int, eps: float, norm: str = "inf", draws: int = 2000,
                       rng: np.random.Generator | None = None) -> tuple[McEstimate, McEstimate]:
    """Expected (standard, robust) error of the averaging rule from n samples by Monte Carlo over
    ``w_hat ~ N(theta*, sigma^2/n I)`` (exact errors per draw, :func:`errors_of_rule`)."""
    rng = rng or np.random.default_rng(0)
    s = model.sigma / math.sqrt(n)
    out = []
    for e in (0.0, eps):
        vals = []
        for start in range(0, draws, 256):
            k = min(256, draws - start)
            w = model.theta_star[None] + s * rng.standard_normal((k, model.d))
            vals.append(errors_of_rule(w, model, e, norm))
        v = np.concatenate(vals)
        out.append(McEstimate(float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan))
    return out[0], out[1]


@dataclass(frozen=True)
class GaussianRow:
    """One sample size: expected standard / robust error (exact standard, Monte Carlo robust) and plug-ins."""

    n: int
    standard_error: float
    standard_error_mc: float
    standard_error_mc_se: float
    robust_error_mc: float
    robust_error_mc_se: float
    standard_error_plug_in: float
    robust_error_plug_in: float


def sample_size_curve(model: GaussianModel, ns, eps: float, norm: str = "inf", draws: int = 2000,
                      seed: int = 0) -> list[GaussianRow]:
    """Errors of the averaging rule against n (one :class:`GaussianRow` per n)."""
    ns = [int(v) for v in ns]
    if not ns or min(ns) < 1:
        raise ValueError(f"ns must be sample sizes >= 1 (got {ns})")
    rows = []
    for n in ns:
        sm, rm = expected_errors_mc(model, n, eps, norm, draws, np.random.default_rng([int(seed), n]))
        ps, pr = plug_in_errors(model, n, eps, norm)
        rows.append(GaussianRow(n, standard_error_exact(model, n), sm.mean, sm.se, rm.mean, rm.se, ps, pr))
    return rows
