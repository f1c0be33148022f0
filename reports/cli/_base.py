"""Shared pieces of the command line: the parser class (one-line errors, negative numbers as values, the option
types of reports/cli/_options.py), command groups, the global options every command accepts, deprecated spellings,
the dry run, user errors and output helpers."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from ._options import Bound, OptionType


class UserError(Exception):
    """A failure the user can fix; printed as one line, exit status 2."""


class DryRun(Exception):
    """Raised by :func:`ready` under ``--dry-run``: every option was checked, nothing is run."""


#: A value that starts with '-' and then a digit, a point, inf, nan or eta is a value, never an option: so that
#: ``--eps -1e-3`` and ``--p -inf`` reach the range check, which names them (argparse's own rule knows only
#: ``-1`` and ``-.5``).
NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf|nan|eta)", re.IGNORECASE)


class CommandParser(argparse.ArgumentParser):
    """The parser of the command line: a bad option value (wrong type, out of range, a choice not offered, two
    exclusive options) becomes a :class:`UserError`, so it is printed as one line naming the option, with exit
    status 2; options typed with reports.cli._options check their values through data.checks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_VALUE

    def format_help(self) -> str:
        """The help in plain text: the reStructuredText quotes (````x````) of the docstrings it reuses are dropped."""
        return super().format_help().replace("``", "")

    def error(self, message: str):
        m = re.match(r"argument ([^:]+): (.*)", message)  # our checks name the option themselves: said once
        if m and any(m.group(2).startswith(f"{name} ") for name in m.group(1).split("/")):
            message = m.group(2)
        raise UserError(f"{self.prog}: {message} (see {self.prog} --help)")


def bind_types(parser: argparse.ArgumentParser) -> None:
    """Give each option typed with reports.cli._options its name (an OptionType's ``parse(option, text)`` names the
    option in its message; argparse calls the bound type with the text alone)."""
    for action in parser._actions:
        if isinstance(action.type, OptionType):
            option = action.option_strings[-1] if action.option_strings else (action.metavar or action.dest).upper()
            action.type = Bound(action.type, option)


def group(top: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """Get or create the command group ``tradeoff NAME …`` and return its sub-command action,
    so that several modules can add commands to one group."""
    parser = top.choices.get(name)
    if parser is None:
        parser = top.add_parser(name, help=help, description=help)
        parser.set_defaults(func=lambda args, p=parser: (p.print_help(), 0)[1])
        sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=CommandParser)
        parser._tradeoff_sub = sub  # type: ignore[attr-defined]
    return parser._tradeoff_sub  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------------------------- deprecated spellings
class Deprecated(argparse.Action):
    """An old spelling kept as a hidden alias: it sets the new option's value (``const`` when it takes no value) and
    prints one deprecation line naming the new spelling (``quiet``: none, for an alias that is still exact)."""

    def __init__(self, option_strings, dest, new: str, quiet: bool = False, **kwargs):
        self.new, self.quiet = new, quiet
        if kwargs.get("nargs") == 0:
            kwargs.setdefault("const", True)
        kwargs.setdefault("help", argparse.SUPPRESS)  # hidden: --help shows only the one spelling
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        if not self.quiet:
            warn(f"{option_string} is deprecated; use {self.new} (same meaning)")
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)


def deprecated(parser: argparse.ArgumentParser, old: str, new: str, dest: str, **kwargs) -> None:
    """Add ``old`` as a deprecated alias of ``new`` (stored in ``dest``; ``const`` and ``nargs=0`` for a flag that
    stands for a value, e.g. ``--micro`` for ``--scale smoke``)."""
    parser.add_argument(old, dest=dest, action=Deprecated, new=new, default=argparse.SUPPRESS, **kwargs)


# ----------------------------------------------------------------------------------------------- global options
def add_global_options(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """The options every command accepts, before or after its name: ``--build-dir``. At the top level they default
    to None; below it they are left unset unless given (argparse.SUPPRESS), so that a value given before the
    command is kept."""
    from ._options import OutputFolder

    default = None if top else argparse.SUPPRESS
    if any("--build-dir" in a.option_strings for a in parser._actions):
        return
    parser.add_argument("--build-dir", metavar="DIR", type=OutputFolder(), default=default,
                        help="where results, runs, figures and the report go (default $TRADEOFF_BUILD or "
                             "reports/build); accepted before or after the command")


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    """``--dry-run``: check every option, path and config, say what would run, run nothing (exit 0)."""
    parser.add_argument("--dry-run", action="store_true",
                        help="check every option, path and config, say what would run, and stop (nothing is written)")


def ready(args: argparse.Namespace, what: str) -> None:
    """Every check of the command has passed: under ``--dry-run`` stop here (``what``: what would run)."""
    args._ready = True
    if getattr(args, "dry_run", False):
        raise DryRun(what)


def walk(parser: argparse.ArgumentParser):
    """Every parser below ``parser`` (groups and commands), with its command path: ``(("deep", "eval"), parser)``."""
    stack = [((), parser)]
    while stack:
        path, p = stack.pop(0)
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    stack.append(((*path, name), sub))
        if path:
            yield path, p


# ----------------------------------------------------------------------------------------------- output
def emit_json(obj: Any) -> None:
    """Print ``obj`` as strict JSON on stdout (NaN/inf as null)."""
    from tradeoff.data.io import to_jsonable

    print(json.dumps(to_jsonable(obj), indent=2, sort_keys=True, allow_nan=False))


def format_table(rows: list[dict], columns: list[str] | None = None, floatfmt: str = ".4f") -> str:
    """Render ``rows`` (dicts) as an aligned plain-text table."""
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0].keys())

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return format(v, floatfmt)
        return "" if v is None else str(v)

    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def warn(msg: str) -> None:
    """Print a warning line on stderr."""
    print(f"tradeoff: warning: {msg}", file=sys.stderr)


def progress_line(msg: str) -> None:
    """Print one progress line on stderr (flushed), for long steps without a bar."""
    print(f"tradeoff: {msg}", file=sys.stderr, flush=True)
