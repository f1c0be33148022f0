"""Claim 11's judge panel: who may say that a large-ε example "looks like another class", and the gates every judge
and every attack must pass before its numbers count (docs/experiments.md, "Claim 11"; stated before any data).

A *judge* is any callable mapping images (N, C, H, W) in [0, 1] to class probabilities (N, K): J1
(:class:`deep.experiments.knn.KNNJudge`, the primary judge) or a learned model wrapped by :func:`model_judge` (a
labelled control). A judge calls an image *another class* when its most probable class (the first maximum) is not
the image's true label.

Gates (point estimates against fixed thresholds; each :class:`Gate` carries its Wilson interval for the reader):

* **clean** — the judge's other-class rate on clean test images is at most ``CLEAN_MAX`` = 0.05;
* **noise** — its other-class rate on random noise of the attack's size is at most its clean rate +
  ``NOISE_MARGIN`` = 0.05 (:func:`random_noise`: sign noise ±ε for ℓ∞, a Gaussian direction scaled to ℓ2 norm ε for
  ℓ2, both clipped to [0, 1]);
* **transfer** (learned judges only) — its other-class rate on the *standard* model's large-ε examples exceeds
  J1's on the same examples by at most ``TRANSFER_MARGIN`` = 0.10: a judge that the attacked model's noise can fool
  decides nothing;
* **attack** (per norm, on the attacked robust models) — the attack changes the robust model's prediction (from its
  prediction on the clean image) on at least ``ATTACK_MIN`` = 80% of the judged images; a row that fails is "not
  run", never evidence.

A judge decides a row only when all its gates for that norm pass (:meth:`JudgeValidity.decides`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from . import metrics
from .large_eps import predict_logits

Judge = Callable[[np.ndarray], np.ndarray]

CLEAN_MAX = 0.05
NOISE_MARGIN = 0.05
TRANSFER_MARGIN = 0.10
ATTACK_MIN = 0.80


@dataclass(frozen=True)
class Gate:
    """One gate: the measured ``value`` (a rate or a difference of rates), the ``threshold`` it is compared with
    (``value <= threshold`` passes, or ``value >= threshold`` when ``at_least``), whether it ``passed``, the
    ``rule`` in words, the number of images ``n`` and the value's 95% ``interval`` (Wilson for a rate; for
    information, the gate uses the point estimate)."""

    name: str
    value: float
    threshold: float
    passed: bool
    rule: str
    n: int
    at_least: bool = False
    interval: dict | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "threshold": self.threshold, "passed": self.passed,
                "rule": self.rule, "n": self.n, "at_least": self.at_least, "interval": self.interval}


def _gate(name: str, value: float, threshold: float, rule: str, n: int, at_least: bool = False,
          interval: dict | None = None) -> Gate:
    passed = value >= threshold if at_least else value <= threshold
    return Gate(name, float(value), float(threshold), bool(passed), rule, int(n), at_least, interval)


def other_class(probs: np.ndarray, labels) -> np.ndarray:
    """Boolean (N,): the judge's most probable class (first maximum) differs from the true label."""
    p = np.asarray(probs)
    y = np.asarray(labels).astype(int)
    if p.ndim != 2 or len(p) != len(y):
        raise ValueError(f"probs must be (N, K) with N = len(labels); got {p.shape} and {y.shape}")
    return p.argmax(axis=1) != y


def model_judge(model: torch.nn.Module, batch_size: int = 500) -> Judge:
    """A learned judge: the softmax of ``model`` (eval mode) on numpy images, as a :data:`Judge`."""

    def judge(x: np.ndarray) -> np.ndarray:
        xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
        return metrics.probabilities(predict_logits(model, xt, batch_size))

    return judge


def random_noise(x: np.ndarray, norm: str, eps: float, seed: int = 0) -> np.ndarray:
    """Random noise of the attack's size added to ``x`` (N, ...) and clipped to [0, 1]: for ``norm`` "inf", ±ε on
    every pixel with independent fair signs; for "2", a direction drawn uniformly on the sphere (a normalised
    Gaussian vector) of ℓ2 norm ε per image. Clipping can only shorten the perturbation."""
    x = np.asarray(x, dtype=np.float32)
    rng = np.random.default_rng(seed)
    if norm == "inf":
        delta = eps * rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=x.shape)
    elif norm == "2":
        z = rng.standard_normal(x.shape).astype(np.float32)
        n = np.sqrt((z.reshape(len(z), -1) ** 2).sum(axis=1)).reshape(-1, *([1] * (x.ndim - 1)))
        delta = eps * z / n
    else:
        raise ValueError(f"norm must be 'inf' or '2', got {norm!r}")
    return np.clip(x + delta, 0.0, 1.0).astype(np.float32)


def _rate(flags: np.ndarray) -> tuple[float, dict]:
    flags = np.asarray(flags, dtype=bool).ravel()
    ci = metrics.proportion_interval(int(flags.sum()), len(flags))
    return float(flags.mean()), ci


