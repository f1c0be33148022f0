"""The training engine: trains runs (deep.config.TrainConfig), each in its own folder (the run store, deep.runs),
K at a time as populations (deep.population: models that share architecture, batch size, schedule and attack
steps train in lockstep), and owns the epoch loop: epochs, the per-epoch held-out evaluation, divergence,
checkpoints, interruption (``stop_after``, a hook) and each run's one final evaluation and summary.

Standard and adversarial training (Madry et al.'s PGD training; the paper's Section 4 and Appendix B; TRADES, Zhang
et al. 2019) minimise the empirical (adversarial) risk; the step is the population's (deep.population) and the
attack deep.attacks'. A single run is the population of one. How to train (resume, distributed, progress, hooks,
the caller's final evaluation, ...) is one :class:`TrainOptions`.

On CPU a run is deterministic for a given seed: the model is initialised from ``seed``, each epoch's shuffling
depends only on ``(seed, epoch)`` and the attack's random starts on ``(seed, epoch, rank)``, so a run resumed from an
epoch checkpoint ends with the same weights and metrics as an uninterrupted one, and member k of a population
ends as a run of member k alone.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .config import TrainConfig
from .distributed import DistInfo, barrier, digests_agree
from .evaluate import eps_key, evaluate
from .population import EpochStats, Population
from .population_plan import plan_populations
from .run_data import DataBundle
from .runs import CHECKPOINT, CONFIG, RunFolder, default_run_dir, open_run, read_metrics


@dataclass
class TrainOptions:
    """How to train (what a run's config does not say).

    ``resume``: continue partial runs from their checkpoints (else a partial run is an error). ``dist``: the
    distributed run (deep.distributed; rank 0 writes). ``progress``: progress bars and epoch lines (None: each
    config's ``progress``). ``on_epoch_end(k, stats)``: called after every epoch of member k (its metrics line and
    checkpoint written); returning True ends the call after this epoch like ``stop_after``. ``stop_after``: end
    the call after that many completed epochs (checkpoint written, no summary): a controlled interruption.
    ``scale``: the scale result files record (data.scales; None: ``ad-hoc``). ``data[i]``: ``(train, test)``
    tensors or a ready deep.run_data.DataBundle replacing config i's dataset. ``max_population``: the largest population
    (None: deep.population_plan.MAX_POPULATION of the configs' device). ``final_eval(population, k) -> dict``: the
    caller's evaluation of member k, the run's one evaluation (in its summary as ``evaluation``; it must hold
    ``standard_acc`` and may hold ``robust[norm] = {eps, acc}`` and ``n_test``). ``log``: one-line messages
    (populations, divergence)."""

    resume: bool = True
    dist: DistInfo | None = None
    progress: bool | None = None
    on_epoch_end: Callable[[int, EpochStats], bool | None] | None = None
    stop_after: int | None = None
    scale: str | None = None
    data: Sequence[tuple | DataBundle | None] | None = None
    max_population: int | None = None
    final_eval: Callable[[Population, int], dict] | None = None
    log: Callable[[str], None] | None = None


@dataclass
class RunResult:
    """What training did to one run: its folder and config, the epoch lines, the final summary payload, whether the
    run had already finished (``trained_epochs == 0``) or resumed (``resumed_from`` = completed epochs found).
    ``extra``: ``error`` (a diverged run's message), ``population`` and ``member`` (the trained population and this
    run's index in it)."""

    run_dir: Path
    config: TrainConfig
    history: list[dict]
    summary: dict
    resumed_from: int | None = None
    trained_epochs: int = 0
    already_finished: bool = False
    extra: dict = field(default_factory=dict)


def train_run(cfg: TrainConfig, run_dir: str | Path | None = None, options: TrainOptions | None = None) -> RunResult:
    """Train ``cfg`` in ``run_dir`` (default ``<build>/runs/<name>``): :func:`train_runs` of one run; a run whose
    training diverges raises FloatingPointError (its last checkpoint is kept)."""
    (result,) = train_runs([cfg], [run_dir] if run_dir is not None else None, options)
    if "error" in result.extra:
        raise FloatingPointError(result.extra["error"])
    return result


@dataclass
class _Member:
    cfg: TrainConfig
    run: RunFolder
    data: tuple | DataBundle | None
    index: int


def train_runs(cfgs: Sequence[TrainConfig], run_dirs: Sequence[str | Path] | None = None,
               options: TrainOptions | None = None) -> list[RunResult]:
    """Train every run of ``cfgs`` in its folder (``run_dirs[i]``, default ``<build>/runs/<name>``), the unfinished
    ones as populations (deep.population_plan.plan_populations; members resuming from different epochs go in different
    populations), each member resuming from its own checkpoint. Every folder ends exactly as a run trained alone
    writes it; a finished run is never trained again. A member whose training diverges stops alone: its result has
    ``extra["error"]`` (the message, also logged) and no summary; the others finish. Returns one RunResult per
    config, in order."""
    opts = options or TrainOptions()
    dist = opts.dist or DistInfo()
    cfgs = [c.validate().resolve_epochs() for c in cfgs]  # the epoch rule (TrainConfig.min_steps)
    if opts.final_eval is None and any(c.needs_experiment_engine for c in cfgs):
        c = next(c for c in cfgs if c.needs_experiment_engine)
        raise ValueError(f"config {c.name!r}: eval.norms and eval.standard_full_test are measured by the experiment "
                         "engine (tradeoff deep sweep / reproduce); for a single run give one eval.norm and set "
                         "standard_full_test = false")
    if run_dirs is not None and any(not str(d).strip() for d in run_dirs):  # '' would be the current folder
        raise ValueError("run_dir '' is invalid: give a folder (e.g. '.' for the current one), not an empty path")
    dirs = [Path(d) for d in run_dirs] if run_dirs is not None else [default_run_dir(c) for c in cfgs]
    if len(dirs) != len(cfgs) or len({str(d.resolve()) for d in dirs}) != len(dirs):
        raise ValueError("give one distinct run folder per config (two configs would share a folder)")
    results: list[RunResult | None] = [None] * len(cfgs)
    with contextlib.ExitStack() as folders:
        pending = []
        for i, (cfg, d) in enumerate(zip(cfgs, dirs)):
            run = folders.enter_context(open_run(d, cfg, opts.resume, dist.is_main))
            if run.state == "finished":
                results[i] = RunResult(d, cfg, read_metrics(d), run.summary(), already_finished=True)
            else:
                pending.append(_Member(cfg, run, opts.data[i] if opts.data is not None else None, i))
        plan = plan_populations([m.cfg for m in pending], opts.max_population, extra_key=[m.run.done for m in pending])
        for n, group in enumerate(plan):
            members = [pending[j] for j in group]
            t0 = time.perf_counter()
            if opts.log is not None and len(cfgs) > 1:
                opts.log(f"population {n + 1}/{len(plan)}: {len(members)} run(s), {members[0].cfg.epochs} epochs, "
                         f"e.g. {members[0].cfg.name}")
            for m, r in zip(members, _train_population(members, opts, dist)):
                results[m.index] = r
            if opts.log is not None and len(cfgs) > 1:
                opts.log(f"population {n + 1}/{len(plan)} done in {time.perf_counter() - t0:.1f}s")
    return results  # type: ignore[return-value]


def _start(members: list[_Member], dist: DistInfo) -> tuple[Population, list[list[dict]], int | None]:
    """The population of ``members`` (restored from their checkpoints), their epoch lines and the epoch they resumed
    from (None: from scratch)."""
    barrier(dist)
    histories = [list(m.run.history) for m in members]
    data = [m.data for m in members] if any(m.data is not None for m in members) else None
    pop = Population([m.cfg for m in members], dist, data=data)
    if members[0].run.checkpoint is not None:  # the plan put members of one checkpoint epoch together
        try:
            pop.load_member_state_dicts([m.run.checkpoint for m in members])
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            reason = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            where = ", ".join(str(m.run.path / CHECKPOINT) for m in members)
            first = members[0].run.path
            raise ValueError(
                f"checkpoint {where} cannot be resumed ({type(e).__name__}: {reason}); delete it and train again "
                f"(from epoch 0): tradeoff deep train {first / CONFIG} --run-dir {first}"
            ) from e
        for m in members:
            m.run.checkpoint = None  # restored: the population holds the state now
        return pop, histories, pop.epoch
    return pop, histories, None


def _train_population(members: list[_Member], opts: TrainOptions, dist: DistInfo) -> list[RunResult]:
    """Train one population to the end (or to an interruption), writing each member's folder."""
    pop, histories, resumed_from = _start(members, dist)
    progress = pop.cfgs[0].progress if opts.progress is None else opts.progress
    epochs = pop.cfgs[0].epochs
    trained, stop = 0, False
    errors: dict[int, str] = {}
    t_start = time.perf_counter()
    while pop.epoch < epochs and not stop:
        stats = pop.train_epoch(progress)
        trained += 1
        for k, (m, s) in enumerate(zip(members, stats)):
            if k in errors:
                continue
            if not math.isfinite(s.train_loss):  # NaN or infinite: this member stops, the others go on
                errors[k] = (f"training diverged in epoch {pop.epoch}: the mean training loss is {s.train_loss} (NaN "
                             f"or infinite); lower the learning rate (lr={s.lr}) or enable eps warm-up, then rerun "
                             "(the last checkpoint is kept)")
                if opts.log is not None:
                    opts.log(f"{m.cfg.name}: {errors[k]}")
                continue
            c = pop.cfgs[k]
            if c.eval.every and (pop.epoch % c.eval.every == 0 or pop.epoch == epochs):
                t0, d = time.perf_counter(), pop.bundles[k]
                s.eval_standard_acc, s.eval_robust_acc = pop.member_evaluate(k, d.eval_x, d.eval_y, _eval_eps(c))
                s.eval_time_s, s.eval_n = time.perf_counter() - t0, len(d.eval_y)
            row = asdict(s)
            m.run.append_metrics(row)
            histories[k].append(row)
            if pop.epoch % c.checkpoint_every == 0 or pop.epoch == epochs:
                m.run.save_checkpoint(pop.member_state_dict(k))
            if progress and dist.is_main:
                _log_epoch(s, c.name if len(members) > 1 else None)
            if opts.on_epoch_end is not None and opts.on_epoch_end(k, s):
                stop = True
        if len(errors) == len(members):
            break
        stop = stop or (opts.stop_after is not None and pop.epoch >= opts.stop_after)
    if pop.epoch < epochs and len(errors) < len(members):  # interrupted: every live member has its checkpoint
        for k, m in enumerate(members):
            if k not in errors and pop.epoch % m.cfg.checkpoint_every != 0:
                m.run.save_checkpoint(pop.member_state_dict(k))
        barrier(dist)
        return [_result(m, pop, k, histories[k], {}, resumed_from, trained, errors.get(k)) for k, m in
                enumerate(members)]
    train_time = time.perf_counter() - t_start
    out = []
    for k, m in enumerate(members):
        summary = {} if k in errors else _finish(pop, k, m.run, histories[k], train_time, opts, dist, progress)
        out.append(_result(m, pop, k, histories[k], summary, resumed_from, trained, errors.get(k)))
    barrier(dist)
    return out


def _result(m: _Member, pop: Population, k: int, history: list[dict], summary: dict, resumed_from: int | None,
            trained: int, error: str | None) -> RunResult:
    r = RunResult(m.run.path, pop.cfgs[k], history, summary, resumed_from, trained)
    r.extra.update(population=pop, member=k)
    if error is not None:
        r.extra["error"] = error
    return r


def _eval_eps(cfg: TrainConfig) -> list[float]:
    """The ε a run is evaluated at: ``eval.eps``, else its training ε (none for standard training)."""
    if cfg.eval.eps:
        return list(cfg.eval.eps)
    return [cfg.adv.eps] if cfg.adv.enabled else []


def _final_evaluation(pop: Population, k: int, opts: TrainOptions,
                      progress: bool) -> tuple[float, dict[str, float], list[float], dict | None]:
    """Member k's one final evaluation on its ``eval.n_final`` held-out points: standard accuracy, robust accuracy
    per ε key, the ε, and the caller's evaluation (``opts.final_eval``, else None). ``eval.attack = "pgd"``: PGD with
    ``eval.restarts`` restarts (sharded over ranks); ``"ensemble"``: the default ensemble of deep.evaluate; the
    attacks under the population's precision policy, every count in float32 (deep.attacks.correctness)."""
    cfg, d = pop.cfgs[k], pop.bundles[k]
    if opts.final_eval is not None:  # the caller's evaluation is the run's one evaluation
        extra = opts.final_eval(pop, k)
        mine = extra.get("robust", {}).get(cfg.eval_norm)
        robust = {eps_key(mine["eps"]): mine["acc"]} if mine else {}
        return extra["standard_acc"], robust, [mine["eps"]] if mine else [], extra
    eps = _eval_eps(cfg)
    if cfg.eval.attack == "pgd":
        standard, robust = pop.member_evaluate(k, d.final_x, d.final_y, eps, restarts=cfg.eval.restarts,
                                               progress=progress)
        return standard, robust, eps, None
    res = evaluate(pop.member_model(k), d.final_x, d.final_y, [0.0, *eps], cfg.eval_norm, steps=cfg.eval.steps,
                   restarts=cfg.eval.restarts, batch_size=cfg.eval.batch_size, device=pop.device, seed=0,
                   precision=pop.precision)
    return float(res.accuracy[0.0]), {eps_key(e): float(res.accuracy[e]) for e in eps}, eps, None


def _finish(pop: Population, k: int, run: RunFolder, history: list[dict], train_time: float, opts: TrainOptions,
            dist: DistInfo, progress: bool) -> dict:
    """Member k's final evaluation, model.pt and summary.json (rank 0 writes); the summary."""
    cfg = pop.cfgs[k]
    t0 = time.perf_counter()
    standard, robust, eps_eval, extra = _final_evaluation(pop, k, opts, progress)
    model = pop.member_model(k)
    summary = {
        "run": cfg.name,
        "run_dir": str(run.path),
        "dataset": cfg.dataset,
        "model": cfg.model,
        "n_train": pop.bundles[k].train.num_examples,
        "norm": cfg.adv.norm,
        "eps_train": cfg.adv.eps,
        "mixed": cfg.adv.mixed,
        "method": cfg.adv.training_method,
        "beta": cfg.adv.beta if cfg.adv.trades else None,
        "seed": cfg.seed,
        "epochs": cfg.epochs,
        "standard_acc": standard,
        "robust_acc": robust,
        "eps_eval": eps_eval,
        "eval_norm": cfg.eval_norm,
        "eval_steps": cfg.eval.steps,
        "eval_restarts": cfg.eval.restarts,
        "n_eval": extra["n_test"] if extra is not None else len(pop.bundles[k].final_y),
        "fingerprint": cfg.fingerprint(),
        "world_size": dist.world_size,
        "ddp_weights_identical": digests_agree(model, dist),
        "population_size": pop.k,
        "train_time_s_this_call": train_time,
        "eval_time_s": time.perf_counter() - t0,
        "device": str(pop.device),
        "precision": pop.precision.describe(),
        "config": cfg.to_dict(),
    }
    if extra is not None:
        summary["evaluation"] = extra
    wall = sum(r.get("time_s", 0) + r.get("eval_time_s", 0) for r in history) / max(pop.k, 1) + summary["eval_time_s"]
    run.finish(model.state_dict(), summary, wall, opts.scale, pop.device)
    return summary


def _log_epoch(s: EpochStats, name: str | None = None) -> None:
    from tqdm.auto import tqdm

    rob = " ".join(f"pgd@{k}={v:.4f}" for k, v in s.eval_robust_acc.items())
    std = f" clean={s.eval_standard_acc:.4f}" if s.eval_standard_acc is not None else ""
    who = f"{name} " if name else ""
    tqdm.write(
        f"{who}epoch {s.epoch}: loss={s.train_loss:.4f} train_acc={s.train_acc:.4f}{std} {rob} ({s.time_s:.1f}s)",
        file=sys.stderr,
    )
