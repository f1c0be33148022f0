"""Render a :class:`reports.document.Document` as one self-contained HTML page: minimal inline CSS, every figure
embedded as a ``data:image/png;base64`` URI, no external reference. Deterministic for the same document and PNGs."""

from __future__ import annotations

import base64
import html

from .document import Bullets, Code, Document, Heading, Image, Link, Paragraph, Strong, Table

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:72rem;margin:2rem auto;
padding:0 1rem;line-height:1.45;color:#1b1b1b}
h1,h2,h3{line-height:1.2}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem;display:block;max-width:100%;overflow-x:auto}
td code{overflow-wrap:anywhere}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}caption{caption-side:top;font-style:italic;text-align:left;padding:.2rem 0}
code{background:#f5f5f5;padding:0 .2rem;border-radius:3px;font-size:.88em}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-style:italic;font-size:.9rem}
.v-confirmed{color:#176d2c}.v-refuted{color:#a1161b}.v-inconclusive{color:#8a5a00}.v-not-run{color:#6b6b6b}
""".strip()

_VERDICT_CLASS = {"confirmed": "v-confirmed", "refuted": "v-refuted", "inconclusive": "v-inconclusive",
                  "not run": "v-not-run"}


def inline(parts) -> str:
    """Render inline parts (str, Code, Strong, Link) as escaped HTML."""
    out = []
    for p in parts:
        if isinstance(p, Code):
            out.append(f"<code>{html.escape(p.text)}</code>")
        elif isinstance(p, Strong):
            cls = _VERDICT_CLASS.get(p.text)
            attr = f' class="{cls}"' if cls else ""
            out.append(f"<strong{attr}>{html.escape(p.text)}</strong>")
        elif isinstance(p, Link):
            out.append(f'<a href="#{html.escape(p.anchor)}">{html.escape(p.text)}</a>')
        else:
            out.append(html.escape(str(p)))
    return "".join(out)


def _table(t: Table) -> str:
    cap = f"<caption>{html.escape(t.caption)}</caption>" if t.caption else ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
    body = "\n".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in t.rows)
    return f"<table>{cap}\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _image(b: Image) -> str:
    data = base64.b64encode(b.path.read_bytes()).decode("ascii")
    cap = html.escape(b.caption)
    return (f'<figure id="{html.escape(b.anchor)}"><img alt="{cap}" src="data:image/png;base64,{data}">'
            f"<figcaption>{cap}</figcaption></figure>")


def render_html(doc: Document) -> str:
    """The document as a complete, self-contained HTML5 page."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{html.escape(doc.title)}</title>", f"<style>\n{CSS}\n</style>", "</head>", "<body>",
             f"<h1>{html.escape(doc.title)}</h1>"]
    for b in doc.blocks:
        if isinstance(b, Heading):
            anchor = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
            parts.append(f"<h{b.level}{anchor}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Paragraph):
            parts.append(f"<p>{inline(b.text)}</p>")
        elif isinstance(b, Bullets):
            parts.append("<ul>\n" + "\n".join(f"<li>{inline(i)}</li>" for i in b.items) + "\n</ul>")
        elif isinstance(b, Table):
            parts.append(_table(b))
        elif isinstance(b, Image):
            parts.append(_image(b))
        else:  # pragma: no cover
            raise TypeError(f"unknown block {type(b).__name__}")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
