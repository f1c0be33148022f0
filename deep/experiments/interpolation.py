"""Figure 4 data and the smoothness half of claim 11: frames on the straight line from an image to its large-ε
adversarial example, x_t = (1 − t)·x + t·x_adv for t = 0, 1/(F−1), …, 1 (F = 20 in the paper).

The attacked model's own probabilities along the path (:func:`interpolation_study`) are circular evidence (the
model that made the path judges it), so claim 11's "smooth" is measured by J1 (:mod:`deep.experiments.knn`,
:func:`judged_paths`; docs/experiments.md, "Claim 11"):

* **one change** — among paths whose last frame J1 labels another class than the true one, the fraction whose J1
  label changes exactly once along the F frames (true class, then the final class, with no flip back and no third
  class on the way);
* **near real digits** — each frame's Euclidean distance to its nearest training image, as a percentile of the same
  distance for clean test images (100 · the fraction of clean test images at most that far from the training set);
  a path *stays near* when every frame is at or below the 95th percentile.

Robust against standard (:func:`compare_paths`) is paired over seeds × images: the percentile measures with the
crossed-design interval, the one-change fraction (defined only where both paths end in another class) with the
same interval for a ratio (:func:`deep.experiments.crossed.crossed_ratio`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from . import crossed, metrics
from .knn import KNNJudge
from .large_eps import predict_logits

NEAR_PERCENTILE = 95.0


def interpolate(x: np.ndarray, x_adv: np.ndarray, frames: int) -> np.ndarray:
    """``(N, frames, C, H, W)``: evenly spaced points from ``x`` (frame 0) to ``x_adv`` (last frame)."""
    if frames < 2:
        raise ValueError(f"frames must be >= 2, got {frames}")
    x = np.asarray(x, dtype=np.float32)
    x_adv = np.asarray(x_adv, dtype=np.float32)
    if x.shape != x_adv.shape:
        raise ValueError(f"x {x.shape} and x_adv {x_adv.shape} must have the same shape")
    t = np.linspace(0.0, 1.0, frames, dtype=np.float32).reshape(1, frames, *([1] * (x.ndim - 1)))
    return (1 - t) * x[:, None] + t * x_adv[:, None]


@dataclass
class InterpolationData:
    """Per model: the frames of the shown images and its own class probabilities along every image's path."""

    frames: int
    strips: dict[str, np.ndarray] = field(default_factory=dict)  # (n_show, F, C, H, W)
    probs: dict[str, np.ndarray] = field(default_factory=dict)  # (N, F, K)


def interpolation_study(models: dict[str, torch.nn.Module], images: np.ndarray, adv: dict[str, np.ndarray],
                        frames: int, n_show: int) -> InterpolationData:
    """Frames from each image to each model's large-ε example, and that model's probabilities along them."""
    out = InterpolationData(frames=frames)
    for name, model in models.items():
        path = interpolate(images, adv[name], frames)
        n, f = path.shape[:2]
        logits = predict_logits(model, torch.from_numpy(path.reshape(n * f, *path.shape[2:])))
        out.probs[name] = metrics.probabilities(logits).reshape(n, f, -1)
        out.strips[name] = path[:n_show]
    return out


def smoothness_payload(data: InterpolationData) -> dict:
    """``{model: interpolation_smoothness(...)}`` for the ``deep.large_eps`` payload."""
    return {name: metrics.interpolation_smoothness(p) for name, p in data.probs.items()}


def label_changes(path_labels: np.ndarray) -> np.ndarray:
    """Number of times the label changes between consecutive frames, per path: ``path_labels`` (N, F) → (N,)."""
    lab = np.asarray(path_labels)
    if lab.ndim != 2:
        raise ValueError(f"path_labels must be (N, F), got {lab.shape}")
    return (lab[:, 1:] != lab[:, :-1]).sum(axis=1)


