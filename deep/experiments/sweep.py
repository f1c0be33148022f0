"""Sweep runner: expand a sweep definition into training runs, run them (skipping finished ones, resuming
interrupted ones), split them across machines (``--shard i/n``) and merge their results into one table.

A run is identified by everything that determines its weights and its evaluation (dataset, norm, ε_train,
n_train, mixed, seed, training and evaluation settings); the identifier is stable, so runs shared by several
sweeps (e.g. the ε_train = 0 model, or Fig. 7's points at full data) are trained once. Each finished run leaves
``experiment_result.json`` in its folder; the merge reads those and writes the ``deep.sweep`` result file
(reports/RESULTS.md) under ``results_dir()/deep/<experiment>.json``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from tradeoff.data.io import atomic_write_json, write_result

from ..config import AdvConfig, EvalConfig, TrainConfig
from ..datasets import DATASET_SPECS
from . import convergence
from .definitions import DATASET_LABELS, DATASET_NOTES, Evaluation, SweepExperiment, Training

RESULT_NAME = "experiment_result.json"


@dataclass(frozen=True)
class RunSpec:
    """One training run of a sweep (or of the picture figures). ``norm`` is ``"none"`` for standard training."""

    dataset: str
    scale: str
    norm: str
    eps_train: float
    n_train: int | None
    mixed: bool
    seed: int
    training: Training
    evaluation: Evaluation

    @property
    def eval_norms(self) -> tuple[str, ...]:
        """Norms the run is evaluated in: its own, or both for a standard model."""
        return tuple(n for n, _ in self.evaluation.eps) if self.norm == "none" else (self.norm,)

    def fingerprint(self) -> str:
        """The run's one identity: the fingerprint of the TrainConfig it trains (:func:`train_config`,
        independent of the machine's data folder and device), extended by the evaluation settings a TrainConfig
        does not state (the other norm's ε of a standard model, ``standard_full_test``)."""
        blob = json.dumps([train_config(self, name="run").fingerprint(), asdict(self.evaluation)], sort_keys=True,
                          default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:10]

    @property
    def run_id(self) -> str:
        """A readable, stable folder name, e.g. ``mnist-quick-inf-e0.3-n2000-s0-<hash>``."""
        n = "all" if self.n_train is None else str(self.n_train)
        mix = "-mixed" if self.mixed else ""
        eps = f"{self.eps_train:.4g}"
        return f"{self.dataset}-{self.scale}-{self.norm}-e{eps}-n{n}{mix}-s{self.seed}-{self.fingerprint()}"


def make_run(dataset: str, scale: str, norm: str, eps_train: float, n_train: int | None, mixed: bool, seed: int,
             training: Training, evaluation: Evaluation) -> RunSpec:
    """A RunSpec, normalised so that every standard run (ε_train = 0) has norm ``"none"`` and is shared."""
    eps_train = float(eps_train)
    if eps_train == 0.0:
        norm, mixed = "none", False
    return RunSpec(dataset, scale, norm, eps_train, n_train, bool(mixed), int(seed), training, evaluation)


def expand(exp: SweepExperiment) -> list[RunSpec]:
    """Every run of a sweep, in a deterministic order (norm, ε_train, n_train, seed), duplicates removed."""
    runs: dict[str, RunSpec] = {}
    for norm, grid in exp.eps_train:
        for eps in grid:
            for n in exp.n_train:
                for seed in exp.seeds_for(n):
                    r = make_run(exp.dataset, exp.scale, norm, eps, n, exp.mixed, seed, exp.training, exp.evaluation)
                    runs.setdefault(r.run_id, r)
    return list(runs.values())


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"i/n"`` (0 <= i < n) for ``--shard``; ValueError with the expected form otherwise."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected i/n with integers, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"--shard {text!r}: need n >= 1 and 0 <= i < n")
    return i, n


def shard(runs: Sequence[RunSpec], index: int, count: int) -> list[RunSpec]:
    """The runs of shard ``index`` of ``count``: a deterministic partition by sorted run id (round robin),
    so that array jobs on different machines agree without talking to each other."""
    ordered = sorted(runs, key=lambda r: r.run_id)
    return ordered[index::count]


class Engine(Protocol):
    """What the runner needs from the deep engine (implemented in :mod:`deep.experiments.engine`)."""

    def train(self, run: RunSpec, run_dir: Path) -> None:
        """Train (or resume) the run in ``run_dir`` until it is complete."""

    def evaluate(self, run: RunSpec, run_dir: Path) -> dict:
        """``{"standard_acc": a, "robust": {norm: {"eps": e, "acc": r}}}`` for the trained run."""


def run_dir_for(run: RunSpec, runs_root: Path) -> Path:
    """The folder of one run (checkpoints and ``experiment_result.json``): ``runs_root / run.run_id``."""
    return Path(runs_root) / run.run_id


def is_finished(run: RunSpec, runs_root: Path) -> bool:
    """A run is finished when its folder holds a result for exactly this spec."""
    path = run_dir_for(run, runs_root) / RESULT_NAME
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text()).get("fingerprint") == run.fingerprint()
    except (json.JSONDecodeError, OSError):
        return False


