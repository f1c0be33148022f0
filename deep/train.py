"""Standard and adversarial training (Madry et al.'s PGD training; the paper's Section 4 and Appendix B).

Adversarial training minimises the empirical adversarial risk ``E[max_{||δ||_p <= ε} L(x + δ, y; θ)]``: each
step first runs PGD on the batch (model in eval mode, inputs kept in [0, 1]), then takes an optimiser step on the
loss at the perturbed points. ``adv.mixed`` trains on batches whose first half is adversarial and second half
clean (Appendix B). ``adv.eps = 0`` is standard training.

A run is the population of one model (deep.population: the same training step trains K models in lockstep;
:class:`Trainer` is its K = 1 view). One code path for CPU and CUDA. On CUDA: bf16 autocast (``amp``),
channels_last, optional ``torch.compile``; the whole dataset stays on the device when it fits and batches are
indexed there; losses and accuracies accumulate in device tensors and are read once per epoch. On CPU a run is
deterministic for a given seed: the model is initialised from ``seed``, each epoch's shuffling depends only on
``(seed, epoch)`` and the attack's random starts on ``(seed, epoch, rank)``, so a run resumed from an epoch
checkpoint continues exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tradeoff.data.tensors import as_float_images

from .attacks import check_batch
from .config import TrainConfig
from .datasets import DatasetBatches, TensorBatches, dataset_spec, load_split, open_dataset, stratified_indices
from .distributed import DistInfo, all_reduce_sum
from .population import (  # noqa: F401 - re-exported: the single-run names of the population's helpers
    EpochStats,
    Population,
    autocast,
    build_optimizer,
    epoch_seed,
    progress_bar,
    resolve_device,
    seed_everything,
)


def make_pgd(
    norm: str,
    eps: float,
    step_size: float,
    steps: int,
    random_start: bool = True,
    restarts: int = 1,
    track_best: bool = True,
    check_range: bool = True,
):
    """A ``deep.attacks.PGD`` with the given budget (ε in pixel space), keeping the per-example best iterate over
    steps and restarts (evaluation; training uses deep.population.population_pgd, the last iterate)."""
    from .attacks import PGD

    return PGD(eps=eps, step_size=step_size, steps=steps, norm=norm, random_start=random_start, restarts=restarts,
               track_best=track_best, check_range=check_range)


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
    spec = dataset_spec(cfg.dataset)
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
        check_batch(x, y)  # once here: the training attack then skips its per-batch range check
        batches = TensorBatches(x.to(device), y.to(device), cfg.batch_size, True, cfg.seed, dist.rank, dist.world_size)
        tx, ty = test if test is not None else load_split(cfg.dataset, "test", cfg.data_root)
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


def materialise(ds, n: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` items (all when None) of a map-style dataset as float tensors in [0, 1]."""
    n = len(ds) if n is None else min(n, len(ds))
    xs, ys = zip(*(ds[i] for i in range(n)))
    x = as_float_images(torch.stack([torch.as_tensor(v) for v in xs]))
    return x, torch.as_tensor(ys, dtype=torch.long)


def eps_key(eps: float) -> str:
    """The JSON key of an ε (``repr`` of the float: 0.3 -> '0.3')."""
    return repr(float(eps))


