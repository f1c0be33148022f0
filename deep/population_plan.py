"""Which training runs train together: population planning (issue 11; the batched step and the epoch are
deep.population's).

Members of one population share what one batched step needs: architecture, batch size, batches per epoch, epochs,
optimiser and schedule, training method, attack steps (deep.config.AdvConfig.attack_steps) and mixed batches
(:data:`SHARED_FIELDS`, :func:`population_key`); :func:`plan_populations` groups configs by it, at most
:data:`MAX_POPULATION` a group, and :func:`grouped_is_faster` says whether such a group runs faster as the grouped
stack (deep.stacked) or as a loop of models.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import torch

from .config import TrainConfig
from .device import Precision
from .stacked import can_group

#: TrainConfig fields every member of a population shares (one batched step needs them equal).
SHARED_FIELDS = ("dataset", "data_root", "model", "width", "epochs", "batch_size", "optimizer", "lr", "momentum",
                 "nesterov", "weight_decay", "schedule", "milestones", "gamma", "step_epochs", "warmup_epochs",
                 "device", "amp", "channels_last", "compile", "deterministic")

#: the largest population the planner forms (more members: several populations): 16 on CUDA; 8 on a CPU, where
#: the grouped stack's gain fades beyond K = 8 (bench/population.py).
MAX_POPULATION = {"cuda": 16, "cpu": 8}


def grouped_is_faster(device: torch.device, precision: Precision, cfg: TrainConfig) -> bool:
    """Whether the grouped stack (deep.stacked) beats a loop of models for this population, as measured
    (bench/population.py, bench/precision.py): on CUDA always; on a CPU only for PGD training steps in float32 at
    width 8 or less (under bf16 with channels-last the loop of models is 1.2-1.4x faster than the grouped stack at
    K = 4 and 8, widths 8 and 32, and at width 32 the loop wins in float32 too)."""
    if device.type == "cuda":
        return True
    return cfg.adv.attack_steps > 0 and precision.dtype is None and (cfg.width or 32) <= 8


def population_key(cfg: TrainConfig) -> str:
    """What members of one population must share: :data:`SHARED_FIELDS`, the number of PGD steps (and random
    start), and the number of batches per epoch (``ceil(n_train / batch_size)``; the whole dataset when
    ``n_train`` is None). Stacks that cannot pad batches (batch norm: a loop of models) also need equal
    ``n_train``."""
    d = cfg.to_dict()
    key = {f: d[f] for f in SHARED_FIELDS}
    if cfg.adv.trades:  # TRADES' start is always the small Gaussian (deep.trades): random_start does not apply
        key["attack"] = ["trades", cfg.adv.attack_steps]
    else:
        key["attack"] = [cfg.adv.attack_steps, cfg.adv.random_start if cfg.adv.enabled else None]
        key["mixed"] = bool(cfg.adv.enabled and cfg.adv.mixed)
    if cfg.n_train is None:
        key["batches"] = "all"
    elif can_group(cfg.model):
        key["batches"] = math.ceil(cfg.n_train / cfg.batch_size)
    else:
        key["batches"] = cfg.n_train
    return json.dumps(key, sort_keys=True, default=str)


def plan_populations(cfgs: Sequence[TrainConfig], max_size: int | None = None,
                     extra_key: Sequence | None = None) -> list[list[int]]:
    """Indices of ``cfgs`` grouped into populations: equal :func:`population_key` (plus ``extra_key[i]``, e.g. the
    epoch a member resumes from), at most ``max_size`` members each (default: :data:`MAX_POPULATION` of the device
    the configs ask for), in the order of first appearance."""
    if max_size is None:
        cuda = bool(cfgs) and cfgs[0].device != "cpu" and torch.cuda.is_available()
        max_size = MAX_POPULATION["cuda" if cuda else "cpu"]
    if max_size < 1:
        raise ValueError(f"max population size must be >= 1, got {max_size}")
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(cfgs):
        extra = json.dumps(extra_key[i], default=str) if extra_key is not None else ""
        groups.setdefault(population_key(c) + extra, []).append(i)
    return [idx[j : j + max_size] for idx in groups.values() for j in range(0, len(idx), max_size)]
