"""The trade-off card (issue 25): any image classifier on any labelled image set, set beside the paper's measurements.

One card is one JSON result file (kind ``deep.card``, scale ``ad-hoc``: one command's own evaluation, never a
claim's evidence) keyed by what it depends on, ``<model_hash>-<data_hash>-<settings_hash>`` (the first 16 hex digits
of each SHA-256: the loaded weights, deep.model_source; the test arrays, data.image_sets; the settings below). It
holds, for the model on the data's test split (docs/cards.md says what each number means):

* clean accuracy on the whole split; robust accuracy at each ε on the first ``n`` points under the default strong
  evaluation with its cost, the gradient-masking checks, AutoAttack beside it when asked (deep.card_measures);
* claim 10's excess gradient alignment and claim 11's judge panel, against a standard reference model when given
  (deep.card_claims);
* the data's own limit on the evaluated points with Yang et al.'s separation (deep.card_measures);
* the (standard, robust) plane with published points and this project's frontier models (deep.card_plane);
* the model-card fields RobustBench users know (:func:`model_card_fields`).

Every user-caused failure is a one-line ValueError or FileNotFoundError (the loaders' own, plus ε out of range for
the norm, a model whose classes or input shape differ from the data's).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from tradeoff.data.image_sets import SPLIT_FOLDERS, ImageSetInfo, load_image_set
from tradeoff.data.io import to_jsonable
from tradeoff.data.registry import DATASETS
from tradeoff.data.tensors import as_float_images

from . import card_claims, card_measures, card_plane
from .device import parse_precision, resolve_device, resolve_precision
from .evaluate import eps_key
from .experiments.knn import KNNJudge
from .model_source import ROBUSTBENCH_DATASETS, ROBUSTBENCH_PREFIX, LoadedModel, load_classifier

CARD_VERSION = 1
KEY_DIGITS = 16
THREAT = {"inf": "Linf", "2": "L2"}
Note = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class CardSettings:
    """What a card measures and how: ``norm`` and the radii ``eps`` (pixel space); robust accuracy on the first ``n``
    test points by ``attack`` (deep.attacks names; ``steps``/``restarts`` replace every attack's own), the masking
    checks on ``sanity_n`` of them at ``sanity_eps`` (None: the largest ε), ``reference`` ``"autoattack"`` or None;
    claim 10 on ``n_gradients`` and claim 11 on ``n_judge`` images at ``large_eps`` (None: the data set's choice,
    deep.card_claims.large_eps_for); the data limit with at most ``limit_per_class`` points per class (None: all the
    evaluated points) and ``limit_time`` seconds of integer programming per ε, the separation statistics of the first
    ``n_separation`` of its points; ``precision`` of the attacks."""

    norm: str
    eps: tuple[float, ...]
    n: int = 1000
    attack: str = "default"
    steps: int | None = None
    restarts: int | None = None
    batch_size: int = 500
    sanity_n: int = 200
    sanity_eps: float | None = None
    reference: str | None = None
    n_gradients: int = 300
    n_judge: int = 300
    large_eps: float | None = None
    limit_per_class: int | None = None
    limit_time: float = 10.0
    n_separation: int = 200
    precision: str = "auto"
    seed: int = 0

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {**asdict(self), "eps": list(self.eps)}


def eps_bound(norm: str, dims: int) -> float:
    """The largest meaningful radius: the diameter of the box [0, 1]^dims (1 for ℓ∞, √dims for ℓ2)."""
    return 1.0 if norm == "inf" else math.sqrt(dims)


def check_radius(value: float, norm: str, dims: int, what: str) -> float:
    """``value`` as a radius of ``norm`` on images of ``dims`` pixels: finite, > 0 and at most the box diameter;
    one-line ValueError naming ``what`` and the fix otherwise."""
    bound = eps_bound(norm, dims)
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{what} {value!r} is not a radius: give a number > 0 in [0, 1] pixel units")
    if v > bound * (1 + 1e-9):
        hint = f" (in 0..255 units? {v:g}/255 = {v / 255:.4f})" if norm == "inf" and v <= 255 else ""
        raise ValueError(f"{what} {v:g} is out of range for the l_{norm} norm on {dims}-pixel images: at most "
                         f"{bound:.4g} (the whole [0, 1] box){hint}")
    return v


def check_settings(s: CardSettings, dims: int) -> CardSettings:
    """``s`` with ε sorted and checked against the norm (one-line ValueError for any bad value)."""
    if s.norm not in THREAT:
        raise ValueError(f"norm {s.norm!r} is unknown: choose inf or 2")
    if not s.eps:
        raise ValueError("give at least one eps (--eps E [E ...])")
    eps = tuple(sorted({check_radius(e, s.norm, dims, "eps") for e in s.eps}))
    for name in ("n", "batch_size", "n_gradients", "n_judge", "n_separation"):
        if int(getattr(s, name)) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(s, name)}")
    for name in ("steps", "restarts", "limit_per_class"):
        if getattr(s, name) is not None and int(getattr(s, name)) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(s, name)}")
    if s.sanity_n < 0:
        raise ValueError(f"sanity_n must be >= 0 (0 skips the checks), got {s.sanity_n}")
    if not s.limit_time >= 0:
        raise ValueError(f"limit_time must be a number of seconds >= 0, got {s.limit_time}")
    if s.reference not in (None, "autoattack"):
        raise ValueError(f"reference {s.reference!r} is unknown: the only reference evaluation is autoattack")
    if s.sanity_eps is not None:
        check_radius(s.sanity_eps, s.norm, dims, "sanity eps")
    if s.large_eps is not None:
        check_radius(s.large_eps, s.norm, dims, "large eps")
    parse_precision(s.precision)
    return CardSettings(**{**asdict(s), "eps": eps})


# ---------------------------------------------------------------------------------------------------- the inputs
@dataclass(frozen=True)
class CardData:
    """A data set as a card reads it: the test split (``x`` uint8 or float32 N×C×H×W, ``y``, ``info``) and the
    training split (``train_x``, ``train_y``; None with ``train_note`` saying why)."""

    x: np.ndarray
    y: np.ndarray
    info: ImageSetInfo
    train_x: np.ndarray | None = None
    train_y: np.ndarray | None = None
    train_info: ImageSetInfo | None = None
    train_note: str = ""


def _train_split_missing(spec: str) -> str:
    """Why ``spec`` has no training split ('' when it has one)."""
    if spec in DATASETS:
        return ""
    path = Path(spec).expanduser()
    if path.is_dir():
        subs = {p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")}
        if subs and subs <= set(SPLIT_FOLDERS) and "train" in subs:
            return ""
        return f"image folder {spec} has no train/ sub-folder (one folder of splits with train/ and test/ gives one)"
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = set(archive.keys())
    except Exception:  # the test split's reading has already named the problem
        return f"{spec} could not be read for a training split"
    if {"x_train", "y_train"} <= keys:
        return ""
    return f"data file {spec} has no x_train and y_train (save them beside x and y to get J1 and the separation)"


def load_card_data(spec: str, root: str | Path | None = None, note: Note = _quiet) -> CardData:
    """The test split of ``spec`` (data.image_sets.load_image_set: a registered name, ``.npz`` or class folder) and
    its training split when it has one. One-line errors from the loader for bad data; a missing training split is
    not an error (claim 11 and the separation are then "not run")."""
    note(f"reading data set {spec}")
    x, y, info = load_image_set(spec, "test", root)
    missing = _train_split_missing(str(spec))
    if missing:
        return CardData(x, y, info, train_note=missing)
    tx, ty, tinfo = load_image_set(spec, "train", root)
    if tuple(tx.shape[1:]) != tuple(info.shape):
        raise ValueError(f"data set {spec}: training images are {tuple(tx.shape[1:])} but test images "
                         f"{tuple(info.shape)}; give both splits one image size")
    if int(ty.max()) >= info.num_classes:
        raise ValueError(f"data set {spec}: the training split has label {int(ty.max())} but the test split "
                         f"{info.num_classes} classes; give both splits the same classes (a 'classes' key names them)")
    return CardData(x, y, info, tx, ty, tinfo)


def load_card_model(spec: str, info: ImageSetInfo, norm: str, *, weights=None, normalize=None, model_dir=None,
                    device: str | torch.device = "cpu", what: str = "model") -> LoadedModel:
    """``spec`` loaded by deep.model_source.load_classifier for images of ``info``'s shape (a RobustBench name with
    the data set's name when RobustBench has it and the threat model of ``norm``), checked to give one logit per
    class of the data. One-line errors."""
    shape = tuple(info.shape)
    own_shape = Path(str(spec)).expanduser().is_dir() or str(spec).startswith(ROBUSTBENCH_PREFIX)
    kwargs = {}
    if str(spec).startswith(ROBUSTBENCH_PREFIX):
        kwargs = {"dataset": info.name if info.name in ROBUSTBENCH_DATASETS else "cifar10",
                  "threat_model": THREAT[norm]}
    loaded = load_classifier(str(spec), weights=weights, device=device, normalize=normalize, model_dir=model_dir,
                             input_shape=None if own_shape else shape, **kwargs)
    if tuple(loaded.input_shape) != shape:
        raise ValueError(f"{what} {spec} takes images of shape {tuple(loaded.input_shape)} but data set {info.name} "
                         f"has {shape}; give the data set the model was trained for")
    if loaded.num_classes != info.num_classes:
        raise ValueError(f"{what} {spec} gives {loaded.num_classes} logits but data set {info.name} has "
                         f"{info.num_classes} classes; give the data set the model was trained for")
    return loaded


def recipe_of(cfg) -> dict:
    """A run's training recipe (deep.config.TrainConfig) in a card's words."""
    adv = cfg.adv
    method = adv.training_method if adv.enabled else "standard"
    what = "standard training" if method == "standard" else (
        f"{method.upper()} adversarial training, l_{adv.norm} eps {adv.eps:g}, {adv.steps} attack steps"
        + (f", beta {adv.beta:g}" if adv.trades else "") + (", mixed batches" if adv.mixed else ""))
    text = (f"{what}; {cfg.model}" + (f" width {cfg.width}" if cfg.width else "") + f", {cfg.epochs} epoch(s), "
            f"{cfg.optimizer} lr {cfg.lr:g}, batch {cfg.batch_size}, {cfg.schedule} schedule, seed {cfg.seed}")
    return {"method": method, "norm": adv.norm if adv.enabled else None, "eps_train": adv.eps,
            "beta": adv.beta if adv.trades else None, "epochs": cfg.epochs, "optimizer": cfg.optimizer,
            "lr": cfg.lr, "batch_size": cfg.batch_size, "n_train": cfg.n_train, "seed": cfg.seed, "text": text,
            "fingerprint": cfg.fingerprint()}


def digest(obj) -> str:
    """SHA-256 of ``obj`` as sorted, strict JSON."""
    return hashlib.sha256(json.dumps(to_jsonable(obj), sort_keys=True).encode()).hexdigest()


def card_stem(key: dict) -> str:
    """The file stem of a card: ``<model>-<data>-<settings>``, the first :data:`KEY_DIGITS` hex digits of each."""
    return "-".join(str(key[k])[:KEY_DIGITS] for k in ("model_hash", "data_hash", "settings_hash"))


# ---------------------------------------------------------------------------------------------------- the card
def model_card_fields(payload: dict) -> dict:
    """The fields RobustBench users know, from a card payload: architecture, dataset, threat model, ε, clean and
    robust accuracy with the attack that gave it, AutoAttack where it ran, number of examples, training recipe and
    provenance; ``not_measured`` names every null field and why."""
    model, data, robust = payload["model"], payload["data"], payload.get("robust") or {}
    per = {float(r["eps"]): r["accuracy"] for r in robust.get("per_eps", []) if r["eps"] > 0}
    aa = payload.get("autoattack") or {}
    recipe = model.get("recipe")
    fields = {
        "name": payload.get("name"), "architecture": model.get("architecture"), "dataset": data.get("name"),
        "threat_model": THREAT.get(payload["settings"]["norm"]), "eps": sorted(per) or payload["settings"]["eps"],
        "clean_accuracy": (payload.get("clean") or {}).get("accuracy"),
        "robust_accuracy": {eps_key(e): a for e, a in sorted(per.items())} or None,
        "attack": (robust.get("attack") or {}).get("label"),
        "autoattack_accuracy": {eps_key(r["eps"]): r["autoattack"] for r in aa.get("rows", [])} or None,
        "n_examples": robust.get("n"), "n_clean": (payload.get("clean") or {}).get("n"),
        "training_recipe": recipe.get("text") if isinstance(recipe, dict) else recipe,
        "source": model.get("source"), "model_kind": model.get("kind"), "model_hash": model.get("model_hash"),
        "weights_sha256": model.get("file_hash"), "commit": payload.get("commit"),
    }
    why = {"architecture": "the loader could not name the model's class",
           "robust_accuracy": "no robust evaluation in the source", "attack": "no robust evaluation in the source",
           "autoattack_accuracy": "AutoAttack was not run (tradeoff card --reference autoattack)",
           "training_recipe": "unknown: the model is not a run folder of this project (give it with --recipe)",
           "weights_sha256": "the weights came from the factory itself, not a file",
           "clean_accuracy": "not measured", "n_examples": "not measured", "n_clean": "not measured"}
    fields["not_measured"] = {k: payload.get("not_measured", {}).get(k, why.get(k, "unknown"))
                              for k, v in fields.items() if v is None}
    return fields


def _to_device(x: np.ndarray, y: np.ndarray, device) -> tuple[torch.Tensor, torch.Tensor]:
    return as_float_images(x).to(device), torch.as_tensor(np.asarray(y), dtype=torch.long).to(device)


def make_card(model: LoadedModel, data: CardData, settings: CardSettings, *, reference: LoadedModel | None = None,
              frontier: dict | None = None, frontier_source: str = "", recipe: dict | str | None = None,
              name: str | None = None, device: str = "auto", note: Note = _quiet) -> dict:
    """The card payload of ``model`` on ``data`` (module docstring). ``reference``: a standard model of the same data
    for claims 10 and 11; ``frontier``: a ``deep.frontier`` payload for the plane; ``recipe``: the training recipe
    (:func:`recipe_of` for a run folder, a user's text, or None); ``note`` receives a line before each long step."""
    info = data.info
    dims = int(np.prod(info.shape))
    s = check_settings(settings, dims)
    dev = torch.device(resolve_device(device))
    precision = resolve_precision(dev, parse_precision(s.precision))
    large = card_claims.large_eps_for(info.name, s.norm, dims, s.large_eps)
    sanity_eps = s.sanity_eps if s.sanity_eps is not None else max(s.eps)
    key = {"model_hash": model.model_hash, "data_hash": info.data_hash,
           "settings_hash": digest({**s.as_dict(), "large": large.as_dict(), "card": CARD_VERSION,
                                    "reference_model": reference.model_hash if reference else None})}
    timings: dict[str, float] = {}
    m = model.model.to(dev).eval()
    steps = 5 + (s.reference is not None)
    k = iter(range(1, steps + 1))

    def step(text: str) -> float:
        note(f"[{next(k)}/{steps}] {text}")
        return time.perf_counter()

    t = step(f"clean accuracy on all {len(data.y)} test points")
    x_all, y_all = _to_device(data.x, data.y, dev)
    clean = card_measures.clean_accuracy(m, x_all, y_all, s.batch_size, dev)
    timings["clean"] = time.perf_counter() - t

    n = min(s.n, len(data.y))
    xs, ys = x_all[:n], y_all[:n]
    t = step(f"robust accuracy at eps {', '.join(f'{e:g}' for e in s.eps)} (l_{s.norm}) on {n} points, "
             f"attack {s.attack}")
    robust, ev = card_measures.robust_accuracy(m, xs, ys, list(s.eps), s.norm, attack=s.attack, steps=s.steps,
                                               restarts=s.restarts, batch_size=s.batch_size, device=dev,
                                               precision=precision, seed=s.seed)
    timings["robust"] = time.perf_counter() - t
    t = step(f"gradient-masking checks at eps {sanity_eps:g} on {min(s.sanity_n, n)} points")
    sanity = card_measures.sanity_checks(m, xs, ys, ev, sanity_eps, s.norm, n=s.sanity_n, attack=s.attack,
                                         steps=s.steps, restarts=s.restarts, batch_size=s.batch_size, device=dev,
                                         precision=precision, name=name or model.source)
    timings["sanity"] = time.perf_counter() - t
    autoattack = {"status": card_measures.NOT_RUN, "reason": "not asked (--reference autoattack)"}
    if s.reference == "autoattack":
        t = step(f"AutoAttack at every eps on {n} points (slow)")
        autoattack = card_measures.autoattack_beside(m, xs, ys, ev, list(s.eps), s.norm, s.batch_size, note)
        timings["autoattack"] = time.perf_counter() - t

    j1 = None
    if data.train_x is not None:
        t = step(f"J1 over the {len(data.train_y)} training images; claim 10 on {min(s.n_gradients, len(data.y))} "
                 f"and claim 11 on {min(s.n_judge, len(data.y))} images")
        train_float = as_float_images(data.train_x).numpy()
        j1 = KNNJudge(train_float, data.train_y, k=10, n_classes=info.num_classes)
    else:
        t = step("claim 10 (no training split: no J1, claim 11 not run)")
    ref = reference.model.to(dev).eval() if reference is not None else None
    g = min(s.n_gradients, len(data.y))
    claim10 = card_claims.gradient_alignment(m, x_all[:g], y_all[:g], j1, ref)
    nj = min(s.n_judge, len(data.y))
    claim11 = card_claims.judge_panel(m, x_all[:nj], y_all[:nj], j1, large, precision, ref,
                                      no_judge_reason=f"J1 needs a training split: {data.train_note}")
    timings["claims"] = time.perf_counter() - t
    del j1

    t = step("the data's own limit and separation")
    idx = card_measures.limit_points(data.y, n, s.limit_per_class)
    train = (data.train_x, data.train_y) if data.train_x is not None else None
    limit = card_measures.data_limit(data.x, data.y, idx, train, list(s.eps), s.norm, info.num_classes,
                                     card_measures.eps_flags(ev), time_limit=s.limit_time,
                                     n_separation=s.n_separation, note=note)
    limit["points"]["limit_per_class"] = s.limit_per_class
    timings["limit"] = time.perf_counter() - t

    rob = {float(r["eps"]): r["accuracy"] for r in robust["per_eps"]}
    frontier_of = {float(r["eps"]): r.get("frontier") for r in limit.get("per_eps", [])}
    plane = card_plane.plane(info.name, s.norm, s.eps, clean["accuracy"], rob, frontier, frontier_source,
                             frontier_of, two_class=info.num_classes == 2)
    from tradeoff.data.provenance import git_commit

    payload = {
        "card": CARD_VERSION, "name": name or _default_name(model), "key": key, "commit": git_commit(),
        "model": {**model.to_dict(), "recipe": recipe},
        "reference_model": reference.to_dict() if reference is not None else None,
        "data": {**{k2: v for k2, v in info.to_dict().items() if k2 != "class_names"},
                 "class_names": list(info.class_names)[:100],
                 "train": data.train_info.to_dict() | {"class_names": None} if data.train_info else None,
                 "train_note": data.train_note or None},
        "settings": {**s.as_dict(), "sanity_eps": sanity_eps, "large": large.as_dict(),
                     "device": str(dev)},
        "clean": clean, "robust": robust, "sanity": sanity, "autoattack": autoattack,
        "claim10": claim10, "claim11": claim11, "data_limit": limit, "plane": plane, "timings": timings,
    }
    payload["fields"] = model_card_fields(payload)
    return payload


def _default_name(model: LoadedModel) -> str:
    base = Path(model.source).name if model.kind in ("run", "torchscript") else model.source
    return f"{model.architecture or model.kind} ({base})"


def write_card(payload: dict, folder: str | Path, scale: str = "ad-hoc", wall_time_s: float | None = None) -> Path:
    """Write ``payload`` atomically as ``folder/<card_stem>.json`` (kind ``deep.card``) and return the path."""
    from tradeoff.data.io import write_result
    from tradeoff.data.kinds import Kind

    path = Path(folder) / f"{card_stem(payload['key'])}.json"
    return write_result(path, Kind.DEEP_CARD, payload, scale=scale, wall_time_s=wall_time_s,
                        dataset=payload["data"].get("name"), seeds=None)
