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
from typing import Any

from tradeoff.data import paths
from tradeoff.data.io import atomic_write_text

from . import claims as claims_mod
from . import result_index
from .defaults import RECONSTRUCTED, reconstructed_defaults
from .document import Block, Bullets, Code, Document, Heading, Image, Inline, Link, Paragraph, Strong, Table, Text, text
from .figures.captions import OVERVIEW, PANELS, PAPER_FIGURES, THEORY_FIGURES
from .frontier_section import frontier_section
from .render_html import render_html
from .render_markdown import render_markdown
from .result_index import Collection, ResultFile, ResultIndex, collect_results

# ------------------------------------------------------------------------------------------------ figures

_FIG_RE = re.compile(r"^fig(\d+)([a-z]?)(?:_(.+))?$")


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
    ``theory_<name>[_<variant>].png`` a theory figure; anything else is listed under other figures."""
    stem = path.stem
    anchor = "figure-" + re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
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
        label = f"Overview, {claims_mod.dataset_name(stem[len('overview_'):])}"
        return FigureFile(path, path.name, "other", None, "", label, OVERVIEW, anchor)
    return FigureFile(path, path.name, "other", None, "", f"Figure file {stem}", stem.replace("_", " "), anchor)


def collect_figures(fig_dir: str | os.PathLike) -> list[FigureFile]:
    """Every ``*.png`` directly in ``fig_dir``, classified and ordered (paper figures by number and panel, then
    theory, then other)."""
    d = Path(fig_dir)
    if not d.is_dir():
        return []
    figs = [classify_figure(p) for p in d.glob("*.png") if p.is_file() and not p.name.startswith(".")]
    order = {"paper": 0, "theory": 1, "other": 2}
    return sorted(figs, key=lambda f: (order[f.group], f.number or 0, f.panel, f.name))


def figures_for_claim(claim: claims_mod.Claim, figures: list[FigureFile]) -> list[FigureFile]:
    """The figures a claim points to: ``figN`` matches every panel and variant of paper Figure N, a theory name
    matches itself and its variants."""
    out = []
    for f in figures:
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


def evaluate_claims(index: ResultIndex, figures: list[FigureFile]) -> list[ClaimResult]:
    """Apply every claim's rule (reports.claims) to the result index."""
    return [ClaimResult(c, claims_mod.evaluate(c, index), tuple(figures_for_claim(c, figures)))
            for c in claims_mod.CLAIMS]


def _evidence_text(e: claims_mod.Evidence) -> Text:
    seeds = f", seeds {', '.join(map(str, e.seeds))}" if e.seeds else ""
    return (Code(e.path), f" — kind {e.kind}, scale {e.scale or 'unknown'}, dataset "
                          f"{claims_mod.dataset_name(e.dataset) if e.dataset else 'not stated'}{seeds}, "
                          f"created {e.created or 'unknown'}")


def device_of(provenance: dict) -> str:
    """The accelerator's name from a provenance record, else ``CPU: <model>``."""
    machine = provenance.get("machine") if isinstance(provenance, dict) else None
    if not isinstance(machine, dict):
        return "unknown"
    acc = machine.get("accelerator")
    if isinstance(acc, dict) and acc.get("name"):
        count = acc.get("count")
        return f"GPU: {acc['name']}" + (f" ×{count}" if isinstance(count, int) and count > 1 else "")
    return f"CPU: {machine.get('cpu') or 'unknown'}"


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "n/a"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"


def _short_commit(sha: Any) -> str:
    """First 12 hex digits of a commit, keeping a ``-dirty`` mark."""
    sha = str(sha or "unknown")
    return sha[:12] + ("-dirty" if sha.endswith("-dirty") else "")


def _summary_section(results: list[ClaimResult]) -> list[Block]:
    rows = []
    for cr in results:
        ev: list[Inline] = []
        for i, path in enumerate(sorted({e.path for e in cr.outcome.evidence})):
            ev += [", "] * bool(i) + [Code(path)]
        rows.append(((Link(f"{cr.claim.number}. {cr.claim.title}", f"claim-{cr.claim.number}"),),
                     (Strong(cr.outcome.verdict),), text(cr.outcome.summary), tuple(ev) or ("—",)))
    return [Heading(2, "Summary of the 12 claims", "summary"),
            Table(("claim", "verdict", "measured", "result files"), tuple(rows))]


