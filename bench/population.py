"""Population training throughput: K MNIST CNNs trained in lockstep (deep.stacked) against one at a time.

``python -m bench population`` or ``python -m bench.population [--quick] [--threads 2] [--out PATH]``.

For each width (4, 8, 32), population size K (4, 8, 16) and training step (standard, PGD-7 ℓ∞ adversarial) the
same K models do the same work (one batch of B images each, PGD then one Adam step) with three stacks:

- ``loop``: K separate models, one after the other (deep.stacked.LoopStack);
- ``grouped``: grouped convolutions + batched matmuls (deep.stacked.GroupedMnistCNN), what the engine uses;
- ``vmap``: ``torch.func.stack_module_state`` + ``functional_call`` under ``vmap`` (width 4 and 8, K = 8 only:
  it is the slow option on CPU).

Throughput is image·steps/s: one image·step is one forward+backward pass of one image (a PGD iteration or the
weight update), so a PGD-s training step on B images is B·(s + 1) image·steps per model. Targets (issue 11): the
grouped population ≥ 1.5× the loop on a CPU at K = 8 for widths 4 and 8 (PGD training steps; for standard
steps the engine keeps the loop on a CPU, where it was measured faster); ≥ 5× on a GPU at K ≥ 16. The script
also measures the quick-scale population (width 4, K = 8, PGD-10) at 1 and 2 torch threads, counts the
image·steps of the MNIST paper grid (Figures 1, 6, 7 and Appendix B, from deep.experiments.definitions) and
projects its wall time at the measured rate (target on one H100/H200: ≤ 10 minutes). Writes a
``deep.benchmark`` result file to ``--out`` (default ``<results>/deep/population_benchmark.json``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from tradeoff.data.io import write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.paths import results_dir
from tradeoff.data.provenance import device_description, machine_line
from tradeoff.data.scales import Scale
from tradeoff.deep.attacks.steps import default_step_size
from tradeoff.deep.models import build_model
from tradeoff.deep.stacked import GroupedMnistCNN, LoopStack

MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)


class VmapStack(torch.nn.Module):
    """K models through ``torch.func``: parameters stacked by ``stack_module_state``, one ``vmap``ped
    ``functional_call`` per forward (the option the issue measured 8-20× slower than a loop on CPU)."""

    def __init__(self, members):
        super().__init__()
        from torch.func import stack_module_state

        params, buffers = stack_module_state(list(members))
        self.names = list(params)
        for i, name in enumerate(self.names):
            self.register_parameter(f"p{i}", torch.nn.Parameter(params[name]))
        self.buffers_ = buffers
        self.base = [build_model("mnist_cnn", 10, MNIST_MEAN, MNIST_STD, members[0].net.conv1.out_channels,
                                 28).to("meta")]

    def forward(self, x):
        from torch.func import functional_call

        params = {n: getattr(self, f"p{i}") for i, n in enumerate(self.names)}

        def one(p, b, xb):
            return functional_call(self.base[0], (p, b), (xb,))

        return torch.vmap(one)(params, self.buffers_, x)


def make_stack(kind: str, k: int, width: int, device: torch.device):
    """K freshly initialised MNIST CNNs of ``width`` as a ``loop``, ``grouped`` or ``vmap`` stack on ``device``."""
    members = []
    for i in range(k):
        torch.manual_seed(i)
        members.append(build_model("mnist_cnn", 10, MNIST_MEAN, MNIST_STD, width, 28).to(device))
    if kind == "loop":
        return LoopStack(members)
    if kind == "grouped":
        return GroupedMnistCNN(members).to(device)
    return VmapStack(members).to(device)


def train_step(stack, opt, x, y, pgd_steps: int, eps: float, amp: bool):
    """One population training step: ℓ∞ PGD (``pgd_steps`` sign steps of 2.5ε/steps from a uniform start) on
    every member's batch, then one Adam step on the mean cross-entropy of each member (summed over members)."""
    k, b = y.shape
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if amp else torch.autocast("cpu", enabled=False)
    with ctx:
        if pgd_steps:
            step = default_step_size(eps, pgd_steps)
            x_adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
            for _ in range(pgd_steps):
                x_adv.requires_grad_(True)
                loss = F.cross_entropy(stack(x_adv).float().flatten(0, 1), y.flatten(), reduction="sum")
                (g,) = torch.autograd.grad(loss, x_adv)
                x_adv = torch.minimum(torch.maximum(x_adv.detach() + step * g.sign(), x - eps), x + eps).clamp(0, 1)
            x = x_adv
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(stack(x).float().flatten(0, 1), y.flatten(), reduction="sum") / b
    loss.backward()
    opt.step()


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(kind: str, k: int, width: int, pgd_steps: int, batch: int, device: torch.device, min_time: float,
            amp: bool = False) -> dict:
    """image·steps/s of ``kind`` for K models of ``width`` (one warm-up step, then steps until ``min_time``)."""
    stack = make_stack(kind, k, width, device)
    opt = torch.optim.Adam(stack.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(k, batch, 1, 28, 28, generator=gen).to(device)
    y = torch.randint(0, 10, (k, batch), generator=gen).to(device)
    train_step(stack, opt, x, y, pgd_steps, 0.3, amp)
    _sync(device)
    n, t0 = 0, time.perf_counter()
    while True:
        train_step(stack, opt, x, y, pgd_steps, 0.3, amp)
        n += 1
        _sync(device)
        dt = time.perf_counter() - t0
        if dt >= min_time:
            break
    rate = n * k * batch * (pgd_steps + 1) / dt
    return {"kind": kind, "K": k, "width": width, "pgd_steps": pgd_steps, "batch": batch, "steps_timed": n,
            "seconds": dt, "image_steps_per_s": rate}


def grid_image_steps() -> dict:
    """Training and evaluation image·steps of the MNIST paper grid (Figures 1, 6, 7, Appendix B; each run once)."""
    from tradeoff.deep.experiments import definitions, sweep

    runs = {}
    for group in definitions.SWEEP_GROUPS:
        exp = definitions.get(group, "mnist", "paper")
        for r in sweep.expand(exp):
            runs[r.run_id] = r
    train = evaluation = 0
    n_test = 10_000
    for r in runs.values():
        n = r.n_train or 60_000
        c = r.config
        per_image = c.adv.steps + 1 if r.eps_train > 0 else 1
        train += n * c.epochs * per_image
        ev = c.eval
        evaluation += (ev.n_final or n_test) * (1 + ev.steps * ev.restarts * len(r.eval_norms))
    return {"runs": len(runs), "train_image_steps": train, "eval_image_steps": evaluation}


def _table(rows: list[dict]) -> str:
    head = f"{'stack':8s} {'width':>5s} {'K':>3s} {'pgd':>4s} {'img*steps/s':>12s} {'vs loop':>8s}"
    lines = [head]
    for r in rows:
        ratio = f"{r['speedup_vs_loop']:.2f}x" if r.get("speedup_vs_loop") else ""
        lines.append(f"{r['kind']:8s} {r['width']:5d} {r['K']:3d} {r['pgd_steps']:4d} "
                     f"{r['image_steps_per_s']:12.0f} {ratio:>8s}")
    return "\n".join(lines)


def _parse(argv):
    p = argparse.ArgumentParser(prog="python -m bench.population", description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    p.add_argument("--quick", action="store_true", help="widths 4, 8 and K = 8 only (a minute on a CPU)")
    p.add_argument("--min-time", type=float, default=0.5, help="seconds timed per measurement (default 0.5)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repetitions, best kept (default 3)")
    p.add_argument("--out", type=Path, default=None)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(args.threads)
    print(f"machine: {machine_line()}; torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s)")
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    widths, ks = ((4, 8), (8,)) if args.quick else ((4, 8, 32), (4, 8, 16))
    rows = []
    for device in devices:
        cuda = device.type == "cuda"
        for width in widths:
            batch = 50 if width <= 8 or cuda else 16
            for k in ((16, 32, 64) if cuda else ks):
                for pgd in (0, 7):
                    kinds = ["loop", "grouped"] + (["vmap"] if k == 8 and width <= 8 and not cuda else [])
                    best: dict[str, dict] = {}
                    for _ in range(args.repeats):  # interleaved, best of: a shared machine's noise only slows
                        for kind in kinds:
                            r = measure(kind, k, width, pgd, batch, device, args.min_time, amp=cuda)
                            if kind not in best or r["image_steps_per_s"] > best[kind]["image_steps_per_s"]:
                                best[kind] = r
                    base = best["loop"]["image_steps_per_s"]
                    for kind in kinds:
                        r = best[kind]
                        r["device"] = str(device)
                        r["speedup_vs_loop"] = r["image_steps_per_s"] / base if kind != "loop" else None
                        rows.append(r)
                        print(_table([r]).splitlines()[1], f"({device})", flush=True)
    cpu_rows = [r for r in rows if r["device"] == "cpu"]

    def ratio(device, width, k, pgd):
        for r in rows:
            if (r["device"], r["width"], r["K"], r["pgd_steps"], r["kind"]) == (device, width, k, pgd, "grouped"):
                return r["speedup_vs_loop"]
        return None

    cpu_small = [ratio("cpu", w, 8, 7) for w in (4, 8)]
    cpu_met = all(v is not None and v >= 1.5 for v in cpu_small)
    standard = [ratio("cpu", w, 8, 0) for w in (4, 8)]
    print(f"\nCPU target (PGD-7 training steps, grouped >= 1.5x loop at K=8, widths 4 and 8): "
          f"{', '.join(f'{v:.2f}x' for v in cpu_small if v)} -> {'met' if cpu_met else 'NOT met'}")
    print(f"standard steps at K=8, widths 4 and 8: grouped {', '.join(f'{v:.2f}x' for v in standard if v)} the loop "
          "(deep.population therefore trains standard populations on a CPU with the loop stack)")
    gpu_rows = [r for r in rows if r["device"].startswith("cuda") and r["kind"] == "grouped" and r["K"] >= 16]
    if gpu_rows:
        best = max(r["speedup_vs_loop"] for r in gpu_rows)
        print(f"GPU target (grouped >= 5x loop at K >= 16): best {best:.2f}x -> {'met' if best >= 5 else 'NOT met'}")
    else:
        print("GPU target (grouped >= 5x loop at K >= 16): not measured (no GPU)")

    threads = []
    for t in (1, 2):
        rates = []
        for _ in range(args.repeats):
            torch.set_num_threads(t)
            rates.append(measure("grouped", 8, 4, 10, 32, torch.device("cpu"), args.min_time)["image_steps_per_s"])
        threads.append({"threads": t, "image_steps_per_s": max(rates)})
    torch.set_num_threads(args.threads)
    print("quick-scale population (grouped, width 4, K=8, PGD-10, batch 32): "
          + ", ".join(f"{t['threads']} thread(s) {t['image_steps_per_s']:.0f} img*steps/s" for t in threads))

    grid = grid_image_steps()
    fast_device = "cuda" if gpu_rows else "cpu"
    w32 = [r for r in rows if r["device"].startswith(fast_device) and r["width"] == 32 and r["pgd_steps"] == 7]
    if not w32:
        w32 = [r for r in rows if r["device"].startswith(fast_device) and r["pgd_steps"] == 7]
    best = max(w32, key=lambda r: r["image_steps_per_s"])
    total = grid["train_image_steps"] + grid["eval_image_steps"]
    minutes = total / best["image_steps_per_s"] / 60
    met = "met" if minutes <= 10 else "NOT met"
    print(f"MNIST paper grid: {grid['runs']} runs, {grid['train_image_steps'] / 1e9:.2f} G training + "
          f"{grid['eval_image_steps'] / 1e9:.2f} G evaluation image*steps; at {best['image_steps_per_s']:.0f} "
          f"img*steps/s ({best['kind']}, width {best['width']}, K={best['K']}, {fast_device}) "
          f"-> projected {minutes:.1f} min"
          + (f" (target <= 10 min on one H100/H200: {met})" if fast_device == "cuda"
             else " on this CPU (the <= 10 min target is for one H100/H200; not measured here)"))
    payload = {"benchmark": "population", "rows": rows, "cpu_target_ratios_k8_pgd7": cpu_small,
               "cpu_target_met": cpu_met, "cpu_standard_ratios_k8": standard,
               "threads": threads, "grid": grid, "projection_minutes": minutes, "projection_rate": best,
               "device": device_description(), "torch": torch.__version__}
    out = args.out or results_dir() / "deep" / "population_benchmark.json"
    write_result(out, Kind.DEEP_BENCHMARK, payload, wall_time_s=sum(r["seconds"] for r in rows),
                 scale=Scale.BENCH, dataset="synthetic", seeds=[0])
    print(f"wrote {out}")
    return 0 if cpu_rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
