"""Theorem 2's result at one D(d, p, eta): the population SVM (hinge) study and the same study with logistic loss
(Tsipras et al. 2019, Section 2.3 and Appendix D; docs/paper.md §4 and claim 3 of §7).

:func:`theorem2_payload` runs theory.svm.theorem2_study with theory.losses.expected_hinge and
theory.logistic.logistic_study, and returns the payload of a ``theory.svm`` result file (reports/RESULTS.md): the hinge
minimisers, Lemmas D.1-D.5, the theorem's hypotheses and side condition at top level, the logistic study under
``logistic`` with its pattern check.
"""

from __future__ import annotations

import math
from dataclasses import asdict

from .logistic import logistic_study
from .svm import theorem2_study


def theorem2_payload(
    d: int, p: float, eta: float, eps_train: float | None = None, eps_eval: float | None = None, seed: int = 0,
    check_general: bool = True,
) -> dict:
    """Theorem 2 for hinge and logistic loss at D(d, p, eta) (eps_train, eps_eval default 2 eta; ``seed`` seeds the
    random start of Lemma D.1's general-w check, skipped when ``check_general`` is False)."""
    hinge = theorem2_study(d, p, eta, eps_train, eps_eval, check_general=check_general, seed=seed)
    logistic, pattern = logistic_study(d, p, eta, eps_train, eps_eval, check_general=check_general, seed=seed)
    return {
        "d": hinge.d, "p": hinge.p, "eta": hinge.eta, "eta_sqrt_d": hinge.eta * math.sqrt(hinge.d),
        "eps_train": hinge.eps_train, "eps_eval": hinge.eps_eval,
        "standard": asdict(hinge.standard), "adversarial": asdict(hinge.adversarial),
        "lemmas": {k: asdict(v) for k, v in hinge.lemmas.items()},
        "assumptions": hinge.assumptions, "side_condition": hinge.side_condition,
        "general_check": hinge.general_check,
        "logistic": {
            "standard": asdict(logistic.standard), "adversarial": asdict(logistic.adversarial),
            "lemmas": {k: asdict(v) for k, v in logistic.lemmas.items()},
            "pattern": asdict(pattern), "pattern_holds": pattern.pattern_holds,
            "general_check": logistic.general_check,
        },
    }