def _claim_section(cr: ClaimResult) -> list[Block]:
    c, o = cr.claim, cr.outcome
    blocks: list[Block] = [
        Heading(3, f"Claim {c.number}: {c.title}", f"claim-{c.number}"),
        Paragraph((Strong("What the paper says: "), *text(c.paper))),
        Paragraph((Strong("Verdict: "), Strong(o.verdict))),
        Paragraph((Strong("Rule: "), *text(c.rule))),
        Paragraph((Strong("Measured:"),)),
        Bullets(tuple(text(m) for m in o.measured) or (("nothing",),)),
    ]
    for t in o.tables:
        blocks.append(Table(t.headers, tuple(tuple(text(cell) for cell in row) for row in t.rows), t.caption))
    blocks.append(Paragraph((Strong("Evidence"), f" (result kinds read: {', '.join(c.kinds)}):")))
    blocks.append(Bullets(tuple(_evidence_text(e) for e in o.evidence) or (("no result file",),)))
    if cr.figures:
        links: list[Inline] = [Strong("Figures: ")]
        for i, f in enumerate(cr.figures):
            links += ([", "] if i else []) + [Link(f"{f.label} ({f.name})", f.anchor)]
        blocks.append(Paragraph(tuple(links)))
    return blocks


FRONTIER_KINDS = ("data.limit", "linear.frontier", "theory.gaussian_model", "deep.frontier")


def _frontier_files(index: ResultIndex) -> tuple[ResultFile | None, ResultFile | None, ResultFile | None]:
    """The ``data.limit`` (MNIST in ℓ∞ preferred), ``linear.frontier`` and ``theory.gaussian_model`` files shown."""
    limits = index.all("data.limit")
    limit = next((r for r in limits if r.payload.get("dataset") == "mnist" and r.payload.get("norm") == "inf"),
                 limits[0] if limits else None)
    return limit, index.best("linear.frontier"), index.best("theory.gaussian_model")


def _frontier_section(index: ResultIndex, figures: list[FigureFile], out_dir: Path) -> list[Block]:
    """"Beyond the paper": the data's own limit and frontier, the linear frontier and Schmidt et al.'s model."""
    limit, linear, gaussian = _frontier_files(index)
    shown = [(f.path, Path(os.path.relpath(f.path.resolve(), out_dir.resolve())).as_posix())
             for f in figures if f.path.stem in ("frontier_mnist", "theory_gaussian_model")]
    deep = _deep_frontier_file(index)
    source = {"path": deep.path, "created": deep.created, "provenance": deep.provenance} if deep else None
    return frontier_section(limit.payload if limit else None, linear.payload if linear else None,
                            gaussian.payload if gaussian else None, shown, deep.payload if deep else None, source)


def _deep_frontier_file(index: ResultIndex) -> ResultFile | None:
    """The preferred MNIST ``deep.frontier`` file (the deep models of the frontier section)."""
    return next((r for r in index.all("deep.frontier") if r.payload.get("dataset") == "mnist"), None)


def _figures_section(figures: list[FigureFile], out_dir: Path) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Figures", "figures")]
    present = {f.number for f in figures if f.group == "paper"}
    missing = [n for n in sorted(PAPER_FIGURES) if n not in present]
    blocks.append(Paragraph(text(
        "Figures drawn by the runs (files under the figures folder, named `fig<N>[panel]_<variant>.png` after the "
        "paper's numbering; see reports/RESULTS.md). Paper figures not produced: "
        + (", ".join(f"Figure {n}" for n in missing) if missing else "none") + ".")))
    for group, title in (("paper", "Figures of the paper"), ("theory", "Theory figures"), ("other", "Other figures")):
        fs = [f for f in figures if f.group == group]
        if not fs:
            continue
        blocks.append(Heading(3, title, f"figures-{group}"))
        for f in fs:
            rel = Path(os.path.relpath(f.path.resolve(), out_dir.resolve())).as_posix()
            blocks.append(Image(f.path, rel, f"{f.label}: {f.caption}", f.anchor))
    return blocks