class Trainer(Population):
    """One run: the population of one model (deep.population), seen as a single model. ``model``, ``data`` and
    ``optimizer`` are the run's; ``train_epoch`` raises FloatingPointError when training diverges."""

    def __init__(
        self,
        cfg: TrainConfig,
        dist: DistInfo | None = None,
        train: tuple[torch.Tensor, torch.Tensor] | None = None,
        test: tuple[torch.Tensor, torch.Tensor] | None = None,
        data: DataBundle | None = None,
    ):
        tensors = [(train, test)] if train is not None or test is not None else None
        super().__init__([cfg], dist, data=tensors, bundles=[data] if data is not None else None, grouped=False)

    @property
    def cfg(self) -> TrainConfig:
        """The run's config."""
        return self.cfgs[0]

    @property
    def model(self) -> torch.nn.Module:
        """The run's model (deep.models.NormalizedModel)."""
        return self.stack.members[0]

    @property
    def data(self) -> DataBundle:
        """The run's training batches and held-out tensors."""
        return self.bundles[0]

    def adv_eps_at(self, t: float) -> float:
        """Training ε at time ``t`` (epochs), ramped over ``adv.eps_warmup_epochs``."""
        return self.member_eps_at(0, t)

    def train_step(self, xb: torch.Tensor, yb: torch.Tensor, lr: float, eps: float):
        """One optimiser step on the batch (adversarial at radius ``eps``); the (device) loss and logits."""
        gen = torch.Generator(device=self.device)
        gen.manual_seed(epoch_seed(self.cfg.seed, self.epoch, self.dist.rank) + self.global_step)
        loss, logits = self.population_step(xb[None], yb[None], None, [len(yb)], lr, [eps], [gen])
        return loss[0], logits[0]

    def train_epoch(self, progress: bool = False) -> EpochStats:
        """Train one epoch; its stats. FloatingPointError (the last checkpoint is kept) when it diverged."""
        stats = super().train_epoch(progress)[0]
        if stats is None:
            raise FloatingPointError(self.diverged[0])
        return stats

    def evaluate_epoch(self, progress: bool = False) -> tuple[float, dict[str, float], float]:
        """Per-epoch held-out evaluation (``eval.n_epoch`` examples, ``eval.steps`` PGD steps, one start)."""
        return self.member_evaluate_epoch(0)

    def evaluate_final(self, progress: bool = False) -> tuple[float, dict[str, float]]:
        """Final evaluation: ``eval.n_final`` held-out examples, ``eval.restarts`` restarts, float32."""
        return self.member_evaluate_final(0, progress)

    def eval_eps(self) -> list[float]:
        """ε values evaluated: ``eval.eps``, else the training ε (none for standard training)."""
        return self.member_eval_eps(0)

    def state_dict(self) -> dict:
        """Everything needed to continue (deep.population.Population.member_state_dict of the one member)."""
        return self.member_state_dict(0)

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict` (model, optimiser, schedule position, epoch) to continue exactly."""
        self.load_member_state_dicts([state])


def evaluate_model(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps_list: list[float],
    norm: str = "inf",
    steps: int = 20,
    step_size: float | None = None,
    restarts: int = 1,
    batch_size: int = 500,
    device: torch.device | None = None,
    amp: bool = False,
    dist: DistInfo | None = None,
    progress: bool = False,
) -> tuple[float, dict[str, float]]:
    """Standard accuracy ``P[f(x) = y]`` and PGD robust accuracy ``P[f(x + δ_PGD) = y]`` for each ε, measured by
    the one evaluator (deep.evaluate.robust_accuracy: step 2.5 ε / steps unless given, ``restarts`` random
    starts, an example counts as robust only if it survives all). Rank r of a distributed run evaluates
    ``x[r::world]`` and the counts are summed over ranks."""
    from .evaluate import robust_accuracy

    dist = dist or DistInfo()
    device = device or next(model.parameters()).device
    x, y = x[dist.rank :: dist.world_size], y[dist.rank :: dist.world_size]
    eps_all = [0.0] + [float(e) for e in eps_list]
    n = len(y)
    if n:
        dtype = torch.bfloat16 if amp and device.type == "cuda" else None
        acc = robust_accuracy(model, x, y, eps_all, norm=norm, steps=steps, step_size=step_size, restarts=restarts,
                              batch_size=batch_size, device=device, seed=dist.rank, autocast_dtype=dtype,
                              progress=progress)
        counts = [round(acc[e] * n) for e in eps_all]
    else:
        counts = [0] * len(eps_all)
    both = all_reduce_sum(torch.tensor(counts + [n], device=device, dtype=torch.long), dist).tolist()
    total = max(both[-1], 1)
    return both[0] / total, {eps_key(e): both[1 + j] / total for j, e in enumerate(eps_list)}


def fit(
    cfg: TrainConfig,
    train: tuple[torch.Tensor, torch.Tensor] | None = None,
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
    progress: bool = False,
) -> tuple[Trainer, list[EpochStats]]:
    """Train ``cfg`` in memory (no run folder, no checkpoints) and return the trainer and per-epoch stats.
    Use :func:`deep.runs.train_run` for runs that are saved and can resume."""
    trainer = Trainer(cfg, train=train, test=test)
    history = []
    for _ in range(cfg.epochs):
        stats = trainer.train_epoch(progress)
        if cfg.eval.every and trainer.epoch % cfg.eval.every == 0:
            std, rob, dt = trainer.evaluate_epoch()
            stats.eval_standard_acc, stats.eval_robust_acc, stats.eval_time_s = std, rob, dt
            stats.eval_n = len(trainer.data.eval_y)
        history.append(stats)
    return trainer, history


def train(cfg: TrainConfig, run_dir=None, resume: bool = True, **kwargs):
    """Train ``cfg`` in its run folder, resuming if interrupted: shorthand for :func:`deep.runs.train_run`."""
    from .runs import train_run

    return train_run(cfg, run_dir, resume=resume, **kwargs)
