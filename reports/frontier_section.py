"""The report section "The trade-off frontier everywhere" from the ``data.limit``, ``linear.frontier``,
``deep.frontier`` and ``theory.gaussian_model`` payloads (reports/RESULTS.md) and the figures ``frontier_mnist.png``
and ``theory_gaussian_model.png``. Returns report blocks (reports.document's Heading, Paragraph, Table, Image); every
sentence with a number is computed from the payloads."""

from __future__ import annotations

from pathlib import Path

from .document import Heading, Image, Paragraph, Table, text

ANCHOR = "frontier-everywhere"


def _f(v, digits: int = 4) -> str:
    return "–" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def best_linear(linear: dict) -> dict | None:
    """The linear model of highest robust accuracy (ties: higher standard accuracy)."""
    ms = linear.get("models") or []
    return max(ms, key=lambda m: (m["robust_acc"], m["standard_acc"])) if ms else None


def limit_at(limit: dict, eps: float, split: str = "test") -> dict | None:
    """The ``data.limit`` entry of ``split`` at ``eps`` (None if absent)."""
    for e in (limit or {}).get("splits", {}).get(split, []):
        if abs(float(e["eps"]) - float(eps)) <= 1e-12:
            return e
    return None


def _pm(n) -> str:
    """The largest 95% binomial half-width on ``n`` points, 1.96·√(1/4n)."""
    return f"±{1.96 * (0.25 / n) ** 0.5:.3f}" if n else ""


def epoch_share(adv: dict, template: dict) -> float | None:
    """The fraction of the epochs over which ε ramps up: ``adv.eps_warmup``, or (result files written before it
    was a fraction) ``adv.eps_warmup_epochs / epochs``."""
    if adv.get("eps_warmup") is not None:
        return float(adv["eps_warmup"])
    if adv.get("eps_warmup_epochs") is not None and template.get("epochs"):
        return float(adv["eps_warmup_epochs"]) / float(template["epochs"])
    return None


