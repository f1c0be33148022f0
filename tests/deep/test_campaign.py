"""The GPU campaign at micro scale on the CPU: plan order, skipping committed runs, the budget stop, resuming after an
interruption, the pack's contents, and the data upload."""

from __future__ import annotations

import json
import shutil
import tarfile

import pytest
import torch

from tests.deep._fake_engine import FakeEngine, Interrupted
from tradeoff.data.io import read_result, write_result
from tradeoff.deep.experiments import campaign as C
from tradeoff.deep.experiments import campaign_data
from tradeoff.deep.experiments import campaign_inventory as CI
from tradeoff.deep.experiments import campaign_plan as CP

torch.set_num_threads(1)

RATE = 1e4  # image-steps per second of the simulated device


class ClockedEngine(FakeEngine):
    """The fake engine on a simulated clock: training a run advances ``now`` by its cost at :data:`RATE`, so budget
    decisions are deterministic. ``stop_at``: raise KeyboardInterrupt (a killed process) during that training call,
    after one epoch was checkpointed."""

    def __init__(self, stop_at: int | None = None):
        super().__init__(epochs=3)
        self.now = 0.0
        self.stop_at = stop_at

    def train(self, run, run_dir):
        self.now += CI.run_units(run) / RATE
        if self.stop_at is not None and len(self.train_calls) + 1 == self.stop_at:
            self.stop_at, self.interrupt_after = None, 1
            try:
                super().train(run, run_dir)
            except Interrupted:
                raise KeyboardInterrupt from None
        super().train(run, run_dir)


def _small(exp):
    """The micro scale with only the ends of each ε grid and two seeds (fewer runs: faster tests)."""
    from tradeoff.deep.experiments import definitions as D

    exp = CP.micro(exp)
    if isinstance(exp, D.PictureExperiment):
        return exp
    ends = tuple((norm, tuple(sorted({grid[0], grid[-1]}))) for norm, grid in exp.eps_train)
    return D.with_overrides(exp, eps_train=ends, seeds=(0, 1))


def _defs(datasets=("mnist",), shrink=_small):
    return CP.campaign_definitions(list(datasets), shrink=shrink)


def _campaign(tmp_path, engine, budget=1e9, committed=(), name="c", datasets=("mnist",), runs="runs"):
    rates = tmp_path / f"{name}-rates.json"
    if not rates.exists():
        key_runs = {CI.rate_key("cpu", it.run if it.run is not None else it.pictures)
                    for it in CP.plan(_defs(datasets))}
        rates.write_text(json.dumps({k: RATE for k in key_runs}))
    return C.Campaign(_defs(datasets), engine, tmp_path / runs, tmp_path / name, list(committed), budget,
                      device="cpu", commit_sent="abc1234", rates_path=rates, clock=lambda: engine.now)


def test_plan_order_completes_comparisons_first():
    items = CP.plan(_defs(("mnist", "cifar10"), shrink=CP.micro))
    assert len({it.key for it in items}) == len(items)
    datasets = [it.dataset for it in items]
    assert datasets == sorted(datasets, key=CP.DATASET_ORDER.index)  # MNIST entirely before CIFAR-10
    for ds in ("mnist", "cifar10"):
        tiers = [it.tier for it in items if it.dataset == ds]
        assert tiers == sorted(tiers)
    first = items[:9]  # full data: (standard, largest linf, largest l2) for seed 0, then seed 1, then seed 2
    assert [it.round for it in first] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert [it.run.seed for it in first] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert [(it.run.norm, it.run.eps_train) for it in first[:3]] == [("none", 0.0), ("inf", 0.3), ("2", 2.5)]
    assert all(it.tier == 0 and it.run.n_train == 120 for it in first)
    assert set(first[0].groups) == {"fig7", "fig6", "fig1"}  # the shared standard run
    mixed = [it for it in items if it.tier == 1 and it.dataset == "mnist"]
    assert mixed and all(it.run.mixed for it in mixed) and {it.run.eps_train for it in mixed} == {0.3, 2.0}
    small = [it for it in items if it.tier == 2]
    assert small and all(it.run.n_train == 30 and it.run.eps_train in (0.0, 0.3, 2.5) for it in small)
    pics = [it for it in items if it.pictures is not None]
    assert [(it.dataset, it.tier) for it in pics] == [("mnist", 3), ("cifar10", 3)]
    # intermediate eps at full data come after every tier-0..3 item of the dataset
    inner = [i for i, it in enumerate(items) if it.dataset == "mnist" and it.tier == 4]
    assert inner and min(inner) > max(i for i, it in enumerate(items) if it.dataset == "mnist" and it.tier <= 3)


