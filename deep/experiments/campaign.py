"""A GPU campaign that accumulates: plan the paper-scale deep runs, most informative first, skip every run that is
already in the committed results or the local build, train what a wall-clock budget fits, write partial results after
every run and pack what came back into one folder (and tarball) to commit under ``reports/results/``.

**Definitions** (:func:`campaign_definitions`): MNIST at the ``paper`` scale (Figures 1, 6, 7, Appendix B mixed
batches, the picture models; 3 seeds), then CIFAR-10 (Figure 7, mixed, pictures) with the fast ``resnet9``
(deep.models, a reconstruction; docs/fast_cifar.md), then Restricted Tiny ImageNet (pictures for Figures 2, 3, 4 and
Figure 7 at a reduced scale).

**Order** (:func:`plan`): dataset by dataset; inside a dataset by tier, then by seed round (all seeds of a tier in
rounds: seed 0's runs, then seed 1's, ...), then standard before ℓ∞ before ℓ2, largest ε first:

====  =========================================================================================================
tier  runs
====  =========================================================================================================
0     full training set, standard and the largest ε_train of each norm (Figure 7's ends; claims 6, 7)
1     Appendix B mixed batches at the largest ε of each norm (claim 8)
2     the smallest training set, standard and the largest ε (Figures 1, 6 left end; claim 5)
3     the picture experiment (its 4 models and Figures 2-4, 8-10; claims 10-12)
4     intermediate ε_train at the full training set (Figure 7's inside)
5     intermediate training-set sizes (Figures 1, 6 inside)
6     intermediate mixed ε
====  =========================================================================================================

Each tier completes one comparison of a claim (paired by seed: a verdict needs every seed of both ends) before the
next refines a curve. Restricted Tiny ImageNet puts its pictures first (its main use).

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

**Outputs** under ``out/pack/`` after every run (atomic writes): the merged ``deep.sweep`` files of every touched
sweep (with ``allow_missing``: committed, local and new runs together), the picture result files, ``campaign.json``
(kind ``deep.campaign``: device, torch version, the commit that was sent, budget, wall time, every planned item and
its status, the rates) and ``campaign_runs.json`` (kind ``deep.campaign_runs``: the per-run results that are not
committed yet, so that a later window can merge them). :func:`pack` tars ``out/pack`` into ``out/campaign-pack.tgz``.
A second call with the same ``out`` and runs folder continues an interrupted one (finished runs are skipped, the
interrupted run resumes from its checkpoint).
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tradeoff.data.io import atomic_write_json, read_result, write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import DATASETS

from ..config import TrainConfig
from . import definitions as D
from .sweep import RESULT_NAME, RunSpec, execute, is_finished, merge, run_dir_for

#: The campaign's datasets, in the order they are planned: the registered ones that can be packed for a GPU window
#: (data.registry.Dataset.packed_ratio).
DATASET_ORDER = tuple(name for name, d in DATASETS.items() if d.packed_ratio is not None)
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
#: Kept free of new runs at the end of the budget: the final merge and the pack (seconds).
RESERVE_S = 10.0
TIERS = {
    0: "full data: standard and the largest eps_train (Fig. 7 ends; claims 6, 7)",
    1: "mixed batches at the largest eps (Appendix B; claim 8)",
    2: "smallest training set: standard and the largest eps (Fig. 1/6; claim 5)",
    3: "picture models and Figures 2-4, 8-10 (claims 10-12)",
    4: "intermediate eps_train at full data (Fig. 7)",
    5: "intermediate training-set sizes (Fig. 1/6)",
    6: "intermediate mixed eps (Appendix B)",
}
_NORM_RANK = {"none": 0, "inf": 1, "2": 2}


# ----------------------------------------------------------------------------------------------- definitions
@dataclass(frozen=True)
class DatasetCampaign:
    """The sweeps and the picture experiment of one dataset; ``pictures_tier`` where the pictures go in its order."""

    dataset: str
    sweeps: tuple[D.SweepExperiment, ...]
    pictures: D.PictureExperiment | None
    pictures_tier: int = 3


def fast_cifar_template() -> TrainConfig:
    """The CIFAR-10 paper template with the fast ``resnet9`` and a fast recipe (a reconstruction of the DAWNBench
    recipe's shape: SGD with Nesterov momentum 0.9, a one-cycle (triangular) learning rate peaking at 0.2, weight
    decay 5e-4, batch 512, 24 epochs; PGD-7 of 2.5ε/7 for adversarial training). Not the paper's setup and not
    measured on a GPU here (docs/fast_cifar.md); the project's in-memory batches have no flip/crop augmentation."""
    base = D.get("fig7", "cifar10", "paper").template
    return base.replace(name="cifar10-gpu-fast", model="resnet9", width=64, epochs=24, batch_size=512, lr=0.2,
                        optimizer="sgd", momentum=0.9, nesterov=True, weight_decay=5e-4, schedule="cyclic",
                        min_steps=0, max_epochs=None, adv={"steps": 7})


