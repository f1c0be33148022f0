"""Any labelled image set, checked, as arrays: a registered data set, a user's ``.npz``, or an image folder.

``load_image_set(spec, split)`` returns ``(x, y, info)``: x uint8 pixels 0..255 or float32 in [0, 1], shape
(N, C, H, W); y int64 labels 0..K-1; ``info`` an :class:`ImageSetInfo` (class names, shape, a SHA-256 of the
arrays for keying cards, notes on what was converted). ``spec`` is

- a registered data set's name (data.registry: ``mnist``, ``cifar10``, ``restricted_tiny_imagenet``, ``toy``);
  ``split`` ``test`` is its held-out split;
- a ``.npz`` file (numpy.savez) with keys ``x`` and ``y``: the held-out set (split ``test``; keys ``x_test`` and
  ``y_test`` are taken first when present); another split ``s`` is read from keys ``x_s`` and ``y_s``. An optional
  key ``classes`` holds the class names (a string array). x is uint8 0..255 or float in [0, 1], N×C×H×W; N×H×W×C
  is accepted when only its last dimension can be a channel count (1 to 4) and N×H×W as one channel, both said in
  the notes. Labels are integers 0..K-1 (K = the number of class names, else the largest label + 1);
- a folder with one sub-folder per class (data.image_folder): the held-out set; a folder whose sub-folders are
  all named ``train``, ``val`` or ``test`` holds one such folder per split (``test`` falls back to ``val``).

Every problem is a one-line ValueError (FileNotFoundError for a missing path) naming the file, the key or image,
the value and the fix. Nothing here needs torch.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import first_line
from .image_folder import read_image_folder
from .registry import DATASETS, dataset_info

#: Sizes a channel dimension can have (greyscale, two-channel, RGB, RGBA).
CHANNEL_COUNTS = (1, 2, 3, 4)
#: Folder names that mark a folder of splits rather than of classes.
SPLIT_FOLDERS = ("train", "val", "test")


@dataclass(frozen=True)
class ImageSetInfo:
    """What :func:`load_image_set` read: ``name`` (the spec), ``kind`` (``registered``, ``npz`` or ``folder``),
    the ``split``, the ``class_names`` (label i is ``class_names[i]``), ``shape`` (C, H, W), ``n`` images, the
    pixel ``dtype`` (``uint8`` 0..255 or ``float32`` in [0, 1]), ``data_hash`` (:func:`data_hash` of the arrays),
    the file or folder read (``path``; None for a registered set's cache), the normalisation statistics of a
    registered set (``mean``, ``std``), and ``notes`` on what was converted."""

    name: str
    kind: str
    split: str
    class_names: tuple[str, ...]
    shape: tuple[int, int, int]
    n: int
    dtype: str
    data_hash: str
    path: str | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def num_classes(self) -> int:
        """The number of classes (labels are 0 .. num_classes - 1)."""
        return len(self.class_names)

    def to_dict(self) -> dict:
        """The JSON-ready description, for cards and logs."""
        return {"name": self.name, "kind": self.kind, "split": self.split, "class_names": list(self.class_names),
                "num_classes": self.num_classes, "shape": list(self.shape), "n": self.n, "dtype": self.dtype,
                "data_hash": self.data_hash, "path": self.path,
                "mean": list(self.mean) if self.mean is not None else None,
                "std": list(self.std) if self.std is not None else None, "notes": list(self.notes)}


def data_hash(x: np.ndarray, y: np.ndarray) -> str:
    """SHA-256 of an image set as returned: x's dtype, shape and bytes, then y's bytes as little-endian int64."""
    h = hashlib.sha256()
    x = np.ascontiguousarray(x)
    h.update(f"x {x.dtype.str} {x.shape}\n".encode())
    h.update(x.tobytes())
    h.update(b"y\n")
    h.update(np.ascontiguousarray(y, dtype="<i8").tobytes())
    return h.hexdigest()


def load_image_set(spec: str, split: str = "test",
                   root: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, ImageSetInfo]:
    """``(x, y, info)`` of the image set ``spec`` (a registered name, a ``.npz`` file or a class-folder; see the
    module docstring), split ``split``. ``root``: the folder of a registered data set's copy (as ``Dataset.read``).
    One-line ValueError/FileNotFoundError for every problem."""
    spec = str(spec)
    if spec in DATASETS:
        return _registered(spec, split, root)
    path = Path(spec).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"data set {spec!r} is neither a registered data set ({', '.join(DATASETS)}) nor an "
                                "existing .npz file or image folder; check the name or the path")
    if root is not None:
        raise ValueError(f"root {root} is for registered data sets; {spec} is read from its own path")
    if path.is_dir():
        folder = _split_folder(path, split)
        x, y, names, notes = read_image_folder(folder)
        return _finish(spec, "folder", split, x, y, names, notes, str(folder))
    if path.suffix.lower() != ".npz":
        raise ValueError(f"data file {path} is not a .npz archive (suffix {path.suffix or 'none'}); save the images "
                         "with numpy.savez(path, x=images, y=labels), or give a folder with one sub-folder per class")
    return _npz(path, spec, split)


def _registered(name: str, split: str, root) -> tuple[np.ndarray, np.ndarray, ImageSetInfo]:
    d = dataset_info(name)
    if d.reader is None:
        raise ValueError(f"data set {name} is read image by image (full-size images of different sizes), not as one "
                         "array; resize its images to one size into a folder with one sub-folder per class and give "
                         "that folder")
    images, labels = d.read(split, root)
    x, y, notes = check_arrays(np.asarray(images), np.asarray(labels), f"data set {name} ({split})", d.class_names)
    return _finish(name, "registered", split, x, y, d.class_names, notes, None, d.mean, d.std)


def _finish(name, kind, split, x, y, names, notes, path, mean=None, std=None):
    info = ImageSetInfo(name=name, kind=kind, split=split, class_names=tuple(names), shape=tuple(x.shape[1:]),
                        n=len(x), dtype=str(x.dtype), data_hash=data_hash(x, y), path=path, mean=mean, std=std,
                        notes=tuple(notes))
    return x, y, info


def _split_folder(path: Path, split: str) -> Path:
    """The folder of ``split``: ``path`` itself when it holds classes (split ``test`` only), else its split
    sub-folder."""
    subs = sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if subs and all(s in SPLIT_FOLDERS for s in subs):
        for name in (split, "val") if split == "test" else (split,):
            if (path / name).is_dir():
                return path / name
        raise ValueError(f"image folder {path} has no {split}/ sub-folder (it has {', '.join(subs)}); add one, or "
                         "ask for one of those splits")
    if split != "test":
        raise ValueError(f"image folder {path} holds one set of classes, the held-out (test) one; for split {split!r} "
                         f"give a folder with {split}/ and test/ sub-folders, each with one sub-folder per class")
    return path


def _npz(path: Path, spec: str, split: str) -> tuple[np.ndarray, np.ndarray, ImageSetInfo]:
    fix = "save it with numpy.savez(path, x=images, y=labels)"
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"data file {path} is not a readable .npz archive ({first_line(e)}); {fix}") from e
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"data file {path} holds one array (the .npy format), not an archive with keys x and y; {fix}")
    with archive:
        keys = list(archive.keys())
        if split == "test" and "x_test" in keys and "y_test" in keys:
            kx, ky = "x_test", "y_test"
        elif split == "test":
            kx, ky = "x", "y"
        else:
            kx, ky = f"x_{split}", f"y_{split}"
        for k in (kx, ky):
            if k not in keys:
                raise ValueError(f"data file {path} has no key {k!r} for split {split!r} (keys: "
                                 f"{', '.join(keys) or 'none'}); {fix.replace('x=', kx + '=').replace('y=', ky + '=')}")
        x, y = _read_key(archive, kx, path), _read_key(archive, ky, path)
        names = None
        if "classes" in keys:
            names = _read_key(archive, "classes", path)
            if names.ndim != 1 or names.dtype.kind not in "US" or len(set(names.tolist())) != len(names):
                raise ValueError(f"data file {path}: key 'classes' must be a 1-D array of distinct class names "
                                 f"(got dtype {names.dtype}, shape {names.shape}); store numpy.array(['cat', ...])")
            names = tuple(str(n) for n in names.tolist())
    x, y, notes = check_arrays(x, y, f"data file {path}", names, kx, ky)
    if names is None:
        names = tuple(str(i) for i in range(int(y.max()) + 1))
        absent = sorted(set(range(len(names))) - set(np.unique(y).tolist()))
        if absent:
            notes.append(f"labels 0..{len(names) - 1} with no example of class(es) {', '.join(map(str, absent))}")
    return _finish(spec, "npz", split, x, y, names, notes, str(path))


def _read_key(archive, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as e:  # an object array, refused with allow_pickle=False
        raise ValueError(f"data file {path}: key {key!r} holds Python objects, not a numeric array ({first_line(e)}); "
                         "store numeric arrays") from e
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"data file {path}: key {key!r} cannot be read ({first_line(e)}); the file is truncated or "
                         "corrupt: write it again") from e


def check_arrays(x: np.ndarray, y: np.ndarray, where: str, class_names=None, kx: str = "x",
                 ky: str = "y") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(x, y, notes)`` checked and put in the one layout: x uint8 or float32 (N, C, H, W) (N×H×W×C transposed and
    N×H×W given a channel when unambiguous, said in the notes), y int64 (N,). One-line ValueErrors name ``where``,
    the key (``kx``, ``ky``), the value and the fix: wrong shape, dtype, NaN or inf, pixels outside [0, 1], labels
    that are not integers, negative, or not below the number of ``class_names``."""
    x, notes = _layout(np.asarray(x), where, kx)
    x = _pixels(x, where, kx)
    y = _labels(np.asarray(y), len(x), where, kx, ky, class_names)
    return x, y, notes


def _layout(x: np.ndarray, where: str, kx: str) -> tuple[np.ndarray, list[str]]:
    fix = "store the images as N×C×H×W"
    if x.ndim not in (3, 4):
        raise ValueError(f"{where}: key {kx!r} has shape {x.shape}, not images; {fix}")
    if len(x) == 0:
        raise ValueError(f"{where}: key {kx!r} holds no images (shape {x.shape}); store at least one")
    if x.ndim == 3:
        return x[:, None], [f"{kx} was N×H×W: read as one channel"]
    first, last = x.shape[1] in CHANNEL_COUNTS, x.shape[3] in CHANNEL_COUNTS
    if first and last:
        return x, [f"{kx} of shape {x.shape} could be channels-first or -last: taken as N×C×H×W"]
    if first:
        return x, []
    if last:
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2)), [f"{kx} was N×H×W×C (channels last): transposed to "
                                                                 "N×C×H×W"]
    raise ValueError(f"{where}: key {kx!r} has shape {x.shape}: neither its second nor its last dimension is a "
                     f"channel count ({', '.join(map(str, CHANNEL_COUNTS))}); {fix}")


