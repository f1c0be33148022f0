"""The sweep-table machinery of the claims about trained models (5–8; docs/statistics.md): which ``deep.sweep``
rows a claim reads (per experiment, dataset and norm, the largest scale that has the data its test needs), which
runs are training failures, the standard model beside each adversarially trained one, the difference of two groups
of runs with its interval (:func:`compare`, paired by seed where possible), and the tables and per-configuration
verdicts the claims print."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tradeoff.data.io import unpack_flags
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import DATASETS, PAPER_DATASETS, by_label, display_name

from .. import verdicts as V
from ..result_index import ResultFile, ResultIndex
from .numeric import fmt, norm_name, value
from .outcome import CONFIRMED, INCONCLUSIVE, REFUTED, ClaimTable, Evidence, evidence_of


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
            d = _from_images(a, b, key, alpha) or V.difference(
                [value(r[key]) for r in a], [value(r[key]) for r in b], [_n_eval(r, key) for r in a],
                [_n_eval(r, key) for r in b], paired=True, alpha=alpha, shared_test_set=True)
            left = len(a_rows) + len(b_rows) - 2 * len(common)
            if left:
                d = replace(d, method=d.method + f"; {left} run(s) without a partner seed left out")
            return d
    return V.difference([value(r[key]) for r in a_rows], [value(r[key]) for r in b_rows],
                        [_n_eval(r, key) for r in a_rows], [_n_eval(r, key) for r in b_rows], paired=False,
                        alpha=alpha, shared_test_set=True)


def _from_images(a: list[dict], b: list[dict], key: str, alpha: float) -> V.Difference | None:
    """The paired difference of standard accuracies from every run's per-image correctness on the shared test set
    (``per_image_correct``, data.io.pack_flags; seeds × images, reports.verdicts.difference_from_correctness), or
    None when a row lacks it, the sizes differ, or ``key`` is not the standard accuracy."""
    if key != "standard_acc" or not all(isinstance(r.get("per_image_correct"), dict) for r in a + b):
        return None
    try:
        ca = np.stack([unpack_flags(r["per_image_correct"]) for r in a]).astype(float)
        cb = np.stack([unpack_flags(r["per_image_correct"]) for r in b]).astype(float)
    except ValueError:
        return None
    if ca.shape != cb.shape or ca.shape[1] < 2:
        return None
    return V.difference_from_correctness(ca, cb, paired=True, alpha=alpha)


@dataclass(frozen=True)
class Part:
    """One comparison of a claim's rule: what is compared (in words) and the difference with its interval."""

    what: str
    diff: V.Difference

    @property
    def verdict(self) -> str:
        """The comparison's verdict (its difference's interval against 0)."""
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
        """The configuration as the report names it (:func:`config_label`)."""
        return config_label(self.dataset, self.norm)

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


def parts_table(results: list[ConfigResult], caption: str) -> ClaimTable:
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


def claim_outcome(results: list[ConfigResult], scope: str = "every configuration run") -> tuple[str, str, str]:
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
        ev = evidence_of(r)
        if ev not in evidence:
            evidence.append(ev)
    return rows, evidence


def _size_coverage(r: ResultFile, dataset: str, norm: str) -> int:
    """How many training-set sizes of (dataset, norm) in file ``r`` have both a standard and an adversarial row."""
    rows = [x for x in r.payload["rows"] if (str(x["dataset"]), str(x.get("norm"))) == (dataset, norm)]
    std = {x["n_train"] for x in rows if value(x["eps_train"]) == 0}
    adv = {x["n_train"] for x in rows if value(x["eps_train"]) > 0}
    return len(std & adv)


def is_mixed(row: dict) -> bool:
    """Was the run trained on 50/50 clean/adversarial batches (Appendix B; claim 8)?"""
    return bool(row.get("mixed"))


def configs_of(rows: list[dict]) -> list[tuple[str, str]]:
    """(dataset, norm) of every adversarially trained row."""
    return sorted({(str(r["dataset"]), str(r["norm"])) for r in rows if value(r["eps_train"]) > 0})


