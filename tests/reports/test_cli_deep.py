import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.deep.test_train import tiny_config
from tradeoff.data.io import read_result
from tradeoff.deep.config_toml import dumps_config
from tradeoff.reports.cli import main

torch.set_num_threads(1)


def write_config(cfg, path: Path) -> Path:
    """``cfg`` written as a TOML config file at ``path``."""
    path.write_text(dumps_config(cfg))
    return path


@pytest.fixture
def config_file(tmp_path):
    cfg = tiny_config(name="cli", n_train=256, epochs=2, width=16,
                      adv={"eps": 0.05, "steps": 3}, eval={"eps": [0.05], "steps": 3, "n_epoch": 64, "n_final": 128})
    return write_config(cfg, tmp_path / "cli.toml")


def test_train_then_report_finished(tmp_path, config_file, capsys):
    run = tmp_path / "run"
    assert main(["deep", "train", str(config_file), "--run-dir", str(run), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "trained 2 epoch(s)" in out and "pgd@0.05" in out and "standard_acc" in out
    assert (run / "summary.json").is_file()
    assert main(["deep", "train", str(config_file), "--run-dir", str(run), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["already_finished"] is True and printed["summary"]["n_eval"] == 128


def test_train_errors_are_one_line_exit_2(tmp_path, config_file, capsys):
    assert main(["deep", "train", str(tmp_path / "missing.toml")]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('optimizer = "rmsprop"\n')
    assert main(["deep", "train", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "'optimizer'" in err and "'sgd'" in err and err.count("\n") == 1
    run = tmp_path / "run"
    assert main(["deep", "train", str(config_file), "--run-dir", str(run), "--epochs", "1", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["deep", "train", str(config_file), "--run-dir", str(run), "--no-progress"]) == 2
    assert "different config (changed: epochs)" in capsys.readouterr().err


def test_eval_prints_accuracy_and_sanity_and_writes_result(tmp_path, config_file, capsys):
    run = tmp_path / "run"
    assert main(["deep", "train", str(config_file), "--run-dir", str(run), "--no-progress"]) == 0
    capsys.readouterr()
    rc = main(["--build-dir", str(tmp_path / "b"), "deep", "eval", str(run), "--eps", "0.05", "0.5", "--steps",
               "10", "--n", "200", "--sanity-n", "100", "--device", "cpu", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    acc = {row["eps"]: row["accuracy"] for row in out["accuracy"]}
    assert set(acc) == {0.0, 0.05, 0.5} and acc[0.5] <= acc[0.05] <= acc[0.0] and acc[0.0] > 0.5
    assert acc[0.5] < 0.05  # a huge l_inf ball breaks everything
    assert {c["name"] for c in out["sanity"]["checks"]} >= {"unbounded_attack", "input_gradients"}
    sanity_file = Path(out["sanity"]["file"])
    # named after the run folder plus a digest of its full path, so same-named runs elsewhere do not collide
    assert sanity_file.parent == tmp_path / "b" / "results" / "deep"
    assert re.fullmatch(r"sanity_run-[0-9a-f]{8}\.json", sanity_file.name)
    result = json.loads(sanity_file.read_text())
    assert result["kind"] == "deep.sanity" and result["payload"]["run"] == "run"
    # one command's own evaluation is not evidence for a claim (data.scales)
    assert result["scale"] == "ad-hoc" and result["evidence"] is False and result["dataset"] == "toy (synthetic)"
    assert main(["deep", "eval", str(tmp_path / "nope"), "--eps", "0.1"]) == 2
    # every result names its evaluation: the default ensemble with its cost, in the output and the sanity file
    ev = out["evaluation"]
    assert ev["attack"]["name"] == "default[steps=10]"
    assert [a["label"] for a in ev["attack"]["attacks"]] == ["apgd-ce", "apgd-margin", "apgd-t3"]
    cost = ev["per_eps"][1]["cost"]
    assert cost[0]["attacked"] == round(acc[0.0] * 200) and cost[1]["attacked"] == cost[0]["attacked"] - \
        cost[0]["broken"] and all(c["seconds"] >= 0 for c in cost)
    assert result["payload"]["robust_evaluation"]["attack"] == ev["attack"]


def test_eval_single_attack_and_reference_options(tmp_path, config_file, capsys, monkeypatch):
    run = tmp_path / "run"
    assert main(["deep", "train", str(config_file), "--run-dir", str(run), "--no-progress"]) == 0
    capsys.readouterr()
    common = ["--build-dir", str(tmp_path / "b"), "deep", "eval", str(run), "--eps", "0.05", "--n", "20",
              "--sanity-n", "0", "--device", "cpu"]
    assert main([*common, "--attack", "pgd", "--steps", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["evaluation"]["attack"]["attacks"][0]["label"] == "pgd-5"
    # no sanity checks, still a result file (issue 23): the same accuracies, kind deep.eval, ad hoc (not evidence)
    saved = read_result(out["file"])
    assert Path(out["file"]).parent == tmp_path / "b" / "results" / "deep"
    assert saved["kind"] == "deep.eval" and saved["scale"] == "ad-hoc" and saved["payload"]["accuracy"] == \
        out["accuracy"]
    assert main([*common, "--attack", "fgsm"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown --attack" in err
    assert main([*common, "--step-size", "0.01"]) == 2
    assert "--step-size only applies to --attack pgd" in capsys.readouterr().err
    from tradeoff.deep import reference

    if reference.reference_available():
        assert main([*common, "--steps", "5", "--reference", "autoattack", "--json"]) == 0
        ref = json.loads(capsys.readouterr().out)["reference"][0]
        assert ref["eps"] == 0.05 and ref["difference"] == pytest.approx(ref["ours"] - ref["autoattack"])
        assert ref["reference"]["name"] == "autoattack"
    monkeypatch.setattr(reference, "reference_available", lambda: False)
    assert main([*common, "--reference", "autoattack"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install" in err and "pyautoattack" in err


def test_attack_saves_examples_inside_the_ball(tmp_path, config_file, capsys):
    run = tmp_path / "run"
    assert main(["deep", "train", str(config_file), "--run-dir", str(run), "--no-progress"]) == 0
    out = tmp_path / "adv.npz"
    assert main(["deep", "attack", str(run), "--eps", "0.1", "--steps", "5", "--n", "50", "--out", str(out),
                 "--device", "cpu"]) == 0
    z = np.load(out)
    assert z["x"].shape == z["x_adv"].shape == (50, 1, 12, 12) and z["y"].shape == (50,)
    assert np.abs(z["x_adv"] - z["x"]).max() <= 0.1 + 1e-6
    assert z["x_adv"].min() >= 0 and z["x_adv"].max() <= 1
    assert (z["pred_adv"] == z["y"]).mean() <= (z["pred_clean"] == z["y"]).mean()
    assert main(["deep", "attack", str(run), "--eps", "0.1", "--out", str(tmp_path / "a.txt")]) == 2
    capsys.readouterr()
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert main(["deep", "attack", str(run), "--eps", "0.1", "--steps", "1", "--n", "5", "--out",
                 str(a_file / "x.npz"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tradeoff: error:") and f"--out {a_file / 'x.npz'}" in err
    assert "is a file, not a folder" in err
    assert main(["deep", "train", str(config_file), "--run-dir", str(a_file), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"--run-dir {a_file}" in err and "is a file, not a folder" in err


@pytest.mark.parametrize("argv", [
    ["attack", "--eps", "0.1", "--steps", "0", "--out", "a.npz"],
    ["attack", "--eps", "0.1", "--restarts", "0", "--out", "a.npz"],
    ["eval", "--eps", "0.1", "--steps", "0"],
    ["eval", "--eps", "0.1", "--batch-size", "0"],
    ["eval", "--eps", "0.1", "--sanity-eps", "-1"],
    ["eval", "--eps", "0.1", "--step-size", "-0.1"],
    ["eval", "--eps", "0.1", "--sanity-n", "-1"],
])
def test_bad_attack_budgets_are_one_line_errors_before_any_work(tmp_path, argv, capsys):
    # the folder holds no run: the budget is checked first, as the options are read
    cmd, rest = argv[0], argv[1:]
    assert main(["deep", cmd, str(tmp_path), *rest]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{rest[2]} {rest[3]}: must be" in err


def test_train_epochs_override_zero_is_refused(tmp_path, config_file, capsys):
    assert main(["deep", "train", str(config_file), "--run-dir", str(tmp_path / "r"), "--epochs", "0"]) == 2
    assert "epochs" in capsys.readouterr().err


def test_an_unknown_scale_is_refused_when_written_and_skipped_when_read(tmp_path):
    from tradeoff.data.io import write_result
    from tradeoff.reports.result_index import collect_results

    with pytest.raises(ValueError, match="scale 'gpu-h100' is unknown"):
        write_result(tmp_path / "x.json", "deep.sanity", {"checks": []}, scale="gpu-h100")
    (tmp_path / "old.json").write_text(json.dumps({"schema": 1, "kind": "deep.sanity", "scale": "gpu-h100",
                                                   "payload": {"checks": []}}))
    found = collect_results([tmp_path])
    assert not found.results and "not one of data.scales" in found.skipped[0].reason


def test_attack_defaults_to_the_runs_norm_and_is_reproducible(tmp_path, capsys):
    cfg = tiny_config(name="l2", n_train=128, epochs=1, adv={"norm": "2", "eps": 0.5, "steps": 2},
                      eval={"eps": [0.5], "steps": 2, "n_epoch": 32, "n_final": 32})
    run = tmp_path / "run"
    assert main(["deep", "train", str(write_config(cfg, tmp_path / "l2.toml")), "--run-dir", str(run),
                 "--no-progress"]) == 0
    outs = []
    for name in ("a.npz", "b.npz"):
        assert main(["deep", "attack", str(run), "--eps", "0.5", "--steps", "3", "--n", "40", "--out",
                     str(tmp_path / name), "--device", "cpu"]) == 0
        outs.append(np.load(tmp_path / name))
    z = outs[0]
    assert str(z["norm"]) == "2"
    dist = np.sqrt(((z["x_adv"] - z["x"]).reshape(40, -1).astype(np.float64) ** 2).sum(1))
    assert 0.1 < dist.max() <= 0.5 + 1e-5  # an l_inf attack at 0.5 would move up to 0.5·12 in l_2
    assert np.array_equal(outs[0]["x_adv"], outs[1]["x_adv"])


@pytest.mark.realdata
def test_eval_points_of_a_disk_dataset_run_are_its_held_out_split(tmp_path):
    """On the val-only Restricted ImageNet sample a run trains on 80% of val: eval/attack must use the other 20%."""

    from tradeoff.data.registry import dataset_info, dataset_root
    from tradeoff.deep.models import build_model
    from tradeoff.deep.run_data import disk_datasets, materialise
    from tradeoff.reports.cli.deep import _test_points

    root = dataset_root("restricted_imagenet")
    if root is None or not (root / "val").is_dir():
        pytest.skip("set $TRADEOFF_IMAGENET_ROOT to the Restricted ImageNet sample (a folder with val/)")
    root = str(root)
    cfg = tiny_config(name="rin", dataset="restricted_imagenet", data_root=root, model="resnet50", width=2)
    run = tmp_path / "run"
    run.mkdir()
    write_config(cfg, run / "config.toml")
    spec = dataset_info(cfg.dataset)
    model = build_model(cfg.model, spec.num_classes, spec.mean, spec.std, cfg.width, spec.image_size)
    torch.save(model.state_dict(), run / "model.pt")
    _, _, x, y, _ = _test_points(str(run), 3, "cpu")
    held_x, held_y = materialise(disk_datasets(cfg)[1], 3)
    assert torch.equal(x, held_x) and torch.equal(y, held_y)


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("tradeoff: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("text,needle", [
    ("name = 5", "'name' = 5 is invalid: allowed a string"),
    ('[adv]\nrandom_start = "no"', "'adv.random_start' = 'no' is invalid: allowed true or false"),
    ('amp = "false"', "'amp' = 'false' is invalid: allowed true or false"),
    ('name = "../../escape"', "plain folder name"),
    ('[eval]\neps = ["a"]', "'eval.eps[0]' = 'a'"),
    ("epochs = -1", "'epochs' = -1"),
    ("bogus = 1", "unknown config field 'bogus'"),
])
def test_bad_configs_are_one_line_errors_exit_2(tmp_path, text, needle, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n")
    assert main(["deep", "train", str(bad)]) == 2
    assert needle in _one_line_error(capsys)
    assert not (tmp_path / "escape").exists()


def test_a_binary_config_names_the_file(tmp_path, capsys):
    bad = tmp_path / "weights.pt"
    bad.write_bytes(bytes(range(256)))
    assert main(["deep", "train", str(bad)]) == 2
    err = _one_line_error(capsys)
    assert str(bad) in err and "not a TOML text file" in err


def test_a_scalar_eval_eps_trains(tmp_path, capsys):
    """[eval] eps = 0.05 (a single value where a list is expected) is read as [0.05]."""
    cfg = tiny_config(name="scalar", n_train=64, epochs=1, eval={"steps": 2, "n_epoch": 32, "n_final": 32})
    text = write_config(cfg, tmp_path / "list.toml").read_text()
    assert "\neps = []\n" in text
    path = tmp_path / "scalar.toml"
    path.write_text(text.replace("\neps = []\n", "\neps = 0.05\n"))
    assert main(["deep", "train", str(path), "--run-dir", str(tmp_path / "run"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["eps_eval"] == [0.05]


def test_damaged_weights_are_one_line_errors_for_eval_and_resume(tmp_path, config_file, capsys, monkeypatch):
    import torch

    from tradeoff.deep.config_toml import load_config
    from tradeoff.deep.train import TrainOptions, train_run

    run = tmp_path / "run"
    assert main(["deep", "train", str(config_file), "--run-dir", str(run), "--no-progress"]) == 0
    capsys.readouterr()
    good = (run / "model.pt").read_bytes()
    (run / "model.pt").write_bytes(good[: len(good) // 2])
    eval_argv = ["deep", "eval", str(run), "--eps", "0.05", "--n", "8", "--sanity-n", "0", "--steps", "2"]
    assert main(eval_argv) == 2
    err = _one_line_error(capsys)
    assert "model.pt is truncated or corrupt" in err and "tradeoff deep train" in err
    monkeypatch.setenv("TRADEOFF_DEBUG", "1")  # the traceback for a developer
    with pytest.raises(ValueError, match="truncated or corrupt"):
        main(eval_argv)
    monkeypatch.delenv("TRADEOFF_DEBUG")

    (run / "model.pt").unlink()  # eval falls back to the checkpoint: a bare state_dict there is refused
    torch.save(torch.load(run / "checkpoint.pt", weights_only=True)["model"], run / "checkpoint.pt")
    assert main(eval_argv) == 2
    assert "is not a training checkpoint" in _one_line_error(capsys)

    partial = tmp_path / "partial"
    train_run(load_config(config_file), partial, TrainOptions(stop_after=1))
    ckpt = (partial / "checkpoint.pt").read_bytes()
    (partial / "checkpoint.pt").write_bytes(ckpt[:12000])
    resume = ["deep", "train", str(config_file), "--run-dir", str(partial), "--no-progress"]  # a rerun resumes
    assert main(resume) == 2
    err = _one_line_error(capsys)
    assert "checkpoint.pt is truncated or corrupt" in err and "delete it and train again" in err
    torch.save({"net.weight": torch.zeros(2)}, partial / "checkpoint.pt")
    assert main(resume) == 2
    assert "is not a training checkpoint" in _one_line_error(capsys)
