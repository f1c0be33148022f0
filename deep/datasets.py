"""Datasets by name, as float tensors in [0, 1], and the batch iterators training uses.

MNIST and CIFAR-10 fit in accelerator memory, so they are loaded once as tensors, kept on the device and batched
by indexing (:class:`TensorBatches`, no DataLoader workers, no host-device copies per batch); so is Restricted Tiny
ImageNet (13,200 images of 64 px, data.tiny_imagenet). Restricted ImageNet
is read through a map-style dataset and a DataLoader (:class:`DatasetBatches`). Both shuffle with a permutation
drawn from ``(seed, epoch)`` alone — the same on every rank — and give each rank of a distributed run the slice
``batch[rank::world_size]`` of every global batch, so one global batch step is the same computation whatever the
number of ranks. The ``toy`` dataset is a small synthetic image problem for tests and demos.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from tradeoff.data.cifar10 import CIFAR10_CLASSES
from tradeoff.data.imagenet import SUPERCLASSES
from tradeoff.data.tensors import as_float_images
from tradeoff.data.tiny_imagenet import SIZES as TINY_SIZES
from tradeoff.data.tiny_imagenet import SUPERCLASS_NAMES as TINY_SUPERCLASSES
from tradeoff.data.tiny_imagenet import TITLE as TINY_TITLE


@dataclass(frozen=True)
class DatasetSpec:
    """Everything deep/ knows about a dataset, in one table (:data:`DATASET_SPECS`): shape, classes and the
    normalisation statistics the model applies internally; how result files name it (``label``), figure titles,
    the note every result of it must carry, class names, its train/test splits and the size of its training set
    (``train_size``; None where it depends on the folder, Restricted ImageNet)."""

    name: str
    num_classes: int
    in_channels: int
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    in_memory: bool = True
    label: str = ""
    title: str = ""
    note: str = ""
    class_names: tuple[str, ...] = ()
    train_split: str = "train"
    test_split: str = "test"
    train_size: int | None = None


DATASET_SPECS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec("mnist", 10, 1, 28, (0.1307,), (0.3081,), label="mnist", title="MNIST",
                         class_names=tuple(str(i) for i in range(10)), train_size=60000),
    "cifar10": DatasetSpec(
        "cifar10", 10, 3, 32, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), label="cifar10-jpeg",
        title="CIFAR-10 (JPEG copy)", note="CIFAR-10 JPEG copy (not the official files)",
        class_names=CIFAR10_CLASSES,
        train_size=50000),
    "restricted_imagenet": DatasetSpec(
        "restricted_imagenet", 9, 3, 224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), in_memory=False,
        label="restricted-imagenet-sample",
        title="Restricted ImageNet (203-image sample, toy scale; trained and tested on the same images)",
        note="Restricted ImageNet sample: trained AND tested on the same 203 images (the sample has one split); "
             "accuracies measure fitting, not generalisation; toy end-to-end run",
        class_names=tuple(name for name, _, _ in SUPERCLASSES),
        train_split="val", test_split="val"),
    # mean/std: the per-channel statistics of the 12,000 training images (measured on the real folder)
    "restricted_tiny_imagenet": DatasetSpec(
        "restricted_tiny_imagenet", 6, 3, 64, (0.4803, 0.4592, 0.3740), (0.2586, 0.2513, 0.2591),
        label="restricted-tiny-imagenet", title=TINY_TITLE,
        note="Restricted Tiny ImageNet: the 24 Tiny ImageNet classes inside 6 of the 9 Restricted ImageNet "
             "super-classes (no turtle, fish or crab), 64 px; a stand-in, not Restricted ImageNet",
        class_names=TINY_SUPERCLASSES, train_split="train", test_split="val", train_size=TINY_SIZES["train"]),
    "toy": DatasetSpec("toy", 4, 1, 12, (0.5,), (0.25,), label="toy (synthetic)", title="toy (synthetic)",
                       class_names=("0", "1", "2", "3"), train_size=2000),
}

def dataset_spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of ``name``; ValueError naming the allowed names otherwise."""
    if name in DATASET_SPECS:
        return DATASET_SPECS[name]
    raise ValueError(f"dataset {name!r} is unknown: allowed {', '.join(sorted(DATASET_SPECS))}")


TOY_SIZES = {"train": 2000, "test": 1000}


