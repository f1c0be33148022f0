"""Standard and adversarial training (Madry et al.'s PGD training; the paper's Section 4 and Appendix B).

Adversarial training minimises the empirical adversarial risk ``E[max_{||δ||_p <= ε} L(x + δ, y; θ)]``: each
step first runs PGD on the batch (model in eval mode, inputs kept in [0, 1]), then takes an optimiser step on the
loss at the perturbed points. ``adv.mixed`` trains on batches whose first half is adversarial and second half
clean (Appendix B). ``adv.eps = 0`` is standard training.

One code path for CPU and CUDA. On CUDA: bf16 autocast (``amp``), channels_last, optional ``torch.compile``; the
whole dataset stays on the device when it fits and batches are indexed there; losses and accuracies accumulate
in device tensors and are read once per epoch. On CPU a run is deterministic for a given seed: the model is
initialised from ``seed``, each epoch's shuffling depends only on ``(seed, epoch)`` and the attack's random
starts on ``(seed, epoch, rank)``, so a run resumed from an epoch checkpoint continues exactly.
"""

from __future__ import annotations

import contextlib
import math
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from tradeoff.data.tensors import as_float_images

from .attacks import check_batch, eval_mode
from .config import TrainConfig
from .datasets import DatasetBatches, TensorBatches, dataset_spec, load_split, open_dataset, stratified_indices
from .distributed import DistInfo, all_reduce_sum, wrap_ddp
from .models import build_model
from .schedules import lr_factor


def resolve_device(name: str, dist: DistInfo | None = None) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is an error naming the fix."""
    dist = dist or DistInfo()
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError("device = 'cuda' but torch sees no GPU; set device = 'cpu' or 'auto'")
    return torch.device("cuda", dist.local_rank if dist.enabled else torch.cuda.current_device())


def autocast(device: torch.device, amp: bool):
    """bf16 autocast on CUDA when ``amp``; a no-op context otherwise (CPU runs stay in float32)."""
    if amp and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA), numpy and Python's ``random``."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeds code that uses the legacy global generator
    random.seed(seed)


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """The seed of the attack's random starts in ``epoch`` on ``rank``."""
    return (seed * 1_000_033 + epoch * 104_729 + rank * 7_919 + 1) % 2**31


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
    """A ``deep.attacks.PGD`` with the given budget (ε in pixel space). Training uses ``track_best=False`` (the
    last iterate, as in Madry et al.) and ``check_range=False`` (its data were checked once to lie in [0, 1], so
    no per-batch host synchronisation); evaluation keeps the per-example best iterate over steps and restarts."""
    from .attacks import PGD

    return PGD(eps=eps, step_size=step_size, steps=steps, norm=norm, random_start=random_start, restarts=restarts,
               track_best=track_best, check_range=check_range)


def build_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    """SGD (momentum, optional Nesterov) or Adam, with ``weight_decay`` as L2 on all parameters (Adam's update is
    the fused kernel on CUDA)."""
    params = list(params)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov, weight_decay=cfg.weight_decay
        )
    if cfg.optimizer == "adam":
        fused = bool(params) and all(p.is_cuda for p in params)
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=fused or None)
    raise ValueError(f"optimizer {cfg.optimizer!r} is invalid: allowed 'sgd', 'adam'")


def progress_bar(total: int, desc: str, enabled: bool, leave: bool = False):
    """A tqdm bar with ETA on stderr (disabled -> a silent stand-in)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, disable=not enabled, leave=leave, dynamic_ncols=True)


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


@dataclass
class EpochStats:
    """One epoch's numbers (the metrics.jsonl line)."""

    epoch: int
    lr: float
    train_loss: float
    train_acc: float
    n_train_seen: int
    time_s: float
    eval_standard_acc: float | None = None
    eval_robust_acc: dict[str, float] = field(default_factory=dict)
    eval_n: int = 0
    eval_time_s: float = 0.0
    adv_eps: float = 0.0


def eps_key(eps: float) -> str:
    """The JSON key of an ε (``repr`` of the float: 0.3 -> '0.3')."""
    return repr(float(eps))


