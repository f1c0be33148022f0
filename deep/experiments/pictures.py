"""Run a picture experiment end to end: train (or reuse) the standard, ℓ∞ and ℓ2 models at every seed, then compute
the data of Fig. 2/10 (gradients), Fig. 3/8/9 (large-ε examples), Fig. 4 (interpolations), the claim 10-12 numbers,
and write the ``deep.gradients``, ``deep.large_eps`` and ``deep.sanity`` result files (reports/RESULTS.md).

Fig. 8 attacks the seed-0 models in ℓ∞ and Fig. 9 in ℓ2, at the same large ε; Fig. 3 and Fig. 4 attack each model in
its own training norm (ℓ2 for the standard model). Claim 11 compares, per attack norm, the standard model with the
robust model trained in that norm, at every seed (each robust model attacked in its own norm, the standard model in
both), judged by J1, exact nearest neighbours over the training set, with learned judges of another seed as labelled
controls (deep.experiments.panel; the gates and the paired rule in docs/experiments.md). Claim 10 compares each
robust recipe's gradients with the standard one's at every seed, on three alignment measures and against the
standard gradient blurred to the robust one's smoothness (deep.experiments.claim10).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from tradeoff.data.io import write_result
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import dataset_info

from . import claim10, feature_knn, gradients, interpolation, knn, large_eps, metrics, panel
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


def seeds_of(exp: PictureExperiment) -> list[int]:
    """The seeds the picture recipes are trained at: the picture models' own seed first, then the other
    ``replicate_seeds`` (claims 10 and 11 pair robust and standard models by seed over all of them)."""
    own = exp.models[0].seed
    return [own] + [s for s in exp.replicate_seeds if s != own]


def model_runs(exp: PictureExperiment) -> dict[tuple[str, int], RunSpec]:
    """RunSpecs of the picture recipes at every seed (:func:`seeds_of`), keyed ``(name, seed)`` (shared with the
    sweeps when the settings coincide)."""
    return {(m.name, s): _spec(exp, replace(m, seed=s)) for s in seeds_of(exp) for m in exp.models}


def _spec(exp: PictureExperiment, ref: ModelRef) -> RunSpec:
    template = exp.template if ref.width is None else exp.template.replace(width=ref.width)
    return make_run(template, exp.scale, ref.norm, ref.eps_train, exp.n_train, False, ref.seed, exp.adv_by_norm)


def _controls(exp: PictureExperiment, models: dict[tuple[str, int], torch.nn.Module], train_x, train_y
              ) -> dict[str, torch.nn.Module | feature_knn.FeatureKNNJudge]:
    """The learned judges of claim 11, labelled controls, all from the second seed (another seed than the seed-0
    models they judge; none without a second seed): each picture recipe as a classifier, and exact k-NN in the
    feature space of the ℓ2-robust model (else the first robust recipe) over the training set."""
    seeds = seeds_of(exp)
    if len(seeds) < 2:
        return {}
    s1 = seeds[1]
    names = {"standard": "standard", "linf": "ℓ∞-robust", "l2": "ℓ2-robust"}
    out: dict[str, torch.nn.Module | feature_knn.FeatureKNNJudge] = {
        f"{names[m.name]} model, seed {s1}": models[(m.name, s1)] for m in exp.models}
    robust = [m.name for m in exp.models if m.name != "standard"]
    if robust:
        name = "l2" if "l2" in robust else robust[0]
        out[f"{panel.K}-NN in the {names[name]} model's features, seed {s1}"] = feature_knn.FeatureKNNJudge(
            models[(name, s1)], train_x, train_y, k=panel.K)
    return out


def _slice(d: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return {k: v[:n] for k, v in d.items()}


def run_pictures(exp: PictureExperiment, engine, runs_root: Path, results_root: Path,
                 log: Callable[[str], None] = lambda s: None, sanity: bool = True) -> PicturesResult:
    """Train/reuse the models, compute every picture and claim 10-12 number, write the result files."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    seeds = seeds_of(exp)
    s0 = seeds[0]
    specs = model_runs(exp)
    execute(list(specs.values()), engine, runs_root, log=log)
    seconds["train_models"] = time.perf_counter() - t0
    models = {key: engine.load_model(spec, run_dir_for(spec, runs_root)) for key, spec in specs.items()}
    first = {m.name: models[(m.name, s0)] for m in exp.models}
    x, y = engine.test_set(exp.dataset, exp.n_metric, exp.template.image_size)
    images, labels = x.detach().cpu().numpy(), y.detach().cpu().numpy()
    label = dataset_info(exp.dataset).label
    refs = [{"name": m.name, "norm": m.norm if m.eps_train > 0 else "none", "eps_train": m.eps_train,
             "run": specs[(m.name, s0)].run_id} for m in exp.models]
    common = dict(scale=exp.scale, dataset=label, seeds=sorted(seeds))
    paths = []

    t = time.perf_counter()
    train_x, train_y = engine.train_set(exp.dataset, exp.template.image_size)
    j1 = knn.KNNJudge(train_x, train_y, k=panel.K)
    seconds["judge"] = time.perf_counter() - t

    t = time.perf_counter()
    grads = {key: gradients.input_gradients(model, x, y) for key, model in models.items()}
    gdata = gradients.gradient_data(grads, images, labels, [m.name for m in exp.models], seeds)
    directions = claim10.towards_other_class(j1, images, labels)
    variants = {m.name: claim10.compare({s: grads[(m.name, s)] for s in seeds},
                                        {s: grads[("standard", s)] for s in seeds}, images, directions).as_dict()
                for m in exp.models if m.name != "standard"}
    gpayload = gradients.gradients_payload(gdata, label, refs)
    for entry in gpayload["models"]:
        if entry["name"] in variants:
            entry["claim10_variants"] = variants[entry["name"]]
    gpayload["claim10_rule"] = claim10.RULE
    seconds["gradients"] = time.perf_counter() - t
    paths.append(write_result(results_root / "deep" / f"gradients_{exp.dataset}.json", Kind.DEEP_GRADIENTS,
                              {**gpayload, "scale": exp.scale, "data_note": dataset_info(exp.dataset).note},
                              wall_time_s=seconds["gradients"], **common))

    t = time.perf_counter()
    studies, attacked = {}, []
    for spec in exp.attacks:
        attack = engine.large_eps_attack(spec)
        data = large_eps.LargeEpsData(norm=spec.norm, eps=spec.eps, images=images, labels=labels)
        for (name, s), model in models.items():
            judged = name == "standard" or OWN_NORM[name] == spec.norm  # claim 11: each model in its own norm
            if not judged and s != s0:
                continue  # Fig. 8/9 attack the seed-0 models in both norms
            adv = attack(model, x, y).detach()
            probs = metrics.probabilities(large_eps.predict_logits(model, adv))
            pred_clean = large_eps.predict_logits(model, x).argmax(axis=1)
            if judged:
                attacked.append(panel.Attacked(name, s, spec.norm, spec.eps, adv.cpu().numpy(), pred_clean,
                                               probs.argmax(axis=1)))
            if s == s0:
                data.adv[name] = adv.cpu().numpy()
                data.model_probs[name], data.model_pred[name] = probs, probs.argmax(axis=1)
                data.judge_probs[name] = j1.predict_proba(data.adv[name])
        studies[spec.norm] = data
        log(f"  large-eps {spec.norm} eps={spec.eps}: {sum(a.norm == spec.norm for a in attacked)} models judged")
    own = {name: studies[OWN_NORM[name]].adv[name] for name in first}
    own_pred = {name: studies[OWN_NORM[name]].model_pred[name] for name in first}
    own_probs = {name: studies[OWN_NORM[name]].model_probs[name] for name in first}
    seconds["large_eps"] = time.perf_counter() - t

    t = time.perf_counter()
    interp = interpolation.interpolation_study(first, images, own, exp.frames, exp.n_show)
    judged = panel.judge_panel(attacked, images, labels, engine.test_positions(exp.dataset, exp.n_metric), j1,
                               _controls(exp, models, train_x, train_y), exp.frames, label,
                               examples_path=results_root / "deep" / f"judged_{exp.dataset}.npz")
    seconds["judging"] = time.perf_counter() - t
    ref_of = {r["name"]: r for r in refs}
    payload = {
        "dataset": label, "scale": exp.scale, "data_note": dataset_info(exp.dataset).note,
        "eps": {s.norm: s.eps for s in exp.attacks}, "seeds": seeds,
        "attacks": [{"norm": s.norm, "eps": s.eps, "steps": s.steps, "step_size": s.step_size} for s in exp.attacks],
        "models_by_attack_norm": {norm: [{**ref_of[e["name"]], **e} for e in large_eps.large_eps_entries(s)]
                                  for norm, s in studies.items()},
        "judges": judged.judges, "claim11_j1": judged.rows, "claim11_controls": judged.controls,
        "interpolation_j1": judged.interpolation, "grid": judged.grid, "judged_examples": judged.judged_examples,
        "precision": engine.precision().describe(), "n_images": int(len(labels)),
        "interpolation_attack_norm": {n: OWN_NORM[n] for n in first}, "frames": exp.frames,
    }
    paths.append(write_result(results_root / "deep" / f"large_eps_{exp.dataset}.json", Kind.DEEP_LARGE_EPS, payload,
                              wall_time_s=seconds["large_eps"] + seconds["judging"], **common))

    if sanity:
        t = time.perf_counter()
        xs, ys = x[: exp.sanity_n], y[: exp.sanity_n]
        for m in exp.models:
            norm = m.norm if m.eps_train > 0 else "inf"
            eps = m.eps_train if m.eps_train > 0 else exp.eval_eps("inf")
            checks = engine.sanity(first[m.name], xs, ys, eps, norm, steps=exp.template.eval.steps)
            run_id = specs[(m.name, s0)].run_id
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
