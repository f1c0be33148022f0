"""Attack ensembles as data: a named, ordered tuple of attack specifications, run AutoAttack-style by
:func:`deep.evaluate.evaluate` (each attack only on the points that every earlier attack left correctly
classified; a point is robust when no attack of the ensemble misclassifies it: the per-example worst case).

:data:`DEFAULT_ENSEMBLE` is the project's default evaluation, AutoAttack's gradient attacks (Croce & Hein 2020,
§5) at a smaller budget: APGD-CE (30 iterations), APGD with the untargeted margin loss (30 iterations; DLR from 3
classes, the logit margin for 2) and APGD-T, the targeted margin attack (40 iterations each) towards the 3
classes with the highest clean logits (targeted DLR from 4 classes, targeted logit margin for 3; for 2 classes
the only target is the other class). At most 31 + 31 + 3·41 = 185 gradient evaluations per point: less than two
PGD-100 runs (bench/robust_eval.py measures the time). Three losses at a few dozen iterations each found more
adversarial points than two at 50 or 100 on the benchmark model (bench/robust_eval.py); the test suite checks the
default against the reference AutoAttack (tests/deep/test_reference_autoattack.py). ``"thorough"`` is the pair
APGD-CE + APGD-T at AutoAttack's own budget (100 iterations, 9 targets), about 5× the cost.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .apgd import APGD
from .base import Attack
from .pgd import PGD
from .steps import box_diameter, default_step_size

KINDS = ("apgd", "pgd")


@dataclass(frozen=True)
class AttackSpec:
    """One attack of an ensemble. ``kind``: ``"apgd"`` or ``"pgd"``; ``loss``: ``"ce"`` or ``"margin"``
    (APGD: DLR / logit margin, see :mod:`deep.attacks.losses`; PGD: only ``"ce"``); ``steps`` and
    ``restarts`` per run; ``targets``: APGD-T's number of target classes (0: untargeted);
    ``step_size``: PGD's step in pixel space (None: 2.5·ε/steps); ``random_start``: start in the ball."""

    kind: str
    loss: str = "ce"
    steps: int = 100
    restarts: int = 1
    targets: int = 0
    step_size: float | None = None
    random_start: bool = True

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown attack kind {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.kind == "pgd" and (self.loss != "ce" or self.targets):
            raise ValueError("PGD in an ensemble is the untargeted cross-entropy attack (loss='ce', targets=0)")
        if self.kind == "apgd" and self.step_size is not None:
            raise ValueError("APGD has no step size parameter (it adapts its own): leave step_size=None")

    @property
    def label(self) -> str:
        """Short name: ``apgd-ce``, ``apgd-margin``, ``apgd-t3``, ``pgd-100`` (``×R`` with R > 1 restarts)."""
        if self.kind == "pgd":
            base = f"pgd-{self.steps}"
        elif self.targets:
            base = f"apgd-t{self.targets}"
        else:
            base = f"apgd-{self.loss}"
        return base + (f"x{self.restarts}" if self.restarts > 1 else "")

    def build(self, eps: float, norm: str, n_dims: int, *, seed: int | None = None) -> Attack:
        """The attack at radius ``eps`` (pixel space) for inputs of ``n_dims`` pixels."""
        if self.kind == "pgd":
            step = self.step_size
            if step is None:
                step = default_step_size(min(eps, box_diameter(norm, n_dims)), self.steps)
            return PGD(eps, step, self.steps, norm, random_start=self.random_start, restarts=self.restarts,
                       seed=seed, check_range=False)
        return APGD(eps, self.steps, norm, self.loss, targets=self.targets, restarts=self.restarts,
                    random_start=self.random_start, seed=seed, check_range=False)

    def gradient_evaluations(self, n_classes: int) -> int:
        """Forward+backward passes per attacked point."""
        if self.kind == "pgd":
            return self.steps * self.restarts
        runs = min(self.targets, n_classes - 1) if self.targets else 1
        return (self.steps + 1) * self.restarts * runs

    def describe(self) -> dict:
        """This specification as a JSON-ready dict (with its ``label``)."""
        return {"label": self.label, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class Ensemble:
    """A named, ordered tuple of :class:`AttackSpec` (see the module docstring for how it is run)."""

    name: str
    attacks: tuple[AttackSpec, ...]

    def __post_init__(self):
        if not self.attacks:
            raise ValueError(f"ensemble {self.name!r} has no attacks")

    def scaled(self, steps: int | None = None, restarts: int | None = None,
               random_start: bool | None = None) -> Ensemble:
        """The same ensemble with every attack's ``steps`` / ``restarts`` / ``random_start`` replaced (None keeps
        them); the name records the change, e.g. ``default[steps=20]``."""
        changes = {k: v for k, v in (("steps", steps), ("restarts", restarts), ("random_start", random_start))
                   if v is not None}
        if not changes:
            return self
        if "steps" in changes and (int(changes["steps"]) != changes["steps"] or changes["steps"] < 1):
            raise ValueError(f"steps must be an integer >= 1 (got {steps})")
        if "restarts" in changes and (int(changes["restarts"]) != changes["restarts"] or changes["restarts"] < 1):
            raise ValueError(f"restarts must be an integer >= 1 (got {restarts})")
        attacks = tuple(dataclasses.replace(a, **changes) for a in self.attacks)
        if attacks == self.attacks:
            return self
        tag = ",".join(f"{k}={v}" for k, v in changes.items())
        return Ensemble(f"{self.name}[{tag}]", attacks)

    @property
    def label(self) -> str:
        """``name (label1 + label2 + ...)``."""
        return f"{self.name} ({' + '.join(a.label for a in self.attacks)})"

    def gradient_evaluations(self, n_classes: int) -> int:
        """Forward+backward passes per point if every attack ran on every point (an upper bound: later attacks
        only run on the points still robust)."""
        return sum(a.gradient_evaluations(n_classes) for a in self.attacks)

    def describe(self) -> dict:
        """``{name, label, attacks: [...]}``, JSON-ready, for result files."""
        return {"name": self.name, "label": self.label, "attacks": [a.describe() for a in self.attacks]}


DEFAULT_ENSEMBLE = Ensemble("default", (
    AttackSpec("apgd", "ce", steps=30),
    AttackSpec("apgd", "margin", steps=30),
    AttackSpec("apgd", "margin", steps=40, targets=3),
))
THOROUGH_ENSEMBLE = Ensemble("thorough", (
    AttackSpec("apgd", "ce", steps=100),
    AttackSpec("apgd", "margin", steps=100, targets=9),
))

#: Single attacks (and the default) by name, for ``--attack NAME`` and ``deep.evaluate.evaluate(attack=NAME)``.
NAMED_ATTACKS: dict[str, Ensemble] = {
    "default": DEFAULT_ENSEMBLE,
    "thorough": THOROUGH_ENSEMBLE,
    "pgd": Ensemble("pgd", (AttackSpec("pgd", steps=100),)),
    "apgd-ce": Ensemble("apgd-ce", (AttackSpec("apgd", "ce", steps=100),)),
    "apgd-margin": Ensemble("apgd-margin", (AttackSpec("apgd", "margin", steps=100),)),
    "apgd-t": Ensemble("apgd-t", (AttackSpec("apgd", "margin", steps=100, targets=3),)),
}


def resolve_ensemble(attack: str | Ensemble | AttackSpec) -> Ensemble:
    """An :class:`Ensemble` from a name of :data:`NAMED_ATTACKS`, an ensemble or a single specification."""
    if isinstance(attack, Ensemble):
        return attack
    if isinstance(attack, AttackSpec):
        return Ensemble(attack.label, (attack,))
    key = str(attack).strip().lower()
    if key not in NAMED_ATTACKS:
        raise ValueError(f"unknown attack {attack!r}: use one of {', '.join(NAMED_ATTACKS)}")
    return NAMED_ATTACKS[key]
