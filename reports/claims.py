"""The 12 claims of the paper (docs/paper.md §7) and the rule that sets each beside its measurement.

Each claim is a :class:`Claim`: our own wording of what the paper says, the result kinds that measure it
(reports/RESULTS.md), the verdict rule in words, and a function ``evaluate(index) -> Outcome``. ``index`` is a
:class:`reports.result_index.ResultIndex` (the preferred result file per kind). Every verdict is one of
``confirmed`` / ``refuted`` / ``inconclusive`` / ``not run``, and a verdict other than ``not run`` always comes with
the numbers it was decided on: a claim whose numbers are missing is ``not run``, never an error.

Exact claims (1–4, 9: closed forms and exact computations) are decided by tolerance rules: confirmed or refuted.
Claims about trained models (5–8, 10, 11) are decided by the one test of :mod:`reports.verdicts`
(docs/statistics.md): a difference with its 95% interval, confirmed / refuted / inconclusive, and an inconclusive
verdict states its minimum detectable effect. Thresholds are named constants below so that the rule printed in the
report and the rule applied are the same.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Any

from tradeoff.data.kinds import Kind, producer
from tradeoff.data.registry import DATASETS, PAPER_DATASETS, by_label, display_name

from . import verdicts as V
from .result_index import ResultFile, ResultIndex

CONFIRMED = V.CONFIRMED
REFUTED = V.REFUTED
INCONCLUSIVE = V.INCONCLUSIVE
NOT_RUN = "not run"
VERDICTS = (CONFIRMED, REFUTED, INCONCLUSIVE, NOT_RUN)

# Thresholds of the verdict rules (printed in the report through each claim's ``rule`` text).
CLOSED_FORM_TOL = 1e-6  # claim 1: stored closed forms vs Φ(η√d), Φ((η-ε)√d)
ETA_SQRT_D_MIN = 3.0  # claim 1: the 99% / 1% statement applies when η√d ≥ 3
TIGHT_GAP_TOL = 1e-3  # claim 2: |bound - robust| at δ = 1 - p
FRONTIER_TOL = 1e-9  # claim 2: exact frontier ≤ Theorem 1 line; linear ≤ exact
SVM_ACC_TOL = 1e-3  # claim 3: adversarial SVM standard = robust = p within this
SVM_WEAK_TOL = 1e-3  # claim 3: adversarial SVM weak-feature weight norm (‖w*‖₂ = 1) below this
TRANSFER_MIN = 0.5  # claim 4: lower end of every model's fooled-fraction interval (a majority of points flip)
TOPK_DROP_MIN = 0.01  # claim 9: robust accuracy falls by at least this from its peak to the largest k

def norm_name(norm: Any) -> str:
    """"linf" -> "ℓ∞", "l2" -> "ℓ2"."""
    s = str(norm).lower()
    if s in ("linf", "inf", "l_inf", "ℓ∞"):
        return "ℓ∞"
    if s in ("l2", "2", "ℓ2"):
        return "ℓ2"
    return str(norm)


@dataclass(frozen=True)
class Evidence:
    """Which result file a number came from."""

    path: str
    kind: str
    scale: str | None
    dataset: str | None
    created: str
    seeds: tuple = ()


@dataclass(frozen=True)
class ClaimTable:
    """A small table of measured numbers (all cells already formatted as text)."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass
class Outcome:
    """What a claim's rule found: the verdict, a one-line summary, the numbers, and where they came from."""

    verdict: str
    summary: str
    measured: list[str] = field(default_factory=list)
    tables: list[ClaimTable] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    """One claim of docs/paper.md §7."""

    number: int
    title: str
    paper: str
    kinds: tuple[str, ...]
    rule: str
    figures: tuple[str, ...]
    evaluate: Callable[[ResultIndex], Outcome]


# ----------------------------------------------------------------------------------------------- number helpers


def phi(x: float) -> float:
    """Standard normal CDF Φ(x) = (1 + erf(x/√2))/2."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def value(v: Any) -> float:
    """The point value of a number or of an interval ``{"estimate", "low", "high", ...}``; TypeError if neither."""
    if isinstance(v, dict):
        v = v.get("estimate")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise TypeError(f"expected a number or an interval, got {v!r}")
    return float(v)


def bounds(v: Any) -> tuple[float, float] | None:
    """``(low, high)`` of an interval, or None for a plain number."""
    if isinstance(v, dict) and isinstance(v.get("low"), (int, float)) and isinstance(v.get("high"), (int, float)):
        return float(v["low"]), float(v["high"])
    return None


def fmt(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` decimals, an interval as ``est [low, high] (95%, n=…)``, None as "n/a"."""
    if x is None:
        return "n/a"
    if isinstance(x, dict):
        est = fmt(x.get("estimate"), digits)
        b = bounds(x)
        if b is None:
            return est
        extra = []
        if x.get("level") is not None:
            extra.append(f"{round(float(x['level']) * 100):d}%")
        if x.get("n") is not None:
            extra.append(f"n={x['n']}")
        tail = f" ({', '.join(extra)})" if extra else ""
        return f"{est} [{fmt(b[0], digits)}, {fmt(b[1], digits)}]{tail}"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            return "n/a"
        if x != 0 and (abs(x) < 10 ** (-digits) or abs(x) >= 1e6):
            return f"{x:.{max(digits - 1, 1)}e}"
        return f"{x:.{digits}f}"
    return str(x)


def binomial_halfwidth(p: float, n: Any) -> float:
    """95% normal-approximation half-width 1.96·√(p(1−p)/n) of an accuracy measured on ``n`` points (0 if no n)."""
    if not isinstance(n, (int, float)) or isinstance(n, bool) or n <= 0:
        return 0.0
    return 1.96 * math.sqrt(max(p * (1.0 - p), 0.0) / float(n))


def inside_familywise(x: float, iv: dict, m: int, level: float = 0.95) -> bool:
    """Is ``x`` inside the interval ``iv`` (stated at ``iv["level"]``, default 0.95) once each side is widened by
    z(1 − (1−level)/(2m)) / z(1 − (1−iv_level)/2), so that ``m`` such checks of true values all pass with probability
    ≥ ``level`` (Bonferroni)? A plain 95% interval alone would reject a true closed form 5% of the time per check."""
    est = value(iv)
    low, high = bounds(iv)
    nd = NormalDist()
    iv_level = float(iv.get("level") or 0.95)
    factor = nd.inv_cdf(1 - (1 - level) / (2 * max(m, 1))) / nd.inv_cdf(1 - (1 - iv_level) / 2)
    factor = max(factor, 1.0)
    return est - (est - low) * factor <= x <= est + (high - est) * factor


def _evidence(r: ResultFile) -> Evidence:
    return Evidence(r.path, r.kind, r.scale, r.dataset, r.created, tuple(r.seeds or ()))


def _missing(kinds: Iterable[str], what: str = "") -> Outcome:
    """'not run': no result file of ``kinds``, with the commands that write them (data.kinds, at the scale and data
    set of ``make reproduce``)."""
    kinds = list(kinds)
    names = ", ".join(f"`{k}`" for k in kinds)
    extra = f" {what}" if what else ""
    how = "; ".join(f"`{producer(k)}`" for k in kinds if producer(k)) or "its command"
    return Outcome(NOT_RUN, "no result", [f"No result file of kind {names}{extra} was found; produce it with {how}."])


# ----------------------------------------------------------------------------------------------- claim 1


def _settings(payload: dict) -> list[dict]:
    rows = payload.get("rows")
    return list(rows) if isinstance(rows, list) and rows else [payload]


def _averaging_robust_closed(eta: float, d: float, eps: float, norm: Any) -> float:
    """Robust accuracy of the averaging classifier: Φ((η − ε)√d) against ℓ∞, Φ(η√d − ε) against ℓ2
    (docs/paper.md §2)."""
    if norm_name(norm if norm is not None else "inf") == "ℓ2":
        return phi(eta * math.sqrt(d) - eps)
    return phi((eta - eps) * math.sqrt(d))


def _averaging_strong(eta: float, d: float, eps: float, norm: Any) -> bool:
    """Does the 99% / 1% statement apply: η√d ≥ 3 and ε at least 2η (ℓ∞), resp. 2η√d (ℓ2)?"""
    ets = eta * math.sqrt(d)
    l2 = norm_name(norm if norm is not None else "inf") == "ℓ2"
    return ets >= ETA_SQRT_D_MIN and eps >= (2 * ets if l2 else 2 * eta) - 1e-12


def evaluate_claim1(index: ResultIndex) -> Outcome:
    """Averaging classifier on D(d, p, η): closed forms vs Monte Carlo and the 99% / 1% statement. A setting whose
    Monte Carlo intervals are null (``--mc-samples 0``) is shown with its closed forms; the claim is then 'not run'
    unless another setting ran Monte Carlo."""
    r = index.best(Kind.THEORY_AVERAGING)
    if r is None:
        return _missing([Kind.THEORY_AVERAGING])
    ok = True
    measured, rows = [], []
    strong_seen = False
    settings = _settings(r.payload)
    with_mc = [s for s in settings if s.get("standard_mc") is not None or s.get("robust_mc") is not None]
    m = 2 * max(len(with_mc), 1)
    for s in settings:
        d, eta, eps = float(s["d"]), float(s["eta"]), float(s["eps"])
        norm = s.get("norm", r.payload.get("norm"))
        sd, rb = value(s["standard_closed"]), value(s["robust_closed"])
        smc, rmc = s.get("standard_mc"), s.get("robust_mc")
        ets = eta * math.sqrt(d)
        rb_formula = _averaging_robust_closed(eta, d, eps, norm)
        formula_ok = abs(sd - phi(ets)) <= CLOSED_FORM_TOL and abs(rb - rb_formula) <= CLOSED_FORM_TOL
        if smc is None and rmc is None:
            mc_ok = None
        elif bounds(smc) is None or bounds(rmc) is None:
            raise TypeError("standard_mc and robust_mc must be intervals {estimate, low, high} (or both null)")
        else:
            mc_ok = inside_familywise(sd, smc, m) and inside_familywise(rb, rmc, m)
        strong = _averaging_strong(eta, d, eps, norm)
        strong_seen |= strong
        thr_ok = (sd > 0.99 and rb < 0.01) if strong else True
        ok &= formula_ok and mc_ok is not False and thr_ok
        rows.append((fmt(d, 0) if d != int(d) else str(int(d)), fmt(eta), fmt(ets, 3), fmt(eps), fmt(sd), fmt(smc),
                     fmt(rb), fmt(rmc), "not run" if mc_ok is None else "yes" if mc_ok else "NO",
                     "yes" if formula_ok else "NO", ("yes" if thr_ok else "NO") if strong else "n/a"))
        if not formula_ok:
            measured.append(f"d={s['d']}, η={fmt(eta)}: stored closed forms differ from Φ(η√d)={fmt(phi(ets))} "
                            f"/ robust {norm_name(norm or 'inf')} formula {fmt(rb_formula)}.")
    first = settings[0]
    summary = (f"standard {fmt(value(first['standard_closed']))} (MC {fmt(first.get('standard_mc'))}), "
               f"robust {fmt(value(first['robust_closed']))} (MC {fmt(first.get('robust_mc'))}) "
               f"at η√d={fmt(float(first['eta']) * math.sqrt(float(first['d'])), 3)}")
    measured.insert(0, f"{len(rows)} setting(s) of D(d, p, η); closed forms against the Monte Carlo intervals, "
                       f"widened to a familywise 95% level over the {m} comparisons (Bonferroni).")
    if not strong_seen:
        measured.append(f"No setting has η√d ≥ {ETA_SQRT_D_MIN:g} with ε ≥ 2η (ℓ∞; 2η√d for ℓ2): the 99%/1% part "
                        "was not tested.")
    table = ClaimTable("Averaging classifier: closed form vs Monte Carlo",
                       ("d", "η", "η√d", "ε", "standard (closed)", "standard (MC)", "robust (closed)", "robust (MC)",
                        "closed in MC interval", "closed = Φ formula", ">99% / <1%"), tuple(rows))
    verdict = CONFIRMED if ok else REFUTED
    if ok and not with_mc:
        verdict = NOT_RUN
        measured.append("Verdict 'not run': no setting has Monte Carlo estimates (standard_mc / robust_mc are null); "
                        f"produce them with `{producer(Kind.THEORY_AVERAGING)} --mc-samples N`.")
    return Outcome(verdict, summary, measured, [table], [_evidence(r)])


