"""Tiny data sets in the real on-disk formats, generated inside a test's tmp_path (nothing committed)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from tradeoff.data.checksums import sha256_bytes
from tradeoff.data.idx import encode_idx


def fake_mnist_bytes(n_train: int = 30, n_test: int = 10, seed: int = 0) -> dict[str, bytes]:
    """IDX bytes of the four MNIST files, with random pixels and labels cycling through 0..9."""
    rng = np.random.default_rng(seed)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        out[f"{prefix}-images-idx3-ubyte"] = encode_idx(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        out[f"{prefix}-labels-idx1-ubyte"] = encode_idx((np.arange(n) % 10).astype(np.uint8))
    return out


def pin_checksums(monkeypatch, files: dict[str, bytes]) -> None:
    """Make data.mnist trust the SHA-256 of these fake files."""
    from tradeoff.data import mnist
    monkeypatch.setattr(mnist, "MNIST_SHA256", {k: sha256_bytes(v) for k, v in files.items()})


def write_files(folder: Path, files: dict[str, bytes], gz: bool = False) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, raw in files.items():
        p = folder / (name + ".gz" if gz else name)
        p.write_bytes(gzip.compress(raw) if gz else raw)
        paths[name] = p
    return paths


CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def cifar_arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n random 3x32x32 uint8 images with labels cycling through 0..9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8), (np.arange(n) + seed) % 10


def make_cifar_python(root: Path, per_batch: int = 4, protocol: int = 2) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """cifar-10-batches-py/ with data_batch_1..5 and test_batch (bytes keys, as the official py2 pickles)."""
    import pickle

    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    out = {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        x, y = cifar_arrays(per_batch, i)
        d = {b"batch_label": name.encode(), b"labels": [int(v) for v in y], b"data": x.reshape(per_batch, -1)}
        d[b"filenames"] = [f"img{j}.png".encode() for j in range(per_batch)]
        (folder / name).write_bytes(pickle.dumps(d, protocol=protocol))
        out[name] = (x, y)
    return out


def make_cifar_binary(root: Path, per_batch: int = 4) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    out = {}
    for i, name in enumerate([f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]):
        x, y = cifar_arrays(per_batch, i)
        rec = np.concatenate([y.astype(np.uint8)[:, None], x.reshape(per_batch, -1)], axis=1)
        (folder / name).write_bytes(rec.tobytes())
        out[name] = (x, y)
    return out


def make_cifar_folder(root: Path, per_class: int = 2, fmt: str = "PNG") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """train/<class>/NNNN.png|jpg and test/<class>/... ; returns the arrays written (PNG is lossless)."""
    from PIL import Image

    out = {}
    for s, split in enumerate(("train", "test")):
        xs, ys = [], []
        for label, cls in enumerate(CIFAR_CLASSES):
            d = root / split / cls
            d.mkdir(parents=True)
            x, _ = cifar_arrays(per_class, 100 * s + label)
            for j in range(per_class):
                ext = "png" if fmt == "PNG" else "jpg"
                Image.fromarray(x[j].transpose(1, 2, 0)).save(d / f"{j:04d}.{ext}", format=fmt)
            xs.append(x)
            ys.append(np.full(per_class, label))
        out[split] = (np.concatenate(xs), np.concatenate(ys))
    return out


def make_imagenet_folder(root: Path, wnid_sizes: dict[str, list[tuple[int, int]]], split: str = "val") -> Path:
    """``root/split/<wnid>/<wnid>_<k>.JPEG`` with random JPEGs of the given (width, height) sizes."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for wnid, sizes in wnid_sizes.items():
        d = root / split / wnid
        d.mkdir(parents=True)
        for k, (w, h) in enumerate(sizes):
            arr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            Image.fromarray(arr).save(d / f"{wnid}_{k}.JPEG", format="JPEG", quality=90)
    return root


def make_tiny_imagenet_folder(root: Path, wnids: list[str], per_class: dict[str, int], grey: str | None = None,
                              size: int = 64) -> Path:
    """``root/<split>/<wnid>/<wnid>_<k>.JPEG``: random ``size``-px JPEGs, ``per_class[split]`` per wnid (the
    Restricted Tiny ImageNet layout); the first image of wnid ``grey`` (in every split) is greyscale ("L")."""
    from PIL import Image

    rng = np.random.default_rng(1)
    for split, n in per_class.items():
        for wnid in wnids:
            d = root / split / wnid
            d.mkdir(parents=True)
            for k in range(n):
                if wnid == grey and k == 0:
                    im = Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8))  # 2-D: mode L
                else:
                    im = Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
                im.save(d / f"{wnid}_{k}.JPEG", format="JPEG", quality=90)
    return root
