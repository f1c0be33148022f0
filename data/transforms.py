"""Image transforms for ImageNet-style training and testing, in plain torch (no torchvision).

All functions take and return float tensors ``(3, H, W)`` with values in [0, 1]; randomness comes only from the
``torch.Generator`` passed in, so a seeded generator gives a reproducible transform.

Train (the Restricted ImageNet setup of the authors' code, docs/paper.md §6): random-resized crop to 224 (area fraction
U(0.08, 1), log-uniform aspect ratio in [3/4, 4/3]), horizontal flip with probability 1/2, colour jitter
(brightness, contrast, saturation factors U(1 - 0.1, 1 + 0.1), in random order) and AlexNet-style PCA lighting noise
(std 0.05). Test: resize the shorter side to 256, centre-crop 224.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

#: Eigenvalues / eigenvectors (columns) of the RGB covariance of ImageNet pixels (Krizhevsky et al. 2012).
IMAGENET_PCA_EIGVAL = (0.2175, 0.0188, 0.0045)
IMAGENET_PCA_EIGVEC = (
    (-0.5675, 0.7192, 0.4009),
    (-0.5808, -0.0045, -0.8140),
    (-0.5836, -0.6948, 0.4203),
)


def _check(img: torch.Tensor) -> None:
    if img.ndim != 3 or img.shape[0] != 3 or not img.is_floating_point():
        raise ValueError(f"expected a float image tensor (3, H, W), got {tuple(img.shape)} {img.dtype}")


def _uniform(gen: torch.Generator | None, lo: float, hi: float) -> float:
    return lo + (hi - lo) * torch.rand((), generator=gen).item()


def resize(img: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize to ``(height, width)`` with antialiasing when shrinking."""
    _check(img)
    return F.interpolate(img[None], size=size, mode="bilinear", align_corners=False, antialias=True)[0].clamp_(0, 1)


def resize_shorter(img: torch.Tensor, size: int) -> torch.Tensor:
    """Resize so that the shorter side is ``size``, keeping the aspect ratio (longer side ``int(size·long/short)``)."""
    _check(img)
    h, w = img.shape[-2:]
    if h <= w:
        return resize(img, (size, max(1, int(size * w / h))))
    return resize(img, (max(1, int(size * h / w)), size))


def center_crop(img: torch.Tensor, size: int) -> torch.Tensor:
    """The central ``size × size`` window (top-left corner at ``round((H - size)/2), round((W - size)/2)``)."""
    _check(img)
    h, w = img.shape[-2:]
    if h < size or w < size:
        raise ValueError(f"cannot centre-crop {size}x{size} from a {h}x{w} image")
    top, left = int(round((h - size) / 2)), int(round((w - size) / 2))
    return img[:, top : top + size, left : left + size]


def random_resized_crop_box(
    height: int,
    width: int,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    gen: torch.Generator | None,
) -> tuple[int, int, int, int]:
    """``(top, left, h, w)`` of a window with area fraction ~ U(scale) and aspect ratio w/h log-uniform in
    ``ratio``; 10 tries, then the largest centred window with an admissible aspect ratio."""
    area = height * width
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(10):
        target = area * _uniform(gen, *scale)
        aspect = math.exp(_uniform(gen, log_lo, log_hi))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (), generator=gen))
            left = int(torch.randint(0, width - w + 1, (), generator=gen))
            return top, left, h, w
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w, h = width, int(round(width / ratio[0]))
    elif in_ratio > ratio[1]:
        h, w = height, int(round(height * ratio[1]))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def random_resized_crop(
    img: torch.Tensor,
    size: int,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    gen: torch.Generator | None = None,
) -> torch.Tensor:
    """Crop a random window (see :func:`random_resized_crop_box`) and resize it to ``size × size``."""
    _check(img)
    top, left, h, w = random_resized_crop_box(img.shape[-2], img.shape[-1], scale, ratio, gen)
    return resize(img[:, top : top + h, left : left + w], (size, size))


def random_hflip(img: torch.Tensor, p: float = 0.5, gen: torch.Generator | None = None) -> torch.Tensor:
    """Mirror left-right with probability ``p``."""
    return img.flip(-1) if torch.rand((), generator=gen).item() < p else img


def grayscale(img: torch.Tensor) -> torch.Tensor:
    """Luma ``0.299 R + 0.587 G + 0.114 B``, shape (1, H, W)."""
    return (0.299 * img[0] + 0.587 * img[1] + 0.114 * img[2])[None]


def adjust_brightness(img: torch.Tensor, factor: float) -> torch.Tensor:
    """``clip(factor · x)``."""
    return (img * factor).clamp(0, 1)


def adjust_contrast(img: torch.Tensor, factor: float) -> torch.Tensor:
    """Blend with the mean grey level: ``clip(factor · x + (1 - factor) · mean(gray(x)))``."""
    return (factor * img + (1 - factor) * grayscale(img).mean()).clamp(0, 1)


def adjust_saturation(img: torch.Tensor, factor: float) -> torch.Tensor:
    """Blend with the grey image: ``clip(factor · x + (1 - factor) · gray(x))``."""
    return (factor * img + (1 - factor) * grayscale(img)).clamp(0, 1)


def color_jitter(
    img: torch.Tensor,
    brightness: float,
    contrast: float,
    saturation: float,
    gen: torch.Generator | None = None,
) -> torch.Tensor:
    """Brightness, contrast and saturation changes by factors U(max(0, 1 - s), 1 + s), applied in random order."""
    ops = [(adjust_brightness, brightness), (adjust_contrast, contrast), (adjust_saturation, saturation)]
    for k in torch.randperm(3, generator=gen).tolist():
        fn, s = ops[k]
        if s > 0:
            img = fn(img, _uniform(gen, max(0.0, 1 - s), 1 + s))
    return img


def lighting(img: torch.Tensor, std: float, gen: torch.Generator | None = None) -> torch.Tensor:
    """AlexNet PCA lighting noise: add ``V (α ⊙ λ)`` to every pixel, α ~ N(0, std²) per eigenvector; clipped."""
    if std <= 0:
        return img
    alpha = torch.randn(3, generator=gen, dtype=torch.float64) * std
    vec = torch.tensor(IMAGENET_PCA_EIGVEC, dtype=torch.float64)
    val = torch.tensor(IMAGENET_PCA_EIGVAL, dtype=torch.float64)
    rgb = (vec @ (alpha * val)).to(img.dtype)
    return (img + rgb[:, None, None]).clamp(0, 1)


@dataclass(frozen=True)
class TrainTransform:
    """Training augmentation (docs/paper.md §6, the authors' ImageNet pipeline)."""

    size: int = 224
    scale: tuple[float, float] = (0.08, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip_p: float = 0.5
    brightness: float = 0.1
    contrast: float = 0.1
    saturation: float = 0.1
    lighting_std: float = 0.05

    def __call__(self, img: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        img = random_resized_crop(img, self.size, self.scale, self.ratio, gen)
        img = random_hflip(img, self.flip_p, gen)
        img = color_jitter(img, self.brightness, self.contrast, self.saturation, gen)
        return lighting(img, self.lighting_std, gen).contiguous()


@dataclass(frozen=True)
class TestTransform:
    """Evaluation transform: shorter side to ``resize``, centre crop ``crop``."""

    resize: int = 256
    crop: int = 224

    def __call__(self, img: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        return center_crop(resize_shorter(img, self.resize), self.crop).contiguous()
