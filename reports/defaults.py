"""The experimental defaults of docs/paper.md §5–6, as data, each marked with where it comes from.

Values the paper's appendix does not let us confirm are **reconstructions**: the report prints them with the
status ``RECONSTRUCTED``. Values taken from the authors' released code (Restricted ImageNet) or stated in the paper's
main text carry another status. The deep rows are printed from the experiment definitions
(deep.experiments.definitions, the TrainConfig templates ``tradeoff deep reproduce`` runs), for each scale.
"""

from __future__ import annotations

from dataclasses import dataclass

RECONSTRUCTED = "reconstructed (not confirmed from the paper)"
FROM_AUTHORS_CODE = "from the authors' released code"
FROM_PAPER = "stated in the paper"


@dataclass(frozen=True)
class Default:
    """One set-up value: the experiment it belongs to, the setting, its value per dataset, and its status."""

    experiment: str
    setting: str
    mnist: str
    cifar10: str
    restricted_imagenet: str = "—"
    status: str = RECONSTRUCTED


DEFAULTS: tuple[Default, ...] = (
    Default("theory D(d, p, η)", "example parameters", "p = 0.95, ε = 2η, η√d ≥ 3 (Thm 2: η ≥ 4/√d)", "—", "—",
            FROM_PAPER),
    Default("Fig. 5 linear 5 vs 7", "ε_train = ε_eval (ℓ∞)", "0.2", "—"),
    Default("Fig. 5 linear 5 vs 7", "top-k grid", "log grid from 1 to 784 pixels", "—"),
)

QUICK_SCALE = "quick scale (CPU minutes; smaller than the paper's set-up)"
_MODEL_NAMES = {"resnet50": "ResNet-50", "resnet18": "ResNet-18", "resnet9": "ResNet-9 (fast, reconstruction)",
                "mnist_cnn": "MNIST CNN", "tiny_cnn": "tiny CNN"}
_NORM = {"inf": "ℓ∞", "2": "ℓ2"}


def _eps(e: float, dataset: str, norm: str = "inf") -> str:
    """ε as the paper writes it: k/255 for ℓ∞ on CIFAR-10 when it is one, else the shortest decimal."""
    k = e * 255
    if dataset == "cifar10" and norm == "inf" and e > 0 and abs(k - round(k)) < 1e-9:
        return f"{round(k)}/255"
    return f"{e:g}"


def _training(t) -> str:
    """Model, optimiser, schedule, batch and epoch rule of a TrainConfig template."""
    model = _MODEL_NAMES.get(t.model, t.model) + (f" width {t.width}" if t.width else "")
    opt = t.optimizer.upper() if t.optimizer == "sgd" else "Adam"
    if t.optimizer == "sgd" and t.momentum:
        opt += f" {'Nesterov ' if t.nesterov else ''}{t.momentum:g}"
    lr = f"lr {t.lr:g}"
    if t.schedule == "multistep":
        lr += f" ÷10 at epochs {'/'.join(f'{m:g}' for m in t.milestones)}"
    elif t.schedule == "anneal":
        from tradeoff.deep.schedules import ANNEAL_TAIL

        lr += f" (anneal: linearly to 0 over the last {ANNEAL_TAIL:.0%} of training)"
    elif t.schedule != "constant":
        lr += f" ({t.schedule})"
    epochs = f"{t.epochs} epochs"
    if t.min_steps:
        epochs = (f"max({t.epochs}, ⌈{t.min_steps} steps × batch / n⌉) epochs"
                  + (f" (at most {t.max_epochs})" if t.max_epochs else ""))
    wd = f"; weight decay {t.weight_decay:g}" if t.weight_decay else ""
    size = f"; images {t.image_size} px" if t.image_size else ""
    return f"{model}; {opt}, {lr}{wd}; batch {t.batch_size}, {epochs}{size}"


def _pgd_training(exp) -> str:
    """The training adversary of each norm of a sweep (its template's [adv] with the per-norm changes)."""
    from tradeoff.deep.config import AdvConfig

    parts = []
    for norm in ("inf", "2"):
        a = AdvConfig(**{**exp.template.adv.__dict__, **dict(dict(exp.adv_by_norm).get(norm, ())), "norm": norm,
                         "eps": 1.0})
        step = (f"{a.step_size:g}" if a.step_size is not None else
                f"ε/{1 / a.step_fraction:g}" if a.step_fraction is not None else f"2.5ε/{a.steps}")
        parts.append(f"{_NORM[norm]}: {a.steps} steps of {step}")
    a = exp.template.adv
    tail = ", random start" if a.random_start else ", no random start"
    if a.eps_warmup:
        tail += f"; ε ramped up over the first {a.eps_warmup:.0%} of the epochs (not the paper's)"
    return "; ".join(parts) + tail


