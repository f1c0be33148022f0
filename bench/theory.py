"""Benchmarks of the theory toolkit (issue 2): closed-form accuracy for 10^6 (w_1, v, eps) points in under 1 s, the
trade-off frontier at d = 10^4 in under 2 s, Monte Carlo with 10^7 samples at d = 1000 within 2 GB of memory.

``python -m bench theory`` or ``python -m bench.theory [--mc-samples N] [--quick]``; prints each figure with the machine
it ran on and returns non-zero if a target is missed.
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
import tracemalloc

import numpy as np

from tradeoff.data.provenance import machine_line
from tradeoff.theory.accuracy import symmetric_accuracy
from tradeoff.theory.distribution import FeatureDistribution
from tradeoff.theory.frontier import tradeoff_frontier
from tradeoff.theory.montecarlo import LinearClassifier, estimate_accuracy

CLOSED_FORM_POINTS = 10**6
CLOSED_FORM_TARGET_S = 1.0
FRONTIER_D = 10**4
FRONTIER_TARGET_S = 2.0
MC_SAMPLES = 10**7
MC_D = 1000
MC_TARGET_BYTES = 2 * 2**30


def _best_of(fn, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _peak_rss_bytes() -> int:
    """Peak resident set size of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def bench_closed_form() -> tuple[bool, str]:
    """Time :func:`theory.accuracy.symmetric_accuracy` on 10^6 random (w_1, v, eps) points (target < 1 s)."""
    rng = np.random.default_rng(0)
    w1 = rng.uniform(-3, 3, CLOSED_FORM_POINTS)
    v = rng.uniform(0, 3, CLOSED_FORM_POINTS)
    eps = rng.uniform(0, 0.2, CLOSED_FORM_POINTS)
    d, p, eta = 1000, 0.95, 2 / math.sqrt(1000)
    out = symmetric_accuracy(w1, v, d, p, eta, eps)
    assert out.shape == (CLOSED_FORM_POINTS,) and np.all((out >= 0) & (out <= 1))
    secs = _best_of(lambda: symmetric_accuracy(w1, v, d, p, eta, eps), 3)
    ok = secs < CLOSED_FORM_TARGET_S
    return ok, f"closed-form accuracy, {CLOSED_FORM_POINTS:.0e} (w1, v, eps) points: {secs:.3f} s (target < 1 s)"


def bench_frontier() -> tuple[bool, str]:
    """Time :func:`theory.frontier.tradeoff_frontier` at d = 10^4, eps = 2 eta (target < 2 s)."""
    dist = FeatureDistribution(FRONTIER_D, 0.95, 2 / math.sqrt(FRONTIER_D))
    points = len(tradeoff_frontier(dist, 2 * dist.eta).delta)
    secs = _best_of(lambda: tradeoff_frontier(dist, 2 * dist.eta), 2)
    ok = secs < FRONTIER_TARGET_S
    return ok, (
        f"trade-off frontier ({points} deltas: exact, linear, symmetric) at d = {FRONTIER_D}: "
        f"{secs:.3f} s (target < 2 s)"
    )


def bench_monte_carlo(n: int) -> tuple[bool, str]:
    """Monte Carlo of the averaging rule under its exact l_inf worst case, ``n`` samples at d = 1000; peak memory
    (target < 2 GiB)."""
    dist = FeatureDistribution(MC_D, 0.95, 2 / math.sqrt(MC_D))
    w = np.r_[0.0, np.ones(MC_D)]
    tracemalloc.start()
    t = time.perf_counter()
    res = estimate_accuracy(
        LinearClassifier(w), dist, n, np.random.default_rng(0), eps=2 * dist.eta, progress=sys.stderr.isatty()
    )
    secs = time.perf_counter() - t
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = _peak_rss_bytes()
    ok = rss < MC_TARGET_BYTES and res.n == n
    return ok, (
        f"Monte Carlo, {n:.0e} samples at d = {MC_D} (worst-case l_inf attack): peak RSS {rss / 2**20:.0f} MiB, "
        f"peak numpy/python allocations {traced_peak / 2**20:.0f} MiB (target < 2048 MiB); {secs:.1f} s; "
        f"standard {res.standard.estimate:.4f}, robust {res.robust.estimate:.4f}"
    )


def main(argv: list[str]) -> int:
    """Run the three theory benchmarks, print each with the machine line; 0 if every target is met."""
    parser = argparse.ArgumentParser(prog="python -m bench.theory", description=__doc__)
    parser.add_argument("--mc-samples", type=int, default=MC_SAMPLES, help="Monte Carlo samples (default 1e7)")
    parser.add_argument("--quick", action="store_true", help="Monte Carlo with 1e5 samples only")
    args = parser.parse_args(argv)
    n = 10**5 if args.quick else args.mc_samples
    if n < 1:
        print("bench.theory: --mc-samples must be >= 1", file=sys.stderr)
        return 2
    print(f"machine: {machine_line()}")
    failed = 0
    for name, run in (
        ("closed form", bench_closed_form),
        ("frontier", bench_frontier),
        ("monte carlo", lambda: bench_monte_carlo(n)),
    ):
        ok, line = run()
        failed += not ok
        print(f"[{'ok' if ok else 'MISSED'}] {line}  ({machine_line()})", flush=True)
        del name
    if n < MC_SAMPLES:
        print(f"note: Monte Carlo ran {n:.0e} samples, not the target's {MC_SAMPLES:.0e}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
