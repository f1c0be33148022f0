"""Theorem 2's study with logistic loss (Tsipras et al. 2019, Section 4: "the argument carries to logistic loss").

Population objective J_lam(w) = E[log(1 + exp(-(y w^T x - eps ||w||_1)))] + (lam / 2) ||w||_2^2 on D(d, p, eta). The
expected loss of the Gaussian margin is theory.losses.expected_logistic (Gauss-Hermite quadrature); the minimisation,
lam tuning and Lemma checks are those of theory.svm. :func:`pattern_check` asks whether Theorem 2's pattern holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from .losses import expected_logistic
from .svm import TheoremStudy, theorem2_study


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
    study = theorem2_study(
        d, p, eta, eps_train, eps_eval, loss=expected_logistic, check_general=check_general, seed=seed
    )
    return study, pattern_check(study)
