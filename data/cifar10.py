"""CIFAR-10 in the three forms users have, decoded once and cached as .npy.

Formats (detected automatically under ``root``):

* ``python``: the official ``cifar-10-batches-py`` (pickled dicts ``data`` (n, 3072) uint8 and ``labels``), read
  with a restricted unpickler that admits only the numpy array reconstruction the format needs;
* ``binary``: the official ``cifar-10-batches-bin`` (records of 1 label byte + 3072 pixel bytes);
* ``folder``: ``train/<class>/*.jpg|png`` and ``test/<class>/*`` with the ten class folders named as in
  :data:`CIFAR10_CLASSES` (e.g. a JPEG copy; images are taken class by class, files sorted by name).

Pixels come out as uint8 (N, 3, 32, 32), labels int64 (N,) in the standard order airplane=0 … truck=9.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np

from . import checks
from .io import atomic_write, atomic_write_json
from .paths import cache_dir

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
PYTHON_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
BINARY_FILES = {k: tuple(f"{n}.bin" for n in v) for k, v in PYTHON_FILES.items()}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
RECORD_BYTES = 1 + 3 * 32 * 32
CIFAR10_SIZES = {"train": 50000, "test": 10000}
CACHE_VERSION = 1


# ----------------------------------------------------------------------------------- python batches


def _numpy_global(module: str, name: str):
    """The few numpy callables a pickled ndarray needs, resolved for numpy 1.x and 2.x alike."""
    import numpy

    if name == "_reconstruct":
        core = getattr(numpy, "_core", None) or numpy.core
        return core.multiarray._reconstruct
    if name == "_frombuffer":
        core = getattr(numpy, "_core", None) or numpy.core
        return core.numeric._frombuffer
    return {"ndarray": numpy.ndarray, "dtype": numpy.dtype}[name]


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler for CIFAR batches: dicts, lists, str/bytes/int come from opcodes; of the globals, only the
    numpy array reconstruction (``_reconstruct``/``_frombuffer``, ``ndarray``, ``dtype``) and ``_codecs.encode``
    (bytes in protocol-2 pickles written by Python 3) are admitted. Anything else raises UnpicklingError."""

    ALLOWED = frozenset(
        {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.numeric", "_frombuffer"),
            ("numpy._core.numeric", "_frombuffer"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("_codecs", "encode"),
        }
    )

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR-10 batch")
        if module == "_codecs":
            import codecs

            return codecs.encode
        return _numpy_global(module, name)

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are not allowed in a CIFAR-10 batch")


def read_python_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """One official python batch -> ``(uint8 (n, 3, 32, 32), int64 (n,))``; ValueError naming the file if it is
    truncated, not a pickle, holds anything beyond the format, or has inconsistent contents."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        obj = RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError) as e:
        raise ValueError(
            f"{path}: not a valid CIFAR-10 python batch (corrupt, truncated or foreign: {e}); replace the file"
        ) from e
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: not a CIFAR-10 python batch (a {type(obj).__name__}, expected a dict)")
    d = {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}
    if "data" not in d or "labels" not in d:
        raise ValueError(f"{path}: CIFAR-10 python batch without 'data' and 'labels' (keys: {sorted(map(str, d))})")
    data, labels = d["data"], d["labels"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        shape = getattr(data, "shape", None)
        raise ValueError(f"{path}: 'data' must be a uint8 array of shape (n, 3072), got {type(data).__name__} {shape}")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: 'labels' is not a list of integers") from e
    _check_labels(path, labels, len(data))
    return data.reshape(-1, 3, 32, 32).copy(), labels


def _check_labels(path: Path, labels: np.ndarray, n: int) -> None:
    if labels.shape != (n,):
        raise ValueError(f"{path}: {labels.size} labels for {n} images")
    if n and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{path}: label outside 0..9 (min {labels.min()}, max {labels.max()})")


# ----------------------------------------------------------------------------------- binary batches


def read_binary_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """One official binary batch (records of 1 label byte + 3072 pixel bytes, channel-major) ->
    ``(uint8 (n, 3, 32, 32), int64 (n,))``; ValueError naming the file if its length is not a whole number of
    records or a label is outside 0..9."""
    path = Path(path)
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD_BYTES:
        raise ValueError(
            f"{path}: {raw.size} bytes is not a whole number of {RECORD_BYTES}-byte CIFAR-10 records "
            "(truncated or not a binary batch)"
        )
    rec = raw.reshape(-1, RECORD_BYTES)
    labels = rec[:, 0].astype(np.int64)
    _check_labels(path, labels, len(rec))
    return rec[:, 1:].reshape(-1, 3, 32, 32).copy(), labels


# ----------------------------------------------------------------------------------- image folder


def _folder_files(split_dir: Path) -> list[tuple[Path, int]]:
    if not split_dir.is_dir():
        raise FileNotFoundError(f"{split_dir}: no such folder (expected {split_dir.name}/<class>/*.jpg|png)")
    present = {p.name for p in split_dir.iterdir() if p.is_dir()}
    missing = [c for c in CIFAR10_CLASSES if c not in present]
    extra = sorted(present - set(CIFAR10_CLASSES))
    if missing or extra:
        raise ValueError(
            f"{split_dir}: class folders must be exactly {', '.join(CIFAR10_CLASSES)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unexpected {', '.join(extra)}" if extra else "")
        )
    files = []
    for label, cls in enumerate(CIFAR10_CLASSES):
        names = sorted(e.name for e in os.scandir(split_dir / cls) if e.name.lower().endswith(IMAGE_SUFFIXES))
        files += [(split_dir / cls / n, label) for n in names]
    if not files:
        raise ValueError(f"{split_dir}: no .jpg/.jpeg/.png images in the class folders")
    return files


def read_image_folder(split_dir: str | os.PathLike, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``split_dir/<class>/*.jpg|jpeg|png`` (32×32 RGB or greyscale) -> ``(uint8 (n, 3, 32, 32),
    int64 (n,))``, class by class in the standard order, files sorted by name. ValueError naming the file for an
    undecodable image or one of another size."""
    from PIL import Image, UnidentifiedImageError
    from tqdm import tqdm

    files = _folder_files(Path(split_dir))
    images = np.empty((len(files), 32, 32, 3), dtype=np.uint8)
    labels = np.array([lab for _, lab in files], dtype=np.int64)
    bar = tqdm(files, desc=f"decoding {Path(split_dir).name}", unit="img", file=sys.stderr, disable=not progress)
    for i, (path, _) in enumerate(bar):
        try:
            with Image.open(path) as im:
                if im.size != (32, 32):
                    raise ValueError(f"{path}: image is {im.size[0]}x{im.size[1]}, CIFAR-10 images are 32x32")
                images[i] = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, OSError, SyntaxError) as e:
            raise ValueError(f"{path}: cannot decode image ({e})") from e
    return images.transpose(0, 3, 1, 2).copy(), labels


