"""``tradeoff deep reproduce | sweep | merge``: argument errors are one-line user errors; micro end-to-end run."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tradeoff.reports.cli import main


def test_sweep_list_and_errors(capsys):
    assert main(["deep", "sweep", "--list"]) == 0
    assert "fig6" in capsys.readouterr().out
    assert main(["deep", "sweep"]) == 2
    assert "give a sweep NAME" in capsys.readouterr().err
    assert main(["deep", "sweep", "fig1", "--dataset", "restricted_imagenet"]) == 2
    assert "choose one of" in capsys.readouterr().err  # no Fig. 1 on the Restricted ImageNet sample
    for flag in (["sweep", "fig7", "--dataset"], ["merge", "--dataset"], ["reproduce", "--datasets"]):
        assert main(["deep", *flag, "rin"]) == 2  # one name for Restricted ImageNet: the short name is gone
        err = capsys.readouterr().err
        assert "restricted_imagenet" in err and "mnist" in err and "Traceback" not in err
    assert main(["deep", "sweep", "fig6", "--shard", "3/2"]) == 2
    assert "--shard" in capsys.readouterr().err
    assert main(["deep", "reproduce", "--datasets", "svhn"]) == 2  # --datasets: the other spelling of --dataset
    assert "--dataset 'svhn'" in capsys.readouterr().err
    assert main(["deep", "reproduce", "--scale", "paper", "--micro"]) == 2
    capsys.readouterr()


@pytest.mark.parametrize("command", [["reproduce"], ["sweep", "fig6"]])
def test_negative_threads_is_a_user_error(tmp_path, capsys, command):
    assert main(["--build-dir", str(tmp_path), "deep", *command, "--threads", "-1"]) == 2
    assert "--threads -1" in capsys.readouterr().err


def test_merge_without_runs_names_the_fix(tmp_path, capsys):
    assert main(["--build-dir", str(tmp_path), "deep", "merge", "fig6"]) == 2
    assert "tradeoff deep sweep fig6" in capsys.readouterr().err


def _engine_and_mnist() -> str | None:
    if importlib.util.find_spec("deep.runs") is None or importlib.util.find_spec("deep.sanity") is None:
        return "the deep engine (deep.runs, deep.sanity) is not merged in this checkout"
    try:
        from tradeoff.data.mnist import load_mnist

        load_mnist("test")
    except Exception as e:  # noqa: BLE001 - any failure means: no MNIST here
        return f"MNIST not available: {e}"
    return None


@pytest.mark.slow
@pytest.mark.realdata
def test_reproduce_micro_end_to_end(tmp_path, capsys):
    reason = _engine_and_mnist()
    if reason:
        pytest.skip(reason)
    import torch

    torch.set_num_threads(1)
    rc = main(["--build-dir", str(tmp_path), "deep", "reproduce", "--scale", "quick", "--micro", "--datasets",
               "mnist", "--device", "cpu"])
    assert rc == 0
    deep = tmp_path / "results" / "deep"
    for name in ("fig1_mnist", "fig6_mnist", "fig7_mnist", "mixed_mnist", "gradients_mnist", "large_eps_mnist"):
        obj = json.loads((deep / f"{name}.json").read_text())
        assert obj["scale"] == "smoke"
    assert len(list(deep.glob("sanity_*.json"))) == 3
    figs = {p.name for p in (tmp_path / "figures").glob("*.png")}
    assert figs == {f"fig{i}_mnist.png" for i in (1, 2, 3, 4, 6, 7, 8, 9, 10)} | {"fig3_grid_mnist.png"}
    # a second call reuses every finished run
    assert main(["--build-dir", str(tmp_path), "deep", "reproduce", "--scale", "quick", "--micro", "--datasets",
                 "mnist", "--device", "cpu", "--no-sanity"]) == 0
    assert "train mnist" not in capsys.readouterr().err.split("deep reproduce finished")[-1]
