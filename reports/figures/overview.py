"""The overview figure of one dataset: standard against robust test accuracy of every trained model (the rows of
the dataset's ``deep.sweep`` result files), one panel per attack norm, beside the robustness-accuracy frontier of
the theory's distribution D(d, p, η) (a ``theory.frontier`` payload; Theorem 1 of the paper).

The trade-off the paper describes shows as robust models sitting to the left of (less standard accuracy than) the
standard models in the same panel. The theory panel is the frontier of the synthetic distribution D, not of the
dataset: it shows the shape of the trade-off, not a bound on the dataset's models.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from ..claims.sweeps import FAILED_TRAINING_FACTOR
from ..result_index import ResultIndex
from ._style import EPS, EPS_TRAIN, NORM_LABEL, eps_value, figure_title, new_figure, save_figure
from .theory_frontier import draw_frontier_on

#: Marker colour per training norm (standard models: grey); darker = larger ε_train.
_CMAPS = {"inf": "Blues", "2": "Oranges"}


#: Other spellings of the attack norms a row may carry (``linf``, ``l2``).
_NORMS = {"linf": "inf", "l2": "2"}


def overview_points(sweeps: list[dict], dataset: str | None = None) -> dict[str, list[dict]]:
    """``{attack norm: rows}``: every model's row once per attack norm (first payload wins for a run evaluated
    twice, so pass the preferred files first), from ``deep.sweep`` payloads, keeping rows of ``dataset`` (its
    short name or its result-file label; None keeps all) that have both accuracies."""
    names = {dataset}
    if dataset is not None:
        from tradeoff.data.registry import DATASETS

        names.add(DATASETS[dataset].label if dataset in DATASETS else dataset)
    out: dict[str, list[dict]] = {}
    seen: set = set()
    for payload in sweeps:
        for r in (payload or {}).get("rows") or []:
            if not isinstance(r, dict) or (dataset is not None and r.get("dataset") not in names):
                continue
            norm = _NORMS.get(str(r.get("norm")).lower(), str(r.get("norm")))
            if r.get("standard_acc") is None or r.get("robust_acc") is None or norm not in _CMAPS:
                continue
            key = (r.get("run") or id(r), norm, r.get("eps_eval"))
            if key in seen:
                continue
            seen.add(key)
            out.setdefault(norm, []).append(r)
    return {n: out[n] for n in ("inf", "2") if n in out}


def drop_failures(points: dict[str, list[dict]]) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """(the points of runs that learned, per norm the number of training failures left out): a run whose standard
    accuracy is below 2× chance (reports.claims.split_failed) would squash every other point into a corner."""
    from ..claims import split_failed

    kept, failed = {}, {}
    for norm, rows in points.items():
        ok, _ = split_failed(rows)
        if ok:
            kept[norm] = ok
        if len(ok) < len(rows):
            failed[norm] = len(rows) - len(ok)
    return kept, failed


def _point_style(r: dict, norm: str, eps_max: float, n_max: int):
    import matplotlib.pyplot as plt

    eps = float(r.get("eps_train") or 0.0)
    if eps == 0:
        colour, marker = "0.35", "o"
    else:
        colour, marker = plt.get_cmap(_CMAPS[norm])(0.35 + 0.65 * eps / (eps_max or eps)), "s" if norm == "inf" else "^"
    if r.get("mixed"):
        marker = "D"
    full = r.get("n_train") is None or int(r["n_train"]) >= n_max
    return colour, marker, full


def draw_overview(sweeps: list[dict], path: str | os.PathLike, *, dataset: str, frontier: dict | None = None,
                  title: str | None = None) -> Path:
    """Draw the overview of ``dataset`` from ``deep.sweep`` payloads ``sweeps`` (preferred files first) and, when
    given, a ``theory.frontier`` payload; write the PNG at ``path``. ``title``: the dataset's name as shown (default
    ``dataset``). ValueError when no row of ``dataset`` has both accuracies."""
    points, failed = drop_failures(overview_points(sweeps, dataset))
    if not points:
        raise ValueError(f"no deep.sweep rows of {dataset!r} with standard and robust accuracy; run "
                         f"`tradeoff deep reproduce --datasets {dataset}` first")
    ncols = len(points) + (frontier is not None)
    fig, axes = new_figure(ncols=ncols, width=4.3, height=3.9)
    for ax, (norm, rows) in zip(axes[0], points.items()):
        eps_max = max(float(r.get("eps_train") or 0.0) for r in rows)
        n_max = max((int(r["n_train"]) for r in rows if r.get("n_train") is not None), default=0)
        for r in sorted(rows, key=lambda r: (float(r.get("eps_train") or 0.0), r.get("n_train") or 0)):
            colour, marker, full = _point_style(r, norm, eps_max, n_max)
            ax.scatter([100 * r["standard_acc"]], [100 * r["robust_acc"]], s=36 if full else 22, marker=marker,
                       facecolors=colour if full else "none", edgecolors=colour, linewidths=1.2, zorder=3)
        if failed.get(norm):  # marked in the panel, outside the axis range
            ax.text(0.02, 0.02, f"not shown: {failed[norm]} training failure(s) (standard accuracy below "
                                f"{FAILED_TRAINING_FACTOR:g}× chance)", transform=ax.transAxes, fontsize=6.5,
                    color="#a1161b", va="bottom")
        evals = sorted({float(r["eps_eval"]) for r in rows if r.get("eps_eval") is not None})
        ax.set_title(f"{NORM_LABEL[norm]} PGD attack, {EPS} = {', '.join(eps_value(norm, e) for e in evals)}",
                     fontsize=9)
        ax.set_xlabel("standard test accuracy (%), one model per point")
        ax.set_ylabel(f"robust test accuracy at {EPS} (%)")
        ax.grid(alpha=0.3)
        eps_list = sorted({float(r.get("eps_train") or 0.0) for r in rows} - {0.0})
        handles = [Line2D([], [], ls="", marker="o", color="0.35", label=f"standard ({EPS_TRAIN} = 0)")] \
            if any(not float(r.get("eps_train") or 0.0) for r in rows) else []
        for e in eps_list:
            colour, marker, _ = _point_style({"eps_train": e}, norm, eps_max, n_max)
            handles.append(Line2D([], [], ls="", marker=marker, color=colour,
                                  label=f"{NORM_LABEL[norm]}-trained, {EPS_TRAIN} = {eps_value(norm, e)}"))
        if any(r.get("mixed") for r in rows):
            handles.append(Line2D([], [], ls="", marker="D", color="0.5", label="50/50 clean/adversarial batches"))
        if any(r.get("n_train") is not None and int(r["n_train"]) < n_max for r in rows):
            handles.append(Line2D([], [], ls="", marker="o", mfc="none", color="0.5",
                                  label=f"hollow: fewer than {n_max} training images"))
        ax.legend(handles=handles, fontsize=6.5, loc="best")
    if frontier is not None:
        ax = axes[0, -1]
        draw_frontier_on(ax, frontier, legend=True)
        d, p, eta = int(frontier["d"]), float(frontier["p"]), float(frontier["eta"])
        ax.set_title(f"theory: the distribution D (d = {d}, p = {p:g}, η√d = {eta * np.sqrt(d):.3g}),\n"
                     f"not the dataset; {EPS} = {float(frontier['eps']):.3g}", fontsize=8)
    if title is None:
        from tradeoff.data.registry import display_name

        title = display_name(dataset)
    figure_title(fig, f"Overview · {title}: standard vs robust accuracy of every trained model"
                 + (", beside the trade-off frontier of the theory's distribution D" if frontier is not None else ""),
                 fontsize=10)
    return save_figure(fig, path)


SWEEP_EXPERIMENTS = ("fig1", "fig6", "fig7", "mixed")


def draw_overviews(index: ResultIndex, fig_dir: Path) -> list[Path]:
    """``overview_<dataset>_<scale>.png`` for every dataset and evidence scale with sweep rows (one scale per
    figure: each scale is another recipe): each trained model's (standard, robust) accuracy from the sweep files of
    that scale the claims would read (:func:`reports.claims.sweep_rows`), beside the theory frontier of D when a
    ``theory.frontier`` result exists (the report draws these; earlier ``overview_*.png`` are removed first). Scales
    that are not evidence are not drawn."""
    from tradeoff.data.kinds import Kind
    from tradeoff.data.registry import display_name

    from ..claims import sweep_rows

    for old in fig_dir.glob("overview_*.png") if fig_dir.is_dir() else ():  # drawn by an earlier report
        old.unlink()
    frontier = index.best(Kind.THEORY_FRONTIER)
    out = []
    files = [r for r in index.all(Kind.DEEP_SWEEP) if r.scale.evidence]
    for scale in sorted({r.scale for r in files}, key=lambda s: (-s.rank, s.value)):
        rows, _ = sweep_rows(ResultIndex([r for r in files if r.scale == scale]), SWEEP_EXPERIMENTS)
        for ds in sorted({str(r["dataset"]) for r in rows}):
            mine = [r for r in rows if str(r["dataset"]) == ds]
            if not overview_points([{"rows": mine}], ds):  # no row with both accuracies in a known norm
                continue
            fig_dir.mkdir(parents=True, exist_ok=True)
            out.append(draw_overview([{"rows": mine}], fig_dir / f"overview_{ds}_{scale}.png", dataset=ds,
                                     frontier=frontier.payload if frontier else None,
                                     title=f"{display_name(ds)}, {scale} scale"))
    return out
