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
from .datasets import DATASET_SPECS, dataset_spec
from .distributed import DistInfo, barrier, digests_agree
from .evaluate import eps_key
from .models import NormalizedModel, build_model
from .population import EpochStats, Population, plan_populations, training_method

CONFIG, METRICS, CHECKPOINT, CHECKPOINT_META, MODEL, SUMMARY = (
    "config.toml", "metrics.jsonl", "checkpoint.pt", "checkpoint.json", "model.pt", "summary.json",
)
RUN_KIND = "deep.run"
#: how result files name each dataset (deep.datasets.DATASET_SPECS)
DATASET_LABELS = {name: spec.label for name, spec in DATASET_SPECS.items()}


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


def save_checkpoint(run_dir: Path, state: dict, cfg: TrainConfig) -> None:
    """Write checkpoint.pt (``state``: a member's state_dict, deep.population) then checkpoint.json, each
    atomically (the JSON names the epoch the .pt holds)."""
    atomic_write(run_dir / CHECKPOINT, lambda f: torch.save(state, f))
    atomic_write_json(
        run_dir / CHECKPOINT_META,
        {
            "epoch": state["epoch"],
            "global_step": state["scheduler"]["global_step"],
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
    the configured dataset (tests, custom data). Only rank 0 of a distributed run writes. The population of one
    run (:func:`train_runs`); a diverging run raises FloatingPointError (its last checkpoint is kept)."""
    data = [(train, test)] if train is not None or test is not None else None
    hook = (lambda k, s: on_epoch_end(s)) if on_epoch_end is not None else None
    (result,) = train_runs([cfg], [run_dir] if run_dir is not None else None, resume=resume, dist=dist,
                           progress=progress, on_epoch_end=hook, stop_after=stop_after, scale=scale, data=data)
    if "error" in result.extra:
        raise FloatingPointError(result.extra["error"])
    return result


@dataclass
class _Member:
    cfg: TrainConfig
    run_dir: Path
    data: tuple | None
    checkpoint: dict | None  # its checkpoint state (None: starts from scratch)
    index: int

    @property
    def done(self) -> int:
        """Completed epochs in its checkpoint (0 without one)."""
        return int(self.checkpoint["epoch"]) if self.checkpoint is not None else 0


def train_runs(
    cfgs: list[TrainConfig],
    run_dirs: list[str | Path] | None = None,
    resume: bool = True,
    dist: DistInfo | None = None,
    progress: bool | None = None,
    on_epoch_end: Callable[[int, EpochStats], None] | None = None,
    stop_after: int | None = None,
    scale: str | None = None,
    data: list[tuple | None] | None = None,
    max_population: int | None = None,
    final_eval: Callable | None = None,
    log: Callable[[str], None] | None = None,
) -> list[RunResult]:
    """Train every run of ``cfgs`` in its folder (``run_dirs[i]``, default ``<build>/runs/<name>``), the unfinished
    ones as populations (deep.population.plan_populations: K models in lockstep), each member resuming from its own
    checkpoint. Every run folder ends exactly as a single run writes it (config, metrics, checkpoint, model,
    summary). A finished run is never trained again. Members resuming from different epochs go in different
    populations. A member whose training diverges stops alone: its result has ``extra["error"]`` (the message,
    also passed to ``log``) and no summary; the others finish. ``final_eval(population, k) -> dict`` adds the
    caller's evaluation to member k's summary (key ``evaluation``), so that a run is evaluated once, by itself.
    Returns one RunResult per config, in order."""
    from .population import MAX_POPULATION, resolve_device

    dist = dist or DistInfo()
    cfgs = [c.validate().resolve_epochs() for c in cfgs]  # the epoch rule (TrainConfig.min_steps)
    if final_eval is None and any(c.needs_experiment_engine for c in cfgs):
        c = next(c for c in cfgs if c.needs_experiment_engine)
        raise ValueError(f"config {c.name!r}: eval.norms and eval.standard_full_test are measured by the experiment "
                         "engine (tradeoff deep sweep / reproduce); for a single run give one eval.norm and set "
                         "standard_full_test = false")
    dirs = [Path(d) for d in run_dirs] if run_dirs is not None else [default_run_dir(c) for c in cfgs]
    if len(dirs) != len(cfgs) or len({str(d.resolve()) for d in dirs}) != len(dirs):
        raise ValueError("give one distinct run folder per config (two configs would share a folder)")
    results: list[RunResult | None] = [None] * len(cfgs)
    pending: list[_Member] = []
    for i, (cfg, run_dir) in enumerate(zip(cfgs, dirs)):
        if run_dir.exists() and not run_dir.is_dir():
            raise ValueError(f"run folder {run_dir} exists and is not a folder; pass another --run-dir")
        _check_folder(run_dir, cfg)
        state = run_state(run_dir)
        if state == "finished":
            summary = read_result(run_dir / SUMMARY)["payload"]
            results[i] = RunResult(run_dir, cfg, read_metrics(run_dir), summary, already_finished=True)
            continue
        checkpoint = None
        if (run_dir / CHECKPOINT).is_file():
            if not resume:
                try:
                    done = json.loads((run_dir / CHECKPOINT_META).read_text())["epoch"]
                except (OSError, ValueError, KeyError, TypeError):  # the .json is written after the .pt
                    done = "?"
                raise ValueError(
                    f"{run_dir} holds a partial run (epoch {done} of {cfg.epochs}); pass --resume to continue it "
                    "or choose another --run-dir"
                )
            checkpoint = load_checkpoint(run_dir)  # its own epoch: checkpoint.json may lag behind a kill
        pending.append(_Member(cfg, run_dir, data[i] if data is not None else None, checkpoint, i))
    if max_population is None and pending:
        device = resolve_device(pending[0].cfg.device, dist)
        max_population = MAX_POPULATION.get(device.type, MAX_POPULATION["cpu"])
    size = max_population or 1
    plan = plan_populations([m.cfg for m in pending], size, extra_key=[m.done for m in pending])
    for n, group in enumerate(plan):
        members = [pending[j] for j in group]
        t0 = time.perf_counter()
        if log is not None and len(cfgs) > 1:
            log(f"population {n + 1}/{len(plan)}: {len(members)} run(s), {members[0].cfg.epochs} epochs, e.g. "
                f"{members[0].cfg.name}")
        for m, r in zip(members, _train_population(members, dist, progress, on_epoch_end, stop_after, scale,
                                                   final_eval, log)):
            results[m.index] = r
        if log is not None and len(cfgs) > 1:
            log(f"population {n + 1}/{len(plan)} done in {time.perf_counter() - t0:.1f}s")
    return results  # type: ignore[return-value]


def _train_population(members: list[_Member], dist: DistInfo, progress: bool | None, on_epoch_end, stop_after,
                      scale, final_eval, log) -> list[RunResult]:
    """Train one population to the end (or ``stop_after``), writing each member's folder."""
    cfgs = [m.cfg for m in members]
    progress = cfgs[0].progress if progress is None else progress
    barrier(dist)
    if dist.is_main:
        for m in members:
            m.run_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(m.run_dir / CONFIG, dumps_config(m.cfg))
    data = [m.data for m in members] if any(m.data is not None for m in members) else None
    if len(members) == 1:  # one run: the K = 1 population seen as a single model (deep.train.Trainer)
        from .train import Trainer

        tensors = data[0] if data is not None else (None, None)
        pop: Population = Trainer(cfgs[0], dist, train=tensors[0], test=tensors[1])
    else:
        pop = Population(cfgs, dist, data=data)
    resumed_from = None
    if members[0].checkpoint is not None:  # the plan put members of one checkpoint epoch together
        try:
            pop.load_member_state_dicts([m.checkpoint for m in members])
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            reason = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            where = ", ".join(str(m.run_dir / CHECKPOINT) for m in members)
            raise ValueError(
                f"checkpoint {where} cannot be resumed ({type(e).__name__}: {reason}); delete it and train again "
                f"without --resume: tradeoff deep train {members[0].run_dir / CONFIG} --run-dir {members[0].run_dir}"
            ) from e
        resumed_from = pop.epoch
        for m in members:
            m.checkpoint = None
    histories = []
    for m in members:
        if dist.is_main:
            _truncate_metrics(m.run_dir, pop.epoch)
        histories.append(read_metrics(m.run_dir) if dist.is_main else [])
    epochs = cfgs[0].epochs
    trained = 0
    errors: dict[int, str] = {}
    t_start = time.perf_counter()
    while pop.epoch < epochs:
        stats = Population.train_epoch(pop, progress)  # per member (Trainer's own raises on divergence)
        trained += 1
        for k, (m, s) in enumerate(zip(members, stats)):
            if s is None:
                if k not in errors:
                    errors[k] = pop.diverged[k]
                    if log is not None:
                        log(f"{m.cfg.name}: {errors[k]}")
                continue
            c = m.cfg
            if c.eval.every and (pop.epoch % c.eval.every == 0 or pop.epoch == epochs):
                std, rob, dt = pop.member_evaluate_epoch(k)
                s.eval_standard_acc, s.eval_robust_acc, s.eval_time_s = std, rob, dt
                s.eval_n = len(pop.bundles[k].eval_y)
            row = asdict(s)
            if dist.is_main:
                _append_metrics(m.run_dir, row)
                histories[k].append(row)
                if pop.epoch % c.checkpoint_every == 0 or pop.epoch == epochs:
                    save_checkpoint(m.run_dir, pop.member_state_dict(k), c)
            if progress and dist.is_main:
                _log_epoch(s, c.name if len(members) > 1 else None)
            if on_epoch_end is not None:
                on_epoch_end(k, s)
        if len(errors) == len(members):
            break
        if stop_after is not None and pop.epoch >= stop_after and pop.epoch < epochs:
            for k, m in enumerate(members):
                if dist.is_main and k not in errors and pop.epoch % m.cfg.checkpoint_every != 0:
                    save_checkpoint(m.run_dir, pop.member_state_dict(k), m.cfg)
            barrier(dist)
            return [_partial(m, histories[k], resumed_from, trained, errors.get(k)) for k, m in enumerate(members)]
    train_time = time.perf_counter() - t_start
    out = []
    for k, m in enumerate(members):
        if k in errors:
            out.append(_partial(m, histories[k], resumed_from, trained, errors[k]))
            continue
        out.append(_finish(pop, k, m, histories[k], resumed_from, trained, train_time, dist, scale, final_eval,
                           progress))
    barrier(dist)
    return out


def _partial(m: _Member, history: list[dict], resumed_from, trained: int, error: str | None) -> RunResult:
    r = RunResult(m.run_dir, m.cfg, history, {}, resumed_from, trained)
    if error is not None:
        r.extra["error"] = error
    return r


def _ensemble_final(pop: Population, k: int) -> tuple[float, dict[str, float], list[float]]:
    """Member k's final evaluation with ``eval.attack = "ensemble"``: the default ensemble of
    deep.evaluate.evaluate at each ε of the run on its ``eval.n_final`` held-out points."""
    from .evaluate import evaluate

    cfg, d = pop.cfgs[k], pop.bundles[k]
    eps = pop.member_eval_eps(k)
    res = evaluate(pop.member_model(k).eval(), d.final_x, d.final_y, [0.0] + eps, cfg.eval_norm,
                   steps=cfg.eval.steps, restarts=cfg.eval.restarts, batch_size=cfg.eval.batch_size,
                   device=pop.device, seed=0)
    return float(res.accuracy[0.0]), {eps_key(e): float(res.accuracy[e]) for e in eps}, eps


def _finish(pop: Population, k: int, m: _Member, history: list[dict], resumed_from, trained: int,
            train_time: float, dist: DistInfo, scale, final_eval, progress) -> RunResult:
    """Member k's final evaluation, model.pt and summary.json (rank 0 writes)."""
    cfg, run_dir = m.cfg, m.run_dir
    t0 = time.perf_counter()
    extra = None
    if final_eval is None and cfg.eval.attack == "ensemble":
        standard, robust, eps_eval = _ensemble_final(pop, k)
    elif final_eval is None:
        standard, robust = pop.member_evaluate_final(k, progress)
        eps_eval = pop.member_eval_eps(k)
    else:  # the caller's evaluation is the run's one evaluation
        extra = final_eval(pop, k)
        standard = extra["standard_acc"]
        mine = extra.get("robust", {}).get(cfg.eval_norm)
        robust = {eps_key(mine["eps"]): mine["acc"]} if mine else {}
        eps_eval = [mine["eps"]] if mine else []
    model = pop.member_model(k)
    identical = digests_agree(model, dist)
    summary = {
        "run": cfg.name,
        "run_dir": str(run_dir),
        "dataset": cfg.dataset,
        "model": cfg.model,
        "n_train": pop.bundles[k].train.num_examples,
        "norm": cfg.adv.norm,
        "eps_train": cfg.adv.eps,
        "mixed": cfg.adv.mixed,
        "method": training_method(cfg),
        "beta": cfg.adv.beta if cfg.adv.trades else None,
        "seed": cfg.seed,
        "epochs": cfg.epochs,
        "standard_acc": standard,
        "robust_acc": robust,
        "eps_eval": eps_eval,
        "eval_norm": cfg.eval_norm,
        "eval_steps": cfg.eval.steps,
        "eval_restarts": cfg.eval.restarts,
        "n_eval": extra["n_test"] if extra is not None else len(pop.bundles[k].final_y),
        "fingerprint": cfg.fingerprint(),
        "world_size": dist.world_size,
        "ddp_weights_identical": identical,
        "population_size": pop.k,
        "train_time_s_this_call": train_time,
        "eval_time_s": time.perf_counter() - t0,
        "device": str(pop.device),
        "config": cfg.to_dict(),
    }
    if extra is not None:
        summary["evaluation"] = extra
    if dist.is_main:
        atomic_write(run_dir / MODEL, lambda f: torch.save(model.state_dict(), f))
        write_result(
            run_dir / SUMMARY,
            RUN_KIND,
            summary,
            wall_time_s=sum(r.get("time_s", 0) + r.get("eval_time_s", 0) for r in history) / max(pop.k, 1)
            + summary["eval_time_s"],
            scale=scale or ("gpu-" + torch.cuda.get_device_name(pop.device) if pop.device.type == "cuda" else "cpu"),
            dataset=DATASET_LABELS.get(cfg.dataset, cfg.dataset),
            seeds=[cfg.seed],
        )
    result = RunResult(run_dir, cfg, history, summary, resumed_from, trained)
    result.extra["population"] = pop
    result.extra["member"] = k
    if pop.k == 1:
        result.extra["trainer"] = pop
    return result


def _log_epoch(s: EpochStats, name: str | None = None) -> None:
    from tqdm.auto import tqdm

    rob = " ".join(f"pgd@{k}={v:.4f}" for k, v in s.eval_robust_acc.items())
    std = f" clean={s.eval_standard_acc:.4f}" if s.eval_standard_acc is not None else ""
    who = f"{name} " if name else ""
    tqdm.write(
        f"{who}epoch {s.epoch}: loss={s.train_loss:.4f} train_acc={s.train_acc:.4f}{std} {rob} ({s.time_s:.1f}s)",
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
