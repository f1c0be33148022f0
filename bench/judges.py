"""Claim 11's primary judge J1 on real MNIST: its cost and its validity gates (issue 22).

J1 is the exact 10-nearest-neighbour classifier in pixel space over the 60,000 training images
(``deep.experiments.knn.KNNJudge``). This pilot times it for 300 and 1,000 queries, measures its gates on the
pipeline's stratified test images (``deep.datasets.load_split("mnist", "test", n, seed=0)``, the same points as
``Engine.test_set``): the clean other-class rate (1 − kNN accuracy, gate ≤ 0.05) and the other-class rate on random
noise of the large-ε attacks' size (sign noise ±0.3 for ℓ∞, Gaussian of ℓ2 norm 4 for ℓ2, clipped to [0, 1]; gate ≤
clean + 0.05), and checks that scikit-learn's brute-force ``KNeighborsClassifier`` gives the same labels.

``python -m bench judges`` or ``python -m bench.judges [--n 1000] [--no-sklearn] [--out FILE.json]``.
Needs MNIST in the cache (``tradeoff data fetch mnist``).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from tradeoff.data.io import write_result
from tradeoff.data.provenance import machine_line
from tradeoff.deep.datasets import load_split
from tradeoff.deep.experiments.judges import judge_validity
from tradeoff.deep.experiments.knn import KNNJudge

ATTACKS = (("inf", 0.3), ("2", 4.0))  # the quick MNIST scale's large-ε attacks (definitions._MNIST_QUICK_PICTURES)


def run(n: int, sklearn_check: bool, log=print) -> dict:
    """Time J1 and measure its gates on ``n`` stratified MNIST test images; returns the numbers as a dict."""
    t = time.perf_counter()
    xtr, ytr = load_split("mnist", "train")
    xte, yte = load_split("mnist", "test", n=n, seed=0)
    xtr, ytr, xte, yte = xtr.numpy(), ytr.numpy(), xte.numpy(), yte.numpy()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    judge = KNNJudge(xtr, ytr, k=10)
    setup_s = time.perf_counter() - t
    timing = {}
    for m in sorted({min(300, n), n}):
        t = time.perf_counter()
        nb = judge.kneighbors(xte[:m])
        timing[m] = {"seconds": time.perf_counter() - t, "fallback": nb.n_fallback, "boundary_ties": nb.boundary_ties}
        log(f"J1 on {m} queries x {len(ytr)} training images: {timing[m]['seconds']:.2f} s "
            f"(guard fallbacks {nb.n_fallback}, exact ties at the k-th place {nb.boundary_ties})")
    t = time.perf_counter()
    v = judge_validity("J1", judge, xte, yte, ATTACKS, seed=0)
    gates_s = time.perf_counter() - t
    for g in [v.clean, *v.noise.values()]:
        ci = g.interval
        log(f"  {g.name:8s} other-class rate {g.value:.4f} [{ci['low']:.4f}, {ci['high']:.4f}] (Wilson 95%, "
            f"n = {g.n}); threshold {g.threshold:.4f}: {'pass' if g.passed else 'FAIL'}")
    log(f"  J1 decides: ℓ∞ {v.decides('inf')}, ℓ2 {v.decides('2')} ({gates_s:.1f} s for the {1 + len(ATTACKS)} "
        f"sets of {n} images)")
    out = {"n": n, "k": judge.k, "n_train": judge.n_train, "load_s": load_s, "setup_s": setup_s,
           "timing": {str(k): val for k, val in timing.items()}, "validity": v.as_dict(), "gates_s": gates_s}
    if sklearn_check:
        from sklearn.neighbors import KNeighborsClassifier

        t = time.perf_counter()
        sk = KNeighborsClassifier(n_neighbors=10, algorithm="brute").fit(xtr.reshape(len(xtr), -1), ytr)
        same = bool(np.array_equal(sk.predict(xte.reshape(len(xte), -1)), judge.predict(xte)))
        out["sklearn_same_labels"] = same
        out["sklearn_s"] = time.perf_counter() - t
        log(f"  scikit-learn KNeighborsClassifier(brute) gives the same labels: {same} ({out['sklearn_s']:.1f} s)")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the pilot and print it; write a ``deep.benchmark`` result with ``--out``; 0 when J1 matches
    scikit-learn (or the check is off)."""
    p = argparse.ArgumentParser(prog="python -m bench.judges", description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="stratified test images (default 1000)")
    p.add_argument("--no-sklearn", action="store_true", help="skip the scikit-learn comparison")
    p.add_argument("--out", help="write the numbers as a deep.benchmark result file")
    args = p.parse_args(argv)
    print(f"torch threads: {torch.get_num_threads()}; {machine_line()}")
    try:
        out = run(args.n, not args.no_sklearn)
    except FileNotFoundError as e:
        print(f"bench.judges: {e}", file=sys.stderr)
        return 1
    if args.out:
        write_result(args.out, "deep.benchmark", {"benchmark": "judges", **out}, dataset="MNIST")
    return 0 if out.get("sklearn_same_labels", True) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
