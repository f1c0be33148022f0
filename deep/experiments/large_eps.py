"""Figures 3, 8, 9 data and claim 11: large-ε adversarial examples and how an independent model sees them.

Every model is attacked at the same large ε (untargeted PGD ascending the true-label loss, no random start,
iterates clipped to [0, 1]; the attack itself is the engine's, reached through :mod:`deep.experiments.engine`).
An independently trained standard model (different seed) then classifies each example: claim 11 says the examples
of robust models move towards another class, so the judge should see another class, with high probability.
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


def large_eps_study(models: dict[str, torch.nn.Module], judge: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                    norm: str, eps: float, attack: AttackFn) -> LargeEpsData:
    """Attack every model with ``attack(model, x, y)`` (the same large ε for all) and record what the model and the
    independent ``judge`` predict on each example."""
    data = LargeEpsData(norm=norm, eps=float(eps), images=x.detach().cpu().numpy(), labels=y.detach().cpu().numpy())
    for name, model in models.items():
        x_adv = attack(model, x, y).detach()
        data.adv[name] = x_adv.cpu().numpy()
        data.model_probs[name] = metrics.probabilities(predict_logits(model, x_adv))
        data.model_pred[name] = data.model_probs[name].argmax(axis=1)
        data.judge_probs[name] = metrics.probabilities(predict_logits(judge, x_adv))
    return data


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
