"""The field's reference evaluation beside the project's own: AutoAttack (Croce & Hein 2020) through its official
code, the optional dependency ``pyautoattack`` (``pip install 'tradeoff[autoattack]'``), and its black-box
Square attack (Andriushchenko et al. 2020) for the masking check of :mod:`deep.sanity`.

AutoAttack's standard ensemble is APGD-CE, APGD-T (9 targets), FAB-T (9 targets) and Square (5000 queries).
Where the number of classes does not allow it, the attacks defined there are used instead: with 3 classes
(no targeted DLR) APGD-CE, APGD-DLR, FAB and Square; with 2 classes (no DLR at all) APGD-CE, FAB and Square;
with 4 to 9 classes the targeted attacks use every other class as a target.
"""

from __future__ import annotations

import importlib.util

import torch
from torch import nn

from .attacks import check_batch, eval_mode, normalise_norm, unwrap_parallel

INSTALL = "pip install 'pyautoattack==0.2.0'  (or: pip install -e '.[autoattack]')"


def reference_available() -> bool:
    """True when the reference package ``pyautoattack`` is importable."""
    return importlib.util.find_spec("pyautoattack") is not None


def _require():
    if not reference_available():
        raise ModuleNotFoundError(f"the reference evaluation needs the package pyautoattack: {INSTALL}")
    import pyautoattack

    return pyautoattack


def autoattack_attacks(n_classes: int) -> list[str]:
    """The AutoAttack attacks run for ``n_classes`` (see the module docstring)."""
    if n_classes >= 4:
        return ["apgd-ce", "apgd-t", "fab-t", "square"]
    if n_classes == 3:
        return ["apgd-ce", "apgd-dlr", "fab", "square"]
    return ["apgd-ce", "fab", "square"]


def _aa_norm(norm: str) -> str:
    return "Linf" if normalise_norm(norm) == "inf" else "L2"


def _n_classes(model: nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad():
        return int(model(x[:1]).shape[1])


def autoattack_correct(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    norm: str = "inf",
    *,
    batch_size: int = 250,
    seed: int = 0,
    square_queries: int = 5000,
    attacks: list[str] | None = None,
) -> tuple[torch.Tensor, dict]:
    """Per-point correctness (bool ``(N,)`` on the CPU) under AutoAttack at radius ``eps`` (pixel space) and a
    description ``{name, version, attacks, square_queries, targets}``. ``x`` must be on the model's device."""
    aa_pkg = _require()
    check_batch(x, y)
    model = unwrap_parallel(model)
    with eval_mode(model):
        n_classes = _n_classes(model, x)
        names = attacks or autoattack_attacks(n_classes)
        aa = aa_pkg.AutoAttack(model, norm=_aa_norm(norm), eps=float(eps), version="custom", attacks=names,
                               seed=seed, device=x.device)
        aa.verbose = False
        targets = min(9, n_classes - 1)
        aa.apgd_targeted.n_target_classes = targets
        aa.fab.n_target_classes = targets
        aa.square.n_queries = int(square_queries)
        _, pred = aa.run_standard_evaluation(x, y, batch_size=batch_size)
    info = {"name": "autoattack", "package": f"pyautoattack {aa_pkg.__version__}", "attacks": names,
            "targets": targets, "square_queries": int(square_queries), "seed": seed}
    return (pred == y).cpu(), info


def square_correct(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    norm: str = "inf",
    *,
    queries: int = 1000,
    seed: int = 0,
) -> torch.Tensor:
    """Per-point correctness (bool ``(N,)`` on the CPU) under the black-box Square attack (margin loss,
    ``queries`` model evaluations per point, ``p_init = 0.8``) of the reference package."""
    aa_pkg = _require()
    from pyautoattack.square import SquareAttack

    check_batch(x, y)
    model = unwrap_parallel(model)
    with eval_mode(model), torch.no_grad():
        atk = SquareAttack(model, norm=_aa_norm(norm), n_queries=int(queries), eps=float(eps), p_init=0.8,
                           n_restarts=1, seed=seed, verbose=False, device=x.device, resc_schedule=False)
        x_adv = atk.perturb(x, y)
        pred = model(x_adv).argmax(1)
    del aa_pkg
    return (pred == y).cpu()
