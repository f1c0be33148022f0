"""``tradeoff theory averaging|bound|frontier|all``: the theory of D(d, p, eta) (PAPER.md §§2-3) as tables or JSON.

Each command computes, prints a table (``--json``: the payload as JSON) and writes its result file under
``<build>/results/theory/`` (kinds ``theory.averaging``, ``theory.bound``, ``theory.frontier``; reports/RESULTS.md).
``averaging`` and ``frontier`` also draw ``<build>/figures/theory_averaging.png`` and ``theory_frontier.png``.
``all`` runs the three, then every step of ``reports.cli.theory_svm.ALL_STEPS`` when that module exists.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time

import numpy as np

from ._base import UserError, emit_json, format_table, group

# Largest row (d + 1 float64 values) the Monte Carlo streams; beyond it, ask for --mc-samples 0.
MAX_MC_ROW_BYTES = 64 * 2**20


def _add_common(parser: argparse.ArgumentParser, mc_default: int = 100_000) -> None:
    parser.add_argument("--d", type=int, default=1000, help="number of weak features (default 1000)")
    parser.add_argument("--p", type=float, default=0.95, help="Pr[x_1 = y], in [0.5, 1] (default 0.95)")
    eta = parser.add_mutually_exclusive_group()
    eta.add_argument("--eta", type=float, default=None, help="weak features' mean shift (default 2/sqrt(d))")
    eta.add_argument("--eta-sqrt-d", type=float, default=None, help="give eta as eta*sqrt(d) instead (default 2)")
    parser.add_argument(
        "--eps",
        type=float,
        default=None,
        help="adversary's radius (default: Theorem 1's shift, 2*eta for l_inf, 2*eta*sqrt(d) for --norm 2)",
    )
    parser.add_argument("--norm", choices=("inf", "2"), default="inf", help="adversary's norm (default inf)")
    parser.add_argument(
        "--mc-samples",
        type=int,
        default=mc_default,
        help=f"Monte Carlo samples (default {mc_default}; 0 skips Monte Carlo)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of numpy.random.default_rng (default 0)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _add_also_eta(parser: argparse.ArgumentParser, default: list[float]) -> None:
    parser.add_argument(
        "--also-eta-sqrt-d", type=float, nargs="*", default=default, metavar="X",
        help=f"averaging classifier: also evaluate these eta*sqrt(d) (default {' '.join(map(str, default)) or 'none'})",
    )


def _resolve(args: argparse.Namespace):
    """Validate the common options (one-line UserError/ValueError on bad input); set args.eta and args.eps."""
    from tradeoff.theory.accuracy import check_eps
    from tradeoff.theory.distribution import FeatureDistribution

    if args.d is None or args.d < 1:
        raise UserError(f"--d must be a positive integer, got {args.d}")
    if args.eta is None:
        ets = 2.0 if getattr(args, "eta_sqrt_d", None) is None else args.eta_sqrt_d
        if not (math.isfinite(ets) and ets >= 0):
            raise UserError(f"--eta-sqrt-d must be a finite number >= 0, got {ets}")
        args.eta = ets / math.sqrt(args.d)
    dist = FeatureDistribution(args.d, args.p, args.eta)
    if not hasattr(args, "norm"):
        args.norm = "inf"
    if getattr(args, "eps", None) is None:  # Theorem 1's shift x_i -> x_i - 2 eta y, measured in the chosen norm
        args.eps = 2.0 * dist.eta * (1.0 if args.norm == "inf" else math.sqrt(dist.d))
    check_eps(args.eps)
    if getattr(args, "seed", 0) < 0:
        raise UserError(f"--seed must be an integer >= 0 (numpy.random.default_rng), got {args.seed}")
    if getattr(args, "mc_samples", 0) < 0:
        raise UserError(f"--mc-samples must be >= 0, got {args.mc_samples}")
    if args.mc_samples and 8 * dist.dim > MAX_MC_ROW_BYTES:
        raise UserError(f"--d {dist.d} is too large for Monte Carlo (one sample > 64 MiB); use --mc-samples 0")
    return dist


def _require_theorem1(dist, args: argparse.Namespace) -> None:
    """UserError unless Theorem 1 applies: p < 1 and the shift 2 eta y fits in the --eps ball of --norm."""
    from tradeoff.theory.theorem1 import theorem1_applies

    if not theorem1_applies(dist, args.eps, args.norm):
        need = "2*eta" if args.norm == "inf" else "2*eta*sqrt(d)"
        raise UserError(f"Theorem 1 needs --eps >= {need} (got {args.eps:.6g}); omit --eps for {need}")
    if dist.p >= 1.0:
        raise UserError("Theorem 1 needs --p < 1 (at p = 1 the robust feature alone is perfect)")


def _result_path(name: str):
    from tradeoff.data.paths import results_dir

    return results_dir() / "theory" / f"{name}.json"


def _write(name: str, kind: str, payload: dict, dist, seed: int, started: float, scale: str = "exact"):
    from tradeoff.data.io import write_result

    return write_result(
        _result_path(name),
        kind,
        payload,
        wall_time_s=time.perf_counter() - started,
        scale=scale,
        dataset=dist.label(),
        seeds=[int(seed)],
    )


def _emit(args, payload: dict, table: str, path) -> None:
    if args.json:
        emit_json(payload)
        print(f"wrote {path}", file=sys.stderr)
    else:
        print(table)
        print(f"wrote {path}")


def _interval_cell(iv: dict | None) -> str:
    if iv is None:
        return "(skipped)"
    return f"{iv['estimate']:.4f} [{iv['low']:.4f}, {iv['high']:.4f}]"


# ------------------------------------------------------------------------------------------------- averaging


def _averaging_setting(dist, eps: float, norm: str, mc_samples: int, seed: int) -> dict:
    """One setting of the averaging classifier: closed forms and (if ``mc_samples``) Monte Carlo intervals."""
    from tradeoff.theory.accuracy import averaging_accuracy
    from tradeoff.theory.montecarlo import LinearClassifier, estimate_accuracy

    std_mc = rob_mc = None
    if mc_samples:
        res = estimate_accuracy(
            LinearClassifier(np.r_[0.0, np.ones(dist.d)]),
            dist,
            mc_samples,
            np.random.default_rng(seed),
            eps=eps,
            norm=norm,
            progress=mc_samples * dist.dim > 10**8,
        )
        std_mc, rob_mc = res.standard.to_dict(), res.robust.to_dict()
    return {
        "d": dist.d,
        "p": dist.p,
        "eta": dist.eta,
        "eps": eps,
        "norm": norm,
        "eta_sqrt_d": dist.eta_sqrt_d,
        "standard_closed": averaging_accuracy(dist),
        "robust_closed": averaging_accuracy(dist, eps, norm),
        "standard_mc": std_mc,
        "robust_mc": rob_mc,
        "mc_samples": mc_samples,
        "seed": seed,
    }


def run_averaging(args: argparse.Namespace) -> int:
    """Averaging classifier sign(sum x_i): closed forms Phi(eta sqrt(d)) and Phi((eta - eps) sqrt(d)) vs Monte Carlo.
    ``--also-eta-sqrt-d`` adds settings (each at Theorem 1's radius 2 eta) stored under ``rows``, so that the paper's
    "> 99% standard, < 1% robust once eta sqrt(d) >= 3" is checked too."""
    from tradeoff.theory.accuracy import averaging_accuracy
    from tradeoff.theory.distribution import FeatureDistribution

    started = time.perf_counter()
    dist = _resolve(args)
    payload = _averaging_setting(dist, args.eps, args.norm, args.mc_samples, args.seed)
    std, rob, std_mc, rob_mc = (payload[k] for k in ("standard_closed", "robust_closed", "standard_mc", "robust_mc"))
    extra = []
    for i, ets in enumerate(getattr(args, "also_eta_sqrt_d", None) or []):
        if not (math.isfinite(ets) and ets >= 0):
            raise UserError(f"--also-eta-sqrt-d values must be finite numbers >= 0, got {ets}")
        other = FeatureDistribution(dist.d, dist.p, ets / math.sqrt(dist.d))
        radius = 2.0 * other.eta * (1.0 if args.norm == "inf" else math.sqrt(other.d))
        extra.append(_averaging_setting(other, radius, args.norm, args.mc_samples, args.seed + 1 + i))
    if extra:
        payload["rows"] = [dict(payload), *extra]
    path = _write("averaging", "theory.averaging", payload, dist, args.seed, started)
    from tradeoff.data.paths import figures_dir

    from ..figures.theory_frontier import draw_averaging

    curves = []  # closed forms for the computed settings and, for comparison, eta*sqrt(d) = 2, 3, 4
    for ets in sorted({round(r["eta_sqrt_d"], 9) for r in payload.get("rows") or [payload]} | {2.0, 3.0, 4.0}):
        other = FeatureDistribution(dist.d, dist.p, ets / math.sqrt(dist.d))
        grid = np.linspace(0.0, max(3.0 * other.eta, 1.5 * args.eps * other.eta / dist.eta, 1e-3), 121)
        curves.append({"eta_sqrt_d": ets, "eps": grid, "robust": averaging_accuracy(other, grid, args.norm)})
    draw_averaging(payload, curves, figures_dir() / "theory_averaging.png")
    rows = [
        {"accuracy": "standard", "closed form": std, "Monte Carlo [95% CI]": _interval_cell(std_mc)},
        {
            "accuracy": f"robust (eps={args.eps:.4g}, l_{args.norm})",
            "closed form": rob,
            "Monte Carlo [95% CI]": _interval_cell(rob_mc),
        },
    ]
    for r in extra:
        rows.append({"accuracy": f"standard, eta*sqrt(d)={r['eta_sqrt_d']:.4g}", "closed form": r["standard_closed"],
                     "Monte Carlo [95% CI]": _interval_cell(r["standard_mc"])})
        rows.append({"accuracy": f"robust (eps={r['eps']:.4g}), eta*sqrt(d)={r['eta_sqrt_d']:.4g}",
                     "closed form": r["robust_closed"], "Monte Carlo [95% CI]": _interval_cell(r["robust_mc"])})
    title = f"Averaging classifier sign(sum x_i) on D(d={dist.d}, p={dist.p:g}, eta*sqrt(d)={dist.eta_sqrt_d:.4g})"
    _emit(args, payload, title + "\n" + format_table(rows), path)
    return 0


# ------------------------------------------------------------------------------------------------- bound


def _exact_rules(dist, rng):
    """Named linear rules (w, b) whose accuracies are computed in closed form."""
    d = dist.d
    ones = np.ones(d)
    w_bayes, b_bayes = dist.bayes_weights()
    rules = {
        "averaging sign(sum x_i)": (np.r_[0.0, ones], 0.0),
        "robust feature sign(x_1)": (np.r_[1.0, np.zeros(d)], 0.0),
        "Bayes rule": (w_bayes, b_bayes),
    }
    for w1 in (1.0, 3.0):
        rules[f"symmetric w1={w1:g}, v=1"] = (np.r_[w1, ones / math.sqrt(d)], 0.0)
    w = rng.normal(size=d + 1) * 0.5 + np.r_[2.0, np.full(d, 1.0 / math.sqrt(d))]
    rules["random weights, bias 0.3"] = (w, 0.3)
    return rules


def _nonlinear_rules(dist, rng):
    """Named non-linear classifiers (scores) evaluated by Monte Carlo under the Theorem 1 adversary."""
    d = dist.d
    root = math.sqrt(d)
    w_hidden = rng.normal(size=(3, 8))
    b_hidden = rng.normal(size=8)
    w_out = rng.normal(size=8)

    def z(x):
        return x[:, 1:].sum(axis=1) / root

    def gated(x):
        zz = z(x)
        return np.where(np.abs(zz) > 2.0, zz, x[:, 0])

    def quadratic(x):
        zz = z(x)
        return x[:, 0] + 0.5 * zz * np.abs(zz)

    def vote(x):
        return np.sign(x[:, 0]) + np.sign(z(x)) + np.sign(x[:, 1])

    def net(x):
        feats = np.c_[x[:, 0], z(x), x[:, 1]]
        return np.tanh(feats @ w_hidden + b_hidden) @ w_out

    return {
        "gated (x_1 unless |z|>2)": gated,
        "quadratic x_1 + z|z|/2": quadratic,
        "vote of 3 signs": vote,
        "random tanh net": net,
    }


def run_bound(args: argparse.Namespace) -> int:
    """Theorem 1: robust <= p/(1-p) * delta for exact linear rules and Monte Carlo non-linear ones; tightness."""
    from tradeoff.theory.accuracy import linear_accuracy
    from tradeoff.theory.montecarlo import estimate_many
    from tradeoff.theory.theorem1 import check_theorem1, check_theorem1_interval, tight_point

    started = time.perf_counter()
    dist = _resolve(args)
    _require_theorem1(dist, args)
    rng = np.random.default_rng(args.seed)
    rows = []
    for name, (w, b) in _exact_rules(dist, rng).items():
        std = linear_accuracy(w, b, dist)
        rob = linear_accuracy(w, b, dist, args.eps, args.norm)
        c = check_theorem1(std, rob, dist.p)
        rows.append(
            {
                "name": name,
                "method": "exact",
                "standard": std,
                "robust": rob,
                "bound": c.bound,
                "holds": c.holds,
                "slack": c.slack,
            }
        )
    if args.mc_samples:
        results = estimate_many(
            _nonlinear_rules(dist, rng), dist, args.mc_samples, rng, attack="theorem1", eps=args.eps, norm=args.norm
        )
        for name, res in results.items():
            s, r = res.standard.to_dict(), res.robust.to_dict()
            c = check_theorem1_interval(s, r, dist.p)
            rows.append(
                {
                    "name": name,
                    "method": "monte carlo, Theorem 1 adversary",
                    "standard": s,
                    "robust": r,
                    "bound": c.bound,
                    "holds": c.holds,
                    "slack": c.slack,
                }
            )
    t = tight_point(dist, args.eps, args.norm)
    payload = {
        "d": dist.d,
        "p": dist.p,
        "eta": dist.eta,
        "eps": args.eps,
        "norm": args.norm,
        "classifiers": rows,
        "all_hold": all(r["holds"] for r in rows),
        "tight": t.to_dict(),
        "mc_samples": args.mc_samples,
        "seed": args.seed,
    }
    path = _write("bound", "theory.bound", payload, dist, args.seed, started)

    def cell(v):
        return _interval_cell(v) if isinstance(v, dict) else float(v)

    table_rows = [
        {
            "classifier": r["name"],
            "standard": cell(r["standard"]),
            "robust": cell(r["robust"]),
            "bound p/(1-p)*delta": r["bound"],
            "holds": "yes" if r["holds"] else "NO",
        }
        for r in rows
    ]
    text = (
        f"Theorem 1 on D(d={dist.d}, p={dist.p:g}, eta*sqrt(d)={dist.eta_sqrt_d:.4g}), eps={args.eps:.4g} "
        f"(l_{args.norm}): robust <= {dist.p / (1 - dist.p):.4g} * delta\n"
        + format_table(table_rows)
        + f"\nall hold: {'yes' if payload['all_hold'] else 'NO'}; tight at delta=1-p={t.delta:.4g}: sign(x_1) "
        f"standard {t.standard:.4f}, robust {t.robust:.4f}, bound {t.bound:.4f}, gap {t.gap:.2e}"
    )
    _emit(args, payload, text, path)
    return 0


# ------------------------------------------------------------------------------------------------- frontier


def run_frontier(args: argparse.Namespace) -> int:
    """The trade-off frontier at eps: Theorem 1's line, its cap, mixtures, best linear rules; table, file, figure."""
    from tradeoff.data.paths import figures_dir
    from tradeoff.theory.frontier import default_deltas, tradeoff_frontier

    from ..figures.theory_frontier import draw_frontier

    started = time.perf_counter()
    dist = _resolve(args)
    _require_theorem1(dist, args)
    points = getattr(args, "points", 61)
    if not 2 <= points <= 10_001:
        raise UserError(f"--points must be between 2 and 10001, got {points}")
    f = tradeoff_frontier(dist, args.eps, args.norm, default_deltas(dist, points))
    payload = f.to_payload()
    path = _write("frontier", "theory.frontier", payload, dist, args.seed, started)
    fig = draw_frontier(payload, figures_dir() / "theory_frontier.png")
    step = max(1, len(f.delta) // 12)
    idx = sorted(set(range(0, len(f.delta), step)) | {len(f.delta) - 1, int(np.argmin(np.abs(f.delta - (1 - f.p))))})
    rows = [
        {
            "delta": f.delta[i],
            "standard 1-delta": 1 - f.delta[i],
            "Thm 1 line": f.theorem1[i],
            "upper (cap p)": f.upper[i],
            "reached (mixtures)": f.exact[i],
            "mixture x_1/Bayes": f.mixture["robust"][i],
            "best linear": f.linear[i],
            "symmetric (w1,v)": f.linear_symmetric[i],
        }
        for i in idx
    ]
    text = (
        f"Trade-off frontier of D(d={dist.d}, p={dist.p:g}, eta*sqrt(d)={dist.eta_sqrt_d:.4g}) at eps={f.eps:.4g} "
        f"(l_{f.norm}); robust accuracy for standard accuracy >= 1 - delta\n"
        + format_table(rows)
        + f"\nBayes standard accuracy {f.bayes_standard:.4f}; largest gap upper - reached {f.gap:.4f}; "
        f"figure {fig}"
    )
    _emit(args, payload, text, path)
    return 0


# ------------------------------------------------------------------------------------------------- all


def run_all(args: argparse.Namespace) -> int:
    """averaging, bound, frontier, then reports.cli.theory_svm.ALL_STEPS (if that module exists)."""
    _resolve(args)
    for step in (run_averaging, run_bound, run_frontier):
        step(args)
    try:
        svm = importlib.import_module("tradeoff.reports.cli.theory_svm")
    except ModuleNotFoundError as e:
        if e.name != "tradeoff.reports.cli.theory_svm":
            raise
        return 0
    for step in getattr(svm, "ALL_STEPS", []):
        step(args)
    return 0


def register(top: argparse._SubParsersAction) -> None:
    """Add ``tradeoff theory averaging|bound|frontier|all``."""
    sub = group(top, "theory", "The theory of D(d, p, eta): closed forms, Theorem 1, frontier, SVM (PAPER.md 2-4)")
    p = sub.add_parser(
        "averaging", help="averaging classifier: closed form vs Monte Carlo", description=run_averaging.__doc__
    )
    _add_common(p)
    _add_also_eta(p, default=[])
    p.set_defaults(func=run_averaging)
    p = sub.add_parser(
        "bound", help="Theorem 1's bound for many classifiers and its tight point", description=run_bound.__doc__
    )
    _add_common(p, mc_default=20_000)
    p.set_defaults(func=run_bound)
    p = sub.add_parser(
        "frontier",
        help="exact trade-off frontier and best linear rules; draws the figure",
        description=run_frontier.__doc__,
    )
    _add_common(p)
    p.add_argument("--points", type=int, default=61, help="number of delta values (default 61)")
    p.set_defaults(func=run_frontier)
    p = sub.add_parser("all", help="averaging, bound, frontier and the SVM steps", description=run_all.__doc__)
    _add_common(p, mc_default=20_000)
    p.add_argument("--points", type=int, default=61, help="number of delta values for the frontier (default 61)")
    _add_also_eta(p, default=[3.0, 4.0])
    p.set_defaults(func=run_all)
