"""Argument checks shared by the public functions of tradeoff.theory.

Each check returns the value in canonical form (int, float, array) or raises ValueError with one line naming the
parameter, what it must be and what was given. Memory: :func:`check_allocation` refuses an array that cannot fit in
the memory the machine has available now (``MemAvailable`` of /proc/meminfo, else the free physical pages), so a
huge ``d`` is a one-line error instead of a numpy MemoryError (or the kernel's out-of-memory killer).
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

FLOAT_BYTES = 8


def check_count(name: str, value, minimum: int) -> int:
    """``value`` as an int >= ``minimum`` (bools refused); ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_number(name: str, value, minimum: float | None = None, strict: bool = False,
                 maximum: float | None = None) -> float:
    """``value`` as a finite float, >= ``minimum`` (> when ``strict``) and <= ``maximum`` when given (a 0-d array
    counts as its number; bools and strings are refused)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    x = float(value) if ok else math.nan
    ok = ok and math.isfinite(x)
    if ok and minimum is not None:
        ok = x > minimum if strict else x >= minimum
    if ok and maximum is not None:
        ok = x <= maximum
    if not ok:
        bounds = []
        if minimum is not None:
            bounds.append(f"{'>' if strict else '>='} {minimum:g}")
        if maximum is not None:
            bounds.append(f"<= {maximum:g}")
        rule = " and ".join(bounds)
        raise ValueError(f"{name} must be a finite number{' ' + rule if rule else ''}, got {value!r}")
    return x


def check_p(p) -> float:
    """p = Pr[x_1 = y] in [1/2, 1] (the paper's Section 2.1: the robust feature agrees with y at least half the
    time)."""
    return check_number("p (robust feature's agreement with y)", p, minimum=0.5, maximum=1.0)


def check_eta(eta) -> float:
    """eta, the weak features' mean shift: a finite number >= 0."""
    return check_number("eta (weak features' mean shift)", eta, minimum=0.0)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (Linux MemAvailable, else free physical pages; None if
    the system does not say)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, e.g. ``7.3 TiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError("unreachable")


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
