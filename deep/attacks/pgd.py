"""Projected gradient descent (Madry et al. 2018, paper §2 and Appendix A/B) for untargeted attacks.

PGD maximises a per-example loss (cross-entropy at the true label by default) over the threat model
``{x' in [0,1]^n : ||x' - x|| <= eps}``: ``x_{t+1} = Proj(x_t + step(∇_x loss(x_t)))``, from ``x`` or from a
random start, with several random restarts. ``eps`` and ``step_size`` are in [0, 1] pixel space.

The model is put in eval mode during the attack (batch norm uses its running statistics, dropout is off,
so examples do not interact and the gradient of the summed loss is every example's own gradient) and each
submodule's mode is restored afterwards. The loop has no host-device synchronisation: per-example choices
use ``torch.where`` masks, never ``.item()`` or boolean indexing.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from .base import (  # noqa: F401  (re-exported: deep.attacks.pgd was their home)
    Attack,
    BestIterate,
    LossFn,
    LossScorer,
    check_batch,
    eval_mode,
    unwrap_parallel,
)
from .losses import cross_entropy_per_example, margin_loss_per_example  # noqa: F401  (re-exported)
from .steps import AttackStep, make_step

Callback = Callable[[int, int, torch.Tensor], None]


class PGD(Attack):
    """Untargeted PGD in the ℓ∞ or ℓ2 ball of radius ``eps`` around each input, inputs in [0, 1].

    ``eps``, ``step_size``: in [0, 1] pixel space (``eps = math.inf``: the whole box). ``steps``: gradient
    steps per restart. ``random_start``: start uniformly in ball ∩ box (see :mod:`deep.attacks.steps`)
    instead of at ``x``. ``restarts``: independent runs; the best point over all of them is kept.
    ``loss_fn(logits, y)``: per-example loss to maximise (default: cross-entropy, fine for 2 classes).

    ``track_best`` (default): return, per example, the best iterate over every step and restart (the clean
    input counts as a candidate too), where "best" means misclassified first (``prefer_misclassified``,
    the right choice for evaluation) and then highest loss. ``track_best=False`` with one restart returns
    the last iterate: use it for adversarial training (Madry et al. train on the last iterate; tracking costs
    two extra forward passes per call and would train on the first misclassified point instead of the
    highest-loss one). ``seed``: draw random starts from a
    generator seeded with it on ``x``'s device (reproducible); ``None`` uses torch's global RNG.
    ``callback(restart, t, x_t)`` is called on every iterate ``t = 0..steps`` (for tests and plots).
    ``check_range=False`` skips the [0, 1] range check of ``x`` (its one host-device synchronisation per call)
    for callers that validated their data already, like the trainer. ``start_noise``: the random start is ``x``
    plus ``start_noise`` times a standard Gaussian, projected (TRADES' start; :meth:`AttackStep.noise_start`)
    instead of uniform in ball ∩ box. :meth:`with_rule` builds PGD in any threat model object, e.g. the
    per-member balls of a population (:class:`deep.attacks.steps.MemberSteps`: population training's attack,
    deep.attacks.training).

    Works under ``torch.autocast`` enabled by the caller: losses and the ℓ2 normalisation are computed in
    float32 and iterates keep ``x``'s dtype. The model is in eval mode during the attack (batch norm uses
    running statistics) and every submodule's mode is restored afterwards.
    """

    def __init__(
        self,
        eps: float,
        step_size: float,
        steps: int,
        norm: str | float = "inf",
        random_start: bool = True,
        restarts: int = 1,
        loss_fn: LossFn | None = None,
        *,
        track_best: bool = True,
        prefer_misclassified: bool = True,
        seed: int | None = None,
        callback: Callback | None = None,
        check_range: bool = True,
        start_noise: float | None = None,
    ):
        self.step_rule: AttackStep = make_step(norm, eps, step_size)
        if int(steps) != steps or steps < 0:
            raise ValueError(f"steps must be an integer >= 0 (got {steps})")
        if int(restarts) != restarts or restarts < 1:
            raise ValueError(f"restarts must be an integer >= 1 (got {restarts})")
        if restarts > 1 and not random_start:
            raise ValueError("restarts > 1 needs random_start=True (without a random start every restart is the same)")
        self.eps, self.step_size, self.steps = self.step_rule.eps, self.step_rule.step_size, int(steps)
        self.norm = self.step_rule.norm
        self.random_start, self.restarts = bool(random_start), int(restarts)
        self.loss_fn = loss_fn
        self.track_best, self.prefer_misclassified = bool(track_best), bool(prefer_misclassified)
        self.seed, self.callback = seed, callback
        self.check_range = bool(check_range)
        if start_noise is not None and not (math.isfinite(start_noise) and start_noise >= 0):
            raise ValueError(f"start_noise must be a finite number >= 0 (got {start_noise})")
        self.start_noise = start_noise

    @classmethod
    def with_rule(cls, rule: AttackStep, steps: int, **options) -> PGD:
        """PGD with ``steps`` steps in the threat model ``rule`` (its norm, radius and step size; e.g. a
        :class:`deep.attacks.steps.MemberSteps` with one radius per example); ``options`` as for the constructor."""
        pgd = cls(0.0, 0.0, steps, **options)
        pgd.step_rule = rule
        pgd.eps, pgd.step_size, pgd.norm = rule.eps, rule.step_size, rule.norm
        return pgd

    def __repr__(self) -> str:
        return (f"PGD(eps={self.eps}, step_size={self.step_size}, steps={self.steps}, norm={self.norm!r}, "
                f"random_start={self.random_start}, restarts={self.restarts})")

    name = "pgd"

    def describe(self) -> dict:
        """``{name: "pgd", norm, eps, step_size, steps, restarts, random_start, loss}``."""
        loss = getattr(self.loss_fn, "__name__", "custom") if self.loss_fn is not None else "ce"
        return {"name": self.name, "norm": self.norm, "eps": self.eps, "step_size": self.step_size,
                "steps": self.steps, "restarts": self.restarts, "random_start": self.random_start, "loss": loss}

    def gradient_evaluations(self) -> int:
        """``steps · restarts``."""
        return self.steps * self.restarts

    def run(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
            generator: torch.Generator | None) -> torch.Tensor:
        """Adversarial examples for ``(x, y)``: detached, same shape/device/dtype as ``x``, inside ball ∩ [0,1]."""
        scorer = LossScorer(model, y, self.loss_fn)
        rule = self.step_rule
        project = rule.projector(x)  # per-pixel bounds hoisted out of the loop
        last_iterate = not self.track_best and self.restarts == 1  # training: no best-point bookkeeping at all
        best = None if last_iterate else BestIterate(x, self.prefer_misclassified)
        if self.track_best and self.random_start:
            best.update(x, *scorer.without_grad(x))
        for r in range(self.restarts):
            if not self.random_start:
                x_adv = x.clone()
            elif self.start_noise is not None:
                x_adv = rule.noise_start(x, generator, self.start_noise)
            else:
                x_adv = rule.random_start(x, generator)
            if self.callback is not None:
                self.callback(r, 0, x_adv)
            for t in range(self.steps):
                loss, wrong, grad = scorer.with_grad(x_adv)
                if self.track_best:
                    best.update(x_adv, loss, wrong)
                x_adv = project(rule.step(x_adv, grad))
                if self.callback is not None:
                    self.callback(r, t + 1, x_adv)
            if last_iterate:
                return x_adv.detach()
            best.update(x_adv, *scorer.without_grad(x_adv))
        return best.x.detach()
