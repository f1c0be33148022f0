"""Figure 2 / 10 data and claim 10: input gradients of the loss for standard and robust models.

The gradient is ∇_x L(x, y; θ) of the cross-entropy at the true label, per image, with the model in eval mode.
:func:`display_scaled` implements the paper's CIFAR-10 / ImageNet display: per image, s = 3·std(g), clip g to
[−s, s] and show (1 + g/s)/2. The alignment with the image's edges (claim 10) is :func:`metrics.edge_alignment`.

Its baseline (docs/experiments.md, claim 10): :func:`shuffled_alignment`, the same correlation between each
gradient and the edges of *another* test image (a cyclic shift of the pairing). MNIST digits are centred, so any
gradient concentrated near the centre correlates with every digit's edges; only the part above this baseline, the
**excess alignment** ``edge_alignment − shuffled_alignment``, says that the gradient follows *its own* image. The
uncertainty over models comes from the replicate models (the same recipe at other seeds): the robust − standard
difference of the per-model mean excess, paired by seed, with a t interval over seeds.
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


def shuffled_alignment(grads: np.ndarray, images: np.ndarray, shift: int = 1) -> np.ndarray:
    """Claim 10's baseline: :func:`metrics.edge_alignment` of gradient i with the edges of image ``i + shift``
    (cyclic), i.e. with an unrelated image of the same dataset. Shape ``(N,)``; needs N ≥ 2."""
    images = np.asarray(images)
    if len(images) < 2:
        raise ValueError("the shuffled baseline needs at least 2 images (raise n_metric)")
    return metrics.edge_alignment(np.asarray(grads), np.roll(images, -shift, axis=0))


@dataclass
class GradientData:
    """Images, labels and, per model name, the input gradients, their per-image edge alignment and its shuffled
    baseline; ``replicates[name]`` holds the mean excess alignment (alignment − baseline) of each model of that
    name, one per seed (the first is the model whose gradients are kept), and ``replicate_seeds`` their seeds."""

    images: np.ndarray
    labels: np.ndarray
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    alignment: dict[str, np.ndarray] = field(default_factory=dict)
    baseline: dict[str, np.ndarray] = field(default_factory=dict)
    replicates: dict[str, list[float]] = field(default_factory=dict)
    replicate_seeds: list[int] = field(default_factory=list)


def gradient_data(grads: dict[tuple[str, int], np.ndarray], images: np.ndarray, labels: np.ndarray,
                  names: list[str], seeds: list[int]) -> GradientData:
    """The :class:`GradientData` of gradients already computed for every recipe ``name`` at every seed
    (``grads[(name, seed)]``, :func:`input_gradients` on ``images``): the first seed's gradients, their per-image
    edge alignment and shuffled baseline, and each seed's mean excess alignment (claim 10's uncertainty over
    models)."""
    data = GradientData(images=np.asarray(images), labels=np.asarray(labels), replicate_seeds=list(seeds))
    for name in names:
        g = grads[(name, seeds[0])]
        data.grads[name] = g
        data.alignment[name] = metrics.edge_alignment(g, data.images)
        data.baseline[name] = shuffled_alignment(g, data.images)
        data.replicates[name] = [float(np.nanmean(metrics.edge_alignment(grads[(name, s)], data.images)
                                                  - shuffled_alignment(grads[(name, s)], data.images)))
                                 for s in seeds]
    return data


def gradients_payload(data: GradientData, dataset: str, refs: list[dict]) -> dict:
    """The ``deep.gradients`` payload (RESULTS.md). Per model: ``edge_alignment`` and its ``shuffled_baseline``
    (t intervals over images), ``excess_alignment`` (their paired difference over images); for a robust model
    ``minus_standard`` (alignment) and ``excess_minus_standard`` (excess), paired over the same images, and, with
    replicate models at ≥ 2 shared seeds, ``excess_by_seed`` and ``excess_minus_standard_over_models`` (t interval
    over seeds of the per-seed difference of mean excess, paired by seed)."""
    models = []
    std = "standard" if "standard" in data.alignment else None
    for ref in refs:
        name = ref["name"]
        a, b = data.alignment[name], data.baseline[name]
        entry = {**ref, "edge_alignment": metrics.mean_interval(a), "shuffled_baseline": metrics.mean_interval(b),
                 "excess_alignment": metrics.paired_difference(a, b)}
        reps = data.replicates.get(name, [])
        if len(reps) > 1:
            entry["excess_by_seed"] = {"seeds": data.replicate_seeds[: len(reps)], "values": reps}
        if name != std and std is not None:
            entry["minus_standard"] = metrics.paired_difference(a, data.alignment[std])
            entry["excess_minus_standard"] = metrics.paired_difference(a - b, data.alignment[std] - data.baseline[std])
            k = min(len(reps), len(data.replicates.get(std, [])))
            if k >= 2:
                diffs = np.asarray(reps[:k]) - np.asarray(data.replicates[std][:k])
                entry["excess_minus_standard_over_models"] = {**metrics.mean_interval(diffs),
                                                              "seeds": data.replicate_seeds[:k]}
        models.append(entry)
    return {"dataset": dataset, "measure": "pearson(|grad| summed over channels, sobel edge magnitude of grey image)",
            "baseline": "the same correlation with the edges of another test image (pairing shifted by one)",
            "excess": "edge_alignment minus shuffled_baseline, per image",
            "n_images": int(len(data.labels)), "n_models_per_name": {k: len(v) for k, v in data.replicates.items()},
            "models": models}
