"""Population training (deep.population): K models in lockstep end as K separate runs would, keep their identity
(run folders, resume after kill -9, never retrained) and stop alone when they diverge."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch

from tradeoff.deep.attacks import MemberSteps, population_pgd
from tradeoff.deep.config import AdvConfig, EvalConfig, TrainConfig
from tradeoff.deep.population import Population
from tradeoff.deep.population_plan import plan_populations
from tradeoff.deep.runs import read_metrics, run_state
from tradeoff.deep.stacked import GroupedMnistCNN, LoopStack
from tradeoff.deep.train import TrainOptions, train_runs

torch.set_num_threads(1)

BASE = TrainConfig(name="p", dataset="toy", model="mnist_cnn", width=4, n_train=96, epochs=2, batch_size=32, lr=1e-3,
                   device="cpu", progress=False, eval=EvalConfig(n_epoch=64, n_final=64, steps=3, every=0))


def mixed_members() -> list[TrainConfig]:
    """Four members of one population: ℓ∞ and ℓ2 PGD at different ε, one without a random start's ε of the
    others, a member with a smaller training set (80 points: the same 3 batches of 32, the last one shorter) and
    ε warm-up."""
    return [BASE.replace(name="a", seed=0, adv={"eps": 0.1, "steps": 3}),
            BASE.replace(name="b", seed=1, adv={"eps": 0.5, "norm": "2", "steps": 3}),
            BASE.replace(name="c", seed=2, adv={"eps": 0.2, "steps": 3}),
            BASE.replace(name="d", seed=3, n_train=80, adv={"eps": 0.1, "steps": 3, "eps_warmup": 0.5})]


def mixed_batch_members() -> list[TrainConfig]:
    """Three 50/50 (Appendix B) members, which form their own population: ℓ∞, ℓ2 and a smaller training set
    (80 points: its last batch of 16 is padded to 32)."""
    return [BASE.replace(name="m1", seed=4, adv={"eps": 0.2, "steps": 3, "mixed": True}),
            BASE.replace(name="m2", seed=5, adv={"eps": 0.5, "norm": "2", "steps": 3, "mixed": True}),
            BASE.replace(name="m3", seed=6, n_train=80, adv={"eps": 0.1, "steps": 3, "mixed": True})]


MEMBER_SETS = {"mixed-threat-models": mixed_members, "mixed-batches": mixed_batch_members}


def separate(cfg: TrainConfig, epochs: int = 2):
    """A population of ``cfg`` alone (a single run) after ``epochs`` epochs, and its epoch stats."""
    t = Population([cfg])
    stats = [t.train_epoch()[0] for _ in range(epochs)]
    return t, stats


def test_plan_groups_by_shared_fields_and_splits_large_groups():
    cfgs = mixed_members() + [BASE.replace(seed=9), BASE.replace(seed=8, adv={"eps": 0.1, "steps": 5}),
                              BASE.replace(seed=7, n_train=200, adv={"eps": 0.1, "steps": 3})]
    plan = plan_populations(cfgs + mixed_batch_members())
    # the four mixed members share a population; standard training (0 PGD steps), PGD-5, another number of
    # batches per epoch and the mixed-batch members each form their own
    assert plan == [[0, 1, 2, 3], [4], [5], [6], [7, 8, 9]]
    with pytest.raises(ValueError, match="mixed batches"):
        Population([cfgs[0], mixed_batch_members()[0]])
    assert plan_populations(cfgs[:4], max_size=3) == [[0, 1, 2], [3]]
    assert plan_populations(cfgs[:4], extra_key=[2, 2, 1, 2]) == [[0, 1, 3], [2]]
    with pytest.raises(ValueError, match="differ in shared fields"):
        Population([cfgs[0], cfgs[5]])


@pytest.mark.parametrize("members", MEMBER_SETS)
def test_loop_population_is_bit_identical_to_separate_runs(members):
    """Exact: a loop stack runs each member's own kernels on its own batch, with its own random streams."""
    cfgs = MEMBER_SETS[members]()
    pop = Population(cfgs, grouped=False)
    assert isinstance(pop.stack, LoopStack)
    stats = [pop.train_epoch() for _ in range(2)]
    for k, cfg in enumerate(cfgs):
        t, single = separate(cfg)
        mine, theirs = pop.stack.member_state_dict(k), t.member_model(0).state_dict()
        assert all(torch.equal(mine[n], theirs[n]) for n in theirs)
        assert [s[k].train_loss for s in stats] == [s.train_loss for s in single]
        assert [s[k].train_acc for s in stats] == [s.train_acc for s in single]
        assert stats[-1][k].n_train_seen == cfg.n_train
        x, y = t.bundles[0].eval_x, t.bundles[0].eval_y
        assert pop.member_evaluate(k, x, y, [0.1]) == t.member_evaluate(0, x, y, [0.1])