def execute(runs: Iterable[RunSpec], engine: Engine, runs_root: Path,
            log: Callable[[str], None] = lambda s: None) -> list[dict]:
    """Run every unfinished run (training resumes inside its folder), evaluate it and write its result.
    An engine with ``train_many`` (the deep engine) trains all unfinished runs at once as populations and
    evaluates each run once, while it trains; a run whose training diverged is reported (status ``failed``) after
    the others finished, then a ValueError names it. Returns one record per run:
    ``{"run", "status": "skipped"|"done"|"failed", "seconds"}``."""
    records, todo = [], []
    for run in runs:
        if is_finished(run, runs_root):
            records.append({"run": run.run_id, "status": "skipped", "seconds": 0.0})
            log(f"skip {run.run_id} (finished)")
        else:
            todo.append(run)
    if not todo:
        return records
    dirs = [run_dir_for(r, runs_root) for r in todo]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    if hasattr(engine, "train_many"):
        t0 = time.perf_counter()
        log(f"train {len(todo)} run(s) as populations")
        errors = engine.train_many(todo, dirs)
        seconds = (time.perf_counter() - t0) / len(todo)
        for run, d, err in zip(todo, dirs, errors):
            if err is not None:
                records.append({"run": run.run_id, "status": "failed", "seconds": seconds})
                continue
            records.append(_write_result(run, d, engine.evaluate(run, d), seconds, log))
        failed = [r["run"] for r in records if r["status"] == "failed"]
        if failed:
            raise ValueError(f"{len(failed)} run(s) diverged and stopped (the others finished), e.g. {failed[0]}: "
                             f"{errors[[r.run_id for r in todo].index(failed[0])]}")
        return records
    for run, d in zip(todo, dirs):
        t0 = time.perf_counter()
        log(f"train {run.run_id}")
        engine.train(run, d)
        ev = engine.evaluate(run, d)
        records.append(_write_result(run, d, ev, time.perf_counter() - t0, log))
    return records


def _write_result(run: RunSpec, run_dir: Path, ev: dict, seconds: float, log) -> dict:
    result = {"fingerprint": run.fingerprint(), "spec": asdict(run), "seconds": seconds, **ev,
              "convergence": convergence.check_run(run_dir)}
    atomic_write_json(run_dir / RESULT_NAME, result)
    log(f"done {run.run_id} in {seconds:.1f}s: standard {ev['standard_acc']:.4f}")
    return {"run": run.run_id, "status": "done", "seconds": seconds}


def rows_for(exp: SweepExperiment, runs_root: Path) -> tuple[list[dict], list[str]]:
    """The table rows of ``exp`` (RESULTS.md ``deep.sweep``) and the run ids that are missing.

    A standard run (ε_train = 0) appears once per norm of the sweep, evaluated in that norm; its ``norm`` column is
    the sweep's norm so that each curve of Fig. 1/6/7 starts at ε_train = 0."""
    rows, missing = [], []
    for norm, grid in exp.eps_train:
        for eps in grid:
            for n in exp.n_train:
                for seed in exp.seeds_for(n):
                    r = make_run(exp.dataset, exp.scale, norm, eps, n, exp.mixed, seed, exp.training, exp.evaluation)
                    path = run_dir_for(r, runs_root) / RESULT_NAME
                    if not is_finished(r, runs_root):
                        missing.append(r.run_id)
                        continue
                    res = json.loads(path.read_text())
                    rob = res["robust"][norm]
                    rows.append({
                        "dataset": DATASET_LABELS[exp.dataset], "norm": norm, "eps_train": float(eps),
                        "n_train": n if n is not None else res.get("n_train"), "mixed": exp.mixed, "seed": seed,
                        "standard_acc": res["standard_acc"], "robust_acc": rob["acc"], "eps_eval": rob["eps"],
                        "n_eval": res.get("n_test"), "n_eval_standard": res.get("n_test_standard", res.get("n_test")),
                        "run": r.run_id, "converged": (res.get("convergence") or {}).get("met"),
                        "loss_change": (res.get("convergence") or {}).get("relative_change"),
                    })
    return rows, list(dict.fromkeys(missing))


