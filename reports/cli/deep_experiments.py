"""``tradeoff deep reproduce | sweep | merge``: the deep figures of the paper (Fig. 1-4, 6-10) and claims 5-8, 10-12.

* ``tradeoff deep reproduce --scale quick|long|paper|smoke [--dataset mnist,cifar10,restricted_imagenet]`` runs
  everything for the chosen datasets: sweeps, figure data, claim metrics, result files and figures (logs the time
  of each part). ``--scale smoke`` (alias ``--micro``) is a tiny version of the quick scale.
* ``tradeoff deep sweep NAME --dataset D --scale S [--shard i/n]`` runs one sweep (or this machine's shard of it);
  finished runs are skipped, interrupted ones resume.
* ``tradeoff deep merge [NAME ...] --dataset D --scale S`` merges finished runs into ``deep.sweep`` result files
  and prints the table.

``--dataset`` and ``--datasets`` are one option (a comma-separated list where several are allowed). While a command
writes the build folder's deep runs or merged results it holds their lock (data.locks): a second sweep, reproduce or
merge of the same build folder is refused with one line naming the holder's pid.
"""

from __future__ import annotations

import contextlib
import sys
import time

from tradeoff.data.registry import PAPER_DATASETS
from tradeoff.data.scales import Scale
from tradeoff.deep.experiments.definitions import SCALES

from ._base import UserError, format_table, group, ready
from ._options import DataFolder, Integer

#: the lock files of the build folder's shared deep state (data.locks): the runs a sweep trains, the merged results
SWEEP_LOCK, MERGE_LOCK = ".tradeoff-sweep.lock", ".tradeoff-merge.lock"


@contextlib.contextmanager
def build_locks(sweep: bool = True, merge: bool = True, shard: tuple[int, int] = (0, 1)):
    """Hold the build folder's deep locks for the ``with`` block: the runs folder (``sweep``; one lock per shard, so
    that the shards of one sweep may share a build folder) and the deep results (``merge``)."""
    from tradeoff.data.locks import hold
    from tradeoff.data.paths import results_dir, runs_dir

    name = SWEEP_LOCK if shard[1] == 1 else f".tradeoff-sweep-{shard[0]}of{shard[1]}.lock"
    with contextlib.ExitStack() as stack:
        if sweep:
            stack.enter_context(hold(runs_dir(), f"the deep runs of the build folder ({runs_dir()})", name))
        if merge:
            stack.enter_context(hold(results_dir() / "deep", f"the deep results of the build folder "
                                                             f"({results_dir() / 'deep'})", MERGE_LOCK))
        yield


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _datasets(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in PAPER_DATASETS]
    if bad or not names:
        raise UserError(f"--dataset {text!r}: choose from {', '.join(PAPER_DATASETS)} (comma-separated)")
    return names


def _engine(args):
    from tradeoff.deep.experiments.engine import TorchEngine

    roots = {}
    if getattr(args, "cifar_root", None):
        roots["cifar10"] = args.cifar_root
    if getattr(args, "imagenet_root", None):
        roots["restricted_imagenet"] = args.imagenet_root
    workers = getattr(args, "workers", 0)
    if workers == 0:  # every core: one single-thread process per core on a CPU (measured: bench/population.py)
        import os

        workers = 1 if args.device == "cuda" else (os.cpu_count() or 1)
    return TorchEngine(data_roots=roots, device=args.device, progress=args.progress, log=_log, workers=workers,
                       amp=args.precision != "fp32")


def _precision_override(args):
    """``--precision fp32``: every experiment's template trains and evaluates in float32 (``amp = false``: other runs,
    with their own identity); None for the definitions' own setting (bf16 where the hardware has it)."""
    if args.precision != "fp32":
        return None
    from tradeoff.deep.experiments.definitions import with_template

    return lambda exp: with_template(exp, amp=False)


def _overrides(*changes):
    """The composition of the definition changes that are not None (applied left to right), or None."""
    chosen = [c for c in changes if c is not None]
    if not chosen:
        return None

    def apply(exp):
        for c in chosen:
            exp = c(exp)
        return exp

    return apply


def _set_threads(args) -> None:
    """``--threads N``; by default ONE thread for the quick scale on CPU: its small models gain little from a
    second thread, and on a shared machine two threads were measured 6x slower per image than one (a population
    of 8 at the quick scale: 2.2x slower, bench/population.py). The other cores get worker processes
    (``--workers``)."""
    import torch

    threads = args.threads or (1 if args.scale in (Scale.QUICK, Scale.LONG) and args.device != "cuda" else 0)
    if threads:
        torch.set_num_threads(threads)


