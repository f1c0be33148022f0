"""The trade-off frontier everywhere: one (standard accuracy, robust accuracy) plane for a two-class problem.

Drawn from result payloads only: ``linear.frontier`` (required: the ε_train and β sweeps of exactly trained linear
models), and when present ``data.limit`` (the data's own frontier: the best any classifier reaches on the test
split), ``theory.frontier`` (the exact frontier of the paper's distribution D, for comparison of shapes) and the deep
models: ``deep.frontier`` (TRADES β grid and PGD ε_train models, deep.experiments.frontier) and ``deep.sweep`` rows.

One axis, one problem. The deep models are 10-class MNIST classifiers; the other curves are 5-vs-7 problems. On the
5-vs-7 panel a deep model appears only through its restriction to the two classes (the binary classifier
``argmax(logit_5, logit_7)`` on the 5 and 7 test points, attacked as that two-logit model at the panel's radius):
a classifier of the same problem, so the data's own frontier bounds it. Its 10-class accuracies go on their own
panel, with the radius and evaluation they were measured with.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tradeoff.data.kinds import Kind

from ._style import new_figure, save_figure

#: The figure's file under the figures folder.
FIGURE_NAME = "frontier_mnist.png"


def _norm_tex(norm: str) -> str:
    return r"\infty" if norm == "inf" else "2"


def data_frontier_at(limit_payload: dict, eps: float, split: str = "test") -> dict | None:
    """The data's frontier entry of ``split`` at ``eps`` from a ``data.limit`` payload (None if absent)."""
    for e in (limit_payload or {}).get("splits", {}).get(split, []):
        if abs(float(e["eps"]) - float(eps)) <= 1e-12 and e.get("frontier"):
            return e["frontier"]
    return None


def pair_points(deep_frontier: dict | None, linear: dict) -> list[dict]:
    """The deep models' restrictions to the linear frontier's two digits at its radius and norm: rows with
    ``standard_acc``, ``robust_acc``, ``method``, ``beta``, ``eps_train`` (empty when the pair, radius or norm
    differ)."""
    if not deep_frontier or deep_frontier.get("norm") != linear.get("norm"):
        return []
    digits = linear.get("digits") or [5, 7]
    if sorted(deep_frontier.get("pair") or []) != sorted(digits):
        return []
    key = f"{float(linear['eps_eval']):g}"
    out = []
    for r in deep_frontier.get("rows", []):
        pair = r.get("pair") or {}
        if key in (pair.get("robust") or {}):
            out.append({"method": r["method"], "beta": r.get("beta"), "eps_train": r["eps_train"],
                        "standard_acc": pair["standard_acc"], "robust_acc": pair["robust"][key],
                        "n_standard": pair.get("n_standard"), "n_robust": pair.get("n_robust")})
    return out


def _deep_markers(ax, points: list[dict], what: str) -> list[float]:
    """TRADES models (a line in β order, labelled β) and PGD models (labelled ε_train); returns the x values."""
    xs: list[float] = []
    trades = sorted((p for p in points if p["method"] == "trades"), key=lambda p: p["beta"])
    pgd = sorted((p for p in points if p["method"] != "trades"), key=lambda p: p["eps_train"])
    if trades:
        ax.plot([p["standard_acc"] for p in trades], [p["robust_acc"] for p in trades], "D-", color="tab:red",
                ms=4, lw=1.0, label=f"deep CNN, TRADES over β{what}")
        for p in trades:
            ax.annotate(f"β={p['beta']:g}", (p["standard_acc"], p["robust_acc"]), fontsize=6, color="tab:red",
                        xytext=(3, 3), textcoords="offset points")
    if pgd:
        ax.plot([p["standard_acc"] for p in pgd], [p["robust_acc"] for p in pgd], "^--", color="tab:purple",
                ms=5, lw=0.8, label=rf"deep CNN, PGD training at $\varepsilon_{{train}}$ (0: standard){what}")
        for p in pgd:
            ax.annotate(f"{p['eps_train']:g}", (p["standard_acc"], p["robust_acc"]), fontsize=6,
                        color="tab:purple", xytext=(3, -8), textcoords="offset points")
    xs += [p["standard_acc"] for p in trades + pgd]
    return xs


