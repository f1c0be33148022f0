"""The scale a result file was computed at, in words, and the command that reproduces it.

:func:`describe` reads a result file's envelope and payload (reports/RESULTS.md) and states what the numbers rest
on: the scale label, the device, the data set and training-set sizes, the model and its width, the training recipe
(epochs, optimiser, batch), the seeds, and the attacks with their strength (training PGD and evaluation PGD for
sweeps; the large-ε attacks for pictures). Nothing is guessed: what a file does not record is said to be not
recorded. :func:`command_for` gives the command that wrote the file as the file recorded it (else the README row of a
committed file, reports.committed_notes; else nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tradeoff.data.kinds import Kind
from tradeoff.data.registry import display_name

from . import committed_notes
from .result_index import ResultFile, display_path

NOT_RECORDED = "not recorded in the file"

_MODEL_NAMES = {"mnist_cnn": "MNIST CNN (conv-pool-conv-pool-fc)", "resnet18": "ResNet-18", "resnet50": "ResNet-50",
                "small_resnet": "small ResNet", "vgg": "VGG-style net"}
_NORM = {"inf": "ℓ∞", "2": "ℓ2", "none": "none"}
_RUN_N = re.compile(r"-n(\d+)-")



@dataclass(frozen=True)
class ScaleInfo:
    """What one result file's numbers rest on (each field a short phrase)."""

    path: str
    kind: str
    scale: str
    device: str
    dataset: str
    n: str
    model: str
    training: str
    seeds: str
    attack: str
    command: str
    n_values: tuple = ()  # training-set sizes of the deep runs
    seed_values: tuple = ()  # seeds of the deep runs
    precision: str = ""  # deep files: the precision they ran at (issue 21), e.g. "precision bf16"

    def short(self) -> str:
        """One line for the scoreboard: scale, device, data set, n, model, epochs and seeds."""
        parts = [f"{self.scale} ({self.device})", self.dataset]
        parts += [x for x in (self.n, self.model, self.training) if x and x != NOT_RECORDED]
        if self.seeds and self.seeds != NOT_RECORDED:
            parts.append(self.seeds)
        return "; ".join(parts)


def device_of(provenance: dict) -> str:
    """The accelerator's name from a provenance record, else ``CPU: <model>``."""
    machine = provenance.get("machine") if isinstance(provenance, dict) else None
    if not isinstance(machine, dict):
        return "unknown"
    acc = machine.get("accelerator")
    if isinstance(acc, dict) and acc.get("name"):
        count = acc.get("count")
        return f"GPU: {acc['name']}" + (f" ×{count}" if isinstance(count, int) and count > 1 else "")
    cpu = machine.get("cpu") or "unknown model"
    cores = machine.get("cpu_count")
    return f"CPU: {cpu}" + (f", {cores} cores" if isinstance(cores, int) else "")


def is_gpu(provenance: dict) -> bool:
    """Whether the provenance names an accelerator."""
    return device_of(provenance).startswith("GPU")


def norm_text(norm: Any) -> str:
    """``inf`` -> ``ℓ∞``, ``2`` -> ``ℓ2``."""
    return _NORM.get(str(norm), str(norm))


def _g(v: Any) -> str:
    return f"{v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def _eps_list(pairs: Any) -> str:
    """``[["inf", 0.3], ["2", 2.0]]`` -> ``ℓ∞ ε = 0.3, ℓ2 ε = 2``."""
    if isinstance(pairs, dict):
        pairs = list(pairs.items())
    out = []
    for p in pairs or ():
        if isinstance(p, (list, tuple)) and len(p) == 2:
            out.append(f"{_NORM.get(str(p[0]), str(p[0]))} ε = {_g(p[1])}")
    return ", ".join(out)


def _seeds(r: ResultFile, rows: list[dict]) -> str:
    seeds = sorted({x["seed"] for x in rows if isinstance(x.get("seed"), int)}) or list(r.seeds or ())
    if not seeds:
        return NOT_RECORDED if r.kind.startswith("deep.") else ""
    return f"{len(seeds)} seed{'s' * (len(seeds) > 1)} ({', '.join(map(str, seeds))})"


def _sizes(ns: set) -> str:
    vals = sorted(v for v in ns if isinstance(v, (int, float)))
    return ("n = " + ", ".join(str(int(v)) for v in vals)) if vals else ""


