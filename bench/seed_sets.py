"""Benchmark: do the CPU reproduction's deep verdicts depend on the seeds? Rerun its deep part with 3 seed sets.

The deep part of ``make reproduce`` (``tradeoff deep reproduce --scale quick --datasets mnist``) is run once per
seed set: set 0 is the reproduction's own seeds, set i adds ``i * OFFSET`` to every seed of every definition (sweep
seeds and small-n seeds, picture models, the replicate seeds of claims 10 and 11), so each set trains its own
models on its own training subsets, orders and initialisations. Claims 5-8 and 10-12 are judged on each set's
results alone (reports/claims/, the report's rules). Target: every verdict agrees across the sets. Runs share one
``runs`` folder (the run identity includes the seed, so sets never collide and set 0 reuses the runs of a
reproduction in the same build folder); results go to one folder per set. Prints the machine, load average, wall and
CPU time per set, the verdict table, and writes it as JSON (``--out``, default bench/seed_sets.json).

    python -m bench.seed_sets [--sets 3] [--build-dir DIR] [--workers N] [--out FILE] [--micro]
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
    args = ap.parse_args(argv)
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
        "all_agree": ok, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    print(f"wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
