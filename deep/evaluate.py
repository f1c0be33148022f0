"""Standard and robust accuracy (paper §2): the fraction of points classified correctly at every point of
the threat model, estimated by attack: a point counts as robust when the attack finds no
misclassified point in ``{x' in [0,1]^n : ||x' - x|| <= eps}``. This is an UPPER bound on the true robust
accuracy (a stronger attack can only lower it); :mod:`deep.sanity` checks that the attack is not obviously weak.

:func:`evaluate` is the one evaluator: clean accuracy (ε = 0) and robust accuracy at any number of ε, by default
the per-example worst case over :data:`deep.attacks.DEFAULT_ENSEMBLE` (APGD-CE, then APGD with the margin loss,
then APGD-T, each only on the points still robust: AutoAttack's order); ``attack="pgd"`` (or any name of
:data:`deep.attacks.NAMED_ATTACKS`, an :class:`deep.attacks.Ensemble` or an :class:`deep.attacks.AttackSpec`)
selects another one, and every result says which attacks ran and what they cost. Training's per-epoch monitor
(PGD sharded over the ranks of a distributed run), a run's final evaluation, the experiment engine and the
``tradeoff deep eval`` command all call it.

ε is in [0, 1] pixel space (models normalise internally). ``eps = 0`` means clean (standard) accuracy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from tradeoff.data import checks

from .attacks import AttackSpec, Ensemble, check_batch, normalise_norm, resolve_ensemble
from .attacks.correctness import AttackCost, correct_under_attack, correct_under_ensemble, model_device
from .device import Precision, fp32_on
from .distributed import DistInfo, all_reduce_sum


@dataclass
class RobustResult:
    """Robust accuracy per ε with the evaluation that produced it: ``accuracy`` ``{eps: acc}`` (ε = 0 is clean),
    ``correct`` ``{eps: bool tensor (N,)}`` per point, ``attack`` the ensemble's description
    (:meth:`deep.attacks.Ensemble.describe`), ``cost`` ``{eps: [AttackCost, ...]}``, ``n`` points, ``seconds``,
    ``precision`` the attacks' policy (:meth:`deep.device.Precision.describe`; counts are float32)."""

    accuracy: dict[float, float]
    correct: dict[float, torch.Tensor]
    attack: dict
    norm: str
    n: int
    cost: dict[float, list[AttackCost]] = field(default_factory=dict)
    seconds: float = 0.0
    precision: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready: ``attack`` (name, label, attacks), the attacks' ``precision`` and per ε its accuracy and cost
        (attacks, points attacked and broken, seconds, gradient evaluations), plus the total seconds."""
        return {"attack": self.attack, "norm": self.norm, "n": self.n, "seconds": self.seconds,
                "precision": self.precision,
                "per_eps": [{"eps": e, "accuracy": a, "cost": [c.to_dict() for c in self.cost.get(e, [])]}
                            for e, a in self.accuracy.items()]}


def eps_key(eps: float) -> str:
    """The JSON key of an ε (``repr`` of the float: 0.3 -> '0.3')."""
    return repr(float(eps))


def _ensemble(attack: str | Ensemble | AttackSpec, steps: int | None, restarts: int | None,
              random_start: bool | None, step_size: float | None) -> Ensemble:
    """The ensemble ``attack`` names, with every attack's budget replaced where given (:meth:`Ensemble.scaled`) and
    PGD's step size set."""
    ensemble = resolve_ensemble(attack).scaled(steps, restarts, random_start)
    if step_size is None:
        return ensemble
    if any(a.kind != "pgd" for a in ensemble.attacks):
        raise ValueError(f"step_size only applies to PGD, but the ensemble {ensemble.label} has other attacks; "
                         "use attack='pgd' or leave step_size unset")
    if not math.isfinite(step_size) or step_size < 0:
        raise ValueError(f"step_size must be a finite number >= 0 (got {step_size})")
    return Ensemble(f"{ensemble.name}[step_size={step_size:g}]",
                    tuple(AttackSpec(a.kind, a.loss, a.steps, a.restarts, a.targets, float(step_size),
                                     a.random_start) for a in ensemble.attacks))


