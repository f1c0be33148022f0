"""The accuracy parts of a trade-off card (issue 25): clean and robust accuracy with the masking checks and AutoAttack
beside them, and the data's own limit on the same points.

* **Clean accuracy** (paper §2, standard accuracy ``P[f(x) = y]``) on the whole test split, with its Wilson interval.
* **Robust accuracy** ``P[f(x') = y for all x' in B(x, ε) ∩ [0, 1]^d]`` at each ε on the first ``n`` test points,
  estimated by the project's one evaluator (deep.evaluate.evaluate: by default the per-example worst case over
  APGD-CE, APGD-margin and APGD-T), so an UPPER bound on the true value; one call over every ε, seed 0, exactly as
  ``tradeoff deep eval`` calls it, so a run folder gives the same numbers both ways.
* **Gradient-masking checks** (deep.sanity.run_sanity_checks, claim 12) on the first ``sanity_n`` of those points.
* **AutoAttack** (Croce & Hein 2020, deep.reference, the optional ``pyautoattack``) beside the evaluation when asked.
* **The data's own limit** (docs/data_frontier.md): the best robust accuracy ANY classifier reaches on the same test
  points (each of mass 1/n): two classes exactly, ``1 - ν/n`` with ν a maximum matching of the conflict graph
  (Bhagoji et al. 2019; Pydi & Jog 2020), with the data's (standard, robust) frontier; many classes the largest
  independent set of the many-class conflict graph over n (deterministic classifiers), exact where every component
  is settled, else bracketed and labelled ``bounds``. The model's robust accuracy on the same points cannot exceed
  an exact limit (or the upper bound) unless the attack missed points that no classifier can hold: the card says so.
  Beside it Yang et al. 2020's separation: each point's exact distance to the nearest training point of another
  class.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

from tradeoff.data.io import pack_flags
from tradeoff.theory.data_limit_study import multiclass_split_limits, split_limits
from tradeoff.theory.multiclass_graph import other_class_distances, separation_stats

from .attacks import resolve_ensemble
from .device import Precision
from .evaluate import eps_key, evaluate
from .experiments.metrics import proportion_interval
from .sanity import run_sanity_checks

Note = Callable[[str], None]
NOT_RUN = "not run"


def _quiet(_: str) -> None:
    pass


def clean_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int,
                   device: torch.device) -> dict:
    """Standard accuracy on all of ``(x, y)`` (a float32 forward pass): ``accuracy``, ``n``, Wilson ``interval`` and
    the per-point ``correct`` flags (data.io.pack_flags)."""
    res = evaluate(model, x, y, [0.0], batch_size=batch_size, device=device)
    correct = res.correct[0.0].cpu().numpy()
    return {"accuracy": res.accuracy[0.0], "n": int(len(y)), "interval": proportion_interval(int(correct.sum()),
                                                                                            len(y)),
            "correct": pack_flags(correct), "seconds": res.seconds}


def robust_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: list[float], norm: str, *,
                    attack: str, steps: int | None, restarts: int | None, batch_size: int, device: torch.device,
                    precision: Precision, seed: int = 0) -> tuple[dict, object]:
    """Robust accuracy at every ε of ``eps`` on ``(x, y)`` by deep.evaluate.evaluate (one call, ε = 0 included, as
    ``tradeoff deep eval`` makes it) and the raw :class:`deep.evaluate.RobustResult`. The dict has per ε the
    accuracy, its Wilson interval, the attacks' cost and the per-point flags, plus the evaluation's description."""
    eps_all = sorted({0.0, *eps})
    ev = evaluate(model, x, y, eps_all, norm, attack, steps=steps, restarts=restarts, batch_size=batch_size,
                  device=device, seed=seed, precision=precision, progress=True)
    per_eps = []
    for e in eps_all:
        c = ev.correct[e].cpu().numpy()
        cost = [k.to_dict() for k in ev.cost.get(e, [])]
        per_eps.append({"eps": e, "accuracy": ev.accuracy[e], "interval": proportion_interval(int(c.sum()), len(c)),
                        "seconds": sum(k["seconds"] for k in cost),
                        "gradient_evaluations": sum(k["gradient_evaluations"] for k in cost), "cost": cost,
                        "correct": pack_flags(c)})
    out = {"n": ev.n, "norm": ev.norm, "attack": ev.attack, "precision": ev.precision, "seconds": ev.seconds,
           "seed": seed, "points": f"the first {ev.n} test points", "per_eps": per_eps}
    return out, ev


def sanity_checks(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, ev, eps: float, norm: str, *,
                  n: int, attack: str, steps: int | None, restarts: int | None, batch_size: int,
                  device: torch.device, precision: Precision, name: str) -> dict:
    """deep.sanity.run_sanity_checks on the first ``n`` evaluated points at ``eps`` (the black-box check compares
    Square with the evaluation's own per-point result ``ev``); ``status`` "not run" when ``n`` is 0."""
    if n <= 0:
        return {"status": NOT_RUN, "reason": "--sanity-n 0: the gradient-masking checks were skipped"}
    k = min(n, len(y))
    ensemble = resolve_ensemble(attack).scaled(steps, restarts)
    kwargs = dict(batch_size=batch_size, device=device, warn=False, evaluation=ensemble, precision=precision,
                  white_box_correct=ev.correct[eps][:k] if eps in ev.correct else None)
    try:
        report = run_sanity_checks(model, x[:k], y[:k], eps, norm, **kwargs)
    except RuntimeError as e:  # pyautoattack's Square fails on some image sizes (l2 on 12x12: a shape mismatch)
        report = run_sanity_checks(model, x[:k], y[:k], eps, norm, black_box=False, **kwargs)
        report.skipped.append({"name": "black_box", "reason": f"the reference Square attack failed on these images "
                               f"({str(e).splitlines()[0]})"})
    return {"status": "run", **report.to_payload(name), "failed": report.failed}


def autoattack_beside(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, ev, eps: list[float], norm: str,
                      batch_size: int, note: Note = _quiet) -> dict:
    """AutoAttack's robust accuracy (deep.reference.autoattack_correct) at each ε on the evaluated points, beside the
    project's evaluation ``ev``: ``rows`` of ``{eps, autoattack, ours, difference, seconds, reference}``."""
    from .reference import autoattack_correct

    rows = []
    for e in eps:
        note(f"AutoAttack at eps={e:g} on {len(y)} points")
        t0 = time.perf_counter()
        correct, info = autoattack_correct(model, x, y, e, norm, batch_size=batch_size)
        aa = int(correct.sum()) / len(y)
        rows.append({"eps": e, "autoattack": aa, "ours": ev.accuracy[e], "difference": ev.accuracy[e] - aa,
                     "seconds": time.perf_counter() - t0, "reference": info, "correct": pack_flags(correct.numpy())})
    return {"status": "run", "rows": rows}


def limit_points(y: np.ndarray, n: int, per_class: int | None) -> np.ndarray:
    """Indices of the points the data limit is computed on: the first ``n`` test points (those robust accuracy was
    measured on), at most ``per_class`` of each class among them (the first ones)."""
    idx = np.arange(min(n, len(y)))
    if per_class is None:
        return idx
    keep = np.concatenate([idx[y[idx] == c][:per_class] for c in np.unique(y[idx])])
    return np.sort(keep)


def _flat_pair(a: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows of both sets in one dtype: uint8 levels when both are uint8, else float64 values in [0, 1]."""
    if b is None or a.dtype == b.dtype == np.uint8:
        return a.reshape(len(a), -1), None if b is None else b.reshape(len(b), -1)

    def as_float(v):
        return (v.astype(np.float64) / 255.0 if v.dtype == np.uint8 else v.astype(np.float64)).reshape(len(v), -1)

    return as_float(a), as_float(b)


def data_limit(x_raw: np.ndarray, y: np.ndarray, idx: np.ndarray, train: tuple | None, eps: list[float], norm: str,
               n_classes: int, robust_correct: dict[float, np.ndarray], *, time_limit: float,
               n_separation: int | None = None, note: Note = _quiet) -> dict:
    """The data's own limit at each ε on the test points ``idx`` (module docstring): per ε the conflict graph's size,
    the limit (``exact`` with ``robust_accuracy``, or ``bounds`` with ``lower``/``upper``), for two classes the data's
    frontier, and the model's robust accuracy on the same points against it (``robust_correct``: per ε the per-point
    flags of the evaluation, indexed like the test split). ``train``: ``(x_raw, y)`` of the training split for the
    separation statistics of the first ``n_separation`` of the points (None: all; no training split: not run, said
    so; the exact ℓ∞ search over a training set of 60,000 costs about 0.1-0.2 s per point on 2 CPU cores)."""
    X, Xtr = _flat_pair(x_raw[idx], None if train is None else train[0])
    yy = y[idx].astype(np.int64)
    present = np.unique(yy)
    two = n_classes == 2
    out: dict = {"points": {"n": int(len(idx)), "which": "the first test points robust accuracy was measured on",
                            "n_per_class": {str(int(c)): int((yy == c).sum()) for c in present}},
                 "norm": norm, "two_class": two, "n_classes": n_classes}
    t0 = time.perf_counter()
    try:
        if two:
            signed = np.where(yy == 1, 1, -1)
            entries = split_limits(X, signed, eps, norm, frontier=True, progress=lambda s: note(f"data limit {s}"))
        else:
            entries = multiclass_split_limits(X, yy, eps, norm, time_limit=time_limit,
                                              progress=lambda s: note(f"data limit {s}"))
    except (ValueError, MemoryError) as e:
        out.update(status=NOT_RUN, reason=f"the conflict graph could not be built: {e}")
        return out
    per_eps = []
    for e in entries:
        lim = e["limit"]
        exact = True if two else bool(lim["exact"])
        lower = lim["robust_accuracy"] if two else lim["robust_accuracy_lower"]
        upper = lim["robust_accuracy"] if two else lim["robust_accuracy_upper"]
        row = {"eps": e["eps"], "label": "exact" if exact else "bounds", "exact": exact,
               "robust_accuracy": lower if exact else None, "lower": lower, "upper": upper,
               "n_edges": lim["n_edges"], "n_conflicted": lim["n_conflicted"], "seconds": e["seconds"]}
        flags = robust_correct.get(float(e["eps"]))
        if flags is not None:
            mine = float(np.asarray(flags)[idx].mean())
            row["model_robust_same_points"] = mine
            row["model_exceeds_limit"] = bool(mine > upper + 1e-12)
        if two and "frontier" in e:
            fr = e["frontier"]
            row["frontier"] = {"standard": fr["standard"], "robust": fr["robust"]}
        per_eps.append(row)
    out.update(status="run", method="two classes: 1 - maximum matching / n (exact), with the data's frontier by min "
               "cut" if two else "many classes: largest independent set / n of deterministic classifiers, exact "
               "where every component is settled, else lower and upper bounds", per_eps=per_eps,
               time_limit_s=None if two else float(time_limit), seconds=time.perf_counter() - t0)
    if any(r.get("model_exceeds_limit") for r in per_eps):
        out["warning"] = ("the model's measured robust accuracy exceeds the data's limit on the same points: no "
                          "classifier can reach it, so the attack missed adversarial examples (the evaluation is too "
                          "weak for this model)")
    k = len(X) if n_separation is None else min(len(X), int(n_separation))
    out["separation"] = _separation(X[:k], yy[:k], Xtr, None if train is None else train[1], eps, norm, note)
    return out


def _separation(X, y, Xtr, ytr, eps: list[float], norm: str, note: Note) -> dict:
    """Yang et al. 2020's separation of the limit's points from the training set, or "not run" without one."""
    if Xtr is None:
        return {"status": NOT_RUN, "reason": "the data set has no training split"}
    note(f"separation: {len(X)} test points to {len(Xtr)} training points")
    t0 = time.perf_counter()
    d, _ = other_class_distances(X, y, Xtr, np.asarray(ytr).astype(np.int64), norm=norm)
    return {"status": "run", "what": "each test point's exact distance to the nearest training point of another "
            "class (Yang et al. 2020); within_2eps: the share no classifier robust on the training set can hold",
            **separation_stats(d, eps), "n_train": int(len(Xtr)), "seconds": time.perf_counter() - t0}


def eps_flags(ev) -> dict[float, np.ndarray]:
    """Per ε the per-point correctness of an evaluation, as numpy arrays."""
    return {float(e): c.cpu().numpy() for e, c in ev.correct.items()}


__all__ = ["NOT_RUN", "autoattack_beside", "clean_accuracy", "data_limit", "eps_flags", "eps_key", "limit_points",
           "robust_accuracy", "sanity_checks"]
