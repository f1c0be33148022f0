"""The large-ε attack of Figures 3, 8 and 9 (paper §3 "unexpected benefits", Appendix C/D).

Untargeted projected gradient ASCENT on the cross-entropy at the true label, with no random start: from
``x_0 = x``, ``x_{t+1} = Proj_{ball(x, eps) ∩ [0,1]^n}(x_t + step(∇_x loss(x_t)))`` where the step is
``a·sign(g)`` for ℓ∞ and the normalised gradient ``a·g/||g||_2`` for ℓ2. The last iterate is returned
(no best-iterate selection: the figures show where the ascent goes), optionally with the whole trajectory.
``eps`` and ``step_size`` are in [0, 1] pixel space, e.g. the paper's ImageNet ℓ2 ε = 40 with 40 steps
of 1.5, ℓ∞ ε = 0.25 with 120 steps of 0.003. The model is in eval mode during the attack.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import Attack, LossFn, LossScorer
from .steps import AttackStep, make_step


class LargeEpsAttack(Attack):
    """Large-ε untargeted ascent (Figures 3/8/9). ``__call__(model, x, y)`` returns the final iterate, or with
    ``trajectory=True`` a pair ``(x_final, iterates)`` where ``iterates`` has shape ``(steps + 1, N, ...)``,
    ``iterates[0] = x`` (kept on ``trajectory_device``, default ``x``'s device)."""

    def __init__(
        self,
        eps: float,
        step_size: float,
        steps: int,
        norm: str | float = "2",
        trajectory: bool = False,
        loss_fn: LossFn | None = None,
        *,
        trajectory_device: torch.device | str | None = None,
    ):
        self.step_rule: AttackStep = make_step(norm, eps, step_size)
        if int(steps) != steps or steps < 0:
            raise ValueError(f"steps must be an integer >= 0 (got {steps})")
        self.eps, self.step_size, self.steps = self.step_rule.eps, self.step_rule.step_size, int(steps)
        self.norm = self.step_rule.norm
        self.trajectory = bool(trajectory)
        self.loss_fn = loss_fn
        self.trajectory_device = trajectory_device

    def __repr__(self) -> str:
        return f"LargeEpsAttack(eps={self.eps}, step_size={self.step_size}, steps={self.steps}, norm={self.norm!r})"

    name = "large-eps"

    def describe(self) -> dict:
        """``{name: "large-eps", norm, eps, step_size, steps}``."""
        return {"name": self.name, "norm": self.norm, "eps": self.eps, "step_size": self.step_size,
                "steps": self.steps}

    def gradient_evaluations(self) -> int:
        """``steps``."""
        return self.steps

    def run(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
            generator: torch.Generator | None) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The last iterate (and, with ``trajectory``, every iterate) of the ascent from ``x``."""
        scorer = LossScorer(model, y, self.loss_fn)
        rule = self.step_rule
        project = rule.projector(x)
        traj = None
        if self.trajectory:
            device = self.trajectory_device if self.trajectory_device is not None else x.device
            traj = torch.empty((self.steps + 1, *x.shape), dtype=x.dtype, device=device)
            traj[0] = x
        x_adv = x.clone()
        for t in range(self.steps):
            _, _, grad = scorer.with_grad(x_adv)
            x_adv = project(rule.step(x_adv, grad))
            if traj is not None:
                traj[t + 1] = x_adv
        x_adv = x_adv.detach()
        return (x_adv, traj) if traj is not None else x_adv