# ----------------------------------------------------------------------------------------------- claim 2


def evaluate_claim2(index: ResultIndex) -> Outcome:
    """Theorem 1's bound for every evaluated classifier, its tightness at δ = 1 − p, and the frontier ordering."""
    r = index.best(Kind.THEORY_BOUND)
    if r is None:
        return _missing([Kind.THEORY_BOUND])
    pl = r.payload
    p = float(pl["p"])
    ratio = p / (1.0 - p)
    rows, failed = [], []
    for c in sorted(pl["classifiers"], key=lambda c: str(c["name"])):
        # with Monte Carlo intervals: the data contradict the bound only if even the lowest robust accuracy exceeds
        # the most lenient bound, p/(1-p)·(1 − lowest standard accuracy); exact values are compared directly
        std_low = _interval_or_point(c["standard"])[0]
        rob_low = _interval_or_point(c["robust"])[0]
        mine = rob_low <= ratio * (1.0 - std_low) + 1e-9
        holds = bool(c["holds"]) and mine
        if not holds:
            failed.append(str(c["name"]))
        rows.append((str(c["name"]), fmt(c["standard"]), fmt(c["robust"]), fmt(c["bound"]), "yes" if holds else "NO"))
    if not rows:
        raise ValueError("theory.bound lists no classifiers")
    all_hold = bool(pl.get("all_hold", True)) and not failed
    tight = pl["tight"]
    gap = value(tight["gap"])
    tight_ok = abs(gap) <= TIGHT_GAP_TOL and abs(value(tight["delta"]) - (1.0 - p)) <= 1e-6
    measured = [
        f"{len(rows)} classifier(s) evaluated on D(d={pl['d']}, p={fmt(p, 3)}, η={fmt(float(pl['eta']))}) "
        f"at ε={fmt(float(pl['eps']))}; bound = p/(1−p)·δ = {fmt(ratio, 3)}·δ.",
        f"Bound holds for all: {'yes' if all_hold else 'NO (' + ', '.join(failed) + ')'}.",
        f"Tightness at δ = 1 − p = {fmt(1 - p)}: δ={fmt(tight['delta'])}, standard {fmt(tight['standard'])}, "
        f"robust {fmt(tight['robust'])}, bound {fmt(tight['bound'])}, gap {fmt(gap)} "
        f"(tolerance {TIGHT_GAP_TOL:g}): {'tight' if tight_ok else 'NOT tight'}.",
    ]
    evidence = [_evidence(r)]
    ok = all_hold and tight_ok
    f = index.best(Kind.THEORY_FRONTIER)
    if f is not None:
        fp = f.payload
        cols = [fp["delta"], fp["theorem1"], fp["exact"], fp["linear"]]
        if len({len(c) for c in cols}) != 1:
            raise ValueError("theory.frontier: delta, theorem1, exact, linear must have the same length")
        # null (NaN) marks a δ the producer could not reach; only points with all three values are compared
        pts = [(value(t), value(e), None if lv is None else value(lv)) for _, t, e, lv in zip(*cols)
               if t is not None and e is not None]
        if not pts:
            raise ValueError("theory.frontier: no δ with both a Theorem 1 and an exact value")
        excess = max(e - t for t, e, _ in pts)
        ex_le_th = excess <= FRONTIER_TOL
        li_le_ex = all(lv - e <= FRONTIER_TOL for _, e, lv in pts if lv is not None)
        ok &= ex_le_th and li_le_ex
        measured.append(f"Frontier at {len(pts)} of {len(cols[0])} values of δ: exact ≤ Theorem 1 everywhere: "
                        f"{'yes' if ex_le_th else 'NO'} (max excess {fmt(excess)}); "
                        f"best linear rule ≤ exact: {'yes' if li_le_ex else 'NO'}.")
        evidence.append(_evidence(f))
    else:
        measured.append("Frontier file (`theory.frontier`) not found: the frontier ordering was not checked.")
    summary = (f"{len(rows) - len(failed)}/{len(rows)} classifiers within the bound; gap at δ=1−p {fmt(gap)}")
    table = ClaimTable("Theorem 1 per classifier", ("classifier", "standard", "robust", "bound", "holds"), tuple(rows))
    return Outcome(CONFIRMED if ok else REFUTED, summary, measured, [table], evidence)


# ----------------------------------------------------------------------------------------------- claim 3


def evaluate_claim3(index: ResultIndex) -> Outcome:
    """Theorem 2 and Lemmas D.1–D.5 for the population SVM; the same pattern for logistic loss."""
    r = index.best(Kind.THEORY_SVM)
    if r is None:
        return _missing([Kind.THEORY_SVM])
    pl = r.payload
    p = float(pl["p"])
    st, adv = pl["standard"], pl["adversarial"]
    std_ok = value(st["standard_acc"]) > 0.99 and value(st["robust_acc"]) < 0.01
    weak_tol = SVM_WEAK_TOL * max(1.0, abs(float(adv.get("weight_norm") or 1.0)))
    adv_ok = (abs(value(adv["standard_acc"]) - p) <= SVM_ACC_TOL and abs(value(adv["robust_acc"]) - p) <= SVM_ACC_TOL
              and abs(value(adv["weak_weight_norm"])) <= weak_tol)
    lemmas = pl.get("lemmas") or {}
    lemma_rows, lemmas_ok = [], True
    for name in ("D1", "D2", "D3", "D4", "D5"):
        lem = lemmas.get(name)
        if lem is None:
            lemmas_ok = False
            lemma_rows.append((name, "", "n/a", "n/a", "missing"))
        else:
            lemmas_ok &= bool(lem.get("holds"))
            lemma_rows.append((name, str(lem.get("statement", "")), fmt(lem.get("value")), fmt(lem.get("threshold")),
                               "yes" if lem.get("holds") else "NO"))
    rows = []
    for label, m in (("SVM, standard", st), ("SVM, adversarial", adv)):
        rows.append((label, fmt(m.get("w1")), fmt(m.get("v")), fmt(m["standard_acc"]), fmt(m["robust_acc"]),
                     fmt(m.get("weak_weight_norm"))))
    logistic = pl.get("logistic")
    log_ok = None
    if isinstance(logistic, dict):
        log_ok = bool(logistic.get("pattern_holds"))
        for label in ("standard", "adversarial"):
            m = logistic.get(label) or {}
            rows.append((f"logistic, {label}", fmt(m.get("w1")), fmt(m.get("v")), fmt(m.get("standard_acc")),
                         fmt(m.get("robust_acc")), fmt(m.get("weak_weight_norm"))))
    measured = [
        f"D(d={pl['d']}, p={fmt(p, 3)}, η={fmt(float(pl['eta']))}), ε_train={fmt(pl.get('eps_train'))}, "
        f"ε_eval={fmt(pl.get('eps_eval'))} (population minimisers, exact accuracies).",
        f"Standard SVM: standard {fmt(st['standard_acc'])} (>0.99?), robust {fmt(st['robust_acc'])} (<0.01?): "
        f"{'yes' if std_ok else 'NO'}.",
        f"Adversarial SVM: standard {fmt(adv['standard_acc'])} and robust {fmt(adv['robust_acc'])} vs p={fmt(p)} "
        f"(within {SVM_ACC_TOL:g}), weak-feature weight norm {fmt(adv['weak_weight_norm'])} (≤{fmt(weak_tol)}): "
        f"{'yes' if adv_ok else 'NO'}.",
        f"Lemmas D.1–D.5 all hold: {'yes' if lemmas_ok else 'NO'}.",
        "Logistic loss: " + ("not run (no `logistic` entry)" if log_ok is None else
                             ("same pattern" if log_ok else "pattern does NOT hold")) + ".",
    ]
    svm_ok = std_ok and adv_ok and lemmas_ok
    if not svm_ok or log_ok is False:
        verdict = REFUTED
    elif log_ok is None:
        verdict = NOT_RUN
        measured.append("Verdict 'not run': the SVM part holds but the logistic-loss part of the claim has no result.")
    else:
        verdict = CONFIRMED
    summary = (f"std SVM {fmt(st['standard_acc'])}/{fmt(st['robust_acc'])}, adv SVM {fmt(adv['standard_acc'])}/"
               f"{fmt(adv['robust_acc'])} (p={fmt(p, 3)}), lemmas {'hold' if lemmas_ok else 'fail'}")
    tables = [
        ClaimTable("Population minimisers (standard / robust accuracy)",
                   ("model", "w1", "v", "standard", "robust", "weak weight norm"), tuple(rows)),
        ClaimTable("Lemmas of Appendix D", ("lemma", "statement", "value", "threshold", "holds"), tuple(lemma_rows)),
    ]
    return Outcome(verdict, summary, measured, tables, [_evidence(r)])


# ----------------------------------------------------------------------------------------------- claim 4


