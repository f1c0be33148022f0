"""The finite-sample curve on D(d, p, η) (theory-side analogue of the paper's Figure 1): exact standard and robust
accuracy of linear rules learned from n samples, against n, one curve per ε_train (mean over seeds, band min–max)."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import asdict, is_dataclass
from pathlib import Path

import numpy as np

from ._style import EPS, EPS_TRAIN, figure_title, new_figure, save_figure


def _as_dict(row) -> dict:
    return asdict(row) if is_dataclass(row) else dict(row)


def plot_finite_sample(
    rows, path: str | os.PathLike, *, p: float | None = None, eps_eval: float | None = None, title: str | None = None,
) -> Path:
    """Draw standard (left) and robust (right) accuracy against the training-set size n (log axis) from ``rows``
    (dicts or dataclasses with n, eps_train, standard_acc, robust_acc) and save the PNG atomically at ``path``.
    ``p`` draws the accuracy of the robust feature alone (sign(x_1)) as a reference line; ``title`` names the
    distribution (the figure adds what is drawn)."""
    rows = [_as_dict(r) for r in rows]
    if not rows:
        raise ValueError("no rows to plot: run the finite-sample study first")
    fig, axes = new_figure(ncols=2, width=4.6, height=3.5)
    groups: dict[float, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        groups[float(r["eps_train"])][int(r["n"])].append(r)
    seeds = max(len(v) for g in groups.values() for v in g.values())
    band = f"mean over {seeds} seeds, band min–max" if seeds > 1 else "1 seed"
    attack = f"ℓ∞ attack, {EPS} = {eps_eval:.3g}" if eps_eval is not None else "the study's attack"
    panels = (("standard_acc", "standard accuracy (%)", "no attack"), ("robust_acc", "robust accuracy (%)", attack))
    for ax, (key, label, panel_title) in zip(axes[0], panels):
        for eps_train in sorted(groups):
            ns = sorted(groups[eps_train])
            vals = [100 * np.array([r[key] for r in groups[eps_train][n]], dtype=float) for n in ns]
            mean = np.array([v.mean() for v in vals])
            line, = ax.plot(ns, mean, marker="o", ms=3, label=f"{EPS_TRAIN} = {eps_train:.3g}")
            ax.fill_between(ns, [v.min() for v in vals], [v.max() for v in vals], color=line.get_color(), alpha=0.2)
        if p is not None:
            ax.axhline(100 * p, color="grey", ls="--", lw=1, label=rf"sign$(x_1)$ alone: $p$ = {p:g}")
        ax.set_xscale("log")
        ax.set_xlabel("training samples n (log scale)")
        ax.set_ylabel(f"{label}\n{band}")
        ax.set_title(panel_title, fontsize=9)
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower right")
    what = f"exact accuracy of linear rules learned from n samples, one curve per {EPS_TRAIN}"
    figure_title(fig, f"{title}: {what}" if title else what[0].upper() + what[1:], fontsize=9)
    return save_figure(fig, path)


def finite_sample_figure(payload: dict, path: str | os.PathLike) -> Path:
    """The finite-sample figure of a ``theory.finite_sample`` payload (:func:`plot_finite_sample` on its rows, with
    sign(x_1)'s accuracy p and the evaluation radius), titled with the distribution D(d, p, η)."""
    d, p, eta = int(payload["d"]), float(payload["p"]), float(payload["eta"])
    return plot_finite_sample(payload["rows"], path, p=p, eps_eval=payload["eps_eval"],
                              title=f"Theory (analogue of Figure 1) · D(d = {d}, p = {p:g}, η = {eta:.3g}, "
                                    f"η√d = {eta * d ** 0.5:.3g})")
