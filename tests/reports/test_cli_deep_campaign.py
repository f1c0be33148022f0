"""``tradeoff deep campaign``: --plan, --pack-data, one-line errors, and a real (CPU) run of the engine at a micro
scale through the campaign, resumed by a second call."""

from __future__ import annotations

import tarfile

import pytest
import torch

from tests.data._fixtures import fake_mnist_bytes, write_files
from tradeoff.data.io import read_result
from tradeoff.reports.cli import main

torch.set_num_threads(1)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEOFF_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TRADEOFF_BUILD", str(tmp_path / "build"))
    write_files(tmp_path / "data" / "mnist", fake_mnist_bytes(200, 60))
    (tmp_path / "none").mkdir()
    return tmp_path


def test_plan_and_pack_data(env, capsys):
    assert main(["deep", "campaign", "--plan", "--micro", "--datasets", "mnist", "--committed",
                 str(env / "none")]) == 0
    out = capsys.readouterr().out
    assert "mnist-test-none-e0-n120-s0-" in out.splitlines()[2]  # item 0: the full-data standard model, seed 0
    assert "tier 0: full data" in out and "mnist.tgz" in out and "together: fits" in out
    assert main(["deep", "campaign", "--pack-data", str(env / "up"), "--micro", "--datasets", "mnist",
                 "--committed", str(env / "none")]) == 0
    with tarfile.open(env / "up" / "mnist.tgz") as tar:
        assert "mnist/train-images-idx3-ubyte" in tar.getnames()


def test_errors_are_one_line(env, capsys):
    assert main(["deep", "campaign", "--micro"]) == 2
    assert "give --budget SECONDS" in capsys.readouterr().err
    assert main(["deep", "campaign", "--budget", "10", "--datasets", "svhn"]) == 2
    assert "choose from mnist" in capsys.readouterr().err
    assert main(["deep", "campaign", "--budget", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--budget -1" in err and "finite number in (0," in err


@pytest.mark.slow
def test_real_engine_runs_and_resumes(env, monkeypatch):
    """The real engine (CPU) through the campaign on fake MNIST at a one-seed micro scale: every run and the pictures
    finish, the pack holds them, and a second call trains nothing."""
    from tradeoff.deep.experiments import campaign as C
    from tradeoff.deep.experiments import campaign_plan as CP
    from tradeoff.deep.experiments import definitions as D
    from tradeoff.deep.experiments.engine import TorchEngine

    def one_seed(exp):
        exp = CP.micro(exp)
        if isinstance(exp, D.PictureExperiment):
            return exp
        ends = tuple((norm, tuple(sorted({grid[0], grid[-1]}))) for norm, grid in exp.eps_train)
        return D.with_overrides(exp, eps_train=ends, seeds=(0,), n_train=(120,))

    def campaign():
        return C.Campaign(CP.campaign_definitions(["mnist"], shrink=one_seed), TorchEngine(device="cpu"),
                          env / "build" / "runs", env / "out", [env / "none"], 600.0, commit_sent="test")

    statuses = campaign().run()
    assert {s.status for s in statuses} == {"done"}
    pack = env / "out" / "pack"
    fig7 = read_result(pack / "results" / "deep" / "fig7_mnist.json")["payload"]
    assert fig7["missing"] == [] and {r["eps_train"] for r in fig7["rows"]} == {0.0, 0.3, 2.5}
    assert all(0 <= r["standard_acc"] <= 1 for r in fig7["rows"])
    assert list((pack / "results" / "deep").glob("gradients*"))
    second = campaign().run()
    assert {s.status for s in second} == {"local"}


@pytest.mark.slow
def test_real_engine_on_restricted_tiny_imagenet(tmp_path, monkeypatch):
    """Restricted Tiny ImageNet through the campaign with the real engine at a micro scale (a fixture folder in
    its format): its pictures come first and Figure 7's runs merge under its own label."""
    from tests.data._fixtures import make_tiny_imagenet_folder
    from tradeoff.data.tiny_imagenet import wnid_labels
    from tradeoff.deep.experiments import campaign as C
    from tradeoff.deep.experiments import campaign_plan as CP
    from tradeoff.deep.experiments import definitions as D
    from tradeoff.deep.experiments.engine import TorchEngine

    monkeypatch.setenv("TRADEOFF_DATA", str(tmp_path / "cache"))
    root = make_tiny_imagenet_folder(tmp_path / "tiny", sorted(wnid_labels()), {"train": 6, "val": 2},
                                     grey=sorted(wnid_labels())[0])
    monkeypatch.setenv("TRADEOFF_TINY_IMAGENET_ROOT", str(root))

    def one_seed(exp):
        exp = CP.micro(exp)
        if isinstance(exp, D.PictureExperiment):
            return exp
        ends = tuple((norm, tuple(sorted({grid[0], grid[-1]}))) for norm, grid in exp.eps_train)
        return D.with_overrides(exp, eps_train=ends, seeds=(0,))

    camp = C.Campaign(CP.campaign_definitions(["restricted_tiny_imagenet"], shrink=one_seed),
                      TorchEngine(device="cpu"), tmp_path / "runs", tmp_path / "out", [], 600.0)
    statuses = camp.run()
    assert statuses[0].key.startswith("pictures-restricted_tiny_imagenet") and statuses[0].status == "done"
    assert {s.status for s in statuses} == {"done"}
    fig7 = read_result(tmp_path / "out" / "pack" / "results" / "deep" / "fig7_restricted_tiny_imagenet.json")
    assert fig7["dataset"] == "restricted-tiny-imagenet" and fig7["payload"]["missing"] == []
