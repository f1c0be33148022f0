"""The claims about what robust models look like (10, 11; docs/paper.md §6, Figures 2–4, 8–10) and about their
evaluation (12, no gradient masking). Claims 10 and 11: per dataset (and attack norm), every robust model against
the standard model by the test of :mod:`reports.verdicts`; claim 12: every sanity check of every run passed."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tradeoff.data.kinds import Kind
from tradeoff.data.registry import display_name

from .. import verdicts as V
from ..result_index import ResultFile, ResultIndex
from .numeric import bounds, fmt, interval_se, norm_name, value
from .outcome import CONFIRMED, REFUTED, ClaimTable, Outcome, evidence_of, not_run
from .sweeps import diff_cell

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
                return V.from_estimate(value(pm), interval_se(pm),
                                       f"normal, producer's paired interval over the same images ({pk})")
    se = math.sqrt(interval_se(m[key]) ** 2 + interval_se(s[key]) ** 2)
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
        return not_run([kind])
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
                             "—" if d is None else f"{diff_cell(d)} (95% CI; {d.method})",
                             "—" if d is None else d.verdict))
            measured.append(
                f"{label}: standard model `{s.get('name')}` {key} {fmt(s[key])}; "
                + "; ".join(f"`{m.get('name')}` {fmt(m[key])}: robust − standard {diffs[id(m)].text()}: "
                            f"{diffs[id(m)].verdict}" for m in rob)
                + f"; every robust model above the standard one: {verdict}.")
        if used:
            evidence.append(evidence_of(r))
            if describe is not None:
                measured += describe(ds, r.payload)
        extra = r.payload.get("interpolation_smoothness")
        if extra is not None:
            measured.append(f"{display_name(ds)}: interpolation smoothness (reported, not judged): "
                            f"{_smoothness_text(extra)}.")
    if not group_verdicts:
        out = not_run([kind], "with a standard and a robust model")
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
