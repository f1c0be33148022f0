"""Many trade-off cards as one table (a small leaderboard), for ``tradeoff cards`` and for the report.

:func:`read_cards` reads every card file (kind ``deep.card``: ``tradeoff card`` and the run cards of ``tradeoff cards
--from-runs``) below some folders; :func:`card_rows` makes one row per card and ε with the model-card fields
(architecture, data set, threat model, ε, clean and robust accuracy with the attack, AutoAttack, number of examples,
training recipe) and the card's own measures (masking checks, the data's limit, claims 10 and 11); the published
points of the same threat models are listed beside them, marked as quoted. :func:`card_table_blocks` is the hook
the report calls to include the table (report blocks of reports.document); :func:`markdown_table` is the text form.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tradeoff.data.io import read_result
from tradeoff.data.kinds import Kind

from .document import Heading, Image, Paragraph, Table, text

ANCHOR = "model-cards"
COLUMNS = ("model", "dataset", "threat", "eps", "clean", "robust", "attack", "autoattack", "n", "limit", "masking",
           "claim 10", "claim 11", "recipe", "source")


@dataclass(frozen=True)
class CardFile:
    """One card file: its path, the envelope's scale and the payload."""

    path: str
    scale: str
    payload: dict


def read_cards(dirs) -> tuple[list[CardFile], list[tuple[str, str]]]:
    """The card files (kind ``deep.card``) below ``dirs`` (folders or files), sorted by path, and the ``(path,
    reason)`` of the ``.json`` files that could not be read. Other result kinds are ignored."""
    cards, skipped = [], []
    files = []
    for d in [dirs] if isinstance(dirs, (str, os.PathLike)) else dirs:
        d = Path(d)
        files += [d] if d.is_file() else sorted(d.rglob("*.json"))
    for f in sorted(set(files)):
        try:
            env = read_result(f)
        except (OSError, ValueError) as e:
            skipped.append((str(f), str(e).splitlines()[0]))
            continue
        if env.get("kind") != Kind.DEEP_CARD.value:
            continue
        if not isinstance(env.get("payload"), dict) or "fields" not in env["payload"]:
            skipped.append((str(f), "a deep.card file without fields"))
            continue
        cards.append(CardFile(str(f), str(env.get("scale")), env["payload"]))
    return cards, skipped


def _fmt(v, digits: int = 4) -> str | None:
    return None if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _limit(card: dict, eps: float) -> str | None:
    lim = card.get("data_limit") or {}
    for r in lim.get("per_eps", []):
        if abs(r["eps"] - eps) <= 1e-12:
            out = (f"{r['robust_accuracy']:.4f} (exact)" if r.get("exact")
                   else f"[{r['lower']:.4f}, {r['upper']:.4f}] (bounds)")
            return out + (" EXCEEDED" if r.get("model_exceeds_limit") else "")
    return lim.get("status")


def _claim10(card: dict) -> str | None:
    part = card.get("claim10") or {}
    if part.get("status") != "run":
        return part.get("status")
    ex = part["variants"][part["decides"]]["excess"]
    return f"{ex['estimate']:+.3f} [{ex['low']:+.3f}, {ex['high']:+.3f}]" if ex.get("estimate") is not None else None


def _claim11(card: dict) -> str | None:
    part = card.get("claim11") or {}
    if "other_class_rate" not in part:
        return part.get("status")
    r = part["other_class_rate"]
    return f"{r['estimate']:.3f}" + ("" if part.get("status") == "run" else " (not run: gates)")


def card_rows(cards: list[CardFile]) -> list[dict]:
    """One row per card and ε (columns :data:`COLUMNS`; ``None`` where the card did not measure it), ordered by data
    set, threat model, ε, then robust accuracy (highest first)."""
    rows = []
    for c in cards:
        p, f = c.payload, c.payload["fields"]
        robust = f.get("robust_accuracy") or {}
        aa = f.get("autoattack_accuracy") or {}
        sanity = p.get("sanity") or {}
        masking = ("ok" if sanity.get("ok") else "FAILED: " + ", ".join(sanity.get("failed", []))) \
            if sanity.get("status") == "run" else sanity.get("status")
        for key, acc in robust.items() or [(None, None)]:
            eps = float(key) if key is not None else None
            rows.append({"model": p.get("name"), "dataset": f.get("dataset"), "threat": f.get("threat_model"),
                         "eps": eps, "clean": f.get("clean_accuracy"), "robust": acc, "attack": f.get("attack"),
                         "autoattack": aa.get(key), "n": f.get("n_examples"),
                         "limit": _limit(p, eps) if eps is not None else None, "masking": masking,
                         "claim 10": _claim10(p), "claim 11": _claim11(p), "recipe": f.get("training_recipe"),
                         "source": f.get("model_kind"), "file": c.path, "scale": c.scale})
    rows.sort(key=lambda r: (str(r["dataset"]), str(r["threat"]), r["eps"] or 0.0, -(r["robust"] or 0.0)))
    return rows


