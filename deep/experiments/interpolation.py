"""Figure 4 data and the smoothness half of claim 11: frames on the straight line from an image to its large-ε
adversarial example, x_t = (1 − t)·x + t·x_adv for t = 0, 1/(F−1), …, 1 (F = 20 in the paper)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from . import metrics
from .large_eps import predict_logits


def interpolate(x: np.ndarray, x_adv: np.ndarray, frames: int) -> np.ndarray:
    """``(N, frames, C, H, W)``: evenly spaced points from ``x`` (frame 0) to ``x_adv`` (last frame)."""
    if frames < 2:
        raise ValueError(f"frames must be >= 2, got {frames}")
    x = np.asarray(x, dtype=np.float32)
    x_adv = np.asarray(x_adv, dtype=np.float32)
    if x.shape != x_adv.shape:
        raise ValueError(f"x {x.shape} and x_adv {x_adv.shape} must have the same shape")
    t = np.linspace(0.0, 1.0, frames, dtype=np.float32).reshape(1, frames, *([1] * (x.ndim - 1)))
    return (1 - t) * x[:, None] + t * x_adv[:, None]


@dataclass
class InterpolationData:
    """Per model: the frames of the shown images and its own class probabilities along every image's path."""

    frames: int
    strips: dict[str, np.ndarray] = field(default_factory=dict)  # (n_show, F, C, H, W)
    probs: dict[str, np.ndarray] = field(default_factory=dict)  # (N, F, K)


def interpolation_study(models: dict[str, torch.nn.Module], images: np.ndarray, adv: dict[str, np.ndarray],
                        frames: int, n_show: int) -> InterpolationData:
    """Frames from each image to each model's large-ε example, and that model's probabilities along them."""
    out = InterpolationData(frames=frames)
    for name, model in models.items():
        path = interpolate(images, adv[name], frames)
        n, f = path.shape[:2]
        logits = predict_logits(model, torch.from_numpy(path.reshape(n * f, *path.shape[2:])))
        out.probs[name] = metrics.probabilities(logits).reshape(n, f, -1)
        out.strips[name] = path[:n_show]
    return out


def smoothness_payload(data: InterpolationData) -> dict:
    """``{model: interpolation_smoothness(...)}`` for the ``deep.large_eps`` payload."""
    return {name: metrics.interpolation_smoothness(p) for name, p in data.probs.items()}
