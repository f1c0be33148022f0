"""TRADES as a training method of the population engine (adv.method = "trades"): β = 0 is standard training bit for
bit, a population of TRADES members ends as separate runs do, the inner maximisation stays in the threat model and
raises the KL term, and an interrupted TRADES run resumes exactly."""

import pytest
import torch

from tradeoff.deep.attacks import MemberSteps, kl_per_example, population_trades_adversary
from tradeoff.deep.config import EvalConfig, TrainConfig
from tradeoff.deep.population import Population
from tradeoff.deep.population_plan import plan_populations
from tradeoff.deep.stacked import GroupedMnistCNN, LoopStack
from tradeoff.deep.train import TrainOptions, train_run

torch.set_num_threads(1)

BASE = TrainConfig(name="t", dataset="toy", model="mnist_cnn", width=4, n_train=96, epochs=2, batch_size=32, lr=1e-3,
                   device="cpu", progress=False, eval=EvalConfig(n_epoch=64, n_final=64, steps=3, every=0))


def trades(seed: int, beta: float, **adv) -> TrainConfig:
    return BASE.replace(name=f"b{beta:g}-s{seed}", seed=seed,
                        adv={"eps": 0.2, "steps": 3, "method": "trades", "beta": beta, **adv})


def trades_members() -> list[TrainConfig]:
    """One population: ℓ∞ at three β (0 included), ℓ2, ε warm-up, and a smaller training set (a padded last batch)."""
    return [trades(0, 0.0), trades(1, 1.0), trades(2, 6.0), trades(3, 2.0, norm="2", eps=0.5),
            trades(4, 3.0, eps_warmup=0.5), trades(5, 1.0).replace(n_train=80)]


