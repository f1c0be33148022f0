"""What is cached or present for each data set: files, sizes, per-class counts and checksums (plain dicts, for
``tradeoff data info``)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .checksums import sha256_file


def mnist_summary(root: str | os.PathLike | None = None) -> dict:
    """State of the MNIST cache: per file its size, SHA-256 and whether it matches the pinned one; per split (when
    both its files are valid) the number of images and the class counts. ``complete`` is True when all four files
    match and the known sizes/class counts (60000/10000; 5923 … 5949) are met."""
    from .mnist import MNIST_SHA256, MNIST_SIZES, MNIST_TRAIN_CLASS_COUNTS, SPLIT_FILES, load_mnist, mnist_dir

    folder = mnist_dir(root)
    files = []
    for name, pinned in MNIST_SHA256.items():
        p = folder / name
        if p.is_file():
            sha = sha256_file(p)
            files.append(
                {
                    "file": name,
                    "bytes": p.stat().st_size,
                    "sha256": sha,
                    "status": "ok" if sha == pinned else "MISMATCH",
                }
            )
        else:
            files.append({"file": name, "bytes": None, "sha256": None, "status": "missing"})
    ok = {f["file"] for f in files if f["status"] == "ok"}
    splits = {}
    for split, names in SPLIT_FILES.items():
        if not set(names) <= ok:
            continue
        _, y = load_mnist(split, folder)
        splits[split] = {"n": int(len(y)), "class_counts": np.bincount(y, minlength=10).tolist()}
    complete = (
        len(ok) == 4
        and all(splits[s]["n"] == n for s, n in MNIST_SIZES.items())
        and tuple(splits["train"]["class_counts"]) == MNIST_TRAIN_CLASS_COUNTS
    )
    return {"dataset": "mnist", "folder": str(folder), "files": files, "splits": splits, "complete": complete}


def cifar10_summary(root: str | os.PathLike | None = None) -> dict:
    """Format, source and cache folder of a CIFAR-10 copy, and per split: number of images, class counts and the
    SHA-256 of the decoded uint8 pixel array (independent of the on-disk format). Decodes (and caches) if needed."""
    from .cifar10 import CIFAR10_CLASSES, CIFAR10_SIZES, cifar10_cache_folder, detect_cifar10, load_cifar10
    from .paths import cache_dir

    root = Path(root).expanduser() if root is not None else cache_dir() / "cifar10"
    fmt, folder = detect_cifar10(root)
    splits = {}
    for split in ("train", "test"):
        x, y = load_cifar10(split, root)
        splits[split] = {
            "n": int(len(y)),
            "class_counts": dict(zip(CIFAR10_CLASSES, np.bincount(y, minlength=10).tolist())),
            "pixels_sha256": hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest(),
            "labels_sha256": hashlib.sha256(y.astype("<i8").tobytes()).hexdigest(),
        }
    cache = cifar10_cache_folder(fmt, folder)
    cached_bytes = sum(p.stat().st_size for p in cache.glob("*") if p.is_file()) if cache.is_dir() else 0
    complete = all(splits[s]["n"] == n for s, n in CIFAR10_SIZES.items()) and all(
        c == splits[s]["n"] // 10 for s in splits for c in splits[s]["class_counts"].values()
    )
    return {
        "dataset": "cifar10",
        "format": fmt,
        "source": str(folder),
        "cache": str(cache),
        "cache_bytes": cached_bytes,
        "splits": splits,
        "complete": complete,
        "note": "JPEG copy: pixels are not the original ones" if fmt == "folder" else None,
    }


def restricted_imagenet_summary(root: str | os.PathLike, split: str = "val", balanced: bool = False) -> dict:
    """Images and ImageNet classes per super-class of a Restricted ImageNet folder, the total size of its image
    files and a SHA-256 over their relative names and sizes (no decoding)."""
    from .imagenet import RestrictedImageNet, imagenet_wnids

    ds = RestrictedImageNet(root, split=split, balanced=balanced)
    h = hashlib.sha256()
    total = 0
    for path, _, _ in ds.samples:
        size = path.stat().st_size
        total += size
        h.update(f"{path.relative_to(ds.root)}\0{size}\n".encode())
    wn = hashlib.sha256("\n".join(imagenet_wnids()).encode()).hexdigest()
    images, classes = ds.counts(), ds.class_counts()
    return {
        "dataset": "restricted_imagenet",
        "folder": str(ds.root / split),
        "balanced": balanced,
        "n": len(ds),
        "bytes": total,
        "superclasses": [{"superclass": k, "images": images[k], "imagenet_classes": classes[k]} for k in ds.classes],
        "files_sha256": h.hexdigest(),
        "wnid_list_sha256": wn,
    }


def split_summary(name: str, root: str | os.PathLike | None = None) -> dict:
    """Any registered data set (one without a summary of its own above): per split, the number of images and the
    class counts, read through the registry (its ``reader``, or its ``opener`` for a folder read image by image).
    ``complete`` is True when every split has the size the registry states (or states none)."""
    from .registry import dataset_info

    info = dataset_info(name)
    splits = {}
    for split in dict.fromkeys((info.train_split, info.test_split)):
        if info.reader is not None:
            labels = np.asarray(info.read(split, root)[1], dtype=np.int64)
        else:
            folder = Path(root).expanduser() if root is not None else None
            if folder is None:
                raise ValueError(f"tradeoff data info {name} needs its folder: give --root DIR or set "
                                 f"${info.root_var}")
            ds = info.opener(split, folder, False)
            labels = np.asarray(getattr(ds, "labels", [ds[i][1] for i in range(len(ds))]), dtype=np.int64)
        counts = np.bincount(labels, minlength=info.num_classes).tolist()
        splits[split] = {"n": int(len(labels)), "class_counts": dict(zip(info.class_names, counts))}
    complete = all(info.split_size(s) in (None, v["n"]) for s, v in splits.items())
    return {"dataset": name, "title": info.title, "splits": splits, "complete": complete, "generic": True}
