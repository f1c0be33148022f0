"""Figures drawn from the data behind the verdicts, one scale per figure.

Claims 5–8 are decided once per evidence scale (reports.claims.by_scale), each time choosing, per (experiment,
dataset, norm), the ``deep.sweep`` file of that scale that has the data their test needs (reports.claims.sweep_rows
with the claim's ``has_data``). A figure drawn by the producer shows the producer's own run: so the report draws
Figures 1, 6 and 7 again from exactly the rows each claim used at each scale that reached a verdict, as
``claim<k>_fig<N>_<dataset>_<scale>.png`` in the figures folder (a claim whose rows are the same as an earlier
claim's reuses that file). No figure mixes scales. Runs left out of a verdict as training failures are left out of
its figure (outside the axis range) and its title says how many.
"""

from __future__ import annotations

import os
from pathlib import Path

from tradeoff.data.registry import display_name

from .. import claims as claims_mod

#: claim -> (sweep experiments, the claim's has_data, the paper figure(s) drawn)
VERDICT_SWEEPS = {
    5: (("fig1", "fig6"), claims_mod.has_small_n),
    6: (("fig1", "fig6"), claims_mod.has_full_n),
    7: (("fig7",), claims_mod.has_eps_sequence),
    8: (("mixed",), claims_mod.has_mixed),
}
PREFIX = "claim"


def _scales(rows: list[dict]) -> str:
    return ", ".join(sorted({str(r.get("result_scale", "unknown")) for r in rows})) or "unknown"


def _key(number: int, rows: list[dict]) -> tuple:
    return (number, tuple(sorted((str(r.get("run")), str(r.get("result_scale")), str(r.get("norm")),
                                  str(r.get("standard_acc"))) for r in rows)))


_NORM_CODE = {"ℓ∞": "inf", "ℓ2": "2"}


def _rows_for(index, claim: int) -> tuple[list[dict], int]:
    """The rows claim ``claim`` tests (training failures left out), norms as the figure functions name them, and
    how many training failures were left out."""
    exps, has_data = VERDICT_SWEEPS[claim]
    rows, _ = claims_mod.sweep_rows(index, exps, has_data)
    kept = claims_mod.split_failed(rows)[0]
    return [dict(r, norm=_NORM_CODE.get(claims_mod.norm_name(r.get("norm")), r.get("norm"))) for r in kept], \
        len(rows) - len(kept)


def scale_indexes(index, verdicts: dict | None = None) -> dict[int, list]:
    """``{claim: [(scale, index of that scale's files), ...]}`` for claims 5–8: every evidence scale whose rule
    reached a verdict (``verdicts``: claim -> reports.claims.by_scale.ClaimVerdict, computed when None)."""
    from ..claims.by_scale import evaluate_by_scale
    from ..result_index import ResultIndex

    out: dict[int, list] = {}
    for c in claims_mod.CLAIMS:
        if c.number not in VERDICT_SWEEPS:
            continue
        cv = (verdicts or {}).get(c.number) or evaluate_by_scale(c, index)
        out[c.number] = [(s.scale.value, ResultIndex(list(s.files))) for s in cv.decided]
    return out


def draw_verdict_figures(index, fig_dir: str | os.PathLike, verdicts: dict | None = None) -> dict[int, list[Path]]:
    """Draw Figures 1/6 (claims 5, 6) and 7 (claims 7, 8, with the mixed batches) per dataset and per evidence
    scale that reached a verdict, from the rows each claim's verdict at that scale rests on (``verdicts``: see
    :func:`scale_indexes`); ``{claim: [png, ...]}``. Earlier ``claim*_fig*.png`` files are removed first."""
    d = Path(fig_dir)
    for old in d.glob(f"{PREFIX}*_fig*.png") if d.is_dir() else ():
        old.unlink()
    drawn: dict[tuple, Path] = {}
    out: dict[int, list[Path]] = {}
    for claim, scales in scale_indexes(index, verdicts).items():
        for scale, idx in scales:
            _draw_claim(claim, scale, idx, d, drawn, out)
    return out


def _draw_claim(claim: int, scale: str, index, d: Path, drawn: dict, out: dict) -> None:
    """Claim ``claim``'s figures at one scale (``index`` holds that scale's files only)."""
    from . import deep as F

    def draw(claim: int, number: int, ds: str, rows: list[dict], plot) -> None:
        key = _key(number, rows) + (ds,)
        if key not in drawn:
            d.mkdir(parents=True, exist_ok=True)
            gone = f"; {failed} training failure(s) left out" if failed else ""
            title = f"{display_name(ds)}, {_scales(rows)} scale (the data of claim {claim}{gone})"
            try:
                drawn[key] = plot(d / f"{PREFIX}{claim}_fig{number}_{ds}_{scale}.png", title)
            except ValueError:  # nothing the figure can show (e.g. no row in a norm it draws)
                return
        out.setdefault(claim, []).append(drawn[key])

    if claim in (5, 6):
        rows, failed = _rows_for(index, claim)
        for ds in sorted({str(r["dataset"]) for r in rows}):
            for norm, number in (("2", 1), ("inf", 6)):
                mine = [r for r in rows if str(r["dataset"]) == ds and str(r["norm"]) == norm]
                if any(claims_mod.value(r["eps_train"]) > 0 for r in mine):
                    draw(claim, number, ds, mine, lambda p, t, m=mine, n=norm: F.plot_accuracy_vs_n(m, n, p, t))
        return
    rows7, failed = _rows_for(index, 7)
    clean = [r for r in rows7 if not bool(r.get("mixed"))]
    if claim == 7:
        for ds in sorted({str(r["dataset"]) for r in clean}):
            mine = [r for r in clean if str(r["dataset"]) == ds]
            if any(claims_mod.value(r["eps_train"]) > 0 for r in mine):
                draw(7, 7, ds, mine, lambda p, t, m=mine: F.plot_accuracy_vs_eps(m, p, t))
        return
    # claim 8: the mixed-batch models, the standard models at their training-set sizes (as the test pools them)
    # and, for comparison, the clean-batch models of claim 7 at the same sizes (all of this scale)
    rows8, failed = _rows_for(index, 8)
    mixed = [r for r in rows8 if bool(r.get("mixed"))]
    pool, _ = claims_mod.sweep_rows(index, ("fig7", "fig1", "fig6"))
    std = [r for r in rows8 + [dict(r, norm=_NORM_CODE.get(claims_mod.norm_name(r.get("norm")), r.get("norm")))
                               for r in claims_mod.split_failed(pool)[0]]
           if claims_mod.value(r["eps_train"]) == 0 and not r.get("mixed")]
    for ds in sorted({str(r["dataset"]) for r in mixed}):
        extra = [r for r in mixed if str(r["dataset"]) == ds]
        sizes = {(str(r["norm"]), r["n_train"]) for r in extra}
        base, seen = [], set()
        for norm, n in sorted(sizes, key=str):
            # the standard model at that size, whatever norm its sweep labelled it with (claims._standard_rows)
            same = [r for r in std if str(r["dataset"]) == ds and r["n_train"] == n]
            same = [r for r in same if str(r["norm"]) == norm] or same
            adv = [r for r in clean if str(r["dataset"]) == ds and (str(r["norm"]), r["n_train"]) == (norm, n)
                   and claims_mod.value(r["eps_train"]) > 0]
            for r in same + adv:
                if (norm, r.get("run")) not in seen:
                    seen.add((norm, r.get("run")))
                    base.append(dict(r, norm=norm))
        if base:
            draw(8, 7, ds, base + extra, lambda p, t, m=base, x=extra: F.plot_accuracy_vs_eps(m, p, t, x))
