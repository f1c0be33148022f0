"""Sweep runner: run identity, sharding is a partition, finished runs are skipped, interrupted runs resume,
merge builds the deep.sweep table."""

from __future__ import annotations

import pytest
import torch

from tests.deep._fake_engine import FakeEngine, Interrupted
from tradeoff.data.io import read_result
from tradeoff.deep.config import AdvConfig
from tradeoff.deep.experiments import definitions as D
from tradeoff.deep.experiments import sweep as S

torch.set_num_threads(1)


def _micro(group="fig6", small_n_seeds=()):
    exp = D.with_template(D.get(group, "mnist", "quick"), eval={"n_final": 30, "steps": 2, "restarts": 1})
    return D.with_overrides(exp, n_train=(30, 60), seeds=(0, 1), small_n_seeds=small_n_seeds) if group != "fig7" \
        else D.with_overrides(exp, n_train=(60,), seeds=(0, 1))


def test_standard_runs_are_shared_between_norms_and_sweeps():
    f6, f1, f7 = _micro("fig6"), _micro("fig1"), _micro("fig7")
    ids6 = {r.run_id for r in S.expand(f6)}
    ids1 = {r.run_id for r in S.expand(f1)}
    std = {r.run_id for r in S.expand(f6) if r.eps_train == 0}
    assert std and std <= ids1  # eps_train = 0 is the same run in the l2 and linf sweeps
    grid6 = dict(f6.eps_train)["inf"]
    shared = {r.run_id for r in S.expand(f7) if r.norm == "inf" and r.eps_train in grid6}
    assert shared and shared <= ids6  # Fig. 7's linf points at full data are Fig. 6's runs
    assert len(S.expand(f6)) == len(grid6) * 2 * 2
    assert all(r.norm == "none" for r in S.expand(f6) if r.eps_train == 0)


def test_small_n_seeds_only_below_the_largest_size():
    f6, f7 = _micro("fig6", small_n_seeds=(1, 2, 3)), _micro("fig7")
    grid6 = dict(f6.eps_train)["inf"]
    assert len(S.expand(f6)) == len(grid6) * (2 * 2 + 2)  # seed 1 is already one of the seeds
    assert {r.seed for r in S.expand(f6) if r.n_train == 60} == {0, 1}
    assert {r.seed for r in S.expand(f6) if r.n_train == 30} == {0, 1, 2, 3}
    assert {r.seed for r in S.expand(f7)} == {0, 1}  # the full-data sweep never takes the small-n seeds
    assert D.get("fig6", "mnist", "quick").small_n_seeds and not D.get("fig7", "mnist", "quick").small_n_seeds


def test_a_run_is_its_resolved_config_and_has_one_identity():
    """RunSpec.config is the TrainConfig the engine trains; its fingerprint is the run's id suffix and the one its
    checkpoints carry (the machine's data folder and device do not enter it)."""
    runs = S.expand(_micro())
    r = next(x for x in runs if x.eps_train == 0.3 and x.n_train == 30)
    c = r.config
    assert (c.adv.norm, c.adv.eps, c.n_train, c.seed, c.data_seed, c.name) == ("inf", 0.3, 30, r.seed, r.seed, r.run_id)
    assert c.eval.radii() == [("inf", 0.3)] and c.eval.n_final == 30 and c.eval.every == 0
    assert r.run_id.startswith(f"mnist-quick-inf-e0.3-n30-s{r.seed}-") and r.run_id.endswith(c.fingerprint())
    trained = S.train_config(r, data_root="/somewhere/else", device="cpu", progress=True)
    assert trained.fingerprint() == r.fingerprint() and trained.name == r.run_id
    std = next(x for x in runs if x.eps_train == 0)
    assert std.norm == "none" and std.config.eval.radii() == [("inf", 0.3), ("2", 2.0)]
    assert std.config.adv == AdvConfig()  # standard training: the default adversary, shared by every norm


