"""Render a :class:`reports.document.Document` as one self-contained HTML page: minimal inline CSS, every figure
embedded once as a ``data:image/png;base64`` URI (re-encoded with a 256-colour palette, which keeps a plot's pixels
and a third of its bytes), no external reference, no script. On wide screens the contents stay visible in a sidebar;
a figure opens full-window when clicked (CSS ``:target``). Deterministic for the same document and PNGs."""

from __future__ import annotations

import base64
import html
import io
from functools import lru_cache
from pathlib import Path

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
div.figs{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:flex-start}
div.figs figure{margin:.3rem 0;flex:0 1 auto;max-width:calc(50% - .5rem)}
div.figs img{width:100%;height:auto;border:1px solid #eee}
figure.fig figcaption{font-size:.8rem}figure.fig a.close,figure.fig .long{display:none}
figure.fig:target .long{display:inline}figure.fig:target{width:auto!important}
figure.fig:target{position:fixed;inset:0;z-index:20;margin:0;padding:1rem;background:rgba(255,255,255,.97);
display:flex;flex-direction:column;align-items:center;justify-content:center;max-width:none}
figure.fig:target img{max-width:96vw;max-height:86vh;width:auto}figure.fig:target a.close{display:inline}
div.banner{border:2px solid #a1161b;background:#fff4f4;padding:.5rem .8rem;margin:1rem 0;border-radius:4px}
p.lead{font-size:1.05rem;font-weight:600}p.small{font-size:.88rem}section.card h3{margin:.6rem 0 .4rem}
nav.toc ul{padding-left:1.1rem;margin:.3rem 0}nav.toc li{margin:.1rem 0}nav.toc h2{margin-top:.8rem;font-size:1.1rem}
@media (min-width:1300px){nav.toc{position:fixed;top:0;left:0;width:13rem;height:100vh;overflow-y:auto;
padding:0 .6rem;box-sizing:border-box;border-right:1px solid #ddd;background:#fafafa;font-size:.85rem}
body{margin-left:15rem;margin-right:1rem}}
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


@lru_cache(maxsize=256)
def _encoded(path: str, mtime_ns: int) -> tuple[str, int, int]:
    """(base64 PNG with a 256-colour palette, width, height in px) of the PNG at ``path`` (the cache key has its
    mtime)."""
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        rgb = im.convert("RGB")
        width, height = rgb.size
        pal = rgb.quantize(colors=256, method=PILImage.Quantize.MEDIANCUT, dither=PILImage.Dither.NONE)
    buf = io.BytesIO()
    pal.save(buf, format="PNG", optimize=True)
    raw = Path(path).read_bytes()
    data = buf.getvalue() if len(buf.getvalue()) < len(raw) else raw
    return base64.b64encode(data).decode("ascii"), width, height


#: The height a figure is shown at on the page (px; at most half the page's width); a click opens it full-window
#: with its whole caption.
FIGURE_HEIGHT = 220


def png_data(path: Path) -> tuple[str, int, int]:
    """(base64 of the PNG as the page embeds it, width and height in px)."""
    p = Path(path)
    return _encoded(str(p.resolve()), p.stat().st_mtime_ns)


def _image(b: Image) -> str:
    data, width, height = png_data(b.path)
    cap = html.escape(b.caption)
    label, sep, rest = b.caption.partition(": ")
    anchor = html.escape(b.anchor)
    shown = round(width * FIGURE_HEIGHT / max(height, 1))
    # "close" targets a hidden marker beside the figure: the overlay closes and the page does not scroll
    return (f'<span id="{anchor}-closed" hidden></span>'
            f'<figure class="fig" id="{anchor}" style="width:{shown}px"><a href="#{anchor}" title="enlarge">'
            f'<img alt="{cap}" src="data:image/png;base64,{data}"></a><figcaption>{html.escape(label)}'
            f'<span class="long">{html.escape(sep + rest)}</span> <a class="close" href="#{anchor}-closed">close ✕'
            "</a></figcaption></figure>")


def _block(b) -> str:
    if isinstance(b, Heading):
        anchor = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
        back = f' <a class="top" href="#{TOP}">↑ top</a>' if b.back else ""
        return f"<h{b.level}{anchor}>{html.escape(b.text)}{back}</h{b.level}>"
    if isinstance(b, Paragraph):
        cls = f' class="{html.escape(b.cls)}"' if b.cls else ""
        return f"<p{cls}>{inline(b.text)}</p>"
    if isinstance(b, Bullets):
        return "<ul>\n" + "\n".join(f"<li>{inline(i)}</li>" for i in b.items) + "\n</ul>"
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Image):
        return '<div class="figs">' + _image(b) + "</div>"
    if isinstance(b, Figures):
        return '<div class="figs">' + "".join(_image(i) for i in b.items) + "</div>"
    if isinstance(b, Banner):
        return f'<div class="banner" role="alert">{inline(b.text)}</div>'
    if isinstance(b, Nav):
        return ('<nav class="toc"><h2>Contents</h2><ul>\n' + "\n".join(f"<li>{inline(i)}</li>" for i in b.items)
                + "\n</ul></nav>")
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