def test_paper_scale_plan_has_three_seeds_and_the_fast_cifar_net():
    items = CP.plan(CP.campaign_definitions(["mnist", "cifar10"]))
    m = [it for it in items if it.dataset == "mnist" and it.run is not None]
    assert {it.run.seed for it in m} == {0, 1, 2}
    assert items[0].run.n_train == 60000 and items[0].run.eps_train == 0
    assert {it.run.config.model for it in items if it.dataset == "cifar10" and it.run is not None} == {"resnet9"}
    groups = {g for it in items for g in it.groups}
    assert groups == {"fig1", "fig6", "fig7", "mixed", "pictures"}
    tiny = CP.plan(CP.campaign_definitions(["restricted_tiny_imagenet"]))
    assert tiny[0].pictures is not None and tiny[0].tier == 0  # its pictures first
    assert {it.run.n_train for it in tiny if it.run is not None} == {12000}  # Figure 7 at its full training set
    assert {it.run.config.model for it in tiny if it.run is not None} == {"resnet9"}


def test_budget_stops_starting_runs_that_do_not_fit(tmp_path):
    eng = ClockedEngine()
    items = CP.plan(_defs())
    est = [CI.run_units(it.run) / RATE for it in items[:3]]
    budget = C.RESERVE_S + est[0] + est[1] + 0.5 * est[2]
    camp = _campaign(tmp_path, eng, budget=budget)
    statuses = {s.key: s for s in camp.run()}
    assert eng.train_calls[:2] == [items[0].key, items[1].key]
    assert statuses[items[2].key].status == "budget" and items[2].key not in eng.train_calls
    done = [s for s in statuses.values() if s.status == "done"]
    assert sum(s.estimate_s for s in done) <= budget - C.RESERVE_S + 1e-9
    assert eng.now <= budget - C.RESERVE_S + 1e-9
    # what was started was started in plan order
    order = [it.key for it in items]
    assert [order.index(k) for k in eng.train_calls] == sorted(order.index(k) for k in eng.train_calls)


def test_resume_after_interruption_never_retrains(tmp_path):
    eng = ClockedEngine(stop_at=3)
    with pytest.raises(KeyboardInterrupt):
        _campaign(tmp_path, eng).run()
    items = CP.plan(_defs())
    summary = read_result(tmp_path / "c" / "pack" / "campaign.json")["payload"]
    assert summary["counts"]["done"] == 2  # the pack was written after each finished run
    assert set(read_result(tmp_path / "c" / "pack" / "campaign_runs.json")["payload"]["runs"]) == \
        {items[0].key, items[1].key}
    eng2 = ClockedEngine()
    statuses = {s.key: s.status for s in _campaign(tmp_path, eng2).run()}
    assert statuses[items[0].key] == statuses[items[1].key] == "local"
    assert items[0].key not in eng2.train_calls and items[1].key not in eng2.train_calls
    assert eng2.train_calls[0] == items[2].key and eng2.epochs_run[items[2].key] == 2  # resumed after epoch 1
    assert all(s in ("local", "done") for s in statuses.values())


