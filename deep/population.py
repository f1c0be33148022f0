"""Population training: K models trained in lockstep as one batched computation (issue 11; the paper's deep
figures are grids of models that differ only in seed, ε_train, norm, training set and batch mix).

Every member k has its own TrainConfig: seed, training subset (``n_train``, ``data_seed``), ε_train and its
warm-up, norm, step size, clean/adversarial mix (``adv.mixed``: the first half of each batch adversarial, Appendix
B) and, for TRADES (``adv.method = "trades"``, Zhang et al. 2019), β. Members share what one batched step needs:
architecture, batch size, batches per epoch, epochs, optimiser and schedule, training method, attack steps and
mixed batches (deep.population_plan.population_key; deep.population_plan.plan_populations groups configs by it).

One step: member k's batch is ``x[k]`` of a ``(K, B, C, H, W)`` tensor (a shorter batch, e.g. a smaller training
set's last one, is padded with weight-0 copies); the attack runs for every member at once in its own threat model
(deep.attacks.training: the one PGD of deep.attacks; TRADES members maximise ``KL(f(x) || f(x'))`` and their loss is
``CE + β_k · KL``, deep.trades); one optimiser step is taken on the sum of the members' mean losses. The stack's
member k depends on member k's parameters only (deep.stacked) and the optimisers are element-wise, so the sum's
gradient is each member's own. A single run is the K = 1 population. On CUDA: bf16 autocast when ``amp``. The
epochs, their evaluation and the run folders are the training engine's (deep.train); a population has no files.

Determinism on CPU: member k's initialisation comes from ``seed_k``, its epoch order from ``(seed_k, epoch)`` and
its attack's random starts from ``(seed_k, epoch, rank)``, so a population resumed from an epoch checkpoint
continues exactly, and member k of a population draws the same numbers as a run of member k alone.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from tradeoff.data.registry import dataset_info

from .attacks import MemberSteps, kl_per_example, population_pgd, population_trades_adversary
from .config import TrainConfig
from .datasets import TensorBatches
from .device import resolve_device, resolve_precision
from .distributed import DistInfo, all_reduce_sum, wrap_ddp
from .models import NormalizedModel, build_model
from .population_plan import grouped_is_faster, population_key
from .run_data import DataBundle, load_data
from .schedules import lr_factor
from .stacked import GroupedMnistCNN, LoopStack, build_stack, can_group


# ---------------------------------------------------------------------- the population
@dataclass
class EpochStats:
    """One member's numbers for one epoch (its metrics.jsonl line)."""

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
    #: mean training loss over each of LOSS_PARTS consecutive parts of the epoch's batches (a convergence check
    #: within an epoch: docs/experiments.md)
    train_loss_parts: list[float] = field(default_factory=list)


#: how many parts of an epoch ``EpochStats.train_loss_parts`` averages the training loss over
LOSS_PARTS = 5


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """The seed of a member's attack random starts in ``epoch`` on ``rank``."""
    return (seed * 1_000_033 + epoch * 104_729 + rank * 7_919 + 1) % 2**31


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA), numpy and Python's ``random``."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeds code that uses the legacy global generator
    random.seed(seed)


def build_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    """SGD (momentum, optional Nesterov) or Adam, with ``weight_decay`` as L2 on all parameters (Adam's update is
    the fused kernel on CUDA). Both are element-wise, so on stacked parameters they are K independent optimisers."""
    params = list(params)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        fused = bool(params) and all(p.is_cuda for p in params)
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=fused or None)
    raise ValueError(f"optimizer {cfg.optimizer!r} is invalid: allowed 'sgd', 'adam'")


