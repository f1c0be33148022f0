"""What every attack shares: input checks, eval mode, the loss-and-gradient oracle, per-example best tracking,
seeded generators and the :class:`Attack` base class (PGD, APGD and the large-ε ascent derive from it).

Conventions (all attacks): inputs are float batches ``(N, ...)`` with pixels in [0, 1]; ε and step sizes are in
that pixel space; the model runs in eval mode during the attack (batch norm uses running statistics, dropout is
off, so examples do not interact and the gradient of the summed loss is every example's own gradient) and every
submodule's mode is restored afterwards; the attack loops never synchronise with the host (per-example choices
use ``torch.where`` masks, never ``.item()`` or boolean indexing); losses are computed in float32 so that the
attacks work under a caller's ``torch.autocast`` (bf16 on CUDA).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import torch
from torch import nn

from .losses import cross_entropy_per_example
from .steps import as_batch_view

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put every submodule of ``model`` in eval mode and restore each one's own ``training`` flag on exit."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, was_training in modes:
            m.training = was_training


def unwrap_parallel(model: nn.Module) -> nn.Module:
    """The module inside ``DistributedDataParallel`` / ``DataParallel`` wrappers (same parameters). Attacks run on
    it: they only need ∇_x, and a DDP forward would broadcast buffers and arm its gradient reducer on every
    attack step."""
    from torch.nn.parallel import DataParallel, DistributedDataParallel

    while isinstance(model, (DataParallel, DistributedDataParallel)):
        model = model.module
    return model


def check_batch(x: torch.Tensor, y: torch.Tensor, check_range: bool = True) -> None:
    """Raise ValueError unless ``x`` is a float batch ``(N, ...)`` in [0, 1] and ``y`` holds ``N`` integer labels.
    The range check costs one host synchronisation (once per call, outside any loop); ``check_range=False``
    skips it for callers that already know their inputs are in [0, 1] (the trainer checks its data once)."""
    if not torch.is_tensor(x) or not torch.is_floating_point(x) or x.dim() < 2:
        raise ValueError("x must be a float tensor of shape (N, ...) with pixels in [0,1]")
    if not torch.is_tensor(y) or y.dim() != 1 or y.shape[0] != x.shape[0] or torch.is_floating_point(y):
        raise ValueError(f"y must be an integer tensor of shape ({x.shape[0]},) with the true labels")
    if check_range and x.numel():
        lo, hi = torch.aminmax(x.detach())
        if bool(lo < 0) or bool(hi > 1):
            raise ValueError(
                f"inputs must be pixels in [0,1] (got range [{float(lo):.3g}, {float(hi):.3g}]); "
                "normalise inside the model, not before the attack"
            )


def generator_for(x: torch.Tensor, seed: int | None, generator: torch.Generator | None) -> torch.Generator | None:
    """``generator`` if given, else a new generator on ``x``'s device seeded with ``seed``, else None (torch's
    global RNG)."""
    if generator is not None:
        return generator
    if seed is None:
        return None
    g = torch.Generator(device=x.device)
    g.manual_seed(int(seed))
    return g


class LossScorer:
    """Per-example loss and misclassification (argmax ≠ y) of a batch of candidate points, with or without ∇_x.
    ``loss_fn(logits, y)`` must return one loss per example (default: cross-entropy at the true label)."""

    def __init__(self, model: nn.Module, y: torch.Tensor, loss_fn: LossFn | None = None):
        self.model = model
        self.y = y
        self.loss_fn = loss_fn or cross_entropy_per_example

    def losses(self, logits: torch.Tensor) -> torch.Tensor:
        """``loss_fn(logits, y)`` as float32, checked to have one entry per example."""
        losses = self.loss_fn(logits, self.y)
        if losses.shape != self.y.shape:
            raise ValueError(f"loss_fn must return one loss per example, shape {tuple(self.y.shape)}, "
                             f"got {tuple(losses.shape)}; use reduction='none'")
        return losses.float()

    def with_grad(self, x_adv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(losses, wrong, ∇_x Σ losses) at ``x_adv``; the gradient has ``x_adv``'s dtype. Only the input
        gradient is computed (``autograd.grad`` with ``inputs=x_adv`` skips the parameters' gradients)."""
        x_adv = x_adv.detach().requires_grad_(True)
        with torch.enable_grad():
            logits = self.model(x_adv)
            losses = self.losses(logits)
        (grad,) = torch.autograd.grad(losses.sum(), x_adv)
        return losses.detach(), logits.detach().argmax(1) != self.y, grad

    @torch.no_grad()
    def without_grad(self, x_adv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(losses, wrong) at ``x_adv``, one forward pass without autograd."""
        logits = self.model(x_adv)
        return self.losses(logits), logits.argmax(1) != self.y


class BestIterate:
    """Per-example best candidate: the highest loss, or (``prefer_misclassified``) any misclassified point
    before any correctly classified one, then the highest loss. NaN losses never win."""

    def __init__(self, x: torch.Tensor, prefer_misclassified: bool):
        self.x = x.clone()
        self.loss = torch.full((x.shape[0],), -math.inf, device=x.device)
        self.wrong = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
        self.prefer_misclassified = prefer_misclassified

    def update(self, x_cand: torch.Tensor, loss: torch.Tensor, wrong: torch.Tensor) -> None:
        """Keep ``x_cand[i]`` where it beats the current best of example ``i`` (one masked copy, no host sync)."""
        higher = loss > self.loss
        if self.prefer_misclassified:
            better = (wrong & ~self.wrong) | ((wrong == self.wrong) & higher)
        else:
            better = higher
        self.x = torch.where(as_batch_view(better, x_cand), x_cand.detach(), self.x)
        self.loss = torch.where(better, loss, self.loss)
        self.wrong = self.wrong | wrong if self.prefer_misclassified else torch.where(better, wrong, self.wrong)


class Attack:
    """Base class of the attacks: ``attack(model, x, y, generator=None)`` returns adversarial examples for
    ``(x, y)`` (detached, ``x``'s shape/device/dtype, inside ball ∩ [0, 1]).

    :meth:`__call__` checks the batch (``check_range``: the one host synchronisation per call), unwraps
    DDP/DataParallel, enables autograd even inside ``torch.inference_mode``/``no_grad``, puts the model in eval
    mode (restored afterwards), copies ``x`` and ``y`` and picks the random generator (``generator``, else one
    seeded with ``self.seed``, else torch's global RNG; a :class:`deep.attacks.steps.MemberSteps` threat model takes
    a sequence of one generator per member); subclasses implement :meth:`run` on those.
    :meth:`describe` names the attack and its budget as plain data (for result files) and
    :meth:`gradient_evaluations` its cost per point."""

    name = "attack"
    seed: int | None = None
    check_range: bool = True

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, *,
                 generator: torch.Generator | None = None):
        check_batch(x, y, self.check_range)
        model = unwrap_parallel(model)
        with torch.inference_mode(False), eval_mode(model):
            x = x.detach().clone()
            y = y.detach().clone()
            return self.run(model, x, y, generator_for(x, self.seed, generator))

    def run(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None):
        """The attack proper, on checked copies of ``x``, ``y`` with the model already in eval mode."""
        raise NotImplementedError

    def describe(self) -> dict:
        """The attack and its budget as a JSON-ready dict (``name`` plus its parameters)."""
        return {"name": self.name}

    def gradient_evaluations(self) -> int:
        """Forward+backward passes per attacked point (the attack's cost; plain forwards are not counted)."""
        return 0
