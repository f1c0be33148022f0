"""The one place where deep/experiments meets the deep engine (deep.config, deep.train, deep.runs, deep.attacks,
deep.evaluate, deep.sanity, deep.datasets). If the engine's API changes, only this module changes.

:class:`TorchEngine` implements :class:`deep.experiments.sweep.Engine` (train / resume a run in its folder and
evaluate it) and offers the model loading, large-ε attack and sanity checks the picture figures need.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from tradeoff.data.io import pack_flags
from tradeoff.data.registry import dataset_info, dataset_root
from tradeoff.data.tensors import as_float_images

from .definitions import LargeEps
from .sweep import RunSpec, train_config  # noqa: F401 - re-exported (the run's TrainConfig lives with RunSpec)


@dataclass
class TorchEngine:
    """Adapter to the deep engine. ``data_roots`` maps dataset → folder (default: ``$TRADEOFF_CIFAR10_ROOT`` and
    ``$TRADEOFF_IMAGENET_ROOT``, see data.registry.dataset_root); ``device`` is ``auto``, ``cpu`` or ``cuda``;
    ``amp``: the large-ε attacks and sanity checks of the picture figures run under deep.device's policy (bf16
    where the hardware has it; False: float32). A run's own evaluation follows its config's ``amp``."""

    data_roots: dict | None = None
    device: str = "auto"
    progress: bool = False
    amp: bool = True
    log: Callable[[str], None] = lambda s: None
    workers: int = 1  # CPU: train populations in this many processes at once (one torch thread each)
    _cache: dict = field(default_factory=dict, repr=False)

    def root(self, dataset: str) -> str | None:
        """The data folder of ``dataset``: the user's ``data_roots`` entry, else its environment variable
        (data.registry.dataset_root; None: the cache)."""
        if (self.data_roots or {}).get(dataset):
            return self.data_roots[dataset]
        root = dataset_root(dataset)
        return None if root is None else str(root)

    def torch_device(self) -> torch.device:
        """The torch device of ``device`` (``auto``: CUDA when available, else CPU)."""
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    # ---------------------------------------------------------------- data
    def load(self, dataset: str, split: str, n: int | None, seed: int = 0,
             image_size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)``: float images in [0, 1] and labels; ``n`` a stratified subsample (None = all). Kept in memory
        for the engine's lifetime (every run of a sweep evaluates on the same test points)."""
        key = (dataset, split, n, seed, image_size)
        if key not in self._cache:
            self._cache[key] = self._load(dataset, split, n, seed, image_size)
        return self._cache[key]

    def _load(self, dataset: str, split: str, n: int | None, seed: int,
              image_size: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        from .. import datasets

        if not dataset_info(dataset).in_memory:  # Restricted ImageNet: read from its folder, resized in memory
            ds = datasets.open_dataset(dataset, split, root=self.root(dataset), train=False)
            xs, ys = [], []
            for i in range(len(ds)):
                img, label = ds[i]
                img = as_float_images(torch.as_tensor(img))
                if image_size is not None and img.shape[-1] != image_size:
                    img = torch.nn.functional.interpolate(img[None], size=(image_size, image_size), mode="bilinear",
                                                          antialias=True, align_corners=False)[0].clamp(0, 1)
                xs.append(img)
                ys.append(int(label))
            x, y = torch.stack(xs), torch.tensor(ys, dtype=torch.long)
            if n is not None and n < len(y):
                g = torch.Generator().manual_seed(seed)
                idx = torch.randperm(len(y), generator=g)[:n]
                x, y = x[idx], y[idx]
            return x, y
        return datasets.load_split(dataset, split, root=self.root(dataset), n=n, seed=seed)

    def test_set(self, run_or_dataset, n: int | None, image_size: int | None = None):
        """``(x, y)`` of ``n`` stratified test points (None = all; the sample itself for Restricted ImageNet) of a
        run's dataset or of a dataset name; the same points for every run (seed 0)."""
        dataset = run_or_dataset if isinstance(run_or_dataset, str) else run_or_dataset.dataset
        return self.load(dataset, dataset_info(dataset).test_split, n, seed=0, image_size=image_size)

    def train_set(self, dataset: str, image_size: int | None = None):
        """``(x, y)`` of the whole training split (claim 11's nearest-neighbour judge searches it)."""
        return self.load(dataset, dataset_info(dataset).train_split, None, seed=0, image_size=image_size)

    def test_positions(self, dataset: str, n: int | None) -> np.ndarray:
        """Positions in the test split of the ``n`` points :meth:`test_set` gives (−1 where the split is read from
        a folder or sampled at random: the toy set)."""
        from ..datasets import stratified_indices

        info = dataset_info(dataset)
        full = self.load(dataset, info.test_split, None, seed=0) if info.in_memory else None
        if full is None or dataset == "toy":
            return np.full(n or 0, -1, dtype=np.int64)
        if n is None or n >= len(full[1]):
            return np.arange(len(full[1]))
        return stratified_indices(full[1], n, 0).numpy()

    # ---------------------------------------------------------------- training
    def train(self, run: RunSpec, run_dir: Path) -> None:
        """Train the run in ``run_dir``, resuming from its last checkpoint if it was interrupted."""
        errors = self.train_many([run], [run_dir])
        if errors[0] is not None:
            raise FloatingPointError(errors[0])

    def train_many(self, runs: list[RunSpec], run_dirs: list[Path]) -> list[str | None]:
        """Train (or resume) every run in its folder as populations (deep.train.train_runs: runs that share
        architecture, batch size, steps and schedule train in lockstep) and evaluate each once, by the run itself
        (:meth:`evaluate_model`; the result goes into its summary). Returns, per run, None or the message of a
        run whose training diverged (the others finish)."""
        from ..population_plan import MAX_POPULATION, plan_populations
        from ..train import TrainOptions, train_runs

        cfgs = [train_config(r, self.root(r.dataset), self.device, self.progress) for r in runs]
        if self.workers > 1 and self.torch_device().type == "cpu" and len(runs) > 1:
            plan = plan_populations(cfgs, MAX_POPULATION["cpu"])
            if len(plan) > 1:
                return self._train_in_workers(runs, run_dirs, plan)
        by_name = {c.name: r for c, r in zip(cfgs, runs)}
        data = None
        on_disk = [not dataset_info(r.dataset).in_memory for r in runs]
        if any(on_disk):  # the Restricted ImageNet sample has one split: train and test on it (toy scale)
            data = []
            for r, disk in zip(runs, on_disk):
                d = self.load(r.dataset, dataset_info(r.dataset).train_split, r.n_train, r.seed,
                              r.config.image_size) if disk else None
                data.append((d, d) if d is not None else None)

        def final_eval(pop, k):
            out = self.evaluate_model(by_name[pop.cfgs[k].name], pop.member_model(k).eval())
            out["n_train"] = out["n_train"] or pop.bundles[k].train.num_examples
            return out

        t0 = time.perf_counter()
        results = train_runs(cfgs, list(run_dirs), TrainOptions(progress=self.progress, scale=runs[0].scale, data=data,
                                                                final_eval=final_eval, log=self.log))
        self.log(f"  trained {len(runs)} run(s) in {time.perf_counter() - t0:.1f}s")
        return [r.extra.get("error") for r in results]

    def _train_in_workers(self, runs: list[RunSpec], run_dirs: list[Path], plan: list[list[int]]) -> list[str | None]:
        """Every population of ``plan`` in a pool of ``workers`` processes (spawned, one torch thread each): on a
        CPU, independent processes keep every core busy where one process's second thread was measured slower
        (bench/population.py)."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        def cost(group: list[int]) -> float:  # forward-backward passes, roughly: (PGD steps + 1) × examples seen
            cfgs = [runs[i].config for i in group]  # (mixed batches: PGD on half of each batch)
            return sum((c.adv.attack_steps * (0.5 if c.adv.mixed else 1) + 1) * c.epochs * (c.n_train or 10**5)
                       for c in cfgs)

        plan = sorted(plan, key=cost, reverse=True)  # longest first: the workers finish together
        t0 = time.perf_counter()
        errors: list[str | None] = [None] * len(runs)
        ctx = multiprocessing.get_context("spawn")
        jobs = [([runs[i] for i in group], [run_dirs[i] for i in group]) for group in plan]
        self.log(f"  {len(jobs)} populations in {min(self.workers, len(jobs))} worker processes")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), mp_context=ctx) as pool:
            futures = {pool.submit(_train_worker, self.data_roots, self.device, rs, ds): group
                       for group, (rs, ds) in zip(plan, jobs)}
            for fut in as_completed(futures):
                for i, err in zip(futures[fut], fut.result()):
                    errors[i] = err
                self.log(f"  population of {len(futures[fut])} run(s) done at {time.perf_counter() - t0:.1f}s")
        return errors

    def load_model(self, run: RunSpec, run_dir: Path) -> torch.nn.Module:
        """The trained model of a finished run, in eval mode on this engine's device."""
        from ..runs import load_run_model

        _, model = load_run_model(run_dir, device=self.torch_device())
        return model.eval()

    # ---------------------------------------------------------------- evaluation
    def evaluate(self, run: RunSpec, run_dir: Path | None) -> dict:
        """The run's evaluation: the one its training wrote into its summary, else (a run trained elsewhere)
        :meth:`evaluate_model` of its saved model."""
        if run_dir is not None and (Path(run_dir) / "summary.json").is_file():
            from tradeoff.data.io import read_result

            payload = read_result(Path(run_dir) / "summary.json")["payload"]
            if "evaluation" in payload:
                return payload["evaluation"]
        return self.evaluate_model(run, self.load_model(run, run_dir))

    def evaluate_model(self, run: RunSpec, model: torch.nn.Module) -> dict:
        """The run's one evaluation, as its config's ``[eval]`` states it: clean accuracy and robust accuracy
        (``eval.attack``: the default ensemble of deep.evaluate or PGD, named with its cost in
        ``robust[norm]["evaluation"]``) at each (norm, ε) of ``eval.norms``/``eval.eps`` on ``eval.n_final``
        stratified test points (the same for every run); with ``eval.standard_full_test`` the clean accuracy
        comes from the whole test set."""
        from ..device import resolve_precision
        from ..evaluate import evaluate

        ev = run.config.eval
        x, y = self.test_set(run, ev.n_final, run.config.image_size)
        dev = self.torch_device()
        precision = resolve_precision(dev, run.config.amp, run.config.channels_last)
        x, y = x.to(dev), y.to(dev)
        attack = "default" if ev.attack == "ensemble" else "pgd"
        out = {"n_test": int(len(y)), "n_train": run.n_train, "robust": {}, "precision": precision.describe()}
        for norm, eps in ev.radii():
            res = evaluate(model, x, y, [0.0, eps], norm, attack, steps=ev.steps, restarts=ev.restarts,
                           step_size=ev.step_size if attack == "pgd" else None, seed=0, precision=precision)
            acc = res.accuracy
            out["standard_acc"] = float(acc[0.0])
            out["robust"][norm] = {"eps": eps, "acc": float(acc[eps]), "steps": ev.steps, "restarts": ev.restarts,
                                   "evaluation": res.summary()}
        out["n_test_standard"] = out["n_test"]
        out["per_image_standard"] = pack_flags(res.correct[0.0].numpy())
        if ev.standard_full_test and ev.n_final is not None:
            out["standard_acc_subset"] = out["standard_acc"]
            xf, yf = self.test_set(run, None, run.config.image_size)
            full = evaluate(model, xf, yf, [0.0], device=dev, batch_size=1000)
            out["standard_acc"] = full.accuracy[0.0]
            out["n_test_standard"] = int(len(yf))
            out["per_image_standard"] = pack_flags(full.correct[0.0].numpy())
        return out

    def large_eps_attack(self, spec: LargeEps, trajectory: bool = False):
        """``attack(model, x, y) -> x_adv``: the large-ε untargeted attack (no random start, clipped to [0, 1])."""
        from .. import attacks

        if hasattr(attacks, "LargeEpsAttack"):
            atk = attacks.LargeEpsAttack(eps=spec.eps, step_size=spec.step_size, steps=spec.steps, norm=spec.norm,
                                         trajectory=trajectory)
        else:  # same attack through plain PGD: no random start, one restart, last iterate
            atk = attacks.PGD(eps=spec.eps, step_size=spec.step_size, steps=spec.steps, norm=spec.norm,
                              random_start=False, restarts=1, track_best=False)
        dev = self.torch_device()
        precision = self.precision()

        def attack(model, x, y):
            precision.model(model)
            with precision.autocast():
                return atk(model, precision.inputs(x.to(dev)), y.to(dev)).float().contiguous()

        return attack

    def precision(self):
        """The policy of the picture figures' attacks and sanity checks (deep.device) on this engine's device."""
        from ..device import resolve_precision

        return resolve_precision(self.torch_device(), self.amp)

    def sanity(self, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, norm: str,
               steps: int = 20) -> list[dict]:
        """The engine's gradient-masking checks as ``[{name, passed, detail}]`` (claim 12): unbounded attack,
        more steps (4×) and more restarts (4) never raise robust accuracy, finite non-zero input gradients."""
        from ..sanity import run_sanity_checks

        dev = self.torch_device()
        report = run_sanity_checks(model, x.to(dev), y.to(dev), eps, norm, steps=steps, warn=False,
                                   precision=self.precision())
        checks = []
        for c in report.checks:
            get = c.get if isinstance(c, dict) else lambda k, c=c: getattr(c, k, None)
            checks.append({"name": get("name"), "passed": bool(get("passed")),
                           "detail": get("detail") if get("detail") is not None else get("message"),
                           "values": get("values") or {}})
        return checks


_WORKER_ENGINES: dict = {}


def _train_worker(data_roots: dict | None, device: str, runs: list[RunSpec], run_dirs: list[Path]) -> list[str | None]:
    """A worker process of :meth:`TorchEngine._train_in_workers`: one torch thread, one population (the engine, and
    its loaded test sets, are kept for the worker's next population)."""
    torch.set_num_threads(1)
    key = (json.dumps(data_roots, sort_keys=True), device)
    if key not in _WORKER_ENGINES:
        _WORKER_ENGINES[key] = TorchEngine(data_roots=data_roots, device=device)
    return _WORKER_ENGINES[key].train_many(runs, run_dirs)
