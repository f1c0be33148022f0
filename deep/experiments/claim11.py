"""Claim 11's effect, judged by J1 and paired over the same images and seeds (docs/experiments.md, "Claim 11").

For one attack norm, the robust model trained in that norm and the standard model, both at seed s, are attacked at
the same large ε on the same N test images; J1 (:mod:`deep.experiments.knn`) says, for each example, whether it
shows another class than the true one. With ``r[s, i]`` and ``t[s, i]`` these 0/1 flags for the robust and the
standard model, the effect is

    robust − standard other-class rate = mean_{s, i} (r[s, i] − t[s, i]),

a paired difference over seeds × images whose interval (:func:`deep.experiments.crossed.paired_difference`) counts
both the seed-to-seed and the image-to-image variation (docs/statistics.md, "Seeds and images together"). The row
is "not run" (never evidence) when the attack gate fails (:func:`deep.experiments.judges.attack_gate`, pooled over
the robust models of every seed) or when the judge does not pass its validity gates for that norm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import crossed, metrics
from .judges import Gate, JudgeValidity, attack_gate, other_class

RUN = "run"
NOT_RUN = "not run"


@dataclass(frozen=True)
class JudgedAttack:
    """One attacked model's large-ε examples as a judge saw them: the attacked ``model`` (its recipe name), its
    ``seed``, the attack's ``norm`` and ``eps``, the true ``labels`` (N,), the model's predictions on the clean
    images (``pred_clean``) and on the examples (``pred_adv``), and the judge's probabilities on the examples
    (``judge_probs``, (N, K))."""

    model: str
    seed: int
    norm: str
    eps: float
    labels: np.ndarray
    pred_clean: np.ndarray
    pred_adv: np.ndarray
    judge_probs: np.ndarray

    @property
    def other(self) -> np.ndarray:
        """The judge's other-class flags (N,)."""
        return other_class(self.judge_probs, self.labels)

    @property
    def agrees(self) -> np.ndarray:
        """Flags (N,): the judge's label equals the attacked model's label on the example and differs from the true
        one (the judge sees the class the attack aimed at)."""
        j = np.asarray(self.judge_probs).argmax(axis=1)
        return (j == np.asarray(self.pred_adv)) & (j != np.asarray(self.labels))


@dataclass
class Claim11Row:
    """One attack norm of claim 11: the gates, each model's pooled other-class rate (Wilson interval over all seeds
    × images), the paired ``effect`` (robust − standard, :class:`deep.experiments.crossed.CrossedMean`), the rate at
    which the judge agrees with the attacked model's new label, and the ``status`` ("run" or "not run", with the
    ``reason``). ``effect`` is computed in every case but is evidence only when ``status`` is "run"."""

    norm: str
    eps: float
    judge: str
    seeds: list[int]
    n_images: int
    attack: Gate
    attack_by_seed: dict[int, float]
    judge_gates: list[Gate]
    judge_decides: bool
    robust_rate: dict
    standard_rate: dict
    effect: crossed.CrossedMean
    agreement: dict = field(default_factory=dict)
    status: str = RUN
    reason: str = ""

    def verdict_inputs(self) -> dict | None:
        """What reports.verdicts needs (``estimate``, ``se``, ``df``, ``method``, ``n_seeds``), or None for a row
        that is not run."""
        if self.status != RUN:
            return None
        e = self.effect
        return {"estimate": e.estimate, "se": e.se, "df": e.df, "method": e.method, "n_seeds": e.n_seeds}

    def as_dict(self) -> dict:
        """The row for the ``deep.large_eps`` payload (``claim11_j1``)."""
        return {"attack_norm": self.norm, "eps": self.eps, "judge": self.judge, "seeds": self.seeds,
                "n_images": self.n_images, "attack_gate": self.attack.as_dict(),
                "attack_changed_by_seed": {str(k): v for k, v in self.attack_by_seed.items()},
                "judge_gates": [g.as_dict() for g in self.judge_gates], "judge_decides": self.judge_decides,
                "robust_other_class_rate": self.robust_rate, "standard_other_class_rate": self.standard_rate,
                "robust_minus_standard": self.effect.interval(), "judge_agrees_with_attack": self.agreement,
                "status": self.status, "reason": self.reason}


