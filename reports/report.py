"""Build the report from the saved result files and figures (no recomputation).

``build_report()`` reads every result file under the result folders (:mod:`reports.result_index`), applies each
claim's rule once per evidence scale (:mod:`reports.claims.by_scale`: no test combines scales; the headline rule
picks the scale the scoreboard shows), draws the report's own figures one scale per figure, builds a
:class:`reports.document.Document` and renders it (reports.render_markdown, reports.render_html), writing
``report.md``, a self-contained ``report.html`` and ``verdicts.json`` (reports.verdicts_json) atomically. Each figure
appears once on the page: in the first card that shows it, else in the figures section, which links to the others.
Rendering is deterministic: everything is sorted and the only date printed is the newest result's ``created``.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tradeoff.data import paths
from tradeoff.data.io import atomic_write_text, to_jsonable
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import display_name

from . import cards, provenance_section, result_index, scale_info
from . import claims as claims_mod
from .card_table import ANCHOR as CARDS_ANCHOR
from .card_table import card_table_blocks
from .claims.by_scale import ClaimVerdict, evaluate_by_scale
from .document import (
    Banner,
    Block,
    Bullets,
    Code,
    Document,
    Figures,
    Heading,
    Image,
    Inline,
    Link,
    Paragraph,
    Strong,
    Text,
    text,
)
from .figure_files import FigureFile, classify_figure, collect_figures, figure_coverage, figures_for_claim
from .figures.overview import draw_overviews
from .figures.verdicts import draw_verdict_figures
from .frontier_section import ANCHOR as FRONTIER_ANCHOR
from .frontier_section import frontier_section
from .published import published_section
from .render_html import render_html
from .render_markdown import render_markdown
from .result_index import Collection, ResultFile, ResultIndex, collect_results
from .summary import banner as make_banner
from .summary import lead
from .verdicts_json import verdicts_document

__all__ = ["BuiltReport", "ClaimResult", "Document", "build_document", "build_report", "classify_figure",
           "collect_figures", "evaluate_claims"]

# ------------------------------------------------------------------------------------------------ building


@dataclass(frozen=True)
class ClaimResult:
    """A claim with its headline outcome, the figures it points to and its verdict at every scale."""

    claim: claims_mod.Claim
    outcome: claims_mod.Outcome
    figures: tuple
    by_scale: ClaimVerdict


def evaluate_claims(index: ResultIndex, figures: list[FigureFile], verdict: dict[int, list[Path]] | None = None,
                    verdicts: dict[int, ClaimVerdict] | None = None) -> list[ClaimResult]:
    """Apply every claim's rule per scale (reports.claims.by_scale) to the result index (``verdict``: see
    :func:`reports.figure_files.figures_for_claim`; ``verdicts``: claims already evaluated per scale)."""
    out = []
    for c in claims_mod.CLAIMS:
        cv = (verdicts or {}).get(c.number) or evaluate_by_scale(c, index)
        out.append(ClaimResult(c, cv.outcome, tuple(figures_for_claim(c, figures, verdict)), cv))
    return out


def device_of(provenance: dict) -> str:
    """The accelerator's name from a provenance record, else ``CPU: <model>`` (reports.scale_info)."""
    return scale_info.device_of(provenance)


FRONTIER_KINDS = (Kind.DATA_LIMIT, Kind.LINEAR_FRONTIER, Kind.THEORY_GAUSSIAN_MODEL, Kind.DEEP_FRONTIER)
FRONTIER_STEMS = ("frontier_mnist", "theory_gaussian_model")  # the figures the frontier section shows


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
    shown = [(f.path, _rel(f.path, out_dir)) for f in figures if f.path.stem in FRONTIER_STEMS]
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




# ------------------------------------------------------------------------------------------------ figures, once


def _image(f: FigureFile, out_dir: Path) -> Image:
    return Image(f.path, _rel(f.path, out_dir), f"{f.label}: {f.caption}", f.anchor)


def _names(fs: list[FigureFile], out_dir: Path) -> Text:
    out: list[Inline] = []
    for i, f in enumerate(fs):
        out += [", "] * bool(i) + [Code(_rel(f.path, out_dir))]
    return tuple(out)


def _target(f: FigureFile, placed: dict[str, str]) -> str:
    """The anchor of figure ``f`` where it is shown (the frontier section names its figures by its own anchor)."""
    return f"{FRONTIER_ANCHOR}-{f.path.stem}" if placed.get(f.anchor) == FRONTIER_PLACE else f.anchor