def _add_common(p, datasets: bool = False) -> None:
    if datasets:
        p.add_argument("--dataset", "--datasets", dest="datasets", default="mnist", metavar="D[,D...]",
                       help="comma-separated: mnist,cifar10,restricted_imagenet (default mnist)")
    else:
        _add_dataset(p)
    p.add_argument("--scale", default="quick", choices=(*SCALES, Scale.SMOKE.value) if datasets else SCALES,
                   help="quick = CPU minutes (inside make reproduce); long = 1-1.5 h on 2 CPU cores (MNIST); "
                        "paper = the reconstructed defaults of docs/paper.md section 6"
                        + ("; smoke = a tiny quick scale, seconds per run, numbers mean nothing" if datasets else ""))
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--cifar-root", metavar="DIR", type=DataFolder(),
                   help="CIFAR-10 folder (default $TRADEOFF_CIFAR10_ROOT, else the cache)")
    p.add_argument("--imagenet-root", metavar="DIR", type=DataFolder(),
                   help="Restricted ImageNet folder (default $TRADEOFF_IMAGENET_ROOT)")
    p.add_argument("--workers", type=Integer(0, 1024), default=0,
                   help="CPU: train this many populations at once, each in its own process with one thread "
                        "(default 0: one per CPU core; 1 on CUDA)")
    p.add_argument("--threads", type=Integer(0, 1024), default=0,
                   help="torch CPU threads (default 0: 1 for --scale quick, else torch's default)")
    p.add_argument("--progress", action="store_true", help="show per-epoch progress bars")
    p.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                   help="auto/bf16 (default): bf16 autocast and channels-last where the hardware has bf16 matrix "
                        "instructions, float32 elsewhere; fp32: float32 runs (other run identities). Accuracies "
                        "are counted in float32 either way")


def _add_dataset(p) -> None:
    p.add_argument("--dataset", "--datasets", dest="dataset", default="mnist", choices=PAPER_DATASETS,
                   help="data set (default mnist)")


def cmd_reproduce(args) -> int:
    """``tradeoff deep reproduce``: every group of each chosen dataset, then its figures and a timing table."""
    if args.micro and args.scale not in (Scale.QUICK, Scale.SMOKE):
        raise UserError("--micro shrinks the quick scale; use it with --scale quick (or give --scale smoke)")
    if args.scale == Scale.SMOKE:  # the smoke scale is the quick one shrunk (deep.experiments.smoke.micro)
        args.scale, args.micro = Scale.QUICK.value, True
    datasets = _datasets(args.datasets)
    ready(args, f"deep reproduce {', '.join(datasets)} at scale {'smoke' if args.micro else args.scale}")
    _set_threads(args)
    engine = _engine(args)
    with build_locks():
        _reproduce(args, datasets, engine)
    return 0


def _reproduce(args, datasets: list[str], engine) -> None:
    from tradeoff.data.paths import figures_dir, results_dir, runs_dir
    from tradeoff.deep.experiments.picture_file import write_pictures
    from tradeoff.deep.experiments.reproduce import reproduce_dataset
    from tradeoff.deep.experiments.smoke import micro

    from ..figures.results import draw_result_files

    total = time.perf_counter()
    for ds in datasets:
        t = time.perf_counter()
        out = reproduce_dataset(ds, args.scale, engine, runs_dir(), results_dir(), sanity=not args.no_sanity,
                                overrides=_overrides(micro if args.micro else None, _precision_override(args)),
                                log=_log)
        tf = time.perf_counter()
        written = list(out.result_paths)
        if out.pictures is not None:  # the picture figures' arrays, as a result file the figures are drawn from
            written.append(write_pictures(out.pictures, results_dir(), out.scale))
        figs = draw_result_files(written, figures_dir())
        out.seconds["figures"] = time.perf_counter() - tf
        _log(f"[{ds}/{args.scale}] {len(figs)} figures in {out.seconds['figures']:.1f}s; "
             f"dataset total {time.perf_counter() - t:.1f}s")
        print(format_table([{"part": k, "seconds": v, "cpu_seconds": out.cpu_seconds.get(k)}
                            for k, v in out.seconds.items()], floatfmt=".1f"))
        for group_name, rows in out.rows.items():
            print(f"\n{group_name} ({ds}, {args.scale})")
            print(format_table(rows, ["norm", "eps_train", "n_train", "mixed", "seed", "standard_acc", "robust_acc",
                                      "eps_eval"]))
    _log(f"deep reproduce finished in {time.perf_counter() - total:.1f}s; results under {results_dir()}/deep, "
         f"figures under {figures_dir()}")


