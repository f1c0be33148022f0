"""The walk of ``tradeoff deep train CONFIG`` from the command line to the attack step stays short (issue 20; the rule
and the lists: bench/train_walk.py, docs/architecture.md)."""

import torch

from bench.train_walk import MAX_RETURNS, MAX_STOPS, trace


def test_the_walk_to_the_attack_step_meets_its_target(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    monkeypatch.setenv("TRADEOFF_BUILD", str(tmp_path / "build"))
    walk = trace(tmp_path, resume=False)
    assert walk.attack is not None  # the trace reached the training attack's step
    stops, files, returns = walk.count(walk.attack + 1)
    assert [f for f, _, _ in walk.stops[:2]] == ["reports/cli/deep.py", "deep/config_toml.py"]  # CLI, then config
    assert stops <= MAX_STOPS and returns <= MAX_RETURNS, walk.stops[: walk.attack + 1]
