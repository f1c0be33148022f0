"""Figures 1-4 and 6-10 of the paper from the deep result files: the rows of ``deep.sweep`` payloads
(:func:`sweep_figures`) and the arrays of ``deep.pictures`` files (:func:`picture_figures`); reports.figures.results
reads the files and calls them, for ``tradeoff deep reproduce`` as for anyone else.

Nothing here computes: every function takes rows or arrays and writes one PNG. Every
title names the paper's figure, the dataset and scale, the attack's ε and each model's training ε (ε_train); every
accuracy axis is in percent and says what its error bars are (mean ± s.d. over seeds, or a single seed).
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from ._style import (
    EPS,
    EPS_TRAIN,
    NORM_LABEL,
    attack_label,
    eps_value,
    figure_title,
    model_label,
    new_figure,
    save_figure,
    seeds_note,
)

#: Fallback column labels when a picture figure is not told the models' training radii.
MODEL_LABEL = {"standard": "standard", "linf": r"$\ell_\infty$-trained", "l2": r"$\ell_2$-trained"}
#: Pixel size of one image cell in the picture grids (inches).
CELL = 1.25


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


def _seed_counts(rows: list[dict], *keys: str) -> list[int]:
    """How many rows (seeds) each point ``keys`` has."""
    c: dict = defaultdict(int)
    for r in rows:
        c[tuple(r.get(k) for k in keys)] += 1
    return list(c.values())


def _eps_eval_text(rows: list[dict], norm: str) -> str:
    vals = sorted({float(r["eps_eval"]) for r in rows if r.get("eps_eval") is not None})
    return ", ".join(eps_value(norm, v) for v in vals) or "not recorded"


def _percent_limits(ax) -> None:
    """Keep an accuracy axis inside [0, 100] % (a single point otherwise gets limits past 100)."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(max(lo, -1.0), min(hi, 100.5))


def _where(title: str, number: int) -> str:
    return f"Figure {number} · {title}"


def plot_accuracy_vs_n(rows: list[dict], norm: str, path: str | os.PathLike, title: str,
                       number: int | None = None) -> Path:
    """Fig. 1 (ℓ2) / Fig. 6 (ℓ∞): standard test accuracy against training-set size (log x), one curve per ε_train,
    with the robust accuracy at the sweep's evaluation ε as a second panel. ``title``: dataset and scale."""
    rows = [r for r in rows if r["norm"] == norm]
    if not rows:
        raise ValueError(f"no {norm} rows to plot for {path}")
    number = number or (1 if norm == "2" else 6)
    fig, axes = new_figure(ncols=2, width=4.6, height=3.4)
    note = seeds_note(_seed_counts(rows, "eps_train", "n_train"))
    panels = ((axes[0, 0], "standard_acc", "standard accuracy", "no attack"),
              (axes[0, 1], "robust_acc", "robust accuracy",
               f"{NORM_LABEL[norm]} PGD attack, {EPS} = {_eps_eval_text(rows, norm)}"))
    for ax, metric, name, panel_title in panels:
        for eps, (xs, m, s) in sorted(_group(rows, "eps_train", "n_train", metric).items()):
            ax.errorbar(xs, 100 * m, yerr=100 * s, marker="o", ms=4, capsize=3, label=model_label(norm, eps))
        ax.set_xscale("log")
        ax.set_xlabel("training-set size n (images, log scale)")
        ax.set_ylabel(f"{name} (%)\n{note}")
        ax.set_title(panel_title, fontsize=9)
        ax.grid(alpha=0.3)
        _percent_limits(ax)
    axes[0, 0].legend(fontsize=7)
    figure_title(fig, _where(title, number) + f": accuracy vs training-set size, {NORM_LABEL[norm]} adversarial "
                 f"training (one curve per {EPS_TRAIN})")
    return save_figure(fig, path)