def sweep_settings(settings: Any) -> tuple[dict, dict]:
    """(training, evaluation) of a ``deep.sweep`` payload's ``settings``, in one vocabulary: the TrainConfig
    template (``settings.template``, with ``adv_by_norm``; deep.experiments) or the older ``settings.training`` /
    ``settings.evaluation`` tables of files written before the templates (the committed GPU runs)."""
    if not isinstance(settings, dict):
        return {}, {}
    t = settings.get("template")
    if not isinstance(t, dict):
        tr, ev = settings.get("training"), settings.get("evaluation")
        return (tr if isinstance(tr, dict) else {}), (ev if isinstance(ev, dict) else {})
    adv = t.get("adv") if isinstance(t.get("adv"), dict) else {}
    by_norm = settings.get("adv_by_norm") if isinstance(settings.get("adv_by_norm"), dict) else {}
    steps, fractions = [], []
    for norm in sorted(set(by_norm) | ({adv.get("norm")} if adv.get("norm") else set())):
        a = {**adv, **(by_norm.get(norm) or {})}
        if a.get("step_size") is not None:
            steps.append([norm, a["step_size"]])
        elif a.get("step_fraction") is not None:
            fractions.append([norm, a["step_fraction"]])
    tr = {k: t.get(k) for k in ("model", "width", "epochs", "optimizer", "lr", "batch_size", "min_steps",
                                "max_epochs")}
    tr.update(attack_steps=adv.get("steps"), step_size=steps, step_fraction=fractions,
              eps_warmup=adv.get("eps_warmup"),
              step_default="" if steps or fractions else f"step 2.5ε/{adv.get('steps')}")
    e = t.get("eval") if isinstance(t.get("eval"), dict) else {}
    norms, eps = e.get("norms") or [], e.get("eps") or []
    pairs = [[n, x] for n, x in zip(norms, eps)] if norms else [[e.get("norm") or "inf", x] for x in eps]
    ev = {"steps": e.get("steps"), "restarts": e.get("restarts"), "eps": pairs, "n_test": e.get("n_final"),
          "standard_full_test": e.get("standard_full_test"), "attack": e.get("attack")}
    return tr, ev


def training_text(tr: dict) -> tuple[str, str, str]:
    """(model, recipe, training attack) from a sweep's ``settings.training``: e.g. ``MNIST CNN, width 4``,
    ``2 epochs, ADAM lr 0.002, batch 32``, ``PGD-3 (ℓ∞ step 0.01)``."""
    model = _MODEL_NAMES.get(str(tr.get("model")), str(tr.get("model", NOT_RECORDED)))
    if tr.get("width") is not None:
        model += f", width {tr['width']}"
    recipe = []
    if tr.get("epochs") is not None:
        recipe.append(f"{tr['epochs']} epoch{'s' * (tr['epochs'] != 1)}"
                      + (f" (at least {tr['min_steps']} steps" + (f", at most {tr['max_epochs']} epochs"
                                                                   if tr.get("max_epochs") else "") + ")"
                         if tr.get("min_steps") else ""))
    if tr.get("optimizer"):
        recipe.append(f"{str(tr['optimizer']).upper()} lr {_g(tr.get('lr'))}")
    if tr.get("batch_size"):
        recipe.append(f"batch {tr['batch_size']}")
    if tr.get("eps_warmup"):
        recipe.append(f"ε ramped over the first {float(tr['eps_warmup']):.0%} of training")
    steps = tr.get("attack_steps")
    step = _eps_list(tr.get("step_size")).replace(" ε = ", " step ")
    fraction = _eps_list(tr.get("step_fraction")).replace(" ε = ", " step ε × ")
    detail = step or fraction or tr.get("step_default") or ""
    attack = f"PGD-{steps}" + (f" ({detail})" if detail else "") if steps else ""
    return model, ", ".join(recipe), attack


def evaluation_text(ev: dict) -> str:
    """The evaluation attack of a sweep's ``settings.evaluation``: ``PGD-100 × 3 restarts at ℓ∞ ε = 0.3 on …``."""
    if not ev:
        return ""
    restarts = ev.get("restarts")
    name = "the strong ensemble (PGD, APGD-CE, APGD-margin, APGD-T) with" if ev.get("attack") == "ensemble" else ""
    text = (f"{name} PGD-{ev.get('steps')}".strip()
            + (f" × {restarts} restarts" if isinstance(restarts, int) and restarts > 1 else ""))
    eps = _eps_list(ev.get("eps"))
    if eps:
        text += f" at {eps}"
    n_test = ev.get("n_test")
    text += f" on {n_test} test points" if isinstance(n_test, int) else " on the whole test set"
    if ev.get("standard_full_test"):
        text += " (standard accuracy on the whole test set)"
    return text