def deep_blocks(deep: dict, limit: dict | None, linear: dict | None, source: dict | None = None) -> list:
    """The deep models of a ``deep.frontier`` payload: what they are, how they were evaluated and put on the
    5-vs-7 axes, a table, and where their best 5-vs-7 restriction sits against the linear models and the data."""
    rows_in = deep.get("rows") or []
    if not rows_in:
        return []
    t = deep.get("template") or {}
    adv = t.get("adv") or {}
    pair = "-vs-".join(str(c) for c in deep.get("pair", []))
    pair_eps = [f"{e:g}" for e in deep.get("pair_eps", [])]
    first = rows_in[0]
    src = source or {}
    prov = src.get("provenance") or {}
    machine = (prov.get("machine") or {}).get("cpu") or (deep.get("device") or {}).get("cpu") or "?"
    blocks: list = [Heading(3, "Deep models: TRADES over β and PGD over ε_train", f"{ANCHOR}-deep")]
    blocks.append(Paragraph(text(
        f"`tradeoff deep frontier --scale {deep.get('scale')}` (deep.experiments.frontier, kind `deep.frontier`): "
        f"MNIST CNNs (width {t.get('width')}, {t.get('n_train')} training points, {t.get('epochs')} epochs, "
        f"{adv.get('steps')} attack steps in the ℓ{'∞' if deep.get('norm') == 'inf' else '2'} ball of radius "
        f"{adv.get('eps')}, ε ramped over the first {_f(epoch_share(adv, t), 2)} of the epochs) trained with TRADES "
        f"(Zhang et al. 2019: cross-entropy + β·KL, one model per β in "
        f"{', '.join(f'{b:g}' for b in deep.get('betas', []))}) and "
        f"with PGD at ε_train in {', '.join(f'{e:g}' for e in deep.get('pgd_eps', []))} (0: the standard model, "
        "which is TRADES at β = 0 exactly), all on the population engine. Each model is evaluated once: standard "
        f"accuracy on all {first.get('n_standard')} test points; robust accuracy at ε={deep.get('eps_eval'):g} "
        f"under the strong evaluation, {first.get('evaluation')} (per-example worst case), on "
        f"{first.get('n_robust')} stratified test points ({_pm(first.get('n_robust'))} at most, 95%). "
        f"{deep.get('note', '')}.")))
    blocks.append(Paragraph(text(
        f"One axis, one problem: these are 10-class models, the other curves are {pair} problems. On the {pair} "
        f"axes of the figure a deep model appears as its restriction to the two classes, the binary classifier "
        f"argmax(logit {deep['pair'][0]}, logit {deep['pair'][1]}) on the {pair} test points "
        f"({(first.get('pair') or {}).get('n_standard')} for standard accuracy, "
        f"{(first.get('pair') or {}).get('n_robust')} stratified for robust accuracy), attacked as that two-logit "
        "model: a classifier of the same problem, so the data's own frontier bounds it. The 10-class accuracies "
        "have their own panel (c).")))
    rows = []
    for r in rows_in:
        p = r.get("pair") or {}
        rows.append((text(r["method"]), text("" if r.get("beta") is None else f"{r['beta']:g}"),
                     text(f"{r['eps_train']:g}"), text(_f(r["standard_acc"])), text(_f(r["robust_acc"])),
                     text(_f(p.get("standard_acc"))),
                     *(text(_f((p.get("robust") or {}).get(e))) for e in pair_eps)))
    blocks.append(Table(("method", "β", "ε_train", "standard (10 classes)",
                         f"robust ε={deep.get('eps_eval'):g} (10 classes)", f"standard ({pair})",
                         *(f"robust ε={e} ({pair})" for e in pair_eps)), tuple(rows),
                        f"Deep models, MNIST; robust accuracy under {first.get('evaluation')} (kind `deep.frontier`"
                        + (f", `{src['path']}`" if src.get("path") else "") + ")"))
    trades = sorted((r for r in rows_in if r["method"] == "trades"), key=lambda r: r["beta"])
    notes = []
    if len(trades) > 1:
        std = [r["standard_acc"] for r in trades]
        rob = [r["robust_acc"] for r in trades]
        mono = all(a >= b for a, b in zip(std, std[1:]))
        notes.append(f"From β={trades[0]['beta']:g} to β={trades[-1]['beta']:g} the TRADES models' standard accuracy "
                     f"goes from {_f(std[0])} to {_f(std[-1])}"
                     + (" (never rising with β)" if mono else " (not monotone in β)")
                     + f" and their robust accuracy at ε={deep.get('eps_eval'):g} from {_f(rob[0])} to {_f(rob[-1])}.")
    if linear and deep.get("norm") == linear.get("norm"):
        key = f"{float(linear['eps_eval']):g}"
        cand = [r for r in rows_in if key in ((r.get("pair") or {}).get("robust") or {})]
        if cand and sorted(deep.get("pair", [])) == sorted(linear.get("digits") or [5, 7]):
            b = max(cand, key=lambda r: (r["pair"]["robust"][key], r["pair"]["standard_acc"]))
            what = f"TRADES β={b['beta']:g}" if b["method"] == "trades" else f"{b['method']} ε_train={b['eps_train']:g}"
            lin = best_linear(linear)
            entry = limit_at(limit, linear["eps_eval"]) if limit and limit.get("norm") == linear.get("norm") else None
            sent = (f"At ε={key} on {pair} the best deep restriction ({what}) reaches robust accuracy "
                    f"{_f(b['pair']['robust'][key])} (standard {_f(b['pair']['standard_acc'])})")
            if lin:
                sent += f", the best linear model {_f(lin['robust_acc'])} (exact)"
            if entry:
                sent += f", and the data allows {_f(entry['limit']['robust_accuracy'])} (some classifier, exact)"
            notes.append(sent + ".")
    cpu = deep.get("cpu_s")
    notes.append(f"Computed on {machine} with torch {deep.get('torch', '?')}, commit "
                 f"{str(prov.get('git_commit') or '?')[:10]}, {src.get('created') or ''}: wall "
                 f"{_f(deep.get('wall_s'), 0)} s, CPU {_f(cpu, 0)} s ({deep.get('workers')} worker process(es), "
                 "one torch thread each).")
    blocks.append(Paragraph(text(" ".join(notes))))
    return blocks


