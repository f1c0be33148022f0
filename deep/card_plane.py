"""The (standard, robust) accuracy plane of a trade-off card (issue 25): what a model's point is set beside.

The paper's §2 trade-off lives on this plane: standard accuracy ``P[f(x) = y]`` on one axis, robust accuracy
``P[f(x') = y for every x' in B(x, ε)]`` on the other, at one threat model (norm, ε). A card puts its model's point
there beside three kinds of reference, each only where it is defined for the same data set, norm and ε:

* **published points** (data.published.PUBLISHED): numbers quoted from publications, never recomputed here, each
  with its source (MNIST ℓ∞ ε = 0.3 and CIFAR-10 ℓ∞ ε = 8/255 under AutoAttack);
* **this project's frontier models** (deep.experiments.frontier, the ``deep.frontier`` payload): TRADES and PGD
  models evaluated by the project's default strong evaluation at the payload's ``eps_eval`` (the committed CPU
  results hold MNIST ℓ∞ 0.3);
* **the data's own frontier** (theory.data_frontier), only for two classes: built by the card itself
  (deep.card_measures), not here.

Nothing here reads files: the caller passes a ``deep.frontier`` payload (the command line reads the committed one).
"""

from __future__ import annotations

import math

from tradeoff.data.published import PUBLISHED, PublishedPoint

__all__ = ["EPS_RTOL", "PUBLISHED", "PublishedPoint", "frontier_models", "plane", "published_points", "same_eps"]

#: Relative tolerance when matching an ε of a card with an ε of a reference (8/255 written as 0.0314 matches).
EPS_RTOL = 1e-3


def same_eps(a: float, b: float) -> bool:
    """Whether two radii are the same threat model (relative tolerance :data:`EPS_RTOL`)."""
    return math.isclose(float(a), float(b), rel_tol=EPS_RTOL, abs_tol=1e-9)


def published_points(dataset: str, norm: str, eps: float) -> list[dict]:
    """The :data:`PUBLISHED` points of this registered data set, norm and ε (none for any other data)."""
    return [p.as_dict() for p in PUBLISHED if p.dataset == dataset and p.norm == norm and same_eps(p.eps, eps)]


def frontier_models(payload: dict | None, dataset: str, norm: str, eps: float, source: str = "") -> list[dict]:
    """This project's frontier models (rows of a ``deep.frontier`` payload) on the same data set, norm and ε: one
    ``{name, method, beta, eps_train, seed, standard, robust, n_standard, n_robust, evaluation, source}`` per model
    (the 10-class accuracies; the payload's 5-vs-7 restriction is another problem and is not shown). Empty when the
    payload is None or of another data set, norm or ε."""
    if not payload or payload.get("dataset") != dataset or payload.get("norm") != norm:
        return []
    if payload.get("eps_eval") is None or not same_eps(payload["eps_eval"], eps):
        return []
    out = []
    for r in payload.get("rows") or []:
        if r.get("standard_acc") is None or r.get("robust_acc") is None:
            continue
        method = r.get("method")
        label = f"TRADES β={r['beta']:g}" if method == "trades" and r.get("beta") is not None else \
            f"PGD ε={r.get('eps_train', 0):g}" if r.get("eps_train") else "standard"
        out.append({"name": label, "method": method, "beta": r.get("beta"), "eps_train": r.get("eps_train"),
                    "seed": r.get("seed"), "standard": float(r["standard_acc"]), "robust": float(r["robust_acc"]),
                    "n_standard": r.get("n_standard"), "n_robust": r.get("n_robust"),
                    "evaluation": r.get("evaluation"), "run": r.get("run"), "source": source})
    return out


def plane(dataset: str, norm: str, eps_values, clean: float, robust: dict, frontier_payload: dict | None = None,
          frontier_source: str = "", data_frontier: dict | None = None, two_class: bool = False) -> dict:
    """The card's ``plane`` entry: per ε the model's point ``(clean, robust[ε])``, the published points and this
    project's frontier models of that threat model, and the data's frontier (``data_frontier``: ε -> vertices, from
    the card's data limit; two classes only, else a note saying why it is absent)."""
    per_eps = []
    for e in eps_values:
        entry = {"eps": float(e), "model": {"standard": clean, "robust": robust.get(float(e))},
                 "published": published_points(dataset, norm, e),
                 "frontier_models": frontier_models(frontier_payload, dataset, norm, e, frontier_source)}
        if two_class:
            entry["data_frontier"] = (data_frontier or {}).get(float(e))
        per_eps.append(entry)
    note = None if two_class else ("the data's (standard, robust) frontier is defined for two classes only (the "
                                   "min-cut construction of docs/data_frontier.md); for more classes the card shows "
                                   "the data's limit on robust accuracy instead")
    return {"per_eps": per_eps, "data_frontier_note": note,
            "axes": {"x": "standard (clean) accuracy", "y": "robust accuracy at the same ε"}}