def evaluate_claim4(index: ResultIndex) -> Outcome:
    """The weak-feature shift −2ηy fools independently trained standard classifiers."""
    r = index.best(Kind.THEORY_TRANSFER)
    if r is None:
        return _missing([Kind.THEORY_TRANSFER])
    pl = r.payload
    ff = pl["fooled_fraction"]
    b = bounds(ff)
    if b is None:
        raise TypeError("fooled_fraction must be an interval {estimate, low, high}")
    n_models = int(pl["n_models"])
    per, per_low = [], []
    for m in pl.get("per_model") or []:
        try:
            iv = m.get("fooled_fraction", m.get("fooled", m)) if isinstance(m, dict) else m
            per.append(value(iv))
            lb = bounds(iv)
            per_low.append(lb[0] if lb is not None else value(iv))
        except TypeError:
            pass
    lowest = min(per_low) if per_low else b[0]
    ok = lowest >= TRANSFER_MIN and n_models >= 2
    measured = [f"{n_models} independently trained standard classifiers, ε={fmt(pl.get('eps'))}: fooled fraction "
                f"{fmt(ff)} pooled; lowest per-model lower end {fmt(lowest)} (threshold: ≥ {TRANSFER_MIN:g} for every "
                f"model, i.e. one model-independent shift flips a majority of every model's points; ≥ 2 models)."]
    if per:
        measured.append(f"Per model: min {fmt(min(per))}, max {fmt(max(per))}.")
    return Outcome(CONFIRMED if ok else REFUTED, f"fooled {fmt(ff)} over {n_models} models", measured, [],
                   [_evidence(r)])


# ----------------------------------------------------------------------------------------------- claims 5-8

def full_train_size(label: Any) -> int | None:
    """The full training-set size of the data set a result label names (data.registry; claim 6 is about "full
    data": only this size counts), None when the report does not know it."""
    d = by_label(str(label))
    return d.train_size if d is not None and d.name in PAPER_DATASETS else None


def num_classes(label: Any) -> int | None:
    """The number of classes of the data set a result label names (data.registry), None when unknown."""
    d = by_label(str(label))
    return d.num_classes if d is not None and d.name in PAPER_DATASETS else None


@dataclass(frozen=True)
class Spread:
    """Mean standard accuracy of a group of runs, its sample s.d. over seeds and the test points behind it (for the
    tables; verdicts use :func:`compare`)."""

    mean: float
    sd: float | None
    n_runs: int
    n_test: Any

    def cells(self) -> tuple[str, str, str]:
        """(mean, "s.d. over seeds (k)" cell, test points)."""
        sd = f"{fmt(self.sd)} ({self.n_runs})" if self.sd is not None else "— (1 run)"
        return fmt(self.mean), sd, "n/a" if self.n_test is None else str(self.n_test)


def spread(rows: list[dict], key: str = "standard_acc") -> Spread:
    """Mean and sample s.d. (None for one run) of ``key`` over ``rows``; the test points of the first row."""
    vals = [value(r[key]) for r in rows]
    mean = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else None
    ns = sorted({str(_n_eval(r, key)) for r in rows if _n_eval(r, key) is not None})
    return Spread(mean, sd, len(rows), ", ".join(ns) if ns else None)


def _n_eval(row: dict, key: str) -> Any:
    """Number of test points behind ``row[key]``: ``n_eval_standard`` for the standard accuracy when the producer
    gives it (not None), else ``n_eval``."""
    if key == "standard_acc" and row.get("n_eval_standard") is not None:
        return row["n_eval_standard"]
    return row.get("n_eval")


#: a run whose standard accuracy is below FAILED_TRAINING_FACTOR / classes did not learn
FAILED_TRAINING_FACTOR = 2.0
TRAINING_FAILURE_RULE = (f" Runs whose standard accuracy is below {FAILED_TRAINING_FACTOR:g}× chance (e.g. "
                         f"{FAILED_TRAINING_FACTOR / 10:g} for 10 classes) did not learn: they are left out of the "
                         "test and listed.")


def split_failed(rows: list[dict]) -> tuple[list[dict], list[str]]:
    """(rows of runs that learned, the note listing those that did not): a run with standard accuracy below
    ``FAILED_TRAINING_FACTOR / classes`` (e.g. 0.1135 on MNIST: one class predicted for every image) is a training
    failure, not evidence about the paper's effect."""
    kept, failed = [], []
    for r in rows:
        k = num_classes(r["dataset"])
        (failed if k and value(r["standard_acc"]) < FAILED_TRAINING_FACTOR / k else kept).append(r)
    notes = convergence_notes(kept)
    if not failed:
        return kept, notes
    names = ", ".join(f"`{r.get('run', '?')}` ({fmt(value(r['standard_acc']))})" for r in failed[:6])
    more = f" and {len(failed) - 6} more" if len(failed) > 6 else ""
    return kept, [f"Left out as training failures (standard accuracy below {FAILED_TRAINING_FACTOR:g}× chance): "
                  f"{names}{more}; rerun them with a training recipe that converges."] + notes


def convergence_notes(rows: list[dict]) -> list[str]:
    """Runs whose producer recorded the convergence check (row key ``converged``): how many met it, and the ones
    that did not, by name with their last relative loss change. They stay in the test (labelled, not dropped)."""
    runs = {r.get("run") or id(r): r for r in rows if "converged" in r}
    checked = {k: r for k, r in runs.items() if r["converged"] is not None}
    if not checked:
        return []
    bad = [r for r in checked.values() if not r["converged"]]
    line = (f"Convergence criterion (stated in each sweep file's `convergence_criterion`): "
            f"{len(checked) - len(bad)}/{len(checked)} runs met it")
    if bad:
        names = ", ".join(f"`{r.get('run', '?')}` (loss still fell {fmt(value(r.get('loss_change') or 0) * 100, 1)}%)"
                          for r in bad[:6])
        line += (f"; not met by {names}{f' and {len(bad) - 6} more' if len(bad) > 6 else ''}: these runs are kept in "
                 "the test and labelled here (an under-trained run)")
    unknown = len(runs) - len(checked)
    return [line + (f"; {unknown} run(s) without a record" if unknown else "") + "."]


def full_sizes_text() -> str:
    """``MNIST 60000, CIFAR-10 50000, …``: the full training-set sizes claim 6 requires."""
    return ", ".join(f"{display_name(DATASETS[n].paper_label)} {DATASETS[n].train_size}" for n in PAPER_DATASETS
                     if DATASETS[n].train_size is not None)


def _by_seed(rows: list[dict]) -> dict[int, dict] | None:
    """``{seed: row}`` (the first row of each seed) when every row carries an integer ``seed``, else None."""
    out: dict[int, dict] = {}
    for r in rows:
        s = r.get("seed")
        if isinstance(s, bool) or not isinstance(s, int):
            return None
        out.setdefault(s, r)
    return out


def compare(a_rows: list[dict], b_rows: list[dict], key: str = "standard_acc", alpha: float = V.ALPHA) -> V.Difference:
    """``mean(a) − mean(b)`` of ``key`` with the interval of :func:`reports.verdicts.difference`: paired by seed over
    the seeds both groups have when every row carries a ``seed`` and at least two seeds are shared (a sweep trains
    the runs of one seed on the same training subset, order and initialisation seed); else unpaired (Welch, or the
    test set alone for single runs). The test-set part uses each run's test points (``n_eval_standard`` for the
    standard accuracy when given)."""
    sa, sb = _by_seed(a_rows), _by_seed(b_rows)
    if sa is not None and sb is not None:
        common = sorted(set(sa) & set(sb))
        if len(common) >= 2:
            a, b = [sa[s] for s in common], [sb[s] for s in common]
            d = V.difference([value(r[key]) for r in a], [value(r[key]) for r in b], [_n_eval(r, key) for r in a],
                             [_n_eval(r, key) for r in b], paired=True, alpha=alpha)
            left = len(a_rows) + len(b_rows) - 2 * len(common)
            if left:
                d = replace(d, method=d.method + f"; {left} run(s) without a partner seed left out")
            return d
    return V.difference([value(r[key]) for r in a_rows], [value(r[key]) for r in b_rows],
                        [_n_eval(r, key) for r in a_rows], [_n_eval(r, key) for r in b_rows], paired=False,
                        alpha=alpha)


@dataclass(frozen=True)
class Part:
    """One comparison of a claim's rule: what is compared (in words) and the difference with its interval."""

    what: str
    diff: V.Difference

    @property
    def verdict(self) -> str:
        return self.diff.verdict


@dataclass
class ConfigResult:
    """The verdict of one (dataset, norm) configuration and the parts it rests on; ``decisive`` is the part whose
    MDE an inconclusive verdict states; ``note`` overrides the verdict's reason (e.g. not the full training set)."""

    dataset: str
    norm: str
    n_train: Any
    verdict: str
    parts: list[Part]
    decisive: Part | None
    note: str = ""

    @property
    def label(self) -> str:
        return _config_label(self.dataset, self.norm)

    def reason(self) -> str:
        """``confirmed``, ``refuted: …`` or ``inconclusive: … minimum detectable effect …`` in words."""
        if self.note:
            return f"{self.verdict}: {self.note}"
        if self.decisive is None:
            return self.verdict
        d = self.decisive.diff
        if self.verdict == INCONCLUSIVE:
            return (f"inconclusive: {self.decisive.what} {d.estimate:+.4f}, minimum detectable effect {d.mde:.4f} at "
                    f"{V.POWER:.0%} power")
        return f"{self.verdict}: {self.decisive.what} {d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}]"


def _ci_level(d: V.Difference) -> str:
    return f"{100 * (1 - d.alpha):.3g}% CI"


def _parts_table(results: list[ConfigResult], caption: str) -> ClaimTable:
    """One row per comparison: configuration, n, what, difference, interval (labelled), test, part verdict, MDE."""
    rows = []
    for c in results:
        for p in c.parts:
            d = p.diff
            rows.append((c.label, str(c.n_train), p.what, f"{d.estimate:+.4f}",
                         f"[{d.low:+.4f}, {d.high:+.4f}] ({_ci_level(d)})", d.method, p.verdict,
                         f"{d.mde:.4f}" if p.verdict == INCONCLUSIVE else "—", c.verdict))
    return ClaimTable(caption, ("dataset, norm", "n_train", "comparison", "difference", "interval", "test",
                                "verdict of the comparison", "minimum detectable effect (80% power)",
                                "verdict of the configuration"), tuple(rows))


def _claim_outcome(results: list[ConfigResult], scope: str = "every configuration run") -> tuple[str, str, str]:
    """(verdict, summary, measured line) of a claim that needs every configuration of ``results`` (combine())."""
    verdict = V.combine([c.verdict for c in results])
    summary = "; ".join(f"{c.label} (n={c.n_train}) {c.reason()}" for c in results)
    counts = {v: sum(c.verdict == v for c in results) for v in (CONFIRMED, REFUTED, INCONCLUSIVE)}
    line = (f"Verdict over {scope} ({len(results)}; every one must hold: one refuted refutes, all confirmed confirm, "
            f"else inconclusive): {verdict} — " + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + ".")
    if verdict == INCONCLUSIVE and counts[CONFIRMED]:
        clear = [c.label for c in results if c.verdict == CONFIRMED]
        line += (f" Confirmed on {', '.join(clear)}; the claim is not confirmed only because of the inconclusive "
                 "configuration(s): "
                 + "; ".join(f"{c.label}: {c.reason()}" for c in results if c.verdict == INCONCLUSIVE) + ".")
    return verdict, summary, line


