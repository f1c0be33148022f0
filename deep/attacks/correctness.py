"""Which points an attack breaks: per-point correctness of a model on attacked inputs, in batches on a device, under
one attack or under an ensemble run AutoAttack-style (each attack only on the points every earlier one left
correctly classified: the per-example worst case), with what each attack cost. The building blocks of the robust
accuracy (deep.evaluate) and of the sanity checks (deep.sanity).

The attacks run under the caller's precision policy (deep.device: bf16 autocast and channels-last where the
hardware has bf16 matrix instructions); every count is decided by a float32 forward pass outside autocast, so an
adversarial example found in bf16 is re-checked in float32 and every accuracy is a float32 accuracy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from ..device import Precision
from .base import Attack, check_batch, eval_mode
from .ensemble import Ensemble

AttackFn = Callable[..., torch.Tensor]


def model_device(model: nn.Module, default: torch.device | str = "cpu") -> torch.device:
    """The device of the model's first parameter or buffer (``default`` for a model with neither)."""
    for t in list(model.parameters()) + list(model.buffers()):
        return t.device
    return torch.device(default)


def batches(x: torch.Tensor, y: torch.Tensor, batch_size: int) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
    """``(x, y)`` in consecutive batches of ``batch_size`` (an integer >= 1, else ValueError)."""
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1 (got {batch_size})")
    for i in range(0, x.shape[0], batch_size):
        yield x[i : i + batch_size], y[i : i + batch_size]


def correct_under_attack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attack: AttackFn | None,
    *,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    precision: Precision | None = None,
    generator: torch.Generator | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> torch.Tensor:
    """Per-point correctness (bool tensor ``(N,)`` on the CPU) of ``model`` on ``attack(model, x, y)``, or on
    the clean ``x`` when ``attack`` is None. Batches are moved to ``device`` (default: the model's); the
    model is in eval mode and its modes are restored. The attack runs under ``precision`` (deep.device; None:
    float32 in the tensors' own layout); the prediction that decides correctness is always a float32 forward pass
    (outside autocast). ``generator`` is passed on to an :class:`deep.attacks.Attack` (PGD, APGD, ...) so that
    one seeded stream covers every batch. ``on_batch(k)`` is called after each batch of ``k`` points (progress)."""
    check_batch(x, y)
    device = torch.device(device) if device is not None else model_device(model)
    if precision is not None:
        precision.model(model)
    out = []
    with eval_mode(model):
        for xb, yb in batches(x, y, batch_size):
            xb = xb.to(device, non_blocking=True)
            yb = yb.to(device, non_blocking=True)
            if precision is not None:
                xb = precision.inputs(xb)
            if attack is not None:
                seeded = isinstance(attack, Attack) and generator is not None
                kwargs = {"generator": generator} if seeded else {}
                if precision is not None:
                    with precision.autocast():
                        xb = attack(model, xb, yb, **kwargs)
                else:
                    xb = attack(model, xb, yb, **kwargs)
            with torch.no_grad():  # float32: the count every accuracy is made of
                pred = model(xb.float()).argmax(1)
            out.append(pred == yb)
            if on_batch is not None:
                on_batch(int(yb.shape[0]))
    if not out:
        return torch.zeros(0, dtype=torch.bool)
    return torch.cat(out).cpu()


@dataclass
class AttackCost:
    """What one attack of an ensemble did at one ε: ``attacked`` points (those still robust), ``broken`` of them,
    ``seconds`` of wall time and ``gradient_evaluations`` (forward+backward passes) in total."""

    label: str
    attacked: int
    broken: int
    seconds: float
    gradient_evaluations: int

    def to_dict(self) -> dict:
        """JSON-ready."""
        return dict(self.__dict__)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def correct_under_ensemble(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    norm: str,
    ensemble: Ensemble,
    *,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    precision: Precision | None = None,
    generator: torch.Generator | None = None,
    clean: torch.Tensor | None = None,
    on_attack: Callable[[str, int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[torch.Tensor, list[AttackCost]]:
    """Per-point robustness (bool ``(N,)`` on the CPU) under the per-example worst case of ``ensemble`` at radius
    ``eps``, and each attack's cost. AutoAttack order: the clean point first (``clean``: its correctness if
    known), then each attack in turn only on the points that are still correctly classified, in batches of
    ``batch_size`` (one host synchronisation per attack to select them), under ``precision`` with float32 counts
    (:func:`correct_under_attack`). Progress: ``on_attack(label, n)`` before each attack runs on its ``n`` points,
    ``on_batch(k)`` after each of its batches."""
    dev = torch.device(device) if device is not None else model_device(model)
    if clean is None:
        clean = correct_under_attack(model, x, y, None, batch_size=batch_size, device=dev, precision=precision)
    robust = clean.clone()
    n_dims = x[0].numel()
    n_classes = None
    costs = []
    for spec in ensemble.attacks:
        idx = robust.nonzero()[:, 0]
        attack = spec.build(eps, norm, n_dims)
        t0 = time.perf_counter()
        if on_attack is not None:
            on_attack(spec.label, int(len(idx)))
        if len(idx):
            sub = idx.to(x.device)
            ok = correct_under_attack(model, x[sub], y[sub], attack, batch_size=batch_size, device=dev,
                                      precision=precision, generator=generator, on_batch=on_batch)
            if n_classes is None:
                with torch.no_grad(), eval_mode(model):
                    n_classes = int(model(x[:1].to(dev)).shape[1])
            robust[idx] = ok
            broken = int((~ok).sum())
        else:
            broken = 0
        _sync(dev)
        costs.append(AttackCost(spec.label, int(len(idx)), broken, time.perf_counter() - t0,
                                int(len(idx)) * spec.gradient_evaluations(n_classes or 2)))
    return robust, costs
