"""The convergence criterion every deep experiment run is checked against (docs/experiments.md, "Convergence").

A run trains for the budget of its definition (epochs); the check below is recorded with its result and the
claim rules name the runs that did not meet it. Criterion (stated once, here): over the final epoch, split into
``LOSS_PARTS`` consecutive parts of its batches (deep.population.EpochStats.train_loss_parts), the mean training
loss of the last part is lower than that of the part before by less than ``tol`` of it, i.e.

    (L_{P-1} − L_P) / L_{P-1} < tol,

the training loss has levelled off at the end of training (a plateau within ``tol``). A rise counts as levelled
off. Runs without per-part losses (older engines) fall back to the last two epochs' mean losses; a run with
neither is "unknown".
"""

from __future__ import annotations

import json
from pathlib import Path

#: the default relative tolerance of the criterion (a definition may state its own)
DEFAULT_TOL = 0.10

CRITERION = ("training loss levelled off: the last fifth of the final epoch lowered the mean training loss by less "
             "than {tol:.0%} of the fifth before (fixed epoch budget, criterion checked and recorded per run)")


def describe(tol: float = DEFAULT_TOL) -> str:
    """The criterion in words, with its tolerance."""
    return CRITERION.format(tol=tol)


def check(history: list[dict], tol: float = DEFAULT_TOL) -> dict:
    """``{"criterion", "tol", "basis", "relative_change", "met"}`` for a run's per-epoch metrics rows (the
    ``metrics.jsonl`` lines: ``train_loss`` and ``train_loss_parts``). ``relative_change`` = (L_prev − L_last) /
    L_prev (> 0: the loss still fell); ``met`` None when there is nothing to compare."""
    out = {"criterion": describe(tol), "tol": tol, "basis": None, "relative_change": None, "met": None}
    if not history:
        return out
    parts = [float(v) for v in history[-1].get("train_loss_parts") or []]
    if len(parts) >= 2:
        prev, last, basis = parts[-2], parts[-1], "last two fifths of the final epoch"
    elif len(history) >= 2 and history[-2].get("train_loss") is not None:
        prev, last, basis = float(history[-2]["train_loss"]), float(history[-1]["train_loss"]), "last two epochs"
    else:
        return out
    change = (prev - last) / prev if prev > 0 else 0.0
    return {**out, "basis": basis, "relative_change": change, "met": bool(change < tol)}


def check_run(run_dir: Path, tol: float = DEFAULT_TOL) -> dict:
    """:func:`check` of the ``metrics.jsonl`` in ``run_dir`` (missing or unreadable file: nothing to compare)."""
    path = Path(run_dir) / "metrics.jsonl"
    rows = []
    try:
        for line in path.read_text().splitlines():
            if line.strip():
                rows.append(json.loads(line))
    except (OSError, ValueError):
        rows = []
    return check(rows, tol)
