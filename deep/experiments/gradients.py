"""Figure 2 / 10 data and claim 10: input gradients of the loss for standard and robust models.

The gradient is ∇_x L(x, y; θ) of the cross-entropy at the true label, per image, with the model in eval mode.
:func:`display_scaled` implements the paper's CIFAR-10 / ImageNet display: per image, s = 3·std(g), clip g to
[−s, s] and show (1 + g/s)/2. The alignment with the image's edges (claim 10) is :func:`metrics.edge_alignment`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from . import metrics


def input_gradients(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """∇_x CE(model(x), y) for each example (the loss is summed, so each row is that example's own gradient),
    model in eval mode (restored afterwards). Returns float32 ``(N, C, H, W)``."""
    was_training = model.training
    model.eval()
    out = []
    try:
        device = next(model.parameters()).device
        for i in range(0, len(x), batch_size):
            xb = x[i : i + batch_size].to(device).detach().clone().requires_grad_(True)
            yb = y[i : i + batch_size].to(device)
            with torch.enable_grad():
                loss = F.cross_entropy(model(xb).float(), yb, reduction="sum")
                (g,) = torch.autograd.grad(loss, xb)
            out.append(g.detach().float().cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(out) if out else np.zeros(tuple(x.shape), dtype=np.float32)


def display_scaled(grads: np.ndarray, k: float = 3.0) -> np.ndarray:
    """Per image: s = k·std(g), clip to [−s, s], map to (1 + g/s)/2 ∈ [0, 1] (Fig. 2/10, CIFAR-10 and ImageNet)."""
    g = np.asarray(grads, dtype=float)
    axes = tuple(range(1, g.ndim))
    s = k * g.std(axis=axes, keepdims=True)
    s = np.where(s > 0, s, 1.0)
    return (1.0 + np.clip(g, -s, s) / s) / 2.0


@dataclass
class GradientData:
    """Images, labels and, per model name, the input gradients and their per-image edge alignment."""

    images: np.ndarray
    labels: np.ndarray
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    alignment: dict[str, np.ndarray] = field(default_factory=dict)


def gradient_study(models: dict[str, torch.nn.Module], x: torch.Tensor, y: torch.Tensor) -> GradientData:
    """Input gradients of every model on the same images, with claim 10's per-image edge alignment."""
    images = x.detach().cpu().numpy()
    data = GradientData(images=images, labels=y.detach().cpu().numpy())
    for name, model in models.items():
        g = input_gradients(model, x, y)
        data.grads[name] = g
        data.alignment[name] = metrics.edge_alignment(g, images)
    return data


def gradients_payload(data: GradientData, dataset: str, refs: list[dict]) -> dict:
    """The ``deep.gradients`` payload (RESULTS.md): per model the edge alignment (t interval over images), plus the
    paired difference robust − standard per model."""
    models = []
    for ref in refs:
        name = ref["name"]
        entry = {**ref, "edge_alignment": metrics.mean_interval(data.alignment[name])}
        if name != "standard" and "standard" in data.alignment:
            entry["minus_standard"] = metrics.paired_difference(data.alignment[name], data.alignment["standard"])
        models.append(entry)
    return {"dataset": dataset, "measure": "pearson(|grad| summed over channels, sobel edge magnitude of grey image)",
            "n_images": int(len(data.labels)), "models": models}
