"""Standard and robust accuracy (paper §2): the fraction of points classified correctly at every point of
the threat model, estimated by attack: a point counts as robust when the attack finds no
misclassified point in ``{x' in [0,1]^n : ||x' - x|| <= eps}``. This is an UPPER bound on the true robust
accuracy (a stronger attack can only lower it); :mod:`deep.sanity` checks that the attack is not obviously weak.

The default evaluation is the per-example worst case over :data:`deep.attacks.DEFAULT_ENSEMBLE` (APGD-CE, then
APGD with the margin loss, then APGD-T, each only on the points still robust: AutoAttack's order), see
:func:`robust_evaluation`; ``attack="pgd"`` (or any
name of :data:`deep.attacks.NAMED_ATTACKS`, or an :class:`deep.attacks.Ensemble`) selects another one, and
every result says which attacks ran and what they cost.

ε is in [0, 1] pixel space (models normalise internally). ``eps = 0`` means clean (standard) accuracy.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from .attacks import Attack as AttackBase
from .attacks import (
    AttackSpec,
    Ensemble,
    check_batch,
    eval_mode,
    normalise_norm,
    resolve_ensemble,
)
from .attacks.steps import default_step_size
from .distributed import DistInfo, all_reduce_sum

AttackFn = Callable[..., torch.Tensor]


def model_device(model: nn.Module, default: torch.device | str = "cpu") -> torch.device:
    """The device of the model's first parameter or buffer (``default`` for a model with neither)."""
    for t in list(model.parameters()) + list(model.buffers()):
        return t.device
    return torch.device(default)


def _autocast(device: torch.device, dtype: torch.dtype | None):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def _batches(x: torch.Tensor, y: torch.Tensor, batch_size: int) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1 (got {batch_size})")
    for i in range(0, x.shape[0], batch_size):
        yield x[i : i + batch_size], y[i : i + batch_size]


