"""``tradeoff theory gaussian``: errors of the averaging rule against n in Schmidt et al.'s Gaussian model
(theory.gaussian_model). Writes ``<build>/results/theory/gaussian_model.json`` (kind ``theory.gaussian_model``) and
``<build>/figures/theory_gaussian_model.png``."""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict

from tradeoff.data.kinds import Kind

from ._base import UserError, emit_json, format_table, group


def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff theory gaussian``."""
    sub = group(top, "theory", "The theory of D(d, p, eta): closed forms, Theorem 1, frontier, SVM "
                "(docs/paper.md §2-§4)")
    p = sub.add_parser("gaussian", help="Schmidt et al.'s Gaussian model: standard vs robust error against n",
                       description=__doc__.splitlines()[0])
    p.add_argument("--d", type=int, default=1000, help="dimension (default 1000)")
    p.add_argument("--sigma", type=float, default=None, help="noise level (default d^(1/4)/2)")
    p.add_argument("--eps", type=float, default=0.5, help="adversary's radius (default 0.5)")
    p.add_argument("--norm", choices=["inf", "2"], default="inf", help="threat model (default inf)")
    p.add_argument("--n", type=int, nargs="+", default=[1, 2, 3, 5, 8, 13, 20, 32, 50, 100],
                   help="sample sizes (default 1 2 3 5 8 13 20 32 50 100)")
    p.add_argument("--draws", type=int, default=2000, help="Monte Carlo draws of w_hat per n (default 2000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=run_gaussian_command)


def run_gaussian_command(args) -> int:
    """Compute the curve, write the result file and figure, print the table (or JSON)."""
    from tradeoff.data.io import write_result
    from tradeoff.data.paths import figures_dir, results_dir
    from tradeoff.theory.gaussian_model import GaussianModel, sample_size_curve

    from ..figures.gaussian_model import draw_sample_size

    sigma = args.sigma if args.sigma is not None else args.d**0.25 / 2 if args.d >= 1 else math.nan
    if args.draws < 2:
        raise UserError(f"--draws must be >= 2 (got {args.draws})")
    t0 = time.perf_counter()
    model = GaussianModel(args.d, sigma)  # ValueError -> one-line error
    rows = sample_size_curve(model, args.n, args.eps, args.norm, args.draws, args.seed)
    payload = {"d": args.d, "sigma": sigma, "eps": args.eps, "norm": args.norm, "draws": args.draws,
               "rows": [asdict(r) for r in rows],
               "definitions": {"rule": "sign(w_hat . x), w_hat = mean of y x over n samples",
                               "standard_error": "exact expectation over the sample (2-d quadrature)",
                               "robust_error_mc": "Monte Carlo over w_hat ~ N(theta*, sigma^2/n I), exact per draw"}}
    wall = time.perf_counter() - t0
    path = write_result(results_dir() / "theory" / "gaussian_model.json", Kind.THEORY_GAUSSIAN_MODEL, payload,
                        wall_time_s=wall, scale="exact", dataset="synthetic gaussian", seeds=[args.seed])
    fig = draw_sample_size(payload, figures_dir() / "theory_gaussian_model.png")
    if args.json:
        emit_json({"rows": payload["rows"], "result": str(path), "figure": str(fig)})
        return 0
    print(f"Gaussian model: d={args.d}, sigma={sigma:.4g}, l_{args.norm} eps={args.eps:g}; "
          "averaging rule from n samples")
    print(format_table(payload["rows"], ["n", "standard_error", "robust_error_mc", "robust_error_mc_se",
                                         "standard_error_plug_in", "robust_error_plug_in"], floatfmt=".4g"))
    print(f"result: {path}\nfigure: {fig}")
    return 0
