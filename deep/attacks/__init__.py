"""Adversarial attacks on image classifiers with inputs in [0, 1].

ε and step sizes are ALWAYS in [0, 1] pixel space; models normalise their inputs internally.

- :class:`LinfStep`, :class:`L2Step` (``steps.py``): threat models (project / step / random_start).
- :class:`PGD` (``pgd.py``): untargeted PGD with random starts, restarts and per-example best tracking.
- :class:`LargeEpsAttack` (``large_eps.py``): the large-ε ascent of Figures 3, 8 and 9.
"""

from .large_eps import LargeEpsAttack
from .pgd import (
    PGD,
    check_batch,
    cross_entropy_per_example,
    eval_mode,
    margin_loss_per_example,
    unwrap_parallel,
)
from .steps import AttackStep, L2Step, LinfStep, box_diameter, make_step, normalise_norm, per_example_norm

__all__ = [
    "PGD",
    "AttackStep",
    "L2Step",
    "LargeEpsAttack",
    "LinfStep",
    "box_diameter",
    "check_batch",
    "cross_entropy_per_example",
    "eval_mode",
    "make_step",
    "margin_loss_per_example",
    "normalise_norm",
    "per_example_norm",
    "unwrap_parallel",
]
