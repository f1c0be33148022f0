"""The smoke version of an experiment definition (scale ``smoke``, ``--micro``): the same code path in seconds.

Numbers from it mean nothing (data.scales: a smoke result is never evidence)."""

from __future__ import annotations

import dataclasses

from tradeoff.data.registry import dataset_info

from .definitions import Experiment, PictureExperiment, with_overrides


def micro(exp: Experiment) -> Experiment:
    """A smoke-test version of a quick definition (scale ``smoke``, seconds per run): the same code path with
    tiny training sets, one epoch, few PGD steps and few images (clean accuracy too: the whole-test-split clean
    pass, ``standard_full_test``, is tested by the engine's own tests). Numbers from it mean nothing."""
    t = exp.template
    n_test = min(60, t.eval.n_final or 60)
    sized = dataset_info(t.dataset).train_size is not None  # the epoch rule needs the training-set size
    template = t.replace(epochs=1, min_steps=4 if sized else 0, max_epochs=2, adv={"steps": min(3, t.adv.steps)},
                         eval={"n_final": n_test, "n_epoch": n_test, "steps": 3, "restarts": 1,
                               "standard_full_test": False})
    common = dict(scale="smoke", template=template)
    if isinstance(exp, PictureExperiment):
        n = exp.n_train if exp.n_train is None else min(exp.n_train, 200)
        attacks = tuple(dataclasses.replace(a, steps=min(a.steps, 5)) for a in exp.attacks)
        return with_overrides(exp, n_train=n, n_metric=10, n_show=3, sanity_n=10, attacks=attacks,
                              replicate_seeds=(), **common)
    ns = tuple(sorted({n if n is None else min(n, 200) for n in exp.n_train}, key=lambda v: v or 0))
    if len(ns) > 2:
        ns = (ns[0], ns[-1])
    return with_overrides(exp, n_train=ns, seeds=exp.seeds[:1], small_n_seeds=(), **common)
