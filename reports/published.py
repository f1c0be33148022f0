"""Our trained models beside published MNIST and CIFAR-10 numbers (quoted, never computed here).

:data:`PUBLISHED` is data.published's table of quoted clean and AutoAttack robust accuracies (Croce & Hein 2020;
RobustBench), in percent; docs/peers.md holds the same table (a test keeps the two equal). Our rows come
from the result files: the sweep models trained at the threat model's ε on the full training set (mean over seeds,
per scale), the deep frontier's PGD model, and benchmark runs that report a clean and a robust accuracy. Our robust
accuracies come from our own attacks (PGD or the APGD ensemble), named in each row, not from AutoAttack, so a
published number is an upper reference for how strong an evaluation is, not a target.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeoff.data import published
from tradeoff.data.kinds import Kind
from tradeoff.data.registry import by_label, display_name

from .claims import norm_name, split_failed, value
from .document import Block, Heading, Paragraph, Table, text
from .result_index import ResultFile, ResultIndex
from .scale_info import evaluation_text, sweep_settings, training_text


@dataclass(frozen=True)
class Published:
    """One quoted model as the report's table shows it (data.published.PublishedPoint in %): data set, norm and ε
    of the threat model, the model, clean and robust accuracy (%) under AutoAttack, and the source."""

    dataset: str
    norm: str
    eps: float
    eps_text: str
    model: str
    clean: float
    robust: float
    source: str


#: data.published.PUBLISHED in percent (docs/peers.md, "Published numbers"); each row names its source.
PUBLISHED = tuple(Published(p.dataset, p.norm, p.eps, p.eps_text, p.name, round(100 * p.clean, 2),
                            round(100 * p.robust, 2), p.source) for p in published.PUBLISHED)
THREATS = {(p.dataset, p.norm): (p.eps, p.eps_text) for p in PUBLISHED}


def _threat(label) -> tuple[str, float, str] | None:
    """(data set name, ε, ε as text) of the published threat model of a data set label, else None."""
    d = by_label(str(label))
    if d is None or (d.name, "inf") not in THREATS:
        return None
    return (d.name, *THREATS[(d.name, "inf")])


def _close(a, b) -> bool:
    return abs(float(a) - float(b)) < 1e-6 + 1e-3 * abs(float(b))


def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def sweep_models(r: ResultFile) -> list[tuple]:
    """(run ids, row) pairs of a ``deep.sweep`` file, a row being (model, data set and threat, clean %, robust %,
    attack, source): per data set, the ℓ∞ models trained and evaluated at the published ε on the largest training
    set, mean over seeds (training failures left out)."""
    out = []
    rows, _ = split_failed([x for x in r.payload.get("rows", []) if isinstance(x, dict) and "dataset" in x])
    tr, ev = sweep_settings(r.payload.get("settings"))
    model, recipe, _ = training_text(tr) if tr else ("model not recorded", "", "")
    for ds in sorted({str(x["dataset"]) for x in rows}):
        threat = _threat(ds)
        if threat is None:
            continue
        name, eps, eps_text = threat
        mine = [x for x in rows if str(x["dataset"]) == ds and norm_name(x.get("norm")) == "ℓ∞" and not x.get("mixed")
                and _close(value(x["eps_train"]), eps) and x.get("eps_eval") is not None
                and _close(value(x["eps_eval"]), eps) and x.get("robust_acc") is not None]
        if not mine:
            continue
        n = max(x["n_train"] for x in mine if isinstance(x.get("n_train"), int))
        mine = [x for x in mine if x.get("n_train") == n]
        clean = sum(value(x["standard_acc"]) for x in mine) / len(mine)
        robust = sum(value(x["robust_acc"]) for x in mine) / len(mine)
        ev = dict(ev, eps=[p for p in ev.get("eps") or [] if norm_name(p[0]) == "ℓ∞"]) if ev else ev
        attack = evaluation_text(ev) if ev.get("steps") else "PGD (settings not recorded)"
        runs = tuple(sorted(str(x.get("run")) for x in mine))
        out.append((runs, (f"ours: {model}; PGD training at ε {eps_text}; n = {n}; {len(mine)} seed(s)",
                           f"{display_name(ds)}, ℓ∞ ε = {eps_text}", _pct(clean), _pct(robust), attack,
                           f"ours, {r.scale} scale: `{r.path}`")))
    return out


def benchmark_models(r: ResultFile) -> list[tuple]:
    """Rows of a ``deep.benchmark`` file whose rows report ``clean_acc`` and ``robust_acc`` (e.g. the committed
    H200 MNIST run)."""
    out = []
    threat = _threat(r.dataset or r.payload.get("dataset") or "")
    for x in r.payload.get("rows", []) if isinstance(r.payload.get("rows"), list) else []:
        if not isinstance(x, dict) or not isinstance(x.get("clean_acc"), (int, float)) or threat is None \
                or not isinstance(x.get("robust_acc"), (int, float)):
            continue
        name, eps, eps_text = threat
        what = ", ".join(str(x[k]) for k in ("benchmark", "train_attack") if x.get(k))
        out.append((f"ours: {what or 'benchmark model'}", f"{display_name(name)}, ℓ∞ ε = {eps_text}",
                    _pct(x["clean_acc"]), _pct(x["robust_acc"]),
                    f"{x.get('eval_attack', 'attack not recorded')} on {x.get('n_test', '?')} test points",
                    f"ours, {r.scale} scale (a benchmark, not a claim's evidence): `{r.path}`"))
    return out


def frontier_models(r: ResultFile) -> list[tuple]:
    """The PGD-trained model of a ``deep.frontier`` file at the published ε (its robust accuracy under the frontier's
    own evaluation)."""
    p = r.payload
    threat = _threat(p.get("dataset") or r.dataset or "")
    if threat is None or norm_name(p.get("norm")) != "ℓ∞":
        return []
    name, eps, eps_text = threat
    out = []
    for x in p.get("rows", []):
        if isinstance(x, dict) and x.get("method") == "pgd" and _close(x.get("eps_train", -1), eps) \
                and x.get("robust_acc") is not None and _close(p.get("eps_eval", -1), eps):
            out.append((f"ours: deep frontier PGD model, ε_train {eps_text}, seed {x.get('seed')}",
                        f"{display_name(name)}, ℓ∞ ε = {eps_text}", _pct(value(x["standard_acc"])),
                        _pct(value(x["robust_acc"])), f"{_attack_name(p.get('attack'))} on "
                                                      f"{x.get('n_robust', '?')} test points",
                        f"ours, {r.scale} scale: `{r.path}`"))
    return out


def _attack_name(attack) -> str:
    """An attack record (deep.evaluate's summary: ``{"attacks": [{"label": ...}, ...]}``) or name, in words."""
    if isinstance(attack, dict):
        labels = [str(a.get("label")) for a in attack.get("attacks", []) if isinstance(a, dict) and a.get("label")]
        return "the worst case of " + ", ".join(labels) if labels else str(attack.get("name") or "an attack")
    return str(attack or "the APGD ensemble")


def published_section(index: ResultIndex) -> list[Block]:
    """The section: our models (from the evidence and benchmark files) beside the quoted published numbers."""
    ours: list[tuple] = []
    seen: set[tuple] = set()
    for r in index.all(Kind.DEEP_SWEEP):  # one row per set of runs, however many sweep files list them
        for runs, row in sweep_models(r) if r.scale.evidence else ():
            if runs not in seen:
                seen.add(runs)
                ours.append(row)
    for r in index.all(Kind.DEEP_FRONTIER):
        ours += frontier_models(r)
    for r in index.all(Kind.DEEP_BENCHMARK):
        ours += benchmark_models(r)
    quoted = [(f"published: {p.model}", f"{display_name(p.dataset)}, ℓ∞ ε = {p.eps_text}", f"{p.clean:.2f}",
               f"{p.robust:.2f}", "AutoAttack", f"quoted: {p.source}") for p in PUBLISHED]
    rows = sorted(dict.fromkeys(ours), key=lambda t: t[1]) + quoted
    return [Heading(2, "Our models beside published numbers", "published", back=True),
            Paragraph(text("The published rows are quoted from the publications (source in the last column), not "
                           "computed here. Our robust accuracies come from our own attacks, named in each row, on "
                           "our test points: a published AutoAttack number is a reference for how strong an "
                           "evaluation is, not a target. Our sweep models are the quick or GPU recipes (few epochs, "
                           "small networks), not the published training runs.")),
            Table(("model", "data set, threat model", "clean accuracy (%)", "robust accuracy (%)", "attack",
                   "source"), tuple(tuple(text(c) for c in row) for row in rows),
                  "Clean and ℓ∞ robust test accuracy: ours beside the published numbers")]
