"""Render a :class:`reports.document.Document` as Markdown (GitHub flavour): headings with explicit anchors,
pipe tables, images referenced by relative path. Pure function of the document, so the output is deterministic."""

from __future__ import annotations

import re

from .document import (
    TOP,
    Banner,
    Bullets,
    Card,
    Code,
    Details,
    Document,
    Figures,
    Heading,
    Image,
    Link,
    Nav,
    Paragraph,
    Strong,
    Table,
)

_ALWAYS = re.compile(r"([\\`*])")
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def escape(s: str, table: bool = False) -> str:
    """Escape what Markdown would read as markup: backslash, backtick, ``*``, an ``_`` at a word boundary, a ``<``
    that could open a tag, a leading ``#``/``>``, and ``|`` in table cells. Newlines become spaces."""
    s = _ALWAYS.sub(r"\\\1", s.replace("\n", " "))
    s = _UNDERSCORE.sub(r"\\_", s)
    s = _TAG.sub(r"\\<", s)
    if s[:1] in ("#", ">", "-", "+") and not table:
        s = "\\" + s
    return s.replace("|", "\\|") if table else s


def inline(parts, table: bool = False) -> str:
    """Render a tuple of inline parts (str, Code, Strong, Link)."""
    out = []
    for p in parts:
        if isinstance(p, Code):
            t = p.text.replace("\n", " ")
            t = t.replace("|", "\\|") if table else t
            fence = "``" if "`" in t else "`"
            out.append(f"{fence}{t}{fence}")
        elif isinstance(p, Strong):
            core = p.text.strip()
            lead, trail = p.text[: len(p.text) - len(p.text.lstrip())], p.text[len(p.text.rstrip()):]
            out.append(f"{lead}**{escape(core, table)}**{trail}" if core else p.text)
        elif isinstance(p, Link):
            out.append(f"[{escape(p.text, table)}](#{p.anchor})")
        else:
            out.append(escape(str(p), table))
    return "".join(out)


def _table(t: Table) -> list[str]:
    lines = []
    if t.caption:
        lines += [f"*{escape(t.caption)}*", ""]
    lines.append("| " + " | ".join(escape(h, True) for h in t.headers) + " |")
    lines.append("|" + "|".join("---" for _ in t.headers) + "|")
    for row in t.rows:
        lines.append("| " + " | ".join(inline(cell, True) or " " for cell in row) + " |")
    return lines


def _block(b) -> list[str]:
    if isinstance(b, Heading):
        lines = [f'<a id="{b.anchor}"></a>', ""] if b.anchor else []
        lines += ["#" * b.level + " " + escape(b.text), ""]
        return lines + ([f"[↑ top](#{TOP})", ""] if b.back else [])
    if isinstance(b, Paragraph):
        return [inline(b.text), ""]
    if isinstance(b, Bullets):
        return ["- " + inline(item) for item in b.items] + [""]
    if isinstance(b, Table):
        return _table(b) + [""]
    if isinstance(b, Image):
        return [f'<a id="{b.anchor}"></a>', "", f"![{escape(b.caption)}]({b.rel})", "",
                f"*{escape(b.caption)}* (`{b.rel}`)", ""]
    if isinstance(b, Figures):
        return [line for i in b.items for line in _block(i)]
    if isinstance(b, Banner):
        return ["> " + inline(b.text), ""]
    if isinstance(b, Nav):
        return ["## Contents", ""] + ["- " + inline(item) for item in b.items] + [""]
    if isinstance(b, Details):
        out = [f"<details><summary>{escape(b.summary)}</summary>", ""]
        for x in b.blocks:
            out += _block(x)
        return out + ["</details>", ""]
    if isinstance(b, Card):
        out = [f'<a id="{b.anchor}"></a>', ""]
        for x in b.blocks:
            out += _block(x)
        return out + ["---", ""]
    raise TypeError(f"unknown block {type(b).__name__}")  # pragma: no cover - the model has no other block


def render_markdown(doc: Document) -> str:
    """The document as Markdown text ending in one newline."""
    lines = [f'<a id="{TOP}"></a>', "", f"# {escape(doc.title)}", ""]
    for b in doc.blocks:
        lines += _block(b)
    return "\n".join(lines).rstrip("\n") + "\n"
