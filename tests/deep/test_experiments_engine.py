"""The engine adapter maps every run of every definition onto a valid engine TrainConfig (API drift shows here)."""

from __future__ import annotations

import importlib.util

import pytest

from tradeoff.deep.experiments import definitions as D
from tradeoff.deep.experiments import sweep as S
from tradeoff.deep.experiments.pictures import model_runs

pytestmark = pytest.mark.skipif(importlib.util.find_spec("deep.config") is None,
                                reason="deep.config (the deep engine) is not merged in this checkout")


def _all_runs():
    for exp in D.all_definitions():
        if isinstance(exp, D.SweepExperiment):
            yield from S.expand(exp)
        else:
            yield from model_runs(exp).values()


def test_every_run_maps_to_a_valid_train_config():
    from tradeoff.deep.experiments.engine import train_config

    seen = 0
    for run in _all_runs():
        cfg = train_config(run, data_root="/data", device="cpu")  # validates
        assert cfg.adv.eps == run.eps_train and cfg.adv.mixed == run.mixed and cfg.seed == run.seed
        assert cfg.fingerprint() == run.fingerprint() and cfg.resolve_epochs() == cfg  # the epoch rule is applied
        if run.eps_train > 0:
            assert cfg.adv.norm == run.norm and run.eval_norms == (run.norm,)
        seen += 1
    assert seen > 100


def test_quick_mnist_uses_pgd5_on_the_full_training_set_and_paper_uses_pgd40():
    from tradeoff.deep.experiments.engine import train_config

    q = [r for r in S.expand(D.get("fig6", "mnist", "quick")) if r.eps_train == 0.3 and r.n_train == 60000][0]
    p = [r for r in S.expand(D.get("fig6", "mnist", "paper")) if r.eps_train == 0.3][0]
    qc = train_config(q)
    assert qc.adv.steps == 5 and qc.adv.resolved_step_size() == pytest.approx(2.5 * 0.3 / 5)
    assert qc.n_train == 60000 and qc.epochs == 1  # one epoch of the full training set (600 steps of 100)
    assert qc.adv.eps_warmup == pytest.approx(1 / 3)
    cfg = train_config(p)
    assert cfg.adv.steps == 40 and cfg.adv.resolved_step_size() == 0.01 and cfg.adv.eps_warmup == 0


def test_standard_accuracy_on_the_whole_test_set_and_pgd_on_the_subset(monkeypatch):
    """``standard_full_test``: clean accuracy (and its n) from every test point, PGD accuracy from the subset."""
    import dataclasses

    import torch

    from tradeoff.deep.experiments.engine import TorchEngine

    torch.manual_seed(0)
    n_full, n_sub = 400, 40
    x = torch.rand(n_full, 1, 4, 4)
    y = (x[:, 0, 0, 0] > 0.5).long()
    y[n_sub:n_sub + 120] = 1 - y[n_sub:n_sub + 120]  # the model is right on the subset, wrong on 120 others
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.copy_(torch.tensor([0.5, 0.0]))
        model[1].weight[1, 0] = 1.0  # logit_1 - logit_0 = x_00 - 0.5
    engine = TorchEngine(device="cpu")
    engine._cache[("mnist", "test", n_sub, 0, None)] = (x[:n_sub], y[:n_sub])
    engine._cache[("mnist", "test", None, 0, None)] = (x, y)
    monkeypatch.setattr(engine, "load_model", lambda run, run_dir: model.eval())
    run = [r for r in S.expand(D.get("fig6", "mnist", "quick")) if r.eps_train > 0][0]
    off = dataclasses.replace(run, config=run.config.replace(eval={"n_final": n_sub, "steps": 2,
                                                                   "standard_full_test": False}))
    run = dataclasses.replace(off, config=off.config.replace(eval={"standard_full_test": True}))
    out = engine.evaluate(run, None)
    assert out["n_test"] == n_sub and out["n_test_standard"] == n_full
    assert out["standard_acc_subset"] == 1.0
    assert out["standard_acc"] == pytest.approx(1 - 120 / n_full)
    off = engine.evaluate(off, None)
    assert off["standard_acc"] == 1.0 and off["n_test_standard"] == n_sub