def draw_frontier_everywhere(linear: dict, path: str | os.PathLike, limit: dict | None = None,
                             theory: dict | None = None, deep_rows: list[dict] | None = None,
                             title: str = "", deep_frontier: dict | None = None) -> Path:
    """Robust against standard test accuracy: linear models (ε_train sweep, β sweep, Figure 5's two models marked),
    the data's own frontier at the same radius, D's frontier and the deep models' 5-vs-7 restrictions (panel a);
    robust accuracy against ε (panel b, when the payload has curves); the deep models as 10-class classifiers
    (panel c: ``deep_frontier`` rows, and ``deep_rows`` from ``deep.sweep`` files). Writes a PNG."""
    missing = [k for k in ("eps_eval", "norm", "models") if k not in linear]
    if missing:
        raise ValueError(f"linear.frontier payload lacks {missing}; rerun `tradeoff linear frontier`")
    eps, norm = float(linear["eps_eval"]), linear["norm"]
    curve_eps = (linear.get("config") or {}).get("curve_eps")
    with_curves = bool(curve_eps) and all(m.get("robust_curve") for m in linear["models"])
    ten_class = [r for r in (deep_rows or []) if r.get("norm") == norm and r.get("standard_acc") is not None
                 and r.get("robust_acc") is not None]
    with_deep = bool(ten_class) or bool(deep_frontier and deep_frontier.get("rows"))
    # (a) and (b) side by side; the 10-class panel (c) beside (a) alone, else below it
    two_rows = with_curves and with_deep
    fig, axes = new_figure(ncols=2 if (with_curves or with_deep) else 1, nrows=2 if two_rows else 1, width=6.0,
                           height=4.6)
    ax = axes[0, 0]
    xs_all = _draw_plane(ax, linear, limit, theory, deep_frontier)
    ax.set_xlabel("standard accuracy (fraction of test points)")
    ax.set_ylabel(rf"robust accuracy at $\ell_{{{_norm_tex(norm)}}}$ $\varepsilon={eps:g}$ (fraction)")
    lo = min([v for v in xs_all if np.isfinite(v)] or [0.5])
    ax.set_xlim(max(0.0, lo - 0.02), 1.005)
    ax.set_ylim(-0.02, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="lower left")
    box = ", [0,1] box" if linear.get("box") else ""
    ax.set_title(title or rf"(a) trade-off frontiers, $\ell_{{{_norm_tex(norm)}}}$ $\varepsilon={eps:g}${box}",
                 fontsize=9)
    if with_curves:
        _draw_curves(axes[0, 1], linear, limit)
    if with_deep:
        _draw_ten_class(axes[1, 0] if two_rows else axes[0, 1], deep_frontier, ten_class, norm)
    if two_rows and pair_points(deep_frontier, linear):  # (d): panel (a) where the deep restrictions sit
        zoom = axes[1, 1]
        _draw_plane(zoom, linear, limit, theory, deep_frontier)
        zoom.set_xlim(0.95, 1.003)
        zoom.set_ylim(0.7, 1.01)
        zoom.grid(alpha=0.3)
        zoom.set_xlabel("standard accuracy (fraction of test points)")
        zoom.set_ylabel(rf"robust accuracy at $\ell_{{{_norm_tex(norm)}}}$ $\varepsilon={eps:g}$")
        zoom.set_title("(d) panel (a) near (1, 1), where the deep models' restrictions sit", fontsize=9)
    elif two_rows:
        axes[1, 1].axis("off")
    return save_figure(fig, path)