def test_committed_results_are_skipped_and_merged(tmp_path):
    eng = ClockedEngine()
    items = CP.plan(_defs())
    first = _campaign(tmp_path, eng, budget=C.RESERVE_S + sum(CI.run_units(it.run) / RATE for it in items[:3]) + 1e-6)
    first.run()
    committed = tmp_path / "committed"
    shutil.copytree(tmp_path / "c" / "pack", committed / "campaign_1")
    # an older committed table that names one more run only by its row
    row_run = next(it for it in items if it.tier == 1).run
    write_result(committed / "old" / "mixed.json", "deep.sweep", {"rows": [
        {"run": row_run.run_id, "norm": row_run.norm, "eps_train": row_run.eps_train, "seed": row_run.seed,
         "n_train": row_run.n_train, "mixed": True, "standard_acc": 0.5, "robust_acc": 0.25, "eps_eval": 0.3,
         "n_eval": 40}]}, scale="gpu-reduced")
    # and a standard run named by one row of one norm only (its other sweep's file is absent)
    std_run = next(it for it in items if it.tier == 2 and it.run.eps_train == 0).run
    write_result(committed / "old" / "fig6.json", "deep.sweep", {"rows": [
        {"run": std_run.run_id, "norm": "inf", "eps_train": 0.0, "seed": std_run.seed, "n_train": std_run.n_train,
         "mixed": False, "standard_acc": 0.5, "robust_acc": 0.0, "eps_eval": 0.3, "n_eval": 40}]},
                 scale="gpu-reduced")
    eng2 = ClockedEngine()
    second = _campaign(tmp_path, eng2, committed=[committed], name="c2", runs="runs2")
    statuses = {s.key: s.status for s in second.run()}
    assert [statuses[it.key] for it in items[:3]] == ["committed"] * 3 and statuses[row_run.run_id] == "committed"
    # committed runs are never trained for their sweeps; only the picture experiment retrains the models whose
    # weights it needs (committed results carry no checkpoints)
    from tradeoff.deep.experiments.pictures import model_runs

    pictures = {r.run_id for it in items if it.pictures is not None for r in model_runs(it.pictures).values()}
    assert {it.key for it in items[:3]} & set(eng2.train_calls) <= pictures and row_run.run_id not in eng2.train_calls
    assert items[2].key not in eng2.train_calls and items[2].key not in pictures  # l2 2.5: no picture model
    pack = tmp_path / "c2" / "pack"
    new_runs = read_result(pack / "campaign_runs.json")["payload"]["runs"]
    assert not {it.key for it in items[:3]} & set(new_runs) and row_run.run_id not in new_runs
    fig7 = read_result(pack / "results" / "deep" / "fig7_mnist.json")["payload"]
    assert {it.key for it in items[:3]} <= {r["run"] for r in fig7["rows"]}  # committed runs merged in
    assert fig7["missing"] == []
    assert statuses[std_run.run_id] == "committed" and std_run.run_id not in eng2.train_calls
    assert std_run.run_id in read_result(pack / "results" / "deep" / "fig1_mnist.json")["payload"]["missing"]
    mixed = read_result(pack / "results" / "deep" / "mixed_mnist.json")["payload"]
    assert next(r for r in mixed["rows"] if r["run"] == row_run.run_id)["robust_acc"] == 0.25


def test_pack_contents(tmp_path):
    eng = ClockedEngine()
    camp = _campaign(tmp_path, eng)
    camp.run()
    tarball = C.pack(tmp_path / "c")
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    assert {"pack/campaign.json", "pack/campaign_runs.json", "pack/results/deep/fig7_mnist.json",
            "pack/results/deep/mixed_mnist.json", "pack/results/deep/fig1_mnist.json"} <= names
    assert not any(n.endswith(".pt") for n in names)
    assert any(n.startswith("pack/results/deep/gradients") or "gradients" in n for n in names)  # pictures ran
    summary = read_result(tmp_path / "c" / "pack" / "campaign.json")
    p = summary["payload"]
    assert p["device"] == "cpu" and p["torch"] == torch.__version__ and p["commit_sent"] == "abc1234"
    assert p["wall_time_s"] == pytest.approx(eng.now) and summary["wall_time_s"] == pytest.approx(eng.now)
    assert p["counts"]["done"] == len(CP.plan(_defs())) and len(p["pictures_done"]) == 1
    runs = read_result(tmp_path / "c" / "pack" / "campaign_runs.json")["payload"]["runs"]
    assert len(runs) == sum(it.run is not None for it in CP.plan(_defs()))
    # a second call finds everything done (the pictures too) and trains nothing
    eng2 = ClockedEngine()
    statuses = _campaign(tmp_path, eng2).run()
    assert eng2.train_calls == [] and {s.status for s in statuses} == {"local"}


