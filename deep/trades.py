"""The TRADES training loss (Zhang et al. 2019, "Theoretically principled trade-off between robustness and
accuracy") for deep models, as a self-contained piece for the trainer.

    L(x, y) = CE(f(x), y) + beta * max_{x' in U(x)} KL( softmax f(x) || softmax f(x') ),

``U(x)`` the ε-ball (ℓ∞ or ℓ2) intersected with the [0,1] box (deep/attacks/steps.py). The inner maximum is found
by PGD on the KL term with the clean distribution held fixed (detached), started at ``x`` plus a small Gaussian
(TRADES' ``0.001 N(0, I)``, projected), in eval mode like every attack here. ``beta = 0`` is standard training
exactly (no attack is run); larger beta trades standard accuracy for robustness.

Training with it: ``adv.method = "trades"`` and ``adv.beta`` in a TrainConfig (deep.config); the population engine
(deep.attacks.training.population_trades_adversary and Population.population_step) runs this objective for K models
at once, and this module's single-model functions are its reference. Both run the inner maximum as the one PGD of
deep.attacks (the KL loss of deep.attacks.losses, TRADES' start, the last iterate).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attacks import PGD, eval_mode, kl_per_example, unwrap_parallel
from .attacks.steps import default_step_size, make_step


def trades_adversary(model: nn.Module, x: torch.Tensor, eps: float, norm: str = "inf", steps: int = 10,
                     step_size: float | None = None, generator: torch.Generator | None = None,
                     start_scale: float = 1e-3) -> torch.Tensor:
    """PGD maximising ``KL(f(x) || f(x'))`` over ``x' in U(x)`` (module docstring); returns ``x'`` (detached).
    ``step_size`` defaults to ``2.5 eps / steps`` (deep.attacks.steps.default_step_size)."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0 (got {steps})")
    rule = make_step(norm, eps, default_step_size(eps, steps) if step_size is None else step_size)
    net = unwrap_parallel(model)
    with eval_mode(net), torch.no_grad():
        clean = net(x).detach()
    pgd = PGD.with_rule(rule, steps, loss_fn=lambda logits, _: kl_per_example(clean, logits), start_noise=start_scale,
                        track_best=False, check_range=False)
    return pgd(net, x, clean.argmax(1), generator=generator)


def trades_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, beta: float, eps: float, norm: str = "inf",
                steps: int = 10, step_size: float | None = None, generator: torch.Generator | None = None
                ) -> torch.Tensor:
    """The mean TRADES loss of a batch (module docstring); differentiable in the model's parameters. The clean
    forward pass runs in the model's current mode (training: batch norm statistics update once per batch)."""
    beta = float(beta)
    if not (beta >= 0 and beta == beta and beta != float("inf")):
        raise ValueError(f"beta must be a finite number >= 0 (got {beta})")
    logits = model(x)
    loss = F.cross_entropy(logits.float(), y)
    if beta == 0:
        return loss
    x_adv = trades_adversary(model, x, eps, norm, steps, step_size, generator)
    return loss + beta * kl_per_example(logits, model(x_adv)).mean()
