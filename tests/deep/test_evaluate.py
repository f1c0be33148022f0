"""deep.evaluate.evaluate: several ε in one call, ε = 0 is clean accuracy, and on linear models (where the exact
robust accuracy is known in closed form) PGD's number is exact."""

import pytest
import torch
from torch import nn

from tests.deep.test_attacks import linear_model
from tradeoff.deep.attacks import PGD, default_step_size
from tradeoff.deep.attacks.correctness import correct_under_attack
from tradeoff.deep.device import Precision
from tradeoff.deep.evaluate import evaluate

torch.set_num_threads(1)


def robust_accuracy(*args, **kwargs) -> dict[float, float]:
    """``{eps: accuracy}`` of :func:`evaluate`."""
    return evaluate(*args, **kwargs).accuracy


def exact_binary_robust_accuracy(model, x, y, eps, dual, slack=0.0):
    """A 2-class linear model is robust at x iff margin(x) > ε‖w_y − w_o‖_dual (box inactive); with
    ``slack`` > 0, the fraction with margin > threshold − slack (points PGD may leave unbroken by a hair)."""
    lin = model[1]
    xf = x.flatten(1)
    dw = lin.weight[y] - lin.weight[1 - y]
    margin = (dw * xf).sum(1) + lin.bias[y] - lin.bias[1 - y]
    return int((margin > eps * torch.linalg.vector_norm(dw, ord=dual, dim=1) - slack).sum()) / x.shape[0]


@pytest.mark.parametrize("norm,dual,eps_list", [("inf", 1, [0.0, 0.01, 0.03, 0.06]), ("2", 2, [0.0, 0.1, 0.2])])
@pytest.mark.parametrize("random_start", [False, True])
def test_robust_accuracy_is_exact_on_a_binary_linear_model(norm, dual, eps_list, random_start):
    """ℓ∞ PGD with sign steps reaches the optimal corner exactly, and so does ℓ2 PGD started at x (its steps
    all point along w_o − w_y). From a random start, ℓ2 PGD with step 2.5ε/steps only converges in angle
    (factor ≈ ε/(ε + step) per step), so points within 1e-2 of the threshold margin may stay unbroken."""
    slack = 1e-2 if (norm == "2" and random_start) else 0.0
    torch.manual_seed(0)
    model = linear_model(2 * 3 * 3, 2)
    with torch.no_grad():  # decision boundary through the centre of the data, so margins are comparable to ε
        model[1].bias.copy_(-model[1].weight.sum(1) * 0.5)
    x = 0.35 + 0.3 * torch.rand(300, 2, 3, 3)  # box inactive for these ε
    y = model(x).argmax(1)
    y[:30] = 1 - y[:30]  # some clean mistakes too
    got = robust_accuracy(model, x, y, eps_list, norm=norm, steps=20, batch_size=64, random_start=random_start)
    assert list(got) == eps_list
    for eps in eps_list:
        exact = exact_binary_robust_accuracy(model, x, y, eps, dual)
        assert exact <= got[eps] <= exact_binary_robust_accuracy(model, x, y, eps, dual, slack)
    values = [got[e] for e in eps_list]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]


def test_eps_zero_is_clean_accuracy_and_batching_does_not_matter():
    torch.manual_seed(1)
    model = linear_model(10, 4)
    x, y = torch.rand(37, 10), torch.randint(0, 4, (37,))
    clean = int((model(x).argmax(1) == y).sum()) / 37
    a = robust_accuracy(model, x, y, [0, 0.05], steps=5, batch_size=5, random_start=False)
    b = robust_accuracy(model, x, y, [0, 0.05], steps=5, batch_size=100, random_start=False)
    assert a[0.0] == pytest.approx(clean) and a == b
    assert a[0.05] <= a[0.0]


def test_correct_under_attack_is_per_point_and_restores_train_mode():
    model = nn.Sequential(nn.Flatten(), nn.Linear(8, 3), nn.Dropout(0.9))
    model.train()
    x, y = torch.rand(12, 8), torch.randint(0, 3, (12,))
    c = correct_under_attack(model, x, y, PGD(0.1, 0.05, 2), batch_size=5)
    assert c.dtype == torch.bool and c.shape == (12,) and c.device.type == "cpu"
    # eval mode: dropout off, so the clean prediction is deterministic
    c1 = correct_under_attack(model, x, y, None)
    c2 = correct_under_attack(model, x, y, None)
    assert torch.equal(c1, c2) and model.training


def test_seeded_evaluation_is_reproducible_and_bf16_autocast_runs():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 3))
    x, y = torch.rand(20, 1, 6, 6), torch.randint(0, 3, (20,))
    r1 = robust_accuracy(model, x, y, [0.1], steps=3, seed=5)
    r2 = robust_accuracy(model, x, y, [0.1], steps=3, seed=5)
    assert r1 == r2
    bf16 = Precision(torch.bfloat16, True, "cpu", "test", "bf16 autocast")
    r3 = robust_accuracy(model, x, y, [0, 0.1], steps=3, precision=bf16)
    assert 0.0 <= r3[0.1] <= r3[0.0] <= 1.0


def test_unbounded_eps_gets_a_finite_default_step():
    assert default_step_size(float("inf"), 10, "inf", 784) == pytest.approx(0.25)
    assert default_step_size(100.0, 10, "2", 16) == pytest.approx(1.0)
    model = linear_model(16, 3)
    x = torch.rand(20, 16)
    y = model(x).argmax(1)
    # the whole [0, 1] box (l_inf eps 1) fools every point; an eps beyond the box means nothing and is refused
    assert robust_accuracy(model, x, y, [1.0], steps=50, random_start=False)[1.0] == 0.0
    for e in (float("inf"), 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"eps must be a number in \[0, 1\]"):
            robust_accuracy(model, x, y, [e], steps=2)


def test_bad_arguments_give_clear_errors():
    model = linear_model(4, 2)
    x, y = torch.rand(3, 4), torch.randint(0, 2, (3,))
    with pytest.raises(ValueError, match="eps is empty"):
        robust_accuracy(model, x, y, [])
    with pytest.raises(ValueError, match=r"eps must be a number in \[0, 1\].*got -0.1"):
        robust_accuracy(model, x, y, [-0.1])
    with pytest.raises(ValueError, match="batch_size"):
        robust_accuracy(model, x, y, [0.0], batch_size=0)
    with pytest.raises(ValueError, match="pixels in"):
        robust_accuracy(model, x * 255, y, [0.1])
