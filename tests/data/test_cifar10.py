import os
import pickle

import numpy as np
import pytest

import tradeoff.data.cifar10 as c10
from tests.data._fixtures import make_cifar_binary, make_cifar_folder, make_cifar_python


@pytest.fixture(autouse=True)
def _cache(monkeypatch, tmp_path):
    monkeypatch.setenv("TRADEOFF_DATA", str(tmp_path / "cache"))


def _concat(parts, names):
    return np.concatenate([parts[n][0] for n in names]), np.concatenate([parts[n][1] for n in names])


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_python_batches(tmp_path, protocol):
    parts = make_cifar_python(tmp_path / "src", protocol=protocol)
    x, y = c10.load_cifar10("train", tmp_path / "src", progress=False)
    ex, ey = _concat(parts, [f"data_batch_{k}" for k in range(1, 6)])
    assert x.dtype == np.uint8 and x.shape == (20, 3, 32, 32) and y.dtype == np.int64
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)
    xt, yt = c10.load_cifar10("test", tmp_path / "src" / "cifar-10-batches-py", progress=False)
    np.testing.assert_array_equal(xt, parts["test_batch"][0])


def test_binary_batches(tmp_path):
    parts = make_cifar_binary(tmp_path / "src")
    x, y = c10.load_cifar10("train", tmp_path / "src", progress=False)
    ex, ey = _concat(parts, [f"data_batch_{k}.bin" for k in range(1, 6)])
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)
    assert c10.detect_cifar10(tmp_path / "src")[0] == "binary"


def test_image_folder_png_exact_and_jpeg_close(tmp_path):
    parts = make_cifar_folder(tmp_path / "png")
    x, y = c10.load_cifar10("test", tmp_path / "png", progress=False)
    np.testing.assert_array_equal(x, parts["test"][0])
    np.testing.assert_array_equal(y, np.repeat(np.arange(10), 2))
    parts = make_cifar_folder(tmp_path / "jpg", fmt="JPEG")
    x, y = c10.load_cifar10("train", tmp_path / "jpg", progress=False)
    assert x.shape == (20, 3, 32, 32)
    assert np.abs(x.astype(float) - parts["train"][0]).mean() < 60  # lossy, but the same picture family
    np.testing.assert_array_equal(y, parts["train"][1])


def test_restricted_unpickler_refuses_other_globals(tmp_path):
    make_cifar_python(tmp_path / "src")

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    (tmp_path / "src" / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps({b"data": Evil()}))
    with pytest.raises(ValueError, match=r"test_batch: not a valid CIFAR-10 python batch.*system is not allowed"):
        c10.load_cifar10("test", tmp_path / "src", progress=False)


def test_corrupt_and_truncated_python_batches(tmp_path):
    make_cifar_python(tmp_path / "src")
    p = tmp_path / "src" / "cifar-10-batches-py" / "test_batch"
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="test_batch: not a valid CIFAR-10 python batch.*truncated"):
        c10.load_cifar10("test", tmp_path / "src", progress=False)
    p.write_bytes(pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(ValueError, match=r"shape \(n, 3072\)"):
        c10.load_cifar10("test", tmp_path / "src", progress=False)
    p.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 12]}))
    with pytest.raises(ValueError, match="label outside 0..9"):
        c10.load_cifar10("test", tmp_path / "src", progress=False)
    p.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(ValueError, match="expected a dict"):
        c10.load_cifar10("test", tmp_path / "src", progress=False)


def test_truncated_binary_and_nothing_cached(tmp_path):
    make_cifar_binary(tmp_path / "src")
    p = tmp_path / "src" / "cifar-10-batches-bin" / "data_batch_3.bin"
    p.write_bytes(p.read_bytes()[:-7])
    with pytest.raises(ValueError, match="data_batch_3.bin: .*not a whole number"):
        c10.load_cifar10("train", tmp_path / "src", progress=False)
    cache = tmp_path / "cache" / "cifar10"
    assert not cache.exists() or not any(f for f in cache.rglob("*") if f.is_file())


def test_corrupt_image_and_wrong_size(tmp_path):
    from PIL import Image

    make_cifar_folder(tmp_path / "src", per_class=1)
    bad = tmp_path / "src" / "test" / "cat" / "0000.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(ValueError, match="cat/0000.png: cannot decode image"):
        c10.load_cifar10("test", tmp_path / "src", progress=False)
    Image.new("RGB", (31, 32)).save(bad)
    with pytest.raises(ValueError, match="31x32"):
        c10.load_cifar10("test", tmp_path / "src", progress=False)


