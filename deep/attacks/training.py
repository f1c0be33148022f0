"""The attacks of population training (deep.population): PGD (Madry et al.) and TRADES' inner maximisation (Zhang
et al. 2019) for K models at once, as the one :class:`deep.attacks.PGD` run on the population's batches laid end to
end, in each member's own threat model (:class:`deep.attacks.steps.MemberSteps`), called as :meth:`PGD.run` on
inputs the trainer owns and checked once, at loading (no copies, no range check: no host synchronisation).

A stack (deep.stacked) maps inputs ``(K, B, ...)`` to logits ``(K, B, classes)``, member k's depending only on its
own parameters and batch; seen through :class:`_Examples` it is a model of ``K·B`` examples, so PGD's summed loss
has every example's own gradient (the stack is in eval mode during the attack: examples do not interact). Both
attacks keep the last iterate (no best-point tracking: training uses the point PGD's last step reaches).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .base import eval_mode
from .losses import kl_per_example
from .pgd import PGD
from .steps import MemberSteps


class _Examples(nn.Module):
    """A stack ``(K, B, ...) -> (K, B, classes)`` as a model of its ``K·B`` examples ``(K·B, ...) -> (K·B, classes)``
    (member k's examples are rows ``k·B`` to ``(k+1)·B − 1``)."""

    def __init__(self, stack: nn.Module, k: int):
        super().__init__()
        self.stack = stack
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stack(x.unflatten(0, (self.k, -1))).flatten(0, 1)


def population_pgd(stack: nn.Module, x: torch.Tensor, y: torch.Tensor, rule: MemberSteps, steps: int,
                   random_start: bool = True,
                   generators: Sequence[torch.Generator | None] | None = None) -> torch.Tensor:
    """Last-iterate PGD for every member at once: member k maximises its cross-entropy in its ball ∩ [0, 1]^n
    (``rule``: the members' norms, radii and steps for batches of ``x.shape[1]``) with ``steps`` steps, from a
    uniform random start drawn from ``generators[k]`` when ``random_start``. ``x``: ``(K, B, ...)`` in [0, 1],
    ``y``: ``(K, B)``. The stack is in eval mode during the attack (modes restored)."""
    pgd = PGD.with_rule(rule, steps, random_start=random_start, track_best=False)
    with torch.inference_mode(False), eval_mode(stack):
        return pgd.run(_Examples(stack, x.shape[0]), x.flatten(0, 1), y.flatten(), generators).reshape_as(x)


def population_trades_adversary(stack: nn.Module, x: torch.Tensor, y: torch.Tensor, rule: MemberSteps, steps: int,
                                generators: Sequence[torch.Generator | None] | None = None,
                                start_scale: float = 1e-3,
                                clean_logits: torch.Tensor | None = None) -> torch.Tensor:
    """TRADES' inner maximisation for every member at once: member k maximises ``KL(softmax f_k(x) || softmax
    f_k(x'))`` over ``x'`` in its ball ∩ [0, 1]^n (``rule``), the clean distribution held fixed, with ``steps`` PGD
    steps (the same steps as :func:`population_pgd`) from ``x`` plus ``start_scale`` times a standard Gaussian
    (drawn from ``generators[k]``), projected. ``y`` (``(K, B)``): the labels (PGD's bookkeeping only; the KL does
    not use them). ``clean_logits``: the stack's logits of ``x`` when the caller has them (``(K, B, classes)``;
    they are detached), else computed here in eval mode. The stack is in eval mode during the attack."""
    model = _Examples(stack, x.shape[0])
    with torch.inference_mode(False), eval_mode(stack):
        if clean_logits is not None:
            clean = clean_logits.detach().float().flatten(0, 1)
        else:
            with torch.no_grad():
                clean = model(x.flatten(0, 1)).float()
        pgd = PGD.with_rule(rule, steps, loss_fn=lambda logits, _: kl_per_example(clean, logits),
                            start_noise=start_scale, track_best=False)
        return pgd.run(model, x.flatten(0, 1), y.flatten(), generators).reshape_as(x)
