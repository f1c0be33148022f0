"""The precision policy (deep.device): chosen from the hardware, bf16 numbers checked against float32.

Tolerances are stated in bf16's unit roundoff u = 2^-8 (8 significand bits): a bf16 forward pass rounds every
activation and weight to a relative error of at most u, so losses and gradients agree to a few u while the
argmax of a float32 forward pass decides every accuracy.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from tradeoff.data.toy import toy_data
from tradeoff.deep import device as P
from tradeoff.deep.attacks import PGD
from tradeoff.deep.attacks.correctness import correct_under_attack
from tradeoff.deep.config import AdvConfig, EvalConfig, TrainConfig
from tradeoff.deep.evaluate import evaluate
from tradeoff.deep.train import TrainOptions, train_runs

U = 2.0**-8  # bf16's unit roundoff
BF16 = P.Precision(torch.bfloat16, True, "cpu", "test", "bf16 autocast (forced for the test)")


# ---------------------------------------------------------------------- the policy
def test_the_policy_follows_the_cpu_and_says_once_when_it_falls_back(monkeypatch, capsys):
    monkeypatch.setattr(P, "_onednn_bf16", lambda: True)
    monkeypatch.setattr(P, "_said", set())
    for flags, units in ((set(), None), ({"avx512_bf16"}, "AVX512-BF16"), ({"avx512_bf16", "amx_bf16"}, "AMX-BF16")):
        monkeypatch.setattr(P, "_cpu_flags", lambda flags=flags: frozenset(flags))
        assert P.bf16_units("cpu") == units
        pol = P.resolve_precision("cpu", amp=True, channels_last=True)
        assert (pol.name, pol.units, pol.channels_last) == (("bf16", units, True) if units else ("fp32", None, True))
        assert pol.describe()["precision"] == pol.name
    err = capsys.readouterr().err
    assert err.count("no bf16 matrix instructions") == 1  # said once, however often the policy is resolved
    P.resolve_precision("cpu", amp=True)
    assert "no bf16" not in capsys.readouterr().err
    # asked for float32, or a oneDNN build that cannot run bf16 here: float32
    assert P.resolve_precision("cpu", amp=False, channels_last=False).name == "fp32"
    monkeypatch.setattr(P, "_onednn_bf16", lambda: False)
    assert P.bf16_units("cpu") is None
    assert [P.parse_precision(t) for t in ("auto", "BF16", "fp32")] == [True, True, False]
    with pytest.raises(ValueError, match="--precision 'fp16' is unknown"):
        P.parse_precision("fp16")


def test_the_policy_changes_layout_not_values():
    x = torch.rand(3, 2, 5, 5)
    y = BF16.inputs(x)
    assert y.is_contiguous(memory_format=torch.channels_last) and torch.equal(x, y)
    assert P.fp32_on("cpu").inputs(x) is x and BF16.inputs(torch.rand(4, 3)).is_contiguous()
    with BF16.autocast():
        assert (nn.Linear(3, 2)(torch.rand(4, 3))).dtype == torch.bfloat16
    with P.fp32_on("cpu").autocast():
        assert (nn.Linear(3, 2)(torch.rand(4, 3))).dtype == torch.float32


# ---------------------------------------------------------------------- every count in float32
class _Spy(nn.Module):
    """A small classifier that records, per forward pass, whether autocast was on and the input's dtype."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
        self.calls: list[bool] = []

    def forward(self, x):
        self.calls.append(torch.is_autocast_enabled("cpu"))
        return self.net(x)


def test_adversarial_examples_found_in_bf16_are_counted_by_a_float32_forward_pass():
    model = _Spy()
    x, y = torch.rand(10, 1, 8, 8), torch.randint(0, 3, (10,))
    attack = PGD(0.2, 0.05, 3, "inf", random_start=False, track_best=False)
    got = correct_under_attack(model, x, y, attack, batch_size=5, precision=BF16)
    # per batch: 3 attack steps under autocast, then one count without it
    assert model.calls == [True, True, True, False] * 2
    x_adv = PGD(0.2, 0.05, 3, "inf", random_start=False, track_best=False)
    with torch.no_grad():
        ref = []
        for xb, yb in zip(x.split(5), y.split(5)):
            with BF16.autocast():
                adv = x_adv(model, xb, yb)
            ref.append(model.net(adv.float()).argmax(1) == yb)  # the float32 prediction of the bf16 example
    assert torch.equal(got, torch.cat(ref))
    res = evaluate(model, x, y, [0.0, 0.2], "inf", "pgd", steps=3, precision=BF16)
    assert res.summary()["precision"]["precision"] == "bf16" and res.precision["channels_last"]
    assert evaluate(model, x, y, [0.0]).precision["precision"] == "fp32"


