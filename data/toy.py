"""The synthetic ``toy`` data set: a small 4-class image problem for tests and demos (never evidence)."""

from __future__ import annotations

import torch

#: examples per split
TOY_SIZES = {"train": 2000, "test": 1000}
_CLASSES, _SIDE = 4, 12


def toy_data(split: str, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A deterministic 4-class 1×12×12 image problem: each class is a fixed random blob pattern p_c in [0.2, 0.8]
    plus N(0, 0.2²) pixel noise, clipped to [0, 1]. Train and test draw different noise."""
    if split not in TOY_SIZES:
        raise ValueError(f"split {split!r} is invalid: allowed 'train', 'test'")
    n = TOY_SIZES[split] if n is None else n
    proto_gen = torch.Generator().manual_seed(1234)
    coarse = torch.rand(_CLASSES, 1, 4, 4, generator=proto_gen)
    protos = 0.2 + 0.6 * torch.nn.functional.interpolate(coarse, size=_SIDE, mode="bilinear")
    gen = torch.Generator().manual_seed(0 if split == "train" else 1)
    y = torch.arange(n) % _CLASSES
    y = y[torch.randperm(n, generator=gen)]
    x = protos[y] + 0.2 * torch.randn(n, 1, _SIDE, _SIDE, generator=gen)
    return x.clamp_(0, 1), y.long()