def distance_percentiles(distances: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``100 ·`` the fraction of ``reference`` values ≤ each distance (the empirical CDF of the clean test images'
    nearest-training distances), same shape as ``distances``."""
    ref = np.sort(np.asarray(reference, dtype=float).ravel())
    if ref.size == 0:
        raise ValueError("the reference distribution is empty")
    d = np.asarray(distances, dtype=float)
    return 100.0 * np.searchsorted(ref, d, side="right") / ref.size


def clean_reference(judge: KNNJudge, clean_images: np.ndarray) -> np.ndarray:
    """Nearest-training distances of clean test images: the reference of :func:`distance_percentiles`."""
    return judge.nearest_distance(clean_images)


@dataclass
class JudgedPaths:
    """J1 along every path of one model: the true ``labels`` (N,), J1's label of every frame ``path_labels`` (N, F)
    and every frame's nearest-training distance as a percentile among clean test images ``percentiles`` (N, F)."""

    labels: np.ndarray
    path_labels: np.ndarray
    percentiles: np.ndarray

    @property
    def end_other(self) -> np.ndarray:
        """(N,) the last frame's J1 label is not the true class."""
        return self.path_labels[:, -1] != self.labels

    @property
    def changes(self) -> np.ndarray:
        """(N,) number of J1 label changes along the path."""
        return label_changes(self.path_labels)

    @property
    def once(self) -> np.ndarray:
        """(N,) the J1 label changes exactly once (meaningful where :attr:`end_other`)."""
        return self.changes == 1

    @property
    def max_percentile(self) -> np.ndarray:
        """(N,) the farthest frame from the training set, as a percentile among clean test images."""
        return self.percentiles.max(axis=1)

    def near(self, level: float = NEAR_PERCENTILE) -> np.ndarray:
        """(N,) every frame is at or below the ``level`` percentile."""
        return self.max_percentile <= level


def judged_paths(judge: KNNJudge, images: np.ndarray, adv: np.ndarray, labels, frames: int,
                 reference: np.ndarray) -> JudgedPaths:
    """J1's label and nearest-training percentile for every frame of the paths from ``images`` to ``adv`` (the
    frames of :func:`interpolate`; one exact kNN search along the paths, :meth:`KNNJudge.kneighbors_path`, gives
    both)."""
    n, f = len(images), frames
    nb = judge.kneighbors_path(images, adv, frames)
    path_labels = judge.votes(nb).argmax(axis=1).reshape(n, f)
    pct = distance_percentiles(nb.distances[:, 0].reshape(n, f), reference)
    return JudgedPaths(np.asarray(labels).astype(int), path_labels, pct)


@dataclass
class PathComparison:
    """Robust against standard along the paths, pooled over seeds (docs/experiments.md, "Claim 11"): per model the
    one-change fraction among paths ending in another class and the fraction of paths staying near (Wilson), and the
    paired differences robust − standard (:class:`deep.experiments.crossed.CrossedMean`): ``once`` on the (seed,
    image) cells where both paths end in another class (a ratio: delta method), ``max_percentile`` and ``near`` on
    all cells (crossed interval). ``mean_curve`` per model: the mean percentile of each frame."""

    seeds: list[int]
    once_rate: dict[str, dict]
    near_rate: dict[str, dict]
    once: crossed.CrossedMean
    max_percentile: crossed.CrossedMean
    near: crossed.CrossedMean
    mean_curve: dict[str, list[float]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"seeds": self.seeds, "once_rate": self.once_rate, "near_rate": self.near_rate,
                "once_robust_minus_standard": self.once.interval(),
                "max_percentile_robust_minus_standard": self.max_percentile.interval(),
                "near_robust_minus_standard": self.near.interval(), "mean_percentile_curve": self.mean_curve,
                "near_percentile": NEAR_PERCENTILE}


def compare_paths(robust: dict[int, JudgedPaths], standard: dict[int, JudgedPaths]) -> PathComparison:
    """Robust against standard paths (``{seed: JudgedPaths}`` of each recipe, the same images), paired over the
    seeds both have and over the images."""
    seeds = sorted(set(robust) & set(standard))
    if not seeds:
        raise ValueError("no seed shared by the robust and standard paths")
    for s in seeds:
        if not np.array_equal(robust[s].labels, standard[s].labels):
            raise ValueError(f"seed {s}: robust and standard paths start from other images")
    r = [robust[s] for s in seeds]
    t = [standard[s] for s in seeds]

    def stack(ps, f):
        return np.stack([f(p) for p in ps]).astype(float)

    end_r, end_t = stack(r, lambda p: p.end_other), stack(t, lambda p: p.end_other)
    once_r, once_t = stack(r, lambda p: p.once), stack(t, lambda p: p.once)
    near_r, near_t = stack(r, lambda p: p.near()), stack(t, lambda p: p.near())

    def rate(flags, mask=None):
        m = np.ones_like(flags, dtype=bool) if mask is None else mask.astype(bool)
        return metrics.proportion_interval(int(flags[m].sum()), int(m.sum()))

    return PathComparison(
        seeds=seeds,
        once_rate={"robust": rate(once_r, end_r), "standard": rate(once_t, end_t)},
        near_rate={"robust": rate(near_r), "standard": rate(near_t)},
        once=crossed.crossed_ratio(once_r - once_t, (end_r * end_t) > 0,
                                   what="one-change fraction, robust − standard (paths of both ending in another "
                                        "class)"),
        max_percentile=crossed.paired_difference(stack(r, lambda p: p.max_percentile),
                                                 stack(t, lambda p: p.max_percentile)),
        near=crossed.paired_difference(near_r, near_t),
        mean_curve={"robust": np.mean([p.percentiles.mean(axis=0) for p in r], axis=0).tolist(),
                    "standard": np.mean([p.percentiles.mean(axis=0) for p in t], axis=0).tolist()})
