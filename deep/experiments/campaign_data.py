"""The data a GPU window needs, and how they travel: a GPU machine receives only a small upload (the device tool's
``carry``: 64 MiB for everything carried), so a campaign names the datasets its remaining runs need, their packed
sizes, and :func:`pack_data` copies only those into one (git-ignored) folder as tarballs.

Packed forms (tar + gzip; sizes measured on this project's copies): MNIST, the 4 IDX files in ``mnist.tgz``
(11.0 MiB); the CIFAR-10 JPEG copy, ``cifar10-jpeg.tgz`` (19.5 MiB: its 60,000 small JPEGs share most of their
header bytes, so gzip keeps 37 % of the 52.7 MiB of files); Restricted Tiny ImageNet, ``restricted-tiny-imagenet.tgz``
(16.7 MiB, 70 % of its 23.9 MiB). All three fit one window together (about 47 MiB). ``bench/gpu_session.sh
campaign`` unpacks whatever the folder holds.
"""

from __future__ import annotations

import json
import os
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path

from tradeoff.data.io import atomic_write_json
from tradeoff.data.registry import dataset_info, dataset_root

#: What one window may carry (the device tool's limit, everything carried together).
UPLOAD_LIMIT_BYTES = 64 * 2**20


def tarball(dataset: str) -> str:
    """The file a dataset is packed into, ``<label>.tgz``; its members lie under the folder ``<label>/`` (what
    bench/gpu_session.sh points the dataset variables at)."""
    return f"{dataset_info(dataset).label}.tgz"


@dataclass(frozen=True)
class Upload:
    """One dataset's part of the upload: where it is read from, the tarball, its (estimated) size in bytes."""

    dataset: str
    source: str | None
    tarball: str
    bytes: int | None
    note: str = ""


def source_folder(dataset: str, roots: dict | None = None) -> Path | None:
    """The local folder of ``dataset``: ``roots[dataset]``, else its environment variable (data.paths), else (MNIST)
    the cache; None when unknown."""
    if (roots or {}).get(dataset):
        return Path(roots[dataset]).expanduser()
    if dataset == "mnist":
        from tradeoff.data.mnist import mnist_dir

        return mnist_dir()
    return dataset_root(dataset)


def _files(dataset: str, folder: Path) -> list[Path]:
    if dataset == "mnist":
        from tradeoff.data.mnist import MNIST_SHA256

        return [folder / n for n in MNIST_SHA256 if (folder / n).is_file()]
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def upload_plan(datasets: list[str], roots: dict | None = None) -> list[Upload]:
    """The upload of ``datasets``: per dataset its source, tarball and estimated packed size (the source bytes times
    its measured ``packed_ratio``, data.registry; :func:`pack_data` records the real sizes)."""
    out = []
    for ds in datasets:
        ratio = dataset_info(ds).packed_ratio
        if ratio is None:
            raise ValueError(f"no upload form for dataset {ds!r}: it has no packed form (data.registry packed_ratio)")
        folder = source_folder(ds, roots)
        if folder is None or not folder.is_dir():
            out.append(Upload(ds, None if folder is None else str(folder), tarball(ds), None,
                              "source folder not found here"))
            continue
        files = _files(ds, folder)
        raw = sum(p.stat().st_size for p in files)
        out.append(Upload(ds, str(folder), tarball(ds), int(raw * ratio),
                          f"estimate ({ratio:.0%} of {raw / 2**20:.1f} MiB of files)"))
    return out


def fits(uploads: list[Upload]) -> bool:
    """Whether the uploads together stay within :data:`UPLOAD_LIMIT_BYTES` (unknown sizes do not fit)."""
    return all(u.bytes is not None for u in uploads) and sum(u.bytes for u in uploads) <= UPLOAD_LIMIT_BYTES


def pack_data(datasets: list[str], dest: str | os.PathLike, roots: dict | None = None) -> list[Path]:
    """Write ``dest/<tarball>`` for each dataset (:func:`tarball`, members under ``<label>/``) and ``manifest.json``
    (the uploads with their real sizes). ValueError naming the dataset when its source is missing, and when the
    total exceeds the upload limit (the tarballs stay, so that a smaller selection can be chosen)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written, uploads = [], []
    for u in upload_plan(datasets, roots):
        if u.source is None or u.bytes is None:
            raise ValueError(f"{u.dataset}: no local copy to pack ({u.note}); fetch it or set its root variable")
        folder = Path(u.source)
        target = dest / u.tarball
        tmp = dest / f".{u.tarball}.tmp"
        with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
            for p in _files(u.dataset, folder):
                tar.add(p, arcname=str(Path(dataset_info(u.dataset).label) / p.relative_to(folder)))
        tmp.replace(target)
        written.append(target)
        uploads.append(Upload(u.dataset, u.source, u.tarball, target.stat().st_size))
    atomic_write_json(dest / "manifest.json", {"uploads": [asdict(u) for u in uploads],
                                               "total_bytes": sum(u.bytes for u in uploads),
                                               "limit_bytes": UPLOAD_LIMIT_BYTES})
    if not fits(uploads):
        total = sum(u.bytes for u in uploads)
        raise ValueError(f"the packed data ({total / 2**20:.1f} MiB) exceed the {UPLOAD_LIMIT_BYTES // 2**20} MiB "
                         f"upload limit; pack fewer datasets per window (--datasets)")
    return written


def read_manifest(folder: str | os.PathLike) -> dict:
    """The manifest :func:`pack_data` wrote (for tests and the session script)."""
    return json.loads((Path(folder) / "manifest.json").read_text())
