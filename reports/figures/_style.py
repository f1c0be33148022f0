"""Common figure set-up, the labels every figure shares, and an atomic, deterministic PNG save.

Every figure is laid out by matplotlib's constrained layout (no blank band under the title, no label running into a
neighbouring panel) and is at most :data:`MAX_WIDTH_PX` pixels wide at :data:`DPI`, so that it is readable at the
report's page width without scaling.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tradeoff.data.io import atomic_write_bytes  # noqa: E402

DPI = 120
#: Widest saved figure, in pixels at :data:`DPI` (the report's page is about this wide).
MAX_WIDTH_PX = 1400
MAX_WIDTH_IN = MAX_WIDTH_PX / DPI

EPS = r"$\varepsilon$"
EPS_TRAIN = r"$\varepsilon_{\mathrm{train}}$"
NORM_LABEL = {"inf": r"$\ell_\infty$", "2": r"$\ell_2$", "linf": r"$\ell_\infty$", "l2": r"$\ell_2$"}


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.0, height: float = 3.2, extra_height: float = 0.0,
               **kw):
    """A figure with an ``nrows x ncols`` grid of axes, each about ``width x height`` inches, plus ``extra_height``
    inches for titles and colour bars, in constrained layout. A grid wider than :data:`MAX_WIDTH_IN` is scaled down
    (both sides) to fit."""
    w, h = width * ncols, height * nrows
    if w > MAX_WIDTH_IN:
        w, h = MAX_WIDTH_IN, h * MAX_WIDTH_IN / w
    kw.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, figsize=(w, h + extra_height), squeeze=False, **kw)


_MATH = re.compile(r"\$[^$]*\$")


def wrap_text(text: str, width_in: float, fontsize: float) -> str:
    """``text`` broken at spaces into lines that fit ``width_in`` inches at ``fontsize`` points (about 0.55 em per
    character; a ``$…$`` formula counts as its visible length, about a third of its source, and is never split)."""
    per_line = max(20, int(width_in * 72 / (0.55 * fontsize)))
    words, merged = text.split(" "), []
    for w in words:  # keep formulas with spaces in one piece
        if merged and merged[-1].count("$") % 2 == 1:
            merged[-1] += " " + w
        else:
            merged.append(w)
    lines, cur = [], ""
    for w in merged:
        cand = f"{cur} {w}" if cur else w
        if cur and len(_MATH.sub(lambda m: "x" * max(1, len(m.group()) // 3), cand)) > per_line:
            lines.append(cur)
            cur = w
        else:
            cur = cand
    return "\n".join(lines + [cur])


def figure_title(fig, text: str, fontsize: float = 10) -> None:
    """The figure's title (``suptitle``), wrapped to the figure's width (constrained layout then reserves its
    lines)."""
    fig.suptitle(wrap_text(text, fig.get_size_inches()[0] * 0.96, fontsize), fontsize=fontsize)


def eps_value(norm: str, eps: float) -> str:
    """ε as the paper writes it: ``8/255`` for small ℓ∞ radii that are whole multiples of 1/255, else 3 digits."""
    eps = float(eps)
    k = eps * 255
    if norm in ("inf", "linf") and 0 < eps < 0.1 and abs(k - round(k)) < 1e-6:
        return f"{round(k)}/255"
    return f"{eps:.3g}"


def model_label(norm: str, eps_train: float) -> str:
    """``standard (ε_train = 0)`` or ``ℓ∞-trained (ε_train = 0.3)``."""
    if float(eps_train) == 0 or norm in ("none", None):
        return f"standard ({EPS_TRAIN} = 0)"
    return f"{NORM_LABEL[norm]}-trained ({EPS_TRAIN} = {eps_value(norm, eps_train)})"


def attack_label(norm: str, eps: float) -> str:
    """``ℓ∞ attack, ε = 0.3``."""
    return f"{NORM_LABEL[norm]} attack, {EPS} = {eps_value(norm, eps)}"


def seeds_note(counts) -> str:
    """What the error bars of points with ``counts`` seeds each are."""
    counts = sorted({int(c) for c in counts})
    if not counts or counts[-1] <= 1:
        return "1 seed, no error bars"
    k = f"{counts[-1]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return f"mean ± s.d. over {k} seeds"


def save_figure(fig, path: str | os.PathLike, close: bool = True) -> Path:
    """Save ``fig`` as PNG atomically (no timestamp metadata, so reruns give identical bytes) and close it. The
    picture is cropped to its content unless that would make it wider than :data:`MAX_WIDTH_PX`."""
    fig.canvas.draw()
    pad = 0.05
    tight = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
    bbox = "tight" if (tight.width + 2 * pad) * DPI <= MAX_WIDTH_PX else None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches=bbox, pad_inches=pad, metadata={"Software": None})
    if close:
        plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
