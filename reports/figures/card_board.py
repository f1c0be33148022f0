"""The leaderboard figure of ``tradeoff cards``: every card's model on the (standard, robust) accuracy plane, one panel
per threat model (data set, norm, ε), with the published points of that threat model (quoted, marked apart).

Drawn from the rows of reports.card_table (themselves read from card files only). A model's point is its clean
accuracy (whole test split, or the run's own points for a run card) against its robust accuracy at the panel's ε
(an upper bound on the true value: the attack's). At most :data:`MAX_PANELS` panels, the threat models with most
cards first.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from ._style import EPS, eps_value, figure_title, new_figure, save_figure

MAX_PANELS = 6
NORM = {"Linf": "inf", "L2": "2"}


def draw_leaderboard(rows: list[dict], published: list[dict], path: str | os.PathLike) -> Path:
    """Draw the card rows (reports.card_table.card_rows) and published points into the PNG ``path``."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        if r.get("eps") is not None and r.get("clean") is not None and r.get("robust") is not None:
            groups[(str(r["dataset"]), str(r["threat"]), round(float(r["eps"]), 6))].append(r)
    keys = sorted(groups, key=lambda k: (-len(groups[k]), k))[:MAX_PANELS]
    ncols = max(1, min(3, len(keys)))
    nrows = max(1, -(-len(keys) // ncols))
    fig, axes = new_figure(ncols, nrows, width=4.2, height=3.6, extra_height=0.3)
    flat = [a for row in axes for a in row]
    if not keys:
        flat[0].set_axis_off()
        flat[0].text(0.5, 0.5, "no card with a robust accuracy", ha="center", va="center")
    for ax, key in zip(flat, keys):
        dataset, threat, eps = key
        for i, r in enumerate(sorted(groups[key], key=lambda r: str(r["model"]))):
            marker = "o" if r.get("source") != "run" else "s"
            ax.plot(r["clean"], r["robust"], marker, color=f"C{i % 10}", label=str(r["model"])[:40])
        pub = [p for p in published if p["dataset"] == dataset and p["threat"] == threat
               and abs(float(p["eps"]) - eps) <= 1e-3 * max(eps, 1e-9)]
        for j, p in enumerate(pub):
            ax.plot(p["standard"], p["robust"], "D", color="0.55", ms=5, label="published (quoted)" if j == 0 else None)
            ax.annotate(p["name"], (p["standard"], p["robust"]), fontsize=6, xytext=(3, -8), textcoords="offset points")
        ax.set_title(f"{dataset}, {threat} {EPS} = {eps_value(NORM.get(threat, threat), eps)}", fontsize=9)
        ax.set_xlabel("standard (clean) accuracy")
        ax.set_ylabel("robust accuracy")
        ax.legend(fontsize=6, loc="best")
    for ax in flat[len(keys):]:
        ax.set_axis_off()
    figure_title(fig, "Model cards on the (standard, robust) plane (robust accuracy: the attack's upper bound; "
                      "squares: a run's own evaluation)")
    return save_figure(fig, path)