def _reproducibility_section(collection: Collection, used: set[str], index: ResultIndex) -> list[Block]:
    files = [r for r in collection.results if r.path in used]
    blocks: list[Block] = [Heading(2, "Reproducibility", "reproducibility"),
                           Paragraph(text("From the provenance of the result files the claims used."))]
    if not files:
        return blocks + [Paragraph(("No result file was used.",))]
    rows = []
    for r in files:
        prov = r.provenance
        rows.append((text(f"`{r.path}`"), text(r.kind), text(r.scale or "unknown"),
                     text(claims_mod.dataset_name(r.dataset) if r.dataset else "not stated"),
                     text(", ".join(map(str, r.seeds)) if r.seeds else "—"), text(_fmt_seconds(r.wall_time_s)),
                     text(_short_commit(prov.get("git_commit"))), text(device_of(prov)), text(r.created)))
    blocks.append(Table(("file", "kind", "scale", "dataset", "seeds", "wall time", "git commit", "device", "created"),
                        tuple(rows), "Result files used"))
    commits = sorted({str(r.provenance.get("git_commit", "unknown")) for r in files})
    devices = sorted({device_of(r.provenance) for r in files})
    platforms = sorted({str(r.provenance.get("platform")) for r in files if r.provenance.get("platform")})
    total = sum(r.wall_time_s or 0.0 for r in files)
    blocks.append(Bullets((
        (Strong("Git commits: "), *sum(((", " if i else "", Code(c)) for i, c in enumerate(commits)), ())),
        (Strong("Devices: "), "; ".join(devices)),
        (Strong("Platforms: "), "; ".join(platforms) or "not recorded"),
        (Strong("Total wall time: "), f"{_fmt_seconds(total)} over {len(files)} file(s)"),
    )))
    versions: dict[str, set[str]] = defaultdict(set)
    for r in files:
        for pkg, v in (r.provenance.get("versions") or {}).items():
            versions[str(pkg)].add(str(v))
    if versions:
        blocks.append(Table(("package", "version(s)"),
                            tuple((text(p), text(", ".join(sorted(v)))) for p, v in sorted(versions.items())),
                            "Package versions"))
    for bench in sorted(index.all("deep.benchmark"), key=lambda r: str(r.path)):
        if not (isinstance(bench.payload.get("rows"), list) and bench.payload["rows"]):
            continue
        brows = [r for r in bench.payload["rows"] if isinstance(r, dict)][:30]
        cols = list(dict.fromkeys(k for r in brows for k in r))
        device = bench.payload.get("device")
        if not isinstance(device, str) or not device:
            device = device_of(bench.provenance)
        blocks.append(Paragraph(text(f"Benchmark `{bench.path}` on {device}:")))
        blocks.append(Table(tuple(cols), tuple(tuple(text(claims_mod.fmt(r.get(c))) for c in cols) for r in brows),
                            "Benchmark"))
    return blocks


def _defaults_section() -> list[Block]:
    rows = tuple((text(d.experiment), text(d.setting), text(d.mnist), text(d.cifar10), text(d.restricted_imagenet),
                  (Strong(d.status),) if d.status == RECONSTRUCTED else text(d.status))
                 for d in reconstructed_defaults())
    return [Heading(2, "Reconstructed defaults", "defaults"),
            Paragraph(text(f"Set-up values of docs/paper.md §5–6. "
                           f"Rows marked \"{RECONSTRUCTED}\" are our reconstructions: "
                           "the paper's values could not be confirmed, and every such value is a configuration "
                           "option. The values a run actually used are in its result file.")),
            Table(("experiment", "setting", "MNIST", "CIFAR-10", "Restricted ImageNet", "status"), rows)]


def _group_keys(r: ResultFile) -> set:
    """What a file provides, at the granularity the claims choose files: (experiment, dataset, norm) for
    ``deep.sweep``, the dataset for gradients / large-ε files, the run for sanity files, else the kind."""
    try:
        if r.kind == "deep.sweep":
            return {(r.payload.get("experiment"), str(x["dataset"]), str(x.get("norm"))) for x in r.payload["rows"]}
        if r.kind in ("deep.gradients", "deep.large_eps"):
            return {str(r.payload.get("dataset", r.dataset))}
        if r.kind == "deep.sanity":
            return {str(r.payload.get("run", r.path))}
    except (KeyError, TypeError, AttributeError):
        return set()
    return {r.kind}


def _files_section(collection: Collection, used: set[str], index: ResultIndex) -> list[Block]:
    read_kinds = {k for c in claims_mod.CLAIMS for k in c.kinds} | {"theory.finite_sample", "deep.benchmark"} \
        | set(FRONTIER_KINDS)
    rows = []
    for r in collection.results:
        if r.path in used:
            status = "used"
        elif r.kind not in read_kinds:
            status = "kind not read by the report"
        else:
            best = next((u for u in index.all(r.kind) if u.path in used and _group_keys(u) & _group_keys(r)), None)
            status = (f"not used (preferred: `{best.path}`, larger scale or newer)" if best
                      else "not used (its numbers were not needed or could not be read)")
        rows.append((text(f"`{r.path}`"), text(r.kind), text(r.scale or "unknown"), text(r.created), text(status)))
    blocks: list[Block] = [Heading(2, "Result files read", "result-files"), Paragraph(text(
        "Folders read: " + "; ".join(f"`{p}`" + ("" if present else " (absent)") for p, present in collection.sources)
        + ". When several files give the same kind, the one with the largest scale (paper/exact > gpu > other > "
          "quick), then the newest, is used."))]
    if rows:
        blocks.append(Table(("file", "kind", "scale", "created", "status"), tuple(rows)))
    else:
        blocks.append(Paragraph(("No result file was found.",)))
    blocks.append(Heading(2, "Skipped files", "skipped-files"))
    if collection.skipped:
        blocks.append(Table(("file", "reason"), tuple((text(f"`{s.path}`"), text(s.reason))
                                                      for s in collection.skipped)))
    else:
        blocks.append(Paragraph(("None.",)))
    return blocks


