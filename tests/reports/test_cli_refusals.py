"""Issue 24: the inputs a careful user would refuse. Each cause of the issue (1-8) is here with the exact inputs it
was seen with: one line, exit 2, naming the option or field (or a documented legal behaviour), and never a result
destroyed by a failing rerun."""

import hashlib
from pathlib import Path

import pytest
import torch

from tradeoff.deep.config_toml import dumps_config, load_config, loads_config
from tradeoff.reports.cli import main

torch.set_num_threads(1)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(argv, capsys, *words) -> str:
    """Run ``argv``: exit 2 and one line on stderr (after any progress bar) that names each of ``words``, no
    traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    last = err.rstrip("\n").split("\n")[-1].split("\r")[-1]
    assert last.startswith("tradeoff: error: ") and err.count("error:") == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)
    return err


# ----------------------------------------------------------------------------------------------- 1: results kept
def test_a_failing_rerun_leaves_the_good_result_byte_identical(tmp_path, capsys):
    build = ["--build-dir", str(tmp_path)]
    assert main([*build, "theory", "averaging", "--mc-samples", "2000"]) == 0
    result = tmp_path / "results" / "theory" / "averaging.json"
    figure = next((tmp_path / "figures").glob("*averaging*.png"))
    before = _sha(result), _sha(figure)
    refused([*build, "theory", "averaging", "--d", "1e30", "--mc-samples", "0"], capsys, "--d", "1e30")
    assert (_sha(result), _sha(figure)) == before


def test_a_failure_after_the_result_is_made_replaces_nothing(tmp_path, capsys, monkeypatch):
    """The figure step fails after the new result file was written (to the staging folder): the old file stays and
    no staging folder is left behind."""
    from tradeoff.reports.cli import _publish

    build = ["--build-dir", str(tmp_path)]
    assert main([*build, "theory", "averaging", "--mc-samples", "2000"]) == 0
    result = tmp_path / "results" / "theory" / "averaging.json"
    before = _sha(result)

    def broken(*a, **k):
        raise ValueError("the figure could not be drawn")

    monkeypatch.setattr(_publish, "draw_staged", broken)
    refused([*build, "theory", "averaging", "--mc-samples", "3000", "--seed", "7"], capsys, "figure")
    assert _sha(result) == before
    assert not list(tmp_path.glob(".staging-*"))


def test_theory_all_replaces_its_six_files_together_or_not_at_all(tmp_path, capsys, monkeypatch):
    from tradeoff.reports.cli import theory

    build = ["--build-dir", str(tmp_path)]
    assert main([*build, "theory", "averaging", "--mc-samples", "2000"]) == 0
    before = _sha(tmp_path / "results" / "theory" / "averaging.json")

    def broken(*a, **k):
        raise ValueError("the last step failed")

    monkeypatch.setattr(theory, "transfer_step", broken)
    refused([*build, "theory", "all", "--mc-samples", "0", "--points", "5"], capsys, "last step")
    assert _sha(tmp_path / "results" / "theory" / "averaging.json") == before  # the first step's file not replaced
    assert not (tmp_path / "results" / "theory" / "bound.json").exists()


# ----------------------------------------------------------------------------------------------- 3, 4: paths
def test_data_root_is_never_ignored(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    refused(["deep", "frontier", "--root", str(a_file)], capsys, "--root", "is a file")
    refused(["linear", "fig5", "--root", str(a_file)], capsys, "--root", "is a file")
    refused(["data", "limit", "--root", str(a_file)], capsys, "--root", "is a file")
    with pytest.raises(ValueError, match="data_root"):
        loads_config('dataset = "mnist"\ndata_root = ""\n')
    with pytest.raises(ValueError, match="data_root"):
        loads_config(f'dataset = "toy"\ndata_root = "{tmp_path}"\n')  # the synthetic set reads no folder
    from tradeoff.deep.datasets import load_split

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises((FileNotFoundError, ValueError), match=str(empty)):
        load_split("mnist", "test", str(empty))  # the folder given is read, not the cache


def test_an_empty_path_is_refused_not_read_as_the_current_folder(capsys):
    refused(["data", "fetch", "mnist", "--root", ""], capsys, "--root", "non-empty")
    refused(["deep", "train", "mnist_standard", "--run-dir", ""], capsys, "--run-dir", "non-empty")
    refused(["--build-dir", "", "theory", "averaging"], capsys, "--build-dir", "non-empty")


# ----------------------------------------------------------------------------------------------- 5: sizes
@pytest.mark.parametrize("text, field", [
    ('dataset = "mnist"\nn_train = 70000\n', "n_train"),
    ('dataset = "mnist"\n[eval]\nn_final = 1000000\n', "eval.n_final"),
    ('dataset = "toy"\nn_train = 2001\n', "n_train"),
])
def test_sizes_beyond_the_data_are_refused_not_cut(text, field):
    with pytest.raises(ValueError, match=rf"'{field}' = \d+ is invalid.*(has|hold)"):
        loads_config(text)


# ----------------------------------------------------------------------------------------------- 6: meaningless
@pytest.mark.parametrize("argv, words", [
    (["deep", "eval", ".", "--eps", "inf"], ["--eps inf"]),
    (["deep", "eval", ".", "--eps", "0.1", "--attack", "pgd", "--step-size", "0"], ["--step-size 0", "> 0"]),
    (["deep", "attack", ".", "--eps", "0.3", "--step-size", "0", "--no-random-start"], ["--step-size 0"]),
    (["data", "limit", "--eps", "1.5"], ["--eps 1.5", "[0, 1]"]),
    (["linear", "fig5", "--eps", "30"], ["--eps 30", "[0, 1]"]),
    (["linear", "fig5", "--eps", "29", "--norm", "2"], ["--eps 29", "28"]),
    (["linear", "frontier", "--eps", "1.2"], ["--eps 1.2"]),
    (["deep", "campaign", "--plan", "--budget", "nan"], ["--budget nan"]),
    (["deep", "campaign", "--plan", "--population", "-1"], ["--population -1"]),
])
def test_settings_that_mean_nothing_are_refused(argv, words, capsys):
    refused(argv, capsys, *words)


def test_eval_eps_in_a_config_is_bounded_by_its_norm():
    with pytest.raises(ValueError, match=r"eval.eps\[0\]"):
        loads_config('dataset = "mnist"\n[eval]\neps = [30.0]\n')
    loads_config('dataset = "mnist"\n[eval]\nnorm = "2"\neps = [2.0]\n')  # l_2 in pixels: up to sqrt(784) = 28


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A toy run trained for one epoch (seconds)."""
    from tests.deep.test_train import tiny_config
    from tradeoff.deep.train import train_run

    d = tmp_path_factory.mktemp("run") / "r"
    train_run(tiny_config(epochs=1, n_train=128, eval={"eps": [0.05], "steps": 2, "n_epoch": 32, "n_final": 32}), d)
    return d