HasData = Callable[[list, str, str], bool]


def sweep_rows(index: ResultIndex, experiments: Iterable[str],
               has_data: HasData | None = None) -> tuple[list[dict], list[Evidence]]:
    """Rows of ``deep.sweep`` files of the given experiments; for each (experiment, dataset, norm) only the rows of
    one file, so that producers may write one file per dataset and norm, and a larger or newer run replaces an older
    one. With ``has_data(rows, dataset, norm)`` (the rows a claim's test needs): the file of largest scale, then
    newest, whose rows have them (issue 13: the largest scale that has the data), else the one below. Without it:
    the file with the most training-set sizes, then the largest scale, then the newest."""
    experiments = set(experiments)
    candidates: dict[tuple[str, str, str], list[tuple[int, int, int, ResultFile]]] = defaultdict(list)
    for order, r in enumerate(index.all(Kind.DEEP_SWEEP)):
        exp = str(r.payload.get("experiment"))
        if exp not in experiments:
            continue
        for ds, norm in sorted({(str(row["dataset"]), str(row.get("norm"))) for row in r.payload["rows"]}):
            if has_data is None:
                key = (0, -_size_coverage(r, ds, norm))
            else:
                mine = [x for x in r.payload["rows"] if (str(x["dataset"]), str(x.get("norm"))) == (ds, norm)]
                key = (0 if has_data(mine, ds, norm) else 1, 0)
            candidates[(exp, ds, norm)].append((*key, order, r))
    chosen = {key: min(c, key=lambda t: t[:3])[3] for key, c in candidates.items()}
    rows, evidence, seen = [], [], set()
    for (exp, ds, norm), r in sorted(chosen.items()):
        settings = r.payload.get("settings")
        evaluation = settings.get("evaluation") if isinstance(settings, dict) else None
        n_test = evaluation.get("n_test") if isinstance(evaluation, dict) else None
        for row in r.payload["rows"]:
            if (str(row["dataset"]), str(row.get("norm"))) != (ds, norm):
                continue
            ident = (exp, ds, norm, row.get("run") or repr(sorted(row.items())))
            if ident not in seen:
                seen.add(ident)
                extra = {"n_eval": n_test} if isinstance(n_test, int) and "n_eval" not in row else {}
                rows.append(dict(row, experiment=exp, result_scale=r.scale.value, **extra))
        ev = _evidence(r)
        if ev not in evidence:
            evidence.append(ev)
    return rows, evidence


def _size_coverage(r: ResultFile, dataset: str, norm: str) -> int:
    """How many training-set sizes of (dataset, norm) in file ``r`` have both a standard and an adversarial row."""
    rows = [x for x in r.payload["rows"] if (str(x["dataset"]), str(x.get("norm"))) == (dataset, norm)]
    std = {x["n_train"] for x in rows if value(x["eps_train"]) == 0}
    adv = {x["n_train"] for x in rows if value(x["eps_train"]) > 0}
    return len(std & adv)


def _is_mixed(row: dict) -> bool:
    return bool(row.get("mixed"))


def _configs(rows: list[dict]) -> list[tuple[str, str]]:
    """(dataset, norm) of every adversarially trained row."""
    return sorted({(str(r["dataset"]), str(r["norm"])) for r in rows if value(r["eps_train"]) > 0})


def _standard_rows(rows: list[dict], dataset: str, n_train: Any, norm: str | None = None) -> list[dict]:
    """The standard models (ε_train = 0, clean batches) of ``dataset`` at ``n_train``, one row per run id. When
    ``norm`` is given, prefer those from the same experiment(s) as the adversarial ``norm`` rows (same training
    budget), and among them those labelled with ``norm`` (evaluated in that norm); else pool every standard model
    at that size."""
    base = [r for r in rows if str(r["dataset"]) == dataset and value(r["eps_train"]) == 0 and not _is_mixed(r)
            and r["n_train"] == n_train]
    if norm is not None:
        exps = {r.get("experiment") for r in rows if (str(r["dataset"]), str(r["norm"])) == (dataset, norm)
                and r["n_train"] == n_train and value(r["eps_train"]) > 0}
        base = [r for r in base if r.get("experiment") in exps] or base
        base = [r for r in base if str(r["norm"]) == norm] or base
    out, seen = [], set()
    for r in base:
        ident = r.get("run") or id(r)
        if ident not in seen:
            seen.add(ident)
            out.append(r)
    return out


def _adv_by_eps(rows: list[dict], dataset: str, norm: str, n_train: Any, mixed: bool = False) -> dict[float, list]:
    out: dict[float, list] = defaultdict(list)
    for r in rows:
        if (str(r["dataset"]), str(r["norm"])) == (dataset, norm) and r["n_train"] == n_train \
                and value(r["eps_train"]) > 0 and _is_mixed(r) == mixed:
            out[value(r["eps_train"])].append(r)
    return dict(sorted(out.items()))


def _n_values(rows: list[dict], dataset: str, norm: str) -> list:
    """Training-set sizes at which both a standard model and an adversarial (dataset, norm) model exist."""
    ns = {r["n_train"] for r in rows if (str(r["dataset"]), str(r["norm"])) == (dataset, norm)
          and value(r["eps_train"]) > 0 and not _is_mixed(r)}
    return sorted(n for n in ns if _standard_rows(rows, dataset, n, norm))


def _scales(rows: list[dict], dataset: str, norm: str) -> str:
    """The scale(s) of the result files behind the (dataset, norm) rows, e.g. ``gpu-reduced``."""
    found = sorted({str(r.get("result_scale")) for r in rows if (str(r["dataset"]), str(r["norm"])) == (dataset, norm)
                    and r.get("result_scale")})
    return ", ".join(found) or "unknown"


def _config_label(dataset: str, norm: str) -> str:
    return f"{display_name(dataset)}, {norm_name(norm)}"


def _sweep_table(rows: list[dict], configs, caption: str) -> ClaimTable:
    out = []
    for ds, norm in configs:
        for n in _n_values(rows, ds, norm):
            std = _standard_rows(rows, ds, n, norm)
            for eps, rs in [(0.0, std), *_adv_by_eps(rows, ds, norm, n).items()]:
                diff = "—" if eps == 0 else _diff_cell(compare(rs, std))
                out.append((_config_label(ds, norm), str(n), fmt(eps), *spread(rs).cells(), diff))
    return ClaimTable(caption, ("dataset, norm", "n_train", "ε_train", "standard acc (mean)", "s.d. over seeds (k)",
                                "test points", "minus ε=0: difference [95% CI]"), tuple(out))


def _diff_cell(d: V.Difference) -> str:
    return f"{d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}]"


def _finite_sample_note(index: ResultIndex) -> tuple[list[str], list[Evidence]]:
    """Claims 5/6 theory analogue: mean standard accuracy over seeds per ε_train at the smallest and largest n."""
    r = index.best(Kind.THEORY_FINITE_SAMPLE)
    if r is None:
        return [], []
    groups: dict[tuple[float, float], list[float]] = defaultdict(list)
    for x in r.payload["rows"]:
        groups[(value(x["n"]), value(x["eps_train"]))].append(value(x["standard_acc"]))
    ns = sorted({n for n, _ in groups})
    parts = []
    for n in (ns[0], ns[-1]) if len(ns) > 1 else ns:
        at = sorted((e, v) for (m, e), v in groups.items() if m == n)
        parts.append(f"n={fmt(n, 0)}: " + ", ".join(
            f"ε={fmt(e)} → {fmt(sum(v) / len(v))}" + (f" (mean of {len(v)})" if len(v) > 1 else "") for e, v in at))
    return ([f"Theory analogue on D (finite-sample training, not used for the verdict): {'; '.join(parts)}."],
            [_evidence(r)])


def has_small_n(rows: list, dataset: str, norm: str) -> bool:
    """Claim 5's data: a standard and an adversarial model (trained, not failed) at some n below the full set."""
    full = full_train_size(dataset) or math.inf
    return any(n < full for n in _n_values(split_failed(rows)[0], dataset, norm) if isinstance(n, (int, float)))


def has_full_n(rows: list, dataset: str, norm: str) -> bool:
    """Claim 6's data: a standard and an adversarial model (trained, not failed) at the full training set."""
    ns = _n_values(split_failed(rows)[0], dataset, norm)
    full = full_train_size(dataset)
    return bool(ns) and (full is None or full in ns)


def has_eps_sequence(rows: list, dataset: str, norm: str) -> bool:
    """Claim 7's data: a standard and an adversarial model (clean batches, trained, not failed) at one n."""
    return bool(_n_values([r for r in split_failed(rows)[0] if not _is_mixed(r)], dataset, norm))


def has_mixed(rows: list, dataset: str, norm: str) -> bool:
    """Claim 8's data: mixed-batch models (trained, not failed)."""
    return any(_is_mixed(r) for r in split_failed(rows)[0])


def _size_sweep(index: ResultIndex, has_data: HasData | None = None):
    """Claims 5 and 6: the Fig. 1/6 sweep rows and evidence (per configuration, the largest scale whose file has
    ``has_data``), their adversarial (dataset, norm) configurations with at least one training-set size, the theory
    analogue's note and evidence, and the 'not run' outcome when no configuration exists (else None)."""
    rows, evidence = sweep_rows(index, ("fig1", "fig6"), has_data)
    rows, failed = split_failed(rows)
    note, ev2 = _finite_sample_note(index)
    note = failed + note
    configs = [c for c in _configs(rows) if _n_values(rows, *c)]
    missing = None
    if not configs:
        missing = _missing([Kind.DEEP_SWEEP], "(experiment fig1 or fig6)")
        missing.measured += note
        missing.evidence += ev2
    return rows, evidence, configs, note, ev2, missing


