"""The TRADES loss: beta = 0 is standard training, the adversary stays in the threat model and raises the KL term."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tradeoff.deep.attacks import kl_per_example
from tradeoff.deep.trades import trades_adversary, trades_loss


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 3))


def _batch():
    g = torch.Generator().manual_seed(1)
    return torch.rand(8, 1, 3, 4, generator=g), torch.randint(0, 3, (8,), generator=g)


def test_beta_zero_is_cross_entropy_with_the_same_gradient():
    m, (x, y) = _model(), _batch()
    loss = trades_loss(m, x, y, 0.0, 0.3)
    ref = F.cross_entropy(m(x), y)
    assert torch.equal(loss, ref)
    g1 = torch.autograd.grad(loss, list(m.parameters()))
    g2 = torch.autograd.grad(F.cross_entropy(m(x), y), list(m.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(g1, g2))


def test_kl_is_nonnegative_and_zero_for_equal_logits():
    a = torch.randn(5, 4)
    assert torch.allclose(kl_per_example(a, a), torch.zeros(5), atol=1e-6)
    assert bool((kl_per_example(a, torch.randn(5, 4)) >= 0).all())


@pytest.mark.parametrize("norm,eps", [("inf", 0.1), ("2", 0.5)])
def test_adversary_stays_in_ball_and_box_and_raises_the_kl(norm, eps):
    m, (x, _) = _model(), _batch()
    x_adv = trades_adversary(m, x, eps, norm, steps=20, generator=torch.Generator().manual_seed(2))
    d = (x_adv - x).flatten(1)
    size = d.abs().amax(1) if norm == "inf" else d.norm(dim=1)
    assert bool((size <= eps * (1 + 1e-6)).all()) and float(x_adv.min()) >= 0 and float(x_adv.max()) <= 1
    with torch.no_grad():
        clean = m(x)
        start = trades_adversary(m, x, eps, norm, steps=0, generator=torch.Generator().manual_seed(2))
        assert kl_per_example(clean, m(x_adv)).sum() > kl_per_example(clean, m(start)).sum()


def test_loss_grows_with_beta_and_is_differentiable():
    m, (x, y) = _model(), _batch()
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    l1, l6 = trades_loss(m, x, y, 1.0, 0.2, generator=g()), trades_loss(m, x, y, 6.0, 0.2, generator=g())
    assert float(l6.detach()) >= float(l1.detach()) >= float(F.cross_entropy(m(x), y).detach())
    l6.backward()
    assert all(p.grad is not None and math.isfinite(float(p.grad.abs().sum())) for p in m.parameters())
    with pytest.raises(ValueError, match="beta"):
        trades_loss(m, x, y, -1.0, 0.2)