def _draw_plane(ax, linear: dict, limit: dict | None, theory: dict | None, deep_frontier: dict | None) -> list:
    """Panel (a)'s curves and points on ``ax`` (linear models, the data's frontier, D's frontier, the deep models'
    restrictions); returns the standard accuracies drawn."""
    eps = float(linear["eps_eval"])
    xs_all: list[float] = []
    sweeps = (("eps_train", "tab:blue", "o", r"linear, adversarial training at $\varepsilon_{train}$"),
              ("trades", "tab:orange", "s", r"linear, clean + $\beta\cdot$robust loss"))
    for method, color, marker, label in sweeps:
        ms = [m for m in linear["models"] if m["method"] == method]
        if not ms:
            continue
        key = (lambda m: m["eps_train"]) if method == "eps_train" else (lambda m: m["beta"])
        ms = sorted(ms, key=key)
        x, y = [m["standard_acc"] for m in ms], [m["robust_acc"] for m in ms]
        xs_all += x
        ax.plot(x, y, marker=marker, color=color, ms=4, lw=1.2, label=label)
        for m in ms:
            txt = f"{m['eps_train']:g}" if method == "eps_train" else f"β={m['beta']:g}"
            ax.annotate(txt, (m["standard_acc"], m["robust_acc"]), fontsize=6, color=color,
                        xytext=(3, -8 if method == "trades" else 3), textcoords="offset points")
    fig5 = [m for m in linear["models"] if m["method"] == "eps_train" and m["eps_train"] in (0.0, eps)]
    if fig5:
        ax.plot([m["standard_acc"] for m in fig5], [m["robust_acc"] for m in fig5], "o", mfc="none", mec="black",
                ms=9, label="Figure 5's standard and robust models")
    fr = data_frontier_at(limit, eps) if limit else None
    if fr:
        s, r = np.asarray(fr["standard"], float), np.asarray(fr["robust"], float)
        xs_all += s.tolist()
        ax.plot(s, r, "*-", color="tab:green", ms=12, lw=1.5,
                label=f"the data's own frontier (any classifier, test split, n={fr['n']})")
    if theory and "exact" in theory:
        d_std = 1.0 - np.array([np.nan if v is None else v for v in theory["delta"]], float)
        d_rob = np.array([np.nan if v is None else v for v in theory["exact"]], float)
        ax.plot(d_std, d_rob, color="0.45", ls="--", lw=1.2,
                label=rf"frontier of $D$ ($d={theory['d']}$, $p={theory['p']:g}$, "
                      rf"$\varepsilon={theory['eps']:g}$, $\ell_{{{_norm_tex(theory.get('norm', 'inf'))}}}$)")
        xs_all += [v for v in d_std[np.isfinite(d_rob)].tolist()]
    pairs = pair_points(deep_frontier, linear)
    if pairs:
        digits = "-vs-".join(str(d) for d in (linear.get("digits") or deep_frontier["pair"]))
        xs_all += _deep_markers(ax, pairs, f": the 10-class model restricted to {digits}")
    return xs_all


def _draw_ten_class(ax, deep_frontier: dict | None, sweep_rows: list[dict], norm: str) -> None:
    """Panel (c): the deep models as 10-class classifiers, each at the radius and with the evaluation it was measured
    with (deep.frontier: the default ensemble; deep.sweep rows: their sweep's own evaluation)."""
    xs: list[float] = []
    eps = None
    if deep_frontier and deep_frontier.get("rows"):
        eps = deep_frontier["eps_eval"]
        n = deep_frontier["rows"][0].get("n_robust")
        xs += _deep_markers(ax, deep_frontier["rows"], "")
        ax.plot([], [], " ", label=f"robust: default ensemble (APGD-CE, -margin, -T), {n} test points")
        ax.plot([], [], " ", label=f"standard: all {deep_frontier['rows'][0].get('n_standard')} test points")
    for (ds, ee), marker in zip(sorted({(r.get("dataset"), r.get("eps_eval")) for r in sweep_rows}), "ov<>P"):
        sel = [r for r in sweep_rows if (r.get("dataset"), r.get("eps_eval")) == (ds, ee)]
        ax.plot([r["standard_acc"] for r in sel], [r["robust_acc"] for r in sel], marker, color="0.55", ms=4,
                ls="none", label=rf"deep.sweep models ({ds}, PGD training; robust at $\varepsilon={ee:g}$, "
                                 "the sweep's evaluation)")
        xs += [r["standard_acc"] for r in sel]
        eps = ee if eps is None else eps
    lo = min([v for v in xs if np.isfinite(v)] or [0.5])
    ax.set_xlim(max(0.0, lo - 0.03), 1.005)
    ax.set_ylim(-0.02, 1.03)
    ax.grid(alpha=0.3)
    ax.set_xlabel("standard accuracy, 10 classes (fraction of MNIST test points)")
    ax.set_ylabel(rf"robust accuracy, 10 classes, $\ell_{{{_norm_tex(norm)}}}$"
                  + (rf" $\varepsilon={eps:g}$" if eps is not None else ""))
    ax.legend(fontsize=6, loc="lower left", framealpha=0.7)
    ax.set_title("(c) the deep models as 10-class MNIST classifiers (another problem: own axes)", fontsize=9)


