import json

import pytest

import tradeoff.data.mnist as mn
from tests.data._fixtures import (
    fake_mnist_bytes,
    make_cifar_binary,
    make_imagenet_folder,
    pin_checksums,
    write_files,
)
from tradeoff.data.imagenet import imagenet_wnids
from tradeoff.reports.cli import main


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("TRADEOFF_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_fetch_then_info_mnist(cache, monkeypatch, capsys):
    files = fake_mnist_bytes()
    pin_checksums(monkeypatch, files)

    def route(names, workdir, progress, log):
        return write_files(workdir, {n: files[n] for n in names}, gz=True)

    monkeypatch.setattr(mn, "ROUTES", [mn.Route("fake", route)])
    assert main(["data", "fetch", "mnist", "--no-progress"]) == 0
    assert "MNIST ready" in capsys.readouterr().out
    # the fake set is valid but not the real MNIST (sizes/class counts differ): info says so with status 1
    assert main(["data", "info", "mnist", "--json"]) == 1
    info = json.loads(capsys.readouterr().out)
    assert [f["status"] for f in info["files"]] == ["ok"] * 4
    assert info["splits"]["train"] == {"n": 30, "class_counts": [3] * 10}
    assert info["complete"] is False


def test_info_mnist_empty_cache(cache, capsys):
    assert main(["data", "info", "mnist"]) == 1
    out = capsys.readouterr().out
    assert out.count("missing") == 4 and "tradeoff data fetch mnist" in out


def test_fetch_failure_is_one_line_exit_2(cache, monkeypatch, capsys):
    def route(names, workdir, progress, log):
        raise mn.RouteError("offline")

    monkeypatch.setattr(mn, "ROUTES", [mn.Route("nowhere", route)])
    assert main(["data", "fetch", "mnist", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nowhere: offline" in err[0] and "by hand" in err[0]


def test_fetch_into_an_impossible_folder_is_one_line_exit_2(cache, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["data", "fetch", "mnist", "--root", str(blocker / "mnist"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--root" in err[0] and "Traceback" not in err[0]


def test_info_cifar10_and_restricted_imagenet(cache, tmp_path, capsys):
    make_cifar_binary(tmp_path / "c10")
    assert main(["data", "info", "cifar10", "--root", str(tmp_path / "c10")]) == 1  # tiny fixture, not 50000
    out = capsys.readouterr().out
    assert "binary format" in out and "airplane" in out and "truck" in out
    wn = imagenet_wnids()
    make_imagenet_folder(tmp_path / "in", {wn[151]: [(40, 30)], wn[300]: [(30, 40), (50, 50)]})
    assert main(["data", "info", "restricted_imagenet", "--root", str(tmp_path / "in"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    got = {r["superclass"]: r["images"] for r in info["superclasses"]}
    assert info["n"] == 3 and got["dog"] == 1 and got["insect"] == 2
    assert main(["data", "info", "restricted_imagenet"]) == 2
    assert "needs --root" in capsys.readouterr().err
    assert main(["data", "info", "rin"]) == 2  # one name for Restricted ImageNet
    assert "restricted_imagenet" in capsys.readouterr().err


@pytest.mark.realdata
def test_info_real_mnist(capsys):
    folder = mn.mnist_dir()
    if not all((folder / n).is_file() for n in mn.MNIST_SHA256):
        pytest.skip(f"real MNIST not in {folder}; run `tradeoff data fetch mnist`")
    assert main(["data", "info", "mnist"]) == 0
    out = capsys.readouterr().out
    assert "5923 6742 5958 6131 5842 5421 5918 6265 5851 5949" in out and "MISMATCH" not in out


@pytest.mark.parametrize("argv", [["info", "mnist"], ["info", "cifar10"], ["info", "restricted_imagenet"],
                                  ["fetch", "mnist"]])
def test_a_root_that_is_a_file_is_a_one_line_error(tmp_path, argv, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert main(["data", *argv, "--root", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--root {a_file} is a file, not a folder" in err
