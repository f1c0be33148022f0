"""A card per trained model, in the fields users know from RobustBench, for ``verdicts.json`` (``models``).

One card per run of a ``deep.sweep`` file (a run is one trained model: its id, or data set, norm, ε, training-set
size, batch mix and seed when an older file names no id): the architecture, the data set, the threat model it was
trained for and its ε, the clean accuracy with its number of test examples, the robust accuracy at every evaluated
threat model with the attack that gave it and its number of examples, the training recipe, the training-set size,
the seed, the precision, whether training failed (reports.claims.split_failed), the scale (and whether it is
evidence), the commit and the result file. A run listed by several sweep files is carded once, from the preferred
file (reports.result_index). Nothing is recomputed: what a file does not record is None. The RobustBench-style card
of any model file is ``tradeoff card`` (issue 25).
"""

from __future__ import annotations

from typing import Any

from tradeoff.data.kinds import Kind
from tradeoff.data.registry import by_label

from .claims import norm_name, split_failed, value
from .result_index import ResultFile, ResultIndex
from .scale_info import commit_of, evaluation_text, sweep_settings, training_text

#: The norm names of the cards (RobustBench's threat-model spelling).
THREATS = {"ℓ∞": "Linf", "ℓ2": "L2"}


def _num(x: Any) -> float | None:
    try:
        v = value(x)
    except (TypeError, ValueError, KeyError):
        return None
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _threat(norm: Any, eps_train: float | None) -> str:
    """``Linf``, ``L2``, or ``none`` for a standard model (ε_train 0)."""
    if not eps_train:
        return "none"
    return THREATS.get(norm_name(norm), str(norm))


def _run_id(row: dict) -> str:
    """The run's id, else one made of what identifies it in an older file."""
    if row.get("run"):
        return str(row["run"])
    mix = "-mixed" if row.get("mixed") else ""
    return (f"{row.get('dataset')}-{row.get('norm')}-e{_num(row.get('eps_train'))}-n{row.get('n_train')}{mix}"
            f"-s{row.get('seed')}")


def _dataset(label: Any) -> str:
    d = by_label(str(label))
    return d.name if d is not None else str(label)


def sweep_cards(r: ResultFile) -> list[dict[str, Any]]:
    """The cards of one ``deep.sweep`` file, one per run, with the robust accuracy at each evaluated threat model."""
    rows = [x for x in r.payload.get("rows", []) if isinstance(x, dict) and "dataset" in x] \
        if isinstance(r.payload, dict) and isinstance(r.payload.get("rows"), list) else []
    tr, ev = sweep_settings(r.payload.get("settings") if isinstance(r.payload, dict) else None)
    model, recipe, train_attack = training_text(tr) if tr else (None, None, None)
    attack = evaluation_text({k: v for k, v in ev.items() if k != "eps"}) if ev.get("steps") else None
    commit = commit_of(r)[0]
    rows = [x for x in rows if _num(x.get("standard_acc")) is not None]
    learned, _ = split_failed(rows)
    kept = {id(x) for x in learned}
    cards: dict[str, dict[str, Any]] = {}
    for x in rows:
        run = _run_id(x)
        eps_train = _num(x.get("eps_train"))
        failed = id(x) not in kept
        card = cards.setdefault(run, {
            "run": run, "architecture": model, "dataset": _dataset(x["dataset"]),
            "threat_model": _threat(x.get("norm"), eps_train), "eps": eps_train or 0.0,
            "mixed_batches": bool(x.get("mixed")), "clean_accuracy": _num(x.get("standard_acc")),
            "clean_examples": x.get("n_eval_standard") if isinstance(x.get("n_eval_standard"), int) else None,
            "robust": [], "training_recipe": recipe or None,
            "training_attack": (train_attack or None) if eps_train else None,
            "n_train": x.get("n_train") if isinstance(x.get("n_train"), int) else None,
            "seed": x.get("seed") if isinstance(x.get("seed"), int) else None,
            "precision": str(x["precision"]) if x.get("precision") else None,
            "training_failed": failed, "scale": r.scale.value, "evidence": r.scale.evidence, "commit": commit,
            "source": r.path})
        card["training_failed"] = card["training_failed"] or failed
        eps_eval, robust = _num(x.get("eps_eval")), _num(x.get("robust_acc"))
        if eps_eval is not None and robust is not None:
            entry = {"threat_model": THREATS.get(norm_name(x.get("norm")), str(x.get("norm"))),
                     "eps": eps_eval, "accuracy": robust, "attack": attack,
                     "examples": x.get("n_eval") if isinstance(x.get("n_eval"), int) else None}
            if entry not in card["robust"]:
                card["robust"].append(entry)
    return list(cards.values())


def model_cards(index: ResultIndex) -> list[dict[str, Any]]:
    """A card per trained model of every ``deep.sweep`` file (evidence or not: each card says its scale), each run
    once, ordered by scale, data set, threat model, ε, training-set size and seed."""
    out: dict[str, dict[str, Any]] = {}
    for r in index.all(Kind.DEEP_SWEEP):
        for card in sweep_cards(r):
            out.setdefault(f"{card['scale']}/{card['run']}", card)
    return sorted(out.values(), key=lambda c: (c["scale"], c["dataset"], c["threat_model"], c["eps"],
                                               c["n_train"] or 0, c["mixed_batches"], c["seed"] or 0, c["run"]))
