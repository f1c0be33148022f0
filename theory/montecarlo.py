"""Monte Carlo estimates of standard and robust accuracy of any classifier on D(d, p, eta), with confidence intervals.

Robust accuracy is measured by applying an actual perturbation to every sampled point: the exact worst case for a
linear rule (:func:`theory.accuracy.worst_case_perturbation`), the Theorem 1 adversary ``x_i -> x_i - 2 eta y`` on
every weak feature (docs/paper.md §3), or any user callable ``attack(x, y) -> x_adv``.
For a non-linear classifier a fixed
attack only gives an upper bound on its true robust accuracy; Theorem 1's proof bounds exactly the accuracy under the
Theorem 1 adversary, so checking the theorem with that attack is a (stronger) valid check.

A point is counted as correct when ``y * f(x) > 0`` (a score of exactly 0 is wrong), the convention of
:mod:`theory.accuracy`. Samples are streamed in chunks (``iter_batches``) so that memory stays bounded by the chunk.
Intervals are Clopper-Pearson (exact, default) or Wilson, as ``{"estimate", "low", "high", "n", "level"}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri
from scipy.stats import beta as beta_dist

from .accuracy import canonical_norm, check_eps, worst_case_perturbation
from .distribution import FeatureDistribution

Classifier = Callable[[np.ndarray], np.ndarray]
Attack = Callable[[np.ndarray, np.ndarray], np.ndarray]

# Rows per chunk are chosen so one float64 chunk takes about this many bytes (a few copies live at once).
CHUNK_BYTES = 32 * 2**20


@dataclass(frozen=True)
class Interval:
    """A binomial proportion with its confidence interval (reports/RESULTS.md interval)."""

    estimate: float
    low: float
    high: float
    n: int
    level: float

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "n": self.n, "level": self.level}

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def _check_level(level: float) -> float:
    level = float(level)
    if not (0.0 < level < 1.0):
        raise ValueError(f"level (confidence level) must lie strictly between 0 and 1, got {level!r}")
    return level


def clopper_pearson(successes: int, n: int, level: float = 0.95) -> Interval:
    """Exact (Clopper-Pearson) interval: Beta quantiles ``B(a/2; k, n-k+1)`` and ``B(1-a/2; k+1, n-k)``."""
    level = _check_level(level)
    if n <= 0 or not (0 <= successes <= n):
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got successes={successes}, n={n}")
    alpha = 1.0 - level
    low = 0.0 if successes == 0 else float(beta_dist.ppf(alpha / 2, successes, n - successes + 1))
    high = 1.0 if successes == n else float(beta_dist.ppf(1 - alpha / 2, successes + 1, n - successes))
    return Interval(successes / n, low, high, int(n), level)


def wilson(successes: int, n: int, level: float = 0.95) -> Interval:
    """Wilson score interval ``(k + z^2/2 +- z sqrt(k(n-k)/n + z^2/4)) / (n + z^2)``."""
    level = _check_level(level)
    if n <= 0 or not (0 <= successes <= n):
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got successes={successes}, n={n}")
    z = float(ndtri(0.5 + level / 2))
    k = float(successes)
    centre = (k + z * z / 2) / (n + z * z)
    half = z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    return Interval(k / n, max(0.0, centre - half), min(1.0, centre + half), int(n), level)


INTERVALS = {"clopper-pearson": clopper_pearson, "wilson": wilson}


@dataclass(eq=False)
class LinearClassifier:
    """``f(x) = w . x + b``; knows its own exact worst-case attack."""

    w: np.ndarray
    b: float = 0.0

    def __post_init__(self) -> None:
        self.w = np.asarray(self.w, dtype=np.float64)
        self.b = float(self.b)
        if self.w.ndim != 1 or not np.all(np.isfinite(self.w)) or not math.isfinite(self.b):
            raise ValueError("w must be a finite 1-d weight vector and b a finite bias")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x @ self.w + self.b

    def worst_case_attack(self, eps: float, norm="inf") -> Attack:
        """The exact worst-case perturbation of radius ``eps`` (lowers the margin by ``eps ||w||_*``)."""
        return lambda x, y: x + worst_case_perturbation(self.w, self.b, x, y, eps, norm)


@dataclass(eq=False)
class RandomizedClassifier:
    """Uses ``first`` with probability ``weight`` and ``second`` otherwise, independently per point (its own seeded
    coin); the mixture's accuracies are the weighted averages of the two rules' accuracies."""

    first: Classifier
    second: Classifier
    weight: float
    seed: int = 0
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not (0.0 <= float(self.weight) <= 1.0):
            raise ValueError(f"weight (probability of the first rule) must lie in [0, 1], got {self.weight!r}")
        self._rng = np.random.default_rng(self.seed)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        use_first = self._rng.random(x.shape[0]) < self.weight
        return np.where(use_first, np.sign(self.first(x)), np.sign(self.second(x)))


def robust_feature_classifier(x: np.ndarray) -> np.ndarray:
    """``sign(x_1)``: the robust feature alone (standard = robust accuracy = p for eps < 1)."""
    return x[:, 0]


def averaging_classifier(x: np.ndarray) -> np.ndarray:
    """``sign(sum_{i>=2} x_i)``."""
    return x[:, 1:].sum(axis=1)


def theorem1_attack(dist: FeatureDistribution) -> Attack:
    """The Theorem 1 adversary: ``x_i -> x_i - 2 eta y`` on every weak feature (x_1 untouched). It has l_inf size
    ``2 eta`` and l_2 size ``2 eta sqrt(d)``, and maps class y's weak block onto class -y's law."""
    shift = 2.0 * dist.eta

    def attack(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = x.copy()
        out[:, 1:] -= shift * y.astype(np.float64)[:, None]
        return out

    return attack


@dataclass(frozen=True)
class MonteCarloResult:
    """Standard and (if an attack was applied) robust accuracy with confidence intervals."""

    standard: Interval
    robust: Interval | None
    n: int
    max_perturbation: float | None  # largest ||x_adv - x|| seen (in the checked norm), None without an attack

    def to_dict(self) -> dict:
        return {
            "standard": self.standard.to_dict(),
            "robust": None if self.robust is None else self.robust.to_dict(),
            "n": self.n,
            "max_perturbation": self.max_perturbation,
        }


def default_batch_size(dim: int) -> int:
    """Rows per chunk so that one float64 chunk of ``dim`` columns takes about ``CHUNK_BYTES``."""
    return max(1, CHUNK_BYTES // (8 * max(1, int(dim))))


def _scores(classifier: Classifier, x: np.ndarray) -> np.ndarray:
    s = np.asarray(classifier(x))
    if s.shape != (x.shape[0],):
        raise ValueError(f"classifier must return one score per row, shape ({x.shape[0]},); got {s.shape}")
    return s


def _check_setup(dist, method: str, level: float, norm, eps) -> tuple[str, float | None]:
    """Validate the arguments shared by :func:`estimate_accuracy` and :func:`estimate_many`; ``(norm, eps)``."""
    if not isinstance(dist, FeatureDistribution):
        raise ValueError(f"dist must be a theory.distribution.FeatureDistribution, got {type(dist).__name__}")
    if method not in INTERVALS:
        raise ValueError(f"method (interval) must be one of {sorted(INTERVALS)}, got {method!r}")
    _check_level(level)
    return canonical_norm(norm), (None if eps is None else float(check_eps(eps)))


def _check_perturbation(abs_delta: np.ndarray, norm: str, eps: float | None) -> float:
    """Largest ``||delta||`` (l_inf or l_2) over the rows of ``|delta|``; ValueError if it exceeds ``eps``."""
    if norm == "inf":
        size = float(np.max(abs_delta))
    else:
        size = float(np.sqrt(np.max(np.einsum("ij,ij->i", abs_delta, abs_delta))))
    if eps is not None and size > eps + 1e-9 * max(1.0, eps):
        raise ValueError(f"attack moved a point by {size:.6g} > eps = {eps:.6g} in the l_{norm} norm")
    return size


def estimate_accuracy(
    classifier: Classifier,
    dist: FeatureDistribution,
    n: int,
    rng: np.random.Generator,
    *,
    eps: float | None = None,
    norm="inf",
    attack: Attack | str | None = None,
    batch_size: int | None = None,
    level: float = 0.95,
    method: str = "clopper-pearson",
    progress: bool = False,
) -> MonteCarloResult:
    """Estimate ``Pr[y f(x) > 0]`` and ``Pr[y f(x_adv) > 0]`` on ``n`` fresh samples of ``dist``.

    ``attack``: a callable ``attack(x, y) -> x_adv``; ``"worst-case"`` (default when ``eps`` is given and the
    classifier has ``worst_case_attack``, e.g. :class:`LinearClassifier`); ``"theorem1"`` (the Theorem 1 adversary);
    or None with ``eps`` None for standard accuracy only. When ``eps`` is given every perturbation is checked to lie
    in the ``eps``-ball of ``norm`` (ValueError otherwise), so a robust estimate never uses an illegal attack.
    """
    norm, eps = _check_setup(dist, method, level, norm, eps)
    if isinstance(attack, str):
        if attack == "theorem1":
            attack = theorem1_attack(dist)
        elif attack == "worst-case":
            if eps is None or not hasattr(classifier, "worst_case_attack"):
                raise ValueError("attack='worst-case' needs eps and a classifier with worst_case_attack (linear)")
            attack = classifier.worst_case_attack(eps, norm)
        else:
            raise ValueError(f"attack must be a callable, 'worst-case' or 'theorem1', got {attack!r}")
    elif attack is None and eps is not None:
        if not hasattr(classifier, "worst_case_attack"):
            raise ValueError(
                "eps given for a classifier without an exact worst case: pass attack=callable or attack='theorem1'"
            )
        attack = classifier.worst_case_attack(eps, norm)
    if attack is not None and not callable(attack):
        raise ValueError("attack must be callable as attack(x, y) -> x_adv")
    batch = default_batch_size(dist.dim) if batch_size is None else batch_size
    ok_std = 0
    ok_rob = 0
    seen = 0
    max_pert = 0.0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n, unit="sample", unit_scale=True, desc="monte carlo", leave=False)
    try:
        for x, y in dist.iter_batches(n, batch, rng):
            ok_std += int(np.count_nonzero(y * _scores(classifier, x) > 0))
            if attack is not None:
                x_adv = np.asarray(attack(x, y), dtype=np.float64)
                if x_adv.shape != x.shape:
                    raise ValueError(f"attack must return an array of shape {x.shape}, got {x_adv.shape}")
                if np.shares_memory(x_adv, x):
                    x_adv = x_adv.copy()
                x -= x_adv  # x now holds -delta (reuse the chunk's memory)
                np.abs(x, out=x)
                max_pert = max(max_pert, _check_perturbation(x, norm, eps))
                ok_rob += int(np.count_nonzero(y * _scores(classifier, x_adv) > 0))
                del x_adv
            seen += len(y)
            if bar is not None:
                bar.update(len(y))
    finally:
        if bar is not None:
            bar.close()
    if seen == 0:
        raise ValueError("n (number of Monte Carlo samples) must be >= 1")
    make = INTERVALS[method]
    robust = make(ok_rob, seen, level) if attack is not None else None
    return MonteCarloResult(make(ok_std, seen, level), robust, seen, max_pert if attack is not None else None)


def estimate_many(
    classifiers: dict[str, Classifier],
    dist: FeatureDistribution,
    n: int,
    rng: np.random.Generator,
    *,
    attack: Attack | str,
    eps: float | None = None,
    norm="inf",
    batch_size: int | None = None,
    level: float = 0.95,
    method: str = "clopper-pearson",
) -> dict[str, MonteCarloResult]:
    """Like :func:`estimate_accuracy` for several classifiers sharing the same samples and one common ``attack``
    (a callable or ``"theorem1"``), which is checked against ``eps`` when given."""
    norm, eps = _check_setup(dist, method, level, norm, eps)
    if attack == "theorem1":
        attack = theorem1_attack(dist)
    if not callable(attack):
        raise ValueError("attack must be callable as attack(x, y) -> x_adv, or 'theorem1'")
    batch = default_batch_size(dist.dim) if batch_size is None else batch_size
    ok_std = dict.fromkeys(classifiers, 0)
    ok_rob = dict.fromkeys(classifiers, 0)
    seen = 0
    max_pert = 0.0
    for x, y in dist.iter_batches(n, batch, rng):
        x_adv = np.asarray(attack(x, y), dtype=np.float64)
        if x_adv.shape != x.shape:
            raise ValueError(f"attack must return an array of shape {x.shape}, got {x_adv.shape}")
        max_pert = max(max_pert, _check_perturbation(np.abs(x_adv - x), norm, eps))
        for name, f in classifiers.items():
            ok_std[name] += int(np.count_nonzero(y * _scores(f, x) > 0))
            ok_rob[name] += int(np.count_nonzero(y * _scores(f, x_adv) > 0))
        seen += len(y)
    if seen == 0:
        raise ValueError("n (number of Monte Carlo samples) must be >= 1")
    make = INTERVALS[method]
    return {
        name: MonteCarloResult(make(ok_std[name], seen, level), make(ok_rob[name], seen, level), seen, max_pert)
        for name in classifiers
    }