def _by_seed(models: Sequence[JudgedAttack], what: str) -> dict[int, JudgedAttack]:
    out: dict[int, JudgedAttack] = {}
    for m in models:
        if m.seed in out:
            raise ValueError(f"two {what} models at seed {m.seed}")
        out[m.seed] = m
    return out


def claim11_row(robust: Sequence[JudgedAttack], standard: Sequence[JudgedAttack],
                validity: JudgeValidity | None, judge: str = "J1") -> Claim11Row:
    """Claim 11 for one attack norm: robust models and standard models attacked in that norm (one per seed, the
    same images and ε), judged by ``judge`` whose gates are ``validity`` (None: gates unknown, the row is not run).
    Paired over the seeds both recipes have (at least one) and over the images."""
    rb, sb = _by_seed(robust, "robust"), _by_seed(standard, "standard")
    seeds = sorted(set(rb) & set(sb))
    if not seeds:
        raise ValueError(f"no seed shared by the robust {sorted(rb)} and standard {sorted(sb)} models")
    first = rb[seeds[0]]
    norm, eps, labels = first.norm, float(first.eps), np.asarray(first.labels)
    for m in [rb[s] for s in seeds] + [sb[s] for s in seeds]:
        if m.norm != norm or float(m.eps) != eps:
            raise ValueError(f"{m.model} seed {m.seed}: attack {m.norm} ε={m.eps}, expected {norm} ε={eps}")
        if not np.array_equal(np.asarray(m.labels), labels):
            raise ValueError(f"{m.model} seed {m.seed} was judged on other images (labels differ)")
    r = np.stack([rb[s].other for s in seeds]).astype(float)
    t = np.stack([sb[s].other for s in seeds]).astype(float)
    gate = attack_gate(np.stack([rb[s].pred_clean for s in seeds]), np.stack([rb[s].pred_adv for s in seeds]))
    by_seed = {s: float(np.mean(np.asarray(rb[s].pred_clean) != np.asarray(rb[s].pred_adv))) for s in seeds}
    effect = crossed.paired_difference(r, t)
    gates = validity.gates(norm) if validity is not None else []
    decides = validity is not None and validity.decides(norm)
    reasons = []
    if not gate.passed:
        reasons.append(f"attack gate failed: the attack changed the robust model's prediction on {gate.value:.0%} "
                       f"of the images (< {gate.threshold:.0%})")
    if not decides:
        failed = [g.name for g in gates if not g.passed]
        reasons.append(f"the judge {judge} does not decide for this norm"
                       + (f" (failed: {', '.join(failed)})" if failed else " (gates missing)"))
    n = r.size

    def agreement(models: dict[int, JudgedAttack]) -> dict:
        agree = sum(int(models[s].agrees.sum()) for s in seeds)
        other = sum(int(models[s].other.sum()) for s in seeds)
        return metrics.proportion_interval(agree, other)

    return Claim11Row(
        norm=norm, eps=eps, judge=judge, seeds=seeds, n_images=len(labels), attack=gate, attack_by_seed=by_seed,
        judge_gates=gates, judge_decides=decides,
        robust_rate=metrics.proportion_interval(int(r.sum()), n),
        standard_rate=metrics.proportion_interval(int(t.sum()), n), effect=effect,
        agreement={"robust": agreement(rb), "standard": agreement(sb),
                   "what": "among examples the judge calls another class, the fraction whose judged class is the "
                           "attacked model's new class (Wilson)"},
        status=RUN if not reasons else NOT_RUN, reason="; ".join(reasons))
