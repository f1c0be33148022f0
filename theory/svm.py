"""Theorem 2 of Tsipras et al. (2019), Appendix D (docs/paper.md §4): the population soft-margin SVM on D(d, p, eta).

Objective (standard when ``eps = 0``, l_inf-adversarial otherwise)::

    J_lam(w) = E[ max(0, 1 - y w^T x + eps ||w||_1) ] + (lam / 2) ||w||_2^2 .

Given s = y x_1 (+1 with probability p, -1 otherwise) the margin y w^T x is Gaussian, so the expectation is
closed-form: with weak weights w_2..w_{d+1}, m | s ~ N(s w_1 + eta sum_i w_i - eps ||w||_1, ||w_{2:}||_2^2) and for
m ~ N(mu, sigma^2), E[max(0, 1 - m)] = (1 - mu) Phi((1 - mu)/sigma) + sigma phi((1 - mu)/sigma).

The weak weights are parameterised in *groups*: group g holds n_g features that share one weight c_g, stored as
theta_g = sqrt(n_g) c_g (so the symmetric form of Lemma D.1 is one group with theta = v, and a general w is d groups of
size 1). The objective depends on w only through w_1, sum_i w_i = sum_g sqrt(n_g) theta_g, ||w_{2:}||_2 = ||theta||_2
and ||w||_1 = |w_1| + sum_g sqrt(n_g) |theta_g|. The l_1 term is made smooth by splitting z = u - l with u, l >= 0
(L-BFGS-B with bounds), so weights that are exactly zero at the minimiser come out exactly zero.

The same machinery runs with any expected loss E[f(m)] given through its value and derivatives in (mu, sigma)
(theory.losses: hinge, logistic); every minimiser takes the loss as a function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from .accuracy import symmetric_accuracy
from .checks import check_allocation, check_count, check_eta, check_number, check_p, check_sizes
from .distribution import FeatureDistribution
from .losses import ExpectedLoss, expected_hinge, loss_name

DEFAULT_GTOL = 1e-10  # L-BFGS-B: stop when the projected gradient's largest entry is below this
CONVERGED_PG = 1e-7  # a minimiser whose projected gradient exceeds this is reported as not converged
ZERO_WEIGHT_TOL = 1e-8  # "zero weak weights within the solver tolerance"
SPREAD_TOL = 1e-4  # Lemma D.1: relative spread of the weak weights of a general-w minimiser
NORM_TOL = 1e-9  # tune_lambda guarantees | ||w|| - target | <= NORM_TOL * target for the minimiser it returns


def _core(z, nsum, sizes, p, eta, eps, lam, loss):
    """Objective and its partial derivatives in z = (w_1, theta) and in the l_1 norm ``nsum`` (treated as free)."""
    w1, th = z[0], z[1:]
    rs = np.sqrt(sizes)
    sigma = math.sqrt(float(th @ th))
    mean_weak = eta * float(rs @ th)
    mu = np.array([w1, -w1]) + mean_weak - eps * nsum
    val, d_mu, d_sig = loss(mu, np.full(2, sigma))
    pi = np.array([p, 1.0 - p])
    value = float(pi @ val) + 0.5 * lam * float(z @ z)
    a = float(pi @ d_mu)
    b = float(pi @ d_sig)
    grad = np.empty_like(z)
    grad[0] = p * d_mu[0] - (1.0 - p) * d_mu[1] + lam * w1
    grad[1:] = a * eta * rs + b * th + lam * th
    return value, grad, -eps * a


def population_objective(z, sizes, p, eta, eps, lam, loss: ExpectedLoss = expected_hinge):
    """J_lam at z = (w_1, theta_1..theta_G) for weak groups of ``sizes`` (see the module docstring) and its gradient
    (a subgradient with sign(0) = 0 where a weight is exactly zero and eps > 0)."""
    sizes, p, eta, eps = _check_problem(sizes, p, eta, eps, loss)
    lam = _check_lam(lam)
    z = np.asarray(z, dtype=np.float64)
    if z.shape != (1 + sizes.size,):
        raise ValueError(f"z must hold w_1 and one weight per group: shape ({1 + sizes.size},), got {z.shape}")
    return _objective(z, sizes, p, eta, eps, lam, loss)


def _objective(z, sizes, p, eta, eps, lam, loss):
    """:func:`population_objective` without argument checks (inner loops)."""
    r = np.concatenate([[1.0], np.sqrt(sizes)])
    value, grad, d_n = _core(z, float(r @ np.abs(z)), sizes, p, eta, eps, lam, loss)
    return value, grad + d_n * r * np.sign(z)


def _check_lam(lam) -> float:
    return check_number("lam (ridge weight; > 0 makes the minimiser unique)", lam, minimum=0.0, strict=True)


@dataclass(frozen=True)
class Minimiser:
    """A minimiser of J_lam in group form: ``w1``, ``theta`` (per group), the objective, the largest entry of the
    projected gradient of the split (u, l >= 0) problem, the iteration count, whether it reached CONVERGED_PG, and
    ``distance_bound``: a certified bound on ||z - z*(lam)||_2, the distance to the exact minimiser (see
    :func:`minimise_population`)."""

    w1: float
    theta: np.ndarray
    sizes: np.ndarray
    lam: float
    objective: float
    pg_norm: float
    n_iter: int
    converged: bool
    distance_bound: float = math.inf

    @property
    def norm(self) -> float:
        """||w||_2 = sqrt(w_1^2 + ||theta||^2)."""
        return math.sqrt(self.w1**2 + float(self.theta @ self.theta))

    def weights(self) -> np.ndarray:
        """The full weight vector (d + 1,): w_1 then each group's per-feature weight theta_g / sqrt(n_g) repeated."""
        per = self.theta / np.sqrt(self.sizes)
        return np.concatenate([[self.w1], np.repeat(per, self.sizes.astype(np.int64))])