def assert_equal_states(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for n in b:
        assert torch.equal(a[n], b[n]), n


def train(pop: Population, epochs: int = 2) -> list[list]:
    """Every epoch's member stats."""
    return [pop.train_epoch() for _ in range(epochs)]


def alone(cfg: TrainConfig) -> Population:
    """A run of ``cfg`` alone: the population of one."""
    return Population([cfg])


def test_trades_members_form_their_own_populations_and_beta_is_per_member():
    cfgs = trades_members() + [BASE.replace(seed=9, adv={"eps": 0.2, "steps": 3})]
    assert plan_populations(cfgs) == [[0, 1, 2, 3, 4, 5], [6]]  # PGD with the same steps is another population
    pop = Population(cfgs[:3], grouped=True)
    assert pop.method == "trades" and pop.beta.tolist() == [0.0, 1.0, 6.0]


def test_beta_zero_is_standard_training_bit_for_bit_alone_and_in_a_loop_population():
    """A run with β = 0 runs no attack: it is the standard run. Inside a population with β > 0 members (loop stack:
    each member's own kernels) the β = 0 member is not run on the KL points and its loss gains exactly 0."""
    standard = alone(BASE.replace(seed=0))
    beta0 = alone(trades(0, 0.0))
    s_std, s_beta0 = train(standard), train(beta0)
    assert_equal_states(beta0.member_model(0).state_dict(), standard.member_model(0).state_dict())
    assert [s[0].train_loss for s in s_beta0] == [s[0].train_loss for s in s_std]
    pop = Population([trades(0, 0.0), trades(1, 1.0)], grouped=False)
    stats = train(pop)
    assert_equal_states(pop.stack.member_state_dict(0), standard.member_model(0).state_dict())
    assert [s[0].train_loss for s in stats] == [s[0].train_loss for s in s_std]
    assert [s[0].train_acc for s in stats] == [s[0].train_acc for s in s_std]
    # the β = 1 member did train differently (the KL term is not a no-op)
    other = alone(BASE.replace(seed=1))
    train(other)
    assert not torch.equal(pop.stack.member_state_dict(1)["1.fc2.weight"],
                           other.member_model(0).state_dict()["1.fc2.weight"])


def test_beta_zero_in_a_grouped_population_equals_the_grouped_standard_population_bit_for_bit():
    """The grouped stack has no batch norm: the β = 0 member's KL term, weighted by exactly 0, adds exact zeros to
    its gradient, and its clean forward and backward are the standard population's kernels on the same shapes."""
    pop = Population([trades(0, 0.0), trades(1, 1.0)], grouped=True)
    std = Population([BASE.replace(seed=0), BASE.replace(seed=1)], grouped=True)
    assert isinstance(pop.stack, GroupedMnistCNN) and isinstance(std.stack, GroupedMnistCNN)
    s_pop, s_std = train(pop), train(std)
    assert_equal_states(pop.stack.member_state_dict(0), std.stack.member_state_dict(0))
    assert [s[0].train_loss for s in s_pop] == [s[0].train_loss for s in s_std]


def test_beta_zero_member_of_a_batch_norm_loop_population_keeps_standard_running_statistics():
    cfg = dict(model="resnet18", width=4, n_train=64, batch_size=32, epochs=1)
    standard = alone(BASE.replace(seed=0, **cfg))
    train(standard, 1)
    pop = Population([trades(0, 0.0).replace(**cfg), trades(1, 1.0).replace(**cfg)])
    assert isinstance(pop.stack, LoopStack)
    train(pop, 1)
    assert_equal_states(pop.stack.member_state_dict(0), standard.member_model(0).state_dict())  # buffers included


def test_loop_population_of_trades_members_is_bit_identical_to_separate_runs():
    cfgs = trades_members()
    pop = Population(cfgs, grouped=False)
    stats = train(pop)
    for k, cfg in enumerate(cfgs):
        t = alone(cfg)
        single = [s[0] for s in train(t)]
        assert_equal_states(pop.stack.member_state_dict(k), t.member_model(0).state_dict())
        assert [s[k].train_loss for s in stats] == [s.train_loss for s in single]
        assert stats[-1][k].n_train_seen == cfg.n_train


def test_grouped_trades_step_equals_separate_steps_within_float32_reordering():
    """Given the same KL points, one grouped TRADES step gives every member its separate run's loss and gradient up
    to the grouped kernels' float32 reordering (~1e-7 relative per operation; measured 2.6e-6 relative to the
    largest gradient entry; asserted 1e-5; a wrong member, β or batch would differ by O(1))."""
    cfgs = trades_members()
    grouped, loop = Population(cfgs, grouped=True), Population(cfgs, grouped=False)
    x, y, w, lengths = grouped._stack_batches([list(d.train.epoch(0))[-1] for d in grouped.bundles])
    eps = [grouped.member_eps_at(i, 0.5) for i in range(len(cfgs))]
    x_kl = loop.trades_inputs(x, y, eps, [torch.Generator().manual_seed(i) for i in range(len(cfgs))])
    grouped.trades_inputs = loop.trades_inputs = lambda *args, **kwargs: x_kl
    lg, _ = grouped.population_step(x, y, w, lengths, 1e-3, eps)
    ll, _ = loop.population_step(x, y, w, lengths, 1e-3, eps)
    assert torch.allclose(lg, ll, rtol=1e-5, atol=0)
    params = grouped.stack.ordered_parameters()
    for k in range(len(cfgs)):
        mine = {n: grouped.stack.to_member(n, p.grad[k]) for n, p in zip(grouped.stack.param_names, params)}
        theirs = dict(zip(grouped.stack.param_names, (p.grad for p in loop.stack.members[k].net.parameters())))
        for n in theirs:
            assert float((mine[n] - theirs[n]).abs().max()) <= 1e-5 * float(theirs[n].abs().max()), (k, n)


def test_grouped_population_of_trades_members_tracks_separate_runs():
    """End to end the grouped population cannot stay within test_population's 1e-2-of-the-distance bound on the
    weights: TRADES' inner maximisation starts next to x, a stationary point of the KL (gradient ≈ 0), where the
    sign of the ℓ∞ step is decided by rounding (measured: 0.65% of the KL points' pixels differ after 3 steps) and
    Adam's first steps (≈ lr·sign of the gradient) pass that on to weights whose gradient is small. What stays close
    is each member's training: losses within 5e-3 relative (measured <= 6.4e-4) and accuracies within 2 examples;
    the β = 0 member, which sees no KL term, within 1e-6 (measured 3e-8)."""
    cfgs = trades_members()
    pop = Population(cfgs, grouped=True)
    stats = train(pop)
    for k, cfg in enumerate(cfgs):
        single = [s[0] for s in train(alone(cfg))]
        rel = 1e-6 if cfg.adv.beta == 0 else 5e-3
        for s_pop, s_one in zip(stats, single):
            assert s_pop[k].train_loss == pytest.approx(s_one.train_loss, rel=rel), k
            assert abs(s_pop[k].train_acc - s_one.train_acc) <= 2 / s_one.n_train_seen + 1e-12, k


def test_inner_maximisation_stays_in_each_members_ball_and_box_and_raises_a_nonnegative_kl():
    cfgs = trades_members()[:4]
    pop = Population(cfgs, grouped=True)
    train(pop, 1)  # a trained model: the KL surface is not flat
    x, y, _, _ = pop._stack_batches([next(iter(d.train.epoch(0))) for d in pop.bundles])
    eps, steps, norms = [0.2, 0.2, 0.1, 0.5], [0.05, 0.05, 0.03, 0.2], ["inf", "inf", "inf", "2"]
    gens = lambda: [torch.Generator().manual_seed(i) for i in range(4)]  # noqa: E731
    rule = MemberSteps(norms, eps, steps, x.shape[1])
    x_kl = population_trades_adversary(pop.stack, x, y, rule, 10, gens())
    start = population_trades_adversary(pop.stack, x, y, rule, 0, gens())
    d = (x_kl - x).flatten(2)
    linf, l2n = d.abs().amax(2), torch.linalg.vector_norm(d, dim=2)
    for k in range(3):
        assert float(linf[k].max()) <= eps[k] + 1e-6
    assert float(l2n[3].max()) <= 0.5 * (1 + 1e-5) and float(l2n[3].min()) > 0.1
    assert float(x_kl.min()) >= 0 and float(x_kl.max()) <= 1
    assert float((start - x).abs().max()) <= 0.02  # TRADES' start: x plus a 0.001-scaled Gaussian, projected
    with torch.no_grad():
        clean = pop.stack(x).flatten(0, 1)
        kl = kl_per_example(clean, pop.stack(x_kl).flatten(0, 1)).view(4, -1)
        kl0 = kl_per_example(clean, pop.stack(start).flatten(0, 1)).view(4, -1)
    # KL >= 0; at the start (x' within 0.02 of x) float32 rounding of the log-softmaxes leaves |KL| ~ 1e-7
    assert bool((kl >= 0).all()) and bool((kl0 >= -1e-6).all())
    assert bool((kl.mean(1) > 10 * kl0.mean(1)).all())  # the attack finds much larger KL than the start
    # the grouped step hands the attack its train-mode clean logits (no batch norm or dropout): the same points
    pop.stack.train()
    reused = population_trades_adversary(pop.stack, x, y, rule, 10, gens(), clean_logits=pop.stack(x))
    assert torch.equal(reused, x_kl)
    # the training inputs of a TRADES step are the same points (per-member ε and step, one generator each)
    again = pop.trades_inputs(x, y, eps, gens())
    assert again is not None and float((again - x).abs().flatten(2).amax(2)[0].max()) <= 0.2 + 1e-6


def test_trades_loss_is_at_least_the_clean_cross_entropy_and_grows_with_beta():
    cfgs = [trades(0, 0.0), trades(0, 1.0).replace(name="b"), trades(0, 6.0).replace(name="c")]
    pop = Population(cfgs, grouped=True)  # three copies of one initialisation (same seed), three β
    x, y, w, lengths = pop._stack_batches([next(iter(d.train.epoch(0))) for d in pop.bundles])
    losses, _ = pop.population_step(x, y, w, lengths, 0.0, [0.2] * 3, [torch.Generator().manual_seed(1)] * 3)
    assert float(losses[0]) <= float(losses[1]) <= float(losses[2])  # CE + β·KL with KL >= 0 on one model


def test_interrupted_trades_run_resumes_exactly(tmp_path):
    from tests.deep.test_resume import assert_same_run

    cfg = trades(0, 2.0, norm="2", eps=0.5).replace(epochs=3, n_train=64, eval={"eps": [0.5], "steps": 2})
    straight = train_run(cfg, tmp_path / "straight")
    first = train_run(cfg, tmp_path / "resumed", TrainOptions(stop_after=1))
    assert first.trained_epochs == 1
    second = train_run(cfg, tmp_path / "resumed", TrainOptions(resume=True))
    assert second.resumed_from == 1 and second.trained_epochs == 2
    assert_same_run(straight.run_dir, second.run_dir)
    assert second.summary["robust_acc"] == straight.summary["robust_acc"]
