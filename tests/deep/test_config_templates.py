"""The TrainConfig fields experiment templates use (epoch rule, ε warm-up fraction, PGD step as a fraction of ε,
multi-norm evaluation, evaluation attack): TOML round trip, one-line errors, and what the trainer does with them."""

from __future__ import annotations

import math

import pytest
import torch

from tradeoff.deep.config import AdvConfig, EvalConfig, TrainConfig
from tradeoff.deep.config_toml import dumps_config, loads_config
from tradeoff.deep.population import Population
from tradeoff.deep.train import train_runs

torch.set_num_threads(1)


def test_template_fields_round_trip_through_toml():
    cfg = TrainConfig(name="t", dataset="mnist", epochs=2, min_steps=60, max_epochs=30,
                      adv=AdvConfig(eps=0.3, step_fraction=0.25, eps_warmup=1 / 3, steps=10),
                      eval=EvalConfig(norms=["inf", "2"], eps=[0.3, 2.0], every=0, attack="ensemble",
                                      standard_full_test=True)).validate()
    back = loads_config(dumps_config(cfg))
    assert back == cfg and back.fingerprint() == cfg.fingerprint()
    assert back.eval.radii() == [("inf", 0.3), ("2", 2.0)] and back.eval.eps_in("2") == 2.0
    # TOML numbers for norms are read as norm names, as for eval.norm
    again = loads_config('[eval]\nnorms = ["inf", 2]\neps = [0.3, 2.0]\nevery = 0')
    assert again.eval.norms == ["inf", "2"]


@pytest.mark.parametrize("text,needle", [
    ("[adv]\neps = 0.1\neps_warmup = 1.5", "'adv.eps_warmup' = 1.5 is invalid: allowed a fraction of the epochs"),
    ("[adv]\neps = 0.1\nstep_size = 0.01\nstep_fraction = 0.25", "'adv.step_fraction'"),
    ("[adv]\neps_warmup_epochs = 6.0", "renamed: write adv.eps_warmup = FRACTION"),
    ('[eval]\nnorms = ["inf", "2"]\neps = [0.3]\nevery = 0', "one norm per radius"),
    ('[eval]\nnorms = ["inf"]\neps = [0.3]', "'eval.every' = 1 is invalid: allowed 0 with eval.norms"),
    ('[eval]\nnorms = ["1"]\neps = [0.3]\nevery = 0', "'eval.norms[0]'"),
    ('[eval]\nattack = "autoattack"', "'eval.attack' = 'autoattack' is invalid: allowed one of 'pgd', 'ensemble'"),
    ("image_size = 64", "'image_size' = 64 is invalid"),
    ("min_steps = -1", "'min_steps'"),
])
def test_bad_template_fields_are_one_line_errors(text, needle):
    with pytest.raises(ValueError) as info:
        loads_config(text)
    msg = str(info.value)
    assert "\n" not in msg and needle in msg, msg


def test_the_epoch_rule():
    """epochs = max(epochs, ceil(min_steps · batch / n)) capped at max_epochs; n_train None: the dataset's size."""
    t = TrainConfig(dataset="mnist", epochs=2, min_steps=60, max_epochs=30, batch_size=32)
    for n, want in ((100, 20), (500, 4), (2000, 2), (10, 30)):
        r = t.replace(n_train=n).resolve_epochs()
        assert r.epochs == want == min(max(2, math.ceil(60 * 32 / n)), 30)
        assert r.min_steps == 0 and r.max_epochs is None and r.resolve_epochs() == r
    assert t.replace(min_steps=3000).resolve_epochs().epochs == 2  # n = 60000 MNIST training images: 2 steps each
    assert t.replace(min_steps=3000, batch_size=100).resolve_epochs().epochs == 5
    with pytest.raises(ValueError, match="min_steps.*needs n_train.*restricted_imagenet"):
        TrainConfig(dataset="restricted_imagenet", model="resnet18", min_steps=10).resolve_epochs()


def _toy(**changes) -> TrainConfig:
    base = TrainConfig(name="t", dataset="toy", model="tiny_cnn", n_train=128, epochs=1, batch_size=64, lr=1e-2,
                       device="cpu", progress=False, adv=AdvConfig(eps=0.1, steps=2),
                       eval=EvalConfig(eps=[0.1], n_epoch=64, n_final=64, steps=3, every=0))
    return base.replace(**changes)


def test_the_trainer_applies_the_epoch_rule_and_the_warmup_fraction(tmp_path):
    cfg = _toy(min_steps=6, max_epochs=2, adv={"eps_warmup": 0.5})  # ceil(6 * 64 / 128) = 3 epochs, capped at 2
    (res,) = train_runs([cfg], [tmp_path / "a"])
    assert res.summary["epochs"] == 2 and len(res.history) == 2
    pop = Population([cfg])
    assert pop.member_eps_at(0, 0.5) == pytest.approx(0.05) and pop.member_eps_at(0, 1.0) == pytest.approx(0.1)


def test_the_trainer_runs_the_ensemble_evaluation_and_refuses_what_only_the_experiment_engine_measures(tmp_path):
    pgd, ens = _toy(), _toy(eval={"attack": "ensemble"})
    a, b = train_runs([pgd, ens], [tmp_path / "pgd", tmp_path / "ens"])
    assert a.summary["standard_acc"] == b.summary["standard_acc"]  # same weights, same points: same clean accuracy
    rob = next(iter(b.summary["robust_acc"].values()))
    assert 0 <= rob <= b.summary["standard_acc"]
    for changes in ({"standard_full_test": True}, {"norms": ["inf", "2"], "eps": [0.1, 0.5]}):
        with pytest.raises(ValueError, match="measured by the experiment engine"):
            train_runs([_toy(eval=changes)], [tmp_path / "x"])
