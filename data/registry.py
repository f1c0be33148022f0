"""The one dataset registry: every fact the project knows about a data set, under one name per data set.

Everything else (the training configs, the experiment definitions, the CLI's choices, the campaign's packing, the
report's labels and class counts) reads this table. A data set's one spelling is its ``name`` (``mnist``,
``cifar10``, ``restricted_imagenet``, ``restricted_tiny_imagenet``, ``toy``): configs, commands and code use it.
``label`` is how result files name the data actually used (``cifar10-jpeg`` says the pixels are the JPEG copy's,
not the official ones); ``variants`` are the labels (and titles) of other copies of the same data set that result
files may name: the official CIFAR-10 files (``cifar10``), the full Restricted ImageNet (``restricted-imagenet``).
A two-class problem of a data set is labelled ``<label> <a>-vs-<b>`` (``mnist 5-vs-7``).

Adding a data set means one :class:`Dataset` entry here plus its reader (a function ``(split, root) -> (images,
labels)`` in a module of its own); docs/architecture.md lists the files.

``root_var`` names the environment variable that points at a copy the project cannot fetch itself
(``$TRADEOFF_CIFAR10_ROOT``, ...); :func:`dataset_root` reads it. Readers are imported only when they are called,
so that reading this table costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Reader = Callable[[str, "Path | None"], tuple[Any, Any]]
Opener = Callable[[str, Path, bool], Any]


def _read_mnist(split: str, root: Path | None):
    from .mnist import load_mnist

    return load_mnist(split, root)


def _read_cifar10(split: str, root: Path | None):
    from .cifar10 import load_cifar10

    return load_cifar10(split, root, progress=False)


def _read_tiny_imagenet(split: str, root: Path | None):
    from .tiny_imagenet import load_restricted_tiny_imagenet

    if root is None:
        raise ValueError("restricted_tiny_imagenet needs its folder (train/<wnid>/*.JPEG, val/<wnid>/*.JPEG): set "
                         "$TRADEOFF_TINY_IMAGENET_ROOT or data_root / --root")
    return load_restricted_tiny_imagenet(split, root)


def _read_toy(split: str, root: Path | None):
    from .toy import toy_data

    if root is not None:  # never ignored: a folder given for the synthetic set is a mistake
        raise ValueError(f"dataset 'toy' is synthetic and reads no folder, but data_root / --root is {root}; leave "
                         "it unset")
    return toy_data(split)


def _open_imagenet(split: str, root: Path, train: bool):
    from .imagenet import RestrictedImageNet

    return RestrictedImageNet(root, split, train=train)


def _cifar10_names() -> tuple[str, ...]:
    from .cifar10 import CIFAR10_CLASSES

    return CIFAR10_CLASSES


def _imagenet_names() -> tuple[str, ...]:
    from .imagenet import SUPERCLASSES

    return tuple(name for name, _, _ in SUPERCLASSES)


def _tiny_names() -> tuple[str, ...]:
    from .tiny_imagenet import SUPERCLASS_NAMES

    return SUPERCLASS_NAMES


@dataclass(frozen=True)
class Dataset:
    """One data set: its name (the one spelling), how results and figures name it, its shape, classes, splits and
    sizes, the per-channel statistics its models normalise with (inside the model: inputs stay in [0, 1]), where
    its files come from, and its reader.

    ``sizes`` maps each split to its number of examples (absent where it depends on the folder: the Restricted
    ImageNet copy). ``in_memory``: the whole split fits in memory as one tensor, read by ``reader`` (False: read
    image by image, the full-size ImageNet folders: ``opener(split, root, train)`` is a map-style dataset of the
    folder, ``ds[i] -> (image, label)``, with training augmentation when ``train``). ``fetchable``: ``tradeoff data
    fetch NAME`` downloads it. ``pairs``: two-class problems of it can be formed for the exact studies (data.pairs,
    data limit). ``packed_ratio``: the size of its tar + gzip pack over its source files' bytes, measured by
    deep.experiments.campaign_data.pack_data (MNIST 11.0 MiB of 52.4; CIFAR-10 JPEG 19.5 of 52.7; Restricted Tiny
    ImageNet 16.7 of 23.9), rounded up; None: not packed for a GPU window. ``reads_folder``: False for a data set
    made in memory (``toy``), which refuses a folder instead of ignoring it."""

    name: str
    title: str
    label: str
    num_classes: int
    in_channels: int
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    names: Callable[[], tuple[str, ...]]
    reader: Reader | None = None
    opener: Opener | None = None
    train_split: str = "train"
    test_split: str = "test"
    sizes: tuple[tuple[str, int], ...] = ()
    root_var: str | None = None
    in_memory: bool = True
    fetchable: bool = False
    pairs: bool = False
    note: str = ""
    variants: tuple[tuple[str, str], ...] = ()
    packed_ratio: float | None = None
    reads_folder: bool = True

    @property
    def class_names(self) -> tuple[str, ...]:
        """The class names in label order (label i is ``class_names[i]``)."""
        return self.names()

    @property
    def input_dim(self) -> int:
        """Pixels per image, channels included (C·H·W at the data set's own size): the n of the [0, 1]^n box whose
        diameter bounds an l_2 radius (data.checks.eps)."""
        return self.in_channels * self.image_size**2

    @property
    def paper_label(self) -> str:
        """The label of the data set the paper used (the official copy: the first variant), else :attr:`label`."""
        return self.variants[0][0] if self.variants else self.label

    @property
    def train_size(self) -> int | None:
        """Examples in the training split (None where it depends on the folder)."""
        return dict(self.sizes).get(self.train_split)

    @property
    def test_size(self) -> int | None:
        """Examples in the held-out split (None where it depends on the folder)."""
        return dict(self.sizes).get(self.test_split)

    def split_size(self, split: str) -> int | None:
        """Examples in ``split`` (``"test"`` means the held-out split, ``val`` for the ImageNet stand-ins)."""
        return dict(self.sizes).get(self.test_split if split == "test" else split)

    def read(self, split: str, root: str | os.PathLike | None = None):
        """``(images, labels)`` of ``split`` (``"test"`` = the held-out split): uint8 ``(N, C, H, W)`` pixels (or
        float images in [0, 1] for the synthetic ``toy``) and int64 labels. ``root``: the folder of the copy, else
        ``$<root_var>``, else the cache (a data set that needs a folder and has none: a ValueError naming the
        variable to set)."""
        if self.reader is None:
            raise ValueError(f"dataset {self.name!r} is read image by image from its folder, not as one array; "
                             "use tradeoff.deep.datasets.open_dataset")
        folder = Path(root).expanduser() if root is not None else dataset_root(self.name)
        held_out = self.test_split if split == "test" else split
        return self.reader(held_out, folder)


_RIN_NOTE = ("Restricted ImageNet sample: trained AND tested on the same 203 images (the sample has one split); "
             "accuracies measure fitting, not generalisation; toy end-to-end run")
_TINY_NOTE = ("Restricted Tiny ImageNet: the 24 Tiny ImageNet classes inside 6 of the 9 Restricted ImageNet "
              "super-classes (no turtle, fish or crab), 64 px; a stand-in, not Restricted ImageNet")

#: Every data set, by its one name.
DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("mnist", "MNIST", "mnist", 10, 1, 28, (0.1307,), (0.3081,),
            names=lambda: tuple(str(i) for i in range(10)), reader=_read_mnist,
            sizes=(("train", 60000), ("test", 10000)), fetchable=True, pairs=True, packed_ratio=0.22),
    Dataset("cifar10", "CIFAR-10 (JPEG copy)", "cifar10-jpeg", 10, 3, 32, (0.4914, 0.4822, 0.4465),
            (0.2470, 0.2435, 0.2616), names=_cifar10_names, reader=_read_cifar10,
            sizes=(("train", 50000), ("test", 10000)), root_var="TRADEOFF_CIFAR10_ROOT", pairs=True,
            note="CIFAR-10 JPEG copy (not the official files)", variants=(("cifar10", "CIFAR-10"),),
            packed_ratio=0.40),
    Dataset("restricted_imagenet",
            "Restricted ImageNet (203-image sample, toy scale; trained and tested on the same images)",
            "restricted-imagenet-sample", 9, 3, 224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225),
            names=_imagenet_names, opener=_open_imagenet, train_split="val", test_split="val",
            root_var="TRADEOFF_IMAGENET_ROOT", in_memory=False, note=_RIN_NOTE,
            variants=(("restricted-imagenet", "Restricted ImageNet"),)),
    # mean/std: the per-channel statistics of the 12,000 training images (measured on the real folder)
    Dataset("restricted_tiny_imagenet", "Restricted Tiny ImageNet (6 of 9 super-classes, 64 px)",
            "restricted-tiny-imagenet", 6, 3, 64, (0.4803, 0.4592, 0.3740), (0.2586, 0.2513, 0.2591),
            names=_tiny_names, reader=_read_tiny_imagenet, test_split="val",
            sizes=(("train", 12000), ("val", 1200)), root_var="TRADEOFF_TINY_IMAGENET_ROOT", note=_TINY_NOTE,
            packed_ratio=0.72),
    Dataset("toy", "toy (synthetic)", "toy (synthetic)", 4, 1, 12, (0.5,), (0.25,),
            names=lambda: ("0", "1", "2", "3"), reader=_read_toy, sizes=(("train", 2000), ("test", 1000)),
            reads_folder=False),
)}

#: The data sets of the paper's deep experiments (every registered one but the synthetic ``toy``).
PAPER_DATASETS = tuple(n for n in DATASETS if n != "toy")


def dataset_info(name: str) -> Dataset:
    """The :class:`Dataset` called ``name``; a ValueError naming the choices otherwise."""
    if name in DATASETS:
        return DATASETS[name]
    raise ValueError(f"dataset {name!r} is unknown: choose one of {', '.join(DATASETS)}")


def _label_title(label: str) -> tuple[Dataset, str] | None:
    """The data set and the title of ``label``: a data set's own label first, then a variant's, then a name."""
    for d in DATASETS.values():
        if label == d.label:
            return d, d.title
    for d in DATASETS.values():
        for variant, title in d.variants:
            if label == variant:
                return d, title
    return (DATASETS[label], DATASETS[label].title) if label in DATASETS else None


def by_label(label: str) -> Dataset | None:
    """The data set a result file's ``label`` (its own, its name, or a variant's) names, or None for an unknown
    label."""
    found = _label_title(str(label))
    return found[0] if found else None


def display_name(label: Any) -> str:
    """The title of the data a result label names (``"cifar10-jpeg"`` -> ``"CIFAR-10 (JPEG copy)"``, ``"cifar10"``
    -> ``"CIFAR-10"``, ``"mnist 5-vs-7"`` -> ``"MNIST 5 vs 7"``); an unknown label is returned as it is."""
    if label is None:
        return "unknown dataset"
    text = str(label)
    base, _, pair = text.rpartition(" ")
    if base and "-vs-" in pair:
        found = _label_title(base)
        return f"{found[1]} {pair.replace('-vs-', ' vs ')}" if found else text
    found = _label_title(text)
    return found[1] if found else text


def dataset_root(name: str) -> Path | None:
    """The folder ``$<root_var>`` of data set ``name`` names (a CIFAR-10 copy in any of its formats; an ImageNet
    folder or sample with ``train/`` and/or ``val/``; the Restricted Tiny ImageNet folder), or None when the
    variable is unset or the data set has none (MNIST and CIFAR-10 then use the cache)."""
    var = dataset_info(name).root_var
    env = os.environ.get(var) if var else None
    return Path(env).expanduser() if env else None


def dataset_size(name: str, value: Any, dataset: str, split: str, *, low: int = 1,
                 fix: str | None = None) -> int | None:
    """A number of examples of ``dataset``'s ``split`` (``"train"``, ``"test"`` = the held-out split), checked by
    data.checks (``name``: the option or config field): None (all), or an integer in [low, the split's size]; a size
    beyond the split is refused, never cut."""
    from .checks import integer

    if value is None:
        return None
    size = dataset_info(dataset).split_size(split)
    where = f"{dataset}'s {'held-out' if split == 'test' else split} split has {size}" if size is not None else ""
    return integer(name, value, low=low, high=size,
                   fix=fix or (f"{where} examples; give at most {size}, or none for all of them" if where else None))
