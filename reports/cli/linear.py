"""``tradeoff linear fig5``: the binary MNIST linear study of Figure 5 (docs/paper.md §5) on real MNIST."""

from __future__ import annotations

import argparse
import sys

from ._base import UserError, emit_json, format_table, group, ready, warn
from ._options import DataFolder, Integer, Number, Radius, check_eps
from ._publish import announce, outputs, publish

#: the pixels of an MNIST image (the l_2 radius is bounded by the box's diameter, sqrt of this)
PIXELS = 784


def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff linear fig5``."""
    sub = group(top, "linear", "Figure 5: standard vs exactly adversarially trained linear models on binary MNIST")
    p = sub.add_parser(
        "fig5",
        help="run the whole Figure 5 study on MNIST: result JSON, three figures, summary table",
        description="Train a standard and an exactly adversarially trained logistic linear model on two MNIST "
        "digits, measure exact robust accuracy, the pixel-correlation analysis and the top-k study; write "
        "<build>/results/linear/fig5.json and <build>/figures/fig5{a,b,c}_*.png and print the summary.",
    )
    p.add_argument("--eps", type=Radius(), default=0.2, help="perturbation budget for training and evaluation in "
                   "pixel units: [0, 1] for l_inf, [0, 28] for l_2 (default 0.2, reconstructed paper value)")
    p.add_argument("--norm", choices=["inf", "2"], default="inf", help="threat model: l_inf (default) or l_2")
    p.add_argument("--box", action=argparse.BooleanOptionalAction, default=True,
                   help="also keep perturbed pixels in [0,1] (default: --box)")
    p.add_argument("--digits", nargs=2, type=Integer(0, 9), default=[5, 7], metavar=("POS", "NEG"),
                   help="the two digits: POS gets label +1, NEG label -1 (default 5 7)")
    p.add_argument("--alpha", type=Number(0.0), default=1e-4,
                   help="L2 regularisation on the mean loss, >= 0 (default 1e-4)")
    p.add_argument("--tol", type=Number(0.0, low_open=True), default=1e-6,
                   help="L-BFGS-B projected-gradient tolerance, > 0 (default 1e-6)")
    p.add_argument("--n-k", type=Integer(2, 784), default=20,
                   help="points of the log grid of k from 1 to 784, 2 to 784 (default 20)")
    p.add_argument("--rank-by", choices=["abs", "signed"], default="abs",
                   help="rank pixels by |correlation| (default) or by signed correlation (the paper's wording)")
    p.add_argument("--root", type=DataFolder(), default=None,
                   help="MNIST folder (default: the tradeoff data cache)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of tables")
    p.add_argument("--no-figures", action="store_true", help="write the result file only")
    p.set_defaults(func=run_fig5_command)


def _study(args):
    from tradeoff.linear.fig5 import Fig5Config
    from tradeoff.linear.studies import Fig5Study

    check_eps("--eps", args.eps, args.norm, PIXELS)
    return Fig5Study(Fig5Config(digits=tuple(args.digits), eps=args.eps, norm=args.norm, box=args.box,
                                alpha=args.alpha, tol=args.tol, n_k=args.n_k, rank_by=args.rank_by),
                     None if args.root is None else str(args.root))


def summary_rows(payload: dict) -> list[dict]:
    """The summary table's rows (one per model) from a ``linear.fig5`` payload."""
    names = {"standard": "standard", "robust": f"adversarial ({payload['norm']}, eps={payload['eps']:g})"}
    return [
        {"model": names[key], "standard_acc": s["standard_acc"], "robust_acc": s["robust_acc"],
         "top_mass": s["top_mass"], "n_active": s["n_active"], "wabs_corr": s["weighted_abs_correlation"],
         "l1_norm": s["l1_norm"]}
        for key, s in payload["summary"].items()
    ]


def run_fig5_command(args) -> int:
    """``tradeoff linear fig5``: the Figure 5 study (linear.studies.Fig5Study, docs/paper.md §5) → result file →
    figures (reports.figures.results) → warnings about unconverged fits, the summary and top-k tables (or JSON)."""
    from tqdm import tqdm

    study = _study(args)
    cfg = study.config
    ready(args, f"linear fig5: digits {cfg.digits[0]} vs {cfg.digits[1]}, l_{cfg.norm} eps {cfg.eps:g}")
    try:
        with tqdm(desc="fig5 fits", file=sys.stderr, leave=False) as bar:
            result = study.run(progress=lambda step: bar.update(1), start=lambda n: setattr(bar, "total", n))
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("data."):
            raise UserError("the MNIST loader (data.mnist) is missing from this checkout; update tradeoff") from None
        raise
    for w in result.warnings:
        warn(w)
    payload, wall = result.payload, result.wall_time_s
    with outputs():  # the result file and its figures replace the earlier ones only once all are made
        path, figures = publish(result, draw=not args.no_figures)
        _print(args, payload, wall, path, figures, cfg)
    return 0


def _print(args, payload: dict, wall: float, path, figures, cfg) -> None:
    if args.json:
        emit_json({"summary": payload["summary"], "topk": payload["topk"], "result": str(path),
                   "figures": [str(f) for f in figures], "wall_time_s": wall})
        return
    a, b = cfg.digits
    print(f"Figure 5: {a} (+1) vs {b} (-1), {payload['n_train']} train / {payload['n_test']} test images, "
          f"norm {cfg.norm}, eps {cfg.eps:g}, box {'on' if cfg.box else 'off'}; exact robust accuracy")
    print(format_table(summary_rows(payload)))
    print(f"top_mass: share of sum|w| on the top {cfg.top_fraction:.0%} pixels by {cfg.rank_by} correlation; "
          f"n_active: pixels with |w| >= {cfg.active_rel} max|w|; wabs_corr: sum|w||corr| / sum|w|")
    print()
    print(format_table(payload["topk"], ["k", "standard_acc", "robust_acc", "train_acc"]))
    print()
    announce("\n".join([f"result: {path}", *(f"figure: {f}" for f in figures), f"wall time: {wall:.1f} s"]))
