"""Figure of the robustness-accuracy trade-off frontier of D(d, p, eta) (Theorem 1; payload of ``theory.frontier``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._style import new_figure, save_figure


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


def draw_frontier(payload: dict, path: str | os.PathLike) -> Path:
    """Robust accuracy against standard accuracy ``1 - delta``: Theorem 1's line, the upper bound (line capped at p),
    the frontier reached by exactly evaluated randomised mixtures, the best single linear rule (general and symmetric
    form), and the tight point ``sign(x_1)`` at ``(p, p)``. Reads a ``theory.frontier`` payload; writes a PNG."""
    missing = [k for k in ("d", "p", "eta", "eps", "delta", "theorem1", "exact", "linear") if k not in payload]
    if missing:
        raise ValueError(f"frontier payload lacks {missing}; rerun `tradeoff theory frontier`")
    delta = _arr(payload, "delta")
    std = 1.0 - delta
    fig, axes = new_figure(width=5.2, height=4.0)
    ax = axes[0, 0]
    line = np.minimum(_arr(payload, "theorem1"), 1.0)
    ax.plot(std, line, color="0.5", ls=":", lw=1.2, label=r"Theorem 1: $\frac{p}{1-p}\delta$")
    if "upper" in payload:
        ax.plot(std, _arr(payload, "upper"), color="black", lw=1.0, ls="--", label="upper bound (line, cap p)")
    ax.plot(std, _arr(payload, "exact"), color="tab:red", lw=2.0, label="reached by mixtures (exact)")
    ax.plot(std, _arr(payload, "linear"), color="tab:blue", lw=1.5, label="best linear rule")
    if "linear_symmetric" in payload:
        ax.plot(
            std,
            _arr(payload, "linear_symmetric"),
            color="tab:cyan",
            lw=1.0,
            ls="-.",
            label=r"best symmetric $(w_1, v)$ rule",
        )
    p = float(payload["p"])
    tx, ty = tight_point_xy(payload)
    ax.plot([tx], [ty], "o", color="tab:red", ms=6, label=r"sign$(x_1)$ ($\delta=1-p$; tight for $\varepsilon<1$)")
    ax.set_xlabel(r"standard accuracy $1-\delta$")
    ax.set_ylabel("robust accuracy")
    d, eta, eps = int(payload["d"]), float(payload["eta"]), float(payload["eps"])
    norm = payload.get("norm", "inf")
    norm = r"\infty" if norm == "inf" else norm
    ax.set_title(
        rf"$d={d}$, $p={p:g}$, $\eta\sqrt{{d}}={eta * np.sqrt(d):.3g}$, $\varepsilon={eps:.3g}$ ($\ell_{{{norm}}}$)",
        fontsize=9,
    )
    finite = std[np.isfinite(_arr(payload, "exact"))]
    if finite.size:
        ax.set_xlim(min(finite.min(), p) - 0.005, max(finite.max(), p) + 0.005)
    ax.set_ylim(0.0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    return save_figure(fig, path)


def draw_averaging(payload: dict, curve: dict, path: str | os.PathLike) -> Path:
    """The averaging classifier's accuracy against the adversary's radius: closed form ``curve`` (``{"eps": [...],
    "robust": [...]}``, e.g. ``Phi((eta - eps) sqrt(d))``), with the ``theory.averaging`` payload's closed forms and
    Monte Carlo intervals at eps = 0 and at its eps. (Kept beside the frontier figure: both are theory figures.)"""
    missing = [k for k in ("d", "p", "eta", "eps", "standard_closed", "robust_closed") if k not in payload]
    if missing:
        raise ValueError(f"averaging payload lacks {missing}; rerun `tradeoff theory averaging`")
    fig, axes = new_figure(width=5.0, height=3.6)
    ax = axes[0, 0]
    ax.plot(curve["eps"], curve["robust"], color="tab:blue", lw=1.8, label="closed form")
    eps = float(payload["eps"])
    for x, closed, mc in (
        (0.0, payload["standard_closed"], payload.get("standard_mc")),
        (eps, payload["robust_closed"], payload.get("robust_mc")),
    ):
        ax.plot([x], [closed], "o", color="tab:blue", ms=5)
        if isinstance(mc, dict):
            ax.errorbar(
                [x],
                [mc["estimate"]],
                yerr=[[mc["estimate"] - mc["low"]], [mc["high"] - mc["estimate"]]],
                fmt="x",
                color="tab:red",
                capsize=3,
                label="Monte Carlo (95% CI)" if x == 0.0 else None,
            )
    eta = float(payload["eta"])
    ax.axvline(2 * eta, color="0.5", ls=":", lw=1.0, label=r"$\varepsilon = 2\eta$")
    ax.set_xlabel(r"adversary's radius $\varepsilon$")
    ax.set_ylabel("accuracy")
    d = int(payload["d"])
    norm = payload.get("norm", "inf")
    norm = r"\infty" if norm == "inf" else norm
    ax.set_title(
        rf"sign$(\sum x_i)$ on $D$: $d={d}$, $\eta\sqrt{{d}}={eta * np.sqrt(d):.3g}$ ($\ell_{{{norm}}}$)", fontsize=9
    )
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return save_figure(fig, path)
