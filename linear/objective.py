"""The exact adversarial logistic objective of a linear classifier and its deterministic minimisation.

For labels ``y ∈ {-1, +1}`` and ``f(x) = wᵀx + b`` the adversarial empirical risk is

    F(w, b) = (1/n) Σ_n ℓ(m_n(w, b)) + (α/2)‖w‖₂²,   ℓ(m) = log(1 + e^{-m}),
    m_n(w, b) = min_{δ ∈ Δ_n} y_n (wᵀ(x_n + δ) + b)     (exact worst margin, see linear/robust.py)

(the intercept is not regularised). Convexity: for each fixed δ the map (w, b) ↦ ℓ(y(wᵀ(x+δ)+b)) is convex, and
F is a maximum of such maps over δ (ℓ is decreasing, so ``ℓ(min_δ ·) = max_δ ℓ(·)``), hence F is convex for ANY
convex perturbation set Δ — with or without the [0,1] box. With α > 0 it is strongly convex in w, so the
minimiser is unique.

Smooth reformulations solved with L-BFGS-B (scipy), stopping when the projected gradient's max-norm is ≤ tol:

* ε = 0 (standard training): margin ``y(wᵀx + b)``, smooth and unconstrained.
* ℓ∞ (box or not): split ``w = w⁺ - w⁻`` with ``w⁺, w⁻ ≥ 0``. The worst margin becomes LINEAR in (w⁺, w⁻):
  ``y(wᵀx + b) - p_nᵀw⁺ - q_nᵀw⁻`` with ``p = q = ε`` (no box), or with the box ``p_i = min(ε, x_i)``,
  ``q_i = min(ε, 1 - x_i)`` for y = +1 (swapped for y = -1). For non-complementary (w⁺, w⁻) this lifted margin is
  below the true one and the lifted penalty (α/2)(‖w⁺‖² + ‖w⁻‖²) above the true one, so the lifted problem
  (smooth, bound-constrained, strongly convex) has the same minimum, attained at complementary w⁺, w⁻.
* ℓ2 without box: margin ``y(wᵀx + b) - ε‖w‖₂``, smooth except at w = 0. Whether w = 0 is the minimiser is
  decided exactly first: with b* = log(n₊/n₋), g = (1/n) Σ ℓ'(y_n b*) y_n x_n and κ = (1/n) Σ -ℓ'(y_n b*), the
  point (0, b*) is optimal iff ‖g‖₂ ≤ εκ. Otherwise the minimiser has w ≠ 0 and L-BFGS-B runs on a smooth region.
* ℓ2 with the box: the worst δ is the exact active-set solution of linear/robust.py and the gradient follows
  Danskin's theorem (``∂m_n/∂w = y_n(x_n + δ*_n)``). The objective is still convex but only almost-everywhere
  differentiable, and each evaluation makes several passes over an n×d array, so this mode is slower (≈20 s on
  MNIST 5-vs-7 against ≈2 s for ℓ∞); convergence is reported.

With α = 0 the minimum of the lifted ℓ∞ problem is still the true minimum (w = w⁺ - w⁻ of any lifted minimiser is
a true minimiser), but the minimiser need not be unique.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit
from threadpoolctl import threadpool_limits

from .robust import _l2_box_perturbation, check_eps, check_in_box, check_norm

# BLAS threads while solving: every product here is a memory-bound matrix-vector product, and threaded BLAS
# costs far more than it gains for them (4x slower on a 2-core machine shared with other jobs, measured).
BLAS_THREADS = 1


def logistic_loss(m: np.ndarray) -> np.ndarray:
    """``ℓ(m) = log(1 + exp(-m))``, computed stably."""
    return np.logaddexp(0.0, -m)


@dataclass
class FitResult:
    """What :func:`minimise_adversarial_logistic` found: weights, intercept and solver diagnostics."""

    coef: np.ndarray
    intercept: float
    objective: float
    n_iter: int
    grad_norm: float  # max-norm of the projected gradient at the returned point
    converged: bool  # grad_norm <= tol
    message: str


class AdversarialLogisticObjective:
    """``F`` of the module docstring in the parametrisation that makes it smooth; ``theta = [params, b]``."""

    def __init__(self, X, y, eps: float = 0.0, norm: str = "inf", box: bool = False, alpha: float = 1e-4,
                 sparse: bool | None = None):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.abs(y) == 1):
            raise ValueError("y must contain only -1 and +1")
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"X must be (n, d) with one row per label, got {X.shape} for {len(y)} labels")
        if not np.isfinite(X.sum()):  # one pass: a NaN or inf anywhere makes the sum non-finite
            raise ValueError("X has NaN or infinite values; clean the data first")
        self.eps, self.norm, self.box = check_eps(eps), check_norm(norm), bool(box)
        if not (np.isfinite(alpha) and alpha >= 0):
            raise ValueError(f"alpha (L2 regularisation) must be a finite number >= 0, got {alpha}")
        self.alpha = float(alpha)
        if self.box:
            check_in_box(X)
        self.n, self.d = X.shape
        self.y = y
        # margins are affine in the parameters: m = M p + y b with M = S + U Vᵀ, S sparse when X is (MNIST: ~18%
        # non-zero pixels, 4x fewer bytes to stream per product) and U Vᵀ a rank <= 2 constant correction.
        self.U = self.V = None
        if sparse is None:  # automatic: sparse storage pays off below ~30% non-zeros (measured on MNIST)
            sparse = X.size > 0 and np.count_nonzero(X) < 0.3 * X.size
        sparse = bool(sparse) and not (self.box and self.eps >= 1)  # eps >= 1 in the box makes the terms dense
        Xs = sp.csr_array(X) if sparse else X
        yX = Xs * y[:, None] if sparse else y[:, None] * X
        if self.eps == 0:
            self.mode = "linear"
            S = yX
        elif self.norm == "inf":
            self.mode = "split"
            ones = np.ones((self.d, 1))
            zeros = np.zeros((self.d, 1))
            if self.box:
                # y=+1: p = min(eps, x), q = min(eps, 1-x) = eps - max(0, x - (1-eps)); y=-1: swapped
                pos = (y > 0).astype(np.float64)
                down = Xs.minimum(self.eps) if sparse else np.minimum(X, self.eps)
                over = (Xs - (1.0 - self.eps) * (Xs > 0)).maximum(0) if sparse else np.maximum(X - 1 + self.eps, 0)
                col = (lambda a: a[:, None]) if not sparse else (lambda a: sp.dia_array((a, 0), (self.n, self.n)))
                if sparse:
                    Sp = yX - col(pos) @ down + col(1 - pos) @ over
                    Sm = -yX + col(pos) @ over - col(1 - pos) @ down
                else:
                    Sp = yX - col(pos) * down + col(1 - pos) * over
                    Sm = -yX + col(pos) * over - col(1 - pos) * down
                self.U = -self.eps * np.column_stack([1 - pos, pos])
                self.V = np.block([[ones, zeros], [zeros, ones]])
            else:
                Sp, Sm = yX, -yX
                self.U = np.full((self.n, 1), -self.eps)
                self.V = np.ones((2 * self.d, 1))
            S = sp.hstack([Sp, Sm], format="csr") if sparse else np.hstack([Sp, Sm])
        else:
            self.mode = "l2box" if self.box else "l2"
            S = yX
            self.X = X
        self.S = sp.csr_array(S) if sparse else S
        self.ST = self.S.T.tocsr() if sparse else S.T
        self.n_params = S.shape[1]

    def matvec(self, p: np.ndarray) -> np.ndarray:
        """``M p`` (M = S + U Vᵀ)."""
        out = self.S @ p
        return out if self.U is None else out + self.U @ (self.V.T @ p)

    def rmatvec(self, r: np.ndarray) -> np.ndarray:
        """``Mᵀ r``."""
        out = self.ST @ r
        return out if self.U is None else out + self.V @ (self.U.T @ r)

    def dense_matrix(self) -> np.ndarray:
        """M as a dense array (for tests and small problems)."""
        S = self.S.toarray() if sp.issparse(self.S) else np.asarray(self.S)
        return S if self.U is None else S + self.U @ self.V.T

    def bounds(self):
        """L-BFGS-B bounds: w⁺, w⁻ ≥ 0 in the split form, free otherwise; the intercept is always free."""
        lo = 0.0 if self.mode == "split" else None
        return [(lo, None)] * self.n_params + [(None, None)]

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """``(w, b)`` from the solver's vector."""
        p, b = theta[:-1], float(theta[-1])
        if self.mode == "split":
            return p[: self.d] - p[self.d :], b
        return p.copy(), b

    def margins_and_jacobian_rows(self, theta: np.ndarray):
        """Worst margins m_n, and a callable giving ``Σ_n r_n ∂m_n/∂params`` for a weight vector r."""
        p, b = theta[:-1], theta[-1]
        m = self.matvec(p) + self.y * b
        if self.mode in ("linear", "split"):
            return m, self.rmatvec
        nw = np.linalg.norm(p)
        if self.mode == "l2":
            m = m - self.eps * nw
            unit = p / nw if nw > 0 else np.zeros_like(p)
            return m, lambda r: self.rmatvec(r) - self.eps * r.sum() * unit
        delta = _l2_box_perturbation(self.y[:, None] * p[None, :], self.X, self.eps)
        m = m + self.y * (delta @ p)
        return m, lambda r: self.rmatvec(r) + delta.T @ (r * self.y)

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``F(theta)`` and its gradient (Danskin's gradient in the ℓ2-box mode)."""
        m, jac_t = self.margins_and_jacobian_rows(theta)
        p = theta[:-1]
        f = float(logistic_loss(m).mean() + 0.5 * self.alpha * p @ p)
        r = -expit(-m) / self.n  # ℓ'(m)/n
        grad = np.empty_like(theta)
        grad[:-1] = jac_t(r) + self.alpha * p
        grad[-1] = r @ self.y
        return f, grad

    def zero_is_optimal(self) -> tuple[bool, float, np.ndarray]:
        """For the ℓ2 no-box mode: whether (w = 0, b*) is the exact minimiser (see the module docstring);
        also returns b* and the data gradient g at w = 0 (used as a starting direction)."""
        n_pos = int((self.y > 0).sum())
        b0 = float(np.log(n_pos / (self.n - n_pos)))
        r = -expit(-self.y * b0) / self.n
        g = self.rmatvec(r)
        kappa = float(-r.sum())
        return bool(np.linalg.norm(g) <= self.eps * kappa), b0, g

    def projected_grad_norm(self, theta: np.ndarray, grad: np.ndarray) -> float:
        """Max-norm of the gradient projected on the feasible set (the L-BFGS-B stopping quantity)."""
        g = grad.copy()
        if self.mode == "split":
            at_bound = theta[:-1] <= 0
            g[:-1][at_bound] = np.minimum(g[:-1][at_bound], 0.0)
        return float(np.abs(g).max()) if g.size else 0.0


def minimise_adversarial_logistic(
    X, y, eps: float = 0.0, norm: str = "inf", box: bool = False, alpha: float = 1e-4,
    tol: float = 1e-6, max_iter: int = 5000, init: tuple[np.ndarray, float] | None = None,
) -> FitResult:
    """Minimise the exact adversarial logistic risk F (module docstring) with L-BFGS-B, deterministically,
    until the projected gradient's max-norm is ≤ ``tol`` (or ``max_iter`` iterations). ``y`` in {-1, +1}.
    ``init = (w, b)`` warm-starts the solver (the minimiser is unique, so only the run time changes)."""
    with threadpool_limits(BLAS_THREADS, user_api="blas"):
        return _minimise(X, y, eps, norm, box, alpha, tol, max_iter, init)


def _minimise(X, y, eps, norm, box, alpha, tol, max_iter, init) -> FitResult:
    obj = AdversarialLogisticObjective(X, y, eps, norm, box, alpha)
    n_pos = int((obj.y > 0).sum())
    if n_pos in (0, obj.n):
        raise ValueError("training data need samples of both classes")
    theta0 = np.zeros(obj.n_params + 1)
    theta0[-1] = np.log(n_pos / (obj.n - n_pos))
    if obj.mode in ("l2", "l2box"):
        is_zero, b0, g = obj.zero_is_optimal()
        if obj.mode == "l2" and is_zero:
            f, grad = obj.value_and_grad(np.r_[np.zeros(obj.d), b0])
            return FitResult(np.zeros(obj.d), b0, f, 0, 0.0, True, "w = 0 is optimal (||g||_2 <= eps*kappa)")
        gn = np.linalg.norm(g)
        if gn > 0:
            theta0[:-1] = -1e-3 * g / gn
    if init is not None:
        w0 = np.asarray(init[0], dtype=np.float64).reshape(-1)
        if w0.size != obj.d:
            raise ValueError(f"init has {w0.size} weights, the data {obj.d} features")
        theta0[:-1] = np.r_[np.maximum(w0, 0), np.maximum(-w0, 0)] if obj.mode == "split" else w0
        theta0[-1] = float(init[1])
    return lbfgsb_fit(obj.value_and_grad, theta0, obj, tol, max_iter)


def lbfgsb_fit(value_and_grad, theta0: np.ndarray, params: AdversarialLogisticObjective, tol: float,
               max_iter: int) -> FitResult:
    """Minimise ``value_and_grad`` (returning ``(f, grad)``) from ``theta0`` with L-BFGS-B inside the feasible set of
    ``params`` (its parametrisation: bounds, unpacking, projected gradient) until the projected gradient's max-norm
    is ≤ ``tol`` or ``max_iter`` iterations; deterministic. Shared by every convex linear objective of linear/."""
    res = minimize(
        value_and_grad, theta0, jac=True, method="L-BFGS-B", bounds=params.bounds(),
        options={"maxiter": int(max_iter), "maxfun": 4 * int(max_iter), "gtol": float(tol), "ftol": 0.0,
                 "maxcor": 20},
    )
    f, grad = value_and_grad(res.x)
    pg = params.projected_grad_norm(res.x, grad)
    w, b = params.unpack(res.x)
    return FitResult(w, b, f, int(res.nit), pg, pg <= tol, str(res.message))