def toy_data(split: str, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A deterministic 4-class 1×12×12 image problem: each class is a fixed random blob pattern p_c in [0.2, 0.8]
    plus N(0, 0.2²) pixel noise, clipped to [0, 1]. Train and test draw different noise."""
    if split not in TOY_SIZES:
        raise ValueError(f"split {split!r} is invalid: allowed 'train', 'test'")
    n = TOY_SIZES[split] if n is None else n
    proto_gen = torch.Generator().manual_seed(1234)
    spec = DATASET_SPECS["toy"]
    coarse = torch.rand(spec.num_classes, 1, 4, 4, generator=proto_gen)
    protos = 0.2 + 0.6 * torch.nn.functional.interpolate(coarse, size=spec.image_size, mode="bilinear")
    gen = torch.Generator().manual_seed(0 if split == "train" else 1)
    y = torch.arange(n) % spec.num_classes
    y = y[torch.randperm(n, generator=gen)]
    x = protos[y] + 0.2 * torch.randn(n, 1, spec.image_size, spec.image_size, generator=gen)
    return x.clamp_(0, 1), y.long()


def _to_tensors(images, labels) -> tuple[torch.Tensor, torch.Tensor]:
    x = as_float_images(np.asarray(images))
    return x, torch.as_tensor(np.asarray(labels), dtype=torch.long)


def stratified_indices(labels: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """Indices of a class-stratified subsample of size ``n`` (data.subsets.stratified_subsample)."""
    from tradeoff.data.subsets import stratified_subsample

    if n > len(labels):
        raise ValueError(f"n_train = {n} exceeds the {len(labels)} available examples; lower it or use none")
    idx = stratified_subsample(labels.numpy(), n, seed)
    return torch.as_tensor(np.asarray(idx), dtype=torch.long)


def load_split(
    name: str, split: str, root: str | None = None, n: int | None = None, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)`` of an in-memory dataset: x float32 (N, C, H, W) in [0, 1] on the CPU, y int64 (N,). ``split``
    ``test`` means the held-out split (``val`` for Restricted Tiny ImageNet).

    ``n`` selects a class-stratified subsample of that size (seeded); None keeps everything."""
    spec = dataset_spec(name)
    if not spec.in_memory:
        raise ValueError(f"dataset {name!r} does not fit in memory; use open_dataset() and DatasetBatches")
    if name == "toy":
        x, y = toy_data(split)
    elif name == "mnist":
        from tradeoff.data.mnist import load_mnist

        x, y = _to_tensors(*load_mnist(split))
    elif name == "cifar10":
        from tradeoff.data.cifar10 import load_cifar10

        x, y = _to_tensors(*(load_cifar10(split, root) if root else load_cifar10(split)))
    elif name == "restricted_tiny_imagenet":
        x, y = _to_tensors(*_restricted_tiny_imagenet("val" if split == "test" else split, root))
    else:  # pragma: no cover - guarded by dataset_spec
        raise AssertionError(name)
    if n is not None and n < len(y):
        idx = stratified_indices(y, n, seed) if name != "toy" else torch.randperm(
            len(y), generator=torch.Generator().manual_seed(seed)
        )[:n]
        x, y = x[idx], y[idx]
    return x, y


def _restricted_tiny_imagenet(split: str, root: str | None):
    """uint8 arrays of a Restricted Tiny ImageNet split from ``root`` or ``$TRADEOFF_TINY_IMAGENET_ROOT``."""
    from tradeoff.data.paths import DATASET_ROOT_VARS, dataset_root
    from tradeoff.data.tiny_imagenet import load_restricted_tiny_imagenet

    folder = root if root is not None else dataset_root("restricted_tiny_imagenet")
    if folder is None:
        var = DATASET_ROOT_VARS["restricted_tiny_imagenet"]
        raise ValueError(f"restricted_tiny_imagenet needs its folder (train/<wnid>/*.JPEG, val/<wnid>/*.JPEG): set "
                         f"${var} or data_root / --root")
    return load_restricted_tiny_imagenet(split, folder)


def open_dataset(name: str, split: str, root: str | None = None, train: bool = False):
    """A map-style dataset (``ds[i] -> (image, label)``) for datasets that stay on disk (Restricted ImageNet)."""
    dataset_spec(name)
    if name != "restricted_imagenet":
        raise ValueError(f"dataset {name!r} is in-memory; use load_split()")
    if root is None:
        from tradeoff.data.paths import dataset_root

        root = dataset_root("restricted_imagenet")
    if root is None:
        raise ValueError("restricted_imagenet needs a folder: set data_root = the ImageNet (or sample) folder in the "
                         "config, or $TRADEOFF_IMAGENET_ROOT")
    from tradeoff.data.imagenet import RestrictedImageNet

    return RestrictedImageNet(root, split, train=train)


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The shuffling order of epoch ``epoch``: a function of (seed, epoch) only, identical on every rank."""
    gen = torch.Generator().manual_seed((seed * 1_000_003 + epoch * 7919 + 17) % (2**63))
    return torch.randperm(n, generator=gen)


def _global_batches(n: int, batch_size: int, shuffle: bool, seed: int, epoch: int, world_size: int,
                    device: torch.device | None = None):
    order = epoch_permutation(n, seed, epoch) if shuffle else torch.arange(n)
    if device is not None:
        order = order.to(device)  # one copy per epoch; batches are then sliced on the device
    for start in range(0, n, batch_size):
        b = order[start : start + batch_size]
        if len(b) < world_size:  # too small to give every rank an example: dropped
            break
        yield b


class TensorBatches:
    """Mini-batches of on-device tensors ``x, y``: index, do not copy. Rank ``rank`` of ``world_size`` gets
    ``global_batch[rank::world_size]``. Iterating ``batches.epoch(e)`` yields ``(xb, yb)``."""

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ):
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
        self.x, self.y = x, y
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.rank, self.world_size = rank, world_size

    def __len__(self) -> int:
        n, b = len(self.y), self.batch_size
        full, rest = divmod(n, b)
        return full + (1 if rest >= self.world_size else 0)

    @property
    def num_examples(self) -> int:
        """Number of training examples (all ranks together)."""
        return len(self.y)

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """This rank's batches of ``epoch``: the (seed, epoch) permutation cut into global batches, each rank
        taking its strided share."""
        n = len(self.y)
        for b in _global_batches(n, self.batch_size, self.shuffle, self.seed, epoch, self.world_size, self.x.device):
            idx = b[self.rank :: self.world_size]
            yield self.x.index_select(0, idx), self.y.index_select(0, idx)


class DatasetBatches:
    """Mini-batches from a map-style dataset through a DataLoader (worker processes, pinned memory), with the same
    (seed, epoch) shuffling and per-rank slicing as :class:`TensorBatches`. Images come back float in [0, 1]."""

    def __init__(
        self,
        dataset,
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        device: torch.device | str = "cpu",
        num_workers: int | None = None,
    ):
        self.dataset, self.batch_size, self.shuffle, self.seed = dataset, batch_size, shuffle, seed
        if num_workers is None:
            num_workers = min(8, max(0, (os.cpu_count() or 1) - 1))
        self.rank, self.world_size, self.device, self.num_workers = rank, world_size, torch.device(device), num_workers

    def __len__(self) -> int:
        n, b = len(self.dataset), self.batch_size
        full, rest = divmod(n, b)
        return full + (1 if rest >= self.world_size else 0)

    @property
    def num_examples(self) -> int:
        """Number of training examples (all ranks together)."""
        return len(self.dataset)

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """This rank's batches of ``epoch`` (same shuffling as TensorBatches), on the device as float in [0, 1]."""
        base = self.dataset
        while isinstance(base, torch.utils.data.Subset):
            base = base.dataset
        if hasattr(base, "set_epoch"):  # per-epoch random transforms, seeded by (seed, epoch, index)
            base.set_epoch(epoch)
        batches = [
            b[self.rank :: self.world_size].tolist()
            for b in _global_batches(len(self.dataset), self.batch_size, self.shuffle, self.seed, epoch,
                                     self.world_size)
        ]
        loader = torch.utils.data.DataLoader(
            self.dataset,
            batch_sampler=batches,
            num_workers=self.num_workers,
            pin_memory=self.device.type == "cuda",
            persistent_workers=False,
        )
        for xb, yb in loader:
            xb = as_float_images(xb.to(self.device, non_blocking=True))  # uint8 travels, then converts
            yield xb, torch.as_tensor(yb).to(self.device, non_blocking=True).long()