# ---------------------------------------------------------------------- bf16 against float32 on trained models
def _cfg(seed: int, amp: bool) -> TrainConfig:
    return TrainConfig(name=f"s{seed}-{'bf16' if amp else 'fp32'}", dataset="toy", model="mnist_cnn", width=8,
                       epochs=2, batch_size=50, lr=3e-3, device="cpu", amp=amp, seed=seed, progress=False,
                       adv=AdvConfig(norm="inf", eps=0.1, steps=5),
                       eval=EvalConfig(n_epoch=200, n_final=1000, steps=10, every=0))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Four seeds of one ℓ∞ recipe on the toy data, trained in float32 and in bf16 (populations of 4)."""
    root = tmp_path_factory.mktemp("precision")
    data = [(toy_data("train"), toy_data("test"))] * 4
    out = {}
    with pytest.MonkeyPatch.context() as mp:  # bf16 even on a CPU without bf16 instructions (emulated, slower)
        mp.setattr(P, "bf16_units", lambda device="cpu": "forced for the test")
        for amp in (False, True):
            cfgs = [_cfg(s, amp) for s in range(4)]
            out[amp] = train_runs(cfgs, [root / c.name for c in cfgs], TrainOptions(progress=False, data=data))
            assert {r.summary["precision"]["precision"] for r in out[amp]} == {"bf16" if amp else "fp32"}
    return out


@pytest.mark.slow
def test_a_bf16_attack_is_as_strong_as_a_float32_one(trained):
    """Robust accuracy of the float32-trained seed-0 model under PGD-20 and the default ensemble, attacks in bf16
    and in float32: both are binomial estimates on n = 1000 points, so they must agree within three standard
    deviations of their difference, 3·sqrt(2·p(1−p)/n) (about 0.067 at p = 0.45)."""
    model = trained[False][0].extra["population"].member_model(0)
    x, y = toy_data("test")
    for attack in ("pgd", "default"):
        for eps in (0.1, 0.15):
            a32 = evaluate(model, x, y, [eps], "inf", attack, steps=20, seed=0).accuracy[eps]
            a16 = evaluate(model, x, y, [eps], "inf", attack, steps=20, seed=0, precision=BF16).accuracy[eps]
            p = (a32 + a16) / 2
            assert abs(a16 - a32) <= 3 * math.sqrt(2 * p * (1 - p) / len(y)) + 1e-12, (attack, eps, a16, a32)


def test_bf16_losses_and_input_gradients_agree_with_float32(trained):
    """On a trained model: the mean cross-entropy within 2u (relative), every example's loss within 8u·(1 + loss),
    and the input gradients' cosine similarity median ≥ 1 − 2u and 5th percentile ≥ 1 − 16u."""
    model = trained[False][0].extra["population"].member_model(0).eval()
    x, y = toy_data("test")

    def loss_and_grad(policy):
        xx = policy.inputs(x.clone()).requires_grad_(True)
        policy.model(model)
        with policy.autocast():
            out = model(xx)
        loss = F.cross_entropy(out.float(), y, reduction="none")
        (g,) = torch.autograd.grad(loss.sum(), xx)
        return loss.detach(), g.flatten(1)

    l32, g32 = loss_and_grad(P.fp32_on("cpu"))
    l16, g16 = loss_and_grad(BF16)
    assert abs(l16.mean() - l32.mean()) <= 2 * U * l32.mean()
    assert ((l16 - l32).abs() <= 8 * U * (1 + l32)).all()
    cos = F.cosine_similarity(g16, g32, dim=1)
    assert cos.median() >= 1 - 2 * U and cos.quantile(0.05) >= 1 - 16 * U


@pytest.mark.slow
def test_training_in_bf16_changes_accuracy_no_more_than_seed_noise(trained):
    """Standard and robust accuracy of four seeds trained in bf16 and in float32: the two means differ by less than
    two standard errors of a difference of two 4-seed means, 2·s·sqrt(2/4) with s the float32 runs' seed-to-seed
    s.d. — no systematic effect of the precision beyond what a change of seed does (on this unconverged 2-epoch
    recipe a bf16 run moves about as far from its float32 twin as another seed does; docs/experiments.md,
    "Precision", measures the same on MNIST)."""
    def accs(runs, j):
        return [(r.summary["standard_acc"], next(iter(r.summary["robust_acc"].values())))[j] for r in runs]

    for j in (0, 1):
        f32, b16 = accs(trained[False], j), accs(trained[True], j)
        m = sum(f32) / len(f32)
        sd = math.sqrt(sum((a - m) ** 2 for a in f32) / (len(f32) - 1))
        assert abs(sum(b16) / len(b16) - m) <= 2 * sd * math.sqrt(2 / len(f32)), (j, b16, f32)
