"""``tradeoff theory averaging|bound|frontier|svm|finite|transfer|all``: the theory of D(d, p, eta) (docs/paper.md
§§2-4) as tables or JSON.

Every command takes the distribution options of :func:`add_distribution_options` (``--d``, ``--p``, ``--eta`` or
``--eta-sqrt-d``; one default, eta = 4/sqrt(d), the smallest eta Theorem 2 assumes, at which the averaging
classifier's 99% / 1% statement holds too). Each command parses its options into a study definition
(theory.studies: the settings, checked when made), runs it, writes its result file under ``<build>/results/theory/``
(data.study; kinds ``theory.averaging``, ``theory.bound``, ``theory.frontier``, ``theory.svm``,
``theory.finite_sample``, ``theory.transfer``; reports/RESULTS.md), draws the figures of that file
(reports.figures.results: ``averaging``, ``frontier`` and ``finite`` have one under ``<build>/figures/``) and prints a
table (``--json``: the payload). ``all`` runs the six steps in that order.
"""

from __future__ import annotations

import argparse
import contextvars
import functools
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tradeoff.data.study import Study, StudyResult
from tradeoff.theory import studies as S
from tradeoff.theory.distribution import FeatureDistribution

from ._base import UserError, emit_json, format_table, group, ready, warn
from ._options import EtaRadius as Radius
from ._options import Integer, Number
from ._options import eta_radius_list as radius_list
from ._publish import announce, outputs, publish

DEFAULT_D = 1000
DEFAULT_P = 0.95
DEFAULT_ETA_SQRT_D = 4.0  # one default for every theory command: Theorem 2's smallest eta, 4/sqrt(d)
THEOREM2_ETA_SQRT_D = 4.0  # Theorem 2 assumes eta >= 4/sqrt(d)
#: the largest --d: d enters the closed forms as a float, exact up to 2**53
MAX_D = 2**53
#: the largest seed (numpy's and torch's generators take it)
MAX_SEED = 2**63 - 1
ETA_HELP = f"default {DEFAULT_ETA_SQRT_D:g}/sqrt(d) for every theory command, Theorem 2's smallest eta"


# ----------------------------------------------------------------------------------------------- options
def add_distribution_options(parser: argparse.ArgumentParser) -> None:
    """--d, --p, --eta | --eta-sqrt-d (the distribution D(d, p, eta)) and --json; resolved by :func:`distribution`."""
    parser.add_argument("--d", type=Integer(1, MAX_D), default=DEFAULT_D,
                        help=f"number of weak features, 1 to 2**53 (default {DEFAULT_D})")
    parser.add_argument("--p", type=Number(0.5, 1.0), default=DEFAULT_P,
                        help=f"Pr[x_1 = y], in [1/2, 1] (default {DEFAULT_P})")
    eta = parser.add_mutually_exclusive_group()
    eta.add_argument("--eta", type=Number(0.0), default=None, help=f"weak features' mean shift ({ETA_HELP})")
    eta.add_argument("--eta-sqrt-d", type=Number(0.0), default=None,
                     help=f"give eta as eta*sqrt(d) instead (default {DEFAULT_ETA_SQRT_D:g})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of tables")


def distribution(args: argparse.Namespace) -> FeatureDistribution:
    """D(d, p, eta) from the options of :func:`add_distribution_options`; a one-line error naming the option."""
    if args.eta is not None:
        eta, option = args.eta, "--eta"
    else:
        ets = DEFAULT_ETA_SQRT_D if args.eta_sqrt_d is None else args.eta_sqrt_d
        eta, option = ets / math.sqrt(args.d), "--eta-sqrt-d"
    if not (math.isfinite(eta) and eta >= 0):
        raise UserError(f"{option} must be a finite number >= 0, got {args.eta if args.eta is not None else ets}")
    return FeatureDistribution(args.d, args.p, eta)