def test_folder_classes_must_be_standard(tmp_path):
    make_cifar_folder(tmp_path / "src", per_class=1)
    os.rename(tmp_path / "src" / "train" / "truck", tmp_path / "src" / "train" / "lorry")
    with pytest.raises(ValueError, match="missing truck; unexpected lorry"):
        c10.load_cifar10("train", tmp_path / "src", progress=False)


def test_missing_root_and_split(tmp_path):
    with pytest.raises(FileNotFoundError, match="no CIFAR-10 found"):
        c10.load_cifar10("train", tmp_path, progress=False)
    with pytest.raises(ValueError, match="unknown CIFAR-10 split"):
        c10.load_cifar10("val", tmp_path, progress=False)
    make_cifar_binary(tmp_path / "src")
    (tmp_path / "src" / "cifar-10-batches-bin" / "data_batch_5.bin").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_5.bin"):
        c10.load_cifar10("train", tmp_path / "src", progress=False)


def test_cache_reused_and_invalidated(tmp_path, monkeypatch):
    parts = make_cifar_folder(tmp_path / "src", per_class=1)
    x1, _ = c10.load_cifar10("test", tmp_path / "src", progress=False)
    cdir = c10.cifar10_cache_folder("folder", tmp_path / "src")
    assert sorted(p.name for p in cdir.iterdir()) == ["test-images.npy", "test-labels.npy", "test-manifest.json"]

    def no_decode(*a, **k):
        raise AssertionError("decoded again")

    with monkeypatch.context() as m:
        m.setattr(c10, "_decode", no_decode)
        x2, _ = c10.load_cifar10("test", tmp_path / "src", progress=False)
    np.testing.assert_array_equal(x1, x2)
    # changing a source file invalidates the cache
    from PIL import Image

    img = tmp_path / "src" / "test" / "dog" / "0000.png"
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(img)
    os.utime(img, ns=(1, 1))
    x3, _ = c10.load_cifar10("test", tmp_path / "src", progress=False)
    assert x3[5].max() == 0 and not np.array_equal(x3, parts["test"][0])


@pytest.mark.realdata
@pytest.mark.slow
def test_real_cifar10_jpeg(monkeypatch):
    from tradeoff.data.registry import dataset_root

    REAL = dataset_root("cifar10")
    if REAL is None or not (REAL / "train").is_dir():
        pytest.skip("set $TRADEOFF_CIFAR10_ROOT to the real CIFAR-10 JPEG copy (a folder with train/ and test/)")
    monkeypatch.delenv("TRADEOFF_DATA")  # use (and fill) the real cache, so decoding happens once
    x, y = c10.load_cifar10("train", REAL, progress=False)
    assert x.shape == (50000, 3, 32, 32)
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 5000))
    xt, yt = c10.load_cifar10("test", REAL, progress=False)
    assert xt.shape == (10000, 3, 32, 32)
    np.testing.assert_array_equal(np.bincount(yt), np.full(10, 1000))
    assert yt[0] == 0 and yt[-1] == 9  # airplane first, truck last


def test_interrupted_cache_write_is_redone(tmp_path, monkeypatch):
    parts = make_cifar_binary(tmp_path / "src")
    real_save = c10._save_npy
    calls = []

    def failing_save(path, arr):
        calls.append(path.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_save(path, arr)

    monkeypatch.setattr(c10, "_save_npy", failing_save)
    with pytest.raises(KeyboardInterrupt):
        c10.load_cifar10("test", tmp_path / "src", progress=False)
    cdir = c10.cifar10_cache_folder("binary", (tmp_path / "src" / "cifar-10-batches-bin"))
    assert sorted(p.name for p in cdir.iterdir()) == ["test-images.npy"]  # no manifest, no temp files
    monkeypatch.setattr(c10, "_save_npy", real_save)
    x, y = c10.load_cifar10("test", tmp_path / "src", progress=False)
    np.testing.assert_array_equal(x, parts["test_batch.bin"][0])
    assert sorted(p.name for p in cdir.iterdir()) == ["test-images.npy", "test-labels.npy", "test-manifest.json"]
