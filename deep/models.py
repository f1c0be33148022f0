"""The paper's networks, without torchvision, each taking inputs in [0, 1].

Normalisation ``(x - mean) / std`` is the first layer of every model (:class:`Normalize`, with buffers), so
attacks and ε live in pixel space. Models:

- ``mnist_cnn``: conv5×5-32, max-pool 2, conv5×5-64, max-pool 2, fc-1024, fc-10 (Madry et al.'s MNIST network).
- ``resnet18``: CIFAR-style ResNet-18 (3×3 stem, no max-pool; stages of 2 basic blocks at widths w, 2w, 4w, 8w).
- ``resnet50``: ImageNet ResNet-50 (7×7/2 stem, max-pool, bottleneck stages 3-4-6-3 at widths w..8w, expansion 4)
  for Restricted ImageNet (9 classes).
- ``resnet9``: a fast CIFAR-10 residual net, a RECONSTRUCTION of the "ResNet-9" of the DAWNBench family (see
  :class:`ResNet9` and docs/fast_cifar.md): 8 conv-BN-ReLU layers and a linear classifier, ~6.6 M parameters.
- ``tiny_cnn``: a two-layer conv net for tests and quick demos.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F


class Normalize(nn.Module):
    """``(x - mean) / std`` per channel; mean and std are buffers (saved in the state_dict, moved with the model)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        if len(mean) != len(std):
            raise ValueError(f"Normalize: mean has {len(mean)} channels but std has {len(std)}")
        if any(s <= 0 for s in std):
            raise ValueError(f"Normalize: std must be positive, got {list(std)}")
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class MnistCNN(nn.Module):
    """conv5×5-32 → ReLU → pool → conv5×5-64 → ReLU → pool → fc-1024 → ReLU → fc-classes ('same' padding).
    About 28 MFLOP per 28×28 image forward (dominated by the second conv and the first fc)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28, width: int = 32):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 5, padding=2)
        self.conv2 = nn.Conv2d(width, 2 * width, 5, padding=2)
        side = image_size // 4
        self.fc1 = nn.Linear(2 * width * side * side, 1024)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class TinyCNN(nn.Module):
    """A small conv net (conv3×3-w, pool, conv3×3-2w, global average pool, fc) for tests and CPU demos."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 8):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        return self.fc(x.mean(dim=(2, 3)))


class BasicBlock(nn.Module):
    """ResNet-18/34 residual block: two 3×3 conv-BN layers plus a (projection) shortcut, then ReLU."""
    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = _shortcut(in_planes, planes, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    """ResNet-50 residual block: 1×1 → 3×3 → 1×1 conv-BN (×4 channel expansion) plus a (projection) shortcut."""
    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        out_planes = planes * self.expansion
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.shortcut = _shortcut(in_planes, out_planes, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


def _shortcut(in_planes: int, out_planes: int, stride: int) -> nn.Module:
    if stride == 1 and in_planes == out_planes:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False), nn.BatchNorm2d(out_planes))


