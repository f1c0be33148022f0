"""The distribution D(d, p, eta) of Tsipras et al. (2019), Section 2.1 (docs/paper.md §2).

``y`` is uniform on {-1, +1}; the robust feature ``x_1`` equals ``+y`` with probability ``p`` and ``-y`` otherwise;
the ``d`` weak features ``x_2 .. x_{d+1}`` are i.i.d. ``N(eta * y, 1)``. Samples are float64 rows of length ``d + 1``
(column 0 is ``x_1``); labels are int64 in {-1, +1}.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .checks import check_allocation, vectors_fix
from .checks import check_count as _check_count

DEFAULT_BATCH_SIZE = 8192


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)), got {type(rng)}")
    return rng


@dataclass(frozen=True)
class FeatureDistribution:
    """D(d, p, eta): ``d`` weak features N(eta*y, 1) and one robust feature equal to y with probability p.

    Validation: ``d`` a positive integer, ``1/2 <= p <= 1``, ``eta >= 0`` (finite).
    """

    d: int
    p: float
    eta: float

    def __post_init__(self) -> None:
        d = self.d
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or int(d) < 1:
            raise ValueError(f"d (number of weak features) must be a positive integer (d >= 1), got {d!r}")
        try:
            p = float(self.p)
        except (TypeError, ValueError):
            msg = f"p (robust feature's agreement with y) must be a number in [0.5, 1], got {self.p!r}"
            raise ValueError(msg) from None
        if not (0.5 <= p <= 1.0):
            raise ValueError(f"p (robust feature's agreement with y) must lie in [0.5, 1], got {self.p!r}")
        try:
            eta = float(self.eta)
        except (TypeError, ValueError):
            msg = f"eta (weak features' mean shift) must be a finite number >= 0, got {self.eta!r}"
            raise ValueError(msg) from None
        if not (math.isfinite(eta) and eta >= 0.0):
            raise ValueError(f"eta (weak features' mean shift) must be a finite number >= 0, got {self.eta!r}")
        object.__setattr__(self, "d", int(d))
        object.__setattr__(self, "p", p)
        object.__setattr__(self, "eta", eta)

    @property
    def dim(self) -> int:
        """Input dimension ``d + 1`` (robust feature first)."""
        return self.d + 1

    @property
    def eta_sqrt_d(self) -> float:
        """``eta * sqrt(d)``: the signal-to-noise ratio of the averaged weak features."""
        return self.eta * math.sqrt(self.d)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` i.i.d. samples: ``x`` float64 of shape ``(n, d + 1)``, ``y`` int64 of shape ``(n,)``."""
        n = _check_count("n (number of samples)", n, 0)
        rng = _check_rng(rng)
        check_allocation(f"{self.label()}.sample: one sample of d + 1 features", self.dim, vectors_fix(self.d))
        check_allocation(f"{self.label()}.sample({n}): n x (d + 1) features", n * self.dim,
                         "draw fewer samples at once: a smaller n, or iter_batches(n, batch_size, rng)")
        y = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int64)
        agree = rng.random(n) < self.p
        x = rng.standard_normal((n, self.dim))  # column 0 is overwritten: one pass, no copy
        x[:, 0] = np.where(agree, y, -y)
        if self.eta != 0.0:
            x[:, 1:] += (self.eta * y)[:, None]
        return x, y

    def iter_batches(
        self, n: int, batch_size: int = DEFAULT_BATCH_SIZE, rng: np.random.Generator | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Stream ``n`` samples in chunks of at most ``batch_size`` rows, so ``n * d`` may exceed memory.

        The concatenation of the chunks is a valid i.i.d. sample of size ``n`` (it is not bitwise equal to
        ``sample(n, rng)``, whose random stream is consumed in a different order)."""
        n = _check_count("n (number of samples)", n, 0)
        batch_size = _check_count("batch_size", batch_size, 1)
        if rng is None:
            raise ValueError("rng is required: pass numpy.random.default_rng(seed)")
        rng = _check_rng(rng)
        done = 0
        while done < n:
            m = min(batch_size, n - done)
            yield self.sample(m, rng)
            done += m

    def bayes_weights(self) -> tuple[np.ndarray, float]:
        """Weights ``(w, b)`` of the Bayes-optimal standard classifier
        ``sign(log(p/(1-p)) * x_1 + 2*eta * sum_{i>=2} x_i)`` (docs/paper.md §2; b = 0).

        Degenerate cases: at ``p = 1`` the robust feature alone is exact, so ``w = (1, 0, ..., 0)``;
        at ``p = 1/2`` and ``eta = 0`` every rule has accuracy 1/2 and ``sign(x_1)`` is returned (w_1 = 1).
        ValueError when the d + 1 weights do not fit in the available memory (theory.checks.check_allocation)."""
        check_allocation(f"{self.label()}.bayes_weights(): d + 1 weights", self.dim, vectors_fix(self.d))
        w = np.zeros(self.dim, dtype=np.float64)
        if self.p >= 1.0:
            w[0] = 1.0
            return w, 0.0
        w[0] = math.log(self.p / (1.0 - self.p))
        w[1:] = 2.0 * self.eta
        if not np.any(w):
            w[0] = 1.0
        return w, 0.0

    def label(self) -> str:
        """Short description for result files, e.g. ``synthetic D(d=1000,p=0.95,eta=0.0632)``."""
        return f"synthetic D(d={self.d},p={self.p:g},eta={self.eta:.6g})"


def check_dist(dist, name: str = "dist"):
    """``dist`` must be a :class:`~tradeoff.theory.distribution.FeatureDistribution`."""
    if not isinstance(dist, FeatureDistribution):
        raise ValueError(
            f"{name} must be a tradeoff.theory.distribution.FeatureDistribution (e.g. FeatureDistribution(1000, 0.95, "
            f"0.063)), got {type(dist).__name__} {dist!r}"
        )
    return dist