def clean_gate(judge_probs: np.ndarray, labels, threshold: float = CLEAN_MAX) -> Gate:
    """The clean gate from the judge's probabilities on clean test images: other-class rate ≤ ``threshold``."""
    r, ci = _rate(other_class(judge_probs, labels))
    return _gate("clean", r, threshold, f"other-class rate on clean test images ≤ {threshold:g}", ci["n"],
                 interval=ci)


def noise_gate(judge_probs: np.ndarray, labels, clean_rate: float, norm: str, eps: float,
               margin: float = NOISE_MARGIN) -> Gate:
    """The noise gate from the judge's probabilities on :func:`random_noise` of the attack's norm and ε: other-class
    rate ≤ ``clean_rate + margin``."""
    r, ci = _rate(other_class(judge_probs, labels))
    kind = "sign noise ±ε" if norm == "inf" else "Gaussian noise of ℓ2 norm ε"
    return _gate(f"noise_{norm}", r, clean_rate + margin,
                 f"other-class rate on {kind} (ε = {eps:g}, clipped to [0, 1]) ≤ clean rate + {margin:g}",
                 ci["n"], interval=ci)


def transfer_gate(learned_other, j1_other, margin: float = TRANSFER_MARGIN) -> Gate:
    """A learned judge's transfer gate: on the same standard-model large-ε examples (boolean other-class flags of the
    learned judge and of J1, any shape, e.g. seeds × images), the learned judge's other-class rate minus J1's must be
    ≤ ``margin``."""
    a = np.asarray(learned_other, dtype=bool).ravel()
    b = np.asarray(j1_other, dtype=bool).ravel()
    if a.shape != b.shape:
        raise ValueError(f"the two judges must see the same examples, got {a.shape} and {b.shape}")
    diff = float(a.mean() - b.mean())
    return _gate("transfer", diff, margin,
                 f"other-class rate on the standard model's large-ε examples minus J1's ≤ {margin:g}", len(a),
                 interval=metrics.mean_interval(a.astype(float) - b.astype(float)))


def attack_gate(pred_clean, pred_adv, threshold: float = ATTACK_MIN) -> Gate:
    """The attack gate of one norm: the fraction of judged images (pooled over the robust models of every seed; any
    shape) on which the attack changed the robust model's prediction from its prediction on the clean image must be
    ≥ ``threshold``."""
    c = np.asarray(pred_clean).ravel()
    a = np.asarray(pred_adv).ravel()
    if c.shape != a.shape:
        raise ValueError(f"pred_clean {c.shape} and pred_adv {a.shape} differ in shape")
    r, ci = _rate(c != a)
    return _gate("attack", r, threshold, f"the attack changes the robust model's prediction on ≥ {threshold:.0%} "
                 "of the judged images", len(c), at_least=True, interval=ci)


@dataclass
class JudgeValidity:
    """A judge's gates: ``clean``, ``noise[norm]`` and, for a learned judge, ``transfer[norm]`` (set by the caller
    once J1's flags on the standard model's examples are known)."""

    judge: str
    learned: bool
    clean: Gate
    noise: dict[str, Gate] = field(default_factory=dict)
    transfer: dict[str, Gate] = field(default_factory=dict)

    def gates(self, norm: str) -> list[Gate]:
        """The gates that bear on attack norm ``norm``."""
        out = [self.clean]
        if norm in self.noise:
            out.append(self.noise[norm])
        if norm in self.transfer:
            out.append(self.transfer[norm])
        return out

    def decides(self, norm: str) -> bool:
        """True when every gate for ``norm`` is present and passed (a learned judge needs its transfer gate)."""
        if norm not in self.noise or (self.learned and norm not in self.transfer):
            return False
        return all(g.passed for g in self.gates(norm))

    def as_dict(self) -> dict:
        return {"judge": self.judge, "learned": self.learned, "clean": self.clean.as_dict(),
                "noise": {k: g.as_dict() for k, g in self.noise.items()},
                "transfer": {k: g.as_dict() for k, g in self.transfer.items()},
                "decides": {n: self.decides(n) for n in self.noise}}


def judge_validity(name: str, judge: Judge, x: np.ndarray, y, attacks: Sequence[tuple[str, float]],
                   learned: bool = False, seed: int = 0) -> JudgeValidity:
    """The clean gate on clean test images ``x`` (labels ``y``) and, per ``(norm, eps)`` of ``attacks``, the noise
    gate on :func:`random_noise` of that size (seeded by ``seed``) for ``judge``. The transfer gate of a learned judge
    is added with :func:`transfer_gate` once the standard model's large-ε examples have been judged."""
    x = np.asarray(x, dtype=np.float32)
    clean = clean_gate(judge(x), y)
    out = JudgeValidity(name, learned, clean)
    for norm, eps in attacks:
        out.noise[norm] = noise_gate(judge(random_noise(x, norm, eps, seed)), y, clean.value, norm, eps)
    return out