def _card_figures(cr: ClaimResult, placed: dict[str, str], out_dir: Path) -> list[Block]:
    """The figures of one card: those not yet on the page are shown here (and recorded in ``placed``: anchor ->
    where), those shown earlier are linked, those drawn from results that are not evidence are named only."""
    show, links = [], []
    for f in cr.figures:
        if not f.evidence:
            continue
        if f.anchor in placed:
            links.append(f)
        else:
            placed[f.anchor] = f"claim {cr.claim.number}"
            show.append(f)
    blocks: list[Block] = [Figures(tuple(_image(f, out_dir) for f in show))] if show else []
    if links:
        items: list[Inline] = [Strong("Also: ")]
        for i, f in enumerate(links):
            items += ["; "] * bool(i) + [Link(f.label, f.anchor), f" (shown with {placed[f.anchor]})"]
        blocks.append(Paragraph(tuple(items) + (".",)))
    hidden = [f for f in cr.figures if not f.evidence]
    if hidden:
        scales = ", ".join(sorted({str(f.scale) for f in hidden}))
        blocks.append(Paragraph((Strong("Not shown"), f" (drawn from results that are not evidence, scale {scales}): ",
                                 *_names(hidden, out_dir), ".")))
    return blocks


def _figures_section(figures: list[FigureFile], out_dir: Path, placed: dict[str, str]) -> list[Block]:
    """The gallery: which paper figures were drawn, links to the figures shown with the claims, the figures shown
    nowhere else, and the files not shown (the producers' Figures 1, 6, 7, redrawn per scale by the report; figures
    of results that are not evidence)."""
    blocks: list[Block] = [Heading(2, "Figures", "figures", back=True)]
    cover = figure_coverage(figures)
    none = [n for n, have, _ in cover if not have]
    partial = [(n, miss) for n, have, miss in cover if have and miss]
    blocks.append(Paragraph(text(
        "Each figure is on this page once: with the first claim that shows it, else here. Files under the figures "
        "folder are named `fig<N>[panel]_<dataset>.png` after the paper's numbering (reports/RESULTS.md); "
        "`claim<k>_fig<N>_<dataset>_<scale>.png` are drawn by `tradeoff report` from the rows behind claim k's "
        "verdict at one scale. Paper figures with nothing drawn: "
        + (", ".join(f"Figure {n}" for n in none) or "none") + " (figures of results that are not evidence count "
        "as not drawn). Drawn without some of the paper's data sets: "
        + ("; ".join(f"Figure {n} (no {', '.join(display_name(d) for d in miss)})" for n, miss in partial)
           or "none") + ".")))
    linked = [f for f in figures if f.anchor in placed]
    if linked:
        items: list[Inline] = [Strong(f"Shown above ({len(linked)}): ")]
        for i, f in enumerate(linked):
            items += ["; "] * bool(i) + [Link(f.label, _target(f, placed)), f" ({placed[f.anchor]})"]
        blocks.append(Paragraph(tuple(items) + (".",)))
    superseded = [f for f in figures if f.group == "paper" and f.number in (1, 6, 7) and f.anchor not in placed]
    hidden = [f for f in figures if not f.evidence and f.anchor not in placed and f not in superseded]
    rest = [f for f in figures if f.anchor not in placed and f not in superseded and f not in hidden]
    if rest:
        blocks += [Heading(3, "Figures shown nowhere else", "figures-other", back=True),
                   Figures(tuple(_image(f, out_dir) for f in rest))]
        placed.update({f.anchor: "the figures section" for f in rest})
    if superseded:
        blocks.append(Paragraph((Strong("Not shown"), " (Figures 1, 6 and 7 as the producers drew them, from one "
                                                      "run each; the report draws them again from the rows behind "
                                                      "claims 5–8, one scale per figure): ",
                                 *_names(superseded, out_dir), ".")))
    if hidden:
        blocks.append(Paragraph((Strong("Not shown"), " (drawn from results that are not evidence): ",
                                 *_names(hidden, out_dir), ".")))
    return blocks


# ------------------------------------------------------------------------------------------------ document


SECTIONS = (("Scoreboard", "summary"), ("Claims", "claims"), ("Our models beside published numbers", "published"),
            ("Model cards", CARDS_ANCHOR), ("Beyond the paper: the frontier", "frontier-everywhere"),
            ("Figures", "figures"),
            ("Reproducibility", "reproducibility"), ("Set-up used and the paper-scale defaults", "defaults"),
            ("Result files read", "result-files"), ("Skipped files", "skipped-files"))
FRONTIER_PLACE = "the frontier section"


