"""The one GPU script for the deep figures: as much of the MNIST ``paper`` scale and of CIFAR-10 as fits in a
wall-clock budget, most informative results first, partial results kept.

    python -m bench.gpu_deep --budget-s 300 --out DIR [--cifar-root DIR] [--quick]

Order: (1) MNIST ℓ∞ models at the full training set (Fig. 6/7 right end, claims 6, 7), (2) MNIST small training
sets (Fig. 6 left end, claim 5), (3) MNIST picture models and claims 10-12, (4) MNIST ℓ2 at full data (Fig. 1/7),
(5) Appendix B mixed batches (claim 8), (6) CIFAR-10 ℓ∞ at the available training set, (7) CIFAR-10 pictures.
Before each training run the script estimates its time from the runs so far and skips it when it would overrun
the budget; result files are (re)written after every part, and ``summary.json`` (device, torch version, wall time
per part, what was skipped; also as the ``deep.benchmark`` result ``results/deep/gpu_deep.json``) after every part
too, so an interrupted script leaves usable results.

The training settings are the reconstructed ``paper`` defaults with fewer epochs (``--mnist-epochs``,
``--cifar-epochs``) and GPU batch sizes: result files say ``scale = gpu-reduced``. MNIST is read from
$TRADEOFF_DATA/mnist; CIFAR-10 from ``--cifar-root`` (any of the formats data.cifar10 reads; a subset is fine).
``--quick`` runs the same code on CPU at a micro scale in about a minute (a test of the script). Without CUDA and
without ``--quick`` it does nothing; called with no arguments at all (as ``python -m bench`` does) it only prints
how to run it, so the benchmark suite never spends the GPU budget by accident.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from tradeoff.data.io import atomic_write_json, write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.scales import Scale


@dataclass
class Part:
    """One unit of work: ``runs`` to train (in order), then ``after`` (merge / pictures) to produce results."""

    name: str
    dataset: str
    runs: list = field(default_factory=list)
    after: Callable[[], list] | None = None
    needs_all_runs: bool = False  # pictures need every model; merges accept partial sweeps


@dataclass
class Budget:
    """Wall-clock budget; learns seconds per cost unit (sample × forward-backward passes) per dataset."""

    seconds: float
    start: float = field(default_factory=time.perf_counter)
    rate: dict = field(default_factory=dict)

    def elapsed(self) -> float:
        """Seconds since the budget started."""
        return time.perf_counter() - self.start

    def left(self) -> float:
        """Seconds of the budget still available (negative once it is overspent)."""
        return self.seconds - self.elapsed()

    def estimate(self, dataset: str, units: float) -> float | None:
        """Predicted seconds for ``units`` cost units of ``dataset`` (None before any run of it was timed)."""
        return units * self.rate[dataset] if dataset in self.rate else None

    def learn(self, dataset: str, units: float, seconds: float) -> None:
        """Update the seconds-per-unit rate of ``dataset`` from a timed run; the rate falls at most by half per
        update, so one unusually fast run does not make the plan over-optimistic."""
        r = seconds / max(units, 1.0)
        self.rate[dataset] = max(r, self.rate.get(dataset, 0.0) * 0.5)


def run_units(run) -> float:
    """Training cost of a run in sample-passes: n·epochs·(PGD steps + 1), half the PGD for mixed batches."""
    c = run.config
    n = run.n_train or 60000
    passes = 1 if run.eps_train == 0 else (c.adv.steps / (2 if run.mixed else 1) + 1)
    return n * c.epochs * passes + 2 * (c.eval.n_final or 10000) * (c.eval.steps + 1)


def gpu_definitions(quick: bool, mnist_epochs: int, cifar_epochs: int, cifar_n: int | None):
    """The reduced plan's definitions (mnist and cifar10 groups) derived from the paper (or quick) defaults."""
    from tradeoff.deep.experiments import definitions as D

    def ev(n_test, steps):
        return {"n_final": n_test, "n_epoch": min(500, n_test or 500), "steps": steps, "restarts": 1,
                "standard_full_test": False}

    if quick:
        m = {k: D.with_overrides(v, scale="test", template=v.template.replace(epochs=1, min_steps=5, eval=ev(100, 5)))
             for k, v in D.experiments("mnist", "quick").items()}
        for k in ("fig1", "fig6"):  # seeds pinned: the script's test must not grow with the quick CPU seed count
            m[k] = D.with_overrides(m[k], n_train=(100, 300), seeds=(0, 1))
        for k in ("fig7", "mixed"):
            m[k] = D.with_overrides(m[k], n_train=(300,), seeds=(0,))
        m["pictures"] = D.with_overrides(m["pictures"], n_train=300, n_metric=20, n_show=3, sanity_n=10,
                                         attacks=tuple(dataclasses.replace(a, steps=10) for a in m["pictures"].attacks))
        c = {k: D.with_overrides(v, scale="test", template=v.template.replace(epochs=1, min_steps=2, width=8,
                                                                               eval=ev(50, 3)))
             for k, v in D.experiments("cifar10", "quick").items()}
        c["fig7"] = D.with_overrides(c["fig7"], n_train=(200,))
        c["pictures"] = D.with_overrides(c["pictures"], n_train=200, n_metric=10, n_show=3, sanity_n=10,
                                         attacks=tuple(dataclasses.replace(a, steps=5) for a in c["pictures"].attacks))
        return m, c
    # eps_warmup: with only a few epochs, PGD-40 training at eps = 0.3 from the start collapses to a constant
    # classifier (seen on an H200: standard accuracy 0.1135); ramping eps over the first half avoids it. Not paper.
    mtrain = D.get("fig6", "mnist", "paper").template.replace(epochs=mnist_epochs, batch_size=256, lr=1e-3,
                                                              min_steps=300, max_epochs=300, adv={"eps_warmup": 0.5},
                                                              eval=ev(None, 100))
    m = {k: D.with_overrides(v, scale="gpu-reduced", template=mtrain, seeds=(0,))
         for k, v in D.experiments("mnist", "paper").items() if k != "pictures"}
    pics = D.get("pictures", "mnist", "paper")
    m["pictures"] = D.with_overrides(pics, scale="gpu-reduced", template=mtrain, n_metric=1000, sanity_n=500)
    ctrain = D.get("fig6", "cifar10", "paper").template.replace(epochs=cifar_epochs, batch_size=256, min_steps=200,
                                                                max_epochs=100, schedule="constant", lr=0.05,
                                                                eval=ev(2000, 20))
    c = {k: D.with_overrides(v, scale="gpu-reduced", template=ctrain, seeds=(0,))
         for k, v in D.experiments("cifar10", "paper").items() if k != "pictures"}
    if cifar_n:
        c["fig7"] = D.with_overrides(c["fig7"], n_train=(cifar_n,))
        c["mixed"] = D.with_overrides(c["mixed"], n_train=(cifar_n,))
    cp = D.get("pictures", "cifar10", "paper")
    c["pictures"] = D.with_overrides(cp, scale="gpu-reduced", template=ctrain, n_metric=200,
                                     sanity_n=200, n_train=cifar_n or cp.n_train)
    return m, c