def correct_under_attack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    attack: AttackFn | None,
    *,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    autocast_dtype: torch.dtype | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Per-point correctness (bool tensor ``(N,)`` on the CPU) of ``model`` on ``attack(model, x, y)``, or on
    the clean ``x`` when ``attack`` is None. Batches are moved to ``device`` (default: the model's); the
    model is in eval mode and its modes are restored. ``generator`` is passed on to an
    :class:`deep.attacks.Attack` (PGD, APGD, ...) so that one seeded stream covers every batch."""
    check_batch(x, y)
    device = torch.device(device) if device is not None else model_device(model)
    out = []
    with eval_mode(model):
        for xb, yb in _batches(x, y, batch_size):
            xb = xb.to(device, non_blocking=True)
            yb = yb.to(device, non_blocking=True)
            with _autocast(device, autocast_dtype):
                if attack is not None:
                    seeded = isinstance(attack, AttackBase) and generator is not None
                    kwargs = {"generator": generator} if seeded else {}
                    xb = attack(model, xb, yb, **kwargs)
                with torch.no_grad():
                    pred = model(xb).argmax(1)
            out.append(pred == yb)
    if not out:
        return torch.zeros(0, dtype=torch.bool)
    return torch.cat(out).cpu()


def clean_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1000,
                   device: torch.device | str | None = None, autocast_dtype: torch.dtype | None = None) -> float:
    """Standard accuracy ``P[f(x) = y]`` (argmax of the logits) on ``(x, y)``, in batches on ``device``."""
    if x.shape[0] == 0:
        raise ValueError("no test points: x is empty")
    ok = correct_under_attack(model, x, y, None, batch_size=batch_size, device=device, autocast_dtype=autocast_dtype)
    return float(ok.float().mean())


@dataclass
class AttackCost:
    """What one attack of an ensemble did at one ε: ``attacked`` points (those still robust), ``broken`` of them,
    ``seconds`` of wall time and ``gradient_evaluations`` (forward+backward passes) in total."""

    label: str
    attacked: int
    broken: int
    seconds: float
    gradient_evaluations: int

    def to_dict(self) -> dict:
        """JSON-ready."""
        return dict(self.__dict__)


@dataclass
class RobustResult:
    """Robust accuracy per ε with the evaluation that produced it: ``accuracy`` ``{eps: acc}`` (ε = 0 is clean),
    ``correct`` ``{eps: bool tensor (N,)}`` per point, ``attack`` the ensemble's description
    (:meth:`deep.attacks.Ensemble.describe`), ``cost`` ``{eps: [AttackCost, ...]}``, ``n`` points, ``seconds``."""

    accuracy: dict[float, float]
    correct: dict[float, torch.Tensor]
    attack: dict
    norm: str
    n: int
    cost: dict[float, list[AttackCost]] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict:
        """JSON-ready: ``attack`` (name, label, attacks) and per ε its accuracy and cost (attacks, points attacked
        and broken, seconds, gradient evaluations), plus the total seconds."""
        return {"attack": self.attack, "norm": self.norm, "n": self.n, "seconds": self.seconds,
                "per_eps": [{"eps": e, "accuracy": a, "cost": [c.to_dict() for c in self.cost.get(e, [])]}
                            for e, a in self.accuracy.items()]}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def correct_under_ensemble(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    norm: str,
    ensemble: Ensemble,
    *,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    autocast_dtype: torch.dtype | None = None,
    generator: torch.Generator | None = None,
    clean: torch.Tensor | None = None,
) -> tuple[torch.Tensor, list[AttackCost]]:
    """Per-point robustness (bool ``(N,)`` on the CPU) under the per-example worst case of ``ensemble`` at radius
    ``eps``, and each attack's cost. AutoAttack order: the clean point first (``clean``: its correctness if
    known), then each attack in turn only on the points that are still correctly classified, in batches of
    ``batch_size`` (one host synchronisation per attack to select them)."""
    dev = torch.device(device) if device is not None else model_device(model)
    if clean is None:
        clean = correct_under_attack(model, x, y, None, batch_size=batch_size, device=dev,
                                     autocast_dtype=autocast_dtype)
    robust = clean.clone()
    n_dims = x[0].numel()
    n_classes = None
    costs = []
    for spec in ensemble.attacks:
        idx = robust.nonzero()[:, 0]
        attack = spec.build(eps, norm, n_dims)
        t0 = time.perf_counter()
        if len(idx):
            sub = idx.to(x.device)
            ok = correct_under_attack(model, x[sub], y[sub], attack, batch_size=batch_size, device=dev,
                                      autocast_dtype=autocast_dtype, generator=generator)
            if n_classes is None:
                with torch.no_grad(), eval_mode(model):
                    n_classes = int(model(x[:1].to(dev)).shape[1])
            robust[idx] = ok
            broken = int((~ok).sum())
        else:
            broken = 0
        _sync(dev)
        costs.append(AttackCost(spec.label, int(len(idx)), broken, time.perf_counter() - t0,
                                int(len(idx)) * spec.gradient_evaluations(n_classes or 2)))
    return robust, costs


def robust_evaluation(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps_list: Sequence[float],
    norm: str | float = "inf",
    attack: str | Ensemble | AttackSpec = "default",
    *,
    steps: int | None = None,
    restarts: int | None = None,
    step_size: float | None = None,
    random_start: bool | None = None,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    seed: int | None = 0,
    autocast_dtype: torch.dtype | None = None,
    progress: bool = False,
) -> RobustResult:
    """Robust accuracy of ``model`` at each ε of ``eps_list`` (pixel space; ε = 0: clean accuracy) under the
    per-example worst case of ``attack`` (default :data:`deep.attacks.DEFAULT_ENSEMBLE`; a name of
    :data:`deep.attacks.NAMED_ATTACKS` such as ``"pgd"``, an :class:`Ensemble` or an :class:`AttackSpec`),
    with the ensemble's description and per-attack cost.

    ``steps``, ``restarts``, ``random_start`` replace every attack's own (:meth:`Ensemble.scaled`);
    ``step_size`` is PGD's (pixel space; default 2.5·ε/steps) and only valid for ensembles made of PGD attacks.
    Random starts come from one generator seeded with ``seed`` (``None``: torch's global RNG).
    ``autocast_dtype`` (e.g. ``torch.bfloat16``) runs forward passes under ``torch.autocast``. ``progress``
    shows a tqdm bar on stderr."""
    norm = normalise_norm(norm)
    ensemble = resolve_ensemble(attack).scaled(steps, restarts, random_start)
    if step_size is not None:
        if any(a.kind != "pgd" for a in ensemble.attacks):
            raise ValueError(f"step_size only applies to PGD, but the ensemble {ensemble.label} has other attacks; "
                             "use attack='pgd' or leave step_size unset")
        if not math.isfinite(step_size) or step_size < 0:
            raise ValueError(f"step_size must be a finite number >= 0 (got {step_size})")
        ensemble = Ensemble(f"{ensemble.name}[step_size={step_size:g}]",
                            tuple(AttackSpec(a.kind, a.loss, a.steps, a.restarts, a.targets, float(step_size),
                                             a.random_start) for a in ensemble.attacks))
    eps_values = [float(e) for e in eps_list]
    if not eps_values:
        raise ValueError("eps_list is empty: give at least one ε (0 for clean accuracy)")
    for e in eps_values:
        if math.isnan(e) or e < 0:
            raise ValueError(f"every ε must be >= 0 in [0,1] pixel space (got {e})")
    check_batch(x, y)
    n = x.shape[0]
    if n == 0:
        raise ValueError("no test points: x is empty")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1 (got {batch_size})")
    dev = torch.device(device) if device is not None else model_device(model)
    gen = None
    if seed is not None:
        gen = torch.Generator(device=dev)
        gen.manual_seed(int(seed))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(eps_values), desc=f"robust accuracy ({ensemble.name})", unit="ε", leave=False)
    t_start = time.perf_counter()
    clean = correct_under_attack(model, x, y, None, batch_size=batch_size, device=dev, autocast_dtype=autocast_dtype)
    out = RobustResult({}, {}, ensemble.describe(), norm, int(n))
    for e in eps_values:
        if e == 0.0:
            correct, costs = clean, []
        else:
            correct, costs = correct_under_ensemble(model, x, y, e, norm, ensemble, batch_size=batch_size,
                                                    device=dev, autocast_dtype=autocast_dtype, generator=gen,
                                                    clean=clean)
        out.accuracy[e] = int(correct.sum()) / n
        out.correct[e] = correct
        out.cost[e] = costs
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    out.seconds = time.perf_counter() - t_start
    return out


def robust_accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps_list: Sequence[float],
    norm: str | float = "inf",
    steps: int | None = None,
    step_size: float | None = None,
    restarts: int | None = None,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    *,
    attack: str | Ensemble | AttackSpec = "default",
    random_start: bool | None = None,
    seed: int | None = 0,
    loss_fn: Callable | None = None,
    autocast_dtype: torch.dtype | None = None,
    progress: bool = False,
) -> dict[float, float]:
    """Robust accuracy ``{eps: accuracy}`` of ``model`` for each ε of ``eps_list`` (in [0,1] pixel space) in one
    call; ``eps = 0`` gives the clean (standard) accuracy. The numbers of :func:`robust_evaluation` (default:
    the per-example worst case over :data:`deep.attacks.DEFAULT_ENSEMBLE`; ``attack="pgd"``: untargeted PGD
    with per-example best tracking, ``steps`` (default 100) steps of ``step_size`` (default 2.5·ε/steps),
    ``restarts`` restarts). ``loss_fn(logits, y)`` replaces PGD's cross-entropy (``attack="pgd"`` only)."""
    if loss_fn is not None:
        ens = resolve_ensemble(attack)
        if any(a.kind != "pgd" for a in ens.attacks):
            raise ValueError("loss_fn only applies to attack='pgd' (the ensemble's attacks choose their own losses)")
        return _pgd_accuracy_with_loss(model, x, y, eps_list, norm, ens, steps, step_size, restarts, batch_size,
                                       device, random_start, seed, loss_fn, autocast_dtype)
    return robust_evaluation(model, x, y, eps_list, norm, attack, steps=steps, restarts=restarts,
                             step_size=step_size, random_start=random_start, batch_size=batch_size, device=device,
                             seed=seed, autocast_dtype=autocast_dtype, progress=progress).accuracy


def _pgd_accuracy_with_loss(model, x, y, eps_list, norm, ens, steps, step_size, restarts, batch_size, device,
                            random_start, seed, loss_fn, autocast_dtype) -> dict[float, float]:
    """PGD with a custom loss: one PGD attack per ε on every point (no ensemble bookkeeping)."""
    from .attacks import PGD

    norm = normalise_norm(norm)
    spec = ens.scaled(steps, restarts, random_start).attacks[0]
    check_batch(x, y)
    dev = torch.device(device) if device is not None else model_device(model)
    gen = torch.Generator(device=dev).manual_seed(int(seed)) if seed is not None else None
    out = {}
    for e in (float(v) for v in eps_list):
        if e == 0.0:
            correct = correct_under_attack(model, x, y, None, batch_size=batch_size, device=dev,
                                           autocast_dtype=autocast_dtype)
        else:
            a = default_step_size(e, spec.steps, norm, x[0].numel()) if step_size is None else step_size
            pgd = PGD(e, a, spec.steps, norm, random_start=spec.random_start, restarts=spec.restarts, loss_fn=loss_fn)
            correct = correct_under_attack(model, x, y, pgd, batch_size=batch_size, device=dev,
                                           autocast_dtype=autocast_dtype, generator=gen)
        out[e] = int(correct.sum()) / x.shape[0]
    return out


def eps_key(eps: float) -> str:
    """The JSON key of an ε (``repr`` of the float: 0.3 -> '0.3')."""
    return repr(float(eps))


def evaluate_model(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps_list: list[float],
    norm: str = "inf",
    steps: int = 20,
    step_size: float | None = None,
    restarts: int = 1,
    batch_size: int = 500,
    device: torch.device | None = None,
    amp: bool = False,
    dist: DistInfo | None = None,
    progress: bool = False,
) -> tuple[float, dict[str, float]]:
    """Standard accuracy ``P[f(x) = y]`` and PGD robust accuracy ``P[f(x + δ_PGD) = y]`` for each ε: the per-epoch
    training monitor (labelled ``pgdN@eps`` in the metrics; a run's final robust accuracy comes from the strong
    default ensemble of deep.evaluate), measured by the one evaluator (deep.evaluate.robust_accuracy with
    ``attack="pgd"``: step 2.5 ε / steps unless given, ``restarts`` random
    starts, an example counts as robust only if it survives all). Rank r of a distributed run evaluates
    ``x[r::world]`` and the counts are summed over ranks."""
    dist = dist or DistInfo()
    device = device or next(model.parameters()).device
    x, y = x[dist.rank :: dist.world_size], y[dist.rank :: dist.world_size]
    eps_all = [0.0] + [float(e) for e in eps_list]
    n = len(y)
    if n:
        dtype = torch.bfloat16 if amp and device.type == "cuda" else None
        acc = robust_accuracy(model, x, y, eps_all, norm=norm, attack="pgd", steps=steps, step_size=step_size,
                              restarts=restarts, batch_size=batch_size, device=device, seed=dist.rank,
                              autocast_dtype=dtype, progress=progress)
        counts = [round(acc[e] * n) for e in eps_all]
    else:
        counts = [0] * len(eps_all)
    both = all_reduce_sum(torch.tensor(counts + [n], device=device, dtype=torch.long), dist).tolist()
    total = max(both[-1], 1)
    return both[0] / total, {eps_key(e): both[1 + j] / total for j, e in enumerate(eps_list)}
