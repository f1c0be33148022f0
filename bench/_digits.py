"""Small trained models for evaluation tests: sklearn's 8×8 digits (offline, 1797 images) scaled to [0, 1],
and a small CNN trained on them in a few seconds on one CPU thread, normally or adversarially (PGD training
with Madry et al.'s recipe at a small budget)."""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch import nn

from tradeoff.deep.attacks import PGD
from tradeoff.deep.attacks.steps import default_step_size


@functools.lru_cache(maxsize=4)
def digits(classes: tuple[int, ...] | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x_train, y_train, x_test, y_test): the digits as (N, 1, 8, 8) floats in [0, 1] (pixel / 16), labels
    renumbered 0..k-1 when ``classes`` selects k of them; the last quarter (of those) is the test split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x, y = d.images.astype(np.float32) / 16.0, d.target
    if classes is not None:
        keep = np.isin(y, classes)
        x, y = x[keep], np.searchsorted(np.array(sorted(classes)), y[keep])
    x = torch.from_numpy(x)[:, None]
    y = torch.from_numpy(np.asarray(y, dtype=np.int64))
    k = len(y) // 4
    return x[:-k], y[:-k], x[-k:], y[-k:]


def small_cnn(n_classes: int, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, n_classes),
    )


@functools.lru_cache(maxsize=8)
def trained_digits_cnn(classes: tuple[int, ...] | None = None, adv_eps: float = 0.0, epochs: int = 8,
                       seed: int = 0) -> nn.Module:
    """A small CNN trained with Adam on the digits (``classes``: a subset), with PGD-5 adversarial training at
    ℓ∞ radius ``adv_eps`` when > 0. Returned in eval mode."""
    x, y, _, _ = digits(classes)
    n_classes = int(y.max()) + 1
    model = small_cnn(n_classes, seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(seed)
    attack = PGD(adv_eps, default_step_size(adv_eps, 5), 5, "inf", track_best=False, seed=seed) if adv_eps > 0 else None
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), 64):
            idx = perm[i:i + 64]
            xb, yb = x[idx], y[idx]
            if attack is not None:
                xb = attack(model, xb, yb)
            model.train()
            opt.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
    return model.eval()