def _check_problem(sizes, p, eta, eps, loss) -> tuple[np.ndarray, float, float, float]:
    """Validate the population problem's parameters (theory.checks): group sizes, p in [1/2, 1], eta >= 0, eps >= 0."""
    if not callable(loss):
        raise ValueError(f"loss must be an expected loss function (e.g. expected_hinge), got {loss!r}")
    return (check_sizes(sizes), check_p(p), check_eta(eta),
            check_number("eps (adversary's l_inf radius)", eps, minimum=0.0))


POLISH_MAX_DIM = 64  # Newton polish (finite-difference Hessian) only when at most this many weights are non-zero
POLISH_STEPS = 8


def _split_pg(z, sizes, p, eta, eps, lam, loss) -> np.ndarray:
    """Per weight, the distance from 0 to the subdifferential of J_lam at z, computed through the split problem:
    max of the projected gradients in u_i and l_i at u = max(z, 0), l = max(-z, 0)."""
    r = np.concatenate([[1.0], np.sqrt(sizes)])
    _, g, d_n = _core(z, float(r @ np.abs(z)), sizes, p, eta, eps, lam, loss)
    gu, gl = g + d_n * r, -g + d_n * r
    pu = np.where(z > 0, np.abs(gu), np.maximum(-gu, 0.0))
    pl = np.where(z < 0, np.abs(gl), np.maximum(-gl, 0.0))
    return np.maximum(pu, pl)


def _newton_polish(z, sizes, p, eta, eps, lam, loss) -> np.ndarray:
    """Newton steps on the non-zero weights (signs held fixed, zero weights held at zero) with a central-difference
    Hessian of the exact gradient. L-BFGS-B's line search compares objective values, so it stalls once a step changes
    J by less than its rounding (|grad| ~ sqrt(lam * 1e-16 * J)); Newton on the gradient alone does not, and brings the
    projected gradient down to its own rounding. A step is kept only if it lowers the largest projected gradient."""
    free = np.flatnonzero(z)
    if free.size == 0 or free.size > POLISH_MAX_DIM:
        return z
    best, best_pg = z, float(_split_pg(z, sizes, p, eta, eps, lam, loss).max())

    def grad_free(zz):
        return _objective(zz, sizes, p, eta, eps, lam, loss)[1][free]

    for _ in range(POLISH_STEPS):
        zf = best[free]
        h = np.minimum(1e-6 * np.maximum(1.0, np.abs(zf)), 0.5 * np.abs(zf))
        hess = np.empty((free.size, free.size))
        for j in range(free.size):
            zp, zm = best.copy(), best.copy()
            zp[free[j]] += h[j]
            zm[free[j]] -= h[j]
            hess[:, j] = (grad_free(zp) - grad_free(zm)) / (2.0 * h[j])
        hess = 0.5 * (hess + hess.T)
        try:
            step = np.linalg.solve(hess, -grad_free(best))
        except np.linalg.LinAlgError:
            break
        cand = best.copy()
        cand[free] = zf + step
        if np.any(np.sign(cand[free]) != np.sign(zf)):
            break
        cand_pg = float(_split_pg(cand, sizes, p, eta, eps, lam, loss).max())
        if not cand_pg < best_pg:
            break
        best, best_pg = cand, cand_pg
    return best


