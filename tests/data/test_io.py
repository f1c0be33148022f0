import math

import numpy as np
import pytest

from tradeoff.data.io import atomic_write_json, atomic_write_text, read_result, to_jsonable, write_result


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write_text(path, "old")

    def boom(f):
        f.write(b"partial")
        raise RuntimeError("disk full")

    from tradeoff.data.io import atomic_write

    with pytest.raises(RuntimeError):
        atomic_write(path, boom)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_to_jsonable_handles_numpy_and_nonfinite():
    obj = {"a": np.float64(1.5), "b": np.arange(3), "c": math.nan, "d": (np.int64(2), math.inf)}
    assert to_jsonable(obj) == {"a": 1.5, "b": [0, 1, 2], "c": None, "d": [2, None]}


def test_result_roundtrip_and_envelope(tmp_path):
    path = write_result(tmp_path / "r.json", "test.kind", {"x": np.float32(0.25)}, scale="quick", seeds=[0])
    obj = read_result(path)
    assert obj["kind"] == "test.kind" and obj["payload"] == {"x": 0.25} and obj["seeds"] == [0]
    assert "git_commit" in obj["provenance"] and "versions" in obj["provenance"]


def test_read_result_rejects_foreign_json(tmp_path):
    path = tmp_path / "x.json"
    atomic_write_json(path, {"hello": 1})
    with pytest.raises(ValueError, match="not a tradeoff result"):
        read_result(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_result(path)


def test_atomic_write_gives_usual_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "p.txt", "x")
    finally:
        os.umask(mask)
    assert (path.stat().st_mode & 0o777) == 0o644


def test_git_commit_falls_back_to_environment(tmp_path, monkeypatch):
    from tradeoff.data.provenance import git_commit

    monkeypatch.setenv("TRADEOFF_GIT_COMMIT", "abc123")
    assert git_commit(tmp_path) == "abc123"  # tmp_path is no git checkout


def test_dataset_roots_come_from_the_environment(tmp_path, monkeypatch):
    from tradeoff.data.registry import dataset_root

    monkeypatch.delenv("TRADEOFF_IMAGENET_ROOT", raising=False)
    assert dataset_root("restricted_imagenet") is None
    monkeypatch.setenv("TRADEOFF_CIFAR10_ROOT", str(tmp_path))
    assert dataset_root("cifar10") == tmp_path
    assert dataset_root("mnist") is None  # no variable: the fetched copy in the cache
    with pytest.raises(ValueError, match="unknown"):
        dataset_root("mnistt")
