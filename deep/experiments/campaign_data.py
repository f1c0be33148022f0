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

#: What one window may carry (the device tool's limit, everything carried together).
UPLOAD_LIMIT_BYTES = 64 * 2**20
#: The packed size as a fraction of the source files' bytes, measured by :func:`pack_data` on this project's copies
#: (MNIST 11.0 MiB of 52.4; CIFAR-10 JPEG 19.5 of 52.7; Restricted Tiny ImageNet 16.7 of 23.9), rounded up.
PACKED_RATIO = {"mnist": 0.22, "cifar10": 0.40, "restricted_tiny_imagenet": 0.72}
TARBALLS = {"mnist": "mnist.tgz", "cifar10": "cifar10-jpeg.tgz", "restricted_tiny_imagenet":
            "restricted-tiny-imagenet.tgz"}
#: Folder name inside each tarball (what bench/gpu_session.sh points the dataset variables at).
MEMBER_ROOT = {"mnist": "mnist", "cifar10": "cifar10-jpeg", "restricted_tiny_imagenet": "restricted-tiny-imagenet"}


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
    from tradeoff.data.paths import DATASET_ROOT_VARS, dataset_root

    if (roots or {}).get(dataset):
        return Path(roots[dataset]).expanduser()
    if dataset == "mnist":
        from tradeoff.data.mnist import mnist_dir

        return mnist_dir()
    return dataset_root(dataset) if dataset in DATASET_ROOT_VARS else None


def _files(dataset: str, folder: Path) -> list[Path]:
    if dataset == "mnist":
        from tradeoff.data.mnist import MNIST_SHA256

        return [folder / n for n in MNIST_SHA256 if (folder / n).is_file()]
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def upload_plan(datasets: list[str], roots: dict | None = None) -> list[Upload]:
    """The upload of ``datasets``: per dataset its source, tarball and estimated packed size (the source bytes times
    :data:`PACKED_RATIO`; :func:`pack_data` records the real sizes)."""
    out = []
    for ds in datasets:
        if ds not in TARBALLS:
            raise ValueError(f"no upload form for dataset {ds!r}: known {', '.join(TARBALLS)}")
        folder = source_folder(ds, roots)
        if folder is None or not folder.is_dir():
            out.append(Upload(ds, None if folder is None else str(folder), TARBALLS[ds], None,
                              "source folder not found here"))
            continue
        files = _files(ds, folder)
        raw = sum(p.stat().st_size for p in files)
        out.append(Upload(ds, str(folder), TARBALLS[ds], int(raw * PACKED_RATIO[ds]),
                          f"estimate ({PACKED_RATIO[ds]:.0%} of {raw / 2**20:.1f} MiB of files)"))
    return out


def fits(uploads: list[Upload]) -> bool:
    """Whether the uploads together stay within :data:`UPLOAD_LIMIT_BYTES` (unknown sizes do not fit)."""
    return all(u.bytes is not None for u in uploads) and sum(u.bytes for u in uploads) <= UPLOAD_LIMIT_BYTES


def pack_data(datasets: list[str], dest: str | os.PathLike, roots: dict | None = None) -> list[Path]:
    """Write ``dest/<tarball>`` for each dataset (members under :data:`MEMBER_ROOT`) and ``dest/manifest.json``
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
                tar.add(p, arcname=str(Path(MEMBER_ROOT[u.dataset]) / p.relative_to(folder)))
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
