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

import numpy as np
import torch

from tradeoff.data.registry import dataset_info, dataset_root
from tradeoff.data.tensors import as_float_images


def _to_tensors(images, labels) -> tuple[torch.Tensor, torch.Tensor]:
    x = as_float_images(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
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
    spec = dataset_info(name)
    if not spec.in_memory:
        raise ValueError(f"dataset {name!r} does not fit in memory; use open_dataset() and DatasetBatches")
    x, y = _to_tensors(*spec.read(split, root))
    if n is not None and n < len(y):
        idx = stratified_indices(y, n, seed) if name != "toy" else torch.randperm(
            len(y), generator=torch.Generator().manual_seed(seed)
        )[:n]
        x, y = x[idx], y[idx]
    return x, y


def open_dataset(name: str, split: str, root: str | None = None, train: bool = False):
    """A map-style dataset (``ds[i] -> (image, label)``) for datasets that stay on disk (Restricted ImageNet): the
    registry's ``opener`` (data.registry) on ``root``, else on the folder its variable names."""
    spec = dataset_info(name)
    if spec.in_memory:
        raise ValueError(f"dataset {name!r} is in-memory; use load_split()")
    if root is None:
        root = dataset_root(name)
    if root is None:
        raise ValueError(f"{name} needs a folder: set data_root = its folder in the config, or ${spec.root_var}")
    return spec.opener(split, root, train)


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