class Population:
    """Models, optimiser and data of K runs trained in lockstep (validated ``cfgs`` of one population key,
    deep.population_plan.population_key): the training step, one epoch of it, per-member evaluation and checkpoint
    state (no files, no epoch loop).

    ``data[k]``: ``(train, test)`` tensors replacing member k's dataset, or its ready deep.run_data.DataBundle.
    ``grouped``: force (True) or forbid (False) the grouped stack; default: grouped for K > 1 MNIST CNNs on CUDA,
    and on a CPU for adversarial training (a loop of models was measured faster there for standard steps:
    bench/population.py)."""

    def __init__(self, cfgs: Sequence[TrainConfig], dist: DistInfo | None = None,
                 data: Sequence[tuple | DataBundle | None] | None = None, grouped: bool | None = None):
        self.cfgs = [c.resolve_epochs() for c in cfgs]  # the epoch rule (TrainConfig.min_steps)
        if not self.cfgs:
            raise ValueError("a population needs at least one config")
        if len(self.cfgs) > 1 and len({population_key(c) for c in self.cfgs}) > 1:  # one config: one population
            raise ValueError("the configs of one population differ in shared fields (architecture, batch size, "
                             "batches per epoch, epochs, optimiser, schedule, PGD steps or mixed batches); group them "
                             "with deep.population_plan.plan_populations")
        self.k = len(self.cfgs)
        cfg = self.cfgs[0]
        self.dist = dist or DistInfo()
        if self.dist.enabled and self.k > 1:
            raise ValueError("distributed (DDP) training runs one model: use a population of one config per job")
        self.device = resolve_device(cfg.device, self.dist)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = not cfg.deterministic
            torch.backends.cudnn.deterministic = cfg.deterministic
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        self.spec = dataset_info(cfg.dataset)
        self.bundles = self._load(data)
        if len({len(b.train) for b in self.bundles}) > 1:
            raise ValueError("members of a population need the same number of batches per epoch")
        models = []
        for c in self.cfgs:
            seed_everything(c.seed)
            models.append(build_model(c.model, self.spec.num_classes, self.spec.mean, self.spec.std, c.width,
                                      self.spec.image_size).to(self.device))
        if grouped and not can_group(cfg.model):
            raise ValueError(f"model {cfg.model!r} has no grouped stack; only mnist_cnn does")
        self.precision = resolve_precision(self.device, cfg.amp, cfg.channels_last)
        if grouped is None:
            grouped = self.k > 1 and can_group(cfg.model) and grouped_is_faster(self.device, self.precision, cfg)
        self.stack = build_stack(models, grouped).to(self.device)
        self.grouped = isinstance(self.stack, GroupedMnistCNN)
        self.channels_last = self.precision.channels_last and not self.grouped
        if isinstance(self.stack, LoopStack):
            self._wrap_loop(cfg)
        self.optimizer = build_optimizer(cfg, self.stack.ordered_parameters())
        self.params_per_member = len(self.stack.ordered_parameters()) // (1 if self.grouped else self.k)
        self.steps = cfg.adv.attack_steps
        self.method = cfg.adv.training_method
        self.beta = torch.tensor([c.adv.beta if c.adv.trades else 0.0 for c in self.cfgs], device=self.device)
        self.global_step = 0
        self.epoch = 0  # completed epochs (all members)
        self._rules: dict = {}

    def _load(self, data: Sequence[tuple | DataBundle | None] | None) -> list[DataBundle]:
        """Every member's DataBundle: given, or loaded (deep.run_data.load_data) once per distinct training subset
        and held-out split, members with the same subset sharing its tensors (each with its own shuffling)."""
        cache: dict = {}
        bundles = []
        for i, c in enumerate(self.cfgs):
            given = data[i] if data is not None else None
            if isinstance(given, DataBundle):
                bundles.append(given)
                continue
            tr, te = given if given is not None else (None, None)
            key = (c.n_train, c.data_seed, c.eval.n_epoch, c.eval.n_final, id(tr), id(te))
            if key in cache and isinstance(cache[key].train, TensorBatches):
                b = cache[key]
                batches = TensorBatches(b.train.x, b.train.y, c.batch_size, True, c.seed, self.dist.rank,
                                        self.dist.world_size)
                bundles.append(replace(b, train=batches))
            else:
                cache[key] = load_data(c, self.device, self.dist, tr, te)
                bundles.append(cache[key])
        return bundles

    def _wrap_loop(self, cfg: TrainConfig) -> None:
        stack: LoopStack = self.stack
        if self.channels_last:
            for m in stack.members:
                m.to(memory_format=torch.channels_last)
        stack.channels_last = self.channels_last
        stack.train_members = ([wrap_ddp(m, self.dist, self.device) for m in stack.members] if self.dist.enabled
                               else list(stack.members))
        stack.attack_members = list(stack.members)
        if cfg.compile:
            stack.train_members = [torch.compile(m) for m in stack.train_members]
            stack.attack_members = [torch.compile(m) for m in stack.attack_members]

    # ------------------------------------------------------------------ schedules
    def lr_at(self, t: float) -> float:
        """Learning rate at time ``t`` (epochs, fractional): ``lr`` times the configured schedule factor."""
        c = self.cfgs[0]
        return c.lr * lr_factor(c.schedule, t, c.epochs, c.milestones, c.gamma, c.step_epochs, c.warmup_epochs)

    def member_eps_at(self, k: int, t: float) -> float:
        """Member ``k``'s training ε at time ``t`` (epochs): ``adv.eps``, ramped linearly over
        ``adv.eps_warmup`` of the epochs."""
        a, epochs = self.cfgs[k].adv, self.cfgs[k].epochs
        return a.eps * min(1.0, t / (a.eps_warmup * epochs)) if a.eps_warmup > 0 else a.eps

    # ------------------------------------------------------------------ one epoch
    def _amp(self):
        return self.precision.autocast()

    def _stack_batches(self, batches) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, list[int]]:
        lengths = [len(yb) for _, yb in batches]
        b = max(lengths)
        if len(batches) == 1:  # one run: a view, no copy
            return batches[0][0][None], batches[0][1][None], None, lengths
        if min(lengths) == b:
            return torch.stack([xb for xb, _ in batches]), torch.stack([yb for _, yb in batches]), None, lengths
        xs, ys, ws = [], [], []
        for (xb, yb), n in zip(batches, lengths):
            pad = b - n
            idx = torch.cat([torch.arange(n, device=xb.device), torch.zeros(pad, dtype=torch.long, device=xb.device)])
            xs.append(xb.index_select(0, idx))
            ys.append(yb.index_select(0, idx))
            ws.append((torch.arange(b, device=xb.device) < n).float())
        return torch.stack(xs), torch.stack(ys), torch.stack(ws), lengths

    def training_inputs(self, x: torch.Tensor, y: torch.Tensor, eps: Sequence[float], lengths: Sequence[int],
                        generators=None) -> torch.Tensor:
        """The inputs of one training step: PGD points for adversarial members (every member when the
        population trains adversarially). Mixed batches (``adv.mixed``, Appendix B; a population is all mixed or
        not at all, deep.population_plan.population_key): member k's first ``lengths[k] // 2`` examples are
        adversarial and the rest clean, and PGD runs on the first ``max_k lengths[k] // 2`` examples only (examples
        do not interact in the attack, so the clean half costs nothing)."""
        if self.steps == 0:
            return x
        mixed = self.cfgs[0].adv.mixed
        h = max(n // 2 for n in lengths) if mixed else x.shape[1]
        if h == 0:
            return x
        with self._amp():
            x_adv = population_pgd(self.stack, x[:, :h].contiguous(), y[:, :h].contiguous(), self._rule(eps, h),
                                   self.steps, self.cfgs[0].adv.random_start, generators)
        if not mixed:
            return x_adv
        half = torch.tensor([n // 2 for n in lengths], device=x.device)
        adv = torch.arange(h, device=x.device)[None, :] < half[:, None]
        head = torch.where(adv.view(*adv.shape, *([1] * (x.dim() - 2))), x_adv, x[:, :h])
        return torch.cat([head, x[:, h:]], dim=1)

    def trades_inputs(self, x: torch.Tensor, y: torch.Tensor, eps: Sequence[float], generators=None,
                      clean_logits: torch.Tensor | None = None) -> torch.Tensor | None:
        """The KL points of one TRADES step (deep.attacks.training.population_trades_adversary at each member's ε
        and step); None when no member has β > 0 (β = 0 everywhere is standard training: no attack runs)."""
        if not any(c.adv.beta > 0 for c in self.cfgs):
            return None
        with self._amp():
            return population_trades_adversary(self.stack, x, y, self._rule(eps, x.shape[1]), self.steps, generators,
                                               clean_logits=clean_logits)

    def _rule(self, eps: Sequence[float], batch: int) -> MemberSteps:
        """The members' threat models at radii ``eps`` for batches of ``batch`` (deep.attacks.steps.MemberSteps; each
        member's step: deep.config.AdvConfig.step_at), kept while ε and the batch stay the same (after the ε
        warm-up: every step), so that the per-example tensors are copied to the device once, not every step."""
        key = (tuple(eps), batch)
        if self._rules.get("key") != key:
            steps = [c.adv.step_at(e) for c, e in zip(self.cfgs, eps)]
            self._rules = {"key": key, "rule": MemberSteps([c.adv.norm for c in self.cfgs], eps, steps, batch,
                                                           self.device)}
        return self._rules["rule"]

    def _mean(self, per_example: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
        return per_example.mean(1) if w is None else (per_example * w).sum(1) / w.sum(1)

    def population_step(self, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None, lengths: Sequence[int],
                   lr: float, eps: Sequence[float], generators=None):
        """One optimiser step at learning rate ``lr`` for every member (adversarial at ``eps[k]``); returns the
        per-member mean losses ``(K,)`` and the logits ``(K, B, classes)``, on the device, without syncing.
        TRADES: the loss is ``CE + β·KL`` and the logits are the clean ones (the training accuracy is clean);
        a β = 0 member of a loop stack is not run on the KL points (its batch norm statistics stay those of
        standard training), in a grouped stack (no batch norm) its KL term is weighted by exactly 0."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        trades = self.method == "trades"
        if trades and self.grouped:
            # the grouped MNIST CNN has no batch norm or dropout: its train-mode clean logits are the eval-mode ones
            # the attack needs, so the clean forward pass is run once, first (bench/trades.py)
            self.stack.train()
            self.optimizer.zero_grad(set_to_none=True)
            with self._amp():
                logits = self.stack(x)
            x_kl = self.trades_inputs(x, y, eps, generators, clean_logits=logits)
        else:
            x_in = x if trades else self.training_inputs(x, y, eps, lengths, generators)
            x_kl = self.trades_inputs(x, y, eps, generators) if trades else None
            self.stack.train()
            self.optimizer.zero_grad(set_to_none=True)
            with self._amp():
                logits = self.stack(x_in)
        ce = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), reduction="none").view(y.shape)
        losses = self._mean(ce, w)
        if x_kl is not None:
            with self._amp():
                if isinstance(self.stack, LoopStack):
                    logits_kl = self.stack.forward_some(x_kl, [c.adv.beta > 0 for c in self.cfgs], logits.detach())
                else:
                    logits_kl = self.stack(x_kl)
            kl = kl_per_example(logits.flatten(0, 1), logits_kl.flatten(0, 1)).view(y.shape)
            losses = losses + self.beta * self._mean(kl, w)
        losses.sum().backward()
        self.optimizer.step()
        self.global_step += 1
        return losses.detach(), logits.detach()

    def train_epoch(self, progress: bool = False) -> list[EpochStats]:
        """Train every member one epoch; return each member's stats (a diverged member's mean loss is NaN or
        infinite: the engine, deep.train, stops it). Sums stay on the device; one host synchronisation at the
        end."""
        e, k = self.epoch, self.k
        n_batches = len(self.bundles[0].train)
        gens = []
        for c in self.cfgs:
            g = torch.Generator(device=self.device)
            g.manual_seed(epoch_seed(c.seed, e, self.dist.rank))
            gens.append(g)
        loss_sum = torch.zeros(k, device=self.device, dtype=torch.float64)
        correct = torch.zeros(k, device=self.device, dtype=torch.float64)
        seen = torch.zeros(k, device=self.device, dtype=torch.float64)
        part_loss = torch.zeros(LOSS_PARTS, k, device=self.device, dtype=torch.float64)
        part_seen = torch.zeros(LOSS_PARTS, k, device=self.device, dtype=torch.float64)
        label = f"epoch {e + 1}/{self.cfgs[0].epochs}" + (f" ({k} models)" if k > 1 else "")
        bar = tqdm(total=n_batches, desc=label, file=sys.stderr, disable=not (progress and self.dist.is_main),
                   leave=False, dynamic_ncols=True)
        t0 = time.perf_counter()
        lr, eps = self.lr_at(e), [self.member_eps_at(i, e) for i in range(k)]
        for i, batches in enumerate(zip(*(d.train.epoch(e) for d in self.bundles))):
            t = e + (i + 1) / n_batches
            lr, eps = self.lr_at(t), [self.member_eps_at(j, t) for j in range(k)]
            x, y, w, lengths = self._stack_batches(batches)
            losses, logits = self.population_step(x, y, w, lengths, lr, eps, gens)
            with torch.no_grad():
                hit = (logits.argmax(2) == y).double()
                n = torch.tensor(lengths, device=self.device, dtype=torch.float64)
                loss_sum += losses.double() * n
                part = min(LOSS_PARTS - 1, i * LOSS_PARTS // max(n_batches, 1))
                part_loss[part] += losses.double() * n
                part_seen[part] += n
                correct += hit.sum(1) if w is None else (hit * w).sum(1)
                seen += n
            bar.update(1)
        bar.close()
        totals = all_reduce_sum(torch.cat([torch.stack([loss_sum, correct, seen]), part_loss, part_seen]), self.dist)
        rows = totals.tolist()  # the epoch's one host-device synchronisation
        loss_t, correct_t, seen_t = rows[:3]
        parts_l, parts_n = rows[3:3 + LOSS_PARTS], rows[3 + LOSS_PARTS:]
        self.epoch += 1
        dt = time.perf_counter() - t0
        return [EpochStats(epoch=self.epoch, lr=lr, train_loss=loss_t[j] / max(seen_t[j], 1),
                           train_acc=correct_t[j] / max(seen_t[j], 1), n_train_seen=int(seen_t[j]), time_s=dt,
                           adv_eps=eps[j],
                           train_loss_parts=[pl[j] / pn[j] for pl, pn in zip(parts_l, parts_n) if pn[j] > 0])
                for j in range(k)]

    # ------------------------------------------------------------------ members
    def member_model(self, k: int) -> NormalizedModel:
        """Member ``k`` as a plain deep.models network on the device (the same module for a loop stack; a copy
        of its weights for a grouped one), for evaluation and saving."""
        if isinstance(self.stack, LoopStack):
            return self.stack.members[k]
        c = self.cfgs[k]
        model = build_model(c.model, self.spec.num_classes, self.spec.mean, self.spec.std, c.width,
                            self.spec.image_size)
        model.load_state_dict(self.stack.member_state_dict(k))
        return model.to(self.device)

    def member_evaluate(self, k: int, x: torch.Tensor, y: torch.Tensor, eps_list: Sequence[float], restarts: int = 1,
                        progress: bool = False) -> tuple[float, dict[str, float]]:
        """Member ``k``'s clean accuracy and PGD accuracy (keyed by deep.evaluate.eps_key) at each ε of ``eps_list``
        on ``(x, y)`` with its eval settings: deep.evaluate.evaluate with ``attack="pgd"`` (``eval.steps`` steps of
        ``eval.step_size``, default 2.5·ε/steps; ``restarts`` random starts, a point robust only if it survives
        all; the attacks under the population's precision policy, every count in float32), sharded over the ranks of
        a distributed run. The per-epoch monitor (``pgdN@eps`` in the metrics) and the final evaluation with
        ``eval.attack = "pgd"``."""
        from .evaluate import eps_key, evaluate

        c = self.cfgs[k]
        res = evaluate(self.member_model(k), x, y, [0.0, *eps_list], c.eval_norm, "pgd", steps=c.eval.steps,
                       step_size=c.eval.step_size, restarts=restarts, batch_size=c.eval.batch_size, device=self.device,
                       seed=self.dist.rank, precision=self.precision, dist=self.dist,
                       progress=progress and self.dist.is_main)
        return res.accuracy[0.0], {eps_key(e): res.accuracy[float(e)] for e in eps_list}

    # ------------------------------------------------------------------ checkpoint state
    def member_optimizer_state(self, k: int) -> dict:
        """Member ``k``'s optimiser state_dict, exactly as a single model's optimiser would hold it."""
        full = self.optimizer.state_dict()
        p = self.params_per_member
        if self.grouped:
            names = self.stack.param_names
            state = {i: {n: (self.stack.to_member(names[i], v[k]).clone() if torch.is_tensor(v) and v.dim() > 0
                             else v) for n, v in s.items()}
                     for i, s in full["state"].items()}
        else:
            state = {i - k * p: s for i, s in full["state"].items() if k * p <= i < (k + 1) * p}
        groups = [{**g, "params": list(range(p))} for g in full["param_groups"]]
        return {"state": state, "param_groups": groups}

    def _load_optimizer_states(self, states: Sequence[dict]) -> None:
        p, full = self.params_per_member, {}
        if self.grouped:
            names = self.stack.param_names
            for i in states[0]["state"]:
                full[i] = {n: (torch.stack([self.stack.to_stacked(names[int(i)], s["state"][i][n]) for s in states])
                               if torch.is_tensor(v) and v.dim() > 0 else v)
                           for n, v in states[0]["state"][i].items()}
        else:
            for k, s in enumerate(states):
                for i, v in s["state"].items():
                    full[k * p + int(i)] = v
        n_params = len(self.stack.ordered_parameters())
        groups = [{**g, "params": list(range(n_params))} for g in states[0]["param_groups"]]
        self.optimizer.load_state_dict({"state": full, "param_groups": groups})

    def member_state_dict(self, k: int) -> dict:
        """Everything member ``k`` needs to continue, in a single run's checkpoint format: model, optimiser,
        schedule position (global step), completed epochs (``torch.load(weights_only=True)``-loadable)."""
        return {
            "model": self.stack.member_state_dict(k),
            "optimizer": self.member_optimizer_state(k),
            "scheduler": {"schedule": self.cfgs[k].schedule, "global_step": self.global_step},
            "epoch": self.epoch,
            "rng": {"torch": torch.get_rng_state()},
        }

    def load_member_state_dicts(self, states: Sequence[dict]) -> None:
        """Restore every member from its :meth:`member_state_dict` (all at the same epoch)."""
        if len(states) != self.k:
            raise ValueError(f"need {self.k} member states, got {len(states)}")
        epochs = {int(s["epoch"]) for s in states}
        if len(epochs) > 1:
            raise ValueError(f"members of a population resume from one epoch, got checkpoints of epochs {epochs}")
        for k, s in enumerate(states):
            self.stack.load_member_state_dict(k, s["model"])
        self._load_optimizer_states([s["optimizer"] for s in states])
        self.global_step = int(states[0]["scheduler"]["global_step"])
        self.epoch = epochs.pop()