def plan(m: dict, c: dict, engine, runs_root: Path, results_root: Path, figures_root: Path, log) -> list[Part]:
    """The ordered parts (see module docstring)."""
    from tradeoff.deep.experiments import sweep as S
    from tradeoff.deep.experiments.picture_file import write_pictures
    from tradeoff.deep.experiments.pictures import model_runs, run_pictures
    from tradeoff.reports.figures.results import draw_result_files

    def runs_of(exp, eps_filter=None, n_filter=None, by_n=False):
        """Runs of ``exp`` passing the filters: the standard model first, then ℓ∞ before ℓ2 and the largest
        ε_train first (the ends of each curve are the most informative points when the budget runs out);
        ``by_n``: smallest training sets first, a standard/robust pair at each size."""
        runs = [r for r in S.expand(exp) if (eps_filter is None or eps_filter(r)) and (n_filter is None or
                                                                                     n_filter(r.n_train))]
        key = lambda r: (r.eps_train > 0, r.norm != "inf", -r.eps_train, r.mixed, r.n_train or 0, r.seed)  # noqa: E731
        if by_n:
            return sorted(runs, key=lambda r: (r.n_train or 0, *key(r)))
        return sorted(runs, key=key)

    def merge(ds, defs, groups):
        def go():
            paths = [S.merge(defs[g], runs_root, results_root, allow_missing=True) for g in groups]
            return paths + draw_result_files(paths, figures_root)
        return go

    def pictures(ds, defs):
        def go():
            pics = run_pictures(defs["pictures"], engine, runs_root, results_root, log=log)
            written = pics.result_paths + [write_pictures(pics, results_root, defs["pictures"].scale)]
            return written + draw_result_files(written, figures_root)
        return go

    full_m = max(n or 0 for n in m["fig6"].n_train) or None
    sweeps_m = ("fig1", "fig6", "fig7", "mixed")
    sweeps_c = tuple(g for g in ("fig1", "fig6", "fig7", "mixed") if g in c)
    parts = [
        Part("mnist_linf_full_data", "mnist", runs_of(m["fig7"], lambda r: r.norm in ("inf", "none")),
             merge("mnist", m, sweeps_m)),
        Part("mnist_linf_small_n", "mnist",
             runs_of(m["fig6"], lambda r: r.eps_train in (0.0, 0.3), lambda n: (n or 0) < (full_m or 0), by_n=True),
             merge("mnist", m, sweeps_m)),
        Part("mnist_pictures", "mnist", list(model_runs(m["pictures"]).values()), pictures("mnist", m),
             needs_all_runs=True),
        Part("mnist_l2_full_data", "mnist", runs_of(m["fig7"], lambda r: r.norm == "2"), merge("mnist", m, sweeps_m)),
        Part("mnist_mixed", "mnist", runs_of(m["mixed"]), merge("mnist", m, sweeps_m)),
        Part("mnist_rest_of_fig1_fig6", "mnist", runs_of(m["fig6"]) + runs_of(m["fig1"]),
             merge("mnist", m, sweeps_m)),
        Part("cifar10_linf_full", "cifar10", runs_of(c["fig7"], lambda r: r.norm in ("inf", "none")),
             merge("cifar10", c, sweeps_c)),
        Part("cifar10_pictures", "cifar10", list(model_runs(c["pictures"]).values()),
             pictures("cifar10", c), needs_all_runs=True),
        Part("cifar10_l2_and_mixed", "cifar10", runs_of(c["fig7"]) + runs_of(c["mixed"]),
             merge("cifar10", c, sweeps_c)),
    ]
    return parts


