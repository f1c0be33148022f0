"""Run a picture experiment end to end: train (or reuse) the standard, ℓ∞, ℓ2 and judge models, then compute the
data of Fig. 2/10 (gradients), Fig. 3/8/9 (large-ε examples), Fig. 4 (interpolations), the claim 10-12 numbers,
and write the ``deep.gradients``, ``deep.large_eps`` and ``deep.sanity`` result files (reports/RESULTS.md).

Fig. 8 attacks every model in ℓ∞ and Fig. 9 in ℓ2, at the same large ε; Fig. 3 and Fig. 4 attack each model in its
own training norm (ℓ2 for the standard model). Claim 11 (the payload's ``models``) compares, per attack norm, the
standard model with the robust model trained in that norm (each robust model attacked in its own norm; the standard
model in both), judged by a model of another recipe (``judge``: another width and seed, stated in the payload).
Claim 10's gradients are measured on the picture models and on their replicates at the other seeds of the
definition (``replicate_seeds``), which gives the uncertainty over models.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tradeoff.data.io import write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import dataset_info

from . import gradients, interpolation, large_eps
from .definitions import ModelRef, PictureExperiment
from .sweep import RunSpec, execute, make_run, run_dir_for

OWN_NORM = {"standard": "2", "linf": "inf", "l2": "2"}
#: ``models`` of the deep.large_eps payload: every model attacked at the same large ℓ2 ε (Fig. 9); the ℓ∞ results
#: (Fig. 8) are in ``models_by_attack_norm``.
PRIMARY_ATTACK_NORM = "2"


@dataclass
class PicturesResult:
    """Everything the picture figures need (arrays for the first ``n_show`` images) and the result paths."""

    dataset: str
    gradients: gradients.GradientData
    large_eps: dict[str, large_eps.LargeEpsData]  # attack norm -> data
    own_norm: dict[str, np.ndarray]  # model -> its own-norm large-eps examples (Fig. 3)
    own_pred: dict[str, np.ndarray]
    interpolation: interpolation.InterpolationData
    result_paths: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    own_probs: dict[str, np.ndarray] = field(default_factory=dict)  # model -> (n_show, K) its softmax on own_norm
    trained: dict[str, tuple[str, float]] = field(default_factory=dict)  # model -> (training norm, eps_train)


def model_runs(exp: PictureExperiment) -> dict[str, RunSpec]:
    """RunSpecs of the picture models and the judge (shared with sweeps when the settings coincide)."""

    out = {m.name: _spec(exp, m) for m in exp.models}
    out["judge"] = _spec(exp, exp.judge)
    return out


def _spec(exp: PictureExperiment, ref: ModelRef) -> RunSpec:
    template = exp.template if ref.width is None else exp.template.replace(width=ref.width)
    return make_run(template, exp.scale, ref.norm, ref.eps_train, exp.n_train, False, ref.seed, exp.adv_by_norm)


def replicate_runs(exp: PictureExperiment) -> dict[str, list[RunSpec]]:
    """The picture models' recipes at the definition's other ``replicate_seeds`` (claim 10's models)."""
    return {m.name: [_spec(exp, replace(m, seed=s)) for s in exp.replicate_seeds if s != m.seed] for m in exp.models}


def judge_description(exp: PictureExperiment, run: RunSpec) -> dict:
    """What the claim-11 judge is, in data and words: its architecture, width, seed, training and how it differs
    from the attacked standard model."""
    std = next(m for m in exp.models if m.name == "standard")
    j = exp.judge
    width = j.width if j.width is not None else exp.template.width
    kind = "standard" if j.eps_train == 0 else f"{'ℓ∞' if j.norm == 'inf' else 'ℓ2'}-robust (ε={j.eps_train:g})"
    differs = []
    if width != exp.template.width:
        differs.append(f"width {width} instead of {exp.template.width}")
    if j.seed != std.seed:
        differs.append(f"seed {j.seed} instead of {std.seed}")
    if j.eps_train != 0:
        differs.append("adversarial training")
    return {"name": j.name, "model": exp.template.model, "width": width, "seed": j.seed, "norm": j.norm,
            "eps_train": j.eps_train, "run": run.run_id,
            "recipe": f"a {kind} {exp.template.model} of width {width}, seed {j.seed}, trained on the same data; "
                      f"differs from the attacked standard model in: {', '.join(differs)}"}


def claim11_entries(by_norm: dict[str, list[dict]]) -> list[dict]:
    """Claim 11's rows: per attack norm, the standard model(s) and the robust models trained in that norm (each
    model attacked in its own norm; cross-norm attacks stay in ``models_by_attack_norm`` for Fig. 8/9)."""
    out = []
    for norm, entries in by_norm.items():
        out += [e for e in entries if e.get("eps_train", 0) == 0 or e.get("norm") == norm]
    return out


def _slice(d: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return {k: v[:n] for k, v in d.items()}


def run_pictures(exp: PictureExperiment, engine, runs_root: Path, results_root: Path,
                 log: Callable[[str], None] = lambda s: None, sanity: bool = True) -> PicturesResult:
    """Train/reuse the models, compute every picture and claim 10-12 number, write the result files."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    specs = model_runs(exp)
    reps = replicate_runs(exp)
    execute(list(specs.values()) + [r for rs in reps.values() for r in rs], engine, runs_root, log=log)
    seconds["train_models"] = time.perf_counter() - t0
    models = {m.name: engine.load_model(specs[m.name], run_dir_for(specs[m.name], runs_root)) for m in exp.models}
    rep_models = {name: [engine.load_model(r, run_dir_for(r, runs_root)) for r in rs] for name, rs in reps.items()}
    judge = engine.load_model(specs["judge"], run_dir_for(specs["judge"], runs_root))
    x, y = engine.test_set(exp.dataset, exp.n_metric, exp.template.image_size)
    label = dataset_info(exp.dataset).label
    refs = [{"name": m.name, "norm": m.norm if m.eps_train > 0 else "none", "eps_train": m.eps_train,
             "run": specs[m.name].run_id} for m in exp.models]
    seeds = {m.seed for m in exp.models} | {exp.judge.seed} | set(exp.replicate_seeds)
    common = dict(scale=exp.scale, dataset=label, seeds=sorted(seeds))
    paths = []

    t = time.perf_counter()
    std_seed = next(m.seed for m in exp.models if m.name == "standard")
    seeds = [std_seed] + [s for s in exp.replicate_seeds if s != std_seed]
    gdata = gradients.gradient_study(models, x, y, rep_models, seeds)
    seconds["gradients"] = time.perf_counter() - t
    paths.append(write_result(results_root / "deep" / f"gradients_{exp.dataset}.json", Kind.DEEP_GRADIENTS,
                              {**gradients.gradients_payload(gdata, label, refs), "scale": exp.scale,
                               "data_note": dataset_info(exp.dataset).note},
                              wall_time_s=seconds["gradients"], **common))

    t = time.perf_counter()
    studies = {}
    for spec in exp.attacks:
        studies[spec.norm] = large_eps.large_eps_study(models, judge, x, y, spec.norm, spec.eps,
                                                       engine.large_eps_attack(spec))
        log(f"  large-eps {spec.norm} eps={spec.eps}: done")
    own = {name: studies[OWN_NORM[name]].adv[name] for name in models}
    own_pred = {name: studies[OWN_NORM[name]].model_pred[name] for name in models}
    own_probs = {name: studies[OWN_NORM[name]].model_probs[name] for name in models}
    seconds["large_eps"] = time.perf_counter() - t

    t = time.perf_counter()
    interp = interpolation.interpolation_study(models, gdata.images, own, exp.frames, exp.n_show)
    seconds["interpolation"] = time.perf_counter() - t
    ref_of = {r["name"]: r for r in refs}
    by_norm = {norm: [{**ref_of[e["name"]], **e} for e in large_eps.large_eps_entries(s)]
               for norm, s in studies.items()}
    primary = PRIMARY_ATTACK_NORM if PRIMARY_ATTACK_NORM in by_norm else next(iter(by_norm))
    payload = {
        "dataset": label, "scale": exp.scale, "data_note": dataset_info(exp.dataset).note,
        "eps": {s.norm: s.eps for s in exp.attacks},
        "primary_attack_norm": primary, "models_by_attack_norm": by_norm,
        "attacks": [{"norm": s.norm, "eps": s.eps, "steps": s.steps, "step_size": s.step_size} for s in exp.attacks],
        "judge": judge_description(exp, specs["judge"]),
        "precision": engine.precision().describe(),
        "claim11_rows": "each robust model attacked in its own norm; the standard model in both",
        "n_images": int(len(y)), "models": claim11_entries(by_norm),
        "interpolation_smoothness": interpolation.smoothness_payload(interp),
        "interpolation_attack_norm": {n: OWN_NORM[n] for n in models}, "frames": exp.frames,
    }
    paths.append(write_result(results_root / "deep" / f"large_eps_{exp.dataset}.json", Kind.DEEP_LARGE_EPS, payload,
                              wall_time_s=seconds["large_eps"] + seconds["interpolation"], **common))

    if sanity:
        t = time.perf_counter()
        xs, ys = x[: exp.sanity_n], y[: exp.sanity_n]
        for m in exp.models:
            norm = m.norm if m.eps_train > 0 else "inf"
            eps = m.eps_train if m.eps_train > 0 else exp.eval_eps("inf")
            checks = engine.sanity(models[m.name], xs, ys, eps, norm, steps=exp.template.eval.steps)
            run_id = specs[m.name].run_id
            paths.append(write_result(
                results_root / "deep" / f"sanity_{run_id}.json", Kind.DEEP_SANITY,
                {"run": run_id, "model": m.name, "dataset": label, "data_note": dataset_info(exp.dataset).note,
                 "norm": norm, "eps": eps, "n": int(len(ys)),
                 "checks": checks, "ok": all(c["passed"] for c in checks)}, **common))
        seconds["sanity"] = time.perf_counter() - t

    show = exp.n_show
    gshow = gradients.GradientData(images=gdata.images[:show], labels=gdata.labels[:show],
                                   grads=_slice(gdata.grads, show), alignment=gdata.alignment)
    lshow = {}
    for norm, s in studies.items():
        lshow[norm] = large_eps.LargeEpsData(norm=s.norm, eps=s.eps, images=s.images[:show], labels=s.labels[:show],
                                             adv=_slice(s.adv, show), model_pred=_slice(s.model_pred, show),
                                             judge_probs=_slice(s.judge_probs, show),
                                             model_probs=_slice(s.model_probs, show))
    return PicturesResult(dataset=exp.dataset, gradients=gshow, large_eps=lshow, own_norm=_slice(own, show),
                          own_pred=_slice(own_pred, show), interpolation=interp, result_paths=paths, seconds=seconds,
                          own_probs=_slice(own_probs, show),
                          trained={m.name: (m.norm, float(m.eps_train)) for m in exp.models})