def build_document(collection: Collection, figures: list[FigureFile], out_dir: str | os.PathLike,
                   results: list[ClaimResult] | None = None) -> Document:
    """The whole report as a :class:`Document`: summary table, one section per claim, figures, reproducibility,
    reconstructed defaults, result files read and skipped files (``results``: claims already evaluated)."""
    out_dir = Path(out_dir)
    index = ResultIndex(collection.results)
    if results is None:
        results = evaluate_claims(index, figures)
    used = {e.path for cr in results for e in cr.outcome.evidence}
    used |= {r.path for r in index.all("deep.benchmark")}  # every benchmark is shown
    used |= {r.path for r in (*_frontier_files(index), _deep_frontier_file(index)) if r is not None}  # frontier
    counts = {v: sum(cr.outcome.verdict == v for cr in results) for v in claims_mod.VERDICTS}
    newest = max((r.created for r in collection.results), default="")
    intro = (f"Each claim of the paper (Tsipras et al., ICLR 2019, 'Robustness May Be at Odds with Accuracy') set "
             f"beside what this project measured. Built by `tradeoff report` from {len(collection.results)} saved "
             f"result file(s), without recomputing anything"
             + (f"; newest result created {newest}" if newest else "") + ". Verdicts: "
             + ", ".join(f"{counts[v]} {v}" for v in claims_mod.VERDICTS) + ". A verdict is only given with the "
             "numbers it rests on; missing numbers give 'not run'. Claims about trained models are decided by one "
             "test stated before the data (docs/statistics.md): a 95% interval of the effect, confirmed above 0, "
             "refuted below 0, else inconclusive with the minimum detectable effect at 80% power.")
    blocks: list[Block] = [Paragraph(text(intro))]
    blocks += _summary_section(results)
    blocks.append(Heading(2, "Claims", "claims"))
    for cr in results:
        blocks += _claim_section(cr)
    blocks += _frontier_section(index, figures, out_dir)
    blocks += _figures_section(figures, out_dir)
    blocks += _reproducibility_section(collection, used, index)
    blocks += _defaults_section()
    blocks += _files_section(collection, used, index)
    return Document("Robustness May Be at Odds with Accuracy — reproduction report", tuple(blocks))


SWEEP_EXPERIMENTS = ("fig1", "fig6", "fig7", "mixed")


def draw_overviews(index: ResultIndex, fig_dir: Path) -> list[Path]:
    """``overview_<dataset>.png`` for every dataset with sweep rows: each trained model's (standard, robust)
    accuracy from the same preferred sweep files the claims use (:func:`claims.sweep_rows`), beside the theory
    frontier of D when a ``theory.frontier`` result exists."""
    from .figures.overview import draw_overview, overview_points

    rows, _ = claims_mod.sweep_rows(index, SWEEP_EXPERIMENTS)
    frontier = index.best("theory.frontier")
    out = []
    for ds in sorted({str(r["dataset"]) for r in rows}):
        mine = [r for r in rows if str(r["dataset"]) == ds]
        if not overview_points([{"rows": mine}], ds):  # no row with both accuracies in a known norm
            continue
        fig_dir.mkdir(parents=True, exist_ok=True)
        out.append(draw_overview([{"rows": mine}], fig_dir / f"overview_{ds}.png", dataset=ds,
                                 frontier=frontier.payload if frontier else None,
                                 title=claims_mod.dataset_name(ds)))
    return out


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
    draw_overviews(ResultIndex(collection.results), fig_dir)
    figures = collect_figures(fig_dir)
    results = evaluate_claims(ResultIndex(collection.results), figures)
    doc = build_document(collection, figures, out, results)
    md = atomic_write_text(out / "report.md", render_markdown(doc))
    html = atomic_write_text(out / "report.html", render_html(doc))
    return BuiltReport(md, html, doc, tuple(results))
