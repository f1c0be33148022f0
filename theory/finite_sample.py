"""Finite samples (beyond the paper): the theory-side analogue of Figure 1 on D(d, p, eta).

From n samples (x_k, y_k) of D, learn a linear rule sign(w^T x + b) by minimising the empirical l_inf-adversarial risk

    (1/n) sum_k f( y_k (w^T x_k + b) - eps_train ||w||_1 ) + (ridge / 2) (||w||_2^2 + b^2) ,

whose inner maximisation is exact for a linear model (the worst l_inf perturbation of radius eps lowers every margin
by eps ||w||_1). The bias is penalised like a weight (a constant feature): left free, the max-margin-like solution of
a separable small sample (n < d) takes a large bias and loses up to half its accuracy. f is the logistic loss
log(1 + e^{-m}) or the squared hinge max(0, 1 - m)^2; both are convex and smooth, and the l_1 term is made linear by
splitting w = u - l, u, l >= 0 (scipy L-BFGS-B, deterministic). Standard and robust accuracy of the learned rule are
then evaluated EXACTLY on D with theory.accuracy.linear_accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import optimize, special

from .accuracy import linear_accuracy
from .distribution import FeatureDistribution, check_dist

LOSSES = ("logistic", "squared_hinge")


def _loss_and_slope(m: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray]:
    if loss == "logistic":
        return np.logaddexp(0.0, -m), -special.expit(-m)
    gap = np.maximum(1.0 - m, 0.0)
    return gap * gap, -2.0 * gap


@dataclass(frozen=True)
class LinearRule:
    """A learned rule sign(w^T x + b) with how it was trained and how the solver ended."""

    w: np.ndarray
    b: float
    eps_train: float
    loss: str
    ridge: float
    objective: float
    pg_norm: float
    n_iter: int


def train_linear(
    x: np.ndarray, y: np.ndarray, eps_train: float = 0.0, loss: str = "logistic", ridge: float = 1e-3,
    gtol: float = 1e-8, maxiter: int = 5000, penalise_bias: bool = True,
) -> LinearRule:
    """Minimise the empirical l_inf-adversarial risk above over (w, b) with L-BFGS-B (w = u - l, u, l >= 0; b free).

    ``x`` is (n, dim), ``y`` in {-1, +1}. ``ridge`` > 0 keeps the minimiser finite on separable samples;
    ``penalise_bias`` adds (ridge / 2) b^2 (the default, see the module docstring).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0],) or x.shape[0] == 0:
        raise ValueError(f"x must be (n, dim) and y (n,) with n >= 1 (got {x.shape} and {y.shape})")
    if not np.all(np.abs(y) == 1):
        raise ValueError("y must contain only -1 and +1")
    if not np.all(np.isfinite(x)):
        raise ValueError("x has NaN or infinite values")
    try:
        eps_train = float(eps_train)
    except (TypeError, ValueError):
        raise ValueError(f"eps_train must be a finite number >= 0 (got {eps_train!r})") from None
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES} (got {loss!r})")
    if not (math.isfinite(eps_train) and eps_train >= 0):
        raise ValueError(f"eps_train must be a finite number >= 0 (got {eps_train})")
    if not ridge > 0:
        raise ValueError(f"ridge must be > 0 (got {ridge})")
    n, k = x.shape
    xy = x * y[:, None]
    ridge_b = ridge if penalise_bias else 0.0

    def fun(theta):
        u, l, b = theta[:k], theta[k : 2 * k], theta[-1]
        w = u - l
        m = xy @ w + y * b - eps_train * (u.sum() + l.sum())
        val, slope = _loss_and_slope(m, loss)
        g = slope / n
        gw = xy.T @ g + ridge * w
        gn = -eps_train * g.sum()
        value = val.sum() / n + 0.5 * ridge * float(w @ w) + 0.5 * ridge_b * b * b
        return value, np.concatenate([gw + gn, -gw + gn, [float(g @ y) + ridge_b * b]])

    theta0 = np.zeros(2 * k + 1)
    bounds = [(0.0, None)] * (2 * k) + [(None, None)]
    res = optimize.minimize(
        fun, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"gtol": gtol, "ftol": 1e-15, "maxiter": maxiter, "maxcor": 20},
    )
    th = res.x
    _, g = fun(th)
    free = np.concatenate([th[:-1] > 0, [True]])
    pg = np.where(free, np.abs(g), np.maximum(-g, 0.0))
    return LinearRule(
        w=th[:k] - th[k : 2 * k], b=float(th[-1]), eps_train=float(eps_train), loss=loss, ridge=float(ridge),
        objective=float(res.fun), pg_norm=float(pg.max()), n_iter=int(res.nit),
    )


