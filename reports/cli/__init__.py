"""The ``tradeoff`` command: ``tradeoff [--build-dir DIR] GROUP COMMAND [options]``.

Each module in ``COMMAND_MODULES`` adds its command group through ``register(top)``. Errors a user can
cause, bad option values included, are printed as one line with exit status 2 (set ``TRADEOFF_DEBUG=1``
for the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import (
    card,
    data,
    data_limit,
    deep,
    deep_campaign,
    deep_experiments,
    deep_frontier,
    gaussian_model,
    linear,
    linear_frontier,
    report,
    theory,
)
from ._base import UserError

COMMAND_MODULES = (theory, gaussian_model, data, data_limit, linear, linear_frontier, deep, deep_experiments,
                   deep_frontier, deep_campaign, report, card)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every available command group registered."""
    parser = argparse.ArgumentParser(
        prog="tradeoff",
        description="Reproduce, check and extend 'Robustness May Be at Odds with Accuracy' (Tsipras et al. 2019).",
    )
    parser.add_argument(
        "--build-dir",
        metavar="DIR",
        help="where results, runs, figures and the report go (default $TRADEOFF_BUILD or reports/build)",
    )
    top = parser.add_subparsers(title="command groups", metavar="GROUP")
    for module in COMMAND_MODULES:
        module.register(top)
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.build_dir:
            os.environ["TRADEOFF_BUILD"] = args.build_dir
        rc = args.func(args)
    except KeyboardInterrupt:
        print("tradeoff: interrupted", file=sys.stderr)
        return 130
    except (UserError, ValueError, FileNotFoundError, PermissionError, FileExistsError, NotADirectoryError,
            IsADirectoryError, FloatingPointError) as e:  # path errors from a wrong --out / --build-dir; divergence
        if os.environ.get("TRADEOFF_DEBUG"):
            raise
        print(f"tradeoff: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except MemoryError as e:  # a size the checks did not foresee: still one line, with the fix
        if os.environ.get("TRADEOFF_DEBUG"):
            raise
        print(f"tradeoff: error: out of memory ({_one_line(e) or 'MemoryError'}); use smaller sizes (--d, --n, "
              "--mc-samples, --batch-size) or a machine with more memory", file=sys.stderr)
        return 2
    return int(rc or 0)


def _one_line(e: BaseException) -> str:
    """The error's message on one line (a multi-line message keeps its first line; the rest is for TRADEOFF_DEBUG)."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