def minimise_population(
    sizes, p: float, eta: float, eps: float, lam: float, loss: ExpectedLoss = expected_hinge, z0=None,
    gtol: float = DEFAULT_GTOL, maxiter: int = 20000,
) -> Minimiser:
    """Minimise J_lam over (w_1, theta) deterministically with scipy L-BFGS-B on the split variables z = u - l,
    u, l >= 0 (which makes eps ||w||_1 linear), stopping when the projected gradient's largest entry is below
    ``gtol``; then, with at most POLISH_MAX_DIM non-zero weights, Newton steps polish the non-zero weights.

    Guarantee: J_lam is lam-strongly convex in z (a convex expected loss plus (lam/2) ||z||^2, and ||z|| = ||w||), so
    for any subgradient g at z, ||z - z*|| <= ||g||_2 / lam. The returned ``distance_bound`` is that bound for the
    smallest subgradient seen through the split problem (per weight the larger projected gradient of u_i, l_i)."""
    sizes, p, eta, eps = _check_problem(sizes, p, eta, eps, loss)
    lam = _check_lam(lam)
    k = 1 + sizes.size
    r = np.concatenate([[1.0], np.sqrt(sizes)])
    if z0 is None:
        z0 = np.concatenate([[0.5], np.full(sizes.size, 0.5 / math.sqrt(sizes.size))])
    z0 = np.asarray(z0, dtype=np.float64)
    x0 = np.concatenate([np.maximum(z0, 0.0), np.maximum(-z0, 0.0)])

    def fun(x):
        u, l = x[:k], x[k:]
        value, g, d_n = _core(u - l, float(r @ (u + l)), sizes, p, eta, eps, lam, loss)
        return value, np.concatenate([g + d_n * r, -g + d_n * r])

    res = optimize.minimize(
        fun, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * (2 * k),
        options={"gtol": gtol, "ftol": 1e-16, "maxiter": maxiter, "maxcor": 30, "maxls": 50},
    )
    z = _newton_polish(res.x[:k] - res.x[k:], sizes, p, eta, eps, lam, loss)
    pg = _split_pg(z, sizes, p, eta, eps, lam, loss)
    pg_norm = float(pg.max())
    value = _objective(z, sizes, p, eta, eps, lam, loss)[0]
    return Minimiser(
        w1=float(z[0]), theta=z[1:].copy(), sizes=sizes, lam=float(lam), objective=float(value),
        pg_norm=pg_norm, n_iter=int(res.nit), converged=pg_norm <= CONVERGED_PG,
        distance_bound=float(np.linalg.norm(pg)) / float(lam),
    )


def zero_is_optimal(p: float, eta: float, eps_train: float) -> bool:
    """Whether w = 0 minimises the l_inf-adversarial population objective (for every lam and for hinge or logistic
    loss): at w = 0 every margin is 0, the loss is locally linear in w and its directional derivative along w is
    proportional to -(2p - 1) w_1 - eta sum_i w_i + eps ||w||_1, which is >= 0 for all w iff eps >= max(2p - 1, eta).
    Theorem 2's adversarial part needs eps_train >= 2 eta, so its side condition is eps_train < 2p - 1."""
    p, eta = check_p(p), check_eta(eta)
    eps_train = check_number("eps_train (training adversary's radius)", eps_train, minimum=0.0)
    return eps_train >= max(2.0 * p - 1.0, eta)


def side_condition_message(p: float, eta: float, eps_train: float) -> str:
    """A one-line explanation of why the adversarial minimiser is (or is not) the constant rule w = 0."""
    if zero_is_optimal(p, eta, eps_train):
        return (
            f"eps_train = {eps_train:.6g} >= 2p - 1 = {2 * p - 1:.6g} (and >= eta): the adversary can erase every "
            "feature's margin, so w = 0 is optimal and the classifier is constant (accuracy 1/2); choose "
            f"eps_train < {2 * p - 1:.6g}"
        )
    return f"eps_train = {eps_train:.6g} < 2p - 1 = {2 * p - 1:.6g}: a non-constant minimiser exists"