# ----------------------------------------------------------------------------------- detection and cache


def detect_cifar10(root: str | os.PathLike) -> tuple[str, Path]:
    """Find CIFAR-10 under ``root``: returns ``(format, folder)`` with format ``python``, ``binary`` or
    ``folder``. ``root`` may be the batches folder itself or its parent."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"CIFAR-10 root {root} is not a folder")
    for cand in (root, root / "cifar-10-batches-py"):
        if (cand / "data_batch_1").is_file() or (cand / "test_batch").is_file():
            return "python", cand
    for cand in (root, root / "cifar-10-batches-bin"):
        if (cand / "data_batch_1.bin").is_file() or (cand / "test_batch.bin").is_file():
            return "binary", cand
    if (root / "train").is_dir() or (root / "test").is_dir():
        return "folder", root
    raise FileNotFoundError(
        f"no CIFAR-10 found in {root}: expected cifar-10-batches-py/ (data_batch_1..5, test_batch), "
        "cifar-10-batches-bin/ (data_batch_1..5.bin, test_batch.bin) or train/<class>/*.jpg|png and test/<class>/"
    )


def _source_fingerprint(fmt: str, folder: Path, split: str) -> dict:
    """Names, sizes and modification times of the source files of a split (changes invalidate the cache)."""
    if fmt == "folder":
        paths = [p for p, _ in _folder_files(folder / split)]
    else:
        names = PYTHON_FILES[split] if fmt == "python" else BINARY_FILES[split]
        paths = [folder / n for n in names]
        absent = [p.name for p in paths if not p.is_file()]
        if absent:
            raise FileNotFoundError(f"{folder}: missing CIFAR-10 {split} batch(es) {', '.join(absent)}")
    h = hashlib.sha256()
    for p in paths:
        st = p.stat()
        h.update(f"{p.relative_to(folder)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return {"files": len(paths), "digest": h.hexdigest()}


def cifar10_cache_folder(fmt: str, folder: Path) -> Path:
    """Where the decoded arrays of the CIFAR-10 copy in ``folder`` are cached:
    ``cache_dir()/"cifar10"/<format>-<hash of the resolved source path>``."""
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    return cache_dir() / "cifar10" / f"{fmt}-{key}"


def _decode(fmt: str, folder: Path, split: str, progress: bool) -> tuple[np.ndarray, np.ndarray]:
    if fmt == "folder":
        return read_image_folder(folder / split, progress=progress)
    reader = read_python_batch if fmt == "python" else read_binary_batch
    names = PYTHON_FILES[split] if fmt == "python" else BINARY_FILES[split]
    parts = [reader(folder / n) for n in names]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _save_npy(path: Path, arr: np.ndarray) -> None:
    atomic_write(path, lambda f: np.save(f, arr, allow_pickle=False))


def load_cifar10(
    split: str = "train",
    root: str | os.PathLike | None = None,
    *,
    cache: bool = True,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a CIFAR-10 split as ``(uint8 (N, 3, 32, 32), int64 (N,))`` from any of the three formats.

    ``root`` defaults to ``cache_dir()/"cifar10"``. With ``cache`` the decoded arrays are kept as .npy files
    (written atomically, manifest last) in :func:`cifar10_cache_folder` and reused while the source files keep
    their names, sizes and modification times."""
    if split not in PYTHON_FILES:
        raise ValueError(f"unknown CIFAR-10 split {split!r}; use 'train' or 'test'")
    where = ("set data_root in the config (--cifar-root or --root on the command line) or $TRADEOFF_CIFAR10_ROOT to "
             "the folder of your copy (the project does not download CIFAR-10)")
    if root is None:
        root = cache_dir() / "cifar10"
        if not root.is_dir():
            raise FileNotFoundError(f"CIFAR-10 not found (no copy in the data cache {root}); {where}")
    else:
        root = checks.path_text("the CIFAR-10 folder (data_root / --root / $TRADEOFF_CIFAR10_ROOT)", root)
        if not root.is_dir():
            raise FileNotFoundError(f"the CIFAR-10 folder {root} (data_root / --root / $TRADEOFF_CIFAR10_ROOT) "
                                    f"{'is a file' if root.exists() else 'does not exist'}; {where}")
    fmt, folder = detect_cifar10(root)
    fingerprint = _source_fingerprint(fmt, folder, split)
    if not cache:
        return _decode(fmt, folder, split, progress)
    cdir = cifar10_cache_folder(fmt, folder)
    img_p, lab_p, man_p = cdir / f"{split}-images.npy", cdir / f"{split}-labels.npy", cdir / f"{split}-manifest.json"
    manifest = {"version": CACHE_VERSION, "format": fmt, "source": str(folder.resolve()), **fingerprint}
    if man_p.is_file() and img_p.is_file() and lab_p.is_file():
        try:
            stored = json.loads(man_p.read_text())
            if all(stored.get(k) == v for k, v in manifest.items()):
                images, labels = np.load(img_p, allow_pickle=False), np.load(lab_p, allow_pickle=False)
                if images.shape[1:] == (3, 32, 32) and labels.shape == (len(images),):
                    return images, labels
        except (ValueError, OSError):
            pass  # unreadable cache: decode again and overwrite it
    images, labels = _decode(fmt, folder, split, progress)
    man_p.unlink(missing_ok=True)
    _save_npy(img_p, images)
    _save_npy(lab_p, labels)
    atomic_write_json(man_p, {**manifest, "n": len(labels), "class_counts": np.bincount(labels, minlength=10)})
    return images, labels
