"""Figures 1-4 and 6-10 of the paper from the arrays and result rows computed in deep/experiments.

Nothing here computes: every function takes rows (``deep.sweep`` payload rows) or arrays and writes one PNG.
Error bars are the standard deviation over seeds where a point has several seeds.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from ._style import new_figure, save_figure

NORM_LABEL = {"inf": r"$\ell_\infty$", "2": r"$\ell_2$", "none": "standard"}
MODEL_LABEL = {"standard": "standard", "linf": r"$\ell_\infty$-trained", "l2": r"$\ell_2$-trained"}


def _group(rows: list[dict], key: str, x: str, y: str) -> dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``{key value: (xs, mean y, std y over seeds)}`` sorted by x."""
    acc: dict = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.get(y) is not None and r.get(x) is not None:
            acc[r[key]][r[x]].append(float(r[y]))
    out = {}
    for k, pts in acc.items():
        xs = np.array(sorted(pts), dtype=float)
        ys = [np.array(pts[v]) for v in sorted(pts)]
        out[k] = (xs, np.array([v.mean() for v in ys]), np.array([v.std(ddof=1) if len(v) > 1 else 0.0 for v in ys]))
    return out


def _eps_label(norm: str, eps: float) -> str:
    if eps == 0:
        return r"standard ($\varepsilon_{train}=0$)"
    if norm == "inf" and eps < 0.1:
        return rf"$\varepsilon_{{train}}={eps * 255:.3g}/255$"
    return rf"$\varepsilon_{{train}}={eps:.3g}$"