@pytest.mark.parametrize("members", MEMBER_SETS)
def test_grouped_population_matches_separate_runs_within_float32_reordering(members):
    """The grouped stack (grouped convolutions, batched matmuls) sums each dot product in another order than the
    single model's kernels: float32 results differ by rounding (~1e-7 relative per operation). Six Adam steps
    with ℓ∞ PGD amplify that (Adam divides by √v; a PGD sign may flip where a gradient is ~0), measured at
    ~3e-4 of the distance the weights moved; the bound asserted is 1e-2 of that distance (a wrong member, seed
    or batch would differ by about the whole distance)."""
    cfgs = MEMBER_SETS[members]()
    pop = Population(cfgs, grouped=True)
    assert isinstance(pop.stack, GroupedMnistCNN)
    init = [pop.stack.member_state_dict(k) for k in range(len(cfgs))]
    stats = [pop.train_epoch() for _ in range(2)]
    for k, cfg in enumerate(cfgs):
        t, single = separate(cfg)
        mine, theirs = pop.stack.member_state_dict(k), t.member_model(0).state_dict()
        moved = max(float((theirs[n] - init[k][n]).abs().max()) for n in theirs)
        diff = max(float((mine[n] - theirs[n]).abs().max()) for n in theirs)
        assert moved > 1e-3 and diff <= 1e-2 * moved, (k, diff, moved)
        for s_pop, s_one in zip(stats, single):
            assert s_pop[k].train_loss == pytest.approx(s_one.train_loss, rel=1e-5)
            assert abs(s_pop[k].train_acc - s_one.train_acc) <= 1 / s_one.n_train_seen  # one example at most


def test_population_pgd_stays_in_each_members_ball():
    cfgs = mixed_members()
    pop = Population(cfgs, grouped=True)
    last = pop._stack_batches([list(d.train.epoch(0))[-1] for d in pop.bundles])
    assert last[3] == [32, 32, 32, 16] and last[2][3].tolist() == [1.0] * 16 + [0.0] * 16  # member d: padded
    x, y, w, lengths = pop._stack_batches([next(iter(d.train.epoch(0))) for d in pop.bundles])
    assert w is None and lengths == [32, 32, 32, 32]
    eps = [0.1, 0.5, 0.2, 0.05]
    x_in = pop.training_inputs(x, y, eps, lengths)
    d = x_in - x
    linf = d.flatten(2).abs().amax(2)
    l2 = torch.linalg.vector_norm(d.flatten(2), dim=2)
    assert float(linf[0].max()) <= 0.1 + 1e-6 and float(linf[3].max()) <= 0.05 + 1e-6
    assert float(l2[1].max()) <= 0.5 + 1e-5 and float(l2[1].min()) > 0.1
    assert float(x_in.min()) >= 0 and float(x_in.max()) <= 1
    # the attack raises every member's loss
    with torch.no_grad():
        clean = torch.nn.functional.cross_entropy(pop.stack(x).flatten(0, 1), y.flatten(), reduction="none")
        rule = MemberSteps(["inf", "2", "inf", "inf"], eps, [e / 2 for e in eps], x.shape[1])
        adv = population_pgd(pop.stack, x, y, rule, 5)
        attacked = torch.nn.functional.cross_entropy(pop.stack(adv).flatten(0, 1), y.flatten(), reduction="none")
    assert bool((attacked.view(4, -1).mean(1) > clean.view(4, -1).mean(1)).all())


