"""Adversarial attacks on image classifiers with inputs in [0, 1].

ε and step sizes are ALWAYS in [0, 1] pixel space; models normalise their inputs internally.

- :class:`Attack` (``base.py``): the base class and shared conventions (eval mode, checks, best tracking).
- :class:`LinfStep`, :class:`L2Step` (``steps.py``): threat models (project / step / random start), with one
  radius per example where needed; :class:`MemberSteps`: the K threat models of a training population.
- losses (``losses.py``): cross-entropy, logit margin, DLR, their targeted forms and TRADES' KL divergence.
- :class:`PGD` (``pgd.py``): untargeted PGD with random starts, restarts and per-example best tracking: the one
  PGD, for evaluation and training.
- :func:`population_pgd`, :func:`population_trades_adversary` (``training.py``): the attacks of population
  training (K models at once), PGD on the population's batches in each member's threat model.
- :class:`APGD` (``apgd.py``): Auto-PGD (Croce & Hein 2020) with CE, margin/DLR and targeted losses.
- :class:`Ensemble` (``ensemble.py``): a named list of attacks run AutoAttack-style (worst case per example).
- :class:`LargeEpsAttack` (``large_eps.py``): the large-ε ascent of Figures 3, 8 and 9.
- ``correctness.py``: which points an attack or an ensemble breaks, in batches, with each attack's cost (the
  building block of deep.evaluate.evaluate and deep.sanity).
"""

from .apgd import APGD, apgd_checkpoints
from .base import Attack, BestIterate, LossScorer, check_batch, eval_mode, generator_for, unwrap_parallel
from .ensemble import DEFAULT_ENSEMBLE, NAMED_ATTACKS, AttackSpec, Ensemble, resolve_ensemble
from .large_eps import LargeEpsAttack
from .losses import (
    cross_entropy_per_example,
    dlr_loss_per_example,
    kl_per_example,
    margin_like_loss,
    margin_loss_per_example,
    targeted_dlr_loss,
    targeted_margin_loss,
)
from .pgd import PGD
from .steps import (
    AttackStep,
    L2Step,
    LinfStep,
    MemberSteps,
    as_batch_view,
    box_diameter,
    default_step_size,
    make_step,
    normalise_norm,
    per_example_norm,
)
from .training import population_pgd, population_trades_adversary

__all__ = [
    "DEFAULT_ENSEMBLE",
    "NAMED_ATTACKS",
    "AttackSpec",
    "Ensemble",
    "resolve_ensemble",
    "APGD",
    "PGD",
    "Attack",
    "AttackStep",
    "BestIterate",
    "L2Step",
    "LargeEpsAttack",
    "LinfStep",
    "LossScorer",
    "MemberSteps",
    "apgd_checkpoints",
    "as_batch_view",
    "box_diameter",
    "check_batch",
    "cross_entropy_per_example",
    "default_step_size",
    "dlr_loss_per_example",
    "eval_mode",
    "generator_for",
    "kl_per_example",
    "make_step",
    "margin_like_loss",
    "margin_loss_per_example",
    "normalise_norm",
    "per_example_norm",
    "population_pgd",
    "population_trades_adversary",
    "targeted_dlr_loss",
    "targeted_margin_loss",
    "unwrap_parallel",
]
