"""Errors of the averaging rule against the sample size in Schmidt et al.'s Gaussian model (payload of
``theory.gaussian_model``): the theory side of Figures 1 and 6."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._style import new_figure, save_figure


def draw_sample_size(payload: dict, path: str | os.PathLike) -> Path:
    """Standard (exact) and robust (Monte Carlo, ±2 standard errors) error against n (log x), with the large-d
    plug-ins dashed. Writes a PNG."""
    missing = [k for k in ("d", "sigma", "eps", "norm", "rows") if k not in payload]
    if missing:
        raise ValueError(f"gaussian_model payload lacks {missing}; rerun `tradeoff theory gaussian`")
    rows = payload["rows"]
    n = np.array([r["n"] for r in rows], float)
    fig, axes = new_figure(width=5.2, height=3.8)
    ax = axes[0, 0]
    ax.plot(n, [r["standard_error"] for r in rows], "o-", color="tab:blue", ms=4, label="standard error (exact)")
    ax.errorbar(n, [r["robust_error_mc"] for r in rows], yerr=[2 * r["robust_error_mc_se"] for r in rows], fmt="s-",
                color="tab:red", ms=4, capsize=2, label="robust error (Monte Carlo over $\\hat w$, ±2 s.e.)")
    ax.plot(n, [r["standard_error_plug_in"] for r in rows], ":", color="tab:blue", label="standard, large-$d$ plug-in")
    ax.plot(n, [r["robust_error_plug_in"] for r in rows], ":", color="tab:red", label="robust, large-$d$ plug-in")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("training-set size $n$")
    ax.set_ylabel("expected test error (fraction)")
    norm = r"\infty" if payload["norm"] == "inf" else "2"
    ax.set_title(rf"Gaussian model (Schmidt et al. 2018): $d={payload['d']}$, $\sigma={payload['sigma']:.3g}$, "
                 rf"$\ell_{{{norm}}}$ $\varepsilon={payload['eps']:g}$", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return save_figure(fig, path)
