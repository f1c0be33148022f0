"""The deep frontier (issue 15, part 4): where deep models sit in the (standard accuracy, robust accuracy) plane.

A grid of TRADES models (Zhang et al. 2019, ``adv.method = "trades"``: one model per β) and of PGD models (Madry
et al.; one per ε_train, ε_train = 0 being the standard model, which is also TRADES at β = 0), all from one
TrainConfig template, trained on the population engine (deep.train.train_runs: the TRADES grid is one population,
the PGD grid another). Every model is evaluated once, by the run itself (its summary's ``evaluation``):

* as the 10-class model: standard accuracy on the whole test set and robust accuracy at ``eps_eval`` under the
  project's strong evaluation (deep.evaluate.evaluate with the default ensemble, deep/attacks/ensemble.py:
  APGD-CE, APGD-margin, APGD-T, each only on the points the earlier ones left correct) on ``n_robust`` stratified
  test points;
* as its restriction to a pair of classes (MNIST 5-vs-7, the binary problem of the data's frontier and of the
  linear frontier): the classifier ``argmax(logit_a, logit_b)`` on the test points of those two classes, attacked
  as a two-logit model (the ensemble's two-class losses). This binary classifier is one of the "any classifier"
  that the data's own frontier bounds, so its point may be drawn on the 5-vs-7 axes; the 10-class accuracies may
  not (another problem) and go on their own panel.

The payload (kind ``deep.frontier``, reports/RESULTS.md) has one row per model; the report draws it beside the
frontier of D, the data's frontier and the linear frontier (reports/figures/frontier_everywhere.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from tradeoff.data.io import write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.scales import Scale

from ..config import AdvConfig, EvalConfig, TrainConfig
from ..device import Precision

#: the scales the deep frontier is defined at (data.scales)
SCALES = (Scale.CPU.value, Scale.SMOKE.value)


@dataclass(frozen=True)
class DeepFrontier:
    """The experiment, in the vocabulary of deep.experiments.definitions (a TrainConfig template plus its grid):
    ``template`` (everything but the training method, β, ε_train and seed; its ``[eval]`` states the radius, the
    attacked points and the strong evaluation), the grids, and the restriction to ``pair``. ``pgd_eps`` values are
    ε_train of PGD models (0: standard training); ``betas`` of TRADES models at the template's ``adv.eps``. (A
    SweepExperiment's grid has no β axis, hence this definition of its own.) The evaluation uses the default
    ensemble at its own budgets (``eval.steps``/``restarts`` do not scale it)."""

    scale: str
    template: TrainConfig
    betas: tuple[float, ...]
    pgd_eps: tuple[float, ...]
    seeds: tuple[int, ...]
    eps_eval: float
    pair: tuple[int, int] = (5, 7)
    pair_eps: tuple[float, ...] = (0.2, 0.3)
    n_robust: int = 500
    note: str = ""

    def validate(self) -> DeepFrontier:
        """ValueError naming the first bad field; returns self."""
        where = f"deep frontier ({self.scale})"
        if not self.betas and not self.pgd_eps:
            raise ValueError(f"{where}: give at least one beta or one PGD eps_train")
        if any(not b > 0 for b in self.betas):
            raise ValueError(f"{where}: betas must be > 0 (beta = 0 is the standard model: put 0 in pgd_eps)")
        if any(e < 0 for e in self.pgd_eps) or not self.seeds or self.n_robust < 1:
            raise ValueError(f"{where}: pgd_eps >= 0, at least one seed and n_robust >= 1 are needed")
        if self.template.adv.eps <= 0 or self.eps_eval <= 0 or any(e <= 0 for e in self.pair_eps):
            raise ValueError(f"{where}: the template's adv.eps, eps_eval and pair_eps must be > 0")
        if len(set(self.pair)) != 2:
            raise ValueError(f"{where}: pair must be two different classes, got {self.pair}")
        for c in self.configs():
            c.validate()
        return self

    def identity(self) -> str:
        """A short hash of what a run's evaluation depends on beyond its TrainConfig (pair, radii, points)."""
        blob = json.dumps([self.eps_eval, list(self.pair), list(self.pair_eps), self.n_robust]).encode()
        return hashlib.sha256(blob).hexdigest()[:6]

    def configs(self) -> list[TrainConfig]:
        """Every run's TrainConfig: TRADES at each β, then PGD at each ε_train, for each seed. Run names are
        readable and carry the config's fingerprint, so a changed setting is a new run, never a stale one."""
        t, out = self.template, []
        ev = {"norms": [t.adv.norm], "eps": [self.eps_eval], "norm": None, "every": 0, "n_final": self.n_robust,
              "n_epoch": self.n_robust, "attack": "ensemble", "standard_full_test": True}
        for seed in self.seeds:
            for beta in self.betas:
                out.append(t.replace(seed=seed, data_seed=seed, eval=ev,
                                     adv={"method": "trades", "beta": float(beta)}))
            for eps in self.pgd_eps:
                adv = {"method": "pgd", "beta": TrainConfig().adv.beta, "eps": float(eps)}
                if eps == 0:
                    adv.update(eps_warmup=0.0, step_size=None)
                out.append(t.replace(seed=seed, data_seed=seed, eval=ev, adv=adv))
        named = []
        for c in out:
            what = f"trades-b{c.adv.beta:g}" if c.adv.trades else f"pgd-e{c.adv.eps:g}"
            named.append(c.replace(name=f"frontier-{self.scale}-{c.dataset}-{what}-s{c.seed}-"
                                        f"{c.fingerprint()[:8]}{self.identity()}"))
        return named


