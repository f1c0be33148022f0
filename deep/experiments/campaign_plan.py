"""A GPU campaign's plan: the definitions it trains and their order, most informative first (the runner is
deep.experiments.campaign; what earlier windows left and what each item costs, deep.experiments.campaign_inventory).

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
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

from tradeoff.data.registry import DATASETS

from ..config import TrainConfig
from . import definitions as D
from .sweep import RunSpec

#: The campaign's datasets, in the order they are planned: the registered ones that can be packed for a GPU window
#: (data.registry.Dataset.packed_ratio).
DATASET_ORDER = tuple(name for name, d in DATASETS.items() if d.packed_ratio is not None)
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
        """The item's place in the plan (see the module docstring)."""
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
