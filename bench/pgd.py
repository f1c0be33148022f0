"""PGD throughput: images × steps per second of ``deep.attacks.PGD`` (ℓ∞, random start) for the MNIST CNN
(conv5×5-32, pool, conv5×5-64, pool, fc-1024, fc-10) and a CIFAR ResNet-18, with the achieved FLOP/s
beside the device's peak.

``python -m bench pgd`` or ``python -m bench.pgd [--devices cpu,cuda] [--out PATH] ...``.
CPU rows use small batches and few steps (well under a minute on one core); CUDA rows (when a GPU is
present) compare fp32, bf16 autocast and bf16 + channels_last (``--compile`` adds torch.compile).

FLOPs are the matmul/convolution FLOPs of one whole attack call counted by
``torch.utils.flop_counter.FlopCounterMode`` at batch 1 (forward + backward to the input for every step,
plus the clean and final forwards of best-iterate tracking), times the batch size. Writes a
``deep.benchmark`` result file (reports/RESULTS.md) to ``--out`` (default ``<results>/deep/benchmark.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn

from tradeoff.data.io import write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.paths import results_dir
from tradeoff.data.provenance import device_description
from tradeoff.data.scales import Scale
from tradeoff.deep.attacks import PGD
from tradeoff.deep.attacks.steps import default_step_size

# Dense (no sparsity) peak TFLOP/s from the vendors' datasheets, per precision. Matched against
# torch.cuda.get_device_name() in this order (first substring match wins).
PEAK_TFLOPS: list[tuple[str, dict[str, float]]] = [
    ("H200 NVL", {"bf16": 835.0, "tf32": 417.5, "fp32": 60.0}),
    ("H200", {"bf16": 989.4, "tf32": 494.7, "fp32": 66.9}),  # same GH100 chip and clocks as H100 SXM
    ("H100 NVL", {"bf16": 835.0, "tf32": 417.5, "fp32": 60.0}),
    ("H100 PCIe", {"bf16": 756.5, "tf32": 378.0, "fp32": 51.2}),
    ("H100", {"bf16": 989.4, "tf32": 494.7, "fp32": 66.9}),  # H100 SXM ("NVIDIA H100 80GB HBM3")
    ("A100", {"bf16": 312.0, "tf32": 156.0, "fp32": 19.5}),
]

MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def peak_tflops(device_name: str, precision: str) -> float | None:
    """Datasheet dense peak of ``device_name`` for ``precision`` (``bf16``, ``tf32``, ``fp32``); None if unknown
    (always for CPUs)."""
    for key, peaks in PEAK_TFLOPS:
        if key.lower() in device_name.lower():
            return peaks.get(precision)
    return None


def build_bench_model(name: str) -> tuple[nn.Module, tuple[int, ...], float, str]:
    """(model, input shape per image, ε, source) for ``mnist`` (the MNIST CNN) or ``cifar`` (ResNet-18), built by
    ``deep.models.build_model`` (the models training uses; normalisation inside)."""
    from tradeoff.deep.models import build_model

    spec = {"mnist": ("mnist_cnn", MNIST_MEAN, MNIST_STD, (1, 28, 28), 0.3),
            "cifar": ("resnet18", CIFAR_MEAN, CIFAR_STD, (3, 32, 32), 8 / 255)}
    if name not in spec:
        raise ValueError(f"unknown benchmark model {name!r}: use mnist or cifar")
    arch, mean, std, shape, eps = spec[name]
    return build_model(arch, 10, mean, std, image_size=shape[-1]), shape, eps, "deep.models"


def count_attack_flops(model: nn.Module, shape: tuple[int, ...], attack: PGD, device: torch.device) -> int:
    """Matmul/conv FLOPs of one attack call on ONE image (scales linearly with the batch): FlopCounterMode
    counts one forward + backward-to-the-input and one plain forward; the call makes ``steps`` of the first
    per restart plus the extra forwards of best-iterate tracking (clean point, final iterate of each restart).
    (FlopCounterMode's module hooks do not support ``autograd.grad``, so the step is replayed with
    ``backward(inputs=[x])``, which runs the same kernels.)"""
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.rand(1, *shape, device=device, requires_grad=True)
    counter = FlopCounterMode(display=False)
    with counter:
        model(x).float().logsumexp(1).sum().backward(inputs=[x])
    step = int(counter.get_total_flops())
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    forward = int(counter.get_total_flops())
    extra = (1 if attack.track_best and attack.random_start else 0)
    extra += attack.restarts if (attack.track_best or attack.restarts > 1) else 0
    return attack.restarts * attack.steps * step + extra * forward


def loop_sync_check(name: str, device: torch.device) -> dict:
    """CUDA only: count host-device synchronisations of a PGD call with 1 and with 4 steps under
    ``torch.cuda.set_sync_debug_mode("warn")``. Equal counts mean the attack loop itself never synchronises
    (the per-call input-range check accounts for the constant part)."""
    model, shape, eps, _ = build_bench_model(name)
    model = model.to(device).eval()
    x = torch.rand(8, *shape, device=device)
    y = torch.randint(0, 10, (8,), device=device)
    counts = {}
    for steps in (1, 4):
        attack = PGD(eps, eps / 4, steps, seed=0)
        attack(model, x, y)  # warm-up: kernel selection must not be counted
        torch.cuda.synchronize(device)
        prev = torch.cuda.get_sync_debug_mode()
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                attack(model, x, y)
            finally:
                torch.cuda.set_sync_debug_mode(prev)
        counts[steps] = sum("synchroniz" in str(w.message).lower() for w in record)
    return {"model": name, "syncs_steps_1": counts[1], "syncs_steps_4": counts[4],
            "loop_sync_free": counts[1] == counts[4]}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench_one(name: str, device: torch.device, batch: int, steps: int, *, bf16: bool = False,
              channels_last: bool = False, compile_model: bool = False, repeats: int = 3,
              track_best: bool = True) -> dict:
    """Time ``repeats`` PGD calls (after one warm-up) and return one result row."""
    torch.manual_seed(0)
    model, shape, eps, source = build_bench_model(name)
    model = model.to(device).eval()
    attack = PGD(eps, default_step_size(eps, steps), steps, "inf", random_start=True, track_best=track_best, seed=0)
    flops_per_image = count_attack_flops(model, shape, attack, device)
    x = torch.rand(batch, *shape, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    run_model = torch.compile(model) if compile_model else model
    amp = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    times = []
    prev_benchmark = torch.backends.cudnn.benchmark
    # fixed shapes: let cuDNN pick the fastest kernels (restored afterwards)
    torch.backends.cudnn.benchmark = device.type == "cuda" or prev_benchmark
    with amp, contextlib.ExitStack() as stack:
        stack.callback(setattr, torch.backends.cudnn, "benchmark", prev_benchmark)
        attack(run_model, x, y)  # warm-up (cuDNN autotuning, compilation)
        _sync(device)
        for _ in range(repeats):
            t0 = time.perf_counter()
            attack(run_model, x, y)
            _sync(device)
            times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    if device.type == "cuda":
        dev_name = torch.cuda.get_device_name(device)
        precision = "bf16" if bf16 else ("tf32" if torch.backends.cudnn.allow_tf32 else "fp32")
    else:
        from tradeoff.data.provenance import cpu_model

        dev_name = cpu_model()
        precision = "bf16" if bf16 else "fp32"
    achieved = flops_per_image * batch / sec
    peak = peak_tflops(dev_name, precision) if device.type == "cuda" else None
    return {
        "model": name, "model_source": source, "device": device.type, "device_name": dev_name,
        "threads": torch.get_num_threads() if device.type == "cpu" else None,
        "batch": batch, "steps": steps, "eps": eps, "norm": "inf", "track_best": track_best,
        "precision": precision, "channels_last": channels_last, "compiled": compile_model,
        "cudnn_benchmark": True if device.type == "cuda" else None,
        "seconds_per_call": sec, "images_steps_per_s": batch * steps / sec,
        "flops_per_image_call": flops_per_image, "achieved_tflops": achieved / 1e12,
        "peak_tflops": peak, "peak_fraction": (achieved / 1e12 / peak) if peak else None,
    }


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.pgd", description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", default="cpu,cuda", help="comma list of cpu, cuda (cuda is skipped when absent)")
    p.add_argument("--models", default="mnist,cifar", help="comma list of mnist, cifar")
    p.add_argument("--cpu-batch", type=int, nargs=2, default=(16, 4), metavar=("MNIST", "CIFAR"))
    p.add_argument("--cpu-steps", type=int, default=3)
    p.add_argument("--cuda-batch", type=int, nargs=2, default=(2048, 512), metavar=("MNIST", "CIFAR"))
    p.add_argument("--cuda-steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=1, help="CPU threads for the CPU rows (default 1)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--compile", action="store_true", help="also time torch.compile (bf16 + channels_last) on CUDA")
    p.add_argument("--out", type=Path, default=None, help="result file (default <results>/deep/benchmark.json)")
    p.add_argument("--no-write", action="store_true", help="print only, write no result file")
    return p.parse_args(argv)


def _table(rows: list[dict]) -> str:
    head = f"{'model':6} {'device':6} {'prec':5} {'cl':2} {'comp':4} {'best':4} {'batch':>5} {'steps':>5} " \
           f"{'img·step/s':>11} {'TFLOP/s':>9} {'peak':>7} {'%peak':>6}"
    lines = [head]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['model']:6} {r['device']:6} {r.get('precision', ''):5} error: {r['error']}")
            continue
        peak = f"{r['peak_tflops']:.0f}" if r["peak_tflops"] else "unknown"
        frac = f"{100 * r['peak_fraction']:.1f}" if r["peak_fraction"] else "-"
        lines.append(f"{r['model']:6} {r['device']:6} {r['precision']:5} {'y' if r['channels_last'] else 'n':2} "
                     f"{'y' if r['compiled'] else 'n':4} {'y' if r['track_best'] else 'n':4} "
                     f"{r['batch']:5d} {r['steps']:5d} "
                     f"{r['images_steps_per_s']:11.1f} {r['achieved_tflops']:9.4f} {peak:>7} {frac:>6}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Run the benchmark, print a table, write the ``deep.benchmark`` result file; 0 on success."""
    args = _parse(argv)
    devices = [d.strip() for d in args.devices.split(",") if d.strip()]
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    configs: list[tuple] = []
    for d in devices:
        if d == "cpu":
            for m in models:
                batch = args.cpu_batch[0] if m == "mnist" else args.cpu_batch[1]
                configs.append((m, torch.device("cpu"), batch, args.cpu_steps, False, False, False, True))
        elif d == "cuda":
            if not torch.cuda.is_available():
                print("cuda: no GPU visible, skipped", file=sys.stderr)
                continue
            for m in models:
                batch = args.cuda_batch[0] if m == "mnist" else args.cuda_batch[1]
                # (bf16, channels_last, compile, track_best): evaluation attacks, plus the training attack
                # (last iterate, no tracking) in the fastest eager setting
                variants = [(False, False, False, True), (True, False, False, True), (True, True, False, True),
                            (True, True, False, False)]
                if args.compile:
                    variants.append((True, True, True, True))
                for bf16, cl, comp, best in variants:
                    configs.append((m, torch.device("cuda"), batch, args.cuda_steps, bf16, cl, comp, best))
        else:
            print(f"unknown device {d!r}: use cpu or cuda", file=sys.stderr)
            return 2
    old_threads = torch.get_num_threads()
    rows: list[dict] = []
    t_start = time.perf_counter()
    try:
        for m, dev, batch, steps, bf16, cl, comp, best in configs:
            if dev.type == "cpu":
                torch.set_num_threads(max(1, args.threads))
            try:
                rows.append(bench_one(m, dev, batch, steps, bf16=bf16, channels_last=cl, compile_model=comp,
                                      repeats=args.repeats, track_best=best))
            except Exception as e:  # one failing variant (e.g. torch.compile) must not lose the others
                rows.append({"model": m, "device": dev.type, "precision": "bf16" if bf16 else "fp32",
                             "channels_last": cl, "compiled": comp, "batch": batch, "steps": steps, "track_best": best,
                             "error": f"{type(e).__name__}: {e}"[:300]})
            finally:
                torch.set_num_threads(old_threads)
    finally:
        torch.set_num_threads(old_threads)
    sync_checks = []
    if "cuda" in devices and torch.cuda.is_available():
        for m in models:
            try:
                sync_checks.append(loop_sync_check(m, torch.device("cuda")))
            except Exception as e:  # informative only
                sync_checks.append({"model": m, "error": f"{type(e).__name__}: {e}"[:300]})
    wall = time.perf_counter() - t_start
    print(_table(rows))
    for c in sync_checks:
        print(f"sync check {c}")
    if not args.no_write:
        out = args.out or results_dir() / "deep" / "benchmark.json"
        info = device_description()
        payload = {"device": info, "rows": rows, "sync_checks": sync_checks,
                   "flops_note": "matmul/conv FLOPs of a whole attack call counted by FlopCounterMode at batch 1",
                   "peak_note": "dense datasheet peak for the row's precision; CPU peak unknown"}
        write_result(out, Kind.DEEP_BENCHMARK, payload, wall_time_s=wall,
                     scale=Scale.BENCH,
                     dataset="synthetic inputs", seeds=[0])
        print(f"wrote {out}")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
