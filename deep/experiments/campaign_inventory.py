"""What a GPU campaign finds already there and what each planned item costs (deep.experiments.campaign decides
with it what to skip and what fits the budget).

**Skips**: a run is never trained again when its id (which contains the fingerprint of everything that determines
it) appears in a committed result (a ``deep.sweep`` row, a ``deep.campaign_runs`` file) or is finished in the local
runs folder; a picture experiment when a committed or local ``deep.campaign`` file lists it as done.

**Budget**: each run's cost in image·steps (one forward+backward pass of one image: training passes
``n·epochs·(PGD steps + 1)``, half the PGD with mixed batches, plus the evaluation's attack passes) divided by a rate
in image·steps/s per (device, model, width, dataset): measured in this call, else from a previous window's
``deep.campaign`` file or the rate file, else a conservative default (:data:`DEFAULT_RATES`). On CUDA, runs of one tier
that train in lockstep are started together as a population (at most ``population``); a population's measured rate
counts per member, so estimates stay on the safe side. A run (or a population of runs trained
together) is started only when its estimate fits the budget left; runs that do not fit are listed, never started.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tradeoff.data.io import read_result
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import DATASETS

from . import definitions as D
from .sweep import RunSpec, is_finished, run_dir_for

#: Conservative image·steps per second by (device type, model) when nothing was measured. CUDA: about a third of
#: what an H200 measured (reports/results: the MNIST paper CNN end to end 1.3e5 in gpu_deep_run2; PGD kernels alone
#: 6.8e5 for the MNIST CNN and 6.4e4 for ResNet-18 in gpu_h200_pgd_throughput.json; ResNet-9 has about 2/3 of
#: ResNet-18's multiply-adds per 32-px image, 0.38 G against 0.56 G); ResNet-50 at 224 px a guess. CPU: this
#: project's 2-core measurements (bench/population.py, bench/fast_cifar.py).
DEFAULT_RATES = {
    ("cuda", "mnist_cnn"): 5e4, ("cuda", "resnet9"): 3e4, ("cuda", "resnet18"): 2e4, ("cuda", "resnet50"): 1e3,
    ("cpu", "mnist_cnn"): 1e3, ("cpu", "resnet9"): 40.0, ("cpu", "resnet18"): 30.0, ("cpu", "resnet50"): 5.0,
}
FALLBACK_RATE = {"cuda": 1e3, "cpu": 50.0}


# ----------------------------------------------------------------------------------------------- what is there
@dataclass
class Present:
    """What earlier windows left: per-run results by run id (``None`` when only a table row names the run),
    finished picture experiments and measured rates."""

    runs: dict[str, dict | None] = field(default_factory=dict)
    pictures: set[str] = field(default_factory=set)
    rates: dict[str, float] = field(default_factory=dict)


def _rows_to_results(rows: list[dict]) -> dict[str, dict]:
    """Per-run results rebuilt from ``deep.sweep`` rows (a standard run has one row per norm)."""
    out: dict[str, dict] = {}
    for r in rows:
        rid = r.get("run")
        if not isinstance(rid, str) or "-" not in rid:
            continue
        res = out.setdefault(rid, {"fingerprint": rid.rsplit("-", 1)[1], "standard_acc": r.get("standard_acc"),
                                   "n_train": r.get("n_train"), "n_test": r.get("n_eval"),
                                   "n_test_standard": r.get("n_eval_standard", r.get("n_eval")), "robust": {},
                                   "from": "deep.sweep row"})
        res["robust"][str(r.get("norm"))] = {"eps": r.get("eps_eval"), "acc": r.get("robust_acc")}
    return out


def read_present(dirs: Iterable[str | Path]) -> Present:
    """Read every result file below ``dirs`` (recursively; unreadable files are ignored): run ids of ``deep.sweep``
    rows and ``deep.campaign_runs`` files, finished pictures and rates of ``deep.campaign`` files (the newest rate
    of each key wins)."""
    out = Present()
    rates: list[tuple[str, dict]] = []
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            continue
        for f in sorted(d.rglob("*.json")):
            try:
                env = read_result(f)
            except (ValueError, OSError):
                continue
            payload = env.get("payload") if isinstance(env.get("payload"), dict) else {}
            if env["kind"] == Kind.DEEP_SWEEP:
                for rid, res in _rows_to_results(payload.get("rows") or []).items():
                    if out.runs.get(rid) is None:
                        out.runs[rid] = res
                    else:  # merge the norms of a standard run seen in several sweeps
                        out.runs[rid].setdefault("robust", {}).update(res["robust"])
            elif env["kind"] == Kind.DEEP_CAMPAIGN_RUNS:
                for rid, res in (payload.get("runs") or {}).items():
                    out.runs[rid] = res
            elif env["kind"] == Kind.DEEP_CAMPAIGN:
                out.pictures |= set(payload.get("pictures_done") or [])
                rates.append((str(env.get("created") or ""), payload.get("rates") or {}))
    for _, r in sorted(rates, key=lambda t: t[0]):
        out.rates.update({k: float(v) for k, v in r.items() if isinstance(v, (int, float)) and v > 0})
    return out


# ----------------------------------------------------------------------------------------------- costs
def run_units(run: RunSpec) -> float:
    """Image·steps of one run: training ``n·epochs·passes`` (passes = 1 + PGD steps; 1 + steps/2 with mixed
    batches, half of each batch being attacked; 1 for standard training) plus the evaluation
    ``n_test·(1 + steps·restarts·attacks·norms)`` (4 attacks for the strong ensemble, 1 for PGD)."""
    cfg = run.config
    info = DATASETS.get(run.dataset)
    n_train = (info.train_size if info else None) or 10000
    n_test = (info.test_size if info else None) or 10000
    n = cfg.n_train or n_train
    passes = 1.0 + ((cfg.adv.steps / 2 if cfg.adv.mixed else cfg.adv.steps) if cfg.adv.enabled else 0)
    ev = cfg.eval
    attacks = 4 if ev.attack == "ensemble" else 1
    evaluation = (ev.n_final or n_test) * (1 + ev.steps * ev.restarts * attacks * len(run.eval_norms))
    return float(n * cfg.epochs * passes + evaluation)


def pictures_units(exp: D.PictureExperiment, runs_root: Path) -> float:
    """Image·steps of a picture experiment: its models that are not trained in ``runs_root`` yet, plus the large-ε
    attacks (every model in both norms), gradients and sanity checks on ``n_metric`` / ``sanity_n`` images."""
    from .pictures import model_runs

    train = sum(run_units(r) for r in model_runs(exp).values() if not _has_weights(r, runs_root))
    attacks = sum(a.steps + 1 for a in exp.attacks)
    return float(train + 4 * exp.n_metric * (attacks + 2) + 3 * exp.sanity_n * 40)


def _has_weights(run: RunSpec, runs_root: Path) -> bool:
    """A run finished in ``runs_root`` with its checkpoint there (the picture figures need the weights)."""
    d = run_dir_for(run, runs_root)
    return is_finished(run, runs_root) and any(d.glob("*.pt"))


def rate_key(device: str, run_or_exp) -> str:
    """``device/model/width/dataset``: what a rate depends on."""
    t = run_or_exp.config if isinstance(run_or_exp, RunSpec) else run_or_exp.template
    return f"{device}/{t.model}/{t.width}/{run_or_exp.dataset}"


@dataclass
class Rates:
    """Image·steps per second by :func:`rate_key`: measured (this call or a previous window), else a default."""

    measured: dict[str, float] = field(default_factory=dict)

    def get(self, key: str) -> float:
        """The rate of ``key``: measured, else :data:`DEFAULT_RATES` for its device type and model, else the
        fallback of its device type."""
        if key in self.measured:
            return self.measured[key]
        device, model, _, dataset = key.split("/")
        kind = "cuda" if device.startswith("cuda") else "cpu"
        side = DATASETS[dataset].image_size if dataset in DATASETS else 32
        pixels = max(1.0, (side / 32) ** 2)  # the defaults are for 32-px (or 28-px MNIST) images
        return DEFAULT_RATES.get((kind, model), FALLBACK_RATE[kind]) / pixels

    def learn(self, key: str, units: float, seconds: float) -> None:
        """Record a measured rate: the first measurement replaces the default; later ones are averaged with the
        previous value (equal weights), so one unusual run does not swing the plan."""
        r = units / max(seconds, 1e-6)
        self.measured[key] = r if key not in self.measured else 0.5 * (self.measured[key] + r)


def load_rates(path: Path | None, present: Present) -> Rates:
    """Rates of earlier windows (``deep.campaign`` files) overridden by the rate file ``path`` (plain JSON
    ``{key: rate}``) when it exists."""
    measured = dict(present.rates)
    if path is not None and Path(path).is_file():
        try:
            measured.update({k: float(v) for k, v in json.loads(Path(path).read_text()).items()})
        except (ValueError, AttributeError) as e:
            raise ValueError(f"{path}: not a rate file ({{key: image-steps per second}}): {e}; delete it") from e
    return Rates(measured)
