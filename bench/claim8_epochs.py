"""Does the long scale's claim-8 finding survive longer training? (a check after the fact, never a verdict)

At the long CPU scale (one epoch), half-clean ℓ∞ 0.1 training raised MNIST standard accuracy a little over the
standard model (docs/experiments.md, "What the long scale measured"), which refutes claim 8's "no step may rise"
rule there; most of those one-epoch runs had not met the convergence criterion. This trains the two recipes, the
standard model and the half-clean ℓ∞ 0.1 model, at full data and 5 seeds with the long recipe for each number of
epochs asked (the long scale's own runs are reused for 1 epoch), and prints the paired difference standard − mixed
of standard accuracy over seeds × the 10,000 test images (reports.claims.compare, the comparison of claims 7 and
8), with the runs' convergence flags. Writes ``--out`` (JSON).

    python -m bench.claim8_epochs [--epochs 1 2] [--build-dir DIR] [--workers N] [--out FILE]

Cost: 5 + 5 runs per number of epochs; 2 epochs took about 10 minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

SEEDS = (0, 1, 2, 3, 4)


def compare(epochs: int, engine, runs: Path) -> dict:
    """Train (or reuse) the standard and half-clean ℓ∞ 0.1 runs at ``epochs`` and compare their standard accuracy."""
    import numpy as np

    from tradeoff.deep.experiments import definitions as D
    from tradeoff.deep.experiments.sweep import execute, expand, rows_for
    from tradeoff.reports.claims import compare

    exps = D.experiments("mnist", "long")
    name = "mnist-long" if epochs == 1 else f"mnist-long-e{epochs}ep"
    t = exps["fig7"].template.replace(epochs=epochs, name=name)
    std = D.with_overrides(exps["fig7"], template=t, eps_train=(("inf", (0.0,)),), seeds=SEEDS)
    mix = D.with_overrides(exps["mixed"], template=t, eps_train=(("inf", (0.1,)),), seeds=SEEDS)
    execute(expand(std) + expand(mix), engine, runs, log=lambda s: print(s, flush=True))
    a = sorted(rows_for(std, runs)[0], key=lambda r: r["seed"])
    b = sorted(rows_for(mix, runs)[0], key=lambda r: r["seed"])
    d = compare(a, b)  # claims 7 and 8's own comparison: paired over seeds × images
    out = {"epochs": epochs, "standard_acc": [r["standard_acc"] for r in a],
           "mixed_linf_0.1_acc": [r["standard_acc"] for r in b],
           "converged": {"standard": [r["converged"] for r in a], "mixed": [r["converged"] for r in b]},
           "standard_minus_mixed": {"estimate": d.estimate, "low": d.low, "high": d.high, "mde": d.mde,
                                    "method": d.method, "verdict_of_the_step": d.verdict}}
    print(f"{epochs} epoch(s): standard {np.mean(out['standard_acc']):.4f}, half-clean ℓ∞ 0.1 "
          f"{np.mean(out['mixed_linf_0.1_acc']):.4f}; standard − mixed {d.text()}", flush=True)
    return out


def main(argv: list[str]) -> int:
    """Run the comparison for each number of epochs; 0 (a check, no target)."""
    ap = argparse.ArgumentParser(prog="python -m bench.claim8_epochs", description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, nargs="+", default=[1, 2], help="numbers of epochs (default 1 2)")
    ap.add_argument("--build-dir", default=os.environ.get("TRADEOFF_BUILD", "reports/build"),
                    help="build folder: runs under <dir>/runs (give the long scale's to reuse its 1-epoch runs)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    ap.add_argument("--out", default=str(Path(__file__).with_name("claim8_epochs.json")), help="JSON written here")
    args = ap.parse_args(argv)
    if any(e < 1 for e in args.epochs):
        raise SystemExit("--epochs must be positive integers")

    import torch

    from tradeoff.data.io import atomic_write_json
    from tradeoff.data.provenance import machine_line
    from tradeoff.deep.experiments.engine import TorchEngine

    torch.set_num_threads(1)
    engine = TorchEngine(device="cpu", workers=args.workers, log=lambda s: print(s, flush=True))
    t = time.perf_counter()
    results = [compare(e, engine, Path(args.build_dir) / "runs") for e in args.epochs]
    atomic_write_json(Path(args.out), {
        "benchmark": "claim8_epochs", "machine": machine_line(), "seeds": list(SEEDS), "results": results,
        "wall_s": time.perf_counter() - t, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "note": "a check after the fact of the long scale's claim-8 finding; never a verdict"})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
