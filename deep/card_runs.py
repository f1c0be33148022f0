"""Model cards for every trained run of a build (issue 23 item 5), in the schema of a trade-off card (deep.card), from
what each run's summary already holds: nothing is re-evaluated.

A finished run folder (``config.toml``, ``model.pt``, ``summary.json``: deep.runs) measured, in its one final
evaluation (deep.train, or the experiment engine's ``evaluation``): the clean accuracy (on ``n_eval`` points, or
on the whole test split with ``eval.standard_full_test``) and the robust accuracy at its ``eval.eps`` in each
evaluation norm, by PGD or the default ensemble. A card is made per evaluation norm with those numbers, the training
recipe from the config and the provenance of the summary file. Everything a ``tradeoff card`` measures beyond that
(masking checks, AutoAttack, claims 10 and 11, the data's limit) is ``"not measured"`` with the command that
measures it; the model-card fields it leaves null say so in ``not_measured``. The key's data part is the data set's
name (the arrays are not read) and the settings part a digest of the run's evaluation settings.
"""

from __future__ import annotations

from pathlib import Path

from tradeoff.data.io import read_result
from tradeoff.data.registry import dataset_info

from . import card_plane
from .card import CARD_VERSION, THREAT, digest, model_card_fields, recipe_of
from .distributed import weights_digest
from .runs import CONFIG, MODEL, SUMMARY, load_run_config, load_run_model

NOT_MEASURED = "not measured"


def finished_runs(folder: str | Path) -> list[Path]:
    """The finished run folders under ``folder`` (a build folder, its ``runs/``, or one run), sorted: every folder
    holding ``config.toml``, ``model.pt`` and ``summary.json``."""
    folder = Path(folder)
    found = [p.parent for p in folder.rglob(SUMMARY) if (p.parent / CONFIG).is_file() and (p.parent / MODEL).is_file()]
    return sorted(set(found))


def _evaluations(s: dict) -> list[dict]:
    """Per evaluation norm: ``{norm, eps: {ε: acc}, n, attack, steps, restarts, n_clean, clean}`` from a summary."""
    ev = s.get("evaluation") or {}
    out = []
    for norm, r in (ev.get("robust") or {}).items():
        label = ((r.get("evaluation") or {}).get("attack") or {}).get("label")
        out.append({"norm": norm, "eps": {float(r["eps"]): float(r["acc"])}, "n": ev.get("n_test"),
                    "attack": label or f"PGD-{r.get('steps')}, {r.get('restarts')} restart(s)", "steps": r.get("steps"),
                    "restarts": r.get("restarts"), "clean": ev.get("standard_acc", s.get("standard_acc")),
                    "n_clean": ev.get("n_test_standard", ev.get("n_test"))})
    if out:
        return out
    cfg = s.get("config") or {}
    kind = (cfg.get("eval") or {}).get("attack", "pgd")
    attack = (f"PGD-{s.get('eval_steps')}, {s.get('eval_restarts')} restart(s)" if kind == "pgd"
              else f"default ensemble, {s.get('eval_steps')} steps")
    return [{"norm": s.get("eval_norm") or "inf", "eps": {float(e): float(a) for e, a in (s.get("robust_acc") or
                                                                                      {}).items()},
             "n": s.get("n_eval"), "attack": attack, "steps": s.get("eval_steps"), "restarts": s.get("eval_restarts"),
             "clean": s.get("standard_acc"), "n_clean": s.get("n_eval")}]


def run_cards(run_dir: str | Path, frontier: dict | None = None, frontier_source: str = "") -> list[tuple[dict, str]]:
    """The cards of one finished run (one per evaluation norm), each with the scale of its summary file:
    ``[(payload, scale)]``. ``frontier``: a ``deep.frontier`` payload for the plane (deep.card_plane)."""
    run_dir = Path(run_dir)
    envelope = read_result(run_dir / SUMMARY)
    s = envelope["payload"]
    cfg = load_run_config(run_dir)
    _, model = load_run_model(run_dir)
    model_hash = weights_digest(model)
    data = dataset_info(cfg.dataset)
    cards = []
    for ev in _evaluations(s):
        eps = sorted(ev["eps"])
        settings = {"norm": ev["norm"], "eps": eps, "n": ev["n"], "attack": ev["attack"], "steps": ev["steps"],
                    "restarts": ev["restarts"], "from_run": True}
        how = f"make a full card with: tradeoff card {run_dir} --data {cfg.dataset} --norm {ev['norm']} --eps " + \
              " ".join(f"{e:g}" for e in eps)
        missing = {"status": NOT_MEASURED, "reason": f"a run's own evaluation measures clean and robust accuracy "
                   f"only; {how}"}
        per_eps = [{"eps": 0.0, "accuracy": ev["clean"]}] + [{"eps": e, "accuracy": ev["eps"][e]} for e in eps]
        payload = {
            "card": CARD_VERSION, "name": f"{cfg.model} ({run_dir.name})", "commit":
                (envelope.get("provenance") or {}).get("git_commit"),
            "key": {"model_hash": model_hash, "data_hash": cfg.dataset, "settings_hash": digest(settings)},
            "model": {"kind": "run", "source": str(run_dir), "architecture": cfg.model, "weights": str(run_dir / MODEL),
                      "model_hash": model_hash, "file_hash": None, "input_shape": [data.in_channels, data.image_size,
                                                                                   data.image_size],
                      "num_classes": data.num_classes, "notes": [], "recipe": recipe_of(cfg)},
            "reference_model": None,
            "data": {"name": cfg.dataset, "kind": "registered", "split": "test", "num_classes": data.num_classes,
                     "data_hash": None, "train": None, "train_note": None},
            "settings": settings,
            "clean": {"accuracy": ev["clean"], "n": ev["n_clean"]},
            "robust": {"n": ev["n"], "norm": ev["norm"], "attack": {"label": ev["attack"]}, "per_eps": per_eps,
                       "points": "the run's own final evaluation points (deep.train)"},
            "sanity": missing, "autoattack": missing, "claim10": missing, "claim11": missing, "data_limit": missing,
            "plane": card_plane.plane(cfg.dataset, ev["norm"], eps, ev["clean"], dict(ev["eps"]), frontier,
                                      frontier_source, None, two_class=data.num_classes == 2),
            "not_measured": {"autoattack_accuracy": f"AutoAttack was not run on this run; {how} --reference "
                                                    "autoattack",
                             "weights_sha256": "not read: the model hash keys the card"},
            "source_summary": str(run_dir / SUMMARY), "from_run": True,
        }
        payload["fields"] = model_card_fields(payload)
        payload["fields"]["threat_model"] = THREAT.get(ev["norm"])
        cards.append((payload, str(envelope.get("scale") or "ad-hoc")))
    return cards
