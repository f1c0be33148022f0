"""Sanity checks that a robust-accuracy number can be trusted (claim 12; Athalye et al. 2018, Carlini et al.
2019 and Croce & Hein 2020 list these symptoms of gradient masking / a weak evaluation).

1. ``input_gradients``: ∇_x cross-entropy is finite everywhere and non-zero for (almost) every point (the
   fraction of all-zero gradients is reported).
2. ``output_randomness``: two forward passes on the same inputs in eval mode give the same logits (up to
   float rounding, relative difference ≤ 1e-4) and the same predictions. A randomised model makes every
   gradient attack fight noise; its robust accuracy then needs an expectation-over-transformation attack.
3. ``unbounded_attack``: PGD with ε = the box diameter (1 for ℓ∞, √n for ℓ2: every image is allowed), no
   random start, must bring accuracy to about 0%.
4. ``more_steps``: APGD-CE with ``factor·k`` iterations must not have HIGHER robust accuracy than APGD-CE with
   ``k``. The two runs use different random starts, so a rise of up to ``z`` standard errors of the paired
   difference, z·√(b + c)/n (b, c: points only one of them breaks; the McNemar statistic), is tolerated and
   reported; anything above fails.
5. ``more_restarts``: APGD-CE-k with R restarts must not have higher robust accuracy than with 1 restart. The
   first restart of both shares the same seeded random start, so the R-restart attack searches a superset
   of the 1-restart attack's iterates: NO slack (any rise fails). It can only fail through
   nondeterminism (e.g. a model with random noise in its forward pass) or a broken best-iterate tracking.
6. ``black_box``: the black-box Square attack (margin loss, no gradients; from the reference package
   ``pyautoattack``) must not reach a LOWER robust accuracy than the white-box evaluation (default: the
   ensemble of :mod:`deep.attacks.ensemble`), beyond the same z·√(b + c)/n slack: a gradient-free attack that
   beats the gradient attacks is the classic sign of masked gradients. Skipped (listed in ``skipped``, not
   passed) when pyautoattack is not installed.

ε is in [0, 1] pixel space. Every failed check emits a :class:`GradientMaskingWarning`.

Check 1 also fires on two real (not deliberate) causes of zero gradients, both of which make CE-based PGD
overestimate robustness: saturated softmax (a logit margin above ~100 makes float32 CE gradients exactly
0) and inputs where every ReLU of a layer is dead (constant logits around the point).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from .attacks import (
    APGD,
    PGD,
    Ensemble,
    box_diameter,
    check_batch,
    cross_entropy_per_example,
    eval_mode,
    normalise_norm,
    resolve_ensemble,
    unwrap_parallel,
)
from .attacks.correctness import correct_under_attack, correct_under_ensemble, model_device
from .attacks.steps import default_step_size
from .device import Precision


class GradientMaskingWarning(UserWarning):
    """A sanity check of the robust-accuracy evaluation failed: the number may overestimate robustness."""


@dataclass
class SanityReport:
    """Outcome of :func:`run_sanity_checks`: ``checks`` is a list of ``{name, passed, detail, values}``;
    ``skipped`` lists ``{name, reason}`` of checks that could not run (they count neither as passed nor failed)."""

    eps: float
    norm: str
    n: int
    checks: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

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
        """The payload of a ``deep.sanity`` result file (reports/RESULTS.md): ``run, checks, ok, eps, norm, n``
        and ``skipped``."""
        return {"run": run, "eps": self.eps, "norm": self.norm, "n": self.n, "ok": self.ok,
                "checks": [dict(c) for c in self.checks], "skipped": [dict(c) for c in self.skipped]}


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
    precision: Precision | None = None,
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
            if precision is not None:
                xb = precision.inputs(xb.detach()).requires_grad_(True)
            ctx = precision.autocast() if precision is not None else contextlib.nullcontext()
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
    return _check("input_gradients", passed, detail, nonfinite=n_nonfinite, zero=n_zero, n=n,
                  zero_fraction=zero_frac)


@torch.no_grad()
def output_randomness_check(
    model: nn.Module,
    x: torch.Tensor,
    *,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    max_relative_difference: float = 1e-4,
) -> dict:
    """Check 2: two forward passes of ``model`` (eval mode) on the same points give logits that differ by at most
    ``max_relative_difference`` of the largest logit magnitude, and identical predictions."""
    dev = torch.device(device) if device is not None else model_device(model)
    model = unwrap_parallel(model)
    max_diff, scale, n_pred = 0.0, 0.0, 0
    with eval_mode(model):
        for i in range(0, x.shape[0], batch_size):
            xb = x[i : i + batch_size].to(dev)
            a, b = model(xb).float(), model(xb).float()
            max_diff = max(max_diff, float((a - b).abs().max()))
            scale = max(scale, float(a.abs().max()))
            n_pred += int((a.argmax(1) != b.argmax(1)).sum())
    rel = max_diff / max(scale, 1e-12)
    passed = rel <= max_relative_difference and n_pred == 0
    detail = (f"two forward passes: largest logit difference {max_diff:.3g} ({rel:.2g} of the largest logit, "
              f"allowed {max_relative_difference:g}), {n_pred}/{x.shape[0]} predictions differ")
    return _check("output_randomness", passed, detail, max_difference=max_diff, relative=rel,
                  predictions_differ=n_pred)


def paired_rise_check(
    name: str, correct_base: torch.Tensor, correct_stronger: torch.Tensor, z: float, what: str
) -> dict:
    """Checks 4/5/6: the stronger attack's robust accuracy must not exceed the base attack's by more than
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
    max_output_difference: float = 1e-4,
    slack_sigmas: float = 2.0,
    batch_size: int = 256,
    device: torch.device | str | None = None,
    seed: int = 0,
    precision: Precision | None = None,
    warn: bool = True,
    evaluation: str | Ensemble = "default",
    white_box_correct: torch.Tensor | None = None,
    black_box: bool = True,
    square_queries: int = 1000,
    on_check: Callable[[str], None] | None = None,
) -> SanityReport:
    """Run the six checks of this module's docstring on the points ``(x, y)`` at radius ``eps`` (in [0,1]
    pixel space) and return a :class:`SanityReport`; with ``warn`` each failed check also emits a
    :class:`GradientMaskingWarning` naming it. ``evaluation``: the white-box evaluation the black-box check
    compares with (an ensemble or a name of :data:`deep.attacks.NAMED_ATTACKS`); ``white_box_correct``: its
    per-point correctness on these points if already computed. ``black_box=False`` skips the Square check.
    Cost: about (2 + factor + restarts)·steps + unbounded_steps gradient evaluations per point, the white-box
    evaluation (unless given) and ``square_queries`` forward passes per point still robust. ``on_check(name)`` is
    called as each check starts (progress: ``"2/6 output_randomness"``)."""
    norm = normalise_norm(norm)
    total = 6 if black_box else 5

    def starting(k: int, name: str) -> None:
        if on_check is not None:
            on_check(f"{k}/{total} {name}")

    check_batch(x, y)
    if x.shape[0] == 0:
        raise ValueError("no points to check: x is empty")
    if eps < 0 or math.isnan(eps):
        raise ValueError(f"eps must be >= 0 in [0,1] pixel space (got {eps})")
    n_dims = x[0].numel()
    common = {"batch_size": batch_size, "device": device, "precision": precision}
    report = SanityReport(eps=float(eps), norm=norm, n=int(x.shape[0]))

    starting(1, "input_gradients")
    report.checks.append(gradient_check(model, x, y, batch_size=batch_size, device=device,
                                        max_zero_fraction=max_zero_grad_fraction, precision=precision))
    starting(2, "output_randomness")
    report.checks.append(output_randomness_check(model, x, batch_size=batch_size, device=device,
                                                 max_relative_difference=max_output_difference))

    starting(3, "unbounded_attack")
    diam = box_diameter(norm, n_dims)
    unbounded = PGD(diam, default_step_size(diam, unbounded_steps), unbounded_steps, norm, random_start=False)
    acc_unb = int(correct_under_attack(model, x, y, unbounded, **common).sum()) / x.shape[0]
    report.checks.append(_check(
        "unbounded_attack", acc_unb <= unbounded_max_accuracy,
        f"PGD-{unbounded_steps} with ε = {diam:.4g} (the whole box): accuracy {acc_unb:.2%} "
        f"(must be <= {unbounded_max_accuracy:.2%})",
        accuracy=acc_unb, eps=diam, steps=unbounded_steps))

    k, k_many = int(steps), int(steps) * int(more_steps_factor)
    apgd_k = APGD(eps, k, norm, "ce", seed=seed)
    apgd_many = APGD(eps, k_many, norm, "ce", seed=seed + 1)
    apgd_r = APGD(eps, k, norm, "ce", restarts=restarts, seed=seed)
    starting(4, "more_steps")
    correct_k = correct_under_attack(model, x, y, apgd_k, **common)
    correct_many = correct_under_attack(model, x, y, apgd_many, **common)
    report.checks.append(paired_rise_check(
        "more_steps", correct_k, correct_many, slack_sigmas,
        f"APGD-CE {k} vs {k_many} iterations (different random starts: statistical slack)"))
    starting(5, "more_restarts")
    correct_r = correct_under_attack(model, x, y, apgd_r, **common)
    report.checks.append(paired_rise_check(
        "more_restarts", correct_k, correct_r, 0.0,
        f"APGD-CE-{k} 1 vs {restarts} restarts (shared first start: no slack)"))

    if black_box:
        from .reference import INSTALL, reference_available, square_correct

        starting(6, "black_box")
        if not reference_available():
            report.skipped.append({"name": "black_box", "reason": f"pyautoattack not installed ({INSTALL})"})
        else:
            ensemble = resolve_ensemble(evaluation)
            if white_box_correct is None:
                white_box_correct, _ = correct_under_ensemble(model, x, y, float(eps), norm, ensemble, **common)
            dev = torch.device(device) if device is not None else model_device(model)
            correct_bb = torch.zeros(x.shape[0], dtype=torch.bool)
            idx = correct_under_attack(model, x, y, None, **common).nonzero()[:, 0]
            if len(idx):  # Square only on clean-correct points (the others are wrong already)
                sub = idx.to(x.device)
                with eval_mode(model):
                    correct_bb[idx] = square_correct(model, x[sub].to(dev), y[sub].to(dev), float(eps), norm,
                                                     queries=square_queries, seed=seed)
            report.checks.append(paired_rise_check(
                "black_box", correct_bb, white_box_correct.cpu().bool(), slack_sigmas,
                f"Square ({square_queries} queries, black box) vs white-box {ensemble.label}: the white-box "
                "accuracy must not be higher"))

    if warn:
        for c in report.checks:
            if not c["passed"]:
                warnings.warn(f"sanity check '{c['name']}' failed, robust accuracy may be overestimated "
                              f"(gradient masking or a weak attack): {c['detail']}", GradientMaskingWarning,
                              stacklevel=2)
    return report
