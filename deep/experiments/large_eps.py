"""Figures 3, 8, 9 data: large-ε adversarial examples of every model and how a judge sees them.

Every model is attacked at the same large ε (untargeted PGD ascending the true-label loss, no random start,
iterates clipped to [0, 1]; the attack itself is the engine's, reached through :mod:`deep.experiments.engine`).
The judge's probabilities of each example are those of J1 (deep.experiments.panel: exact nearest neighbours over
the training set), which claim 11 reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from . import metrics

AttackFn = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


@torch.no_grad()
def predict_logits(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 500) -> np.ndarray:
    """Logits of ``model`` (eval mode, restored afterwards) on ``x``, as float32 numpy ``(N, K)``."""
    was = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        out = [model(x[i : i + batch_size].to(device)).float().cpu().numpy() for i in range(0, len(x), batch_size)]
    finally:
        model.train(was)
    return np.concatenate(out)


@dataclass
class LargeEpsData:
    """For one attack norm: the images, and per model its large-ε examples, its own prediction on them (and its
    softmax probabilities, ``(N, K)``) and the independent judge's probabilities."""

    norm: str
    eps: float
    images: np.ndarray
    labels: np.ndarray
    adv: dict[str, np.ndarray] = field(default_factory=dict)
    model_pred: dict[str, np.ndarray] = field(default_factory=dict)
    judge_probs: dict[str, np.ndarray] = field(default_factory=dict)
    model_probs: dict[str, np.ndarray] = field(default_factory=dict)


def large_eps_entries(data: LargeEpsData) -> list[dict]:
    """Claim 11 numbers for every model of one attack norm (rows of the ``deep.large_eps`` payload)."""
    rows = []
    for name in data.adv:
        st = metrics.other_class_stats(data.judge_probs[name], data.labels)
        rows.append({
            "name": name, "attack_norm": data.norm, "eps": data.eps,
            "model_fooled_rate": metrics.proportion_interval(int((data.model_pred[name] != data.labels).sum()),
                                                             len(data.labels)),
            **st,
        })
    return rows
