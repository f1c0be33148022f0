"""Throughput of the attack loops against a plain reference loop on the same model and batch: ``PGD`` (with and
without best-iterate tracking) and ``APGD`` (always tracking) versus a loop with only the essentials (gradient
of the mean cross-entropy with respect to the input, sign / normalised step, projection, clamp; no tracking),
and a lower bound that only runs the model's forward and backward passes. Target: PGD with tracking ≥ 1.2× the
reference loop's images·steps/s. A profile of one PGD call shows where the time goes.

``python -m bench attack_loop`` or ``python -m bench.attack_loop [--batch 64] [--steps 20] [--threads 1]``.
Models: the MNIST CNN of bench/pgd.py (conv-dominated) and a small MLP 784-256-10 (where per-step work outside
the model weighs more); ℓ∞ (ε = 0.3) and ℓ2 (ε = 2). CPU, one thread unless told otherwise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from bench.pgd import build_bench_model
from tradeoff.data.provenance import machine_line
from tradeoff.deep.attacks import APGD, PGD
from tradeoff.deep.attacks.steps import default_step_size

TARGET = 1.2


def reference_loop(model, x, y, eps, step, steps, norm):
    """The plain loop: random start, ``steps`` × (input gradient of the mean CE, step, project, clamp)."""
    if norm == "inf":
        x_adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    else:
        x_adv = x.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        (g,) = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach()
        if norm == "inf":
            x_adv = x_adv + step * g.sign()
            x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
        else:
            gn = g.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
            x_adv = x_adv + step * g / gn
            d = x_adv - x
            dn = d.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
            x_adv = (x + d * (eps / dn.clamp_min(1e-12)).clamp(max=1)).clamp(0, 1)
    return x_adv


def model_only(model, x, y, steps):
    """Lower bound: the forward and input-gradient backward passes of ``steps`` steps, nothing else."""
    x_adv = x.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(x_adv), y), x_adv)
        x_adv = x_adv.detach()
    return x_adv


def _variants(model, x, y, eps, step, steps, norm) -> dict:
    """The timed callables of one row (same model, batch, budget)."""
    return {
        "reference loop": lambda: reference_loop(model, x, y, eps, step, steps, norm),
        "model only": lambda: model_only(model, x, y, steps),
        "PGD tracking": lambda: PGD(eps, step, steps, norm, seed=0, check_range=False)(model, x, y),
        "PGD no tracking": lambda: PGD(eps, step, steps, norm, seed=0, track_best=False,
                                       check_range=False)(model, x, y),
        "APGD-CE": lambda: APGD(eps, steps - 1, norm, seed=0, check_range=False)(model, x, y),  # steps grads
    }


def _median_times(fns: dict, repeats: int) -> dict:
    """Median seconds per callable, timed round-robin (one call of each in turn) so that a change in the
    machine's load hits every variant alike."""
    for f in fns.values():
        f()
    times: dict = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).eval()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.attack_loop", description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--profile", action="store_true", help="print the top operators of one PGD call")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"machine: {machine_line()}; torch threads {torch.get_num_threads()}; batch {args.batch}, "
          f"{args.steps} steps")
    cnn = build_bench_model("mnist")[0].eval()
    met = True
    print(f"{'model':5} {'norm':4} {'variant':16} {'img·step/s':>11} {'vs ref':>7}")
    for mname, model in (("cnn", cnn), ("mlp", _mlp())):
        for norm, eps in (("inf", 0.3), ("2", 2.0)):
            torch.manual_seed(0)
            x = torch.rand(args.batch, 1, 28, 28)
            y = torch.randint(0, 10, (args.batch,))
            step = default_step_size(eps, args.steps)
            variants = _variants(model, x, y, eps, step, args.steps, norm)
            times = _median_times(variants, args.repeats)
            ref = times["reference loop"]
            for k, t in times.items():
                print(f"{mname:5} {norm:4} {k:16} {args.batch * args.steps / t:11.0f} {ref / t:7.2f}")
            met &= ref / times["PGD tracking"] >= TARGET
    if args.profile:
        from torch.profiler import profile

        x = torch.rand(args.batch, 1, 28, 28)
        y = torch.randint(0, 10, (args.batch,))
        for mname, model in (("cnn", cnn), ("mlp", _mlp())):
            atk = PGD(0.3, 0.3 / 8, args.steps, "inf", seed=0, check_range=False)
            with profile() as prof:
                atk(model, x, y)
            print(f"\nprofile of one PGD call ({mname}, ℓ∞):")
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12, max_name_column_width=40))
    print(f"target: PGD with tracking >= {TARGET}x the reference loop on every row: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
