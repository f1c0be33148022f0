"""Common figure set-up and an atomic, deterministic PNG save."""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tradeoff.data.io import atomic_write_bytes  # noqa: E402

DPI = 120


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.0, height: float = 3.2, **kw):
    """A figure with an ``nrows x ncols`` grid of axes, each about ``width x height`` inches."""
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)


def save_figure(fig, path: str | os.PathLike) -> Path:
    """Save ``fig`` as PNG atomically (no timestamp metadata, so reruns give identical bytes) and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
