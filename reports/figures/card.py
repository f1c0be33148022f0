"""The figure of one trade-off card (issue 25), drawn from the card file alone (deep.card; docs/cards.md).

Four panels:

1. **Accuracy against ε**: the model's robust accuracy at each ε (ε = 0: clean, on the same points) with Wilson
   95% intervals, AutoAttack's where it ran, and the data's own limit on the same points (the best robust accuracy
   any classifier reaches: a line where exact, a bar from lower to upper bound where only bracketed);
2. **The (standard, robust) plane** at the ε with the most references: the model's point, the published points
   (quoted, with their source in the card), this project's frontier models and, for two classes, the data's
   frontier;
3. **Claim 10**: the excess gradient alignment of each variant with its interval (and the reference model's);
4. **Claim 11**: J1's other-class rate on the model's large-ε examples (and the reference's) with the gates.

A part the card did not run or measure shows its reason instead of numbers.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from tradeoff.data.io import read_result

from ._style import EPS, NORM_LABEL, eps_value, figure_title, new_figure, save_figure

MODEL_COLOUR, REF_COLOUR, AA_COLOUR, LIMIT_COLOUR = "C0", "C1", "C3", "0.35"


def _err(iv: dict | None, value: float) -> list[list[float]]:
    if not iv or iv.get("low") is None:
        return [[0.0], [0.0]]
    return [[max(0.0, value - iv["low"])], [max(0.0, iv["high"] - value)]]


def _not_run(ax, title: str, part: dict) -> None:
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
    reason = part.get("reason") or part.get("status") or "not run"
    ax.text(0.5, 0.5, textwrap.fill(f"{part.get('status', 'not run')}: {reason}", 48), ha="center", va="center",
            fontsize=8, transform=ax.transAxes)


def _accuracy_panel(ax, card: dict) -> None:
    robust, norm = card.get("robust") or {}, card["settings"]["norm"]
    rows = robust.get("per_eps") or []
    if not rows:
        return _not_run(ax, "accuracy against ε", {"status": "not measured"})
    xs = [r["eps"] for r in rows]
    ys = [r["accuracy"] for r in rows]
    ax.plot(xs, ys, "o-", color=MODEL_COLOUR, label=f"model ({(robust.get('attack') or {}).get('name', 'attack')}, "
            f"n = {robust.get('n')})")
    for r in rows:
        if r.get("interval"):
            ax.errorbar([r["eps"]], [r["accuracy"]], yerr=_err(r["interval"], r["accuracy"]), color=MODEL_COLOUR,
                        capsize=2, lw=1)
    aa = card.get("autoattack") or {}
    if aa.get("rows"):
        ax.plot([r["eps"] for r in aa["rows"]], [r["autoattack"] for r in aa["rows"]], "s", color=AA_COLOUR,
                label="AutoAttack")
    lim = card.get("data_limit") or {}
    exact = [r for r in lim.get("per_eps", []) if r.get("exact")]
    bounds = [r for r in lim.get("per_eps", []) if not r.get("exact")]
    if exact:
        ax.plot([r["eps"] for r in exact], [r["robust_accuracy"] for r in exact], "^--", color=LIMIT_COLOUR,
                label=f"data's limit (exact, {lim['points']['n']} points)")
    for i, r in enumerate(bounds):
        ax.vlines(r["eps"], r["lower"], r["upper"], color=LIMIT_COLOUR, lw=4, alpha=0.6,
                  label="data's limit (bounds)" if i == 0 else None)
    ax.set_xlabel(f"{NORM_LABEL[norm]} {EPS}")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("accuracy against ε (ε = 0: clean)", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")


def _plane_eps(plane: dict) -> dict | None:
    entries = plane.get("per_eps") or []
    if not entries:
        return None
    return max(entries, key=lambda e: (len(e.get("published", [])) + len(e.get("frontier_models", []))
                                       + bool(e.get("data_frontier")), e["eps"]))


def _plane_panel(ax, card: dict) -> None:
    norm = card["settings"]["norm"]
    entry = _plane_eps(card.get("plane") or {})
    if entry is None or entry["model"].get("robust") is None:
        return _not_run(ax, "(standard, robust) plane", {"status": "not measured"})
    fr = entry.get("data_frontier")
    if fr:
        ax.plot(fr["standard"], fr["robust"], "-", color=LIMIT_COLOUR, label="data's frontier (two classes)")
    fm = entry.get("frontier_models") or []
    if fm:
        ax.plot([m["standard"] for m in fm], [m["robust"] for m in fm], "x", color="C2",
                label="this project's frontier models")
    for i, p in enumerate(entry.get("published") or []):
        ax.plot(p["standard"], p["robust"], "D", color="0.5", ms=5, label="published (quoted)" if i == 0 else None)
        ax.annotate(p["name"], (p["standard"], p["robust"]), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.plot(entry["model"]["standard"], entry["model"]["robust"], "*", color=MODEL_COLOUR, ms=12, label="this model")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("standard accuracy")
    ax.set_ylabel(f"robust accuracy, {NORM_LABEL[norm]} {EPS} = {eps_value(norm, entry['eps'])}")
    ax.set_title("the (standard, robust) plane", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    if not fr and (card.get("plane") or {}).get("data_frontier_note"):
        ax.text(0.02, 0.02, "many classes: no data frontier", fontsize=6, transform=ax.transAxes)


def _claim10_panel(ax, card: dict) -> None:
    part = card.get("claim10") or {}
    if part.get("status") != "run":
        return _not_run(ax, "claim 10: gradient alignment", part)
    names, vals, errs, colours = [], [], [], []
    ref = (part.get("reference") or {}).get("variants") or {}
    for v, d in part["variants"].items():
        for who, dd, col in (("model", d, MODEL_COLOUR), ("ref.", ref.get(v), REF_COLOUR)):
            if not dd or "excess" not in dd or dd["excess"].get("estimate") is None:
                continue
            names.append(f"{v}\n{who}")
            vals.append(dd["excess"]["estimate"])
            errs.append(_err(dd["excess"], dd["excess"]["estimate"]))
            colours.append(col)
    if not names:
        return _not_run(ax, "claim 10: gradient alignment", {"status": "not run", "reason": "no variant measured"})
    pos = list(range(len(names)))
    ax.bar(pos, vals, color=colours)
    ax.errorbar(pos, vals, yerr=[[e[0][0] for e in errs], [e[1][0] for e in errs]], fmt="none", color="k", capsize=2)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xticks(pos, names, fontsize=7)
    ax.set_ylabel("excess alignment (vs shuffled)")
    ax.set_title(f"claim 10: gradient alignment ({part['n_images']} images; {part['decides']} decides)", fontsize=9)


def _claim11_panel(ax, card: dict) -> None:
    part = card.get("claim11") or {}
    if "other_class_rate" not in part:
        return _not_run(ax, "claim 11: J1 on large-ε examples", part)
    bars = [("model", part["other_class_rate"], MODEL_COLOUR)]
    if part.get("reference"):
        bars.append(("reference", part["reference"]["other_class_rate"], REF_COLOUR))
    pos = list(range(len(bars)))
    vals = [b[1]["estimate"] for b in bars]
    ax.bar(pos, vals, color=[b[2] for b in bars])
    ax.errorbar(pos, vals, yerr=[[_err(b[1], v)[0][0] for b, v in zip(bars, vals)],
                                 [_err(b[1], v)[1][0] for b, v in zip(bars, vals)]], fmt="none", color="k", capsize=2)
    ax.set_xticks(pos, [b[0] for b in bars], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("J1's other-class rate")
    atk = part["attack"]
    gates = [part["judge"]["clean"], *part["judge"]["noise"].values(), part["attack_gate"]]
    gate_text = ", ".join(f"{g['name']} {'pass' if g['passed'] else 'FAIL'}" for g in gates)
    ax.set_title(f"claim 11: J1 on large-ε examples ({NORM_LABEL[atk['norm']]} {EPS} = {atk['eps']:g})", fontsize=9)
    status = "" if part.get("status") == "run" else f"NOT RUN: {part.get('reason', '')}"
    ax.text(0.02, 0.98, textwrap.fill(f"gates: {gate_text}. {status}", 60), fontsize=6, va="top",
            transform=ax.transAxes)


def draw_card(card: dict, path: str | os.PathLike) -> Path:
    """Draw the card payload ``card`` (module docstring) into the PNG ``path``."""
    fig, axes = new_figure(2, 2, width=4.6, height=3.4, extra_height=0.4)
    _accuracy_panel(axes[0][0], card)
    _plane_panel(axes[0][1], card)
    _claim10_panel(axes[1][0], card)
    _claim11_panel(axes[1][1], card)
    f = card.get("fields") or {}
    eps = ", ".join(eps_value(card["settings"]["norm"], e) for e in card["settings"]["eps"])
    figure_title(fig, f"Trade-off card: {card.get('name')} on {f.get('dataset')}, {f.get('threat_model')} ε = {eps}")
    return save_figure(fig, path)


def draw_card_file(card_file: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Read a card result file (kind ``deep.card``) and draw it into ``path``."""
    return draw_card(read_result(card_file)["payload"], path)