def frontier_section(limit: dict | None, linear: dict | None, gaussian: dict | None = None,
                     figures: list[tuple[Path, str]] = (), deep: dict | None = None,
                     deep_source: dict | None = None) -> list:
    """Blocks of the section. ``figures``: ``(png path, path relative to the report)`` pairs to show (those that
    exist); ``deep``: a ``deep.frontier`` payload, ``deep_source`` its file's ``path``, ``created`` and
    ``provenance``. Empty list when none of the payloads is there."""
    if not (limit or linear or gaussian or deep):
        return []
    blocks: list = [Heading(2, "Beyond the paper: the trade-off frontier everywhere", ANCHOR)]
    blocks.append(Paragraph(text(
        "Does real data force a trade-off? The data's own limit is the best robust accuracy ANY classifier reaches "
        "on a split's empirical distribution (a maximum matching in the conflict graph of opposite-class pairs "
        "within 2ε); the data's frontier the best (standard, robust) pairs (a minimum cut); both exact, "
        "`docs/data_frontier.md`. The linear frontier: exactly trained linear models, by ε_train and by a "
        "TRADES-style β, with exact accuracies.")))
    if limit:
        rows = []
        for split, entries in limit.get("splits", {}).items():
            for e in entries:
                lim, fr = e["limit"], e.get("frontier") or {}
                rows.append((text(split), text(f"{e['eps']:g}"), text(lim["n"]), text(lim["n_edges"]),
                             text(lim["matching_size"]), text(_f(lim["robust_accuracy"])),
                             text(len(fr.get("standard", [])))))
        ds = f"{limit.get('dataset', '?')} {'-vs-'.join(str(c) for c in limit.get('classes', []))}"
        blocks.append(Table(("split", "ε", "points", "conflicting pairs", "matching", "best robust accuracy",
                             "frontier vertices"), tuple(rows),
                            f"The data's own limit, {ds}, ℓ{'∞' if limit['norm'] == 'inf' else '2'} balls in the "
                            "[0,1] box (kind `data.limit`)"))
        sep = limit.get("separation", {})
        items = [f"{name.replace('_', ' ')}: minimum {_f(s.get('min'))}, median {_f(s['quantiles'].get('0.5'))}"
                 for name, s in sep.items()]
        if items:
            blocks.append(Paragraph(text("Exact distance to the nearest point of the other class (Yang et al. "
                                         "2020) — " + "; ".join(items) + ". Any classifier can be robust at every "
                                         "ε below half the minimum.")))
    if linear:
        rows = tuple((text(m["method"]), text(f"{m['eps_train']:g}"), text("" if m["beta"] is None else
                      f"{m['beta']:g}"), text(_f(m["standard_acc"])), text(_f(m["robust_acc"])))
                     for m in linear["models"])
        blocks.append(Table(("method", "ε_train", "β", "standard accuracy", "robust accuracy"), rows,
                            f"Linear models, robust accuracy at ε={linear['eps_eval']:g} (exact; kind "
                            "`linear.frontier`)"))
        best = best_linear(linear)
        entry = limit_at(limit, linear["eps_eval"]) if limit and limit.get("norm") == linear.get("norm") else None
        if best and entry:
            lim = entry["limit"]["robust_accuracy"]
            blocks.append(Paragraph(text(
                f"At ε={linear['eps_eval']:g} the best linear model reaches robust accuracy "
                f"{_f(best['robust_acc'])} (standard {_f(best['standard_acc'])}), while some classifier reaches "
                f"robust accuracy {_f(lim)} on the same test points"
                + (" with standard accuracy 1: on this data the trade-off belongs to the model class, not to the "
                   "data." if entry.get("frontier", {}).get("standard", [None])[0] == 1.0 else "."))))
    if deep:
        blocks += deep_blocks(deep, limit, linear, deep_source)
    if gaussian:
        rows = tuple((text(r["n"]), text(f"{r['standard_error']:.3g}"), text(f"{r['robust_error_mc']:.3g}"),
                      text(f"{r['robust_error_mc_se']:.2g}")) for r in gaussian["rows"])
        blocks.append(Table(("n", "standard error (exact)", "robust error (Monte Carlo)", "± s.e."), rows,
                            f"Schmidt et al.'s Gaussian model, d={gaussian['d']}, σ={gaussian['sigma']:.3g}, "
                            f"ε={gaussian['eps']:g}: the averaging rule from n samples (kind `theory.gaussian_model`)"))
    for path, rel in figures:
        if Path(path).is_file():
            blocks.append(Image(Path(path), rel, Path(path).stem.replace("_", " "), f"{ANCHOR}-{Path(path).stem}"))
    return blocks
