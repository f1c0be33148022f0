"""The paper's qualitative claims measured on one user model (issue 25): claim 10's gradient alignment and claim 11's
judge panel, with a standard reference model of the same data when one is given.

**Claim 10** (paper §3, Fig. 2: robust models' loss gradients ∇ₓL(x, y) look like the image). Per image, the three
alignments of deep.experiments.claim10 (Pearson and Spearman of |g| with the image's Sobel edges, the signed Pearson
of g with the direction to the nearest training image of another class), each minus its shuffled baseline (the
same measure against another image): the **excess alignment**, with its t interval over images. Spearman decides
in the project's claim 10 (:data:`deep.experiments.claim10.DECIDES`); a single model has no verdict, only its
excess. With a reference model (a standard model of the same data): model − reference and model − the reference
gradient blurred to the model's smoothness (claim10.compare, paired over images, one seed).

**Claim 11** (paper §3, Fig. 3: large-ε examples of robust models look like another class). The model is attacked
at one large ε per data set (:func:`large_eps_for`; no random start, iterates clipped to [0, 1]), and J1, the exact
10-nearest-neighbour judge over the data set's whole training split (deep.experiments.knn), says which examples
show another class. The judge's gates (deep.experiments.judges: clean, noise of the attack's size) and the attack
gate (the attack changes the model's prediction on ≥ 80% of the images) must pass before the other-class rate
counts; otherwise the part is "not run" with the reason. With a reference model: model − reference other-class rate,
paired over images (deep.experiments.claim11.claim11_row, one seed). Without a training split J1 cannot exist and
the whole part is "not run".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from . import attacks
from .device import Precision
from .experiments import claim10, claim11, judges, knn, metrics
from .experiments.definitions import LargeEps
from .experiments.gradients import input_gradients
from .experiments.large_eps import predict_logits

NOT_RUN = "not run"
#: the per-pixel RMS size of the paper's Restricted ImageNet ℓ2 large ε (40 on 3×224×224 images): 40/√150528
RMS_L2 = 40 / math.sqrt(3 * 224 * 224)
#: the paper's Restricted ImageNet ℓ∞ large ε, for data sets without a choice of their own
LINF_DEFAULT = 0.25
STEPS_DEFAULT = 60


@dataclass(frozen=True)
class CardAttack:
    """The large-ε attack of a card (``spec``: norm, ε, steps, step size) and why this ε."""

    spec: LargeEps
    why: str

    @property
    def norm(self) -> str:
        return self.spec.norm

    @property
    def eps(self) -> float:
        return self.spec.eps

    def as_dict(self) -> dict:
        return {**asdict(self.spec), "why": self.why,
                "attack": "untargeted ascent of the cross-entropy, no random start, last iterate"}


def large_eps_for(dataset: str, norm: str, dims: int, eps: float | None = None) -> CardAttack:
    """The large ε of claim 11 for ``dataset`` in ``norm`` (``dims`` pixels per image): ``eps`` when given (60 steps
    of 2.5ε/60); for a registered data set of the paper's experiments its quick scale's picture attack
    (deep.experiments.definitions; MNIST ℓ∞ 0.45 and ℓ2 4.0, chosen on pilot models to pass the attack gate, CIFAR-10
    ℓ∞ 0.125 and ℓ2 4.7); for any other data the paper's Restricted ImageNet choice carried over: ℓ∞ 0.25, ℓ2 of the
    same per-pixel RMS size, 0.103·√dims."""
    if eps is not None:
        return CardAttack(LargeEps(norm, float(eps), STEPS_DEFAULT, 2.5 * float(eps) / STEPS_DEFAULT),
                          "given (--large-eps)")
    try:
        from .experiments import definitions

        a = definitions.get("pictures", dataset, "quick").attack(norm)
        return CardAttack(a, f"the {dataset} quick scale's claim-11 attack (deep/experiments/definitions.py)")
    except (ValueError, KeyError):
        pass
    if norm == "inf":
        return CardAttack(LargeEps(norm, LINF_DEFAULT, STEPS_DEFAULT, 2.5 * LINF_DEFAULT / STEPS_DEFAULT),
                          "no choice for this data set: the paper's Restricted ImageNet l_inf large eps (0.25)")
    e = round(RMS_L2 * math.sqrt(dims), 4)
    return CardAttack(LargeEps(norm, e, STEPS_DEFAULT, 2.5 * e / STEPS_DEFAULT),
                      f"no choice for this data set: the paper's Restricted ImageNet l2 40 at the same per-pixel RMS "
                      f"({RMS_L2:.3f}) times sqrt({dims})")


def _variants(al: dict, signed: bool) -> dict:
    out = {}
    for v in claim10.VARIANTS:
        if v == "signed" and not signed:
            out[v] = {"status": NOT_RUN, "reason": "needs the nearest training image of another class: the data set "
                      "has no training split"}
            continue
        a, b = al[v]["alignment"], al[v]["baseline"]
        out[v] = {"alignment": metrics.mean_interval(a), "baseline": metrics.mean_interval(b),
                  "excess": metrics.paired_difference(np.nan_to_num(a), np.nan_to_num(b))}
    return out


def gradient_alignment(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, j1: knn.KNNJudge | None,
                       reference: torch.nn.Module | None = None) -> dict:
    """Claim 10 on ``model`` over the images ``(x, y)`` (module docstring): per variant the alignment, its shuffled
    baseline and the excess (t intervals over images), the gradient's smoothness, and with ``reference`` the
    comparison of deep.experiments.claim10.compare (``minus_standard``, ``minus_blurred_standard``; the reference
    plays the standard model)."""
    images = x.detach().cpu().numpy().astype(np.float64)
    labels = y.detach().cpu().numpy()
    if len(images) < 2:
        return {"status": NOT_RUN, "reason": "needs at least 2 images"}
    directions = claim10.towards_other_class(j1, images, labels) if j1 is not None else np.zeros_like(images)
    grads = input_gradients(model, x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        al = claim10.alignments(grads, images, directions)
        out = {"status": "run", "n_images": int(len(images)), "decides": claim10.DECIDES,
               "variants": _variants(al, j1 is not None), "smoothness": claim10.smoothness(grads),
               "measure": "excess alignment = alignment with the image's own edges minus the same with another "
                          "image's edges (shuffled baseline), per image"}
        if reference is not None:
            g_ref = input_gradients(reference, x, y)
            cmp = claim10.compare({0: grads}, {0: g_ref}, images, directions).as_dict()
            if j1 is None:
                for key in ("minus_standard", "minus_blurred_standard"):
                    cmp[key].pop("signed", None)
                for d in cmp["mean_excess"].values():
                    d.pop("signed", None)
            ref_al = claim10.alignments(g_ref, images, directions)
            out["reference"] = {"variants": _variants(ref_al, j1 is not None), "comparison": cmp,
                                "what": "this model minus the reference (standard) model, and minus the reference's "
                                        "gradient blurred to this model's smoothness; paired over images"}
    return out


def _attack(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, spec: CardAttack, precision: Precision,
            batch_size: int) -> np.ndarray:
    """The large-ε examples of ``model`` (float32, on the CPU), under the precision policy."""
    a = spec.spec
    atk = attacks.LargeEpsAttack(eps=a.eps, step_size=a.step_size, steps=a.steps, norm=a.norm)
    precision.model(model)
    dev = next(model.parameters()).device
    out = []
    with precision.autocast():
        for i in range(0, len(x), batch_size):
            xb, yb = x[i:i + batch_size].to(dev), y[i:i + batch_size].to(dev)
            out.append(atk(model, precision.inputs(xb), yb).float().cpu())
    return torch.cat(out).contiguous().numpy()


def _judged(name: str, model, x, y, spec, precision, j1, batch_size) -> claim11.JudgedAttack:
    adv = _attack(model, x, y, spec, precision, batch_size)
    pred_clean = predict_logits(model, x).argmax(axis=1)
    pred_adv = predict_logits(model, torch.from_numpy(adv)).argmax(axis=1)
    return claim11.JudgedAttack(name, 0, spec.norm, spec.eps, y.cpu().numpy(), pred_clean, pred_adv,
                                j1.predict_proba(adv))


def judge_panel(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, j1: knn.KNNJudge | None, spec: CardAttack,
                precision: Precision, reference: torch.nn.Module | None = None, batch_size: int = 250,
                no_judge_reason: str = "") -> dict:
    """Claim 11 on ``model`` over the images ``(x, y)`` (module docstring): J1's gates, the attack gate, J1's
    other-class rate on the model's large-ε examples (Wilson) and how often J1's class is the model's new class;
    with ``reference``, the paired model − reference difference. "not run" without J1 (``no_judge_reason``) or
    when a gate fails (the numbers are still shown, never as evidence)."""
    if j1 is None:
        return {"status": NOT_RUN, "reason": no_judge_reason or "no training split for J1", "attack": spec.as_dict()}
    images, labels = x.detach().cpu().numpy(), y.detach().cpu().numpy()
    validity = judges.judge_validity("J1", j1, images, labels, [(spec.norm, spec.eps)])
    mine = _judged("model", model, x, y, spec, precision, j1, batch_size)
    gate = judges.attack_gate(mine.pred_clean, mine.pred_adv)
    other = mine.other
    out = {"attack": spec.as_dict(), "n_images": int(len(labels)), "judge": {
               **validity.as_dict(), "k": j1.k, "n_train": j1.n_train,
               "rule": f"exact {j1.k}-nearest neighbours in pixel space over the {j1.n_train} training images"},
           "attack_gate": gate.as_dict(),
           "other_class_rate": metrics.proportion_interval(int(other.sum()), len(other)),
           "judge_agrees_with_attack": metrics.proportion_interval(int(mine.agrees.sum()), int(other.sum())),
           "model_fooled_rate": metrics.proportion_interval(int((mine.pred_adv != labels).sum()), len(labels))}
    reasons = []
    if not gate.passed:
        reasons.append(f"attack gate failed: the attack changed the model's prediction on {gate.value:.0%} of the "
                       f"images (< {gate.threshold:.0%})")
    if not validity.decides(spec.norm):
        failed = [g.name for g in validity.gates(spec.norm) if not g.passed]
        reasons.append(f"J1 does not pass its gates ({', '.join(failed)})")
    out["status"] = "run" if not reasons else NOT_RUN
    out["reason"] = "; ".join(reasons)
    if reference is not None:
        ref = _judged("reference", reference, x, y, spec, precision, j1, batch_size)
        row = claim11.claim11_row([mine], [ref], validity).as_dict()
        out["reference"] = {"other_class_rate": row["standard_other_class_rate"],
                            "model_minus_reference": row["robust_minus_standard"],
                            "status": row["status"], "reason": row["reason"],
                            "what": "J1's other-class rate on this model's large-eps examples minus on the reference "
                                    "(standard) model's, paired over the same images (one seed)"}
    return out
