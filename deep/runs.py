"""The run store: one training run's folder, which the training engine (deep.train) reads and writes through
:func:`open_run` and :class:`RunFolder`, and which evaluation reads back (:func:`load_run_model`).

A run folder holds:

- ``config.toml``     the TrainConfig (deep.config) in its TOML form (deep.config_toml);
- ``metrics.jsonl``   one JSON line per completed epoch (appended with fsync; cut back to the checkpoint on resume);
- ``checkpoint.pt``   ``state_dict``s of model and optimiser, schedule position and epoch (``weights_only`` load),
  with ``checkpoint.json`` beside it (epoch, global step, config fingerprint, torch version);
- ``model.pt``        the final model ``state_dict``;
- ``summary.json``    a result file (kind ``deep.run``) with the final standard and robust accuracy.

Every file is written atomically (data.io). A folder is ``new`` (no config), ``partial`` (config, maybe a
checkpoint, no summary) or ``finished`` (summary written): a finished run is reported, not retrained; a partial one
continues from its checkpoint when resuming (the default: a rerun continues); a folder holding another config is
refused. While a process trains in a folder, :func:`open_run` holds the folder's lock (data.locks, the file
``.tradeoff.lock``): a second writer is refused at once with one line naming the holder's pid, and the lock goes with
its holder however it ends (``kill -9`` included), so a rerun then resumes. Evaluation refuses a model whose
weights are not finite (a diverged run) before any attack runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from tradeoff.data.io import atomic_write, atomic_write_json, atomic_write_text, read_result, write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.locks import hold
from tradeoff.data.paths import runs_dir
from tradeoff.data.registry import dataset_info
from tradeoff.data.scales import Scale

from .config import TrainConfig
from .config_toml import dumps_config, load_config
from .model_checks import check_finite_weights
from .models import NormalizedModel, build_model

CONFIG, METRICS, CHECKPOINT, CHECKPOINT_META, MODEL, SUMMARY = (
    "config.toml", "metrics.jsonl", "checkpoint.pt", "checkpoint.json", "model.pt", "summary.json",
)
# The entries every training checkpoint has (deep.population.Population.member_state_dict): the model's state_dict
# and the epoch.
CHECKPOINT_KEYS = ("model", "epoch")


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


class RunFolder:
    """A run's folder opened for training (:func:`open_run`): its state, its checkpoint, the epoch lines so far and
    the writes the training engine makes as the run goes (epoch lines, checkpoints, final model and summary). Only
    the writing process writes (``write``: rank 0 of a distributed run); the others' writes do nothing."""

    def __init__(self, path: Path, cfg: TrainConfig, write: bool = True):
        self.path, self.cfg, self.write = path, cfg, write
        self.state = run_state(path)
        #: the checkpoint state a partial run continues from (None: it starts from scratch)
        self.checkpoint: dict | None = None
        #: the epoch lines of metrics.jsonl kept for this training (the writing process's; [] on the others)
        self.history: list[dict] = []

    @property
    def done(self) -> int:
        """Completed epochs in the checkpoint (0 without one)."""
        return int(self.checkpoint["epoch"]) if self.checkpoint is not None else 0

    def summary(self) -> dict:
        """A finished run's summary (the payload of summary.json)."""
        return read_result(self.path / SUMMARY)["payload"]

    def _start(self) -> None:
        """Begin (or continue) training here: write config.toml and cut metrics.jsonl back to the checkpoint's
        epoch (lines of later epochs, written before an interruption, are dropped); keep the lines in ``history``."""
        if not self.write:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path / CONFIG, dumps_config(self.cfg))
        self.history = [r for r in read_metrics(self.path) if r.get("epoch", 0) <= self.done]
        atomic_write_text(self.path / METRICS,
                          "".join(json.dumps(r, sort_keys=True) + "\n" for r in self.history))

    def append_metrics(self, row: dict) -> None:
        """Append one epoch's line to metrics.jsonl (flushed and fsynced)."""
        if not self.write:
            return
        line = json.dumps(row, sort_keys=True, allow_nan=False) + "\n"
        with open(self.path / METRICS, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def save_checkpoint(self, state: dict) -> None:
        """Write checkpoint.pt (``state``: a member's state_dict, deep.population) then checkpoint.json, each
        atomically (the JSON names the epoch the .pt holds)."""
        if not self.write:
            return
        atomic_write(self.path / CHECKPOINT, lambda f: torch.save(state, f))
        atomic_write_json(
            self.path / CHECKPOINT_META,
            {
                "epoch": state["epoch"],
                "global_step": state["scheduler"]["global_step"],
                "fingerprint": self.cfg.fingerprint(),
                "torch": torch.__version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "files": {"state": CHECKPOINT},
            },
        )

    def finish(self, model_state: dict, summary: dict, wall_time_s: float, scale: str | None,
               device: torch.device) -> None:
        """Write model.pt and summary.json (a ``deep.run`` result at ``scale``; None: ``ad-hoc``, one command's own
        run, data.scales): the run is finished."""
        if not self.write:
            return
        cfg = self.cfg
        atomic_write(self.path / MODEL, lambda f: torch.save(model_state, f))
        write_result(
            self.path / SUMMARY,
            Kind.DEEP_RUN,
            summary,
            wall_time_s=wall_time_s,
            scale=scale or Scale.AD_HOC,
            dataset=dataset_info(cfg.dataset).label,
            seeds=[cfg.seed],
        )


@contextlib.contextmanager
def open_run(run_dir: str | Path, cfg: TrainConfig, resume: bool = True, write: bool = True) -> Iterator[RunFolder]:
    """The one way into a run folder for training: the folder of ``cfg`` at ``run_dir``, checked (a folder holding
    a trained run of another config is refused; a partial run with a checkpoint needs ``resume``) and, unless the
    run is finished, prepared (its checkpoint loaded, config.toml written by the writing process, metrics.jsonl
    cut back to the checkpoint), for the duration of the ``with`` block. The writing process holds the folder's lock
    (data.locks) for the block: a second writer gets data.locks.Locked naming the holder's pid."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"run folder {run_dir} exists and is not a folder; pass another --run-dir")
    with hold(run_dir, f"run folder {run_dir}") if write else contextlib.nullcontext():
        yield from _opened(run_dir, cfg, resume, write)


def _opened(run_dir: Path, cfg: TrainConfig, resume: bool, write: bool) -> Iterator[RunFolder]:
    """The body of :func:`open_run` (checks, checkpoint, start), inside the folder's lock."""
    check_folder(run_dir, cfg)
    folder = RunFolder(run_dir, cfg, write)
    if folder.state != "finished" and (run_dir / CHECKPOINT).is_file():
        if not resume:
            try:
                done = json.loads((run_dir / CHECKPOINT_META).read_text())["epoch"]
            except (OSError, ValueError, KeyError, TypeError):  # the .json is written after the .pt
                done = "?"
            raise ValueError(
                f"{run_dir} holds a partial run (epoch {done} of {cfg.epochs}); resume it (TrainOptions(resume=True); "
                "tradeoff deep train resumes by itself) or choose another run folder"
            )
        folder.checkpoint = load_checkpoint(run_dir)  # its own epoch: checkpoint.json may lag behind a kill
    if folder.state != "finished":
        folder._start()
    yield folder


def load_checkpoint(run_dir: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """The checkpoint state (``torch.load(..., weights_only=True)``); FileNotFoundError naming the folder, ValueError
    (one line, with the fix) when the file is truncated, corrupt, or not a training checkpoint (e.g. a bare model
    state_dict: a checkpoint is a dict with the trainer's ``model`` state and its ``epoch``)."""
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint in {run_dir}; train the run first (tradeoff deep train CONFIG)")
    fix = (f"delete it and train again: tradeoff deep train {Path(run_dir) / CONFIG} --run-dir {run_dir} (training "
           "restarts from epoch 0)")
    state = _torch_load(path, map_location, "checkpoint", fix)
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing or not isinstance(state["model"], dict):
        what = f"a {type(state).__name__}" if not isinstance(state, dict) else "keys " + ", ".join(
            repr(k) for k in list(state)[:3]) + (" ..." if len(state) > 3 else "")
        raise ValueError(f"checkpoint {path} is not a training checkpoint (it holds {what}, not the trainer's "
                         f"{' and '.join(repr(k) for k in CHECKPOINT_KEYS)}: a bare model state_dict?); {fix}")
    return state



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
    spec = dataset_info(cfg.dataset)
    model = build_model(cfg.model, spec.num_classes, spec.mean, spec.std, cfg.width, spec.image_size)
    if (run_dir / MODEL).is_file():
        fix = (f"delete it and {run_dir / SUMMARY}, then rebuild it from the last checkpoint: tradeoff deep train "
               f"{run_dir / CONFIG} --run-dir {run_dir}")
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
    check_finite_weights(model, str(path))  # a diverged run's NaN weights are never evaluated and reported
    return cfg, model.to(device).eval()


def check_folder(run_dir: Path, cfg: TrainConfig) -> None:
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
