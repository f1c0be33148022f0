"""Per-example losses that the attacks maximise, all computed in float32 (also from bf16/fp16 autocast logits).

With logits ``z``, true label ``y``, target ``t`` and ``π_k`` the index of the k-th largest logit:

- cross-entropy ``CE(z, y) = -log softmax(z)_y`` (any number of classes ≥ 2);
- logit margin ``max_{j≠y} z_j − z_y`` (Carlini & Wagner; positive iff misclassified; any number ≥ 2);
- DLR (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of diverse
  parameter-free attacks", §4): ``(max_{j≠y} z_j − z_y) / (z_π1 − z_π3)``, the margin divided by a scale that
  makes it invariant to shifting and rescaling the logits; needs ≥ 3 classes;
- targeted logit margin ``z_t − z_y`` (≥ 2 classes) and targeted DLR
  ``(z_t − z_y) / (z_π1 − (z_π3 + z_π4)/2)`` (≥ 4 classes);
- ``KL(softmax z_clean || softmax z)``, the divergence from a fixed clean prediction that TRADES' inner
  maximisation raises (Zhang et al. 2019; deep.trades).

(These are the negatives of the paper's DLR, written as losses to MAXIMISE.) :func:`margin_like_loss` and
:func:`targeted_margin_like_loss` pick DLR where it is defined and fall back to the plain logit margin for fewer
classes (2-class problems such as 5-vs-7 of Figure 5): the margin has the same sign and zero as DLR, only no
scale invariance, which an attack with a normalised (sign / unit-ℓ2) step does not need for binary problems.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_SCALE_TINY = 1e-12


def cross_entropy_per_example(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy at the true label for every example (works for any number of classes >= 2, binary
    included), computed in float32 even when the logits come from a bf16/fp16 autocast region."""
    return F.cross_entropy(logits.float(), y, reduction="none")


def kl_per_example(logits_clean: torch.Tensor, logits_adv: torch.Tensor) -> torch.Tensor:
    """``KL(softmax(clean) || softmax(adv))`` per example, in float32 (>= 0, 0 iff the distributions agree)."""
    p_log = F.log_softmax(logits_clean.float(), dim=1)
    q_log = F.log_softmax(logits_adv.float(), dim=1)
    return (p_log.exp() * (p_log - q_log)).sum(dim=1)


def _true_and_best_other(z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    true = z.gather(1, y[:, None])[:, 0]
    other = z.masked_fill(F.one_hot(y, z.shape[1]).bool(), float("-inf")).amax(1)
    return true, other


def margin_loss_per_example(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Carlini-Wagner margin ``max_{j != y} z_j - z_y`` per example (positive iff misclassified), in float32.
    Unlike cross-entropy it does not saturate for very confident models, and unlike the DLR loss it is defined
    for 2 classes. Pass it as ``PGD(..., loss_fn=margin_loss_per_example)``."""
    true, other = _true_and_best_other(logits.float(), y)
    return other - true


def dlr_loss_per_example(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """DLR loss ``(max_{j≠y} z_j − z_y) / (z_π1 − z_π3)`` per example (Croce & Hein 2020, §4), float32;
    needs at least 3 classes (ValueError otherwise: use :func:`margin_loss_per_example`)."""
    z = logits.float()
    if z.shape[1] < 3:
        raise ValueError(f"the DLR loss needs >= 3 classes (got {z.shape[1]}); use the logit margin "
                         "(margin_loss_per_example) for binary problems")
    true, other = _true_and_best_other(z, y)
    top = z.topk(3, dim=1).values
    return (other - true) / (top[:, 0] - top[:, 2] + _SCALE_TINY)


def targeted_margin_loss(logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Targeted logit margin ``z_t − z_y`` per example (≥ 2 classes; positive when t beats the true class)."""
    z = logits.float()
    return z.gather(1, target[:, None])[:, 0] - z.gather(1, y[:, None])[:, 0]


def targeted_dlr_loss(logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Targeted DLR ``(z_t − z_y) / (z_π1 − (z_π3 + z_π4)/2)`` per example (Croce & Hein 2020, §4), float32;
    needs at least 4 classes (ValueError otherwise: use :func:`targeted_margin_loss`)."""
    z = logits.float()
    if z.shape[1] < 4:
        raise ValueError(f"the targeted DLR loss needs >= 4 classes (got {z.shape[1]}); use the targeted logit "
                         "margin (targeted_margin_loss)")
    top = z.topk(4, dim=1).values
    scale = top[:, 0] - 0.5 * (top[:, 2] + top[:, 3]) + _SCALE_TINY
    return targeted_margin_loss(z, y, target) / scale


def margin_like_loss(n_classes: int):
    """The untargeted margin loss for ``n_classes``: DLR when ≥ 3 classes, else the logit margin."""
    return dlr_loss_per_example if n_classes >= 3 else margin_loss_per_example


def targeted_margin_like_loss(n_classes: int):
    """The targeted margin loss ``f(logits, y, target)`` for ``n_classes``: targeted DLR when ≥ 4 classes, else
    the targeted logit margin."""
    return targeted_dlr_loss if n_classes >= 4 else targeted_margin_loss


def margin_like_name(n_classes: int, targeted: bool) -> str:
    """``"dlr"`` / ``"margin"`` (untargeted) or ``"dlr-targeted"`` / ``"margin-targeted"``: the loss that
    :func:`margin_like_loss` / :func:`targeted_margin_like_loss` choose for ``n_classes``."""
    if targeted:
        return "dlr-targeted" if n_classes >= 4 else "margin-targeted"
    return "dlr" if n_classes >= 3 else "margin"
