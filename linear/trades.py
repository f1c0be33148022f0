"""A TRADES-style objective for a linear classifier with the EXACT robust surrogate, and its minimisation.

TRADES (Zhang et al. 2019) trades a clean loss against a robustness term with a weight beta. For a linear model the
robust term can be the exact adversarial logistic loss (linear/objective.py), so

    G_beta(w, b) = (1/n) Σ_n ℓ(y_n (wᵀx_n + b)) + beta (1/n) Σ_n ℓ(m_n(w, b)) + (α/2)‖w‖₂²,

with ``m_n`` the exact worst margin over the threat model (ℓ∞ or ℓ2 ball, optionally ∩ the [0,1] box) and
``ℓ(m) = log(1 + e^{-m})``. Both loss terms are convex in (w, b) (the second is a maximum of convex functions), so
G_beta is convex, strongly convex in w for α > 0: a unique minimiser. beta = 0 is standard training; as beta grows
the minimiser tends to that of adversarial training (with ridge α / beta). The robust term uses the smooth
reformulation of linear/objective.py (for ℓ∞ the split ``w = w⁺ - w⁻``, where the clean margin depends on
``w⁺ - w⁻`` only, so the lifting argument there still gives the true minimum); L-BFGS-B stops when the projected
gradient's max-norm is ≤ tol.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from .objective import BLAS_THREADS, AdversarialLogisticObjective, FitResult, lbfgsb_fit, logistic_loss


class TradesLogisticObjective:
    """``G_beta`` of the module docstring in the robust term's parametrisation; ``theta = [params, b]``."""

    def __init__(self, X, y, beta: float, eps: float, norm: str = "inf", box: bool = False, alpha: float = 1e-4):
        if not (np.isfinite(beta) and beta >= 0):
            raise ValueError(f"beta (weight of the robust loss) must be a finite number >= 0, got {beta!r}")
        self.beta = float(beta)
        self.robust = AdversarialLogisticObjective(X, y, eps, norm, box, alpha)
        self.clean = AdversarialLogisticObjective(X, y, 0.0, norm, False, 0.0)
        self.y, self.n, self.d, self.alpha = self.robust.y, self.robust.n, self.robust.d, self.robust.alpha

    def _lift(self, g_w: np.ndarray) -> np.ndarray:
        return np.r_[g_w, -g_w] if self.robust.mode == "split" else g_w

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``G_beta(theta)`` and its gradient (Danskin's for the ℓ2-box robust term)."""
        m_r, jac_r = self.robust.margins_and_jacobian_rows(theta)
        w, b = self.robust.unpack(theta)
        m_c = self.clean.matvec(w) + self.y * b
        p = theta[:-1]
        f = float(logistic_loss(m_c).mean() + self.beta * logistic_loss(m_r).mean() + 0.5 * self.alpha * p @ p)
        r_c = -expit(-m_c) / self.n
        r_r = -self.beta * expit(-m_r) / self.n
        grad = np.empty_like(theta)
        grad[:-1] = jac_r(r_r) + self._lift(self.clean.rmatvec(r_c)) + self.alpha * p
        grad[-1] = (r_c + r_r) @ self.y
        return f, grad


def minimise_trades_logistic(X, y, beta: float, eps: float, norm: str = "inf", box: bool = False,
                             alpha: float = 1e-4, tol: float = 1e-6, max_iter: int = 5000) -> FitResult:
    """Minimise ``G_beta`` (module docstring) with L-BFGS-B until the projected gradient's max-norm is ≤ ``tol``."""
    with threadpool_limits(BLAS_THREADS, user_api="blas"):
        obj = TradesLogisticObjective(X, y, beta, eps, norm, box, alpha)
        rob = obj.robust
        n_pos = int((obj.y > 0).sum())
        if n_pos in (0, obj.n):
            raise ValueError("training data need samples of both classes")
        theta0 = np.zeros(rob.n_params + 1)
        theta0[-1] = np.log(n_pos / (obj.n - n_pos))
        if rob.mode in ("l2", "l2box"):  # start off w = 0, where the l_2 robust margin is not differentiable
            _, _, g = rob.zero_is_optimal()
            gn = np.linalg.norm(g)
            if gn > 0:
                theta0[:-1] = -1e-3 * g / gn
        return lbfgsb_fit(obj.value_and_grad, theta0, rob, tol, max_iter)
