"""Sweep runner: expand a sweep definition into training runs, run them (skipping finished ones, resuming
interrupted ones), split them across machines (``--shard i/n``) and merge their results into one table.

A run is its fully resolved TrainConfig (deep.config; :class:`RunSpec`), and its one identity is that config's
fingerprint (TrainConfig.fingerprint: everything that determines its weights and its evaluation, not the machine's
data folder or device); the identifier is stable, so runs shared by several sweeps (e.g. the ε_train = 0 model, or
Fig. 7's points at full data) are trained once. Each finished run leaves ``experiment_result.json`` in its folder;
the merge reads those and writes the ``deep.sweep`` result file (reports/RESULTS.md) under
``results_dir()/deep/<experiment>.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from tradeoff.data.io import atomic_write_json, write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import dataset_info

from ..config import AdvConfig, TrainConfig
from . import convergence
from .definitions import AdvByNorm, SweepExperiment

RESULT_NAME = "experiment_result.json"


@dataclass(frozen=True)
class RunSpec:
    """One training run of a sweep (or of the picture figures): its fully resolved TrainConfig (``config``, named
    by its run id, no data folder or device: :func:`train_config` adds those) and the scale of its definition.

    ``norm`` is ``"none"`` for standard training (ε_train = 0), whose runs are shared by every norm's sweep."""

    config: TrainConfig
    scale: str

    @property
    def dataset(self) -> str:
        return self.config.dataset

    @property
    def norm(self) -> str:
        return self.config.adv.norm if self.config.adv.enabled else "none"

    @property
    def eps_train(self) -> float:
        return float(self.config.adv.eps)

    @property
    def n_train(self) -> int | None:
        return self.config.n_train

    @property
    def mixed(self) -> bool:
        return bool(self.config.adv.mixed)

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def eval_norms(self) -> tuple[str, ...]:
        """Norms the run is evaluated in: its own, or every norm of the template for a standard model."""
        return tuple(n for n, _ in self.config.eval.radii())

    def eval_eps(self, norm: str) -> float:
        """ε_eval in ``norm`` (ValueError when the run is not evaluated in it)."""
        return self.config.eval.eps_in(norm)

    def fingerprint(self) -> str:
        """The run's one identity: the fingerprint of its TrainConfig (TrainConfig.fingerprint, the same one its
        checkpoints carry)."""
        return self.config.fingerprint()

    @property
    def run_id(self) -> str:
        """A readable, stable folder name, e.g. ``mnist-quick-inf-e0.3-n2000-s0-<fingerprint>``."""
        n = "all" if self.n_train is None else str(self.n_train)
        mix = "-mixed" if self.mixed else ""
        eps = f"{self.eps_train:.4g}"
        return f"{self.dataset}-{self.scale}-{self.norm}-e{eps}-n{n}{mix}-s{self.seed}-{self.fingerprint()}"


