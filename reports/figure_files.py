"""The figure files the report shows: what each PNG under the figures folder is, which claim points to it, and the
scale of the results it was drawn from.

Names (reports/RESULTS.md): ``fig<N>[<panel>][_<variant>].png`` is paper Figure N as a producer drew it;
``claim<k>_fig<N>_<dataset>_<scale>.png`` is Figure N drawn by the report from claim k's rows at one scale
(reports.figures.verdicts); ``overview_<dataset>_<scale>.png`` the overview of one scale; ``theory_<name>.png`` a
theory figure; anything else an other figure. The scale of a producer's figure is the scale of the newest result
file that draws it (reports.figures.results: the one place that maps a result file to its figures), since each
producer redraws its figures when it writes its file.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from tradeoff.data.kinds import Kind
from tradeoff.data.registry import DATASETS, by_label, display_name
from tradeoff.data.scales import Scale

from . import claims as claims_mod
from .figures.captions import OVERVIEW, PANELS, PAPER_FIGURES, THEORY_FIGURES
from .figures.verdicts import PREFIX, VERDICT_SWEEPS
from .result_index import COMMITTED_RESULTS, ResultIndex

_FIG_RE = re.compile(r"^fig(\d+)([a-z]?)(?:_(.+))?$")
_VERDICT_RE = re.compile(rf"^{PREFIX}(\d+)_fig(\d+)_(.+)$")
_SCALES = {s.value for s in Scale}


@dataclass(frozen=True)
class FigureFile:
    """A PNG under the figures folder and where it belongs: a paper figure (``number``), a theory figure, or other;
    ``dataset`` and ``scale`` where the name or the result files tell them (``scale`` None: not known)."""

    path: Path
    name: str
    group: str  # "verdict", "paper", "theory" or "other"
    number: int | None
    panel: str
    label: str
    caption: str
    anchor: str
    dataset: str = ""
    scale: str | None = None

    @property
    def evidence(self) -> bool:
        """Whether the figure was drawn from results of a scale that is evidence (unknown scales count as evidence:
        the figure is shown, with its scale said to be unknown)."""
        return self.scale is None or Scale(self.scale).evidence


def _split_scale(variant: str) -> tuple[str, str | None]:
    """``mnist_quick`` -> (``mnist``, ``quick``); a variant without a scale suffix -> (variant, None)."""
    head, _, tail = variant.rpartition("_")
    return (head, tail) if head and tail in _SCALES else (variant, None)


def classify_figure(path: Path) -> FigureFile:
    """Classify a PNG by its name (module docstring)."""
    stem = path.stem
    anchor = "figure-" + re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    v = _VERDICT_RE.match(stem)
    if v and 1 <= int(v.group(2)) <= len(PAPER_FIGURES):
        k, n = int(v.group(1)), int(v.group(2))
        ds, scale = _split_scale(v.group(3))
        at = f", {scale} scale" if scale else ""
        label = f"Figure {n}, {display_name(ds)}{at}, from claim {k}'s data"
        caption = (PAPER_FIGURES[n] + f" — drawn by `tradeoff report` from the result files behind claim {k}'s "
                   "verdict at one scale (training failures left out)")
        return FigureFile(path, path.name, "verdict", n, "", label, caption, anchor, ds, scale)
    m = _FIG_RE.match(stem)
    if m and 1 <= int(m.group(1)) <= len(PAPER_FIGURES):
        n, panel, variant = int(m.group(1)), m.group(2), m.group(3)
        label = f"Figure {n}" + (f"({panel})" if panel else "")
        caption = PANELS.get(f"{n}{panel}", PAPER_FIGURES[n])
        if variant and f"{n}{panel}" not in PANELS:
            caption += f" — {variant.replace('_', ' ')}"
        ds = "mnist" if n == 5 else (variant or "").rsplit("_", 1)[-1]
        return FigureFile(path, path.name, "paper", n, panel, label, caption, anchor, ds)
    if stem.startswith("theory_"):
        base = next((k for k in sorted(THEORY_FIGURES, key=len, reverse=True)
                     if stem == k or stem.startswith(k + "_")), None)
        caption = THEORY_FIGURES[base] if base else stem.replace("_", " ")
        if base and stem != base:
            caption += f" — {stem[len(base) + 1:].replace('_', ' ')}"
        return FigureFile(path, path.name, "theory", None, "", f"Theory figure {stem[7:]}", caption, anchor)
    if stem.startswith("overview_"):
        ds, scale = _split_scale(stem[len("overview_"):])
        label = f"Overview, {display_name(ds)}" + (f", {scale} scale" if scale else "")
        return FigureFile(path, path.name, "other", None, "", label, OVERVIEW, anchor, ds, scale)
    return FigureFile(path, path.name, "other", None, "", f"Figure file {stem}", stem.replace("_", " "), anchor)


def collect_figures(fig_dir: str | os.PathLike, index: ResultIndex | None = None) -> list[FigureFile]:
    """Every ``*.png`` directly in ``fig_dir``, classified and ordered (figures drawn from the verdicts' data, paper
    figures by number and panel, then theory, then other); with ``index``, each producer's figure carries the scale
    of the newest result file that draws it (:func:`source_scale`)."""
    d = Path(fig_dir)
    if not d.is_dir():
        return []
    figs = [classify_figure(p) for p in d.glob("*.png") if p.is_file() and not p.name.startswith(".")]
    if index is not None:
        figs = [f if f.scale is not None else replace(f, scale=source_scale(f, index)) for f in figs]
    order = {"verdict": 0, "paper": 1, "theory": 2, "other": 3}
    return sorted(figs, key=lambda f: (order[f.group], f.number or 0, f.panel, f.name))


#: The result kind whose producer draws each figure (reports.figures.results), by paper figure number.
_PRODUCER_KIND = {1: Kind.DEEP_SWEEP, 6: Kind.DEEP_SWEEP, 7: Kind.DEEP_SWEEP, 5: Kind.LINEAR_FIG5,
                  **{n: Kind.DEEP_PICTURES for n in (2, 3, 4, 8, 9, 10)}}
_THEORY_KIND = {"theory_averaging": Kind.THEORY_AVERAGING, "theory_frontier": Kind.THEORY_FRONTIER,
                "theory_finite_sample": Kind.THEORY_FINITE_SAMPLE,
                "theory_gaussian_model": Kind.THEORY_GAUSSIAN_MODEL, "frontier_mnist": Kind.LINEAR_FRONTIER}


def source_scale(f: FigureFile, index: ResultIndex) -> str | None:
    """The scale of the newest result file whose producer draws figure ``f`` (None when no file is known to draw
    it), among the files computed in the build (the committed ones only when the build has none): Figures 1, 6, 7
    from ``deep.sweep`` files of their experiment and data set, Figures 2–4 and 8–10 from ``deep.pictures``
    (Figure 3's grid from ``deep.large_eps``), Figure 5 from ``linear.fig5``, the theory figures from their
    kinds."""
    if f.group == "paper":
        kind = Kind.DEEP_LARGE_EPS if f.path.stem.startswith("fig3_grid") else _PRODUCER_KIND.get(f.number or 0)
    else:
        kind = _THEORY_KIND.get(f.path.stem)
    if kind is None:
        return None
    # a producer draws into the build's figures folder from the build's own results: the committed result files
    # (reports/results, e.g. a GPU window or the long CPU scale) drew none of these PNGs, however new they are
    files = [r for r in index.all(kind) if not _committed(r)] or index.all(kind)
    if kind == Kind.DEEP_SWEEP:
        files = [r for r in files if r.payload.get("experiment") == f"fig{f.number}"]
    if kind.value.startswith("deep.") and f.dataset:
        files = [r for r in files if _same_dataset(r.payload.get("dataset") or r.dataset, f.dataset)]
    newest = max(files, key=lambda r: (r.created, r.path), default=None)
    return newest.scale.value if newest is not None else None


def _committed(r) -> bool:
    return Path(r.path).resolve().is_relative_to(COMMITTED_RESULTS.resolve())


def _same_dataset(label, name: str) -> bool:
    a, b = by_label(str(label)), by_label(str(name))
    return (a is not None and b is not None and a.name == b.name) or str(label) == name


def figures_for_claim(claim: claims_mod.Claim, figures: list[FigureFile],
                      verdict: dict[int, list[Path]] | None = None) -> list[FigureFile]:
    """The figures a claim points to: ``figN`` matches every panel and variant of paper Figure N, a theory name
    matches itself and its variants. Where the report drew Figure N from the claim's own data at each scale
    (claims 5–8, reports.figures.verdicts; ``verdict``: claim -> the PNGs drawn for it, a claim may reuse another's),
    those replace the producers' Figures 1, 6 and 7, which show one producer's run."""
    if verdict is not None:
        names = [p.name for p in verdict.get(claim.number, [])]
        own = sorted((f for f in figures if f.group == "verdict" and f.name in names),
                     key=lambda f: names.index(f.name))
    else:
        own = [f for f in figures if f.group == "verdict" and f.path.stem.startswith(f"{PREFIX}{claim.number}_")]
    redrawn = {1, 6, 7} if claim.number in VERDICT_SWEEPS else set()
    out = list(own)
    for f in figures:
        if f.group == "verdict" or f.number in redrawn:
            continue
        stem = f.path.stem
        for key in claim.figures:
            m = re.match(r"^fig(\d+)$", key)
            if (m and f.number == int(m.group(1))) or (not m and (stem == key or stem.startswith(key + "_"))):
                out.append(f)
                break
    return out


#: The data sets of each paper figure (docs/paper.md §5–6), by the label of the paper's copy (data.registry
#: ``paper_label``): Figure 5 is binary MNIST; the deep figures show MNIST, CIFAR-10 and Restricted ImageNet.
PAPER_FIGURE_DATASETS = {n: ("mnist",) if n == 5 else tuple(DATASETS[d].paper_label for d in
                                                             ("mnist", "cifar10", "restricted_imagenet"))
                         for n in PAPER_FIGURES}


def figure_coverage(figures: list[FigureFile]) -> list[tuple[int, list[str], list[str]]]:
    """Per paper figure: (number, data sets drawn, paper data sets not drawn), from the figures of an evidence
    scale (``fig<N>_<dataset>.png``, ``claim<k>_fig<N>_<dataset>_<scale>.png``; Figure 5's panels are MNIST)."""
    drawn: dict[int, set[str]] = defaultdict(set)
    for f in figures:
        if f.number is None or f.group not in ("paper", "verdict") or not f.evidence:
            continue
        found = by_label(f.dataset) if f.dataset else None  # a figure of any copy of a data set draws that data set
        ds = "mnist" if f.number == 5 else (found.paper_label if found else f.dataset)
        if ds:
            drawn[f.number].add(ds)
    out = []
    for n in sorted(PAPER_FIGURES):
        have = sorted(drawn.get(n, ()))
        out.append((n, have, [d for d in PAPER_FIGURE_DATASETS[n] if d not in drawn.get(n, ())]))
    return out