def describe(r: ResultFile) -> ScaleInfo:
    """The scale of result file ``r`` (see the module docstring)."""
    p = r.payload if isinstance(r.payload, dict) else {}

    dataset = display_name(r.dataset or p.get("dataset")) if (r.dataset or p.get("dataset")) else "not stated"
    rows = [x for x in p.get("rows", []) if isinstance(x, dict)] if isinstance(p.get("rows"), list) else []
    n, model, training, attack = "", "", "", ""
    ns: set = set()
    if r.kind == Kind.DEEP_SWEEP:
        ns = {x.get("n_train") for x in rows}
        n = _sizes(ns)
        tr, ev_settings = sweep_settings(p.get("settings"))
        model, training, train_attack = training_text(tr) if tr else (NOT_RECORDED, "", "")
        ev = evaluation_text(ev_settings) if ev_settings.get("steps") else ""
        grid = sorted({(str(x.get("norm")), float(x["eps_train"])) for x in rows
                       if isinstance(x.get("eps_train"), (int, float)) and x["eps_train"] > 0})
        eps_train = ", ".join(f"{_NORM.get(a, a)} {_g(b)}" for a, b in grid)
        attack = "; ".join(x for x in (
            f"training {train_attack}" + (f" at ε_train {eps_train}" if eps_train else "") if train_attack else "",
            f"evaluation {ev}" if ev else "") if x) or NOT_RECORDED
    elif r.kind in (Kind.DEEP_GRADIENTS, Kind.DEEP_LARGE_EPS, Kind.DEEP_SANITY):
        runs = [m.get("run") for m in p.get("models", []) if isinstance(m, dict)] + [p.get("run")]
        ns = {int(m.group(1)) for run in runs if isinstance(run, str) for m in [_RUN_N.search(run)] if m}
        n = _sizes(ns)
        model, training = f"{NOT_RECORDED} (the picture models of the {r.scale} scale)", ""
        if r.kind == Kind.DEEP_LARGE_EPS:
            attack = "; ".join(f"{_NORM.get(str(a.get('norm')), a.get('norm'))} ε = {_g(a.get('eps'))}, "
                               f"{a.get('steps')} steps of {_g(a.get('step_size'))}"
                               for a in p.get("attacks", []) if isinstance(a, dict))
            judge = p.get("judge")
            if isinstance(judge, dict) and judge.get("name"):
                attack += f"; judge {judge['name']}"
        elif r.kind == Kind.DEEP_SANITY:
            attack = f"{_NORM.get(str(p.get('norm')), p.get('norm'))} ε = {_g(p.get('eps'))}, model {p.get('model')}"
        if p.get("n_images") or p.get("n"):
            attack = (attack + "; " if attack else "") + f"{p.get('n_images') or p.get('n')} test images"
    elif r.kind == Kind.LINEAR_FIG5:
        n = f"n = {p.get('n_train')} training, {p.get('n_test')} test images"
        model, training = "linear classifier (exact adversarial training)", ""
        attack = f"{_NORM.get(str(p.get('norm')), p.get('norm'))} ε = {_g(p.get('eps'))} (exact worst case)"
    elif r.kind.startswith("theory.") or r.kind in (Kind.DATA_LIMIT, Kind.LINEAR_FRONTIER):
        model = "closed forms, exact solvers and Monte Carlo checks" if r.kind.startswith("theory.") else \
            "exact computation"
    elif r.kind == Kind.DEEP_BENCHMARK:
        model = "benchmark"
    seeds = sorted({x["seed"] for x in rows if isinstance(x.get("seed"), int)}) or \
        [s for s in (r.seeds or ()) if isinstance(s, int)]
    deep = r.kind.startswith("deep.") and r.kind != Kind.DEEP_BENCHMARK
    return ScaleInfo(r.path, r.kind, r.scale.value, device_of(r.provenance).replace("GPU: ", ""), dataset,
                     n, model, training, _seeds(r, rows), attack, command_for(r),
                     tuple(sorted(v for v in ns if isinstance(v, int))), tuple(seeds) if deep else (),
                     precision_text(r) if deep else "")


def precision_text(r: ResultFile) -> str:
    """The precision the file's computation ran at (issue 21; deep.device): what the file recorded (its provenance,
    else its payload or rows), e.g. ``precision bf16``, or that it recorded none (files older than the policy)."""
    from tradeoff.data.io import precision_of

    found = (r.provenance or {}).get("precision") or precision_of(r.payload)
    if isinstance(found, dict):
        found = found.get("precision") or found.get("name")
    if isinstance(found, (list, tuple)):
        found = "/".join(map(str, found))
    return f"precision {found}" if found else "precision not recorded"


def command_for(r: ResultFile) -> str:
    """The command that wrote ``r``, as the file recorded it when it was written (``provenance.command``,
    data.provenance), else the README row naming it (reports.committed_notes, for the committed files written
    before files recorded their command), else "" (not recorded: the report says so; the producer templates of
    data.kinds are only the hint for a result that is missing)."""
    own = r.provenance.get("command") if isinstance(r.provenance, dict) else None
    if isinstance(own, str) and own.strip():
        return own.strip()
    note = committed_notes.note_for(r.path)
    if note is not None and note.command:
        return note.command
    return ""


def commit_of(r: ResultFile) -> tuple[str, str]:
    """(commit, where it comes from): the file's own ``provenance.git_commit`` when known, else the README row's
    commit (reports.committed_notes), else ``("unknown", "")``."""
    own = str(r.provenance.get("git_commit") or "unknown")
    if own != "unknown":
        return own, ""
    note = committed_notes.note_for(r.path)
    if note is not None and note.commit:
        return note.commit, display_path(note.readme)
    return "unknown", ""