def cmd_sweep(args) -> int:
    """``tradeoff deep sweep``: this machine's shard of one sweep (or ``--list`` the sweeps and their run counts)."""
    from tradeoff.data.paths import runs_dir
    from tradeoff.deep.experiments import definitions, sweep
    from tradeoff.deep.experiments.reproduce import run_sweep

    if args.list:
        ready(args, "deep sweep --list")
        for ds in definitions.DATASETS:
            for name, exp in definitions.experiments(ds, args.scale).items():
                if isinstance(exp, definitions.SweepExperiment):
                    print(f"{name:6s} {ds:19s} {len(sweep.expand(exp)):4d} runs  {exp.note}")
        return 0
    if not args.name:
        raise UserError("give a sweep NAME (fig1, fig6, fig7, mixed) or --list")
    exp = definitions.get(args.name, args.dataset, args.scale)
    if not isinstance(exp, definitions.SweepExperiment):
        raise UserError(f"{args.name!r} is not a sweep; use `tradeoff deep reproduce` for the picture figures")
    if (fp32 := _precision_override(args)) is not None:
        exp = fp32(exp)
    shard = sweep.parse_shard(args.shard)
    ready(args, f"deep sweep {args.name} ({args.dataset}, {args.scale}), shard {shard[0]}/{shard[1]}")
    _set_threads(args)
    engine = _engine(args)
    with build_locks(merge=False, shard=shard):
        records = run_sweep(exp, engine, runs_dir(), shard, log=_log)
    print(format_table(records, floatfmt=".1f"))
    return 0


def cmd_merge(args) -> int:
    """``tradeoff deep merge``: finished runs of the named sweeps (default all) into ``deep.sweep`` files."""
    from tradeoff.data.paths import results_dir, runs_dir
    from tradeoff.deep.experiments import definitions, sweep

    names = args.names or list(definitions.SWEEP_GROUPS)
    exps = []
    for name in names:
        exp = definitions.get(name, args.dataset, args.scale)
        if not isinstance(exp, definitions.SweepExperiment):
            raise UserError(f"{name!r} is not a sweep (choose from {', '.join(definitions.SWEEP_GROUPS)})")
        if (fp32 := _precision_override(args)) is not None:
            exp = fp32(exp)
        exps.append((name, exp))
    ready(args, f"deep merge {', '.join(names)} ({args.dataset}, {args.scale})")
    with build_locks(sweep=False):
        for name, exp in exps:
            _merge_one(args, name, exp, sweep.merge(exp, runs_dir(), results_dir(), allow_missing=args.allow_missing))
    return 0


def _merge_one(args, name: str, exp, path) -> None:
    """Print one merged sweep's table."""
    from tradeoff.data.io import read_result

    payload = read_result(path)["payload"]
    print(f"{name} ({args.dataset}, {args.scale}) -> {path}")
    print(format_table(payload["rows"], ["norm", "eps_train", "n_train", "mixed", "seed", "standard_acc",
                                         "robust_acc", "eps_eval"]))
    if payload["missing"]:
        print(f"missing runs: {len(payload['missing'])}")


def register(top) -> None:
    """Add ``reproduce``, ``sweep`` and ``merge`` to the ``tradeoff deep`` group."""
    sub = group(top, "deep", "deep experiments: PGD adversarial training on MNIST, CIFAR-10, Restricted ImageNet")
    p = sub.add_parser("reproduce", help="run every deep experiment (sweeps, figures, claim 5-8, 10-12 numbers)",
                       description="Train and evaluate every deep experiment of the chosen data sets at one scale: "
                                   "the sweeps of Figures 1, 6, 7 and the mixed batches, the picture models of "
                                   "Figures 2-4 and 8-10 with their gradient-masking checks; write the result files "
                                   "and figures under the build folder. Finished runs are never trained again; a "
                                   "rerun continues interrupted ones.")
    _add_common(p, datasets=True)
    p.add_argument("--no-sanity", action="store_true", help="skip the gradient-masking checks (claim 12)")
    p.add_argument("--micro", action="store_true",
                   help="the same as --scale smoke: a tiny version of the quick scale (seconds per run; numbers "
                        "mean nothing)")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("sweep", help="run one sweep (fig1, fig6, fig7, mixed), or one shard of it",
                       description="Train one sweep's runs (or shard i of n of them, e.g. in a cluster array job) "
                                   "into <build>/runs; finished runs are skipped, interrupted ones continue. Merge "
                                   "them afterwards with tradeoff deep merge.")
    p.add_argument("name", nargs="?", help="fig1 | fig6 | fig7 | mixed")
    _add_common(p)
    p.add_argument("--shard", default="0/1", metavar="i/n", help="run only shard i of n (deterministic split)")
    p.add_argument("--list", action="store_true", help="list the sweeps and their run counts")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("merge", help="merge finished sweep runs into deep.sweep result files",
                       description="Read the finished runs of the named sweeps (default all) from <build>/runs, "
                                   "evaluate what is missing and write one deep.sweep result file per sweep under "
                                   "<build>/results/deep; print each table.")
    p.add_argument("names", nargs="*", help="sweeps to merge (default: all)")
    _add_dataset(p)
    p.add_argument("--scale", default="quick", choices=SCALES, help="the scale the runs were trained at "
                   "(default quick)")
    p.add_argument("--allow-missing", action="store_true", help="merge what is finished, list missing runs")
    p.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                   help="the precision the runs were trained at (fp32: the float32 runs of --precision fp32)")
    p.set_defaults(func=cmd_merge)
