"""J1, the primary judge of claim 11: exact k-nearest neighbours in pixel space over the whole training set.

Rule (docs/experiments.md, "Claim 11"; fixed before any data). An image x (flattened, pixels in [0, 1]) gets the
labels of its k training images at the smallest Euclidean distance ‖x − t‖₂ (k = 10 by default). Its probability
of class c is the vote fraction (number of the k neighbours of class c)/k, and its label is the class with the most
votes; a tie in the vote goes to the **smaller class index**. Where the k-th and (k+1)-th distances are exactly
equal, the training image with the smaller index is taken. These are scikit-learn's
``KNeighborsClassifier(n_neighbors=k, algorithm="brute")`` rules (``predict`` is the argmax of ``predict_proba``,
whose first maximum is the smallest class), so anyone can recompute J1's labels with it; the two can differ only
where two training images are at exactly the same distance at the k-th place, whose order scikit-learn does not
promise (:attr:`Neighbours.boundary_ties` counts those queries).

Exactness. The squared distances are computed in batches as ‖q‖² + ‖t‖² − 2 q·t with a float32 matrix product (the
fast part), the ``k + margin + 1`` smallest are kept as candidates, and the candidates' distances are recomputed
in float64 from the pixel differences (the exact part). The float32 value of each squared distance is within
``E = γ (‖q‖ + ‖t‖)²`` of the exact one, ``γ = 2 (D + 3) u / (1 − (D + 3) u)`` (u = 2⁻²⁴, D pixels: twice the
forward error bound of a length-D dot product, the roundings of ‖q‖², ‖t‖² and the two additions, for any
summation order). Every training image outside the candidates has a float32 value at least that of the largest
candidate, v, so its exact squared distance is at least ``v − E_max`` (E_max with the largest ‖t‖ of the training
set); a query whose exact k-th candidate distance is below ``v − E_max`` has its k nearest neighbours among the
candidates. A query that fails this guard is recomputed over the whole training set in float64
(:attr:`Neighbours.n_fallback` counts them). The float32 matrix product runs at torch's "highest" float32 precision
(no TF32), restored afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

U32 = 2.0 ** -24  # unit roundoff of float32


@dataclass(frozen=True)
class Neighbours:
    """The exact k nearest training images of each query: ``distances`` (N, k) Euclidean in float64, ascending,
    ``indices`` (N, k) into the training set; ``n_fallback`` queries failed the float32 guard and were recomputed
    over the whole training set; ``boundary_ties`` queries had the k-th and (k+1)-th distances exactly equal."""

    distances: np.ndarray
    indices: np.ndarray
    n_fallback: int
    boundary_ties: int


def _flat(x) -> np.ndarray:
    a = np.asarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x)
    return a.reshape(len(a), -1)


class KNNJudge:
    """J1: exact kNN in pixel space (module docstring for the rule, the tie rules and the exactness guard).

    ``train_x``: training images (N, ...) with pixels in [0, 1] (any shape per image; flattened), ``train_y`` their
    labels 0..K−1, ``n_classes`` K (default: max label + 1). Calling the judge on images gives the vote fractions
    (N, K), as every judge of :mod:`deep.experiments.judges` does."""

    def __init__(self, train_x, train_y, k: int = 10, n_classes: int | None = None, batch_size: int = 256,
                 margin: int = 20, device: str | torch.device = "cpu"):
        x = _flat(train_x).astype(np.float32, copy=False)
        y = np.asarray(train_y).astype(np.int64)
        if len(x) != len(y):
            raise ValueError(f"{len(x)} training images but {len(y)} labels")
        if not 1 <= k <= len(x):
            raise ValueError(f"k must be in 1..{len(x)}, got {k}")
        self.k = int(k)
        self.n_classes = int(n_classes if n_classes is not None else y.max() + 1)
        self.batch_size = int(batch_size)
        self.margin = int(margin)
        self.device = torch.device(device)
        self.train_y = y
        self._x32 = torch.from_numpy(np.ascontiguousarray(x)).to(self.device)
        self._train = x  # float32 values: the exact distances are those of these values, computed in float64
        sq = np.einsum("ij,ij->i", x.astype(np.float64), x.astype(np.float64))
        self._sq32 = torch.from_numpy(sq.astype(np.float32)).to(self.device)
        self._y_t = torch.from_numpy(y).to(self.device)
        d = x.shape[1]
        self._gamma = 2 * (d + 3) * U32 / (1 - (d + 3) * U32)  # twice the bound, for safety
        self._max_norm = float(np.sqrt(sq.max())) if len(sq) else 0.0

    @property
    def n_train(self) -> int:
        return len(self.train_y)

    def kneighbors(self, x, k: int | None = None, exclude_labels=None) -> Neighbours:
        """The exact ``k`` (default: the judge's k) nearest training images of each image of ``x``. With
        ``exclude_labels`` (N,), training images of label ``exclude_labels[i]`` are not neighbours of query i
        (e.g. the nearest image of *another* class)."""
        k = self.k if k is None else int(k)
        q = self._queries(x)
        excl = None if exclude_labels is None else np.asarray(exclude_labels).astype(np.int64)
        if excl is not None and len(excl) != len(q):
            raise ValueError(f"exclude_labels has {len(excl)} entries for {len(q)} queries")

        def chunks():
            for lo in range(0, len(q), self.batch_size):
                qb = q[lo:lo + self.batch_size]
                qsq = np.einsum("ij,ij->i", qb.astype(np.float64), qb.astype(np.float64))
                qt = torch.from_numpy(np.ascontiguousarray(qb)).to(self.device)
                d2 = torch.addmm(self._sq32[None, :], qt, self._x32.T, beta=1.0, alpha=-2.0)
                d2 += torch.from_numpy(qsq.astype(np.float32)).to(self.device)[:, None]
                err = self._gamma * (np.sqrt(qsq) + self._max_norm) ** 2
                yield qb, d2, err, None if excl is None else excl[lo:lo + self.batch_size]

        return self._search(chunks(), k)

    def kneighbors_path(self, x, x_end, frames: int, k: int | None = None) -> Neighbours:
        """The exact ``k`` nearest training images of every frame ``(1 − t)·x + t·x_end``, t = 0, 1/(F−1), …, 1, of
        the straight paths from ``x`` to ``x_end`` (the frames of :func:`deep.experiments.interpolation.
        interpolate`, float32); results (N·F, k), image by image, frame by frame. On a line the squared distance
        is a quadratic in t, ‖x − T‖² + 2t⟨δ, x − T⟩ + t²‖δ‖² with δ = x_end − x, so two matrix products per image
        give the float32 distances of all F frames; the guard uses ``E = γ (‖x‖ + ‖T‖ + t‖δ‖)²``, the candidates
        are recomputed in float64 from the frames themselves."""
        k = self.k if k is None else int(k)
        a, b = self._queries(x), self._queries(x_end)
        if a.shape != b.shape:
            raise ValueError(f"x {a.shape} and x_end {b.shape} must have the same shape")
        if frames < 2:
            raise ValueError(f"frames must be >= 2, got {frames}")
        t = np.linspace(0.0, 1.0, frames, dtype=np.float32)
        two_t = torch.from_numpy(2 * t).to(self.device)[None, :, None]
        t_sq = torch.from_numpy(t * t).to(self.device)

        def chunks():
            for lo in range(0, len(a), self.batch_size):  # the two matrix products for a block of images
                xa, xb = a[lo:lo + self.batch_size], b[lo:lo + self.batch_size]
                xa64, delta64 = xa.astype(np.float64), xb.astype(np.float64) - xa.astype(np.float64)
                xsq = np.einsum("ij,ij->i", xa64, xa64)
                dsq = np.einsum("ij,ij->i", delta64, delta64)
                dx = np.einsum("ij,ij->i", delta64, xa64)
                xt = torch.from_numpy(np.ascontiguousarray(xa)).to(self.device)
                dt = torch.from_numpy(np.ascontiguousarray(xb - xa)).to(self.device)
                base = torch.addmm(self._sq32[None, :], xt, self._x32.T, beta=1.0, alpha=-2.0)
                base += torch.from_numpy(xsq.astype(np.float32)).to(self.device)[:, None]
                lin = torch.addmm(torch.from_numpy(dx.astype(np.float32)).to(self.device)[:, None], dt, self._x32.T,
                                  beta=1.0, alpha=-1.0)
                quad = torch.from_numpy(dsq.astype(np.float32)).to(self.device)
                err = self._gamma * (np.sqrt(xsq)[:, None] + self._max_norm + t[None, :] * np.sqrt(dsq)[:, None]) ** 2
                per = max(1, self.batch_size // frames)
                for i in range(0, len(xa), per):  # the frames of a few images at a time
                    sl = slice(i, i + per)
                    n = len(xa[sl])
                    d2 = lin[sl, None, :] * two_t
                    d2 += base[sl, None, :]
                    d2 += (t_sq[None, :] * quad[sl, None])[:, :, None]
                    q = ((1 - t)[None, :, None] * xa[sl, None, :] + t[None, :, None] * xb[sl, None, :])
                    yield q.reshape(n * frames, -1), d2.reshape(n * frames, -1), err[sl].reshape(-1), None

        return self._search(chunks(), k)

    def _queries(self, x) -> np.ndarray:
        q = _flat(x).astype(np.float32, copy=False)
        if q.shape[1] != self._train.shape[1]:
            raise ValueError(f"queries have {q.shape[1]} pixels, the training images {self._train.shape[1]}")
        return q

    def _search(self, chunks, k: int) -> Neighbours:
        """Select the exact neighbours of every query of every chunk ``(float32 queries, float32 squared distances
        (Q, M), error bounds (Q,), excluded labels or None)``, the matrix products at "highest" float32 precision."""
        dist, idx = [], []
        fallback = ties = 0
        precision = torch.get_float32_matmul_precision()
        torch.set_float32_matmul_precision("highest")
        try:
            for q, d2, err, excl in chunks:
                d, i, f, t = self._select(q, d2, err, k, excl)
                dist.append(d)
                idx.append(i)
                fallback += f
                ties += t
        finally:
            torch.set_float32_matmul_precision(precision)
        if not dist:
            return Neighbours(np.empty((0, k)), np.empty((0, k), dtype=np.int64), 0, 0)
        return Neighbours(np.concatenate(dist), np.concatenate(idx), fallback, ties)

    def _select(self, q: np.ndarray, d2: torch.Tensor, err: np.ndarray, k: int, excl: np.ndarray | None):
        """The exact k nearest of each query from its float32 squared distances ``d2`` (module docstring)."""
        q64 = q.astype(np.float64)
        n_eligible = None
        if excl is not None:
            same = self._y_t[None, :] == torch.from_numpy(excl).to(self.device)[:, None]
            d2[same] = math.inf
            n_eligible = (~same).sum(dim=1).cpu().numpy()
        c = min(k + self.margin + 1, self.n_train)
        vals, cand = torch.topk(d2, c, dim=1, largest=False, sorted=True)
        vals, cand = vals.cpu().numpy().astype(np.float64), cand.cpu().numpy()
        del d2
        # exact squared distances of the candidates, in float64 from the pixel differences
        exact = np.empty(cand.shape)
        for j in range(len(q)):
            diff = self._train[cand[j]].astype(np.float64) - q64[j]
            exact[j] = np.einsum("ij,ij->i", diff, diff)
        if excl is not None:
            exact[~np.isfinite(vals)] = math.inf
        out_d = np.empty((len(q), k))
        out_i = np.empty((len(q), k), dtype=np.int64)
        fallback = ties = 0
        for j in range(len(q)):
            order = np.lexsort((cand[j], exact[j]))
            e_sorted, c_sorted = exact[j][order], cand[j][order]
            m = self.n_train if n_eligible is None else int(n_eligible[j])
            complete = m <= c  # every eligible training image is a candidate
            if not complete and not e_sorted[k - 1] < vals[j, -1] - err[j]:
                e_sorted, c_sorted = self._full(q64[j], None if excl is None else excl[j])
                fallback += 1
            if len(e_sorted) < k or not np.isfinite(e_sorted[k - 1]):
                raise ValueError(f"query {j}: fewer than k = {k} eligible training images")
            ties += int(len(e_sorted) > k and e_sorted[k] == e_sorted[k - 1])
            out_d[j] = np.sqrt(e_sorted[:k])
            out_i[j] = c_sorted[:k]
        return out_d, out_i, fallback, ties

    def _full(self, q64: np.ndarray, excl: int | None):
        """Exact float64 squared distances from one query to every (eligible) training image, sorted by (distance,
        index)."""
        keep = np.arange(self.n_train) if excl is None else np.flatnonzero(self.train_y != excl)
        e = np.empty(len(keep))
        for lo in range(0, len(keep), 8192):
            diff = self._train[keep[lo:lo + 8192]].astype(np.float64) - q64
            e[lo:lo + 8192] = np.einsum("ij,ij->i", diff, diff)
        order = np.lexsort((keep, e))
        return e[order], keep[order]

    def train_images(self, indices) -> np.ndarray:
        """The flattened training images (float32, (len(indices), D)) at ``indices``."""
        return self._train[np.asarray(indices)]

    def votes(self, neighbours: Neighbours) -> np.ndarray:
        """Vote fractions (N, K) of the neighbours' labels."""
        lab = self.train_y[neighbours.indices]
        counts = np.zeros((len(lab), self.n_classes))
        np.add.at(counts, (np.repeat(np.arange(len(lab)), lab.shape[1]), lab.ravel()), 1.0)
        return counts / lab.shape[1]

    def predict_proba(self, x) -> np.ndarray:
        """J1's class probabilities (N, K): the vote fractions of the k nearest training images."""
        return self.votes(self.kneighbors(x))

    def __call__(self, x) -> np.ndarray:
        return self.predict_proba(x)

    def predict(self, x) -> np.ndarray:
        """J1's labels: the class with the most votes, a tie going to the smaller class index."""
        return self.predict_proba(x).argmax(axis=1)

    def nearest_distance(self, x) -> np.ndarray:
        """Euclidean distance from each image to its nearest training image, (N,)."""
        return self.kneighbors(x, k=1).distances[:, 0]

    def nearest_other_class(self, x, labels) -> np.ndarray:
        """Index of the nearest training image whose label differs from ``labels[i]``, (N,)."""
        return self.kneighbors(x, k=1, exclude_labels=labels).indices[:, 0]
