"""``tradeoff linear frontier``: the linear trade-off frontier on two MNIST digits (linear.studies), and the figure
that puts it beside the data's own frontier, D's frontier and deep models (reports/figures/frontier_everywhere.py).
Writes ``<build>/results/linear/frontier.json`` (kind ``linear.frontier``) and ``<build>/figures/frontier_mnist.png``.
"""

from __future__ import annotations

import argparse
import sys

from ._base import deprecated, emit_json, format_table, group, ready, warn
from ._options import DataFolder, Integer, Number, Radius, check_eps
from ._publish import announce, outputs, publish

#: the pixels of an MNIST image (the l_2 radius is bounded by the box's diameter, sqrt of this)
PIXELS = 784


def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff linear frontier``."""
    sub = group(top, "linear", "Figure 5: standard vs exactly adversarially trained linear models on binary MNIST")
    p = sub.add_parser(
        "frontier",
        help="exactly trained linear models over eps_train and over a TRADES-style beta: the linear frontier",
        description="Train exact adversarial logistic models for eps_train from 0 to 2*eps_eval and TRADES-style "
        "models (clean loss + beta * exact robust loss) over beta on two MNIST digits; exact standard and robust "
        "test accuracy of each; write the result file and the combined frontier figure.",
    )
    p.add_argument("--eps", type=Radius(), default=0.2,
                   help="radius of the robust accuracy in pixel units: [0, 1] for l_inf, [0, 28] for l_2 "
                        "(default 0.2)")
    deprecated(p, "--eps-eval", "--eps", "eps", type=Radius(), metavar="EPS")
    p.add_argument("--norm", choices=["inf", "2"], default="inf", help="threat model (default inf)")
    p.add_argument("--box", action=argparse.BooleanOptionalAction, default=True,
                   help="keep perturbed pixels in [0,1] (default: --box)")
    p.add_argument("--eps-train", type=Radius(), nargs="+", default=None,
                   help="eps_train values (default 0, 1/8, 1/4, 1/2, 3/4, 1, 5/4, 3/2, 2 times --eps, at most the "
                        "box's diameter)")
    p.add_argument("--beta", type=Number(0.0), nargs="*", default=None,
                   help="TRADES-style weights (default 0 0.03 0.1 0.3 1 3 10 30; none: skip the beta sweep)")
    p.add_argument("--digits", nargs=2, type=Integer(0, 9), default=[5, 7], metavar=("POS", "NEG"),
                   help="default 5 7")
    p.add_argument("--alpha", type=Number(0.0), default=1e-4, help="L2 regularisation (default 1e-4, as Figure 5)")
    p.add_argument("--tol", type=Number(0.0, low_open=True), default=1e-6,
                   help="L-BFGS-B projected-gradient tolerance (default 1e-6)")
    p.add_argument("--root", type=DataFolder(), default=None, help="MNIST folder (default: the tradeoff data cache)")
    p.add_argument("--json", action="store_true", help="print the models as JSON instead of a table")
    p.add_argument("--no-figures", action="store_true", help="write the result file only")
    deprecated(p, "--no-figure", "--no-figures", "no_figures", nargs=0)
    p.set_defaults(func=run_frontier_command)


def _study(args):
    from tradeoff.linear.frontier import DEFAULT_BETAS, LinearFrontierConfig
    from tradeoff.linear.studies import LinearFrontierStudy

    from ._base import UserError

    check_eps("--eps", args.eps, args.norm, PIXELS)
    check_eps("--eps-train", args.eps_train or [], args.norm, PIXELS)
    if args.beta == [] and args.eps_train == []:
        raise UserError("--beta and --eps-train are both empty: nothing to train; give values to one of them")
    betas = DEFAULT_BETAS if args.beta is None else tuple(args.beta)
    config = LinearFrontierConfig(eps_eval=args.eps, norm=args.norm, box=args.box,
                                  eps_trains=None if args.eps_train is None else tuple(args.eps_train),
                                  betas=betas, alpha=args.alpha, tol=args.tol)
    return LinearFrontierStudy(config, tuple(args.digits), None if args.root is None else str(args.root))


def run_frontier_command(args) -> int:
    """``tradeoff linear frontier``: the study (linear.studies.LinearFrontierStudy) → result file → the figure
    (reports.figures.results) → the table (or JSON)."""
    from tqdm import tqdm

    study = _study(args)
    cfg, digits = study.config, study.digits
    ready(args, f"linear frontier: {study.n_fits} fits on digits {digits[0]} vs {digits[1]}")
    with tqdm(total=study.n_fits, desc="linear frontier fits", file=sys.stderr, leave=False) as bar:
        result = study.run(progress=lambda s: bar.update(1))
    for w in result.warnings:
        warn(w)
    payload, wall = result.payload, result.wall_time_s
    with outputs():  # the result file and its figure replace the earlier ones only once both are made
        path, figures = publish(result, draw=not args.no_figures)
        _print(args, payload, wall, path, figures, cfg, digits)
    return 0


def _print(args, payload: dict, wall: float, path, figures, cfg, digits) -> None:
    fig = str(figures[0]) if figures else None
    if args.json:
        emit_json({"models": payload["models"], "result": str(path), "figure": fig, "wall_time_s": wall})
        return
    print(f"Linear frontier: {digits[0]} (+1) vs {digits[1]} (-1), {payload['n_train']} train / "
          f"{payload['n_test']} test images, robust accuracy at l_{cfg.norm} eps={cfg.eps_eval:g}"
          f"{' in the [0,1] box' if cfg.box else ''} (exact)")
    print(format_table([{k: m[k] for k in ("method", "eps_train", "beta", "standard_acc", "robust_acc",
                                           "train_standard_acc", "train_robust_acc", "converged")}
                        for m in payload["models"]]))
    announce("\n".join([f"result: {path}", *([f"figure: {fig}"] if fig else []), f"wall time: {wall:.1f} s"]))
