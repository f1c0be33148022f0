"""Build the report from the saved result files and figures (no recomputation).

``build_report()`` reads every result file under the result folders (:mod:`reports.result_index`: the preferred file
per kind is the one of largest scale, then newest), applies the claim rules of :mod:`reports.claims`, builds a
:class:`reports.document.Document` and renders it (reports.render_markdown, reports.render_html), writing
``report.md`` and a self-contained ``report.html`` atomically. Rendering is deterministic: everything is sorted and
the only date printed is the newest result's ``created``.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tradeoff.data import paths
from tradeoff.data.io import atomic_write_text
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import DATASETS, by_label, display_name

from . import cards, provenance_section, result_index, scale_info
from . import claims as claims_mod
from .document import (
    Block,
    Bullets,
    Code,
    Document,
    Heading,
    Image,
    Inline,
    Link,
    Paragraph,
    Strong,
    Thumbnail,
    Thumbnails,
    text,
)
from .figures.captions import OVERVIEW, PANELS, PAPER_FIGURES, THEORY_FIGURES
from .figures.overview import draw_overviews
from .figures.thumbnails import thumbnail
from .figures.verdicts import PREFIX, VERDICT_SWEEPS, draw_verdict_figures
from .frontier_section import frontier_section
from .render_html import render_html
from .render_markdown import render_markdown
from .result_index import Collection, ResultFile, ResultIndex, collect_results

# ------------------------------------------------------------------------------------------------ figures

_FIG_RE = re.compile(r"^fig(\d+)([a-z]?)(?:_(.+))?$")
_VERDICT_RE = re.compile(rf"^{PREFIX}(\d+)_fig(\d+)_(.+)$")


@dataclass(frozen=True)
class FigureFile:
    """A PNG under the figures folder and where it belongs: a paper figure (``number``), a theory figure, or other."""

    path: Path
    name: str
    group: str  # "paper", "theory" or "other"
    number: int | None
    panel: str
    label: str
    caption: str
    anchor: str


def classify_figure(path: Path) -> FigureFile:
    """Name convention (reports/RESULTS.md): ``fig<N>[<panel>][_<variant>].png`` is paper Figure N (panel a, b, …);
    ``claim<k>_fig<N>_<dataset>.png`` Figure N drawn by the report from claim k's data (reports.figures.verdicts);
    ``theory_<name>[_<variant>].png`` a theory figure; anything else is listed under other figures."""
    stem = path.stem
    anchor = "figure-" + re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    v = _VERDICT_RE.match(stem)
    if v and 1 <= int(v.group(2)) <= len(PAPER_FIGURES):
        k, n, ds = int(v.group(1)), int(v.group(2)), v.group(3)
        label = f"Figure {n}, {display_name(ds)}, from claim {k}'s data"
        caption = (PAPER_FIGURES[n] + f" — drawn by `tradeoff report` from the result files behind claim {k}'s "
                   "verdict (training failures left out)")
        return FigureFile(path, path.name, "verdict", n, "", label, caption, anchor)
    m = _FIG_RE.match(stem)
    if m and 1 <= int(m.group(1)) <= len(PAPER_FIGURES):
        n, panel, variant = int(m.group(1)), m.group(2), m.group(3)
        label = f"Figure {n}" + (f"({panel})" if panel else "")
        caption = PANELS.get(f"{n}{panel}", PAPER_FIGURES[n])
        if variant and f"{n}{panel}" not in PANELS:
            caption += f" — {variant.replace('_', ' ')}"
        return FigureFile(path, path.name, "paper", n, panel, label, caption, anchor)
    if stem.startswith("theory_"):
        base = next((k for k in sorted(THEORY_FIGURES, key=len, reverse=True)
                     if stem == k or stem.startswith(k + "_")), None)
        caption = THEORY_FIGURES[base] if base else stem.replace("_", " ")
        if base and stem != base:
            caption += f" — {stem[len(base) + 1:].replace('_', ' ')}"
        return FigureFile(path, path.name, "theory", None, "", f"Theory figure {stem[7:]}", caption, anchor)
    if stem.startswith("overview_"):
        label = f"Overview, {display_name(stem[len('overview_'):])}"
        return FigureFile(path, path.name, "other", None, "", label, OVERVIEW, anchor)
    return FigureFile(path, path.name, "other", None, "", f"Figure file {stem}", stem.replace("_", " "), anchor)


def collect_figures(fig_dir: str | os.PathLike) -> list[FigureFile]:
    """Every ``*.png`` directly in ``fig_dir``, classified and ordered (paper figures by number and panel, then
    theory, then other)."""
    d = Path(fig_dir)
    if not d.is_dir():
        return []
    figs = [classify_figure(p) for p in d.glob("*.png") if p.is_file() and not p.name.startswith(".")]
    order = {"verdict": 0, "paper": 1, "theory": 2, "other": 3}
    return sorted(figs, key=lambda f: (order[f.group], f.number or 0, f.panel, f.name))


def figures_for_claim(claim: claims_mod.Claim, figures: list[FigureFile],
                      verdict: dict[int, list[Path]] | None = None) -> list[FigureFile]:
    """The figures a claim points to: ``figN`` matches every panel and variant of paper Figure N, a theory name
    matches itself and its variants. Where the report drew Figure N from the claim's own data
    (claims 5–8, reports.figures.verdicts; ``verdict``: claim -> the PNGs drawn for it, a claim may reuse another's),
    those replace the producers' Figures 1, 6 and 7, which may show another scale."""
    if verdict is not None:
        names = [p.name for p in verdict.get(claim.number, [])]
        own = sorted((f for f in figures if f.group == "verdict" and f.name in names),
                     key=lambda f: names.index(f.name))
    else:
        own = [f for f in figures if f.group == "verdict" and f.path.stem.startswith(f"{PREFIX}{claim.number}_")]
    # a claim whose figures the report draws from its own rows never shows a producer's sweep figure
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


# ------------------------------------------------------------------------------------------------ building


@dataclass(frozen=True)
class ClaimResult:
    """A claim with its outcome and the figures it points to."""

    claim: claims_mod.Claim
    outcome: claims_mod.Outcome
    figures: tuple


def evaluate_claims(index: ResultIndex, figures: list[FigureFile],
                    verdict: dict[int, list[Path]] | None = None) -> list[ClaimResult]:
    """Apply every claim's rule (reports.claims) to the result index (``verdict``: see :func:`figures_for_claim`)."""
    return [ClaimResult(c, claims_mod.evaluate(c, index), tuple(figures_for_claim(c, figures, verdict)))
            for c in claims_mod.CLAIMS]


def device_of(provenance: dict) -> str:
    """The accelerator's name from a provenance record, else ``CPU: <model>`` (reports.scale_info)."""
    return scale_info.device_of(provenance)


FRONTIER_KINDS = (Kind.DATA_LIMIT, Kind.LINEAR_FRONTIER, Kind.THEORY_GAUSSIAN_MODEL, Kind.DEEP_FRONTIER)


def _frontier_files(index: ResultIndex) -> tuple[ResultFile | None, ResultFile | None, ResultFile | None]:
    """The two-class ``data.limit`` (MNIST in ℓ∞ preferred), ``linear.frontier`` and ``theory.gaussian_model``
    files shown (many-class limits have no frontier to draw beside the two-class models)."""
    limits = [r for r in index.all(Kind.DATA_LIMIT) if not r.payload.get("multiclass")]
    limit = next((r for r in limits if r.payload.get("dataset") == "mnist" and r.payload.get("norm") == "inf"),
                 limits[0] if limits else None)
    return limit, index.best(Kind.LINEAR_FRONTIER), index.best(Kind.THEORY_GAUSSIAN_MODEL)


def _frontier_section(index: ResultIndex, figures: list[FigureFile], out_dir: Path) -> list[Block]:
    """"Beyond the paper": the data's own limit and frontier, the linear frontier and Schmidt et al.'s model; the
    commands that wrote its numbers follow the section's heading."""
    limit, linear, gaussian = _frontier_files(index)
    shown = [(f.path, _rel(f.path, out_dir)) for f in figures
             if f.path.stem in ("frontier_mnist", "theory_gaussian_model")]
    deep = _deep_frontier_file(index)
    source = {"path": deep.path, "created": deep.created, "provenance": deep.provenance} if deep else None
    blocks = frontier_section(limit.payload if limit else None, linear.payload if linear else None,
                              gaussian.payload if gaussian else None, shown, deep.payload if deep else None, source)
    if not blocks:
        return blocks
    cmds = [(Code(scale_info.command_for(r)), " → ", Code(r.path)) for r in (limit, linear, gaussian, deep)
            if r is not None and scale_info.command_for(r)]
    head = blocks[0]
    head = Heading(head.level, head.text, head.anchor, back=True) if isinstance(head, Heading) else head
    return [head, Paragraph((Strong("Commands"), " that wrote this section's numbers:")), Bullets(tuple(cmds))] \
        + blocks[1:]


def _deep_frontier_file(index: ResultIndex) -> ResultFile | None:
    """The preferred MNIST ``deep.frontier`` file (the deep models of the frontier section)."""
    return next((r for r in index.all(Kind.DEEP_FRONTIER) if r.payload.get("dataset") == "mnist"), None)


def _rel(path: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), out_dir.resolve())).as_posix()