def build_document(collection: Collection, figures: list[FigureFile], out_dir: str | os.PathLike,
                   results: list[ClaimResult] | None = None, model_cards: list[Block] | None = None) -> Document:
    """The whole report as a :class:`Document`: what was verified (two sentences), the banner when results are not
    evidence, scoreboard, contents, one card per claim, our models beside published numbers, the trade-off cards of
    the build (``model_cards``: reports.card_table.card_table_blocks; none when empty), the frontier section,
    figures, reproducibility, the set-up used beside the defaults, result files read and skipped files
    (``results``: claims already evaluated)."""
    model_cards = model_cards or []
    out_dir = Path(out_dir)
    index = ResultIndex(collection.results)
    if results is None:
        results = evaluate_claims(index, figures)
    files = {r.path: r for r in collection.results}
    used_by: dict[str, list[int]] = defaultdict(list)
    for cr in results:
        for s in cr.by_scale.scales:
            for e in (s.outcome.evidence if s.outcome is not None else ()):
                used_by[e.path].append(cr.claim.number)
    extra = {r.path for r in index.all(Kind.DEEP_BENCHMARK)}  # every benchmark is shown
    extra |= {r.path for r in (*_frontier_files(index), _deep_frontier_file(index)) if r is not None}  # frontier
    used = set(used_by) | extra
    counts = {v: sum(cr.outcome.verdict == v for cr in results) for v in claims_mod.VERDICTS}
    newest = max((r.created for r in collection.results), default="")
    intro = (f"Each claim of the paper (Tsipras et al., ICLR 2019, 'Robustness May Be at Odds with Accuracy') set "
             f"beside what this project measured, built by `tradeoff report` from {len(collection.results)} saved "
             f"result file(s) without recomputing anything" + (f" (newest result created {newest})" if newest else "")
             + ". Headline verdicts: " + ", ".join(f"{counts[v]} {v}" for v in claims_mod.VERDICTS) + ". Claims "
             "about trained models are decided by one test stated before the data (docs/statistics.md), once per "
             "scale: a 95% interval of the effect, confirmed above 0, refuted below 0, else inconclusive with the "
             "minimum detectable effect. `verdicts.json` beside this page holds every verdict for programs.")
    placed: dict[str, str] = {}
    card_blocks: list[Block] = [cards.claim_card(cr, files, _card_figures(cr, placed, out_dir)) for cr in results]
    frontier = _frontier_section(index, figures, out_dir)
    placed.update({f.anchor: FRONTIER_PLACE for f in figures if f.path.stem in FRONTIER_STEMS and frontier})
    sections = [s for s in SECTIONS if (s[1] != FRONTIER_ANCHOR or frontier) and (s[1] != CARDS_ANCHOR or model_cards)]
    warn = make_banner(results)
    blocks: list[Block] = [Paragraph(text(lead(results, {r.scale for r in collection.results})), "lead")]
    if warn is not None:
        blocks.append(Banner(warn))
    blocks += cards.contents(sections, results)
    blocks += cards.scoreboard(results, files)
    blocks.append(Paragraph(text(intro)))
    blocks.append(Heading(2, "Claims", "claims", back=True))
    blocks += card_blocks
    blocks += published_section(index)
    blocks += model_cards
    blocks += frontier
    blocks += _figures_section(figures, out_dir, placed)
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
    verdicts: Path
    document: Document
    claims: tuple  # of ClaimResult
    data: dict  # the verdicts.json object


def build_report(result_dirs: list[str | os.PathLike] | None = None, out_dir: str | os.PathLike | None = None,
                 figures_dir: str | os.PathLike | None = None) -> BuiltReport:
    """Read the result files (default: ``<build>/results`` and ``reports/results``) and the figures (default
    ``<build>/figures``), and write ``<out>/report.md``, ``<out>/report.html`` and ``<out>/verdicts.json``
    (default ``<out>`` = build dir)."""
    out = Path(out_dir) if out_dir is not None else paths.build_dir()
    collection = collect_results(list(result_dirs) if result_dirs is not None else result_index.default_result_dirs())
    fig_dir = Path(figures_dir) if figures_dir is not None else paths.figures_dir()
    index = ResultIndex(collection.results)
    verdicts = {c.number: evaluate_by_scale(c, index) for c in claims_mod.CLAIMS}
    draw_overviews(index, fig_dir)
    drawn = draw_verdict_figures(index, fig_dir, verdicts)
    figures = collect_figures(fig_dir, index)
    results = evaluate_claims(index, figures, drawn, verdicts)
    card_dirs = [Path(d) / "cards" for d in (result_dirs if result_dirs is not None else [paths.results_dir()])]
    board = fig_dir / "cards" / "leaderboard.png"
    model_cards = card_table_blocks([d for d in card_dirs if d.is_dir()], board,
                                    os.path.relpath(board, out)) if any(d.is_dir() for d in card_dirs) else []
    doc = build_document(collection, figures, out, results, model_cards)
    warn = make_banner(results)
    data = to_jsonable(verdicts_document(results, collection, "".join(p if isinstance(p, str) else p.text
                                                                      for p in warn) if warn else None))
    md = atomic_write_text(out / "report.md", render_markdown(doc))
    html = atomic_write_text(out / "report.html", render_html(doc))
    vj = atomic_write_text(out / "verdicts.json", json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")
    return BuiltReport(md, html, vj, doc, tuple(results), data)
