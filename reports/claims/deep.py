"""The claims about deep models trained over training-set sizes and radii (5–8; docs/paper.md §6, Figures 1, 6, 7
and Appendix B), each decided by the one test of :mod:`reports.verdicts` on the rows :mod:`.sweeps` chooses:
confirmed / refuted / inconclusive, every configuration run must hold."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tradeoff.data.kinds import Kind, producer
from tradeoff.data.registry import display_name

from .. import verdicts as V
from ..result_index import ResultFile, ResultIndex
from .numeric import fmt, norm_name, value
from .outcome import (
    CONFIRMED,
    INCONCLUSIVE,
    NOT_RUN,
    REFUTED,
    ClaimTable,
    Effect,
    Evidence,
    Outcome,
    evidence_of,
    not_run,
)
from .sweeps import (
    ConfigResult,
    HasData,
    Part,
    adv_by_eps,
    claim_outcome,
    compare,
    config_label,
    configs_of,
    diff_cell,
    full_sizes_text,
    full_train_size,
    has_eps_sequence,
    has_full_n,
    has_mixed,
    has_small_n,
    is_mixed,
    n_values,
    parts_table,
    scales_of,
    split_failed,
    spread,
    standard_rows,
    sweep_rows,
    sweep_table,
)


def effects_of(results: list[ConfigResult]) -> list[Effect]:
    """The decisive comparison of each configuration as an :class:`Effect`, with the configuration's verdict."""
    return [Effect.of(f"{c.label}, n={c.n_train}: {c.decisive.what}", c.decisive.diff, c.verdict)
            for c in results if c.decisive is not None]


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
            [evidence_of(r)])


def _size_sweep(index: ResultIndex, has_data: HasData | None = None):
    """Claims 5 and 6: the Fig. 1/6 sweep rows and evidence (per configuration, the largest scale whose file has
    ``has_data``), their adversarial (dataset, norm) configurations with at least one training-set size, the theory
    analogue's note and evidence, and the 'not run' outcome when no configuration exists (else None)."""
    rows, evidence = sweep_rows(index, ("fig1", "fig6"), has_data)
    rows, failed = split_failed(rows)
    note, ev2 = _finite_sample_note(index)
    note = failed + note
    configs = [c for c in configs_of(rows) if n_values(rows, *c)]
    missing = None
    if not configs:
        missing = not_run([Kind.DEEP_SWEEP], "(experiment fig1 or fig6)")
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
    raw, _ = sweep_rows(index, ("fig1", "fig6"), has_small_n)  # training failures included: a small n was tried
    results, never_small = [], []
    for ds, norm in configs:
        n = n_values(rows, ds, norm)[0]
        std = standard_rows(rows, ds, n, norm)
        advs = adv_by_eps(rows, ds, norm, n)
        alpha = V.ALPHA / len(advs)
        parts = [Part(f"ε={fmt(e)} minus ε=0", compare(rs, std, alpha=alpha)) for e, rs in advs.items()]
        verdict = V.combine_any([p.verdict for p in parts])
        best = max(parts, key=lambda p: p.diff.estimate)
        decisive = next((p for p in parts if p.verdict == CONFIRMED), best)
        note_ = ""
        if isinstance(n, (int, float)) and full_train_size(ds) is not None and n >= full_train_size(ds):
            verdict = INCONCLUSIVE
            if not any(r.get("dataset") == ds and r.get("norm") == norm and isinstance(r.get("n_train"), int)
                       and r["n_train"] < full_train_size(ds) for r in raw):
                never_small.append((ds, norm))
            note_ = (f"the smallest n with both models, {n}, is the full training set, not few samples; there (not "
                     f"judged): {best.what} {best.diff.estimate:+.4f}, minimum detectable effect "
                     f"{best.diff.mde:.4f} at {V.POWER:.0%} power")
        results.append(ConfigResult(ds, norm, n, verdict, parts, decisive, note_))
    judged = [c for c in results if c.dataset == "mnist"]
    measured = [f"{c.label}, smallest n={c.n_train} (scale {scales_of(rows, c.dataset, c.norm)}): {c.reason()}"
                + ("" if c.dataset == "mnist" else
                                                                     " (shown, not judged: outside MNIST)") + "."
                for c in results]
    table = sweep_table(rows, configs, "Standard accuracy vs training-set size (Fig. 1 ℓ2, Fig. 6 ℓ∞)")
    parts = parts_table(results, "Claim 5: each ε_train against the standard model at the smallest n "
                                  "(interval at 1 − α/m, Bonferroni over the m values of ε_train)")
    if not judged:
        out = Outcome(NOT_RUN, "no MNIST sweep: " + "; ".join(f"{c.label} {c.reason()}" for c in results),
                      measured + ["The claim is about MNIST ('clearly on MNIST'); no MNIST sweep (fig1 / fig6) was "
                                  f"found: produce it with `{producer(Kind.DEEP_SWEEP)}`."] + note,
                      [table, parts], evidence + ev2)
        return out
    if all((c.dataset, c.norm) in never_small for c in judged):  # the claim's few-sample runs were never made here
        return Outcome(NOT_RUN, "no training set smaller than the full one was run (claim 5 is about few samples)",
                       measured + ["No MNIST run of Fig. 1 / Fig. 6 below the full training set is in these files: "
                                   "claim 5 (few samples) is not run here; the full-data numbers are claim 6's."]
                       + note, [table, parts], evidence + ev2)
    verdict, summary, line = claim_outcome(judged, "the MNIST configurations run")
    norms = {norm_name(c.norm) for c in judged}
    if norms != {"ℓ∞", "ℓ2"}:
        line += f" Only {', '.join(sorted(norms))} was run on MNIST; the paper shows ℓ∞ (Fig. 6) and ℓ2 (Fig. 1)."
    return Outcome(verdict, summary, measured + [line] + note, [table, parts], evidence + ev2, effects_of(judged))