#: The data sets of each paper figure (docs/paper.md §5–6), by the label of the paper's copy (data.registry
#: ``paper_label``): Figure 5 is binary MNIST; the deep figures show MNIST, CIFAR-10 and Restricted ImageNet.
PAPER_FIGURE_DATASETS = {n: ("mnist",) if n == 5 else tuple(DATASETS[d].paper_label for d in
                                                             ("mnist", "cifar10", "restricted_imagenet"))
                         for n in PAPER_FIGURES}


def figure_coverage(figures: list[FigureFile]) -> list[tuple[int, list[str], list[str]]]:
    """Per paper figure: (number, data sets drawn, paper data sets not drawn), from the figure files' names
    (``fig<N>_<dataset>.png``, ``claim<k>_fig<N>_<dataset>.png``; Figure 5's panels are MNIST)."""
    drawn: dict[int, set[str]] = defaultdict(set)
    for f in figures:
        if f.number is None or f.group not in ("paper", "verdict"):
            continue
        variant = f.path.stem.rsplit("_", 1)[-1] if "_" in f.path.stem else ""
        found = by_label(variant) if variant else None  # a figure of any copy of a data set draws that data set
        ds = "mnist" if f.number == 5 else (found.paper_label if found else variant)
        if ds:
            drawn[f.number].add(ds)
    out = []
    for n in sorted(PAPER_FIGURES):
        have = sorted(drawn.get(n, ()))
        out.append((n, have, [d for d in PAPER_FIGURE_DATASETS[n] if d not in drawn.get(n, ())]))
    return out


