"""Restricted ImageNet (docs/paper.md §6): an ImageNet-style folder reduced to 9 super-classes, streamed from disk.

Layout: ``<root>/<split>/<wnid>/*.JPEG`` (also .jpg/.png). The ImageNet-1k class index of a wnid is its position in
the sorted list of the 1000 wnids shipped in ``data/resources/wnids-1000.txt``; super-class ``k`` holds the classes
whose index lies in the inclusive range of :data:`SUPERCLASSES` ``[k]``; folders of other classes are ignored.

The "balanced" variant keeps only 11 of the 118 dog classes (the authors' released file lists do the same). Which 11
they kept could not be confirmed, so :data:`BALANCED_DOG_WNIDS` is a RECONSTRUCTION (11 dog classes evenly spaced
over indices 151..268, see ``data/resources/restricted_imagenet.json``); pass ``dog_wnids=`` to use another list.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from .transforms import TestTransform, TrainTransform

#: (name, first, last): inclusive ImageNet-1k index ranges of the 9 super-classes, in label order.
SUPERCLASSES: tuple[tuple[str, int, int], ...] = (
    ("dog", 151, 268),
    ("cat", 281, 285),
    ("frog", 30, 32),
    ("turtle", 33, 37),
    ("bird", 80, 100),
    ("primate", 365, 382),
    ("fish", 389, 397),
    ("crab", 118, 121),
    ("insect", 300, 319),
)
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


def _resource_text(name: str) -> str:
    return resources.files(f"{__package__}.resources").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def imagenet_wnids() -> tuple[str, ...]:
    """The 1000 ImageNet-1k wnids in sorted order (position = class index)."""
    wnids = tuple(_resource_text("wnids-1000.txt").split())
    if len(wnids) != 1000 or list(wnids) != sorted(wnids):
        raise ValueError("data/resources/wnids-1000.txt must hold the 1000 ImageNet wnids, sorted")
    return wnids


@lru_cache(maxsize=1)
def restricted_imagenet_spec() -> dict:
    """The shipped JSON: super-class ranges and the (reconstructed) balanced dog list with its note."""
    return json.loads(_resource_text("restricted_imagenet.json"))


BALANCED_DOG_WNIDS: tuple[str, ...] = tuple(restricted_imagenet_spec()["balanced_dog_wnids"])


def superclass_of(index: int) -> int | None:
    """Super-class label (0..8) of ImageNet-1k class ``index``, or None if it is in no range."""
    for label, (_, first, last) in enumerate(SUPERCLASSES):
        if first <= index <= last:
            return label
    return None


def wnid_labels(balanced: bool = False, dog_wnids: Sequence[str] | None = None) -> dict[str, int]:
    """``{wnid: super-class label}`` for every ImageNet class Restricted ImageNet uses. With ``balanced`` (or an
    explicit ``dog_wnids``) the dog super-class keeps only the given dog classes."""
    wnids = imagenet_wnids()
    mapping = {w: lab for i, w in enumerate(wnids) if (lab := superclass_of(i)) is not None}
    if balanced or dog_wnids is not None:
        keep = list(dog_wnids) if dog_wnids is not None else list(BALANCED_DOG_WNIDS)
        bad = [w for w in keep if mapping.get(w) != 0]
        if bad:
            raise ValueError(f"dog_wnids must be wnids of dog classes (indices 151..268); not dogs: {', '.join(bad)}")
        keep_set = set(keep)
        mapping = {w: lab for w, lab in mapping.items() if lab != 0 or w in keep_set}
    return mapping


def load_image(path: str | os.PathLike) -> torch.Tensor:
    """Decode an image file into a float32 tensor (3, H, W) in [0, 1] (greyscale/CMYK converted to RGB);
    ValueError naming the file if it cannot be decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise ValueError(f"{path}: cannot decode image ({e}); remove or replace the file") from e
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).to(torch.float32).div_(255.0)


Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


class RestrictedImageNet(torch.utils.data.Dataset):
    """Restricted ImageNet as a map-style dataset streamed from ``<root>/<split>/<wnid>/*``.

    ``ds[i]`` decodes one image and returns ``(float32 tensor (3, 224, 224) in [0, 1], int64 label)``, using the
    train transform if ``train`` else the test transform (or ``transform``). The random transform of item ``i`` is
    seeded by ``(seed, epoch, i)`` (see :meth:`set_epoch`), so runs are reproducible, also with worker processes.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "val",
        balanced: bool = False,
        train: bool = False,
        transform: Transform | None = None,
        seed: int = 0,
        dog_wnids: Sequence[str] | None = None,
    ) -> None:
        self.root = Path(root).expanduser()
        self.split = split
        folder = self.root / split
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{folder}: no such folder; Restricted ImageNet needs an ImageNet-style folder <root>/{split}/<wnid>/*"
            )
        mapping = wnid_labels(balanced, dog_wnids)
        samples: list[tuple[Path, int, str]] = []
        for d in sorted(p for p in folder.iterdir() if p.is_dir() and p.name in mapping):
            names = sorted(e.name for e in os.scandir(d) if e.name.lower().endswith(IMAGE_SUFFIXES))
            samples += [(d / n, mapping[d.name], d.name) for n in names]
        if not samples:
            raise FileNotFoundError(
                f"{folder}: no images of Restricted ImageNet classes (expected <wnid>/*.JPEG folders with wnids "
                "of the 9 super-class ranges)"
            )
        self.samples = samples
        self.classes = [name for name, _, _ in SUPERCLASSES]
        self.train = train
        self.transform: Transform = (
            transform if transform is not None else (TrainTransform() if train else TestTransform())
        )
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        """Change the random transforms for a new epoch (deterministically)."""
        self.epoch = int(epoch)

    def generator(self, index: int) -> torch.Generator:
        """The generator seeding item ``index``'s transform at the current epoch."""
        state = np.random.SeedSequence([self.seed, self.epoch, index]).generate_state(1, dtype=np.uint64)[0]
        return torch.Generator().manual_seed(int(state) & ((1 << 63) - 1))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} images")
        index %= len(self)
        path, label, _ = self.samples[index]
        img = self.transform(load_image(path), self.generator(index))
        return img, torch.tensor(label, dtype=torch.int64)

    @property
    def labels(self) -> np.ndarray:
        """Super-class label of every image (int64), without decoding anything."""
        return np.array([lab for _, lab, _ in self.samples], dtype=np.int64)

    def counts(self) -> dict[str, int]:
        """Number of images per super-class."""
        c = np.bincount(self.labels, minlength=len(self.classes))
        return {name: int(c[k]) for k, name in enumerate(self.classes)}

    def class_counts(self) -> dict[str, int]:
        """Number of ImageNet classes (wnid folders with images) per super-class."""
        seen = {(lab, w) for _, lab, w in self.samples}
        c = np.bincount([lab for lab, _ in seen], minlength=len(self.classes))
        return {name: int(c[k]) for k, name in enumerate(self.classes)}
