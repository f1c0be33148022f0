"""Argument checks shared by the public functions of tradeoff.theory.

Each check returns the value in canonical form (int, float, array) or raises ValueError with one line naming the
parameter, what it must be and what was given; the number checks are data.checks' (the one validation layer).
Memory: :func:`check_allocation` refuses an array that cannot fit in the memory the machine has available now
(``MemAvailable`` of /proc/meminfo, else the free physical pages), so a huge ``d`` is a one-line error instead of a
numpy MemoryError (or the kernel's out-of-memory killer).
"""

from __future__ import annotations

import numpy as np

from tradeoff.data import checks as _checks
from tradeoff.data.checks import available_memory, format_bytes

FLOAT_BYTES = 8


def check_count(name: str, value, minimum: int) -> int:
    """``value`` as an int >= ``minimum`` (bools refused); ValueError naming ``name`` otherwise (data.checks)."""
    return _checks.integer(name, value, low=minimum)


def check_number(name: str, value, minimum: float | None = None, strict: bool = False,
                 maximum: float | None = None) -> float:
    """``value`` as a finite float, >= ``minimum`` (> when ``strict``) and <= ``maximum`` when given (a 0-d array
    counts as its number; bools and strings are refused; data.checks)."""
    return _checks.number(name, value, low=minimum, high=maximum, low_open=strict)


def check_p(p) -> float:
    """p = Pr[x_1 = y] in [1/2, 1] (the paper's Section 2.1: the robust feature agrees with y at least half the
    time)."""
    return check_number("p (robust feature's agreement with y)", p, minimum=0.5, maximum=1.0)


def check_eta(eta) -> float:
    """eta, the weak features' mean shift: a finite number >= 0."""
    return check_number("eta (weak features' mean shift)", eta, minimum=0.0)


def check_allocation(what: str, n_values: int, fix: str) -> None:
    """Refuse (ValueError) when ``n_values`` float64 values (``what``) need more than the available memory.

    The limit is the memory available now (:func:`available_memory`): an array larger than that cannot be filled
    without swapping or being killed. ``fix`` says what to do instead (e.g. a smaller d, or a closed form)."""
    need = FLOAT_BYTES * int(n_values)
    avail = available_memory()
    if avail is not None and need > avail:
        raise ValueError(
            f"{what} would allocate {int(n_values):,} float64 values = {format_bytes(need)}, more than the "
            f"{format_bytes(avail)} of memory available; {fix}"
        )


def check_sizes(sizes) -> np.ndarray:
    """Group sizes of the population SVM (theory.svm): a non-empty 1-d sequence of integers >= 1, as float64."""
    try:
        arr = np.asarray(sizes, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 1) \
            or np.any(arr != np.round(arr)):
        raise ValueError(
            f"sizes (weak-feature group sizes) must be a non-empty list of integers >= 1, e.g. [d], got {sizes!r}"
        )
    return arr


def vectors_fix(d: int) -> str:
    """The advice for a d too large for d-length vectors."""
    return (
        f"d = {d} is too large for vectors of length d + 1: use the closed forms that need none "
        "(tradeoff.theory.accuracy.symmetric_accuracy, averaging_accuracy, bayes_accuracy) or a smaller d"
    )
