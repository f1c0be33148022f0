"""The one vocabulary of scales: at what size a result was computed, and whether it is evidence for a claim.

Every result file records its :class:`Scale` when it is written (``scale`` and ``evidence`` in the envelope,
data.io.write_result); the report reads the scale from there and never guesses it from other text. Where a scale
ran (CPU or GPU) is recorded beside it in the file's provenance.

=============== ======== ============================================================================================
scale           evidence what it is
=============== ======== ============================================================================================
``exact``       yes      closed forms and exact computations (theory, Figure 5, the data limit)
``quick``       yes      the CPU scale ``make reproduce`` runs (docs/experiments.md)
``long``        yes      the longer CPU scale (``make reproduce-long``)
``cpu``         yes      the deep frontier's CPU scale (``tradeoff deep frontier --scale cpu``)
``paper``       yes      the paper's setup (a GPU machine)
``gpu-reduced`` yes      the paper's recipe reduced to fit a GPU window (``tradeoff deep campaign``)
``gpu-fast``    yes      a fast GPU recipe of the campaign (fewer, cheaper steps)
``smoke``       no       ``--micro`` / smoke runs: the code path in seconds; its numbers mean nothing
``test``        no       the test suite's own tiny runs
``ad-hoc``      no       one command's own evaluation (``deep eval``, ``deep train``): its setting is the user's
``bench``       no       benchmarks: speed and cost, not claims
``campaign``    no       a GPU campaign's plan and progress files
=============== ======== ============================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Scale(str, Enum):
    """The scale of a result (the values are what result files hold)."""

    EXACT = "exact"
    QUICK = "quick"
    LONG = "long"
    CPU = "cpu"
    PAPER = "paper"
    GPU_REDUCED = "gpu-reduced"
    GPU_FAST = "gpu-fast"
    SMOKE = "smoke"
    TEST = "test"
    AD_HOC = "ad-hoc"
    BENCH = "bench"
    CAMPAIGN = "campaign"

    def __str__(self) -> str:
        return self.value

    @property
    def evidence(self) -> bool:
        """Whether results of this scale may decide a claim's verdict."""
        return _MEANING[self].evidence

    @property
    def meaning(self) -> str:
        """What this scale is, in a phrase."""
        return _MEANING[self].text

    @property
    def rank(self) -> int:
        """Order of preference between files of one kind (larger first): exact and paper (5) > the GPU campaign's
        scales (4) > the long CPU scales (3) > quick (2) > scales that are not evidence (1)."""
        return _MEANING[self].rank

    @property
    def gpu(self) -> bool:
        """Whether this scale is defined for a GPU machine."""
        return self in (Scale.PAPER, Scale.GPU_REDUCED, Scale.GPU_FAST)


@dataclass(frozen=True)
class _Meaning:
    evidence: bool
    rank: int
    text: str


_MEANING = {
    Scale.EXACT: _Meaning(True, 5, "closed forms and exact computations"),
    Scale.QUICK: _Meaning(True, 2, "the CPU scale of make reproduce"),
    Scale.LONG: _Meaning(True, 3, "the longer CPU scale (make reproduce-long)"),
    Scale.CPU: _Meaning(True, 3, "the deep frontier's CPU scale"),
    Scale.PAPER: _Meaning(True, 5, "the paper's setup"),
    Scale.GPU_REDUCED: _Meaning(True, 4, "the paper's recipe reduced to a GPU window"),
    Scale.GPU_FAST: _Meaning(True, 4, "a fast GPU recipe"),
    Scale.SMOKE: _Meaning(False, 1, "a smoke run: the code path, numbers mean nothing"),
    Scale.TEST: _Meaning(False, 1, "the test suite's tiny runs"),
    Scale.AD_HOC: _Meaning(False, 1, "one command's own evaluation"),
    Scale.BENCH: _Meaning(False, 1, "a benchmark: speed and cost"),
    Scale.CAMPAIGN: _Meaning(False, 1, "a GPU campaign's plan and progress"),
}


def as_scale(value: Scale | str) -> Scale:
    """``value`` as a :class:`Scale`; a ValueError naming the choices for anything else (a result must say which
    scale it is)."""
    if isinstance(value, Scale):
        return value
    try:
        return Scale(str(value))
    except ValueError:
        raise ValueError(f"scale {value!r} is unknown: choose one of {', '.join(s.value for s in Scale)}") from None