def evaluate_claim5(index: ResultIndex) -> Outcome:
    """At the smallest training-set size of each configuration, some ε_train > 0 raises mean standard accuracy over
    the standard model (each of the m ε_train tested at α/m, Bonferroni); the claim needs every MNIST configuration
    run; other datasets are shown, not judged."""
    rows, evidence, configs, note, ev2, missing = _size_sweep(index, has_small_n)
    if missing is not None:
        return missing
    results = []
    for ds, norm in configs:
        n = _n_values(rows, ds, norm)[0]
        std = _standard_rows(rows, ds, n, norm)
        advs = _adv_by_eps(rows, ds, norm, n)
        alpha = V.ALPHA / len(advs)
        parts = [Part(f"ε={fmt(e)} minus ε=0", compare(rs, std, alpha=alpha)) for e, rs in advs.items()]
        verdict = V.combine_any([p.verdict for p in parts])
        best = max(parts, key=lambda p: p.diff.estimate)
        decisive = next((p for p in parts if p.verdict == CONFIRMED), best)
        note_ = ""
        if isinstance(n, (int, float)) and full_train_size(ds) is not None and n >= full_train_size(ds):
            verdict = INCONCLUSIVE
            note_ = (f"the smallest n with both models, {n}, is the full training set, not few samples; there (not "
                     f"judged): {best.what} {best.diff.estimate:+.4f}, minimum detectable effect "
                     f"{best.diff.mde:.4f} at {V.POWER:.0%} power")
        results.append(ConfigResult(ds, norm, n, verdict, parts, decisive, note_))
    judged = [c for c in results if c.dataset == "mnist"]
    measured = [f"{c.label}, smallest n={c.n_train} (scale {_scales(rows, c.dataset, c.norm)}): {c.reason()}"
                + ("" if c.dataset == "mnist" else
                                                                     " (shown, not judged: outside MNIST)") + "."
                for c in results]
    table = _sweep_table(rows, configs, "Standard accuracy vs training-set size (Fig. 1 ℓ2, Fig. 6 ℓ∞)")
    parts = _parts_table(results, "Claim 5: each ε_train against the standard model at the smallest n "
                                  "(interval at 1 − α/m, Bonferroni over the m values of ε_train)")
    if not judged:
        out = Outcome(NOT_RUN, "no MNIST sweep: " + "; ".join(f"{c.label} {c.reason()}" for c in results),
                      measured + ["The claim is about MNIST ('clearly on MNIST'); no MNIST sweep (fig1 / fig6) was "
                                  f"found: produce it with `{producer(Kind.DEEP_SWEEP)}`."] + note,
                      [table, parts], evidence + ev2)
        return out
    verdict, summary, line = _claim_outcome(judged, "the MNIST configurations run")
    norms = {norm_name(c.norm) for c in judged}
    if norms != {"ℓ∞", "ℓ2"}:
        line += f" Only {', '.join(sorted(norms))} was run on MNIST; the paper shows ℓ∞ (Fig. 6) and ℓ2 (Fig. 1)."
    return Outcome(verdict, summary, measured + [line] + note, [table, parts], evidence + ev2)


def evaluate_claim6(index: ResultIndex) -> Outcome:
    """At the full training set of each configuration: the largest ε_train's drop below the standard model is
    confirmed and no smaller ε_train is significantly above it; every configuration run must hold."""
    rows, evidence, configs, note, ev2, missing = _size_sweep(index, has_full_n)
    if missing is not None:
        return missing
    results, measured = [], []
    for ds, norm in configs:
        ns = _n_values(rows, ds, norm)
        n = ns[-1]
        std = _standard_rows(rows, ds, n, norm)
        advs = _adv_by_eps(rows, ds, norm, n)
        top = max(advs)
        parts = [Part(f"ε=0 minus ε={fmt(e)}", compare(std, rs)) for e, rs in advs.items()]
        top_part = parts[-1]
        verdict = V.combine([top_part.verdict] + [p.verdict if p.verdict == REFUTED else CONFIRMED
                                                  for p in parts[:-1]])
        decisive = next((p for p in parts if p.verdict == REFUTED), top_part)
        full = full_train_size(ds)
        note_ = ""
        if full is None:
            note_ = (f"the full training-set size of {display_name(ds)} is not known to the report (known: "
                     f"{full_sizes_text()})")
        elif not isinstance(n, (int, float)) or n < full:
            note_ = f"largest n = {n} is not the full training set ({display_name(ds)}: {full})"
        if note_:
            verdict = INCONCLUSIVE
            d = decisive.diff
            note_ += (f"; at n = {n} (not judged): {decisive.what} {d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}], "
                      f"minimum detectable effect {d.mde:.4f} at {V.POWER:.0%} power")
        results.append(ConfigResult(ds, norm, n, verdict, parts, decisive, note_))
        measured.append(f"{_config_label(ds, norm)}, largest n={n} (scale {_scales(rows, ds, norm)}): "
                        f"{results[-1].reason()} (largest ε_train = "
                        f"{fmt(top)}; smaller ε_train significantly above the standard model: "
                        + (", ".join(p.what for p in parts[:-1] if p.verdict == REFUTED) or "none") + ").")
        cross = _crossover(rows, ds, norm, ns)
        if cross:
            measured.append(f"{_config_label(ds, norm)}: {cross}")
    verdict, summary, line = _claim_outcome(results)
    table = _sweep_table(rows, configs, "Standard accuracy vs training-set size (Fig. 1 ℓ2, Fig. 6 ℓ∞)")
    parts = _parts_table(results, "Claim 6: the standard model against each ε_train at the largest n (95% CI)")
    return Outcome(verdict, summary, measured + [line] + note, [table, parts], evidence + ev2)


def _crossover(rows, ds, norm, ns) -> str:
    """Where the best adversarial model's mean drops below the standard model's for good, in words (or "")."""
    above = []
    for n in ns:
        base = spread(_standard_rows(rows, ds, n, norm)).mean
        above.append(max(spread(rs).mean for rs in _adv_by_eps(rows, ds, norm, n).values()) > base)
    if len(ns) < 2 or not above[0] or any(above[-1:]):
        return ""
    i = max(i for i, a in enumerate(above) if a)
    return (f"crossover of the means between n={ns[i]} and n={ns[i + 1]}: the best adversarial model's mean is above "
            f"the standard model's up to n={ns[i]} and below it from n={ns[i + 1]} on (descriptive, not tested).")


def _monotone(dataset: str, norm: str, n: Any, seq: list[tuple[float, list[dict]]]) -> ConfigResult:
    """Claims 7 and 8 on one configuration: the overall drop (ε = 0 minus the largest ε) must be confirmed and no
    consecutive step may be refuted (a significant rise); refuted when the overall drop or any step is refuted."""
    (e0, r0), (e_last, r_last) = seq[0], seq[-1]
    overall = Part(f"overall drop ε={fmt(e0)} minus ε={fmt(e_last)}", compare(r0, r_last))
    steps = [Part(f"step ε={fmt(a)} minus ε={fmt(b)}", compare(ra, rb)) for (a, ra), (b, rb) in zip(seq, seq[1:])]
    refuted = [p for p in [overall, *steps] if p.verdict == REFUTED]
    if refuted:
        verdict, decisive = REFUTED, refuted[0]
    else:
        verdict, decisive = overall.verdict, overall
    parts = [overall] + (steps if len(steps) > 1 else [])
    return ConfigResult(dataset, norm, n, verdict, parts, decisive)


def _eps_sequences(rows: list[dict], mixed: bool) -> dict[tuple[str, str], tuple[Any, list[tuple[float, list]]]]:
    """Per (dataset, norm): the largest n_train with adversarial rows and a standard model, and the sequence
    (ε_train, rows) starting with the standard model at ε = 0."""
    out = {}
    for ds, norm in sorted({(str(r["dataset"]), str(r["norm"])) for r in rows
                            if value(r["eps_train"]) > 0 and _is_mixed(r) == mixed}):
        ns = sorted({r["n_train"] for r in rows if (str(r["dataset"]), str(r["norm"])) == (ds, norm)
                     and value(r["eps_train"]) > 0 and _is_mixed(r) == mixed
                     and _standard_rows(rows, ds, r["n_train"], norm)})
        if not ns:
            continue
        n = ns[-1]
        seq = [(0.0, _standard_rows(rows, ds, n, norm))]
        seq += list(_adv_by_eps(rows, ds, norm, n, mixed=mixed).items())
        out[(ds, norm)] = (n, seq)
    return out


def _eps_table(seqs, caption: str) -> ClaimTable:
    rows = []
    for (ds, norm), (n, seq) in sorted(seqs.items()):
        prev = None
        for eps, rs in seq:
            step = "—" if prev is None else _diff_cell(compare(prev, rs))
            rows.append((_config_label(ds, norm), str(n), fmt(eps), *spread(rs).cells(), step))
            prev = rs
    return ClaimTable(caption, ("dataset, norm", "n_train", "ε_train", "standard acc (mean)", "s.d. over seeds (k)",
                                "test points", "drop from the previous ε: difference [95% CI]"), tuple(rows))


def _monotone_outcome(seqs, source_line: str | None, what: str, caption: str) -> tuple[str, str, list, list]:
    """Claims 7 and 8: (verdict, summary, measured lines, tables) of :func:`_monotone` over every configuration."""
    results = [_monotone(ds, norm, n, seq) for (ds, norm), (n, seq) in sorted(seqs.items())]
    measured = [source_line] if source_line else []
    for c, (_, (n, seq)) in zip(results, sorted(seqs.items())):
        means = " → ".join(f"{fmt(e)}: {fmt(spread(rs).mean)}" for e, rs in seq)
        scale = _scales([r for _, rs in seq for r in rs], c.dataset, c.norm)
        measured.append(f"{c.label} (n={n}{what}; scale {scale}): {means}; {c.reason()}."
                        + (" One ε_train > 0 at this scale: the test is the overall drop alone, there is no step "
                           "between ε values to test (scales with more ε_train values test the steps too, e.g. "
                           "`--scale long` on MNIST)."
                           if len(seq) == 2 else ""))
    verdict, summary, line = _claim_outcome(results)
    measured.append(line)
    return verdict, summary, measured, [_eps_table(seqs, caption),
                                        _parts_table(results, "Overall drop and steps per configuration (95% CI)")]


def evaluate_claim7(index: ResultIndex) -> Outcome:
    """Per (dataset, norm): the overall drop of standard accuracy from ε = 0 to the largest ε_train is confirmed and
    no step rises significantly; every configuration run must hold."""
    rows, evidence = sweep_rows(index, ("fig7",), has_eps_sequence)
    source = "Fig. 7 sweep"
    if not _configs([r for r in rows if not _is_mixed(r)]):
        rows, evidence = sweep_rows(index, ("fig1", "fig6"), has_eps_sequence)
        source = "largest training-set size of the Fig. 1/6 sweeps (no Fig. 7 result)"
    rows, failed = split_failed([r for r in rows if not _is_mixed(r)])
    seqs = {k: v for k, v in _eps_sequences(rows, mixed=False).items() if len(v[1]) >= 2}
    if not seqs:
        out = _missing([Kind.DEEP_SWEEP], "(experiment fig7, or fig1/fig6)")
        out.measured += failed
        return out
    verdict, summary, measured, tables = _monotone_outcome(seqs, f"Source: {source}.", "",
                                                           "Standard accuracy vs ε_train")
    measured += failed
    norms = sorted({norm_name(k[1]) for k in seqs})
    if len(norms) < 2:
        measured.append(f"Only {', '.join(norms)} was run; the claim covers ℓ∞ and ℓ2.")
    return Outcome(verdict, summary, measured, tables, evidence)