def plot_accuracy_vs_eps(rows: list[dict], path: str | os.PathLike, title: str,
                         mixed_rows: list[dict] | None = None) -> Path:
    """Fig. 7: standard accuracy against ε_train, one panel per norm; Appendix B's mixed-batch runs (if given)
    as a second curve. ``title``: dataset and scale."""
    norms = [n for n in ("inf", "2") if any(r["norm"] == n for r in rows)]
    if not norms:
        raise ValueError(f"no rows to plot for {path}")
    fig, axes = new_figure(ncols=len(norms), width=4.4, height=3.4)
    for ax, norm in zip(axes[0], norms):
        drawn: list[dict] = []
        counts: list[int] = []
        for label, rs, style in (("adversarial batches", rows, "o-"), ("50/50 clean/adversarial", mixed_rows, "s--")):
            sel = [r for r in (rs or []) if r["norm"] == norm]
            if sel and label.startswith("50/50"):  # mixed curves start from the same standard model
                sel += [r for r in rows if r["norm"] == norm and r["eps_train"] == 0]
            if label.startswith("adversarial") and not any(r["eps_train"] > 0 for r in sel) \
                    and any(r["norm"] == norm for r in mixed_rows or []):
                continue  # the standard model alone is no curve (no legend entry without a line): the mixed one
                # starts from it
            if not sel:
                continue
            drawn += sel
            counts += _seed_counts(sel, "eps_train")
            for _, (xs, m, s) in _group([{**r, "k": 0} for r in sel], "k", "eps_train", "standard_acc").items():
                ax.errorbar(xs, 100 * m, yerr=100 * s, fmt=style, ms=4, capsize=3, label=label)
        ticks = sorted({float(r["eps_train"]) for r in drawn})
        ax.set_xticks(ticks, [eps_value(norm, t) for t in ticks])
        ax.set_xlabel(f"{NORM_LABEL[norm]} training radius {EPS_TRAIN}")
        ax.set_ylabel("standard accuracy (%)\n" + seeds_note(counts))
        ns = sorted({int(r["n_train"]) for r in drawn if r.get("n_train")})
        ax.set_title(f"{NORM_LABEL[norm]} training, n = {', '.join(map(str, ns)) or '?'}; no attack at test time",
                     fontsize=9)
        ax.grid(alpha=0.3)
        _percent_limits(ax)
        ax.legend(fontsize=7)
    figure_title(fig, _where(title, 7) + f": standard accuracy vs the training radius {EPS_TRAIN}")
    return save_figure(fig, path)


