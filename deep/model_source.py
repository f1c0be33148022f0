"""Load any image classifier, from four kinds of source, as one checked :class:`LoadedModel`.

``load_classifier(spec, ...)`` takes:

- a run folder of this project (``config.toml`` + ``model.pt``; deep.runs.load_run_model);
- a TorchScript file (``torch.jit.load``);
- ``package.module:factory``: a function (or class) of the user's code, imported with importlib and called with no
  arguments, that returns an ``nn.Module``, plus an optional weights file (deep.weights_file: a state_dict read with
  ``torch.load(weights_only=True)``, or ``.safetensors``; prefixes such as ``module.`` are fitted and reported);
- ``robustbench:NAME``: RobustBench's own ``load_model(model_name=..., model_dir=..., dataset=...,
  threat_model=...)`` with the checkpoint already in ``model_dir`` (an optional extra: RobustBench needs torchvision,
  which does not import beside a CPU-only torch; see docs/cards.md "Loading models").

The convention is the project's: inputs are images in [0, 1] and any normalisation is inside the model. A model
that expects normalised inputs cannot be told apart in general; ``normalize=(mean, std)`` wraps it with the
project's ``Normalize`` layer (deep.models.NormalizedModel). Every model is then checked on a probe batch
(deep.model_checks): finite weights and logits, output shape ``(N, classes)``, the same output on every call
(a random train-mode model is refused; a deterministic one is put in eval mode, and said so).

Every user-caused failure is one line (ValueError or FileNotFoundError) naming the source, the check, the value and
the fix.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from tradeoff.data.checksums import sha256_file
from tradeoff.data.errors import first_line
from tradeoff.data.registry import dataset_info

from .distributed import weights_digest
from .model_checks import check_classifier
from .models import Normalize, NormalizedModel
from .weights_file import load_weights_into, read_state_dict

#: ``package.module:factory`` (dotted module path, a colon, a Python name).
FACTORY_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")
ROBUSTBENCH_PREFIX = "robustbench:"
#: The image shape (C, H, W) and number of classes of each RobustBench data set.
ROBUSTBENCH_DATASETS = {"cifar10": ((3, 32, 32), 10), "cifar100": ((3, 32, 32), 100),
                        "imagenet": ((3, 224, 224), 1000)}
ROBUSTBENCH_THREATS = ("Linf", "L2", "corruptions", "corruptions_3d")


@dataclass(frozen=True)
class LoadedModel:
    """A classifier ready for evaluation: the module (eval mode, on its device, inputs in [0, 1]) and where it came
    from. ``kind``: ``run``, ``torchscript``, ``factory`` or ``robustbench``; ``source``: the spec as given;
    ``weights``: the file the weights were read from (None when the factory loads its own). ``model_hash``: SHA-256
    of the weights as loaded (names, dtypes, bytes; deep.distributed.weights_digest), the same whichever file
    holds them; ``file_hash``: SHA-256 of ``weights``. ``input_shape`` (C, H, W) and ``num_classes``: what the model
    was checked with. ``notes``: what loading did (prefixes fitted, eval mode set, normalisation added)."""

    model: nn.Module
    kind: str
    source: str
    model_hash: str
    input_shape: tuple[int, int, int]
    num_classes: int
    architecture: str | None = None
    weights: str | None = None
    file_hash: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """The JSON-ready description (everything but the module), for cards and logs."""
        return {
            "kind": self.kind,
            "source": self.source,
            "architecture": self.architecture,
            "weights": self.weights,
            "model_hash": self.model_hash,
            "file_hash": self.file_hash,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "notes": list(self.notes),
        }


@dataclass
class _Found:
    """What a source yields before the checks: the module, and what the source itself knows of it."""

    model: nn.Module
    kind: str
    architecture: str | None = None
    weights: str | None = None
    file_hash: str | None = None
    shape: tuple[int, int, int] | None = None
    classes: int | None = None
    notes: list[str] = field(default_factory=list)


def load_classifier(
    spec: str,
    *,
    weights: str | Path | None = None,
    device: str | torch.device = "cpu",
    num_classes: int | None = None,
    input_shape: Sequence[int] | None = None,
    normalize: tuple[Sequence[float], Sequence[float]] | None = None,
    model_dir: str | Path | None = None,
    dataset: str = "cifar10",
    threat_model: str = "Linf",
) -> LoadedModel:
    """The classifier ``spec`` names (a run folder, a TorchScript file, ``package.module:factory`` with ``weights``,
    or ``robustbench:NAME`` with ``model_dir``, ``dataset`` and ``threat_model``), checked on a probe batch of
    ``input_shape`` (C, H, W; known for run folders and RobustBench) against ``num_classes`` (None: read from the
    output). ``normalize=(mean, std)`` puts ``Normalize(mean, std)`` before a model that expects normalised inputs.
    One-line ValueError/FileNotFoundError for every bad input."""
    spec = str(spec)
    shape = _input_shape(input_shape)
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                                    or num_classes < 2):
        raise ValueError(f"num_classes {num_classes!r} is invalid: give the number of classes, 2 or more")
    if normalize is not None:
        _check_normalize(normalize, shape)
    with torch.random.fork_rng(devices=[]):  # a factory's initialisation leaves the caller's random state alone
        found = _find(spec, weights, model_dir, dataset, threat_model)
    what = f"model {spec}"
    if found.shape is not None and shape is not None and shape != found.shape:
        raise ValueError(f"{what}: input_shape {shape} differs from its own {found.shape}; leave input_shape out")
    shape = shape or found.shape
    if shape is None:
        raise ValueError(f"{what}: the input shape is unknown; give input_shape=(C, H, W) (--input-shape C H W), "
                         "the shape of one image the model takes")
    if found.classes is not None and num_classes is not None and num_classes != found.classes:
        raise ValueError(f"{what}: num_classes {num_classes} differs from its own {found.classes}; leave "
                         "num_classes out")
    module, notes = found.model, list(found.notes)
    if normalize is not None:
        _check_normalize(normalize, shape)
        mean, std = (tuple(float(v) for v in part) for part in normalize)
        module = NormalizedModel(Normalize(mean, std), module)
        notes.append(f"inputs normalised inside the model with mean {list(mean)} and std {list(std)}")
    module = module.to(device)
    classes, check_notes = check_classifier(module, shape, num_classes or found.classes, what, device)
    return LoadedModel(model=module, kind=found.kind, source=spec, model_hash=weights_digest(module),
                       input_shape=shape, num_classes=classes, architecture=found.architecture,
                       weights=found.weights, file_hash=found.file_hash, notes=tuple(notes + check_notes))


def _find(spec: str, weights, model_dir, dataset: str, threat_model: str) -> _Found:
    """The module ``spec`` names, from the source its form says, before the checks."""
    path = Path(spec).expanduser()
    if spec.startswith(ROBUSTBENCH_PREFIX):
        _no_weights(weights, spec, "RobustBench reads its checkpoint from model_dir")
        return _from_robustbench(spec[len(ROBUSTBENCH_PREFIX):], model_dir, dataset, threat_model)
    if path.is_dir():
        _no_weights(weights, spec, "a run folder holds its own weights")
        return _from_run(path)
    if path.is_file():
        _no_weights(weights, spec, "a TorchScript file holds its own weights")
        return _from_torchscript(path)
    if FACTORY_RE.match(spec):
        return _from_factory(spec, weights)
    raise FileNotFoundError(f"model {spec!r} is neither an existing file or run folder, nor package.module:factory, "
                            "nor robustbench:NAME; check the path or the spelling")


def _input_shape(shape: Sequence[int] | None) -> tuple[int, int, int] | None:
    if shape is None:
        return None
    try:
        dims = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        dims = ()
    if len(dims) != 3 or min(dims) < 1:
        raise ValueError(f"input_shape {shape!r} is invalid: give three positive sizes (C, H, W), e.g. 3 32 32")
    return dims


def _check_normalize(normalize, shape) -> None:
    try:
        mean, std = (tuple(float(v) for v in part) for part in normalize)
    except (TypeError, ValueError) as e:
        raise ValueError(f"normalize {normalize!r} is invalid: give (mean, std), one value per channel each, e.g. "
                         "--normalize 0.5,0.5,0.5 0.25,0.25,0.25") from e
    if len(mean) != len(std) or not mean:
        raise ValueError(f"normalize has {len(mean)} means but {len(std)} stds; give one of each per channel")
    if min(std) <= 0:
        raise ValueError(f"normalize std {list(std)} has a value <= 0; give positive standard deviations")
    if shape is not None and len(mean) not in (1, shape[0]):
        raise ValueError(f"normalize has {len(mean)} channels but the input has {shape[0]}; give one mean and "
                         "std per input channel")


def _no_weights(weights, spec: str, why: str) -> None:
    if weights is not None:
        raise ValueError(f"weights {weights} given with model {spec}: {why}; weights go with "
                         "package.module:factory only")


def _from_run(run_dir: Path) -> _Found:
    from .runs import CHECKPOINT, MODEL, load_run_model

    cfg, model = load_run_model(run_dir)
    data = dataset_info(cfg.dataset)
    path = run_dir / MODEL if (run_dir / MODEL).is_file() else run_dir / CHECKPOINT
    return _Found(model, "run", cfg.model, str(path), sha256_file(path),
                  (data.in_channels, data.image_size, data.image_size), data.num_classes)


def _from_torchscript(path: Path) -> _Found:
    fix = ("export it with torch.jit.trace(model.eval(), example_batch).save(path), or give its architecture as "
           f"package.module:factory with weights={path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch >= 2.13 deprecates torch.jit.load
            model = torch.jit.load(str(path), map_location="cpu")
    except Exception as e:
        if _is_state_dict(path):
            raise ValueError(f"model file {path} holds a state_dict (weights only), not a TorchScript model; give "
                             f"its architecture: package.module:factory with weights={path}") from e
        raise ValueError(f"model file {path} is not a TorchScript model ({first_line(e)}); {fix}") from e
    return _Found(model, "torchscript", getattr(model, "original_name", None), str(path), sha256_file(path))


def _is_state_dict(path: Path) -> bool:
    try:
        read_state_dict(path)
    except (ValueError, OSError):
        return False
    return True


def _from_factory(spec: str, weights: str | Path | None) -> _Found:
    module_name, _, attr = spec.partition(":")
    try:
        mod = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        raise ValueError(f"factory {spec}: module {module_name!r} cannot be imported ({first_line(e)}); put its "
                         "folder on PYTHONPATH or install its package") from e
    except Exception as e:
        raise ValueError(f"factory {spec}: importing {module_name!r} raised {first_line(e)}; fix that module") from e
    if not hasattr(mod, attr):
        raise ValueError(f"factory {spec}: module {module_name!r} has no attribute {attr!r}; name a function that "
                         "returns an nn.Module")
    factory = getattr(mod, attr)
    if not callable(factory):
        raise ValueError(f"factory {spec}: {attr!r} is a {type(factory).__name__}, not callable; name a function "
                         "that returns an nn.Module")
    try:
        model = factory()
    except Exception as e:
        raise ValueError(f"factory {spec} raised {first_line(e)} when called with no arguments; fix it, or wrap it "
                         "in a function that takes none") from e
    if not isinstance(model, nn.Module):
        raise ValueError(f"factory {spec} returned a {type(model).__name__}, not an nn.Module; return the model")
    found = _Found(model, "factory", type(model).__name__)
    if weights is not None:
        path = Path(weights).expanduser()
        state, found.notes = read_state_dict(path)
        found.notes += load_weights_into(model, state, str(path), f"factory {spec}")
        found.weights, found.file_hash = str(path), sha256_file(path)
    return found


def robustbench_checkpoint(model_dir: str | Path, name: str, dataset: str, threat_model: str) -> Path:
    """Where RobustBench's ``load_model`` looks for model ``name``'s weights: ``model_dir/dataset/threat/NAME.pt``
    (an ensemble's members are ``NAME.pt_m0.pt``, ``NAME.pt_m1.pt``, ...)."""
    return Path(model_dir).expanduser() / dataset / threat_model / f"{name}.pt"


def _from_robustbench(name: str, model_dir, dataset: str, threat_model: str) -> _Found:
    if not name:
        raise ValueError("robustbench: needs a model name, e.g. robustbench:Standard")
    if dataset not in ROBUSTBENCH_DATASETS:
        raise ValueError(f"RobustBench dataset {dataset!r} is unknown: choose one of {', '.join(ROBUSTBENCH_DATASETS)}")
    if threat_model not in ROBUSTBENCH_THREATS:
        raise ValueError(f"RobustBench threat model {threat_model!r} is unknown: choose one of "
                         f"{', '.join(ROBUSTBENCH_THREATS)}")
    if model_dir is None:
        raise ValueError(f"robustbench:{name} needs model_dir (--model-dir), the folder that holds "
                         f"{dataset}/{threat_model}/{name}.pt; download the checkpoint there first")
    path = robustbench_checkpoint(model_dir, name, dataset, threat_model)
    member = path.with_name(path.name + "_m0.pt")
    if not path.is_file() and not member.is_file():
        raise FileNotFoundError(f"RobustBench checkpoint {path} is missing (this loader never downloads); fetch it on "
                                "a machine with network access (docs/cards.md 'Loading models') and copy it there")
    try:
        from robustbench.utils import load_model
    except Exception as e:  # ImportError, or torchvision's RuntimeError on a CPU-only torch
        raise ValueError(f"robustbench:{name} needs the robustbench package, which fails to import here "
                         f"({first_line(e)}); install it with a torchvision that matches your torch: pip install "
                         "robustbench (docs/cards.md 'Loading models')") from e
    try:
        model = load_model(model_name=name, model_dir=str(Path(model_dir).expanduser()), dataset=dataset,
                           threat_model=threat_model)
    except Exception as e:
        raise ValueError(f"RobustBench load_model({name!r}, dataset={dataset!r}, threat_model={threat_model!r}) "
                         f"raised {first_line(e)}; check the name against RobustBench's model zoo and the "
                         f"checkpoint {path}") from e
    if not isinstance(model, nn.Module):
        raise ValueError(f"RobustBench load_model({name!r}) returned a {type(model).__name__}, not an nn.Module; "
                         "check the robustbench version (1.1.1 was the one documented)")
    shape, classes = ROBUSTBENCH_DATASETS[dataset]
    weights = path if path.is_file() else member
    return _Found(model, "robustbench", type(model).__name__, str(weights), sha256_file(weights), shape, classes)