def evaluate_claim6(index: ResultIndex) -> Outcome:
    """At the full training set of each configuration: the largest ε_train's drop below the standard model is
    confirmed and no smaller ε_train is significantly above it; every configuration run must hold."""
    rows, evidence, configs, note, ev2, missing = _size_sweep(index, has_full_n)
    if missing is not None:
        return missing
    results, measured = [], []
    for ds, norm in configs:
        ns = n_values(rows, ds, norm)
        n = ns[-1]
        std = standard_rows(rows, ds, n, norm)
        advs = adv_by_eps(rows, ds, norm, n)
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
        measured.append(f"{config_label(ds, norm)}, largest n={n} (scale {scales_of(rows, ds, norm)}): "
                        f"{results[-1].reason()} (largest ε_train = "
                        f"{fmt(top)}; smaller ε_train significantly above the standard model: "
                        + (", ".join(p.what for p in parts[:-1] if p.verdict == REFUTED) or "none") + ").")
        cross = _crossover(rows, ds, norm, ns)
        if cross:
            measured.append(f"{config_label(ds, norm)}: {cross}")
    verdict, summary, line = claim_outcome(results)
    table = sweep_table(rows, configs, "Standard accuracy vs training-set size (Fig. 1 ℓ2, Fig. 6 ℓ∞)")
    parts = parts_table(results, "Claim 6: the standard model against each ε_train at the largest n (95% CI)")
    return Outcome(verdict, summary, measured + [line] + note, [table, parts], evidence + ev2, effects_of(results))


def _crossover(rows, ds, norm, ns) -> str:
    """Where the best adversarial model's mean drops below the standard model's for good, in words (or "")."""
    above = []
    for n in ns:
        base = spread(standard_rows(rows, ds, n, norm)).mean
        above.append(max(spread(rs).mean for rs in adv_by_eps(rows, ds, norm, n).values()) > base)
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
                            if value(r["eps_train"]) > 0 and is_mixed(r) == mixed}):
        ns = sorted({r["n_train"] for r in rows if (str(r["dataset"]), str(r["norm"])) == (ds, norm)
                     and value(r["eps_train"]) > 0 and is_mixed(r) == mixed
                     and standard_rows(rows, ds, r["n_train"], norm)})
        if not ns:
            continue
        n = ns[-1]
        seq = [(0.0, standard_rows(rows, ds, n, norm))]
        seq += list(adv_by_eps(rows, ds, norm, n, mixed=mixed).items())
        out[(ds, norm)] = (n, seq)
    return out


def _eps_table(seqs, caption: str) -> ClaimTable:
    rows = []
    for (ds, norm), (n, seq) in sorted(seqs.items()):
        prev = None
        for eps, rs in seq:
            step = "—" if prev is None else diff_cell(compare(prev, rs))
            rows.append((config_label(ds, norm), str(n), fmt(eps), *spread(rs).cells(), step))
            prev = rs
    return ClaimTable(caption, ("dataset, norm", "n_train", "ε_train", "standard acc (mean)", "s.d. over seeds (k)",
                                "test points", "drop from the previous ε: difference [95% CI]"), tuple(rows))


