"""``tradeoff theory svm|finite|transfer``: Theorem 2 (SVM and logistic population minimisers, Lemmas D.1-D.5), the
finite-sample curve (theory analogue of Figure 1) and the transfer of the "-2 eta y" shift (claim 4).

Each command prints a table (or ``--json``) and writes its result file (reports/RESULTS.md kinds ``theory.svm``,
``theory.finite_sample``, ``theory.transfer``) under ``<build>/results/theory/``. ``ALL_STEPS`` are run by
``tradeoff theory all``. The many small matrix products of the finite-sample fits run with one BLAS thread
(threadpoolctl, installed with scikit-learn): on a shared machine multi-threaded BLAS made them up to 100x slower.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import asdict

from threadpoolctl import threadpool_limits

from tradeoff.data.io import to_jsonable, write_result
from tradeoff.data.paths import figures_dir, results_dir

from ._base import UserError, emit_json, format_table, group, warn

DEFAULT_D = 1000
DEFAULT_P = 0.95
THEOREM2_ETA_SQRT_D = 4.0
MAX_SAMPLE_BYTES = 2 * 2**30  # one float64 sample matrix (n, d + 1) of finite/transfer must fit in this
GENERAL_CHECK_MAX_D = 10**6  # Lemma D.1's general-w minimisation has 2 (d + 1) variables


def _check_sample_bytes(n: int, d: int, option: str) -> None:
    """UserError when ``n`` samples of D (float64, d + 1 columns) would not fit in ``MAX_SAMPLE_BYTES``."""
    need = 8 * n * (d + 1)
    if need > MAX_SAMPLE_BYTES:
        raise UserError(f"{option} {n} samples at --d {d} need {need / 2**30:.3g} GiB in memory (limit "
                        f"{MAX_SAMPLE_BYTES / 2**30:g} GiB); lower {option} or --d")


# ----------------------------------------------------------------------------------------------- argument parsing
def _int(value, name: str, minimum: int = 1) -> int:
    try:
        out = int(str(value))
    except ValueError:
        raise UserError(f"{name} must be an integer >= {minimum} (got {value!r})") from None
    if out < minimum:
        raise UserError(f"{name} must be an integer >= {minimum} (got {value!r})")
    return out


def _float(value, name: str, lo: float | None = None, hi: float | None = None) -> float:
    try:
        out = float(str(value))
    except ValueError:
        raise UserError(f"{name} must be a number (got {value!r})") from None
    if not math.isfinite(out) or (lo is not None and out < lo) or (hi is not None and out > hi):
        rng = ""
        if lo is not None:
            rng = f" in [{lo:g}, {hi:g}]" if hi is not None else f" >= {lo:g}"
        raise UserError(f"{name} must be a finite number{rng} (got {value!r})")
    return out


def _eps_value(token: str, eta: float, name: str) -> float:
    """A radius: a number, or a multiple of eta written ``eta``, ``2eta``, ``0.5eta``."""
    t = str(token).strip().lower().replace("*", "")
    if t.endswith("eta"):
        factor = t[: -len("eta")] or "1"
        return _float(factor, f"{name} (multiple of eta in {token!r})", lo=0.0) * eta
    return _float(t, name, lo=0.0)


def _eps_list(text: str, eta: float, name: str) -> list[float]:
    tokens = [t for t in str(text).split(",") if t.strip()]
    if not tokens:
        raise UserError(f"{name} must be a comma-separated list of radii, e.g. 0,eta,2eta (got {text!r})")
    return [_eps_value(t, eta, name) for t in tokens]


def _distribution_args(args) -> tuple[int, float, float]:
    """(d, p, eta) from --d, --p and --eta / --eta-sqrt-d (default eta = 4/sqrt(d), Theorem 2's smallest)."""
    d = _int(args.d, "--d")
    p = _float(args.p, "--p", 0.5, 1.0)
    if args.eta is not None and args.eta_sqrt_d is not None:
        raise UserError("give only one of --eta and --eta-sqrt-d")
    if args.eta is not None:
        eta = _float(args.eta, "--eta", lo=0.0)
    else:
        eta = _float(THEOREM2_ETA_SQRT_D if args.eta_sqrt_d is None else args.eta_sqrt_d, "--eta-sqrt-d", lo=0.0)
        eta /= math.sqrt(d)
    return d, p, eta


def _add_distribution_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--d", default=str(DEFAULT_D), help=f"number of weak features (default {DEFAULT_D})")
    parser.add_argument("--p", default=str(DEFAULT_P), help=f"Pr[x_1 = y], in [1/2, 1] (default {DEFAULT_P})")
    parser.add_argument("--eta", default=None, help="weak-feature mean eta (default 4/sqrt(d))")
    parser.add_argument("--eta-sqrt-d", default=None, help="give eta as eta*sqrt(d) instead (default 4)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of tables")


def _dataset(d: int, p: float, eta: float) -> str:
    return f"synthetic D(d={d},p={p:g},eta={eta:.6g})"


# ------------------------------------------------------------------------------------------------------------ svm
def run_svm(d: int, p: float, eta: float, eps_train: float | None = None, eps_eval: float | None = None,
            seed: int = 0, check_general: bool = True) -> tuple[dict, object]:
    """Compute Theorem 2 for hinge and logistic loss, write theory/svm.json and return (payload, path)."""
    from tradeoff.theory.logistic import logistic_study
    from tradeoff.theory.svm import theorem2_study

    t0 = time.perf_counter()
    hinge = theorem2_study(d, p, eta, eps_train, eps_eval, loss="hinge", check_general=check_general, seed=seed)
    logistic, pattern = logistic_study(d, p, eta, eps_train, eps_eval, check_general=check_general, seed=seed)
    payload = {
        "d": d, "p": p, "eta": eta, "eta_sqrt_d": eta * math.sqrt(d),
        "eps_train": hinge.eps_train, "eps_eval": hinge.eps_eval,
        "standard": asdict(hinge.standard), "adversarial": asdict(hinge.adversarial),
        "lemmas": {k: asdict(v) for k, v in hinge.lemmas.items()},
        "assumptions": hinge.assumptions, "side_condition": hinge.side_condition,
        "general_check": hinge.general_check,
        "logistic": {
            "standard": asdict(logistic.standard), "adversarial": asdict(logistic.adversarial),
            "lemmas": {k: asdict(v) for k, v in logistic.lemmas.items()},
            "pattern": asdict(pattern), "pattern_holds": pattern.pattern_holds,
            "general_check": logistic.general_check,
        },
    }
    path = write_result(
        results_dir() / "theory" / "svm.json", "theory.svm", payload, wall_time_s=time.perf_counter() - t0,
        scale="exact", dataset=_dataset(d, p, eta), seeds=[seed],
    )
    return payload, path


def _print_svm(payload: dict) -> None:
    print(f"Theorem 2 on D(d={payload['d']}, p={payload['p']:g}, eta={payload['eta']:.4g} = "
          f"{payload['eta_sqrt_d']:.3g}/sqrt(d)); eps_train={payload['eps_train']:.4g}, "
          f"eps_eval={payload['eps_eval']:.4g}")
    rows = []
    for loss, block in (("hinge", payload), ("logistic", payload["logistic"])):
        for kind in ("standard", "adversarial"):
            s = block[kind]
            rows.append({"model": kind, "loss": loss, "lam": s["lam"], "w1": s["w1"], "v": s["v"],
                         "norm": s["weight_norm"], "standard": s["standard_acc"], "robust": s["robust_acc"],
                         "note": "constant rule" if s["constant"] else ("" if s["converged"] else s["message"])})
    print(format_table(rows))
    print()
    lemmas = [{"lemma": k, "hinge": _fmt(payload["lemmas"][k]["value"]), "holds": payload["lemmas"][k]["holds"],
               "logistic": _fmt(payload["logistic"]["lemmas"][k]["value"]),
               "holds ": payload["logistic"]["lemmas"][k]["holds"], "statement": payload["lemmas"][k]["statement"]}
              for k in sorted(payload["lemmas"])]
    print(format_table(lemmas))
    print()
    print(f"side condition: {payload['side_condition']['message']}")
    failed = [k for k, v in payload["assumptions"].items() if not v]
    print("theorem hypotheses: " + ("all hold" if not failed else "NOT met: " + ", ".join(failed)))
    print(f"logistic loss shows the same pattern: {payload['logistic']['pattern_holds']}")


def _fmt(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def cmd_svm(args) -> int:
    """``tradeoff theory svm``: validate the options, run Theorem 2 (Appendix D) and print the table or JSON."""
    d, p, eta = _distribution_args(args)
    eps_train = None if args.eps_train is None else _eps_value(args.eps_train, eta, "--eps-train")
    eps_eval = None if args.eps is None else _eps_value(args.eps, eta, "--eps")
    if d > GENERAL_CHECK_MAX_D and not args.no_general_check:
        raise UserError(f"--d {d} is too large for Lemma D.1's general-w check ({2 * (d + 1)} variables, limit "
                        f"d <= {GENERAL_CHECK_MAX_D}); add --no-general-check")
    payload, path = run_svm(d, p, eta, eps_train, eps_eval, seed=_int(args.seed, "--seed", 0),
                            check_general=not args.no_general_check)
    emit_json(payload) if args.json else _print_svm(payload)
    print(f"wrote {path}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------------------------------------- finite
def run_finite(d: int, p: float, eta: float, ns: list[int], eps_trains: list[float], seeds: list[int],
               eps_eval: float | None = None, loss: str = "logistic", ridge: float = 1e-3,
               progress: bool = True) -> tuple[dict, object, object]:
    """Compute the finite-sample curve, write theory/finite_sample.json and its figure; return (payload, path, fig)."""
    from tqdm import tqdm

    from tradeoff.theory.finite_sample import finite_sample_curve

    from ..figures.theory_finite import plot_finite_sample

    t0 = time.perf_counter()
    total = len(ns) * len(eps_trains) * len(seeds)
    bar = tqdm(total=total, desc="finite-sample fits", file=sys.stderr, disable=not progress, leave=False)
    with bar, threadpool_limits(1):
        rows = finite_sample_curve(d, p, eta, ns, eps_trains, seeds, eps_eval=eps_eval, loss=loss, ridge=ridge,
                                   on_row=lambda r: bar.update(1))
    eps_eval = rows[0].eps_eval
    payload = {"d": d, "p": p, "eta": eta, "eps_eval": eps_eval, "loss": loss, "ridge": ridge, "ns": ns,
               "eps_trains": eps_trains, "seeds": seeds, "rows": [asdict(r) for r in rows]}
    path = write_result(
        results_dir() / "theory" / "finite_sample.json", "theory.finite_sample", payload,
        wall_time_s=time.perf_counter() - t0, scale="exact", dataset=_dataset(d, p, eta), seeds=seeds,
    )
    fig = plot_finite_sample(
        rows, figures_dir() / "theory_finite_sample.png", p=p, eps_eval=eps_eval,
        title=f"Theory (analogue of Figure 1) · D(d = {d}, p = {p:g}, η = {eta:.3g}, η√d = {eta * d ** 0.5:.3g})",
    )
    return payload, path, fig


def _print_finite(payload: dict) -> None:
    print(f"finite samples on D(d={payload['d']}, p={payload['p']:g}, eta={payload['eta']:.4g}), {payload['loss']} "
          f"loss, ridge {payload['ridge']:g}; exact accuracies, robust at eps={payload['eps_eval']:.4g}; "
          f"mean over {len(payload['seeds'])} seed(s)")
    table = []
    for eps_train in payload["eps_trains"]:
        for n in payload["ns"]:
            sel = [r for r in payload["rows"] if r["n"] == n and r["eps_train"] == eps_train]
            table.append({"eps_train": eps_train, "n": n,
                          "standard": sum(r["standard_acc"] for r in sel) / len(sel),
                          "robust": sum(r["robust_acc"] for r in sel) / len(sel),
                          "|w_weak|": sum(r["weak_weight_norm"] for r in sel) / len(sel)})
    print(format_table(table))


def cmd_finite(args) -> int:
    """``tradeoff theory finite``: validate the options, run the finite-sample curve and print it (or JSON)."""
    from tradeoff.theory.finite_sample import LOSSES, log_grid

    d, p, eta = _distribution_args(args)
    n_min, n_max = _int(args.n_min, "--n-min"), _int(args.n_max, "--n-max")
    if n_max < n_min:
        raise UserError(f"--n-max ({n_max}) must be >= --n-min ({n_min})")
    _check_sample_bytes(n_max, d, "--n-max")
    ns = log_grid(n_min, n_max, _int(args.per_decade, "--per-decade"))
    eps_trains = _eps_list(args.eps_train, eta, "--eps-train")
    base = _int(args.seed, "--seed", 0)
    seeds = list(range(base, base + _int(args.seeds, "--seeds")))
    eps_eval = None if args.eps is None else _eps_value(args.eps, eta, "--eps")
    if args.loss not in LOSSES:
        raise UserError(f"--loss must be one of {', '.join(LOSSES)} (got {args.loss!r})")
    ridge = _float(args.ridge, "--ridge", lo=0.0)
    if ridge <= 0:
        raise UserError(f"--ridge must be > 0 (got {args.ridge!r})")
    payload, path, fig = run_finite(d, p, eta, ns, eps_trains, seeds, eps_eval, args.loss, ridge)
    emit_json(payload) if args.json else _print_finite(payload)
    print(f"wrote {path} and {fig}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------------------------------- transfer
def run_transfer(d: int, p: float, eta: float, n_models: int = 5, n_train: int = 1000, n_test: int = 10000,
                 seed: int = 0) -> tuple[dict, object]:
    """Compute claim 4 (transfer of the -2 eta y shift), write theory/transfer.json; return (payload, path)."""
    from tradeoff.theory.transfer import transfer_study

    t0 = time.perf_counter()
    with threadpool_limits(1):
        res = transfer_study(d, p, eta, n_models=n_models, n_train=n_train, n_test=n_test, seed=seed)
    payload = to_jsonable(res)
    path = write_result(
        results_dir() / "theory" / "transfer.json", "theory.transfer", payload, wall_time_s=time.perf_counter() - t0,
        scale="exact", dataset=_dataset(d, p, eta), seeds=[seed],
    )
    return payload, path


def _print_transfer(payload: dict) -> None:
    f = payload["fooled_fraction"]
    print(f"shift x_i -> x_i - 2 eta y (l_inf size {payload['eps']:.4g}) on {payload['n_test']} test points of "
          f"D(d={payload['d']}, p={payload['p']:g}, eta={payload['eta']:.4g}); {payload['n_models']} standard models, "
          f"each trained on {payload['n_train']} independent samples")
    rows = [{"model": m["model"], "clean_acc": m["clean_acc"], "fooled": m["fooled_fraction"]["estimate"],
             "low": m["fooled_fraction"]["low"], "high": m["fooled_fraction"]["high"], "exact": m["fooled_exact"]}
            for m in payload["per_model"]]
    rows.append({"model": "pooled", "fooled": f["estimate"], "low": f["low"], "high": f["high"]})
    print(format_table(rows))


def cmd_transfer(args) -> int:
    """``tradeoff theory transfer``: validate the options, run claim 4 (PAPER.md 7) and print it (or JSON)."""
    d, p, eta = _distribution_args(args)
    n_train, n_test = _int(args.n_train, "--n-train"), _int(args.n_test, "--n-test")
    _check_sample_bytes(n_train, d, "--n-train")
    _check_sample_bytes(n_test, d, "--n-test")
    payload, path = run_transfer(d, p, eta, _int(args.n_models, "--n-models"), n_train, n_test,
                                 _int(args.seed, "--seed", 0))
    emit_json(payload) if args.json else _print_transfer(payload)
    print(f"wrote {path}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------------------------------- register
def register(top) -> None:
    """Add ``theory svm``, ``theory finite`` and ``theory transfer`` to the ``tradeoff`` command."""
    sub = group(top, "theory", "the paper's theory on D(d, p, eta), computed exactly")

    svm = sub.add_parser("svm", help="Theorem 2: population SVM and logistic minimisers, Lemmas D.1-D.5",
                         description="Theorem 2 (PAPER.md 4): the population soft-margin SVM on D, standard and "
                         "l_inf-adversarial, with lambda tuned so ||w*||_2 = 1; Lemmas D.1-D.5, the side condition "
                         "eps_train < 2p - 1, and the same study with logistic loss. "
                         "Writes <build>/results/theory/svm.json.")
    _add_distribution_options(svm)
    svm.add_argument("--eps-train", default=None, help="adversarial training radius (number or Keta; default 2eta)")
    svm.add_argument("--eps", default=None, help="evaluation radius (number or e.g. 2eta; default 2eta)")
    svm.add_argument("--seed", default="0", help="seed of the random start of the general-w (Lemma D.1) check")
    svm.add_argument("--no-general-check", action="store_true", help="skip the general-w minimisation of Lemma D.1")
    svm.set_defaults(func=cmd_svm)

    fin = sub.add_parser("finite", help="finite-sample curve: standard/robust accuracy of learned rules against n",
                         description="Finite samples (beyond the paper): standard and l_inf-adversarially trained "
                         "linear rules learned from n samples of D, with exact standard and robust accuracy against n. "
                         "Writes <build>/results/theory/finite_sample.json and figures/theory_finite_sample.png.")
    _add_distribution_options(fin)
    fin.add_argument("--eps-train", default="0,eta,2eta", help="training radii, comma-separated (default 0,eta,2eta)")
    fin.add_argument("--eps", default=None, help="evaluation radius (default 2eta)")
    fin.add_argument("--n-min", default="10", help="smallest training set (default 10)")
    fin.add_argument("--n-max", default="3000", help="largest training set (default 3000)")
    fin.add_argument("--per-decade", default="2", help="sizes per factor 10 (default 2)")
    fin.add_argument("--seeds", default="3", help="number of seeds (default 3)")
    fin.add_argument("--seed", default="0", help="first seed (default 0)")
    fin.add_argument("--loss", default="logistic", help="logistic or squared_hinge (default logistic)")
    fin.add_argument("--ridge", default="1e-3", help="ridge on w and b (default 1e-3)")
    fin.set_defaults(func=cmd_finite)

    tr = sub.add_parser("transfer", help="claim 4: the -2 eta y shift fools independently trained standard models",
                        description="Claim 4 (PAPER.md 7): the fixed shift x_i -> x_i - 2 eta y of every weak "
                        "feature fools standard linear models trained on independent samples. Writes "
                        "<build>/results/theory/transfer.json.")
    _add_distribution_options(tr)
    tr.add_argument("--n-models", default="5", help="independently trained models (default 5)")
    tr.add_argument("--n-train", default="1000", help="training samples per model (default 1000)")
    tr.add_argument("--n-test", default="10000", help="test points (default 10000)")
    tr.add_argument("--seed", default="0", help="seed (default 0)")
    tr.set_defaults(func=cmd_transfer)


# ------------------------------------------------------------------------------------------- steps of `theory all`
def _step_dist(args) -> tuple[int, float, float]:
    d = int(getattr(args, "d", DEFAULT_D) or DEFAULT_D)
    p = float(getattr(args, "p", DEFAULT_P) or DEFAULT_P)
    eta = getattr(args, "eta", None)
    eta = THEOREM2_ETA_SQRT_D / math.sqrt(d) if eta is None else float(eta)
    return d, p, eta


def svm_step(args) -> None:
    """Theorem 2 at the given (d, p) and eta raised to Theorem 2's 4/sqrt(d) if smaller (with a warning)."""
    d, p, eta = _step_dist(args)
    eta_min = THEOREM2_ETA_SQRT_D / math.sqrt(d)
    if eta < eta_min - 1e-12:
        warn(f"theory svm: Theorem 2 needs eta >= 4/sqrt(d) = {eta_min:.4g}; using it instead of eta = {eta:.4g}")
        eta = eta_min
    check_general = d <= GENERAL_CHECK_MAX_D
    if not check_general:
        warn(f"theory svm: skipping Lemma D.1's general-w check at d = {d} > {GENERAL_CHECK_MAX_D}")
    payload, path = run_svm(d, p, eta, seed=int(getattr(args, "seed", 0) or 0), check_general=check_general)
    emit_json(payload) if getattr(args, "json", False) else _print_svm(payload)
    print(f"wrote {path}", file=sys.stderr)


def finite_step(args) -> None:
    """A quick finite-sample curve: n = 10..1000 (2 per decade), eps_train in {0, eta, 2 eta}, one seed; robust
    accuracy at the namespace's ``eps`` when it has one, else 2 eta."""
    from tradeoff.theory.finite_sample import log_grid

    d, p, eta = _step_dist(args)
    seed = int(getattr(args, "seed", 0) or 0)
    # `theory all --eps` sets the evaluation radius (default 2 eta); the curve's robust accuracy is l_inf only
    eps_eval = getattr(args, "eps", None) if getattr(args, "norm", "inf") == "inf" else None
    payload, path, fig = run_finite(d, p, eta, log_grid(10, 1000, 2), [0.0, eta, 2 * eta], [seed], eps_eval)
    emit_json(payload) if getattr(args, "json", False) else _print_finite(payload)
    print(f"wrote {path} and {fig}", file=sys.stderr)


def transfer_step(args) -> None:
    """The transfer study at the command's defaults: 5 models trained on 1000 samples each, 10000 test points."""
    d, p, eta = _step_dist(args)
    payload, path = run_transfer(d, p, eta, seed=int(getattr(args, "seed", 0) or 0))
    emit_json(payload) if getattr(args, "json", False) else _print_transfer(payload)
    print(f"wrote {path}", file=sys.stderr)


ALL_STEPS = [svm_step, finite_step, transfer_step]