def _show(ax, img: np.ndarray) -> None:
    img = np.asarray(img)
    if img.shape[0] == 1:
        ax.imshow(img[0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(np.clip(np.transpose(img, (1, 2, 0)), 0, 1))
    ax.set_xticks([])
    ax.set_yticks([])


#: MNIST's signed gradient map: blue positive, red negative, white zero (``bwr`` reversed).
SIGNED_CMAP = "bwr_r"


def _show_gradient(ax, g: np.ndarray, signed: bool) -> None:
    """Signed (MNIST): the channel sum divided by its largest magnitude, so every image spans [−1, 1] with 0 white.
    Colour images: the paper's per-image ±3σ display (1 + clip(g, ±3σ)/3σ)/2."""
    if signed:
        m = g.sum(axis=0)
        lim = float(np.abs(m).max()) or 1.0
        ax.imshow(m / lim, cmap=SIGNED_CMAP, vmin=-1, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        from tradeoff.deep.experiments.gradients import display_scaled

        _show(ax, display_scaled(g[None])[0])


def _gradient_colorbar(fig, axes, signed: bool) -> None:
    """One horizontal colour bar under the gradient columns (the same scale for every image)."""
    kw = dict(ax=axes, orientation="horizontal", location="bottom", shrink=0.9, aspect=40, fraction=0.05)
    if signed:
        cb = fig.colorbar(ScalarMappable(Normalize(-1, 1), cmap=SIGNED_CMAP), ticks=[-1, 0, 1], **kw)
        cb.set_label("gradient ÷ its largest |value| in the image\n(blue > 0, white = 0, red < 0)", fontsize=7)
    else:
        cb = fig.colorbar(ScalarMappable(Normalize(-3, 3), cmap="gray"), ticks=[-3, 0, 3], **kw)
        cb.ax.set_xticklabels(["−3σ", "0", "+3σ"])
        cb.set_label("gradient per colour channel in s.d. σ of the image's gradient\n(clipped at ±3σ; grey = 0)",
                     fontsize=7)
    cb.ax.tick_params(labelsize=7)


def _column_label(name: str, trained: dict | None) -> str:
    if trained and name in trained:
        norm, eps_train = trained[name]
        return model_label(norm, eps_train).replace(" (", "\n(", 1)
    return MODEL_LABEL.get(name, name)


def plot_gradients(images: np.ndarray, grads: dict[str, np.ndarray], path: str | os.PathLike, title: str,
                   signed: bool, class_names: list[str] | None = None, labels: np.ndarray | None = None,
                   trained: dict[str, tuple[str, float]] | None = None, number: int = 2) -> Path:
    """Fig. 2 / 10: rows = images; columns = the image, then the input gradient of each model, with a colour bar.
    ``signed``: MNIST's signed map (blue positive, red negative, white 0); else CIFAR-10/ImageNet's ±3σ display
    ((1 + clip(g, ±s)/s)/2, s = 3·std(g) per image). ``trained``: model → (norm, ε_train) for the column titles;
    ``title``: dataset and scale."""
    names = list(grads)
    n = len(images)
    fig, axes = new_figure(ncols=1 + len(names), nrows=n, width=CELL, height=CELL + 0.15, extra_height=1.5)
    for i in range(n):
        _show(axes[i, 0], images[i])
        if labels is not None and class_names:
            axes[i, 0].set_xlabel(f"label: {class_names[int(labels[i])]}", fontsize=7)
        for j, name in enumerate(names):
            _show_gradient(axes[i, j + 1], grads[name][i], signed)
    axes[0, 0].set_title("test image", fontsize=8)
    for j, name in enumerate(names):
        axes[0, j + 1].set_title(_column_label(name, trained), fontsize=8)
    _gradient_colorbar(fig, axes[:, 1:], signed)
    figure_title(fig, _where(title, number) + ": gradient of the loss w.r.t. the input pixels, per model "
                 f"({EPS_TRAIN} in the column titles)", fontsize=9)
    return save_figure(fig, path)


def plot_large_eps(images: np.ndarray, adv: dict[str, np.ndarray], path: str | os.PathLike, title: str,
                   preds: dict[str, np.ndarray] | None = None, class_names: list[str] | None = None,
                   labels: np.ndarray | None = None, probs: dict[str, np.ndarray] | None = None,
                   trained: dict[str, tuple[str, float]] | None = None,
                   attacks: dict[str, tuple[str, float]] | None = None, number: int = 3, what: str = "") -> Path:
    """Fig. 3 / 8 / 9: rows = images; columns = original, then each model's large-ε example. Under each example the
    class the attacked model predicts and, with ``probs`` (model → (N, K) softmax), its probability. ``trained``:
    model → (norm, ε_train); ``attacks``: model → (attack norm, ε), both shown in the column titles; ``title``:
    dataset and scale; ``what``: the rest of the figure title."""
    names = list(adv)
    n = len(images)
    fig, axes = new_figure(ncols=1 + len(names), nrows=n, width=CELL + 0.1, height=CELL + 0.3, extra_height=1.2)
    for i in range(n):
        _show(axes[i, 0], images[i])
        if labels is not None and class_names:
            axes[i, 0].set_xlabel(f"label: {class_names[int(labels[i])]}", fontsize=7)
        for j, name in enumerate(names):
            ax = axes[i, j + 1]
            _show(ax, adv[name][i])
            if preds is not None and class_names:
                k = int(preds[name][i])
                p = f" ({100 * float(probs[name][i][k]):.0f}%)" if probs is not None and name in probs else ""
                ax.set_xlabel(f"predicted: {class_names[k]}{p}", fontsize=7)
    axes[0, 0].set_title("test image", fontsize=8)
    for j, name in enumerate(names):
        head = _column_label(name, trained)
        if attacks and name in attacks:
            head += "\n" + attack_label(*attacks[name])
        axes[0, j + 1].set_title(head, fontsize=8)
    figure_title(fig, _where(title, number) + ": " + (what or f"large-{EPS} adversarial examples")
                 + "; under each example: the attacked model's prediction (its probability)", fontsize=9)
    return save_figure(fig, path)


def claim11_grid(payload: dict, examples_path: str | os.PathLike, path: str | os.PathLike, title: str) -> Path:
    """Claim 11's example grid (a ``deep.large_eps`` payload and its judged-examples ``.npz``): per attack norm,
    one row of the randomly drawn test images (``grid.indices``, never selected), then the standard model's and the
    robust model's large-ε examples of them at the first seed; under each example J1's label (exact nearest
    neighbours over the training set), so that a reader can judge the examples by eye."""
    from tradeoff.data.registry import by_label
    from tradeoff.deep.experiments.judged_examples import load_judged

    grid = payload["grid"]
    idx, seed = list(grid["indices"]), int(grid.get("model_seed", 0))
    ex = load_judged(examples_path)
    found = by_label(str(payload.get("dataset")))
    names = list(found.class_names) if found is not None else None
    norms = [r["attack_norm"] for r in payload["claim11_j1"]]
    rows = [("test image", None, None)]
    for norm in norms:
        robust = "linf" if norm == "inf" else "l2"
        rows += [(f"standard, {attack_label(norm, payload['eps'][norm])}", "standard", norm),
                 (f"{MODEL_LABEL[robust]}, {attack_label(norm, payload['eps'][norm])}", robust, norm)]
    fig, axes = new_figure(ncols=len(idx), nrows=len(rows), width=CELL, height=CELL + 0.25, extra_height=1.0)
    for r, (label, model, norm) in enumerate(rows):
        for c, i in enumerate(idx):
            ax = axes[r, c]
            if model is None:
                _show(ax, ex.images[i])
                ax.set_xlabel(f"label: {names[ex.labels[i]] if names else ex.labels[i]}", fontsize=7)
                continue
            _show(ax, ex.adv[ex.record(model, seed, norm), i])
            j1 = grid["j1_label"][f"{model}/{norm}"][c]
            mark = "" if j1 == ex.labels[i] else " (other)"
            ax.set_xlabel(f"J1: {names[j1] if names else j1}{mark}", fontsize=7)
        axes[r, 0].set_ylabel(label, fontsize=7)
    figure_title(fig, _where(title, 3) + f": claim 11's randomly drawn large-{EPS} examples (seed {grid['seed']}, "
                 "not selected) with J1's label (nearest neighbours over the training set)", fontsize=9)
    return save_figure(fig, path)


def _frame_indices(f: int, shown: int) -> np.ndarray:
    """``shown`` evenly spaced frame indices from 0 to ``f - 1`` (both ends included)."""
    return np.unique(np.round(np.linspace(0, f - 1, min(shown, f))).astype(int))


def plot_interpolation(strips: dict[str, np.ndarray], path: str | os.PathLike, title: str,
                       curves: dict[str, np.ndarray] | None = None, row_labels: dict[str, str] | None = None,
                       shown: int = 7, what: str = "") -> Path:
    """Fig. 4: for each model (row) ``shown`` of the frames from the image (t = 0) to its large-ε example
    (t = 1), each frame labelled with the model's probability of the final class; with ``curves`` (row →
    (F,) that probability along all F frames), a panel on the right plots them all. ``row_labels``: row → text."""
    names = list(strips)
    f = strips[names[0]].shape[0]
    idx = _frame_indices(f, shown)
    t = np.linspace(0, 1, f)
    extra = 3 if curves else 0
    cell = 0.95
    fig = plt.figure(figsize=(cell * (len(idx) + extra) + 0.6, (cell + 0.25) * len(names) + 0.5),
                     layout="constrained")
    gs = fig.add_gridspec(len(names), len(idx) + extra)
    colours = plt.get_cmap("tab10")
    for i, name in enumerate(names):
        for j, k in enumerate(idx):
            ax = fig.add_subplot(gs[i, j])
            _show(ax, strips[name][k])
            if i == 0:
                ax.set_title(f"t = {t[k]:.2f}", fontsize=7)
            if curves:
                ax.set_xlabel(f"{100 * float(curves[name][k]):.0f}%", fontsize=7, labelpad=1)
            if j == 0:
                ax.set_ylabel((row_labels or {}).get(name, name), fontsize=7)
    if curves:
        ax = fig.add_subplot(gs[:, len(idx):])
        for i, name in enumerate(names):
            c = 100 * np.asarray(curves[name], dtype=float)
            ax.plot(np.linspace(0, 1, len(c)), c, color=colours(i // 2 % 10), ls="-" if i % 2 == 0 else "--",
                    label=(row_labels or {}).get(name, name).replace("\n", ", "))
        ax.set_ylim(-2, 102)
        ax.set_xlabel("position t on the path (0 = image, 1 = large-ε example)")
        ax.set_ylabel("model's probability of the final class (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="best")
    figure_title(fig, _where(title, 4) + ": " + (what or f"image → large-{EPS} example")
                 + ("; under each frame: the model's probability of the final frame's class" if curves else ""),
                 fontsize=9)
    return save_figure(fig, path)


def dataset_name(label: str) -> str:
    """The registry name of the data set a result label names (``cifar10-jpeg`` -> ``cifar10``), else the label:
    figure files are named ``figN_<name>.png``."""
    from tradeoff.data.registry import by_label

    found = by_label(str(label))
    return found.name if found is not None else str(label)


def _title(name: str, scale: str) -> str:
    from tradeoff.data.registry import DATASETS

    return f"{DATASETS[name].title if name in DATASETS else name}, {scale} scale"


def sweep_figures(payload: dict, figures_dir: str | os.PathLike, mixed: dict | None = None) -> list[Path]:
    """The figure of one ``deep.sweep`` payload as ``fig<N>_<dataset>.png``: Fig. 1 (experiment ``fig1``, ℓ2),
    Fig. 6 (``fig6``, ℓ∞), Fig. 7 (``fig7``, with Appendix B's mixed batches from ``mixed``, the ``mixed`` payload of
    the same dataset and scale, when given); none for the ``mixed`` experiment alone (Fig. 7 draws it) or no rows."""
    d = Path(figures_dir)
    ds = dataset_name(payload["dataset"])
    title = _title(ds, payload["scale"])
    rows, exp = payload.get("rows") or [], payload.get("experiment")
    if not rows:
        return []
    if exp == "fig1":
        return [plot_accuracy_vs_n(rows, "2", d / f"fig1_{ds}.png", title)]
    if exp == "fig6":
        return [plot_accuracy_vs_n(rows, "inf", d / f"fig6_{ds}.png", title)]
    if exp == "fig7":
        return [plot_accuracy_vs_eps(rows, d / f"fig7_{ds}.png", title, (mixed or {}).get("rows") or None)]
    return []


def picture_figures(p, scale: str, figures_dir: str | os.PathLike) -> list[Path]:
    """Every picture figure of one dataset from the arrays of its ``deep.pictures`` result file (a
    :class:`deep.experiments.pictures.PicturesResult` as :func:`deep.experiments.picture_file.read_pictures` gives
    it): fig2 and fig10 (gradients: the first images, then the others), fig3/fig8/fig9 (large ε) and fig4
    (interpolations), named ``figN_<dataset>.png``."""
    from tradeoff.data.registry import dataset_info
    from tradeoff.deep.experiments.pictures import OWN_NORM

    d = Path(figures_dir)
    ds = p.dataset
    title = _title(ds, scale)
    names = list(dataset_info(ds).class_names)
    paths = []
    g = p.gradients
    trained = getattr(p, "trained", None) or None
    signed = ds == "mnist"
    n = len(g.images)
    k = min(3, n - 1) if n > 1 else n  # Figure 2 shows the first k images, Figure 10 the others
    paths.append(plot_gradients(g.images[:k], {m: v[:k] for m, v in g.grads.items()}, d / f"fig2_{ds}.png",
                                title, signed, names, g.labels[:k], trained, number=2))
    if n > k:
        paths.append(plot_gradients(g.images[k:], {m: v[k:] for m, v in g.grads.items()}, d / f"fig10_{ds}.png",
                                    title, signed, names, g.labels[k:], trained, number=10))
    own_attacks = {m: (OWN_NORM[m], p.large_eps[OWN_NORM[m]].eps) for m in p.own_norm
                   if m in OWN_NORM and OWN_NORM[m] in p.large_eps}
    paths.append(plot_large_eps(g.images, p.own_norm, d / f"fig3_{ds}.png", title, p.own_pred, names, g.labels,
                                getattr(p, "own_probs", None) or None, trained, own_attacks, number=3,
                                what=f"large-{EPS} examples, each model attacked in its own training norm "
                                     "(the standard model in ℓ2)"))
    for fig, norm, number in (("fig8", "inf", 8), ("fig9", "2", 9)):
        s = p.large_eps.get(norm)
        if s is not None:
            paths.append(plot_large_eps(s.images, s.adv, d / f"{fig}_{ds}.png", title, s.model_pred, names,
                                        s.labels, getattr(s, "model_probs", None) or None, trained,
                                        {m: (norm, s.eps) for m in s.adv}, number=number,
                                        what=f"large-{EPS} {NORM_LABEL[norm]} adversarial examples, "
                                             f"{EPS} = {eps_value(norm, s.eps)} for every model"))
    it = p.interpolation
    n_img = min(2, n)
    strips = {f"{m} #{i + 1}": it.strips[m][i] for m in it.strips for i in range(n_img)}
    curves = {f"{m} #{i + 1}": _target_curve(it.probs[m][i]) for m in it.probs for i in range(n_img)}
    row_labels = {}
    for m in it.strips:
        head = _column_label(m, trained)
        if m in own_attacks:
            head += "\n" + attack_label(*own_attacks[m])
        for i in range(n_img):
            row_labels[f"{m} #{i + 1}"] = f"{head}\nimage {i + 1}"
    paths.append(plot_interpolation(strips, d / f"fig4_{ds}.png", title, curves, row_labels,
                                    what=f"{it.frames} frames from the image (t = 0) to its large-{EPS} example "
                                         f"(t = 1), {_frame_indices(it.frames, 7).size} shown"))
    return paths


def _target_curve(probs: np.ndarray) -> np.ndarray:
    """Probability of the last frame's class along the frames, from ``(F, K)`` probabilities."""
    return probs[:, int(np.argmax(probs[-1]))]
