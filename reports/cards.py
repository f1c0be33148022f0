"""The claim cards, the scoreboard and the table of contents of the report.

One card per claim: the paper's statement; the headline verdict, the scale that gives it and the rule that chose
it (reports.claims.by_scale); one row per scale with its own verdict and intervals (scales that are not evidence:
"not evidence"); the test; the paper's numbers beside ours where the paper gives numbers; the figures (each shown
once on the page); and, folded away, the commands that wrote its files (read from the files), the measured numbers,
the tables and the evidence files. The scoreboard gives the 12 verdicts, the headline scales and every scale's
verdict on one screen.
"""

from __future__ import annotations

from collections import defaultdict

from tradeoff.data.registry import display_name

from . import claims as claims_mod
from .claims.by_scale import HEADLINE_RULE, HEADLINE_RULE_SHORT, SPLIT, ClaimVerdict, ScaleVerdict
from .claims.outcome import Effect, evidence_of
from .document import (
    Block,
    Bullets,
    Card,
    Code,
    Details,
    Heading,
    Inline,
    Link,
    Nav,
    Paragraph,
    Strong,
    Table,
    Text,
    text,
)
from .scale_info import ScaleInfo, commit_of, describe

#: What the paper states as numbers, per claim (docs/paper.md §§2–5); claims not listed are stated as figures.
PAPER_NUMBERS = {
    1: "standard accuracy Φ(η√d) > 99% and ℓ∞ robust accuracy Φ(−η√d) < 1% at ε = 2η once η√d ≥ 3",
    2: "robust accuracy ≤ p/(1−p)·δ for every classifier of standard accuracy 1 − δ (ε ≥ 2η), with equality at "
       "δ = 1 − p (for p = 0.95: standard = robust = 0.95)",
    3: "standard SVM: standard > 99%, robust < 1% at ε ≥ 2η; adversarially trained SVM: standard = robust = p "
       "(0.95 at p = 0.95), zero weight on the weak features",
}
REPORT_COMMAND = "tradeoff report"


def claim_anchor(n: int) -> str:
    """The anchor of claim ``n``'s card."""
    return f"claim-{n}"


def _figure_names(keys: tuple) -> str:
    names = []
    for k in keys:
        if k.startswith("fig") and k[3:].isdigit():
            names.append(f"Figure {int(k[3:])}")
        else:
            names.append(k.replace("_", " "))
    return ", ".join(names)


def paper_numbers(claim: claims_mod.Claim) -> str:
    """The paper's numbers for ``claim``, or what the paper gives instead."""
    if claim.number in PAPER_NUMBERS:
        return PAPER_NUMBERS[claim.number]
    shown = _figure_names(tuple(k for k in claim.figures if k.startswith("fig")))
    return (f"no number in the text: the paper shows it in {shown}" if shown
            else "no number in the text: the paper states it in words")


def infos_of(files) -> list[ScaleInfo]:
    """The scale description of each result file of ``files`` (reports.scale_info), once each, in order."""
    out, seen = [], set()
    for r in files:
        if r is not None and r.path not in seen:
            seen.add(r.path)
            out.append(describe(r))
    return out


def scale_infos(cr, files: dict) -> list[ScaleInfo]:
    """The scale of each result file behind claim result ``cr``'s headline outcome (``files``: path -> ResultFile),
    in evidence order."""
    return infos_of(files.get(e.path) for e in cr.outcome.evidence)


def brief_scale(infos: list[ScaleInfo]) -> str:
    """The scales of a claim in a few words: ``gpu-reduced (NVIDIA H200): MNIST (n 100–60000, 1 seed); quick (CPU):
    MNIST (n 200, 3 seeds)`` (training-set sizes and seeds of the deep runs)."""
    if not infos:
        return "—"
    groups: dict[str, dict[str, tuple[set, set]]] = defaultdict(dict)
    for i in infos:
        device = "CPU" if i.device.startswith("CPU") else i.device
        ns, seeds = groups[f"{i.scale} ({device})"].setdefault(i.dataset, (set(), set()))
        ns |= set(i.n_values)
        seeds |= set(i.seed_values)

    def data(ds: str, ns: set, seeds: set) -> str:
        extra = []
        if ns:
            extra.append(f"n {min(ns)}" + (f"–{max(ns)}" if max(ns) != min(ns) else ""))
        if seeds:
            extra.append(f"{len(seeds)} seed{'s' * (len(seeds) > 1)}")
        return ds + (f" ({', '.join(extra)})" if extra else "")

    return "; ".join(f"{k}: {', '.join(data(ds, *v) for ds, v in g.items())}" for k, g in groups.items())


def commands(infos: list[ScaleInfo]) -> list[str]:
    """The distinct commands behind ``infos``, in order."""
    return list(dict.fromkeys(i.command for i in infos if i.command))


def verdict_cell(cv: ClaimVerdict) -> Text:
    """The headline verdict, with "split" when one evidence scale confirms and another refutes."""
    cell: list[Inline] = [Strong(cv.outcome.verdict)]
    if cv.split:
        cell += [" · ", Strong(SPLIT)]
    return tuple(cell)