def _pixels(x: np.ndarray, where: str, kx: str) -> np.ndarray:
    if x.dtype == np.uint8:
        return x
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{where}: key {kx!r} has dtype {x.dtype}; store uint8 pixels 0..255 or floats in [0, 1]")
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.argwhere(bad.reshape(len(x), -1).any(axis=1))[0, 0])
        raise ValueError(f"{where}: key {kx!r} holds {int(bad.sum())} NaN or inf value(s), the first in image {i}; "
                         "fix or drop those images")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0 or hi > 1:
        hint = " (pixels 0..255? divide by 255)" if hi > 1 and lo >= 0 else " (normalised? undo it)"
        raise ValueError(f"{where}: key {kx!r} has values in [{lo:.4g}, {hi:.4g}], outside [0, 1]{hint}; store "
                         "pixels in [0, 1], normalisation belongs inside the model")
    return x.astype(np.float32, copy=False)


def _labels(y: np.ndarray, n: int, where: str, kx: str, ky: str, class_names) -> np.ndarray:
    if y.ndim != 1:
        hint = " (one-hot? store y.argmax(1))" if y.ndim == 2 else ""
        raise ValueError(f"{where}: key {ky!r} has shape {y.shape}{hint}; store one integer label per image")
    if len(y) != n:
        raise ValueError(f"{where}: key {ky!r} has {len(y)} labels but key {kx!r} has {n} images; give one label "
                         "per image")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{where}: key {ky!r} has dtype {y.dtype}; store integer class labels 0..K-1 "
                         "(y.astype(numpy.int64))")
    if y.min() < 0:
        i = int(np.argmin(y))
        raise ValueError(f"{where}: key {ky!r} has label {int(y[i])} at index {i}; labels must be 0..K-1")
    if class_names is not None and y.max() >= len(class_names):
        i = int(np.argmax(y))
        raise ValueError(f"{where}: key {ky!r} has label {int(y[i])} at index {i} but there are {len(class_names)} "
                         f"class names; labels must be 0..{len(class_names) - 1}")
    return y.astype(np.int64, copy=False)
