"""``tradeoff deep train|eval|attack``: train a run from a TOML config, evaluate it (with sanity checks), and
save adversarial examples. ε is always in pixel space (normalisation is inside the model): [0, 1] for l_inf,
[0, sqrt(pixels)] for l_2. A rerun of ``deep train`` resumes a partial run; while it trains, the run folder is
locked (deep.runs.open_run) and a second writer is refused. ``deep attack`` writes under the build folder unless
``--out`` names a file."""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

from tradeoff.data.kinds import Kind
from tradeoff.data.registry import dataset_info, dataset_size
from tradeoff.data.scales import Scale

from ._base import UserError, deprecated, emit_json, format_table, group, progress_line, ready, warn
from ._options import InputFolder, Integer, Number, OutputFile, OutputFolder, Radius, check_eps

#: the largest attack budgets the options accept (time guards)
MAX_STEPS, MAX_RESTARTS, MAX_BATCH = 100_000, 1_000, 1_000_000


def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff deep train|eval|attack``."""
    sub = group(top, "deep", "deep networks: adversarial training, robust evaluation, adversarial examples")

    p = sub.add_parser("train", help="train (or resume) a run described by a TOML config",
                       description="Train the run of CONFIG.toml into its folder (default <build>/runs/<name>). "
                                   "Example configs: deep/configs/*.toml. A finished run is reported, not retrained; "
                                   "a partial one (interrupted, killed) continues from its last checkpoint when the "
                                   "same command runs again. While it trains the folder is locked: a second writer is "
                                   "refused. Several GPUs: torchrun --nproc_per_node N -m tradeoff.reports deep train "
                                   "CONFIG.toml (DDP, one process per GPU; only rank 0 writes).")
    p.add_argument("config", metavar="CONFIG.toml",  # checked by deep.config_toml.load_config
                   help="a TOML config, or the name of an example config (deep/configs/NAME.toml)")
    p.add_argument("--run-dir", metavar="DIR", type=OutputFolder(),
                   help="the run's folder (default <build>/runs/<config name>)")
    deprecated(p, "--resume", "a plain rerun (it resumes by itself)", "resume_flag", nargs=0, quiet=True)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="override the config's device")
    p.add_argument("--epochs", type=Integer(1, 100_000), help="override the config's number of epochs")
    p.add_argument("--precision", choices=("auto", "bf16", "fp32"), default=None,
                   help="override the config's amp: auto/bf16 = bf16 autocast where the hardware has bf16 matrix "
                   "instructions (float32 elsewhere), fp32 = float32")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_train)

    p = sub.add_parser("eval", help="robust accuracy of a trained run at several ε, with sanity checks",
                       description="Robust accuracy of RUN's model on its dataset's test split at each ε (pixel "
                                   "space): by default the per-example worst case over APGD-CE, APGD-margin and APGD-T "
                                   "(AutoAttack order; --attack pgd for PGD alone), then the gradient-masking "
                                   "sanity checks. --reference autoattack adds the official AutoAttack beside it.")
    p.add_argument("run", metavar="RUN", type=InputFolder("a run folder written by 'tradeoff deep train'"),
                   help="a run folder written by 'tradeoff deep train'")
    p.add_argument("--eps", type=Radius(), nargs="+", required=True, metavar="E",
                   help="radii in pixel units: [0, 1] for l_inf, [0, sqrt(pixels)] for l_2 (0: clean accuracy)")
    p.add_argument("--norm", choices=("inf", "2"), default=None, help="default: the run's evaluation norm")
    p.add_argument("--attack", default="default", metavar="NAME",
                   help="default (APGD-CE, APGD-margin, APGD-T; under 2x PGD-100), thorough (AutoAttack "
                        "budget), pgd, apgd-ce, apgd-margin or apgd-t")
    p.add_argument("--reference", choices=("autoattack",), default=None,
                   help="also run the official AutoAttack (needs: pip install -e '.[autoattack]')")
    p.add_argument("--steps", type=Integer(1, MAX_STEPS), default=None,
                   help="iterations of every attack (default 100)")
    p.add_argument("--step-size", type=Number(0.0, low_open=True), default=None,
                   help="PGD only, > 0; default 2.5*eps/steps")
    p.add_argument("--restarts", type=Integer(1, MAX_RESTARTS), default=None,
                   help="restarts of every attack (default 1)")
    p.add_argument("--n", type=Integer(1), default=None, help="first N test points (default all)")
    p.add_argument("--sanity-n", type=Integer(0), default=500, help="points used by the sanity checks (0 = skip them)")
    p.add_argument("--sanity-eps", type=Radius(positive=True), default=None,
                   help="radius of the sanity checks (default: the run's training eps if given in --eps, else the "
                        "largest --eps)")
    p.add_argument("--batch-size", type=Integer(1, MAX_BATCH), default=500, help="points per batch (default 500)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                   help="the attacks' precision: auto/bf16 = bf16 where the hardware has it; fp32 = float32 "
                   "(accuracies are counted in float32 either way)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=_eval)

    p = sub.add_parser("attack", help="save PGD adversarial examples of a run's model (.npz)",
                       description="PGD adversarial examples of RUN's model for the first N test points, saved as "
                                   ".npz with arrays x, x_adv, y, pred_clean, pred_adv and the attack settings, in "
                                   "<build>/attacks/ unless --out names the file.")
    p.add_argument("run", metavar="RUN", type=InputFolder("a run folder written by 'tradeoff deep train'"),
                   help="a run folder written by 'tradeoff deep train'")
    p.add_argument("--eps", type=Radius(positive=True), required=True, metavar="E",
                   help="radius in pixel units: (0, 1] for l_inf, (0, sqrt(pixels)] for l_2")
    p.add_argument("--norm", choices=("inf", "2"), default=None, help="default: the run's evaluation norm")
    p.add_argument("--steps", type=Integer(1, MAX_STEPS), default=100, help="PGD iterations (default 100)")
    p.add_argument("--step-size", type=Number(0.0, low_open=True), default=None, help="> 0; default 2.5*eps/steps")
    p.add_argument("--restarts", type=Integer(1, MAX_RESTARTS), default=1, help="random restarts (default 1)")
    p.add_argument("--no-random-start", action="store_true", help="start PGD at the clean image")
    p.add_argument("--n", type=Integer(1), default=100, help="number of test points (default 100)")
    p.add_argument("--out", type=OutputFile(".npz"), default=None, metavar="FILE.npz",
                   help="where to save (default <build>/attacks/<run>-<digest>_<norm>_eps<E>.npz)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                   help="the attack's precision: auto/bf16 = bf16 where the hardware has it; fp32 = float32 (the saved "
                   "predictions are float32)")

    p.set_defaults(func=_attack)


# ---------------------------------------------------------------------- train
def _train(args: argparse.Namespace) -> int:
    from tradeoff.deep.config_toml import load_config
    from tradeoff.deep.device import parse_precision
    from tradeoff.deep.distributed import init_distributed, shutdown
    from tradeoff.deep.runs import default_run_dir
    from tradeoff.deep.train import TrainOptions, train_run

    cfg = load_config(args.config)
    changes = {}
    if args.device:
        changes["device"] = args.device
    if args.epochs is not None:
        changes["epochs"] = args.epochs
    if args.no_progress:
        changes["progress"] = False
    if args.precision is not None:
        changes["amp"] = parse_precision(args.precision)
    if changes:
        cfg = cfg.replace(**changes)
    target = args.run_dir if args.run_dir is not None else default_run_dir(cfg)
    if target.exists() and not target.is_dir():
        raise UserError(f"run folder {target} exists and is not a folder; pass another --run-dir")
    if args.dry_run:  # a real run makes these checks in deep.runs.open_run, before it loads any data
        from tradeoff.deep.runs import check_folder, run_state

        if target.is_dir():
            check_folder(target, cfg)  # a folder holding a run of another config is refused
        ready(args, f"deep train {cfg.name} in {target} ({run_state(target)} run)")
    info = init_distributed(cfg.device)
    try:  # a partial run continues from its checkpoint: a rerun resumes
        result = train_run(cfg, target, TrainOptions(resume=True, dist=info))
    finally:
        shutdown(info)
    if not info.is_main:
        return 0
    if args.json:
        emit_json({"run_dir": result.run_dir, "already_finished": result.already_finished,
                   "history": result.history, "summary": result.summary})
        return 0
    if result.already_finished:
        print(f"{result.run_dir}: already finished; not retrained (delete the folder to train again)")
    else:
        note = f" (resumed after epoch {result.resumed_from})" if result.resumed_from else ""
        print(f"{result.run_dir}: trained {result.trained_epochs} epoch(s){note}")
        print(format_table([_epoch_row(r) for r in result.history]))
    print(format_table([_summary_row(result.summary)]))
    return 0


def _epoch_row(r: dict) -> dict:
    row = {"epoch": r["epoch"], "lr": r["lr"], "train_loss": r["train_loss"], "train_acc": r["train_acc"],
           "clean": r.get("eval_standard_acc")}
    row.update({f"pgd@{k}": v for k, v in (r.get("eval_robust_acc") or {}).items()})
    row["time_s"] = r.get("time_s", 0.0) + r.get("eval_time_s", 0.0)
    return row


def _summary_row(s: dict) -> dict:
    row = {"run": s["run"], "n_eval": s["n_eval"], "standard_acc": s["standard_acc"]}
    row.update({f"{s['eval_norm']}-pgd{s['eval_steps']}@{k}": v for k, v in s["robust_acc"].items()})
    return row


# ---------------------------------------------------------------------- eval / attack
def _test_points(run: str, n: int | None, device: str):
    """The run's config and model (finite weights, deep.runs.load_run_model) and its first ``n`` held-out points
    (``--n`` at most the held-out split: refused beyond it, never cut)."""
    import torch

    from tradeoff.data import checks
    from tradeoff.deep.datasets import load_split
    from tradeoff.deep.device import resolve_device
    from tradeoff.deep.run_data import disk_datasets, materialise
    from tradeoff.deep.runs import load_run_model

    if n is not None and n <= 0:
        raise UserError(f"--n must be positive, got {n}")
    if not Path(run).is_dir():
        raise UserError(f"run folder {run} not found; pass a folder written by 'tradeoff deep train'")
    dev = resolve_device(device)
    cfg, model = load_run_model(run, dev)
    if dataset_info(cfg.dataset).in_memory:
        dataset_size("--n", n, cfg.dataset, "test")
        x, y = load_split(cfg.dataset, "test", cfg.data_root)
        checks.integer("--n", n if n is not None else len(y), low=1, high=len(y))
        if n is not None:
            x, y = x[:n], y[:n]
    else:
        # the run's own held-out split: for a val-only sample, 80% of val was trained on (deep.run_data.disk_datasets)
        held_out = disk_datasets(cfg)[1]
        checks.integer("--n", n if n is not None else len(held_out), low=1, high=len(held_out),
                       fix=f"the run's held-out split has {len(held_out)} images")
        x, y = materialise(held_out, n)
    return cfg, model, x.to(dev), y.to(dev), torch.device(dev)


def _run_tag(run: str) -> str:
    """The run folder's name plus a digest of its full path: two runs with the same name do not overwrite each
    other's files."""
    run_path = Path(run).resolve()
    return f"{run_path.name}-{hashlib.sha1(str(run_path).encode()).hexdigest()[:8]}"