class Trainer:
    """Model, optimiser and data of one run, with ``train_epoch`` and ``evaluate``. No files: see deep.runs."""

    def __init__(
        self,
        cfg: TrainConfig,
        dist: DistInfo | None = None,
        train: tuple[torch.Tensor, torch.Tensor] | None = None,
        test: tuple[torch.Tensor, torch.Tensor] | None = None,
        data: DataBundle | None = None,
    ):
        self.cfg = cfg.validate()
        self.dist = dist or DistInfo()
        self.device = resolve_device(cfg.device, self.dist)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = not cfg.deterministic
            torch.backends.cudnn.deterministic = cfg.deterministic
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        self.spec = dataset_spec(cfg.dataset)
        self.data = data or load_data(cfg, self.device, self.dist, train, test)
        seed_everything(cfg.seed)
        self.model = build_model(cfg.model, self.spec.num_classes, self.spec.mean, self.spec.std, cfg.width,
                                 self.spec.image_size).to(self.device)
        self.channels_last = cfg.channels_last and self.device.type == "cuda"
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = build_optimizer(cfg, self.model.parameters())
        # attack_model: no DDP wrapper (the attack needs no gradient synchronisation); train_model: DDP, compiled
        self.attack_model = torch.compile(self.model) if cfg.compile else self.model
        self.train_model = wrap_ddp(self.model, self.dist, self.device)
        if cfg.compile:
            self.train_model = torch.compile(self.train_model)
        self.global_step = 0
        self.epoch = 0  # number of completed epochs

    # ------------------------------------------------------------------ helpers
    def _prep(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _amp(self):
        return autocast(self.device, self.cfg.amp)

    def adv_eps_at(self, t: float) -> float:
        """Training ε at time ``t`` (epochs): ``adv.eps``, ramped linearly over ``adv.eps_warmup_epochs``."""
        a = self.cfg.adv
        if a.eps_warmup_epochs > 0:
            return a.eps * min(1.0, t / a.eps_warmup_epochs)
        return a.eps

    def lr_at(self, t: float) -> float:
        """Learning rate at time ``t`` (epochs, fractional): ``lr`` times the configured schedule factor."""
        c = self.cfg
        return c.lr * lr_factor(c.schedule, t, c.epochs, c.milestones, c.gamma, c.step_epochs, c.warmup_epochs)

    def _training_inputs(self, xb: torch.Tensor, yb: torch.Tensor, eps: float) -> torch.Tensor:
        a = self.cfg.adv
        if not a.enabled or eps <= 0:
            return xb
        step = a.step_size if a.step_size is not None else 2.5 * eps / a.steps
        if a.step_size is not None and a.eps_warmup_epochs > 0:
            step = a.step_size * eps / a.eps
        attack = make_pgd(a.norm, eps, step, a.steps, a.random_start, track_best=False, check_range=False)
        with self._amp():
            if a.mixed:
                k = len(yb) // 2
                return torch.cat([attack(self.attack_model, xb[:k], yb[:k]), xb[k:]])
            return attack(self.attack_model, xb, yb)

    # ------------------------------------------------------------------ one epoch
    def train_epoch(self, progress: bool = False) -> EpochStats:
        """Train one epoch (shuffle from (seed, epoch), attack seeds from (seed, epoch, rank)); return its stats
        with losses/accuracies summed on the device and synchronised once at the end."""
        cfg, e = self.cfg, self.epoch
        batches = self.data.train
        n_batches = len(batches)
        torch.manual_seed(epoch_seed(cfg.seed, e, self.dist.rank))
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device, dtype=torch.long)
        seen = torch.zeros((), device=self.device, dtype=torch.long)
        bar = progress_bar(n_batches, f"epoch {e + 1}/{cfg.epochs}", progress and self.dist.is_main)
        t0 = time.perf_counter()
        lr, eps = self.lr_at(e), self.adv_eps_at(e)
        for i, (xb, yb) in enumerate(self._iterate(batches.epoch(e))):
            t = e + (i + 1) / n_batches
            lr, eps = self.lr_at(t), self.adv_eps_at(t)
            loss, logits = self.train_step(xb, yb, lr, eps)
            with torch.no_grad():
                loss_sum += loss.detach() * len(yb)
                correct += (logits.argmax(1) == yb).sum()
                seen += len(yb)
            bar.update(1)
        bar.close()
        totals = torch.stack([loss_sum.double(), correct.double(), seen.double()])
        all_reduce_sum(totals, self.dist)
        loss_total, correct_total, seen_total = totals.tolist()  # the epoch's one host-device synchronisation
        if not math.isfinite(loss_total):
            raise FloatingPointError(
                f"training diverged in epoch {self.epoch + 1}: the mean training loss is "
                f"{loss_total / max(seen_total, 1)} (NaN or infinite); lower the learning rate "
                f"(lr={lr}) or enable eps warm-up, then rerun (the last checkpoint is kept)")
        self.epoch += 1
        return EpochStats(
            epoch=self.epoch,
            lr=lr,
            train_loss=loss_total / max(seen_total, 1),
            train_acc=correct_total / max(seen_total, 1),
            n_train_seen=int(seen_total),
            time_s=time.perf_counter() - t0,
            adv_eps=eps,
        )

    def train_step(self, xb: torch.Tensor, yb: torch.Tensor, lr: float, eps: float):
        """One optimiser step at learning rate ``lr`` on the batch, adversarial at radius ``eps`` when training is
        adversarial; returns the (device) loss and logits without synchronising."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        x_in = self._training_inputs(xb, yb, eps)
        self.train_model.train()
        self.optimizer.zero_grad(set_to_none=True)
        with self._amp():
            logits = self.train_model(x_in)
            loss = F.cross_entropy(logits.float(), yb)
        loss.backward()
        self.optimizer.step()
        self.global_step += 1
        return loss, logits

    def _iterate(self, it: Iterator) -> Iterator:
        for xb, yb in it:
            yield self._prep(xb), yb

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        eps_list: list[float],
        norm: str | None = None,
        steps: int | None = None,
        restarts: int = 1,
        amp: bool | None = None,
        progress: bool = False,
    ) -> tuple[float, dict[str, float]]:
        """Clean accuracy and PGD accuracy at each ε on ``(x, y)``, sharded over ranks (see :func:`evaluate_model`)."""
        ev = self.cfg.eval
        return evaluate_model(
            self.attack_model, x, y, eps_list, norm or self.cfg.eval_norm, steps or ev.steps, ev.step_size,
            restarts, ev.batch_size, self.device, self.cfg.amp if amp is None else amp, self.dist,
            self.channels_last, progress and self.dist.is_main,
        )

    def evaluate_epoch(self, progress: bool = False) -> tuple[float, dict[str, float], float]:
        """Per-epoch held-out evaluation (``eval.n_epoch`` examples, ``eval.steps`` PGD steps, one start)."""
        t0 = time.perf_counter()
        std, rob = self.evaluate(self.data.eval_x, self.data.eval_y, self.eval_eps(), restarts=1, progress=progress)
        return std, rob, time.perf_counter() - t0

    def evaluate_final(self, progress: bool = False) -> tuple[float, dict[str, float]]:
        """Final evaluation: ``eval.n_final`` held-out examples, ``eval.restarts`` restarts, float32 (no autocast)."""
        return self.evaluate(self.data.final_x, self.data.final_y, self.eval_eps(),
                             restarts=self.cfg.eval.restarts, amp=False, progress=progress)

    def eval_eps(self) -> list[float]:
        """ε values evaluated: ``eval.eps``, else the training ε (none for standard training)."""
        if self.cfg.eval.eps:
            return list(self.cfg.eval.eps)
        return [self.cfg.adv.eps] if self.cfg.adv.enabled else []

    # ------------------------------------------------------------------ checkpoint state
    def state_dict(self) -> dict:
        """Everything needed to continue: model, optimiser, schedule position (global step), completed epochs.
        Tensors and plain Python values only (loadable with ``torch.load(weights_only=True)``)."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": {"schedule": self.cfg.schedule, "global_step": self.global_step},
            "epoch": self.epoch,
            "rng": {"torch": torch.get_rng_state()},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict` (model, optimiser, schedule position, epoch, RNG) to continue exactly."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.global_step = int(state["scheduler"]["global_step"])
        self.epoch = int(state["epoch"])
        torch.set_rng_state(state["rng"]["torch"])


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
    channels_last: bool = False,
    progress: bool = False,
) -> tuple[float, dict[str, float]]:
    """Standard accuracy ``P[f(x) = y]`` and PGD robust accuracy ``P[f(x + δ_PGD) = y]`` for each ε (step size
    ``2.5 ε / steps`` unless given; ``restarts`` random starts, an example counts as robust only if it survives all).
    Counts accumulate on the device; rank r of a distributed run evaluates ``x[r::world]`` and counts are summed."""
    dist = dist or DistInfo()
    device = device or next(model.parameters()).device
    x, y = x[dist.rank :: dist.world_size], y[dist.rank :: dist.world_size]
    counts = torch.zeros(1 + len(eps_list), device=device, dtype=torch.long)
    attacks = [make_pgd(norm, e, step_size if step_size is not None else 2.5 * e / steps, steps, True, restarts)
               for e in eps_list]
    n_batches = (len(y) + batch_size - 1) // batch_size
    bar = progress_bar(n_batches * (1 + len(eps_list)), "evaluate", progress)
    with eval_mode(model):  # every submodule's own mode is restored afterwards
        for start in range(0, len(y), batch_size):
            xb = x[start : start + batch_size].to(device)
            yb = y[start : start + batch_size].to(device)
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            with torch.no_grad(), autocast(device, amp):
                counts[0] += (model(xb).argmax(1) == yb).sum()
            bar.update(1)
            for j, attack in enumerate(attacks):
                with autocast(device, amp):
                    x_adv = attack(model, xb, yb)
                with torch.no_grad(), autocast(device, amp):
                    counts[1 + j] += (model(x_adv).argmax(1) == yb).sum()
                bar.update(1)
    bar.close()
    total = torch.tensor([len(y)], device=device, dtype=torch.long)
    both = all_reduce_sum(torch.cat([counts, total]), dist).tolist()
    n = max(both[-1], 1)
    return both[0] / n, {eps_key(e): both[1 + j] / n for j, e in enumerate(eps_list)}


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
