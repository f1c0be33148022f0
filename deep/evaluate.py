"""Standard and robust accuracy (paper §2): the fraction of points classified correctly at every point of
the threat model, estimated by attack: a point counts as robust when the attack finds no
misclassified point in ``{x' in [0,1]^n : ||x' - x|| <= eps}``. This is an UPPER bound on the true robust
accuracy (a stronger attack can only lower it); :mod:`deep.sanity` checks that the attack is not obviously weak.

ε is in [0, 1] pixel space (models normalise internally). ``eps = 0`` means clean (standard) accuracy.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn

from .attacks import PGD, check_batch, eval_mode, normalise_norm
from .attacks.steps import default_step_size

Attack = Callable[..., torch.Tensor]


def model_device(model: nn.Module, default: torch.device | str = "cpu") -> torch.device:
    """The device of the model's first parameter or buffer (``default`` for a model with neither)."""
    for t in list(model.parameters()) + list(model.buffers()):
        return t.device
    return torch.device(default)


def _autocast(device: torch.device, dtype: torch.dtype | None):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def _batches(x: torch.Tensor, y: torch.Tensor, batch_size: int) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1 (got {batch_size})")
    for i in range(0, x.shape[0], batch_size):
        yield x[i : i + batch_size], y[i : i + batch_size]


def correct_under_attack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attack: Attack | None,
    *,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    autocast_dtype: torch.dtype | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Per-point correctness (bool tensor ``(N,)`` on the CPU) of ``model`` on ``attack(model, x, y)``, or on
    the clean ``x`` when ``attack`` is None. Batches are moved to ``device`` (default: the model's); the
    model is in eval mode and its modes are restored. ``generator`` is passed on to a :class:`PGD` attack
    so that one seeded stream covers every batch."""
    check_batch(x, y)
    device = torch.device(device) if device is not None else model_device(model)
    out = []
    with eval_mode(model):
        for xb, yb in _batches(x, y, batch_size):
            xb = xb.to(device, non_blocking=True)
            yb = yb.to(device, non_blocking=True)
            with _autocast(device, autocast_dtype):
                if attack is not None:
                    kwargs = {"generator": generator} if isinstance(attack, PGD) and generator is not None else {}
                    xb = attack(model, xb, yb, **kwargs)
                with torch.no_grad():
                    pred = model(xb).argmax(1)
            out.append(pred == yb)
    if not out:
        return torch.zeros(0, dtype=torch.bool)
    return torch.cat(out).cpu()


def clean_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1000,
                   device: torch.device | str | None = None, autocast_dtype: torch.dtype | None = None) -> float:
    """Standard accuracy ``P[f(x) = y]`` (argmax of the logits) on ``(x, y)``, in batches on ``device``."""
    if x.shape[0] == 0:
        raise ValueError("no test points: x is empty")
    ok = correct_under_attack(model, x, y, None, batch_size=batch_size, device=device, autocast_dtype=autocast_dtype)
    return float(ok.float().mean())


def robust_accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps_list: Sequence[float],
    norm: str | float = "inf",
    steps: int = 100,
    step_size: float | None = None,
    restarts: int = 1,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    *,
    random_start: bool = True,
    seed: int | None = 0,
    loss_fn: Callable | None = None,
    autocast_dtype: torch.dtype | None = None,
    progress: bool = False,
) -> dict[float, float]:
    """Accuracy of ``model`` under untargeted PGD for each ε of ``eps_list`` (in [0,1] pixel space) in one
    call: ``{eps: accuracy}``; ``eps = 0`` gives the clean (standard) accuracy.

    PGD uses ``steps`` steps of ``step_size`` (default 2.5·ε/steps for each ε), a random start when
    ``random_start``, ``restarts`` restarts and per-example best tracking (a point counts as broken if any
    iterate of any restart is misclassified). Random starts come from one generator seeded with ``seed``
    (``None``: torch's global RNG). ``autocast_dtype`` (e.g. ``torch.bfloat16``) runs forward passes under
    ``torch.autocast``. ``progress`` shows a tqdm bar on stderr."""
    norm = normalise_norm(norm)
    eps_values = [float(e) for e in eps_list]
    if not eps_values:
        raise ValueError("eps_list is empty: give at least one ε (0 for clean accuracy)")
    for e in eps_values:
        if math.isnan(e) or e < 0:
            raise ValueError(f"every ε must be >= 0 in [0,1] pixel space (got {e})")
    check_batch(x, y)
    n = x.shape[0]
    if n == 0:
        raise ValueError("no test points: x is empty")
    dev = torch.device(device) if device is not None else model_device(model)
    gen = None
    if seed is not None:
        gen = torch.Generator(device=dev)
        gen.manual_seed(int(seed))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(eps_values), desc="robust accuracy", unit="ε", leave=False)
    result: dict[float, float] = {}
    clean = None
    for e in eps_values:
        if e == 0.0:
            if clean is None:
                clean = correct_under_attack(model, x, y, None, batch_size=batch_size, device=dev,
                                             autocast_dtype=autocast_dtype)
            correct = clean
        else:
            a = default_step_size(e, steps, norm, x[0].numel()) if step_size is None else step_size
            attack = PGD(e, a, steps, norm, random_start=random_start, restarts=restarts, loss_fn=loss_fn)
            correct = correct_under_attack(model, x, y, attack, batch_size=batch_size, device=dev,
                                           autocast_dtype=autocast_dtype, generator=gen)
        result[e] = int(correct.sum()) / n
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return result