def _standard_partners(index: ResultIndex, mixed_rows: list[dict]) -> tuple[list[dict], list[Evidence]]:
    """Standard (ε = 0) rows for claim 8's mixed-batch runs, from the Fig. 7 / Fig. 1 / Fig. 6 files of the same
    dataset AND the same scale as the mixed rows (the newest file per experiment), each run once. A standard model of
    another scale is another recipe (epochs, width, attack, evaluation): a difference against it would measure the
    recipe, not the mixed batches."""
    wanted = {(str(r["dataset"]), str(r.get("result_scale"))) for r in mixed_rows if _is_mixed(r)}
    newest: dict[tuple[str, str, str], ResultFile] = {}
    for f in index.all(Kind.DEEP_SWEEP):
        exp = str(f.payload.get("experiment"))
        if exp not in ("fig7", "fig1", "fig6"):
            continue
        for ds in {str(row["dataset"]) for row in f.payload["rows"]}:
            key = (exp, ds, f.scale.value)
            if (ds, key[2]) in wanted and (key not in newest or str(f.created or "") > str(newest[key].created or "")):
                newest[key] = f
    out, evidence, seen = [], [], set()
    for (exp, ds, scale), f in sorted(newest.items()):
        for row in f.payload["rows"]:
            if str(row["dataset"]) != ds or value(row["eps_train"]) != 0 or _is_mixed(row):
                continue
            ident = (ds, scale, row.get("run") or (row.get("n_train"), row.get("seed")))
            if ident in seen:
                continue
            seen.add(ident)
            out.append(dict(row, experiment=exp, result_scale=scale))
            if _evidence(f) not in evidence:
                evidence.append(_evidence(f))
    return out, evidence


def evaluate_claim8(index: ResultIndex) -> Outcome:
    """With 50/50 clean/adversarial batches, the test of claim 7 per (dataset, norm); every configuration must hold."""
    rows, evidence = sweep_rows(index, ("mixed",), has_mixed)
    if not any(_is_mixed(r) for r in rows):
        return _missing([Kind.DEEP_SWEEP], "(experiment mixed, rows with mixed=true)")
    # the standard model at ε = 0 may come from the other sweeps of the same scale when the mixed file lacks it
    extra, ev_extra = _standard_partners(index, rows)
    pool, failed = split_failed(rows + extra)
    seqs = {k: v for k, v in _eps_sequences(pool, mixed=True).items() if len(v[1]) >= 2}
    if not seqs:
        out = _missing([Kind.DEEP_SWEEP], "(a standard model at the training-set size of the mixed runs)")
        out.measured += failed
        return out
    used_extra = bool(extra) and not any(value(r["eps_train"]) == 0 for r in rows)
    verdict, summary, measured, tables = _monotone_outcome(seqs, None, ", 50% clean / 50% adversarial",
                                                           "Standard accuracy vs ε_train, mixed batches")
    measured += failed
    return Outcome(verdict, summary, measured, tables,
                   evidence + ([e for e in ev_extra if e not in evidence] if used_extra else []))


# ----------------------------------------------------------------------------------------------- claim 9


def evaluate_claim9(index: ResultIndex) -> Outcome:
    """Figure 5: robust top-mass > standard top-mass, and past the robust peak of the top-k curve, robust accuracy
    falls by at least TOPK_DROP_MIN while standard accuracy does not fall."""
    r = index.best(Kind.LINEAR_FIG5)
    if r is None:
        return _missing([Kind.LINEAR_FIG5])
    pl = r.payload
    n_test = pl.get("n_test")
    sm = pl["summary"]
    st, rb = sm["standard"], sm["robust"]

    def acc(x):
        hw = binomial_halfwidth(value(x), n_test)
        return fmt(x) + (f" [{fmt(value(x) - hw)}, {fmt(value(x) + hw)}]" if hw and not isinstance(x, dict) else "")

    mass_ok = value(rb["top_mass"]) > value(st["top_mass"])
    topk = sorted(pl["topk"], key=lambda t: value(t["k"]))
    if len(topk) < 2:
        raise ValueError("linear.fig5: topk needs at least two values of k")
    peak = max(topk, key=lambda t: (value(t["robust_acc"]), -value(t["k"])))
    last, first = topk[-1], topk[0]
    drop = value(peak["robust_acc"]) - value(last["robust_acc"])
    rise = value(last["standard_acc"]) - value(peak["standard_acc"])
    topk_ok = drop >= TOPK_DROP_MIN and rise >= 0
    measured = [
        f"Digits {pl.get('digits')}, {norm_name(pl.get('norm', 'linf'))} ε={fmt(pl.get('eps'))}, "
        f"pixels kept in [0, 1]: {fmt(pl.get('box'))}; robust accuracy is exact for linear models"
        + (f"; {n_test} test points (brackets: 95% binomial interval)." if n_test else "."),
        f"Standard model: standard {acc(st['standard_acc'])}, robust {acc(st['robust_acc'])}, top-pixel weight mass "
        f"{fmt(st['top_mass'])}, active pixels {fmt(st.get('n_active'))}.",
        f"Robust model: standard {acc(rb['standard_acc'])}, robust {acc(rb['robust_acc'])}, top-pixel weight mass "
        f"{fmt(rb['top_mass'])}, active pixels {fmt(rb.get('n_active'))}: robust mass larger: "
        f"{'yes' if mass_ok else 'NO'}.",
        f"Top-k: k={fmt(value(first['k']), 0)} → standard {fmt(first['standard_acc'])}, robust "
        f"{fmt(first['robust_acc'])}; robust peak at k={fmt(value(peak['k']), 0)} ({fmt(peak['robust_acc'])}); "
        f"k={fmt(value(last['k']), 0)} → standard {fmt(last['standard_acc'])}, robust {fmt(last['robust_acc'])}: "
        f"robust falls {fmt(drop)} (≥{TOPK_DROP_MIN:g}?) while standard changes {fmt(rise)} (≥0?): "
        f"{'trade-off seen' if topk_ok else 'trade-off NOT seen'}.",
    ]
    if "weight_correlation" in st and "weight_correlation" in rb:
        measured.append(f"Correlation between each pixel's weight and its label correlation: standard "
                        f"{fmt(st['weight_correlation'])}, robust {fmt(rb['weight_correlation'])}.")
    table = ClaimTable("Top-k training (Figure 5c)", ("k", "standard acc", "robust acc"),
                       tuple((fmt(value(t["k"]), 0), fmt(t["standard_acc"]), fmt(t["robust_acc"])) for t in topk))
    summary = (f"top mass robust {fmt(rb['top_mass'])} vs standard {fmt(st['top_mass'])}; top-k robust drop "
               f"{fmt(drop)}")
    return Outcome(CONFIRMED if mass_ok and topk_ok else REFUTED, summary, measured, [table], [_evidence(r)])


# ----------------------------------------------------------------------------------------------- claims 10, 11


def _is_standard_model(m: dict) -> bool:
    if "eps_train" in m and m["eps_train"] is not None:
        return value(m["eps_train"]) == 0
    name = str(m.get("name", "")).lower()
    return name.startswith(("standard", "std", "natural", "clean"))


def _per_dataset(index: ResultIndex, kind: str) -> dict[str, ResultFile]:
    out: dict[str, ResultFile] = {}
    for r in index.all(kind):
        out.setdefault(str(r.payload.get("dataset", r.dataset)), r)
    return dict(sorted(out.items()))


def _interval_or_point(v: Any) -> tuple[float, float]:
    b = bounds(v)
    return b if b is not None else (value(v), value(v))


def _interval_se(v: Any) -> float:
    """Standard error behind an interval ``{estimate, low, high, level}`` (0 for a plain number)."""
    b = bounds(v)
    if b is None:
        return 0.0
    level = float(v.get("level") or 0.95) if isinstance(v, dict) else 0.95
    return V.se_of_interval(b[0], b[1], level)


def robust_minus_standard(m: dict, s: dict, key: str, paired_ok: bool,
                          paired_keys: tuple[str, ...] = ("minus_standard",),
                          over_models: bool = False) -> V.Difference:
    """The effect robust − standard on ``key`` for claims 10 and 11, from the best evidence the producer gives:
    the per-seed values of both models (``over_models``: ``excess_by_seed`` with ≥ 2 shared seeds, paired t over
    seeds, the uncertainty over models), else the producer's paired interval (the first of ``paired_keys`` present; same
    images for both models) when ``paired_ok``; else the difference of the two estimates with SE = √(SE_r² + SE_s²)
    from their intervals (independent samples assumed, which overstates the SE when both models saw the same
    images), normal, 95%."""
    if paired_ok:
        over = _over_models(m, s) if over_models else None
        if over is not None:
            return over
        for pk in paired_keys:
            pm = m.get(pk)
            if isinstance(pm, dict) and bounds(pm) is not None:
                return V.from_estimate(value(pm), _interval_se(pm),
                                       f"normal, producer's paired interval over the same images ({pk})")
    se = math.sqrt(_interval_se(m[key]) ** 2 + _interval_se(s[key]) ** 2)
    method = ("normal, difference of two intervals (SE from their widths, combined as independent)" if se > 0 else
              "no interval given: no uncertainty")
    return V.from_estimate(value(m[key]) - value(s[key]), se, method)


def _over_models(m: dict, s: dict) -> V.Difference | None:
    """Paired t over seeds of the per-model values ``excess_by_seed`` (``{"seeds", "values"}``) of a robust and the
    standard model, when both give them for ≥ 2 common seeds; else None."""
    a, b = m.get("excess_by_seed"), s.get("excess_by_seed")
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return None
    va, vb = dict(zip(a.get("seeds", []), a.get("values", []))), dict(zip(b.get("seeds", []), b.get("values", [])))
    common = sorted(set(va) & set(vb))
    if len(common) < 2:
        return None
    d = V.difference([float(va[k]) for k in common], [float(vb[k]) for k in common], paired=True)
    return replace(d, method=f"paired t over {len(common)} models (seeds {', '.join(map(str, common))}) of each "
                             "recipe, each model's mean over the images")


