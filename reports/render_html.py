"""Render a :class:`reports.document.Document` as one self-contained HTML page: minimal inline CSS, every figure
embedded as a ``data:image/png;base64`` URI, no external reference. Deterministic for the same document and PNGs."""

from __future__ import annotations

import base64
import html

from .document import (
    TOP,
    Bullets,
    Card,
    Code,
    Details,
    Document,
    Heading,
    Image,
    Link,
    Paragraph,
    Strong,
    Table,
    Thumbnails,
)

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:72rem;margin:2rem auto;
padding:0 1rem;line-height:1.45;color:#1b1b1b}
h1,h2,h3{line-height:1.2}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2.2rem}
a.top{font-size:.75rem;font-weight:normal;margin-left:.6rem;color:#555}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem;max-width:100%}
td,th{overflow-wrap:break-word}td code{overflow-wrap:anywhere;word-break:break-all}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}caption{caption-side:top;font-style:italic;text-align:left;padding:.2rem 0}
table.scoreboard{font-size:.85rem;width:100%}table.scoreboard td{padding:.15rem .4rem}
code{background:#f5f5f5;padding:0 .2rem;border-radius:3px;font-size:.88em;overflow-wrap:anywhere}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-style:italic;font-size:.9rem}
section.card{border:1px solid #d5d5d5;border-radius:6px;padding:.2rem 1rem .6rem;margin:1.2rem 0;
background:#fcfcfc}
div.thumbs{display:flex;flex-wrap:wrap;gap:.8rem}div.thumbs figure{margin:.3rem 0;max-width:22rem}
div.thumbs img{max-width:100%;height:auto;border:1px solid #ddd}div.thumbs figcaption{font-size:.8rem}
details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}
@media (max-width:1000px){body{padding:0 .5rem}table{font-size:.78rem}th,td{padding:.15rem .3rem;
overflow-wrap:anywhere}section.card{padding:.2rem .5rem .5rem}}
strong.v-confirmed,strong.v-refuted,strong.v-inconclusive,strong.v-not-run{white-space:nowrap}
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
    cls = f' class="{html.escape(t.cls)}"' if t.cls else ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
    body = "\n".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in t.rows)
    return f"<table{cls}>{cap}\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _image(b: Image) -> str:
    data = base64.b64encode(b.path.read_bytes()).decode("ascii")
    cap = html.escape(b.caption)
    return (f'<figure id="{html.escape(b.anchor)}"><img alt="{cap}" src="data:image/png;base64,{data}">'
            f"<figcaption>{cap}</figcaption></figure>")


def _thumbnails(b: Thumbnails) -> str:
    items = []
    for t in b.items:
        data = base64.b64encode(t.thumb.read_bytes()).decode("ascii")
        cap = html.escape(t.caption)
        items.append(f'<figure class="thumb"><a href="#{html.escape(t.target)}"><img alt="{cap}" '
                     f'src="data:image/png;base64,{data}"></a><figcaption>{cap} (click for the full figure)'
                     "</figcaption></figure>")
    return '<div class="thumbs">' + "".join(items) + "</div>"


def _block(b) -> str:
    if isinstance(b, Heading):
        anchor = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
        back = f' <a class="top" href="#{TOP}">↑ top</a>' if b.back else ""
        return f"<h{b.level}{anchor}>{html.escape(b.text)}{back}</h{b.level}>"
    if isinstance(b, Paragraph):
        return f"<p>{inline(b.text)}</p>"
    if isinstance(b, Bullets):
        return "<ul>\n" + "\n".join(f"<li>{inline(i)}</li>" for i in b.items) + "\n</ul>"
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Image):
        return _image(b)
    if isinstance(b, Thumbnails):
        return _thumbnails(b)
    if isinstance(b, Details):
        return (f"<details><summary>{html.escape(b.summary)}</summary>\n"
                + "\n".join(_block(x) for x in b.blocks) + "\n</details>")
    if isinstance(b, Card):
        return (f'<section class="card" id="{html.escape(b.anchor)}">\n' + "\n".join(_block(x) for x in b.blocks)
                + "\n</section>")
    raise TypeError(f"unknown block {type(b).__name__}")  # pragma: no cover


def render_html(doc: Document) -> str:
    """The document as a complete, self-contained HTML5 page."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(doc.title)}</title>", f"<style>\n{CSS}\n</style>", "</head>", "<body>",
             f'<h1 id="{TOP}">{html.escape(doc.title)}</h1>']
    parts += [_block(b) for b in doc.blocks]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