def published_rows(rows: list[dict]) -> list[dict]:
    """The published points (deep.card_plane.PUBLISHED, quoted) of the threat models the rows show."""
    from tradeoff.deep.card_plane import published_points

    norm = {"Linf": "inf", "L2": "2"}
    seen, out = set(), []
    for r in rows:
        if r["eps"] is None or r["threat"] not in norm:
            continue
        for p in published_points(str(r["dataset"]), norm[r["threat"]], r["eps"]):
            k = (p["name"], p["dataset"], p["eps"])
            if k not in seen:
                seen.add(k)
                out.append({**p, "threat": r["threat"]})
    return out


def markdown_table(rows: list[dict], published: list[dict] | None = None) -> str:
    """The leaderboard as a Markdown table (the published points after the cards, marked as quoted)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r.get(c)) or "–" for c in COLUMNS) + " |")
    for p in published or []:
        cells = {"model": f"{p['name']} (quoted)", "dataset": p["dataset"], "threat": p["threat"], "eps": p["eps"],
                 "clean": p["standard"], "robust": p["robust"], "attack": p["attack"], "source": p["source"]}
        lines.append("| " + " | ".join(_fmt(cells.get(c)) or "–" for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def card_table_blocks(dirs=None, figure: str | os.PathLike | None = None, figure_rel: str = "") -> list:
    """The report's "Model cards" section: a heading, what the columns mean, the table of every card below ``dirs``
    (default ``<build>/results/cards``) with the published points beside them (quoted, with sources) and, when
    ``figure`` (the leaderboard PNG of ``tradeoff cards``) exists, that figure. Empty when there is no card. Cards are
    ad-hoc evaluations (or a run's own numbers), never a claim's evidence."""
    from tradeoff.data.paths import results_dir

    cards, _ = read_cards(dirs if dirs is not None else [results_dir() / "cards"])
    if not cards:
        return []
    rows = card_rows(cards)
    pub = published_rows(rows)
    head = ("model", "dataset", "threat", "eps", "clean", "robust", "attack", "autoattack", "n", "limit", "masking",
            "claim 10", "claim 11", "recipe")
    body = [tuple(text(_fmt(r.get(c)) or "–") for c in head) for r in rows]
    body += [tuple(text(v) for v in (f"{p['name']} (quoted: {p['source']})", p["dataset"], p["threat"],
                                     _fmt(p["eps"]), _fmt(p["standard"]), _fmt(p["robust"]), p["attack"], "–", "–",
                                     "–", "–", "–", "–", "–")) for p in pub]
    blocks = [Heading(2, "Model cards", ANCHOR, back=True),
              Paragraph(text(f"{len(cards)} card(s) from `tradeoff card` and `tradeoff cards --from-runs`: clean "
                             "accuracy, robust accuracy under the attack named (an upper bound on the true value), "
                             "AutoAttack where it ran, the data's own limit on the same points (exact or bounds; "
                             "EXCEEDED means the attack missed examples no classifier can hold), the masking checks, "
                             "claim 10's excess alignment (Spearman) and claim 11's J1 other-class rate. Cards are "
                             "one command's own evaluation, not evidence for a claim; rows marked quoted are "
                             "published numbers, not recomputed. docs/cards.md says what each number means.")),
              Table(head, tuple(body), caption="Model cards and published points")]
    if figure is not None and Path(figure).is_file():
        blocks.append(Image(Path(figure), figure_rel or Path(figure).name,
                            "Model cards on the (standard, robust) plane, one panel per threat model", "cards-board"))
    return blocks
