"""The precision policy on this CPU (deep.device), side by side in one run: float32 NCHW against the policy
(bf16 autocast + channels-last where the CPU has bf16 matrix instructions).

``python -m bench precision [--threads 1 2] [--quick] [--out PATH]``. Measures, for the MNIST CNN (deep.models) at
widths 8 and 32 (the paper's network), batch 100, one and two torch threads:

- an **attack step** (forward + backward to the input of the summed cross-entropy, the inner step of PGD/APGD);
- a **PGD training step** (PGD-5 then one Adam step on the perturbed batch, the engine's own
  ``Population.population_step`` of a one-model population);
- the **population engine** at K = 8 (a PGD-5 training step of 8 members): the loop of models against the grouped
  stack (deep.stacked), in float32 and under the policy;
- the project's **PGD-40** and **APGD-CE-100** (ℓ∞ ε = 0.3, 500 images, width 32, one thread) under the policy
  against torchattacks 3.5.1 (float32, its defaults) on the same model and images, when torchattacks is importable
  (a benchmark-only tool: ``pip install --no-deps torchattacks==3.5.1``; it needs no torchvision at import).

Throughput is image·steps/s (one forward+backward pass of one image; a PGD-5 training step on B images is 6·B).
Each rate is also given as a share of this CPU's practical peak: the FLOP/s of a 2048³ matrix product in the same
precision and thread count, measured in the same run (FLOPs counted by torch.utils.flop_counter). Targets (issue
21): at width 32 the attack step and the PGD training step ≥ 2.5× float32 NCHW; PGD-40 and APGD-CE-100 ≥ 2×
torchattacks. Writes a ``deep.benchmark`` result file (``--out``, default ``<results>/deep/precision.json``).
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from tradeoff.data.io import write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.paths import results_dir
from tradeoff.data.provenance import machine_line
from tradeoff.data.scales import Scale
from tradeoff.deep.attacks import APGD, PGD
from tradeoff.deep.config import AdvConfig, EvalConfig, TrainConfig
from tradeoff.deep.device import Precision, bf16_units, fp32_on, resolve_precision
from tradeoff.deep.models import build_model
from tradeoff.deep.population import Population

MNIST = ("mnist_cnn", 10, (0.1307,), (0.3081,))
TARGET_STEP, TARGET_PEERS = 2.5, 2.0


def _time(fn, min_time: float, repeats: int = 3) -> float:
    """Median seconds of one call of ``fn`` (after a warm-up), over ``repeats`` blocks of at least ``min_time``."""
    fn()
    times = []
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            if time.perf_counter() - t0 >= min_time:
                break
        times.append((time.perf_counter() - t0) / n)
    return sorted(times)[len(times) // 2]


def gemm_peak(dtype: torch.dtype, min_time: float) -> float:
    """FLOP/s of a 2048³ matrix product in ``dtype`` (this CPU's practical peak at the current thread count)."""
    a, b = torch.randn(2048, 2048).to(dtype), torch.randn(2048, 2048).to(dtype)
    return 2 * 2048**3 / _time(lambda: a @ b, min_time)


def _model(width: int, policy: Precision) -> torch.nn.Module:
    torch.manual_seed(0)
    return policy.model(build_model(MNIST[0], MNIST[1], MNIST[2], MNIST[3], width, 28).eval())


def attack_step_flops(width: int) -> int:
    """FLOPs of one attack step on one image (forward + backward to the input), counted in float32."""
    from torch.utils.flop_counter import FlopCounterMode

    model = _model(width, fp32_on("cpu"))
    x = torch.rand(1, 1, 28, 28, requires_grad=True)
    counter = FlopCounterMode(display=False)
    with counter:
        F.cross_entropy(model(x), torch.zeros(1, dtype=torch.long)).backward(inputs=[x])
    return int(counter.get_total_flops())


def attack_step(width: int, policy: Precision, batch: int, min_time: float, steps: int = 10) -> float:
    """Seconds of one attack step on ``batch`` images under ``policy``: ``steps`` steps inside one autocast region,
    as an attack runs them (the weights' bf16 copies are made once per region), divided by ``steps``."""
    model = _model(width, policy)
    x, y = policy.inputs(torch.rand(batch, 1, 28, 28)), torch.randint(0, 10, (batch,))

    def attack():
        with policy.autocast():
            for _ in range(steps):
                xx = x.detach().requires_grad_(True)
                (g,) = torch.autograd.grad(F.cross_entropy(model(xx).float(), y, reduction="sum"), xx)
        return g

    return _time(attack, min_time) / steps


def _population(width: int, k: int, amp: bool, grouped: bool | None, batch: int) -> Population:
    data = (torch.rand(4 * batch, 1, 28, 28), torch.randint(0, 10, (4 * batch,)))
    cfgs = [TrainConfig(name=f"b{i}", dataset="mnist", model="mnist_cnn", width=width, epochs=1, batch_size=batch,
                        device="cpu", amp=amp, channels_last=amp, seed=i, progress=False,
                        adv=AdvConfig(norm="inf", eps=0.3, steps=5), eval=EvalConfig(n_epoch=8, n_final=8, every=0))
            for i in range(k)]
    return Population(cfgs, data=[(data, data)] * k, grouped=grouped)


def training_step(width: int, amp: bool, batch: int, min_time: float, k: int = 1, grouped: bool | None = False
                  ) -> float:
    """Seconds of one PGD-5 training step (attack, then an Adam step) of a population of ``k`` models."""
    pop = _population(width, k, amp, grouped, batch)
    x = torch.rand(k, batch, 1, 28, 28)
    y = torch.randint(0, 10, (k, batch))
    gens = [torch.Generator().manual_seed(i) for i in range(k)]
    return _time(lambda: pop.population_step(x, y, None, [batch] * k, 1e-3, [0.3] * k, gens), min_time)


def peers(policy: Precision, min_time: float) -> list[dict]:
    """The project's PGD-40 and APGD-CE-100 under ``policy`` against torchattacks' (float32) on the MNIST CNN at
    width 32, 500 images labelled with the model's own predictions (so that no point is skipped as already
    misclassified), ℓ∞ ε = 0.3; [] when torchattacks is not importable."""
    try:
        import torchattacks
    except ImportError:
        return []
    torch.manual_seed(1)
    x = torch.rand(500, 1, 28, 28)
    plain = _model(32, fp32_on("cpu"))
    with torch.no_grad():  # labels = the model's own predictions: every point starts correctly classified, so both
        y = plain(x).argmax(1)  # attack all 500 (torchattacks' APGD, like AutoAttack's, skips points already wrong)
    ours = policy.model(copy.deepcopy(plain))
    rows = []
    for name, mine, theirs in (
        ("PGD-40", PGD(0.3, 0.01, 40, "inf", seed=0),
         torchattacks.PGD(plain, eps=0.3, alpha=0.01, steps=40, random_start=True)),
        ("APGD-CE-100", APGD(0.3, 100, "inf", "ce", seed=0),
         torchattacks.APGD(plain, norm="Linf", eps=0.3, steps=100, n_restarts=1, loss="ce", seed=0)),
    ):
        def run_mine(mine=mine):
            with policy.autocast():
                return mine(ours, policy.inputs(x), y)

        t_mine = _time(run_mine, min_time, repeats=1)
        t_theirs = _time(lambda theirs=theirs: theirs(x, y), min_time, repeats=1)
        rows.append({"attack": name, "ours_s": t_mine, "torchattacks_s": t_theirs, "speedup": t_theirs / t_mine,
                     "target": TARGET_PEERS, "met": t_theirs / t_mine >= TARGET_PEERS,
                     "torchattacks": getattr(torchattacks, "__version__", "?")})
    return rows


def _parse(argv):
    ap = argparse.ArgumentParser(prog="python -m bench precision", description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="short timings (a test of the script)")
    ap.add_argument("--out", type=Path, default=None)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the tables, write the result file; 1 when a target is missed."""
    args = _parse(argv or [])
    min_time = 0.05 if args.quick else 1.0
    batch = 20 if args.quick else 100
    policy = resolve_precision("cpu", amp=True, channels_last=True)
    print(f"machine: {machine_line()}; bf16 units: {bf16_units('cpu')}; policy: {policy.note}")
    rows, population, peer_rows = [], [], []
    threads_before = torch.get_num_threads()
    try:
        for threads in args.threads:
            torch.set_num_threads(threads)
            peak = {"fp32": gemm_peak(torch.float32, min_time), "bf16": gemm_peak(torch.bfloat16, min_time)}
            for width in (8, 32):
                flops = attack_step_flops(width)
                t32 = attack_step(width, fp32_on("cpu"), batch, min_time)
                tp = attack_step(width, policy, batch, min_time)
                s32 = training_step(width, False, batch, min_time)
                sp = training_step(width, True, batch, min_time)
                for what, a, b, per_image in (("attack step", t32, tp, flops), ("PGD-5 training step", s32, sp, None)):
                    row = {"threads": threads, "width": width, "step": what, "fp32_images_steps_s": batch / a,
                           "policy_images_steps_s": batch / b, "speedup": a / b,
                           "target": TARGET_STEP if width == 32 else None}
                    if what == "PGD-5 training step":
                        row.update(fp32_images_steps_s=6 * batch / a, policy_images_steps_s=6 * batch / b)
                    if per_image:
                        row["fp32_share_of_peak"] = per_image * batch / a / peak["fp32"]
                        row["policy_share_of_peak"] = per_image * batch / b / peak[policy.name]
                    row["met"] = row["target"] is None or row["speedup"] >= row["target"]
                    rows.append(row)
                    print(row, flush=True)
                if threads == 1:
                    for amp in (False, True):
                        loop = training_step(width, amp, batch, min_time, k=8, grouped=False)
                        grouped = training_step(width, amp, batch, min_time, k=8, grouped=True)
                        population.append({"width": width, "precision": "policy" if amp else "fp32",
                                           "loop_images_steps_s": 8 * 6 * batch / loop,
                                           "grouped_images_steps_s": 8 * 6 * batch / grouped,
                                           "grouped_over_loop": loop / grouped})
                        print(population[-1], flush=True)
            rows.append({"threads": threads, "step": "gemm 2048^3", "fp32_flops": peak["fp32"],
                         "bf16_flops": peak["bf16"]})
        torch.set_num_threads(1)
        peer_rows = [] if args.quick else peers(policy, min_time)
        for r in peer_rows:
            print(r, flush=True)
    finally:
        torch.set_num_threads(threads_before)
    out = args.out or results_dir() / "deep" / "precision.json"
    payload = {"policy": policy.describe(), "batch": batch, "rows": rows, "population": population,
               "peers": peer_rows, "quick": args.quick}
    write_result(out, Kind.DEEP_BENCHMARK, payload, scale=Scale.BENCH, dataset="synthetic MNIST-shaped")
    print(f"wrote {out}")
    missed = [r for r in rows + peer_rows if r.get("met") is False]
    return 1 if missed and not args.quick else 0


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
