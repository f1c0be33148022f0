"""Benchmark: the data's own limit of MNIST 5-vs-7 (theory.data_limit_study) at the paper's l_inf radii.

For eps 0.2 (Figure 5's default) and 0.3 (the MNIST large-eps radius): the conflict graph, the best robust accuracy
of any classifier and the data's frontier on the training split (11,686 images) and on the test split, plus the
separation statistics (each test point's exact l_inf distance to the nearest training point of the other class, and
each training point's to the nearest training point of the other class). Target: the whole study in <= 60 s on 2
CPU cores; prints the machine line, load average, wall and process-CPU time and whether the target was met.
"""

from __future__ import annotations

import argparse
import os
import time

from tradeoff.data.provenance import machine_line


def main(argv: list[str]) -> int:
    """Run the benchmark; return 0 if the study took <= 60 s (wall, or CPU on a shared machine)."""
    ap = argparse.ArgumentParser(prog="python -m bench data_limit", description=__doc__.splitlines()[0])
    ap.add_argument("--eps", type=float, nargs="+", default=[0.2, 0.3])
    ap.add_argument("--norm", choices=["inf", "2"], default="inf")
    ap.add_argument("--classes", type=int, nargs=2, default=[5, 7])
    args = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits

    from tradeoff.data.pairs import load_pair
    from tradeoff.theory.data_limit_study import data_limit_study

    print(f"machine: {machine_line()}; load average {os.getloadavg()[0]:.1f}")
    a, b = args.classes
    train, test = load_pair("mnist", a, b, "train"), load_pair("mnist", a, b, "test")
    print(f"MNIST {a}-vs-{b}: {len(train[0])} train / {len(test[0])} test images")
    t, c = time.perf_counter(), time.process_time()
    with threadpool_limits(2):
        payload = data_limit_study(train, test, args.eps, args.norm)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    for split, rows in payload["splits"].items():
        for r in rows:
            lim = r["limit"]
            print(f"{split} eps={r['eps']:g} ({args.norm}): {lim['n_edges']} conflicting pairs, "
                  f"{lim['n_conflicted']} conflicted points, matching {lim['matching_size']}, best robust accuracy "
                  f"of any classifier {lim['robust_accuracy']:.4f}; frontier vertices {len(r['frontier']['standard'])}")
    for name, s in payload["separation"].items():
        print(f"separation {name}: min {s['min']:.4f}, 1% quantile {s['quantiles']['0.01']:.4f}, median "
              f"{s['quantiles']['0.5']:.4f}; share within 2 eps: {s['within_2eps']}")
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in payload["timings"].items()))
    ok = min(wall, cpu) <= 60.0
    print(f"target: data limit study <= 60 s on 2 cores: {'met' if ok else 'MISSED'} "
          f"({wall:.1f} s wall at load {os.getloadavg()[0]:.1f}, {cpu:.1f} s CPU)")
    return 0 if ok else 1


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