def campaign_definitions(datasets: Sequence[str] = DATASET_ORDER,
                         shrink: Callable[[D.Experiment], D.Experiment] | None = None) -> list[DatasetCampaign]:
    """The campaign's definitions for ``datasets`` (in :data:`DATASET_ORDER`); ``shrink(exp)`` may replace every
    definition (tests: :func:`micro`)."""
    bad = [d for d in datasets if d not in DATASET_ORDER]
    if bad:
        raise ValueError(f"campaign dataset {bad[0]!r} is unknown: choose from {', '.join(DATASET_ORDER)}")
    out = []
    for ds in DATASET_ORDER:
        if ds not in datasets:
            continue
        tier = 3
        if ds == "mnist":
            exps = D.experiments("mnist", "paper")
            sweeps = tuple(exps[g] for g in ("fig7", "mixed", "fig6", "fig1"))
            pictures = exps["pictures"]
        elif ds == "cifar10":
            exps = D.experiments("cifar10", "paper")
            t = fast_cifar_template()
            sweeps = tuple(D.with_overrides(exps[g], template=t, scale="gpu-fast") for g in ("fig7", "mixed"))
            pictures = D.with_overrides(exps["pictures"], template=t, scale="gpu-fast")
        else:  # Restricted Tiny ImageNet: its reduced scale, pictures first
            exps = D.experiments(ds, "paper")
            sweeps = (D.with_overrides(exps["fig7"], scale="gpu-reduced"),)
            pictures = D.with_overrides(exps["pictures"], scale="gpu-reduced")
            tier = 0
        if shrink is not None:
            sweeps = tuple(shrink(e) for e in sweeps)
            pictures = shrink(pictures)
        out.append(DatasetCampaign(ds, sweeps, pictures, pictures_tier=tier))
    return out


def micro(exp: D.Experiment) -> D.Experiment:
    """A CPU test version of a campaign definition (scale ``test``): the same grid shape (every ε, norm and seed, at
    most two training-set sizes) with tiny training sets, one epoch, PGD-2 training and a cheap PGD evaluation on
    40 test points. Numbers mean nothing."""
    from dataclasses import replace

    t = exp.template.replace(model="mnist_cnn" if exp.dataset == "mnist" else "tiny_cnn", width=4, epochs=1,
                             batch_size=32, min_steps=0, max_epochs=None, schedule="constant", optimizer="adam",
                             lr=1e-3, nesterov=False, milestones=[], image_size=None, adv={"steps": 2},
                             eval={"n_final": 40, "n_epoch": 40, "steps": 2, "restarts": 1, "attack": "pgd"})
    if isinstance(exp, D.PictureExperiment):
        attacks = tuple(replace(a, steps=3) for a in exp.attacks)
        return D.with_overrides(exp, scale="test", template=t, n_train=120, n_metric=8, n_show=2, sanity_n=8,
                                attacks=attacks)
    ns = (30, 120) if len(exp.n_train) > 1 else (120,)  # 120 stands for the full training set
    return D.with_overrides(exp, scale="test", template=t, n_train=ns)


# ----------------------------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class Item:
    """One unit of the plan: a training run of some sweeps (``run``), or a picture experiment (``pictures``)."""

    key: str
    dataset: str
    tier: int
    round: int
    run: RunSpec | None = None
    pictures: D.PictureExperiment | None = None
    groups: tuple[str, ...] = ()
    fingerprint: str = ""  # the run's fingerprint, computed once (it validates a whole TrainConfig)

    @property
    def why(self) -> str:
        """What the item is for (the tier's description)."""
        return TIERS[self.tier]

    def sort_key(self) -> tuple:
        r = self.run
        extra = (0, 0, 0.0, 0, 0) if r is None else (_NORM_RANK[r.norm], int(r.mixed), -r.eps_train,
                                                     r.n_train or 10**9, r.seed)
        return (DATASET_ORDER.index(self.dataset), self.tier, self.round, *extra, self.key)


