"""The package as a user installs it: one import root ``tradeoff``, a wheel that carries its data and nothing else, and
an installed copy that works from any folder without the source tree.

The wheel test works offline: the wheel is built from a copy of the source (``pip wheel --no-deps
--no-build-isolation``, so the source folder gets no build/ or egg-info), installed with ``--no-deps --no-index`` into
a fresh venv made with ``--without-pip``. That venv sees the test environment's dependencies (numpy, torch, ...)
through a ``.pth`` line naming the test environment's site-packages: a path named in a ``.pth`` file is added to
sys.path but the ``.pth`` files inside it are not run, so the editable install of the source tree stays invisible.
The commands then run from a folder outside the repository, and the test checks that every ``tradeoff`` module came
from the venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE_FOLDERS = ("data", "theory", "linear", "deep", "reports")


def _pyproject() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _source_files(folder: str, pattern: str) -> set[str]:
    """Files below REPO/folder matching ``pattern``, as paths relative to the folder (no caches, no build output)."""
    root = REPO / folder
    return {
        f.relative_to(root).as_posix()
        for f in root.glob(pattern)
        if f.is_file() and "__pycache__" not in f.parts
        and not f.relative_to(REPO).as_posix().startswith("reports/build")
    }


def test_the_package_list_covers_every_package_folder():
    """Every folder with an __init__.py under the five package folders is listed in pyproject.toml (the list is
    explicit, so a new subpackage that is not added would silently be left out of the wheel)."""
    cfg = _pyproject()["tool"]["setuptools"]
    mapping = cfg["package-dir"]
    assert mapping == {f"tradeoff.{f}": f for f in PACKAGE_FOLDERS}
    found = set()
    for top in PACKAGE_FOLDERS:
        for init in (REPO / top).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO)
            if "build" in rel.parts or "__pycache__" in rel.parts:
                continue
            found.add("tradeoff." + ".".join(rel.parts))
    assert found == set(cfg["packages"]), (
        f"missing from pyproject.toml: {sorted(found - set(cfg['packages']))}; "
        f"listed without an __init__.py: {sorted(set(cfg['packages']) - found)}"
    )


def _copy_source(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info")
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, dest / name)
    for folder in PACKAGE_FOLDERS:
        shutil.copytree(REPO / folder, dest / folder, ignore=ignore)
    return dest


def _run(cmd: list[str], cwd: Path, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n" \
                                 f"{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel file, venv python, venv site-packages, env) with the wheel installed in a fresh venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "TRADEOFF_"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONNOUSERSITE="1")
    src = _copy_source(tmp / "src")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", ".", "-w",
          str(tmp / "dist")], cwd=src, env=env)
    wheels = list((tmp / "dist").glob("tradeoff-*.whl"))
    assert len(wheels) == 1, wheels

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp, env=env)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp,
                     env=env).stdout.strip())
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "test-dependencies.pth").write_text("".join(f"{p}\n" for p in deps), encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(wheels[0])], cwd=tmp, env=env)
    return wheels[0], python, site, env


@pytest.mark.slow
def test_the_wheel_holds_one_import_root_with_its_data(installed):
    wheel = installed[0]
    names = [n for n in zipfile.ZipFile(wheel).namelist() if not n.endswith("/")]
    dist_info = f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/"
    stray = [n for n in names if not (n.startswith("tradeoff/") or n.startswith(dist_info))]
    assert not stray, f"files outside tradeoff/ and {dist_info}: {stray[:10]}"
    assert not [n for n in names if n.startswith(("tradeoff/bench/", "tradeoff/tests/")) or "/tests/" in n]
    tops = {n.split("/")[1] for n in names if n.startswith("tradeoff/") and n.count("/") >= 2}
    assert tops == set(PACKAGE_FOLDERS)
    shipped = set(names)
    for folder, pattern in (("reports", "results/**/*"), ("deep", "configs/*.toml"), ("data", "resources/*")):
        want = {f"tradeoff/{folder}/{rel}" for rel in _source_files(folder, pattern)}
        assert want and want <= shipped, f"not in the wheel: {sorted(want - shipped)[:10]}"
    assert "tradeoff/reports/RESULTS.md" in shipped
    entry_points = zipfile.ZipFile(wheel).read(dist_info + "entry_points.txt").decode()
    assert "tradeoff = tradeoff.reports.cli:main" in entry_points


@pytest.mark.slow
def test_the_installed_wheel_runs_from_another_folder(installed, tmp_path):
    _, python, site, env = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert REPO not in elsewhere.resolve().parents

    probe = ("import sys, tradeoff, tradeoff.theory, tradeoff.reports.cli, tradeoff.data.provenance as p; "
             "print(tradeoff.theory.__file__); print(list(tradeoff.__path__)); "
             "print([m.__file__ for n, m in sorted(sys.modules.items()) if n.startswith('tradeoff.')]); "
             "print(p.git_commit())")
    out = _run([str(python), "-c", probe], cwd=elsewhere, env=env).stdout.splitlines()
    site = site.resolve()
    assert site in Path(out[0]).resolve().parents, out[0]
    assert [Path(p).resolve() for p in eval(out[1])] == [site / "tradeoff"]
    assert all(site in Path(f).resolve().parents for f in eval(out[2]))
    assert out[3] == "unknown"  # installed copy outside any checkout, no $TRADEOFF_GIT_COMMIT

    _run([str(python), "-m", "tradeoff.reports", "theory", "averaging", "--d", "50", "--mc-samples", "0"],
         cwd=elsewhere, env=env)
    script = python.parent / ("tradeoff.exe" if os.name == "nt" else "tradeoff")
    _run([str(script), "theory", "averaging", "--d", "100", "--mc-samples", "2000"], cwd=elsewhere, env=env)
    report = _run([str(script), "report"], cwd=elsewhere, env=env)
    assert "claim  1  confirmed" in report.stdout  # from the averaging result just written
    md = (elsewhere / "reports" / "build" / "report.md").read_text(encoding="utf-8")
    # the committed GPU results are found inside the installed package, not in a reports/ folder of the cwd
    assert (site / "tradeoff" / "reports" / "results").as_posix() in md
    assert (elsewhere / "reports" / "build" / "results" / "theory" / "averaging.json").is_file()
    assert not [p for p in site.rglob("*") if p.is_dir() and p.name == "build"]  # nothing written into the install


def test_pylock_records_exactly_the_versions_of_the_lock():
    """pylock.toml (PEP 751, written by `make lock` from the same install as requirements.txt) pins the same
    packages at the same versions, each with the SHA-256 of one tested wheel of that version."""
    import re

    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    root = Path(__file__).resolve().parents[1]
    canon = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731 - PEP 503 names
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canon(name)] = version
    lock = tomllib.loads((root / "pylock.toml").read_text())
    assert lock["lock-version"] == "1.0"
    assert {p["name"]: p["version"] for p in lock["packages"]} == pins
    for p in lock["packages"]:
        (wheel,) = p["wheels"]
        project, version = wheel["name"].split("-")[:2]
        assert canon(project) == p["name"] and version.split("+")[0] == p["version"]
        assert re.fullmatch(r"[0-9a-f]{64}", wheel["hashes"]["sha256"])
