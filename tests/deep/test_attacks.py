"""Attacks: projections and random starts stay in ball ∩ box, random starts are uniform, PGD reaches the
known optimum on linear models, eval mode is restored, best-iterate tracking picks what it says."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from torch import nn

from tradeoff.deep.attacks import (
    PGD,
    L2Step,
    LargeEpsAttack,
    LinfStep,
    MemberSteps,
    cross_entropy_per_example,
    make_step,
    margin_loss_per_example,
    population_pgd,
)
from tradeoff.deep.stacked import LoopStack

torch.set_num_threads(1)

TOL = 1e-5


def linear_model(n_in: int, n_classes: int, seed: int = 0) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    lin = nn.Linear(n_in, n_classes)
    with torch.no_grad():
        lin.weight.copy_(torch.randn(n_classes, n_in, generator=g))
        lin.bias.copy_(torch.randn(n_classes, generator=g) * 0.1)
    return nn.Sequential(nn.Flatten(), lin)


def assert_in_threat_model(x_adv, x, eps, norm):
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    d = (x_adv - x).flatten(1).double()
    if norm == "inf":
        assert d.abs().max() <= eps + TOL
    else:
        assert torch.linalg.vector_norm(d, dim=1).max() <= eps * (1 + TOL) + TOL


# ---------------------------------------------------------------- property tests (hypothesis)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 4), c=st.integers(1, 2), h=st.integers(1, 5), w=st.integers(1, 5),
    norm=st.sampled_from(["inf", "2"]), eps=st.one_of(st.floats(0.0, 3.0), st.just(math.inf)),
    rel_step=st.floats(0.0, 2.0), steps=st.integers(0, 6), random_start=st.booleans(), restarts=st.integers(1, 2),
    n_classes=st.integers(2, 4), seed=st.integers(0, 10_000),
)
def test_every_pgd_iterate_stays_in_ball_and_box(n, c, h, w, norm, eps, rel_step, steps, random_start, restarts,
                                                 n_classes, seed):
    torch.manual_seed(seed)
    x = torch.rand(n, c, h, w)
    x[0].view(-1)[0] = 0.0  # points on the faces of the box too
    x[-1].view(-1)[-1] = 1.0
    y = torch.randint(0, n_classes, (n,))
    model = linear_model(c * h * w, n_classes, seed)
    seen = []

    def callback(r, t, x_t):
        assert_in_threat_model(x_t, x, eps, norm)
        seen.append((r, t))

    restarts = restarts if random_start else 1
    x_adv = PGD(eps, rel_step * min(max(eps, 1e-3), 3.0), steps, norm, random_start=random_start, restarts=restarts,
                callback=callback, seed=seed)(model, x, y)
    assert_in_threat_model(x_adv, x, eps, norm)
    assert seen == [(r, t) for r in range(restarts) for t in range(steps + 1)]


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 3), d=st.integers(1, 20), norm=st.sampled_from(["inf", "2"]),
    eps=st.floats(0.0, 50.0), step=st.floats(0.0, 5.0), steps=st.integers(0, 8), seed=st.integers(0, 10_000),
)
def test_every_large_eps_iterate_stays_in_ball_and_box(n, d, norm, eps, step, steps, seed):
    torch.manual_seed(seed)
    x = torch.rand(n, d)
    y = torch.randint(0, 2, (n,))
    model = linear_model(d, 2, seed)
    x_final, traj = LargeEpsAttack(eps, step, steps, norm, trajectory=True)(model, x, y)
    assert traj.shape == (steps + 1, n, d)
    assert torch.equal(traj[0], x) and torch.equal(traj[-1], x_final)
    for x_t in traj:
        assert_in_threat_model(x_t, x, eps, norm)


@settings(max_examples=30, deadline=None)
@given(norm=st.sampled_from(["inf", "2"]), eps=st.floats(0.0, 4.0), d=st.integers(1, 30), seed=st.integers(0, 999))
def test_project_and_random_start_land_in_ball_and_box(norm, eps, d, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(5, d, generator=g)
    rule = make_step(norm, eps, 0.1)
    assert_in_threat_model(rule.random_start(x, g), x, eps, norm)
    far = x + 10 * torch.randn(5, d, generator=g)  # way outside ball and box
    assert_in_threat_model(rule.project(far, x), x, eps, norm)
    inside = rule.random_start(x, g)
    assert torch.allclose(rule.project(inside, x), inside, atol=1e-6)  # projection fixes feasible points


# ---------------------------------------------------------------- random starts are uniform


def test_l2_random_start_is_uniform_in_the_ball():
    """Radius: P(||δ|| <= r) = (r/ε)^n, so (||δ||/ε)^n ~ U(0,1). Direction: isotropic; in n = 3 the projection
    of a uniform direction on any axis is uniform on [-1, 1] (Archimedes)."""
    g = torch.Generator().manual_seed(1)
    eps, m = 0.3, 4000
    for n in (3, 7):
        x = torch.full((m, n), 0.5)  # 0.5 ± 0.3 stays in [0,1]: no clipping
        delta = (L2Step(eps, 0.1).random_start(x, g) - x).double()
        r = torch.linalg.vector_norm(delta, dim=1) / eps
        assert r.max() <= 1 + 1e-6
        assert stats.kstest((r**n).numpy(), "uniform").pvalue > 1e-3
        if n == 3:
            u = (delta / torch.linalg.vector_norm(delta, dim=1, keepdim=True)).numpy()
            for axis in range(3):
                assert stats.kstest(u[:, axis], "uniform", args=(-1, 2)).pvalue > 1e-3
    # the test has power: the common "Gaussian direction scaled to ε" start (radius always ε) is rejected,
    # and so is a radius uniform in [0, ε]
    n = 7
    assert stats.kstest(np.ones(m), "uniform").pvalue < 1e-6
    assert stats.kstest(np.random.default_rng(0).random(m) ** n, "uniform").pvalue < 1e-6


def test_linf_random_start_is_uniform_on_ball_intersect_box():
    g = torch.Generator().manual_seed(2)
    eps = 0.2
    x = torch.rand(2000, 6, generator=g)
    x[:, 0] = 0.0  # on a face: the interval is [0, eps]
    x[:, 1] = 0.95  # near a face: [0.75, 1]
    start = LinfStep(eps, 0.05).random_start(x, g)
    assert_in_threat_model(start, x, eps, "inf")
    lo, hi = (x - eps).clamp(min=0), (x + eps).clamp(max=1)
    frac = ((start - lo) / (hi - lo)).numpy()
    for j in range(6):
        assert stats.kstest(frac[:, j], "uniform").pvalue > 1e-3
    # no point mass on the faces of the box (uniform-then-clip would put ~50% of column 0 at exactly 0)
    assert (start[:, 0] == 0).float().mean() < 0.01


def test_unbounded_random_starts_cover_the_box():
    g = torch.Generator().manual_seed(3)
    x = torch.rand(500, 4, generator=g)
    s = LinfStep(math.inf, 0.1).random_start(x, g)
    assert stats.kstest(s.flatten().numpy(), "uniform").pvalue > 1e-3
    s2 = L2Step(math.inf, 0.1).random_start(x, g)
    assert torch.isfinite(s2).all() and s2.min() >= 0 and s2.max() <= 1


# ---------------------------------------------------------------- PGD reaches known optima


@pytest.mark.parametrize("norm,dual", [("inf", 1), ("2", 2)])
@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_reaches_the_exact_worst_case_of_a_linear_two_class_model(norm, dual, random_start):
    """For logits W x + b with 2 classes, CE is increasing in the other class's margin, and the smallest
    margin (w_y - w_o)·x' + (b_y - b_o) over the ε-ball is the clean margin − ε‖w_y − w_o‖_dual (ℓ∞ → ℓ1,
    ℓ2 → ℓ2) when the box is not active (x in [0.3, 0.7], ε <= 0.1 for ℓ∞; ε = 0.2 and n = 16 for ℓ2)."""
    torch.manual_seed(0)
    model = linear_model(16, 2)
    lin = model[1]
    x = 0.3 + 0.4 * torch.rand(64, 16)
    y = torch.randint(0, 2, (64,))
    eps = 0.1 if norm == "inf" else 0.2
    steps = 10 if norm == "inf" else 60
    # track_best=False: the worst case for the loss is what we check, not the first misclassified iterate
    x_adv = PGD(eps, 2.5 * eps / 10, steps, norm, random_start=random_start, track_best=False)(model, x, y)
    dw = lin.weight[y] - lin.weight[1 - y]
    db = lin.bias[y] - lin.bias[1 - y]
    margin_clean = (dw * x).sum(1) + db
    margin_adv = (dw * x_adv).sum(1) + db
    optimum = margin_clean - eps * torch.linalg.vector_norm(dw, ord=dual, dim=1)
    tol = 1e-5 if (norm == "inf" or not random_start) else 2e-3
    assert torch.allclose(margin_adv, optimum, atol=tol, rtol=0), (margin_adv - optimum).abs().max()
    assert_in_threat_model(x_adv, x, eps, norm)


def test_binary_cross_entropy_gradients_are_usable():
    """A 2-class model (the 5-vs-7 problems) has a proper CE on two logits: no NaN and nonzero gradients."""
    model = linear_model(8, 2)
    x = torch.rand(10, 8, requires_grad=True)
    y = torch.randint(0, 2, (10,))
    loss = cross_entropy_per_example(model(x), y)
    (g,) = torch.autograd.grad(loss.sum(), x)
    assert torch.isfinite(loss).all() and (g.abs().sum(1) > 0).all()


# ---------------------------------------------------------------- best tracking and restarts


def _priority_best(model, candidates, y):
    """Per example: misclassified candidates first, then the highest CE loss (independent re-implementation)."""
    with torch.no_grad():
        losses = torch.stack([cross_entropy_per_example(model(c), y) for c in candidates])  # (K, N)
        wrong = torch.stack([model(c).argmax(1) != y for c in candidates])
    key = losses.double() + 1e6 * wrong.double()  # lexicographic (wrong, loss); float64 keeps the loss digits
    return losses.gather(0, key.argmax(0, keepdim=True))[0]


@pytest.mark.parametrize("restarts", [1, 3])
def test_pgd_returns_the_best_iterate_misclassified_first(restarts):
    torch.manual_seed(1)
    model = linear_model(12, 3)
    x = torch.rand(40, 12)
    y = model(x).argmax(1)
    iterates = [x.clone()]  # the clean input is a candidate too
    x_adv = PGD(0.08, 0.05, 5, "inf", restarts=restarts, seed=7,
                callback=lambda r, t, xt: iterates.append(xt.clone()))(model, x, y)
    with torch.no_grad():
        got = cross_entropy_per_example(model(x_adv), y)
        wrong_adv = model(x_adv).argmax(1) != y
        any_wrong = torch.stack([model(c).argmax(1) != y for c in iterates]).any(0)
    assert torch.equal(wrong_adv, any_wrong)
    assert torch.allclose(got, _priority_best(model, iterates, y), atol=1e-6)
    # and the returned point is never worse than the last iterate
    with torch.no_grad():
        last = cross_entropy_per_example(model(iterates[-1]), y)
    assert ((got >= last - 1e-6) | wrong_adv).all()


def test_more_restarts_with_the_same_seed_never_lower_the_loss():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))
    x = torch.rand(30, 1, 4, 4)
    y = torch.randint(0, 3, (30,))
    one = PGD(0.1, 0.03, 4, "2", restarts=1, seed=5, prefer_misclassified=False)(model, x, y)
    many = PGD(0.1, 0.03, 4, "2", restarts=4, seed=5, prefer_misclassified=False)(model, x, y)
    with torch.no_grad():
        l1, l4 = cross_entropy_per_example(model(one), y), cross_entropy_per_example(model(many), y)
    assert (l4 >= l1 - 1e-6).all() and (l4 > l1 + 1e-6).any()


def test_seed_makes_the_attack_reproducible_and_zero_eps_returns_x():
    model = linear_model(10, 3)
    x, y = torch.rand(6, 10), torch.randint(0, 3, (6,))
    a = PGD(0.1, 0.02, 3, "inf", seed=3)
    assert torch.equal(a(model, x, y), a(model, x, y))
    assert torch.equal(PGD(0.0, 0.0, 3, "2")(model, x, y), x)


# ---------------------------------------------------------------- modes, dtypes, contexts, errors


class BNNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4 * 5 * 5, 3)

    def forward(self, x):
        return self.fc(self.drop(torch.relu(self.bn(self.conv(x)))).flatten(1))


@pytest.mark.parametrize("attack", [PGD(0.1, 0.05, 3, "inf"), LargeEpsAttack(2.0, 0.5, 3, "2")])
def test_attack_runs_in_eval_mode_and_restores_every_submodule(attack):
    torch.manual_seed(0)
    model = BNNet()
    model.train()
    model.fc.eval()  # mixed modes must come back exactly as they were
    seen_modes = []
    model.register_forward_pre_hook(lambda m, inp: seen_modes.append((m.training, m.bn.training, m.drop.training)))
    before = model.bn.running_mean.clone()
    x, y = torch.rand(4, 1, 5, 5), torch.randint(0, 3, (4,))
    x_adv = attack(model, x, y)
    assert seen_modes and all(s == (False, False, False) for s in seen_modes)
    assert model.training and model.bn.training and model.drop.training and not model.fc.training
    assert torch.equal(model.bn.running_mean, before)  # running stats untouched
    assert all(p.grad is None for p in model.parameters())  # parameter gradients untouched
    assert not x_adv.requires_grad and x_adv.dtype == x.dtype and x_adv.shape == x.shape


def test_attack_works_inside_no_grad_and_inference_mode():
    model = linear_model(10, 3)
    x, y = torch.rand(5, 10), torch.randint(0, 3, (5,))
    ref = PGD(0.1, 0.05, 3, seed=0)(model, x, y)
    with torch.no_grad():
        assert torch.equal(PGD(0.1, 0.05, 3, seed=0)(model, x, y), ref)
    with torch.inference_mode():
        xi, yi = x.clone(), y.clone()
        assert torch.equal(PGD(0.1, 0.05, 3, seed=0)(model, xi, yi), ref)


def test_attack_under_bf16_autocast_keeps_float32_iterates_in_the_ball():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 3 * 3, 2))
    x, y = torch.rand(8, 1, 5, 5), torch.randint(0, 2, (8,))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        for norm, eps in (("inf", 0.1), ("2", 0.5)):
            x_adv = PGD(eps, eps / 2, 4, norm)(model, x, y)
            assert x_adv.dtype == torch.float32
            assert_in_threat_model(x_adv, x, eps, norm)
            assert not torch.equal(x_adv, x)


def test_large_eps_attack_is_deterministic_and_ascends_the_true_label_loss():
    model = linear_model(20, 3, seed=4)
    x, y = 0.3 + 0.4 * torch.rand(6, 20), torch.randint(0, 3, (6,))
    attack = LargeEpsAttack(0.2, 0.01, 15, "inf", trajectory=True)
    x1, traj = attack(model, x, y)
    x2, _ = attack(model, x, y)
    assert torch.equal(x1, x2)  # no random start
    with torch.no_grad():
        losses = torch.stack([cross_entropy_per_example(model(t), y) for t in traj])
    assert (losses[-1] > losses[0]).all()
    # ℓ2: the first step moves by exactly step_size along the normalised gradient (no projection active)
    _, traj2 = LargeEpsAttack(5.0, 0.05, 1, "2", trajectory=True)(model, x, y)
    assert torch.allclose(torch.linalg.vector_norm((traj2[1] - x).flatten(1), dim=1), torch.full((6,), 0.05),
                          atol=1e-6)


def test_margin_loss_is_positive_exactly_when_misclassified_and_works_for_two_classes():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0]])
    y = torch.tensor([0, 0])
    assert torch.equal(margin_loss_per_example(logits, y), torch.tensor([-1.0, 3.0]))
    z3 = torch.tensor([[1.0, 5.0, 2.0]])
    assert margin_loss_per_example(z3, torch.tensor([2])).item() == 3.0


def test_custom_per_example_loss_and_clear_errors():
    model = linear_model(10, 3)
    x, y = torch.rand(4, 10), torch.randint(0, 3, (4,))
    assert_in_threat_model(PGD(0.1, 0.05, 3, loss_fn=margin_loss_per_example)(model, x, y), x, 0.1, "inf")
    with pytest.raises(ValueError, match="one loss per example"):
        PGD(0.1, 0.05, 2, loss_fn=lambda lg, t: lg.sum())(model, x, y)
    with pytest.raises(ValueError, match=r"\[0,1\]"):
        PGD(0.1, 0.05, 2)(model, x * 2 - 1, y)  # normalised inputs are refused
    with pytest.raises(ValueError, match="unknown norm"):
        PGD(0.1, 0.05, 2, norm="1")
    with pytest.raises(ValueError, match="eps"):
        PGD(-0.1, 0.05, 2)
    with pytest.raises(ValueError, match="restarts"):
        PGD(0.1, 0.05, 2, restarts=0)
    with pytest.raises(ValueError, match="random_start=True"):
        PGD(0.1, 0.05, 2, restarts=3, random_start=False)
    with pytest.raises(ValueError, match="y must be"):
        PGD(0.1, 0.05, 2)(model, x, y[:2])


def test_steps_are_normalised_per_example():
    # gradients of wildly different sizes: every example still moves by exactly step_size (l2 length / l_inf per pixel)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 1, 5, 5, generator=g)
    grad = torch.randn(4, 1, 5, 5, generator=g) * torch.tensor([1e-6, 1.0, 1e3, 1e6]).view(4, 1, 1, 1)
    moved = (L2Step(10.0, 0.25).step(x, grad) - x).flatten(1).norm(dim=1)
    assert torch.allclose(moved, torch.full((4,), 0.25), rtol=1e-5)
    per_pixel = (LinfStep(1.0, 0.05).step(x, grad) - x).abs()
    assert torch.allclose(per_pixel, torch.full_like(x, 0.05), atol=1e-7)


def test_l2_step_with_zero_gradient_does_not_move_or_produce_nan():
    x = torch.rand(3, 5)
    out = L2Step(0.5, 0.1).step(x, torch.zeros_like(x))
    assert torch.equal(out, x)


@pytest.mark.parametrize("norms", [["inf", "inf", "inf"], ["2", "2", "2"], ["inf", "2", "inf"]])
def test_member_steps_take_each_members_own_step_and_projection(norms):
    """MemberSteps (population training's threat models) over K members' batches laid end to end: each example moves
    and is projected as its member's own LinfStep / L2Step would move it (per-example radius tensors: the ℓ2
    projection's divisions may round differently from a number's, hence the 1e-6)."""
    g = torch.Generator().manual_seed(0)
    eps, step, b = [0.1, 0.8, 0.3], [0.05, 0.3, 0.1], 4
    x = torch.rand(3 * b, 1, 6, 6, generator=g)
    x_adv = (x + 0.5 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    grad = torch.randn(x.shape, generator=g)
    rule = MemberSteps(norms, eps, step, b)
    got_step, got_proj = rule.step(x_adv, grad), rule.projector(x)(x_adv)
    assert torch.equal(got_proj, rule.project(x_adv, x))
    for k, norm in enumerate(norms):
        one, rows = make_step(norm, eps[k], step[k]), slice(k * b, (k + 1) * b)
        assert torch.allclose(got_step[rows], one.step(x_adv[rows], grad[rows]), atol=1e-6, rtol=0)
        assert torch.allclose(got_proj[rows], one.project(x_adv[rows], x[rows]), atol=1e-6, rtol=0)
        assert_in_threat_model(got_proj[rows], x[rows], eps[k], norm)
    # member k's random start is its own rule's, drawn from its own generator
    starts = rule.random_start(x, [torch.Generator().manual_seed(k) for k in range(3)])
    for k, norm in enumerate(norms):
        rows = slice(k * b, (k + 1) * b)
        own = make_step(norm, eps[k], step[k]).random_start(x[rows], torch.Generator().manual_seed(k))
        assert torch.equal(starts[rows], own)
    with pytest.raises(ValueError, match="one generator per member"):
        rule.random_start(x, [None])
    with pytest.raises(ValueError, match="eps must be >= 0"):
        MemberSteps(["inf"], [-0.1], [0.1], b)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_population_pgd_is_the_one_pgd_on_each_member(norm):
    """Training's attack (population_pgd: PGD on a stack of K models) is deep.attacks.PGD keeping the last iterate:
    for a population of one it returns what PGD(track_best=False) returns on the model itself, from the same
    generator (ℓ∞ bit for bit; ℓ2 within the rounding of a per-example radius tensor)."""
    model = linear_model(36, 3)
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(8, 1, 6, 6, generator=g), torch.randint(0, 3, (8,), generator=g)
    eps, step = (0.1, 0.04) if norm == "inf" else (0.8, 0.3)
    got = population_pgd(LoopStack([model]), x[None], y[None], MemberSteps([norm], [eps], [step], 8), 5, True,
                         [torch.Generator().manual_seed(7)])
    want = PGD(eps, step, 5, norm, track_best=False)(model, x, y, generator=torch.Generator().manual_seed(7))
    assert got.shape == (1, 8, 1, 6, 6)
    if norm == "inf":
        assert torch.equal(got[0], want)
    else:
        assert torch.allclose(got[0], want, atol=1e-6, rtol=0)


# ---------------------------------------------------------------- bench/pgd.py (the PGD-throughput benchmark)


def test_bench_flop_count_matches_the_analytic_mnist_cnn_count():
    """Forward of conv5x5-32, pool, conv5x5-64, pool, fc-1024, fc-10 on 28x28: 2·MACs =
    2·(28²·32·25 + 14²·64·32·25 + 3136·1024 + 1024·10) = 27 767 808 FLOPs."""
    from bench.pgd import build_bench_model, count_attack_flops

    model, shape, eps, _ = build_bench_model("mnist")
    forward = 2 * (28 * 28 * 32 * 25 + 14 * 14 * 64 * 32 * 25 + 3136 * 1024 + 1024 * 10)
    no_tracking = PGD(eps, 0.01, 0, track_best=False, random_start=False)
    assert count_attack_flops(model.eval(), shape, no_tracking, torch.device("cpu")) == 0
    one_eval = PGD(eps, 0.01, 0, random_start=True)  # 0 steps, tracking: clean + final forward
    assert count_attack_flops(model, shape, one_eval, torch.device("cpu")) == 2 * forward


def test_bench_main_writes_a_benchmark_result(tmp_path):
    from bench.pgd import main
    from tradeoff.data.io import read_result

    out = tmp_path / "bench.json"
    assert main(["--devices", "cpu", "--models", "mnist", "--cpu-batch", "2", "1", "--cpu-steps", "1",
                 "--repeats", "1", "--out", str(out)]) == 0
    res = read_result(out)
    assert res["kind"] == "deep.benchmark"
    (row,) = res["payload"]["rows"]
    assert row["model"] == "mnist" and row["images_steps_per_s"] > 0 and row["peak_tflops"] is None



def test_attacks_run_on_the_module_inside_a_parallel_wrapper():
    """No forward of the DataParallel/DDP wrapper during an attack (DDP would broadcast buffers and arm its
    gradient reducer on every attack step), yet the result equals attacking the inner module."""
    inner = linear_model(12, 3)
    wrapper = nn.DataParallel(inner)  # on a CPU-only machine this just calls the module
    calls = []
    wrapper.register_forward_pre_hook(lambda m, inp: calls.append(1))
    x, y = torch.rand(6, 12), torch.randint(0, 3, (6,))
    a = PGD(0.1, 0.05, 3, seed=1)(wrapper, x, y)
    b = LargeEpsAttack(1.0, 0.2, 3, "2")(wrapper, x, y)
    assert calls == []
    assert torch.equal(a, PGD(0.1, 0.05, 3, seed=1)(inner, x, y))
    assert torch.equal(b, LargeEpsAttack(1.0, 0.2, 3, "2")(inner, x, y))
