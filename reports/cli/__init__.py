"""The ``tradeoff`` command: ``tradeoff GROUP COMMAND [options]``.

Each module in ``COMMAND_MODULES`` adds its command group through ``register(top)``. The global options
(``--build-dir``) are accepted before or after the group and the command; ``tradeoff --version`` prints the version.
Errors a user can cause, bad option values included, are printed as one line with exit status 2 (set
``TRADEOFF_DEBUG=1`` for the traceback). The commands that do work take ``--dry-run``: every option, path and config
is checked, nothing is run.
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
from ._base import CommandParser, DryRun, UserError, add_dry_run, add_global_options, bind_types, walk

COMMAND_MODULES = (theory, gaussian_model, data, data_limit, linear, linear_frontier, deep, deep_experiments,
                   deep_frontier, deep_campaign, report, card)

#: The modules whose commands take --dry-run (each calls _base.ready once its checks have passed).
DRY_RUN_MODULES = (theory, gaussian_model, data, data_limit, linear, linear_frontier, deep, deep_experiments,
                   deep_frontier, deep_campaign, card)

#: Commands that do not write into the build folder (its check is skipped for them).
READS_ONLY = {("data", "info"), ("data", "fetch")}


def version() -> str:
    """``tradeoff <version> (commit <sha>)``: the installed package's version and the commit it runs from."""
    from importlib import metadata

    from tradeoff.data.provenance import git_commit

    try:
        v = metadata.version("tradeoff")
    except metadata.PackageNotFoundError:  # run from a copy of the tree that is not installed
        v = "unknown"
    return f"tradeoff {v} (commit {git_commit()[:12]})"


class _Version(argparse.Action):
    """``--version``: print :func:`version` (computed only when asked) and exit 0."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(version())
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every available command group registered."""
    parser = CommandParser(
        prog="tradeoff",
        description="Reproduce, check and extend 'Robustness May Be at Odds with Accuracy' (Tsipras et al. 2019).",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    add_global_options(parser, top=True)
    top = parser.add_subparsers(title="command groups", metavar="GROUP", parser_class=CommandParser)
    for module in COMMAND_MODULES:
        module.register(top)
    dry = {m.__name__ for m in DRY_RUN_MODULES}
    bind_types(parser)
    for path, p in walk(parser):
        add_global_options(p)
        bind_types(p)
        func = p._defaults.get("func")
        if not any(isinstance(a, argparse._SubParsersAction) for a in p._actions):  # a command, not a group
            p.set_defaults(_command=path)
            if getattr(func, "__module__", None) in dry:
                add_dry_run(p)
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])
    return parser


def _check_build(args: argparse.Namespace) -> None:
    """The build folder this command writes: ``--build-dir`` (checked when parsed), else ``$TRADEOFF_BUILD`` or
    reports/build, checked here before any work starts."""
    from tradeoff.data import checks
    from tradeoff.data.paths import build_dir

    if args.build_dir is not None:
        os.environ["TRADEOFF_BUILD"] = str(args.build_dir)
        return
    command = getattr(args, "_command", None)
    if command is None or command in READS_ONLY:
        return
    if "TRADEOFF_BUILD" in os.environ:
        checks.output_folder("$TRADEOFF_BUILD", os.environ["TRADEOFF_BUILD"], "the build folder")
    else:
        checks.output_folder("the build folder", str(build_dir()), "the build folder")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _check_build(args)
        rc = args.func(args)
        if getattr(args, "dry_run", False) and not getattr(args, "_ready", False):
            raise RuntimeError(f"{' '.join(args._command)} ran instead of stopping under --dry-run")
    except DryRun as e:
        print(f"dry run: {e}; every option checked, nothing run")
        return 0
    except KeyboardInterrupt:
        print("tradeoff: interrupted; rerun the same command to continue (finished parts are kept)", file=sys.stderr)
        return 130
    except (UserError, ValueError, OSError, FloatingPointError) as e:  # paths, values, locks; divergence
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
    """The error's message on one line (a multi-line message keeps its first line; the rest is for TRADEOFF_DEBUG).
    An OSError without a message of ours names the file and the reason."""
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}; check the path and its permissions"
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