def tune_lambda(
    sizes, p: float, eta: float, eps: float, loss: ExpectedLoss = expected_hinge, target_norm: float = 1.0,
    xtol: float = 1e-12, lam_min: float = 1e-8, lam_max: float = 1e8,
) -> Minimiser:
    """Find lam with ||w*(lam)||_2 = target_norm by Brent's method on log(lam) (||w*(lam)|| is non-increasing in lam
    for a convex loss plus ridge) and return that minimiser. Raises ValueError when no lam in [lam_min, lam_max] works
    (e.g. w = 0 is optimal, see :func:`zero_is_optimal`, or the unregularised minimiser is shorter than the target).
    ``||w*(lam)||`` can be flat at the target over a whole range of lam (p = 1: the hinge kink holds w* = (1, 0));
    a bracket end already within ``NORM_TOL`` of the target is then returned as is.

    Guarantee (checked; ValueError otherwise): the returned minimiser m has | m.norm - target_norm | <= NORM_TOL *
    target_norm, and m is within m.distance_bound (||.||_2) of the exact minimiser at m.lam, so the exact minimiser's
    norm is within NORM_TOL * target_norm + m.distance_bound of the target. The returned m is one of the minimisers
    the root finder evaluated (the one nearest the target), not a re-solve from another start."""
    sizes, p, eta, eps = _check_problem(sizes, p, eta, eps, loss)
    target_norm = check_number("target_norm", target_norm, minimum=0.0, strict=True)
    lam_min = check_number("lam_min", lam_min, minimum=0.0, strict=True)
    lam_max = check_number("lam_max", lam_max, minimum=lam_min, strict=True)
    xtol = check_number("xtol", xtol, minimum=0.0, strict=True)
    state = {"z": None}
    tried: dict[float, Minimiser] = {}

    def excess(log_lam):
        m = minimise_population(sizes, p, eta, eps, math.exp(log_lam), loss, z0=state["z"])
        if not m.converged and state["z"] is not None:  # a warm start near a hinge kink can stall: retry cold
            cold = minimise_population(sizes, p, eta, eps, math.exp(log_lam), loss)
            m = min(m, cold, key=lambda mm: mm.objective)
        state["z"] = np.concatenate([[m.w1], m.theta])
        tried[log_lam] = m
        return m.norm - target_norm

    lo = hi = 0.0
    f_lo = f_hi = excess(0.0)
    while f_hi > 0:
        lo, f_lo = hi, f_hi
        hi += math.log(4.0)
        if hi > math.log(lam_max):
            raise ValueError(f"no lam <= {lam_max:g} gives ||w*||_2 = {target_norm}")
        f_hi = excess(hi)
    while f_lo < 0:
        hi, f_hi = lo, f_lo
        lo -= math.log(4.0)
        if lo < math.log(lam_min):
            raise ValueError(
                f"no lam >= {lam_min:g} gives ||w*||_2 = {target_norm}: the minimiser stays shorter "
                f"(norm {f_lo + target_norm:.4g}); the loss has a bounded minimiser or w = 0 is optimal"
            )
        f_lo = excess(lo)
    for end, f_end in ((lo, f_lo), (hi, f_hi)):
        if abs(f_end) <= NORM_TOL * target_norm:
            return tried[end]
    optimize.brentq(excess, lo, hi, xtol=xtol, rtol=4 * np.finfo(float).eps)
    best = min(tried.values(), key=lambda m: abs(m.norm - target_norm))
    if not abs(best.norm - target_norm) <= NORM_TOL * target_norm:
        raise ValueError(
            f"could not tune lam so that ||w*||_2 = {target_norm} within {NORM_TOL:g} (nearest: {best.norm!r} at "
            f"lam = {best.lam:.6g}, distance bound {best.distance_bound:.2g}); the inner minimiser is not accurate "
            "enough at these parameters: try a larger target norm or other (d, p, eta, eps)"
        )
    return best