def pictures_key(exp: D.PictureExperiment) -> str:
    """A stable name of a picture experiment: dataset, scale and a hash of its whole definition."""
    blob = json.dumps(asdict(exp), sort_keys=True, default=str).encode()
    return f"pictures-{exp.dataset}-{exp.scale}-{hashlib.sha256(blob).hexdigest()[:10]}"


def _tier(run: RunSpec, exp: D.SweepExperiment, n_full, fig7_max: dict[str, float]) -> int:
    grid = dict(exp.eps_train)
    if exp.mixed:
        return 1 if run.eps_train == max(grid[run.norm]) else 6
    if run.n_train == n_full:
        return 0 if run.eps_train == 0 or run.eps_train == fig7_max.get(run.norm) else 4
    small = min(exp.n_train, key=lambda n: n if n is not None else 10**9)
    if run.n_train == small:
        top = max((max(g) for g in grid.values()), default=0.0) if run.norm == "none" else max(grid[run.norm])
        return 2 if run.eps_train in (0.0, top) else 5
    return 5


def plan(campaigns: Iterable[DatasetCampaign]) -> list[Item]:
    """Every run and picture experiment of the campaign, most informative first (see the module docstring). A run
    shared by several sweeps appears once, with the lowest tier of its sweeps and all their names."""
    from .sweep import expand

    items: dict[str, Item] = {}
    for c in campaigns:
        fig7 = next((e for e in c.sweeps if e.group == "fig7"), None)
        n_full = fig7.n_train[0] if fig7 is not None else None
        fig7_max = {norm: max(g) for norm, g in fig7.eps_train} if fig7 is not None else {}
        for exp in c.sweeps:
            for run in expand(exp):
                tier = _tier(run, exp, n_full, fig7_max)
                rnd = list(exp.seeds).index(run.seed)
                rid = run.run_id
                old = items.get(rid)
                if old is None:
                    items[rid] = Item(rid, c.dataset, tier, rnd, run=run, groups=(exp.group,),
                                      fingerprint=run.fingerprint())
                else:
                    groups = old.groups + ((exp.group,) if exp.group not in old.groups else ())
                    items[rid] = Item(rid, c.dataset, min(old.tier, tier), min(old.round, rnd), run=run,
                                      groups=groups, fingerprint=old.fingerprint)
        if c.pictures is not None:
            key = pictures_key(c.pictures)
            items[key] = Item(key, c.dataset, c.pictures_tier, 0, pictures=c.pictures, groups=("pictures",))
    return sorted(items.values(), key=Item.sort_key)


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


# ----------------------------------------------------------------------------------------------- running
@dataclass
class Status:
    """The state of one planned item in this call."""

    key: str
    dataset: str
    tier: int
    why: str
    status: str  # committed | local | done | budget | failed | todo
    estimate_s: float | None = None
    seconds: float | None = None
    groups: tuple[str, ...] = ()


