"""Conversions between the uint8 image arrays of the loaders and the float tensors the models take."""

from __future__ import annotations

import numpy as np
import torch


def to_float_tensor(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 pixels (any shape, e.g. NCHW) -> ``torch.float32`` in [0, 1] of the same shape: ``x / 255``."""
    if isinstance(images, torch.Tensor):
        t = images
    else:
        arr = np.asarray(images)
        if arr.dtype != np.uint8:
            raise ValueError(f"expected uint8 pixels, got {arr.dtype}")
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.dtype != torch.uint8:
        raise ValueError(f"expected uint8 pixels, got {t.dtype}")
    return t.to(torch.float32).div_(255.0)


def to_uint8_array(images: torch.Tensor) -> np.ndarray:
    """float tensor in [0, 1] -> uint8 numpy array of the same shape (``round(255 x)``, clipped)."""
    return (images.detach().cpu().clamp(0, 1) * 255.0).round().to(torch.uint8).numpy()
