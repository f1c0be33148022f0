"""``tradeoff deep frontier``: the deep frontier (deep.experiments.frontier): TRADES models over a grid of β and PGD
models over ε_train on MNIST, trained on the population engine, each placed by standard accuracy (whole test set)
and strong-evaluation robust accuracy (the default attack ensemble), as 10-class models and restricted to 5-vs-7.
Writes ``<build>/results/deep/frontier_mnist.json`` (kind ``deep.frontier``); runs live under ``<build>/runs``
(finished runs are never trained again, interrupted ones resume). While it runs it holds the build folder's deep
locks (reports.cli.deep_experiments.build_locks).
"""

from __future__ import annotations

import sys
import time

from tradeoff.data.scales import Scale

from ._base import emit_json, format_table, group, ready
from ._options import DataFolder, Integer

COLUMNS = ["method", "beta", "eps_train", "seed", "standard_acc", "robust_acc", "eps_eval", "pair_standard_acc",
           "pair_robust"]


def register(top) -> None:
    """Add ``tradeoff deep frontier``."""
    sub = group(top, "deep", "deep experiments: PGD adversarial training on MNIST, CIFAR-10, Restricted ImageNet")
    p = sub.add_parser("frontier", help="TRADES beta sweep and PGD eps models on MNIST: the deep frontier",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", "--datasets", dest="dataset", default="mnist", choices=("mnist",),
                   help="data set (mnist: the 5-vs-7 frontiers)")
    p.add_argument("--scale", default=Scale.CPU.value, choices=(Scale.CPU.value, Scale.SMOKE.value),
                   help="cpu: about ten CPU minutes; smoke: the toy data set, seconds, numbers mean nothing")
    p.add_argument("--workers", type=Integer(0, 1024), default=0,
                   help="processes training populations at once (default: one per CPU core, one thread each)")
    p.add_argument("--root", type=DataFolder(), default=None, help="MNIST folder (default: the tradeoff data cache)")
    p.add_argument("--json", action="store_true", help="print the payload as JSON instead of a table")
    p.set_defaults(func=cmd_frontier)


def table_rows(payload: dict) -> list[dict]:
    """The printed table: one row per model, the 5-vs-7 restriction's accuracies flattened."""
    out = []
    for r in payload["rows"]:
        pair = r.get("pair") or {}
        row = {k: r.get(k) for k in COLUMNS[:7]}
        row["pair_standard_acc"] = pair.get("standard_acc")
        row["pair_robust"] = ", ".join(f"{e}: {a:.4f}" for e, a in (pair.get("robust") or {}).items())
        out.append(row)
    return out


def cmd_frontier(args) -> int:
    """Train (or resume) the runs, evaluate each once, write the result file, print the table or JSON."""
    import os

    import torch

    from tradeoff.data.paths import results_dir, runs_dir
    from tradeoff.deep.experiments import frontier

    from .deep_experiments import build_locks

    workers = args.workers or (os.cpu_count() or 1)
    exp = frontier.definition(args.scale, args.dataset)
    ready(args, f"deep frontier ({args.scale}): {len(exp.configs())} runs")
    torch.set_num_threads(1)
    log = (lambda s: None) if args.json else (lambda s: print(f"[{time.strftime('%H:%M:%S')}] {s}", file=sys.stderr,
                                                               flush=True))
    log(f"deep frontier ({args.scale}): {len(exp.configs())} runs, {workers} worker process(es)")
    with build_locks():
        path, payload = frontier.run(exp, runs_dir(), results_dir(), workers=workers,
                                     data_root=None if args.root is None else str(args.root), log=log)
    if args.json:
        emit_json({"result": str(path), **payload})
        return 0
    print(f"Deep frontier, {payload['dataset']} ({payload['scale']}): robust accuracy at l_{payload['norm']} "
          f"eps={payload['eps_eval']:g} on {payload['n_robust']} test points ({payload['evaluation']}); the "
          f"{'-vs-'.join(str(c) for c in payload['pair'])} restriction at eps {payload['pair_eps']}")
    print(format_table(table_rows(payload), COLUMNS))
    print(f"result: {path}\nwall {payload['wall_s']:.1f} s, CPU {payload['cpu_s']:.1f} s")
    return 0
