"""Symbolic derivations (sympy) of the paper's closed forms (docs/paper.md §2-§3), to check the numeric code.

- Symmetric linear rule sign(w_1 x_1 + (v/sqrt d) sum_{i>=2} x_i), v > 0: given s = y x_1 the margin is Gaussian,
  m ~ N(s w_1 + v eta sqrt d, v^2); the l_inf adversary lowers it by eps ||w||_1 = eps (|w_1| + sqrt(d) v). Accuracy is
  Pr[m > 0] mixed over s = +1 (prob. p) and s = -1 (prob. 1 - p), derived here from the Gaussian law (sympy.stats).
- The averaging classifier is the case w_1 = 0, v = 1.
- Theorem 1 (Appendix C): with p_ij = Pr_{z ~ G_j}[f(i, z) = +1], the standard and adversarial (x_i -> x_i - 2 eta y)
  accuracies are derived case by case from the p_ij, rewritten through a = 1 - p_++ + p_-- and b = 1 - p_-+ + p_+-,
  and the bound adv <= p/(1-p) delta (delta = 1 - standard) is shown by an exact algebraic identity for the slack.

Used by the commands, not only by the tests: ``tradeoff theory svm`` evaluates the derived accuracies at the
population minimisers it found and stores them beside the numeric ones (:func:`symmetric_rule_check`), and
``tradeoff theory bound`` stores the symbolic proof of Theorem 1 beside its numbers (:func:`theorem1_summary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp
from sympy.stats import Normal, P

w1, eta, eps, delta = sp.symbols("w1 eta epsilon delta", real=True)
v, d = sp.symbols("v d", positive=True)
p = sp.Symbol("p", positive=True)
a, b = sp.symbols("a b", nonnegative=True)
p_pp, p_pm, p_mp, p_mm = sp.symbols("p_pp p_pm p_mp p_mm", nonnegative=True)  # p_{x1, G}: e.g. p_pm = p_{+-}


_mu = sp.Symbol("mu", real=True)
_sigma = sp.Symbol("sigma", positive=True)


@lru_cache(maxsize=1)
def _positive_probability() -> sp.Expr:
    """Pr[m > 0] for m ~ N(mu, sigma^2) in the symbols mu, sigma, derived once with sympy.stats."""
    return sp.simplify(P(Normal("m", _mu, _sigma) > 0))


def gaussian_margin_positive(mu, sigma) -> sp.Expr:
    """Pr[m > 0] for m ~ N(mu, sigma^2), derived with sympy.stats (equals Phi(mu / sigma))."""
    return _positive_probability().subs({_mu: mu, _sigma: sigma}, simultaneous=True)


def phi_cdf(x) -> sp.Expr:
    """Standard normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2."""
    return (1 + sp.erf(x / sp.sqrt(2))) / 2


def symmetric_standard_accuracy() -> sp.Expr:
    """Standard accuracy of the symmetric rule (w_1, v) on D(d, p, eta), as a sympy expression in w1, v, d, p, eta."""
    mean_weak = v * eta * sp.sqrt(d)
    return p * gaussian_margin_positive(w1 + mean_weak, v) + (1 - p) * gaussian_margin_positive(-w1 + mean_weak, v)


def symmetric_robust_accuracy() -> sp.Expr:
    """l_inf robust accuracy at radius epsilon of the symmetric rule: each margin lowered by eps (|w1| + sqrt(d) v)."""
    mean_weak = v * eta * sp.sqrt(d)
    drop = eps * (sp.Abs(w1) + sp.sqrt(d) * v)
    return p * gaussian_margin_positive(w1 + mean_weak - drop, v) + (1 - p) * gaussian_margin_positive(
        -w1 + mean_weak - drop, v
    )


def averaging_accuracy(robust: bool = False) -> sp.Expr:
    """Averaging classifier sign(sum_{i>=2} x_i) (w1 = 0, v = 1): Phi(eta sqrt d) standard, Phi((eta - eps) sqrt d)
    robust; simplified after substitution."""
    expr = symmetric_robust_accuracy() if robust else symmetric_standard_accuracy()
    return sp.simplify(expr.subs({w1: 0, v: 1}))


@dataclass(frozen=True)
class Theorem1Derivation:
    """Theorem 1 in symbols: the accuracies through p_ij, the same through (a, b), the bound and its slack.

    ``slack = p/(1-p) * (1 - standard) - adversarial`` simplifies to ``slack_closed = a (2p - 1) / (2 (1 - p))``,
    which is >= 0 for p >= 1/2 and a >= 0: that is the theorem (any delta >= 1 - standard then gives the bound).
    """

    standard_pij: sp.Expr
    adversarial_pij: sp.Expr
    standard_ab: sp.Expr
    adversarial_ab: sp.Expr
    bound: sp.Expr
    slack: sp.Expr
    slack_closed: sp.Expr
    identities_hold: bool


def theorem1_derivation() -> Theorem1Derivation:
    """Derive Theorem 1 from the p_ij argument of Appendix C and verify it algebraically.

    y = +1: x_1 = +1 w.p. p, weak block z ~ G_+; correct iff f = +1. y = -1: x_1 = -1 w.p. p, z ~ G_-; correct iff
    f = -1. The adversary x_i -> x_i - 2 eta y swaps G_+ and G_-, so the adversarial accuracy uses the other G.
    """
    standard = sp.Rational(1, 2) * (p * p_pp + (1 - p) * p_mp) + sp.Rational(1, 2) * (
        p * (1 - p_mm) + (1 - p) * (1 - p_pm)
    )
    adversarial = sp.Rational(1, 2) * (p * p_pm + (1 - p) * p_mm) + sp.Rational(1, 2) * (
        p * (1 - p_mp) + (1 - p) * (1 - p_pp)
    )
    a_def = 1 - p_pp + p_mm
    b_def = 1 - p_mp + p_pm
    standard_ab = 1 - sp.Rational(1, 2) * (p * a + (1 - p) * b)
    adversarial_ab = sp.Rational(1, 2) * ((1 - p) * a + p * b)
    sub = {a: a_def, b: b_def}
    same_std = sp.simplify(standard - standard_ab.subs(sub)) == 0
    same_adv = sp.simplify(adversarial - adversarial_ab.subs(sub)) == 0
    bound = p / (1 - p) * delta
    slack = sp.simplify(bound.subs(delta, 1 - standard_ab) - adversarial_ab)
    slack_closed = a * (2 * p - 1) / (2 * (1 - p))
    same_slack = sp.simplify(slack - slack_closed) == 0
    return Theorem1Derivation(
        standard_pij=standard, adversarial_pij=adversarial, standard_ab=standard_ab, adversarial_ab=adversarial_ab,
        bound=bound, slack=slack, slack_closed=slack_closed, identities_hold=bool(same_std and same_adv and same_slack),
    )


def lambdify_accuracy(expr: sp.Expr, args=(w1, v, d, p, eta, eps)):
    """A vectorised numpy/scipy function of ``args`` for an accuracy expression."""
    return sp.lambdify(args, expr, modules=["scipy", "numpy"])


#: Largest difference between a sympy-derived accuracy and the numeric one that still counts as agreement.
AGREEMENT_TOL = 1e-9


@lru_cache(maxsize=1)
def _symmetric_functions():
    """The standard and l_inf robust accuracy of the symmetric rule as numeric functions of (w1, v, d, p, eta, eps)."""
    return lambdify_accuracy(symmetric_standard_accuracy()), lambdify_accuracy(symmetric_robust_accuracy())


def symmetric_rule_check(models: dict[str, dict], d: int, p: float, eta: float, eps: float) -> dict:
    """The sympy-derived closed forms (docs/paper.md §2) evaluated at each model ``{w1, v, standard_acc,
    robust_acc}`` of a study and set beside its numeric accuracies (theory.accuracy; robust: l_inf at ``eps``).

    Returns ``{"models": {name: {...}}, "max_abs_difference", "agrees", "tolerance", "expressions"}``; a model with
    ``v = 0`` (the weak features unused) is outside the derivation (its margin has no Gaussian part) and is listed
    with ``checked: false``."""
    standard, robust = _symmetric_functions()
    out, diffs = {}, []
    for name, m in models.items():
        w1_, v_ = float(m["w1"]), float(m["v"])
        if not v_ > 0:
            out[name] = {"checked": False, "reason": "v = 0: sign(w1 x1) alone, no Gaussian margin to derive"}
            continue
        s = float(standard(w1_, v_, d, p, eta, 0.0))
        r = float(robust(w1_, v_, d, p, eta, eps))
        diff = max(abs(s - float(m["standard_acc"])), abs(r - float(m["robust_acc"])))
        diffs.append(diff)
        out[name] = {"checked": True, "standard_acc": s, "robust_acc": r, "abs_difference": diff}
    worst = max(diffs) if diffs else None
    return {"models": out, "max_abs_difference": worst, "tolerance": AGREEMENT_TOL,
            "agrees": None if worst is None else bool(worst <= AGREEMENT_TOL),
            "expressions": {"standard": str(symmetric_standard_accuracy()),
                            "robust_linf": str(symmetric_robust_accuracy())}}


def theorem1_summary() -> dict:
    """Theorem 1 derived symbolically (:func:`theorem1_derivation`), as plain data for a result file: whether the
    identities hold and the slack ``p/(1-p)·δ − adversarial`` in closed form, which is >= 0 for p >= 1/2."""
    t = theorem1_derivation()
    return {"identities_hold": t.identities_hold, "slack": str(t.slack_closed),
            "statement": "slack = p/(1-p)*(1 - standard) - adversarial = a(2p - 1)/(2(1 - p)) >= 0 for p >= 1/2, "
                         "a = 1 - p_++ + p_-- >= 0 (Appendix C's p_ij argument, checked by sympy)"}
