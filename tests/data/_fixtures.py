"""Tiny data sets in the real on-disk formats, generated inside a test's tmp_path (nothing committed)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from data.checksums import sha256_bytes
from data.idx import encode_idx


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
    import data.mnist

    monkeypatch.setattr(data.mnist, "MNIST_SHA256", {k: sha256_bytes(v) for k, v in files.items()})


def write_files(folder: Path, files: dict[str, bytes], gz: bool = False) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, raw in files.items():
        p = folder / (name + ".gz" if gz else name)
        p.write_bytes(gzip.compress(raw) if gz else raw)
        paths[name] = p
    return paths