def test_engine_data_roots_default_to_the_environment(tmp_path, monkeypatch):
    from tradeoff.deep.experiments.engine import TorchEngine

    monkeypatch.delenv("TRADEOFF_CIFAR10_ROOT", raising=False)
    monkeypatch.setenv("TRADEOFF_IMAGENET_ROOT", str(tmp_path))
    engine = TorchEngine()
    assert engine.root("cifar10") is None and engine.root("mnist") is None
    assert engine.root("restricted_imagenet") == str(tmp_path)
    assert TorchEngine(data_roots={"restricted_imagenet": "x"}).root("restricted_imagenet") == "x"


def test_restricted_imagenet_without_a_folder_names_both_fixes(monkeypatch):
    from tradeoff.deep.datasets import open_dataset

    monkeypatch.delenv("TRADEOFF_IMAGENET_ROOT", raising=False)
    with pytest.raises(ValueError, match=r"data_root.*\$TRADEOFF_IMAGENET_ROOT"):
        open_dataset("restricted_imagenet", "val")


@pytest.mark.parametrize("name,dataset", [("restricted_imagenet_linf", "restricted_imagenet"),
                                          ("cifar10_linf_8", "cifar10")])
def test_paper_example_configs_state_the_setup_reproduce_runs(name, dataset):
    """deep/configs/NAME.toml and `deep reproduce --scale paper` state the same training set-up (for Restricted
    ImageNet the authors': Nesterov SGD, PGD-8 of ε/4), and the report's defaults table prints it."""
    from tradeoff.deep.config_toml import load_config
    from tradeoff.deep.experiments.engine import train_config

    toml = load_config(name)
    run = next(r for r in S.expand(D.get("fig7", dataset, "paper"))
               if r.norm == "inf" and r.eps_train == pytest.approx(toml.adv.eps))
    cfg = train_config(run)
    for f in ("model", "width", "batch_size", "optimizer", "lr", "momentum", "nesterov", "weight_decay", "schedule",
              "milestones", "epochs"):
        assert getattr(cfg, f) == getattr(toml, f), f
    assert cfg.adv.steps == toml.adv.steps
    assert cfg.adv.resolved_step_size() == pytest.approx(toml.adv.resolved_step_size())
    assert (cfg.eval.steps, cfg.eval.restarts) == (toml.eval.steps, toml.eval.restarts)


def test_restricted_imagenet_paper_setup_in_the_report():
    from tradeoff.reports.defaults import restricted_imagenet_rows

    run = next(r for r in S.expand(D.get("fig7", "restricted_imagenet", "paper")) if r.norm == "inf")
    assert (run.config.adv.steps, run.config.adv.step_fraction) == (8, 0.25)
    training, pgd = (d.restricted_imagenet for d in restricted_imagenet_rows("paper")[:2])
    assert "Nesterov 0.9" in training and "30/60/85/95/105" in training and "110 epochs" in training
    assert pgd.startswith("ℓ∞: 8 steps of ε/4; ℓ2: 8 steps of ε/4")


def test_the_report_prints_the_setups_reproduce_runs():
    """reports/defaults.py prints, for each scale, the values of the templates `deep reproduce --scale` trains."""
    from tradeoff.reports.defaults import scale_rows

    for scale in ("quick", "paper"):
        rows = {(d.experiment, d.setting): d for d in scale_rows(scale)}
        where = "deep" if scale == "paper" else "deep (quick)"
        t = D.get("fig7", "mnist", scale).template
        training = rows[(where, "training")].mnist
        assert f"width {t.width}" in training and f"batch {t.batch_size}" in training and f"lr {t.lr:g}" in training
        ev = rows[(where, "evaluation")].mnist
        assert f"{t.eval.steps} steps × {t.eval.restarts} restart" in ev
        sizes = rows[(f"{where} (Fig. 1, 6)", "training-set sizes")]
        assert sizes.mnist == ", ".join(str(n) for n in D.get("fig6", "mnist", scale).n_train)