def _separated(index: ResultIndex, kind: str, keys: tuple[str, ...], what: str,
               paired: dict[str, tuple[str, ...]] | None = None, over_models: tuple[str, ...] = (),
               describe: Callable | None = None) -> Outcome:
    """Per dataset (and per attack norm when the models carry ``attack_norm``): every robust model is above the
    standard model on the first of ``keys`` that all models have, judged by :func:`robust_minus_standard` (95% CI
    above 0: confirmed; below: refuted; else inconclusive with its MDE). Every model of every group must hold."""
    files = _per_dataset(index, kind)
    if not files:
        return _missing([kind])
    measured, group_verdicts, rows, evidence, short = [], {}, [], [], {}
    for ds, r in files.items():
        groups: dict[str, list[dict]] = defaultdict(list)
        for m in r.payload["models"]:
            groups[str(m.get("attack_norm") or "")].append(m)
        used = False
        for attack, ms in sorted(groups.items()):
            label = display_name(ds) + (f", {norm_name(attack)} attack" if attack else "")
            models = sorted(ms, key=lambda m: (not _is_standard_model(m), str(m.get("name"))))
            key = next((k for k in keys if all(k in m for m in models)), None)
            std = [m for m in models if _is_standard_model(m)]
            rob = [m for m in models if not _is_standard_model(m)]
            if key is None or not std or not rob:
                measured.append(f"{label}: needs a standard model, a robust model and `{keys[0]}` for each; "
                                "not evaluated.")
                continue
            used = True
            s = std[0]
            pks = (paired or {keys[0]: ("minus_standard",)}).get(key, ())
            diffs = {id(m): robust_minus_standard(m, s, key, bool(pks), pks, key in over_models) for m in rob}
            verdict = V.combine([d.verdict for d in diffs.values()])
            group_verdicts[label] = verdict
            short[label] = f"{key} standard {fmt(value(s[key]))}, robust " + "/".join(fmt(value(m[key])) for m in rob)
            for m in models:
                norm = m.get("norm")
                d = diffs.get(id(m))
                rows.append((label, str(m.get("name")), norm_name(norm) if norm and norm != "none" else "",
                             fmt(m.get("eps_train")), *(fmt(m.get(k)) for k in keys),
                             fmt(next((m[k] for k in pks if k in m), None)),
                             "—" if d is None else f"{_diff_cell(d)} (95% CI; {d.method})",
                             "—" if d is None else d.verdict))
            measured.append(
                f"{label}: standard model `{s.get('name')}` {key} {fmt(s[key])}; "
                + "; ".join(f"`{m.get('name')}` {fmt(m[key])}: robust − standard {diffs[id(m)].text()}: "
                            f"{diffs[id(m)].verdict}" for m in rob)
                + f"; every robust model above the standard one: {verdict}.")
        if used:
            evidence.append(_evidence(r))
            if describe is not None:
                measured += describe(ds, r.payload)
        extra = r.payload.get("interpolation_smoothness")
        if extra is not None:
            measured.append(f"{display_name(ds)}: interpolation smoothness (reported, not judged): "
                            f"{_smoothness_text(extra)}.")
    if not group_verdicts:
        out = _missing([kind], "with a standard and a robust model")
        out.measured += measured
        return out
    verdict = V.combine(list(group_verdicts.values()))
    measured.append(f"Verdict over {len(group_verdicts)} dataset/attack group(s), every one must hold (one refuted "
                    f"refutes, all confirmed confirm, else inconclusive): {verdict}.")
    summary = "; ".join(f"{k} {short[k]}: {v}" for k, v in group_verdicts.items())
    table = ClaimTable(what, ("dataset", "model", "norm", "ε_train", *keys, "paired robust − standard (producer)",
                              "robust − standard [95% CI]", "verdict"), tuple(rows))
    return Outcome(verdict, summary, measured, [table], evidence)


def _smoothness_text(x: Any) -> str:
    """Numbers and intervals of a smoothness record (lists such as mean curves are left out)."""
    if isinstance(x, dict) and "estimate" in x:
        return fmt(x)
    if isinstance(x, dict):
        parts = [f"{k}: {_smoothness_text(v)}" for k, v in sorted(x.items()) if not isinstance(v, list)]
        return "; ".join(p for p in parts if p)
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return fmt(float(x))
    return ""


def _gradient_baseline(ds: str, payload: dict) -> list[str]:
    """Claim 10: each model's edge alignment beside its shuffled baseline, in words."""
    parts = []
    for m in payload.get("models", []):
        if "shuffled_baseline" in m:
            parts.append(f"`{m.get('name')}` {fmt(m.get('edge_alignment'))} vs shuffled {fmt(m['shuffled_baseline'])}"
                         f" (excess {fmt(m.get('excess_alignment'))})")
    if not parts:
        return [f"{display_name(ds)}: no shuffled baseline in this file (an older producer): the raw alignment is "
                "judged."]
    counts = payload.get("n_models_per_name") or {}
    return [f"{display_name(ds)}: edge alignment vs its baseline ({payload.get('baseline', 'shuffled pairing')}): "
            + "; ".join(parts) + f"; models per recipe: {counts or 1}."]


def evaluate_claim10(index: ResultIndex) -> Outcome:
    """Per dataset, every robust model's excess edge alignment (alignment minus the shuffled-image baseline; the
    raw alignment for files without a baseline) is above the standard model's: paired t over models (seeds) when
    replicates exist, else the paired interval over images."""
    return _separated(index, Kind.DEEP_GRADIENTS, ("excess_alignment", "edge_alignment"),
                      "Input-gradient edge alignment, its shuffled baseline and the excess (95% intervals)",
                      paired={"excess_alignment": ("excess_minus_standard",), "edge_alignment": ("minus_standard",)},
                      over_models=("excess_alignment",), describe=_gradient_baseline)


def _judge_text(ds: str, payload: dict) -> list[str]:
    """Claim 11: who the judge is and which attacks are judged, in words."""
    j = payload.get("judge") or {}
    recipe = j.get("recipe") if isinstance(j, dict) else None
    lines = [f"{display_name(ds)}: judge: {recipe}." if recipe else
             f"{display_name(ds)}: the judge's recipe is not stated (an older producer: possibly the same recipe as "
             "the attacked standard model, whose perturbations transfer to it)."]
    if payload.get("claim11_rows"):
        lines.append(f"{display_name(ds)}: judged rows: {payload['claim11_rows']}; the cross-norm attacks (Fig. 8/9) "
                     "are in the result file, not judged.")
    return lines


def evaluate_claim11(index: ResultIndex) -> Outcome:
    """Per dataset and attack norm, every robust model (attacked in its own norm) has a higher other-class
    probability (else rate) under the judge than the standard model attacked in the same norm; interpolation
    smoothness is reported only."""
    return _separated(index, Kind.DEEP_LARGE_EPS, ("other_class_prob", "other_class_rate"),
                      "Large-ε examples: probability/rate of another class", describe=_judge_text)


# ----------------------------------------------------------------------------------------------- claim 12


def evaluate_claim12(index: ResultIndex) -> Outcome:
    """All gradient-masking sanity checks of all runs passed (at least one check)."""
    runs: dict[str, ResultFile] = {}
    demos: list[str] = []
    for r in index.all(Kind.DEEP_SANITY):
        if str(r.dataset or "").lower().startswith("toy"):  # `tradeoff deep eval` of a synthetic demo run
            demos.append(r.path)
            continue
        runs.setdefault(str(r.payload.get("run", r.path)), r)
    if not runs:
        out = _missing([Kind.DEEP_SANITY], "for a paper dataset")
        if demos:
            out.measured.append(f"Ignored {len(demos)} file(s) of synthetic demo runs (`{demos[0]}`).")
        return out
    rows, failed, skipped, evidence = [], [], [], []
    for run, r in sorted(runs.items()):
        evidence.append(_evidence(r))
        for c in sorted(r.payload["checks"], key=lambda c: str(c["name"])):
            passed = bool(c["passed"])
            if not passed:
                failed.append(f"{run}: {c['name']}")
            rows.append((run, str(c["name"]), "yes" if passed else "NO", str(c.get("detail", ""))))
        for c in r.payload.get("skipped", []):  # could not run (e.g. no pyautoattack): neither passed nor failed
            skipped.append(f"{run}: {c['name']}")
            rows.append((run, str(c["name"]), "skipped", str(c.get("reason", ""))))
    if len(rows) == len(skipped):
        return _missing([Kind.DEEP_SANITY], "with at least one check")
    n_run = len(rows) - len(skipped)
    measured = [f"{n_run - len(failed)}/{n_run} checks passed over {len(runs)} run(s)."]
    if skipped:
        measured.append("Skipped (not counted): " + "; ".join(skipped) + ".")
    if demos:
        measured.append(f"Ignored {len(demos)} file(s) of synthetic demo runs (dataset toy), e.g. `{demos[0]}`.")
    if failed:
        measured.append("Failed: " + "; ".join(failed) + ".")
    table = ClaimTable("Gradient-masking sanity checks", ("run", "check", "passed", "detail"), tuple(rows))
    return Outcome(REFUTED if failed else CONFIRMED, f"{n_run - len(failed)}/{n_run} checks passed",
                   measured, [table], evidence)


# ----------------------------------------------------------------------------------------------- the list

