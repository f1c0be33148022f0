"""Training runs that live in their own folder, survive interruption, and are never trained twice.

A run folder holds:

- ``config.toml``     the TrainConfig (deep.config);
- ``metrics.jsonl``   one JSON line per completed epoch (appended with fsync; cut back to the checkpoint on resume);
- ``checkpoint.pt``   ``state_dict``s of model and optimiser, schedule position and epoch (``weights_only`` load),
  with ``checkpoint.json`` beside it (epoch, global step, config fingerprint, torch version);
- ``model.pt``        the final model ``state_dict``;
- ``summary.json``    a result file (kind ``deep.run``) with the final standard and robust accuracy.

Every file is written atomically (data.io). An interrupted run continues from its last checkpoint and ends with
the same weights and metrics as an uninterrupted one (on CPU; see deep.train for the seeding scheme). A run whose
summary exists for the same config is reported, not retrained; a folder holding another config is refused.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from tradeoff.data.io import atomic_write, atomic_write_json, atomic_write_text, read_result, write_result
from tradeoff.data.paths import runs_dir

from .config import TrainConfig, dumps_config, load_config
from .datasets import dataset_spec
from .distributed import DistInfo, barrier, digests_agree
from .models import NormalizedModel, build_model
from .train import EpochStats, Trainer, eps_key

CONFIG, METRICS, CHECKPOINT, CHECKPOINT_META, MODEL, SUMMARY = (
    "config.toml", "metrics.jsonl", "checkpoint.pt", "checkpoint.json", "model.pt", "summary.json",
)
RUN_KIND = "deep.run"
DATASET_LABELS = {
    "mnist": "mnist",
    "cifar10": "cifar10-jpeg",
    "restricted_imagenet": "restricted-imagenet-sample",
    "toy": "toy (synthetic)",
}


@dataclass
class RunResult:
    """What :func:`train_run` did: the folder, per-epoch metrics, the final summary payload, and whether the run
    had already finished (``trained_epochs == 0``) or resumed (``resumed_from`` = completed epochs found)."""

    run_dir: Path
    config: TrainConfig
    history: list[dict]
    summary: dict
    resumed_from: int | None = None
    trained_epochs: int = 0
    already_finished: bool = False
    extra: dict = field(default_factory=dict)


def default_run_dir(cfg: TrainConfig) -> Path:
    """``<build>/runs/<cfg.name>``."""
    return runs_dir() / cfg.name


def run_state(run_dir: str | Path) -> str:
    """``"new"`` (no config), ``"finished"`` (summary written), else ``"partial"``."""
    run_dir = Path(run_dir)
    if (run_dir / SUMMARY).is_file():
        return "finished"
    if (run_dir / CONFIG).is_file():
        return "partial"
    return "new"


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The epoch lines of metrics.jsonl (a torn last line, from a crash mid-write, is ignored)."""
    path = Path(run_dir) / METRICS
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return rows


