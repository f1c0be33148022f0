"""Claim 10 hardened: three alignment measures of the input gradient and a smoothness control (docs/experiments.md,
"Claim 10"; which measure decides is stated there, before any data).

Per image i with gradient g_i = ∇ₓL(x_i, y_i) (:func:`deep.experiments.gradients.input_gradients`):

* ``pearson`` — today's edge alignment: Pearson(|g_i| summed over channels, Sobel edge magnitude of x_i)
  (:func:`deep.experiments.metrics.edge_alignment`);
* ``spearman`` — the same with Spearman's rank correlation: invariant to any increasing transform of |g| and not
  driven by a few large pixels; **the deciding measure** (:data:`DECIDES`);
* ``signed`` — Pearson(g_i, u_i) over all pixels and channels, with u_i = n_i − x_i the difference from the image to
  its **nearest training image of another class** n_i (exact, :meth:`deep.experiments.knn.KNNJudge.
  nearest_other_class`). The loss gradient points where the loss of the true class grows; a gradient that shows
  what makes the image another digit points towards the nearest real digit of another class (positive), and its
  sign carries that meaning, which |g| drops.

Each measure has the shuffled baseline of :func:`deep.experiments.gradients.shuffled_alignment` (gradient i against
image i + 1's edges, or direction u_{i+1}) and is used as the **excess** (alignment − baseline), per image.

Smoothness control. A smoother gradient correlates better with the (smooth) edge map whatever it shows. The
*smoothness* of a gradient map is its lag-1 spatial autocorrelation (:func:`lag1_autocorrelation` of the
channel-summed signed gradient: the correlation of each pixel with its right and lower neighbours, averaged over
both directions), averaged over images. For each seed, the standard model's gradients are blurred with a Gaussian
of width σ (per channel, over the two spatial axes) solved by bisection so that their smoothness equals the robust
model's (:func:`matched_sigma`; σ = 0 when the standard gradient is already as smooth). The claim needs robust >
standard **and** robust > blurred standard on the deciding measure. Both differences are paired over seeds × images
(:func:`deep.experiments.crossed.paired_difference`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from . import crossed, metrics
from .knn import KNNJudge

VARIANTS = ("pearson", "spearman", "signed")
DECIDES = "spearman"
#: the rule, as result files state it (stated before any data of these measures: docs/experiments.md)
RULE = ("decided by the excess Spearman alignment (|gradient| against the image's Sobel edges, minus the same against "
        "another image's edges), per image, paired over seeds x images: robust minus standard AND robust minus the "
        "standard gradient blurred to the robust one's smoothness must both be confirmed; Pearson and the signed "
        "alignment (towards the nearest training image of another class) are reported, not judged")


def lag1_autocorrelation(maps: np.ndarray) -> np.ndarray:
    """Per image, the lag-1 spatial autocorrelation of ``maps`` (N, H, W), or (N, C, H, W) summed over channels:
    with c = m − mean(m), ``(mean over horizontal and vertical neighbour pairs of c_p·c_q) / mean(c²)``. 1 for a
    map that varies slowly, ≈ 0 for white noise, −1 for a checkerboard; NaN for a constant map. Shape (N,)."""
    m = np.asarray(maps, dtype=float)
    if m.ndim == 4:
        m = m.sum(axis=1)
    if m.ndim != 3:
        raise ValueError(f"expected maps of shape (N, H, W) or (N, C, H, W), got {m.shape}")
    c = m - m.mean(axis=(1, 2), keepdims=True)
    h = (c[:, :, 1:] * c[:, :, :-1]).sum(axis=(1, 2))
    v = (c[:, 1:, :] * c[:, :-1, :]).sum(axis=(1, 2))
    n_pairs = c[:, :, 1:].size // len(c) + c[:, 1:, :].size // len(c)
    var = (c * c).mean(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (h + v) / n_pairs / var
    r[var == 0] = np.nan
    return r


def smoothness(grads: np.ndarray) -> float:
    """Mean over images of :func:`lag1_autocorrelation` of the signed gradient (NaN images dropped)."""
    return float(np.nanmean(lag1_autocorrelation(grads)))


def blur(grads: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of width ``sigma`` pixels over the two spatial axes of (N, C, H, W) or (N, H, W) gradients,
    channel by channel (reflecting borders); ``sigma`` = 0 returns a copy."""
    g = np.asarray(grads, dtype=float)
    if sigma <= 0:
        return g.copy()
    s = (0,) * (g.ndim - 2) + (sigma, sigma)
    return ndimage.gaussian_filter(g, sigma=s, mode="reflect")


def matched_sigma(grads: np.ndarray, target: float, sigma_max: float = 8.0, tol: float = 1e-4,
                  max_iter: int = 60) -> tuple[float, bool]:
    """The blur σ ∈ [0, sigma_max] at which :func:`smoothness` of :func:`blur` (grads, σ) equals ``target``, by
    bisection (smoothness grows with σ). Returns ``(σ, reached)``: σ = 0 when ``grads`` are already at least as
    smooth as ``target``; ``reached`` is False (σ = sigma_max) when even the widest blur stays below it."""
    if smoothness(grads) >= target:
        return 0.0, True
    if smoothness(blur(grads, sigma_max)) < target:
        return float(sigma_max), False
    lo, hi = 0.0, float(sigma_max)
    for _ in range(max_iter):
        mid = (lo + hi) / 2
        if smoothness(blur(grads, mid)) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < tol:
            break
    return (lo + hi) / 2, True


