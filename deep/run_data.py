"""The tensors a training run needs: its training subset and its evaluation points (a :class:`DataBundle`), read
from the dataset registry (deep.datasets) for a :class:`~tradeoff.deep.config.TrainConfig`: what each member of a
population (deep.population) trains and is evaluated on; ``tradeoff deep eval`` reads a disk dataset's held-out
split with :func:`disk_datasets`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tradeoff.data.registry import dataset_info
from tradeoff.data.tensors import as_float_images

from .attacks import check_batch
from .config import TrainConfig
from .datasets import DatasetBatches, TensorBatches, load_split, open_dataset, stratified_indices
from .distributed import DistInfo


@dataclass
class DataBundle:
    """Training batches plus the held-out tensors for per-epoch and final evaluation (on the device)."""

    train: TensorBatches | DatasetBatches
    eval_x: torch.Tensor
    eval_y: torch.Tensor
    final_x: torch.Tensor
    final_y: torch.Tensor


def load_data(
    cfg: TrainConfig,
    device: torch.device,
    dist: DistInfo | None = None,
    train: tuple[torch.Tensor, torch.Tensor] | None = None,
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> DataBundle:
    """Load the configured dataset (or use the given ``train``/``test`` tensors) and place it for training.

    Training set: ``n_train`` examples, class-stratified with ``data_seed`` (all when None). Held-out set: the
    test split; per-epoch evaluation on a stratified ``eval.n_epoch`` subset, the final one on ``eval.n_final``."""
    dist = dist or DistInfo()
    spec = dataset_info(cfg.dataset)
    if not spec.in_memory and train is None:
        ds, test_ds = disk_datasets(cfg)
        batches = DatasetBatches(ds, cfg.batch_size, True, cfg.seed, dist.rank, dist.world_size, device)
        tx, ty = materialise(test_ds, cfg.eval.n_final)
    else:
        x, y = train if train is not None else load_split(cfg.dataset, "train", cfg.data_root, cfg.n_train,
                                                          cfg.data_seed)
        if train is not None and cfg.n_train is not None and cfg.n_train < len(y):
            idx = torch.randperm(len(y), generator=torch.Generator().manual_seed(cfg.data_seed))[: cfg.n_train]
            x, y = x[idx], y[idx]
        _check_size("n_train", cfg.n_train, len(y), "training")
        check_batch(x, y)  # once here: the training attack then skips its per-batch range check
        batches = TensorBatches(x.to(device), y.to(device), cfg.batch_size, True, cfg.seed, dist.rank, dist.world_size)
        tx, ty = test if test is not None else load_split(cfg.dataset, "test", cfg.data_root)
    _check_size("eval.n_final", cfg.eval.n_final, len(ty), "held-out")
    ex, ey = _subset(tx, ty, cfg.eval.n_epoch, cfg.data_seed, cfg.dataset)
    fx, fy = _subset(tx, ty, cfg.eval.n_final, cfg.data_seed, cfg.dataset)
    return DataBundle(batches, ex.to(device), ey.to(device), fx.to(device), fy.to(device))


def disk_datasets(cfg: TrainConfig):
    """Training and held-out datasets of an on-disk dataset (Restricted ImageNet): ``<root>/train`` and
    ``<root>/val`` when both exist; otherwise (the repository's val-only sample) a fixed split of ``val``: a
    ``data_seed`` permutation whose first 20% is held out and the rest trained on. ``n_train`` keeps a
    class-stratified subsample of the training part."""
    from pathlib import Path

    from torch.utils.data import Subset

    if cfg.data_root is None:
        raise ValueError(f"dataset {cfg.dataset!r} needs data_root (the folder holding train/ and/or val/)")
    side = dataset_info(cfg.dataset).image_size
    if cfg.image_size not in (None, side):
        raise ValueError(f"config field 'image_size' = {cfg.image_size} is applied where the experiment engine loads "
                         f"the images into memory; reading {cfg.dataset!r} from its folder crops to {side}: set "
                         f'image_size = "none" (or {side})')
    if (Path(cfg.data_root).expanduser() / "train").is_dir():
        train_ds = open_dataset(cfg.dataset, "train", cfg.data_root, train=True)
        test_ds = open_dataset(cfg.dataset, "val", cfg.data_root, train=False)
        train_idx = list(range(len(train_ds)))
    else:
        full_train = open_dataset(cfg.dataset, "val", cfg.data_root, train=True)
        full_test = open_dataset(cfg.dataset, "val", cfg.data_root, train=False)
        perm = torch.randperm(len(full_train), generator=torch.Generator().manual_seed(cfg.data_seed)).tolist()
        n_test = max(1, len(perm) // 5)
        test_ds, train_ds = Subset(full_test, perm[:n_test]), full_train
        train_idx = perm[n_test:]
    _check_size("n_train", cfg.n_train, len(train_idx), "training")
    if cfg.n_train is not None and cfg.n_train < len(train_idx):
        labels = getattr(train_ds, "labels", None)
        if labels is not None:
            sub_labels = torch.as_tensor(np.asarray(labels)[train_idx])
            keep = stratified_indices(sub_labels, cfg.n_train, cfg.data_seed).tolist()
        else:
            keep = torch.randperm(len(train_idx), generator=torch.Generator().manual_seed(cfg.data_seed))
            keep = keep[: cfg.n_train].tolist()
        train_idx = [train_idx[i] for i in keep]
    if len(train_idx) != len(train_ds):
        train_ds = Subset(train_ds, train_idx)
    return train_ds, test_ds


def _subset(x: torch.Tensor, y: torch.Tensor, n: int | None, seed: int, dataset: str):
    if n is None or n >= len(y):
        return x, y
    if dataset == "toy":
        idx = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:n]
    else:
        idx = stratified_indices(y.cpu(), n, seed)
    return x[idx], y[idx]


def _check_size(field: str, n: int | None, have: int, what: str) -> None:
    """A size the data set's folder or the given tensors turn out too small for: refused, never cut (the registry
    knows the sizes of the fixed data sets and TrainConfig.validate checks those before any loading)."""
    if n is not None and n > have:
        raise ValueError(f"config field {field!r} = {n} is invalid: the {what} data hold only {have} examples; give "
                         'at most that many, or "none" for all of them')


def materialise(ds, n: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` items (all when None) of a map-style dataset as float tensors in [0, 1] (``n`` at most its
    length: more is refused, not cut)."""
    _check_size("eval.n_final", n, len(ds), "held-out")
    n = len(ds) if n is None else n
    xs, ys = zip(*(ds[i] for i in range(n)))
    x = as_float_images(torch.stack([torch.as_tensor(v) for v in xs]))
    return x, torch.as_tensor(ys, dtype=torch.long)
