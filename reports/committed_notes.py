"""What a result folder's README.md says about its files: the commit sent to the machine and the command run.

Files computed on another machine (the committed GPU results, reports/results/) may lack their own commit: the
machine received a copy of the working tree without ``.git``. The folder's README.md then names the commit in a
table. Every Markdown table of the README whose header has a ``commit`` column is read; in each row the first cell
names a file, or a folder when it ends in ``/``, relative to the README's folder; the ``commit`` cell holds the commit
(7 to 40 hex digits) and the ``command`` cell, when the table has one, the command (its first ``code`` span).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_HEX = re.compile(r"\b[0-9a-f]{7,40}\b")
_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Note:
    """One README row: the file or folder it names, the commit sent and the command run ("" when not stated)."""

    name: str
    commit: str
    command: str
    readme: str


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_readme(text: str, readme: str = "README.md") -> list[Note]:
    """The rows of every table with a ``commit`` column, in order (``readme``: the name shown as the source)."""
    notes: list[Note] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not (line.lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|[\s:|-]+\|\s*$",
                                                                                lines[i + 1])):
            i += 1
            continue
        head = [h.lower() for h in _cells(line)]
        i += 2
        commit_col = next((k for k, h in enumerate(head) if h.startswith("commit")), None)
        command_col = next((k for k, h in enumerate(head) if h.startswith("command")), None)
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            cells = _cells(lines[i])
            i += 1
            if commit_col is None or len(cells) <= commit_col or not cells[0]:
                continue
            sha = _HEX.search(cells[commit_col])
            command = ""
            if command_col is not None and len(cells) > command_col:
                code = _CODE.search(cells[command_col])
                command = code.group(1) if code else cells[command_col]
            notes.append(Note(cells[0].strip("`"), sha.group(0) if sha else "", command, readme))
    return notes


@lru_cache(maxsize=64)
def _notes_in(folder: str) -> tuple[Note, ...]:
    readme = Path(folder) / "README.md"
    if not readme.is_file():
        return ()
    return tuple(parse_readme(readme.read_text(encoding="utf-8"), readme.as_posix()))


def note_for(path: str | Path, levels: int = 4) -> Note | None:
    """The README row about the file ``path``: looked up in the README.md of its folder and of up to ``levels``
    folders above it; a row naming the file itself wins over a row naming a folder that holds it."""
    p = Path(path).resolve()
    for folder in list(p.parents)[:levels]:
        notes = _notes_in(str(folder))
        if not notes:
            continue
        rel = p.relative_to(folder).as_posix()
        exact = next((n for n in notes if n.name == rel), None)
        if exact:
            return exact
        inside = [n for n in notes if n.name.endswith("/") and rel.startswith(n.name)]
        if inside:
            return max(inside, key=lambda n: len(n.name))
    return None
