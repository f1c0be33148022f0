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


def as_float_images(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Images as ``torch.float32`` in [0, 1] on the same device: uint8 pixels are divided by 255, floating-point
    images are taken to be in [0, 1] already and only cast."""
    t = torch.as_tensor(np.ascontiguousarray(images)) if isinstance(images, np.ndarray) else torch.as_tensor(images)
    return to_float_tensor(t) if t.dtype == torch.uint8 else t.to(torch.float32)


def to_uint8_array(images: torch.Tensor) -> np.ndarray:
    """float tensor in [0, 1] -> uint8 numpy array of the same shape (``round(255 x)``, clipped)."""
    return (images.detach().cpu().clamp(0, 1) * 255.0).round().to(torch.uint8).numpy()