def _eval(args: argparse.Namespace) -> int:
    from tradeoff.data.io import write_result
    from tradeoff.data.paths import results_dir
    from tradeoff.deep.attacks import NAMED_ATTACKS, resolve_ensemble
    from tradeoff.deep.device import parse_precision, resolve_precision
    from tradeoff.deep.evaluate import evaluate
    from tradeoff.deep.reference import INSTALL, reference_available
    from tradeoff.deep.sanity import run_sanity_checks

    if args.attack.lower() not in NAMED_ATTACKS:
        raise UserError(f"unknown --attack {args.attack!r}; use one of {', '.join(NAMED_ATTACKS)}")
    if args.step_size is not None and args.attack.lower() != "pgd":
        raise UserError("--step-size only applies to --attack pgd (APGD adapts its own step size)")
    if args.reference == "autoattack" and not reference_available():
        raise UserError(f"--reference autoattack needs the package pyautoattack: {INSTALL}")
    cfg, model, x, y, dev = _test_points(args.run, args.n, args.device)
    norm = args.norm or cfg.eval_norm
    dim = int(x[0].numel())
    check_eps("--eps", args.eps, norm, dim)
    if args.sanity_eps is not None:
        check_eps("--sanity-eps", args.sanity_eps, norm, dim, positive=True)
    ready(args, f"deep eval of {args.run} on {len(y)} points at eps {', '.join(f'{e:g}' for e in args.eps)} "
                f"(l_{norm})")
    t0 = time.perf_counter()
    eps_list = sorted({0.0, *args.eps})
    precision = resolve_precision(dev, parse_precision(args.precision))
    ev = evaluate(model, x, y, eps_list, norm, args.attack, steps=args.steps, step_size=args.step_size,
                  restarts=args.restarts, batch_size=args.batch_size, device=dev, progress=True, precision=precision)
    ev_ensemble = resolve_ensemble(args.attack).scaled(args.steps, args.restarts)
    rows = [{"eps": e, "norm": norm, "attack": "clean" if e == 0 else ev.attack["name"], "accuracy": a,
             "seconds": sum(c.seconds for c in ev.cost.get(e, []))} for e, a in sorted(ev.accuracy.items())]
    out = {"run": str(args.run), "n": len(y), "accuracy": rows, "evaluation": ev.summary(),
           "time_s": time.perf_counter() - t0}
    if args.reference == "autoattack":
        out["reference"] = _reference_rows(model, x, y, [e for e in eps_list if e > 0], norm, args.batch_size, ev)
    report = None
    if args.sanity_n > 0:
        positive = [e for e in args.eps if e > 0]
        eps_check = args.sanity_eps
        if eps_check is None and positive:
            eps_check = cfg.adv.eps if cfg.adv.eps in positive else max(positive)
        if eps_check is not None:
            k = min(args.sanity_n, len(y))
            report = run_sanity_checks(model, x[:k], y[:k], eps_check, norm, batch_size=args.batch_size,
                                       device=dev, warn=False, evaluation=ev_ensemble, precision=precision,
                                       white_box_correct=ev.correct[eps_check][:k] if eps_check in ev.correct
                                       else None, on_check=lambda c: progress_line(f"sanity check {c} ..."))
            payload = report.to_payload(Path(args.run).resolve().name)
            payload["robust_evaluation"] = ev.summary()
            if "reference" in out:
                payload["reference"] = out["reference"]
            path = write_result(results_dir() / "deep" / f"sanity_{_run_tag(args.run)}.json", Kind.DEEP_SANITY,
                                payload, scale=Scale.AD_HOC,
                                dataset=dataset_info(cfg.dataset).label, seeds=[cfg.seed])
            out["sanity"] = {"ok": report.ok, "checks": report.checks, "file": str(path)}
    out["file"] = str(write_result(results_dir() / "deep" / f"eval_{_run_tag(args.run)}.json", Kind.DEEP_EVAL,
                                   {k: v for k, v in out.items() if k != "sanity"}, scale=Scale.AD_HOC,
                                   dataset=dataset_info(cfg.dataset).label, seeds=[cfg.seed]))
    _print_eval(args, out, rows, norm, ev, report, len(y))
    return 0


