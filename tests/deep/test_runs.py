import json

import pytest
import torch

from tests.deep.test_train import tiny_config
from tradeoff.data.io import read_result
from tradeoff.deep.config_toml import dumps_config
from tradeoff.deep.runs import (
    CHECKPOINT,
    METRICS,
    load_checkpoint,
    load_run_config,
    load_run_model,
    read_metrics,
    run_state,
)
from tradeoff.deep.train import TrainOptions, train_run

torch.set_num_threads(1)


def small(**changes):
    base = {"n_train": 256, "epochs": 2, "eval": {"eps": [0.05], "steps": 3, "n_epoch": 64, "n_final": 128}}
    return tiny_config(**{**base, **changes})


def test_run_folder_contents_and_finished_runs_are_not_retrained(tmp_path):
    cfg = small()
    res = train_run(cfg, tmp_path / "r")
    d = res.run_dir
    assert run_state(d) == "finished" and res.trained_epochs == 2 and not res.already_finished
    assert load_run_config(d) == cfg
    rows = read_metrics(d)
    assert [r["epoch"] for r in rows] == [1, 2] and all("eval_robust_acc" in r for r in rows)
    state = load_checkpoint(d)  # weights_only=True
    assert state["epoch"] == 2 and set(state) >= {"model", "optimizer", "scheduler"}
    assert json.loads((d / "checkpoint.json").read_text())["fingerprint"] == cfg.fingerprint()
    summary = read_result(d / "summary.json")
    assert summary["kind"] == "deep.run" and summary["seeds"] == [0]
    p = summary["payload"]
    assert p["n_eval"] == 128 and 0 <= p["robust_acc"]["0.05"] <= p["standard_acc"] <= 1
    assert p["eps_eval"] == [0.05] and list(p["robust_acc"]) == ["0.05"] and p["n_train"] == 256
    _, model = load_run_model(d)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), state["model"].values()))

    again = train_run(cfg, d)
    assert again.already_finished and again.trained_epochs == 0 and again.summary == p


def test_a_folder_with_another_config_is_refused(tmp_path):
    train_run(small(), tmp_path / "r")
    with pytest.raises(ValueError, match=r"different config \(changed: lr\)"):
        train_run(small(lr=0.5), tmp_path / "r")


def test_a_folder_where_nothing_was_trained_takes_the_corrected_config(tmp_path):
    d = tmp_path / "r"
    d.mkdir()
    (d / "config.toml").write_text(dumps_config(small(lr=0.5)))  # a first attempt that failed before its first epoch
    res = train_run(small(), d)
    assert res.trained_epochs == 2 and load_run_config(d) == small()


def test_partial_run_needs_resume(tmp_path):
    cfg = small(epochs=3)
    res = train_run(cfg, tmp_path / "r", TrainOptions(stop_after=1))
    assert run_state(res.run_dir) == "partial" and (res.run_dir / CHECKPOINT).is_file()
    with pytest.raises(ValueError, match=r"epoch 1 of 3.*resume"):
        train_run(cfg, tmp_path / "r", TrainOptions(resume=False))
    (res.run_dir / "checkpoint.json").unlink()  # a crash between writing the .pt and its .json
    with pytest.raises(ValueError, match=r"epoch \? of 3.*resume"):
        train_run(cfg, tmp_path / "r", TrainOptions(resume=False))


def test_torn_metrics_line_is_ignored(tmp_path):
    cfg = small(epochs=3)
    res = train_run(cfg, tmp_path / "r", TrainOptions(stop_after=1))
    with open(res.run_dir / METRICS, "a") as f:
        f.write('{"epoch": 2, "train_lo')  # a crash in the middle of a write
    assert [r["epoch"] for r in read_metrics(res.run_dir)] == [1]
    done = train_run(cfg, tmp_path / "r")
    assert [r["epoch"] for r in read_metrics(done.run_dir)] == [1, 2, 3]


def test_missing_run_folder_errors_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        load_run_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="train the run first"):
        load_checkpoint(tmp_path)


