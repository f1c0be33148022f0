"""Claim 11's gates (deep.experiments.judges) and the paired J1 effect (deep.experiments.claim11) on constructed
judges and examples with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tradeoff.deep.experiments import judges as J
from tradeoff.deep.experiments.claim11 import NOT_RUN, RUN, JudgedAttack, claim11_row


def _onehot(pred, k=10):
    p = np.zeros((len(pred), k))
    p[np.arange(len(pred)), pred] = 1.0
    return p


def _wrong(y, rate, rng):
    """Labels equal to ``y`` except on a ``rate`` fraction (exactly), where they are y + 1 mod 10."""
    pred = y.copy()
    bad = rng.permutation(len(y))[: int(round(rate * len(y)))]
    pred[bad] = (pred[bad] + 1) % 10
    return pred


def test_random_noise_has_the_attack_size_before_clipping():
    x = np.full((50, 1, 28, 28), 0.5, dtype=np.float32)  # ℓ2 ε = 2 moves no pixel by 0.5: nothing is clipped
    d = J.random_noise(x, "inf", 0.3, seed=1) - x
    np.testing.assert_allclose(np.abs(d), 0.3, rtol=1e-6)
    assert abs((d > 0).mean() - 0.5) < 0.05
    d2 = J.random_noise(x, "2", 2.0, seed=1) - x
    np.testing.assert_allclose(np.sqrt((d2.reshape(50, -1) ** 2).sum(1)), 2.0, rtol=1e-5)
    # clipped to [0, 1]; the same seed gives the same noise
    z = J.random_noise(np.zeros((5, 1, 4, 4)), "inf", 0.3, seed=2)
    assert z.min() == 0 and np.isclose(z.max(), 0.3)
    np.testing.assert_array_equal(J.random_noise(x, "2", 1.0, seed=3), J.random_noise(x, "2", 1.0, seed=3))
    with pytest.raises(ValueError, match="norm"):
        J.random_noise(x, "1", 1.0)


def test_clean_and_noise_gates_against_their_thresholds():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 400)
    g = J.clean_gate(_onehot(_wrong(y, 0.04, rng)), y)
    assert g.value == pytest.approx(0.04) and g.passed and g.threshold == 0.05 and g.n == 400
    assert not J.clean_gate(_onehot(_wrong(y, 0.06, rng)), y).passed
    ok = J.noise_gate(_onehot(_wrong(y, 0.085, rng)), y, clean_rate=0.04, norm="inf", eps=0.3)
    bad = J.noise_gate(_onehot(_wrong(y, 0.095, rng)), y, clean_rate=0.04, norm="2", eps=4.0)
    assert ok.passed and ok.threshold == pytest.approx(0.09) and not bad.passed
    assert "sign noise" in ok.rule and "ℓ2" in bad.rule


def test_transfer_and_attack_gates():
    learned = np.r_[np.ones(30), np.zeros(70)].astype(bool)
    j1 = np.r_[np.ones(15), np.zeros(85)].astype(bool)
    g = J.transfer_gate(learned, j1)
    assert g.value == pytest.approx(0.15) and not g.passed
    assert J.transfer_gate(j1, j1).passed
    a = J.attack_gate(np.zeros(100, int), np.r_[np.ones(80), np.zeros(20)].astype(int))
    assert a.value == pytest.approx(0.8) and a.passed and a.at_least
    assert not J.attack_gate(np.zeros(100, int), np.r_[np.ones(79), np.zeros(21)].astype(int)).passed


def test_judge_validity_and_who_decides():
    rng = np.random.default_rng(1)
    x = rng.random((200, 1, 4, 4)).astype(np.float32)
    y = rng.integers(0, 10, 200)

    def perfect_on_clean(images):  # right on the clean images, wrong on anything else
        same = np.all(np.isclose(images, x), axis=(1, 2, 3))
        return _onehot(np.where(same, y, (y + 1) % 10))

    v = J.judge_validity("toy", perfect_on_clean, x, y, [("inf", 0.3), ("2", 1.0)])
    assert v.clean.passed and v.clean.value == 0.0
    assert not v.noise["inf"].passed and v.noise["inf"].value == 1.0
    assert not v.decides("inf") and not v.decides("1")
    good = J.JudgeValidity("j1", False, v.clean, {"2": J.noise_gate(_onehot(y), y, 0.0, "2", 1.0)})
    assert good.decides("2")
    learned = J.JudgeValidity("cnn", True, v.clean, dict(good.noise))
    assert not learned.decides("2")  # a learned judge needs its transfer gate
    learned.transfer["2"] = J.transfer_gate(np.zeros(10, bool), np.zeros(10, bool))
    assert learned.decides("2") and learned.as_dict()["decides"] == {"2": True}


def test_model_judge_is_the_softmax_of_the_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 10))
    x = np.random.default_rng(2).random((7, 1, 4, 4)).astype(np.float32)
    p = J.model_judge(model)(x)
    with torch.no_grad():
        ref = torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()
    np.testing.assert_allclose(p, ref, rtol=1e-5)


def _attacks(model, seeds, y, other_rate, changed, rng, norm="2", eps=4.0):
    out = []
    for s in seeds:
        adv = np.where(rng.random(len(y)) < changed, (y + 3) % 10, y)
        out.append(JudgedAttack(model, s, norm, eps, y, y.copy(), adv, _onehot(_wrong(y, other_rate, rng))))
    return out


def _valid(norm="2"):
    clean = J.Gate("clean", 0.03, 0.05, True, "", 100)
    return J.JudgeValidity("J1", False, clean, {norm: J.Gate(f"noise_{norm}", 0.04, 0.08, True, "", 100)})


def test_claim11_row_paired_over_seeds_and_images():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 10, 300)
    rob = _attacks("l2", [0, 1, 2], y, 0.5, 0.95, rng)
    std = _attacks("standard", [0, 1, 2, 3], y, 0.2, 1.0, rng)  # seed 3 has no robust partner: left out
    row = claim11_row(rob, std, _valid())
    assert row.status == RUN and row.seeds == [0, 1, 2] and row.n_images == 300
    assert row.robust_rate["estimate"] == pytest.approx(0.5) and row.standard_rate["estimate"] == pytest.approx(0.2)
    assert row.effect.estimate == pytest.approx(0.3) and row.effect.low > 0.2 and row.effect.n_seeds == 3
    assert row.attack.passed and row.verdict_inputs()["estimate"] == pytest.approx(0.3)
    assert row.as_dict()["robust_minus_standard"]["n_seeds"] == 3


def test_claim11_row_not_run_when_a_gate_fails():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 10, 200)
    weak = claim11_row(_attacks("l2", [0, 1], y, 0.5, 0.3, rng), _attacks("standard", [0, 1], y, 0.2, 1.0, rng),
                       _valid())
    assert weak.status == NOT_RUN and "attack gate" in weak.reason and weak.verdict_inputs() is None
    bad = J.JudgeValidity("J1", False, J.Gate("clean", 0.2, 0.05, False, "", 100), _valid().noise)
    judged = claim11_row(_attacks("l2", [0], y, 0.5, 1.0, rng), _attacks("standard", [0], y, 0.2, 1.0, rng), bad)
    assert judged.status == NOT_RUN and "clean" in judged.reason
    assert claim11_row(_attacks("l2", [0], y, 0.5, 1.0, rng), _attacks("standard", [0], y, 0.2, 1.0, rng),
                       None).status == NOT_RUN


def test_claim11_row_refuses_other_images_or_attacks():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 10, 50)
    with pytest.raises(ValueError, match="other images"):
        claim11_row(_attacks("l2", [0], y, 0.5, 1.0, rng), _attacks("standard", [0], (y + 1) % 10, 0.2, 1.0, rng),
                    _valid())
    with pytest.raises(ValueError, match="attack"):
        claim11_row(_attacks("l2", [0], y, 0.5, 1.0, rng), _attacks("standard", [0], y, 0.2, 1.0, rng, eps=3.0),
                    _valid())
    with pytest.raises(ValueError, match="no seed"):
        claim11_row(_attacks("l2", [0], y, 0.5, 1.0, rng), _attacks("standard", [1], y, 0.2, 1.0, rng), _valid())


def test_agreement_with_the_attacked_models_new_class():
    y = np.zeros(4, int)
    judged = JudgedAttack("l2", 0, "2", 4.0, y, y, np.array([3, 3, 5, 0]), _onehot(np.array([3, 5, 5, 0])))
    np.testing.assert_array_equal(judged.agrees, [True, False, True, False])
    np.testing.assert_array_equal(judged.other, [True, True, True, False])