def plot_accuracy_vs_n(rows: list[dict], norm: str, path: str | os.PathLike, title: str) -> Path:
    """Fig. 1 (ℓ2) / Fig. 6 (ℓ∞): standard test accuracy against training-set size (log x), one curve per ε_train,
    with the robust accuracy at the sweep's evaluation ε as a second panel."""
    rows = [r for r in rows if r["norm"] == norm]
    if not rows:
        raise ValueError(f"no {norm} rows to plot for {path}")
    fig, axes = new_figure(ncols=2, width=4.6)
    for ax, metric, name in ((axes[0, 0], "standard_acc", "standard accuracy"),
                             (axes[0, 1], "robust_acc", "robust accuracy")):
        for eps, (xs, m, s) in sorted(_group(rows, "eps_train", "n_train", metric).items()):
            ax.errorbar(xs, 100 * m, yerr=100 * s, marker="o", capsize=3, label=_eps_label(norm, eps))
        ax.set_xscale("log")
        ax.set_xlabel("training-set size")
        ax.set_ylabel(f"{name} (%)")
        ax.grid(alpha=0.3)
    eps_eval = rows[0].get("eps_eval")
    axes[0, 1].set_title(rf"{NORM_LABEL[norm]} PGD, $\varepsilon$ = {eps_eval:.3g}", fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{title}: {NORM_LABEL[norm]} adversarial training", fontsize=10)
    return save_figure(fig, path)


def plot_accuracy_vs_eps(rows: list[dict], path: str | os.PathLike, title: str,
                         mixed_rows: list[dict] | None = None) -> Path:
    """Fig. 7: standard accuracy against ε_train, one panel per norm; Appendix B's mixed-batch runs (if given)
    as a second curve."""
    norms = [n for n in ("inf", "2") if any(r["norm"] == n for r in rows)]
    if not norms:
        raise ValueError(f"no rows to plot for {path}")
    fig, axes = new_figure(ncols=len(norms), width=4.2)
    for ax, norm in zip(axes[0], norms):
        for label, rs, style in (("adversarial batches", rows, "o-"), ("50/50 clean/adversarial", mixed_rows, "s--")):
            sel = [r for r in (rs or []) if r["norm"] == norm]
            if sel and label.startswith("50/50"):  # mixed curves start from the same standard model
                sel += [r for r in rows if r["norm"] == norm and r["eps_train"] == 0]
            if not sel:
                continue
            for _, (xs, m, s) in _group([{**r, "k": 0} for r in sel], "k", "eps_train", "standard_acc").items():
                ax.errorbar(xs, 100 * m, yerr=100 * s, fmt=style, capsize=3, label=label)
        ax.set_xlabel(rf"{NORM_LABEL[norm]} $\varepsilon_{{train}}$")
        ax.set_ylabel("standard accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"{title}: standard accuracy vs training ε", fontsize=10)
    return save_figure(fig, path)


def _show(ax, img: np.ndarray) -> None:
    img = np.asarray(img)
    if img.shape[0] == 1:
        ax.imshow(img[0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(np.clip(np.transpose(img, (1, 2, 0)), 0, 1))
    ax.set_xticks([])
    ax.set_yticks([])


def _show_gradient(ax, g: np.ndarray, signed: bool) -> None:
    if signed:
        m = g.sum(axis=0)
        lim = float(np.abs(m).max()) or 1.0
        ax.imshow(m, cmap="bwr_r", vmin=-lim, vmax=lim)  # blue positive, red negative
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        from tradeoff.deep.experiments.gradients import display_scaled

        _show(ax, display_scaled(g[None])[0])


def plot_gradients(images: np.ndarray, grads: dict[str, np.ndarray], path: str | os.PathLike, title: str,
                   signed: bool, class_names: list[str] | None = None, labels: np.ndarray | None = None) -> Path:
    """Fig. 2 / 10: rows = images; columns = the image, then the input gradient of each model. ``signed``: MNIST's
    signed map (blue positive, red negative); else CIFAR-10/ImageNet's ±3σ display ((1 + clip(g, ±s)/s)/2)."""
    names = list(grads)
    n = len(images)
    fig, axes = new_figure(ncols=1 + len(names), nrows=n, width=1.4, height=1.4)
    for i in range(n):
        _show(axes[i, 0], images[i])
        if labels is not None and class_names:
            axes[i, 0].set_ylabel(class_names[int(labels[i])], fontsize=7)
        for j, name in enumerate(names):
            _show_gradient(axes[i, j + 1], grads[name][i], signed)
    for j, name in enumerate(["original"] + names):
        axes[0, j].set_title(MODEL_LABEL.get(name, name), fontsize=8)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path)


def plot_large_eps(images: np.ndarray, adv: dict[str, np.ndarray], path: str | os.PathLike, title: str,
                   preds: dict[str, np.ndarray] | None = None, class_names: list[str] | None = None,
                   labels: np.ndarray | None = None) -> Path:
    """Fig. 3 / 8 / 9: rows = images; columns = original, then each model's large-ε example (same ε), titled with
    the class the model predicts for it."""
    names = list(adv)
    n = len(images)
    fig, axes = new_figure(ncols=1 + len(names), nrows=n, width=1.4, height=1.5)
    for i in range(n):
        _show(axes[i, 0], images[i])
        if labels is not None and class_names:
            axes[i, 0].set_xlabel(class_names[int(labels[i])], fontsize=7)
        for j, name in enumerate(names):
            _show(axes[i, j + 1], adv[name][i])
            if preds is not None and class_names:
                axes[i, j + 1].set_xlabel(class_names[int(preds[name][i])], fontsize=7)
    for j, name in enumerate(["original"] + names):
        axes[0, j].set_title(MODEL_LABEL.get(name, name), fontsize=8)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path)


def plot_interpolation(strips: dict[str, np.ndarray], path: str | os.PathLike, title: str,
                       curves: dict[str, np.ndarray] | None = None) -> Path:
    """Fig. 4: for each model one row of frames from the image (left) to its large-ε example (right); with
    ``curves`` (model → (F,) target-class probability), a last column plots it."""
    names = list(strips)
    f = strips[names[0]].shape[0]
    extra = 1 if curves else 0
    fig, axes = new_figure(ncols=f + extra, nrows=len(names), width=0.9, height=1.0)
    for i, name in enumerate(names):
        for t in range(f):
            _show(axes[i, t], strips[name][t])
        base, _, idx = name.partition(" #")
        axes[i, 0].set_ylabel(MODEL_LABEL.get(base, base) + (f" #{idx}" if idx else ""), fontsize=7)
        if curves:
            ax = axes[i, f]
            c = np.asarray(curves[name])
            ax.plot(np.linspace(0, 1, len(c)), c, "k-")
            ax.set_ylim(0, 1)
            ax.tick_params(labelsize=5)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path)


def draw_dataset(outcome, figures_dir: str | os.PathLike) -> list[Path]:
    """Every figure of one dataset's reproduction (a :class:`deep.experiments.reproduce.DatasetOutcome`):
    fig1/fig6 (accuracy vs n), fig7 (accuracy vs ε_train, with Appendix B's mixed batches), fig2/fig10
    (gradients), fig3/fig8/fig9 (large ε) and fig4 (interpolations), named ``figN_<dataset>.png``."""
    from tradeoff.deep.experiments.definitions import CLASS_NAMES, DATASET_TITLES

    d = Path(figures_dir)
    ds = outcome.dataset
    title = f"{DATASET_TITLES[ds]} [{outcome.scale} scale]"
    names = CLASS_NAMES.get(ds)
    paths = []
    rows = outcome.rows
    if rows.get("fig1"):
        paths.append(plot_accuracy_vs_n(rows["fig1"], "2", d / f"fig1_{ds}.png", title))
    if rows.get("fig6"):
        paths.append(plot_accuracy_vs_n(rows["fig6"], "inf", d / f"fig6_{ds}.png", title))
    if rows.get("fig7"):
        paths.append(plot_accuracy_vs_eps(rows["fig7"], d / f"fig7_{ds}.png", title, rows.get("mixed")))
    p = outcome.pictures
    if p is None:
        return paths
    g = p.gradients
    signed = ds == "mnist"
    k = min(3, len(g.images))
    gtitle = f"{title}: loss gradient w.r.t. the input" + (
        " (blue > 0, red < 0)" if signed else " (per image ±3σ, grey = 0)")
    paths.append(plot_gradients(g.images[:k], {m: v[:k] for m, v in g.grads.items()}, d / f"fig2_{ds}.png",
                                gtitle, signed, names, g.labels[:k]))
    paths.append(plot_gradients(g.images, g.grads, d / f"fig10_{ds}.png", gtitle, signed, names, g.labels))
    paths.append(plot_large_eps(g.images, p.own_norm, d / f"fig3_{ds}.png",
                                f"{title}: large-ε examples (each model in its own norm; standard in ℓ2)",
                                p.own_pred, names, g.labels))
    for fig, norm in (("fig8", "inf"), ("fig9", "2")):
        s = p.large_eps.get(norm)
        if s is not None:
            paths.append(plot_large_eps(s.images, s.adv, d / f"{fig}_{ds}.png",
                                        f"{title}: large-ε {NORM_LABEL[norm]} examples, ε = {s.eps:.3g}",
                                        s.model_pred, names, s.labels))
    it = p.interpolation
    n_img = min(2, len(g.images))
    strips = {f"{m} #{i + 1}": it.strips[m][i] for m in it.strips for i in range(n_img)}
    curves = {f"{m} #{i + 1}": _target_curve(it.probs[m][i]) for m in it.probs for i in range(n_img)}
    paths.append(plot_interpolation(strips, d / f"fig4_{ds}.png",
                                    f"{title}: image → large-ε example ({it.frames} frames); right: "
                                    "probability of the final class", curves))
    return paths


def _target_curve(probs: np.ndarray) -> np.ndarray:
    """Probability of the last frame's class along the frames, from ``(F, K)`` probabilities."""
    return probs[:, int(np.argmax(probs[-1]))]
