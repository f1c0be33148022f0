"""The report for programs: ``verdicts.json`` in the build folder and ``tradeoff report --json``.

One object (schema: docs/verdicts.schema.json, ``schema`` = :data:`SCHEMA`) with the headline rule, the banner, and
per claim its headline verdict and scale, whether the evidence scales split, and one entry per scale with its
verdict, whether the seed-to-seed variance was measured, the tested differences (effect, interval, level, method,
runs, verdict) and the source files (path, kind, scale, created, the command recorded in the file, commit); a card
per trained model in RobustBench's fields (reports.model_cards); the published numbers quoted beside our models,
with their source. Built from the same objects as the page.
"""

from __future__ import annotations

from typing import Any

from .claims.by_scale import HEADLINE_RULE, ClaimVerdict, ScaleVerdict
from .model_cards import model_cards
from .published import PUBLISHED
from .result_index import Collection, ResultFile, ResultIndex
from .scale_info import command_for, commit_of

SCHEMA = "tradeoff.verdicts/1"


def _file(r: ResultFile) -> dict[str, Any]:
    return {"path": r.path, "kind": r.kind, "scale": r.scale.value, "evidence": r.scale.evidence,
            "created": r.created or None, "command": command_for(r) or None, "commit": commit_of(r)[0]}


def _scale(s: ScaleVerdict, headline: ScaleVerdict | None) -> dict[str, Any]:
    o = s.outcome
    return {
        "scale": s.scale.value, "evidence": s.evidence, "headline": s is headline, "verdict": s.verdict,
        "seed_variance_measured": s.seeds_measured, "summary": o.summary if o is not None else None,
        "effects": [{"label": e.label, "estimate": e.estimate, "low": e.low, "high": e.high, "level": e.level,
                     "method": e.method, "n_runs": e.n_runs, "verdict": e.verdict, "mde": e.mde}
                    for e in (o.effects if o is not None else [])],
        "files": [_file(r) for r in s.files],
    }


def claim_entry(cv: ClaimVerdict) -> dict[str, Any]:
    """One claim's entry: number, title, kinds, headline verdict and scale, split, summary, every scale."""
    return {
        "number": cv.claim.number, "title": cv.claim.title, "kinds": [str(k) for k in cv.claim.kinds],
        "verdict": cv.outcome.verdict, "headline_scale": cv.headline.scale.value if cv.headline else None,
        "split": cv.split, "summary": cv.outcome.summary, "test": cv.claim.rule,
        "scales": [_scale(s, cv.headline) for s in cv.scales],
    }


def verdicts_document(results, collection: Collection, banner: str | None) -> dict[str, Any]:
    """The whole object (``results``: reports.report.ClaimResult with ``by_scale``)."""
    return {
        "schema": SCHEMA,
        "newest_result": max((r.created for r in collection.results), default=None) or None,
        "result_files": len(collection.results),
        "headline_rule": HEADLINE_RULE,
        "banner": banner,
        "claims": [claim_entry(cr.by_scale) for cr in results],
        "models": model_cards(ResultIndex(collection.results)),
        "published": [{"dataset": p.dataset, "norm": p.norm, "eps": p.eps, "model": p.model, "clean": p.clean,
                       "robust": p.robust, "attack": "AutoAttack", "source": p.source} for p in PUBLISHED],
    }