def _append_metrics(run_dir: Path, row: dict) -> None:
    line = json.dumps(row, sort_keys=True, allow_nan=False) + "\n"
    with open(run_dir / METRICS, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def _truncate_metrics(run_dir: Path, epochs: int) -> None:
    rows = [r for r in read_metrics(run_dir) if r.get("epoch", 0) <= epochs]
    atomic_write_text(run_dir / METRICS, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


def save_checkpoint(run_dir: Path, trainer: Trainer, cfg: TrainConfig) -> None:
    """Write checkpoint.pt then checkpoint.json, each atomically (the JSON names the epoch the .pt holds)."""
    state = trainer.state_dict()
    atomic_write(run_dir / CHECKPOINT, lambda f: torch.save(state, f))
    atomic_write_json(
        run_dir / CHECKPOINT_META,
        {
            "epoch": trainer.epoch,
            "global_step": trainer.global_step,
            "fingerprint": cfg.fingerprint(),
            "torch": torch.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": {"state": CHECKPOINT},
        },
    )


def load_checkpoint(run_dir: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """The checkpoint state (``torch.load(..., weights_only=True)``); FileNotFoundError naming the folder, ValueError
    (one line, with the fix) when the file is truncated, corrupt, or not a training checkpoint (e.g. a bare model
    state_dict: a checkpoint is a dict with the trainer's ``model`` state and its ``epoch``)."""
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint in {run_dir}; train the run first (tradeoff deep train CONFIG)")
    fix = (f"delete it and train again without --resume: tradeoff deep train {Path(run_dir) / CONFIG} --run-dir "
           f"{run_dir} (training restarts from epoch 0)")
    state = _torch_load(path, map_location, "checkpoint", fix)
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing or not isinstance(state["model"], dict):
        what = f"a {type(state).__name__}" if not isinstance(state, dict) else "keys " + ", ".join(
            repr(k) for k in list(state)[:3]) + (" ..." if len(state) > 3 else "")
        raise ValueError(f"checkpoint {path} is not a training checkpoint (it holds {what}, not the trainer's "
                         f"{' and '.join(repr(k) for k in CHECKPOINT_KEYS)}: a bare model state_dict?); {fix}")
    return state


# The entries every training checkpoint has (deep.train.Trainer.state_dict): the model's state_dict and the epoch.
CHECKPOINT_KEYS = ("model", "epoch")


def _torch_load(path: Path, map_location: str | torch.device, what: str = "file", fix: str = "") -> Any:
    """``torch.load(path, weights_only=True)``; a truncated, corrupt or foreign file is a ValueError naming it and
    the fix (one line). torch reports a cut file as RuntimeError, EOFError, UnpicklingError or, for a file cut inside
    its zip directory, ``OSError: [Errno 22]``; a missing file or a permission problem stays what it is."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as e:
        text = str(e).strip()
        reason = text.splitlines()[0].split(". ")[0] if text else type(e).__name__
        fix = fix or "delete it and train the run again (tradeoff deep train CONFIG)"
        raise ValueError(f"{what} {path} is truncated or corrupt ({reason[:160]}); {fix}") from e


def load_run_config(run_dir: str | Path) -> TrainConfig:
    """The run's TrainConfig from its config.toml."""
    path = Path(run_dir) / CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no {CONFIG}); pass the folder a train run wrote")
    return load_config(path)


def load_run_model(run_dir: str | Path, device: str | torch.device = "cpu") -> tuple[TrainConfig, NormalizedModel]:
    """The run's config and its model in eval mode (final weights from model.pt, else the last checkpoint)."""
    run_dir = Path(run_dir)
    cfg = load_run_config(run_dir)
    spec = dataset_spec(cfg.dataset)
    model = build_model(cfg.model, spec.num_classes, spec.mean, spec.std, cfg.width, spec.image_size)
    if (run_dir / MODEL).is_file():
        fix = (f"delete it and {run_dir / SUMMARY}, then rebuild it from the last checkpoint: tradeoff deep train "
               f"{run_dir / CONFIG} --run-dir {run_dir} --resume")
        path, state = run_dir / MODEL, _torch_load(run_dir / MODEL, "cpu", "model file", fix)
        if not isinstance(state, dict):
            raise ValueError(f"model file {path} holds a {type(state).__name__}, not a model state_dict; {fix}")
        if "model" in state and "epoch" in state:  # a training checkpoint copied over model.pt
            state = state["model"]
    else:
        path, state = run_dir / CHECKPOINT, load_checkpoint(run_dir)["model"]
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as e:
        raise ValueError(f"{path} does not hold weights of the model its config.toml describes "
                         f"({cfg.model}, width {cfg.width}); was config.toml edited? Retrain the run") from e
    return cfg, model.to(device).eval()


def load_model(run_dir: str | Path, device: str | torch.device = "cpu") -> NormalizedModel:
    """The run's trained model in eval mode (see :func:`load_run_model`, which also returns the config)."""
    return load_run_model(run_dir, device)[1]


def _check_folder(run_dir: Path, cfg: TrainConfig) -> None:
    """Refuse a folder whose config differs, unless nothing was trained there yet (only config.toml: e.g. a first
    attempt that stopped while loading data), which the new config then replaces."""
    trained = (run_dir / CHECKPOINT).is_file() or (run_dir / SUMMARY).is_file() or bool(read_metrics(run_dir))
    if trained and (run_dir / CONFIG).is_file():
        old = load_config(run_dir / CONFIG)
        if old.fingerprint() != cfg.fingerprint():
            changed = sorted(k for k, v in cfg.identity().items() if old.identity().get(k) != v)
            raise ValueError(
                f"{run_dir} holds a run with a different config (changed: {', '.join(changed)}); "
                "use another --run-dir or delete that folder"
            )


def train_run(
    cfg: TrainConfig,
    run_dir: str | Path | None = None,
    resume: bool = True,
    dist: DistInfo | None = None,
    progress: bool | None = None,
    on_epoch_end: Callable[[EpochStats], None] | None = None,
    stop_after: int | None = None,
    scale: str | None = None,
    train: tuple[torch.Tensor, torch.Tensor] | None = None,
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> RunResult:
    """Train ``cfg`` in ``run_dir`` (default ``<build>/runs/<name>``), resuming a partial run when ``resume``.

    A finished run with the same config is returned without training. ``stop_after`` ends the call after that many
    completed epochs (checkpoint written, no summary): a controlled interruption. ``train``/``test`` tensors replace
    the configured dataset (tests, custom data). Only rank 0 of a distributed run writes."""
    cfg = cfg.validate()
    dist = dist or DistInfo()
    run_dir = Path(run_dir) if run_dir is not None else default_run_dir(cfg)
    progress = cfg.progress if progress is None else progress
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"run folder {run_dir} exists and is not a folder; pass another --run-dir")
    _check_folder(run_dir, cfg)
    state = run_state(run_dir)
    if state == "finished":
        summary = read_result(run_dir / SUMMARY)["payload"]
        return RunResult(run_dir, cfg, read_metrics(run_dir), summary, already_finished=True)
    has_ckpt = (run_dir / CHECKPOINT).is_file()
    if state == "partial" and has_ckpt and not resume:
        try:
            done = json.loads((run_dir / CHECKPOINT_META).read_text())["epoch"]
        except (OSError, ValueError, KeyError, TypeError):  # the .json is written after the .pt: may be missing
            done = "?"
        raise ValueError(
            f"{run_dir} holds a partial run (epoch {done} of {cfg.epochs}); pass --resume to continue it "
            "or choose another --run-dir"
        )
    barrier(dist)
    if dist.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_dir / CONFIG, dumps_config(cfg))

    trainer = Trainer(cfg, dist, train=train, test=test)
    resumed_from = None
    if has_ckpt:
        state = load_checkpoint(run_dir, trainer.device)
        try:
            trainer.load_state_dict(state)
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            reason = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            raise ValueError(
                f"checkpoint {run_dir / CHECKPOINT} cannot be resumed ({type(e).__name__}: {reason}); delete it and "
                f"train again without --resume: tradeoff deep train {run_dir / CONFIG} --run-dir {run_dir}"
            ) from e
        resumed_from = trainer.epoch
    if dist.is_main:
        _truncate_metrics(run_dir, trainer.epoch)
    history = read_metrics(run_dir) if dist.is_main else []

    trained = 0
    t_start = time.perf_counter()
    while trainer.epoch < cfg.epochs:
        stats = trainer.train_epoch(progress)
        if cfg.eval.every and (trainer.epoch % cfg.eval.every == 0 or trainer.epoch == cfg.epochs):
            std, rob, dt = trainer.evaluate_epoch()
            stats.eval_standard_acc, stats.eval_robust_acc, stats.eval_time_s = std, rob, dt
            stats.eval_n = len(trainer.data.eval_y)
        trained += 1
        row = asdict(stats)
        if dist.is_main:
            _append_metrics(run_dir, row)
            history.append(row)
            if trainer.epoch % cfg.checkpoint_every == 0 or trainer.epoch == cfg.epochs:
                save_checkpoint(run_dir, trainer, cfg)
        if progress and dist.is_main:
            _log_epoch(stats)
        if on_epoch_end is not None:
            on_epoch_end(stats)
        if stop_after is not None and trainer.epoch >= stop_after and trainer.epoch < cfg.epochs:
            if dist.is_main and trainer.epoch % cfg.checkpoint_every != 0:
                save_checkpoint(run_dir, trainer, cfg)
            barrier(dist)
            return RunResult(run_dir, cfg, history, {}, resumed_from, trained)
    train_time = time.perf_counter() - t_start

    t0 = time.perf_counter()
    standard, robust = trainer.evaluate_final(progress)
    identical = digests_agree(trainer.model, dist)
    summary = {
        "run": cfg.name,
        "run_dir": str(run_dir),
        "dataset": cfg.dataset,
        "model": cfg.model,
        "n_train": trainer.data.train.num_examples,
        "norm": cfg.adv.norm,
        "eps_train": cfg.adv.eps,
        "mixed": cfg.adv.mixed,
        "seed": cfg.seed,
        "epochs": cfg.epochs,
        "standard_acc": standard,
        "robust_acc": robust,
        "eps_eval": trainer.eval_eps(),
        "eval_norm": cfg.eval_norm,
        "eval_steps": cfg.eval.steps,
        "eval_restarts": cfg.eval.restarts,
        "n_eval": len(trainer.data.final_y),
        "fingerprint": cfg.fingerprint(),
        "world_size": dist.world_size,
        "ddp_weights_identical": identical,
        "train_time_s_this_call": train_time,
        "eval_time_s": time.perf_counter() - t0,
        "device": str(trainer.device),
        "config": cfg.to_dict(),
    }
    if dist.is_main:
        atomic_write(run_dir / MODEL, lambda f: torch.save(trainer.model.state_dict(), f))
        write_result(
            run_dir / SUMMARY,
            RUN_KIND,
            summary,
            wall_time_s=sum(r.get("time_s", 0) + r.get("eval_time_s", 0) for r in history) + summary["eval_time_s"],
            scale=scale or ("gpu-" + torch.cuda.get_device_name(trainer.device) if trainer.device.type == "cuda"
                            else "cpu"),
            dataset=DATASET_LABELS.get(cfg.dataset, cfg.dataset),
            seeds=[cfg.seed],
        )
    barrier(dist)
    result = RunResult(run_dir, cfg, history, summary, resumed_from, trained)
    result.extra["trainer"] = trainer
    return result


def _log_epoch(s: EpochStats) -> None:
    from tqdm.auto import tqdm

    rob = " ".join(f"pgd@{k}={v:.4f}" for k, v in s.eval_robust_acc.items())
    std = f" clean={s.eval_standard_acc:.4f}" if s.eval_standard_acc is not None else ""
    tqdm.write(
        f"epoch {s.epoch}: loss={s.train_loss:.4f} train_acc={s.train_acc:.4f}{std} {rob} ({s.time_s:.1f}s)",
        file=sys.stderr,
    )


def summary_row(summary: dict, eps: float | None = None) -> dict:
    """One ``deep.sweep`` row (reports/RESULTS.md) from a run summary: the robust accuracy at ``eps`` (default the
    first evaluated ε, None when there is none)."""
    eps_list = summary.get("eps_eval") or []
    e = eps if eps is not None else (eps_list[0] if eps_list else None)
    return {
        "dataset": summary["dataset"],
        "norm": summary["norm"],
        "eps_train": summary["eps_train"],
        "n_train": summary["n_train"],
        "mixed": summary["mixed"],
        "seed": summary["seed"],
        "standard_acc": summary["standard_acc"],
        "robust_acc": summary["robust_acc"].get(eps_key(e)) if e is not None else None,
        "eps_eval": e,
        "run": summary["run"],
    }
