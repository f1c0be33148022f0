"""What claim 11 judges, saved so that anyone can judge it again: the large-ε examples of every attacked model, their
source images and labels, the models' names and seeds, the attacks' norms and ε, and the attacked models'
predictions on the clean images and on the examples, in one ``.npz`` file (written atomically).

Layout (every array plain, no pickled objects; ``np.load(path)`` reads it):

* ``images`` (N, C, H, W) float32 in [0, 1], ``labels`` (N,) int64, ``image_index`` (N,) int64 (position in the
  dataset's test split, −1 when unknown), ``dataset`` (a 0-d string);
* per record m (one attacked model and one attack): ``model`` (M,) recipe names, ``seed`` (M,), ``norm`` (M,)
  ("inf" or "2"), ``eps`` (M,), ``adv`` (M, N, C, H, W) float32 examples of the same N images, ``pred_clean`` and
  ``pred_adv`` (M, N) the attacked model's labels on the images and on the examples;
* ``format`` (a 0-d string) names this layout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tradeoff.data.io import atomic_write

FORMAT = "tradeoff.judged_examples/1"


@dataclass
class JudgedExamples:
    """The arrays of the module docstring (records along the first axis of ``adv``, ``pred_clean``, ``pred_adv``)."""

    dataset: str
    images: np.ndarray
    labels: np.ndarray
    image_index: np.ndarray
    model: np.ndarray
    seed: np.ndarray
    norm: np.ndarray
    eps: np.ndarray
    adv: np.ndarray
    pred_clean: np.ndarray
    pred_adv: np.ndarray

    def __post_init__(self):
        self.images = np.asarray(self.images, dtype=np.float32)
        self.labels = np.asarray(self.labels).astype(np.int64)
        self.image_index = np.asarray(self.image_index).astype(np.int64)
        self.model = np.asarray(self.model).astype(str)
        self.seed = np.asarray(self.seed).astype(np.int64)
        self.norm = np.asarray(self.norm).astype(str)
        self.eps = np.asarray(self.eps, dtype=np.float64)
        self.adv = np.asarray(self.adv, dtype=np.float32)
        self.pred_clean = np.asarray(self.pred_clean).astype(np.int64)
        self.pred_adv = np.asarray(self.pred_adv).astype(np.int64)
        n, m = len(self.labels), len(self.model)
        if self.images.shape[0] != n or self.image_index.shape != (n,):
            raise ValueError(f"images {self.images.shape} / image_index {self.image_index.shape} do not match "
                             f"{n} labels")
        if self.adv.shape != (m, *self.images.shape):
            raise ValueError(f"adv must be (M, N, C, H, W) = {(m, *self.images.shape)}, got {self.adv.shape}")
        for name in ("seed", "norm", "eps"):
            if getattr(self, name).shape != (m,):
                raise ValueError(f"{name} must have one entry per record ({m}), got {getattr(self, name).shape}")
        for name in ("pred_clean", "pred_adv"):
            if getattr(self, name).shape != (m, n):
                raise ValueError(f"{name} must be (M, N) = {(m, n)}, got {getattr(self, name).shape}")
        keys = list(zip(self.model.tolist(), self.seed.tolist(), self.norm.tolist()))
        if len(set(keys)) != len(keys):
            raise ValueError("two records share (model, seed, norm)")

    def record(self, model: str, seed: int, norm: str) -> int:
        """Index of the record of ``model`` at ``seed`` attacked in ``norm`` (KeyError if absent)."""
        hit = np.flatnonzero((self.model == model) & (self.seed == seed) & (self.norm == norm))
        if hit.size == 0:
            raise KeyError(f"no record for model {model!r}, seed {seed}, norm {norm!r}")
        return int(hit[0])


def save_judged(path: str | os.PathLike, ex: JudgedExamples) -> Path:
    """Write ``ex`` to ``path`` (a compressed ``.npz``) atomically and return the path."""
    arrays = {"format": np.array(FORMAT), "dataset": np.array(ex.dataset), "images": ex.images, "labels": ex.labels,
              "image_index": ex.image_index, "model": ex.model, "seed": ex.seed, "norm": ex.norm, "eps": ex.eps,
              "adv": ex.adv, "pred_clean": ex.pred_clean, "pred_adv": ex.pred_adv}
    return atomic_write(path, lambda f: np.savez_compressed(f, **arrays))


def load_judged(path: str | os.PathLike) -> JudgedExamples:
    """Read a file written by :func:`save_judged` (no pickle); ValueError naming the file if it is not one."""
    with np.load(path, allow_pickle=False) as z:
        if "format" not in z.files or str(z["format"]) != FORMAT:
            raise ValueError(f"{path}: not a judged-examples file ({FORMAT})")
        return JudgedExamples(dataset=str(z["dataset"]), images=z["images"], labels=z["labels"],
                              image_index=z["image_index"], model=z["model"], seed=z["seed"], norm=z["norm"],
                              eps=z["eps"], adv=z["adv"], pred_clean=z["pred_clean"], pred_adv=z["pred_adv"])