@dataclass(frozen=True)
class Solution:
    """One population minimiser with ||w*||_2 tuned to 1, in the symmetric form (w_1, v): weight v / sqrt(d) on
    every weak feature, v = d^{-1/2} sum_i w_i (Lemma D.2). Accuracies are exact (theory.accuracy) at ``eps_eval``."""

    loss: str
    eps_train: float
    eps_eval: float
    lam: float | None
    w1: float
    v: float
    weak_weight_norm: float
    weight_norm: float
    standard_acc: float
    robust_acc: float
    objective: float | None
    pg_norm: float | None
    converged: bool
    constant: bool
    message: str


@dataclass(frozen=True)
class Lemma:
    """A Lemma D.x quantity: its value, the threshold it is compared with, and whether it holds."""

    name: str
    statement: str
    value: float
    threshold: float
    holds: bool


@dataclass(frozen=True)
class TheoremStudy:
    """Theorem 2 at one (d, p, eta): the standard and adversarial population minimisers, the Lemma D.1-D.5 checks,
    the theorem's hypotheses at these parameters and the side condition eps_train < 2p - 1."""

    loss: str
    d: int
    p: float
    eta: float
    eps_train: float
    eps_eval: float
    standard: Solution
    adversarial: Solution
    lemmas: dict[str, Lemma]
    assumptions: dict[str, bool]
    side_condition: dict = field(default_factory=dict)
    general_check: dict = field(default_factory=dict)


def _solution(loss_name, loss, d, p, eta, eps_train, eps_eval) -> tuple[Solution, Minimiser | None]:
    if eps_train > 0 and zero_is_optimal(p, eta, eps_train):
        msg = side_condition_message(p, eta, eps_train)
        sol = Solution(
            loss=loss_name, eps_train=eps_train, eps_eval=eps_eval, lam=None, w1=0.0, v=0.0, weak_weight_norm=0.0,
            weight_norm=0.0, standard_acc=0.5, robust_acc=0.5, objective=None, pg_norm=None, converged=True,
            constant=True, message=msg,
        )
        return sol, None
    m = tune_lambda([d], p, eta, eps_train, loss)
    v = float(m.theta[0])
    std = float(symmetric_accuracy(m.w1, v, d, p, eta, eps=0.0))
    rob = float(symmetric_accuracy(m.w1, v, d, p, eta, eps=eps_eval))
    msg = "converged" if m.converged else f"solver stopped with projected gradient {m.pg_norm:.2e} > {CONVERGED_PG}"
    sol = Solution(
        loss=loss_name, eps_train=eps_train, eps_eval=eps_eval, lam=m.lam, w1=m.w1, v=v, weak_weight_norm=abs(v),
        weight_norm=m.norm, standard_acc=std, robust_acc=rob, objective=m.objective, pg_norm=m.pg_norm,
        converged=m.converged, constant=False, message=msg,
    )
    return sol, m


def general_weight_check(
    d: int, p: float, eta: float, eps: float, lam: float, loss: ExpectedLoss = expected_hinge, seed: int = 0,
    symmetric_objective: float | None = None,
) -> dict:
    """Lemma D.1 without assuming symmetry: minimise J_lam over a general w (d separate weak weights, random start)
    and report the weak weights' spread (max - min) / |mean|, and the objective gap to the symmetric minimiser."""
    d = check_count("d (number of weak features)", d, 1)
    seed = check_count("seed", seed, 0)
    # L-BFGS-B on 2(d + 1) split variables keeps 2 * maxcor (= 60) correction vectors of that length, plus a few
    check_allocation(f"general_weight_check(d={d}): L-BFGS-B on 2(d + 1) variables", 2 * 65 * (d + 1),
                     "use a smaller d, or theorem2_study(..., check_general=False) (the symmetric form needs no "
                     "vectors)")
    rng = np.random.default_rng(seed)
    z0 = np.concatenate([[rng.uniform(0.1, 1.0)], rng.uniform(-1.0, 1.0, d) / math.sqrt(d)])
    m = minimise_population(np.ones(d), p, eta, eps, lam, loss, z0=z0)
    weak = m.theta
    mean = float(weak.mean())
    spread = float((weak.max() - weak.min()) / abs(mean)) if mean != 0 else float(np.ptp(weak))
    out = {
        "d": d, "seed": seed, "lam": lam, "mean_weight": mean, "min_weight": float(weak.min()),
        "max_weight": float(weak.max()), "relative_spread": spread, "objective": m.objective,
        "pg_norm": m.pg_norm, "converged": m.converged,
    }
    if symmetric_objective is not None:
        out["objective_gap"] = m.objective - symmetric_objective
    return out


