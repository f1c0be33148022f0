"""The claims about what robust models look like (10, 11; docs/paper.md §6, Figures 2–4, 8–10) and about their
evaluation (12, no gradient masking). Claims 10 and 11: per dataset (and attack norm), every robust model against
the standard model by the test of :mod:`reports.verdicts`; claim 12: every sanity check of every run passed."""

from __future__ import annotations

from tradeoff.data.kinds import Kind
from tradeoff.data.registry import display_name

from .. import verdicts as V
from ..result_index import ResultFile, ResultIndex
from .numeric import fmt, norm_name
from .outcome import CONFIRMED, REFUTED, ClaimTable, Effect, Outcome, evidence_of, not_run
from .sweeps import diff_cell

# ----------------------------------------------------------------------------------------------- claims 10, 11


def _per_dataset(index: ResultIndex, kind: str) -> dict[str, ResultFile]:
    out: dict[str, ResultFile] = {}
    for r in index.all(kind):
        out.setdefault(str(r.payload.get("dataset", r.dataset)), r)
    return dict(sorted(out.items()))


def _cell(d: V.Difference) -> str:
    return f"{diff_cell(d)} (95% CI; {d.method})"


def _older(files: dict[str, ResultFile], key: str, what: str) -> tuple[dict[str, ResultFile], list[str]]:
    """The files that carry ``key`` and a line per file that does not (an older producer: not evidence)."""
    keep, lines = {}, []
    for ds, r in files.items():
        if key in r.payload:
            keep[ds] = r
        else:
            lines.append(f"`{r.path}` ({display_name(ds)}) predates {what} (no `{key}`): listed, not evidence; "
                         "rerun its producer.")
    return keep, lines


def _model_name(m: dict) -> str:
    """A picture model as the report names it: ``ℓ∞ ε_train 0.3 model`` (its norm and ε_train), else its name."""
    if m.get("norm") not in (None, "none") and isinstance(m.get("eps_train"), (int, float)):
        return f"{norm_name(m['norm'])} ε_train {fmt(m['eps_train'])} model"
    return f"`{m.get('name')}`"


def evaluate_claim10(index: ResultIndex) -> Outcome:
    """Per dataset, every robust model's input gradients beat the standard model's on the deciding measure (the
    excess Spearman edge alignment) twice: against the standard gradients and against the standard gradients
    blurred to the robust ones' smoothness, each a paired seeds × images difference (deep.experiments.claim10);
    Pearson and the signed alignment are reported, not judged."""
    files, measured = _older(_per_dataset(index, Kind.DEEP_GRADIENTS), "claim10_rule", "claim 10's hardened rule")
    if not files:
        out = not_run([Kind.DEEP_GRADIENTS], "with claim 10's variants")
        out.measured += measured
        return out
    verdicts, rows, evidence, short, effects = {}, [], [], [], []
    for ds, r in files.items():
        evidence.append(evidence_of(r))
        for m in r.payload["models"]:
            var = m.get("claim10_variants")
            if not var:
                continue
            label = f"{display_name(ds)}, {_model_name(m)}"
            dec = var["decides"]
            d_std = V.from_crossed_record(dec["minus_standard"])
            d_blur = V.from_crossed_record(dec["minus_blurred_standard"])
            verdicts[label] = V.combine([d_std.verdict, d_blur.verdict])
            effects += [Effect.of(f"{label}: robust − standard", d_std),
                        Effect.of(f"{label}: robust − blurred standard", d_blur)]
            for v in sorted(var["minus_standard"]):
                a = V.from_crossed_record(var["minus_standard"][v])
                b = V.from_crossed_record(var["minus_blurred_standard"][v])
                judged = v == dec["measure"]
                rows.append((display_name(ds), str(m.get("name")), v + (" (decides)" if judged else ""),
                             _cell(a), _cell(b), verdicts[label] if judged else "reported"))
            sig = var.get("blur_sigma", {})
            measured.append(f"{label}: robust − standard {d_std.text()} ({d_std.verdict}); robust − blurred "
                            f"standard {d_blur.text()} ({d_blur.verdict}); blur σ by seed "
                            f"{', '.join(f'{k}: {fmt(float(x), 2)}' for k, x in sig.items())}; seeds "
                            f"{var.get('seeds')}: {verdicts[label]}.")
            short.append(f"{label} {fmt(d_std.estimate)} / {fmt(d_blur.estimate)}: {verdicts[label]}")
    if not verdicts:
        out = not_run([Kind.DEEP_GRADIENTS], "with a robust model's claim 10 variants")
        out.measured += measured
        return out
    verdict = V.combine(list(verdicts.values()))
    measured.append(f"Verdict over {len(verdicts)} robust model(s), every one must hold: {verdict}.")
    table = ClaimTable("Excess alignment of the input gradient: robust minus standard and minus blurred standard, "
                       "per measure (seeds × images, 95% CI)",
                       ("dataset", "robust model", "measure", "robust − standard", "robust − blurred standard",
                        "verdict"), tuple(rows))
    return Outcome(verdict, "; ".join(short), measured, [table], evidence, effects)


def _gate_text(g: dict) -> str:
    op = "≥" if g.get("at_least") else "≤"
    return f"{g['name']} {fmt(g['value'])} {op} {fmt(g['threshold'])}: {'passed' if g['passed'] else 'FAILED'}"


