"""One run on 2 processes (torchrun running ``tradeoff deep train``, gloo on CPU) ends with identical weights on both
ranks, equal (up to float rounding of the gradient all-reduce) to the same run on one process with the same global
batch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.deep.test_train import tiny_config
from tradeoff.deep.config_toml import dumps_config
from tradeoff.deep.distributed import DistInfo, dist_from_env, weights_digest
from tradeoff.deep.runs import load_checkpoint, read_metrics
from tradeoff.deep.train import train_run

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]


def test_dist_from_env(monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "1")
    info = dist_from_env()
    assert info == DistInfo(1, 4, 1) and info.enabled and not info.is_main
    monkeypatch.setenv("WORLD_SIZE", "x")
    with pytest.raises(ValueError, match="torchrun"):
        dist_from_env()


def test_weights_digest_detects_any_change():
    model = torch.nn.Linear(3, 2)
    d = weights_digest(model)
    assert d == weights_digest(model)
    with torch.no_grad():
        model.weight[0, 0] += 1e-7
    assert d != weights_digest(model)


def torchrun_train(cfg, tmp_path):
    """``tradeoff deep train`` of ``cfg`` in two gloo processes (torch.distributed.run) into ``tmp_path/ddp``."""
    cfg_path = tmp_path / "ddp.toml"
    cfg_path.write_text(dumps_config(cfg))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "TRADEOFF_BUILD": str(tmp_path / "b")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "tradeoff.reports", "deep", "train", str(cfg_path), "--run-dir", str(tmp_path / "ddp"),
           "--no-progress"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.slow
def test_two_process_gloo_run_matches_single_process(tmp_path):
    # PGD training without random start: the attack is a deterministic function of (weights, example), so the
    # sharded batches see exactly the perturbations of the single-process batch; in float32 (amp = false), where
    # sharding changes sums only by float32 rounding (bf16 would change them by bf16's, 2^-8)
    cfg = tiny_config(name="ddp", amp=False, n_train=256, epochs=2, batch_size=64, lr=0.01, schedule="cosine",
                      adv={"eps": 0.05, "steps": 2, "random_start": False},
                      eval={"eps": [0.05], "steps": 2, "n_epoch": 100, "n_final": 200})
    torchrun_train(cfg, tmp_path)

    single = train_run(cfg, tmp_path / "single")
    ddp = load_checkpoint(tmp_path / "ddp")
    ref = load_checkpoint(single.run_dir)
    for k in ref["model"]:
        assert torch.allclose(ddp["model"][k], ref["model"][k], atol=2e-5, rtol=1e-4), k
    ddp_rows, ref_rows = read_metrics(tmp_path / "ddp"), read_metrics(single.run_dir)
    assert [r["n_train_seen"] for r in ddp_rows] == [r["n_train_seen"] for r in ref_rows] == [256, 256]
    for a, b in zip(ddp_rows, ref_rows):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-4)
        assert a["eval_standard_acc"] == pytest.approx(b["eval_standard_acc"], abs=0.011)

    from tradeoff.data.io import read_result

    summary = read_result(tmp_path / "ddp" / "summary.json")["payload"]
    assert summary["world_size"] == 2 and summary["ddp_weights_identical"] is True
    assert summary["n_eval"] == 200


@pytest.mark.slow
def test_two_process_gloo_trades_run_keeps_replicas_identical(tmp_path):
    """TRADES calls the DDP module twice per step (clean and KL points) before one backward: the gradient
    all-reduce still averages the summed loss's gradient, so both ranks end with identical weights. (Its start
    noise is drawn per rank, so the run is not the single-process one; training must still lower the loss.)"""
    cfg = tiny_config(name="ddp-trades", amp=False, n_train=256, epochs=2, batch_size=64, lr=0.01,
                      adv={"eps": 0.05, "steps": 2, "method": "trades", "beta": 2.0},
                      eval={"eps": [0.05], "steps": 2, "n_epoch": 100, "n_final": 100})
    torchrun_train(cfg, tmp_path)
    from tradeoff.data.io import read_result

    summary = read_result(tmp_path / "ddp" / "summary.json")["payload"]
    assert summary["world_size"] == 2 and summary["ddp_weights_identical"] is True
    rows = read_metrics(tmp_path / "ddp")
    assert [r["n_train_seen"] for r in rows] == [256, 256] and rows[1]["train_loss"] < rows[0]["train_loss"]