def row_files(s: ScaleVerdict, files: dict) -> list:
    """The result files a scale row's verdict rests on (its outcome's evidence), else all its files."""
    if s.outcome is not None and s.outcome.evidence:
        return [files[e.path] for e in s.outcome.evidence if e.path in files and files[e.path].scale == s.scale]
    return list(s.files)


def seeds_text(infos: list[ScaleInfo], effects=()) -> str:
    """``CPU, 3 seeds`` / ``NVIDIA H200, 1 seed``: the device and the seeds behind a scale row: the runs per recipe
    of the tested differences (``effects``' ``n_runs``, e.g. ``3-6 seeds`` when they differ), else the seeds of the
    deep runs in its files."""
    devices = sorted({"CPU" if i.device.startswith("CPU") else i.device for i in infos})
    runs = sorted({int(e.n_runs) for e in effects if isinstance(getattr(e, "n_runs", None), int) and e.n_runs > 0})
    if runs:
        n = f"{runs[0]}" if len(runs) == 1 else f"{runs[0]}-{runs[-1]}"
        return ", ".join(devices + [f"{n} seed{'s' * (runs[-1] > 1)}"])
    seeds = {x for i in infos for x in i.seed_values}
    return ", ".join(devices + ([f"{len(seeds)} seed{'s' * (len(seeds) > 1)}"] if seeds else []))


def scales_cell(cv: ClaimVerdict, files: dict) -> Text:
    """Every scale's verdict in a line, the headline's first with its device and seeds:
    ``quick (headline; CPU, 4 seeds): confirmed; gpu-reduced: inconclusive; smoke: not evidence``."""
    if not cv.scales:
        return ("no result file",)
    out: list[Inline] = []
    for i, s in enumerate(cv.scales):
        effects = s.outcome.effects if s.outcome is not None else ()
        what = f" (headline; {seeds_text(infos_of(row_files(s, files)), effects)})" if s is cv.headline else ""
        out += ["; "] * bool(i) + [f"{s.scale}{what}: ", Strong(s.verdict) if s.evidence else s.verdict]
    return tuple(out)


def _short(s: str, limit: int = 170) -> str:
    return s if len(s) <= limit else s[:limit].rsplit(" ", 1)[0] + " …"


def scoreboard(results: list, files: dict) -> list[Block]:
    """The 12 claims on one screen: claim (link to its card), headline verdict (and "split"), what was measured at
    the headline scale, and every scale's verdict, the headline's first with its device and seeds."""
    rows = []
    for cr in results:
        n, cv = cr.claim.number, cr.by_scale
        rows.append(((Link(f"{n}. {cr.claim.title}", claim_anchor(n)),), verdict_cell(cv),
                     text(_short(cr.outcome.summary)), scales_cell(cv, files)))
    return [Heading(2, "Scoreboard: the 12 claims", "summary", back=True),
            Table(("claim", "verdict", "measured at the headline scale", "verdict at every scale"), tuple(rows),
                  f"Headline: the scale chosen by the rule below ({HEADLINE_RULE_SHORT}); 'split': one evidence "
                  "scale confirms, another refutes; 'not evidence': smoke, test, ad-hoc, bench and campaign "
                  "results, which decide nothing.", cls="scoreboard"),
            Paragraph((Strong("Headline rule. "), *text(HEADLINE_RULE)))]


def contents(sections: list[tuple[str, str]], results: list) -> list[Block]:
    """The table of contents: each ``(title, anchor)`` section, the claims inline (a sidebar on wide screens)."""
    items: list[Text] = []
    for title, anchor in sections:
        item: list[Inline] = [Link(title, anchor)]
        if anchor == "claims":
            item.append(": ")
            for i, cr in enumerate(results):
                item += [" · "] * bool(i) + [Link(str(cr.claim.number), claim_anchor(cr.claim.number))]
        items.append(tuple(item))
    return [Nav(tuple(items))]


def _scale_bullets(infos: list[ScaleInfo]) -> tuple:
    """One bullet per distinct scale description, naming every file that has it."""
    groups: dict[tuple, list[str]] = {}
    for i in infos:
        parts = [x for x in (i.dataset, i.n, i.model, i.training, i.precision, i.seeds, i.attack) if x]
        groups.setdefault((f"{i.scale} on {i.device}", "; ".join(parts)), []).append(i.path)
    out = []
    for (head, desc), paths in groups.items():
        files: list[Inline] = []
        for k, p in enumerate(paths):
            files += [", "] * bool(k) + [Code(p)]
        out.append((Strong(head), ": " + desc + " — ", *files))
    return tuple(out)


def _evidence_bullet(e: claims_mod.Evidence, files: dict) -> Text:
    r = files.get(e.path)
    seeds = f", seeds {', '.join(map(str, e.seeds))}" if e.seeds else ""
    commit, source = commit_of(r) if r is not None else ("unknown", "")
    where = f" (from {source})" if source else ""
    return (Code(e.path), f" — kind {e.kind}, scale {e.scale}, dataset "
                          f"{display_name(e.dataset) if e.dataset else 'not stated'}{seeds}, "
                          f"created {e.created or 'unknown'}, commit ", Code(commit[:12]), where)