def towards_other_class(judge: KNNJudge, images: np.ndarray, labels) -> np.ndarray:
    """u_i = n_i − x_i: from each image to its nearest training image of another class (exact; the shape of
    ``images``)."""
    x = np.asarray(images, dtype=np.float32)
    idx = judge.nearest_other_class(x, labels)
    return judge.train_images(idx).reshape(x.shape).astype(np.float64) - x


def _shift(a: np.ndarray, shift: int = 1) -> np.ndarray:
    if len(a) < 2:
        raise ValueError("the shuffled baseline needs at least 2 images")
    return np.roll(np.asarray(a), -shift, axis=0)


def alignments(grads: np.ndarray, images: np.ndarray, directions: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Per variant (:data:`VARIANTS`) the per-image ``alignment``, its shuffled ``baseline`` and the ``excess``
    (their difference), each (N,). ``directions``: :func:`towards_other_class` of the images."""
    g = np.asarray(grads, dtype=float)
    x = np.asarray(images, dtype=float)
    u = np.asarray(directions, dtype=float)
    if not g.shape == x.shape == u.shape:
        raise ValueError(f"gradients {g.shape}, images {x.shape} and directions {u.shape} must have one shape")
    mag = metrics.gradient_magnitude(g)
    edges = metrics.sobel_edges(x)
    out = {
        "pearson": (metrics.pearson_per_image(mag, edges), metrics.pearson_per_image(mag, _shift(edges))),
        "spearman": (metrics.spearman_per_image(mag, edges), metrics.spearman_per_image(mag, _shift(edges))),
        "signed": (metrics.pearson_per_image(g, u), metrics.pearson_per_image(g, _shift(u))),
    }
    return {k: {"alignment": a, "baseline": b, "excess": a - b} for k, (a, b) in out.items()}


@dataclass
class Claim10Comparison:
    """One robust recipe against the standard one over the seeds both have. Per variant: robust − standard and
    robust − blurred standard of the per-image excess (``CrossedMean``), and each recipe's mean excess; per seed the
    matched blur σ, whether it was reached, and the smoothness of the robust, standard and blurred standard
    gradients."""

    seeds: list[int]
    minus_standard: dict[str, crossed.CrossedMean]
    minus_blurred: dict[str, crossed.CrossedMean]
    mean_excess: dict[str, dict[str, float]]
    sigma: dict[int, float]
    sigma_reached: dict[int, bool]
    smoothness: dict[str, dict[int, float]] = field(default_factory=dict)

    def decides(self) -> dict:
        """The deciding measure's two differences (both must be confirmed)."""
        return {"measure": DECIDES, "minus_standard": self.minus_standard[DECIDES].interval(),
                "minus_blurred_standard": self.minus_blurred[DECIDES].interval()}

    def as_dict(self) -> dict:
        """The entry for the ``deep.gradients`` payload (``claim10_variants``)."""
        return {"seeds": self.seeds, "decides": self.decides(),
                "minus_standard": {k: v.interval() for k, v in self.minus_standard.items()},
                "minus_blurred_standard": {k: v.interval() for k, v in self.minus_blurred.items()},
                "mean_excess": self.mean_excess,
                "blur_sigma": {str(s): v for s, v in self.sigma.items()},
                "blur_sigma_reached": {str(s): v for s, v in self.sigma_reached.items()},
                "smoothness": {k: {str(s): v for s, v in d.items()} for k, d in self.smoothness.items()},
                "smoothness_measure": "lag-1 spatial autocorrelation of the channel-summed signed gradient, "
                                      "mean over images"}


def _nan_to_zero(a: np.ndarray) -> np.ndarray:
    """Replace NaN (a constant map) by 0 correlation."""
    return np.where(np.isfinite(a), a, 0.0)


def compare(robust: dict[int, np.ndarray], standard: dict[int, np.ndarray], images: np.ndarray,
            directions: np.ndarray, sigma_max: float = 8.0) -> Claim10Comparison:
    """Claim 10 for one robust recipe: ``robust`` and ``standard`` map seeds to gradients (N, C, H, W) on the same
    ``images``; ``directions`` from :func:`towards_other_class`. Per-image NaN correlations (a constant gradient
    map) count as 0."""
    seeds = sorted(set(robust) & set(standard))
    if not seeds:
        raise ValueError("no seed shared by the robust and standard gradients")
    ex = {"robust": {v: [] for v in VARIANTS}, "standard": {v: [] for v in VARIANTS},
          "blurred": {v: [] for v in VARIANTS}}
    sig, reached, smooth = {}, {}, {"robust": {}, "standard": {}, "blurred": {}}
    for s in seeds:
        target = smoothness(robust[s])
        sigma, ok = matched_sigma(standard[s], target, sigma_max=sigma_max)
        blurred = blur(standard[s], sigma)
        sig[s], reached[s] = sigma, ok
        for name, g in (("robust", robust[s]), ("standard", standard[s]), ("blurred", blurred)):
            smooth[name][s] = smoothness(g)
            al = alignments(g, images, directions)
            for v in VARIANTS:
                ex[name][v].append(_nan_to_zero(al[v]["excess"]))
    mats = {name: {v: np.stack(ex[name][v]) for v in VARIANTS} for name in ex}
    return Claim10Comparison(
        seeds=seeds,
        minus_standard={v: crossed.paired_difference(mats["robust"][v], mats["standard"][v]) for v in VARIANTS},
        minus_blurred={v: crossed.paired_difference(mats["robust"][v], mats["blurred"][v]) for v in VARIANTS},
        mean_excess={name: {v: float(mats[name][v].mean()) for v in VARIANTS} for name in mats},
        sigma=sig, sigma_reached=reached, smoothness=smooth)