def test_run_id_changes_with_settings_and_is_stable():
    f6 = _micro()
    r = S.expand(f6)[0]
    assert r.run_id == S.expand(_micro())[0].run_id
    assert S.expand(D.with_template(f6, lr=0.5))[0].run_id != r.run_id
    assert S.expand(D.with_template(f6, eval={"restarts": 2}))[0].run_id != r.run_id  # the evaluation too


@pytest.mark.parametrize("n", [1, 2, 3, 5, 40])
def test_shards_partition_the_runs(n):
    runs = S.expand(_micro("fig6")) + S.expand(_micro("fig1"))
    runs = list({r.run_id: r for r in runs}.values())
    parts = [S.shard(runs, i, n) for i in range(n)]
    ids = [r.run_id for p in parts for r in p]
    assert sorted(ids) == sorted(r.run_id for r in runs) and len(ids) == len(set(ids))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert [r.run_id for r in S.shard(list(reversed(runs)), 0, n)] == [r.run_id for r in parts[0]]


def test_parse_shard_errors():
    assert S.parse_shard("2/5") == (2, 5)
    for bad in ("5/5", "x/2", "1", "-1/3", "0/0"):
        with pytest.raises(ValueError, match="shard"):
            S.parse_shard(bad)


def test_runner_skips_finished_runs(tmp_path):
    exp = _micro()
    runs = S.expand(exp)
    eng = FakeEngine()
    recs = S.execute(runs, eng, tmp_path)
    assert [r["status"] for r in recs] == ["done"] * len(runs)
    eng2 = FakeEngine()
    recs2 = S.execute(runs, eng2, tmp_path)
    assert [r["status"] for r in recs2] == ["skipped"] * len(runs) and eng2.train_calls == []


def test_runner_resumes_an_interrupted_run(tmp_path):
    run = S.expand(_micro())[-1]
    eng = FakeEngine(epochs=3, interrupt_after=2)
    with pytest.raises(Interrupted):
        S.execute([run], eng, tmp_path)
    assert not S.is_finished(run, tmp_path)
    S.execute([run], eng, tmp_path)
    assert eng.epochs_run[run.run_id] == 3  # 2 before the interruption + 1 after: resumed, not restarted
    ref_dir = tmp_path / "ref"
    S.execute([run], FakeEngine(epochs=3), ref_dir)
    a = FakeEngine().load_model(run, S.run_dir_for(run, tmp_path))
    b = FakeEngine().load_model(run, S.run_dir_for(run, ref_dir))
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)


def test_merge_table(tmp_path):
    exp = _micro()
    runs_root, results = tmp_path / "runs", tmp_path / "results"
    S.execute(S.shard(S.expand(exp), 0, 2), FakeEngine(), runs_root)
    with pytest.raises(ValueError, match="not finished"):
        S.merge(exp, runs_root, results)
    partial = read_result(S.merge(exp, runs_root, results, allow_missing=True))
    assert len(partial["payload"]["missing"]) == len(S.expand(exp)) // 2
    S.execute(S.shard(S.expand(exp), 1, 2), FakeEngine(), runs_root)
    res = read_result(S.merge(exp, runs_root, results))
    assert res["kind"] == "deep.sweep" and res["dataset"] == "mnist" and res["scale"] == "quick"
    rows = res["payload"]["rows"]
    assert res["payload"]["experiment"] == "fig6" and not res["payload"]["missing"]
    grid = dict(exp.eps_train)["inf"]
    assert len(rows) == len(grid) * 2 * 2
    keys = {"dataset", "norm", "eps_train", "n_train", "mixed", "seed", "standard_acc", "robust_acc", "eps_eval",
            "run"}
    assert all(keys <= set(r) for r in rows)
    assert {r["eps_train"] for r in rows} == set(grid) and 0.0 in grid
    assert all(r["norm"] == "inf" and r["eps_eval"] == 0.3 for r in rows)
    assert all(0 <= r["robust_acc"] <= 1 and 0 <= r["standard_acc"] <= 1 for r in rows)
