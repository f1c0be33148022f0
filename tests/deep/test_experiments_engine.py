"""The engine adapter maps every run of every definition onto a valid engine TrainConfig (API drift shows here)."""

from __future__ import annotations

import importlib.util

import pytest

from deep.experiments import definitions as D
from deep.experiments import sweep as S
from deep.experiments.pictures import model_runs

pytestmark = pytest.mark.skipif(importlib.util.find_spec("deep.config") is None,
                                reason="deep.config (the deep engine) is not merged in this checkout")


def _all_runs():
    for exp in D.all_definitions():
        if isinstance(exp, D.SweepExperiment):
            yield from S.expand(exp)
        else:
            yield from model_runs(exp).values()


def test_every_run_maps_to_a_valid_train_config():
    from deep.experiments.engine import train_config

    seen = 0
    for run in _all_runs():
        cfg = train_config(run)  # validates
        assert cfg.adv.eps == run.eps_train and cfg.adv.mixed == run.mixed and cfg.seed == run.seed
        assert cfg.epochs == run.training.epochs_for(run.n_train or 10**9)
        if run.eps_train > 0:
            assert cfg.adv.norm == run.norm
            assert cfg.adv.resolved_step_size() == pytest.approx(run.training.attack_step_size(run.norm,
                                                                                              run.eps_train))
        seen += 1
    assert seen > 100


def test_quick_mnist_uses_pgd10_and_paper_uses_pgd40():
    from deep.experiments.engine import train_config

    q = [r for r in S.expand(D.get("fig6", "mnist", "quick")) if r.eps_train > 0][0]
    p = [r for r in S.expand(D.get("fig6", "mnist", "paper")) if r.eps_train == 0.3][0]
    assert train_config(q).adv.steps == 10
    cfg = train_config(p)
    assert cfg.adv.steps == 40 and cfg.adv.resolved_step_size() == 0.01 and cfg.adv.eps_warmup_epochs == 0