@dataclass(frozen=True)
class FiniteSampleRow:
    """One point of the finite-sample curve: exact standard and robust (at eps_eval) accuracy of the rule trained on n
    samples with eps_train, plus its weight on the robust feature and the l_2 norm of its weak weights."""

    n: int
    eps_train: float
    seed: int
    standard_acc: float
    robust_acc: float
    eps_eval: float
    w1: float
    weak_weight_norm: float
    bias: float
    pg_norm: float


def sample_training_set(dist: FeatureDistribution, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n samples of D drawn from the stream keyed by (seed, n), so every eps_train sees the same training set."""
    check_dist(dist)
    return dist.sample(n, np.random.default_rng([int(seed), int(n)]))


def log_grid(n_min: int, n_max: int, per_decade: int = 2) -> list[int]:
    """Integers log-spaced from n_min to n_max (inclusive), about ``per_decade`` per factor 10, without repeats."""
    if not (isinstance(n_min, (int, np.integer)) and n_min >= 1 and n_max >= n_min):
        raise ValueError(f"need integers 1 <= n_min <= n_max (got {n_min}, {n_max})")
    if per_decade < 1:
        raise ValueError(f"per_decade must be >= 1 (got {per_decade})")
    count = max(2, int(round(per_decade * math.log10(n_max / n_min))) + 1) if n_max > n_min else 1
    return sorted({int(round(v)) for v in np.geomspace(n_min, n_max, count)})


def finite_sample_curve(
    d: int, p: float, eta: float, ns: Iterable[int], eps_trains: Iterable[float], seeds: Iterable[int],
    eps_eval: float | None = None, loss: str = "logistic", ridge: float = 1e-3,
    on_row: Callable[[FiniteSampleRow], None] | None = None,
) -> list[FiniteSampleRow]:
    """Rows {n, eps_train, seed, standard_acc, robust_acc, ...} over the grid ns x eps_trains x seeds.

    Standard accuracy is exact on D; robust accuracy is exact against an l_inf adversary of radius eps_eval
    (default 2 eta, Theorem 1's radius). ``on_row`` is called after each row (progress reporting)."""
    dist = FeatureDistribution(d, p, eta)
    eps_eval = 2.0 * dist.eta if eps_eval is None else float(eps_eval)
    if not (math.isfinite(eps_eval) and eps_eval >= 0):
        raise ValueError(f"eps_eval must be a finite number >= 0 (got {eps_eval})")
    ns = [int(n) for n in ns]
    if not ns or min(ns) < 1:
        raise ValueError(f"ns must be a non-empty list of sample sizes >= 1 (got {ns})")
    eps_trains = [float(e) for e in eps_trains]
    if not eps_trains or any(not (math.isfinite(e) and e >= 0) for e in eps_trains):
        raise ValueError(f"eps_train values must be finite and >= 0 (got {eps_trains})")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must be a non-empty list of integers")
    rows = []
    for seed in seeds:
        for n in ns:
            x, y = sample_training_set(dist, n, seed)
            for eps_train in eps_trains:
                rule = train_linear(x, y, eps_train, loss=loss, ridge=ridge)
                row = FiniteSampleRow(
                    n=n, eps_train=eps_train, seed=int(seed),
                    standard_acc=float(linear_accuracy(rule.w, rule.b, dist, eps=0.0)),
                    robust_acc=float(linear_accuracy(rule.w, rule.b, dist, eps=eps_eval)),
                    eps_eval=eps_eval, w1=float(rule.w[0]), weak_weight_norm=float(np.linalg.norm(rule.w[1:])),
                    bias=rule.b, pg_norm=rule.pg_norm,
                )
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    return rows


def finite_sample_payload(
    rows: list[FiniteSampleRow], d: int, p: float, eta: float, loss: str = "logistic", ridge: float = 1e-3,
) -> dict:
    """Payload of a ``theory.finite_sample`` result file (reports/RESULTS.md) for the rows of
    :func:`finite_sample_curve`: the setting, the grid (sizes, training radii, seeds, in the rows' order), the rows."""
    if not rows:
        raise ValueError("rows must not be empty (run finite_sample_curve first)")

    def unique(key):
        return list(dict.fromkeys(getattr(r, key) for r in rows))

    return {"d": d, "p": p, "eta": eta, "eps_eval": rows[0].eps_eval, "loss": loss, "ridge": ridge,
            "ns": unique("n"), "eps_trains": unique("eps_train"), "seeds": unique("seed"),
            "rows": [asdict(r) for r in rows]}
