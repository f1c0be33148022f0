"""Claim 4 (docs/paper.md §7): the perturbation "x_i -> x_i - 2 eta y on every weak feature" transfers.

The shift (theory.montecarlo.theorem1_attack) has l_inf size 2 eta and does not depend on any model: it turns the weak
block N(eta y, 1)^d into N(-eta y, 1)^d, the other class's law. Several standard classifiers are trained on independent
samples of D (as in theory.finite_sample, eps_train = 0); one set of fresh test points is shifted, and the fraction
each model then misclassifies is counted, with a 95% Wilson interval (theory.montecarlo.wilson), per model and pooled
over models x points.

Exact check: since -x_i ~ N(-eta y, 1) when x_i ~ N(eta y, 1), the shifted law seen by (w_1, w_2:, b) equals D seen
by (w_1, -w_2:, b), so each model's expected error after the shift is 1 - linear_accuracy((w_1, -w_2:), b, D).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradeoff.data.io import to_jsonable

from .accuracy import linear_accuracy
from .distribution import FeatureDistribution
from .finite_sample import train_linear
from .montecarlo import Interval, theorem1_attack, wilson


@dataclass(frozen=True)
class ModelTransfer:
    """One standard model: clean accuracy on the test points, the fraction misclassified after the shift (interval),
    the fraction of its correctly classified points that the shift flips, and the exact expected error after it."""

    model: int
    train_seed: int
    clean_acc: float
    fooled_fraction: Interval
    flipped_among_correct: Interval | None
    fooled_exact: float


@dataclass(frozen=True)
class TransferResult:
    """Claim 4: per-model results and the pooled fooled fraction (models x points) at shift size eps = 2 eta."""

    d: int
    p: float
    eta: float
    eps: float
    n_models: int
    n_train: int
    n_test: int
    fooled_fraction: Interval
    per_model: list[ModelTransfer]

    def to_payload(self) -> dict:
        """Payload of a ``theory.transfer`` result file (reports/RESULTS.md): every field, intervals as
        {estimate, low, high, n, level}."""
        return to_jsonable(self)


def transfer_study(
    d: int, p: float, eta: float, n_models: int = 5, n_train: int = 1000, n_test: int = 10000, seed: int = 0,
    loss: str = "logistic", ridge: float = 1e-3, level: float = 0.95,
) -> TransferResult:
    """Train ``n_models`` standard linear classifiers on independent samples of size ``n_train`` (seeds seed+1000+k),
    apply the fixed shift to ``n_test`` fresh points (seed) and count misclassifications per model and pooled."""
    dist = FeatureDistribution(d, p, eta)
    for name, val in (("n_models", n_models), ("n_train", n_train), ("n_test", n_test)):
        if not (isinstance(val, (int, np.integer)) and val >= 1):
            raise ValueError(f"{name} must be a positive integer (got {val!r})")
    x_test, y_test = dist.sample(n_test, np.random.default_rng([int(seed), 0]))
    x_shift = theorem1_attack(dist)(x_test, y_test)
    per_model, fooled_total = [], 0
    for k in range(n_models):
        train_seed = int(seed) + 1000 + k
        x, y = dist.sample(n_train, np.random.default_rng([train_seed, 1]))
        rule = train_linear(x, y, 0.0, loss=loss, ridge=ridge)
        clean_ok = y_test * (x_test @ rule.w + rule.b) > 0
        shift_wrong = y_test * (x_shift @ rule.w + rule.b) <= 0
        fooled = int(shift_wrong.sum())
        fooled_total += fooled
        flipped = int((shift_wrong & clean_ok).sum())
        n_correct = int(clean_ok.sum())
        w_flip = np.concatenate([[rule.w[0]], -rule.w[1:]])
        per_model.append(
            ModelTransfer(
                model=k, train_seed=train_seed, clean_acc=float(clean_ok.mean()),
                fooled_fraction=wilson(fooled, n_test, level),
                flipped_among_correct=wilson(flipped, n_correct, level) if n_correct else None,
                fooled_exact=1.0 - float(linear_accuracy(w_flip, rule.b, dist, eps=0.0)),
            )
        )
    return TransferResult(
        d=dist.d, p=dist.p, eta=dist.eta, eps=2.0 * dist.eta, n_models=n_models, n_train=n_train, n_test=n_test,
        fooled_fraction=wilson(fooled_total, n_models * n_test, level), per_model=per_model,
    )
