"""bench/seed_sets.py: each seed set moves every seed of every quick definition, so the sets share no run."""

from __future__ import annotations

from bench.seed_sets import OFFSET, shift_seeds
from tradeoff.deep.experiments import definitions as D
from tradeoff.deep.experiments.reproduce import all_runs


def test_seed_sets_share_no_run_and_move_every_seed():
    exps = D.experiments("mnist", "quick").values()
    base = all_runs(list(exps))
    moved = all_runs([shift_seeds(e, OFFSET) for e in exps])
    assert len(base) == len(moved)
    assert not {r.run_id for r in base} & {r.run_id for r in moved}
    assert sorted(r.seed + OFFSET for r in base) == sorted(r.seed for r in moved)
    base_pics = D.get("pictures", "mnist", "quick")
    pics = shift_seeds(base_pics, OFFSET)
    assert len(base_pics.replicate_seeds) >= 3
    assert pics.replicate_seeds == tuple(s + OFFSET for s in base_pics.replicate_seeds)
    assert shift_seeds(D.get("fig6", "mnist", "quick"), 0) == D.get("fig6", "mnist", "quick")
