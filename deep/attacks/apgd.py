"""Auto-PGD (APGD; Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of
diverse parameter-free attacks", §3) in the ℓ∞ and ℓ2 balls intersected with the box [0, 1]^n.

APGD is PGD without a step-size parameter. With ``N`` iterations, ``P`` the projection onto ball ∩ box and
``s(g)`` the unit steepest-ascent direction (``sign g`` for ℓ∞, ``g/||g||_2`` for ℓ2):

- step size ``η⁽⁰⁾ = 2ε`` per example; first step ``x⁽¹⁾ = P(x⁽⁰⁾ + η s(∇f(x⁽⁰⁾)))``;
- then, with momentum ``α = 0.75``: ``z = P(x⁽ᵏ⁾ + η s(∇f(x⁽ᵏ⁾)))`` and
  ``x⁽ᵏ⁺¹⁾ = P(x⁽ᵏ⁾ + α (z − x⁽ᵏ⁾) + (1 − α)(x⁽ᵏ⁾ − x⁽ᵏ⁻¹⁾))``;
- checkpoints ``w_j = ⌈p_j N⌉`` with ``p_0 = 0``, ``p_1 = 0.22``, ``p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06)``;
  at each checkpoint the step size of an example is halved when (1) the loss increased in fewer than
  ``ρ = 0.75`` of the iterations since the last checkpoint, or (2) neither its step size nor its best loss
  changed since the last checkpoint; a halved example restarts from its best point so far (momentum reset).

The loss is cross-entropy (APGD-CE), the DLR / logit margin (:mod:`deep.attacks.losses`; the logit margin for
2 classes, where DLR is undefined) or, with ``targets = k``, the targeted margin towards each of the ``k``
classes with the highest clean logits other than the true one (APGD-T; targeted DLR from 4 classes, targeted
logit margin below). The returned point is, per example, the best iterate over all runs (misclassified first,
then highest loss), as for :class:`deep.attacks.PGD` (losses of different runs are compared only for points no
run misclassified, where any candidate serves). This is written from the paper's description, not from
its authors' code.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .base import Attack, BestIterate, LossScorer
from .losses import (
    cross_entropy_per_example,
    margin_like_loss,
    margin_like_name,
    targeted_margin_like_loss,
)
from .steps import as_batch_view, box_diameter, make_step

LOSSES = ("ce", "margin")


def apgd_checkpoints(steps: int) -> list[int]:
    """The iterations ``w_j = ⌈p_j · steps⌉`` (``0 < w_j <= steps``, increasing) at which APGD may halve its step
    size: ``p_0 = 0``, ``p_1 = 0.22``, ``p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06)``."""
    p = [0.0, 0.22]
    while p[-1] < 1.0:
        p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
    out: list[int] = []
    for pj in p[1:]:
        w = math.ceil(pj * steps - 1e-9)
        if 0 < w <= steps and (not out or w > out[-1]):
            out.append(w)
    return out


class APGD(Attack):
    """Auto-PGD (see the module docstring) with ε in [0, 1] pixel space (``math.inf``: the whole box).

    ``steps``: iterations per run (gradient evaluations: ``steps + 1`` per run). ``loss``: ``"ce"``
    (cross-entropy) or ``"margin"`` (DLR from 3 classes, logit margin for 2). ``targets``: 0 for the untargeted
    attack, else the number of target classes (the top ``targets`` non-true classes of the clean logits; at most
    ``n_classes − 1`` are used), each a separate run with the targeted margin loss (``loss`` must then be
    ``"margin"``). ``restarts``: independent random starts (for each target). ``random_start=False`` starts
    the first restart at ``x``. ``rho``, ``momentum``: the paper's 0.75 and 0.75. ``seed``, ``check_range``,
    ``prefer_misclassified``: as for :class:`deep.attacks.PGD`.
    """

    name = "apgd"

    def __init__(
        self,
        eps: float,
        steps: int = 100,
        norm: str | float = "inf",
        loss: str = "ce",
        *,
        targets: int = 0,
        restarts: int = 1,
        random_start: bool = True,
        rho: float = 0.75,
        momentum: float = 0.75,
        prefer_misclassified: bool = True,
        seed: int | None = None,
        check_range: bool = True,
    ):
        self.step_rule = make_step(norm, eps, 0.0)
        self.eps, self.norm = self.step_rule.eps, self.step_rule.norm
        if int(steps) != steps or steps < 1:
            raise ValueError(f"steps must be an integer >= 1 (got {steps})")
        if int(restarts) != restarts or restarts < 1:
            raise ValueError(f"restarts must be an integer >= 1 (got {restarts})")
        if int(targets) != targets or targets < 0:
            raise ValueError(f"targets must be an integer >= 0 (got {targets}); 0 is the untargeted attack")
        if loss not in LOSSES:
            raise ValueError(f"unknown APGD loss {loss!r}: use one of {', '.join(LOSSES)}")
        if targets and loss != "margin":
            raise ValueError("the targeted APGD (targets >= 1) uses the targeted margin loss: pass loss='margin'")
        if not 0 < rho <= 1 or not 0 < momentum <= 1:
            raise ValueError(f"rho and momentum must be in (0, 1] (got {rho}, {momentum})")
        self.steps, self.restarts, self.targets = int(steps), int(restarts), int(targets)
        self.loss, self.random_start = loss, bool(random_start)
        self.rho, self.momentum = float(rho), float(momentum)
        self.prefer_misclassified = bool(prefer_misclassified)
        self.seed, self.check_range = seed, bool(check_range)
        self.checkpoints = apgd_checkpoints(self.steps)

    def __repr__(self) -> str:
        return (f"APGD(eps={self.eps}, steps={self.steps}, norm={self.norm!r}, loss={self.loss!r}, "
                f"targets={self.targets}, restarts={self.restarts})")

    def describe(self) -> dict:
        """``{name: "apgd-ce" | "apgd-margin" | "apgd-t", norm, eps, steps, restarts, targets, loss}``."""
        name = "apgd-t" if self.targets else f"apgd-{self.loss}"
        return {"name": name, "norm": self.norm, "eps": self.eps, "steps": self.steps, "restarts": self.restarts,
                "targets": self.targets, "loss": self.loss, "rho": self.rho, "momentum": self.momentum}

    def gradient_evaluations(self, n_classes: int | None = None) -> int:
        """``(steps + 1) · restarts · runs`` where ``runs`` is the number of targets used (1 untargeted)."""
        runs = 1
        if self.targets:
            runs = self.targets if n_classes is None else min(self.targets, n_classes - 1)
        return (self.steps + 1) * self.restarts * runs

    def run(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
            generator: torch.Generator | None) -> torch.Tensor:
        """Per-example best point over every run, inside ball ∩ [0, 1] (detached, ``x``'s dtype)."""
        best = BestIterate(x, self.prefer_misclassified)
        with torch.no_grad():
            logits = model(x)
        n_classes = logits.shape[1]
        clean = LossScorer(model, y, cross_entropy_per_example)
        best.update(x, clean.losses(logits), logits.argmax(1) != y)
        if self.targets:
            order = logits.float().masked_fill(
                torch.nn.functional.one_hot(y, n_classes).bool(), float("-inf")).argsort(1, descending=True)
            tloss = targeted_margin_like_loss(n_classes)
            scorers = [LossScorer(model, y, lambda z, yy, t=order[:, j]: tloss(z, yy, t))
                       for j in range(min(self.targets, n_classes - 1))]
        elif self.loss == "ce":
            scorers = [clean]
        else:
            scorers = [LossScorer(model, y, margin_like_loss(n_classes))]
        for r in range(self.restarts):
            for scorer in scorers:
                start = x.clone() if (r == 0 and not self.random_start) else self.step_rule.random_start(x, generator)
                self._one_run(scorer, x, start, best)
        return best.x.detach()

    def loss_name(self, n_classes: int) -> str:
        """The loss actually used for ``n_classes`` (``ce``, ``dlr``, ``margin``, ``dlr-targeted``, ...)."""
        return "ce" if self.loss == "ce" and not self.targets else margin_like_name(n_classes, bool(self.targets))

    def _one_run(self, scorer: LossScorer, x: torch.Tensor, start: torch.Tensor, best: BestIterate) -> None:
        rule = self.step_rule
        project = rule.projector(x)
        n = x.shape[0]
        eta0 = 2.0 * min(self.eps, box_diameter(self.norm, x[0].numel()))
        eta = torch.full((n,), eta0, device=x.device, dtype=torch.float32)
        x_cur = start
        loss_cur, wrong, grad = scorer.with_grad(x_cur)
        best.update(x_cur, loss_cur, wrong)
        x_max, loss_max, grad_max = x_cur, loss_cur, grad
        x_prev = x_cur
        increases = torch.zeros(n, device=x.device, dtype=torch.float32)
        eta_last, loss_max_last = eta, loss_max
        last_checkpoint = 0
        checkpoints = set(self.checkpoints)
        a = self.momentum
        for k in range(self.steps):
            eta_b = as_batch_view(eta.to(x_cur.dtype), x_cur)
            z = project(x_cur + eta_b * rule.direction(grad).to(x_cur.dtype))
            x_new = z if k == 0 else project(x_cur + a * (z - x_cur) + (1.0 - a) * (x_cur - x_prev))
            loss_new, wrong, grad_new = scorer.with_grad(x_new)
            best.update(x_new, loss_new, wrong)
            increases += (loss_new > loss_cur).float()
            improved = loss_new > loss_max
            imp_b = as_batch_view(improved, x_new)
            x_max = torch.where(imp_b, x_new, x_max)
            grad_max = torch.where(imp_b, grad_new, grad_max)
            loss_max = torch.where(improved, loss_new, loss_max)
            x_prev, x_cur, grad, loss_cur = x_cur, x_new, grad_new, loss_new
            if k + 1 in checkpoints:
                span = k + 1 - last_checkpoint
                halve = (increases < self.rho * span) | ((eta == eta_last) & (loss_max == loss_max_last))
                eta = torch.where(halve, eta / 2, eta)
                eta_last, loss_max_last = eta, loss_max
                h_b = as_batch_view(halve, x_cur)
                x_cur = torch.where(h_b, x_max, x_cur)
                x_prev = torch.where(h_b, x_max, x_prev)
                grad = torch.where(h_b, grad_max, grad)
                loss_cur = torch.where(halve, loss_max, loss_cur)
                increases = torch.zeros_like(increases)
                last_checkpoint = k + 1
