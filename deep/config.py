"""Training-run configuration as data: the :class:`TrainConfig` dataclass and its TOML form.

A run is fully described by one TrainConfig (dataset, model, optimiser, schedule, adversary, evaluation, seed,
device options). ``eps`` values are always in pixel space: inputs are in [0, 1] and normalisation happens inside
the model. Reading TOML uses :mod:`tomllib` (Python >= 3.11) or the ``tomli`` package on 3.10; writing needs
nothing (the writer below handles the flat tables this config uses).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DATASETS = ("mnist", "cifar10", "restricted_imagenet", "toy")
MODELS = ("mnist_cnn", "resnet18", "resnet50", "tiny_cnn")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "step", "multistep", "cosine", "cyclic")
NORMS = ("inf", "2")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class AdvConfig:
    """The training adversary: PGD in the ``norm`` ball of radius ``eps`` (pixel space).

    ``eps = 0`` means standard training. ``step_size`` defaults to ``2.5 * eps / steps`` (Madry et al.).
    ``mixed = True`` trains on batches that are half clean, half adversarial (the paper's Appendix B).
    ``eps_warmup_epochs`` ramps eps linearly from 0 over that many epochs (0 = off; a reconstruction aid, not the
    paper's setup)."""

    norm: str = "inf"
    eps: float = 0.0
    step_size: float | None = None
    steps: int = 7
    random_start: bool = True
    mixed: bool = False
    eps_warmup_epochs: float = 0.0

    @property
    def enabled(self) -> bool:
        """True for adversarial training (``eps > 0``); ``eps = 0`` is standard training."""
        return self.eps > 0

    def resolved_step_size(self) -> float:
        """The PGD step size in pixel space: ``step_size``, else 2.5·eps/steps (Madry et al.)."""
        from .attacks.steps import default_step_size

        return self.step_size if self.step_size is not None else default_step_size(self.eps, self.steps)


@dataclass
class EvalConfig:
    """Held-out evaluation. Every ``every`` epochs (0: never during training): clean accuracy and PGD accuracy at
    each ``eps`` on ``n_epoch`` held-out examples (stratified; None = all). At the end: the same on ``n_final``
    examples (None = whole test set) with ``restarts`` random restarts. ``norm`` None means the training norm (or
    inf for standard training)."""

    eps: list[float] = field(default_factory=list)
    norm: str | None = None
    steps: int = 20
    step_size: float | None = None
    restarts: int = 1
    every: int = 1
    n_epoch: int | None = 1000
    n_final: int | None = None
    batch_size: int = 500

    def resolved_step_size(self, eps: float) -> float:
        """The evaluation PGD step at radius ``eps``: ``step_size``, else 2.5·eps/steps."""
        from .attacks.steps import default_step_size

        return self.step_size if self.step_size is not None else default_step_size(eps, self.steps)


@dataclass
class TrainConfig:
    """Everything a training run needs. Defaults are the reconstructed MNIST setup of /work/shared/PAPER.md §6."""

    name: str = "run"
    dataset: str = "mnist"
    n_train: int | None = None
    data_root: str | None = None
    data_seed: int = 0
    model: str = "mnist_cnn"
    width: int | None = None
    epochs: int = 10
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

        choice("dataset", self.dataset, DATASETS)
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
        positive("lr", self.lr)
        for name in ("momentum", "weight_decay", "gamma", "warmup_epochs"):
            positive(name, getattr(self, name), allow_zero=True)
        positive("step_epochs", self.step_epochs)
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            bad("nesterov", self.nesterov, "true only with optimizer 'sgd' and momentum > 0")
        if self.schedule == "multistep" and not self.milestones:
            bad("milestones", self.milestones, "a non-empty list of epochs when schedule = 'multistep'")
        if list(self.milestones) != sorted(self.milestones):
            bad("milestones", self.milestones, "an increasing list of epochs")
        positive("adv.eps", self.adv.eps, allow_zero=True)
        positive("adv.steps", self.adv.steps, integer=True)
        positive("adv.eps_warmup_epochs", self.adv.eps_warmup_epochs, allow_zero=True)
        if self.adv.step_size is not None:
            positive("adv.step_size", self.adv.step_size)
        if self.adv.mixed and not self.adv.enabled:
            bad("adv.mixed", True, "true only with adv.eps > 0")
        if self.adv.norm == "inf" and self.adv.eps > 1:
            bad("adv.eps", self.adv.eps, "<= 1 for the inf norm (pixel space is [0, 1])")
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
        return self

    # ------------------------------------------------------------------ derived values
    @property
    def eval_norm(self) -> str:
        """The evaluation norm: ``eval.norm``, else the training norm (ℓ∞ for standard training)."""
        return self.eval.norm or (self.adv.norm if self.adv.enabled else "inf")

    def to_dict(self) -> dict:
        """Plain nested dict (TOML/JSON-ready; None values kept)."""
        return dataclasses.asdict(self)

    def identity(self) -> dict:
        """The fields that determine the trained weights (progress/compile/checkpoint cadence excluded)."""
        d = self.to_dict()
        for k in ("name", "progress", "compile", "checkpoint_every", "device"):
            d.pop(k)
        return d

    def fingerprint(self) -> str:
        """A short hash of :meth:`identity`, stored with checkpoints to refuse resuming a different config."""
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


# ---------------------------------------------------------------------- dict / TOML conversion
def _build(cls: type, data: dict, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"config table {prefix.rstrip('.') or 'top level'!r} must be a table, got {data!r}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(
            f"unknown config field {prefix + unknown[0]!r}: allowed fields are {', '.join(sorted(known))}"
        )
    kwargs = {}
    for name, value in data.items():
        if name == "adv" and cls is TrainConfig:
            value = _build(AdvConfig, value, "adv.")
        elif name == "eval" and cls is TrainConfig:
            value = _build(EvalConfig, value, "eval.")
        elif isinstance(value, list):
            value = list(value)
        if isinstance(value, str) and value == "none":
            value = None
        kwargs[name] = value
    return cls(**kwargs)


def config_from_dict(data: dict) -> TrainConfig:
    """Build and validate a TrainConfig from a nested dict; unknown fields are errors naming the field.
    The string ``"none"`` stands for None (TOML has no null)."""
    cfg = _build(TrainConfig, dict(data), "")
    if isinstance(cfg.adv.norm, (int, float)):
        cfg.adv.norm = _norm_str(cfg.adv.norm)
    if isinstance(cfg.eval.norm, (int, float)):
        cfg.eval.norm = _norm_str(cfg.eval.norm)
    cfg.eval.eps = [float(e) for e in cfg.eval.eps]
    cfg.milestones = [float(m) for m in cfg.milestones]
    return cfg.validate()


def _norm_str(v: Any) -> str:
    return "inf" if v == math.inf else str(int(v)) if float(v).is_integer() else str(v)


def _load_toml_bytes(raw: bytes, source: str) -> dict:
    try:
        import tomllib  # Python >= 3.11
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError as e:
            raise ValueError(
                f"reading {source} needs Python >= 3.11 (tomllib) or the 'tomli' package: pip install tomli"
            ) from e
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{source}: not valid TOML ({e})") from e


EXAMPLES_DIR = Path(__file__).resolve().parent / "configs"


def example_configs() -> list[str]:
    """Names of the example configs shipped in deep/configs/."""
    return sorted(p.stem for p in EXAMPLES_DIR.glob("*.toml"))


def load_config(path: str | Path) -> TrainConfig:
    """Read a TrainConfig from a TOML file (top-level keys plus ``[adv]`` and ``[eval]`` tables); a bare example
    name (see :func:`example_configs`) loads deep/configs/NAME.toml."""
    path = Path(path)
    if not path.is_file() and (EXAMPLES_DIR / f"{path.name}.toml").is_file() and path.name == str(path):
        path = EXAMPLES_DIR / f"{path.name}.toml"
    if not path.is_file():
        raise FileNotFoundError(
            f"config file {path} not found; give a TOML path or an example name: {', '.join(example_configs())}"
        )
    return config_from_dict(_load_toml_bytes(path.read_bytes(), str(path)))


def loads_config(text: str) -> TrainConfig:
    """Parse a TrainConfig from TOML text."""
    return config_from_dict(_load_toml_bytes(text.encode("utf-8"), "<string>"))


def _toml_value(v: Any) -> str:
    if v is None:
        return '"none"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if math.isnan(v):
            return "nan"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps_config(cfg: TrainConfig) -> str:
    """The TOML text of ``cfg`` (round-trips through :func:`loads_config`)."""
    d = cfg.to_dict()
    nested = {k: d.pop(k) for k in ("adv", "eval")}
    lines = [f"{k} = {_toml_value(v)}" for k, v in d.items()]
    for table, values in nested.items():
        lines += ["", f"[{table}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def save_config(cfg: TrainConfig, path: str | Path) -> Path:
    """Write ``cfg`` as TOML atomically."""
    from tradeoff.data.io import atomic_write_text

    return atomic_write_text(path, dumps_config(cfg))
