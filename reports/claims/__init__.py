"""The 12 claims of the paper (docs/paper.md §7) and the rule that sets each beside its measurement.

Each claim is a :class:`Claim` of :data:`CLAIMS` (:mod:`.registry`): our own wording of what the paper says, the
result kinds that measure it (data.kinds), the verdict rule in words, and a function ``evaluate(index) -> Outcome``
over a :class:`reports.result_index.ResultIndex`. Every verdict is one of ``confirmed`` / ``refuted`` /
``inconclusive`` / ``not run``, and a verdict other than ``not run`` always comes with the numbers it was decided
on: a claim whose numbers are missing is ``not run``, never an error.

The package, one job per module: :mod:`.outcome` (verdicts, Outcome, Claim, the 'not run' outcome), :mod:`.numeric`
(number helpers and how numbers are printed), :mod:`.exact` (claims 1–4 and 9, tolerance rules), :mod:`.sweeps`
(the sweep-table machinery of the claims about trained models), :mod:`.deep` (claims 5–8), :mod:`.pictures`
(claims 10–12) and :mod:`.registry` (the table of claims with the rule texts, and :func:`evaluate`). Claims about
trained models are decided by the one test of :mod:`reports.verdicts` (docs/statistics.md).
"""

from __future__ import annotations

from .numeric import fmt, inside_familywise, norm_name, value
from .outcome import CONFIRMED, INCONCLUSIVE, NOT_RUN, REFUTED, VERDICTS, Claim, ClaimTable, Evidence, Outcome
from .registry import CLAIMS, evaluate
from .sweeps import (
    compare,
    full_train_size,
    has_eps_sequence,
    has_full_n,
    has_mixed,
    has_small_n,
    num_classes,
    split_failed,
    sweep_rows,
)

__all__ = [
    "CLAIMS", "CONFIRMED", "INCONCLUSIVE", "NOT_RUN", "REFUTED", "VERDICTS", "Claim", "ClaimTable", "Evidence",
    "Outcome", "compare", "evaluate", "fmt", "full_train_size", "has_eps_sequence", "has_full_n", "has_mixed",
    "has_small_n", "inside_familywise", "norm_name", "num_classes", "split_failed", "sweep_rows", "value",
]
