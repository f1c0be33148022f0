"""``tradeoff deep campaign``: the paper-scale deep runs a GPU window can add (deep.experiments.campaign).

* ``tradeoff deep campaign --plan [--datasets mnist,cifar10]``: the ordered plan (what is committed, local, to do,
  with estimated seconds) and the datasets the remaining runs need, with their upload sizes.
* ``tradeoff deep campaign --pack-data DIR [--datasets ...]``: copy only the needed datasets into ``DIR`` (an
  ignored folder to name in the device tool's ``carry``).
* ``tradeoff deep campaign --budget SECONDS [--out DIR]``: train what fits, most informative first, skipping
  committed and finished runs; writes ``DIR/pack`` after every run and ``DIR/campaign-pack.tgz`` at the end.

While it runs (or packs), the campaign folder and the build folder's deep runs are locked (data.locks): a second
campaign on the same build folder is refused with one line naming the holder's pid.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ._base import UserError, format_table, group, ready
from ._options import DataFolder, Integer, Number, OutputFolder, PathText


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _datasets(text: str) -> list[str]:
    from tradeoff.deep.experiments.campaign_plan import DATASET_ORDER

    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in DATASET_ORDER]
    if bad or not names:
        raise UserError(f"--dataset {text!r}: choose from {', '.join(DATASET_ORDER)} (comma-separated)")
    return names


def _commit_sent(arg: str | None) -> str:
    """``--commit-sent``, else the provenance commit (the checkout's HEAD, else ``$TRADEOFF_GIT_COMMIT``: a GPU
    machine receives the tree without .git, so the session passes the commit from home), else ``unknown``."""
    if arg:
        return arg
    from tradeoff.data.provenance import git_commit

    return git_commit()


def _roots(args) -> dict:
    roots = {}
    if args.cifar_root:
        roots["cifar10"] = args.cifar_root
    if args.tiny_root:
        roots["restricted_tiny_imagenet"] = args.tiny_root
    return roots


def cmd_campaign(args) -> int:
    """Plan, pack the data for, or run a campaign (see the module docstring)."""
    import torch

    from tradeoff.data.paths import build_dir
    from tradeoff.deep.experiments import campaign_plan as CP

    from ..result_index import COMMITTED_RESULTS

    datasets = _datasets(args.datasets)
    defs = CP.campaign_definitions(datasets, shrink=CP.micro if args.micro else None)
    out = Path(args.out) if args.out else build_dir() / "campaign"
    committed = [Path(p) for p in args.committed] if args.committed else [COMMITTED_RESULTS]
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA device here; use --device cpu (with --micro to test)")
    device_name = f"cuda:{torch.cuda.get_device_name(0)}" if device == "cuda" else "cpu"
    if not args.plan and not args.pack_data and args.budget is None:
        raise UserError("give --budget SECONDS (or --plan / --pack-data DIR)")
    what = "plan" if args.plan else "pack-data" if args.pack_data else f"run within {args.budget:g} s"
    ready(args, f"deep campaign {what} for {', '.join(datasets)} in {out}")
    if args.plan and not args.pack_data:
        return _campaign(args, datasets, defs, out, committed, device, device_name)
    from tradeoff.data.locks import hold

    from .deep_experiments import build_locks

    with hold(out, f"campaign folder {out}"), build_locks(merge=False):
        return _campaign(args, datasets, defs, out, committed, device, device_name)


def _campaign(args, datasets, defs, out: Path, committed, device: str, device_name: str) -> int:
    from tradeoff.data.paths import runs_dir
    from tradeoff.deep.experiments import campaign as C
    from tradeoff.deep.experiments import campaign_data
    from tradeoff.deep.experiments import campaign_plan as CP

    engine = None
    if not args.plan and not args.pack_data:
        from tradeoff.deep.experiments.engine import TorchEngine

        engine = TorchEngine(data_roots=_roots(args), device=device, log=_log, workers=1)
    from tradeoff.deep.population_plan import MAX_POPULATION

    population = args.population or (MAX_POPULATION["cuda"] if device == "cuda" else 1)
    camp = C.Campaign(defs, engine, runs_dir(), out, committed, float(args.budget or 0.0), device=device_name,
                      commit_sent=_commit_sent(args.commit_sent), rates_path=Path(args.rates) if args.rates else
                      out / "rates.json", log=_log, population=population)
    if args.plan or args.pack_data:
        statuses = camp.describe()
        todo = [s for s in statuses if s.status == "todo"]
        need = [d for d in datasets if any(s.dataset == d for s in todo)]
        if args.plan:
            rows = [{"#": i, "dataset": s.dataset, "tier": s.tier, "status": s.status,
                     "estimate_s": s.estimate_s, "item": s.key} for i, s in enumerate(statuses)]
            print(format_table(rows, floatfmt=".0f"))
            counts = {k: sum(s.status == k for s in statuses) for k in ("committed", "local", "todo")}
            total = sum(s.estimate_s or 0.0 for s in todo)
            print(f"\n{len(statuses)} items: {counts['committed']} committed, {counts['local']} finished locally, "
                  f"{counts['todo']} to do (~{total:.0f} s on {device_name} at the current rates)")
            for t, why in CP.TIERS.items():
                print(f"  tier {t}: {why}")
            uploads = campaign_data.upload_plan(need, _roots(args))
            print("\ndatasets this window needs (upload limit "
                  f"{campaign_data.UPLOAD_LIMIT_BYTES // 2**20} MiB):")
            for u in uploads:
                size = "unknown" if u.bytes is None else f"{u.bytes / 2**20:.1f} MiB"
                print(f"  {u.dataset:26s} {u.tarball:30s} {size:>10s}  {u.source or ''} {u.note}")
            if uploads:
                print("  together: " + ("fits" if campaign_data.fits(uploads) else
                                        "does NOT fit: choose fewer datasets per window (--datasets)"))
        if args.pack_data:
            paths = campaign_data.pack_data(need, args.pack_data, _roots(args))
            for p in paths:
                print(f"{p} ({p.stat().st_size / 2**20:.1f} MiB)")
            if not paths:
                print("nothing to pack: every run of these datasets is committed or finished")
        return 0
    statuses = camp.run()
    tarball = C.pack(out)
    counts = {k: sum(s.status == k for s in statuses) for k in ("committed", "local", "done", "budget", "failed")}
    print(format_table([{"dataset": s.dataset, "tier": s.tier, "status": s.status, "seconds": s.seconds,
                         "estimate_s": s.estimate_s, "item": s.key} for s in statuses
                        if s.status in ("done", "failed")], floatfmt=".1f"))
    print(f"\n{counts}; pack: {out / 'pack'} and {tarball}")
    print(f"commit it with: cp -r {out / 'pack'} reports/results/campaign_<date>  (then `git add`)")
    return 1 if counts["failed"] else 0


def register(top) -> None:
    """Add ``campaign`` to the ``tradeoff deep`` group."""
    sub = group(top, "deep", "deep experiments: PGD adversarial training on MNIST, CIFAR-10, Restricted ImageNet")
    p = sub.add_parser("campaign", help="the paper-scale runs a GPU window can add: plan, pack data, run in a budget",
                       description="Plan the paper-scale deep runs a GPU window can add (--plan), copy the data sets "
                                   "they need (--pack-data DIR), or train what fits in --budget seconds, most "
                                   "informative first, skipping committed and finished runs; the pack for the "
                                   "results goes to <build>/campaign unless --out names a folder.")
    p.add_argument("--budget", type=Number(0.0, 10.0**7, low_open=True), metavar="SECONDS",
                   help="wall-clock seconds for training and evaluation (> 0)")
    p.add_argument("--dataset", "--datasets", dest="datasets", default="mnist,cifar10,restricted_tiny_imagenet",
                   metavar="D[,D...]",
                   help="comma-separated, in campaign order (default all three; their packed data, ~47 MiB, fit "
                        "one window's upload)")
    p.add_argument("--plan", action="store_true", help="print the plan and the datasets it needs; run nothing")
    p.add_argument("--pack-data", metavar="DIR", type=OutputFolder(),
                   help="copy the datasets the remaining runs need into DIR")
    p.add_argument("--out", metavar="DIR", type=OutputFolder(), help="campaign folder (default <build>/campaign)")
    p.add_argument("--committed", action="append", metavar="DIR", type=PathText(),
                   help="folder of committed results to skip (repeatable; default the package's reports/results)")
    p.add_argument("--rates", metavar="FILE", type=PathText(), help="rate file (image-steps/s by "
                   "device/model/width/dataset; default OUT/rates.json)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--population", type=Integer(0, 1024), default=0,
                   help="runs trained together at most (default 0: 16 on CUDA, 1 on CPU)")
    p.add_argument("--commit-sent", metavar="SHA", help="the commit this tree was sent from (default: the "
                   "checkout's HEAD, else $TRADEOFF_GIT_COMMIT)")
    p.add_argument("--cifar-root", metavar="DIR", type=DataFolder(),
                   help="CIFAR-10 folder (default $TRADEOFF_CIFAR10_ROOT)")
    p.add_argument("--tiny-root", metavar="DIR", type=DataFolder(),
                   help="Restricted Tiny ImageNet folder (default $TRADEOFF_TINY_IMAGENET_ROOT)")
    p.add_argument("--micro", action="store_true", help="CPU test scale (tiny runs; numbers mean nothing)")
    p.set_defaults(func=cmd_campaign)