def _add_eps(parser: argparse.ArgumentParser, what: str = "adversary's radius", with_norm: bool = True) -> None:
    default = "Theorem 1's shift, 2*eta for l_inf, 2*eta*sqrt(d) for --norm 2" if with_norm else "2eta, l_inf"
    parser.add_argument("--eps", type=Radius, default=None, metavar="EPS",
                        help=f"{what}: a number or a multiple of eta such as 2eta (default {default})")


def _add_norm(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--norm", choices=("inf", "2"), default="inf", help="adversary's norm (default inf)")


def _add_mc(parser: argparse.ArgumentParser, default: int) -> None:
    parser.add_argument("--mc-samples", type=Integer(0, S.MAX_MC_SAMPLES), default=default,
                        help=f"Monte Carlo samples (default {default}; 0 skips Monte Carlo)")


def _add_seed(parser: argparse.ArgumentParser, what: str = "seed of numpy.random.default_rng") -> None:
    parser.add_argument("--seed", type=Integer(0, MAX_SEED), default=0, help=f"{what} (default 0)")


def _add_also_eta(parser: argparse.ArgumentParser, default: list[float]) -> None:
    parser.add_argument(
        "--also-eta-sqrt-d", type=Number(0.0), nargs="*", default=default, metavar="X",
        help=f"averaging classifier: also evaluate these eta*sqrt(d) (default {' '.join(map(str, default)) or 'none'})",
    )


def _add_points(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--points", type=Integer(2, 10_001), default=61,
                        help="number of delta values of the frontier, 2 to 10001 (default 61)")


def _eps(args: argparse.Namespace, dist: FeatureDistribution, norm: str = "inf") -> float:
    """--eps resolved (default Theorem 1's radius in ``norm``)."""
    from tradeoff.theory.averaging import theorem1_radius

    return theorem1_radius(dist, norm) if args.eps is None else args.eps.resolve(dist.eta)


# ----------------------------------------------------------------------------------------------- output
#: set by :func:`_command` under --dry-run: the steps make (and so check) their studies but run none
_DRY_RUN: contextvars.ContextVar[bool] = contextvars.ContextVar("theory_dry_run", default=False)


def _command(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A theory command: every study it makes is checked when made; under --dry-run none is run and the command
    stops (reports.cli._base.ready) once all of them were made."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        token = _DRY_RUN.set(bool(getattr(args, "dry_run", False)))
        try:
            rc = func(args)
        finally:
            _DRY_RUN.reset(token)
        ready(args, f"theory {func.__name__.removeprefix('cmd_')}")
        return rc

    return run


def _execute(study: Study, as_json: bool, text: Callable[[dict], str]) -> Path:
    """Run ``study`` and :func:`_publish` its result (under --dry-run: neither; the file it would write)."""
    if _DRY_RUN.get():
        return Path()
    return _publish(study.run(), as_json, text)


def _publish(result: StudyResult, as_json: bool, text: Callable[[dict], str]) -> Path:
    """Stage the result file and that file's figures (reports.cli._publish: they replace the earlier ones only when
    the whole command succeeds), print the table (``text(payload)``) or the payload as JSON, and the files the
    command wrote once it succeeded (on stderr with --json). Returns the result file's final path."""
    with outputs():
        path, figures = publish(result)
        if as_json:
            emit_json(result.payload)
        else:
            print(text(result.payload))
        announce("wrote " + " and ".join(str(p) for p in (path, *figures)), to_stderr=as_json)
    return path


def _interval_cell(iv: dict | None) -> str:
    if iv is None:
        return "(skipped)"
    return f"{iv['estimate']:.4f} [{iv['low']:.4f}, {iv['high']:.4f}]"


def _fmt(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


# ----------------------------------------------------------------------------------------------- steps
def averaging_step(dist: FeatureDistribution, eps: float, norm: str = "inf", mc_samples: int = 100_000,
                   seed: int = 0, also_eta_sqrt_d: list[float] = (), as_json: bool = False) -> Path:
    """``tradeoff theory averaging``: the averaging classifier's study (theory.studies.AveragingStudy)."""
    study = S.AveragingStudy(dist, eps, norm, mc_samples, seed, tuple(also_eta_sqrt_d))

    def text(payload: dict) -> str:
        rows = []
        for i, r in enumerate(payload.get("rows", [payload])):
            tag = f", eta*sqrt(d)={r['eta_sqrt_d']:.4g}" if i else ""
            rows.append({"accuracy": f"standard{tag}", "closed form": r["standard_closed"],
                         "Monte Carlo [95% CI]": _interval_cell(r["standard_mc"])})
            rows.append({"accuracy": f"robust (eps={r['eps']:.4g}, l_{norm}){tag}", "closed form": r["robust_closed"],
                         "Monte Carlo [95% CI]": _interval_cell(r["robust_mc"])})
        return (f"Averaging classifier sign(sum x_i) on D(d={dist.d}, p={dist.p:g}, "
                f"eta*sqrt(d)={dist.eta_sqrt_d:.4g})\n" + format_table(rows))

    return _execute(study, as_json, text)


def bound_step(dist: FeatureDistribution, eps: float, norm: str = "inf", mc_samples: int = 20_000, seed: int = 0,
               as_json: bool = False) -> Path:
    """``tradeoff theory bound``: Theorem 1 on many classifiers and its tight point (theory.studies.BoundStudy)."""
    study = S.BoundStudy(dist, eps, norm, mc_samples, seed)

    def cell(v):
        return _interval_cell(v) if isinstance(v, dict) else float(v)

    def text(payload: dict) -> str:
        rows = [{"classifier": r["name"], "standard": cell(r["standard"]), "robust": cell(r["robust"]),
                 "bound p/(1-p)*delta": r["bound"], "holds": "yes" if r["holds"] else "NO"}
                for r in payload["classifiers"]]
        t, sym = payload["tight"], payload["symbolic"]
        return (
            f"Theorem 1 on D(d={dist.d}, p={dist.p:g}, eta*sqrt(d)={dist.eta_sqrt_d:.4g}), eps={eps:.4g} "
            f"(l_{norm}): robust <= {dist.p / (1 - dist.p):.4g} * delta\n" + format_table(rows)
            + f"\nall hold: {'yes' if payload['all_hold'] else 'NO'}; tight at delta=1-p={t['delta']:.4g}: sign(x_1) "
            f"standard {t['standard']:.4f}, robust {t['robust']:.4f}, bound {t['bound']:.4f}, gap {t['gap']:.2e}"
            f"\nsymbolic proof (sympy, Appendix C): slack = {sym['slack']} >= 0 for p >= 1/2: "
            f"{'identities hold' if sym['identities_hold'] else 'identities do NOT hold'}"
        )

    return _execute(study, as_json, text)


def frontier_step(dist: FeatureDistribution, eps: float, norm: str = "inf", points: int = 61, seed: int = 0,
                  as_json: bool = False) -> Path:
    """``tradeoff theory frontier``: the trade-off frontier at eps (theory.studies.FrontierStudy)."""
    study = S.FrontierStudy(dist, eps, norm, points, seed)

    def text(f: dict) -> str:
        col = {k: np.asarray(f[k], dtype=float) for k in ("delta", "theorem1", "upper", "exact", "linear",
                                                           "linear_symmetric")}
        mixture = np.asarray(f["mixture"]["robust"], dtype=float)
        delta = col["delta"]
        step = max(1, len(delta) // 12)
        idx = sorted(set(range(0, len(delta), step)) | {len(delta) - 1,
                                                         int(np.argmin(np.abs(delta - (1 - f["p"]))))})
        rows = [{"delta": delta[i], "standard 1-delta": 1 - delta[i], "Thm 1 line": col["theorem1"][i],
                 "upper (cap p)": col["upper"][i], "reached (mixtures)": col["exact"][i],
                 "mixture x_1/Bayes": mixture[i], "best linear": col["linear"][i],
                 "symmetric (w1,v)": col["linear_symmetric"][i]} for i in idx]
        return (
            f"Trade-off frontier of D(d={dist.d}, p={dist.p:g}, eta*sqrt(d)={dist.eta_sqrt_d:.4g}) at "
            f"eps={f['eps']:.4g} (l_{f['norm']}); robust accuracy for standard accuracy >= 1 - delta\n"
            + format_table(rows)
            + f"\nBayes standard accuracy {f['bayes_standard']:.4f}; largest gap upper - reached {f['gap']:.4f}"
        )

    return _execute(study, as_json, text)


def svm_step(dist: FeatureDistribution, eps_train: float | None = None, eps_eval: float | None = None,
             seed: int = 0, check_general: bool = True, as_json: bool = False) -> Path:
    """``tradeoff theory svm``: Theorem 2 for hinge and logistic loss (theory.studies.SvmStudy)."""
    return _execute(S.SvmStudy(dist, eps_train, eps_eval, seed, check_general), as_json, _svm_text)


def _svm_text(payload: dict) -> str:
    lines = [f"Theorem 2 on D(d={payload['d']}, p={payload['p']:g}, eta={payload['eta']:.4g} = "
             f"{payload['eta_sqrt_d']:.3g}/sqrt(d)); eps_train={payload['eps_train']:.4g}, "
             f"eps_eval={payload['eps_eval']:.4g}"]
    rows = []
    for loss, block in (("hinge", payload), ("logistic", payload["logistic"])):
        for kind in ("standard", "adversarial"):
            s = block[kind]
            rows.append({"model": kind, "loss": loss, "lam": s["lam"], "w1": s["w1"], "v": s["v"],
                         "norm": s["weight_norm"], "standard": s["standard_acc"], "robust": s["robust_acc"],
                         "note": "constant rule" if s["constant"] else ("" if s["converged"] else s["message"])})
    lemmas = [{"lemma": k, "hinge": _fmt(payload["lemmas"][k]["value"]), "holds": payload["lemmas"][k]["holds"],
               "logistic": _fmt(payload["logistic"]["lemmas"][k]["value"]),
               "holds ": payload["logistic"]["lemmas"][k]["holds"], "statement": payload["lemmas"][k]["statement"]}
              for k in sorted(payload["lemmas"])]
    failed = [k for k, v in payload["assumptions"].items() if not v]
    sym = payload["symbolic"]
    checked = [k for k, m in sym["models"].items() if m["checked"]]
    lines += [format_table(rows), "", format_table(lemmas), "",
              f"side condition: {payload['side_condition']['message']}",
              "theorem hypotheses: " + ("all hold" if not failed else "NOT met: " + ", ".join(failed)),
              f"logistic loss shows the same pattern: {payload['logistic']['pattern_holds']}",
              "symbolic check (sympy-derived accuracies of sign(w1 x_1 + v/sqrt(d) sum x_i), docs/paper.md §2): "
              + (f"{', '.join(checked)}: largest difference {sym['max_abs_difference']:.2e} "
                 f"({'agrees' if sym['agrees'] else 'DOES NOT agree'} within {sym['tolerance']:g})" if checked
                 else "no model with v > 0 to check")]
    return "\n".join(lines)


def finite_step(dist: FeatureDistribution, ns: list[int], eps_trains: list[float], seeds: list[int],
                eps_eval: float | None = None, loss: str = "logistic", ridge: float = 1e-3,
                as_json: bool = False) -> Path:
    """``tradeoff theory finite``: the finite-sample curve (theory.studies.FiniteSampleStudy), with a progress bar."""
    from tqdm import tqdm

    study = S.FiniteSampleStudy(dist, tuple(ns), tuple(eps_trains), tuple(seeds), eps_eval, loss, ridge)

    def text(payload: dict) -> str:
        table = []
        for eps_train in payload["eps_trains"]:
            for n in payload["ns"]:
                sel = [r for r in payload["rows"] if r["n"] == n and r["eps_train"] == eps_train]
                table.append({"eps_train": eps_train, "n": n,
                              "standard": sum(r["standard_acc"] for r in sel) / len(sel),
                              "robust": sum(r["robust_acc"] for r in sel) / len(sel),
                              "|w_weak|": sum(r["weak_weight_norm"] for r in sel) / len(sel)})
        return (f"finite samples on D(d={dist.d}, p={dist.p:g}, eta={dist.eta:.4g}), {loss} loss, ridge {ridge:g}; "
                f"exact accuracies, robust at eps={payload['eps_eval']:.4g}; mean over {len(seeds)} seed(s)\n"
                + format_table(table))

    if _DRY_RUN.get():
        return Path()
    with tqdm(total=study.n_fits, desc="finite-sample fits", file=sys.stderr, leave=False) as bar:
        result = study.run(on_row=lambda r: bar.update(1))
    return _publish(result, as_json, text)


def transfer_step(dist: FeatureDistribution, n_models: int = 5, n_train: int = 1000, n_test: int = 10000,
                  seed: int = 0, as_json: bool = False) -> Path:
    """``tradeoff theory transfer``: claim 4, the -2 eta y shift across standard models
    (theory.studies.TransferStudy)."""
    study = S.TransferStudy(dist, n_models, n_train, n_test, seed)

    def text(payload: dict) -> str:
        f = payload["fooled_fraction"]
        rows = [{"model": m["model"], "clean_acc": m["clean_acc"], "fooled": m["fooled_fraction"]["estimate"],
                 "low": m["fooled_fraction"]["low"], "high": m["fooled_fraction"]["high"], "exact": m["fooled_exact"]}
                for m in payload["per_model"]]
        rows.append({"model": "pooled", "fooled": f["estimate"], "low": f["low"], "high": f["high"]})
        return (f"shift x_i -> x_i - 2 eta y (l_inf size {payload['eps']:.4g}) on {n_test} test points of "
                f"D(d={dist.d}, p={dist.p:g}, eta={dist.eta:.4g}); {n_models} standard models, each trained on "
                f"{n_train} independent samples\n" + format_table(rows))

    return _execute(study, as_json, text)


# ----------------------------------------------------------------------------------------------- commands
@_command
def cmd_averaging(args: argparse.Namespace) -> int:
    """``tradeoff theory averaging``."""
    dist = distribution(args)
    averaging_step(dist, _eps(args, dist, args.norm), args.norm, args.mc_samples, args.seed,
                   args.also_eta_sqrt_d or [], args.json)
    return 0


@_command
def cmd_bound(args: argparse.Namespace) -> int:
    """``tradeoff theory bound``."""
    dist = distribution(args)
    bound_step(dist, _eps(args, dist, args.norm), args.norm, args.mc_samples, args.seed, args.json)
    return 0


@_command
def cmd_frontier(args: argparse.Namespace) -> int:
    """``tradeoff theory frontier``."""
    dist = distribution(args)
    frontier_step(dist, _eps(args, dist, args.norm), args.norm, args.points, args.seed, args.json)
    return 0


@_command
def cmd_svm(args: argparse.Namespace) -> int:
    """``tradeoff theory svm``."""
    dist = distribution(args)
    eps_train = None if args.eps_train is None else args.eps_train.resolve(dist.eta)
    svm_step(dist, eps_train, _eps(args, dist), args.seed, not args.no_general_check, args.json)
    return 0


@_command
def cmd_finite(args: argparse.Namespace) -> int:
    """``tradeoff theory finite``: the sizes from --n-min, --n-max, --per-decade."""
    from tradeoff.theory.finite_sample import log_grid

    dist = distribution(args)
    if args.n_max < args.n_min:
        raise UserError(f"--n-max ({args.n_max}) must be >= --n-min ({args.n_min})")
    finite_step(dist, log_grid(args.n_min, args.n_max, args.per_decade), [r.resolve(dist.eta) for r in args.eps_train],
                list(range(args.seed, args.seed + args.seeds)), _eps(args, dist), args.loss, args.ridge, args.json)
    return 0


@_command
def cmd_transfer(args: argparse.Namespace) -> int:
    """``tradeoff theory transfer``."""
    dist = distribution(args)
    transfer_step(dist, args.n_models, args.n_train, args.n_test, args.seed, args.json)
    return 0


@_command
def cmd_all(args: argparse.Namespace) -> int:
    """Every step at one D(d, p, eta): averaging, bound, frontier at --eps / --norm; Theorem 2 (eta raised to
    4/sqrt(d) when smaller, with a warning); a quick finite-sample curve (n = 10..1000, eps_train 0, eta, 2 eta, one
    seed; robust accuracy at --eps for l_inf, else 2 eta); the transfer study at its defaults. The six result files
    replace the earlier ones together, once every step succeeded."""
    dist = distribution(args)
    eps = _eps(args, dist, args.norm)
    S.check_mc(dist, args.mc_samples)
    S.require_theorem1(dist, eps, args.norm)
    with outputs():  # the six result files replace the earlier ones together, once every step succeeded
        _all_steps(args, dist, eps)
    return 0


def _all_steps(args: argparse.Namespace, dist: FeatureDistribution, eps: float) -> None:
    from tradeoff.theory.finite_sample import log_grid

    averaging_step(dist, eps, args.norm, args.mc_samples, args.seed, args.also_eta_sqrt_d or [], args.json)
    bound_step(dist, eps, args.norm, args.mc_samples, args.seed, args.json)
    frontier_step(dist, eps, args.norm, args.points, args.seed, args.json)

    svm_dist = dist
    eta_min = THEOREM2_ETA_SQRT_D / math.sqrt(dist.d)
    if dist.eta < eta_min - 1e-12:
        warn(f"theory svm: Theorem 2 needs eta >= 4/sqrt(d) = {eta_min:.4g}; using it instead of eta = {dist.eta:.4g}")
        svm_dist = FeatureDistribution(dist.d, dist.p, eta_min)
    check_general = dist.d <= S.GENERAL_CHECK_MAX_D
    if not check_general:
        warn(f"theory svm: skipping Lemma D.1's general-w check at d = {dist.d} > {S.GENERAL_CHECK_MAX_D}")
    svm_step(svm_dist, seed=args.seed, check_general=check_general, as_json=args.json)

    eta = dist.eta
    finite_step(dist, log_grid(10, 1000, 2), [0.0, eta, 2 * eta], [args.seed],
                eps if args.norm == "inf" else None, as_json=args.json)
    transfer_step(dist, seed=args.seed, as_json=args.json)


# ----------------------------------------------------------------------------------------------- register
def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff theory averaging|bound|frontier|svm|finite|transfer|all``."""
    sub = group(top, "theory", "the paper's theory on D(d, p, eta), computed exactly: closed forms, Theorem 1, the "
                               "frontier, Theorem 2, finite samples, transfer (docs/paper.md §§2-4)")

    def command(name: str, help: str, description: str, func) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=description)
        add_distribution_options(p)
        p.set_defaults(func=func)
        return p

    p = command("averaging", "averaging classifier: closed form vs Monte Carlo",
                "The averaging classifier sign(sum x_i): closed forms Phi(eta sqrt(d)) and Phi((eta - eps) sqrt(d)) "
                "against Monte Carlo; --also-eta-sqrt-d adds settings (each at Theorem 1's radius), so that '> 99% "
                "standard, < 1% robust once eta sqrt(d) >= 3' is checked too. Writes "
                "<build>/results/theory/averaging.json and figures/theory_averaging.png.", cmd_averaging)
    _add_eps(p), _add_norm(p), _add_mc(p, 100_000), _add_seed(p), _add_also_eta(p, default=[])

    p = command("bound", "Theorem 1's bound for many classifiers and its tight point",
                "Theorem 1: robust <= p/(1-p) * delta for exact linear rules and Monte Carlo non-linear ones, and "
                "its tight point delta = 1 - p. Writes <build>/results/theory/bound.json.", cmd_bound)
    _add_eps(p), _add_norm(p), _add_mc(p, 20_000), _add_seed(p)

    p = command("frontier", "exact trade-off frontier and best linear rules; draws the figure",
                "The trade-off frontier at eps: Theorem 1's line, its cap, mixtures, the best linear rules. Writes "
                "<build>/results/theory/frontier.json and figures/theory_frontier.png.", cmd_frontier)
    _add_eps(p), _add_norm(p), _add_points(p), _add_seed(p)

    p = command("svm", "Theorem 2: population SVM and logistic minimisers, Lemmas D.1-D.5",
                "Theorem 2: the population soft-margin SVM on D, standard and l_inf-adversarial, with lambda tuned "
                "so ||w*||_2 = 1; Lemmas D.1-D.5, the side condition eps_train < 2p - 1, and the same study with "
                "logistic loss. Writes <build>/results/theory/svm.json.", cmd_svm)
    p.add_argument("--eps-train", type=Radius, default=None, metavar="EPS",
                   help="adversarial training radius: a number or a multiple of eta such as 2eta (default 2eta)")
    _add_eps(p, "evaluation radius", with_norm=False)
    _add_seed(p, "seed of the random start of the general-w (Lemma D.1) check")
    p.add_argument("--no-general-check", action="store_true", help="skip the general-w minimisation of Lemma D.1")

    p = command("finite", "finite-sample curve: standard/robust accuracy of learned rules against n",
                "Finite samples (beyond the paper): standard and l_inf-adversarially trained linear rules learned "
                "from n samples of D, with exact standard and robust accuracy against n. Writes "
                "<build>/results/theory/finite_sample.json and figures/theory_finite_sample.png.", cmd_finite)
    p.add_argument("--eps-train", type=radius_list, default="0,eta,2eta", metavar="LIST",
                   help="training radii, comma-separated (default 0,eta,2eta)")
    _add_eps(p, "evaluation radius", with_norm=False)
    p.add_argument("--n-min", type=Integer(1), default=10, help="smallest training set (default 10)")
    p.add_argument("--n-max", type=Integer(1), default=3000, help="largest training set (default 3000)")
    p.add_argument("--per-decade", type=Integer(1, 100), default=2, help="sizes per factor 10, 1 to 100 (default 2)")
    p.add_argument("--seeds", type=Integer(1, 1000), default=3, help="number of seeds, 1 to 1000 (default 3)")
    _add_seed(p, "first seed")
    p.add_argument("--loss", choices=("logistic", "squared_hinge"), default="logistic",
                   help="training loss (default logistic)")
    p.add_argument("--ridge", type=Number(0.0, low_open=True), default=1e-3,
                   help="ridge on w and b, > 0 (default 1e-3)")

    p = command("transfer", "claim 4: the -2 eta y shift fools independently trained standard models",
                "Claim 4: the fixed shift x_i -> x_i - 2 eta y of every weak feature fools standard linear models "
                "trained on independent samples. Writes <build>/results/theory/transfer.json.", cmd_transfer)
    p.add_argument("--n-models", type=Integer(1, 1000), default=5,
                   help="independently trained models, 1 to 1000 (default 5)")
    p.add_argument("--n-train", type=Integer(1), default=1000, help="training samples per model (default 1000)")
    p.add_argument("--n-test", type=Integer(1), default=10000, help="test points (default 10000)")
    _add_seed(p)

    p = command("all", "every theory step: averaging, bound, frontier, svm, finite, transfer", cmd_all.__doc__,
                cmd_all)
    _add_eps(p), _add_norm(p), _add_mc(p, 20_000), _add_seed(p), _add_points(p)
    _add_also_eta(p, default=[2.0, 3.0])
