"""Two-class and many-class problems of the cached image data sets as uint8 arrays: ``load_pair("mnist", 5, 7,
"train")``, ``load_classes("mnist", range(10), "test", per_class=500)``.

Pixels stay uint8 levels 0..255 (the exact form for distance computations; divide by 255 for [0, 1]). For a pair the
labels are +1 for the first class and -1 for the second (data.subsets.binary_subset); for many classes they are the
class numbers. CIFAR-10 classes may be given by number or name.
"""

from __future__ import annotations

import os

import numpy as np

from .cifar10 import CIFAR10_CLASSES
from .registry import DATASETS
from .subsets import binary_subset

#: the data sets whose two-class problems the exact studies use (data.registry ``pairs``)
PAIR_DATASETS = tuple(n for n, d in DATASETS.items() if d.pairs)


def class_number(dataset: str, c) -> int:
    """A class as its number 0-9 (CIFAR-10 names allowed); ValueError naming the choices otherwise."""
    if dataset == "cifar10" and isinstance(c, str) and c.lower() in CIFAR10_CLASSES:
        return CIFAR10_CLASSES.index(c.lower())
    try:
        k = int(c)
    except (TypeError, ValueError):
        names = f" or a name ({', '.join(CIFAR10_CLASSES)})" if dataset == "cifar10" else ""
        raise ValueError(f"class {c!r} of {dataset}: give a number 0-9{names}") from None
    if not 0 <= k <= 9:
        raise ValueError(f"class {k} of {dataset}: classes are 0-9")
    return k


def load_pair(dataset: str, positive, negative, split: str = "train", root: str | os.PathLike | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 (n, C, H, W), labels int64 in {+1, -1})`` of two classes of a cached data set split."""
    if dataset not in PAIR_DATASETS:
        raise ValueError(f"unknown data set {dataset!r}; choose one of {', '.join(PAIR_DATASETS)}")
    a, b = class_number(dataset, positive), class_number(dataset, negative)
    if a == b:
        raise ValueError(f"the two classes must differ (got {a} twice)")
    return binary_subset(*DATASETS[dataset].read(split, root), a, b)


def check_classes(dataset: str, classes) -> list[int]:
    """Class numbers of ``classes`` (numbers, CIFAR-10 names, or the word ``all`` for 0-9), at least two, none twice;
    ValueError naming the problem otherwise."""
    items = [str(c) for c in classes]
    if any(c.lower() == "all" for c in items):
        if len(items) > 1:
            raise ValueError("give either 'all' or a list of classes, not both")
        return list(range(10))
    nums = [class_number(dataset, c) for c in items]
    seen: set[int] = set()
    for k in nums:
        if k in seen:
            raise ValueError(f"class {k} is given twice; the classes must differ (list each once)")
        seen.add(k)
    if len(nums) < 2:
        raise ValueError(f"need at least two classes (got {len(nums)}); e.g. 5 7, or all")
    return nums


def load_classes(dataset: str, classes, split: str = "train", root: str | os.PathLike | None = None,
                 per_class: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 (n, C, H, W), labels int64 = class numbers)`` of the given classes of a cached data set split
    (file order kept); with ``per_class`` only the first that many examples of each class."""
    if dataset not in PAIR_DATASETS:
        raise ValueError(f"unknown data set {dataset!r}; choose one of {', '.join(PAIR_DATASETS)}")
    nums = check_classes(dataset, classes)
    if per_class is not None and not (isinstance(per_class, (int, np.integer)) and per_class >= 1):
        raise ValueError(f"per_class must be an integer >= 1 (got {per_class!r})")
    images, labels = DATASETS[dataset].read(split, root)
    labels = np.asarray(labels, dtype=np.int64)
    keep = []
    for k in nums:
        idx = np.flatnonzero(labels == k)
        if len(idx) == 0:
            raise ValueError(f"class {k} does not occur in {dataset} {split}")
        keep.append(idx if per_class is None else idx[:per_class])
    idx = np.sort(np.concatenate(keep))
    return images[idx], labels[idx]