def theorem2_study(
    d: int = 1000, p: float = 0.95, eta: float | None = None, eps_train: float | None = None,
    eps_eval: float | None = None, loss: ExpectedLoss = expected_hinge, check_general: bool = True, seed: int = 0,
) -> TheoremStudy:
    """Theorem 2 / Lemmas D.1-D.5 at D(d, p, eta) (defaults: eta = 4/sqrt(d), eps_train = eps_eval = 2 eta).

    D.1 equal weak weights (checked by a general-w minimisation, not assumed); D.2 v* = d^{-1/2} sum_i w_i* >= 1/sqrt 2;
    D.3 standard accuracy >= 99%; D.4 robust accuracy <= 1% at eps_eval (the lemma uses eps = 2 eta); D.5 the
    adversarial minimiser's weak weights are 0 (within ZERO_WEIGHT_TOL). ``loss`` is an expected loss of the Gaussian
    margin (theory.losses.expected_hinge, expected_logistic, or any function of that signature).
    """
    dist = FeatureDistribution(d, p, 0.0 if eta is None else eta)  # validates d, p, eta
    d, p = dist.d, dist.p
    eta = 4.0 / math.sqrt(d) if eta is None else dist.eta
    eps_train = 2.0 * eta if eps_train is None else float(eps_train)
    eps_eval = 2.0 * eta if eps_eval is None else float(eps_eval)
    for name, val in (("eps_train", eps_train), ("eps_eval", eps_eval)):
        if not (math.isfinite(val) and val >= 0):
            raise ValueError(f"{name} must be a finite number >= 0 (got {val})")
    if not callable(loss):
        raise ValueError(f"loss must be an expected-loss function such as theory.losses.expected_hinge (got {loss!r})")
    name = loss_name(loss)

    standard, m_std = _solution(name, loss, d, p, eta, 0.0, eps_eval)
    adversarial, _ = _solution(name, loss, d, p, eta, eps_train, eps_eval)

    general: dict = {}
    if check_general and m_std is not None:
        general = general_weight_check(d, p, eta, 0.0, m_std.lam, loss, seed, m_std.objective)
    spread = general.get("relative_spread", float("nan"))
    adv_weak = adversarial.weak_weight_norm
    lemmas = {
        "D1": Lemma("D1", "the standard minimiser puts equal weight on every weak feature (relative spread of a "
                    "general-w minimiser)", spread, SPREAD_TOL, bool(spread <= SPREAD_TOL)),
        "D2": Lemma("D2", "v* = d^-1/2 sum_i w_i* >= 1/sqrt(2)", standard.v, 1 / math.sqrt(2),
                    bool(standard.v >= 1 / math.sqrt(2))),
        "D3": Lemma("D3", "standard SVM standard accuracy >= 99%", standard.standard_acc, 0.99,
                    bool(standard.standard_acc >= 0.99)),
        "D4": Lemma("D4", f"standard SVM robust accuracy <= 1% at eps = {eps_eval:.4g}", standard.robust_acc, 0.01,
                    bool(standard.robust_acc <= 0.01)),
        "D5": Lemma("D5", "adversarial minimiser has zero weight on every weak feature (||w_2:||_2)", adv_weak,
                    ZERO_WEIGHT_TOL, bool(adv_weak <= ZERO_WEIGHT_TOL and not adversarial.constant)),
    }
    assumptions = {
        "eta_sqrt_d_ge_4": bool(eta * math.sqrt(d) >= 4.0 - 1e-12),
        "p_in_half_0975": bool(0.5 <= p <= 0.975),
        "eps_train_ge_2eta": bool(eps_train >= 2 * eta - 1e-12),
        "eps_eval_ge_2eta": bool(eps_eval >= 2 * eta - 1e-12),
        "eps_eval_lt_1": bool(eps_eval < 1.0),
        "eps_train_lt_2p_minus_1": not zero_is_optimal(p, eta, eps_train),
    }
    side = {
        "holds": not zero_is_optimal(p, eta, eps_train),
        "threshold": 2 * p - 1,
        "message": side_condition_message(p, eta, eps_train),
    }
    return TheoremStudy(
        loss=name, d=d, p=p, eta=eta, eps_train=eps_train, eps_eval=eps_eval, standard=standard,
        adversarial=adversarial, lemmas=lemmas, assumptions=assumptions, side_condition=side,
        general_check=general,
    )
