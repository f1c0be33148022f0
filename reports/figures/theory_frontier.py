"""Figures of the theory of D(d, p, eta): the robustness-accuracy trade-off frontier (Theorem 1; payload of
``theory.frontier``) and the averaging classifier against the radius (payload of ``theory.averaging``)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ._style import figure_title, new_figure, save_figure


def _arr(payload: dict, key: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in payload.get(key) or []], dtype=np.float64)


def tight_point_xy(payload: dict) -> tuple[float, float]:
    """Where ``sign(x_1)`` sits in the figure: (standard, robust) from the payload's ``tight`` entry, so at
    ``eps >= 1`` (where the adversary erases ``x_1``) it is drawn at robust 0, not at (p, p)."""
    p = float(payload["p"])
    tight = payload.get("tight") or {}
    standard = tight.get("standard", p)
    robust = tight.get("robust", p)
    return float(p if standard is None else standard), float(p if robust is None else robust)


def _norm_tex(payload: dict) -> str:
    norm = payload.get("norm", "inf")
    return r"\infty" if norm in ("inf", "linf") else "2"


def draw_frontier(payload: dict, path: str | os.PathLike) -> Path:
    """Robust accuracy against standard accuracy ``1 - delta``: Theorem 1's line, the upper bound (line capped at p),
    the frontier reached by exactly evaluated randomised mixtures, the best single linear rule (general and symmetric
    form), and the tight point ``sign(x_1)`` at ``(p, p)``. Reads a ``theory.frontier`` payload; writes a PNG."""
    missing = [k for k in ("d", "p", "eta", "eps", "delta", "theorem1", "exact", "linear") if k not in payload]
    if missing:
        raise ValueError(f"frontier payload lacks {missing}; rerun `tradeoff theory frontier`")
    fig, axes = new_figure(width=5.6, height=4.2)
    ax = axes[0, 0]
    draw_frontier_on(ax, payload, legend=True)
    d, eta, eps, p = int(payload["d"]), float(payload["eta"]), float(payload["eps"]), float(payload["p"])
    ax.set_title(
        rf"$d={d}$, $p={p:g}$, $\eta\sqrt{{d}}={eta * np.sqrt(d):.3g}$; attack $\ell_{{{_norm_tex(payload)}}}$, "
        rf"$\varepsilon={eps:.3g}$ ($={eps / eta:.3g}\,\eta$)",
        fontsize=9,
    )
    figure_title(fig, rf"Theory · Theorem 1: robustness-accuracy trade-off frontier of the distribution D at "
                      rf"$\varepsilon$ = {eps:.3g}", fontsize=10)
    return save_figure(fig, path)


def draw_frontier_on(ax, payload: dict, legend: bool = True, zoom: bool = True) -> None:
    """Draw a ``theory.frontier`` payload's curves on ``ax`` in percent (used by :func:`draw_frontier` and by the
    overview figure)."""
    std = 100 * (1.0 - _arr(payload, "delta"))
    line = 100 * np.minimum(_arr(payload, "theorem1"), 1.0)
    ax.plot(std, line, color="0.5", ls=":", lw=1.2, label=r"Theorem 1: $\frac{p}{1-p}\delta$")
    if "upper" in payload:
        ax.plot(std, 100 * _arr(payload, "upper"), color="black", lw=1.0, ls="--", label="upper bound (line, cap p)")
    ax.plot(std, 100 * _arr(payload, "exact"), color="tab:red", lw=2.0, label="reached by mixtures (exact)")
    ax.plot(std, 100 * _arr(payload, "linear"), color="tab:blue", lw=1.5, label="best linear rule")
    if "linear_symmetric" in payload:
        ax.plot(std, 100 * _arr(payload, "linear_symmetric"), color="tab:cyan", lw=1.0, ls="-.",
                label=r"best symmetric $(w_1, v)$ rule")
    p = float(payload["p"])
    tx, ty = tight_point_xy(payload)
    ax.plot([100 * tx], [100 * ty], "o", color="tab:red", ms=6,
            label=r"sign$(x_1)$ ($\delta=1-p$; tight for $\varepsilon<1$)")
    ax.set_xlabel(r"standard accuracy $1-\delta$ (%, exact)")
    ax.set_ylabel(r"robust accuracy at $\varepsilon$ (%, exact)")
    finite = std[np.isfinite(_arr(payload, "exact"))]
    if zoom and finite.size:
        ax.set_xlim(min(finite.min(), 100 * p) - 0.5, max(finite.max(), 100 * p) + 0.5)
    ax.set_ylim(0.0, 102)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="lower left")


def draw_averaging(payload: dict, curve, path: str | os.PathLike) -> Path:
    """The averaging classifier sign(Σ x_i): robust accuracy against the adversary's radius in units of η, one
    closed-form curve per η√d (``curve``: one ``{"eps": [...], "robust": [...]}`` or a list of them with
    ``"eta_sqrt_d"``, e.g. ``Phi((eta - eps) sqrt(d))``), with the ``theory.averaging`` payload's closed forms and
    Monte Carlo intervals at ε = 0 and at each setting's ε (the payload's ``rows`` when it has several settings).
    (Kept beside the frontier figure: both are theory figures.)"""
    missing = [k for k in ("d", "p", "eta", "eps", "standard_closed", "robust_closed") if k not in payload]
    if missing:
        raise ValueError(f"averaging payload lacks {missing}; rerun `tradeoff theory averaging`")
    curves = [curve] if isinstance(curve, dict) else list(curve)
    settings = payload.get("rows") or [payload]
    fig, axes = new_figure(width=5.8, height=3.9)
    ax = axes[0, 0]
    colours = plt.get_cmap("tab10")
    mc_label = "Monte Carlo (95% binomial interval)"
    for i, c in enumerate(curves):
        ets = float(c.get("eta_sqrt_d", payload["eta"] * np.sqrt(payload["d"])))
        eta = ets / np.sqrt(payload["d"])
        ax.plot(np.asarray(c["eps"], dtype=float) / eta, 100 * np.asarray(c["robust"], dtype=float),
                color=colours(i % 10), lw=1.8, label=rf"closed form, $\eta\sqrt{{d}}$ = {ets:.3g}")
    for s in settings:
        eta = float(s["eta"])
        ets = eta * np.sqrt(float(s["d"]))
        i = int(np.argmin([abs(float(c.get("eta_sqrt_d", ets)) - ets) for c in curves])) if curves else 0
        for x, closed, mc in ((0.0, s["standard_closed"], s.get("standard_mc")),
                              (float(s["eps"]) / eta, s["robust_closed"], s.get("robust_mc"))):
            ax.plot([x], [100 * closed], "o", color=colours(i % 10), ms=5)
            if isinstance(mc, dict):
                ax.errorbar([x], [100 * mc["estimate"]],
                            yerr=[[100 * (mc["estimate"] - mc["low"])], [100 * (mc["high"] - mc["estimate"])]],
                            fmt="x", color="black", capsize=3, label=mc_label)
                mc_label = None
    if _norm_tex(payload) == r"\infty":
        ax.axvline(2.0, color="0.5", ls=":", lw=1.0, label=r"$\varepsilon = 2\eta$ (Theorem 1's adversary)")
    ax.set_xlabel(rf"adversary's radius $\varepsilon / \eta$ ($\ell_{{{_norm_tex(payload)}}}$)")
    ax.set_ylabel("accuracy of sign(Σ xᵢ) (%)")
    ax.set_ylim(-2, 102)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(rf"$d={int(payload['d'])}$, $p={float(payload['p']):g}$; $\varepsilon = 0$ is the standard accuracy",
                 fontsize=9)
    figure_title(fig, r"Theory · averaging classifier on D: accuracy against the radius $\varepsilon$, "
                 r"several $\eta\sqrt{d}$", fontsize=10)
    return save_figure(fig, path)


def averaging_curves(payload: dict) -> list[dict]:
    """The closed-form curves the averaging figure draws beside a ``theory.averaging`` payload: robust accuracy of
    sign(Σ x_i) against ε (theory.accuracy.averaging_accuracy, 121 radii from 0 past the payload's ε) for each
    η√d of the payload's settings and, for comparison, η√d = 2, 3, 4, at the payload's d, p and norm."""
    from tradeoff.theory.accuracy import averaging_accuracy
    from tradeoff.theory.distribution import FeatureDistribution

    d, p, eta, eps = int(payload["d"]), float(payload["p"]), float(payload["eta"]), float(payload["eps"])
    norm = payload.get("norm", "inf")
    curves = []
    for ets in sorted({round(r["eta_sqrt_d"], 9) for r in payload.get("rows") or [payload]} | {2.0, 3.0, 4.0}):
        other = FeatureDistribution(d, p, ets / math.sqrt(d))
        grid = np.linspace(0.0, max(3.0 * other.eta, 1.5 * eps * other.eta / eta, 1e-3), 121)
        curves.append({"eta_sqrt_d": ets, "eps": grid, "robust": averaging_accuracy(other, grid, norm)})
    return curves


def averaging_figure(payload: dict, path: str | os.PathLike) -> Path:
    """The averaging figure of a ``theory.averaging`` payload: :func:`draw_averaging` with :func:`averaging_curves`."""
    return draw_averaging(payload, averaging_curves(payload), path)