def evaluate_claim11(index: ResultIndex) -> Outcome:
    """Per dataset and attack norm, J1 (exact nearest neighbours over the training set) calls the robust model's
    large-ε examples another class more often than the standard model's, paired over seeds × images; a row whose
    attack gate or J1 gates fail is "not run" (never evidence). Learned judges and the interpolation measures are
    reported beside it, not judged."""
    files, measured = _older(_per_dataset(index, Kind.DEEP_LARGE_EPS), "claim11_j1", "claim 11's judge panel")
    if not files:
        out = not_run([Kind.DEEP_LARGE_EPS], "with claim 11's judge panel")
        out.measured += measured
        return out
    verdicts, rows, gates, evidence, short, effects = {}, [], [], [], [], []
    for ds, r in files.items():
        evidence.append(evidence_of(r))
        p = r.payload
        for j in p.get("judges", []):
            decides = ", ".join(f"{norm_name(n)} {'decides' if ok else 'does not decide'}"
                                for n, ok in sorted(j.get("decides", {}).items()))
            parts = [_gate_text(j["clean"])] + [_gate_text(g) for g in j.get("noise", {}).values()]
            parts += [_gate_text(g) for g in j.get("transfer", {}).values()]
            gates.append((display_name(ds), str(j["judge"]), "primary" if j.get("primary") else "control",
                          "; ".join(parts), decides))
        for row in p["claim11_j1"] + p.get("claim11_controls", []):
            primary = row in p["claim11_j1"]
            label = f"{display_name(ds)}, {norm_name(row['attack_norm'])} ε={fmt(row['eps'])}"
            d = V.from_crossed_record(row["robust_minus_standard"])
            status = row["status"] if primary else "control (reported)"
            if primary and row["status"] == "run":
                verdicts[label] = d.verdict
                effects.append(Effect.of(f"{label}: J1 other-class rate, robust − standard", d))
                short.append(f"{label} {d.estimate:+.3f}: {d.verdict}")
                measured.append(f"{label}: J1's other-class rate, robust {fmt(row['robust_other_class_rate'])} vs "
                                f"standard {fmt(row['standard_other_class_rate'])}; robust − standard {d.text()}: "
                                f"{d.verdict}.")
            rows.append((label, str(row["judge"]), fmt(row["robust_other_class_rate"]),
                         fmt(row["standard_other_class_rate"]), _cell(d), _gate_text(row["attack_gate"]),
                         d.verdict if primary and row["status"] == "run" else status))
            if primary and row["status"] != "run":
                measured.append(f"{label}: not run ({row['reason']}); never evidence.")
        for norm, ip in sorted(p.get("interpolation_j1", {}).items()):
            once, near = ip["once_rate"], ip["near_rate"]
            measured.append(f"{display_name(ds)}, {norm_name(norm)} paths (J1, reported, not judged): the label "
                            f"changes exactly once on robust {fmt(once['robust'])} vs standard "
                            f"{fmt(once['standard'])} of the paths ending in another class (difference "
                            f"{fmt(ip['once_robust_minus_standard'])}); every frame within the "
                            f"{fmt(float(ip.get('near_percentile', 95)), 0)}th percentile of clean test images' "
                            f"distance to the training set: robust {fmt(near['robust'])} vs standard "
                            f"{fmt(near['standard'])}.")
    if not verdicts:
        out = not_run([Kind.DEEP_LARGE_EPS], "with a J1 row that passed its gates")
        out.measured += measured
        out.tables = [ClaimTable("Claim 11 rows (J1 decides; controls reported)", _ROW_COLUMNS, tuple(rows)),
                      ClaimTable("Judges and their gates", _GATE_COLUMNS, tuple(gates))]
        return out
    verdict = V.combine(list(verdicts.values()))
    measured.append(f"Verdict over {len(verdicts)} J1 row(s) that passed their gates, every one must hold: "
                    f"{verdict}.")
    tables = [ClaimTable("Claim 11 rows: other-class rate under each judge (J1 decides; controls reported)",
                         _ROW_COLUMNS, tuple(rows)),
              ClaimTable("Judges and their gates (stated before any data)", _GATE_COLUMNS, tuple(gates))]
    return Outcome(verdict, "; ".join(short), measured, tables, evidence, effects)


_ROW_COLUMNS = ("dataset, attack", "judge", "robust other-class rate", "standard other-class rate",
                "robust − standard (paired)", "attack gate", "verdict")
_GATE_COLUMNS = ("dataset", "judge", "role", "gates", "decides for")


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
        out = not_run([Kind.DEEP_SANITY], "for a paper dataset")
        if demos:
            out.measured.append(f"Ignored {len(demos)} file(s) of synthetic demo runs (`{demos[0]}`).")
        return out
    rows, failed, skipped, evidence = [], [], [], []
    for run, r in sorted(runs.items()):
        evidence.append(evidence_of(r))
        for c in sorted(r.payload["checks"], key=lambda c: str(c["name"])):
            passed = bool(c["passed"])
            if not passed:
                failed.append(f"{run}: {c['name']}")
            rows.append((run, str(c["name"]), "yes" if passed else "NO", str(c.get("detail", ""))))
        for c in r.payload.get("skipped", []):  # could not run (e.g. no pyautoattack): neither passed nor failed
            skipped.append(f"{run}: {c['name']}")
            rows.append((run, str(c["name"]), "skipped", str(c.get("reason", ""))))
    if len(rows) == len(skipped):
        return not_run([Kind.DEEP_SANITY], "with at least one check")
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
