"""Shared pieces of the command line: command groups, user errors, output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


class UserError(Exception):
    """A failure the user can fix; printed as one line, exit status 2."""


class CommandParser(argparse.ArgumentParser):
    """The parser of one command: a bad option value (wrong type, a choice not offered, two exclusive options)
    becomes a :class:`UserError`, so it is printed as one line naming the option, with exit status 2."""

    def error(self, message: str):
        raise UserError(f"{self.prog}: {message} (see {self.prog} --help)")


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