@dataclass
class Campaign:
    """Everything one call needs. ``committed``: folders of committed results (reports/results); ``runs_root``: the
    local build's run folders; ``out``: the campaign folder (``out/pack`` is what comes back)."""

    campaigns: list[DatasetCampaign]
    engine: object
    runs_root: Path
    out: Path
    committed: list[Path]
    budget_s: float
    device: str = "cpu"
    commit_sent: str = "unknown"
    rates_path: Path | None = None
    log: Callable[[str], None] = lambda s: None
    clock: Callable[[], float] = time.monotonic
    population: int = 1  # runs trained together at most (the engine's population size on this device)

    def __post_init__(self):
        self.runs_root, self.out = Path(self.runs_root), Path(self.out)
        self.items = plan(self.campaigns)
        self.present = read_present(self.committed)
        self.rates = load_rates(self.rates_path, self.present)
        self._start = self.clock()
        self.statuses: dict[str, Status] = {}
        self.pictures_done: set[str] = set()
        self.trained_now: set[str] = set()
        from tradeoff.data.provenance import collect_provenance

        self._provenance = collect_provenance()  # once: it asks git, and the pack is rewritten after every run

    @property
    def pack_dir(self) -> Path:
        """The folder that comes back: ``out/pack``."""
        return self.out / "pack"

    # ------------------------------------------------------------------ the plan's state
    def state_of(self, item: Item) -> str:
        """``committed`` (in the committed results), ``local`` (finished in the local build) or ``todo``."""
        if item.pictures is not None:
            if item.key in self.present.pictures:
                return "committed"
            return "local" if item.key in self._local_pictures() else "todo"
        if item.key in self.present.runs:
            return "committed"
        return "local" if self.finished(item) else "todo"

    def finished(self, item: Item) -> bool:
        """:func:`~deep.experiments.sweep.is_finished` for a planned run, with the fingerprint computed at planning
        (the run's folder ``runs_root/<run id>`` holds a result for exactly this fingerprint)."""
        path = self.runs_root / item.key / RESULT_NAME
        if not path.is_file():
            return False
        try:
            return json.loads(path.read_text()).get("fingerprint") == item.fingerprint
        except (json.JSONDecodeError, OSError):
            return False

    def _local_pictures(self) -> set[str]:
        p = self.pack_dir / "campaign.json"
        if not p.is_file():
            return set()
        try:
            return set(read_result(p)["payload"].get("pictures_done") or [])
        except (ValueError, OSError):
            return set()

    def estimate(self, item: Item) -> float:
        """Predicted seconds of ``item`` on this device."""
        if item.pictures is not None:
            return pictures_units(item.pictures, self.runs_root) / self.rates.get(rate_key(self.device, item.pictures))
        return run_units(item.run) / self.rates.get(rate_key(self.device, item.run))

    def left(self) -> float:
        """Seconds of the budget left for new work (the reserve for the last merge and pack excluded)."""
        return self.budget_s - (self.clock() - self._start) - RESERVE_S

    def describe(self) -> list[Status]:
        """The plan with each item's state and estimate (for ``--plan``), without running anything."""
        out = []
        for it in self.items:
            st = self.state_of(it)
            out.append(Status(it.key, it.dataset, it.tier, it.why, st,
                              self.estimate(it) if st == "todo" else None, groups=it.groups))
        return out

    # ------------------------------------------------------------------ the loop
    def run(self) -> list[Status]:
        """Train what fits, in plan order; write the pack after every run (or population). Returns the statuses."""
        self.pictures_done = self._local_pictures()
        todo: list[Item] = []
        for it in self.items:
            st = self.state_of(it)
            self.statuses[it.key] = Status(it.key, it.dataset, it.tier, it.why, st, groups=it.groups)
            if st == "todo":
                todo.append(it)
        self.write()
        while todo:
            batch = self._next_batch(todo)
            est = sum(self.estimate(it) for it in batch)
            while batch and est > self.left():
                batch.pop()
                est = sum(self.estimate(it) for it in batch)
            if not batch:
                it = todo.pop(0)
                self.statuses[it.key].status = "budget"
                self.statuses[it.key].estimate_s = self.estimate(it)
                self.log(f"not started (budget): {it.key} needs ~{self.estimate(it):.0f}s, {self.left():.0f}s left")
                continue
            for it in batch:
                todo.remove(it)
            self._run_batch(batch, est)
            self.write(batch)
        self.write([])
        return list(self.statuses.values())

    def _next_batch(self, todo: list[Item]) -> list[Item]:
        """The first item and, when the engine trains populations, the later items of the same dataset and tier
        that train in lockstep with it (deep.population_plan.population_key), up to ``population`` runs."""
        first = todo[0]
        if first.pictures is not None or self.population <= 1 or not hasattr(self.engine, "train_many"):
            return [first]
        from ..population_plan import population_key

        key = population_key(first.run.config)
        batch = [first]
        for it in todo[1:]:
            if len(batch) >= self.population:
                break
            if it.run is not None and it.dataset == first.dataset and it.tier == first.tier and \
                    population_key(it.run.config) == key:
                batch.append(it)
        return batch

    def _run_batch(self, batch: list[Item], est: float) -> None:
        units = 0.0
        t = self.clock()
        for it in batch:
            self.statuses[it.key].estimate_s = self.estimate(it)
        try:
            if batch[0].pictures is not None:
                it = batch[0]
                units = pictures_units(it.pictures, self.runs_root)
                self.log(f"pictures {it.key} (~{est:.0f}s)")
                from .pictures import model_runs, run_pictures

                run_pictures(it.pictures, self.engine, self.runs_root, self.pack_dir / "results", log=self.log)
                self.pictures_done.add(it.key)
                self.trained_now |= {r.run_id for r in model_runs(it.pictures).values()}
            else:
                units = sum(run_units(it.run) for it in batch)
                self.log(f"train {len(batch)} run(s) (~{est:.0f}s): {', '.join(it.key for it in batch)}")
                execute([it.run for it in batch], self.engine, self.runs_root, log=self.log)
                self.trained_now |= {it.key for it in batch}
        except (ValueError, FloatingPointError, RuntimeError) as e:  # a diverged run: keep going with the others
            for it in batch:
                done = it.run is not None and self.finished(it)
                self.statuses[it.key].status = "done" if done else "failed"
            self.log(f"failed: {type(e).__name__}: {e}")
            return
        dt = self.clock() - t
        key = rate_key(self.device, batch[0].pictures if batch[0].pictures is not None else batch[0].run)
        # a population of K runs learns the rate of one member (units / K per wall second): conservative for the
        # next population, right for a single run
        self.rates.learn(key, units / len(batch), dt)
        for it in batch:
            self.statuses[it.key].status = "done"
            self.statuses[it.key].seconds = dt / len(batch)
        self.log(f"done in {dt:.1f}s ({self.left():.0f}s left)")

    # ------------------------------------------------------------------ outputs
    def _run_results(self) -> dict[str, dict]:
        """Per-run results of every planned run finished in the local build (all of them: a resumed window packs
        what its interrupted predecessor finished)."""
        out = {}
        for it in self.items:
            if it.run is not None and self.finished(it):
                out[it.key] = json.loads((self.runs_root / it.key / RESULT_NAME).read_text())
        return out

    def write(self, touched: Iterable[Item] | None = None) -> None:
        """(Re)write ``out/pack``: the merged sweeps (those of the ``touched`` items; all when None),
        ``campaign_runs.json``, ``campaign.json``; and the rate file."""
        local = self._run_results()
        merge_root = self.out / "merged_runs"
        inputs = {}
        for it in self.items:
            res = local.get(it.key) if it.key in local else self.present.runs.get(it.key)
            # a result rebuilt from table rows may lack a norm of a standard run (its other sweep's file is absent):
            # it is still never retrained, but it enters the merge only with every norm the run is evaluated in
            if it.run is not None and res is not None and set(it.run.eval_norms) <= set(res.get("robust") or {}):
                inputs[it.key] = res
        for rid, res in inputs.items():
            target = merge_root / rid / RESULT_NAME
            if not target.is_file() or json.loads(target.read_text()) != res:
                atomic_write_json(target, res)
        results = self.pack_dir / "results"
        pool = self.items if touched is None else list(touched)
        touched = {(it.dataset, g) for it in pool if it.run is not None
                   and (it.key in local or it.key in self.present.runs) for g in it.groups}
        if any(it.pictures is not None for it in pool):  # the picture models may be sweep runs too
            from .pictures import model_runs

            ids = {r.run_id for it in pool if it.pictures is not None for r in model_runs(it.pictures).values()}
            touched |= {(it.dataset, g) for it in self.items if it.key in ids for g in it.groups}
        for c in self.campaigns:
            for exp in c.sweeps:
                if (c.dataset, exp.group) in touched:
                    merge(exp, merge_root, results, allow_missing=True)
        new = {k: v for k, v in local.items() if k not in self.present.runs or self.present.runs[k] is None}
        write_result(self.pack_dir / "campaign_runs.json", Kind.DEEP_CAMPAIGN_RUNS, {"runs": new},
                     scale="campaign", provenance=self._provenance)
        write_result(self.pack_dir / "campaign.json", Kind.DEEP_CAMPAIGN, self.summary(),
                     wall_time_s=self.clock() - self._start, scale="campaign", provenance=self._provenance)
        if self.rates_path is not None:
            atomic_write_json(self.rates_path, self.rates.measured)

    def summary(self) -> dict:
        """The ``deep.campaign`` payload: where and what ran, and every item's status."""
        import torch

        return {
            "device": self.device, "torch": torch.__version__, "cuda": torch.version.cuda,
            "commit_sent": self.commit_sent, "budget_s": self.budget_s, "wall_time_s": self.clock() - self._start,
            "datasets": [c.dataset for c in self.campaigns],
            "pictures_done": sorted(self.pictures_done),
            "rates": dict(self.rates.measured),
            "items": [asdict(s) for s in self.statuses.values()],
            "counts": {k: sum(s.status == k for s in self.statuses.values())
                       for k in ("committed", "local", "done", "budget", "failed")},
        }


def pack(out: str | Path) -> Path:
    """Tar ``out/pack`` into ``out/campaign-pack.tgz`` (atomically: written beside, then renamed) and return it."""
    out = Path(out)
    src = out / "pack"
    if not (src / "campaign.json").is_file():
        raise ValueError(f"{src}: no campaign.json; run the campaign first")
    tmp = out / ".campaign-pack.tgz.tmp"
    with tarfile.open(tmp, "w:gz") as tar:
        for f in sorted(src.rglob("*")):
            if f.is_file():
                tar.add(f, arcname=str(Path("pack") / f.relative_to(src)))
    target = out / "campaign-pack.tgz"
    tmp.replace(target)
    return target
