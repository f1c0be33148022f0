"""Number helpers of the claim rules: the normal CDF Φ, the point value and the bounds of an interval, how the
report prints numbers and intervals, and the familywise widening of an interval (Bonferroni) that the exact claims
use to set a closed form beside its Monte Carlo estimate (docs/statistics.md)."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from .. import verdicts as V


def norm_name(norm: Any) -> str:
    """"linf" -> "ℓ∞", "l2" -> "ℓ2"."""
    s = str(norm).lower()
    if s in ("linf", "inf", "l_inf", "ℓ∞"):
        return "ℓ∞"
    if s in ("l2", "2", "ℓ2"):
        return "ℓ2"
    return str(norm)


def phi(x: float) -> float:
    """Standard normal CDF Φ(x) = (1 + erf(x/√2))/2."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def value(v: Any) -> float:
    """The point value of a number or of an interval ``{"estimate", "low", "high", ...}``; TypeError if neither."""
    if isinstance(v, dict):
        v = v.get("estimate")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise TypeError(f"expected a number or an interval, got {v!r}")
    return float(v)


def bounds(v: Any) -> tuple[float, float] | None:
    """``(low, high)`` of an interval, or None for a plain number."""
    if isinstance(v, dict) and isinstance(v.get("low"), (int, float)) and isinstance(v.get("high"), (int, float)):
        return float(v["low"]), float(v["high"])
    return None


def fmt(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` decimals, an interval as ``est [low, high] (95%, n=…)``, None as "n/a"."""
    if x is None:
        return "n/a"
    if isinstance(x, dict):
        est = fmt(x.get("estimate"), digits)
        b = bounds(x)
        if b is None:
            return est
        extra = []
        if x.get("level") is not None:
            extra.append(f"{round(float(x['level']) * 100):d}%")
        if x.get("n") is not None:
            extra.append(f"n={x['n']}")
        tail = f" ({', '.join(extra)})" if extra else ""
        return f"{est} [{fmt(b[0], digits)}, {fmt(b[1], digits)}]{tail}"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            return "n/a"
        if x != 0 and (abs(x) < 10 ** (-digits) or abs(x) >= 1e6):
            return f"{x:.{max(digits - 1, 1)}e}"
        return f"{x:.{digits}f}"
    return str(x)


def binomial_halfwidth(p: float, n: Any) -> float:
    """95% normal-approximation half-width 1.96·√(p(1−p)/n) of an accuracy measured on ``n`` points (0 if no n)."""
    if not isinstance(n, (int, float)) or isinstance(n, bool) or n <= 0:
        return 0.0
    return 1.96 * math.sqrt(max(p * (1.0 - p), 0.0) / float(n))


def inside_familywise(x: float, iv: dict, m: int, level: float = 0.95) -> bool:
    """Is ``x`` inside the interval ``iv`` (stated at ``iv["level"]``, default 0.95) once each side is widened by
    z(1 − (1−level)/(2m)) / z(1 − (1−iv_level)/2), so that ``m`` such checks of true values all pass with probability
    ≥ ``level`` (Bonferroni)? A plain 95% interval alone would reject a true closed form 5% of the time per check."""
    est = value(iv)
    low, high = bounds(iv)
    nd = NormalDist()
    iv_level = float(iv.get("level") or 0.95)
    factor = nd.inv_cdf(1 - (1 - level) / (2 * max(m, 1))) / nd.inv_cdf(1 - (1 - iv_level) / 2)
    factor = max(factor, 1.0)
    return est - (est - low) * factor <= x <= est + (high - est) * factor


def interval_or_point(v: Any) -> tuple[float, float]:
    """``(low, high)`` of an interval, ``(v, v)`` for a plain number."""
    b = bounds(v)
    return b if b is not None else (value(v), value(v))


def interval_se(v: Any) -> float:
    """Standard error behind an interval ``{estimate, low, high, level}`` (0 for a plain number)."""
    b = bounds(v)
    if b is None:
        return 0.0
    level = float(v.get("level") or 0.95) if isinstance(v, dict) else 0.95
    return V.se_of_interval(b[0], b[1], level)
