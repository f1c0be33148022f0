"""Issue 23, item 7: one CLI language. Global options before or after the command, ``--version``, one spelling per
flag, a plain-text description for every command, outputs only under the build folder, progress lines from the long
commands."""

import argparse
import re
import subprocess

import numpy as np
import pytest
import torch

from tradeoff.reports.cli import build_parser, main, version
from tradeoff.reports.cli._base import walk

torch.set_num_threads(1)


def commands():
    """Every command (not group) of the parser, with its path."""
    return [(path, p) for path, p in walk(build_parser())
            if not any(isinstance(a, argparse._SubParsersAction) for a in p._actions)]


def visible_options(p) -> set[str]:
    return {s for a in p._actions if a.help != argparse.SUPPRESS for s in a.option_strings}


def test_version_prints_the_package_version_and_commit(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out == version() and re.fullmatch(r"tradeoff \S+ \(commit \S+\)", out)
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        assert head.stdout.strip()[:12] in out


@pytest.mark.parametrize("where", ["before", "after", "between"])
def test_build_dir_is_accepted_before_or_after_the_command(where, tmp_path, capsys):
    opt = ["--build-dir", str(tmp_path)]
    argv = {"before": [*opt, "theory", "averaging"], "after": ["theory", "averaging", *opt],
            "between": ["theory", *opt, "averaging"]}[where]
    assert main([*argv, "--mc-samples", "1000"]) == 0
    assert (tmp_path / "results" / "theory" / "averaging.json").is_file()


def test_every_command_takes_the_global_options_and_has_a_plain_text_description():
    cmds = commands()
    assert len(cmds) >= 20
    for path, p in cmds:
        assert "--build-dir" in visible_options(p), path
        assert p.description and len(p.description) > 30, path
        text = p.format_help()
        assert "``" not in text and not re.search(r":(func|class|mod):`", text), path
    names = {" ".join(path) for path, _ in cmds}
    assert {"deep reproduce", "deep sweep", "deep merge", "deep campaign"} <= names


def test_one_spelling_per_flag_across_groups():
    seen = set()
    for path, p in commands():
        options = visible_options(p)
        seen |= options
        assert not options & {"--eps-eval", "--no-figure", "--resume"}, path
        if "--datasets" in options or "--dataset" in options:  # both spellings, one option
            assert {"--dataset", "--datasets"} <= options, path
    assert {"--eps", "--dataset", "--no-figures", "--scale", "--json", "--dry-run"} <= seen


@pytest.mark.parametrize("old, new", [
    (["linear", "frontier", "--eps-eval", "0.1"], ["linear", "frontier", "--eps", "0.1"]),
    (["linear", "frontier", "--no-figure"], ["linear", "frontier", "--no-figures"]),
    (["deep", "reproduce", "--datasets", "cifar10"], ["deep", "reproduce", "--dataset", "cifar10"]),
    (["deep", "merge", "--datasets", "cifar10"], ["deep", "merge", "--dataset", "cifar10"]),
    (["deep", "reproduce", "--micro"], ["deep", "reproduce", "--scale", "smoke"]),
])
def test_old_spellings_still_mean_the_same(old, new):
    parser = build_parser()
    a, b = vars(parser.parse_args(old)), vars(parser.parse_args(new))
    a.pop("func"), b.pop("func")
    if "--micro" in old:  # --micro and --scale smoke: the command treats both as the smoke scale
        assert a["micro"] and b["scale"] == "smoke"
    else:
        assert a == b


def test_dry_run_checks_everything_and_writes_nothing(tmp_path, capsys):
    assert main(["--build-dir", str(tmp_path), "theory", "all", "--dry-run"]) == 0
    assert main(["--build-dir", str(tmp_path), "deep", "reproduce", "--scale", "smoke", "--dry-run"]) == 0
    assert main(["--build-dir", str(tmp_path), "deep", "campaign", "--plan", "--dataset", "mnist", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("dry run:") == 3
    assert not (tmp_path / "results").exists() and not (tmp_path / "runs").exists()


# ----------------------------------------------------------------------------------------------- outputs and progress
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from tests.deep.test_train import tiny_config
    from tradeoff.deep.train import train_run

    d = tmp_path_factory.mktemp("run") / "r"
    train_run(tiny_config(epochs=1, n_train=128, eval={"eps": [0.05], "steps": 2, "n_epoch": 32, "n_final": 32}), d)
    return d


def test_deep_attack_writes_under_the_build_folder_unless_out_is_given(tiny_run, tmp_path, monkeypatch, capsys):
    cwd, build = tmp_path / "cwd", tmp_path / "build"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    argv = ["deep", "attack", str(tiny_run), "--eps", "0.05", "--n", "16", "--steps", "2", "--device", "cpu",
            "--build-dir", str(build)]
    assert main(argv) == 0
    (saved,) = (build / "attacks").glob("*.npz")
    assert list(cwd.iterdir()) == []
    with np.load(saved) as z:
        assert z["x_adv"].shape == z["x"].shape == (16, 1, 12, 12)
    assert "PGD-2" in capsys.readouterr().err  # its progress bar
    assert main([*argv, "--out", str(tmp_path / "mine.npz")]) == 0
    assert (tmp_path / "mine.npz").is_file() and list(cwd.iterdir()) == []


def test_theory_and_linear_write_nothing_outside_the_build_folder(tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert main(["theory", "frontier", "--points", "5", "--build-dir", str(tmp_path / "b")]) == 0
    assert list(cwd.iterdir()) == [] and (tmp_path / "b" / "results" / "theory" / "frontier.json").is_file()


def test_deep_eval_shows_progress_per_batch_and_per_sanity_check(tiny_run, tmp_path, capsys, monkeypatch):
    from tradeoff.deep import reference

    calls = []

    def fake_autoattack(model, x, y, eps, norm, batch_size):  # the official package is an optional extra
        calls.append(len(y))
        return torch.ones(len(y), dtype=torch.bool), {"version": "stand-in"}

    monkeypatch.setattr(reference, "reference_available", lambda: True)
    monkeypatch.setattr(reference, "autoattack_correct", fake_autoattack)
    monkeypatch.setattr(reference, "square_correct", lambda model, x, y, *a, **k: torch.ones(len(y), dtype=torch.bool))
    assert main(["--build-dir", str(tmp_path), "deep", "eval", str(tiny_run), "--eps", "0.05", "--n", "24",
                 "--steps", "2", "--batch-size", "8", "--sanity-n", "8", "--reference", "autoattack",
                 "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    for k, name in enumerate(["input_gradients", "output_randomness", "unbounded_attack", "more_steps",
                              "more_restarts", "black_box"], start=1):
        assert f"sanity check {k}/6 {name}" in err
    assert [f"batch {b}/3" in err for b in (1, 2, 3)] == [True] * 3 and calls == [8, 8, 8]  # AutoAttack per batch
    assert "eps=0.05" in err and "img" in err  # the evaluation's bar: per batch, in images, per attack


def test_data_limit_shows_a_line_per_split_and_radius(monkeypatch, tmp_path, capsys):
    from tradeoff.data import pairs

    rng = np.random.default_rng(0)

    def fake_pair(dataset, a, b, split, root=None):
        x = rng.integers(0, 256, (40, 1, 28, 28), dtype=np.uint8)
        y = np.where(np.arange(40) % 2 == 0, 1, -1)
        return x, y

    monkeypatch.setattr(pairs, "load_pair", fake_pair)
    assert main(["--build-dir", str(tmp_path), "data", "limit", "--eps", "0.1", "0.2", "--per-class", "20"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("tradeoff: data limit:")]
    assert len(lines) >= 4  # two splits x two radii