def resolve(template: TrainConfig, norm: str, eps_train: float, n_train: int | None, mixed: bool, seed: int,
            adv_by_norm: AdvByNorm = ()) -> TrainConfig:
    """The TrainConfig of one grid point (see :class:`deep.experiments.definitions.SweepExperiment`): the
    template with the grid's values, the per-norm adversary changes, the epoch rule applied and the evaluation
    cut to the run's norm. A standard run (ε_train = 0) gets AdvConfig's default adversary and keeps every norm of
    the evaluation, so that it is the same run in every norm's sweep."""
    eps_train = float(eps_train)
    ev = template.eval
    if eps_train == 0.0:
        adv = AdvConfig()
        radii = ev.radii()
    else:
        changes = dict(dict(adv_by_norm).get(norm, ()))
        adv = AdvConfig(**{**asdict(template.adv), **changes, "norm": norm, "eps": eps_train, "mixed": bool(mixed)})
        radii = [(n, e) for n, e in ev.radii() if n == norm]
    cfg = template.replace(name="run", n_train=n_train, seed=int(seed), data_seed=int(seed), adv=asdict(adv),
                           eval={"norms": [n for n, _ in radii], "eps": [e for _, e in radii]},
                           data_root=None, device="auto", progress=False).resolve_epochs()
    return cfg.replace(checkpoint_every=max(1, cfg.epochs // 5))  # many tiny epochs: checkpoint ~5 times per run


def make_run(template: TrainConfig, scale: str, norm: str, eps_train: float, n_train: int | None, mixed: bool,
             seed: int, adv_by_norm: AdvByNorm = ()) -> RunSpec:
    """The RunSpec of one grid point (:func:`resolve`), its config named by its run id."""
    spec = RunSpec(resolve(template, norm, eps_train, n_train, mixed, seed, adv_by_norm), scale)
    return RunSpec(spec.config.replace(name=spec.run_id), scale)


def expand(exp: SweepExperiment) -> list[RunSpec]:
    """Every run of a sweep, in a deterministic order (norm, ε_train, n_train, seed), duplicates removed."""
    runs: dict[str, RunSpec] = {}
    for norm, grid in exp.eps_train:
        for eps in grid:
            for n in exp.n_train:
                for seed in exp.seeds_for(n):
                    r = make_run(exp.template, exp.scale, norm, eps, n, exp.mixed, seed, exp.adv_by_norm)
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
                    r = make_run(exp.template, exp.scale, norm, eps, n, exp.mixed, seed, exp.adv_by_norm)
                    path = run_dir_for(r, runs_root) / RESULT_NAME
                    if not is_finished(r, runs_root):
                        missing.append(r.run_id)
                        continue
                    res = json.loads(path.read_text())
                    rob = res["robust"][norm]
                    rows.append({
                        "dataset": dataset_info(exp.dataset).label, "norm": norm, "eps_train": float(eps),
                        "n_train": n if n is not None else res.get("n_train"), "mixed": exp.mixed, "seed": seed,
                        "standard_acc": res["standard_acc"], "robust_acc": rob["acc"], "eps_eval": rob["eps"],
                        "n_eval": res.get("n_test"), "n_eval_standard": res.get("n_test_standard", res.get("n_test")),
                        "run": r.run_id, "converged": (res.get("convergence") or {}).get("met"),
                        "loss_change": (res.get("convergence") or {}).get("relative_change"),
                        "precision": (res.get("precision") or {}).get("precision"),
                        "per_image_correct": res.get("per_image_standard"),
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
        "experiment": exp.group, "dataset": dataset_info(exp.dataset).label, "scale": exp.scale,
        "reconstructed_defaults": exp.reconstructed, "note": exp.note, "data_note": dataset_info(exp.dataset).note,
        "rows": rows, "missing": missing,
        "settings": {"template": exp.template.to_dict(), "adv_by_norm": {n: dict(c) for n, c in exp.adv_by_norm},
                     "evaluation": {"n_test": exp.template.eval.n_final}},
        "convergence_criterion": convergence.describe(),
    }
    path = Path(results_root) / "deep" / f"{exp.group}_{exp.dataset}.json"
    return write_result(path, Kind.DEEP_SWEEP, payload, wall_time_s=seconds, scale=exp.scale,
                        dataset=dataset_info(exp.dataset).label, seeds=sorted(set(exp.seeds) | set(exp.small_n_seeds)))


def run_dir_for_id(run_id: str, runs_root: Path) -> Path:
    """The folder of the run called ``run_id`` under ``runs_root``."""
    return Path(runs_root) / run_id


def train_config(run: RunSpec, data_root: str | None = None, device: str = "auto", progress: bool = False,
                 name: str | None = None) -> TrainConfig:
    """The run's TrainConfig as the engine trains it: ``run.config`` with this machine's data folder, device and
    progress bars (none of which enter its fingerprint), named ``run.run_id`` unless ``name``."""
    return run.config.replace(data_root=data_root, device=device, progress=progress, name=name or run.config.name)
