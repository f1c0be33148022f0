"""The report section "The trade-off frontier everywhere" from the ``data.limit``, ``linear.frontier`` and
``theory.gaussian_model`` payloads (reports/RESULTS.md) and the figures ``frontier_mnist.png`` and
``theory_gaussian_model.png``. Returns report blocks (reports.document's Heading, Paragraph, Table, Image); every
sentence with a number is computed from the payloads."""

from __future__ import annotations

from pathlib import Path

from .document import Heading, Image, Paragraph, Table, text

ANCHOR = "frontier-everywhere"


def _f(v, digits: int = 4) -> str:
    return "–" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def best_linear(linear: dict) -> dict | None:
    """The linear model of highest robust accuracy (ties: higher standard accuracy)."""
    ms = linear.get("models") or []
    return max(ms, key=lambda m: (m["robust_acc"], m["standard_acc"])) if ms else None


def limit_at(limit: dict, eps: float, split: str = "test") -> dict | None:
    """The ``data.limit`` entry of ``split`` at ``eps`` (None if absent)."""
    for e in (limit or {}).get("splits", {}).get(split, []):
        if abs(float(e["eps"]) - float(eps)) <= 1e-12:
            return e
    return None


def frontier_section(limit: dict | None, linear: dict | None, gaussian: dict | None = None,
                     figures: list[tuple[Path, str]] = ()) -> list:
    """Blocks of the section. ``figures``: ``(png path, path relative to the report)`` pairs to show (those that
    exist). Empty list when none of the payloads is there."""
    if not (limit or linear or gaussian):
        return []
    blocks: list = [Heading(2, "Beyond the paper: the trade-off frontier everywhere", ANCHOR)]
    blocks.append(Paragraph(text(
        "Does real data force a trade-off? The data's own limit is the best robust accuracy ANY classifier reaches "
        "on a split's empirical distribution (a maximum matching in the conflict graph of opposite-class pairs "
        "within 2ε); the data's frontier the best (standard, robust) pairs (a minimum cut); both exact, "
        "`docs/data_frontier.md`. The linear frontier: exactly trained linear models, by ε_train and by a "
        "TRADES-style β, with exact accuracies.")))
    if limit:
        rows = []
        for split, entries in limit.get("splits", {}).items():
            for e in entries:
                lim, fr = e["limit"], e.get("frontier") or {}
                rows.append((text(split), text(f"{e['eps']:g}"), text(lim["n"]), text(lim["n_edges"]),
                             text(lim["matching_size"]), text(_f(lim["robust_accuracy"])),
                             text(len(fr.get("standard", [])))))
        ds = f"{limit.get('dataset', '?')} {'-vs-'.join(str(c) for c in limit.get('classes', []))}"
        blocks.append(Table(("split", "ε", "points", "conflicting pairs", "matching", "best robust accuracy",
                             "frontier vertices"), tuple(rows),
                            f"The data's own limit, {ds}, ℓ{'∞' if limit['norm'] == 'inf' else '2'} balls in the "
                            "[0,1] box (kind `data.limit`)"))
        sep = limit.get("separation", {})
        items = [f"{name.replace('_', ' ')}: minimum {_f(s.get('min'))}, median {_f(s['quantiles'].get('0.5'))}"
                 for name, s in sep.items()]
        if items:
            blocks.append(Paragraph(text("Exact distance to the nearest point of the other class (Yang et al. "
                                         "2020) — " + "; ".join(items) + ". Any classifier can be robust at every "
                                         "ε below half the minimum.")))
    if linear:
        rows = tuple((text(m["method"]), text(f"{m['eps_train']:g}"), text("" if m["beta"] is None else
                      f"{m['beta']:g}"), text(_f(m["standard_acc"])), text(_f(m["robust_acc"])))
                     for m in linear["models"])
        blocks.append(Table(("method", "ε_train", "β", "standard accuracy", "robust accuracy"), rows,
                            f"Linear models, robust accuracy at ε={linear['eps_eval']:g} (exact; kind "
                            "`linear.frontier`)"))
        best = best_linear(linear)
        entry = limit_at(limit, linear["eps_eval"]) if limit and limit.get("norm") == linear.get("norm") else None
        if best and entry:
            lim = entry["limit"]["robust_accuracy"]
            blocks.append(Paragraph(text(
                f"At ε={linear['eps_eval']:g} the best linear model reaches robust accuracy "
                f"{_f(best['robust_acc'])} (standard {_f(best['standard_acc'])}), while some classifier reaches "
                f"robust accuracy {_f(lim)} on the same test points"
                + (" with standard accuracy 1: on this data the trade-off belongs to the model class, not to the "
                   "data." if entry.get("frontier", {}).get("standard", [None])[0] == 1.0 else "."))))
    if gaussian:
        rows = tuple((text(r["n"]), text(f"{r['standard_error']:.3g}"), text(f"{r['robust_error_mc']:.3g}"),
                      text(f"{r['robust_error_mc_se']:.2g}")) for r in gaussian["rows"])
        blocks.append(Table(("n", "standard error (exact)", "robust error (Monte Carlo)", "± s.e."), rows,
                            f"Schmidt et al.'s Gaussian model, d={gaussian['d']}, σ={gaussian['sigma']:.3g}, "
                            f"ε={gaussian['eps']:g}: the averaging rule from n samples (kind `theory.gaussian_model`)"))
    for path, rel in figures:
        if Path(path).is_file():
            blocks.append(Image(Path(path), rel, Path(path).stem.replace("_", " "), f"{ANCHOR}-{Path(path).stem}"))
    return blocks
