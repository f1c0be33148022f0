"""A labelled second judge for claim 11: exact k-nearest neighbours in the feature space of a trained model.

J1 (deep.experiments.knn) compares images pixel by pixel; a robust model's representation is the other natural
notion of "looks like" (the paper's point is that robust models' features are perceptually aligned). This judge
maps an image x to φ(x), the input of the model's **last linear layer** (its penultimate representation, e.g. the
1024 post-ReLU units of the MNIST CNN or the pooled features of a ResNet), computed in float32 with the model in
eval mode, and applies J1's rule in that space: the labels of the k training images whose φ is nearest in
Euclidean distance, the vote fraction as the probability, a tied vote to the smaller class index (the exact search
and its float64 guard are :class:`deep.experiments.knn.KNNJudge`'s, on the feature vectors).

It is a *learned* judge, so it is a labelled control with every gate of a learned judge (clean, noise, transfer:
deep.experiments.judges) and never decides claim 11; the panel builds it from a robust model of another seed than
the models it judges (deep.experiments.pictures).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .knn import KNNJudge


def last_linear(model: nn.Module) -> nn.Linear:
    """The model's last :class:`torch.nn.Linear` in registration order (its classifier); a ValueError naming the
    model's class when it has none."""
    found = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not found:
        raise ValueError(f"{type(model).__name__} has no linear layer: its penultimate features are undefined")
    return found[-1]


@torch.no_grad()
def penultimate_features(model: nn.Module, x, batch_size: int = 500) -> np.ndarray:
    """φ(x): the inputs of ``model``'s last linear layer on the images ``x`` (N, C, H, W) in [0, 1], flattened to
    (N, D) float32; float32 arithmetic (no autocast), eval mode (restored afterwards), in batches."""
    layer = last_linear(model)
    captured: list[torch.Tensor] = []
    hook = layer.register_forward_pre_hook(lambda _m, inp: captured.append(inp[0].detach().float().flatten(1).cpu()))
    was = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not isinstance(x, torch.Tensor) else x
        with torch.autocast(device.type, enabled=False):
            for i in range(0, len(xt), batch_size):
                model(xt[i:i + batch_size].to(device, torch.float32))
    finally:
        hook.remove()
        model.train(was)
    if not captured:
        return np.zeros((0, 0), dtype=np.float32)
    return torch.cat(captured).numpy().astype(np.float32, copy=False)


class FeatureKNNJudge:
    """Exact k-NN in ``model``'s penultimate feature space over the training images ``train_x`` (N, C, H, W) in
    [0, 1] with labels ``train_y`` (module docstring). Calling it on images gives the vote fractions (N, K), as
    every judge of deep.experiments.judges does."""

    def __init__(self, model: nn.Module, train_x, train_y, k: int = 10, n_classes: int | None = None,
                 batch_size: int = 500):
        self.model = model
        self.batch_size = int(batch_size)
        feats = penultimate_features(model, train_x, self.batch_size)
        self._knn = KNNJudge(feats, train_y, k=k, n_classes=n_classes)

    @property
    def k(self) -> int:
        return self._knn.k

    @property
    def n_train(self) -> int:
        return self._knn.n_train

    def predict_proba(self, x) -> np.ndarray:
        """Vote fractions (N, K) of the k nearest training images in feature space."""
        return self._knn.predict_proba(penultimate_features(self.model, x, self.batch_size))

    def __call__(self, x) -> np.ndarray:
        return self.predict_proba(x)
