"""Sanity checks that a PGD robust-accuracy number can be trusted (claim 12; Athalye et al. 2018 and
Carlini et al. 2019 list these symptoms of gradient masking / a weak evaluation).

1. ``input_gradients``: ∇_x cross-entropy is finite everywhere and non-zero for (almost) every point.
2. ``unbounded_attack``: PGD with ε = the box diameter (1 for ℓ∞, √n for ℓ2: every image is allowed), no
   random start, must bring accuracy to about 0%.
3. ``more_steps``: PGD with ``factor·k`` steps (step 2.5ε/(factor·k)) must not have HIGHER robust accuracy
   than PGD-k (step 2.5ε/k). The two attacks use different random starts, so a rise of up to ``z``
   standard errors of the paired difference, z·√(b + c)/n (b, c: points only one of them breaks; the
   McNemar statistic), is tolerated and reported; anything above fails.
4. ``more_restarts``: PGD-k with R restarts must not have higher robust accuracy than with 1 restart. The
   first restart of both shares the same seeded random start, so the R-restart attack searches a superset
   of the 1-restart attack's iterates: NO slack (any rise fails). It can only fail through
   nondeterminism (e.g. a model with random noise in its forward pass) or a broken best-iterate tracking.

ε is in [0, 1] pixel space. Every failed check emits a :class:`GradientMaskingWarning`.

Check 1 also fires on two real (not deliberate) causes of zero gradients, both of which make CE-based PGD
overestimate robustness: saturated softmax (a logit margin above ~100 makes float32 CE gradients exactly
0) and inputs where every ReLU of a layer is dead (constant logits around the point).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass, field

import torch
from torch import nn

from .attacks import (
    PGD,
    box_diameter,
    check_batch,
    cross_entropy_per_example,
    eval_mode,
    normalise_norm,
    unwrap_parallel,
)
from .evaluate import correct_under_attack, default_step_size, model_device


class GradientMaskingWarning(UserWarning):
    """A sanity check of the robust-accuracy evaluation failed: the number may overestimate robustness."""


@dataclass
class SanityReport:
    """Outcome of :func:`run_sanity_checks`: ``checks`` is a list of ``{name, passed, detail, values}``."""

    eps: float
    norm: str
    n: int
    checks: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(c["passed"] for c in self.checks)

    @property
    def failed(self) -> list[str]:
        """Names of the checks that failed."""
        return [c["name"] for c in self.checks if not c["passed"]]

    def check(self, name: str) -> dict:
        """The check called ``name`` (KeyError if it did not run)."""
        for c in self.checks:
            if c["name"] == name:
                return c
        raise KeyError(name)

    def to_payload(self, run: str) -> dict:
        """The payload of a ``deep.sanity`` result file (reports/RESULTS.md): ``run, checks, ok, eps, norm, n``."""
        return {"run": run, "eps": self.eps, "norm": self.norm, "n": self.n, "ok": self.ok,
                "checks": [dict(c) for c in self.checks]}


def _check(name: str, passed: bool, detail: str, **values) -> dict:
    return {"name": name, "passed": bool(passed), "detail": detail, "values": values}


def gradient_check(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    max_zero_fraction: float = 0.05,
    autocast_dtype: torch.dtype | None = None,
) -> dict:
    """Check 1: every entry of ∇_x CE(model(x), y) is finite, and at most ``max_zero_fraction`` of the points
    have an exactly zero gradient (a quantising / non-differentiable forward gives zero everywhere)."""
    dev = torch.device(device) if device is not None else model_device(model)
    model = unwrap_parallel(model)
    n_nonfinite = 0
    n_zero = 0
    n = x.shape[0]
    with torch.inference_mode(False), eval_mode(model):
        for i in range(0, n, batch_size):
            xb = x[i : i + batch_size].to(dev).detach().clone().requires_grad_(True)
            yb = y[i : i + batch_size].to(dev)
            ctx = torch.autocast(dev.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext()
            with torch.enable_grad(), ctx:
                loss = cross_entropy_per_example(model(xb), yb).sum()
            (g,) = torch.autograd.grad(loss, xb)
            g = g.flatten(1)
            n_nonfinite += int((~torch.isfinite(g)).any(dim=1).sum())
            n_zero += int((g == 0).all(dim=1).sum())
    zero_frac = n_zero / max(n, 1)
    passed = n_nonfinite == 0 and zero_frac <= max_zero_fraction
    detail = (f"{n_nonfinite}/{n} points with non-finite input gradients, {n_zero}/{n} with an all-zero gradient "
              f"(allowed: none non-finite, at most {max_zero_fraction:.0%} zero)")
    return _check("input_gradients", passed, detail, nonfinite=n_nonfinite, zero=n_zero, n=n)


def paired_rise_check(
    name: str, correct_base: torch.Tensor, correct_stronger: torch.Tensor, z: float, what: str
) -> dict:
    """Checks 3/4: the stronger attack's robust accuracy must not exceed the base attack's by more than
    ``z·√(b + c)/n`` (``b``: points only the base attack breaks; ``c``: only the stronger one; ``z = 0``
    means no rise at all is allowed). Both vectors are per-point correctness on the same points."""
    base = correct_base.bool()
    strong = correct_stronger.bool()
    n = base.numel()
    b = int((strong & ~base).sum())  # robust under the stronger attack only: the base attack broke them
    c = int((base & ~strong).sum())
    acc_base = int(base.sum()) / n
    acc_strong = int(strong.sum()) / n
    rise = acc_strong - acc_base
    allowed = z * math.sqrt(b + c) / n
    passed = rise <= allowed + 1e-12
    detail = (f"{what}: robust accuracy {acc_base:.2%} -> {acc_strong:.2%} (rise {rise:+.2%}, allowed "
              f"{allowed:.2%} = {z:g}·√(b+c)/n with b={b}, c={c}, n={n})")
    return _check(name, passed, detail, base=acc_base, stronger=acc_strong, rise=rise, allowed=allowed, b=b, c=c)


def run_sanity_checks(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    norm: str | float = "inf",
    *,
    steps: int = 20,
    restarts: int = 4,
    more_steps_factor: int = 4,
    unbounded_steps: int = 100,
    unbounded_max_accuracy: float = 0.01,
    max_zero_grad_fraction: float = 0.05,
    slack_sigmas: float = 2.0,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    seed: int = 0,
    autocast_dtype: torch.dtype | None = None,
    warn: bool = True,
) -> SanityReport:
    """Run the four checks of this module's docstring on the points ``(x, y)`` at radius ``eps`` (in [0,1]
    pixel space) and return a :class:`SanityReport`; with ``warn`` each failed check also emits a
    :class:`GradientMaskingWarning` naming it. Cost: about (1 + factor + restarts)·steps + unbounded_steps
    gradient evaluations per point."""
    norm = normalise_norm(norm)
    check_batch(x, y)
    if x.shape[0] == 0:
        raise ValueError("no points to check: x is empty")
    if eps < 0 or math.isnan(eps):
        raise ValueError(f"eps must be >= 0 in [0,1] pixel space (got {eps})")
    n_dims = x[0].numel()
    common = {"batch_size": batch_size, "device": device, "autocast_dtype": autocast_dtype}
    report = SanityReport(eps=float(eps), norm=norm, n=int(x.shape[0]))

    report.checks.append(gradient_check(model, x, y, batch_size=batch_size, device=device,
                                        max_zero_fraction=max_zero_grad_fraction, autocast_dtype=autocast_dtype))

    diam = box_diameter(norm, n_dims)
    unbounded = PGD(diam, default_step_size(diam, unbounded_steps), unbounded_steps, norm, random_start=False)
    acc_unb = int(correct_under_attack(model, x, y, unbounded, **common).sum()) / x.shape[0]
    report.checks.append(_check(
        "unbounded_attack", acc_unb <= unbounded_max_accuracy,
        f"PGD-{unbounded_steps} with ε = {diam:.4g} (the whole box): accuracy {acc_unb:.2%} "
        f"(must be <= {unbounded_max_accuracy:.2%})",
        accuracy=acc_unb, eps=diam, steps=unbounded_steps))

    k, k_many = int(steps), int(steps) * int(more_steps_factor)
    pgd_k = PGD(eps, default_step_size(eps, k, norm, n_dims), k, norm, seed=seed)
    pgd_many = PGD(eps, default_step_size(eps, k_many, norm, n_dims), k_many, norm, seed=seed + 1)
    pgd_r = PGD(eps, default_step_size(eps, k, norm, n_dims), k, norm, restarts=restarts, seed=seed)
    correct_k = correct_under_attack(model, x, y, pgd_k, **common)
    correct_many = correct_under_attack(model, x, y, pgd_many, **common)
    report.checks.append(paired_rise_check(
        "more_steps", correct_k, correct_many, slack_sigmas,
        f"PGD-{k} vs PGD-{k_many} (different random starts: statistical slack)"))
    correct_r = correct_under_attack(model, x, y, pgd_r, **common)
    report.checks.append(paired_rise_check(
        "more_restarts", correct_k, correct_r, 0.0,
        f"PGD-{k} 1 vs {restarts} restarts (shared first start: no slack)"))

    if warn:
        for c in report.checks:
            if not c["passed"]:
                warnings.warn(f"sanity check '{c['name']}' failed, robust accuracy may be overestimated "
                              f"(gradient masking or a weak attack): {c['detail']}", GradientMaskingWarning,
                              stacklevel=2)
    return report


@dataclass
class RobustEvaluation:
    """Robust accuracy per ε (``{eps: accuracy}``, ε = 0 is clean) with the sanity report that backs it."""

    accuracy: dict[float, float]
    sanity: SanityReport | None

    @property
    def trusted(self) -> bool:
        """True when the sanity checks ran and all passed."""
        return self.sanity is not None and self.sanity.ok


def evaluate_with_sanity(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps_list: list[float],
    norm: str | float = "inf",
    *,
    steps: int = 100,
    restarts: int = 1,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    seed: int = 0,
    sanity: bool = True,
    sanity_points: int = 500,
    sanity_steps: int = 20,
    sanity_restarts: int = 4,
    autocast_dtype: torch.dtype | None = None,
    progress: bool = False,
) -> RobustEvaluation:
    """:func:`deep.evaluate.robust_accuracy` for every ε of ``eps_list`` (in [0,1] pixel space) and, unless
    ``sanity=False``, :func:`run_sanity_checks` at the largest ε on the first ``sanity_points`` points (the
    checks are the default: an evaluation without them is reported as not trusted)."""
    from .evaluate import robust_accuracy

    acc = robust_accuracy(model, x, y, eps_list, norm, steps=steps, restarts=restarts, batch_size=batch_size,
                          device=device, seed=seed, autocast_dtype=autocast_dtype, progress=progress)
    report = None
    if sanity:
        eps = max(float(e) for e in eps_list)
        m = min(int(sanity_points), x.shape[0])
        report = run_sanity_checks(model, x[:m], y[:m], eps, norm, steps=sanity_steps, restarts=sanity_restarts,
                                   batch_size=batch_size, device=device, seed=seed, autocast_dtype=autocast_dtype)
    return RobustEvaluation(acc, report)