def standard_rows(rows: list[dict], dataset: str, n_train: Any, norm: str | None = None) -> list[dict]:
    """The standard models (ε_train = 0, clean batches) of ``dataset`` at ``n_train``, one row per run id. When
    ``norm`` is given, prefer those from the same experiment(s) as the adversarial ``norm`` rows (same training
    budget), and among them those labelled with ``norm`` (evaluated in that norm); else pool every standard model
    at that size."""
    base = [r for r in rows if str(r["dataset"]) == dataset and value(r["eps_train"]) == 0 and not is_mixed(r)
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


def adv_by_eps(rows: list[dict], dataset: str, norm: str, n_train: Any, mixed: bool = False) -> dict[float, list]:
    """The adversarially trained rows of (``dataset``, ``norm``) at ``n_train`` (mixed batches or not), by ε_train in
    increasing order."""
    out: dict[float, list] = defaultdict(list)
    for r in rows:
        if (str(r["dataset"]), str(r["norm"])) == (dataset, norm) and r["n_train"] == n_train \
                and value(r["eps_train"]) > 0 and is_mixed(r) == mixed:
            out[value(r["eps_train"])].append(r)
    return dict(sorted(out.items()))


def n_values(rows: list[dict], dataset: str, norm: str) -> list:
    """Training-set sizes at which both a standard model and an adversarial (dataset, norm) model exist."""
    ns = {r["n_train"] for r in rows if (str(r["dataset"]), str(r["norm"])) == (dataset, norm)
          and value(r["eps_train"]) > 0 and not is_mixed(r)}
    return sorted(n for n in ns if standard_rows(rows, dataset, n, norm))


def scales_of(rows: list[dict], dataset: str, norm: str) -> str:
    """The scale(s) of the result files behind the (dataset, norm) rows, e.g. ``gpu-reduced``."""
    found = sorted({str(r.get("result_scale")) for r in rows if (str(r["dataset"]), str(r["norm"])) == (dataset, norm)
                    and r.get("result_scale")})
    return ", ".join(found) or "unknown"


def config_label(dataset: str, norm: str) -> str:
    """``MNIST, ℓ∞``: a (dataset, norm) configuration as the report names it."""
    return f"{display_name(dataset)}, {norm_name(norm)}"


def sweep_table(rows: list[dict], configs, caption: str) -> ClaimTable:
    """Claims 5 and 6's table: per configuration, training-set size and ε_train, the mean standard accuracy, its
    s.d. over seeds, the test points, and the difference from the standard model with its 95% interval."""
    out = []
    for ds, norm in configs:
        for n in n_values(rows, ds, norm):
            std = standard_rows(rows, ds, n, norm)
            for eps, rs in [(0.0, std), *adv_by_eps(rows, ds, norm, n).items()]:
                diff = "—" if eps == 0 else diff_cell(compare(rs, std))
                out.append((config_label(ds, norm), str(n), fmt(eps), *spread(rs).cells(), diff))
    return ClaimTable(caption, ("dataset, norm", "n_train", "ε_train", "standard acc (mean)", "s.d. over seeds (k)",
                                "test points", "minus ε=0: difference [95% CI]"), tuple(out))


def diff_cell(d: V.Difference) -> str:
    """A difference with its interval as one table cell: ``+0.0123 [+0.0050, +0.0196]``."""
    return f"{d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}]"


def has_small_n(rows: list, dataset: str, norm: str) -> bool:
    """Claim 5's data: a standard and an adversarial model (trained, not failed) at some n below the full set."""
    full = full_train_size(dataset) or math.inf
    return any(n < full for n in n_values(split_failed(rows)[0], dataset, norm) if isinstance(n, (int, float)))


def has_full_n(rows: list, dataset: str, norm: str) -> bool:
    """Claim 6's data: a standard and an adversarial model (trained, not failed) at the full training set."""
    ns = n_values(split_failed(rows)[0], dataset, norm)
    full = full_train_size(dataset)
    return bool(ns) and (full is None or full in ns)


def has_eps_sequence(rows: list, dataset: str, norm: str) -> bool:
    """Claim 7's data: a standard and an adversarial model (clean batches, trained, not failed) at one n."""
    return bool(n_values([r for r in split_failed(rows)[0] if not is_mixed(r)], dataset, norm))


def has_mixed(rows: list, dataset: str, norm: str) -> bool:
    """Claim 8's data: mixed-batch models (trained, not failed)."""
    return any(is_mixed(r) for r in split_failed(rows)[0])