def merge(exp: SweepExperiment, runs_root: Path, results_root: Path, *, allow_missing: bool = False) -> Path:
    """Write ``results_root/deep/<group>_<dataset>.json`` (kind ``deep.sweep``) from the finished runs.

    Missing runs are an error naming them (run the sweep first) unless ``allow_missing``; they are then listed
    in the payload's ``missing`` key."""
    rows, missing = rows_for(exp, runs_root)
    if missing and not allow_missing:
        raise ValueError(f"{exp.group} ({exp.dataset}): {len(missing)} run(s) not finished, e.g. {missing[0]}; "
                         f"run `tradeoff deep sweep {exp.group} --dataset {exp.dataset} --scale {exp.scale}` first")
    seconds = 0.0
    for r in rows:
        p = run_dir_for_id(r["run"], runs_root) / RESULT_NAME
        seconds += float(json.loads(p.read_text()).get("seconds", 0.0))
    payload = {
        "experiment": exp.group, "dataset": DATASET_LABELS[exp.dataset], "scale": exp.scale,
        "reconstructed_defaults": exp.reconstructed, "note": exp.note, "data_note": DATASET_NOTES[exp.dataset],
        "rows": rows, "missing": missing,
        "settings": {"training": asdict(exp.training), "evaluation": asdict(exp.evaluation)},
        "convergence_criterion": convergence.describe(),
    }
    path = Path(results_root) / "deep" / f"{exp.group}_{exp.dataset}.json"
    return write_result(path, "deep.sweep", payload, wall_time_s=seconds, scale=exp.scale,
                        dataset=DATASET_LABELS[exp.dataset], seeds=sorted(set(exp.seeds) | set(exp.small_n_seeds)))


def run_dir_for_id(run_id: str, runs_root: Path) -> Path:
    """The folder of the run called ``run_id`` under ``runs_root``."""
    return Path(runs_root) / run_id


# views of the one dataset table (deep.datasets.DATASET_SPECS) by the experiments' short names
ENGINE_DATASET = {s.short: s.name for s in DATASET_SPECS.values()}


def train_config(run: RunSpec, data_root: str | None = None, device: str = "auto", progress: bool = False,
                 name: str | None = None):
    """The engine's TrainConfig for one run of an experiment definition (named ``run.run_id`` unless ``name``)."""
    tr: Training = run.training
    adv_norm = run.norm if run.norm != "none" else "inf"
    epochs = tr.epochs_for(run.n_train or 10**9)
    adv = AdvConfig(norm=adv_norm, eps=run.eps_train, steps=tr.attack_steps, random_start=True, mixed=run.mixed,
                    step_size=tr.attack_step_size(adv_norm, run.eps_train) if run.eps_train > 0 else None,
                    eps_warmup_epochs=tr.eps_warmup * epochs if run.eps_train > 0 else 0.0)
    # the run's one evaluation is the sweep's (TorchEngine.evaluate_model, at the end of training): stated here so
    # that the config's fingerprint, the run's identity, covers it; no per-epoch evaluation
    e = run.evaluation
    norm = run.eval_norms[0]
    ev = EvalConfig(eps=[e.eps_for(norm)], norm=norm, steps=e.steps, restarts=e.restarts, every=0,
                    n_epoch=min(500, e.n_test or 500), n_final=e.n_test)
    cfg = TrainConfig(
        name=name or run.run_id, dataset=ENGINE_DATASET[run.dataset], n_train=run.n_train, data_root=data_root,
        data_seed=run.seed, model=tr.model, width=tr.width, epochs=epochs,
        batch_size=tr.batch_size, optimizer=tr.optimizer, lr=tr.lr, momentum=tr.momentum, nesterov=tr.nesterov,
        weight_decay=tr.weight_decay, schedule=tr.schedule, milestones=[float(m) for m in tr.milestones], adv=adv,
        eval=ev, seed=run.seed, device=device,
        progress=progress, checkpoint_every=max(1, epochs // 5),  # many tiny epochs: checkpoint ~5 times per run
    )
    return cfg.validate()
