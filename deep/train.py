"""Standard and adversarial training (Madry et al.'s PGD training; the paper's Section 4 and Appendix B).

Adversarial training minimises the empirical adversarial risk ``E[max_{||δ||_p <= ε} L(x + δ, y; θ)]``: each
step first runs PGD on the batch (model in eval mode, inputs kept in [0, 1]), then takes an optimiser step on the
loss at the perturbed points. ``adv.mixed`` trains on batches whose first half is adversarial and second half
clean (Appendix B). ``adv.eps = 0`` is standard training. ``adv.method = "trades"`` trains with TRADES instead
(Zhang et al. 2019: ``CE(f(x), y) + β · max KL(f(x) || f(x'))``, deep.trades; β = 0 is standard training).

A run is the population of one model (deep.population: the same training step trains K models in lockstep;
:class:`Trainer` is its K = 1 view). One code path for CPU and CUDA. On CUDA: bf16 autocast (``amp``),
channels_last, optional ``torch.compile``; the whole dataset stays on the device when it fits and batches are
indexed there; losses and accuracies accumulate in device tensors and are read once per epoch. On CPU a run is
deterministic for a given seed: the model is initialised from ``seed``, each epoch's shuffling depends only on
``(seed, epoch)`` and the attack's random starts on ``(seed, epoch, rank)``, so a run resumed from an epoch
checkpoint continues exactly.
"""

from __future__ import annotations

import torch

from .config import TrainConfig
from .distributed import DistInfo
from .evaluate import eps_key  # noqa: F401 - re-exported
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
from .run_data import DataBundle, disk_datasets, load_data, materialise  # noqa: F401 - re-exported


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
        """Training ε at time ``t`` (epochs), ramped over the fraction ``adv.eps_warmup`` of the epochs."""
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


def fit(
    cfg: TrainConfig,
    train: tuple[torch.Tensor, torch.Tensor] | None = None,
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
    progress: bool = False,
) -> tuple[Trainer, list[EpochStats]]:
    """Train ``cfg`` in memory (no run folder, no checkpoints) and return the trainer and per-epoch stats.
    Use :func:`deep.runs.train_run` for runs that are saved and can resume."""
    trainer = Trainer(cfg, train=train, test=test)
    cfg = trainer.cfg  # the epoch rule applied (TrainConfig.resolve_epochs)
    history = []
    for _ in range(cfg.epochs):
        stats = trainer.train_epoch(progress)
        if cfg.eval.every and trainer.epoch % cfg.eval.every == 0:
            std, rob, dt = trainer.evaluate_epoch()
            stats.eval_standard_acc, stats.eval_robust_acc, stats.eval_time_s = std, rob, dt
            stats.eval_n = len(trainer.data.eval_y)
        history.append(stats)
    return trainer, history