class ResNet(nn.Module):
    """ResNet with a CIFAR stem (3×3, stride 1) or an ImageNet stem (7×7/2 + max-pool), four stages at widths
    w, 2w, 4w, 8w (stride 1, 2, 2, 2), global average pooling and a linear classifier."""

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layers: Sequence[int],
        num_classes: int = 10,
        in_channels: int = 3,
        width: int = 64,
        stem: str = "cifar",
    ):
        super().__init__()
        if stem == "cifar":
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)
            )
        elif stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, stride=2, padding=1),
            )
        else:
            raise ValueError(f"ResNet stem {stem!r} is invalid: allowed 'cifar', 'imagenet'")
        in_planes = width
        stages = []
        for i, n in enumerate(layers):
            planes = width * 2**i
            blocks = []
            for j in range(n):
                blocks.append(block(in_planes, planes, stride=(1 if i == 0 or j > 0 else 2)))
                in_planes = planes * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(in_planes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def _conv_bn(in_planes: int, planes: int, pool: bool = False) -> nn.Sequential:
    """conv3×3 (no bias) → BatchNorm → ReLU, then an optional 2×2 max-pool."""
    layers = [nn.Conv2d(in_planes, planes, 3, padding=1, bias=False), nn.BatchNorm2d(planes), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class Residual(nn.Module):
    """``x + f(x)`` for a shape-preserving ``f``."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.inner(x)


class ResNet9(nn.Module):
    """A fast CIFAR-10 network: a RECONSTRUCTION, from public descriptions, of the 9-layer residual net of the
    DAWNBench CIFAR-10 entries (D. Page, "How to train your ResNet", 2018; written here from the published layer
    list, no code copied). Layers (width ``w`` = 64 by default):

    prep conv(w) → conv(2w)+pool → residual[conv(2w), conv(2w)] → conv(4w)+pool → conv(8w)+pool →
    residual[conv(8w), conv(8w)] → global max-pool → linear (no bias) → logits × ``scale`` (0.125),

    each conv being conv3×3-BN-ReLU. With w = 64 and 10 classes: 6,573,120 parameters. The write-ups report ≥ 94 %
    CIFAR-10 test accuracy after 24 epochs in a few minutes on one GPU with their recipe (SGD with Nesterov
    momentum, a one-cycle learning rate, batch 512, flip + crop augmentation); that speed and accuracy were NOT
    measured in this project (see docs/fast_cifar.md). The global pooling makes it work at any input size (64-px
    Restricted Tiny ImageNet too)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3, width: int = 64, scale: float = 0.125):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            _conv_bn(in_channels, w),
            _conv_bn(w, 2 * w, pool=True),
            Residual(nn.Sequential(_conv_bn(2 * w, 2 * w), _conv_bn(2 * w, 2 * w))),
            _conv_bn(2 * w, 4 * w, pool=True),
            _conv_bn(4 * w, 8 * w, pool=True),
            Residual(nn.Sequential(_conv_bn(8 * w, 8 * w), _conv_bn(8 * w, 8 * w))),
        )
        self.fc = nn.Linear(8 * w, num_classes, bias=False)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_max_pool2d(self.features(x), 1)
        return self.fc(torch.flatten(x, 1)) * self.scale


class NormalizedModel(nn.Sequential):
    """``Sequential(Normalize, net)``: the model every caller sees; ``.net`` is the bare network."""

    def __init__(self, normalize: Normalize, net: nn.Module):
        super().__init__(normalize, net)

    @property
    def normalize(self) -> Normalize:
        """The input normalisation layer ``(x - mean) / std`` (inputs in [0, 1])."""
        return self[0]

    @property
    def net(self) -> nn.Module:
        """The bare network (expects normalised inputs)."""
        return self[1]


def _mnist_cnn(num_classes: int, in_channels: int, width: int | None, image_size: int) -> nn.Module:
    return MnistCNN(num_classes, in_channels, image_size=image_size, width=width or 32)


def _tiny_cnn(num_classes: int, in_channels: int, width: int | None, image_size: int) -> nn.Module:
    return TinyCNN(num_classes, in_channels, width=width or 8)


def _resnet18(num_classes: int, in_channels: int, width: int | None, image_size: int) -> nn.Module:
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes, in_channels, width or 64, stem="cifar")


def _resnet50(num_classes: int, in_channels: int, width: int | None, image_size: int) -> nn.Module:
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, in_channels, width or 64, stem="imagenet")


def _resnet9(num_classes: int, in_channels: int, width: int | None, image_size: int) -> nn.Module:
    return ResNet9(num_classes, in_channels, width or 64)


#: model name -> constructor(num_classes, in_channels, width, image_size) of the bare network.
#: ``width`` None means the network's own default (mnist_cnn 32 = first conv, tiny_cnn 8, ResNets 64).
MODEL_REGISTRY: dict[str, Callable[[int, int, int | None, int], nn.Module]] = {
    "mnist_cnn": _mnist_cnn,
    "tiny_cnn": _tiny_cnn,
    "resnet9": _resnet9,
    "resnet18": _resnet18,
    "resnet50": _resnet50,
}


def build_model(
    name: str,
    num_classes: int,
    mean: Sequence[float],
    std: Sequence[float],
    width: int | None = None,
    image_size: int = 32,
) -> NormalizedModel:
    """``Normalize(mean, std)`` followed by the network ``name`` from :data:`MODEL_REGISTRY`; inputs in [0, 1]."""
    if name not in MODEL_REGISTRY:
        raise ValueError(f"model {name!r} is unknown: allowed {', '.join(sorted(MODEL_REGISTRY))}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    net = MODEL_REGISTRY[name](num_classes, len(mean), width, image_size)
    return NormalizedModel(Normalize(mean, std), net)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
