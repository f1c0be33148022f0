"""Figure 5 (PAPER.md §5) drawn from a ``linear.fig5`` result payload (reports/RESULTS.md).

* fig5a_weights.png — the standard and the robust model's weights as images, one diverging colour map
  (``RdBu_r``: red positive, blue negative) centred at 0 with PER-PANEL symmetric limits ±max|w| (the two
  models' weight scales differ several-fold; each panel has its own colour bar).
* fig5b_correlation.png — pixel–label correlation against the weight each model gives that pixel.
* fig5c_topk.png — standard and exact robust test accuracy of standard models trained on the k most
  correlated pixels, against k (log x-axis); dashed lines mark the full standard and robust models.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._style import new_figure, save_figure

CMAP = "RdBu_r"
MODELS = (("standard", "standard model"), ("robust", "adversarially trained"))


def _eps_label(p: dict) -> str:
    box = ", box [0,1]" if p.get("box") else ""
    norm = "∞" if p["norm"] == "inf" else "2"
    return f"ℓ{norm} ε={p['eps']:g}{box}"


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
    fig, axes = new_figure(2, 1, width=3.6, height=3.4)
    a, b = p["digits"]
    for ax, (key, title) in zip(axes[0], MODELS):
        w = np.asarray(p["weights"][key], dtype=float)
        img = w.reshape(_image_shape(p, w.size))
        lim = float(np.abs(w).max()) or 1.0
        im = ax.imshow(img, cmap=CMAP, vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(f"{title}\n(red → {a}, blue → {b})", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    fig.suptitle(f"Fig. 5(a) weights, {a} vs {b}, {_eps_label(p)} (per-panel symmetric colour scale)", fontsize=9,
                 y=1.04)
    return save_figure(fig, path)


def draw_correlation(p: dict, path: str | os.PathLike) -> Path:
    """Figure 5(b): each pixel's correlation with the label (x) against its weight (y), one panel per model."""
    fig, axes = new_figure(2, 1, width=3.8, height=3.2)
    rho = np.asarray(p["correlation"], dtype=float)
    frac = p.get("config", {}).get("top_fraction", 0.1)
    for ax, (key, title) in zip(axes[0], MODELS):
        w = np.asarray(p["weights"][key], dtype=float)
        s = p["summary"][key]
        ax.scatter(rho, w, s=6, alpha=0.6, color="tab:blue" if key == "standard" else "tab:red", linewidths=0)
        ax.axhline(0, color="0.5", lw=0.6)
        ax.axvline(0, color="0.5", lw=0.6)
        ax.set_xlabel("correlation of pixel with label")
        ax.set_ylabel("weight")
        ax.set_title(f"{title}: {s['n_active']} active pixels,\n{s['top_mass']:.0%} of |w| on the top {frac:.0%} "
                     "correlated pixels", fontsize=9)
    fig.tight_layout()
    fig.suptitle(f"Fig. 5(b) correlation vs weight, {_eps_label(p)}", fontsize=9, y=1.04)
    return save_figure(fig, path)


def draw_topk(p: dict, path: str | os.PathLike) -> Path:
    """Figure 5(c): standard and robust accuracy of top-k standard models against k (log scale)."""
    fig, axes = new_figure(1, 1, width=5.0, height=3.4)
    ax = axes[0, 0]
    ks = [r["k"] for r in p["topk"]]
    ax.plot(ks, [r["standard_acc"] for r in p["topk"]], "o-", color="tab:blue", ms=3, label="standard accuracy")
    ax.plot(ks, [r["robust_acc"] for r in p["topk"]], "s-", color="tab:red", ms=3,
            label=f"robust accuracy ({_eps_label(p)})")
    rob = p["summary"]["robust"]
    ax.axhline(rob["standard_acc"], color="tab:blue", ls="--", lw=0.8, label="adv. trained model: standard")
    ax.axhline(rob["robust_acc"], color="tab:red", ls="--", lw=0.8, label="adv. trained model: robust")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("k (most correlated pixels used)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=7, loc="lower left")
    a, b = p["digits"]
    ax.set_title(f"Fig. 5(c) standard models on the top-k pixels, {a} vs {b}", fontsize=9)
    return save_figure(fig, path)


def draw_fig5(payload: dict, out_dir: str | os.PathLike) -> list[Path]:
    """Draw fig5a_weights.png, fig5b_correlation.png and fig5c_topk.png into ``out_dir``; return their paths."""
    out = Path(out_dir)
    return [
        draw_weights(payload, out / "fig5a_weights.png"),
        draw_correlation(payload, out / "fig5b_correlation.png"),
        draw_topk(payload, out / "fig5c_topk.png"),
    ]
