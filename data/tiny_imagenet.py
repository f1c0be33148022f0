"""Restricted Tiny ImageNet: the Tiny ImageNet classes that fall in a Restricted ImageNet super-class, decoded once
into uint8 arrays (and cached as .npy).

Tiny ImageNet (200 ImageNet classes at 64×64 px) holds 24 classes whose ImageNet-1k index lies in one of the
super-class ranges of Restricted ImageNet (data/imagenet.py :data:`~tradeoff.data.imagenet.SUPERCLASSES`, the
paper's §6 / Appendix): dog 6, cat 3, frog 2, bird 1, primate 4, insect 8. It has no class of the turtle, fish or
crab ranges, so this data set has **6 of the 9 super-classes** and 64-pixel images. It is its own data set, never
"Restricted ImageNet" without the qualifier: results on it are called "Restricted Tiny ImageNet (6 of 9
super-classes, 64 px)".

Layout: ``<root>/train/<wnid>/*.JPEG`` and ``<root>/val/<wnid>/*.JPEG`` (the validation images sorted into class
folders). Labels are the super-classes in Restricted ImageNet's order with the absent ones removed
(:data:`SUPERCLASS_NAMES`: dog 0, cat 1, frog 2, bird 3, primate 4, insect 5). Greyscale images are converted to
RGB (channel copies). Pixels come out as uint8 (N, 3, 64, 64), labels int64 (N,), class folder by class folder in
sorted wnid order, files sorted by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

from .imagenet import IMAGE_SUFFIXES, SUPERCLASSES, imagenet_wnids, superclass_of
from .io import atomic_write, atomic_write_json
from .paths import cache_dir

#: ImageNet-1k indices of the 24 Tiny ImageNet classes inside a Restricted ImageNet super-class range.
TINY_CLASS_INDICES: tuple[int, ...] = (
    30, 32,  # frog
    99,  # bird
    151, 187, 207, 208, 235, 267,  # dog
    281, 283, 285,  # cat
    301, 308, 309, 311, 313, 314, 315, 319,  # insect
    365, 366, 367, 372,  # primate
)
#: The super-classes present, in Restricted ImageNet's label order (turtle, fish and crab have no Tiny class).
SUPERCLASS_NAMES: tuple[str, ...] = tuple(
    name for k, (name, _, _) in enumerate(SUPERCLASSES) if any(superclass_of(i) == k for i in TINY_CLASS_INDICES)
)
SPLITS = ("train", "val")
IMAGE_SIZE = 64
#: Images per split of the full data set (500 training and 50 validation images for each of the 24 classes).
SIZES = {"train": 12000, "val": 1200}
TITLE = "Restricted Tiny ImageNet (6 of 9 super-classes, 64 px)"
CACHE_VERSION = 1


def wnid_labels() -> dict[str, int]:
    """``{wnid: label}`` of the 24 classes; the label indexes :data:`SUPERCLASS_NAMES`."""
    wnids = imagenet_wnids()
    full = [name for name, _, _ in SUPERCLASSES]
    return {wnids[i]: SUPERCLASS_NAMES.index(full[superclass_of(i)]) for i in TINY_CLASS_INDICES}


def split_files(root: str | os.PathLike, split: str) -> list[tuple[Path, int]]:
    """``[(path, label)]`` of a split: the class folders of the 24 wnids present under ``root/split`` (sorted), their
    images sorted by name. Folders of other wnids are ignored. FileNotFoundError / ValueError naming the folder when
    the split is missing or holds none of the classes."""
    if split not in SPLITS:
        raise ValueError(f"unknown Restricted Tiny ImageNet split {split!r}; use 'train' or 'val'")
    folder = Path(root).expanduser() / split
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder}: no such folder; Restricted Tiny ImageNet needs <root>/{split}/<wnid>/*.JPEG")
    mapping = wnid_labels()
    files: list[tuple[Path, int]] = []
    for d in sorted(p for p in folder.iterdir() if p.is_dir() and p.name in mapping):
        names = sorted(e.name for e in os.scandir(d) if e.name.lower().endswith(IMAGE_SUFFIXES))
        files += [(d / n, mapping[d.name]) for n in names]
    if not files:
        raise ValueError(f"{folder}: no images of the 24 Restricted Tiny ImageNet classes (expected <wnid>/*.JPEG "
                         "folders such as n02085620)")
    return files


def decode_split(root: str | os.PathLike, split: str, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Decode a split -> ``(uint8 (n, 3, 64, 64), int64 (n,))``; greyscale (or CMYK) images become RGB. ValueError
    naming the file for an undecodable image or one that is not 64×64."""
    from PIL import Image, UnidentifiedImageError
    from tqdm import tqdm

    files = split_files(root, split)
    images = np.empty((len(files), IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    labels = np.array([lab for _, lab in files], dtype=np.int64)
    bar = tqdm(files, desc=f"decoding {split}", unit="img", file=sys.stderr, disable=not progress)
    for i, (path, _) in enumerate(bar):
        try:
            with Image.open(path) as im:
                if im.size != (IMAGE_SIZE, IMAGE_SIZE):
                    raise ValueError(f"{path}: image is {im.size[0]}x{im.size[1]}, Restricted Tiny ImageNet images "
                                     f"are {IMAGE_SIZE}x{IMAGE_SIZE}")
                images[i] = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, OSError, SyntaxError) as e:
            raise ValueError(f"{path}: cannot decode image ({e}); remove or replace the file") from e
    return images.transpose(0, 3, 1, 2).copy(), labels


def _fingerprint(files: list[tuple[Path, int]], root: Path) -> str:
    h = hashlib.sha256()
    for p, lab in files:
        st = p.stat()
        h.update(f"{p.relative_to(root)}\0{lab}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def cache_folder(root: str | os.PathLike) -> Path:
    """Where the decoded arrays of the copy in ``root`` are cached: ``cache_dir()/"restricted-tiny-imagenet"/<hash of
    the resolved root>``."""
    key = hashlib.sha256(str(Path(root).expanduser().resolve()).encode()).hexdigest()[:12]
    return cache_dir() / "restricted-tiny-imagenet" / key


def load_restricted_tiny_imagenet(split: str, root: str | os.PathLike, *, cache: bool = True,
                                  progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A split as ``(uint8 (N, 3, 64, 64), int64 (N,))``. With ``cache`` the decoded arrays are kept as .npy files in
    :func:`cache_folder` (written atomically, manifest last) and reused while the image files keep their names, sizes
    and modification times."""
    root = Path(root).expanduser()
    files = split_files(root, split)
    if not cache:
        return decode_split(root, split, progress)
    digest = _fingerprint(files, root)
    cdir = cache_folder(root)
    img_p, lab_p, man_p = cdir / f"{split}-images.npy", cdir / f"{split}-labels.npy", cdir / f"{split}-manifest.json"
    manifest = {"version": CACHE_VERSION, "files": len(files), "digest": digest}
    if man_p.is_file() and img_p.is_file() and lab_p.is_file():
        try:
            stored = json.loads(man_p.read_text())
            if all(stored.get(k) == v for k, v in manifest.items()):
                images, labels = np.load(img_p, allow_pickle=False), np.load(lab_p, allow_pickle=False)
                if images.shape == (len(files), 3, IMAGE_SIZE, IMAGE_SIZE) and labels.shape == (len(files),):
                    return images, labels
        except (ValueError, OSError):
            pass  # unreadable cache: decode again and overwrite it
    images, labels = decode_split(root, split, progress)
    man_p.unlink(missing_ok=True)
    atomic_write(img_p, lambda f: np.save(f, images, allow_pickle=False))
    atomic_write(lab_p, lambda f: np.save(f, labels, allow_pickle=False))
    atomic_write_json(man_p, {**manifest, "n": len(labels)})
    return images, labels


def summary(root: str | os.PathLike) -> dict:
    """Per split: images and Tiny ImageNet classes per super-class, greyscale images, total bytes of the image files
    and a SHA-256 over their relative names and sizes (for ``tradeoff data info``). ``complete``: both splits have
    the full data set's 12,000 / 1,200 images of all 24 classes."""
    from PIL import Image

    root = Path(root).expanduser()
    splits = {}
    for split in SPLITS:
        try:
            files = split_files(root, split)
        except (FileNotFoundError, ValueError):
            continue
        h = hashlib.sha256()
        total = grey = 0
        for p, _ in files:
            size = p.stat().st_size
            total += size
            h.update(f"{p.relative_to(root)}\0{size}\n".encode())
            with Image.open(p) as im:
                grey += im.mode != "RGB"
        labels = np.array([lab for _, lab in files])
        wnids = {p.parent.name for p, _ in files}
        per_class = np.bincount(labels, minlength=len(SUPERCLASS_NAMES))
        n_wnids = np.bincount([wnid_labels()[w] for w in wnids], minlength=len(SUPERCLASS_NAMES))
        splits[split] = {
            "n": len(files), "bytes": total, "greyscale": grey, "files_sha256": h.hexdigest(),
            "superclasses": [{"superclass": name, "images": int(per_class[k]), "tiny_classes": int(n_wnids[k])}
                             for k, name in enumerate(SUPERCLASS_NAMES)],
        }
    if not splits:
        raise FileNotFoundError(f"{root}: neither train/ nor val/ holds Restricted Tiny ImageNet class folders")
    complete = all(s in splits and splits[s]["n"] == n for s, n in SIZES.items()) and all(
        sum(c["tiny_classes"] for c in splits[s]["superclasses"]) == len(TINY_CLASS_INDICES) for s in splits)
    return {"dataset": "restricted_tiny_imagenet", "title": TITLE, "folder": str(root), "splits": splits,
            "complete": complete}
