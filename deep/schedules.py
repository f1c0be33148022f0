"""Learning-rate schedules as a pure function of training time ``t`` in epochs (fractional within an epoch).

The learning rate at step ``s`` of an epoch of ``B`` batches is ``lr * lr_factor(..., t = epoch + (s+1)/B)``;
the schedule therefore needs no state beyond the global step, which the checkpoint stores.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

CYCLIC_PEAK = 0.4  # the triangular one-cycle schedule peaks at 40% of training (Wong et al.'s fast training)
ANNEAL_TAIL = 0.2  # the anneal schedule decays linearly to 0 over the last 20% of training


def lr_factor(
    schedule: str,
    t: float,
    epochs: float,
    milestones: Sequence[float] = (),
    gamma: float = 0.1,
    step_epochs: float = 30.0,
    warmup_epochs: float = 0.0,
) -> float:
    """Multiplier of the base learning rate at time ``t`` (epochs).

    - ``constant``: 1.
    - ``step``: ``gamma ** floor(t / step_epochs)``.
    - ``multistep``: ``gamma ** #{m in milestones : m <= t}`` (the paper's ImageNet setup: /10 at 30, 60, 85, ...).
    - ``cosine``: ``(1 + cos(pi * t / epochs)) / 2``.
    - ``cyclic``: triangular, 0 -> 1 linearly over the first 40% of ``epochs``, then 1 -> 0 at ``epochs``.
    - ``anneal``: 1 for the first 80% of ``epochs``, then linearly 1 -> 0 at ``epochs`` (a constant learning rate
      with an annealed last iterate, which varies less from seed to seed: docs/experiments.md).
    A linear warm-up ``min(1, t / warmup_epochs)`` multiplies every schedule but ``cyclic`` when warmup_epochs > 0.
    """
    if schedule == "constant":
        f = 1.0
    elif schedule == "step":
        f = gamma ** math.floor(t / step_epochs)
    elif schedule == "multistep":
        f = gamma ** bisect.bisect_right(list(milestones), t)
    elif schedule == "cosine":
        f = 0.5 * (1.0 + math.cos(math.pi * min(t, epochs) / epochs))
    elif schedule == "anneal":
        start = (1.0 - ANNEAL_TAIL) * epochs
        f = 1.0 if t <= start else max(0.0, (epochs - t) / (epochs - start))
    elif schedule == "cyclic":
        peak = CYCLIC_PEAK * epochs
        f = t / peak if t <= peak else max(0.0, (epochs - t) / (epochs - peak))
        return f
    else:
        raise ValueError(f"schedule {schedule!r} is invalid: allowed constant, step, multistep, cosine, cyclic, anneal")
    if warmup_epochs > 0:
        f *= min(1.0, t / warmup_epochs)
    return f