def test_mixed_batches_attack_the_first_half_of_each_members_batch_only(monkeypatch):
    import tradeoff.deep.population as pop_mod

    pop = Population(mixed_batch_members(), grouped=True)
    attacked = []
    real = pop_mod.population_pgd

    def spy(stack, x, *a, **kw):
        attacked.append(x.shape[1])
        return real(stack, x, *a, **kw)

    monkeypatch.setattr(pop_mod, "population_pgd", spy)
    eps = [0.2, 0.5, 0.1]
    for batches in (next(iter(zip(*(d.train.epoch(0) for d in pop.bundles)))),
                    list(zip(*(d.train.epoch(0) for d in pop.bundles)))[-1]):
        x, y, w, lengths = pop._stack_batches(list(batches))
        x_in = pop.training_inputs(x, y, eps, lengths)
        d = (x_in - x).flatten(2)
        b = x.shape[1]
        for k, n in enumerate(lengths):
            size = d[k].abs().amax(1) if k != 1 else torch.linalg.vector_norm(d[k], dim=1)
            assert float(size[: n // 2].min()) > 0 and float(size[n // 2:].max()) == 0.0, (k, n)
            assert float(size.max()) <= eps[k] + 1e-5
        assert attacked[-1] == max(n // 2 for n in lengths) < b  # PGD never ran on the clean halves
    assert lengths == [32, 32, 16]  # the last batch: member m3 padded from 16 to 32, its first 8 attacked


def _folders(tmp_path, name, cfgs):
    return [tmp_path / name / c.name for c in cfgs]


def _member_files(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())["payload"]
    rows = [{k: v for k, v in r.items() if not k.endswith("time_s")} for r in read_metrics(run_dir)]
    model = torch.load(run_dir / "model.pt", weights_only=True)
    return summary, rows, model


def test_population_members_write_single_run_folders_and_are_never_retrained(tmp_path):
    cfgs = mixed_members()
    dirs = _folders(tmp_path, "runs", cfgs)
    results = train_runs(cfgs, dirs)
    for cfg, d, r in zip(cfgs, dirs, results):
        assert run_state(d) == "finished" and r.trained_epochs == 2 and "error" not in r.extra
        summary, rows, model = _member_files(d)
        assert summary["fingerprint"] == cfg.fingerprint() and summary["population_size"] == 4
        assert [row["epoch"] for row in rows] == [1, 2]
        assert set(model) == set(Population([cfg]).member_model(0).state_dict())
        meta = json.loads((d / "checkpoint.json").read_text())
        assert meta["epoch"] == 2 and meta["fingerprint"] == cfg.fingerprint()
    again = train_runs(cfgs + [BASE.replace(name="e", seed=5, adv={"eps": 0.1, "steps": 3})],
                       dirs + [tmp_path / "runs" / "e"])
    assert [r.already_finished for r in again] == [True] * 4 + [False]
    assert again[4].extra["population"].k == 1  # only the new run was trained


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys, torch
    torch.set_num_threads(1)
    sys.path.insert(0, {tests!r})
    from test_population import mixed_members
    from tradeoff.deep.train import TrainOptions, train_runs
    cfgs = [c.replace(epochs=3) for c in mixed_members()]
    root = {root!r}
    def hook(k, stats):
        if stats.epoch == 2 and k == len(cfgs) - 1:
            os.kill(os.getpid(), signal.SIGKILL)  # kill -9 mid-population, after epoch 2's checkpoints
    train_runs(cfgs, [os.path.join(root, c.name) for c in cfgs], TrainOptions(on_epoch_end=hook))
""")


def test_kill_9_mid_population_then_resume_equals_uninterrupted(tmp_path):
    cfgs = [c.replace(epochs=3) for c in mixed_members()]
    script = KILL_SCRIPT.format(tests=os.path.dirname(__file__), root=str(tmp_path / "killed"))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    killed = _folders(tmp_path, "killed", cfgs)
    assert all(run_state(d) == "partial" and len(read_metrics(d)) == 2 for d in killed)
    resumed = train_runs(cfgs, killed)
    assert all(r.resumed_from == 2 and r.trained_epochs == 1 for r in resumed)
    assert resumed[0].extra["population"].k == 4  # the whole population was restored
    straight = _folders(tmp_path, "straight", cfgs)
    train_runs(cfgs, straight)
    for a, b in zip(killed, straight):
        sa, ra, ma = _member_files(a)
        sb, rb, mb = _member_files(b)
        assert ra == rb and all(torch.equal(ma[n], mb[n]) for n in mb)
        assert (sa["standard_acc"], sa["robust_acc"]) == (sb["standard_acc"], sb["robust_acc"])


def test_a_diverging_member_stops_alone_with_a_clear_message(tmp_path, monkeypatch):
    import tradeoff.deep.population as pop_mod

    real = pop_mod.build_stack

    def poisoned(members, grouped=None):
        with torch.no_grad():
            members[1].net.fc2.bias.fill_(float("nan"))  # member b's training diverges in its first epoch
        return real(members, grouped)

    monkeypatch.setattr(pop_mod, "build_stack", poisoned)
    cfgs = mixed_members()
    dirs = _folders(tmp_path, "runs", cfgs)
    messages = []
    results = train_runs(cfgs, dirs, TrainOptions(log=messages.append))
    assert "training diverged in epoch 1" in results[1].extra["error"]
    assert "lower the learning rate" in results[1].extra["error"]
    assert run_state(dirs[1]) == "partial" and not (dirs[1] / "checkpoint.pt").exists()
    assert any(m.startswith("b: training diverged") for m in messages)
    monkeypatch.setattr(pop_mod, "build_stack", real)
    for k in (0, 2, 3):
        assert run_state(dirs[k]) == "finished" and "error" not in results[k].extra
        t, _ = separate(cfgs[k])
        model = torch.load(dirs[k] / "model.pt", weights_only=True)
        theirs = t.member_model(0).state_dict()
        assert max(float((model[n] - theirs[n]).abs().max()) for n in theirs) < 1e-4


def test_resume_reads_the_epoch_from_the_checkpoint_itself(tmp_path):
    """checkpoint.json is written after checkpoint.pt: after a kill between the two it names the previous epoch.
    The members are grouped by the epoch their .pt holds, so they still resume together."""
    cfgs = mixed_members()[:2]
    dirs = _folders(tmp_path, "runs", cfgs)
    first = train_runs(cfgs, dirs, TrainOptions(stop_after=1))
    assert all(r.summary == {} and r.trained_epochs == 1 for r in first)
    meta = json.loads((dirs[0] / "checkpoint.json").read_text())
    (dirs[0] / "checkpoint.json").write_text(json.dumps({**meta, "epoch": 0}))
    resumed = train_runs(cfgs, dirs)
    assert [r.resumed_from for r in resumed] == [1, 1] and resumed[0].extra["population"].k == 2
    assert all(run_state(d) == "finished" for d in dirs)


def _without_timings(x):
    """``x`` with every ``seconds`` entry (wall time of an attack) removed, recursively."""
    if isinstance(x, dict):
        return {k: _without_timings(v) for k, v in x.items() if k != "seconds"}
    if isinstance(x, list):
        return [_without_timings(v) for v in x]
    return x


def test_sweep_populations_in_worker_processes_give_the_same_results(tmp_path):
    """TorchEngine(workers=2) trains the populations of a grid in two spawned processes; every run's one
    evaluation (written by the run into its summary) is the same as in one process."""
    from tradeoff.deep.experiments.engine import TorchEngine
    from tradeoff.deep.experiments.sweep import make_run

    template = TrainConfig(name="t", dataset="toy", model="mnist_cnn", width=2, epochs=1, batch_size=32, lr=1e-3,
                           adv=AdvConfig(steps=2),
                           eval=EvalConfig(norms=["inf", "2"], eps=[0.1, 0.5], n_final=40, n_epoch=40, steps=2,
                                           restarts=1, every=0, attack="ensemble"))
    runs = [make_run(template, "test", norm, eps, 64, False, seed)
            for norm, eps in (("inf", 0.0), ("inf", 0.1), ("2", 0.5)) for seed in (0, 1)]
    out = {}
    for workers in (1, 2):
        dirs = [tmp_path / f"w{workers}" / r.run_id for r in runs]
        engine = TorchEngine(device="cpu", workers=workers)
        assert engine.train_many(runs, dirs) == [None] * len(runs)
        out[workers] = [engine.evaluate(r, d) for r, d in zip(runs, dirs)]
    assert _without_timings(out[1]) == _without_timings(out[2])  # wall times differ; every number else is equal
    assert set(out[1][0]["robust"]) == {"inf", "2"} and set(out[1][4]["robust"]) == {"2"}
