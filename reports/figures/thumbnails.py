"""The thumbnails the report's claim cards show: a smaller copy of each figure, without metadata."""

from __future__ import annotations

from pathlib import Path

from tradeoff.data.io import atomic_write_bytes

THUMB_WIDTH = 440  # px


def thumbnail(png: Path, out_dir: Path, width: int = THUMB_WIDTH) -> Path:
    """A copy of ``png`` at most ``width`` px wide (aspect kept) under ``out_dir/thumbs/``; PNG bytes without
    metadata, so the same figure gives the same thumbnail."""
    import io

    from PIL import Image

    target = out_dir / "thumbs" / png.name
    with Image.open(png) as im:
        im = im.convert("RGBA") if im.mode not in ("RGB", "RGBA") else im.copy()
        if im.width > width:
            im = im.resize((width, max(1, round(im.height * width / im.width))), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        im.save(buf, format="PNG", optimize=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(target, buf.getvalue())