CLAIMS: tuple[Claim, ...] = (
    Claim(1, "Averaging classifier: accurate but not robust",
          "On D(d, p, η) the classifier sign(Σ weak features) has standard accuracy Φ(η√d) and ℓ∞ robust accuracy "
          "Φ(−η√d) at ε = 2η: above 99% and below 1% as soon as η√d ≥ 3.",
          (Kind.THEORY_AVERAGING,),
          f"Confirmed when, for every setting stored, both closed forms lie inside their Monte Carlo intervals "
          f"(widened to a familywise 95% level over all settings, Bonferroni), "
          f"equal Φ(η√d) and Φ((η−ε)√d) (ℓ2: Φ(η√d − ε)) within {CLOSED_FORM_TOL:g}, and, where "
          f"η√d ≥ {ETA_SQRT_D_MIN:g} and ε ≥ 2η (ℓ2: 2η√d), standard > 0.99 and robust < 0.01. Not run when no "
          "setting has Monte Carlo intervals.",
          ("theory_averaging",), evaluate_claim1),
    Claim(2, "Theorem 1: robustness costs accuracy",
          "Any classifier with standard accuracy at least 1 − δ has ℓ∞ robust accuracy at most p/(1−p)·δ for "
          "ε ≥ 2η; the bound is attained at δ = 1 − p.",
          (Kind.THEORY_BOUND, Kind.THEORY_FRONTIER),
          f"Confirmed when every evaluated classifier has robust ≤ p/(1−p)·(1 − standard) (for Monte Carlo "
          f"estimates: the lower end of the robust interval ≤ p/(1−p)·(1 − lower end of the standard interval), i.e. "
          f"the data do not contradict the bound) and its stored `holds` flag agrees, the gap at "
          f"δ = 1 − p is within {TIGHT_GAP_TOL:g}, and, when the frontier file exists, exact frontier ≤ Theorem 1 "
          "line and best linear rule ≤ exact frontier at every δ.",
          ("theory_frontier",), evaluate_claim2),
    Claim(3, "Theorem 2: adversarial training changes the solution",
          "The population soft-margin SVM is over 99% accurate but under 1% robust at ε ≥ 2η; its adversarially "
          "trained version puts zero weight on the weak features and has standard = robust accuracy = p; Lemmas "
          "D.1–D.5 hold; logistic loss shows the same pattern.",
          (Kind.THEORY_SVM,),
          f"Confirmed when the standard SVM has standard > 0.99 and robust < 0.01, the adversarial SVM has standard "
          f"and robust accuracy within {SVM_ACC_TOL:g} of p and weak-feature weight norm ≤ "
          f"{SVM_WEAK_TOL:g}·max(1, ‖w‖₂), all five lemmas hold and the logistic pattern holds; 'not run' if the "
          "logistic part is missing.",
          ("theory_svm",), evaluate_claim3),
    Claim(4, "The weak-feature perturbation transfers",
          "Moving every weak feature by −2ηy fools standard classifiers trained independently of each other.",
          (Kind.THEORY_TRANSFER,),
          f"Confirmed when at least 2 models were trained and, for every model, the lower end of the 95% interval of "
          f"the fraction of its test points fooled is ≥ {TRANSFER_MIN:g}: one shift, computed without looking at any "
          f"model, flips most points of each.",
          ("theory_transfer",), evaluate_claim4),
    Claim(5, "Few samples: adversarial training helps standard accuracy",
          "With few training samples, adversarially trained models reach higher standard accuracy than standard "
          "training (clearly on MNIST).",
          (Kind.DEEP_SWEEP,),
          "Test, fixed before the data (docs/statistics.md): at the smallest training-set size of each (dataset, "
          "norm) configuration, each adversarially trained model (m values of ε_train > 0) against the standard "
          "model, effect = its mean standard accuracy minus the standard model's, paired t by seed when the runs "
          "share seeds (else Welch; a single run: the test set alone), plus the test-set binomial bound, interval "
          f"at level 1 − α/m with α = {V.ALPHA:g} (Bonferroni: the claim is that *some* ε_train helps, so picking "
          "the best "
          "one must not inflate α). A configuration is confirmed when some ε_train is confirmed, refuted when every "
          "one is refuted, else inconclusive (with the best ε_train's minimum detectable effect); a smallest size "
          "that is the full training set is not 'few samples' and gives inconclusive. Scope: the paper "
          "states the gain as clear only on MNIST, so every MNIST configuration run (ℓ∞, Fig. 6; ℓ2, Fig. 1) "
          "must hold: one refuted refutes, all confirmed confirm, else inconclusive. Other datasets are shown per "
          "configuration but not judged; without an MNIST sweep the claim is not run. The theory analogue on D is "
          "shown, not used." + TRAINING_FAILURE_RULE,
          ("fig1", "fig6", "theory_finite_sample"), evaluate_claim5),
    Claim(6, "Full data: robust models are less accurate",
          "With enough training data, robust models' standard accuracy falls below the standard model's: the curves "
          "cross as the training set grows.",
          (Kind.DEEP_SWEEP,),
          "Test, fixed before the data (docs/statistics.md): at the largest training-set size of each (dataset, "
          "norm) configuration, effect = the standard model's mean standard accuracy minus that of each ε_train > "
          "0, paired t by seed when the runs share seeds (else Welch), plus the test-set binomial bound, 95% "
          "interval. A configuration is confirmed when the largest ε_train's drop is confirmed and no smaller "
          "ε_train is refuted (significantly above the standard model), refuted when any of these is refuted, else "
          "inconclusive (with the largest ε_train's minimum detectable effect). 'Full data' means the dataset's "
          f"full training set ({full_sizes_text()}): a configuration whose largest n is smaller is "
          "inconclusive, whatever its numbers. Every configuration run must hold: one refuted refutes, all "
          "confirmed confirm, else inconclusive." + TRAINING_FAILURE_RULE,
          ("fig1", "fig6", "theory_finite_sample"), evaluate_claim6),
    Claim(7, "Standard accuracy falls as ε_train grows",
          "Standard accuracy decreases steadily as the training ε grows, for ℓ∞ and ℓ2 training, on every dataset.",
          (Kind.DEEP_SWEEP,),
          "Test, fixed before the data (docs/statistics.md): per (dataset, norm) at the largest training-set size "
          "(Fig. 7 rows; else the largest size of the Fig. 1/6 sweeps), with ε_train sorted from 0: the overall drop "
          "(mean standard accuracy at ε = 0 minus at the largest ε) and each consecutive step's drop (at ε_i minus "
          "at ε_i+1), each a difference with a 95% interval, paired t by seed when the runs share seeds (else "
          "Welch; a single run: the test set alone), plus the test-set binomial bound. A configuration is confirmed "
          "when the overall drop is confirmed and no step is refuted (no significant rise), refuted when the "
          "overall drop or any step is refuted, else inconclusive (with the overall drop's minimum detectable "
          "effect). Every configuration run must hold: one refuted refutes, all confirmed confirm, else "
          "inconclusive; a norm that was not run is named." + TRAINING_FAILURE_RULE,
          ("fig7",), evaluate_claim7),
    Claim(8, "The drop persists with half-clean batches",
          "The fall of standard accuracy with ε_train remains when each batch is 50% clean and 50% adversarial.",
          (Kind.DEEP_SWEEP,),
          "The test of claim 7 on the mixed-batch models (each batch 50% clean, 50% adversarial); ε = 0 is the "
          "standard model from the mixed file, else from the other sweeps at the same training-set size (paired by "
          "seed when the seeds match). Every configuration run must hold: one refuted refutes, all confirmed "
          "confirm, else inconclusive; each configuration's verdict and, when inconclusive, its minimum detectable "
          "effect are printed, so an inconclusive dataset never hides a clear result elsewhere."
          + TRAINING_FAILURE_RULE,
          ("fig7",), evaluate_claim8),
    Claim(9, "Figure 5: robust linear weights use few, robust pixels",
          "On MNIST 5 vs 7, the ℓ∞-robust linear classifier concentrates its weight on a few strongly label-"
          "correlated pixels, while the standard one spreads it; training on the k most correlated pixels trades "
          "robustness for accuracy as k grows.",
          (Kind.LINEAR_FIG5,),
          f"Confirmed when the robust model's top-pixel weight mass exceeds the standard model's, and in the top-k "
          f"curve the robust accuracy falls by at least {TOPK_DROP_MIN:g} from its peak to the largest k while the "
          "standard accuracy does not fall over the same range.",
          ("fig5",), evaluate_claim9),
    Claim(10, "Robust models have interpretable gradients",
          "Loss gradients with respect to the input look like the object for robust models and like noise for "
          "standard ones.",
          (Kind.DEEP_GRADIENTS,),
          "Measured as the alignment of the input gradient with the image's edges (per image, Pearson correlation "
          "of |∇ₓL| with the Sobel edge map), minus its baseline: the same correlation with the edges of another "
          "test image (pairing shifted by one), which is what a gradient concentrated near the digit's usual "
          "place gets anyway. Test: per dataset, effect = robust minus standard excess alignment; paired t over "
          "the models of each recipe (seeds) when the producer trained replicates (the uncertainty over models), "
          "else the producer's paired interval over the same images, else the difference of two intervals "
          "combined as independent; 95% interval: confirmed above 0, refuted below 0, else inconclusive (with its "
          "minimum detectable effect). Files without a baseline are judged on the raw alignment. Every robust "
          "model of every dataset run must hold: one refuted refutes, all confirmed confirm, else inconclusive.",
          ("fig2", "fig10"), evaluate_claim10),
    Claim(11, "Large-ε examples of robust models look like another class",
          "Large-ε adversarial examples of robust models take on features of another class, and the straight path "
          "from the image to them changes smoothly; standard models' examples look like noise.",
          (Kind.DEEP_LARGE_EPS,),
          "Measured as the probability (else the rate) that a judge assigns the adversarial example to another "
          "class; the judge is of another recipe than the attacked standard model (another width and seed, or a "
          "robust model), so that the standard model's perturbations do not simply transfer to it; the report "
          "states it. Each model is attacked in its own norm: per dataset and attack norm, the robust model "
          "trained in that norm against the standard model attacked in the same norm (both norms reported; the "
          "cross-norm attacks of Fig. 8/9 are not judged). The test of claim 10: robust minus standard, 95% "
          "interval (difference of the two intervals over images), confirmed / refuted / inconclusive; every "
          "robust model of every dataset and norm must hold. Interpolation smoothness is reported but not judged.",
          ("fig3", "fig4", "fig8", "fig9"), evaluate_claim11),
    Claim(12, "No gradient masking",
          "Robust accuracies are not artefacts of masked gradients: input gradients are non-zero, the model is "
          "deterministic, unbounded attacks reach 0% accuracy, more APGD steps or restarts never raise robust "
          "accuracy, and a black-box Square attack does not beat the white-box APGD ensemble.",
          (Kind.DEEP_SANITY,),
          "Confirmed when every sanity check of every run (latest file per run) passed; refuted if any failed. "
          "Files of synthetic demo runs (dataset toy) are listed but not used.",
          (), evaluate_claim12),
)


def evaluate(claim: Claim, index: ResultIndex) -> Outcome:
    """Apply ``claim``'s rule; a result file with missing or malformed payload keys gives 'not run' with the reason,
    and a verdict other than 'not run' without any number is turned into 'not run'."""
    try:
        out = claim.evaluate(index)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as e:
        what = f"missing payload key {e}" if isinstance(e, KeyError) else str(e)
        files = sorted({r.path for k in claim.kinds for r in index.all(k)})
        return Outcome(NOT_RUN, "unreadable result", [f"Could not evaluate from {', '.join(files) or 'the results'}: "
                                                      f"{what}. Fix or rerun the producing command."])
    by_path = {r.path: r for k in claim.kinds + (Kind.THEORY_FINITE_SAMPLE,) for r in index.all(k)}
    for e in out.evidence:
        missing = getattr(by_path.get(e.path), "payload", {}).get("missing")
        if isinstance(missing, list) and missing:
            out.measured.append(f"`{e.path}` lists {len(missing)} unfinished run(s) (e.g. `{missing[0]}`); its "
                                "numbers cover the finished runs only.")
    text = out.summary + " ".join(out.measured)
    if out.verdict != NOT_RUN and not any(ch.isdigit() for ch in text):
        out.verdict = NOT_RUN
        out.measured.append("No number was measured, so no verdict is given.")
    if out.verdict not in VERDICTS:
        raise AssertionError(f"claim {claim.number}: bad verdict {out.verdict!r}")
    return out
