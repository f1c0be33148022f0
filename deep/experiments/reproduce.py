"""Run every deep experiment of one dataset at one scale: the sweeps (Fig. 1, 6, 7, Appendix B) and the picture
experiment (Fig. 2-4, 8-10, claims 10-12), logging how long each part took. Drawing is left to reports/."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tradeoff.data.io import read_result, write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import dataset_info

from . import definitions, sweep
from .pictures import PicturesResult, run_pictures

SWEEP_ORDER = ("fig6", "fig1", "fig7", "mixed")


@dataclass
class DatasetOutcome:
    """What one dataset's reproduction produced: sweep rows per group, the picture data, timings in seconds."""

    dataset: str
    scale: str
    rows: dict[str, list[dict]] = field(default_factory=dict)
    pictures: PicturesResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # CPU time (threads, worker processes) per part
    result_paths: list[Path] = field(default_factory=list)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (the sweep's worker processes)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_sweep(exp: definitions.SweepExperiment, engine, runs_root: Path, shard: tuple[int, int] = (0, 1),
              log: Callable[[str], None] = lambda s: None) -> list[dict]:
    """Run this machine's shard of a sweep (finished runs are skipped, interrupted ones resume)."""
    runs = sweep.shard(sweep.expand(exp), *shard)
    return sweep.execute(runs, engine, runs_root, log=log)


def all_runs(exps) -> list[sweep.RunSpec]:
    """Every distinct run of the given definitions (sweeps, and the picture recipes at every seed),
    in order: trained in one go, the runs of all groups form the fewest populations and keep every worker busy
    (group by group, a group of one population leaves the other cores idle)."""
    from .pictures import model_runs

    out: dict[str, sweep.RunSpec] = {}
    for exp in exps:
        if isinstance(exp, definitions.PictureExperiment):
            runs = list(model_runs(exp).values())
        else:
            runs = sweep.expand(exp)
        for r in runs:
            out.setdefault(r.run_id, r)
    return list(out.values())


def reproduce_dataset(dataset: str, scale: str, engine, runs_root: Path, results_root: Path,
                      groups: Sequence[str] = SWEEP_ORDER + ("pictures",), sanity: bool = True,
                      overrides: Callable | None = None,
                      log: Callable[[str], None] = lambda s: None) -> DatasetOutcome:
    """Sweeps then pictures for ``dataset`` at ``scale``; ``overrides(exp) -> exp`` may shrink definitions
    (tests, micro scale). Every run of every group is trained first, at once (:func:`all_runs`); each group then
    merges (and evaluates) what it needs. Writes the deep.sweep / gradients / large_eps / sanity result files and a
    ``deep/reproduce_<dataset>.json`` timing summary."""
    exps = definitions.experiments(dataset, scale)
    out = DatasetOutcome(dataset=dataset, scale=scale)
    scale_label = scale
    chosen = {g: (overrides(exps[g]) if overrides else exps[g]) for g in groups if g in exps}
    t, c = time.perf_counter(), _cpu_seconds()
    runs = all_runs(chosen.values())
    log(f"[{dataset}/{scale}] training {len(runs)} distinct run(s) of {', '.join(chosen)} at once ...")
    sweep.execute(runs, engine, runs_root, log=log)
    out.seconds["train"] = time.perf_counter() - t
    out.cpu_seconds["train"] = _cpu_seconds() - c
    log(f"[{dataset}/{scale}] trained in {out.seconds['train']:.1f}s (CPU {out.cpu_seconds['train']:.1f}s)")
    for group in groups:
        if group not in exps:
            continue
        exp = chosen[group]
        scale_label = exp.scale
        t, c = time.perf_counter(), _cpu_seconds()
        log(f"[{dataset}/{scale}] {group} ...")
        if group == "pictures":
            out.pictures = run_pictures(exp, engine, runs_root, results_root, log=log, sanity=sanity)
            out.result_paths += out.pictures.result_paths
            for k, v in out.pictures.seconds.items():
                out.seconds[f"pictures.{k}"] = v
        else:
            run_sweep(exp, engine, runs_root, log=log)
            path = sweep.merge(exp, runs_root, results_root)
            out.result_paths.append(path)
            out.rows[group] = read_result(path)["payload"]["rows"]
        out.seconds[group] = time.perf_counter() - t
        out.cpu_seconds[group] = _cpu_seconds() - c
        log(f"[{dataset}/{scale}] {group} done in {out.seconds[group]:.1f}s (CPU {out.cpu_seconds[group]:.1f}s)")
    out.scale = scale_label
    out.seconds["total"] = sum(v for k, v in out.seconds.items() if "." not in k)
    out.cpu_seconds["total"] = sum(out.cpu_seconds.values())
    write_result(results_root / "deep" / f"reproduce_{dataset}.json", Kind.DEEP_REPRODUCE,
                 {"dataset": dataset_info(dataset).label, "scale": scale_label, "seconds": out.seconds,
                  "cpu_seconds": out.cpu_seconds, "results": [str(p) for p in out.result_paths]},
                 wall_time_s=out.seconds["total"], scale=scale_label, dataset=dataset_info(dataset).label)
    return out
