"""A binary linear classifier given by its weights as a torch module with 2 logits, so that the deep evaluator
can attack models whose exact robust accuracy is known in closed form (the linear models of Figure 5;
``tradeoff.linear.robust`` computes the exact worst case; tests/deep/test_linear_ground_truth.py). Takes plain
arrays: deep/ does not import linear/
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class LinearLogits(nn.Module):
    """``x ↦ (−f(x)/2, f(x)/2)`` with the score ``f(x) = wᵀ vec(x) + b``: class 1 (label +1) is predicted iff
    ``f(x) > 0``, class 0 (label −1) iff ``f(x) < 0`` (at ``f = 0`` argmax picks class 0, a measure-zero tie
    that the exact convention counts as an error). The logit margin of the true class is ``±f(x)``, so every
    margin-based attack sees the linear model's own margin. ``w``: any array of ``d`` weights, ``b``: a number;
    ``dtype``: the parameters' dtype (default float32)."""

    def __init__(self, w, b: float, dtype: torch.dtype = torch.float32):
        super().__init__()
        w = torch.as_tensor(np.asarray(w, dtype=np.float64).reshape(-1), dtype=dtype)
        self.register_buffer("w", w)
        self.register_buffer("b", torch.tensor(float(b), dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = x.flatten(1).to(self.w.dtype) @ self.w + self.b
        return torch.stack([-0.5 * f, 0.5 * f], dim=1)


def labels_from_signs(y_pm) -> torch.Tensor:
    """Class indices (0 for −1, 1 for +1) of labels in {−1, +1}, as a long tensor."""
    y_pm = np.asarray(y_pm)
    if not np.all(np.abs(y_pm) == 1):
        raise ValueError("labels must be -1 or +1 (map the two classes to ±1 first)")
    return torch.as_tensor((y_pm > 0).astype(np.int64))