@pytest.mark.parametrize("argv, words", [
    (["deep", "eval", "RUN", "--eps", "30"], ["--eps", "30", "[0, 1]"]),
    (["deep", "attack", "RUN", "--eps", "1.5"], ["--eps", "1.5"]),
    (["deep", "eval", "RUN", "--eps", "0.1", "--n", "5000"], ["--n", "5000"]),
])
def test_eval_and_attack_check_eps_per_norm_and_sizes_against_the_run(tiny_run, argv, words, capsys, tmp_path):
    argv = ["--build-dir", str(tmp_path), *[str(tiny_run) if a == "RUN" else a for a in argv]]
    refused(argv, capsys, *words)
    assert not (tmp_path / "results").exists() and not (tmp_path / "attacks").exists()


def test_a_model_with_nan_weights_is_never_evaluated(tiny_run, tmp_path, capsys):
    import shutil

    from tradeoff.deep.runs import MODEL

    bad = tmp_path / "nan_run"
    shutil.copytree(tiny_run, bad)
    state = torch.load(bad / MODEL, weights_only=True)
    first = next(k for k, v in state.items() if v.is_floating_point())
    state[first] = torch.full_like(state[first], float("nan"))
    torch.save(state, bad / MODEL)
    refused(["--build-dir", str(tmp_path), "deep", "eval", str(bad), "--eps", "0.05"], capsys, "finite")