def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: Sequence[float] = (0.0,),
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
    precision: Precision | None = None,
    dist: DistInfo | None = None,
    progress: bool = False,
) -> RobustResult:
    """Accuracy of ``model`` on ``(x, y)`` at each radius of ``eps`` (pixel space; ε = 0: the clean, standard
    accuracy ``P[f(x) = y]``) under the per-example worst case of ``attack`` (default
    :data:`deep.attacks.DEFAULT_ENSEMBLE`; a name of :data:`deep.attacks.NAMED_ATTACKS` such as ``"pgd"``, an
    :class:`Ensemble` or an :class:`AttackSpec`), with the ensemble's description and per-attack cost.

    ``steps``, ``restarts``, ``random_start`` replace every attack's own (:meth:`Ensemble.scaled`);
    ``step_size`` is PGD's (pixel space; default 2.5·ε/steps) and only valid for ensembles made of PGD attacks.
    Random starts come from one generator seeded with ``seed`` (``None``: torch's global RNG).
    ``precision`` (deep.device) is the attacks' policy (bf16 autocast, channels-last); accuracies are always
    counted by float32 forward passes (deep.attacks.correctness). ``dist``: in a
    distributed run rank r evaluates ``x[r::world]`` (``correct`` and ``cost`` are its own) and the numbers of
    correct points are summed over the ranks (``accuracy`` and ``n`` are over all points). ``progress`` shows a
    tqdm bar on stderr that advances per batch: the clean pass, then each attack at each ε on the points still
    robust (named in the bar), counted in points."""
    norm = normalise_norm(norm)
    ensemble = _ensemble(attack, steps, restarts, random_start, step_size)
    eps_values = [float(e) for e in eps]
    if not eps_values:
        raise ValueError("eps is empty: give at least one ε (0 for clean accuracy)")
    check_batch(x, y)
    if x.shape[0] == 0:
        raise ValueError("no test points: x is empty")
    for e in eps_values:  # pixel space: l_inf in [0, 1], l_2 in [0, sqrt(pixels)] (data.checks)
        checks.eps("eps", e, norm, dim=int(x[0].numel()))
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1 (got {batch_size})")
    dist = dist or DistInfo()
    if dist.enabled:
        x, y = x[dist.rank :: dist.world_size], y[dist.rank :: dist.world_size]
    n = x.shape[0]
    dev = torch.device(device) if device is not None else model_device(model)
    gen = None
    if seed is not None:
        gen = torch.Generator(device=dev)
        gen.manual_seed(int(seed))
    bar = on_attack = on_batch = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc="clean accuracy", unit="img", leave=False)
        on_batch = bar.update

        def on_attack(label: str, todo: int, e: float = 0.0) -> None:
            bar.set_description(f"eps={e:g} {label}")
            bar.total += todo
            bar.refresh()
    t_start = time.perf_counter()
    out = RobustResult({}, {}, ensemble.describe(), norm, int(n),
                       precision=(precision or fp32_on(dev)).describe())
    clean = (correct_under_attack(model, x, y, None, batch_size=batch_size, device=dev, precision=precision,
                                  on_batch=on_batch) if n else torch.zeros(0, dtype=torch.bool))
    for e in eps_values:
        if e == 0.0 or not n:
            correct, costs = clean, []
        else:
            correct, costs = correct_under_ensemble(
                model, x, y, e, norm, ensemble, batch_size=batch_size, device=dev, precision=precision, generator=gen,
                clean=clean, on_batch=on_batch,
                on_attack=None if on_attack is None else lambda label, todo, e=e: on_attack(label, todo, e))
        out.accuracy[e] = int(correct.sum()) / n if n else 0.0
        out.correct[e] = correct
        out.cost[e] = costs
    if bar is not None:
        bar.close()
    if dist.enabled:  # the counts of every rank (one all-reduce of a few integers)
        counts = [int(out.correct[e].sum()) for e in out.accuracy] + [n]
        both = all_reduce_sum(torch.tensor(counts, device=dev, dtype=torch.long), dist).tolist()
        total = max(both[-1], 1)
        out.accuracy = {e: both[j] / total for j, e in enumerate(out.accuracy)}
        out.n = both[-1]
    out.seconds = time.perf_counter() - t_start
    return out
