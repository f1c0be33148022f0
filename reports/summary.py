"""The top of the report: two sentences on what was verified, at which scale, and what was not; and the banner that
says when results of scales that are not evidence (data.scales) were found, and that they decided nothing."""

from __future__ import annotations

from collections import Counter, defaultdict

from tradeoff.data.scales import Scale

from .claims import INCONCLUSIVE, NOT_RUN, REFUTED, VERDICTS
from .claims.by_scale import is_deep
from .document import Text, text


def number_ranges(numbers) -> str:
    """``[1, 2, 3, 4, 9]`` -> ``1–4, 9``."""
    nums, out = sorted(set(numbers)), []
    for n in nums:
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" if b > a + 1 else f"{a}, {b}" for a, b in out)


def _claims(numbers) -> str:
    numbers = sorted(numbers)
    return f"claim{'s' * (len(numbers) > 1)} {number_ranges(numbers)}"


def lead(results, scales_present: set[Scale]) -> str:
    """Two sentences: which claims were verified at which headline scale with which verdicts, and which were not
    (refuted, inconclusive, not run, split between scales, and whether anything ran at the paper's scale)."""
    by_scale: dict[Scale, list] = defaultdict(list)
    for cr in results:
        if cr.by_scale.headline is not None:
            by_scale[cr.by_scale.headline.scale].append(cr)
    if by_scale:
        parts = []
        for scale in sorted(by_scale, key=lambda s: (-s.rank, s.value)):
            crs = by_scale[scale]
            counts = Counter(cr.outcome.verdict for cr in crs)
            parts.append(f"{_claims(cr.claim.number for cr in crs)} at the {scale} scale ("
                         + ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v]) + ")")
        first = "Verified here, each claim at the scale the headline rule chose: " + "; ".join(parts) + "."
    else:
        first = ("Nothing was verified here: no result file of a scale that is evidence has the data a claim's test "
                 "needs.")
    not_run = [cr.claim.number for cr in results if cr.outcome.verdict == NOT_RUN]
    split = [cr.claim.number for cr in results if cr.by_scale.split]
    missing = []
    for verdict, why in ((REFUTED, "refuted: the measurement contradicts the paper"),
                         (INCONCLUSIVE, "inconclusive: the test could not decide")):
        found = [cr.claim.number for cr in results if cr.outcome.verdict == verdict]
        if found:
            missing.append(f"{_claims(found)} ({why})")
    if not_run:
        missing.append(f"{_claims(not_run)} (not run at any evidence scale)")
    if split:
        missing.append(f"{_claims(split)} only in part (one evidence scale confirms, another refutes: 'split')")
    if Scale.PAPER not in scales_present:
        missing.append("nothing at the paper's own scale (`tradeoff deep reproduce --scale paper`)")
    second = ("Not verified: " + "; ".join(missing) + ".") if missing else "Every claim was verified."
    return f"{first} {second}"


def banner(results) -> Text | None:
    """The warning about results that are not evidence (None when there is none): when every claim about trained
    models is left without evidence by them, it says that those claims read 'not run' and why."""
    found: Counter = Counter()
    for cr in results:
        for s in cr.by_scale.not_evidence:
            found[s.scale] += len(s.files)
    if not found:
        return None
    what = "; ".join(f"{scale}: {n} file(s), {scale.meaning}" for scale, n in sorted(found.items(),
                                                                                     key=lambda kv: kv[0].value))
    deep = [cr for cr in results if is_deep(cr.claim)]
    stranded = [cr.claim.number for cr in deep if cr.outcome.verdict == NOT_RUN and cr.by_scale.not_evidence]
    if deep and all(cr.outcome.verdict == NOT_RUN for cr in deep) and stranded:
        return text(f"Not evidence. Every result about trained models in these folders is of a scale that decides "
                    f"nothing ({what}). So every claim about trained models "
                    f"({_claims(cr.claim.number for cr in deep)}) reads 'not run'; its files are listed under the "
                    "claim as 'not evidence'. `make reproduce` computes the quick scale, which is evidence.")
    return text(f"Not evidence: {sum(found.values())} result file(s) of scales that decide nothing ({what}) are "
                "listed under their claims as 'not evidence'; no verdict rests on them.")
