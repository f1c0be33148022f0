"""Experiment definitions: every group exists at both scales, validates, and quick is smaller than paper."""

from __future__ import annotations

import dataclasses

import pytest

from tradeoff.deep.experiments import definitions as D
from tradeoff.deep.experiments.smoke import micro
from tradeoff.deep.experiments.sweep import expand


@pytest.mark.parametrize("dataset", D.DATASETS)
def test_both_scales_have_the_same_groups(dataset):
    quick, paper = D.experiments(dataset, "quick"), D.experiments(dataset, "paper")
    assert set(quick) == set(paper)
    assert {"fig7", "mixed", "pictures"} <= set(quick)
    if dataset != "restricted_imagenet":
        assert {"fig1", "fig6"} <= set(quick)


@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
def test_quick_is_smaller_than_paper(dataset):
    q, p = D.experiments(dataset, "quick"), D.experiments(dataset, "paper")
    for g in ("fig1", "fig6", "fig7"):
        assert len(expand(q[g])) < len(expand(p[g]))
        assert max(q[g].n_train) <= max(p[g].n_train)


def test_paper_values_follow_paper_md():
    f6 = D.get("fig6", "mnist", "paper")
    assert dict(f6.eps_train)["inf"] == (0.0, 0.1, 0.2, 0.3)
    assert dict(D.get("fig1", "mnist", "paper").eps_train)["2"] == (0.0, 0.5, 1.0, 1.5, 2.0, 2.5)
    linf = next(r for r in expand(f6) if r.eps_train == 0.3).config.adv
    assert linf.steps == 40 and linf.resolved_step_size() == 0.01
    l2 = next(r for r in expand(D.get("fig1", "mnist", "paper")) if r.eps_train == 2.0).config.adv
    assert l2.steps == 40 and l2.resolved_step_size() == pytest.approx(2.5 * 2.0 / 40)
    assert f6.n_train[0] == 100 and f6.n_train[-1] == 60000
    pics = D.get("pictures", "mnist", "paper")
    assert {(a.norm, a.eps) for a in pics.attacks} == {("inf", 0.3), ("2", 4.0)}
    assert pics.frames == 20
    assert all(e.reconstructed for e in D.experiments("mnist", "paper").values())


def test_validation_rejects_bad_definitions():
    f6 = D.get("fig6", "mnist", "quick")
    with pytest.raises(ValueError, match="increasing"):
        D.with_overrides(f6, eps_train=(("inf", (0.3, 0.1)),))
    with pytest.raises(ValueError, match="mixed"):
        D.with_overrides(D.get("mixed", "mnist", "quick"), eps_train=(("inf", (0.0, 0.1)),))
    with pytest.raises(ValueError, match="norm"):
        D.with_overrides(f6, eps_train=(("1", (0.1,)),))
    pics = D.get("pictures", "mnist", "quick")
    with pytest.raises(ValueError, match="share one seed"):
        D.with_overrides(pics, models=(pics.models[0], dataclasses.replace(pics.models[1], seed=7), pics.models[2]))
    with pytest.raises(ValueError, match="unknown dataset"):
        D.experiments("svhn", "quick")
    with pytest.raises(ValueError, match="choose one of"):
        D.get("fig1", "restricted_imagenet", "quick")
    with pytest.raises(ValueError, match="unknown dataset 'rin'.*restricted_imagenet"):
        D.experiments("rin", "quick")
    with pytest.raises(ValueError, match="eps_warmup"):
        D.with_template(f6, adv={"eps_warmup": 1.5})
    with pytest.raises(ValueError, match="eval.norms"):
        D.with_template(D.get("fig1", "mnist", "quick"), eval={"norms": ["inf"], "eps": [0.3]})  # no l2 eps_eval


def test_epochs_scale_up_for_small_training_sets():
    exp = D.get("fig6", "mnist", "quick")
    t = exp.template
    assert t.epochs_for(100) > t.epochs_for(2000) >= t.epochs
    assert t.epochs_for(10) <= t.max_epochs
    for r in expand(exp):  # max(epochs, ceil(min_steps * batch / n)) capped at max_epochs
        need = -(-t.min_steps * t.batch_size // r.n_train)
        assert r.config.epochs == min(max(t.epochs, need), t.max_epochs) and r.config.min_steps == 0


@pytest.mark.parametrize("dataset", D.DATASETS)
def test_micro_versions_validate_and_are_tiny(dataset):
    for exp in D.experiments(dataset, "quick").values():
        m = micro(exp)
        assert m.scale == "smoke" and m.template.epochs == 1
        if isinstance(m, D.SweepExperiment):
            assert len(expand(m)) <= len(expand(exp)) and all(n is None or n <= 200 for n in m.n_train)
        else:
            assert m.n_metric == 10 and all(a.steps <= 5 for a in m.attacks)


def test_large_eps_attacks_follow_paper_md_and_can_reach_their_eps():
    """docs/paper.md §6: MNIST ℓ∞ 0.3 / ℓ2 4.0, CIFAR-10 ℓ∞ 0.125 / ℓ2 4.7, Restricted ImageNet ℓ∞ 0.25 (120 × 0.003)
    and ℓ2 40 (40 × 1.5); at every scale steps × step size must reach ε (else the "large ε" is never used)."""
    paper = {d: {(a.norm, a.eps) for a in D.get("pictures", d, "paper").attacks} for d in D.DATASETS}
    assert paper["mnist"] == {("inf", 0.3), ("2", 4.0)}
    assert paper["cifar10"] == {("inf", 0.125), ("2", 4.7)}
    rin = {a.norm: (a.eps, a.steps, a.step_size) for a in D.get("pictures", "restricted_imagenet", "paper").attacks}
    assert rin == {"inf": (0.25, 120, 0.003), "2": (40.0, 40, 1.5)}
    for exp in D.all_definitions():
        if isinstance(exp, D.PictureExperiment):
            for a in exp.attacks:
                assert a.steps * a.step_size >= a.eps, (exp.dataset, exp.scale, a)
