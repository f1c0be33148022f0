"""``tradeoff linear frontier``: the linear trade-off frontier on two MNIST digits (linear.frontier), and the figure
that puts it beside the data's own frontier, D's frontier and deep models (reports/figures/frontier_everywhere.py).
Writes ``<build>/results/linear/frontier.json`` (kind ``linear.frontier``) and ``<build>/figures/frontier_mnist.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tradeoff.data.kinds import Kind

from ._base import UserError, emit_json, format_table, group, warn

FIGURE_NAME = "frontier_mnist.png"


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
    p.add_argument("--eps-eval", type=float, default=0.2, help="radius of the robust accuracy (default 0.2)")
    p.add_argument("--norm", choices=["inf", "2"], default="inf", help="threat model (default inf)")
    p.add_argument("--box", action=argparse.BooleanOptionalAction, default=True,
                   help="keep perturbed pixels in [0,1] (default: --box)")
    p.add_argument("--eps-train", type=float, nargs="+", default=None,
                   help="eps_train values (default 0, 1/8, 1/4, 1/2, 3/4, 1, 5/4, 3/2, 2 times eps-eval)")
    p.add_argument("--beta", type=float, nargs="*", default=None,
                   help="TRADES-style weights (default 0 0.03 0.1 0.3 1 3 10 30; none: skip the beta sweep)")
    p.add_argument("--digits", nargs=2, type=int, default=[5, 7], metavar=("POS", "NEG"), help="default 5 7")
    p.add_argument("--alpha", type=float, default=1e-4, help="L2 regularisation (default 1e-4, as Figure 5)")
    p.add_argument("--tol", type=float, default=1e-6, help="L-BFGS-B projected-gradient tolerance (default 1e-6)")
    p.add_argument("--root", default=None, help="MNIST folder (default: the tradeoff data cache)")
    p.add_argument("--json", action="store_true", help="print the models as JSON instead of a table")
    p.add_argument("--no-figure", action="store_true", help="write the result file only")
    p.set_defaults(func=run_frontier_command)


def _config(args):
    from tradeoff.linear.frontier import DEFAULT_BETAS, LinearFrontierConfig

    betas = DEFAULT_BETAS if args.beta is None else tuple(args.beta)
    try:
        return LinearFrontierConfig(eps_eval=args.eps_eval, norm=args.norm, box=args.box,
                                    eps_trains=None if args.eps_train is None else tuple(args.eps_train),
                                    betas=betas, alpha=args.alpha, tol=args.tol).checked()
    except ValueError as e:
        raise UserError(str(e)) from None


def gather_payloads(results: Path) -> dict:
    """The newest payloads the frontier figure can use from ``results``: two-class ``data.limit`` for MNIST (l_inf
    first), ``theory.frontier``, the rows of every ``deep.sweep`` file on MNIST, and the preferred MNIST
    ``deep.frontier`` payload of ``results`` and the committed results (reports/results: the CPU-scale run)."""
    from tradeoff.data.io import read_result

    from ..result_index import COMMITTED_RESULTS, ResultIndex, collect_results

    out: dict = {"limit": {}, "theory": None, "deep_rows": [], "deep_frontier": None}
    found = [r for r in collect_results([results / "deep", COMMITTED_RESULTS]).results
             if r.kind == Kind.DEEP_FRONTIER and r.payload.get("dataset") == "mnist"]
    best = ResultIndex(found).best(Kind.DEEP_FRONTIER)
    out["deep_frontier"] = best.payload if best else None
    for f in sorted((results / "data").glob("limit_mnist_*.json")):
        try:
            r = read_result(f)
        except ValueError:
            continue
        if not r["payload"].get("multiclass"):  # the figure compares two-class models with a two-class frontier
            out["limit"][r["payload"].get("norm")] = r["payload"]
    f = results / "theory" / "frontier.json"
    if f.is_file():
        try:
            out["theory"] = read_result(f)["payload"]
        except ValueError:
            pass
    for f in sorted((results / "deep").glob("*.json")) if (results / "deep").is_dir() else []:
        try:
            r = read_result(f)
        except ValueError:
            continue
        if r.get("kind") == Kind.DEEP_SWEEP:
            out["deep_rows"] += [row for row in r["payload"].get("rows", []) if row.get("dataset") == "mnist"]
    return out


def draw_from_results(linear_payload: dict, results: Path, figures: Path) -> Path:
    """Draw ``figures/frontier_mnist.png`` from ``linear_payload`` and what :func:`gather_payloads` finds."""
    from ..figures.frontier_everywhere import draw_frontier_everywhere

    g = gather_payloads(results)
    return draw_frontier_everywhere(linear_payload, figures / FIGURE_NAME, limit=g["limit"].get(linear_payload["norm"]),
                                    theory=g["theory"], deep_rows=g["deep_rows"], deep_frontier=g["deep_frontier"])


def run_frontier_command(args) -> int:
    """``tradeoff linear frontier``: train both sweeps, write the result file and the figure, print the table."""
    from tradeoff.data.io import write_result
    from tradeoff.data.paths import figures_dir, results_dir
    from tradeoff.linear.fig5 import check_digits, load_binary_mnist
    from tradeoff.linear.frontier import linear_frontier_study, n_fits

    cfg = _config(args)
    try:
        digits = check_digits(args.digits)
    except ValueError as e:
        raise UserError(str(e)) from None
    t0 = time.perf_counter()
    X_train, y_train, X_test, y_test = load_binary_mnist(digits, root=args.root)
    from tqdm import tqdm

    with tqdm(total=n_fits(cfg), desc="linear frontier fits", file=sys.stderr, leave=False) as bar:
        res = linear_frontier_study(X_train, y_train, X_test, y_test, cfg, progress=lambda s: bar.update(1))
    payload = res.payload()
    payload["digits"] = list(digits)
    wall = time.perf_counter() - t0
    bad = [f"{m.method} eps_train={m.eps_train:g} beta={m.beta}" for m in res.models if not m.converged]
    if bad:
        warn(f"L-BFGS-B did not reach tol={cfg.tol} for: {', '.join(bad)}")
    path = write_result(results_dir() / "linear" / "frontier.json", Kind.LINEAR_FRONTIER, payload, wall_time_s=wall,
                        scale="exact", dataset=f"mnist {digits[0]}-vs-{digits[1]}", seeds=[])
    fig = None if args.no_figure else draw_from_results(payload, results_dir(), figures_dir())
    if args.json:
        emit_json({"models": payload["models"], "result": str(path), "figure": fig, "wall_time_s": wall})
        return 0
    print(f"Linear frontier: {digits[0]} (+1) vs {digits[1]} (-1), {res.n_train} train / {res.n_test} test images, "
          f"robust accuracy at l_{cfg.norm} eps={cfg.eps_eval:g}{' in the [0,1] box' if cfg.box else ''} (exact)")
    print(format_table([{k: m[k] for k in ("method", "eps_train", "beta", "standard_acc", "robust_acc",
                                           "train_standard_acc", "train_robust_acc", "converged")}
                        for m in payload["models"]]))
    print(f"result: {path}")
    if fig:
        print(f"figure: {fig}")
    print(f"wall time: {wall:.1f} s")
    return 0
