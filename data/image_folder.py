"""An image folder with one sub-folder per class, read into one uint8 array.

``root/<class name>/<image file>``: the class names are the sub-folder names in sorted order and label ``i`` is
``class_names[i]``. Images are decoded with Pillow (installed with matplotlib), in sorted file order within each
class. Every image of a set must have the same width and height (a one-line ValueError names the first file of
another size). Colours are made consistent: when every image is greyscale the set has one channel, otherwise every
image is converted to RGB (greyscale replicated, palette expanded, an alpha channel dropped); the notes say what was
converted. Hidden files and folders (names starting with ``.``) and files with other extensions are skipped (and
counted in the notes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import first_line

#: File extensions read as images (lower case).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm")
#: Pillow modes taken as greyscale (one channel) and the modes read at all.
GREY_MODES = ("1", "L", "LA")
COLOUR_MODES = ("P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr")


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ValueError(f"reading an image folder needs Pillow, which is not importable ({e}); install it: "
                         "pip install pillow") from e
    return Image


def class_folders(root: str | Path) -> list[Path]:
    """The class sub-folders of ``root``, sorted by name (hidden ones skipped); a one-line ValueError when there is
    none."""
    root = Path(root)
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    if not folders:
        raise ValueError(f"image folder {root} has no class sub-folders; put each class's images in "
                         f"{root}/<class name>/")
    return folders


def read_image_folder(root: str | Path) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], list[str]]:
    """``(x, y, class_names, notes)`` of the image folder ``root``: x uint8 (N, C, H, W), y int64 labels (the
    index of the image's sub-folder among the sorted class names). One-line ValueErrors for an empty folder, a file
    Pillow cannot read, an unsupported pixel mode, or images of different sizes."""
    Image = _pil()
    root = Path(root)
    folders = class_folders(root)
    files: list[tuple[Path, int]] = []
    skipped, empty = 0, []
    for label, folder in enumerate(folders):
        mine = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        images = [p for p in mine if p.suffix.lower() in IMAGE_SUFFIXES]
        skipped += len(mine) - len(images)
        if not images:
            empty.append(folder.name)
        files += [(p, label) for p in images]
    if not files:
        raise ValueError(f"image folder {root} holds no image files ({', '.join(IMAGE_SUFFIXES)}) in its class "
                         "sub-folders; put each class's images in <folder>/<class name>/")
    modes = []
    for path, _ in files:
        mode, size = _header(Image, path)
        if not modes:
            first, size0 = path, size
        elif size != size0:
            raise ValueError(f"image file {path} is {size[0]}x{size[1]} but {first} (the first) is "
                             f"{size0[0]}x{size0[1]}; resize every image of the set to one size")
        modes.append(mode)
    grey = all(m in GREY_MODES for m in modes)
    target = "L" if grey else "RGB"
    x = np.stack([_decode(Image, path, target) for path, _ in files])
    x = x[:, None, :, :] if grey else x.transpose(0, 3, 1, 2)
    y = np.array([label for _, label in files], dtype=np.int64)
    notes = _conversion_notes(modes, target)
    if skipped:
        notes.append(f"skipped {skipped} file(s) without an image extension")
    if empty:
        notes.append(f"class folder(s) without images: {', '.join(empty)}")
    return np.ascontiguousarray(x), y, tuple(p.name for p in folders), notes


def _header(Image, path: Path) -> tuple[str, tuple[int, int]]:
    """The pixel mode and (width, height) of image ``path``, read from its header; a one-line ValueError when
    Pillow cannot read it or its mode is not 8-bit."""
    try:
        with Image.open(path) as im:
            mode, size = im.mode, im.size
    except Exception as e:  # Pillow raises UnidentifiedImageError, OSError, SyntaxError, ...
        raise ValueError(f"image file {path} cannot be read by Pillow ({first_line(e)}); remove it or "
                         "replace it with a valid image") from e
    if mode not in GREY_MODES + COLOUR_MODES:
        raise ValueError(f"image file {path} has pixel mode {mode!r} (16-bit or float?); save it as 8-bit "
                         "greyscale or RGB")
    return mode, size


def _decode(Image, path: Path, target: str) -> np.ndarray:
    """The pixels of image ``path`` converted to mode ``target`` (``L`` or ``RGB``), uint8 (H, W) or (H, W, 3)."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert(target), dtype=np.uint8)
    except Exception as e:  # a header that reads but pixels that do not (a truncated file)
        raise ValueError(f"image file {path} cannot be decoded by Pillow ({first_line(e)}); remove it or "
                         "replace it with a valid image") from e


def _conversion_notes(modes: list[str], target: str) -> list[str]:
    changed: dict[str, int] = {}
    for m in modes:
        if m not in (target, "1" if target == "L" else target):
            changed[m] = changed.get(m, 0) + 1
    return [f"converted {n} image(s) of mode {m} to {target}" + (" (alpha dropped)" if "A" in m else "")
            for m, n in sorted(changed.items())]
