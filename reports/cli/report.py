"""``tradeoff report``: build report.md, a self-contained report.html and verdicts.json in the build folder from saved
results; ``--json`` prints the verdicts (schema: docs/verdicts.schema.json) instead of the per-claim lines."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._base import UserError


def register(top: argparse._SubParsersAction) -> None:
    """Add the top-level ``report`` command."""
    help = "build report.md and a self-contained report.html from the saved result files (no recomputation)"
    p = top.add_parser("report", help=help, description=help)
    p.add_argument("--results", metavar="DIR", nargs="+", action="extend",
                   help="result folders to read, recursively (default: <build>/results and reports/results)")
    p.add_argument("--out", metavar="DIR",
                   help="where report.md, report.html and verdicts.json go (default: the build folder)")
    p.add_argument("--json", action="store_true",
                   help="print every claim's verdict per scale, effects, intervals and source files as JSON (the "
                        "verdicts.json object, schema docs/verdicts.schema.json)")
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
    if args.json:
        print(json.dumps(built.data, indent=2, sort_keys=True, allow_nan=False))
    else:
        for cr in built.claims:
            split = " (split)" if cr.by_scale.split else ""
            scale = f"  [{cr.by_scale.headline.scale}]" if cr.by_scale.headline is not None else ""
            print(f"claim {cr.claim.number:2d}  {cr.outcome.verdict + split:21s}  {cr.claim.title}{scale}")
    print(f"wrote {built.markdown}, {built.html} and {built.verdicts}", file=sys.stderr)
    return 0