def definition(scale: str, dataset: str = "mnist") -> DeepFrontier:
    """The deep frontier at ``scale``: ``cpu`` (MNIST, about ten CPU minutes on 2 cores) or ``smoke`` (the toy
    data set, seconds; numbers mean nothing)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r} for the deep frontier: choose one of {', '.join(SCALES)}")
    if scale == Scale.SMOKE:
        tpl = TrainConfig(name="frontier", dataset="toy", model="mnist_cnn", width=4, n_train=64, epochs=1,
                          batch_size=32, lr=2e-3, device="cpu", progress=False, checkpoint_every=1,
                          adv=AdvConfig(norm="inf", eps=0.2, steps=2), eval=EvalConfig(every=0))
        return DeepFrontier(scale, tpl, betas=(1.0, 6.0), pgd_eps=(0.0, 0.2), seeds=(0,), eps_eval=0.2, pair=(1, 2),
                            pair_eps=(0.1, 0.2), n_robust=40, note="smoke test: numbers mean nothing").validate()
    if dataset != "mnist":
        raise ValueError(f"the deep frontier is defined for mnist (the 5-vs-7 frontiers), not {dataset!r}")
    # The quick scale's MNIST CNN (width 4, Adam 2e-3, batch 32, 10 attack steps, ε ramped over the first third)
    # on 10,000 training points for 3 epochs: ~940 steps per model.
    tpl = TrainConfig(name="frontier", dataset="mnist", model="mnist_cnn", width=4, n_train=10_000, epochs=3,
                      batch_size=32, lr=2e-3, optimizer="adam", device="cpu", progress=False, checkpoint_every=1,
                      adv=AdvConfig(norm="inf", eps=0.3, steps=10, eps_warmup=1 / 3), eval=EvalConfig(every=0))
    return DeepFrontier("cpu", tpl, betas=(0.5, 1.0, 2.0, 4.0, 8.0), pgd_eps=(0.0, 0.1, 0.2, 0.3), seeds=(0,),
                        eps_eval=0.3, pair=(5, 7), pair_eps=(0.2, 0.3), n_robust=500,
                        note="CPU scale: width-4 MNIST CNN, 10,000 training points, 3 epochs, 10 attack steps, "
                             "eps ramped from 0 over the first epoch (not the paper's recipe)").validate()


class PairRestriction(nn.Module):
    """The binary classifier a multi-class model induces on two of its classes: logits ``(f_a(x), f_b(x))``;
    class ``a`` is label 0, ``b`` label 1."""

    def __init__(self, model: nn.Module, pair: tuple[int, int]):
        super().__init__()
        self.model = model
        self.register_buffer("idx", torch.tensor(list(pair), dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The two classes' logits ``(N, 2)``."""
        return self.model(x).index_select(1, self.idx.to(x.device))