def _evaluation(exp) -> str:
    """The run's one evaluation (its template's [eval])."""
    ev = exp.template.eval
    attack = "the strong ensemble (PGD, APGD-CE, APGD-margin, APGD-T)" if ev.attack == "ensemble" else "PGD"
    radii = ", ".join(f"{_NORM[n]} {_eps(e, exp.dataset, n)}" for n, e in ev.radii())
    n = "the whole test set" if ev.n_final is None else f"{ev.n_final} test points"
    full = " (standard accuracy on the whole test set)" if ev.standard_full_test and ev.n_final else ""
    return f"{attack}, {ev.steps} steps × {ev.restarts} restart(s), at {radii}, on {n}{full}"


def _grid(exp, norm: str) -> str:
    grid = dict(exp.eps_train).get(norm)
    return ", ".join(_eps(e, exp.dataset, norm) for e in grid) if grid else "—"


def scale_rows(scale: str) -> tuple[Default, ...]:
    """The deep set-up rows of ``scale`` (quick or paper), printed from the experiment definitions
    (deep.experiments.definitions: the TrainConfig templates and grids) that ``tradeoff deep reproduce --scale``
    runs, so that the report cannot show another set-up."""
    from tradeoff.deep.experiments import definitions as D

    where = "deep" if scale == "paper" else "deep (quick)"
    status = RECONSTRUCTED if scale == "paper" else QUICK_SCALE
    m, c = D.experiments("mnist", scale), D.experiments("cifar10", scale)
    pics = {d: e["pictures"] for d, e in (("mnist", m), ("cifar10", c))}

    def row(setting: str, f, exps=(m, c), experiment: str = where) -> Default:
        return Default(experiment, setting, *(f(e) for e in exps), status=status)

    def models(p) -> str:
        return ", ".join(f"{_NORM[r.norm]} {_eps(r.eps_train, p.dataset, r.norm)}" for r in p.models
                         if r.eps_train > 0)

    return (
        row("training", lambda e: _training(e["fig7"].template)),
        row("ℓ∞ ε_train grid", lambda e: _grid(e["fig7"], "inf"), experiment=f"{where} (Fig. 6, 7)"),
        row("ℓ2 ε_train grid", lambda e: _grid(e["fig7"], "2"), experiment=f"{where} (Fig. 1, 7)"),
        row("training-set sizes", lambda e: ", ".join(str(n) for n in e["fig6"].n_train),
            experiment=f"{where} (Fig. 1, 6)"),
        row("seeds", lambda e: f"{len(e['fig7'].seeds)} (Fig. 7), {len(e['fig6'].seeds)} (Fig. 1, 6)"),
        row("PGD for training", lambda e: _pgd_training(e["fig7"])),
        row("evaluation", lambda e: _evaluation(e["fig7"])),
        row("large ε", lambda p: ", ".join(f"{_NORM[a.norm]} {a.eps:g} ({a.steps} × {a.step_size:g})"
                                          for a in p.attacks), exps=(pics["mnist"], pics["cifar10"]),
            experiment=f"{where} (Fig. 3, 8, 9)"),
        row("example models", models, exps=(pics["mnist"], pics["cifar10"]), experiment=f"{where} (Fig. 2, 3)"),
    ) + restricted_imagenet_rows(scale)


def restricted_imagenet_rows(scale: str = "paper") -> tuple[Default, ...]:
    """The Restricted ImageNet set-up as ``tradeoff deep reproduce --scale SCALE`` runs it, printed from the
    experiment definitions (its TrainConfig template): at the paper scale the authors' released set-up."""
    from tradeoff.deep.experiments import definitions as D

    exps = D.experiments("restricted_imagenet", scale)
    fig7, pics = exps["fig7"], exps["pictures"]
    status = FROM_AUTHORS_CODE if scale == "paper" else QUICK_SCALE
    where = "Restricted ImageNet" if scale == "paper" else "Restricted ImageNet (quick: toy on the 203-image sample)"
    training = _training(fig7.template) + (" (the authors' epoch: 300 steps)" if scale == "paper" else "")
    models = ", ".join(f"{_NORM[r.norm]} ε = {r.eps_train:g}" for r in pics.models if r.eps_train > 0)
    large = ", ".join(f"{_NORM[a.norm]} {a.eps:g} ({a.steps} × {a.step_size:g})" for a in pics.attacks)
    return (Default(where, "training", "—", "—", training, status),
            Default(where, "PGD for training", "—", "—", _pgd_training(fig7), status),
            Default(where, "evaluation", "—", "—", _evaluation(fig7), status),
            Default(where, "models / large ε", "—", "—", f"{models}; large ε: {large}", status))


def reconstructed_defaults() -> tuple[Default, ...]:
    """The defaults table (docs/paper.md §5–6) in a fixed order: the theory and linear rows, then the deep set-up of
    the paper scale and of the quick scale, printed from the experiment definitions (:func:`scale_rows`)."""
    return DEFAULTS + scale_rows("paper") + scale_rows("quick")
