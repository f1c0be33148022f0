"""APGD and the losses it uses: checkpoints as in the paper, every iterate in ball ∩ box, the margin/DLR losses'
defining properties (sign, invariances, binary fallback), the exact optimum on linear models, conventions shared
with PGD (eval mode restored, seeds, autocast), and the ensemble's AutoAttack order and bookkeeping."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tests.deep.test_attacks import assert_in_threat_model, linear_model
from tradeoff.deep.attacks import (
    APGD,
    AttackSpec,
    Ensemble,
    apgd_checkpoints,
    dlr_loss_per_example,
    margin_like_loss,
    margin_loss_per_example,
    resolve_ensemble,
    targeted_dlr_loss,
    targeted_margin_loss,
)
from tradeoff.deep.attacks.losses import targeted_margin_like_loss
from tradeoff.deep.evaluate import evaluate

torch.set_num_threads(1)


def test_checkpoints_follow_the_papers_rule():
    # p = 0, 0.22, 0.41, 0.57, 0.70, 0.80, 0.87, 0.93, 0.99 (p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06))
    assert apgd_checkpoints(100) == [22, 41, 57, 70, 80, 87, 93, 99]
    for n in (1, 5, 17, 1000):
        w = apgd_checkpoints(n)
        assert w == sorted(set(w)) and 0 < w[0] and w[-1] <= n


def test_losses_signs_invariances_and_class_count_limits():
    torch.manual_seed(0)
    z = torch.randn(50, 5)
    y = torch.randint(0, 5, (50,))
    wrong = z.argmax(1) != y
    assert torch.equal(margin_loss_per_example(z, y) > 0, wrong)
    d = dlr_loss_per_example(z, y)
    assert torch.equal(d > 0, wrong)
    # DLR is invariant to shifting and positively rescaling the logits
    assert torch.allclose(dlr_loss_per_example(3.0 * z + 7.0, y), d, atol=1e-5)
    t = (y + 1) % 5
    td = targeted_dlr_loss(z, y, t)
    assert torch.equal(td > 0, z.gather(1, t[:, None])[:, 0] > z.gather(1, y[:, None])[:, 0])
    assert torch.allclose(targeted_dlr_loss(2.0 * z - 1.0, y, t), td, atol=1e-5)
    with pytest.raises(ValueError, match="DLR loss needs >= 3 classes"):
        dlr_loss_per_example(z[:, :2], y.clamp(max=1))
    with pytest.raises(ValueError, match="targeted DLR loss needs >= 4 classes"):
        targeted_dlr_loss(z[:, :3], y.clamp(max=2), t.clamp(max=2))
    # the automatic choice falls back to the logit margin where DLR is undefined
    assert margin_like_loss(2) is margin_loss_per_example and margin_like_loss(3) is dlr_loss_per_example
    assert targeted_margin_like_loss(3) is targeted_margin_loss and targeted_margin_like_loss(4) is targeted_dlr_loss
    # binary: the targeted margin towards the other class is the untargeted margin
    y2 = torch.randint(0, 2, (50,))
    assert torch.allclose(targeted_margin_loss(z[:, :2], y2, 1 - y2), margin_loss_per_example(z[:, :2], y2))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 4), d=st.integers(1, 12), norm=st.sampled_from(["inf", "2"]),
       eps=st.one_of(st.floats(0.0, 3.0), st.just(math.inf)), steps=st.integers(1, 12), n_classes=st.integers(2, 5),
       loss=st.sampled_from(["ce", "margin", "targeted"]), seed=st.integers(0, 1000))
def test_every_apgd_iterate_stays_in_ball_and_box(n, d, norm, eps, steps, n_classes, loss, seed):
    torch.manual_seed(seed)
    x = torch.rand(n, 1, 1, d)
    y = torch.randint(0, n_classes, (n,))
    model = linear_model(d, n_classes, seed)
    seen = []
    real_model_forward = model.forward

    def spy(inp):
        seen.append(inp.detach().clone())
        return real_model_forward(inp)

    model.forward = spy
    targets = 2 if loss == "targeted" else 0
    atk = APGD(eps, steps, norm, "ce" if loss == "ce" else "margin", targets=targets, seed=seed)
    x_adv = atk(model, x, y)
    assert x_adv.shape == x.shape and x_adv.dtype == x.dtype
    eps_eff = eps if math.isfinite(eps) else float("inf")
    for cand in [*seen, x_adv]:  # every point the model was queried at, and the answer
        assert_in_threat_model(cand, x, eps_eff if math.isfinite(eps_eff) else 1e9, norm)


@pytest.mark.parametrize("norm,dual", [("inf", 1), ("2", 2)])
@pytest.mark.parametrize("loss", ["ce", "margin"])
def test_apgd_reaches_the_exact_worst_case_of_a_linear_two_class_model(norm, dual, loss):
    """For a 2-class linear model without active box, the robust points are exactly those with
    margin > ε‖w_y − w_o‖_dual; APGD (parameter-free: no step size to tune) must break all the others."""
    torch.manual_seed(0)
    model = linear_model(2 * 3 * 3, 2)
    with torch.no_grad():
        model[1].bias.copy_(-model[1].weight.sum(1) * 0.5)
    x = 0.35 + 0.3 * torch.rand(300, 2, 3, 3)
    with torch.no_grad():
        y = model(x).argmax(1)
    eps = 0.03 if norm == "inf" else 0.15
    lin = model[1]
    dw = lin.weight[y] - lin.weight[1 - y]
    margin = (dw * x.flatten(1)).sum(1) + lin.bias[y] - lin.bias[1 - y]
    robust_exact = margin > eps * torch.linalg.vector_norm(dw, ord=dual, dim=1)
    x_adv = APGD(eps, 50, norm, loss, seed=0)(model, x, y)
    with torch.no_grad():
        robust = model(x_adv).argmax(1) == y
    assert torch.equal(robust, robust_exact.detach())


def test_apgd_is_at_least_as_strong_as_pgd_on_a_trained_model_and_targeted_helps():
    from bench._digits import digits, trained_digits_cnn

    model = trained_digits_cnn(None, 0.1)
    _, _, x, y = digits(None)
    x, y = x[:150], y[:150]
    r = {a: evaluate(model, x, y, [0.12], attack=a, steps=30).accuracy[0.12]
         for a in ("pgd", "apgd-ce", "apgd-t", "default")}
    # the ensemble's per-example worst case is never above any of its members
    assert r["default"] <= min(r["apgd-ce"], r["apgd-t"])
    assert r["apgd-ce"] <= r["pgd"] + 2 / 150  # same budget: APGD no weaker (up to a point or two of noise)
    assert r["default"] < r["pgd"]


def test_apgd_restores_modes_is_seeded_and_works_under_bf16_autocast():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 4))
    model.train()
    model[3].eval()
    x, y = torch.rand(10, 1, 4, 4), torch.randint(0, 4, (10,))
    a = APGD(0.1, 8, "inf", "margin", targets=2, seed=3)
    r1, r2 = a(model, x, y), a(model, x, y)
    assert torch.equal(r1, r2)
    assert model.training and model[2].training and not model[3].training
    with torch.autocast("cpu", dtype=torch.bfloat16):
        r3 = APGD(0.1, 5, "2", seed=0)(model, x, y)
    assert r3.dtype == torch.float32
    assert_in_threat_model(r3, x, 0.1, "2")


def test_bad_apgd_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="unknown APGD loss"):
        APGD(0.1, 10, loss="dlr2")
    with pytest.raises(ValueError, match="targeted APGD"):
        APGD(0.1, 10, loss="ce", targets=3)
    with pytest.raises(ValueError, match="steps must be"):
        APGD(0.1, 0)
    with pytest.raises(ValueError, match="unknown attack"):
        resolve_ensemble("autoattack-lite")
    with pytest.raises(ValueError, match="APGD has no step size"):
        AttackSpec("apgd", step_size=0.1)


def test_ensemble_runs_later_attacks_only_on_points_still_robust_and_reports_cost():
    from bench._digits import digits, trained_digits_cnn

    model = trained_digits_cnn(None, 0.0)
    _, _, x, y = digits(None)
    x, y = x[:80], y[:80]
    ens = Ensemble("two", (AttackSpec("pgd", steps=5), AttackSpec("apgd", "ce", steps=5)))
    res = evaluate(model, x, y, [0.0, 0.05], attack=ens)
    clean, adv = res.correct[0.0], res.correct[0.05]
    first, second = res.cost[0.05]
    assert first.label == "pgd-5" and second.label == "apgd-ce"
    assert first.attacked == int(clean.sum())  # clean mistakes are never attacked
    assert second.attacked == first.attacked - first.broken  # only survivors of the first attack
    assert int(adv.sum()) == second.attacked - second.broken == round(res.accuracy[0.05] * 80)
    assert first.gradient_evaluations == first.attacked * 5 and second.gradient_evaluations == second.attacked * 6
    assert not (adv & ~clean).any()
    summary = res.summary()
    assert summary["attack"]["name"] == "two" and [a["label"] for a in summary["attack"]["attacks"]] == \
        ["pgd-5", "apgd-ce"]
    assert summary["per_eps"][1]["cost"][0]["attacked"] == first.attacked
    # scaling names the change
    assert evaluate(model, x, y, [0.05], attack="default", steps=3).attack["name"] == "default[steps=3]"
    with pytest.raises(ValueError, match="step_size only applies to PGD"):
        evaluate(model, x, y, [0.05], step_size=0.01)


@pytest.mark.parametrize("eps", [0.5, 2.0, 5.0])
def test_l2_projection_is_the_euclidean_projection_onto_ball_and_box(eps):
    """Compare with a float64 bisection on s in x + clip(s·p, −x, 1 − x) (the KKT form of the projection)."""
    torch.manual_seed(0)
    x = (torch.rand(100, 1, 12, 12) > 0.6).float() * torch.rand(100, 1, 12, 12)  # many pixels at the box faces
    x_adv = x + 0.4 * torch.randn_like(x)
    d, lo, hi = (x_adv - x).double().flatten(1), (-x).double().flatten(1), (1 - x).double().flatten(1)
    s_lo, s_hi = torch.zeros(100, dtype=torch.float64), torch.ones(100, dtype=torch.float64)
    for _ in range(80):
        m = (s_lo + s_hi) / 2
        ok = torch.minimum(torch.maximum(d * m[:, None], lo), hi).norm(dim=1) <= eps
        s_lo, s_hi = torch.where(ok, m, s_lo), torch.where(ok, s_hi, m)
    clipped = torch.minimum(torch.maximum(d, lo), hi)
    best = torch.where((clipped.norm(dim=1) > eps)[:, None], torch.minimum(torch.maximum(d * s_lo[:, None], lo), hi),
                       clipped)
    from tradeoff.deep.attacks import L2Step

    got = (L2Step(eps, 0.1).project(x_adv, x) - x).double().flatten(1)
    assert (got - best).abs().max() < 1e-5
    assert_in_threat_model(x + got.view_as(x).float(), x, eps, "2")