def _figures_section(figures: list[FigureFile], out_dir: Path, used_by: dict[str, list[int]]) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Figures", "figures", back=True)]
    cover = figure_coverage(figures)
    none = [n for n, have, _ in cover if not have]
    partial = [(n, miss) for n, have, miss in cover if have and miss]
    blocks.append(Paragraph(text(
        "Every figure at full size (the claim cards show them as thumbnails). Files under the figures folder are "
        "named `fig<N>[panel]_<dataset>.png` after the paper's numbering (reports/RESULTS.md); "
        "`claim<k>_fig<N>_<dataset>.png` are drawn by `tradeoff report` from the rows behind claim k's verdict. "
        "Paper figures with nothing drawn: " + (", ".join(f"Figure {n}" for n in none) or "none") + ". "
        "Drawn without some of the paper's data sets: "
        + ("; ".join(f"Figure {n} (no {', '.join(display_name(d) for d in miss)})" for n, miss in partial)
           or "none") + ".")))
    for group, title in (("verdict", "Figures drawn from the data behind the verdicts"),
                         ("paper", "Figures of the paper, as the producers drew them"),
                         ("theory", "Theory figures"), ("other", "Other figures")):
        fs = [f for f in figures if f.group == group]
        if not fs:
            continue
        blocks.append(Heading(3, title, f"figures-{group}", back=True))
        for f in fs:
            blocks.append(Image(f.path, _rel(f.path, out_dir), f"{f.label}: {f.caption}", f.anchor))
            claims = sorted(set(used_by.get(f.anchor, ())))
            if claims:
                links: list[Inline] = ["Shown in "]
                for i, n in enumerate(claims):
                    links += [", "] * bool(i) + [Link(f"claim {n}", cards.claim_anchor(n))]
                blocks.append(Paragraph(tuple(links) + (".",)))
    return blocks


SECTIONS = (("Scoreboard", "summary"), ("Claims", "claims"), ("Beyond the paper: the frontier", "frontier-everywhere"),
            ("Figures", "figures"), ("Reproducibility", "reproducibility"),
            ("Set-up used and the paper-scale defaults", "defaults"), ("Result files read", "result-files"),
            ("Skipped files", "skipped-files"))


