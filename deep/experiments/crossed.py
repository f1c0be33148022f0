"""The mean of a seeds × images array and its standard error when both the seeds and the images are samples
(a *crossed* design: every model is evaluated on the same test images).

Setting (docs/statistics.md, "Seeds and images together"). A recipe is trained at S seeds and every model is judged
on the same N test images; ``x[s, i]`` is one number per (seed, image): a 0/1 correctness, a 0/1 "the judge calls
it another class", a per-image alignment, or the paired difference of two recipes at the same seed and image. The
estimand is the population mean μ = E x[s, i] over seeds *and* images (the test set is a sample of the data
distribution); the estimate is the grand mean x̄. With seeds i.i.d., images i.i.d. and the two independent, the
ANOVA (Hoeffding) decomposition ``x[s, i] = μ + a_s + b_i + e_si`` has uncorrelated parts and

    Var(x̄) = σ_a²/S + σ_b²/N + σ_e²/(S N).

The mean squares of the two-way layout without replication have expectations

    MS_seed  = N Σ_s (x̄_s· − x̄)² / (S − 1)                    E = N σ_a² + σ_e²
    MS_image = S Σ_i (x̄_·i − x̄)² / (N − 1)                    E = S σ_b² + σ_e²
    MS_res   = Σ_si (x − x̄_s· − x̄_·i + x̄)² / ((S−1)(N−1))     E = σ_e²

so ``V = (MS_seed + MS_image − MS_res) / (S N)`` is unbiased for Var(x̄). Read term by term it is the paired-t
variance over seeds (``s²(seed means)/S``) plus the variance over images of the seed-averaged values
(``s²(image means)/N``) minus the residual that both count once. A negative variance component (``MS_seed <
MS_res`` or ``MS_image < MS_res``) is set to 0, which only widens the interval; the interval is Student's t with
Satterthwaite's degrees of freedom for the combination of mean squares actually used.

With one seed the seed part cannot be measured: the variance is that over images alone (``s²/N``, N − 1 degrees of
freedom) and the method label says "seed variance not measured".

Per-image correctness of two recipes that do *not* share seeds (:func:`unpaired_difference`) adds the two seed parts
and takes the image part from the per-image difference of the seed-averaged values (the images are still shared).
When the value is only defined on some (seed, image) cells (a ratio, e.g. "the fraction of paths that change label
once, among paths that end in another class"), :func:`crossed_ratio` applies the same variance to the ratio's
linearisation (the delta method).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class CrossedMean:
    """A mean over seeds × images (or a difference of two such means) with its ``level`` interval.

    ``se`` is the standard error, ``df`` the degrees of freedom of the t interval (``inf``: normal or bootstrap),
    ``components`` the variance parts (``seed``, ``image``, ``residual``: their contributions to ``se²``), and
    ``method`` says in words how the interval was made."""

    estimate: float
    se: float
    df: float
    low: float
    high: float
    level: float
    n_seeds: int
    n_images: int
    method: str
    components: dict = field(default_factory=dict)

    def interval(self) -> dict:
        """The interval in the result-file form ``{"estimate", "low", "high", "n", "level"}`` plus ``se``, ``df``,
        ``n_seeds``, ``n_images`` and ``method`` (``n`` is the number of images)."""
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "n": self.n_images,
                "level": self.level, "se": self.se, "df": self.df, "n_seeds": self.n_seeds,
                "n_images": self.n_images, "method": self.method}


def _as_matrix(values, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 1:
        raise ValueError(f"{name} must be a (seeds, images) array with at least 2 images, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has non-finite values")
    return x


def _t_interval(est: float, var: float, df: float, level: float) -> tuple[float, float, float]:
    se = math.sqrt(max(var, 0.0))
    crit = float(stats.norm.ppf(0.5 + level / 2)) if math.isinf(df) else float(stats.t.ppf(0.5 + level / 2, df))
    return se, est - crit * se, est + crit * se


def _satterthwaite(terms: list[tuple[float, float]]) -> float:
    """Degrees of freedom of Σ c_j·MS_j from ``terms = [(c_j·MS_j, df_j)]`` (Satterthwaite 1946)."""
    num = sum(t for t, _ in terms) ** 2
    den = sum(t * t / d for t, d in terms if d > 0)
    return math.inf if den == 0 else num / den


def mean_squares(values) -> dict:
    """The two-way mean squares of a (seeds, images) array: ``{"seed", "image", "residual"}`` with their degrees of
    freedom ``{"df_seed", "df_image", "df_residual"}`` (module docstring; needs ≥ 2 seeds and ≥ 2 images)."""
    x = _as_matrix(values, "values")
    s, n = x.shape
    if s < 2:
        raise ValueError("mean squares need at least 2 seeds")
    g = x.mean()
    rows = x.mean(axis=1)
    cols = x.mean(axis=0)
    resid = x - rows[:, None] - cols[None, :] + g
    return {"seed": n * float(((rows - g) ** 2).sum()) / (s - 1),
            "image": s * float(((cols - g) ** 2).sum()) / (n - 1),
            "residual": float((resid ** 2).sum()) / ((s - 1) * (n - 1)),
            "df_seed": s - 1, "df_image": n - 1, "df_residual": (s - 1) * (n - 1)}


def crossed_mean(values, level: float = 0.95, what: str = "mean") -> CrossedMean:
    """Grand mean of a (seeds, images) array with the unbiased crossed-design variance of the module docstring:
    ``V = (MS_seed + MS_image − MS_res)/(S N)``, negative components set to 0, t with Satterthwaite df. A 1-d array
    is one seed (image part only). ``what`` names the quantity in the method label."""
    x = _as_matrix(values, "values")
    s, n = x.shape
    est = float(x.mean())
    if s == 1:
        var = float(x.var(ddof=1)) / n
        df = float(n - 1)
        se, low, high = _t_interval(est, var, df, level)
        return CrossedMean(est, se, df, low, high, level, 1, n,
                           f"{what}: t over {n} images (1 seed: seed variance not measured)",
                           {"seed": None, "image": var, "residual": None})
    ms = mean_squares(x)
    sn = s * n
    seed_part = max(ms["seed"] - ms["residual"], 0.0) / sn
    image_part = max(ms["image"] - ms["residual"], 0.0) / sn
    resid_part = ms["residual"] / sn
    var = seed_part + image_part + resid_part
    # the combination of mean squares actually used (a truncated component drops its MS and the residual's share)
    terms = []
    if seed_part > 0:
        terms.append((ms["seed"] / sn, ms["df_seed"]))
    if image_part > 0:
        terms.append((ms["image"] / sn, ms["df_image"]))
    n_used = len(terms)
    if n_used == 0:
        terms.append((ms["residual"] / sn, ms["df_residual"]))
    elif n_used == 2:
        terms.append((-ms["residual"] / sn, ms["df_residual"]))
    df = _satterthwaite(terms) if var > 0 else math.inf
    se, low, high = _t_interval(est, var, df, level)
    return CrossedMean(est, se, df, low, high, level, s, n,
                       f"{what}: crossed seeds × images ({s} seeds, {n} images; unbiased two-way variance, "
                       f"t with {df:.1f} Satterthwaite df)",
                       {"seed": seed_part, "image": image_part, "residual": resid_part})


def paired_difference(a, b, level: float = 0.95) -> CrossedMean:
    """``mean(a) − mean(b)`` of two (seeds, images) arrays paired by seed (row s of both: the same seed) and by image
    (column i: the same test image): :func:`crossed_mean` of ``a − b``."""
    a = _as_matrix(a, "a")
    b = _as_matrix(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"paired arrays must have the same shape, got {a.shape} and {b.shape}")
    return crossed_mean(a - b, level, what="paired difference")


def unpaired_difference(a, b, level: float = 0.95) -> CrossedMean:
    """``mean(a) − mean(b)`` when the two recipes' seeds are not paired but the images are shared (``a`` (S_a, N),
    ``b`` (S_b, N), same columns): Var = σ_a,seed²/S_a + σ_b,seed²/S_b + Var_i(ā_·i − b̄_·i)/N, each seed part
    estimated as ``(MS_seed − MS_res)/(S N)`` (truncated at 0) and the image part (which carries both residuals) as
    the sample variance over images of the per-image difference of seed means; t with Satterthwaite df. Needs
    ≥ 2 seeds on each side."""
    a = _as_matrix(a, "a")
    b = _as_matrix(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must share their images (columns), got {a.shape} and {b.shape}")
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError("the unpaired difference needs at least 2 seeds on each side")
    n = a.shape[1]
    est = float(a.mean() - b.mean())
    terms, seed_var = [], 0.0
    for x in (a, b):
        ms = mean_squares(x)
        sn = x.shape[0] * n
        part = max(ms["seed"] - ms["residual"], 0.0) / sn
        if part > 0:
            seed_var += part
            terms += [(ms["seed"] / sn, ms["df_seed"]), (-ms["residual"] / sn, ms["df_residual"])]
    c = a.mean(axis=0) - b.mean(axis=0)
    image_var = float(c.var(ddof=1)) / n
    terms.append((image_var, n - 1))
    var = seed_var + image_var
    df = _satterthwaite(terms) if var > 0 else math.inf
    se, low, high = _t_interval(est, var, df, level)
    return CrossedMean(est, se, df, low, high, level, min(a.shape[0], b.shape[0]), n,
                       f"unpaired difference: {a.shape[0]} vs {b.shape[0]} seeds on the same {n} images (crossed; "
                       f"t with {df:.1f} Satterthwaite df)",
                       {"seed": seed_var, "image": image_var, "residual": None})


def crossed_ratio(values, mask, level: float = 0.95, what: str = "mean") -> CrossedMean:
    """Mean of ``values[s, i]`` over the (seed, image) cells where ``mask`` is True: the ratio R = Σ m·x / Σ m, with
    the crossed-design interval of its linearisation (delta method): the cells' contributions
    ``m_si (x_si − R) / m̄`` (m̄ the fraction of cells in the mask) have mean 0 and, to first order, the same
    sampling variance as R, so :func:`crossed_mean` of them gives R's standard error and degrees of freedom. With
    a full mask this is :func:`crossed_mean` itself."""
    x = np.asarray(values, dtype=float)
    m = np.asarray(mask, dtype=bool)
    if x.ndim == 1:
        x, m = x[None, :], m[None, :]
    if x.shape != m.shape or x.ndim != 2:
        raise ValueError(f"values {x.shape} and mask {m.shape} must be the same (seeds, images) shape")
    s, n = x.shape
    total = int(m.sum())
    if total == 0:
        return CrossedMean(math.nan, math.nan, math.inf, math.nan, math.nan, level, s, n,
                           f"{what}: no cell to average", {"cells": 0})
    xm = np.where(m, x, 0.0)
    r = float(xm.sum() / total)
    contrib = np.where(m, x - r, 0.0) / (total / x.size)
    c = crossed_mean(contrib, level, f"{what} over {total} of {x.size} (seed, image) cells, delta method")
    half = c.high - c.estimate
    return CrossedMean(r, c.se, c.df, r - half, r + half, level, s, n, c.method, {**c.components, "cells": total})
