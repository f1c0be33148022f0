"""Training-run configuration as data: the :class:`TrainConfig` schema (with its :class:`AdvConfig` and
:class:`EvalConfig` tables), its validation and its derived values (epochs, evaluation radii, identity and
fingerprint). Its TOML form (text and files) is deep.config_toml; the generic dict-to-dataclass converter and the
type check are deep.config_fields.

A run is fully described by one TrainConfig (dataset, model, optimiser, schedule, adversary, evaluation, seed,
device options). ``eps`` values are always in pixel space: inputs are in [0, 1] and normalisation happens inside
the model. Every invalid value is a one-line ValueError naming the field, what is allowed and how to write it in
TOML; ``name`` is a plain folder name (NAME_RULE) because the run folder is ``<build>/runs/<name>``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from tradeoff.data import checks
from tradeoff.data.registry import DATASETS, dataset_size

from .config_fields import check_types, from_dict

MODELS = ("mnist_cnn", "resnet9", "resnet18", "resnet50", "tiny_cnn")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "step", "multistep", "cosine", "cyclic", "anneal")
NORMS = ("inf", "2")
#: training objectives: Madry et al.'s PGD adversarial training, or TRADES (Zhang et al. 2019: clean loss + β·KL)
ADV_METHODS = ("pgd", "trades")
TRADES_DEFAULT_BETA = 6.0
DEVICES = ("auto", "cpu", "cuda")
EVAL_ATTACKS = ("pgd", "ensemble")
# A run's name is its folder under <build>/runs: one plain path component, never '..', '/', '\\' or a hidden name.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+=-]{0,199}")
NAME_RULE = ("a plain folder name: letters, digits and . _ - + =, starting with a letter or digit, at most 200 "
             "characters (no '/', '\\', spaces or leading dot); the run folder is <build>/runs/<name>")



def _norm_str(v: Any) -> str:
    """A norm written as a number (``norm = 2``, ``norm = inf``) as its name (``"2"``, ``"inf"``)."""
    return "inf" if v == math.inf else str(int(v)) if float(v).is_integer() else str(v)


#: the metadata of a norm field: a number is read as the norm's name (deep.config_fields.from_dict)
_NORM = {"from_number": _norm_str}
#: fields that were renamed: how to write them now
RENAMED = {"adv.eps_warmup_epochs": "write adv.eps_warmup = FRACTION, the fraction of the epochs over which eps "
                                    "ramps up (e.g. 6 of 40 epochs: 0.15)"}

@dataclass
class AdvConfig:
    """The training adversary: PGD in the ``norm`` ball of radius ``eps`` (pixel space).

    ``eps = 0`` means standard training. The PGD step is ``step_size`` when given, else ``step_fraction · eps``
    when given (e.g. 0.25 for the authors' Restricted ImageNet step ε/4), else ``2.5 * eps / steps`` (Madry et al.;
    deep.attacks.steps.default_step_size); at most one of the two may be set. ``mixed = True`` trains on batches
    that are half clean, half adversarial (the paper's Appendix B). ``eps_warmup`` in [0, 1) ramps eps linearly
    from 0 over that fraction of the epochs (0 = off; a reconstruction aid, not the paper's setup: a few hundred
    steps of ℓ∞ ε = 0.3 training from scratch otherwise stay at chance accuracy). ``method``: ``"pgd"`` trains on
    the PGD points (Madry et al.); ``"trades"`` minimises ``CE(f(x), y) + beta · max_{x' in ball} KL(f(x) || f(x'))``
    (Zhang et al. 2019; deep.trades), the inner maximum found by ``steps`` PGD steps of the same step size on the KL
    term from ``x`` plus a 0.001-scaled Gaussian; ``beta`` (>= 0, default 6) is read by TRADES only; ``beta = 0``
    is standard training."""

    norm: str = field(default="inf", metadata=_NORM)
    eps: float = 0.0
    step_size: float | None = None
    step_fraction: float | None = None
    steps: int = 7
    random_start: bool = True
    mixed: bool = False
    eps_warmup: float = 0.0
    method: str = "pgd"
    beta: float = TRADES_DEFAULT_BETA

    @property
    def enabled(self) -> bool:
        """True for adversarial training (``eps > 0``); ``eps = 0`` is standard training."""
        return self.eps > 0

    @property
    def trades(self) -> bool:
        """True for TRADES training (``method = "trades"``, which needs ``eps > 0``)."""
        return self.method == "trades"

    @property
    def attack_steps(self) -> int:
        """Attack steps per training step: ``steps`` for adversarial (PGD or TRADES) training, 0 for standard
        training."""
        return self.steps if self.enabled else 0

    @property
    def training_method(self) -> str:
        """``"standard"`` (``eps = 0``), ``"pgd"`` (Madry et al.) or ``"trades"`` (Zhang et al. 2019)."""
        return "standard" if not self.enabled else self.method

    def step_at(self, eps: float) -> float:
        """The PGD step at radius ``eps`` (pixel space): ``step_size`` (scaled by eps / adv.eps while ε warms up),
        else ``step_fraction · eps``, else 2.5·eps/steps (Madry et al.)."""
        from .attacks.steps import default_step_size

        if self.step_size is not None:
            return self.step_size * eps / self.eps if self.eps_warmup > 0 and self.eps > 0 else self.step_size
        if self.step_fraction is not None:
            return self.step_fraction * eps
        return default_step_size(eps, self.steps)

    def resolved_step_size(self) -> float:
        """The PGD step size at the full radius ``eps`` (:meth:`step_at`)."""
        return self.step_at(self.eps)


@dataclass
class EvalConfig:
    """Held-out evaluation. Every ``every`` epochs (0: never during training): clean accuracy and PGD accuracy at
    each ``eps`` on ``n_epoch`` held-out examples (stratified; None = all). At the end: the same on ``n_final``
    examples (None = whole test set) with ``restarts`` random restarts. ``norm`` None means the training norm (or
    inf for standard training).

    ``norms`` (several threat models, e.g. a standard model of a sweep measured in ℓ∞ and ℓ2): when non-empty,
    ``eps[i]`` is the radius in ``norms[i]`` (same length; ``norm`` must then be unset and ``every`` 0, the
    per-epoch monitor measures one norm). ``attack``: the final evaluation's attack, ``"pgd"`` (PGD with
    ``restarts`` random starts) or ``"ensemble"`` (the strong default ensemble of deep.evaluate.evaluate,
    PGD then APGD-CE / APGD-margin / APGD-T). ``standard_full_test``: the standard (clean) accuracy is measured on
    the whole test set (one forward pass, cheap; its 95% binomial half-width 1.96·√(p(1−p)/n) is ≈ 0.008 at
    p = 0.8 on MNIST's 10,000 points instead of 0.035 on 500) while the robust accuracy stays on ``n_final``.
    ``norms``, ``standard_full_test`` and ``attack = "ensemble"`` are evaluated by the experiment engine
    (deep.experiments.engine, ``tradeoff deep sweep|reproduce``)."""

    eps: list[float] = field(default_factory=list)
    norm: str | None = field(default=None, metadata=_NORM)
    norms: list[str] = field(default_factory=list, metadata=_NORM)
    steps: int = 20
    step_size: float | None = None
    restarts: int = 1
    every: int = 1
    n_epoch: int | None = 1000
    n_final: int | None = None
    batch_size: int = 500
    attack: str = "pgd"
    standard_full_test: bool = False

    def resolved_step_size(self, eps: float) -> float:
        """The evaluation PGD step at radius ``eps``: ``step_size``, else 2.5·eps/steps."""
        from .attacks.steps import default_step_size

        return self.step_size if self.step_size is not None else default_step_size(eps, self.steps)

    def radii(self, default_norm: str = "inf") -> list[tuple[str, float]]:
        """``[(norm, eps), ...]`` evaluated: the ``(norms[i], eps[i])`` pairs, else every ``eps`` in ``norm``
        (``default_norm`` when unset)."""
        if self.norms:
            return [(n, float(e)) for n, e in zip(self.norms, self.eps)]
        return [(self.norm or default_norm, float(e)) for e in self.eps]

    def eps_in(self, norm: str) -> float:
        """The one evaluation radius in ``norm``; ValueError when there is none."""
        for n, e in self.radii():
            if n == norm:
                return e
        raise ValueError(f"the evaluation has no radius in norm {norm!r}: add it to eval.norms / eval.eps")


@dataclass
class TrainConfig:
    """Everything a training run needs. Defaults are the reconstructed MNIST setup of docs/paper.md §6.

    The epoch rule (small training sets get more passes, so every run of a grid sees a comparable number of steps):
    a run trains ``max(epochs, ceil(min_steps · batch_size / n))`` epochs on its n training points, capped at
    ``max_epochs`` (None: no cap; never below ``epochs``); ``min_steps = 0`` (the default) trains ``epochs``.
    :meth:`resolve_epochs` applies it (the trainer does, before anything else). ``image_size``: the side length
    the images of a data set read from its folder (data.registry ``in_memory`` False: Restricted ImageNet) are
    resized to where the experiment engine loads them into memory (None: the dataset's own, 224); only for those."""

    name: str = "run"
    dataset: str = "mnist"
    n_train: int | None = None
    data_root: str | None = None
    data_seed: int = 0
    model: str = "mnist_cnn"
    width: int | None = None
    epochs: int = 10
    min_steps: int = 0
    max_epochs: int | None = None
    image_size: int | None = None
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "constant"
    milestones: list[float] = field(default_factory=list)
    gamma: float = 0.1
    step_epochs: float = 30.0
    warmup_epochs: float = 0.0
    adv: AdvConfig = field(default_factory=AdvConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    deterministic: bool = True
    checkpoint_every: int = 1
    progress: bool = True

    # ------------------------------------------------------------------ validation
    def validate(self) -> TrainConfig:
        """Raise ValueError naming the first bad field and its allowed values; return self."""

        def bad(name: str, value: Any, allowed: str) -> None:
            raise ValueError(f"config field {name!r} = {value!r} is invalid: allowed {allowed}")

        def choice(name: str, value: Any, options: tuple) -> None:
            if value not in options:
                bad(name, value, "one of " + ", ".join(repr(o) for o in options))

        def positive(name: str, value: Any, allow_zero: bool = False, integer: bool = False) -> None:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            ok = ok and (value >= 0 if allow_zero else value > 0) and (not integer or isinstance(value, int))
            if not ok:
                kind = "an integer" if integer else "a number"
                bad(name, value, f"{kind} {'>= 0' if allow_zero else '> 0'}")

        check_types(self, "")
        check_types(self.adv, "adv.")
        check_types(self.eval, "eval.")
        if not NAME_PATTERN.fullmatch(self.name):
            bad("name", self.name, NAME_RULE)
        choice("dataset", self.dataset, tuple(DATASETS))
        choice("model", self.model, MODELS)
        choice("optimizer", self.optimizer, OPTIMIZERS)
        choice("schedule", self.schedule, SCHEDULES)
        choice("device", self.device, DEVICES)
        choice("adv.norm", self.adv.norm, NORMS)
        if self.eval.norm is not None:
            choice("eval.norm", self.eval.norm, NORMS)
        if self.n_train is not None:
            positive("n_train", self.n_train, integer=True)
        if self.width is not None:
            positive("width", self.width, integer=True)
        for name in ("epochs", "batch_size", "checkpoint_every"):
            positive(name, getattr(self, name), integer=True)
        positive("min_steps", self.min_steps, allow_zero=True, integer=True)
        if self.max_epochs is not None:
            positive("max_epochs", self.max_epochs, integer=True)
        if self.image_size is not None:
            positive("image_size", self.image_size, integer=True)
            folders = [n for n, d in DATASETS.items() if not d.in_memory]  # read image by image, resized in memory
            if self.dataset not in folders:
                bad("image_size", self.image_size, '"none" except for dataset ' + " or ".join(map(repr, folders)))
        positive("lr", self.lr)
        for name in ("momentum", "weight_decay", "gamma", "warmup_epochs"):
            positive(name, getattr(self, name), allow_zero=True)
        if self.momentum >= 1:
            bad("momentum", self.momentum, "a number in [0, 1) (1 or more makes SGD diverge)")
        for name in ("seed", "data_seed"):
            positive(name, getattr(self, name), allow_zero=True, integer=True)
        for i, m in enumerate(self.milestones):
            positive(f"milestones[{i}]", m, allow_zero=True)
        positive("step_epochs", self.step_epochs)
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            bad("nesterov", self.nesterov, "true only with optimizer 'sgd' and momentum > 0")
        if self.schedule == "multistep" and not self.milestones:
            bad("milestones", self.milestones, "a non-empty list of epochs when schedule = 'multistep'")
        if list(self.milestones) != sorted(self.milestones):
            bad("milestones", self.milestones, "an increasing list of epochs")
        positive("adv.eps", self.adv.eps, allow_zero=True)
        positive("adv.steps", self.adv.steps, integer=True)
        positive("adv.eps_warmup", self.adv.eps_warmup, allow_zero=True)
        if self.adv.eps_warmup >= 1:
            bad("adv.eps_warmup", self.adv.eps_warmup, "a fraction of the epochs in [0, 1)")
        if self.adv.step_size is not None:
            positive("adv.step_size", self.adv.step_size)
        if self.adv.step_fraction is not None:
            positive("adv.step_fraction", self.adv.step_fraction)
            if self.adv.step_size is not None:
                bad("adv.step_fraction", self.adv.step_fraction, '"none" when adv.step_size is set (give one)')
        if self.adv.mixed and not self.adv.enabled:
            bad("adv.mixed", True, "true only with adv.eps > 0")
        choice("adv.method", self.adv.method, ADV_METHODS)
        positive("adv.beta", self.adv.beta, allow_zero=True)
        if self.adv.trades and not self.adv.enabled:
            bad("adv.eps", self.adv.eps, "> 0 with adv.method = 'trades' (the radius of its KL maximisation; "
                "standard training is adv.eps = 0 with method 'pgd')")
        if self.adv.trades and self.adv.mixed:
            bad("adv.mixed", True, "false with adv.method = 'trades' (TRADES already weighs clean and adversarial "
                "terms by adv.beta)")
        if not self.adv.trades and self.adv.beta != TRADES_DEFAULT_BETA:
            bad("adv.beta", self.adv.beta, "only with adv.method = 'trades' (PGD training ignores it): set "
                "method = \"trades\" under [adv] or drop beta")
        if self.adv.norm == "inf" and self.adv.eps > 1:
            bad("adv.eps", self.adv.eps, "<= 1 for the inf norm (pixel space is [0, 1])")
        checks.eps("config field 'adv.eps'", self.adv.eps, self.adv.norm, dim=self.input_dim)
        for i, e in enumerate(self.eval.eps):
            positive(f"eval.eps[{i}]", e)
        for name in ("steps", "restarts", "batch_size"):
            positive(f"eval.{name}", getattr(self.eval, name), integer=True)
        positive("eval.every", self.eval.every, allow_zero=True, integer=True)
        for name in ("n_epoch", "n_final"):
            if getattr(self.eval, name) is not None:
                positive(f"eval.{name}", getattr(self.eval, name), integer=True)
        if self.eval.step_size is not None:
            positive("eval.step_size", self.eval.step_size)
        choice("eval.attack", self.eval.attack, EVAL_ATTACKS)
        if self.eval.norms:
            for i, n in enumerate(self.eval.norms):
                choice(f"eval.norms[{i}]", n, NORMS)
            if len(self.eval.norms) != len(self.eval.eps):
                bad("eval.norms", self.eval.norms, f"one norm per radius of eval.eps = {self.eval.eps}")
            if self.eval.norm is not None:
                bad("eval.norm", self.eval.norm, '"none" when eval.norms pairs every radius with its norm')
            if self.eval.every:
                bad("eval.every", self.eval.every, "0 with eval.norms (the per-epoch monitor measures one norm)")
        self._check_against_data()
        return self

    def _check_against_data(self) -> None:
        """The fields that the data set bounds (data.checks): each evaluation radius within its norm's range in the
        [0, 1] pixel box, ``n_train`` and ``eval.n_final`` within the splits' real sizes (refused, never cut),
        ``data_root`` a non-empty path and none for the synthetic ``toy``; and the time guards of the sizes."""
        for i, (norm, e) in enumerate(self.eval.radii(self.eval_norm)):
            checks.eps(f"config field 'eval.eps[{i}]'", e, norm, dim=self.input_dim, positive=True,
                       fix=f"give the radius in pixel units for the {norm} norm")
        dataset_size("config field 'n_train'", self.n_train, self.dataset, "train",
                            fix=f"the {self.dataset} training split has {DATASETS[self.dataset].train_size} examples; "
                                'give at most that many, or "none" for all of them')
        dataset_size("config field 'eval.n_final'", self.eval.n_final, self.dataset, "test",
                            fix=f"the {self.dataset} held-out split has {DATASETS[self.dataset].test_size} examples; "
                                'give at most that many, or "none" for all of them')
        if self.data_root is not None:
            checks.path_text("config field 'data_root'", self.data_root)
            if not DATASETS[self.dataset].reads_folder:
                raise ValueError(f"config field 'data_root' = {self.data_root!r} is invalid: allowed \"none\" for "
                                 f"dataset {self.dataset!r} (it reads no folder)")
        for name, value, most in (("epochs", self.epochs, 100_000), ("batch_size", self.batch_size, 2**20),
                                  ("adv.steps", self.adv.steps, 10_000), ("eval.steps", self.eval.steps, 100_000),
                                  ("eval.restarts", self.eval.restarts, 1_000), ("width", self.width, 65_536),
                                  ("image_size", self.image_size, 4_096), ("max_epochs", self.max_epochs, 100_000),
                                  ("min_steps", self.min_steps, 10**9)):
            if value is not None and value > most:
                raise ValueError(f"config field {name!r} = {value} is invalid: allowed at most {most} (a time and "
                                 "memory guard: a value this large is a typing mistake more often than a wish)")

    @property
    def input_dim(self) -> int:
        """Pixels per input image (C·H·W; ``image_size`` when set): the n of the [0, 1]^n box that bounds an l_2
        radius."""
        spec = DATASETS.get(self.dataset)
        if spec is None:
            return 0
        side = self.image_size or spec.image_size
        return spec.in_channels * side * side

    # ------------------------------------------------------------------ derived values
    @property
    def eval_norm(self) -> str:
        """The evaluation norm: ``eval.norm``, else the first of ``eval.norms``, else the training norm (ℓ∞ for
        standard training)."""
        if self.eval.norms:
            return self.eval.norms[0]
        return self.eval.norm or (self.adv.norm if self.adv.enabled else "inf")

    def epochs_for(self, n: int) -> int:
        """Epochs for ``n`` training points: ``max(epochs, ceil(min_steps · batch_size / n))`` capped at
        ``max_epochs`` (never below ``epochs``)."""
        need = math.ceil(self.min_steps * self.batch_size / max(n, 1)) if self.min_steps else 0
        cap = max(self.max_epochs, self.epochs) if self.max_epochs is not None else None
        epochs = max(self.epochs, need)
        return int(min(epochs, cap) if cap is not None else epochs)

    def resolve_epochs(self) -> TrainConfig:
        """This config with the epoch rule applied (``epochs = epochs_for(n)``; ``min_steps`` 0 and
        ``max_epochs`` None afterwards, so resolving twice changes nothing). ``n`` is ``n_train``, else the
        dataset's training-set size (data.registry.Dataset.train_size); ValueError when neither is known."""
        if not self.min_steps:
            return self
        n = self.n_train
        if n is None:
            from tradeoff.data.registry import dataset_info

            n = dataset_info(self.dataset).train_size
        if n is None:
            raise ValueError(f"config field 'min_steps' = {self.min_steps} needs n_train for dataset "
                             f"{self.dataset!r} (its training-set size is not known in advance): set n_train or "
                             "min_steps = 0")
        return self.replace(epochs=self.epochs_for(n), min_steps=0, max_epochs=None)

    @property
    def needs_experiment_engine(self) -> bool:
        """True when the evaluation asks for what only the experiment engine measures (eval.norms,
        eval.standard_full_test; deep.experiments.engine)."""
        return bool(self.eval.norms) or self.eval.standard_full_test

    def to_dict(self) -> dict:
        """Plain nested dict (TOML/JSON-ready; None values kept)."""
        return dataclasses.asdict(self)

    def identity(self) -> dict:
        """The fields that determine the trained weights and their evaluation (the name, the machine's data folder,
        progress bars, compilation, checkpoint cadence and device excluded)."""
        d = self.to_dict()
        for k in ("name", "data_root", "progress", "compile", "checkpoint_every", "device"):
            d.pop(k)
        if d["adv"]["method"] == "pgd":  # PGD ignores beta: PGD identities (fingerprints) predate TRADES
            d["adv"].pop("method")
            d["adv"].pop("beta")
        return d

    def fingerprint(self) -> str:
        """A short hash of :meth:`identity`: a run's one identity (stored with its checkpoints to refuse resuming a
        different config; the suffix of an experiment's run id)."""
        blob = json.dumps(self.identity(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with top-level fields changed; nested tables may be given as dicts (merged into the current)."""
        d = self.to_dict()
        for k, v in changes.items():
            if k in ("adv", "eval") and isinstance(v, dict):
                d[k].update(v)
            elif k in ("adv", "eval"):
                d[k] = dataclasses.asdict(v)
            else:
                d[k] = v
        return config_from_dict(d)


def config_from_dict(data: dict) -> TrainConfig:
    """Build and validate a TrainConfig from a nested dict; unknown fields are errors naming the field and listing
    the valid ones. The string ``"none"`` stands for None (TOML has no null). A single number where a list is
    expected (``eps = 0.05``, ``milestones = 50``) is read as a one-element list; integers are accepted for numbers.
    Every other type mismatch (``amp = "false"``, ``name = 5``) is an error naming the field and its TOML spelling
    (deep.config_fields)."""
    cfg = from_dict(TrainConfig, dict(data), "", RENAMED)
    return cfg.validate()