def _print_eval(args, out: dict, rows: list[dict], norm: str, ev, report, n: int) -> None:
    if args.json:
        emit_json(out)
    else:
        print(f"{args.run}: {n} test points, {norm}, attack {ev.attack['label']}")
        print(format_table(rows, ["eps", "norm", "attack", "accuracy", "seconds"]))
        print(f"result: {out['file']}")
        if "reference" in out:
            print("\nreference (AutoAttack) beside the project's evaluation:")
            print(format_table(out["reference"], ["eps", "autoattack", "ours", "difference", "seconds"]))
        if report is not None:
            print(f"\nsanity checks at eps = {report.eps} on {report.n} points:")
            print(format_table([{"check": c["name"], "passed": "yes" if c["passed"] else "NO",
                                 "detail": c["detail"]} for c in report.checks]))
    if report is not None and not report.ok:
        warn(f"sanity checks failed ({', '.join(report.failed)}): the robust accuracy may be overestimated "
             "(possible gradient masking)")
    sys.stdout.flush()


def _reference_rows(model, x, y, eps_list, norm, batch_size, ev) -> list[dict]:
    """AutoAttack's robust accuracy at each ε beside the project's (``ev``), with the difference in points. It runs
    batch by batch (one progress line each: AutoAttack is slow, minutes for a few images on a CPU)."""
    import torch

    from tradeoff.deep.reference import autoattack_correct

    rows = []
    batches = max(1, -(-len(y) // batch_size))
    for e in eps_list:
        t0 = time.perf_counter()
        parts, info = [], {}
        for b, start in enumerate(range(0, len(y), batch_size)):
            progress_line(f"reference AutoAttack at eps={e:g}: batch {b + 1}/{batches} ...")
            ok, info = autoattack_correct(model, x[start:start + batch_size], y[start:start + batch_size], e, norm,
                                          batch_size=batch_size)
            parts.append(ok)
        correct = torch.cat(parts)
        ref = int(correct.sum()) / len(y)
        rows.append({"eps": e, "autoattack": ref, "ours": ev.accuracy[e], "difference": ev.accuracy[e] - ref,
                     "seconds": time.perf_counter() - t0, "reference": info})
    return rows


def _attack(args: argparse.Namespace) -> int:
    import io

    import numpy as np
    import torch
    from tqdm import tqdm

    from tradeoff.data.io import atomic_write_bytes
    from tradeoff.data.paths import build_dir
    from tradeoff.deep.attacks import PGD
    from tradeoff.deep.attacks.steps import default_step_size
    from tradeoff.deep.device import parse_precision, resolve_precision

    cfg, model, x, y, dev = _test_points(args.run, args.n, args.device)
    norm = args.norm or cfg.eval_norm
    check_eps("--eps", args.eps, norm, int(x[0].numel()), positive=True)
    out = args.out or build_dir() / "attacks" / f"{_run_tag(args.run)}_{norm}_eps{args.eps:g}.npz"
    ready(args, f"deep attack of {args.run} on {len(y)} points at eps {args.eps:g} (l_{norm}) into {out}")
    step = args.step_size if args.step_size is not None else default_step_size(args.eps, args.steps)
    attack = PGD(args.eps, step, args.steps, norm, random_start=not args.no_random_start,
                 restarts=args.restarts)
    gen = torch.Generator(device=dev).manual_seed(cfg.seed)  # one stream over all batches (reproducible)
    precision = resolve_precision(dev, parse_precision(args.precision))
    precision.model(model)
    with precision.autocast(), tqdm(total=len(y), desc=f"PGD-{args.steps} eps={args.eps:g}", unit="img",
                                    file=sys.stderr, leave=False) as bar:
        advs = []
        for xb, yb in zip(x.split(500), y.split(500)):  # per batch: the progress bar advances
            advs.append(attack(model, precision.inputs(xb), yb, generator=gen))
            bar.update(len(yb))
    x_adv = torch.cat(advs).float().contiguous()
    with torch.no_grad():  # float32 predictions
        pred_clean = torch.cat([model(b).argmax(1) for b in x.split(500)])
        pred_adv = torch.cat([model(b).argmax(1) for b in x_adv.split(500)])
    buf = io.BytesIO()
    np.savez_compressed(
        buf, x=x.cpu().numpy(), x_adv=x_adv.cpu().numpy(), y=y.cpu().numpy(), pred_clean=pred_clean.cpu().numpy(),
        pred_adv=pred_adv.cpu().numpy(), eps=args.eps, norm=norm, steps=args.steps, step_size=step,
        restarts=args.restarts, random_start=not args.no_random_start, run=str(args.run),
        precision=precision.name,
    )
    try:
        atomic_write_bytes(out, buf.getvalue())
    except OSError as e:
        raise UserError(f"cannot write {out}: {e.strerror or e}; choose another --out") from e
    clean = (pred_clean == y).float().mean().item()
    robust = (pred_adv == y).float().mean().item()
    print(f"{out}: {len(y)} examples, eps={args.eps} ({norm}), clean acc {clean:.4f}, "
          f"adversarial acc {robust:.4f}")
    return 0
