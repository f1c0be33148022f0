"""A verdict per scale, and the stated rule that picks the one the scoreboard shows (issue 23).

Every result file records its scale (data.scales). A claim's rule is applied once per **evidence** scale, to the
files of the claim's kinds at that scale only, so that no test, interval or figure combines runs of different
scales (each scale is another recipe: epochs, width, attack, evaluation). Files of a scale that is not evidence
(smoke, test, ad-hoc, bench, campaign) never reach a rule: they are listed as "not evidence".

The headline of a claim is the verdict of one scale, chosen by :data:`HEADLINE_RULE` before any verdict is looked
at; the claim is **split** when one evidence scale confirms it and another refutes it. A claim with no evidence scale
is "not run" (with the reason, e.g. that only smoke results exist).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tradeoff.data.kinds import Kind
from tradeoff.data.scales import Scale

from ..result_index import ResultFile, ResultIndex
from .outcome import CONFIRMED, NOT_RUN, REFUTED, VERDICTS, Claim, Outcome, not_run
from .registry import evaluate

NOT_EVIDENCE = "not evidence"
SPLIT = "split"

#: The rule that picks the scale whose verdict is the claim's headline (docs/statistics.md, "Which scale decides").
HEADLINE_RULE = (
    "Headline rule, fixed before the data and blind to the verdicts: among the evidence scales whose files have the "
    "data the claim's test needs (a verdict other than 'not run'), first those whose every tested difference "
    "measured the seed-to-seed variance (at least 2 seeds per recipe; a single run measures only the test set), "
    "then the larger scale (the paper's set-up and exact computations, then the GPU recipes, then the long CPU "
    "scales, then quick: data.scales rank), then the newest file. When one evidence scale confirms and "
    "another refutes, the claim is marked 'split' and both are shown (an inconclusive row beside them is not a "
    "split: it contradicts neither).")
HEADLINE_RULE_SHORT = "seed variance measured, then larger scale, then newest"

#: Result kinds a claim's rule reads beside its own (a note, never the verdict): they come from every evidence scale.
AUXILIARY = (Kind.THEORY_FINITE_SAMPLE,)


@dataclass
class ScaleVerdict:
    """One scale's row of a claim: the scale, its files of the claim's kinds, and the outcome of the claim's rule on
    those files alone (None for a scale that is not evidence: its files decide nothing)."""

    scale: Scale
    files: tuple[ResultFile, ...]
    outcome: Outcome | None

    @property
    def evidence(self) -> bool:
        """Whether this scale may decide a verdict (data.scales)."""
        return self.scale.evidence

    @property
    def verdict(self) -> str:
        """The rule's verdict at this scale, or "not evidence"."""
        return self.outcome.verdict if self.outcome is not None else NOT_EVIDENCE

    @property
    def newest(self) -> str:
        """The newest ``created`` of its files."""
        return max((r.created for r in self.files), default="")

    @property
    def seeds_measured(self) -> bool | None:
        """Whether every tested difference of the verdict rests on at least 2 runs per recipe (seed variance
        measured); None when the claim's rule tests no difference (exact tolerances, checks)."""
        if self.outcome is None or not self.outcome.effects:
            return None
        return all(e.n_runs >= 2 for e in self.outcome.effects)

    def headline_key(self) -> tuple:
        """The sort key of :data:`HEADLINE_RULE` (larger first); it never reads the verdict."""
        return (self.seeds_measured is True, self.scale.rank, self.newest)


@dataclass
class ClaimVerdict:
    """A claim at every scale: one :class:`ScaleVerdict` per scale (evidence scales in headline order, then the
    scales that are not evidence), the headline row (None when no evidence scale reached a verdict) and the
    outcome the scoreboard shows."""

    claim: Claim
    scales: list[ScaleVerdict] = field(default_factory=list)
    headline: ScaleVerdict | None = None
    outcome: Outcome = field(default_factory=lambda: Outcome(NOT_RUN, "no result"))

    @property
    def decided(self) -> list[ScaleVerdict]:
        """The evidence scales that reached a verdict (not 'not run')."""
        return [s for s in self.scales if s.evidence and s.verdict != NOT_RUN]

    @property
    def split(self) -> bool:
        """One evidence scale confirms and another refutes (an inconclusive scale contradicts neither)."""
        return {s.verdict for s in self.decided} >= {CONFIRMED, REFUTED}

    @property
    def not_evidence(self) -> list[ScaleVerdict]:
        """The scales of the claim's files that are not evidence."""
        return [s for s in self.scales if not s.evidence]


def claim_files(claim: Claim, index: ResultIndex) -> list[ResultFile]:
    """Every file of the claim's own kinds."""
    return [r for k in claim.kinds for r in index.all(k)]


def evaluate_by_scale(claim: Claim, index: ResultIndex) -> ClaimVerdict:
    """Apply ``claim``'s rule once per evidence scale of its files (each time to that scale's files only, plus the
    auxiliary notes of :data:`AUXILIARY` from the evidence scales), list the other scales as not evidence, and
    choose the headline by :data:`HEADLINE_RULE`."""
    own = claim_files(claim, index)
    aux = [r for k in AUXILIARY if k not in claim.kinds for r in index.all(k) if r.scale.evidence]
    by_scale: dict[Scale, list[ResultFile]] = {}
    for r in own:
        by_scale.setdefault(r.scale, []).append(r)
    rows = []
    for scale, files in by_scale.items():
        outcome = evaluate(claim, ResultIndex(files + aux)) if scale.evidence else None
        rows.append(ScaleVerdict(scale, tuple(sorted(files, key=lambda r: r.path)), outcome))
    evidence = sorted((s for s in rows if s.evidence), key=ScaleVerdict.headline_key, reverse=True)
    other = sorted((s for s in rows if not s.evidence), key=lambda s: s.scale.value)
    out = ClaimVerdict(claim, evidence + other)
    decided = out.decided
    if decided:
        out.headline = decided[0]
        out.outcome = decided[0].outcome
    elif evidence:  # evidence without the data the test needs: the larger scale's reason
        out.outcome = evidence[0].outcome
    elif other:
        out.outcome = only_not_evidence(claim, other)
    else:
        out.outcome = evaluate(claim, ResultIndex(aux))
    if out.outcome.verdict not in VERDICTS:
        raise AssertionError(f"claim {claim.number}: bad verdict {out.outcome.verdict!r}")
    return out


def only_not_evidence(claim: Claim, rows: list[ScaleVerdict]) -> Outcome:
    """'not run' for a claim whose only files are of scales that are not evidence, saying so."""
    out = not_run(claim.kinds, "at a scale that is evidence")
    found = "; ".join(f"{len(s.files)} at scale {s.scale} ({s.scale.meaning})" for s in rows)
    out.summary = "only results that are not evidence: " + ", ".join(str(s.scale) for s in rows)
    out.measured.insert(0, f"Found {found}: not evidence, so they decide nothing (data.scales).")
    return out


def is_deep(claim: Claim) -> bool:
    """Whether the claim is about trained deep models (every kind it reads is a ``deep.*`` kind)."""
    return all(str(k).startswith("deep.") for k in claim.kinds)


def scale_labels(cv: ClaimVerdict) -> str:
    """``quick: confirmed; gpu-reduced: inconclusive; smoke: not evidence``."""
    return "; ".join(f"{s.scale}: {s.verdict}" for s in cv.scales) or "no result file"
