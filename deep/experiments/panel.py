"""Claim 11's judge panel applied to one picture experiment's large-ε examples (docs/experiments.md, "Claim 11").

Given every attacked model's examples (:class:`Attacked`: recipe, seed, attack norm, ε, examples and the model's
predictions), the panel

- builds **J1**, the primary judge: exact 10-nearest neighbours in pixel space over the whole training set
  (deep.experiments.knn), and checks its validity gates for every attack norm (clean images, random noise of the
  attack's size; deep.experiments.judges);
- judges every example with J1 and gives one claim-11 row per attack norm: J1's other-class rate, robust minus
  standard, paired over the seeds and images both recipes have, "not run" when the attack gate or J1's gates fail
  (deep.experiments.claim11);
- reports **learned judges** as labelled controls: the picture models of another seed than the attacked seed-0
  models as classifiers, and exact k-NN in a robust model's feature space (deep.experiments.feature_knn), with their
  clean, noise and transfer gates (a learned judge decides nothing when it calls the standard model's examples
  another class more often than J1 by more than 0.10);
- judges the **interpolation paths** (the straight lines from each image to its example) with J1: the one-change
  fraction and each frame's distance to the training set as a percentile of clean test images, robust vs
  standard, paired (deep.experiments.interpolation);
- saves what was judged in one ``.npz`` (deep.experiments.judged_examples) and draws, with a fixed seed, the images
  of the example grids the report shows (random, never selected).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import claim11, interpolation, judges, knn
from .judged_examples import JudgedExamples, save_judged

#: how many examples per model and norm the report's grids show, drawn with this seed
GRID_SIZE, GRID_SEED = 8, 20260
#: J1's number of neighbours (docs/experiments.md)
K = 10


@dataclass(frozen=True)
class Attacked:
    """One attacked model: its recipe ``model`` (standard / linf / l2), ``seed``, the attack's ``norm`` and ``eps``,
    its large-ε examples ``adv`` (N, C, H, W) of the experiment's images, its predictions on the clean images and on
    the examples."""

    model: str
    seed: int
    norm: str
    eps: float
    adv: np.ndarray
    pred_clean: np.ndarray
    pred_adv: np.ndarray


@dataclass
class PanelResult:
    """The panel's payload parts and J1's probabilities of every attacked example (``(model, seed, norm)`` ->
    (N, K))."""

    judges: list[dict]
    rows: list[dict]
    controls: list[dict]
    interpolation: dict[str, dict]
    grid: dict
    judged_examples: dict
    j1_probs: dict[tuple[str, int, str], np.ndarray] = field(default_factory=dict)


def _judged(a: Attacked, labels: np.ndarray, probs: np.ndarray) -> claim11.JudgedAttack:
    return claim11.JudgedAttack(a.model, a.seed, a.norm, a.eps, labels, a.pred_clean, a.pred_adv, probs)


def _robust_for(norm: str) -> str:
    return "linf" if norm == "inf" else "l2"


def judge_panel(attacked: Sequence[Attacked], images: np.ndarray, labels: np.ndarray, image_index: np.ndarray,
                j1: knn.KNNJudge, controls: dict[str, torch.nn.Module | judges.Judge], frames: int, dataset: str,
                examples_path: Path | None = None) -> PanelResult:
    """Run the panel (module docstring) on ``attacked`` (every recipe's models at every seed, each attacked in the
    norms of the experiment; the same ``images``, their ``labels`` and positions ``image_index`` in the test split),
    with J1 (``j1``: :class:`deep.experiments.knn.KNNJudge` over the training set, k = :data:`K`) and the learned
    ``controls`` (name -> a model of another seed than the seed-0 models it judges, used as a classifier, or a
    judge built on such a model, e.g. :class:`deep.experiments.feature_knn.FeatureKNNJudge`). ``examples_path``:
    where the judged examples go (None: not saved)."""
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int64)
    norms = sorted({a.norm for a in attacked})
    radius = {a.norm: float(a.eps) for a in attacked}
    attacks = [(n, radius[n]) for n in norms]
    j1_validity = judges.judge_validity("J1", j1, images, labels, attacks)
    out = PanelResult(judges=[], rows=[], controls=[], interpolation={}, grid={}, judged_examples={})
    out.judges.append({**j1_validity.as_dict(), "rule": f"exact {j1.k}-nearest neighbours in pixel space (Euclidean) "
                       f"over the {j1.n_train} training images; vote fraction as the probability; a tied vote goes "
                       "to the smaller class index (scikit-learn's rule)", "k": j1.k, "primary": True})
    for a in attacked:
        out.j1_probs[(a.model, a.seed, a.norm)] = j1.predict_proba(a.adv)
    for norm in norms:
        robust = [_judged(a, labels, out.j1_probs[(a.model, a.seed, norm)]) for a in attacked
                  if a.norm == norm and a.model == _robust_for(norm)]
        standard = [_judged(a, labels, out.j1_probs[(a.model, a.seed, norm)]) for a in attacked
                    if a.norm == norm and a.model == "standard"]
        if robust and standard:
            out.rows.append(claim11.claim11_row(robust, standard, j1_validity).as_dict())
    _controls(out, attacked, images, labels, controls, attacks, j1_validity)
    _paths(out, attacked, images, labels, j1, frames)
    rng = np.random.default_rng(GRID_SEED)
    idx = sorted(rng.choice(len(labels), size=min(GRID_SIZE, len(labels)), replace=False).tolist())
    seed0 = min(a.seed for a in attacked)
    out.grid = {"indices": idx, "seed": GRID_SEED, "model_seed": seed0, "true_label": labels[idx].tolist(),
                "j1_label": {f"{a.model}/{a.norm}": out.j1_probs[(a.model, a.seed, a.norm)][idx].argmax(1).tolist()
                             for a in attacked if a.seed == seed0},
                "how": "drawn at random with this seed, before any example was seen (never selected); every model "
                       "and norm shows the same images at its first seed"}
    if examples_path is not None:
        ex = JudgedExamples(dataset, images, labels, image_index, [a.model for a in attacked],
                            [a.seed for a in attacked], [a.norm for a in attacked], [a.eps for a in attacked],
                            np.stack([a.adv for a in attacked]), np.stack([a.pred_clean for a in attacked]),
                            np.stack([a.pred_adv for a in attacked]))
        path = save_judged(examples_path, ex)
        out.judged_examples = {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                               "records": len(attacked), "n_images": int(len(labels))}
    return out


def _controls(out: PanelResult, attacked: Sequence[Attacked], images: np.ndarray, labels: np.ndarray,
              controls: dict[str, torch.nn.Module | judges.Judge], attacks: list[tuple[str, float]],
              j1_validity: judges.JudgeValidity) -> None:
    """The learned judges: their gates (the transfer gate against J1 on the standard model's seed-0 examples) and
    their claim-11 rows on the seed-0 models."""
    seed0 = min(a.seed for a in attacked)
    for name, control in controls.items():
        judge = judges.model_judge(control) if isinstance(control, torch.nn.Module) else control
        validity = judges.judge_validity(name, judge, images, labels, attacks, learned=True)
        for norm, _ in attacks:
            std = next((a for a in attacked if a.model == "standard" and a.seed == seed0 and a.norm == norm), None)
            if std is None:
                continue
            learned = judges.other_class(judge(std.adv), labels)
            mine = judges.other_class(out.j1_probs[(std.model, std.seed, norm)], labels)
            validity.transfer[norm] = judges.transfer_gate(learned, mine)
        out.judges.append({**validity.as_dict(), "primary": False, "rule": "a learned control (labelled): "
                           + name})
        for norm, _ in attacks:
            pair = [a for a in attacked if a.seed == seed0 and a.norm == norm
                    and a.model in ("standard", _robust_for(norm))]
            rob = [_judged(a, labels, judge(a.adv)) for a in pair if a.model != "standard"]
            std = [_judged(a, labels, judge(a.adv)) for a in pair if a.model == "standard"]
            if rob and std:
                out.controls.append(claim11.claim11_row(rob, std, validity, judge=name).as_dict())
    del j1_validity


def _paths(out: PanelResult, attacked: Sequence[Attacked], images: np.ndarray, labels: np.ndarray,
           j1: knn.KNNJudge, frames: int) -> None:
    """J1 along every interpolation path; robust vs standard per norm, paired over seeds and images."""
    reference = interpolation.clean_reference(j1, images)
    for norm in sorted({a.norm for a in attacked}):
        paths: dict[str, dict[int, interpolation.JudgedPaths]] = {"robust": {}, "standard": {}}
        for a in attacked:
            if a.norm != norm or a.model not in ("standard", _robust_for(norm)):
                continue
            side = "standard" if a.model == "standard" else "robust"
            paths[side][a.seed] = interpolation.judged_paths(j1, images, a.adv, labels, frames, reference)
        if paths["robust"] and paths["standard"]:
            out.interpolation[norm] = interpolation.compare_paths(paths["robust"], paths["standard"]).as_dict()
