"""Benchmark: do the CPU reproduction's deep verdicts depend on the seeds? Rerun its deep part with 3 seed sets.

The deep part of ``make reproduce`` (``tradeoff deep reproduce --scale quick --datasets mnist``) is run once per
seed set: set 0 is the reproduction's own seeds, set i adds ``i * OFFSET`` to every seed of every definition (sweep
seeds and small-n seeds, picture models, the replicate seeds of claims 10 and 11), so each set trains its own
models on its own training subsets, orders and initialisations. Claims 5-8 and 10-12 are judged on each set's
results alone (reports/claims/, the report's rules). Target: every verdict agrees across the sets. Runs share one
``runs`` folder (the run identity includes the seed, so sets never collide and set 0 reuses the runs of a
reproduction in the same build folder); results go to one folder per set. Prints the machine, load average, wall and
CPU time per set, the verdict table, and writes it as JSON (``--out``, default bench/seed_sets.json).

Then claim 11's J1 effect is also computed over every set's seeds together (:func:`pooled_claim11`: a summary after
the fact, never a verdict); ``--pooled-only`` adds it to an existing ``--out`` file from the sets already run.

    python -m bench.seed_sets [--sets 3] [--build-dir DIR] [--workers N] [--out FILE] [--micro] [--pooled-only]
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

from tradeoff.data.provenance import machine_line

OFFSET = 100
CLAIMS = (5, 6, 7, 8, 10, 11, 12)
ROBUST_OF_NORM = {"inf": "linf", "2": "l2"}  # claim 11's robust model for each attack norm (deep.experiments.pictures)


def shift_seeds(exp, offset: int):
    """``exp`` with every seed moved by ``offset`` (sweeps: ``seeds``; pictures: models and replicates)."""
    from tradeoff.deep.experiments import definitions as D

    if offset == 0:
        return exp
    if isinstance(exp, D.PictureExperiment):
        return D.with_overrides(exp, models=tuple(replace(m, seed=m.seed + offset) for m in exp.models),
                                replicate_seeds=tuple(s + offset for s in exp.replicate_seeds))
    return D.with_overrides(exp, seeds=tuple(s + offset for s in exp.seeds),
                            small_n_seeds=tuple(s + offset for s in exp.small_n_seeds))


def verdicts(results_root: Path) -> dict[int, dict]:
    """``{claim: {"verdict", "summary"}}`` of the deep claims judged on the result files under ``results_root``."""
    from tradeoff.reports import claims as C
    from tradeoff.reports.result_index import ResultIndex, collect_results

    index = ResultIndex(collect_results([results_root]).results)
    out = {}
    for claim in C.CLAIMS:
        if claim.number in CLAIMS:
            o = C.evaluate(claim, index)
            out[claim.number] = {"verdict": o.verdict, "summary": o.summary}
    return out


def pooled_claim11(set_dirs: list[Path], mnist_root: str | None = None) -> dict:
    """Claim 11's J1 effect over the seeds of every set together (a summary after the fact, not a verdict): each set's
    saved large-ε examples (``deep/judged_mnist.npz``, the same test images in every set) are judged again by J1
    (exact 10-NN over the MNIST training set) and, per attack norm, the robust − standard other-class rate is the
    paired difference over all sets' seeds × the images (deep.experiments.crossed), with each seed's own effect.
    The per-set verdicts above stay the pre-stated tests; this says where their shared estimate lies."""
    import numpy as np

    from tradeoff.data.mnist import load_mnist
    from tradeoff.deep.experiments import crossed
    from tradeoff.deep.experiments.judged_examples import load_judged
    from tradeoff.deep.experiments.knn import KNNJudge
    from tradeoff.reports import verdicts as V

    x, y = load_mnist("train", root=mnist_root)
    judge = KNNJudge(x.astype(np.float32) / 255.0, y)
    flags: dict[tuple[str, int, str], np.ndarray] = {}
    index = None
    for d in set_dirs:
        ex = load_judged(Path(d) / "deep" / "judged_mnist.npz")
        if index is None:
            index = ex.image_index
        elif not np.array_equal(index, ex.image_index):
            raise ValueError(f"{d}: judged on other test images than the first set; the sets cannot be pooled")
        for m in range(len(ex.model)):
            key = (str(ex.model[m]), int(ex.seed[m]), str(ex.norm[m]))
            flags[key] = (judge(ex.adv[m]).argmax(axis=1) != ex.labels).astype(float)
    out = {}
    for norm, robust in ROBUST_OF_NORM.items():
        seeds = sorted(s for (m, s, n) in flags if m == robust and n == norm and ("standard", s, n) in flags)
        if not seeds:
            continue
        r = np.stack([flags[(robust, s, norm)] for s in seeds])
        t = np.stack([flags[("standard", s, norm)] for s in seeds])
        d = V.from_crossed(crossed.paired_difference(r, t))
        out[norm] = {"seeds": seeds, "n_images": int(r.shape[1]), "robust_rate": float(r.mean()),
                     "standard_rate": float(t.mean()), "estimate": d.estimate, "low": d.low, "high": d.high,
                     "se": d.se, "df": d.df, "mde": d.mde, "method": d.method, "verdict_if_it_were_a_test": d.verdict,
                     "per_seed": {str(s): float(v) for s, v in zip(seeds, (r - t).mean(axis=1))}}
    return out


def _cpu() -> float:
    import resource

    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def main(argv: list[str]) -> int:
    """Run the seed sets; return 0 when every deep verdict agrees across them."""
    ap = argparse.ArgumentParser(prog="python -m bench.seed_sets", description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=3, help="number of seed sets (default 3)")
    ap.add_argument("--build-dir", default=os.environ.get("TRADEOFF_BUILD", "reports/build"),
                    help="build folder: runs under <dir>/runs, results under <dir>/seed_sets/set<i>")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    ap.add_argument("--out", default=str(Path(__file__).with_name("seed_sets.json")), help="JSON written here")
    ap.add_argument("--note", default="", help="a note stored with the result (e.g. 'CPU shared with other jobs')")
    ap.add_argument("--micro", action="store_true",
                    help="the micro scale (seconds; checks the script end to end, its verdicts mean nothing)")
    ap.add_argument("--pooled-only", action="store_true",
                    help="train nothing: add claim 11's pooled J1 effect to --out from the sets under --build-dir")
    args = ap.parse_args(argv)
    if args.pooled_only:
        return _pooled_only(args)
    if args.sets < 2:
        raise SystemExit("--sets must be at least 2 (agreement needs two sets)")

    import torch

    from tradeoff.data.io import atomic_write_json
    from tradeoff.deep.experiments.engine import TorchEngine
    from tradeoff.deep.experiments.reproduce import reproduce_dataset
    from tradeoff.deep.experiments.smoke import micro

    torch.set_num_threads(1)
    build = Path(args.build_dir)
    engine = TorchEngine(device="cpu", workers=args.workers, log=lambda s: print(s, flush=True))
    print(f"machine: {machine_line()}; load average {os.getloadavg()[0]:.1f}; {args.workers} worker(s)")
    sets = []
    for i in range(args.sets):
        offset = i * OFFSET
        results = build / "seed_sets" / f"set{i}"
        t, c = time.perf_counter(), _cpu()
        reproduce_dataset("mnist", "quick", engine, build / "runs", results,
                          overrides=lambda e, o=offset: shift_seeds(micro(e) if args.micro else e, o),
                          log=lambda s: print(s, flush=True))
        wall, cpu = time.perf_counter() - t, _cpu() - c
        v = verdicts(results)
        sets.append({"set": i, "seed_offset": offset, "wall_s": wall, "cpu_s": cpu, "verdicts": v,
                     "load_average_after": os.getloadavg()[0]})
        print(f"set {i} (seeds + {offset}): {wall:.0f} s wall, {cpu:.0f} s CPU: "
              + ", ".join(f"claim {k} {x['verdict']}" for k, x in v.items()), flush=True)
    pooled = pooled_claim11([build / "seed_sets" / f"set{i}" for i in range(args.sets)])
    _print_pooled(pooled)
    agree = {k: len({s["verdicts"][k]["verdict"] for s in sets}) == 1 for k in CLAIMS}
    ok = all(agree.values())
    print("\nclaim  " + "  ".join(f"set {s['set']:<12}" for s in sets) + "  agree")
    for k in CLAIMS:
        print(f"{k:<6} " + "  ".join(f"{s['verdicts'][k]['verdict']:<16}" for s in sets) + f"  {agree[k]}")
    print(f"target (every deep verdict agrees across {len(sets)} seed sets): {'met' if ok else 'NOT met'}")
    atomic_write_json(Path(args.out), {
        "benchmark": "seed_sets", "machine": machine_line(), "workers": args.workers, "note": args.note,
        "scale": "smoke (--micro: verdicts mean nothing)" if args.micro else "quick",
        "command": "tradeoff deep reproduce --scale quick --datasets mnist, once per seed set",
        "seed_offset_per_set": OFFSET, "sets": sets, "agree": {str(k): v for k, v in agree.items()},
        "all_agree": ok, "pooled_claim11": pooled, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    print(f"wrote {args.out}")
    return 0 if ok else 1


def _print_pooled(pooled: dict) -> None:
    for norm, p in pooled.items():
        print(f"claim 11, {norm} (J1, {len(p['seeds'])} seeds of all sets pooled, after the fact): robust − standard "
              f"{p['estimate']:+.3f} [{p['low']:+.3f}, {p['high']:+.3f}] (MDE {p['mde']:.3f}); per seed "
              + ", ".join(f"{v:+.3f}" for v in p["per_seed"].values()), flush=True)


def _pooled_only(args) -> int:
    """``--pooled-only``: read ``--out``, add claim 11's pooled effect from the set folders, write it back."""
    import json

    from tradeoff.data.io import atomic_write_json

    out = Path(args.out)
    try:
        obj = json.loads(out.read_text())
        n_sets = len(obj["sets"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SystemExit(f"--pooled-only needs the file of an earlier run at {out} ({e}); "
                         "run without it first") from None
    root = Path(args.build_dir) / "seed_sets"
    dirs = [root / f"set{i}" for i in range(n_sets)]
    missing = [str(d) for d in dirs if not (d / "deep" / "judged_mnist.npz").is_file()]
    if missing:
        raise SystemExit(f"no judged examples in {', '.join(missing)}; give the --build-dir the sets were run in")
    obj["pooled_claim11"] = pooled = pooled_claim11(dirs)
    obj["pooled_created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _print_pooled(pooled)
    atomic_write_json(out, obj)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