def test_box_no_is_not_read_as_true():
    from tradeoff.linear.estimators import AdversarialLogisticClassifier

    with pytest.raises(ValueError, match="box"):
        AdversarialLogisticClassifier(eps=0.1, box="no").fit([[0.0, 1.0], [1.0, 0.0]], [1, -1])


# ----------------------------------------------------------------------------------------------- 7: messages
@pytest.mark.parametrize("argv, words", [
    (["--build-dir", "/proc/x", "theory", "averaging"], ["--build-dir", "/proc"]),
    (["theory", "averaging", "--p", "-inf"], ["--p -inf", "[0.5, 1]"]),
    (["theory", "averaging", "--eps", "-1e-3"], ["--eps", "-1e-3", ">= 0"]),
    (["theory", "gaussian", "--n", "0"], ["--n 0"]),
    (["theory", "gaussian", "--seed", "-1"], ["--seed -1"]),
    (["deep", "attack", ".", "--eps", "nan"], ["--eps nan", "finite"]),
])
def test_messages_name_the_option_the_value_and_what_is_allowed(argv, words, capsys):
    err = refused(argv, capsys, *words)
    assert "expected one argument" not in err and "infinite" not in err


def test_a_build_folder_that_is_a_file_or_unwritable_is_named(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    refused(["--build-dir", str(a_file), "theory", "averaging"], capsys, "--build-dir", "is a file")
    refused(["theory", "averaging", "--build-dir", str(a_file)], capsys, "--build-dir", "is a file")
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os

        if not os.access(locked, os.W_OK):  # root writes anywhere: nothing to check there
            refused(["--build-dir", str(locked / "b"), "theory", "averaging"], capsys, "--build-dir", "writable")
    finally:
        locked.chmod(0o700)


def test_a_config_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + dumps_config(loads_config('name = "bom"\ndataset = "toy"\n')).encode())
    assert load_config(path).name == "bom"


def test_cifar10_without_data_says_where_to_put_it(tmp_path, monkeypatch):
    from tradeoff.deep.datasets import load_split

    monkeypatch.delenv("TRADEOFF_CIFAR10_ROOT", raising=False)
    monkeypatch.setenv("TRADEOFF_DATA", str(tmp_path))
    with pytest.raises((ValueError, FileNotFoundError), match=r"data_root.*TRADEOFF_CIFAR10_ROOT|"
                                                              r"TRADEOFF_CIFAR10_ROOT.*data_root"):
        load_split("cifar10", "test")


# ----------------------------------------------------------------------------------------------- 8: unbounded
def test_unbounded_work_is_refused_at_once(capsys):
    refused(["theory", "gaussian", "--draws", "1e12"], capsys, "--draws")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_an_empty_config_is_refused_not_the_default_run(tmp_path, text, capsys):
    path = tmp_path / "empty.toml"
    path.write_text(text)
    refused(["deep", "train", str(path), "--dry-run"], capsys, "sets nothing")


def test_a_data_cache_that_is_a_file_and_an_idx_name_that_is_a_folder_are_named(tmp_path, capsys, monkeypatch):
    from tradeoff.data.mnist import load_mnist

    a_file = tmp_path / "file"
    a_file.write_text("x")
    monkeypatch.setenv("TRADEOFF_DATA", str(a_file))
    refused(["data", "info", "mnist"], capsys, "$TRADEOFF_DATA", "is a file")
    refused(["--build-dir", str(tmp_path / "b"), "data", "limit", "--per-class", "5"], capsys, "$TRADEOFF_DATA")
    root = tmp_path / "mnist"
    (root / "train-images-idx3-ubyte").mkdir(parents=True)
    with pytest.raises(ValueError, match="is a folder where the MNIST file train-images-idx3-ubyte belongs"):
        load_mnist("train", root)