def _monotone_outcome(seqs, source_line: str | None, what: str, caption: str) -> tuple[str, str, list, list, list]:
    """Claims 7 and 8: (verdict, summary, measured lines, tables, effects) of :func:`_monotone` over every
    configuration."""
    results = [_monotone(ds, norm, n, seq) for (ds, norm), (n, seq) in sorted(seqs.items())]
    measured = [source_line] if source_line else []
    for c, (_, (n, seq)) in zip(results, sorted(seqs.items())):
        means = " → ".join(f"{fmt(e)}: {fmt(spread(rs).mean)}" for e, rs in seq)
        scale = scales_of([r for _, rs in seq for r in rs], c.dataset, c.norm)
        measured.append(f"{c.label} (n={n}{what}; scale {scale}): {means}; {c.reason()}."
                        + (" One ε_train > 0 at this scale: the test is the overall drop alone, there is no step "
                           "between ε values to test (scales with more ε_train values test the steps too, e.g. "
                           "`--scale long` on MNIST)."
                           if len(seq) == 2 else ""))
    verdict, summary, line = claim_outcome(results)
    measured.append(line)
    return verdict, summary, measured, [_eps_table(seqs, caption),
                                        parts_table(results, "Overall drop and steps per configuration (95% CI)")], \
        effects_of(results)


def evaluate_claim7(index: ResultIndex) -> Outcome:
    """Per (dataset, norm): the overall drop of standard accuracy from ε = 0 to the largest ε_train is confirmed and
    no step rises significantly; every configuration run must hold."""
    rows, evidence = sweep_rows(index, ("fig7",), has_eps_sequence)
    source = "Fig. 7 sweep"
    if not configs_of([r for r in rows if not is_mixed(r)]):
        rows, evidence = sweep_rows(index, ("fig1", "fig6"), has_eps_sequence)
        source = "largest training-set size of the Fig. 1/6 sweeps (no Fig. 7 result)"
    rows, failed = split_failed([r for r in rows if not is_mixed(r)])
    seqs = {k: v for k, v in _eps_sequences(rows, mixed=False).items() if len(v[1]) >= 2}
    if not seqs:
        out = not_run([Kind.DEEP_SWEEP], "(experiment fig7, or fig1/fig6)")
        out.measured += failed
        return out
    verdict, summary, measured, tables, effects = _monotone_outcome(seqs, f"Source: {source}.", "",
                                                                    "Standard accuracy vs ε_train")
    measured += failed
    norms = sorted({norm_name(k[1]) for k in seqs})
    if len(norms) < 2:
        measured.append(f"Only {', '.join(norms)} was run; the claim covers ℓ∞ and ℓ2.")
    return Outcome(verdict, summary, measured, tables, evidence, effects)


def _standard_partners(index: ResultIndex, mixed_rows: list[dict]) -> tuple[list[dict], list[Evidence]]:
    """Standard (ε = 0) rows for claim 8's mixed-batch runs, from the Fig. 7 / Fig. 1 / Fig. 6 files of the same
    dataset AND the same scale as the mixed rows (the newest file per experiment), each run once. A standard model of
    another scale is another recipe (epochs, width, attack, evaluation): a difference against it would measure the
    recipe, not the mixed batches."""
    wanted = {(str(r["dataset"]), str(r.get("result_scale"))) for r in mixed_rows if is_mixed(r)}
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
            if str(row["dataset"]) != ds or value(row["eps_train"]) != 0 or is_mixed(row):
                continue
            ident = (ds, scale, row.get("run") or (row.get("n_train"), row.get("seed")))
            if ident in seen:
                continue
            seen.add(ident)
            out.append(dict(row, experiment=exp, result_scale=scale))
            if evidence_of(f) not in evidence:
                evidence.append(evidence_of(f))
    return out, evidence


def evaluate_claim8(index: ResultIndex) -> Outcome:
    """With 50/50 clean/adversarial batches, the test of claim 7 per (dataset, norm); every configuration must hold."""
    rows, evidence = sweep_rows(index, ("mixed",), has_mixed)
    if not any(is_mixed(r) for r in rows):
        return not_run([Kind.DEEP_SWEEP], "(experiment mixed, rows with mixed=true)")
    # the standard model at ε = 0 may come from the other sweeps of the same scale when the mixed file lacks it
    extra, ev_extra = _standard_partners(index, rows)
    pool, failed = split_failed(rows + extra)
    seqs = {k: v for k, v in _eps_sequences(pool, mixed=True).items() if len(v[1]) >= 2}
    if not seqs:
        out = not_run([Kind.DEEP_SWEEP], "(a standard model at the training-set size of the mixed runs)")
        out.measured += failed
        return out
    used_extra = bool(extra) and not any(value(r["eps_train"]) == 0 for r in rows)
    verdict, summary, measured, tables, effects = _monotone_outcome(seqs, None, ", 50% clean / 50% adversarial",
                                                                    "Standard accuracy vs ε_train, mixed batches")
    measured += failed
    return Outcome(verdict, summary, measured, tables,
                   evidence + ([e for e in ev_extra if e not in evidence] if used_extra else []), effects)
