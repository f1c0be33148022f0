"""Figure 5 (the paper's Section 5 and Appendix E) drawn from a ``linear.fig5`` result payload (reports/RESULTS.md).

* fig5a_weights.png — the standard and the robust model's weights as images, one diverging colour map
  (``RdBu_r``: red positive, blue negative, white 0) centred at 0 with PER-PANEL symmetric limits ±max|w| (the two
  models' weight scales differ several-fold; each panel has its own colour bar).
* fig5b_correlation.png — pixel–label correlation against the weight each model gives that pixel.
* fig5c_topk.png — standard and exact robust test accuracy of standard models trained on the k most
  correlated pixels, against k (log x-axis); dashed lines mark the full standard and robust models.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._style import EPS, EPS_TRAIN, NORM_LABEL, eps_value, figure_title, new_figure, save_figure

CMAP = "RdBu_r"


def _models(p: dict) -> tuple[tuple[str, str], tuple[str, str]]:
    """(key, panel label with the model's training ε) for the standard and the adversarially trained model."""
    e = eps_value(p["norm"], p["eps"])
    return (("standard", f"standard model ({EPS_TRAIN} = 0)"),
            ("robust", f"adversarially trained ({NORM_LABEL[p['norm']]} {EPS_TRAIN} = {e})"))


def _eps_label(p: dict) -> str:
    box = ", pixels kept in [0, 1]" if p.get("box") else ""
    return f"{NORM_LABEL[p['norm']]} {EPS} = {eps_value(p['norm'], p['eps'])}{box}"


def _where(p: dict, panel: str) -> str:
    a, b = p["digits"]
    return f"Figure 5({panel}) · binary MNIST {a} vs {b}, linear classifiers"


def _image_shape(p: dict, d: int) -> tuple[int, int]:
    shape = [s for s in p.get("image_shape", []) if s != 1]
    if len(shape) == 2 and shape[0] * shape[1] == d:
        return shape[0], shape[1]
    side = int(round(np.sqrt(d)))
    if side * side != d:
        raise ValueError(f"cannot show {d} weights as a square image; the payload needs 'image_shape'")
    return side, side


def draw_weights(p: dict, path: str | os.PathLike) -> Path:
    """Figure 5(a): the two weight vectors as images, diverging map centred at 0, per-panel ±max|w|."""
    fig, axes = new_figure(2, 1, width=3.6, height=3.5)
    a, b = p["digits"]
    for ax, (key, title) in zip(axes[0], _models(p)):
        w = np.asarray(p["weights"][key], dtype=float)
        img = w.reshape(_image_shape(p, w.size))
        lim = float(np.abs(w).max()) or 1.0
        im = ax.imshow(img, cmap=CMAP, vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        cb.set_label(f"pixel weight (red → {a}, blue → {b})", fontsize=8)
        cb.ax.tick_params(labelsize=7)
    figure_title(fig, _where(p, "a") + f": weights as images, robust model trained at {_eps_label(p)} "
                 "(each panel its own symmetric colour scale)", fontsize=9)
    return save_figure(fig, path)


def draw_correlation(p: dict, path: str | os.PathLike) -> Path:
    """Figure 5(b): each pixel's correlation with the label (x) against its weight (y), one panel per model."""
    fig, axes = new_figure(2, 1, width=4.0, height=3.4)
    rho = np.asarray(p["correlation"], dtype=float)
    frac = p.get("config", {}).get("top_fraction", 0.1)
    for ax, (key, title) in zip(axes[0], _models(p)):
        w = np.asarray(p["weights"][key], dtype=float)
        s = p["summary"][key]
        ax.scatter(rho, w, s=6, alpha=0.6, color="tab:blue" if key == "standard" else "tab:red", linewidths=0)
        ax.axhline(0, color="0.5", lw=0.6)
        ax.axvline(0, color="0.5", lw=0.6)
        ax.set_xlabel("Pearson correlation of the pixel with the label")
        ax.set_ylabel("weight of the pixel")
        ax.set_title(f"{title}\n{s['n_active']} active pixels; {s['top_mass']:.0%} of |w| on the top {frac:.0%} "
                     "correlated", fontsize=8)
    figure_title(fig, _where(p, "b") + f": correlation vs weight, one point per pixel; robust model at "
                 f"{_eps_label(p)}", fontsize=9)
    return save_figure(fig, path)


def draw_topk(p: dict, path: str | os.PathLike) -> Path:
    """Figure 5(c): standard and robust accuracy of top-k standard models against k (log scale)."""
    fig, axes = new_figure(1, 1, width=6.0, height=3.6)
    ax = axes[0, 0]
    ks = [r["k"] for r in p["topk"]]
    ax.plot(ks, [100 * r["standard_acc"] for r in p["topk"]], "o-", color="tab:blue", ms=3,
            label="standard accuracy (no attack)")
    ax.plot(ks, [100 * r["robust_acc"] for r in p["topk"]], "s-", color="tab:red", ms=3,
            label=f"robust accuracy ({_eps_label(p)}, exact)")
    rob = p["summary"]["robust"]
    ax.axhline(100 * rob["standard_acc"], color="tab:blue", ls="--", lw=0.8, label="adv. trained model: standard")
    ax.axhline(100 * rob["robust_acc"], color="tab:red", ls="--", lw=0.8, label="adv. trained model: robust")
    ax.set_xscale("log")
    ax.set_ylim(-2, 102)
    ax.set_xlabel("k, number of most correlated pixels used (log scale)")
    ax.set_ylabel("test accuracy (%), one training run")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    ax.set_title(f"standard models ({EPS_TRAIN} = 0) trained on the top-k pixels; attack {_eps_label(p)}",
                 fontsize=8)
    figure_title(fig, _where(p, "c") + f": accuracy against k, attack {_eps_label(p)}", fontsize=9)
    return save_figure(fig, path)


def draw_fig5(payload: dict, out_dir: str | os.PathLike) -> list[Path]:
    """Draw fig5a_weights.png, fig5b_correlation.png and fig5c_topk.png into ``out_dir``; return their paths."""
    out = Path(out_dir)
    return [
        draw_weights(payload, out / "fig5a_weights.png"),
        draw_correlation(payload, out / "fig5b_correlation.png"),
        draw_topk(payload, out / "fig5c_topk.png"),
    ]