def _draw_curves(ax, linear: dict, limit: dict | None) -> None:
    """Panel (b): robust test accuracy against the radius: every eps_train model, Figure 5's two emphasised, and the
    data's own limit (best robust accuracy of any classifier) on the test and the training split."""
    eps_eval, norm = float(linear["eps_eval"]), linear["norm"]
    grid = np.asarray(linear["config"]["curve_eps"], float)
    ms = sorted((m for m in linear["models"] if m["method"] == "eps_train"), key=lambda m: m["eps_train"])
    others = [m["eps_train"] for m in ms if m["eps_train"] not in (0.0, eps_eval)]
    labelled = False
    for k, m in enumerate(ms):
        fig5 = m["eps_train"] in (0.0, eps_eval)
        shade = 0.35 + 0.65 * k / max(1, len(ms) - 1)
        if fig5:
            label = rf"linear, $\varepsilon_{{train}}={m['eps_train']:g}$ (Figure 5)"
        elif not labelled:
            label = rf"linear, $\varepsilon_{{train}}$ = {', '.join(f'{e:g}' for e in others)} (lighter = larger)"
            labelled = True
        else:
            label = None
        ax.plot(grid, m["robust_curve"], "-" if fig5 else "--", lw=1.8 if fig5 else 0.9,
                color=(0.1, 0.3 * shade, shade), marker="o" if fig5 else None, ms=3, label=label)
    if limit and limit.get("norm") == norm:
        for split, style in (("test", "*-"), ("train", "x:")):
            entries = sorted(limit.get("splits", {}).get(split, []), key=lambda e: e["eps"])
            if entries:
                ax.plot([e["eps"] for e in entries], [e["limit"]["robust_accuracy"] for e in entries], style,
                        color="tab:green", ms=8 if split == "test" else 5, lw=1.5,
                        label=f"the data's own limit ({split} split, any classifier)")
    ax.axvline(eps_eval, color="0.5", ls=":", lw=1.0)
    ax.set_xlabel(rf"radius $\varepsilon$ ($\ell_{{{_norm_tex(norm)}}}$, pixel values in [0,1])")
    ax.set_ylabel("robust test accuracy (fraction)")
    ax.set_ylim(-0.02, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="lower left", framealpha=0.7)
    ax.set_title(r"(b) robust accuracy against $\varepsilon$", fontsize=9)


def gather_payloads(results: Path) -> dict:
    """The newest payloads the frontier figure can use from ``results``: two-class ``data.limit`` for MNIST (l_inf
    first), ``theory.frontier``, the rows of every ``deep.sweep`` file on MNIST, and the preferred MNIST
    ``deep.frontier`` payload of ``results`` and the committed results (reports/results: the CPU-scale run)."""
    from tradeoff.data.io import read_result

    from ..result_index import COMMITTED_RESULTS, ResultIndex, collect_results

    out: dict = {"limit": {}, "theory": None, "deep_rows": [], "deep_frontier": None}
    found = [r for r in collect_results([results / "deep", COMMITTED_RESULTS]).results
             if r.kind == Kind.DEEP_FRONTIER and r.payload.get("dataset") == "mnist"]
    best = ResultIndex(found).best(Kind.DEEP_FRONTIER)
    out["deep_frontier"] = best.payload if best else None
    for f in sorted((results / "data").glob("limit_mnist_*.json")):
        try:
            r = read_result(f)
        except ValueError:
            continue
        if not r["payload"].get("multiclass"):  # the figure compares two-class models with a two-class frontier
            out["limit"][r["payload"].get("norm")] = r["payload"]
    f = results / "theory" / "frontier.json"
    if f.is_file():
        try:
            out["theory"] = read_result(f)["payload"]
        except ValueError:
            pass
    for f in sorted((results / "deep").glob("*.json")) if (results / "deep").is_dir() else []:
        try:
            r = read_result(f)
        except ValueError:
            continue
        if r.get("kind") == Kind.DEEP_SWEEP:
            out["deep_rows"] += [row for row in r["payload"].get("rows", []) if row.get("dataset") == "mnist"]
    return out


def frontier_figure(linear_payload: dict, results: Path, figures: Path) -> Path:
    """``figures/frontier_mnist.png`` from a ``linear.frontier`` payload and what :func:`gather_payloads` finds in
    the results folder ``results`` beside it."""
    g = gather_payloads(Path(results))
    return draw_frontier_everywhere(linear_payload, Path(figures) / FIGURE_NAME,
                                    limit=g["limit"].get(linear_payload["norm"]), theory=g["theory"],
                                    deep_rows=g["deep_rows"], deep_frontier=g["deep_frontier"])