def test_rates_default_measured_and_from_a_previous_window(tmp_path):
    r = CI.Rates()
    key = "cuda:NVIDIA H200/mnist_cnn/32/mnist"
    assert r.get(key) == CI.DEFAULT_RATES[("cuda", "mnist_cnn")]
    r.learn(key, 1e6, 10.0)
    assert r.get(key) == pytest.approx(1e5)
    r.learn(key, 1e6, 5.0)
    assert r.get(key) == pytest.approx(1.5e5)
    write_result(tmp_path / "w" / "campaign.json", "deep.campaign", {"rates": {key: 2e5}}, scale="campaign")
    assert CI.load_rates(None, CI.read_present([tmp_path / "w"])).get(key) == 2e5


def test_pack_data_copies_only_the_needed_datasets(tmp_path, monkeypatch):
    from tests.data._fixtures import fake_mnist_bytes, write_files

    monkeypatch.setenv("TRADEOFF_DATA", str(tmp_path / "cache"))
    write_files(tmp_path / "cache" / "mnist", fake_mnist_bytes(40, 10))
    plan = campaign_data.upload_plan(["mnist"])
    assert plan[0].bytes is not None and campaign_data.fits(plan)
    paths = campaign_data.pack_data(["mnist"], tmp_path / "upload")
    assert [p.name for p in paths] == ["mnist.tgz"]
    with tarfile.open(paths[0]) as tar:
        assert sorted(tar.getnames()) == sorted(f"mnist/{n}" for n in fake_mnist_bytes(1, 1))
    man = campaign_data.read_manifest(tmp_path / "upload")
    assert man["total_bytes"] == paths[0].stat().st_size <= man["limit_bytes"]
    with pytest.raises(ValueError, match="no local copy to pack"):
        campaign_data.pack_data(["cifar10"], tmp_path / "up2", roots={"cifar10": str(tmp_path / "nowhere")})
    monkeypatch.setattr(campaign_data, "UPLOAD_LIMIT_BYTES", 100)
    with pytest.raises(ValueError, match="upload limit"):
        campaign_data.pack_data(["mnist"], tmp_path / "up3")


def test_populations_group_runs_of_one_tier_that_train_in_lockstep(tmp_path):
    from tradeoff.deep.population_plan import population_key

    class PopulationEngine(ClockedEngine):
        def __init__(self):
            super().__init__()
            self.batches = []

        def train_many(self, runs, dirs):
            self.batches.append([r.run_id for r in runs])
            for r, d in zip(runs, dirs):
                self.train(r, d)
            return [None] * len(runs)

    eng = PopulationEngine()
    camp = _campaign(tmp_path, eng)
    camp.population = 3
    camp.run()
    items = {it.key: it for it in CP.plan(_defs())}
    assert eng.batches[0][0] == next(iter(items))  # the plan's first run starts the first population
    # the campaign groups at most `population` of its runs; the picture experiment trains its own models (every
    # replicate seed's that no sweep trained) in one call of its own
    assert max(len(b) for b in eng.batches if set(b) <= set(items)) == 3
    for b in eng.batches:
        if not set(b) <= set(items):  # the picture experiment trains its own models (one is no sweep run)
            continue
        assert len({items[k].tier for k in b}) == 1 and len({population_key(items[k].run.config) for k in b}) == 1
