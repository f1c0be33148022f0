"""``tradeoff report``: build reports/build/report.md and a self-contained report.html from saved results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._base import UserError


def register(top: argparse._SubParsersAction) -> None:
    """Add the top-level ``report`` command."""
    help = "build report.md and a self-contained report.html from the saved result files (no recomputation)"
    p = top.add_parser("report", help=help, description=help)
    p.add_argument("--results", metavar="DIR", nargs="+", action="extend",
                   help="result folders to read, recursively (default: <build>/results and reports/results)")
    p.add_argument("--out", metavar="DIR", help="where report.md and report.html go (default: the build folder)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the report and print where it is and the verdict of each claim."""
    from ..report import build_report

    dirs = None
    if args.results:
        missing = [d for d in args.results if not Path(d).is_dir()]
        if missing:
            raise UserError(f"--results: no such folder: {', '.join(missing)} (give folders holding result files)")
        dirs = [Path(d) for d in args.results]
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise UserError(f"--out {args.out}: exists and is not a folder; give a folder")
    built = build_report(dirs, args.out)
    for cr in built.claims:
        print(f"claim {cr.claim.number:2d}  {cr.outcome.verdict:13s}  {cr.claim.title}")
    print(f"wrote {built.markdown} and {built.html}", file=sys.stderr)
    return 0
