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

import contextlib
import math
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from .steps import AttackStep, _as_batch_view, make_step

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Callback = Callable[[int, int, torch.Tensor], None]


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


def cross_entropy_per_example(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy at the true label for every example (works for any number of classes >= 2, binary
    included), computed in float32 even when the logits come from a bf16/fp16 autocast region."""
    return F.cross_entropy(logits.float(), y, reduction="none")


def margin_loss_per_example(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Carlini-Wagner margin ``max_{j != y} z_j - z_y`` per example (positive iff misclassified), in float32.
    Unlike cross-entropy it does not saturate for very confident models, and unlike AutoAttack's DLR loss it
    is defined for 2 classes. Pass it as ``PGD(..., loss_fn=margin_loss_per_example)``."""
    z = logits.float()
    true = z.gather(1, y[:, None])[:, 0]
    other = z.masked_fill(F.one_hot(y, z.shape[1]).bool(), float("-inf")).amax(1)
    return other - true


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


class _Scorer:
    """Loss and misclassification of a batch of candidate points, with or without the input gradient."""

    def __init__(self, model: nn.Module, y: torch.Tensor, loss_fn: LossFn | None):
        self.model = model
        self.y = y
        self.loss_fn = loss_fn or cross_entropy_per_example

    def _losses(self, logits: torch.Tensor) -> torch.Tensor:
        losses = self.loss_fn(logits, self.y)
        if losses.shape != self.y.shape:
            raise ValueError(f"loss_fn must return one loss per example, shape {tuple(self.y.shape)}, "
                             f"got {tuple(losses.shape)}; use reduction='none'")
        return losses.float()

    def with_grad(self, x_adv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(losses, wrong, ∇_x Σ losses) at ``x_adv``; the gradient has ``x_adv``'s dtype."""
        x_adv = x_adv.detach().requires_grad_(True)
        with torch.enable_grad():
            logits = self.model(x_adv)
            losses = self._losses(logits)
        (grad,) = torch.autograd.grad(losses.sum(), x_adv)
        return losses.detach(), logits.detach().argmax(1) != self.y, grad

    @torch.no_grad()
    def without_grad(self, x_adv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.model(x_adv)
        return self._losses(logits), logits.argmax(1) != self.y


class _Best:
    """Per-example best candidate: the highest loss, or (``prefer_misclassified``) any misclassified point
    before any correctly classified one, then the highest loss."""

    def __init__(self, x: torch.Tensor, prefer_misclassified: bool):
        self.x = x.clone()
        self.loss = torch.full((x.shape[0],), -math.inf, device=x.device)
        self.wrong = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
        self.prefer_misclassified = prefer_misclassified

    def update(self, x_cand: torch.Tensor, loss: torch.Tensor, wrong: torch.Tensor) -> None:
        higher = loss > self.loss  # NaN losses never win
        if self.prefer_misclassified:
            better = (wrong & ~self.wrong) | ((wrong == self.wrong) & higher)
        else:
            better = higher
        self.x = torch.where(_as_batch_view(better, x_cand), x_cand.detach(), self.x)
        self.loss = torch.where(better, loss, self.loss)
        self.wrong = torch.where(better, wrong, self.wrong)


def _generator_for(x: torch.Tensor, seed: int | None, generator: torch.Generator | None) -> torch.Generator | None:
    if generator is not None:
        return generator
    if seed is None:
        return None
    g = torch.Generator(device=x.device)
    g.manual_seed(int(seed))
    return g


class PGD:
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
    for callers that validated their data already, like the trainer.

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

    def __repr__(self) -> str:
        return (f"PGD(eps={self.eps}, step_size={self.step_size}, steps={self.steps}, norm={self.norm!r}, "
                f"random_start={self.random_start}, restarts={self.restarts})")

    def __call__(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Adversarial examples for ``(x, y)``: detached, same shape/device/dtype as ``x``, inside ball ∩ [0,1]."""
        check_batch(x, y, self.check_range)
        model = unwrap_parallel(model)
        with torch.inference_mode(False), eval_mode(model):
            x = x.detach().clone()
            y = y.detach().clone()
            gen = _generator_for(x, self.seed, generator)
            scorer = _Scorer(model, y, self.loss_fn)
            rule = self.step_rule
            best = _Best(x, self.prefer_misclassified)
            if self.track_best and self.random_start:
                best.update(x, *scorer.without_grad(x))
            for r in range(self.restarts):
                x_adv = rule.random_start(x, gen) if self.random_start else x.clone()
                if self.callback is not None:
                    self.callback(r, 0, x_adv)
                for t in range(self.steps):
                    loss, wrong, grad = scorer.with_grad(x_adv)
                    if self.track_best:
                        best.update(x_adv, loss, wrong)
                    x_adv = rule.project(rule.step(x_adv, grad), x)
                    if self.callback is not None:
                        self.callback(r, t + 1, x_adv)
                if self.track_best or self.restarts > 1:
                    best.update(x_adv, *scorer.without_grad(x_adv))
                else:
                    best.x = x_adv
            return best.x.detach()
