"""What a claim's rule returns, and the words of its verdicts: the four verdicts, :class:`Outcome` (verdict, summary,
numbers, tables, evidence), :class:`Claim` (one row of the registry), and the 'not run' outcome of a kind with no
result file (docs/paper.md §7: a verdict other than 'not run' always comes with the numbers it was decided on)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tradeoff.data.kinds import producer

from .. import verdicts as V
from ..result_index import ResultFile, ResultIndex

CONFIRMED = V.CONFIRMED
REFUTED = V.REFUTED
INCONCLUSIVE = V.INCONCLUSIVE
NOT_RUN = "not run"
VERDICTS = (CONFIRMED, REFUTED, INCONCLUSIVE, NOT_RUN)


@dataclass(frozen=True)
class Evidence:
    """Which result file a number came from."""

    path: str
    kind: str
    scale: str | None
    dataset: str | None
    created: str
    seeds: tuple = ()


@dataclass(frozen=True)
class ClaimTable:
    """A small table of measured numbers (all cells already formatted as text)."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Effect:
    """One tested difference a verdict rests on, for programs (verdicts.json) and the per-scale rows: what was
    compared, the estimate oriented so that the paper's claim is ``> 0``, its interval at ``level``, how the interval
    was made (``method``), the runs (seeds) per recipe behind it (``n_runs`` ≥ 2: the seed-to-seed variance was
    measured), the verdict of what it decides and, when inconclusive, the minimum detectable effect at 80% power."""

    label: str
    estimate: float
    low: float
    high: float
    level: float
    method: str
    n_runs: int
    verdict: str
    mde: float | None = None

    @classmethod
    def of(cls, label: str, d: V.Difference, verdict: str | None = None) -> Effect:
        """The :class:`Effect` of a :class:`reports.verdicts.Difference` named ``label``; ``verdict``: the verdict
        of the configuration this difference decides when the rule adds a condition to the interval (e.g. claim 6
        below the full training set is inconclusive whatever the interval), else the interval's own."""
        verdict = verdict or d.verdict
        return cls(label, d.estimate, d.low, d.high, 1 - d.alpha, d.method, d.n_runs, verdict,
                   d.mde if verdict == INCONCLUSIVE else None)


@dataclass
class Outcome:
    """What a claim's rule found: the verdict, a one-line summary, the numbers, where they came from, and the tested
    differences it rests on (``effects``; empty for the claims decided by exact tolerances or checks)."""

    verdict: str
    summary: str
    measured: list[str] = field(default_factory=list)
    tables: list[ClaimTable] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    """One claim of docs/paper.md §7."""

    number: int
    title: str
    paper: str
    kinds: tuple[str, ...]
    rule: str
    figures: tuple[str, ...]
    evaluate: Callable[[ResultIndex], Outcome]


def evidence_of(r: ResultFile) -> Evidence:
    """The :class:`Evidence` line of a result file (its path, kind, scale, data set, creation time and seeds)."""
    return Evidence(r.path, r.kind, r.scale, r.dataset, r.created, tuple(r.seeds or ()))


def not_run(kinds: Iterable[str], what: str = "") -> Outcome:
    """'not run': no result file of ``kinds``, with the commands that write them (data.kinds, at the scale and data
    set of ``make reproduce``)."""
    kinds = list(kinds)
    names = ", ".join(f"`{k}`" for k in kinds)
    extra = f" {what}" if what else ""
    how = "; ".join(f"`{producer(k)}`" for k in kinds if producer(k)) or "its command"
    return Outcome(NOT_RUN, "no result", [f"No result file of kind {names}{extra} was found; produce it with {how}."])