def test_corrupt_or_mismatched_weights_give_a_one_line_value_error(tmp_path):
    d = train_run(small(width=8), tmp_path / "r").run_dir
    good = (d / "model.pt").read_bytes()
    for bad in (b"garbage", good[:1000]):
        (d / "model.pt").write_bytes(bad)
        with pytest.raises(ValueError, match="model file .*model.pt is truncated or corrupt") as info:
            load_run_model(d)
        assert "\n" not in str(info.value)
    (d / CHECKPOINT).write_bytes(b"garbage")
    with pytest.raises(ValueError, match="checkpoint .*checkpoint.pt is truncated or corrupt"):
        load_checkpoint(d)
    (d / "model.pt").write_bytes(good)
    text = (d / "config.toml").read_text()
    assert "width = 8" in text
    (d / "config.toml").write_text(text.replace("width = 8", "width = 4"))
    with pytest.raises(ValueError, match="does not hold weights of the model"):
        load_run_model(d)


def test_a_model_file_cut_to_half_names_the_fix_and_the_fix_works(tmp_path):
    """Issue 10: a model.pt cut to half its size raised OSError [Errno 22] from torch's zip reader."""
    d = train_run(small(width=8), tmp_path / "r").run_dir
    good = (d / "model.pt").read_bytes()
    (d / "model.pt").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError) as info:
        load_run_model(d)
    msg = str(info.value)
    assert "\n" not in msg and "model file" in msg and "truncated or corrupt" in msg and "tradeoff deep train" in msg
    # the fix the message gives: delete model.pt and summary.json, rerun: it resumes from the last checkpoint
    (d / "model.pt").unlink()
    (d / "summary.json").unlink()
    again = train_run(small(width=8), d, TrainOptions(resume=True))
    assert again.trained_epochs == 0 and run_state(d) == "finished"
    assert (d / "model.pt").read_bytes() != good[: len(good) // 2]
    _, model = load_run_model(d)
    ref = torch.load(d / CHECKPOINT, weights_only=True)["model"]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), ref.values()))


@pytest.mark.parametrize("cut", [12000, "half"])
def test_a_cut_checkpoint_on_resume_is_a_one_line_error_and_rerunning_without_it_works(tmp_path, cut):
    cfg = small(epochs=3)
    d = train_run(cfg, tmp_path / "r", TrainOptions(stop_after=1)).run_dir
    good = (d / CHECKPOINT).read_bytes()
    n = len(good) // 2 if cut == "half" else cut
    assert n < len(good)
    (d / CHECKPOINT).write_bytes(good[:n])
    with pytest.raises(ValueError) as info:
        train_run(cfg, d, TrainOptions(resume=True))
    msg = str(info.value)
    assert "\n" not in msg and f"checkpoint {d / CHECKPOINT} is truncated or corrupt" in msg
    assert "delete it and train again" in msg and "restarts from epoch 0" in msg
    (d / CHECKPOINT).unlink()
    done = train_run(cfg, d, TrainOptions(resume=False))
    assert done.trained_epochs == 3 and [r["epoch"] for r in read_metrics(d)] == [1, 2, 3]


def test_a_bare_state_dict_as_checkpoint_is_refused_for_eval_and_resume(tmp_path):
    cfg = small(epochs=3)
    d = train_run(cfg, tmp_path / "r", TrainOptions(stop_after=1)).run_dir
    bare = load_checkpoint(d)["model"]  # what torch.save(model.state_dict()) writes
    torch.save(bare, d / CHECKPOINT)
    for call in (lambda: load_run_model(d), lambda: train_run(cfg, d, TrainOptions(resume=True))):
        with pytest.raises(ValueError) as info:
            call()
        msg = str(info.value)
        assert "\n" not in msg and "is not a training checkpoint" in msg and "bare model state_dict" in msg
        assert "delete it and train again" in msg
    torch.save([1, 2, 3], d / CHECKPOINT)
    with pytest.raises(ValueError, match="it holds a list"):
        load_checkpoint(d)
