"""The report's document model: blocks (headings, paragraphs, bullets, tables, images) of inline parts (text, links,
code, bold). The builder (reports.report) produces a :class:`Document`; reports.render_markdown and
reports.render_html turn it into text. Nothing here knows about results or claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Link:
    """An in-page link to ``#anchor``."""

    text: str
    anchor: str


@dataclass(frozen=True)
class Code:
    """Inline code (file names, kinds, keys)."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Bold text."""

    text: str


Inline = str | Link | Code | Strong
Text = tuple  # of Inline


@dataclass(frozen=True)
class Heading:
    """A section heading; ``anchor`` becomes its id; ``back`` adds a link back to the top of the page."""

    level: int
    text: str
    anchor: str = ""
    back: bool = False


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline parts (``cls``: an HTML class, e.g. "lead")."""

    text: Text
    cls: str = ""


@dataclass(frozen=True)
class Bullets:
    """A bullet list; each item is a tuple of inline parts."""

    items: tuple  # of Text


@dataclass(frozen=True)
class Table:
    """A table: header strings, rows of cells (tuples of inline parts), optional caption."""

    headers: tuple  # of str
    rows: tuple  # of tuple of Text
    caption: str = ""
    cls: str = ""  # an HTML class (e.g. "scoreboard")


@dataclass(frozen=True)
class Image:
    """A figure: the PNG file, its path relative to the report, caption and anchor."""

    path: Path
    rel: str
    caption: str
    anchor: str


@dataclass(frozen=True)
class Figures:
    """A row of figures shown side by side (each figure once on the page; HTML: click to enlarge)."""

    items: tuple  # of Image


@dataclass(frozen=True)
class Banner:
    """A warning the reader must see first (e.g. that no result is evidence)."""

    text: Text


@dataclass(frozen=True)
class Nav:
    """The contents: a list of links (HTML: a sidebar that stays visible on wide screens)."""

    items: tuple  # of Text


@dataclass(frozen=True)
class Details:
    """Blocks folded away under a one-line summary (HTML ``<details>``)."""

    summary: str
    blocks: tuple


@dataclass(frozen=True)
class Card:
    """A framed group of blocks (one claim) with an anchor."""

    anchor: str
    blocks: tuple


Block = Heading | Paragraph | Bullets | Table | Image | Figures | Banner | Nav | Details | Card

#: The anchor of the page's title: every back link points here.
TOP = "top"


@dataclass(frozen=True)
class Document:
    """The report as a list of blocks, rendered by reports.render_markdown and reports.render_html."""

    title: str
    blocks: tuple


def text(s: Any) -> Text:
    """Split ``s`` on backticks: "see `a.json` now" -> ("see ", Code("a.json"), " now")."""
    s = "" if s is None else str(s)
    parts = s.split("`")
    out: list[Inline] = []
    for i, part in enumerate(parts):
        if not part:
            continue
        out.append(Code(part) if i % 2 == 1 and i < len(parts) - 1 else part)
    return tuple(out)
