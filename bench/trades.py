"""TRADES training step cost against PGD in the population engine (deep.population).

``python -m bench trades`` or ``python -m bench.trades [--threads 1] [--k 8] [--steps 10] [--out PATH]``.

For the quick-scale MNIST CNN (width 4, batch 32) and population sizes K = 1 (one run, the loop stack) and K = 8
(the grouped stack), one training step of each method on random 28×28 images: standard (no attack), PGD-s
(Madry et al.) and TRADES-s (Zhang et al. 2019; deep.trades) with s attack steps. Measured: CPU time per step
(``time.process_time``; the machine's cores are shared, so CPU time, not wall time, is the cost) and image·steps
per CPU second. One image·step is one forward+backward pass of one image: a PGD-s step is B·(s + 1) of them per
model (s attack passes, one weight update), a TRADES-s step B·(s + 2) (s attack passes on the KL, the update's
clean and KL passes) plus one forward pass without gradient (the attack's fixed clean distribution).

Expectation (the target printed): the TRADES step costs at most (s + 2.5)/(s + 1) times the PGD step (one extra
forward+backward pass and one extra forward pass, a forward counted as half a pass), i.e. TRADES moves at least
as many image·steps per CPU second as PGD, up to that half pass. Writes a ``deep.benchmark`` result file to
``--out`` (default ``<results>/deep/trades_benchmark.json``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from tradeoff.data.io import write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.paths import results_dir
from tradeoff.data.provenance import device_description, machine_line
from tradeoff.data.scales import Scale
from tradeoff.deep.config import EvalConfig, TrainConfig
from tradeoff.deep.population import Population

METHODS = ("standard", "pgd", "trades")


def population(method: str, k: int, steps: int, batch: int, width: int, grouped: bool) -> Population:
    """K MNIST CNNs of ``width`` training with ``method`` at ℓ∞ ε = 0.3 (TRADES β = 6), on random images."""
    adv = {} if method == "standard" else {"eps": 0.3, "steps": steps}
    if method == "trades":
        adv.update(method="trades", beta=6.0)
    base = TrainConfig(name="bench", dataset="mnist", model="mnist_cnn", width=width, n_train=batch * 4, epochs=1,
                       batch_size=batch, device="cpu", progress=False, adv=adv,
                       eval=EvalConfig(n_epoch=batch, n_final=batch, every=0))
    g = torch.Generator().manual_seed(0)
    data = (torch.rand(batch * 4, 1, 28, 28, generator=g), torch.randint(0, 10, (batch * 4,), generator=g))
    cfgs = [base.replace(name=f"bench{i}", seed=i) for i in range(k)]
    return Population(cfgs, data=[(data, data)] * k, grouped=grouped)


def measure(method: str, k: int, steps: int, batch: int, width: int, min_cpu: float) -> dict:
    """CPU seconds per training step and image·steps per CPU second (one warm-up step first)."""
    grouped = k > 1
    pop = population(method, k, steps, batch, width, grouped)
    x, y, w, lengths = pop._stack_batches([next(iter(d.train.epoch(0))) for d in pop.bundles])
    eps = [0.0 if method == "standard" else 0.3] * k
    gens = [torch.Generator().manual_seed(i) for i in range(k)]
    pop.population_step(x, y, w, lengths, 1e-3, eps, gens)
    n, c0, t0 = 0, time.process_time(), time.perf_counter()
    while time.process_time() - c0 < min_cpu:
        pop.population_step(x, y, w, lengths, 1e-3, eps, gens)
        n += 1
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    passes = {"standard": 1, "pgd": steps + 1, "trades": steps + 2}[method]
    return {"method": method, "K": k, "stack": "grouped" if grouped else "loop", "attack_steps": steps,
            "batch": batch, "width": width, "steps_timed": n, "cpu_s": cpu, "wall_s": wall,
            "cpu_s_per_step": cpu / n, "image_steps_per_cpu_s": n * k * batch * passes / cpu}


def _parse(argv):
    p = argparse.ArgumentParser(prog="python -m bench.trades", description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--k", type=int, default=8, help="the population size besides K = 1 (default 8)")
    p.add_argument("--steps", type=int, default=10, help="attack steps s of PGD and TRADES (default 10)")
    p.add_argument("--min-cpu", type=float, default=1.0, help="CPU seconds timed per measurement (default 1)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repetitions, best kept (default 3)")
    p.add_argument("--out", type=Path, default=None)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(args.threads)
    print(f"machine: {machine_line()}; torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s); "
          "cost = CPU time (time.process_time)")
    s, rows, met = args.steps, [], True
    bound = (s + 2.5) / (s + 1)
    print(f"{'method':9s} {'K':>3s} {'stack':8s} {'CPU ms/step':>12s} {'img*steps/CPU s':>16s} {'vs PGD':>7s}")
    for k in (1, args.k):
        best: dict[str, dict] = {}
        for _ in range(args.repeats):  # interleaved, best of: other jobs on a shared machine only slow a run
            for method in METHODS:
                r = measure(method, k, s, 32, 4, args.min_cpu)
                if method not in best or r["cpu_s_per_step"] < best[method]["cpu_s_per_step"]:
                    best[method] = r
        for method in METHODS:
            r = best[method]
            r["cost_vs_pgd"] = r["cpu_s_per_step"] / best["pgd"]["cpu_s_per_step"]
            rows.append(r)
            print(f"{method:9s} {k:3d} {r['stack']:8s} {1e3 * r['cpu_s_per_step']:12.2f} "
                  f"{r['image_steps_per_cpu_s']:16.0f} {r['cost_vs_pgd']:6.2f}x", flush=True)
        ok = best["trades"]["cost_vs_pgd"] <= bound
        met &= ok
        print(f"  K={k}: TRADES-{s} step = {best['trades']['cost_vs_pgd']:.2f}x the PGD-{s} step "
              f"(expected <= (s+2.5)/(s+1) = {bound:.2f}x: {'met' if ok else 'NOT met'})")
    payload = {"benchmark": "trades_vs_pgd_step", "rows": rows, "bound": bound, "target_met": met,
               "cost": "CPU time (time.process_time)", "threads": args.threads,
               "device": device_description(), "torch": torch.__version__}
    out = args.out or results_dir() / "deep" / "trades_benchmark.json"
    write_result(out, Kind.DEEP_BENCHMARK, payload, wall_time_s=sum(r["wall_s"] for r in rows), scale=Scale.BENCH,
                 dataset="synthetic", seeds=[0])
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
