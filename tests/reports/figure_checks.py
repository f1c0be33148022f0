"""Checks on drawn matplotlib figures: labels, titles, saved width and overlapping text, read from the objects.

``keep_figures(monkeypatch)`` makes every figure module's ``save_figure`` keep the figure open, so that a test can
inspect what was saved.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from tradeoff.reports.figures import _style

MAX_WIDTH_PX = 1400
_MATH = re.compile(r"\$[^$]*\$")
_CODE = re.compile(r"_|\b(eps|eta|acc|eps_train|eps_eval|n_train)\b")


def keep_figures(monkeypatch) -> list:
    """Patch ``save_figure`` in every figure module so figures stay open; return the list ``[(fig, path), ...]``."""
    from tradeoff.reports.figures import deep, linear, overview, theory_finite, theory_frontier

    kept: list = []

    def save(fig, path, close=True):
        kept.append((fig, Path(path)))
        return _style.save_figure(fig, path, close=False)

    for mod in (deep, linear, overview, theory_finite, theory_frontier):
        monkeypatch.setattr(mod, "save_figure", save)
    return kept


def png_width(path: Path) -> int:
    """Width in pixels from the PNG header."""
    data = Path(path).read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">I", data[16:20])[0]


def code_style(text: str) -> bool:
    """Text outside ``$…$`` that reads like code: an underscore or a bare ``eps``/``eta``/``acc``."""
    return bool(_CODE.search(_MATH.sub("", text)))


def suptitle(fig) -> str:
    t = fig.get_suptitle() if hasattr(fig, "get_suptitle") else (fig._suptitle.get_text() if fig._suptitle else "")
    return t or ""


def has_eps(text: str) -> bool:
    return "ε" in text or r"\varepsilon" in text


def is_colorbar(ax) -> bool:
    return ax.get_label() == "<colorbar>"


def is_image_axes(ax) -> bool:
    return bool(ax.images) and not ax.get_xticks().size and not ax.get_yticks().size


def plot_axes(fig) -> list:
    """Axes that plot data (not images, not colour bars)."""
    return [ax for ax in fig.axes if not is_colorbar(ax) and not is_image_axes(ax)]


def check_labels(fig) -> None:
    """Every data axes has non-empty, not code-style x and y labels; every colour bar has a label; no tick label,
    title or legend text is code-style."""
    for ax in plot_axes(fig):
        for label in (ax.get_xlabel(), ax.get_ylabel()):
            assert label.strip(), f"unlabelled axis in {suptitle(fig)!r}"
            assert not code_style(label), label
        texts = [ax.get_title()] + ([t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else [])
        for t in texts:
            assert not code_style(t), t
    for ax in fig.axes:
        if is_colorbar(ax):
            assert ax.get_ylabel().strip() or ax.get_xlabel().strip(), "colour bar without a label"
    assert not code_style(suptitle(fig)), suptitle(fig)


def _shown_ticklabels(axis, limits) -> list:
    """Tick labels of ticks inside the view limits (matplotlib keeps, but does not draw, the others)."""
    lo, hi = sorted(limits)
    span = (hi - lo) * 1e-9
    return [t for t, loc in zip(axis.get_ticklabels(), axis.get_majorticklocs()) if lo - span <= loc <= hi + span]


def _texts(ax, renderer) -> list:
    items = [ax.xaxis.label, ax.yaxis.label, ax.title, *_shown_ticklabels(ax.xaxis, ax.get_xlim()),
             *_shown_ticklabels(ax.yaxis, ax.get_ylim())]
    out = []
    for t in items:
        if t.get_visible() and t.get_text().strip():
            out.append((t.get_text(), t.get_window_extent(renderer)))
    return out


def overlapping_texts(fig) -> list[tuple[str, str]]:
    """Pairs (text of one axes, text or frame of another axes), and (figure title, text or frame of any axes), whose
    bounding boxes overlap; texts are labels, titles and shown tick labels."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axes = [ax for ax in fig.axes if ax.get_visible()]
    boxes = [_texts(ax, renderer) for ax in axes]
    frames = [ax.get_window_extent(renderer) for ax in axes]
    out = []
    title = fig._suptitle
    if title is not None and title.get_text().strip():
        tb = title.get_window_extent(renderer)
        for i in range(len(axes)):
            out += [("figure title", t) for t, b in boxes[i] if tb.overlaps(b)]
            if tb.overlaps(frames[i]):
                out.append(("figure title", f"frame of axes {i}"))
    for i in range(len(axes)):
        for j in range(len(axes)):
            if i == j:
                continue
            for ta, ba in boxes[i]:
                if ba.overlaps(frames[j]):
                    out.append((ta, f"frame of axes {j}"))
                if j > i:
                    out += [(ta, tb) for tb, bb in boxes[j] if ba.overlaps(bb)]
    return out


def check_figure(fig, path: Path, number: int | str | None = None, eps: bool = True) -> None:
    """Labels, the width of the saved PNG, no overlapping text between axes, and the title's figure number and ε."""
    check_labels(fig)
    assert png_width(path) <= MAX_WIDTH_PX, (path.name, png_width(path))
    assert fig.get_size_inches()[0] * _style.DPI <= MAX_WIDTH_PX + 1
    assert not overlapping_texts(fig), overlapping_texts(fig)[:5]
    title = suptitle(fig)
    if number is not None:
        assert f"Figure {number}" in title, title
    if eps:
        assert has_eps(title), title
