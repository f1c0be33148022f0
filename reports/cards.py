"""The claim cards, the scoreboard and the table of contents of the report.

One card per claim: the paper's statement; the verdict with its test; the paper's numbers beside ours where the
paper gives numbers; the scale the numbers rest on (reports.scale_info, from the result files); the figures as
thumbnails that open the full figure; the command that reproduces every number of the card; the measured numbers
and tables; the evidence files folded away. The scoreboard gives the 12 verdicts and scales on one screen.
"""

from __future__ import annotations

from collections import defaultdict

from tradeoff.data.registry import display_name

from . import claims as claims_mod
from .document import (
    Block,
    Bullets,
    Card,
    Code,
    Details,
    Heading,
    Inline,
    Link,
    Paragraph,
    Strong,
    Table,
    Text,
    Thumbnails,
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


def scale_infos(cr, files: dict) -> list[ScaleInfo]:
    """The scale of each result file behind claim result ``cr`` (``files``: path -> ResultFile), in evidence order."""
    out, seen = [], set()
    for e in cr.outcome.evidence:
        r = files.get(e.path)
        if r is not None and r.path not in seen:
            seen.add(r.path)
            out.append(describe(r))
    return out


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


def scoreboard(results: list, files: dict) -> list[Block]:
    """The 12 claims on one screen: claim (link to its card), verdict, what was measured, the scale."""
    rows = []
    for cr in results:
        n = cr.claim.number
        rows.append(((Link(f"{n}. {cr.claim.title}", claim_anchor(n)),), (Strong(cr.outcome.verdict),),
                     text(cr.outcome.summary), text(brief_scale(scale_infos(cr, files)))))
    return [Heading(2, "Scoreboard: the 12 claims", "summary", back=True),
            Table(("claim", "verdict", "measured", "scale (device): data"), tuple(rows),
                  "The commands that produced each row's numbers are listed in its card (Reproduce).",
                  cls="scoreboard")]


def contents(sections: list[tuple[str, str]], results: list) -> list[Block]:
    """The table of contents: each ``(title, anchor)`` section, the claims inline."""
    items: list[Text] = []
    for title, anchor in sections:
        item: list[Inline] = [Link(title, anchor)]
        if anchor == "claims":
            item.append(": ")
            for i, cr in enumerate(results):
                item += [" · "] * bool(i) + [Link(str(cr.claim.number), claim_anchor(cr.claim.number))]
        items.append(tuple(item))
    return [Heading(2, "Contents", "contents"), Bullets(tuple(items))]


def _scale_bullets(infos: list[ScaleInfo]) -> tuple:
    """One bullet per distinct scale description, naming every file that has it."""
    groups: dict[tuple, list[str]] = {}
    for i in infos:
        parts = [x for x in (i.dataset, i.n, i.model, i.training, i.seeds, i.attack) if x]
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


def claim_card(cr, files: dict, thumbs: list) -> Card:
    """One claim's card (``thumbs``: the :class:`reports.document.Thumbnail` of each figure it shows)."""
    c, o = cr.claim, cr.outcome
    infos = scale_infos(cr, files)
    cmds = commands(infos)
    blocks: list[Block] = [
        Heading(3, f"Claim {c.number}: {c.title}", back=True),
        Paragraph((Strong("The paper: "), *text(c.paper))),
        Paragraph((Strong("Verdict: "), Strong(o.verdict), " — ", *text(o.summary))),
        Paragraph((Strong("The test: "), *text(c.rule))),
        Table(("the paper's numbers", "measured here"), ((text(paper_numbers(c)), text(o.summary)),)),
        Paragraph((Strong("Scale used"), " (from the result files):")),
        Bullets(_scale_bullets(infos) or (("no result file",),)),
    ]
    if thumbs:
        blocks.append(Thumbnails(tuple(thumbs)))
    reproduce: list[Text] = [(Code(cmd),) for cmd in cmds]
    reproduce.append((Code(REPORT_COMMAND), " (reads the files, applies the test, draws the claim's figures)"))
    blocks += [Paragraph((Strong("Reproduce"), " (every number of this card comes from these commands, in order):")),
               Bullets(tuple(reproduce)),
               Paragraph((Strong("Measured:"),)),
               Bullets(tuple(text(m) for m in o.measured) or (("nothing",),))]
    if o.tables:
        tables = tuple(Table(t.headers, tuple(tuple(text(cell) for cell in row) for row in t.rows), t.caption)
                       for t in o.tables)
        blocks.append(Details(f"The numbers behind the verdict: {len(tables)} table(s), "
                              + "; ".join(t.caption for t in o.tables if t.caption), tables))
    evidence = Bullets(tuple(_evidence_bullet(e, files) for e in o.evidence) or (("no result file",),))
    blocks.append(Details(f"Evidence: {len(o.evidence)} result file(s) of kind {', '.join(c.kinds)}",
                          (evidence,)))
    return Card(claim_anchor(c.number), tuple(blocks))