def device_name() -> str:
    """The CUDA device name, else a description of the CPU and its torch thread count (for result files)."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    import platform

    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def main(argv: list[str] | None = None) -> int:
    """Command line of the GPU script (see the module docstring); returns the exit status."""
    ap = argparse.ArgumentParser(prog="python -m bench.gpu_deep", description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget-s", type=float, default=None, help="wall-clock budget in seconds (default 300; "
                    "90 with --quick)")
    ap.add_argument("--out", default="reports/build/gpu_deep", help="output folder (results, runs, figures)")
    ap.add_argument("--cifar-root", default=None, help="CIFAR-10 folder (default: the data package's default)")
    ap.add_argument("--cifar-n", type=int, default=None, help="CIFAR-10 training points (default: all available)")
    ap.add_argument("--mnist-epochs", type=int, default=2)
    ap.add_argument("--cifar-epochs", type=int, default=5)
    ap.add_argument("--no-cifar", action="store_true")
    ap.add_argument("--cifar-share", type=float, default=None,
                    help="budget fraction kept for CIFAR-10: MNIST runs stop at (1 - share) of it (default 0.35; "
                    "0.5 with --quick)")
    ap.add_argument("--quick", action="store_true", help="CPU micro scale: a test of this script (about 1 min)")
    if argv is not None and not argv:  # `python -m bench` runs every module with no arguments: do not spend a budget
        print("bench.gpu_deep: skipped without arguments; run `python -m bench.gpu_deep --budget-s 300 --out DIR` "
              "(or --quick on CPU)")
        return 0
    args = ap.parse_args(argv)
    if not args.quick and not torch.cuda.is_available():
        print("bench.gpu_deep: no CUDA device; skipped (use --quick to test the script on CPU)")
        return 0
    budget = Budget(args.budget_s if args.budget_s is not None else (90.0 if args.quick else 300.0))
    if args.cifar_share is None:
        args.cifar_share = 0.5 if args.quick else 0.35
    if not 0 <= args.cifar_share < 1:
        ap.error("--cifar-share must be in [0, 1)")
    out = Path(args.out)
    runs_root, results_root, figures_root = out / "runs", out / "results", out / "figures"

    def log(msg: str) -> None:
        print(f"[{budget.elapsed():7.1f}s] {msg}", file=sys.stderr, flush=True)

    from tradeoff.deep.experiments import sweep as S
    from tradeoff.deep.experiments.engine import TorchEngine

    if args.quick:
        torch.set_num_threads(1)
    roots = {"cifar10": args.cifar_root} if args.cifar_root else {}
    engine = TorchEngine(data_roots=roots, device="cuda" if torch.cuda.is_available() else "cpu", log=log)
    cifar_n = args.cifar_n
    if not args.no_cifar and not args.quick and cifar_n is None:
        try:
            cifar_n = int(len(engine.load("cifar10", "train", None)[1]))
        except (FileNotFoundError, ValueError) as e:
            log(f"CIFAR-10 unavailable ({e}); CIFAR parts skipped")
            args.no_cifar = True
    m, c = gpu_definitions(args.quick, args.mnist_epochs, args.cifar_epochs, cifar_n)
    parts = plan(m, c, engine, runs_root, results_root, figures_root, log)
    summary = {"device": device_name(), "torch": torch.__version__, "cuda": torch.version.cuda,
               "budget_s": budget.seconds, "quick": args.quick, "scale": m["fig7"].scale,
               "mnist_epochs": args.mnist_epochs, "cifar_epochs": args.cifar_epochs, "cifar_n": cifar_n,
               "cifar_root": args.cifar_root, "parts": []}

    def save() -> None:
        summary["wall_time_s"] = budget.elapsed()
        atomic_write_json(out / "summary.json", summary)
        rows = [{"part": p["name"], "status": p.get("status"), "seconds": p.get("seconds"),
                 "runs_done": len(p.get("runs_done", [])), "runs_reused": len(p.get("runs_reused", [])),
                 "runs_skipped": len(p.get("runs_skipped", []))} for p in summary["parts"]]
        write_result(results_root / "deep" / "gpu_deep.json", Kind.DEEP_BENCHMARK,
                     {"device": summary["device"], "torch": summary["torch"], "budget_s": budget.seconds,
                      "what": "bench/gpu_deep.py: deep figures within a GPU time budget", "rows": rows},
                     wall_time_s=summary["wall_time_s"], scale=Scale.BENCH)

    for part in parts:
        if args.no_cifar and part.dataset == "cifar10":
            summary["parts"].append({"name": part.name, "status": "skipped (no CIFAR-10)"})
            continue
        t0 = time.perf_counter()
        rec = {"name": part.name, "runs_done": [], "runs_skipped": [], "runs_reused": []}
        complete = True
        # MNIST may use the budget up to the CIFAR-10 reserve; CIFAR-10 gets whatever is left.
        reserve = budget.seconds * args.cifar_share if part.dataset == "mnist" and not args.no_cifar else 0.0
        for run in part.runs:
            if S.is_finished(run, runs_root):
                rec["runs_reused"].append(run.run_id)
                continue
            units = run_units(run)
            est = budget.estimate(part.dataset, units)
            left = budget.left() - reserve
            if left <= 0 or (est is not None and est > left):
                rec["runs_skipped"].append({"run": run.run_id, "estimate_s": est})
                complete = False
                continue
            t = time.perf_counter()
            S.execute([run], engine, runs_root, log=log)
            dt = time.perf_counter() - t
            budget.learn(part.dataset, units, dt)
            rec["runs_done"].append({"run": run.run_id, "seconds": dt})
        try:
            fresh = bool(rec["runs_done"]) or (part.needs_all_runs and complete and budget.left() - reserve > 0)
            if part.after is not None and fresh and (complete or not part.needs_all_runs):
                rec["results"] = [str(p) for p in part.after()]
        except Exception as e:  # keep going: a failed part must not lose the others' results
            rec["error"] = f"{type(e).__name__}: {e}"
            log(f"{part.name}: {rec['error']}")
        rec["seconds"] = time.perf_counter() - t0
        rec["status"] = "complete" if complete and "error" not in rec else "partial"
        summary["parts"].append(rec)
        save()
        log(f"{part.name}: {rec['status']} in {rec['seconds']:.1f}s ({budget.left():.0f}s left)")
    save()
    print(json.dumps({k: summary[k] for k in ("device", "torch", "wall_time_s")}, indent=1))
    for p in summary["parts"]:
        print(f"  {p['name']:28s} {p.get('status', ''):10s} {p.get('seconds', 0):7.1f}s "
              f"done {len(p.get('runs_done', []))} skipped {len(p.get('runs_skipped', []))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:] or None))
