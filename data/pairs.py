"""Two-class and many-class problems of the cached image data sets as uint8 arrays: ``load_pair("mnist", 5, 7,
"train")``, ``load_classes("mnist", range(10), "test", per_class=500)``.

Pixels stay uint8 levels 0..255 (the exact form for distance computations; divide by 255 for [0, 1]). For a pair the
labels are +1 for the first class and -1 for the second (data.subsets.binary_subset); for many classes they are the
class numbers. A class is given by its number, or by its name where the data set names its classes
(data.registry ``class_names``: CIFAR-10's ``cat``, ...).
"""

from __future__ import annotations

import os

import numpy as np

from .registry import DATASETS, dataset_info
from .subsets import binary_subset

#: the data sets whose two-class problems the exact studies use (data.registry ``pairs``)
PAIR_DATASETS = tuple(n for n, d in DATASETS.items() if d.pairs)


def _class_names(dataset: str) -> tuple[str, ...]:
    """The class names of ``dataset`` in label order, lower case; empty when its classes are just numbered."""
    info = dataset_info(dataset)
    names = tuple(n.lower() for n in info.class_names)
    return () if names == tuple(str(i) for i in range(info.num_classes)) else names


def class_number(dataset: str, c) -> int:
    """A class as its number 0..K-1 (its name where the data set names its classes, data.registry); ValueError
    naming the choices otherwise."""
    top, names = dataset_info(dataset).num_classes - 1, _class_names(dataset)
    if names and isinstance(c, str) and c.lower() in names:
        return names.index(c.lower())
    try:
        k = int(c)
    except (TypeError, ValueError):
        hint = f" or a name ({', '.join(names)})" if names else ""
        raise ValueError(f"class {c!r} of {dataset}: give a number 0-{top}{hint}") from None
    if not 0 <= k <= top:
        raise ValueError(f"class {k} of {dataset}: classes are 0-{top}")
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
    """Class numbers of ``classes`` (numbers, names where the data set names its classes, or the word ``all`` for
    every class), at least two, none twice; ValueError naming the problem otherwise."""
    items = [str(c) for c in classes]
    if any(c.lower() == "all" for c in items):
        if len(items) > 1:
            raise ValueError("give either 'all' or a list of classes, not both")
        return list(range(dataset_info(dataset).num_classes))
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