def effect_text(e: Effect) -> str:
    """``MNIST, ℓ∞, n=60000: ε=0 minus ε=0.3 +0.0202 [+0.0150, +0.0254] (95% CI, 4 seeds)``."""
    seeds = f"{e.n_runs} seed{'s' * (e.n_runs != 1)}" + ("" if e.n_runs >= 2 else ": seed variance not measured")
    out = f"{e.label} {e.estimate:+.4f} [{e.low:+.4f}, {e.high:+.4f}] ({100 * e.level:.3g}% CI, {seeds})"
    return out + (f", minimum detectable effect {e.mde:.4f}" if e.mde is not None else "")


def scale_table(cv: ClaimVerdict, files: dict) -> Table:
    """One row per scale: the scale and its device, the data, its verdict, the tested differences with their
    intervals (or the summary for claims decided by exact tolerances or checks), and how many files."""
    rows = []
    for s in cv.scales:
        infos = infos_of(row_files(s, files))
        mark = " — headline" if s is cv.headline else ""
        if s.outcome is None:
            measured = f"{s.scale.meaning}: decides nothing"
        elif s.outcome.effects:
            measured = "; ".join(effect_text(e) for e in s.outcome.effects)
        else:
            measured = s.outcome.summary
        rows.append(((Strong(str(s.scale)), mark), text(brief_scale(infos).split(": ", 1)[-1]),
                     (Strong(s.verdict),) if s.evidence else (s.verdict,), text(measured)))
    return Table(("scale", "data", "verdict", "measured: effect [interval] (each scale on its own)"),
                 tuple(rows) or (("—", "—", "not run", "no result file"),),
                 "Verdict per scale: the claim's test applied to each scale's files alone (no test combines scales)")


def _reproduce(cv: ClaimVerdict) -> Bullets:
    """The commands that wrote the files of every scale, as recorded in the files (else not recorded)."""
    items: list[Text] = []
    for s in cv.scales:
        infos = infos_of(s.files)
        cmds = commands(infos)
        missing = sum(1 for i in infos if not i.command)
        for cmd in cmds:
            items.append((f"{s.scale}: ", Code(cmd)))
        if missing:
            items.append((f"{s.scale}: {missing} file(s) without a recorded command (written before files recorded "
                          "their command line)",))
    items.append((Code(REPORT_COMMAND), " (reads the files, applies the test per scale, draws the claim's figures)"))
    return Bullets(tuple(items))


def claim_card(cr, files: dict, figures: list[Block]) -> Card:
    """One claim's card (``figures``: the blocks showing or linking to its figures)."""
    c, o, cv = cr.claim, cr.outcome, cr.by_scale
    head = cv.headline
    where = (f" at the {head.scale} scale (headline rule: {HEADLINE_RULE_SHORT})" if head is not None else "")
    split = (". Split: " + "; ".join(f"{s.scale} {s.verdict}" for s in cv.decided)) if cv.split else ""
    summary = "" if head is not None else " — " + o.summary
    blocks: list[Block] = [
        Heading(3, f"Claim {c.number}: {c.title}", back=True),
        Paragraph((Strong("The paper: "), *text(c.paper), " ", Strong("Its numbers: "),
                   *text(paper_numbers(c) + "."))),
        Paragraph((Strong("Verdict: "), *verdict_cell(cv), where, *text(summary + split))),
        scale_table(cv, files),
        Paragraph((Strong("The test: "), *text(c.rule)), "small"),
        *figures,
    ]
    infos = scale_infos(cr, files)
    at = f" (headline scale {head.scale}):" if head is not None else ":"
    folded: list[Block] = [Paragraph((Strong("Reproduce"), " (the commands recorded in the result files, per "
                                                           "scale):")), _reproduce(cv),
                           Paragraph((Strong("Measured"), at)),
                           Bullets(tuple(text(m) for m in o.measured) or (("nothing",),)),
                           Paragraph((Strong("Scale used"), " (from the result files):")),
                           Bullets(_scale_bullets(infos) or (("no result file",),))]
    folded += [Table(t.headers, tuple(tuple(text(cell) for cell in row) for row in t.rows), t.caption)
               for t in o.tables]
    evidence = [e for s in cv.scales for e in (s.outcome.evidence if s.outcome else
                                                [evidence_of(r) for r in s.files])]
    evidence = list(dict.fromkeys(evidence)) or o.evidence
    folded.append(Paragraph((Strong(f"Evidence: {len(evidence)} result file(s)"), f" of kind {', '.join(c.kinds)}"
                                                                                  " (every scale):")))
    folded.append(Bullets(tuple(_evidence_bullet(e, files) for e in evidence) or (("no result file",),)))
    blocks.append(Details(f"Measured, tables, commands and evidence ({len(o.measured)} line(s), {len(o.tables)} "
                          f"table(s), {len(evidence)} file(s))", tuple(folded)))
    return Card(claim_anchor(c.number), tuple(blocks))
