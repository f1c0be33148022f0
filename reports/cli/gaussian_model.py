"""``tradeoff theory gaussian``: errors of the averaging rule against n in Schmidt et al.'s Gaussian model
(theory.gaussian_model). Writes ``<build>/results/theory/gaussian_model.json`` (kind ``theory.gaussian_model``) and
``<build>/figures/theory_gaussian_model.png``."""

from __future__ import annotations

import argparse

from tradeoff.theory.studies import GAUSSIAN_NS

from ._base import emit_json, format_table, group, ready
from ._options import Integer, Number
from ._publish import announce, outputs, publish


def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff theory gaussian``."""
    sub = group(top, "theory", "The theory of D(d, p, eta): closed forms, Theorem 1, frontier, SVM "
                "(docs/paper.md §2-§4)")
    p = sub.add_parser("gaussian", help="Schmidt et al.'s Gaussian model: standard vs robust error against n",
                       description=__doc__.splitlines()[0])
    p.add_argument("--d", type=Integer(1, 10**9), default=1000, help="dimension (default 1000)")
    p.add_argument("--sigma", type=Number(0.0, low_open=True), default=None, help="noise level (default d^(1/4)/2)")
    p.add_argument("--eps", type=Number(0.0), default=0.5, help="adversary's radius (default 0.5)")
    p.add_argument("--norm", choices=["inf", "2"], default="inf", help="threat model (default inf)")
    p.add_argument("--n", type=Integer(1, 10**9), nargs="+", default=list(GAUSSIAN_NS),
                   help="sample sizes (default 1 2 3 5 8 13 20 32 50 100)")
    p.add_argument("--draws", type=Integer(2), default=2000,
                   help="Monte Carlo draws of w_hat per n, >= 2 (default 2000; the memory and time guards refuse "
                        "what would not fit or would run for hours)")
    p.add_argument("--seed", type=Integer(0, 2**63 - 1), default=0, help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=run_gaussian_command)


def run_gaussian_command(args) -> int:
    """The study (theory.studies.GaussianStudy) → result file → figure (reports.figures.results) → table (or JSON)."""
    from tradeoff.theory.studies import GaussianStudy

    study = GaussianStudy(args.d, args.sigma, args.eps, args.norm, tuple(args.n), args.draws, args.seed)
    ready(args, f"theory gaussian: {len(args.n)} sample sizes x {args.draws} draws at d = {args.d}")
    result = study.run()
    payload = result.payload
    with outputs():  # the result file and its figure replace the earlier ones only once both are made
        path, (fig,) = publish(result)
        if args.json:
            emit_json({"rows": payload["rows"], "result": str(path), "figure": str(fig)})
            return 0
        print(f"Gaussian model: d={args.d}, sigma={study.sigma:.4g}, l_{args.norm} eps={args.eps:g}; "
              "averaging rule from n samples")
        print(format_table(payload["rows"], ["n", "standard_error", "robust_error_mc", "robust_error_mc_se",
                                             "standard_error_plug_in", "robust_error_plug_in"], floatfmt=".4g"))
        announce(f"result: {path}\nfigure: {fig}")
    return 0
