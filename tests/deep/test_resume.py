"""An interrupted run resumed from its checkpoint ends exactly like an uninterrupted one (CPU)."""

import pytest
import torch

from tests.deep.test_train import tiny_config
from tradeoff.deep.runs import load_checkpoint, read_metrics
from tradeoff.deep.train import TrainOptions, train_run

torch.set_num_threads(1)

TIMING = ("time_s", "eval_time_s")


def comparable(rows):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows]


def assert_same_run(a, b):
    sa, sb = load_checkpoint(a), load_checkpoint(b)
    for k in sa["model"]:
        assert torch.equal(sa["model"][k], sb["model"][k]), k
    oa, ob = sa["optimizer"]["state"], sb["optimizer"]["state"]
    for i in oa:
        for k in oa[i]:
            assert torch.equal(torch.as_tensor(oa[i][k]), torch.as_tensor(ob[i][k])), (i, k)
    assert sa["scheduler"] == sb["scheduler"] and sa["epoch"] == sb["epoch"] == 3
    assert comparable(read_metrics(a)) == comparable(read_metrics(b))


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": "adam", "schedule": "cyclic", "lr": 0.01, "adv": {"eps": 0.05, "steps": 2}},
        {"optimizer": "sgd", "nesterov": True, "schedule": "cosine", "lr": 0.05, "weight_decay": 5e-4,
         "adv": {"eps": 0.05, "steps": 2, "mixed": True}},
    ],
    ids=["adam-cyclic-pgd", "sgd-nesterov-cosine-mixed"],
)
def test_stop_and_resume_equals_straight_run(tmp_path, changes):
    cfg = tiny_config(n_train=192, epochs=3, batch_size=64, eval={"eps": [0.05], "steps": 2, "n_epoch": 48,
                                                                  "n_final": 48}, **changes)
    straight = train_run(cfg, tmp_path / "straight")
    first = train_run(cfg, tmp_path / "resumed", TrainOptions(stop_after=1))
    assert first.trained_epochs == 1 and first.summary == {}
    second = train_run(cfg, tmp_path / "resumed", TrainOptions(resume=True))
    assert second.resumed_from == 1 and second.trained_epochs == 2
    assert_same_run(straight.run_dir, second.run_dir)
    assert second.summary["standard_acc"] == straight.summary["standard_acc"]
    assert second.summary["robust_acc"] == straight.summary["robust_acc"]


def test_crash_after_a_checkpoint_resumes_exactly(tmp_path):
    """A 'kill' (exception) raised after epoch 1's checkpoint, then a resume: same end state."""
    cfg = tiny_config(n_train=192, epochs=3, batch_size=64, adv={"eps": 0.05, "steps": 2},
                      eval={"eps": [0.05], "steps": 2, "n_epoch": 48, "n_final": 48})
    straight = train_run(cfg, tmp_path / "straight")

    def kill(k, stats):
        if stats.epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_run(cfg, tmp_path / "killed", TrainOptions(on_epoch_end=kill))
    # a stale, torn line from epoch 2 appended just before the kill must be dropped on resume
    with open(tmp_path / "killed" / "metrics.jsonl", "a") as f:
        f.write('{"epoch": 2, "train_loss": 0.1}\n')
    resumed = train_run(cfg, tmp_path / "killed", TrainOptions(resume=True))
    assert resumed.resumed_from == 1
    assert_same_run(straight.run_dir, resumed.run_dir)