def pair_points(x: torch.Tensor, y: torch.Tensor, pair: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The points of classes ``pair`` with labels 0 (``pair[0]``) and 1 (``pair[1]``)."""
    keep = (y == pair[0]) | (y == pair[1])
    return x[keep], (y[keep] == pair[1]).long()


def _subset(x: torch.Tensor, y: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    from ..datasets import stratified_indices

    if n >= len(y):
        return x, y
    idx = stratified_indices(y, n, 0)
    return x[idx], y[idx]


def evaluate_model(exp: DeepFrontier, model: nn.Module, test: tuple[torch.Tensor, torch.Tensor],
                   device: torch.device | str = "cpu", precision: Precision | None = None) -> dict:
    """The run's one evaluation (module docstring): standard accuracy on all of ``test``, strong-evaluation robust
    accuracy at ``eps_eval`` on ``n_robust`` stratified test points (seed 0), and the same for the restriction to
    ``pair`` (standard on all the pair's test points, robust at each ``pair_eps`` on ``n_robust`` of them). The
    attacks run under ``precision`` (deep.device), the counts in float32."""
    from ..evaluate import evaluate

    model = model.eval()
    norm = exp.template.adv.norm
    x, y = test
    t0 = time.perf_counter()
    xs, ys = _subset(x, y, exp.n_robust)
    res = evaluate(model, xs, ys, [0.0, exp.eps_eval], norm, seed=0, device=device, precision=precision)
    out = {"standard_acc": _clean_accuracy(model, x, y, device), "n_test_standard": int(len(y)),
           "n_test": int(len(ys)), "n_train": exp.template.n_train, "standard_acc_subset": float(res.accuracy[0.0]),
           "robust": {norm: {"eps": exp.eps_eval, "acc": float(res.accuracy[exp.eps_eval]),
                             "evaluation": res.summary()}}}
    xp, yp = pair_points(x, y, exp.pair)
    binary = PairRestriction(model, exp.pair).eval()
    xps, yps = _subset(xp, yp, exp.n_robust)
    rp = evaluate(binary, xps, yps, [0.0, *exp.pair_eps], norm, seed=0, device=device, precision=precision)
    out["pair"] = {"classes": list(exp.pair), "standard_acc": _clean_accuracy(binary, xp, yp, device),
                   "n_standard": int(len(yp)), "n_robust": int(len(yps)),
                   "standard_acc_subset": float(rp.accuracy[0.0]),
                   "robust": {f"{e:g}": float(rp.accuracy[e]) for e in exp.pair_eps}, "evaluation": rp.summary()}
    out["seconds"] = time.perf_counter() - t0
    return out


def _clean_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device) -> float:
    """Standard accuracy on all of ``(x, y)`` (deep.evaluate.evaluate at ε = 0, in batches of 1000)."""
    from ..evaluate import evaluate

    return evaluate(model, x, y, [0.0], device=device, batch_size=1000).accuracy[0.0]


def rows(exp: DeepFrontier, summaries: list[dict]) -> list[dict]:
    """One row per run (RESULTS.md ``deep.frontier``) from the run summaries (train_runs' ``summary``)."""
    out = []
    for cfg, s in zip(exp.configs(), summaries):
        ev = s["evaluation"]
        rob = ev["robust"][exp.template.adv.norm]
        method = "standard" if not cfg.adv.enabled else cfg.adv.method
        out.append({
            "method": method, "beta": cfg.adv.beta if cfg.adv.trades else (0.0 if method == "standard" else None),
            "eps_train": cfg.adv.eps, "norm": cfg.adv.norm, "seed": cfg.seed, "n_train": s.get("n_train"),
            "standard_acc": ev["standard_acc"], "n_standard": ev["n_test_standard"],
            "robust_acc": rob["acc"], "eps_eval": rob["eps"], "n_robust": ev["n_test"],
            "standard_acc_subset": ev.get("standard_acc_subset"),
            "evaluation": rob["evaluation"]["attack"]["label"],
            "pair": {k: v for k, v in ev["pair"].items() if k != "evaluation"},
            "train_loss": (s.get("history") or [{}])[-1].get("train_loss") if s.get("history") else None,
            "run": cfg.name,
        })
    return out


def run(exp: DeepFrontier, runs_root: Path, results_root: Path, *, workers: int = 1, data_root: str | None = None,
        log=lambda s: None) -> tuple[Path, dict]:
    """Train (or resume) every run of ``exp`` under ``runs_root`` on the population engine, each evaluated once by
    itself (:func:`evaluate_model`), then write ``results_root/deep/frontier_<dataset>.json`` (kind
    ``deep.frontier``). Finished runs are never trained again. ``workers`` > 1: the populations in that many
    processes (one torch thread each). Returns the path and the payload."""
    from tradeoff.data.provenance import collect_provenance, device_description

    provenance = collect_provenance()  # the code that trains: its commit at the start of the run
    cfgs = [c.replace(data_root=data_root) if data_root else c for c in exp.configs()]
    dirs = [Path(runs_root) / c.name for c in cfgs]
    t0, c0 = time.perf_counter(), time.process_time()
    summaries, child_cpu = _train(exp, cfgs, dirs, workers, log)
    payload = {
        "experiment": "frontier", "dataset": exp.template.dataset, "scale": exp.scale, "note": exp.note,
        "norm": exp.template.adv.norm, "eps_eval": exp.eps_eval, "pair": list(exp.pair),
        "pair_eps": list(exp.pair_eps), "n_robust": exp.n_robust, "rows": rows(exp, summaries),
        "evaluation": "deep.evaluate.evaluate, the default ensemble (deep/attacks/ensemble.py): "
                      "APGD-CE, APGD-margin, APGD-T, per-example worst case",
        "attack": summaries[0]["evaluation"]["robust"][exp.template.adv.norm]["evaluation"]["attack"],
        "template": exp.template.to_dict(), "betas": list(exp.betas), "pgd_eps": list(exp.pgd_eps),
        "seeds": list(exp.seeds), "device": device_description(), "torch": torch.__version__,
        "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0 + child_cpu, "workers": workers,
    }
    path = Path(results_root) / "deep" / f"frontier_{exp.template.dataset}.json"
    write_result(path, Kind.DEEP_FRONTIER, payload, wall_time_s=payload["wall_s"], scale=exp.scale,
                 dataset=exp.template.dataset, seeds=list(exp.seeds), provenance=provenance)
    return path, payload


def _train(exp: DeepFrontier, cfgs: list[TrainConfig], dirs: list[Path], workers: int, log) -> tuple[list, float]:
    """Summaries of every run (training the unfinished ones) and the CPU seconds of worker processes."""
    from ..population_plan import MAX_POPULATION, plan_populations

    plan = plan_populations(cfgs, MAX_POPULATION["cpu"])
    if workers <= 1 or len(plan) == 1:
        return _train_group(exp, cfgs, dirs, log), 0.0
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    summaries: list = [None] * len(cfgs)
    child = 0.0
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(plan)), mp_context=ctx) as pool:
        futures = [(g, pool.submit(_worker, exp, [cfgs[i] for i in g], [dirs[i] for i in g])) for g in plan]
        for g, fut in futures:
            got, cpu = fut.result()
            child += cpu
            for i, s in zip(g, got):
                summaries[i] = s
            log(f"population of {len(g)} run(s) done")
    return summaries, child


def _worker(exp: DeepFrontier, cfgs, dirs) -> tuple[list, float]:
    torch.set_num_threads(1)
    c0 = time.process_time()
    return _train_group(exp, cfgs, dirs, lambda s: None), time.process_time() - c0


def _train_group(exp: DeepFrontier, cfgs: list[TrainConfig], dirs: list[Path], log) -> list[dict]:
    from ..datasets import load_split
    from ..runs import read_metrics
    from ..train import TrainOptions, train_runs

    test = load_split(cfgs[0].dataset, "test", cfgs[0].data_root)

    def final_eval(pop, k):
        return evaluate_model(exp, pop.member_model(k), test, pop.device, pop.precision)

    results = train_runs(cfgs, dirs, TrainOptions(progress=False, scale=exp.scale, final_eval=final_eval, log=log))
    out = []
    for r in results:
        if r.extra.get("error"):
            raise FloatingPointError(f"{r.config.name}: {r.extra['error']}")
        s = dict(r.summary)
        s["history"] = read_metrics(r.run_dir)
        out.append(s)
    return out

