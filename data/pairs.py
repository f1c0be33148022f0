"""Two-class problems of the cached image data sets as uint8 arrays: ``load_pair("mnist", 5, 7, "train")``.

Pixels stay uint8 levels 0..255 (the exact form for distance computations; divide by 255 for [0, 1]); labels are
+1 for the first class and -1 for the second (data.subsets.binary_subset). CIFAR-10 classes may be given by number
or name.
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
    images, labels = DATASETS[dataset].read(split, root)
    return binary_subset(images, labels, a, b)
