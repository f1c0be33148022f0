"""The deep experiments of docs/paper.md §6 as data: one definition per figure group, at two scales.

* ``quick`` — CPU scale (minutes): smaller models, fewer training points, sizes, ε values and epochs, and the
  same code path as ``paper``.
* ``paper`` — the **reconstructed** defaults of docs/paper.md §6 (the paper's appendix values could not be confirmed;
  every value here is a reconstruction unless marked as known from the authors' Restricted ImageNet code).

Figure groups: ``fig1`` (standard accuracy vs training-set size, ℓ2 training), ``fig6`` (the same for ℓ∞),
``fig7`` (standard accuracy vs ε_train, ℓ∞ and ℓ2), ``mixed`` (Appendix B: 50% clean / 50% adversarial batches),
``pictures`` (one set of trained models feeding Fig. 2/10 gradients, Fig. 3/8/9 large-ε examples and Fig. 4
interpolations). Datasets: ``mnist``, ``cifar10`` (the JPEG copy by default), ``rin`` (Restricted ImageNet; on the
203-image sample only toy scale is meaningful). Every ε is in [0, 1] pixel space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..datasets import dataset_spec

SCALES = ("quick", "long", "paper")
DATASETS = ("mnist", "cifar10", "rin")
NORMS = ("inf", "2")
SWEEP_GROUPS = ("fig1", "fig6", "fig7", "mixed")
GROUPS = SWEEP_GROUPS + ("pictures",)

#: Views of the one dataset table (deep.datasets.DATASET_SPECS), keyed by the experiments' short names: how result
#: files name each dataset (the CIFAR-10 JPEG copy must say so), figure titles, what every result of a dataset must
#: say about its data (payloads carry it as ``data_note``), and class names for figure labels.
DATASET_LABELS = {d: dataset_spec(d).label for d in DATASETS}
DATASET_TITLES = {d: dataset_spec(d).title for d in DATASETS}
DATASET_NOTES = {d: dataset_spec(d).note for d in DATASETS}
CLASS_NAMES = {d: list(dataset_spec(d).class_names) for d in DATASETS}


@dataclass(frozen=True)
class Training:
    """How one model is trained (mapped onto the engine's TrainConfig by :mod:`deep.experiments.engine`).

    The number of epochs for a training set of size n is ``max(epochs, ceil(min_steps * batch_size / n))``, capped
    at ``max_epochs``: small training sets get more passes so that every run sees a comparable number of steps.
    The PGD training attack uses ``attack_steps`` steps of ``step_size[norm]`` when given, else ``2.5 ε / steps``;
    random start as in docs/paper.md §6. ``eps_warmup`` > 0 ramps ε_train linearly from 0 over that fraction of the
    epochs: NOT in the paper; the quick scale uses it because a few hundred steps of ℓ∞ ε = 0.3 training from
    scratch otherwise stay at chance accuracy."""

    model: str
    width: int
    epochs: int
    batch_size: int
    lr: float
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "constant"
    min_steps: int = 0
    max_epochs: int = 1000
    attack_steps: int = 7
    step_size: tuple[tuple[str, float], ...] = ()
    image_size: int | None = None
    milestones: tuple[float, ...] = ()  # epochs where a "multistep" schedule divides the learning rate by 10
    eps_warmup: float = 0.0  # fraction of the epochs over which ε_train ramps up from 0 (a CPU-scale aid, not paper)
    nesterov: bool = False  # Nesterov momentum (SGD)
    step_fraction: tuple[tuple[str, float], ...] = ()  # PGD training step = fraction · ε per norm (e.g. ε/4)

    def epochs_for(self, n_train: int) -> int:
        """Epochs for a training set of ``n_train`` points (see class docstring)."""
        need = math.ceil(self.min_steps * self.batch_size / max(n_train, 1)) if self.min_steps else 0
        return int(min(max(self.epochs, need), max(self.max_epochs, self.epochs)))

    def attack_step_size(self, norm: str, eps: float) -> float:
        """PGD training step: the fixed per-norm value if configured, else the per-norm fraction of ε, else
        2.5 ε / steps (Madry et al.; deep.attacks.steps.default_step_size)."""
        from ..attacks.steps import default_step_size

        fixed, fraction = dict(self.step_size), dict(self.step_fraction)
        if norm in fixed:
            return float(fixed[norm])
        if norm in fraction:
            return float(fraction[norm]) * eps
        return default_step_size(eps, self.attack_steps)


@dataclass(frozen=True)
class Evaluation:
    """PGD evaluation of a trained model on ``n_test`` test points (stratified; None = whole test set).

    ``standard_full_test``: measure the standard (clean) accuracy on the whole test set (one forward pass, cheap)
    instead of the ``n_test`` subset, so that its 95% binomial half-width 1.96·√(p(1−p)/n) shrinks (≈ 0.008 at
    p = 0.8 on MNIST's 10,000 points instead of 0.035 on 500); the robust (PGD) accuracy stays on the subset."""

    n_test: int | None
    steps: int
    restarts: int
    eps: tuple[tuple[str, float], ...]  # (norm, eps_eval) used for every row of a sweep
    standard_full_test: bool = False

    def eps_for(self, norm: str) -> float:
        """ε_eval of ``norm`` (KeyError when the evaluation has no ε for that norm)."""
        return float(dict(self.eps)[norm])


@dataclass(frozen=True)
class SweepExperiment:
    """A grid of training runs: every (norm, ε_train, n_train, seed) combination, standard or mixed batches.

    ε_train = 0 is standard training; such runs do not depend on the norm and are shared between sweeps."""

    group: str
    dataset: str
    scale: str
    eps_train: tuple[tuple[str, tuple[float, ...]], ...]
    n_train: tuple[int, ...]
    seeds: tuple[int, ...]
    training: Training
    evaluation: Evaluation
    mixed: bool = False
    reconstructed: bool = True
    note: str = ""
    #: further seeds trained at every n_train below the largest (claim 5's small-n comparisons need more seeds than
    #: the full-data runs, and cost little); the largest n_train uses ``seeds`` only
    small_n_seeds: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return self.group

    @property
    def norms(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.eps_train)

    def seeds_for(self, n_train: int | None) -> tuple[int, ...]:
        """The seeds trained at ``n_train``: ``seeds``, plus ``small_n_seeds`` below the largest size."""
        sizes = [n for n in self.n_train if n is not None]
        largest = None in self.n_train or (sizes and n_train == max(sizes))
        extra = () if largest else tuple(s for s in self.small_n_seeds if s not in self.seeds)
        return tuple(self.seeds) + extra


@dataclass(frozen=True)
class ModelRef:
    """One model of the picture figures: ``name`` (standard / linf / l2), training norm and ε_train, seed, and a
    ``width`` that replaces the experiment's (None: the experiment's; the claim-11 judge uses another width)."""

    name: str
    norm: str
    eps_train: float
    seed: int = 0
    width: int | None = None


@dataclass(frozen=True)
class LargeEps:
    """The large-ε untargeted attack of Fig. 3/8/9: no random start, iterates clipped to [0, 1]."""

    norm: str
    eps: float
    steps: int
    step_size: float


@dataclass(frozen=True)
class PictureExperiment:
    """The models and attacks behind Fig. 2/10 (gradients), Fig. 3/8/9 (large ε) and Fig. 4 (interpolation).

    ``models`` are trained on ``n_train`` points; ``judge`` classifies the large-ε examples for claim 11 and is of
    another recipe than the attacked standard model (another width and another seed, or a robust model with another
    seed), so that the standard model's perturbations do not simply transfer to it. ``replicate_seeds``: the
    picture models' recipes are also trained (or reused from the sweeps) at these seeds for claim 10's uncertainty
    over models. Metrics use ``n_metric`` test images, the figures show the first ``n_show``; interpolations have
    ``frames`` frames from the image to its large-ε example."""

    dataset: str
    scale: str
    n_train: int | None
    training: Training
    evaluation: Evaluation
    models: tuple[ModelRef, ...]
    judge: ModelRef
    attacks: tuple[LargeEps, ...]
    n_metric: int
    n_show: int
    frames: int = 20
    sanity_n: int = 200
    replicate_seeds: tuple[int, ...] = ()
    reconstructed: bool = True
    group: str = "pictures"
    note: str = ""

    @property
    def name(self) -> str:
        return self.group

    def attack(self, norm: str) -> LargeEps:
        """The large-ε attack in ``norm``; ValueError when the definition has none."""
        for a in self.attacks:
            if a.norm == norm:
                return a
        raise ValueError(f"no large-eps attack for norm {norm!r} in {self.dataset}/{self.scale}")


Experiment = SweepExperiment | PictureExperiment


# ---------------------------------------------------------------------------------------------------------------
# MNIST
_MNIST_EVAL_EPS = (("inf", 0.3), ("2", 2.0))

_MNIST_QUICK_TRAIN = Training(
    # CPU scale, chosen from measured CPU time (README "CPU scale"): the paper's CNN at 1/4 width (conv 8, conv 16,
    # fc 1024), one epoch of the FULL training set, batch 100, Adam 1e-3, PGD-5 of 2.5ε/5 with random start, ε
    # warm-up over the first third (not in the paper). Small training sets get at least 100 steps.
    model="mnist_cnn", width=8, epochs=1, batch_size=100, lr=1e-3, optimizer="adam",
    min_steps=100, max_epochs=100, attack_steps=5, eps_warmup=1 / 3,
)
_MNIST_PAPER_TRAIN = Training(
    # Reconstruction: Madry et al.'s MNIST CNN, Adam 1e-3, PGD-40 of 0.01 (ℓ∞) or 2.5ε/40 (ℓ2), random start.
    model="mnist_cnn", width=32, epochs=10, batch_size=50, lr=1e-3, optimizer="adam",
    min_steps=2000, max_epochs=200, attack_steps=40, step_size=(("inf", 0.01),),
)
# robust accuracy: the strong evaluation (APGD-CE, APGD-margin, APGD-T at 10 steps) on 300 stratified test points;
# standard accuracy on the whole test set (10,000)
_MNIST_QUICK_EVAL = Evaluation(n_test=300, steps=10, restarts=1, eps=_MNIST_EVAL_EPS, standard_full_test=True)
_MNIST_PAPER_EVAL = Evaluation(n_test=None, steps=100, restarts=2, eps=_MNIST_EVAL_EPS)

_MNIST_QUICK_PICTURES = dict(linf=0.3, l2=2.0, attacks=(LargeEps("inf", 0.3, 60, 0.01), LargeEps("2", 4.0, 60, 0.1)),
                             n_metric=300, n_show=6, sanity_n=50, replicate_seeds=(0, 1, 2))

_MNIST = {
    "quick": dict(
        # Inside `make reproduce` (about 10 minutes of the deep part on 2 cores): the full training set (claims 6,
        # 7, 8) with 3 seeds paired by seed, n = 100 with 6 seeds (claim 5); the picture models and claim 10's
        # replicates are the full-data sweep runs (trained once).
        train=_MNIST_QUICK_TRAIN, eval=_MNIST_QUICK_EVAL,
        n=(100, 60000), n_full=60000, seeds=(0, 1, 2), small_n_seeds=(3, 4, 5),
        linf=(0.0, 0.1, 0.3), l2=(0.0, 2.0),
        mixed=(("inf", (0.3,)),),
        pictures=_MNIST_QUICK_PICTURES,
    ),
    "long": dict(
        # Its own command (`make reproduce-long`: `tradeoff deep reproduce --scale long`; about 60 minutes on 2
        # cores, estimated from the quick scale's measured CPU time per model): the quick recipe with more ε values,
        # 5 seeds (10 below full data) and Fig. 1/6 curves over n. MNIST only.
        train=_MNIST_QUICK_TRAIN, eval=_MNIST_QUICK_EVAL,
        n=(100, 1000, 10000, 60000), n_full=60000, seeds=(0, 1, 2, 3, 4), small_n_seeds=(5, 6, 7, 8, 9),
        linf=(0.0, 0.1, 0.2, 0.3), l2=(0.0, 1.0, 2.0),
        linf_by_n=(0.0, 0.1, 0.3), l2_by_n=(0.0, 1.0, 2.0),
        mixed=(("inf", (0.1, 0.3)), ("2", (2.0,))),
        pictures=_MNIST_QUICK_PICTURES,
    ),
    "paper": dict(
        train=_MNIST_PAPER_TRAIN, eval=_MNIST_PAPER_EVAL,
        n=(100, 300, 1000, 3000, 10000, 30000, 60000), n_full=60000, seeds=(0, 1, 2),
        linf=(0.0, 0.1, 0.2, 0.3), l2=(0.0, 0.5, 1.0, 1.5, 2.0, 2.5),
        mixed=(("inf", (0.1, 0.2, 0.3)), ("2", (1.0, 2.0))),
        pictures=dict(linf=0.3, l2=1.5, attacks=(LargeEps("inf", 0.3, 100, 0.01), LargeEps("2", 4.0, 100, 0.1)),
                      n_metric=1000, n_show=8, sanity_n=1000),
    ),
}

# ---------------------------------------------------------------------------------------------------------------
# CIFAR-10 (the JPEG copy by default)
_CIFAR_EVAL_EPS = (("inf", 8 / 255), ("2", 0.5))
_CIFAR = {
    "quick": dict(
        # CPU scale: a small conv-pool-conv-pool-fc net (the MNIST architecture at width 8), not a ResNet.
        train=Training(model="mnist_cnn", width=8, epochs=5, batch_size=32, lr=1e-3, optimizer="adam",
                       min_steps=150, max_epochs=20, attack_steps=5),
        eval=Evaluation(n_test=300, steps=10, restarts=1, eps=_CIFAR_EVAL_EPS),
        n=(500, 2000), n_full=2000, seeds=(0,),
        linf=(0.0, 8 / 255), l2=(0.0, 0.5),
        mixed=(("inf", (8 / 255,)),),
        pictures=dict(linf=8 / 255, l2=0.5, attacks=(LargeEps("inf", 0.125, 30, 0.01), LargeEps("2", 4.7, 30, 0.5)),
                      n_metric=50, n_show=5, sanity_n=50),
    ),
    "paper": dict(
        # Reconstruction: ResNet-18 width, SGD 0.1 momentum 0.9, weight decay 5e-4, PGD-7 of 2.5ε/7.
        train=Training(model="resnet18", width=64, epochs=50, batch_size=128, lr=0.1, optimizer="sgd",
                       weight_decay=5e-4, schedule="cosine", min_steps=5000, max_epochs=500, attack_steps=7),
        eval=Evaluation(n_test=None, steps=20, restarts=2, eps=_CIFAR_EVAL_EPS),
        n=(500, 1000, 2500, 5000, 10000, 25000, 50000), n_full=50000, seeds=(0, 1, 2),
        linf=(0.0, 2 / 255, 4 / 255, 8 / 255), l2=(0.0, 0.25, 0.5, 1.0),
        mixed=(("inf", (4 / 255, 8 / 255)), ("2", (0.5,))),
        pictures=dict(linf=4 / 255, l2=0.314, attacks=(LargeEps("inf", 0.125, 100, 0.004),
                                                       LargeEps("2", 4.7, 100, 0.2)),
                      n_metric=500, n_show=8, sanity_n=500),
    ),
}

# ---------------------------------------------------------------------------------------------------------------
# Restricted ImageNet. Known from the authors' code: ResNet-50, SGD Nesterov 0.9, lr 0.1, wd 1e-4, PGD 8 steps of
# ε/4, released models ℓ∞ 0.005 / ℓ2 1.0, large ε ℓ2 40 (40 × 1.5) and ℓ∞ 0.25 (120 × 0.003). The 203-image sample
# is far too small to train on: the quick scale is a toy (tiny ResNet, a couple of steps) that runs end to end.
_RIN_EVAL_EPS = (("inf", 0.005), ("2", 1.0))
_RIN = {
    "quick": dict(
        train=Training(model="resnet18", width=8, epochs=2, batch_size=32, lr=0.01, optimizer="sgd",
                       min_steps=0, max_epochs=2, attack_steps=2, image_size=64),
        eval=Evaluation(n_test=None, steps=3, restarts=1, eps=_RIN_EVAL_EPS),
        n=(203,), n_full=None, seeds=(0,),
        linf=(0.0, 0.005), l2=(0.0, 1.0),
        mixed=(("inf", (0.005,)),),
        # Toy images are 64 px: the ℓ2 large ε is the paper's 40 scaled by 64/224 (ℓ2 norms grow with the side).
        pictures=dict(linf=0.005, l2=1.0, attacks=(LargeEps("inf", 0.25, 10, 0.03), LargeEps("2", 11.4, 10, 1.7)),
                      n_metric=20, n_show=4, sanity_n=20),
    ),
    "paper": dict(
        # the authors' setup, stated once: deep/configs/restricted_imagenet_linf.toml and the report's defaults
        # table are checked against (tests) or printed from (reports/defaults.py) this definition
        train=Training(model="resnet50", width=64, epochs=110, batch_size=256, lr=0.1, optimizer="sgd",
                       momentum=0.9, nesterov=True, weight_decay=1e-4, schedule="multistep",
                       milestones=(30, 60, 85, 95, 105), attack_steps=8, step_fraction=(("inf", 0.25), ("2", 0.25)),
                       image_size=224),
        eval=Evaluation(n_test=None, steps=20, restarts=1, eps=_RIN_EVAL_EPS),
        n=(None,), n_full=None, seeds=(0,),
        linf=(0.0, 0.005), l2=(0.0, 1.0),
        mixed=(("inf", (0.005,)),),
        pictures=dict(linf=0.005, l2=1.0, attacks=(LargeEps("inf", 0.25, 120, 0.003), LargeEps("2", 40.0, 40, 1.5)),
                      n_metric=500, n_show=8, sanity_n=500),
    ),
}

_TABLES = {"mnist": _MNIST, "cifar10": _CIFAR, "rin": _RIN}


def _sweeps(dataset: str, scale: str) -> dict[str, SweepExperiment]:
    t = _TABLES[dataset][scale]
    common = dict(dataset=dataset, scale=scale, training=t["train"], evaluation=t["eval"],
                  reconstructed=not (dataset == "rin" and scale == "paper"), small_n_seeds=t.get("small_n_seeds", ()))
    out: dict[str, SweepExperiment] = {}
    if dataset != "rin":
        out["fig1"] = SweepExperiment(group="fig1", eps_train=(("2", t.get("l2_by_n", t["l2"])),), n_train=t["n"],
                                      seeds=t.get("seeds_by_n", t["seeds"]),
                                      note="standard accuracy vs training-set size, l2 training", **common)
        out["fig6"] = SweepExperiment(group="fig6", eps_train=(("inf", t.get("linf_by_n", t["linf"])),), n_train=t["n"],
                                      seeds=t.get("seeds_by_n", t["seeds"]),
                                      note="standard accuracy vs training-set size, linf training", **common)
    out["fig7"] = SweepExperiment(group="fig7", eps_train=(("inf", t["linf"]), ("2", t["l2"])),
                                  n_train=(t["n_full"],), seeds=t["seeds"],
                                  note="standard accuracy vs eps_train at the full training set",
                                  **{**common, "small_n_seeds": ()})
    out["mixed"] = SweepExperiment(group="mixed", eps_train=tuple(t["mixed"]), n_train=(t["n_full"],),
                                   seeds=t["seeds"], mixed=True,
                                   note="Appendix B: 50% clean / 50% adversarial batches",
                                   **{**common, "small_n_seeds": ()})
    return out


def _judge_width(train: Training) -> int:
    """The claim-11 judge's width: another recipe than the attacked models (twice the width of a small net, half
    that of a wide one, so that the judge never costs more than twice a standard model)."""
    return 2 * train.width if train.width < 32 else train.width // 2


def _pictures(dataset: str, scale: str) -> PictureExperiment:
    t = _TABLES[dataset][scale]
    p = t["pictures"]
    return PictureExperiment(
        dataset=dataset, scale=scale, n_train=t["n_full"], training=t["train"], evaluation=t["eval"],
        models=(ModelRef("standard", "inf", 0.0), ModelRef("linf", "inf", p["linf"]), ModelRef("l2", "2", p["l2"])),
        judge=ModelRef("standard-judge", "inf", 0.0, seed=1, width=p.get("judge_width", _judge_width(t["train"]))),
        attacks=p["attacks"], n_metric=p["n_metric"], replicate_seeds=tuple(p.get("replicate_seeds", ())),
        n_show=p["n_show"], sanity_n=p["sanity_n"], reconstructed=not (dataset == "rin" and scale == "paper"),
    )


def experiments(dataset: str, scale: str) -> dict[str, Experiment]:
    """All figure groups for ``dataset`` at ``scale``: ``{group: definition}`` (validated)."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    if scale not in _TABLES[dataset]:
        have = [s for s in SCALES if s in _TABLES[dataset]]
        raise ValueError(f"scale {scale!r} is not defined for {dataset}: choose one of {', '.join(have)}")
    out: dict[str, Experiment] = dict(_sweeps(dataset, scale))
    out["pictures"] = _pictures(dataset, scale)
    for e in out.values():
        validate(e)
    return out


def get(group: str, dataset: str, scale: str) -> Experiment:
    """One definition; ValueError naming the valid choices when ``group`` does not exist for this dataset."""
    exps = experiments(dataset, scale)
    if group not in exps:
        raise ValueError(f"no experiment {group!r} for {dataset}: choose one of {', '.join(exps)}")
    return exps[group]


def with_overrides(exp: Experiment, **changes) -> Experiment:
    """A copy of ``exp`` with fields replaced (``training=...``, ``seeds=...``, ...); validated."""
    return validate(replace(exp, **changes))


def validate(exp: Experiment) -> Experiment:
    """Check a definition; raise ValueError naming the first bad field. Returns ``exp``."""
    where = f"{exp.dataset}/{exp.scale}/{exp.group}"

    def bad(msg: str) -> None:
        raise ValueError(f"experiment {where}: {msg}")

    if exp.dataset not in DATASETS:
        bad(f"dataset must be one of {DATASETS}")
    if exp.scale not in SCALES + ("smoke", "test") and not exp.scale.startswith("gpu-"):
        bad(f"scale must be one of {SCALES}, smoke, test, or gpu-<name> for a reduced GPU plan")
    tr = exp.training
    if not 0 <= tr.eps_warmup < 1:
        bad("training eps_warmup must be a fraction in [0, 1)")
    if tr.epochs < 1 or tr.batch_size < 1 or tr.lr <= 0 or tr.attack_steps < 1 or tr.width < 1:
        bad("training needs epochs, batch_size, width, attack_steps >= 1 and lr > 0")
    ev = exp.evaluation
    if ev.steps < 1 or ev.restarts < 1 or (ev.n_test is not None and ev.n_test < 1):
        bad("evaluation needs steps, restarts, n_test >= 1")
    for norm, eps in ev.eps:
        if norm not in NORMS or eps <= 0:
            bad(f"evaluation eps ({norm}, {eps}) must have norm in {NORMS} and eps > 0")
    if isinstance(exp, SweepExperiment):
        if exp.group not in SWEEP_GROUPS:
            bad(f"group must be one of {SWEEP_GROUPS}")
        if not exp.eps_train or not exp.n_train or not exp.seeds:
            bad("eps_train, n_train and seeds must be non-empty")
        for norm, grid in exp.eps_train:
            if norm not in NORMS:
                bad(f"norm {norm!r} must be one of {NORMS}")
            if norm not in dict(ev.eps):
                bad(f"no evaluation eps for norm {norm!r}")
            if any(e < 0 for e in grid) or list(grid) != sorted(grid):
                bad(f"eps_train grid for {norm} must be increasing and >= 0, got {grid}")
            if norm == "inf" and any(e > 1 for e in grid):
                bad("linf eps_train must be <= 1 (pixel space)")
            if exp.mixed and 0.0 in grid:
                bad("mixed batches need eps_train > 0")
        if any(n is not None and n < 1 for n in exp.n_train):
            bad("n_train values must be >= 1 (or None for the whole training set)")
    else:
        names = [m.name for m in exp.models]
        if sorted(names) != ["l2", "linf", "standard"]:
            bad("pictures need exactly the models standard, linf and l2")
        std = next(m for m in exp.models if m.name == "standard")
        j = exp.judge
        other_width = j.width is not None and j.width != (std.width or tr.width)
        if j.seed == std.seed or not (other_width or j.eps_train > 0):
            bad("the judge must be of another recipe than the standard model: another seed and another width "
                "(ModelRef.width), or a robust model with another seed")
        if sorted(a.norm for a in exp.attacks) != ["2", "inf"]:
            bad("pictures need one large-eps attack per norm (inf and 2)")
        if any(a.eps <= 0 or a.steps < 1 or a.step_size <= 0 for a in exp.attacks):
            bad("large-eps attacks need eps, steps, step_size > 0")
        if exp.frames < 2 or exp.n_show < 1 or exp.n_metric < exp.n_show:
            bad("need frames >= 2, n_show >= 1 and n_metric >= n_show")
    return exp


def micro(exp: Experiment) -> Experiment:
    """A smoke-test version of a quick definition (scale ``smoke``, seconds per run): the same code path with
    tiny training sets, one epoch, few PGD steps and few images. Numbers from it mean nothing."""
    import dataclasses

    tr = dataclasses.replace(exp.training, epochs=1, min_steps=4, max_epochs=2,
                             attack_steps=min(3, exp.training.attack_steps))
    ev = dataclasses.replace(exp.evaluation, n_test=min(60, exp.evaluation.n_test or 60), steps=3, restarts=1)
    common = dict(scale="smoke", training=tr, evaluation=ev)
    if isinstance(exp, PictureExperiment):
        n = exp.n_train if exp.n_train is None else min(exp.n_train, 200)
        attacks = tuple(dataclasses.replace(a, steps=min(a.steps, 5)) for a in exp.attacks)
        return with_overrides(exp, n_train=n, n_metric=10, n_show=3, sanity_n=10, attacks=attacks,
                              replicate_seeds=(), **common)
    ns = tuple(sorted({n if n is None else min(n, 200) for n in exp.n_train}, key=lambda v: v or 0))
    if len(ns) > 2:
        ns = (ns[0], ns[-1])
    return with_overrides(exp, n_train=ns, seeds=exp.seeds[:1], small_n_seeds=(), **common)


def all_definitions() -> list[Experiment]:
    """Every definition for every dataset and scale (used by tests and ``tradeoff deep sweep --list``)."""
    return [e for d in DATASETS for s in SCALES if s in _TABLES[d] for e in experiments(d, s).values()]


__all__ = [
    "DATASETS", "DATASET_LABELS", "DATASET_NOTES", "DATASET_TITLES", "GROUPS", "SCALES", "SWEEP_GROUPS",
    "Evaluation", "Experiment",
    "LargeEps", "ModelRef", "PictureExperiment", "SweepExperiment", "Training", "all_definitions", "experiments",
    "get", "validate", "with_overrides", "CLASS_NAMES", "micro",
]