def build_document(collection: Collection, figures: list[FigureFile], out_dir: str | os.PathLike,
                   results: list[ClaimResult] | None = None) -> Document:
    """The whole report as a :class:`Document`: scoreboard, contents, one card per claim, the frontier section,
    figures, reproducibility, the set-up used beside the defaults, result files read and skipped files
    (``results``: claims already evaluated)."""
    out_dir = Path(out_dir)
    index = ResultIndex(collection.results)
    if results is None:
        results = evaluate_claims(index, figures)
    files = {r.path: r for r in collection.results}
    used_by: dict[str, list[int]] = defaultdict(list)
    for cr in results:
        for e in cr.outcome.evidence:
            used_by[e.path].append(cr.claim.number)
    extra = {r.path for r in index.all(Kind.DEEP_BENCHMARK)}  # every benchmark is shown
    extra |= {r.path for r in (*_frontier_files(index), _deep_frontier_file(index)) if r is not None}  # frontier
    used = set(used_by) | extra
    counts = {v: sum(cr.outcome.verdict == v for cr in results) for v in claims_mod.VERDICTS}
    newest = max((r.created for r in collection.results), default="")
    intro = (f"Each claim of the paper (Tsipras et al., ICLR 2019, 'Robustness May Be at Odds with Accuracy') set "
             f"beside what this project measured. Built by `tradeoff report` from {len(collection.results)} saved "
             f"result file(s), without recomputing anything"
             + (f"; newest result created {newest}" if newest else "") + ". Verdicts: "
             + ", ".join(f"{counts[v]} {v}" for v in claims_mod.VERDICTS) + ". A verdict is only given with the "
             "numbers it rests on; missing numbers give 'not run'. Claims about trained models are decided by one "
             "test stated before the data (docs/statistics.md): a 95% interval of the effect, confirmed above 0, "
             "refuted below 0, else inconclusive with the minimum detectable effect at 80% power. Each claim uses "
             "the largest scale that has the data its test needs, and its card says which.")
    thumbs_by_anchor: dict[str, Thumbnail] = {}
    fig_users: dict[str, list[int]] = defaultdict(list)
    card_blocks: list[Block] = []
    for cr in results:
        thumbs = []
        for f in cr.figures:
            if f.anchor not in thumbs_by_anchor:
                t = thumbnail(f.path, out_dir)
                thumbs_by_anchor[f.anchor] = Thumbnail(t, _rel(t, out_dir), _rel(f.path, out_dir), f.label,
                                                       f.anchor)
            thumbs.append(thumbs_by_anchor[f.anchor])
            fig_users[f.anchor].append(cr.claim.number)
        card_blocks.append(cards.claim_card(cr, files, thumbs))
    frontier = _frontier_section(index, figures, out_dir)
    sections = [s for s in SECTIONS if s[1] != "frontier-everywhere" or frontier]
    blocks: list[Block] = [Paragraph(text(intro))]
    blocks += cards.scoreboard(results, files)
    overviews = [f for f in figures if f.path.stem.startswith("overview_")]
    if overviews:
        ts = []
        for f in overviews:
            t = thumbnail(f.path, out_dir)
            ts.append(Thumbnail(t, _rel(t, out_dir), _rel(f.path, out_dir), f.label, f.anchor))
        blocks.append(Thumbnails(tuple(ts)))
    blocks += cards.contents(sections, results)
    blocks.append(Heading(2, "Claims", "claims", back=True))
    blocks += card_blocks
    blocks += frontier
    blocks += _figures_section(figures, out_dir, fig_users)
    blocks += provenance_section.reproducibility(collection, used, index)
    blocks += provenance_section.defaults(index, used)
    read_kinds = {k for c in claims_mod.CLAIMS for k in c.kinds} | {Kind.THEORY_FINITE_SAMPLE, Kind.DEEP_BENCHMARK} \
        | set(FRONTIER_KINDS)
    blocks += provenance_section.files_read(collection, dict(used_by), extra, index, read_kinds)
    return Document("Robustness May Be at Odds with Accuracy — reproduction report", tuple(blocks))


@dataclass(frozen=True)
class BuiltReport:
    """Where the report was written, and what it says."""

    markdown: Path
    html: Path
    document: Document
    claims: tuple  # of ClaimResult


def build_report(result_dirs: list[str | os.PathLike] | None = None, out_dir: str | os.PathLike | None = None,
                 figures_dir: str | os.PathLike | None = None) -> BuiltReport:
    """Read the result files (default: ``<build>/results`` and ``reports/results``) and the figures (default
    ``<build>/figures``), and write ``<out>/report.md`` and ``<out>/report.html`` (default ``<out>`` = build dir)."""

    out = Path(out_dir) if out_dir is not None else paths.build_dir()
    collection = collect_results(list(result_dirs) if result_dirs is not None else result_index.default_result_dirs())
    fig_dir = Path(figures_dir) if figures_dir is not None else paths.figures_dir()
    index = ResultIndex(collection.results)
    draw_overviews(index, fig_dir)
    verdict = draw_verdict_figures(index, fig_dir)
    figures = collect_figures(fig_dir)
    results = evaluate_claims(index, figures, verdict)
    doc = build_document(collection, figures, out, results)
    md = atomic_write_text(out / "report.md", render_markdown(doc))
    html = atomic_write_text(out / "report.html", render_html(doc))
    return BuiltReport(md, html, doc, tuple(results))
